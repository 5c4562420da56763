/* modem.c - drives the pure AT state machine over a modem link (modem.h). */
#include "modem.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include "clock.h"
#include "log.h"

#define MODEM_WRITE_TIMEOUT_MS 5000

void modem_setup(struct modem *m, const struct cfg_modem *cfg, bool status_reports,
		 const atomic_bool *stop, int wake_fd)
{
	memset(m, 0, sizeof *m);
	m->cfg = cfg;
	m->stop = stop;
	m->wake_fd = wake_fd;
	link_setup(&m->link, cfg);
	struct at_settings set = {
		.pin = cfg->pin,
		.smsc = cfg->smsc,
		.status_reports = status_reports,
		.send_timeout_ms = cfg->send_timeout_ms,
		.read_info = true,      /* model, revision, IMEI, operator for `otapctl modems` */
	};
	at_session_init(&m->at, &set);
}

/* Debug trace of what otapd writes, one "NAME > ..." line per command or
 * PDU, secrets masked (at_trace.h). Never called unless debug is on. */
static void trace_out(const struct modem *m, const uint8_t *buf, size_t n)
{
	const char *p = (const char *)buf;
	char shown[AT_TRACE_SHOWN_MAX];
	size_t unit;
	for (; n > 0; p += unit, n -= unit) {
		unit = at_trace_out_unit(p, n);
		at_trace_mask_out(p, unit, shown, sizeof shown);
		log_debug("%s > %s", m->cfg->name, shown);
	}
}

/* Debug trace of what the modem sends, one "NAME < ..." line per line. */
static void trace_in(struct modem *m, const uint8_t *buf, size_t n)
{
	const char *p = (const char *)buf;
	char shown[AT_TRACE_SHOWN_MAX];
	while (at_trace_lines_take(&m->trace, &p, &n, shown, sizeof shown))
		log_debug("%s < %s", m->cfg->name, shown);
}

static int flush_output(struct modem *m, struct errbuf *err)
{
	uint8_t buf[AT_OUT_MAX];
	size_t n;
	while ((n = at_take_output(&m->at, buf, sizeof buf)) > 0) {
		if (log_enabled(LOG_LEVEL_DEBUG))
			trace_out(m, buf, n);
		if (link_write(&m->link, buf, n, MODEM_WRITE_TIMEOUT_MS, err) < 0)
			return -1;
	}
	return 0;
}

/* Waits up to wait_ms for bytes from the link, or for the shutdown wake-up
 * when watch_stop. Returns bytes read (> 0), 0 (nothing: timeout or
 * wake-up) or -1 (link failed, reason in err). */
static long read_or_wake(struct modem *m, uint8_t *buf, size_t cap, int64_t wait_ms,
			 bool watch_stop, int queue_fd, bool *queue_woke, struct errbuf *err)
{
	int timeout = (int)min64(wait_ms, INT_MAX);
	struct pollfd pfd[3] = {
		{ .fd = link_poll_fd(&m->link), .events = POLLIN },
		{ .fd = watch_stop ? m->wake_fd : -1, .events = POLLIN },   /* -1: ignored */
		{ .fd = watch_stop ? queue_fd : -1, .events = POLLIN },
	};
	if (pfd[0].fd < 0)   /* a transport without a descriptor: plain timed read */
		return link_read(&m->link, buf, cap, timeout, err);
	int rc = poll(pfd, 3, timeout);
	if (rc < 0 && errno != EINTR)
		return errbuf_set(err, "%s: poll: %s", m->cfg->device, strerror(errno));
	*queue_woke = rc > 0 && pfd[2].revents != 0;
	if (rc <= 0 || !(pfd[0].revents & (POLLIN | POLLERR | POLLHUP)))
		return 0;
	/* Readable (or failed): the read returns at once and reports either. */
	return link_read(&m->link, buf, cap, 0, err);
}

/* modem_poll's loop. A shutdown ends the wait when abandon_on_stop (no job
 * is involved) or when no exchange is in progress; a send in progress is
 * seen through to its reply, bounded by its AT timeout, so that the job's
 * outcome is known. */
static int poll_io(struct modem *m, int64_t until, bool abandon_on_stop, int queue_fd,
		   struct at_event *ev, struct errbuf *err)
{
	bool queue_woke = false;
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
		/* The queue's wake-up ends the wait: the caller reads it and
		 * looks for work (the bytes that came with it are in the AT
		 * session, their events come first at the next call). */
		if (now >= until || queue_woke)
			return 0;
		bool stopping = atomic_load(m->stop);
		if (stopping && (abandon_on_stop || at_is_idle(&m->at)))
			return 0;
		uint8_t buf[512];
		/* Once stopping, the readable wake-up would only spin this loop. */
		long n = read_or_wake(m, buf, sizeof buf, min64(until, deadline) - now, !stopping,
				      queue_fd, &queue_woke, err);
		if (n < 0)
			goto failed;
		if (n > 0 && log_enabled(LOG_LEVEL_DEBUG))
			trace_in(m, buf, (size_t)n);
		if (n > 0)
			at_feed(&m->at, buf, (size_t)n, clock_mono_ms());
	}
failed:
	modem_disconnect(m);
	return -1;
}

int modem_poll(struct modem *m, int64_t until, struct at_event *ev, struct errbuf *err)
{
	return poll_io(m, until, false, -1, ev, err);
}

int modem_poll_or(struct modem *m, int64_t until, int queue_fd, struct at_event *ev,
		  struct errbuf *err)
{
	return poll_io(m, until, false, queue_fd, ev, err);
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

int modem_open(struct modem *m, struct errbuf *err)
{
	if (link_open(&m->link, err) < 0)
		return -1;
	m->open = true;
	at_trace_lines_reset(&m->trace);
	return 0;
}

int modem_initialise(struct modem *m, bool *fatal, struct errbuf *err)
{
	*fatal = false;
	at_start_init(&m->at, clock_mono_ms());
	for (;;) {
		struct at_event ev;
		/* No job is involved yet: a shutdown may abandon the init at once
		 * rather than wait out a slow registration. */
		if (atomic_load(m->stop)) {
			modem_disconnect(m);
			return errbuf_set(err, "shutting down");
		}
		int rc = poll_io(m, INT64_MAX, true, -1, &ev, err);
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

int modem_connect(struct modem *m, bool *fatal, struct errbuf *err)
{
	*fatal = false;
	if (modem_open(m, err) < 0)
		return -1;
	return modem_initialise(m, fatal, err);
}

void modem_disconnect(struct modem *m)
{
	if (m->open)
		link_close(&m->link);
	m->open = false;
}
