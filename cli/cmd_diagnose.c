/* cmd_diagnose.c - `otapctl diagnose`: for a job, or every unconfirmed job
 * of a rollout, the step it reached and why it stopped there, with what to
 * do (lib/notify/diagnose.c); as text grouped by cause, or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diagnose.h"
#include "job_json.h"
#include "json.h"
#include "store_reports.h"
#include "unit_list.h"

#define GROUP_IDS_SHOWN 10
#define META_KEYS_MAX 16

static const char diagnose_usage[] =
	"usage: otapctl [-c FILE] [--db PATH] diagnose (JOB_ID | --rollout NAME) [--json]\n"
	"\n"
	"Why a unit did not update: for the job (or every job of the rollout that\n"
	"is not confirmed), the last step its latest SMS reached - queued, sent,\n"
	"delivered, jad_fetched, jar_partial, jar_fetched, reported - the likely\n"
	"cause and what to do. Text groups the units by cause, with what the\n"
	"fleet file says they share (e.g. all model=PLS62-W).\n"
	"\n"
	"  -r, --rollout NAME  every unconfirmed job of this rollout\n"
	"      --json          an array of {id, msisdn, state, stopped_at, rule, cause,\n"
	"                      advice: [...]} (docs in README)\n"
	"  -h, --help          show this help\n"
	"\n"
	"The config's profiles sharpen the advice (status reports, local artifacts,\n"
	"the AT^SJOTAP line); with --db alone the advice is generic.\n"
	"Exit status: 0 ok, 1 database error or no such job/rollout, 2 bad usage.\n";

enum { OPT_JSON = 256 };

static const struct option diagnose_options[] = {
	{ "rollout", required_argument, NULL, 'r' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct diagnose_args {
	int64_t id;
	const char *rollout;
	bool json;
};

/* One cause and the units it holds. */
struct group {
	enum diag_cause rule;
	int code;
	struct diagnosis first;         /* its text and advice */
	int64_t count;
	int64_t ids[GROUP_IDS_SHOWN];
	/* Metadata every unit of the group has, with the same value. */
	char keys[META_KEYS_MAX][64], values[META_KEYS_MAX][64];
	bool shared[META_KEYS_MAX];
	size_t nkeys;
};

struct run {
	struct store *s;
	const struct cfg *cfg;          /* NULL with --db alone */
	struct json_writer w;
	bool json;
	struct group *groups;
	size_t ngroups, cap;
	int64_t jobs;
	bool failed;
	struct errbuf err;
};

/* ---- one job ---- */

static int diagnose_one(struct run *r, const struct job *j, struct diagnosis *d)
{
	struct notify_info info;
	if (store_job_info(r->s, j->id, &info, &r->err) < 0)
		return -1;
	diagnose_stored(r->cfg, j, info.notify_code, info.delivered_at > 0, d);
	return 0;
}

static void print_diagnosis(const struct diagnosis *d)
{
	printf("  stopped at: %s\n  cause:      %s\n", job_step_name(d->stopped_at), d->cause);
	for (size_t i = 0; i < d->advice_count; i++)
		printf("  %s %s\n", i == 0 ? "do:        " : "           ", d->advice[i]);
}

/* ---- grouping ---- */

struct meta_ctx {
	struct group *g;
	bool first;
	bool seen[META_KEYS_MAX];
};

static void meta_cb(const char *key, const char *value, void *arg)
{
	struct meta_ctx *m = arg;
	struct group *g = m->g;
	for (size_t i = 0; i < g->nkeys; i++) {
		if (strcmp(g->keys[i], key) == 0) {
			m->seen[i] = true;
			g->shared[i] &= strcmp(g->values[i], value) == 0;
			return;
		}
	}
	if (m->first && g->nkeys < META_KEYS_MAX) {
		snprintf(g->keys[g->nkeys], sizeof g->keys[0], "%s", key);
		snprintf(g->values[g->nkeys], sizeof g->values[0], "%s", value);
		m->seen[g->nkeys] = true;
		g->shared[g->nkeys++] = true;
	}
}

/* Keeps, of the group's metadata, what this unit has too. */
static int intersect_meta(struct run *r, struct group *g, int64_t id)
{
	struct meta_ctx m = { .g = g, .first = g->count == 1 };
	if (store_job_meta(r->s, id, meta_cb, &m, &r->err) < 0)
		return -1;
	for (size_t i = 0; i < g->nkeys; i++)
		g->shared[i] &= m.seen[i];
	return 0;
}

static struct group *group_for(struct run *r, const struct diagnosis *d)
{
	for (size_t i = 0; i < r->ngroups; i++) {
		if (r->groups[i].rule == d->rule && r->groups[i].code == d->code)
			return &r->groups[i];
	}
	if (r->ngroups == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		struct group *grown = realloc(r->groups, cap * sizeof *grown);
		if (!grown)
			return NULL;
		r->groups = grown;
		r->cap = cap;
	}
	struct group *g = &r->groups[r->ngroups++];
	memset(g, 0, sizeof *g);
	g->rule = d->rule;
	g->code = d->code;
	g->first = *d;
	return g;
}

static int add_to_group(struct run *r, const struct job *j, const struct diagnosis *d)
{
	struct group *g = group_for(r, d);
	if (!g)
		return errbuf_set(&r->err, "out of memory");
	if (g->count < GROUP_IDS_SHOWN)
		g->ids[g->count] = j->id;
	g->count++;
	return intersect_meta(r, g, j->id);
}

static void print_group(const struct group *g)
{
	printf("\n%lld unit%s: %s", (long long)g->count, g->count == 1 ? "" : "s", g->first.cause);
	const char *sep = g->count > 1 ? " - all " : " - ";
	for (size_t i = 0; i < g->nkeys; i++) {
		if (g->shared[i]) {
			printf("%s%s=%s", sep, g->keys[i], g->values[i]);
			sep = ", ";
		}
	}
	printf("\n  stopped at: %s\n", job_step_name(g->first.stopped_at));
	for (size_t i = 0; i < g->first.advice_count; i++)
		printf("  %s %s\n", i == 0 ? "do:        " : "           ", g->first.advice[i]);
	printf("  jobs:      ");
	for (int64_t i = 0; i < g->count && i < GROUP_IDS_SHOWN; i++)
		printf(" %lld", (long long)g->ids[i]);
	if (g->count > GROUP_IDS_SHOWN)
		printf(" ... (%lld more)", (long long)(g->count - GROUP_IDS_SHOWN));
	printf("\n");
}

/* ---- walking a rollout ---- */

static int visit(const struct job *j, void *arg)
{
	struct run *r = arg;
	struct diagnosis d;
	if (j->state == JOB_CONFIRMED)
		return 0;
	if (diagnose_one(r, j, &d) < 0 || (!r->json && add_to_group(r, j, &d) < 0)) {
		r->failed = true;
		return 1;
	}
	if (r->json)
		diagnose_json(&r->w, j, &d);
	r->jobs++;
	return 0;
}

static int diagnose_rollout(struct run *r, const char *name)
{
	struct rollout ro;
	int found = store_rollout_get(r->s, name, &ro, &r->err);
	if (found <= 0)
		return found < 0 ? cli_fail(EXIT_RUNTIME, "diagnose: %s", r->err.msg)
				 : cli_fail(EXIT_RUNTIME, "diagnose: no such rollout '%s'", name);
	struct job_filter f = { .state = -1, .rollout = name };
	if (r->json)
		json_begin_array(&r->w);
	if (store_list(r->s, &f, visit, r, &r->err) < 0 || r->failed)
		return cli_fail(EXIT_RUNTIME, "diagnose: %s", r->err.msg);
	if (r->json) {
		json_end_array(&r->w);
		fputc('\n', stdout);
		return json_finish(&r->w) < 0 ? EXIT_RUNTIME : EXIT_OK;
	}
	printf("rollout %s: %lld of %lld units not confirmed\n", name, (long long)r->jobs,
	       (long long)ro.total_units);
	for (size_t i = 0; i < r->ngroups; i++)
		print_group(&r->groups[i]);
	return EXIT_OK;
}

static int diagnose_job_id(struct run *r, int64_t id)
{
	struct job j;
	struct diagnosis d;
	int found = store_get(r->s, id, &j, &r->err);
	if (found <= 0)
		return found < 0 ? cli_fail(EXIT_RUNTIME, "diagnose: %s", r->err.msg)
				 : cli_fail(EXIT_RUNTIME, "diagnose: no such job %lld", (long long)id);
	if (diagnose_one(r, &j, &d) < 0)
		return cli_fail(EXIT_RUNTIME, "diagnose: %s", r->err.msg);
	if (r->json) {
		json_begin_array(&r->w);
		diagnose_json(&r->w, &j, &d);
		json_end_array(&r->w);
		fputc('\n', stdout);
		return json_finish(&r->w) < 0 ? EXIT_RUNTIME : EXIT_OK;
	}
	printf("job %lld to %s: %s\n", (long long)j.id, j.msisdn, job_state_name(j.state));
	print_diagnosis(&d);
	return EXIT_OK;
}

/* ---- options ---- */

static int parse_args(int argc, char **argv, struct diagnose_args *a)
{
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":r:h", diagnose_options, NULL)) != -1) {
		switch (c) {
		case 'r': a->rollout = optarg; break;
		case OPT_JSON: a->json = true; break;
		default: return cli_bad_option("diagnose", argv, diagnose_options, c);
		}
	}
	if (optind < argc && !a->rollout && optind + 1 == argc) {
		if (cli_parse_id(argv[optind], &a->id) < 0)
			return cli_fail(EXIT_USAGE, "diagnose: invalid job id '%s'", argv[optind]);
		optind++;
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "diagnose: unexpected argument '%s' (see otapctl "
				"diagnose --help)", argv[optind]);
	if (!a->id == !a->rollout)
		return cli_fail(EXIT_USAGE, "diagnose: give a JOB_ID or --rollout NAME");
	return EXIT_OK;
}

int cmd_diagnose(int argc, char **argv, struct cli_ctx *ctx)
{
	struct diagnose_args a = { 0 };
	struct run r = { 0 };
	int rc;

	if (cli_wants_help(argc, argv, diagnose_usage))
		return EXIT_OK;
	if ((rc = parse_args(argc, argv, &a)) != EXIT_OK)
		return rc;
	/* The profiles sharpen the advice, but --db alone must work too. */
	if (!ctx->db_path || ctx->config_path) {
		if ((rc = cli_load_config(ctx)) != EXIT_OK)
			return rc;
		r.cfg = &ctx->cfg;
	}
	if ((rc = cli_open_existing_queue(ctx, &r.s)) != EXIT_OK)
		return rc;
	r.json = a.json;
	json_init(&r.w, stdout);
	rc = a.id ? diagnose_job_id(&r, a.id) : diagnose_rollout(&r, a.rollout);
	free(r.groups);
	store_close(r.s);
	return rc;
}
