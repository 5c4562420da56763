/* health.c - a worker's record of its modem's health and its writes to
 * the store (see health.h). */
#include "health.h"

#include <stdio.h>
#include <string.h>
#include "clock.h"
#include "log.h"
#include "store_modems.h"

/* Short: the write is worth less than a send waiting behind it. */
#define HEALTH_BUSY_TIMEOUT_MS 100
/* After a failed write (database locked), the next try. */
#define HEALTH_RETRY_MS 1000

void health_init(struct health *hl, const char *name, const char *db_path)
{
	struct errbuf err;
	memset(hl, 0, sizeof *hl);
	snprintf(hl->h.name, sizeof hl->h.name, "%.*s", (int)sizeof hl->h.name - 1, name);
	hl->h.state = MODEM_CONNECTING;
	hl->h.state_since = clock_wall_ms();
	hl->h.creg_stat = -1;
	hl->h.rssi = -1;
	hl->urgent = true;
	if (store_open(db_path, &hl->store, &err) < 0) {
		log_errorx("modem %s: health will not be recorded: %s", name, err.msg);
		hl->store = NULL;
		return;
	}
	store_set_busy_timeout(hl->store, HEALTH_BUSY_TIMEOUT_MS);
}

static bool is_soft_pair(enum modem_state a, enum modem_state b)
{
	return (a == MODEM_READY || a == MODEM_SENDING) && (b == MODEM_READY || b == MODEM_SENDING);
}

void health_set_state(struct health *hl, enum modem_state state, const char *why)
{
	struct modem_health *h = &hl->h;
	why = why ? why : "";
	if (h->state == state && strncmp(h->why, why, sizeof h->why - 1) == 0)
		return;
	if (is_soft_pair(h->state, state))
		hl->dirty = true;
	else
		hl->urgent = true;
	if (h->state != state)
		h->state_since = clock_wall_ms();
	h->state = state;
	snprintf(h->why, sizeof h->why, "%.*s", (int)sizeof h->why - 1, why);
}

enum modem_state health_state(const struct health *hl)
{
	return hl->h.state;
}

void health_note_error(struct health *hl, const char *text)
{
	snprintf(hl->h.last_error, sizeof hl->h.last_error, "%.*s",
		 (int)sizeof hl->h.last_error - 1, text);
	hl->h.last_error_at = clock_wall_ms();
	hl->urgent = true;
}

void health_count(struct health *hl, int sent, int failed)
{
	if (sent == 0 && failed == 0)
		return;
	hl->h.sms_sent += sent;
	hl->h.sms_failed += failed;
	hl->dirty = true;
}

/* Copies src into a field of dst's size; true when that changed it. */
static bool take_text(char *dst, size_t cap, const char *src)
{
	if (strncmp(dst, src, cap - 1) == 0)
		return false;
	snprintf(dst, cap, "%.*s", (int)cap - 1, src);
	return true;
}

void health_take_info(struct health *hl, const struct at_info *info)
{
	struct modem_health *h = &hl->h;
	bool urgent = false;
	if (info->creg_stat != h->creg_stat) {
		h->creg_stat = info->creg_stat;
		urgent = true;
	}
	urgent |= take_text(h->operator_name, sizeof h->operator_name, info->operator_name);
	/* The identity is read once per init: keep what the last init said
	 * while the next one runs. */
	if (info->model[0] || info->revision[0] || info->imei[0]) {
		urgent |= take_text(h->model, sizeof h->model, info->model);
		urgent |= take_text(h->revision, sizeof h->revision, info->revision);
		urgent |= take_text(h->imei, sizeof h->imei, info->imei);
	}
	if (info->rssi != h->rssi) {    /* signal wanders: not worth a write of its own */
		h->rssi = info->rssi;
		hl->dirty = true;
	}
	hl->urgent |= urgent;
}

void health_forget_network(struct health *hl)
{
	struct modem_health *h = &hl->h;
	if (h->creg_stat != -1 || h->operator_name[0] || h->rssi != -1)
		hl->urgent = true;
	h->creg_stat = -1;
	h->operator_name[0] = '\0';
	h->rssi = -1;
}

int64_t health_next_due(const struct health *hl)
{
	if (!hl->store)
		return INT64_MAX;
	if (hl->failing)
		return hl->written + HEALTH_RETRY_MS;
	if (hl->urgent)
		return 0;
	if (hl->dirty)
		return hl->written + HEALTH_SOFT_MS;
	return hl->written + MODEM_HEALTH_REFRESH_MS;
}

void health_flush(struct health *hl, int64_t now)
{
	struct errbuf err;
	if (!hl->store || now < health_next_due(hl))
		return;
	hl->h.last_seen = clock_wall_ms();
	hl->written = now;
	if (store_modem_update(hl->store, &hl->h, &err) < 0) {
		if (!hl->failing)
			log_warnx("modem %s: cannot record its health (retrying): %s", hl->h.name,
				  err.msg);
		hl->failing = true;
		return;
	}
	if (hl->failing)
		log_info("modem %s: health recorded again", hl->h.name);
	hl->failing = false;
	hl->urgent = false;
	hl->dirty = false;
}

void health_close(struct health *hl)
{
	if (hl->store)
		store_close(hl->store);
	hl->store = NULL;
}
