/* cmd_retry.c - `otapctl retry`: puts failed units back in the queue, all
 * of them (optionally of one rollout, or with one error code) or one job.
 * The attempt history is kept; the attempt budget starts again. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "store_events.h"

static const char retry_usage[] =
	"usage: otapctl [-c FILE | --db PATH] retry --failed [--rollout NAME] [--error CODE]\n"
	"                                            [--stopped-at STEP]\n"
	"       otapctl [-c FILE | --db PATH] retry JOB_ID\n"
	"\n"
	"Queues failed jobs again, due now: their attempts start again from zero\n"
	"(the history of earlier attempts is kept, and so is last_error until the\n"
	"next try). A rollout that was done becomes active again; jobs of a\n"
	"cancelled rollout stay failed. Paused rollouts send them once resumed.\n"
	"\n"
	"      --failed        every failed job (required unless JOB_ID is given)\n"
	"  -r, --rollout NAME  only jobs of this rollout\n"
	"  -e, --error CODE    only jobs whose last attempt got +CMS ERROR CODE, or\n"
	"                      whose unit reported install-notify status CODE\n"
	"  -s, --stopped-at STEP  only jobs whose last SMS got this far and no further\n"
	"                      (queued, sent, delivered, jad_fetched, jar_partial,\n"
	"                      jar_fetched, reported; see otapctl diagnose)\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: 0 done (also when nothing matched), 1 refused (no such job or\n"
	"rollout, not failed) or database error, 2 bad usage.\n";

enum { OPT_FAILED = 256 };

static const struct option retry_options[] = {
	{ "failed", no_argument, NULL, OPT_FAILED },
	{ "rollout", required_argument, NULL, 'r' },
	{ "error", required_argument, NULL, 'e' },
	{ "stopped-at", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct retry_args {
	bool failed;
	int64_t id;
	struct retry_filter filter;
};

static int parse_args(int argc, char **argv, struct retry_args *a)
{
	int c;
	a->filter.error_code = -1;
	while ((c = getopt_long(argc, argv, ":hr:e:s:", retry_options, NULL)) != -1) {
		switch (c) {
		case OPT_FAILED: a->failed = true; break;
		case 'r': a->filter.rollout = optarg; break;
		case 'e':
			if (cli_parse_int(optarg, 0, 65535, &a->filter.error_code) < 0)
				return cli_fail(EXIT_USAGE, "retry: invalid --error '%s' (expected a "
						"code such as 27 or 901)", optarg);
			break;
		case 's': {
			enum job_step step;
			if (job_step_parse(optarg, &step) < 0)
				return cli_fail(EXIT_USAGE, "retry: invalid --stopped-at '%s' (expected "
						"queued, sent, delivered, jad_fetched, jar_partial, "
						"jar_fetched or reported)", optarg);
			a->filter.by_step = true;
			a->filter.stopped_at = (int)step;
			break;
		}
		case 'h': break;
		default: return cli_bad_option("retry", argv, retry_options, c);
		}
	}
	if (optind < argc && cli_parse_id(argv[optind], &a->id) < 0)
		return cli_fail(EXIT_USAGE, "retry: invalid job id '%s' (expected a positive whole "
				"number)", argv[optind]);
	if (optind + 1 < argc)
		return cli_fail(EXIT_USAGE, "retry: unexpected argument '%s'", argv[optind + 1]);
	if (a->id && (a->failed || a->filter.rollout || a->filter.error_code >= 0 ||
		      a->filter.by_step))
		return cli_fail(EXIT_USAGE, "retry: a JOB_ID cannot be combined with --failed, "
				"--rollout, --error or --stopped-at");
	if (!a->id && !a->failed)
		return cli_fail(EXIT_USAGE, "retry: expected --failed or a JOB_ID (see otapctl "
				"retry --help)");
	return EXIT_OK;
}

/* A named rollout must exist and not be cancelled: say so rather than
 * report "0 jobs". */
static int check_rollout(struct store *q, const char *name)
{
	struct rollout r;
	struct errbuf err = { { 0 } };
	int found = store_rollout_get(q, name, &r, &err);
	if (found < 0)
		return cli_fail(EXIT_RUNTIME, "retry: %s", err.msg);
	if (found == 0)
		return cli_fail(EXIT_RUNTIME, "retry: no such rollout '%s'", name);
	if (r.state == ROLLOUT_CANCELLED)
		return cli_fail(EXIT_RUNTIME, "retry: rollout %s is cancelled; its jobs stay as "
				"they are", name);
	return EXIT_OK;
}

static int retry_failed(struct store *q, const struct retry_args *a,
			const struct cli_ctx *ctx)
{
	struct errbuf err = { { 0 } };
	int64_t count = 0;
	int rc;
	if (a->filter.rollout && (rc = check_rollout(q, a->filter.rollout)) != EXIT_OK)
		return rc;
	if (store_retry_failed(q, &a->filter, cli_now_ms(), &count, &err) < 0)
		return cli_fail(EXIT_RUNTIME, "retry: %s", err.msg);
	printf("%" PRId64 " failed job%s queued again\n", count, count == 1 ? "" : "s");
	cli_audit(q, ctx, "retry", "%" PRId64 " failed jobs queued again", count);
	return EXIT_OK;
}

int cmd_retry(int argc, char **argv, struct cli_ctx *ctx)
{
	struct retry_args a = { 0 };
	struct errbuf err = { { 0 } };
	struct store *q;
	int rc;
	if (cli_wants_help(argc, argv, retry_usage))
		return EXIT_OK;
	if ((rc = parse_args(argc, argv, &a)) != EXIT_OK)
		return rc;
	if ((rc = cli_open_existing_queue(ctx, &q)) != EXIT_OK)
		return rc;
	if (!a.id) {
		rc = retry_failed(q, &a, ctx);
	} else if (store_retry_job(q, a.id, cli_now_ms(), &err) < 0) {
		rc = cli_fail(EXIT_RUNTIME, "retry: %s", err.msg);
	} else {
		printf("job %" PRId64 " queued again\n", a.id);
		cli_audit(q, ctx, "retry", "job %" PRId64 " queued again", a.id);
	}
	store_close(q);
	return rc;
}
