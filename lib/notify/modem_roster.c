/* modem_roster.c - the configured modems with their health rows (see
 * modem_roster.h). */
#include "modem_roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_modems.h"

static int add_entry(struct modem_roster *r, size_t *cap, const char *name)
{
	if (r->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		struct modem_roster_entry *v = realloc(r->v, ncap * sizeof *v);
		if (!v)
			return -1;
		r->v = v;
		*cap = ncap;
	}
	struct modem_roster_entry *e = &r->v[r->n++];
	memset(e, 0, sizeof *e);
	snprintf(e->h.name, sizeof e->h.name, "%.*s", (int)sizeof e->h.name - 1, name);
	e->h.creg_stat = -1;
	e->h.rssi = -1;
	return 0;
}

struct load_ctx {
	struct modem_roster *r;
	size_t cap;
	bool from_rows;         /* no config: every row is an entry */
	bool oom;
};

static int take_row(const struct modem_health *h, void *arg)
{
	struct load_ctx *c = arg;
	if (c->from_rows && add_entry(c->r, &c->cap, h->name) < 0) {
		c->oom = true;
		return 1;
	}
	for (size_t i = 0; i < c->r->n; i++) {
		if (strcmp(c->r->v[i].h.name, h->name) == 0) {
			c->r->v[i].h = *h;
			c->r->v[i].seen = true;
		}
	}
	return 0;
}

int modem_roster_load(struct store *s, const struct cfg *cfg, struct modem_roster *out,
		      struct errbuf *err)
{
	struct load_ctx c = { .r = out, .from_rows = cfg == NULL };
	memset(out, 0, sizeof *out);
	for (size_t i = 0; cfg && i < cfg->modem_count; i++) {
		if (add_entry(out, &c.cap, cfg->modems[i].name) < 0)
			return errbuf_set(err, "reading the modems: out of memory");
	}
	if (store_modem_list(s, take_row, &c, err) < 0)
		return -1;
	if (c.oom)
		return errbuf_set(err, "reading the modems: out of memory");
	return 0;
}

void modem_roster_free(struct modem_roster *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

bool modem_roster_usable(const struct modem_roster_entry *e, int64_t now)
{
	return e->seen && modem_health_usable(&e->h, now);
}

size_t modem_roster_usable_count(const struct modem_roster *r, int64_t now)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += modem_roster_usable(&r->v[i], now);
	return n;
}

void modem_roster_describe(const struct modem_roster_entry *e, int64_t now, char *buf,
			   size_t cap)
{
	const struct modem_health *h = &e->h;
	if (!e->seen)
		snprintf(buf, cap, "never seen");
	else if (modem_health_stale(h, now))
		snprintf(buf, cap, "stale (otapd not running?)");
	else if (h->why[0])
		snprintf(buf, cap, "%s: %s", modem_state_name(h->state), h->why);
	else if (h->last_error[0] && h->state != MODEM_READY && h->state != MODEM_SENDING)
		snprintf(buf, cap, "%s (last error: %s)", modem_state_name(h->state), h->last_error);
	else
		snprintf(buf, cap, "%s", modem_state_name(h->state));
}

void modem_roster_why_none(const struct modem_roster *r, int64_t now, char *buf, size_t cap)
{
	size_t len = 0;
	if (r->n == 0) {
		snprintf(buf, cap, "no modem configured");
		return;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < r->n && len < cap; i++) {
		char what[320];
		modem_roster_describe(&r->v[i], now, what, sizeof what);
		int n = snprintf(buf + len, cap - len, "%s%s %s", i ? "; " : "", r->v[i].h.name, what);
		len += n > 0 ? (size_t)n : 0;
	}
	if (len >= cap && cap > 4)
		memcpy(buf + cap - 4, "...", 4);
}

int modem_roster_job_waiting(struct store *s, const struct cfg *cfg, const struct job *j,
			     int64_t now, char *buf, size_t cap, struct errbuf *err)
{
	struct modem_roster r;
	int rc = 0;
	if (j->state != JOB_QUEUED)
		return 0;
	if (modem_roster_load(s, cfg, &r, err) < 0) {
		rc = -1;
	} else if (modem_roster_usable_count(&r, now) == 0) {
		char why[600];
		modem_roster_why_none(&r, now, why, sizeof why);
		snprintf(buf, cap, "no modem is ready (%s)", why);
		rc = 1;
	}
	modem_roster_free(&r);
	return rc;
}
