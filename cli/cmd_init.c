/* cmd_init.c - `otapctl init`: creates the database or migrates it to the
 * current schema. Needs only the database path (--db or the config's). */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static const char init_usage[] =
	"usage: otapctl [-c FILE | --db PATH] init\n"
	"\n"
	"Creates the job database (file mode 0600) if it does not exist and\n"
	"applies pending schema migrations. Running it again is harmless. The\n"
	"database is --db PATH, else the config's `database`; the directory\n"
	"must already exist.\n"
	"\n"
	"  -h, --help   show this help\n"
	"\n"
	"Exit status: 0 done, 1 database error, 2 bad usage.\n";

static const struct option init_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_init(int argc, char **argv, struct cli_ctx *ctx)
{
	struct store *q;
	const char *path = NULL;
	int c, rc;

	if (cli_wants_help(argc, argv, init_usage))
		return EXIT_OK;
	while ((c = getopt_long(argc, argv, ":h", init_options, NULL)) != -1) {
		if (c != 'h')
			return cli_bad_option("init", argv, init_options, c);
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "init: unexpected argument '%s' (see otapctl init --help)",
				argv[optind]);
	if ((rc = cli_db_path(ctx, &path)) != EXIT_OK)
		return rc;
	if ((rc = cli_open_queue(ctx, &q)) != EXIT_OK)
		return rc;
	printf("initialised %s (schema version %d)\n", path, store_schema_version(q));
	store_close(q);
	return EXIT_OK;
}
