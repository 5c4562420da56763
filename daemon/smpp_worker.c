/* smpp_worker.c - an SMPP link's thread: sockets, bind and rebind with a
 * capped backoff, the loop that moves bytes between the sockets and the
 * sessions (lib/smpp) and sleeps in poll() until the next deadline, the
 * unbind at shutdown, and the link's health row. */
#include "smpp_worker.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "link.h"
#include "log.h"
#include "stop.h"
#include "worker.h"

#define RECONNECT_MIN_MS 1000
#define RECONNECT_MAX_MS 60000
/* How long a shutdown waits for the SMSC's unbind_resp (and the answers
 * to submits still in the window, which come before it). */
#define UNBIND_WAIT_MS 5000
/* A link down this long gives its open jobs back to the queue, so that
 * other links and modems take them (all their parts are sent again). */
#define HOLD_OPEN_JOBS_MS 60000

static const char *const roles[] = {
	[SMPP_BIND_TRX] = "transceiver", [SMPP_BIND_TX] = "transmitter",
	[SMPP_BIND_RX] = "receiver",
};

struct smpp_link *smpp_link_new(struct worker *w)
{
	struct smpp_link *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->w = w;
	l->conn_count = w->cfg->smpp.bind == CFG_SMPP_TRANSCEIVER ? 1 : 2;
	for (size_t i = 0; i < 2; i++)
		l->conn[i].fd = -1;
	l->throttle_ms = 100;
	smpp_jobs_init(&l->jobs);
	return l;
}

void smpp_link_free(struct smpp_link *l)
{
	free(l);
}

static const char *link_name(const struct smpp_link *l)
{
	return l->w->cfg->name;
}

/* Shutdown, or a reload that removed or changed the link. */
static bool stopping(const struct smpp_link *l)
{
	return halt_requested(&l->w->halt);
}

/* The debug trace of every PDU, the bind password masked (smpp_trace). */
static void trace_pdu(void *arg, bool outgoing, const uint8_t *pdu, size_t len)
{
	const struct smpp_link *l = arg;
	char text[1200];
	if (!log_enabled(LOG_LEVEL_DEBUG))
		return;
	smpp_trace(pdu, len, text, sizeof text);
	log_debug("smpp %s %s %s", link_name(l), outgoing ? ">" : "<", text);
}

/* ---- connections ---- */

static enum smpp_bind_mode mode_of(const struct smpp_link *l, size_t i)
{
	if (l->conn_count == 1)
		return SMPP_BIND_TRX;
	return i == 0 ? SMPP_BIND_TX : SMPP_BIND_RX;
}

static void conn_close(struct smpp_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	smpp_session_wipe(&c->session);
}

static int conn_open(struct smpp_link *l, size_t i, struct errbuf *err)
{
	const struct cfg_modem *m = l->w->cfg;
	struct smpp_conn *c = &l->conn[i];
	enum smpp_bind_mode mode = mode_of(l, i);
	char port[8];
	snprintf(port, sizeof port, "%d", m->smpp.port);
	c->role = roles[mode];
	c->fd = link_tcp_connect(m->smpp.host, port, m->device, err);
	if (c->fd < 0)
		return -1;
	struct smpp_session_config sc = {
		.mode = mode,
		.window = m->smpp.window,
		.enquire_link_ms = m->smpp.enquire_link_ms,
		.response_timeout_ms = m->send_timeout_ms,
		.trace = trace_pdu,
		.trace_arg = l,
	};
	snprintf(sc.bind.system_id, sizeof sc.bind.system_id, "%s", m->smpp.system_id);
	snprintf(sc.bind.password, sizeof sc.bind.password, "%s", m->smpp.password);
	snprintf(sc.bind.system_type, sizeof sc.bind.system_type, "%s",
		 m->smpp.system_type ? m->smpp.system_type : "");
	int rc = smpp_session_start(&c->session, &sc, clock_mono_ms(), err);
	explicit_bzero(sc.bind.password, sizeof sc.bind.password);
	if (rc < 0)
		conn_close(c);
	return rc;
}

/* Writes what the session has queued, as far as the socket takes it now.
 * Returns 0, or -1 when the socket failed. */
static int conn_flush(struct smpp_conn *c, struct errbuf *err)
{
	size_t len;
	const uint8_t *out;
	while ((out = smpp_session_output(&c->session, &len)), len > 0) {
		ssize_t n = send(c->fd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			smpp_session_wrote(&c->session, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return errbuf_set(err, "write: %s", strerror(errno));
	}
	return 0;
}

/* Reads what the socket has now into the session, as much as the session
 * has room for (a burst of receipts waits in the socket until the events
 * before it are pulled). Returns 0, or -1 when the SMSC closed the
 * connection or it failed. */
static int conn_read(struct smpp_conn *c, int64_t now, struct errbuf *err)
{
	uint8_t buf[16384];
	size_t room;
	while ((room = smpp_session_room(&c->session)) > 0) {
		ssize_t n = recv(c->fd, buf, room < sizeof buf ? room : sizeof buf, MSG_DONTWAIT);
		if (n > 0) {
			(void)smpp_session_feed(&c->session, buf, (size_t)n, now);
			continue;
		}
		if (n == 0)
			return errbuf_set(err, "connection closed by the SMSC");
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return errbuf_set(err, "read: %s", strerror(errno));
	}
	return 0;
}

/* ---- health ---- */

static void note_bound(struct smpp_link *l, struct smpp_conn *c, const char *smsc_id)
{
	struct at_info info = { .creg_stat = -1, .rssi = -1, .ber = -1 };
	snprintf(l->smsc_id, sizeof l->smsc_id, "%.15s", smsc_id);
	snprintf(info.operator_name, sizeof info.operator_name, "%.15s", smsc_id);
	snprintf(info.model, sizeof info.model, "SMPP 3.4");
	snprintf(info.revision, sizeof info.revision, "%s", c->role);
	health_take_info(&l->w->health, &info);
	log_info("smpp %s: bound as %s to %s (%s)", link_name(l), c->role,
		 smsc_id[0] ? smsc_id : "the SMSC", l->w->cfg->device);
}

static void note_down(struct smpp_link *l, const char *why)
{
	health_note_error(&l->w->health, why);
	health_set_state(&l->w->health, MODEM_FAILING, why);
	health_flush(&l->w->health, clock_mono_ms());
}

/* ---- the bound loop ---- */

struct run {
	bool was_bound;                 /* every connection got bound */
	bool unbinding;
	int64_t unbind_deadline;
	char why[ERRBUF_MAX];           /* why the session ended */
};

static void refill(struct smpp_link *l, const struct run *r, int64_t now);

/* Handles the events of c. Returns false when its session is over. */
static bool conn_events(struct smpp_link *l, struct smpp_conn *c, int64_t now, struct run *r)
{
	struct smpp_event ev;
	while (smpp_session_next_event(&c->session, now, &ev)) {
		switch (ev.type) {
		case SMPP_EV_BOUND:
			note_bound(l, c, ev.text);
			break;
		case SMPP_EV_SUBMIT_RESP:
			smpp_send_answered(l, ev.tag, ev.status, ev.text, now);
			/* The freed slot is filled and sent before the next answer
			 * is recorded: the window stays full while the store
			 * works through a burst of answers. */
			refill(l, r, now);
			break;
		case SMPP_EV_DELIVER:
			smpp_session_ack(&c->session, ev.seq, smpp_send_delivered(l, &ev.msg));
			break;
		case SMPP_EV_CLOSED:
			snprintf(r->why, sizeof r->why, "%s: %.200s", c->role, ev.text);
			return false;
		case SMPP_EV_NONE:
			break;
		}
	}
	return true;
}

static bool all_bound(const struct smpp_link *l)
{
	for (size_t i = 0; i < l->conn_count; i++) {
		if (l->conn[i].session.state != SMPP_BOUND)
			return false;
	}
	return true;
}

/* Fills the transmitting session's window: due parts first, then newly
 * claimed jobs while there is room. */
static void fill_window(struct smpp_link *l, int64_t now)
{
	struct smpp_conn *tx = &l->conn[0];
	struct worker *w = l->w;
	for (;;) {
		while (smpp_send_next(l, tx, now))
			;
		if (!smpp_session_can_submit(&tx->session) || now < l->throttle_until ||
		    now < l->next_send || smpp_jobs_full(&l->jobs) ||
		    sendjob_holding(&w->send) || !queue_watch_probe_now(&w->watch, now) ||
		    !smpp_send_claim(l, now))
			return;
	}
}

static void refill(struct smpp_link *l, const struct run *r, int64_t now)
{
	struct errbuf err;
	if (r->unbinding || !all_bound(l) || stopping(l))
		return;
	fill_window(l, now);
	if (conn_flush(&l->conn[0], &err) < 0)
		smpp_session_lost(&l->conn[0].session, err.msg);
}

/* The moment the loop has something to do without input. */
static int64_t next_deadline(struct smpp_link *l, const struct run *r, int64_t now)
{
	struct worker *w = l->w;
	int64_t until = health_next_due(&w->health);
	for (size_t i = 0; i < l->conn_count; i++)
		until = min64(until, smpp_session_deadline(&l->conn[i].session));
	if (r->unbinding)
		return min64(until, r->unbind_deadline);
	if (sendjob_holding(&w->send))
		return min64(until, w->send.held_due);
	/* A full window waits for an answer (the socket), whatever is due. */
	if (!all_bound(l) || !smpp_session_can_submit(&l->conn[0].session))
		return until;
	until = min64(until, smpp_send_next_due(l, now));
	if (!smpp_jobs_full(&l->jobs))
		until = min64(until, max64(queue_watch_next(&w->watch),
					   max64(l->throttle_until, l->next_send)));
	return until;
}

/* Sleeps in poll() on the sockets (and the shutdown wake-up, and the
 * store's wake fd: PostgreSQL's NOTIFY of new work) until until; reads
 * what came and writes what waits. A failed socket closes its session
 * (the next turn sees it). Returns true. */
static bool wait_io(struct smpp_link *l, int64_t until)
{
	struct pollfd pfd[4];
	struct errbuf err;
	size_t n = 0;
	for (size_t i = 0; i < l->conn_count; i++) {
		size_t pending;
		smpp_session_output(&l->conn[i].session, &pending);
		pfd[n++] = (struct pollfd){ .fd = l->conn[i].fd,
					    .events = (short)(POLLIN | (pending ? POLLOUT : 0)) };
	}
	/* Once stopping, the wake-up stays readable: only the sockets count. */
	if (!stopping(l))
		pfd[n++] = (struct pollfd){ .fd = l->w->halt.fd, .events = POLLIN };
	if (!stopping(l) && l->w->watch.wake_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = l->w->watch.wake_fd, .events = POLLIN };
	int64_t now = clock_mono_ms();
	int timeout = until <= now ? 0 : (int)min64(until - now, 60000);
	if (poll(pfd, n, timeout) < 0 && errno != EINTR)
		return true;
	now = clock_mono_ms();
	queue_watch_woken(&l->w->watch, now);
	for (size_t i = 0; i < l->conn_count; i++) {
		struct smpp_conn *c = &l->conn[i];
		if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) && conn_read(c, now, &err) < 0)
			smpp_session_lost(&c->session, err.msg);
		if (conn_flush(c, &err) < 0)
			smpp_session_lost(&c->session, err.msg);
	}
	return true;
}

static void begin_unbind(struct smpp_link *l, struct run *r, int64_t now)
{
	r->unbinding = true;
	r->unbind_deadline = now + UNBIND_WAIT_MS;
	for (size_t i = 0; i < l->conn_count; i++)
		smpp_session_unbind(&l->conn[i].session, now);
}

/* One turn of the loop. Returns false when the link is to be closed. */
static bool step(struct smpp_link *l, struct run *r)
{
	struct worker *w = l->w;
	int64_t now = clock_mono_ms();
	/* Between turns nothing points into the config: a reload that keeps
	 * the link as it is (rates, profiles, retry) is taken here. */
	worker_adopt_config(w);
	for (size_t i = 0; i < l->conn_count; i++) {
		if (!conn_events(l, &l->conn[i], now, r))
			return false;
	}
	if (stopping(l) && !r->unbinding)
		begin_unbind(l, r, now);
	if (r->unbinding && now >= r->unbind_deadline) {
		snprintf(r->why, sizeof r->why, "no unbind_resp within %d s", UNBIND_WAIT_MS / 1000);
		return false;
	}
	if (l->rebind) {
		/* The account is at fault: the next bind waits out a growing
		 * backoff, as after a failed bind. */
		l->rebind = false;
		r->was_bound = false;
		snprintf(r->why, sizeof r->why, "the SMSC refused the account: %s", l->rebind_why);
		return false;
	}
	if (all_bound(l)) {
		r->was_bound = true;
		l->lost_at = 0;
		if (sendjob_holding(&w->send) && now >= w->send.held_due)
			sendjob_retry_held(&w->send, now);
		if (!r->unbinding)
			fill_window(l, now);
		health_set_state(&w->health, smpp_jobs_count(&l->jobs) ? MODEM_SENDING : MODEM_READY,
				 NULL);
	}
	health_flush(&w->health, now);
	return wait_io(l, next_deadline(l, r, now));
}

/* Connects and binds every connection, runs until the link ends, and
 * resolves what was left in the windows. Returns true when it got bound. */
static bool run_link(struct smpp_link *l)
{
	struct worker *w = l->w;
	struct run r = { 0 };
	struct errbuf err;
	health_set_state(&w->health, MODEM_CONNECTING, NULL);
	health_flush(&w->health, clock_mono_ms());
	for (size_t i = 0; i < l->conn_count; i++) {
		if (conn_open(l, i, &err) < 0) {
			snprintf(r.why, sizeof r.why, "%s", err.msg);
			for (size_t k = 0; k < i; k++)
				conn_close(&l->conn[k]);
			note_down(l, r.why);
			log_warnx("smpp %s: %s", link_name(l), r.why);
			return false;
		}
	}
	health_set_state(&w->health, MODEM_INITIALISING, NULL);
	queue_watch_touch(&w->watch);
	while (step(l, &r))
		;
	int64_t now = clock_mono_ms();
	for (size_t i = 0; i < l->conn_count; i++) {
		struct smpp_conn *c = &l->conn[i];
		size_t pending;
		/* Our last words (an unbind_resp, a deliver_sm_resp) still go out. */
		if (smpp_session_output(&c->session, &pending), pending)
			(void)conn_flush(c, &err);
		smpp_send_unanswered(l, c, now);
		conn_close(c);
	}
	if (!r.unbinding) {
		log_warnx("smpp %s: link down (%s)", link_name(l), r.why);
		note_down(l, r.why);
	} else {
		log_info("smpp %s: unbound (%s)", link_name(l), r.why);
	}
	return r.was_bound;
}

/* Sleeps until until or shutdown, the health row kept fresh. Returns
 * false on shutdown. */
static bool nap_until(struct smpp_link *l, int64_t until)
{
	for (;;) {
		int64_t now = clock_mono_ms();
		health_flush(&l->w->health, now);
		if (now >= until)
			return true;
		if (!halt_sleep_until(&l->w->halt, min64(until, health_next_due(&l->w->health))))
			return false;
	}
}

/* A link down too long gives its open jobs back to the queue. */
static void give_back_if_down_long(struct smpp_link *l)
{
	if (!l->lost_at || clock_mono_ms() - l->lost_at < HOLD_OPEN_JOBS_MS ||
	    smpp_jobs_count(&l->jobs) == 0)
		return;
	smpp_send_requeue_all(l, "modem", "SMPP link down for more than a minute between parts; "
			      "all parts will be resent");
}

void *smpp_worker_main(void *arg)
{
	struct worker *w = arg;
	struct smpp_link *l = w->smpp;
	int64_t delay = RECONNECT_MIN_MS;
	while (!stopping(l)) {
		worker_adopt_config(w);
		worker_commit_held(w);
		give_back_if_down_long(l);
		if (stopping(l))
			break;
		bool bound = run_link(l);
		if (stopping(l))
			break;
		if (!l->lost_at)
			l->lost_at = clock_mono_ms();
		delay = bound ? RECONNECT_MIN_MS : min64(delay * 2, RECONNECT_MAX_MS);
		log_info("smpp %s: binding again in %llds", link_name(l), (long long)(delay / 1000));
		nap_until(l, clock_mono_ms() + delay);
	}
	smpp_send_requeue_all(l, "interrupted", w->retired ?
			      "SMPP link removed or changed by a reload between parts; all parts "
			      "will be resent" : "otapd stopped between parts; all parts will be resent");
	worker_drain_held(w);
	return NULL;
}
