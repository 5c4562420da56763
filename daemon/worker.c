/* worker.c - the per-modem thread: connection lifecycle (connect, init,
 * reconnect with a capped delay) and the scheduling loop that decides what
 * the modem does next: a waiting part, a newly due job, or an idle check. */
#include "worker.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "log.h"
#include "sendjob.h"

#define RECONNECT_MIN_MS 1000
#define RECONNECT_MAX_MS 60000
/* How often an idle modem looks for due jobs: bounds the pick-up latency of
 * a newly enqueued job; the look-up is one indexed read. */
#define QUEUE_POLL_MS 200
/* Registration and signal check while idle. */
#define CHECK_INTERVAL_MS 60000

static bool stopping(const struct worker *w)
{
	return atomic_load(&w->daemon->stop);
}

/* Sleeps up to ms, waking early on shutdown. */
static void nap(const struct worker *w, int64_t ms)
{
	int64_t end = clock_mono_ms() + ms;
	while (!stopping(w) && clock_mono_ms() < end) {
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static struct pending_job *first_due_pending(struct worker *w, int64_t now, int64_t *earliest)
{
	struct pending_job *best = NULL;
	*earliest = INT64_MAX;
	for (size_t i = 0; i < w->pending_count; i++) {
		struct pending_job *p = &w->pending[i];
		if (p->due < *earliest)
			*earliest = p->due;
		if (p->due <= now && (!best || p->due < best->due))
			best = p;
	}
	return best;
}

static void note_send(struct worker *w)
{
	if (w->cfg->max_rate > 0)
		w->next_send = clock_mono_ms() + 60000 / w->cfg->max_rate;
}

/* Claims a due job if there is one (queue_claim looks read-only first, so
 * an idle poll takes no write lock). Returns true when one was started. */
static bool try_claim(struct worker *w, int64_t now)
{
	struct errbuf err;
	struct job job;
	int rc = store_claim(w->queue, w->cfg->name, clock_wall_ms(), &job, &err);
	if (rc < 0)
		log_errorx("modem %s: cannot claim a job: %s", w->cfg->name, err.msg);
	if (rc <= 0) {
		w->next_queue_poll = now + QUEUE_POLL_MS;
		return false;
	}
	sendjob_start(w, &job);
	return true;
}

static void idle_wait(struct worker *w, int64_t until)
{
	struct at_event ev;
	struct errbuf err;
	int rc = modem_poll(&w->modem, until, &ev, &err);
	if (rc < 0)
		log_warnx("modem %s: %s", w->cfg->name, err.msg);
	else if (rc > 0)
		sendjob_side_event(w, &ev);
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* One decision of the scheduling loop. Waiting parts come first (their job
 * started earlier), then new jobs; the modem never waits between sends when
 * work is due. */
static void worker_step(struct worker *w)
{
	int64_t now = clock_mono_ms();
	int64_t pending_due;
	struct pending_job *p = first_due_pending(w, now, &pending_due);
	bool idle = at_is_idle(&w->modem.at);   /* false while a health check runs */
	bool may_send = idle && now >= w->next_send;

	if (p && may_send) {
		sendjob_continue(w, p);
		note_send(w);
		return;
	}
	if (may_send && w->pending_count < WORKER_MAX_PENDING && now >= w->next_queue_poll &&
	    try_claim(w, now))
		return;
	if (now >= w->next_check && idle) {
		at_start_check(&w->modem.at, now);
		w->next_check = now + CHECK_INTERVAL_MS;
		return;
	}
	if (!idle) {
		idle_wait(w, now + 50);
		return;
	}
	/* Sleep until the earliest moment something can be done. */
	int64_t until = w->next_check;
	if (w->pending_count > 0)
		until = min64(until, max64(pending_due, w->next_send));
	if (w->pending_count < WORKER_MAX_PENDING)
		until = min64(until, max64(w->next_queue_poll, w->next_send));
	idle_wait(w, until);
}

static void run_connected(struct worker *w)
{
	w->need_reinit = false;
	w->consecutive_timeouts = 0;
	w->next_check = clock_mono_ms() + CHECK_INTERVAL_MS;
	while (!stopping(w) && w->modem.open && !w->need_reinit)
		worker_step(w);
	sendjob_requeue_all(w, stopping(w) ? "interrupted" : "modem",
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
			nap(w, delay);
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
	w->rand_state = (unsigned)clock_mono_ms() ^ (unsigned)(uintptr_t)w;
	for (size_t i = 0; i < daemon->cfg->profile_count; i++)
		status_reports |= daemon->cfg->profiles[i].status_report;
	modem_setup(&w->modem, cfg, status_reports, &daemon->stop);
	if (store_open(daemon->db_path, &w->queue, &err) < 0) {
		log_errorx("modem %s: %s", cfg->name, err.msg);
		return -1;
	}
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
