/* worker.c - the per-modem thread: connection lifecycle (connect, init,
 * reconnect with a capped delay) and the scheduling loop that decides what
 * the modem does next: a waiting part, a newly due job, or an idle check. */
#include "worker.h"

#include <stdio.h>
#include <string.h>
#include "clock.h"
#include "log.h"
#include "stop.h"

#define RECONNECT_MIN_MS 1000
#define RECONNECT_MAX_MS 60000
/* Registration and signal check while idle. */
#define CHECK_INTERVAL_MS 60000
/* Consecutive no-answer failures after which the modem is re-initialised. */
#define WATCHDOG_TIMEOUTS 3

static bool stopping(const struct worker *w)
{
	return stop_requested(w->daemon);
}

/* Counts one exchange without an answer; enough of them in a row mean the
 * modem is wedged. */
static bool watchdog_bites(struct worker *w)
{
	return ++w->consecutive_timeouts >= WATCHDOG_TIMEOUTS;
}

/* Takes in what a sendjob call saw: the worker alone decides about the
 * modem (re-init, watchdog). */
static void take_report(struct worker *w, const struct sendjob_report *r)
{
	if (r->answered)
		w->consecutive_timeouts = 0;
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

/* Claims a due job if there is one (queue_claim looks read-only first, so
 * a probe that finds nothing takes no write lock). Returns true when one was
 * started. */
static bool try_claim(struct worker *w, int64_t now)
{
	struct errbuf err;
	struct job job;
	int rc = store_claim(w->queue, w->cfg->name, clock_wall_ms(), &job, &err);
	if (rc < 0)
		log_errorx("modem %s: cannot claim a job: %s", w->cfg->name, err.msg);
	if (rc <= 0) {
		queue_watch_found_nothing(&w->watch, now, rc < 0);
		return false;
	}
	struct sendjob_report r = sendjob_start(&w->send, &job);
	take_report(w, &r);
	return true;
}

static void idle_wait(struct worker *w, int64_t until)
{
	struct at_event ev;
	struct errbuf err;
	int rc = modem_poll(&w->modem, until, &ev, &err);
	if (rc < 0)
		log_warnx("modem %s: %s", w->cfg->name, err.msg);
	else if (rc > 0) {
		struct sendjob_report r = sendjob_side_event(&w->send, &ev);
		take_report(w, &r);
	}
}

/* One decision of the scheduling loop. Waiting parts come first (their job
 * started earlier), then new jobs; the modem never waits between sends when
 * work is due. */
static void worker_step(struct worker *w)
{
	int64_t now = clock_mono_ms();
	int64_t pending_due;
	struct pending_job *p = pending_first_due(&w->send.pending, now, &pending_due);
	bool idle = at_is_idle(&w->modem.at);   /* false while a health check runs */
	bool may_send = idle && now >= w->next_send;

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
	int64_t until = w->next_check;
	if (pending_count(&w->send.pending) > 0)
		until = min64(until, max64(pending_due, w->next_send));
	if (!pending_full(&w->send.pending))
		until = min64(until, max64(queue_watch_next(&w->watch), w->next_send));
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
	sendjob_requeue_all(&w->send, stopping(w) ? "interrupted" : "modem",
			    stopping(w) ? "otapd stopped between parts; all parts will be resent"
					: "modem re-initialised between parts; all parts will be resent");
	modem_disconnect(&w->modem);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int64_t delay = RECONNECT_MIN_MS;

	while (!stopping(w)) {
		struct errbuf err;
		bool fatal;
		if (modem_connect(&w->modem, &fatal, &err) < 0) {
			if (stopping(w))
				break;
			if (fatal) {
				log_errorx("modem %s: %s; modem disabled until otapd restarts",
					   w->cfg->name, err.msg);
				break;
			}
			log_warnx("modem %s: %s; retrying in %llds", w->cfg->name, err.msg,
				  (long long)(delay / 1000));
			stop_sleep_until(w->daemon, clock_mono_ms() + delay);
			delay = min64(delay * 2, RECONNECT_MAX_MS);
			continue;
		}
		log_info("modem %s: ready (%s)", w->cfg->name, w->cfg->device);
		delay = RECONNECT_MIN_MS;
		run_connected(w);
	}
	return NULL;
}

int worker_start(struct worker *w, struct daemon_ctx *daemon, const struct cfg_modem *cfg)
{
	struct errbuf err;
	bool status_reports = false;

	memset(w, 0, sizeof *w);
	w->daemon = daemon;
	w->cfg = cfg;
	for (size_t i = 0; i < daemon->cfg->profile_count; i++)
		status_reports |= daemon->cfg->profiles[i].status_report;
	modem_setup(&w->modem, cfg, status_reports, &daemon->stop, daemon->wake_fd);
	if (store_open(daemon->db_path, &w->queue, &err) < 0) {
		log_errorx("modem %s: %s", cfg->name, err.msg);
		return -1;
	}
	sendjob_init(&w->send, daemon->cfg, cfg, &w->modem, w->queue,
		     (unsigned)clock_mono_ms() ^ (unsigned)(uintptr_t)w);
	queue_watch_init(&w->watch, w->queue, cfg->name);
	int rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc != 0) {
		store_close(w->queue);
		return -1;
	}
	return 0;
}

void worker_join(struct worker *w)
{
	pthread_join(w->thread, NULL);
	store_close(w->queue);
}
