/* modem.c - drives the pure AT state machine over a modem link (modem.h). */
#include "modem.h"

#include <stdint.h>
#include <string.h>
#include "clock.h"
#include "log.h"

#define MODEM_WRITE_TIMEOUT_MS 5000
/* Upper bound for one blocking read, so shutdown requests are noticed. */
#define MODEM_READ_SLICE_MS 200

void modem_setup(struct modem *m, const struct cfg_modem *cfg, bool status_reports,
		 const atomic_bool *stop)
{
	memset(m, 0, sizeof *m);
	m->cfg = cfg;
	m->stop = stop;
	link_setup(&m->link, cfg);
	struct at_settings set = {
		.pin = cfg->pin,
		.smsc = cfg->smsc,
		.status_reports = status_reports,
		.send_timeout_ms = cfg->send_timeout_ms,
	};
	at_session_init(&m->at, &set);
}

static int flush_output(struct modem *m, struct errbuf *err)
{
	uint8_t buf[AT_OUT_MAX];
	size_t n;
	while ((n = at_take_output(&m->at, buf, sizeof buf)) > 0) {
		if (link_write(&m->link, buf, n, MODEM_WRITE_TIMEOUT_MS, err) < 0)
			return -1;
	}
	return 0;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

int modem_poll(struct modem *m, int64_t until, struct at_event *ev, struct errbuf *err)
{
	for (;;) {
		if (flush_output(m, err) < 0)
			goto failed;
		if (at_next_event(&m->at, ev))
			return 1;
		int64_t now = clock_mono_ms();
		int64_t deadline = at_deadline(&m->at);
		if (now >= deadline) {
			at_tick(&m->at, now);
			continue;
		}
		if (now >= until)
			return 0;
		int64_t wait = min64(min64(until, deadline) - now, MODEM_READ_SLICE_MS);
		uint8_t buf[512];
		long n = link_read(&m->link, buf, sizeof buf, (int)wait, err);
		if (n < 0)
			goto failed;
		if (n > 0)
			at_feed(&m->at, buf, (size_t)n, clock_mono_ms());
		if (atomic_load(m->stop) && at_is_idle(&m->at))
			return 0;
	}
failed:
	modem_disconnect(m);
	return -1;
}

static void log_side_event(const struct modem *m, const struct at_event *ev)
{
	switch (ev->type) {
	case AT_EV_SIGNAL:
		log_info("modem %s: signal rssi %d ber %d", m->cfg->name, ev->rssi, ev->ber);
		break;
	case AT_EV_REGISTRATION:
		log_info("modem %s: registration status %d", m->cfg->name, ev->creg_stat);
		break;
	default:
		log_debug("modem %s: %s", m->cfg->name, ev->text);
		break;
	}
}

int modem_connect(struct modem *m, bool *fatal, struct errbuf *err)
{
	*fatal = false;
	if (link_open(&m->link, err) < 0)
		return -1;
	m->open = true;
	at_start_init(&m->at, clock_mono_ms());
	for (;;) {
		struct at_event ev;
		/* No job is involved yet: a shutdown may abandon the init at once
		 * rather than wait out a slow registration. */
		if (atomic_load(m->stop)) {
			modem_disconnect(m);
			return errbuf_set(err, "shutting down");
		}
		int rc = modem_poll(m, clock_mono_ms() + MODEM_READ_SLICE_MS, &ev, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		if (ev.type == AT_EV_READY)
			return 0;
		if (ev.type == AT_EV_INIT_FAILED) {
			*fatal = ev.fatal;
			modem_disconnect(m);
			return errbuf_set(err, "%s", ev.text);
		}
		log_side_event(m, &ev);
	}
}

void modem_disconnect(struct modem *m)
{
	if (m->open)
		link_close(&m->link);
	m->open = false;
}
