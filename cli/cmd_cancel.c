/* cmd_cancel.c - `otapctl cancel`: cancels a job that is still queued.
 * Needs only the database (--db or the config's). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static const char cancel_usage[] =
	"usage: otapctl [-c FILE | --db PATH] cancel JOB_ID\n"
	"\n"
	"Cancels a queued job (including one waiting for a retry). A job that a\n"
	"modem is sending or has sent cannot be called back and is refused.\n"
	"\n"
	"  -h, --help   show this help\n"
	"\n"
	"Exit status: 0 cancelled, 1 refused (no such job, not queued) or\n"
	"database error, 2 bad usage or invalid job id.\n";

static const struct option cancel_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_args(int argc, char **argv, int64_t *id)
{
	int c;

	while ((c = getopt_long(argc, argv, ":h", cancel_options, NULL)) != -1) {
		if (c != 'h')
			return cli_bad_option("cancel", argv, cancel_options, c);
	}
	if (optind >= argc)
		return cli_fail(EXIT_USAGE, "cancel: expected a JOB_ID (see otapctl cancel --help)");
	if (cli_parse_id(argv[optind], id) < 0)
		return cli_fail(EXIT_USAGE, "cancel: invalid job id '%s' (expected a positive whole number)",
				argv[optind]);
	if (optind + 1 < argc)
		return cli_fail(EXIT_USAGE, "cancel: unexpected argument '%s' (one JOB_ID at a time)",
				argv[optind + 1]);
	return EXIT_OK;
}

int cmd_cancel(int argc, char **argv, struct cli_ctx *ctx)
{
	struct errbuf err = { { 0 } };
	struct queue *q;
	int64_t id;
	int rc;

	if (cli_wants_help(argc, argv, cancel_usage))
		return EXIT_OK;
	if ((rc = parse_args(argc, argv, &id)) != EXIT_OK)
		return rc;
	if ((rc = cli_open_existing_queue(ctx, &q)) != EXIT_OK)
		return rc;
	if (queue_cancel(q, id, cli_now_ms(), &err) < 0)
		rc = cli_fail(EXIT_RUNTIME, "cannot cancel job %lld: %s", (long long)id, err.msg);
	else
		printf("cancelled job %lld\n", (long long)id);
	queue_close(q);
	return rc;
}
