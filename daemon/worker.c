/* worker.c - the per-modem thread: connection lifecycle (connect, init,
 * reconnect with a capped delay) and the scheduling loop that decides what
 * the modem does next: a waiting part, a newly due job, or an idle check. */
#include "worker.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "log.h"
#include "smpp_worker.h"
#include "stop.h"

#define RECONNECT_MIN_MS 1000
#define RECONNECT_MAX_MS 60000
/* Registration and signal check while idle. */
#define CHECK_INTERVAL_MS 60000
/* Consecutive no-answer failures after which the modem is re-initialised. */
#define WATCHDOG_TIMEOUTS 3
/* The breaker's backoff (breaker.h): a modem at fault waits this long
 * before it is used again, doubling per failure in a row. */
#define BREAKER_BACKOFF_MIN_MS 1000
#define BREAKER_BACKOFF_MAX_MS (5 * 60 * 1000)
/* Different units failing in a row with the same error on one modem, while
 * others send, that make the error the modem's. */
#define BREAKER_SUSPECT_JOBS 3
/* How long a shutdown waits for outcomes the store has not taken yet
 * before they go to the recovery file. */
#define SHUTDOWN_RECORD_MS 5000

static bool stopping(const struct worker *w)
{
	return halt_requested(&w->halt);
}

static bool any_status_reports(const struct cfg *cfg)
{
	for (size_t i = 0; i < cfg->profile_count; i++) {
		if (cfg->profiles[i].status_report)
			return true;
	}
	return false;
}

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool worker_keeps_link(const struct cfg *was, const struct cfg_modem *was_m,
		       const struct cfg *now, const struct cfg_modem *now_m,
		       char *changed, size_t size)
{
	const struct { bool differs; const char *what; } checks[] = {
		{ strcmp(was_m->name, now_m->name) != 0, "name" },
		{ strcmp(was_m->device, now_m->device) != 0, "device" },
		{ was_m->baudrate != now_m->baudrate, "baudrate" },
		{ was_m->flow_control != now_m->flow_control, "flow_control" },
		{ !same_text(was_m->pin, now_m->pin), "pin" },
		{ !same_text(was_m->smsc, now_m->smsc), "smsc" },
		{ was_m->send_timeout_ms != now_m->send_timeout_ms, "send_timeout" },
		{ any_status_reports(was) != any_status_reports(now),
		  "status reports (a profile's status_report)" },
		/* An SMPP link's account and session (the device holds the
		 * system_id, host and port). */
		{ !same_text(was_m->smpp.password, now_m->smpp.password), "password" },
		{ !same_text(was_m->smpp.system_type, now_m->smpp.system_type), "system_type" },
		{ !same_text(was_m->smpp.source_addr, now_m->smpp.source_addr) ||
		  was_m->smpp.source_ton != now_m->smpp.source_ton ||
		  was_m->smpp.source_npi != now_m->smpp.source_npi, "source address" },
		{ was_m->smpp.window != now_m->smpp.window, "window" },
		{ was_m->smpp.enquire_link_ms != now_m->smpp.enquire_link_ms, "enquire_link" },
		{ was_m->smpp.bind != now_m->smpp.bind, "bind" },
	};
	size_t used = 0;
	if (size > 0)
		changed[0] = '\0';
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		if (checks[i].differs && used < size)
			used += (size_t)snprintf(changed + used, size - used, "%s%s", used ? ", " : "",
						 checks[i].what);
	}
	return used == 0;
}

/* Points everything that borrows from the worker's config at m of next,
 * whose link settings are the same (worker_keeps_link): profiles, retry,
 * split delay and the modem's rate and breaker limit take effect from the
 * next step; jobs between parts keep the messages already built. */
static void point_at(struct worker *w, const struct cfg *next, const struct cfg_modem *m)
{
	w->cfg = m;
	w->modem.cfg = m;
	w->modem.link.cfg = m;
	w->modem.at.set.pin = m->pin;
	w->modem.at.set.smsc = m->smsc;
	w->send.cfg = next;
	w->send.modem_cfg = m;
	w->breaker.cfg.max_failures = m->max_failures;
}

/* Between steps (no pointer into the old config is in use): takes the
 * newest config when a reload published one that keeps this modem as it
 * runs. Otherwise the reload is about to halt this worker; it stays on its
 * config until then. */
void worker_adopt_config(struct worker *w)
{
	struct cfg_holder *h = &w->daemon->config;
	if (!cfg_snap_outdated(h, w->snap) || atomic_load(&h->gen) == w->refused_gen)
		return;
	struct cfg_snap *next = cfg_snap_acquire(h);
	const struct cfg_modem *m = cfg_modem(&next->cfg, w->name);
	char changed[200];
	if (!m || !worker_keeps_link(&w->snap->cfg, w->cfg, &next->cfg, m, changed, sizeof changed)) {
		w->refused_gen = next->gen;
		cfg_snap_release(h, next);
		return;
	}
	point_at(w, &next->cfg, m);
	cfg_snap_release(h, w->snap);
	w->snap = next;
	log_debug("modem %s: configuration %lu taken", w->name, next->gen);
}

/* Counts one exchange without an answer; enough of them in a row mean the
 * modem is wedged. */
static bool watchdog_bites(struct worker *w)
{
	return ++w->consecutive_timeouts >= WATCHDOG_TIMEOUTS;
}

/* One log line per change of the breaker's state, saying why in words. */
static void log_breaker(struct worker *w, const char *why)
{
	const struct breaker *b = &w->breaker;
	snprintf(w->breaker_why, sizeof w->breaker_why, "%s", why);
	long long secs = (long long)((b->backoff_ms + 999) / 1000);
	switch (b->state) {
	case BREAKER_OK:
		log_info("modem %s: ok again (%s)", w->cfg->name, why);
		break;
	case BREAKER_FAILING:
		log_warnx("modem %s: failing (%s); not used for %llds", w->cfg->name, why, secs);
		break;
	case BREAKER_DISABLED:
		log_errorx("modem %s: disabled after %d failures in a row (last: %s); health check "
			   "(AT, SIM, registration) in %llds", w->cfg->name, b->failures, why, secs);
		break;
	}
}

/* A send got through: the modem is fine, and the other modems learn it. */
static void note_success(struct worker *w)
{
	w->sends_ok++;
	atomic_fetch_add(&w->daemon->sends_ok, 1);
	if (breaker_success(&w->breaker))
		log_breaker(w, "a send got through");
}

static void note_failure(struct worker *w, const struct sendjob_report *r)
{
	if (!breaker_failure(&w->breaker, clock_mono_ms(), r->fault, r->fault_code, r->job_id))
		return;
	log_breaker(w, r->detail);
	if (w->breaker.state == BREAKER_DISABLED)
		w->need_reinit = true;  /* the link closes until the health check */
}

/* Takes in what a sendjob call saw: the worker alone decides about the
 * modem (re-init, watchdog, breaker). */
static void take_report(struct worker *w, const struct sendjob_report *r)
{
	if (r->answered) {
		w->consecutive_timeouts = 0;
		note_success(w);
	}
	health_count(&w->health, r->answered ? 1 : 0, r->failed_send ? 1 : 0);
	if (r->failed_send) {
		health_note_error(&w->health, r->detail);
		note_failure(w, r);
	}
	for (int i = 0; i < r->side_timeouts; i++) {
		if (watchdog_bites(w)) {
			log_warnx("modem %s: stopped answering, re-initialising", w->cfg->name);
			w->need_reinit = true;
		}
	}
	if (r->send_unanswered && watchdog_bites(w)) {
		log_warnx("modem %s: %d exchanges without an answer, re-initialising", w->cfg->name,
			  w->consecutive_timeouts);
		w->need_reinit = true;
	}
	if (r->reinit)
		w->need_reinit = true;
	/* Any call may have committed on our connection, which data_version
	 * does not show (a retry's new not_before, a status report's resend). */
	queue_watch_touch(&w->watch);
}

static void note_send(struct worker *w)
{
	if (w->cfg->max_rate > 0)
		w->next_send = clock_mono_ms() + 60000 / w->cfg->max_rate;
}

bool worker_claim(struct worker *w, int64_t now, const char *kind, struct job *out)
{
	struct errbuf err;
	int64_t probed_at = clock_wall_ms();
	int rc = store_claim(w->queue, w->cfg->name, probed_at, out, &err);
	if (rc < 0)
		log_errorx("%s %s: cannot claim a job: %s", kind, w->cfg->name, err.msg);
	if (rc <= 0)
		queue_watch_found_nothing(&w->watch, now, probed_at, rc < 0);
	return rc > 0;
}

/* Claims a due job if there is one and starts it. Returns true when one
 * was started. */
static bool try_claim(struct worker *w, int64_t now)
{
	struct job job;
	if (!worker_claim(w, now, "modem", &job))
		return false;
	struct sendjob_report r = sendjob_start(&w->send, &job);
	take_report(w, &r);
	return true;
}

static void idle_wait(struct worker *w, int64_t until)
{
	struct at_event ev;
	struct errbuf err;
	int rc = modem_poll_or(&w->modem, until, w->watch.wake_fd, &ev, &err);
	if (rc < 0)
		log_warnx("modem %s: %s", w->cfg->name, err.msg);
	else if (rc > 0) {
		struct sendjob_report r = sendjob_side_event(&w->send, &ev);
		take_report(w, &r);
	}
	queue_watch_woken(&w->watch, clock_mono_ms());
}

/* The modem's health while it is connected: the breaker's say first, then
 * whether a job is on it; written when due (health.h). */
static void connected_health(struct worker *w, int64_t now)
{
	switch (w->breaker.state) {
	case BREAKER_FAILING:
		health_set_state(&w->health, MODEM_FAILING, w->breaker_why);
		break;
	case BREAKER_DISABLED:
		health_set_state(&w->health, MODEM_DISABLED, w->breaker_why);
		break;
	case BREAKER_OK:
		health_set_state(&w->health, pending_count(&w->send.pending) > 0 || sendjob_holding(&w->send)
						     ? MODEM_SENDING : MODEM_READY, NULL);
		break;
	}
	health_take_info(&w->health, at_info(&w->modem.at));
	health_flush(&w->health, now);
}

/* One decision of the scheduling loop. Waiting parts come first (their job
 * started earlier), then new jobs; the modem never waits between sends when
 * work is due. */
static void worker_step(struct worker *w)
{
	worker_adopt_config(w);
	int64_t now = clock_mono_ms();
	connected_health(w, now);
	if (sendjob_holding(&w->send)) {
		/* No new work while an outcome waits for the store. */
		if (now >= w->send.held_due)
			sendjob_retry_held(&w->send, now);
		else
			idle_wait(w, w->send.held_due);
		return;
	}
	int64_t pending_due;
	struct pending_job *p = pending_first_due(&w->send.pending, now, &pending_due);
	bool idle = at_is_idle(&w->modem.at);   /* false while a health check runs */
	/* The rate limit and the breaker's backoff. */
	int64_t send_at = max64(w->next_send, breaker_next_try(&w->breaker));
	bool may_send = idle && now >= send_at && breaker_may_send(&w->breaker, now);

	if (may_send)
		breaker_observe_others(&w->breaker, atomic_load(&w->daemon->sends_ok) - w->sends_ok);
	if (p && may_send) {
		struct sendjob_report r = sendjob_continue(&w->send, p);
		take_report(w, &r);
		note_send(w);
		return;
	}
	if (may_send && !pending_full(&w->send.pending) && queue_watch_probe_now(&w->watch, now) &&
	    try_claim(w, now))
		return;
	if (now >= w->next_check && idle) {
		at_start_check(&w->modem.at, now);
		w->next_check = now + CHECK_INTERVAL_MS;
		return;
	}
	if (!idle) {
		/* The check ends with a bare OK, which is no event: look again soon. */
		idle_wait(w, now + 50);
		return;
	}
	/* Sleep until the earliest moment something can be done. */
	int64_t until = min64(w->next_check, health_next_due(&w->health));
	if (pending_count(&w->send.pending) > 0)
		until = min64(until, max64(pending_due, send_at));
	if (!pending_full(&w->send.pending))
		until = min64(until, max64(queue_watch_next(&w->watch), send_at));
	idle_wait(w, until);
}

static void run_connected(struct worker *w)
{
	w->need_reinit = false;
	w->consecutive_timeouts = 0;
	w->next_check = clock_mono_ms() + CHECK_INTERVAL_MS;
	queue_watch_touch(&w->watch);
	while (!stopping(w) && w->modem.open && !w->need_reinit)
		worker_step(w);
	const char *why = !stopping(w) ? "modem re-initialised between parts; all parts will be resent"
			  : w->retired ? "modem removed or changed by a reload between parts; all "
					 "parts will be resent"
				       : "otapd stopped between parts; all parts will be resent";
	sendjob_requeue_all(&w->send, stopping(w) ? "interrupted" : "modem", why);
	modem_disconnect(&w->modem);
}

/* Sleeps until the monotonic time until, whatever the stop flag says
 * (a shutdown waiting for the store). */
static void sleep_until(int64_t until)
{
	int64_t now;
	while ((now = clock_mono_ms()) < until) {
		int64_t ms = until - now;
		struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* Without a modem link: commit held outcomes until they are in or otapd
 * stops. */
void worker_commit_held(struct worker *w)
{
	while (sendjob_holding(&w->send) && halt_sleep_until(&w->halt, w->send.held_due))
		sendjob_retry_held(&w->send, clock_mono_ms());
}

/* At shutdown: a bounded wait for the held outcomes, each store call
 * limited to the time left. What is still held afterwards goes to the
 * recovery file (otapd.c, after the join). */
void worker_drain_held(struct worker *w)
{
	int64_t deadline = clock_mono_ms() + SHUTDOWN_RECORD_MS;
	int64_t now;
	while (sendjob_holding(&w->send) && (now = clock_mono_ms()) < deadline) {
		sleep_until(min64(w->send.held_due, deadline));
		now = clock_mono_ms();
		if (now >= deadline)
			break;
		store_set_busy_timeout(w->queue, (int)min64(deadline - now, 10000));
		sendjob_retry_held(&w->send, now);
	}
	if (sendjob_holding(&w->send))
		log_errorx("modem %s: %zu outcome(s) still not recorded after %ds; they go to the "
			   "recovery file", w->cfg->name, w->send.held_count, SHUTDOWN_RECORD_MS / 1000);
}

/* Sleeps until the monotonic time until or shutdown, keeping the modem's
 * health row fresh meanwhile. Returns false on shutdown. */
static bool nap_until(struct worker *w, int64_t until)
{
	for (;;) {
		int64_t now = clock_mono_ms();
		health_flush(&w->health, now);
		if (now >= until)
			return true;
		if (!halt_sleep_until(&w->halt, min64(until, health_next_due(&w->health))))
			return false;
	}
}

/* Before (re)connecting: a failing or disabled modem waits out its backoff. */
static void wait_for_breaker(struct worker *w)
{
	int64_t next = breaker_next_try(&w->breaker);
	if (next > clock_mono_ms())
		nap_until(w, next);
}

/* Connecting and initialising are shown only while nothing is wrong: a
 * failing or disabled modem keeps saying why until it is ready again. */
static void show_progress(struct worker *w, enum modem_state state)
{
	enum modem_state now = health_state(&w->health);
	if (now != MODEM_FAILING && now != MODEM_DISABLED)
		health_set_state(&w->health, state, NULL);
	health_flush(&w->health, clock_mono_ms());
}

/* Opens the link and initialises the modem, its health following. */
static int connect_modem(struct worker *w, bool *fatal, struct errbuf *err)
{
	*fatal = false;
	show_progress(w, MODEM_CONNECTING);
	if (modem_open(&w->modem, err) < 0) {
		health_forget_network(&w->health);
		return -1;
	}
	show_progress(w, MODEM_INITIALISING);
	int rc = modem_initialise(&w->modem, fatal, err);
	health_take_info(&w->health, at_info(&w->modem.at));
	return rc;
}

/* A connection or init that failed: failing (disabled when retrying would
 * harm, a rejected PIN) with the reason, at once. */
static void note_connect_failed(struct worker *w, bool fatal, const char *why)
{
	health_note_error(&w->health, why);
	if (w->breaker.state == BREAKER_DISABLED)
		health_set_state(&w->health, MODEM_DISABLED, w->breaker_why);
	else
		health_set_state(&w->health, fatal ? MODEM_DISABLED : MODEM_FAILING, why);
	health_flush(&w->health, clock_mono_ms());
}

static void note_connected(struct worker *w)
{
	log_info("modem %s: ready (%s)", w->cfg->name, w->cfg->device);
	if (breaker_health_passed(&w->breaker, clock_mono_ms()))
		log_warnx("modem %s: health check passed; failing: one send will be tried",
			  w->cfg->name);
}

/* A modem disabled until otapd restarts still has a row that must not go
 * stale while otapd runs: it says disabled, and why, until shutdown. */
static void linger_disabled(struct worker *w)
{
	while (nap_until(w, health_next_due(&w->health)))
		;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int64_t delay = RECONNECT_MIN_MS;

	while (!stopping(w)) {
		struct errbuf err;
		bool fatal;
		worker_adopt_config(w);
		worker_commit_held(w);
		wait_for_breaker(w);
		if (stopping(w))
			break;
		if (connect_modem(w, &fatal, &err) < 0) {
			if (stopping(w))
				break;
			if (fatal) {
				log_errorx("modem %s: %s; modem disabled until otapd restarts or a reload "
					   "changes the modem", w->cfg->name, err.msg);
				char why[sizeof err.msg + 64];
				snprintf(why, sizeof why, "%s; until otapd restarts or a reload changes the "
					 "modem", err.msg);
				note_connect_failed(w, true, why);
				linger_disabled(w);
				break;
			}
			log_warnx("modem %s: %s; retrying in %llds", w->cfg->name, err.msg,
				  (long long)(delay / 1000));
			note_connect_failed(w, false, err.msg);
			nap_until(w, clock_mono_ms() + delay);
			delay = min64(delay * 2, RECONNECT_MAX_MS);
			continue;
		}
		note_connected(w);
		delay = RECONNECT_MIN_MS;
		run_connected(w);
	}
	worker_drain_held(w);
	return NULL;
}

int worker_start(struct worker *w, struct daemon_ctx *daemon, struct cfg_snap *snap,
		 const struct cfg_modem *cfg)
{
	struct errbuf err;

	memset(w, 0, sizeof *w);
	w->daemon = daemon;
	w->cfg = cfg;
	snprintf(w->name, sizeof w->name, "%s", cfg->name);
	if (halt_init(&w->halt, &err) < 0) {
		log_errorx("modem %s: %s", cfg->name, err.msg);
		return -1;
	}
	modem_setup(&w->modem, cfg, any_status_reports(&snap->cfg), &w->halt.flag, w->halt.fd);
	if (store_open(daemon->db_path, &w->queue, &err) < 0) {
		log_errorx("modem %s: %s", cfg->name, err.msg);
		halt_close(&w->halt);
		return -1;
	}
	health_init(&w->health, cfg->name, daemon->db_path);
	struct breaker_config bc = {
		.max_failures = cfg->max_failures,
		.backoff_min_ms = BREAKER_BACKOFF_MIN_MS,
		.backoff_max_ms = BREAKER_BACKOFF_MAX_MS,
		.suspect_jobs = BREAKER_SUSPECT_JOBS,
	};
	breaker_init(&w->breaker, &bc);
	sendjob_init(&w->send, &snap->cfg, cfg, &w->modem, w->queue, &w->breaker,
		     (unsigned)clock_mono_ms() ^ (unsigned)(uintptr_t)w);
	w->send.hooks = daemon->hooks;
	queue_watch_init(&w->watch, w->queue, w->name);  /* outlives a reload */
	/* The other modems' successes count from now (breaker_observe_others). */
	w->sends_ok = atomic_load(&daemon->sends_ok);
	cfg_snap_hold(&daemon->config, snap);
	w->snap = snap;
	/* The one place a transport picks its thread: an SMPP link is windowed
	 * and asynchronous, not an AT dialogue. */
	void *(*body)(void *) = worker_main;
	if (cfg->is_smpp) {
		body = smpp_worker_main;
		w->smpp = smpp_link_new(w);
	}
	int rc = cfg->is_smpp && !w->smpp ? ENOMEM : pthread_create(&w->thread, NULL, body, w);
	if (rc != 0) {
		log_errorx("modem %s: cannot start its thread: %s", cfg->name, strerror(rc));
		smpp_link_free(w->smpp);
		w->smpp = NULL;
		cfg_snap_release(&daemon->config, snap);
		health_close(&w->health);
		store_close(w->queue);
		halt_close(&w->halt);
		return -1;
	}
	return 0;
}

void worker_halt(struct worker *w, bool retire)
{
	/* Before the halt: the thread reads it once it sees the halt. */
	if (retire)
		w->retired = true;
	halt_request(&w->halt);
}

void worker_join(struct worker *w)
{
	pthread_join(w->thread, NULL);
	worker_joined(w);
}

void worker_joined(struct worker *w)
{
	smpp_link_free(w->smpp);
	w->smpp = NULL;
	health_close(&w->health);
	store_close(w->queue);
	halt_close(&w->halt);
	cfg_snap_release(&w->daemon->config, w->snap);
	w->snap = NULL;
	w->cfg = NULL;  /* it pointed into the snapshot */
}

size_t worker_unrecorded(const struct worker *w, const struct sendjob_record **out)
{
	*out = w->send.held;
	return w->send.held_count;
}
