/* cmd_audit.c - `otapctl audit [--json] [--limit N]`: what operators did,
 * newest first: when, which Unix user, the command with its arguments and
 * what it did (the audit table, store_audit_list). Read-only. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "json.h"
#include "store_admin.h"

static const char audit_usage[] =
	"usage: otapctl [-c FILE | --db PATH] audit [--json] [--limit N]\n"
	"\n"
	"Lists the operator actions otapctl recorded, newest first: enqueue,\n"
	"rollout create/pause/resume/cancel, retry, cancel and purge, each with\n"
	"its time, the Unix user who ran it, its arguments (control bytes shown\n"
	"as \\xNN, cut at 511 bytes) and what it did. An action is recorded\n"
	"right after it succeeded.\n"
	"\n"
	"      --json     an array of objects {id, at, user, action, args, result}\n"
	"  -n, --limit N  only the newest N entries (default 50; 0 = all)\n"
	"  -h, --help     show this help\n"
	"\n"
	"Exit status: 0 ok, 1 database error, 2 bad usage.\n";

enum { OPT_JSON = 256 };

static const struct option audit_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "limit", required_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_args(int argc, char **argv, bool *json, int *limit)
{
	int c;
	while ((c = getopt_long(argc, argv, ":hn:", audit_options, NULL)) != -1) {
		if (c == OPT_JSON)
			*json = true;
		else if (c == 'n' && cli_parse_int(optarg, 0, 1000000000, limit) < 0)
			return cli_fail(EXIT_USAGE, "audit: invalid --limit '%s' (expected a whole "
					"number, 0 = all)", optarg);
		else if (c != 'h' && c != 'n')
			return cli_bad_option("audit", argv, audit_options, c);
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "audit: unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

static int print_text(const struct audit_entry *e, void *arg)
{
	(void)arg;
	char at[CLI_TIME_MAX];
	cli_format_local_time(e->at, at, sizeof at);
	printf("%s  %-10s %s%s%s\n", at, e->user, e->action, e->args[0] ? " " : "", e->args);
	if (e->result[0])
		printf("    %s\n", e->result);
	return 0;
}

static int print_json(const struct audit_entry *e, void *arg)
{
	struct json_writer *w = arg;
	json_begin_object(w);
	json_member_int(w, "id", e->id);
	json_member_time_ms(w, "at", e->at);
	json_member_string(w, "user", e->user);
	json_member_string(w, "action", e->action);
	json_member_string(w, "args", e->args);
	json_member_string(w, "result", e->result);
	json_end_object(w);
	return 0;
}

int cmd_audit(int argc, char **argv, struct cli_ctx *ctx)
{
	bool json = false;
	int limit = 50, rc;
	if (cli_wants_help(argc, argv, audit_usage))
		return EXIT_OK;
	if ((rc = parse_args(argc, argv, &json, &limit)) != EXIT_OK)
		return rc;
	struct store *q;
	if ((rc = cli_open_existing_queue(ctx, &q)) != EXIT_OK)
		return rc;
	struct errbuf err = { { 0 } };
	struct json_writer w;
	int listed;
	if (json) {
		json_init(&w, stdout);
		json_begin_array(&w);
		listed = store_audit_list(q, limit, print_json, &w, &err);
		json_end_array(&w);
		if (json_finish(&w) < 0 && listed == 0)
			rc = EXIT_RUNTIME;
		putchar('\n');
	} else {
		listed = store_audit_list(q, limit, print_text, NULL, &err);
	}
	store_close(q);
	if (listed < 0)
		return cli_fail(EXIT_RUNTIME, "audit: %s", err.msg);
	return rc;
}
