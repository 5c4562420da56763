/* rollout_view.c - how a rollout's progress looks to the operator: the text
 * frame shared by `otapctl rollout status` and `otapctl watch` (their JSON
 * object is lib/rollout/rollout_json.c's). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "rollout_json.h"

/* ---- small formatters ---- */

/* Time of instant ms in the rollout's zone: "2026-03-29 01:00 CET". */
static void zone_time(const struct rollout *r, int64_t ms, char *buf, size_t size)
{
	struct tz *tz;
	if (tz_load(r->tz, &tz, NULL) < 0) {
		cli_format_local_time(ms, buf, size);
		return;
	}
	tz_format(tz, ms, buf, size);
	tz_free(tz);
}

static const char *zone_name(const struct rollout *r)
{
	return r->tz[0] ? r->tz : "local time";
}

static void window_text(const struct rollout *r, char *buf, size_t size)
{
	char w[32];
	window_format(&r->window, w, sizeof w);
	if (window_is_always(&r->window))
		snprintf(buf, size, "always (no window)");
	else
		snprintf(buf, size, "%s %s", w, zone_name(r));
}

/* "3.0%" from a count out of a total. */
static void percent(int64_t part, int64_t whole, char *buf, size_t size)
{
	snprintf(buf, size, "%.1f%%", whole ? 100.0 * (double)part / (double)whole : 0.0);
}

/* "1, 10, 100" percentages and "400 / 3600 / 36000" units. */
static void wave_lists(const struct rollout_status *st, char *pcts, size_t psize, char *units,
		       size_t usize)
{
	size_t np = 0, nu = 0;
	pcts[0] = units[0] = '\0';
	for (int i = 0; i < st->r.waves.count && np < psize && nu < usize; i++) {
		char pct[16];
		rollout_pct_format(st->r.waves.pct[i], pct, sizeof pct);
		np += (size_t)snprintf(pcts + np, psize - np, "%s%s%%", i ? ", " : "", pct);
		nu += (size_t)snprintf(units + nu, usize - nu, "%s%" PRId64, i ? " / " : "",
				       st->wave_sizes[i]);
	}
}

/* ---- text ---- */

static void print_window(FILE *f, const struct rollout_status *st, int64_t now)
{
	const struct rollout *r = &st->r;
	char text[96], when[48];
	window_text(r, text, sizeof text);
	if (window_is_always(&r->window)) {
		fprintf(f, "window    %s\n", text);
	} else if (st->window.open) {
		zone_time(r, st->window.closes_at, when, sizeof when);
		fprintf(f, "window    %s: open, closes %s\n", text, when);
	} else {
		zone_time(r, st->window.opened_at, when, sizeof when);
		fprintf(f, "window    %s: closed, next opens %s\n", text, when);
	}
	if (r->start_at > now) {
		zone_time(r, r->start_at, when, sizeof when);
		fprintf(f, "starts    %s\n", when);
	}
	if (r->deadline > 0) {
		zone_time(r, r->deadline, when, sizeof when);
		fprintf(f, "deadline  %s%s\n", when, r->deadline <= now ?
			" (passed: unsent units have expired)" : "");
	}
}

static void print_wave(FILE *f, const struct rollout_status *st)
{
	const struct rollout *r = &st->r;
	int w = r->current_wave;
	int64_t size = w >= 1 && w <= r->waves.count ? st->wave_sizes[w - 1] : 0;
	char failed[16], limit[48] = "";
	percent(st->wave_failed, size, failed, sizeof failed);
	if (r->max_failure_pct >= 0) {
		char max[16];
		rollout_pct_format(r->max_failure_pct, max, sizeof max);
		snprintf(limit, sizeof limit, "; pauses above %s%%", max);
	}
	fprintf(f, "wave      %d of %d: %" PRId64 " of %" PRId64 " final, %" PRId64 " failed (%s)%s\n",
		w, r->waves.count, st->wave_final, size, st->wave_failed, failed, limit);
}

/* A labelled line of items that continues on indented lines rather than
 * past the width: the terminal's own wrapping would break an item in two
 * and, in watch, scroll the frame that is redrawn in place. */
struct item_line {
	FILE *f;
	int width, col;
};

#define LABEL_COLS 9

static void line_begin(struct item_line *l, FILE *f, int width, const char *label)
{
	l->f = f;
	l->width = width;
	l->col = fprintf(f, "%-*s", LABEL_COLS, label);
}

__attribute__((format(printf, 2, 3)))
static void line_item(struct item_line *l, const char *fmt, ...)
{
	char text[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n = n < (int)sizeof text ? n : (int)sizeof text - 1;
	/* Each continuation line takes at least one item, however narrow. */
	if (l->col > LABEL_COLS && l->col + 1 + n > l->width) {
		fputc('\n', l->f);
		l->col = fprintf(l->f, "%*s", LABEL_COLS, "");
	}
	l->col += fprintf(l->f, " %s", text);
}

static void line_end(struct item_line *l)
{
	fputc('\n', l->f);
}

static void print_counts(FILE *f, const struct rollout_status *st, int width)
{
	struct item_line l;
	line_begin(&l, f, width, "jobs");
	for (int s = 0; s < JOB_STATE_COUNT; s++)
		line_item(&l, "%s %" PRId64, job_state_name((enum job_state)s), st->counts[s]);
	line_item(&l, "(total %" PRId64 ")", st->total);
	line_end(&l);
}

/* sent -> delivered -> JAD -> JAR -> reported: how many units got that
 * far, and how many of those that stopped there failed. */
static void print_funnel(FILE *f, const struct rollout_status *st, int width)
{
	const struct job_funnel *fn = &st->funnel;
	struct item_line l;
	line_begin(&l, f, width, "funnel");
	for (int s = JOB_STEP_SENT; s < JOB_STEP_COUNT; s++)
		line_item(&l, "%s %" PRId64 "%s", job_step_name((enum job_step)s),
			  rollout_funnel_reached(fn, s), s + 1 < JOB_STEP_COUNT ? " ->" : "");
	line_item(&l, "(confirmed %" PRId64 ")", st->counts[JOB_CONFIRMED]);
	line_end(&l);
	line_begin(&l, f, width, "stopped");
	for (int s = 0; s < JOB_STEP_COUNT; s++)
		line_item(&l, "%s %" PRId64 " (%" PRId64 " failed)", job_step_name((enum job_step)s),
			  fn->at[s], fn->failed[s]);
	line_end(&l);
}

/* Room for a failure reason after "failures   1234  ": the rest of the
 * line, but never so little that the reason is unreadable. */
static size_t reason_cols(int width)
{
	int cols = width - 17;
	return cols < 20 ? 20 : cols > 200 ? 200 : (size_t)cols;
}

static void print_reasons(FILE *f, const struct rollout_status *st, int width)
{
	for (size_t i = 0; i < st->reason_count; i++) {
		char cell[STORE_TEXT_MAX];
		cli_cell(st->reasons[i].text, reason_cols(width), cell, sizeof cell);
		fprintf(f, "%-9s %6" PRId64 "  %s\n", i ? "" : "failures", st->reasons[i].count, cell);
	}
}

static void print_eta(FILE *f, const struct rollout_status *st)
{
	const struct rollout *r = &st->r;
	char when[48];
	if (r->rate_per_min > 0)
		fprintf(f, "rate      %d per minute\n", r->rate_per_min);
	else
		fprintf(f, "rate      unlimited (modems' max_rate only)\n");
	if (st->remaining == 0)
		return;
	if (st->eta) {
		zone_time(r, st->eta, when, sizeof when);
		/* "window hours only" explains a far ETA; without a window it
		 * would send the operator looking for one. */
		fprintf(f, "eta       %s (%" PRId64 " to send at %d/min%s)\n", when,
			st->remaining, r->rate_per_min,
			window_is_always(&r->window) ? "" : ", window hours only");
	} else if (r->state != ROLLOUT_ACTIVE) {
		fprintf(f, "eta       none while %s\n", rollout_state_name(r->state));
	} else {
		fprintf(f, "eta       unknown without --rate (%" PRId64 " to send)\n", st->remaining);
	}
}

void rollout_view_text(FILE *f, const struct rollout_status *st, int64_t now, int width)
{
	const struct rollout *r = &st->r;
	char pcts[160], units[256], reason[STORE_TEXT_MAX];
	fprintf(f, "rollout   %s: %s\n", r->name, rollout_state_name(r->state));
	if (r->state == ROLLOUT_PAUSED) {
		cli_cell(r->pause_reason, 200, reason, sizeof reason);
		fprintf(f, "paused    %s\n", reason);
	}
	fprintf(f, "profile   %s (%s)\n", r->profile, otap_action_name(r->action));
	if (r->preflight[0])
		fprintf(f, "preflight %s%s\n", r->preflight,
			strcmp(r->preflight, "skipped") == 0 ? " (created with --no-preflight)" : "");
	wave_lists(st, pcts, sizeof pcts, units, sizeof units);
	fprintf(f, "units     %" PRId64 " in %d wave%s: %s (%s)\n", r->total_units, r->waves.count,
		r->waves.count == 1 ? "" : "s", units, pcts);
	print_wave(f, st);
	print_counts(f, st, width);
	print_funnel(f, st, width);
	print_reasons(f, st, width);
	print_window(f, st, now);
	print_eta(f, st);
}

/* ---- JSON (lib/rollout/rollout_json.c: the same object as the API's) ---- */

int rollout_view_json(FILE *f, const struct rollout_status *st)
{
	struct json_writer w;
	json_init(&w, f);
	rollout_status_json(&w, st);
	fputc('\n', f);
	return json_finish(&w);
}
