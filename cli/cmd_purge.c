/* cmd_purge.c - `otapctl purge --older-than DURATION [--dry-run]`: deletes
 * finished jobs (confirmed, failed, cancelled) last changed before then,
 * with their history, and the finished rollouts left empty (store_purge).
 * Needs only the database. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "duration.h"
#include "store_admin.h"

static const char purge_usage[] =
	"usage: otapctl [-c FILE | --db PATH] purge --older-than DURATION [--dry-run]\n"
	"\n"
	"Deletes the jobs that are finished (confirmed, failed or cancelled) and\n"
	"were last changed more than DURATION ago (90d, 12h...), with their\n"
	"attempts, events and sent parts. Jobs of a rollout that is importing,\n"
	"active or paused are kept whatever their age; jobs sent or delivered\n"
	"but not confirmed are kept too. Then deletes the done or cancelled\n"
	"rollouts that have no job left and were last changed before then.\n"
	"Works 10 000 jobs per short transaction, so otapd can keep sending.\n"
	"\n"
	"The freed space is reused by new jobs; the file itself shrinks only when\n"
	"the database is in incremental auto-vacuum mode, or with an offline\n"
	"`sqlite3 DB VACUUM` while otapd is stopped. On PostgreSQL the server's\n"
	"autovacuum makes the space reusable. The audit trail is kept.\n"
	"\n"
	"      --older-than DURATION  age of the last change (units ms, s, m, h, d)\n"
	"  -n, --dry-run              count what would go; delete nothing\n"
	"  -h, --help                 show this help\n"
	"\n"
	"Exit status: 0 done, 1 database error, 2 bad usage.\n";

enum { OPT_OLDER = 256 };

static const struct option purge_options[] = {
	{ "older-than", required_argument, NULL, OPT_OLDER },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_args(int argc, char **argv, const char **older, bool *dry_run)
{
	int c;
	while ((c = getopt_long(argc, argv, ":hn", purge_options, NULL)) != -1) {
		if (c == OPT_OLDER)
			*older = optarg;
		else if (c == 'n')
			*dry_run = true;
		else if (c != 'h')
			return cli_bad_option("purge", argv, purge_options, c);
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "purge: unexpected argument '%s'", argv[optind]);
	if (!*older)
		return cli_fail(EXIT_USAGE, "purge: --older-than DURATION is required (e.g. 90d)");
	return EXIT_OK;
}

/* What happened to the freed pages. */
static void print_space(const struct purge_result *r)
{
	int64_t kib = r->free_pages * r->page_size / 1024;
	if (r->autovacuum)
		printf("space: the deleted rows' space is reused by new jobs once PostgreSQL's "
		       "autovacuum has passed\n");
	else if (r->incremental)
		printf("space: %" PRId64 " pages given back to the file system "
		       "(incremental auto-vacuum)\n", r->pages_freed);
	else
		printf("space: %" PRId64 " free pages (%" PRId64 " KiB) inside the file, reused by "
		       "new jobs; the file shrinks only with an offline VACUUM (otapd stopped)\n",
		       r->free_pages, kib);
}

static void print_result(const struct purge_result *r, const char *older, bool dry_run)
{
	printf("%s %" PRId64 " jobs finished more than %s ago (%" PRId64 " attempts, %" PRId64
	       " events, %" PRId64 " sent parts) and %" PRId64 " emptied rollouts\n",
	       dry_run ? "would delete" : "deleted", r->jobs, older, r->attempts, r->events,
	       r->sent_parts, r->rollouts);
	if (!dry_run)
		print_space(r);
}

int cmd_purge(int argc, char **argv, struct cli_ctx *ctx)
{
	const char *older = NULL;
	bool dry_run = false;
	int rc;
	if (cli_wants_help(argc, argv, purge_usage))
		return EXIT_OK;
	if ((rc = parse_args(argc, argv, &older, &dry_run)) != EXIT_OK)
		return rc;
	struct errbuf err = { { 0 } };
	int64_t age;
	if (duration_parse(older, &age, &err) < 0)
		return cli_fail(EXIT_USAGE, "purge: --older-than: %s", err.msg);
	int64_t now = cli_now_ms();
	if (age >= now)
		return cli_fail(EXIT_USAGE, "purge: --older-than %s reaches before 1970", older);
	struct store *q;
	if ((rc = cli_open_existing_queue(ctx, &q)) != EXIT_OK)
		return rc;
	struct purge_spec p = { .cutoff = now - age, .dry_run = dry_run };
	struct purge_result r = { 0 };
	if (store_purge(q, &p, &r, &err) < 0) {
		rc = cli_fail(EXIT_RUNTIME, "purge: %s (%" PRId64 " jobs deleted before)", err.msg,
			      r.jobs);
		if (!dry_run && r.jobs > 0)
			cli_audit(q, ctx, "purge", "stopped by an error after deleting "
				  "%" PRId64 " jobs", r.jobs);
	} else {
		print_result(&r, older, dry_run);
		if (!dry_run)   /* a dry run changes nothing: not an action */
			cli_audit(q, ctx, "purge", "deleted %" PRId64 " jobs, %" PRId64
				  " rollouts", r.jobs, r.rollouts);
	}
	store_close(q);
	return rc;
}
