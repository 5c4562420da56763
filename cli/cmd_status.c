/* cmd_status.c - `otapctl status`: job counts and recent jobs, a filtered
 * job list, or one job with its attempt history; as text tables or JSON.
 * Needs only the database (--db or the config's). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cms.h"
#include "json.h"
#include "msisdn.h"
#include "notify.h"
#include "job_json.h"
#include "notify_apply.h"
#include "store_events.h"
#include "modem_roster.h"

#define RECENT_DEFAULT 20
#define LIMIT_MAX 1000000

static const char status_usage[] =
	"usage: otapctl [-c FILE | --db PATH] status [JOB_ID] [--to MSISDN] [--state STATE]\n"
	"               [--rollout NAME] [--limit N] [--json]\n"
	"\n"
	"Without arguments: the number of jobs in each state, then the 20 most\n"
	"recently created jobs (--limit N to show another number).\n"
	"With filters: every matching job, newest first (--limit N caps the list).\n"
	"With JOB_ID: all fields of that job and its attempt history; a queued\n"
	"job that no modem can take now says \"waiting: no modem is ready (...)\"\n"
	"with each modem's state and why (see otapctl modems).\n"
	"\n"
	"  -t, --to MSISDN    jobs for this number\n"
	"  -s, --state STATE  jobs in this state: queued, sending, sent, delivered,\n"
	"                     confirmed, failed, cancelled\n"
	"  -r, --rollout NAME jobs of this rollout\n"
	"  -n, --limit N      show at most N jobs\n"
	"      --json         machine-readable output, times as ISO-8601 UTC: one\n"
	"                     object {\"counts\": {...}, \"jobs\": [...]} with or\n"
	"                     without filters (counts: every job in the database);\n"
	"                     with JOB_ID {\"job\": {...}}, the job with \"history\"\n"
	"                     and \"events\" (see docs/json.md)\n"
	"  -h, --help         show this help\n"
	"\n"
	"Times in tables are local, with the zone. Exit status: 0 ok, 1 database\n"
	"error or no such job, 2 bad usage or invalid input (job id, number, state).\n";

enum { OPT_JSON = 256 };

static const struct option status_options[] = {
	{ "to", required_argument, NULL, 't' },
	{ "state", required_argument, NULL, 's' },
	{ "rollout", required_argument, NULL, 'r' },
	{ "limit", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct status_args {
	int64_t id;                     /* 0 = none */
	struct job_filter filter;
	bool filtered;                  /* --to, --state or --rollout given */
	bool json;
};

/* ------------------------------------------------------------ collecting */

struct job_vec {
	struct job *v;
	size_t n, cap;
	bool oom;               /* the walk stopped early: list incomplete */
};

static int collect_job(const struct job *job, void *arg)
{
	struct job_vec *vec = arg;
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 32;
		struct job *v = realloc(vec->v, cap * sizeof *v);
		if (!v) {
			vec->oom = true;
			return 1;       /* stops the walk */
		}
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->n++] = *job;
	return 0;
}

struct attempt_vec {
	struct attempt *v;
	size_t n, cap;
	bool oom;
};

static int collect_attempt(const struct attempt *a, void *arg)
{
	struct attempt_vec *vec = arg;
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 8;
		struct attempt *v = realloc(vec->v, cap * sizeof *v);
		if (!v) {
			vec->oom = true;
			return 1;
		}
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->n++] = *a;
	return 0;
}

struct event_vec {
	struct job_event *v;
	size_t n, cap;
	bool oom;
};

static int collect_event(const struct job_event *e, void *arg)
{
	struct event_vec *vec = arg;
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 8;
		struct job_event *v = realloc(vec->v, cap * sizeof *v);
		if (!v) {
			vec->oom = true;
			return 1;
		}
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->n++] = *e;
	return 0;
}

/* ---------------------------------------------------------------- tables */

#define COLS_MAX 8
#define CELL_MAX 72

typedef char table_row[COLS_MAX][CELL_MAX];

static void print_table_line(const char *indent, const char *const *cells, size_t ncols,
			     const size_t *width)
{
	fputs(indent, stdout);
	for (size_t c = 0; c + 1 < ncols; c++)
		printf("%-*s  ", (int)width[c], cells[c]);
	printf("%s\n", cells[ncols - 1]);
}

/* Prints rows under the headers with each column as wide as its widest
 * cell; the last column is not padded. */
static void print_table(const char *const *head, size_t ncols, const table_row *rows,
			size_t nrows, const char *indent)
{
	size_t width[COLS_MAX];

	for (size_t c = 0; c < ncols; c++) {
		width[c] = strlen(head[c]);
		for (size_t r = 0; r < nrows; r++) {
			size_t len = strlen(rows[r][c]);
			if (len > width[c])
				width[c] = len;
		}
	}
	print_table_line(indent, head, ncols, width);
	for (size_t r = 0; r < nrows; r++) {
		const char *cells[COLS_MAX];
		for (size_t c = 0; c < ncols; c++)
			cells[c] = rows[r][c];
		print_table_line(indent, cells, ncols, width);
	}
}

static void job_row(const struct job *j, char (*row)[CELL_MAX])
{
	char updated[CLI_TIME_MAX];

	snprintf(row[0], CELL_MAX, "%lld", (long long)j->id);
	cli_cell(j->msisdn, 20, row[1], CELL_MAX);
	cli_cell(j->profile, 24, row[2], CELL_MAX);
	snprintf(row[3], CELL_MAX, "%s", otap_action_name(j->action));
	snprintf(row[4], CELL_MAX, "%s", job_state_name(j->state));
	snprintf(row[5], CELL_MAX, "%d/%d", j->attempts, j->max_attempts);
	cli_format_local_time(j->updated_at, updated, sizeof updated);
	snprintf(row[6], CELL_MAX, "%s", updated);
	cli_cell(j->last_error, 48, row[7], CELL_MAX);
}

static int print_job_table(const struct job_vec *jobs)
{
	static const char *const head[] = {
		"ID", "MSISDN", "PROFILE", "ACTION", "STATE", "TRIES", "UPDATED", "LAST ERROR",
	};
	table_row *rows = calloc(jobs->n ? jobs->n : 1, sizeof *rows);

	if (!rows)
		return cli_fail(EXIT_RUNTIME, "status: out of memory");
	for (size_t i = 0; i < jobs->n; i++)
		job_row(&jobs->v[i], rows[i]);
	print_table(head, 8, rows, jobs->n, "");
	free(rows);
	return EXIT_OK;
}

static void attempt_row(const struct attempt *a, char (*row)[CELL_MAX])
{
	char started[CLI_TIME_MAX];

	cli_format_local_time(a->started_at, started, sizeof started);
	snprintf(row[0], CELL_MAX, "%s", started);
	cli_cell(a->modem, 24, row[1], CELL_MAX);
	cli_cell(a->result, 16, row[2], CELL_MAX);
	if (a->cms_error >= 0)
		snprintf(row[3], CELL_MAX, "%d (%s)", a->cms_error, cms_meaning(a->cms_error));
	else
		snprintf(row[3], CELL_MAX, "-");
	cli_cell(a->mrs, 24, row[4], CELL_MAX);
	cli_cell(a->detail, 60, row[5], CELL_MAX);
}

static int print_history(const struct attempt_vec *h)
{
	static const char *const head[] = {
		"STARTED", "MODEM", "RESULT", "CMS ERROR", "MRS", "DETAIL",
	};

	puts("history:");
	if (h->n == 0) {
		puts("  (no attempts yet)");
		return EXIT_OK;
	}
	table_row *rows = calloc(h->n, sizeof *rows);
	if (!rows)
		return cli_fail(EXIT_RUNTIME, "status: out of memory");
	for (size_t i = 0; i < h->n; i++)
		attempt_row(&h->v[i], rows[i]);
	print_table(head, 6, rows, h->n, "  ");
	free(rows);
	return EXIT_OK;
}

static void print_field(const char *name, const char *value)
{
	char cell[STORE_TEXT_MAX + 4];
	cli_cell(value, sizeof cell - 1, cell, sizeof cell);
	printf("%-12s %s\n", name, cell);
}

static void print_time_field(const char *name, int64_t ms)
{
	char buf[CLI_TIME_MAX];
	cli_format_local_time(ms, buf, sizeof buf);
	printf("%-12s %s\n", name, buf);
}

static void print_job_fields(const struct job *j)
{
	printf("%-12s %lld\n", "id:", (long long)j->id);
	print_field("msisdn:", j->msisdn);
	print_field("profile:", j->profile);
	print_field("action:", otap_action_name(j->action));
	print_field("state:", job_state_name(j->state));
	print_field("rollout:", j->rollout);
	if (j->wave > 0)
		printf("%-12s %d\n", "wave:", j->wave);
	printf("%-12s %d/%d\n", "attempts:", j->attempts, j->max_attempts);
	if (j->not_before == STORE_WAITING_FOR_WAVE)
		print_field("not before:", "when its wave opens");
	else
		print_time_field("not before:", j->not_before);
	if (j->deadline > 0)
		print_time_field("deadline:", j->deadline);
	print_field("modem:", j->modem);
	print_time_field("created:", j->created_at);
	print_time_field("updated:", j->updated_at);
	print_field("last error:", j->last_error);
}

/* ------------------------------------------------------------------ JSON */

static void json_jobs(struct json_writer *w, const struct job_vec *jobs)
{
	json_begin_array(w);
	for (size_t i = 0; i < jobs->n; i++) {
		json_begin_object(w);
		job_json_fields(w, &jobs->v[i]);
		json_end_object(w);
	}
	json_end_array(w);
}

static int json_done(struct json_writer *w)
{
	putchar('\n');
	if (json_finish(w) < 0)
		return cli_fail(EXIT_RUNTIME, "status: cannot write the JSON output");
	return EXIT_OK;
}

/* ----------------------------------------------------------------- modes */

static int load_jobs(struct store *q, const struct job_filter *f, struct job_vec *jobs)
{
	struct errbuf err = { { 0 } };
	if (store_list(q, f, collect_job, jobs, &err) < 0)
		return cli_fail(EXIT_RUNTIME, "status: %s", err.msg);
	if (jobs->oom)
		return cli_fail(EXIT_RUNTIME, "status: out of memory listing jobs");
	return EXIT_OK;
}

/* ---------------------------------------- what the unit reported back */

static void print_optional_time(const char *name, int64_t ms)
{
	if (ms)
		print_time_field(name, ms);
	else
		print_field(name, "");
}

static void print_report_fields(const struct notify_info *n)
{
	char code[48] = "";
	const char *meaning = n->notify_code >= 0 ? notify_code_meaning(n->notify_code) : NULL;

	if (n->notify_code >= 0)
		snprintf(code, sizeof code, "%03d%s%s%s", n->notify_code, meaning ? " (" : "",
			 meaning ? meaning : "", meaning ? ")" : "");
	print_field("imei:", n->imei);
	print_optional_time("sent:", n->sent_at);
	print_optional_time("delivered:", n->delivered_at);
	print_optional_time("confirmed:", n->confirmed_at);
	print_optional_time("notified:", n->notified_at);
	print_field("unit code:", code);
	print_field("unit text:", n->notify_text);
}

/* The unit metadata of a rollout's job (the fleet file's extra columns),
 * one "name: value" per line. */
static void print_meta_line(const char *key, const char *value, void *arg)
{
	bool *first = arg;
	char k[40], v[STORE_TEXT_MAX];
	cli_cell(key, 32, k, sizeof k);
	cli_cell(value, 120, v, sizeof v);
	printf("%-12s %s: %s\n", *first ? "unit meta:" : "", k, v);
	*first = false;
}

static void event_text(const struct job_event *e, char *buf, size_t cap)
{
	size_t n = (size_t)snprintf(buf, cap, "%s", event_kind_name(e->kind));
	if (e->client[0] && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, " by %s", e->client);
	if (e->product[0] && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, " %s", e->product);
	if (e->imei[0] && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, " IMEI %s", e->imei);
	if (e->bytes >= 0 && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, " %lld of %lld bytes", (long long)e->bytes,
				      (long long)e->size);
	if (e->code >= 0 && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, " code %03d", e->code);
	if (e->late && n < cap)
		snprintf(buf + n, cap - n, " (late: the job had ended)");
}

/* The job's timeline: its events (what the unit did, as otapd saw it)
 * and attempts, oldest first. */
static void print_timeline(const struct attempt_vec *h, const struct event_vec *ev)
{
	size_t i = 0, k = 0;
	if (ev->n == 0)
		return;
	printf("\ntimeline\n");
	while (i < h->n || k < ev->n) {
		bool event = k < ev->n && (i == h->n || ev->v[k].at < h->v[i].finished_at);
		char when[CLI_TIME_MAX], text[STORE_TEXT_MAX + 64];
		cli_format_local_time(event ? ev->v[k].at : h->v[i].finished_at, when, sizeof when);
		if (event) {
			event_text(&ev->v[k++], text, sizeof text);
		} else {
			snprintf(text, sizeof text, "attempt %s%s%s", h->v[i].result,
				 h->v[i].detail[0] ? ": " : "", h->v[i].detail);
			i++;
		}
		char cell[256];
		cli_cell(text, 120, cell, sizeof cell);
		printf("  %s  %s\n", when, cell);
	}
}

/* A queued job waits for a modem: when none of them can take it now,
 * says which and why into buf and returns true (a database error is a
 * warning: the job is still shown). */
static bool no_modem_ready(struct store *q, const struct cfg *cfg, const struct job *j,
			   char *buf, size_t cap)
{
	struct errbuf err = { { 0 } };
	int rc = modem_roster_job_waiting(q, cfg, j, cli_now_ms(), buf, cap, &err);
	if (rc < 0)
		cli_warn("status: cannot tell whether a modem is ready: %s", err.msg);
	return rc == 1;
}

/* {"job": {...}}: the same object as the admin listener's /api/jobs/ID
 * (lib/notify/job_json.c). */
static int show_one_json(struct store *q, const struct job *job, const char *waiting)
{
	struct errbuf err = { { 0 } };
	struct json_writer w;
	json_init(&w, stdout);
	if (job_detail_json(&w, q, job, waiting, &err) < 0)
		return cli_fail(EXIT_RUNTIME, "status: %s", err.msg);
	return json_done(&w);
}

static int show_one_text(struct store *q, const struct job *job, const char *waiting)
{
	struct errbuf err = { { 0 } };
	struct attempt_vec hist = { 0 };
	struct event_vec events = { 0 };
	struct notify_info info;
	int64_t id = job->id;

	if (store_attempts(q, id, collect_attempt, &hist, &err) < 0 || hist.oom) {
		free(hist.v);
		return cli_fail(EXIT_RUNTIME, "status: %s",
				hist.oom ? "out of memory reading the history" : err.msg);
	}
	if (store_job_info(q, id, &info, &err) < 0 ||
	    store_events(q, id, collect_event, &events, &err) < 0 || events.oom) {
		free(hist.v);
		free(events.v);
		return cli_fail(EXIT_RUNTIME, "status: %s",
				events.oom ? "out of memory reading the events" : err.msg);
	}
	int rc = EXIT_OK;
	bool first = true;
	print_job_fields(job);
	if (waiting) {
		char cell[700];
		cli_cell(waiting, sizeof cell - 1, cell, sizeof cell);
		printf("%-12s %s\n", "waiting:", cell);
	}
	print_report_fields(&info);
	if (store_job_meta(q, id, print_meta_line, &first, &err) < 0)
		rc = cli_fail(EXIT_RUNTIME, "status: %s", err.msg);
	putchar('\n');
	if (rc == EXIT_OK)
		rc = print_history(&hist);
	print_timeline(&hist, &events);
	free(hist.v);
	free(events.v);
	return rc;
}

static int show_one(struct store *q, const struct cfg *cfg, int64_t id, bool json)
{
	char waiting[700];
	struct errbuf err = { { 0 } };
	struct job job;

	int found = store_get(q, id, &job, &err);
	if (found < 0)
		return cli_fail(EXIT_RUNTIME, "status: %s", err.msg);
	if (found == 0)
		return cli_fail(EXIT_RUNTIME, "no such job %lld", (long long)id);
	const char *why = no_modem_ready(q, cfg, &job, waiting, sizeof waiting) ? waiting : NULL;
	return json ? show_one_json(q, &job, why) : show_one_text(q, &job, why);
}

static void print_counts(const int64_t counts[JOB_STATE_COUNT])
{
	int64_t total = 0;

	puts("jobs by state:");
	for (int s = 0; s < JOB_STATE_COUNT; s++) {
		printf("  %-10s %lld\n", job_state_name((enum job_state)s), (long long)counts[s]);
		total += counts[s];
	}
	printf("  %-10s %lld\n", "total", (long long)total);
}

static void json_counts(struct json_writer *w, const int64_t counts[JOB_STATE_COUNT])
{
	json_begin_object(w);
	for (int s = 0; s < JOB_STATE_COUNT; s++)
		json_member_int(w, job_state_name((enum job_state)s), counts[s]);
	json_end_object(w);
}

/* {"counts": {...}, "jobs": [...]}: one shape whether or not filters chose
 * the jobs, so that a script need not know which options it was given. */
static int json_job_list(const int64_t counts[JOB_STATE_COUNT], const struct job_vec *jobs)
{
	struct json_writer w;
	json_init(&w, stdout);
	json_begin_object(&w);
	json_key(&w, "counts");
	json_counts(&w, counts);
	json_key(&w, "jobs");
	json_jobs(&w, jobs);
	json_end_object(&w);
	return json_done(&w);
}

static int load_counts(struct store *q, int64_t counts[JOB_STATE_COUNT])
{
	struct errbuf err = { { 0 } };
	if (store_count_by_state(q, counts, &err) < 0)
		return cli_fail(EXIT_RUNTIME, "status: %s", err.msg);
	return EXIT_OK;
}

static int show_summary(struct store *q, const struct status_args *a)
{
	struct job_filter f = a->filter;
	struct job_vec jobs = { 0 };
	int64_t counts[JOB_STATE_COUNT] = { 0 };
	int rc;

	if ((rc = load_counts(q, counts)) != EXIT_OK)
		return rc;
	if (f.limit == 0)
		f.limit = RECENT_DEFAULT;
	if ((rc = load_jobs(q, &f, &jobs)) != EXIT_OK) {
		free(jobs.v);
		return rc;
	}
	if (a->json) {
		rc = json_job_list(counts, &jobs);
	} else {
		print_counts(counts);
		printf("\nmost recent jobs (newest first, at most %d):\n", f.limit);
		if (jobs.n == 0)
			puts("  (none)");
		else
			rc = print_job_table(&jobs);
	}
	free(jobs.v);
	return rc;
}

static int show_filtered(struct store *q, const struct status_args *a)
{
	struct job_vec jobs = { 0 };
	int rc = load_jobs(q, &a->filter, &jobs);

	if (rc != EXIT_OK) {
		free(jobs.v);
		return rc;
	}
	int64_t counts[JOB_STATE_COUNT] = { 0 };
	if (a->json) {
		/* The counts are the whole database's, as without filters: the
		 * list may be cut by --limit, so counting it would mislead. */
		rc = load_counts(q, counts);
		if (rc == EXIT_OK)
			rc = json_job_list(counts, &jobs);
	} else if (jobs.n == 0) {
		puts("no matching jobs");
	} else {
		rc = print_job_table(&jobs);
	}
	free(jobs.v);
	return rc;
}

/* --------------------------------------------------------------- options */

static int bad_state(const char *text)
{
	char names[128] = "";
	for (int s = 0; s < JOB_STATE_COUNT; s++) {
		size_t used = strlen(names);
		snprintf(names + used, sizeof names - used, "%s%s", s ? ", " : "",
			 job_state_name((enum job_state)s));
	}
	return cli_fail(EXIT_USAGE, "status: invalid state '%s' (expected one of: %s)", text, names);
}

/* Applies one option; returns EXIT_OK or an exit code after printing. */
static int apply_option(int c, char **argv, struct status_args *a)
{
	enum job_state st;
	const char *why;

	switch (c) {
	case 't':
		if ((why = msisdn_check(optarg)))
			return cli_fail(EXIT_USAGE, "status: invalid MSISDN '%s': %s", optarg, why);
		a->filter.msisdn = optarg;
		a->filtered = true;
		return EXIT_OK;
	case 's':
		if (job_state_parse(optarg, &st) < 0)
			return bad_state(optarg);
		a->filter.state = (int)st;
		a->filtered = true;
		return EXIT_OK;
	case 'r':
		a->filter.rollout = optarg;
		a->filtered = true;
		return EXIT_OK;
	case 'n':
		if (cli_parse_int(optarg, 1, LIMIT_MAX, &a->filter.limit) < 0)
			return cli_fail(EXIT_USAGE, "status: invalid --limit '%s' "
					"(expected a whole number from 1 to %d)", optarg, LIMIT_MAX);
		return EXIT_OK;
	case OPT_JSON:
		a->json = true;
		return EXIT_OK;
	case 'h':
		return EXIT_OK;
	default:
		return cli_bad_option("status", argv, status_options, c);
	}
}

static int parse_args(int argc, char **argv, struct status_args *a)
{
	int c, rc;

	a->filter.state = -1;
	while ((c = getopt_long(argc, argv, ":ht:s:r:n:", status_options, NULL)) != -1) {
		if ((rc = apply_option(c, argv, a)) != EXIT_OK)
			return rc;
	}
	if (optind < argc) {
		if (cli_parse_id(argv[optind], &a->id) < 0)
			return cli_fail(EXIT_USAGE, "status: invalid job id '%s' "
					"(expected a positive whole number)", argv[optind]);
		if (optind + 1 < argc)
			return cli_fail(EXIT_USAGE, "status: unexpected argument '%s' "
					"(see otapctl status --help)", argv[optind + 1]);
	}
	if (a->id && (a->filtered || a->filter.limit))
		return cli_fail(EXIT_USAGE, "status: a JOB_ID cannot be combined with "
				"--to, --state, --rollout or --limit");
	return EXIT_OK;
}

int cmd_status(int argc, char **argv, struct cli_ctx *ctx)
{
	struct status_args a = { 0 };
	struct store *q;
	int rc;

	if (cli_wants_help(argc, argv, status_usage))
		return EXIT_OK;
	if ((rc = parse_args(argc, argv, &a)) != EXIT_OK)
		return rc;
	if ((rc = cli_open_existing_queue(ctx, &q)) != EXIT_OK)
		return rc;
	if (a.id)
		rc = show_one(q, ctx->cfg_loaded ? &ctx->cfg : NULL, a.id, a.json);
	else if (a.filtered)
		rc = show_filtered(q, &a);
	else
		rc = show_summary(q, &a);
	store_close(q);
	return rc;
}
