/* fleet.c - the set of modem workers and how a reload changes it (fleet.h). */
#define _GNU_SOURCE     /* pthread_timedjoin_np: the watchdog is pinged while a worker ends */
#include "fleet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "log.h"
#include "service.h"

static struct worker *running_named(const struct fleet *f, const char *name)
{
	for (size_t i = 0; i < f->running_count; i++) {
		if (strcmp(f->running[i]->name, name) == 0)
			return f->running[i];
	}
	return NULL;
}

/* Starts a worker for m of snap and adds it to the running set. */
static int start_one(struct fleet *f, struct cfg_snap *snap, const struct cfg_modem *m)
{
	struct worker **grown = realloc(f->running, (f->running_count + 1) * sizeof *grown);
	if (grown)
		f->running = grown;
	struct worker *w = grown ? malloc(sizeof *w) : NULL;
	if (!w) {
		log_errorx("modem %s: out of memory starting its worker", m->name);
		return -1;
	}
	if (worker_start(w, f->daemon, snap, m) < 0) {
		free(w);
		return -1;
	}
	f->running[f->running_count++] = w;
	return 0;
}

size_t fleet_start(struct fleet *f, struct daemon_ctx *d, struct cfg_snap *snap)
{
	memset(f, 0, sizeof *f);
	f->daemon = d;
	for (size_t i = 0; i < snap->cfg.modem_count; i++) {
		if (start_one(f, snap, &snap->cfg.modems[i]) < 0)
			break;
	}
	return f->running_count;
}

/* pthread_join, pinging the systemd watchdog meanwhile: a worker of a
 * removed modem sees its send through to the reply (up to send_timeout)
 * and waits for the store, which can outlast WatchdogSec. */
static void join_pinging(struct worker *w)
{
	int64_t period = service_watchdog_ms() / 2;
	if (period <= 0) {
		worker_join(w);
		return;
	}
	for (;;) {
		struct timespec at;
		clock_gettime(CLOCK_REALTIME, &at);
		at.tv_sec += (time_t)(period / 1000);
		at.tv_nsec += (long)(period % 1000) * 1000000L;
		if (at.tv_nsec >= 1000000000L) {
			at.tv_sec++;
			at.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(w->thread, NULL, &at) != ETIMEDOUT)
			break;
		service_watchdog_ping();
	}
	worker_joined(w);
}

/* A joined worker: freed, or kept while it holds outcomes. */
static void put_away(struct fleet *f, struct worker *w)
{
	if (!sendjob_holding(&w->send)) {
		free(w);
		return;
	}
	struct worker **grown = realloc(f->held, (f->held_count + 1) * sizeof *grown);
	if (!grown) {
		log_errorx("modem %s: out of memory keeping %zu unrecorded outcome(s); their units "
			   "may be sent again", w->name, w->send.held_count);
		free(w);
		return;
	}
	f->held = grown;
	f->held[f->held_count++] = w;
}

/* Whether w goes on under now; if not, why, in words (names, never values). */
static bool keeps(const struct worker *w, const struct cfg *was, const struct cfg *now,
		  char *why, size_t size)
{
	const struct cfg_modem *now_m = cfg_modem(now, w->name);
	const struct cfg_modem *was_m = cfg_modem(was, w->name);
	if (!now_m) {
		snprintf(why, size, "removed");
		return false;
	}
	if (!was_m)     /* cannot happen: the running workers are was's modems */
		return false;
	return worker_keeps_link(was, was_m, now, now_m, why, size);
}

void fleet_reconcile(struct fleet *f, const struct cfg *was, struct cfg_snap *now)
{
	struct worker *leaving[f->running_count + 1];
	size_t n_leaving = 0, kept = 0;

	for (size_t i = 0; i < f->running_count; i++) {
		struct worker *w = f->running[i];
		char why[200];
		if (keeps(w, was, &now->cfg, why, sizeof why)) {
			f->running[kept++] = w;
			continue;
		}
		log_info("reload: modem %s %s%s; its worker stops (a send in progress is seen "
			 "through, jobs between parts go back to the queue)", w->name,
			 strcmp(why, "removed") == 0 ? "" : "changed: ", why);
		worker_halt(w, true);
		leaving[n_leaving++] = w;
	}
	f->running_count = kept;
	/* All halted at once above: they end in parallel. */
	for (size_t i = 0; i < n_leaving; i++) {
		join_pinging(leaving[i]);
		put_away(f, leaving[i]);
	}
	for (size_t i = 0; i < now->cfg.modem_count; i++) {
		const struct cfg_modem *m = &now->cfg.modems[i];
		if (running_named(f, m->name))
			continue;
		log_info("reload: starting modem %s (%s)", m->name, m->device);
		start_one(f, now, m);
	}
}

void fleet_stop(struct fleet *f)
{
	for (size_t i = 0; i < f->running_count; i++)
		worker_halt(f->running[i], false);
	for (size_t i = 0; i < f->running_count; i++)
		worker_join(f->running[i]);
}

size_t fleet_unrecorded_max(const struct fleet *f)
{
	return (f->running_count + f->held_count) * SENDJOB_HELD_MAX;
}

static size_t copy_held(const struct worker *w, struct outcome *out, size_t n, size_t cap)
{
	const struct sendjob_record *held;
	size_t count = worker_unrecorded(w, &held);
	for (size_t k = 0; k < count && n < cap; k++)
		out[n++] = held[k].oc;
	return n;
}

size_t fleet_unrecorded(const struct fleet *f, struct outcome *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < f->running_count; i++)
		n = copy_held(f->running[i], out, n, cap);
	for (size_t i = 0; i < f->held_count; i++)
		n = copy_held(f->held[i], out, n, cap);
	return n;
}

void fleet_free(struct fleet *f)
{
	for (size_t i = 0; i < f->running_count; i++)
		free(f->running[i]);
	for (size_t i = 0; i < f->held_count; i++)
		free(f->held[i]);
	free(f->running);
	free(f->held);
	memset(f, 0, sizeof *f);
}
