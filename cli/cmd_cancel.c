/* cmd_cancel.c - `otapctl cancel`: cancels a job that is still queued, or
 * the queued rest of a rollout. Needs only the database (--db or the
 * config's). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"

static const char cancel_usage[] =
	"usage: otapctl [-c FILE | --db PATH] cancel JOB_ID\n"
	"       otapctl [-c FILE | --db PATH] cancel --rollout NAME [--yes]\n"
	"\n"
	"Cancels a queued job (including one waiting for a retry). A job that a\n"
	"modem is sending or has sent cannot be called back and is refused.\n"
	"With --rollout, cancels the rollout and every job of it still queued\n"
	"(the same as otapctl rollout cancel NAME); jobs being sent finish.\n"
	"More than 1000 queued jobs ask for confirmation on a terminal and need\n"
	"--yes otherwise.\n"
	"\n"
	"  -r, --rollout NAME  cancel the queued rest of this rollout\n"
	"  -y, --yes           cancel a big rollout without asking\n"
	"  -h, --help          show this help\n"
	"\n"
	"Exit status: 0 cancelled, 1 refused (no such job or rollout, not queued,\n"
	"already cancelled) or database error, 2 bad usage, invalid job id, or a\n"
	"big rollout not confirmed.\n";

static const struct option cancel_options[] = {
	{ "rollout", required_argument, NULL, 'r' },
	{ "yes", no_argument, NULL, 'y' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_args(int argc, char **argv, int64_t *id, const char **rollout, bool *yes)
{
	int c;

	while ((c = getopt_long(argc, argv, ":hr:y", cancel_options, NULL)) != -1) {
		if (c == 'r')
			*rollout = optarg;
		else if (c == 'y')
			*yes = true;
		else if (c != 'h')
			return cli_bad_option("cancel", argv, cancel_options, c);
	}
	if (*rollout) {
		if (optind < argc)
			return cli_fail(EXIT_USAGE, "cancel: a JOB_ID cannot be combined with --rollout");
		return EXIT_OK;
	}
	if (optind >= argc)
		return cli_fail(EXIT_USAGE, "cancel: expected a JOB_ID or --rollout NAME "
				"(see otapctl cancel --help)");
	if (cli_parse_id(argv[optind], id) < 0)
		return cli_fail(EXIT_USAGE, "cancel: invalid job id '%s' (expected a positive whole number)",
				argv[optind]);
	if (optind + 1 < argc)
		return cli_fail(EXIT_USAGE, "cancel: unexpected argument '%s' (one JOB_ID at a time)",
				argv[optind + 1]);
	return EXIT_OK;
}

static int cancel_rollout(struct store *q, const char *name, bool yes,
			  const struct cli_ctx *ctx)
{
	struct errbuf err = { { 0 } };
	int64_t jobs = 0;
	int rc = cli_confirm_rollout_cancel(q, "cancel", name, yes);
	if (rc != EXIT_OK)
		return rc;
	if (store_rollout_cancel(q, name, cli_now_ms(), &jobs, &err) < 0)
		return cli_fail(EXIT_RUNTIME, "cannot cancel rollout %s: %s", name, err.msg);
	printf("cancelled rollout %s (%" PRId64 " queued jobs)\n", name, jobs);
	cli_audit(q, ctx, "cancel", "cancelled rollout %s (%" PRId64 " queued jobs)", name,
		  jobs);
	return EXIT_OK;
}

int cmd_cancel(int argc, char **argv, struct cli_ctx *ctx)
{
	struct errbuf err = { { 0 } };
	struct store *q;
	const char *rollout = NULL;
	int64_t id = 0;
	bool yes = false;
	int rc;

	if (cli_wants_help(argc, argv, cancel_usage))
		return EXIT_OK;
	if ((rc = parse_args(argc, argv, &id, &rollout, &yes)) != EXIT_OK)
		return rc;
	if ((rc = cli_open_existing_queue(ctx, &q)) != EXIT_OK)
		return rc;
	if (rollout) {
		rc = cancel_rollout(q, rollout, yes, ctx);
	} else if (store_cancel(q, id, cli_now_ms(), &err) < 0) {
		rc = cli_fail(EXIT_RUNTIME, "cannot cancel job %lld: %s", (long long)id, err.msg);
	} else {
		printf("cancelled job %lld\n", (long long)id);
		cli_audit(q, ctx, "cancel", "cancelled job %lld", (long long)id);
	}
	store_close(q);
	return rc;
}
