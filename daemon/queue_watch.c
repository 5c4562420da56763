/* queue_watch.c - cheap change detection on the shared queue for an idle
 * modem (queue_watch.h). */
#include "queue_watch.h"

#include "clock.h"
#include "log.h"

/* Longest trust in a computed due time: it came from the wall clock, which
 * may be stepped; an idle modem probes at least this often. */
#define QUEUE_WATCH_RESYNC_MS 60000

void queue_watch_init(struct queue_watch *qw, struct store *q, const char *modem)
{
	qw->queue = q;
	qw->modem = modem;
	qw->changed = true;
	qw->version = -1;
	qw->next_version = 0;
	qw->due = 0;
	qw->wake_fd = store_wake_fd(q);
}

void queue_watch_touch(struct queue_watch *qw)
{
	qw->changed = true;
}

/* Looks at data_version; a failure counts as a change (probe rather than
 * miss a job). */
static void look_at_version(struct queue_watch *qw, int64_t now)
{
	struct errbuf err;
	int64_t v;
	qw->next_version = now + QUEUE_WATCH_VERSION_MS;
	if (store_data_version(qw->queue, &v, &err) < 0) {
		log_errorx("modem %s: %s", qw->modem, err.msg);
		qw->changed = true;
		return;
	}
	if (v != qw->version)
		qw->changed = true;
	qw->version = v;
}

bool queue_watch_probe_now(struct queue_watch *qw, int64_t now)
{
	if (!qw->changed && qw->wake_fd < 0 && now >= qw->next_version)
		look_at_version(qw, now);
	return qw->changed || now >= qw->due;
}

/* When to probe next, as monotonic time, after a probe at wall time
 * probed_at found nothing. A due time later than the probe is trusted
 * (a rollout's rate spacing: the next send is allowed then, maybe a
 * millisecond after the probe, so it may have come already). One the
 * probe already saw (another modem was faster, or the job is past its
 * deadline) waits for the next version look, or the loop would spin. */
static int64_t next_probe(struct queue_watch *qw, int64_t now, int64_t probed_at)
{
	struct errbuf err;
	int64_t due;
	if (store_next_due(qw->queue, &due, &err) < 0) {
		log_errorx("modem %s: %s", qw->modem, err.msg);
		return now + QUEUE_WATCH_VERSION_MS;
	}
	if (due == INT64_MAX)
		return INT64_MAX;
	if (due <= probed_at)
		return now + QUEUE_WATCH_VERSION_MS;
	return now + max64(due - clock_wall_ms(), 0);
}

void queue_watch_found_nothing(struct queue_watch *qw, int64_t now, int64_t probed_at,
			       bool probe_failed)
{
	qw->changed = false;
	int64_t next = probe_failed ? now + QUEUE_WATCH_VERSION_MS : next_probe(qw, now, probed_at);
	qw->due = min64(next, now + QUEUE_WATCH_RESYNC_MS);
}

void queue_watch_woken(struct queue_watch *qw, int64_t now)
{
	if (qw->wake_fd < 0)
		return;
	look_at_version(qw, now);
	/* A connection the store had to re-establish has another socket. */
	qw->wake_fd = store_wake_fd(qw->queue);
}

int64_t queue_watch_next(const struct queue_watch *qw)
{
	if (qw->changed)
		return 0;
	return qw->wake_fd >= 0 ? qw->due : min64(qw->due, qw->next_version);
}
