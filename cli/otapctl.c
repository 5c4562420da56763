/* otapctl.c - the otapctl entry point: global options, the command table
 * and dispatch to one cmd_<name>() per subcommand. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "version.h"

/* Add a subcommand here (and its cmd_ declaration in cli.h); usage and
 * `otapctl help` pick it up from this table. */
static const struct cli_command commands[] = {
	{ .name = "init", .run = cmd_init,
	  .summary = "create the database or bring its schema up to date" },
	{ .name = "enqueue", .run = cmd_enqueue,
	  .summary = "queue an OTAP install/delete for one unit" },
	{ .name = "status", .run = cmd_status,
	  .summary = "show job counts, jobs, or one job with its attempt history" },
	{ .name = "cancel", .run = cmd_cancel,
	  .summary = "cancel a queued job, or the queued rest of a rollout" },
	{ .name = "preflight", .run = cmd_preflight,
	  .summary = "check a profile's JAD and JAR the way the units will fetch them" },
	{ .name = "rollout", .run = cmd_rollout,
	  .summary = "create, list, show, pause, resume or cancel rollouts" },
	{ .name = "watch", .run = cmd_watch,
	  .summary = "follow a rollout's progress, refreshed in place" },
	{ .name = "retry", .run = cmd_retry,
	  .summary = "queue failed jobs again (all, a rollout's, or one)" },
	{ .name = "modems", .run = cmd_modems,
	  .summary = "show each modem's state, network, signal and counters" },
	{ .name = "purge", .run = cmd_purge,
	  .summary = "delete finished jobs older than a duration, with their history" },
	{ .name = "audit", .run = cmd_audit,
	  .summary = "list what operators did: who, when, with which arguments" },
	{ .name = "diagnose", .run = cmd_diagnose,
	  .summary = "say where each unit stopped and why, and what to do" },
	{ .name = "pdu", .run = cmd_pdu,
	  .summary = "print the PDUs a job would send, without sending" },
	{ .name = "decode", .run = cmd_decode,
	  .summary = "decode an SMS PDU given as hex" },
};

#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void print_usage(FILE *f)
{
	fputs("usage: otapctl [-c|--config FILE] [--db PATH] <command> [args]\n"
	      "       otapctl --version\n"
	      "\n"
	      "Global options (before the command):\n"
	      "  -c, --config FILE  config file (default: $OTAPD_CONFIG, else "
	      CFG_DEFAULT_PATH ")\n"
	      "  --db PATH          database to use instead of the config's; init, status,\n"
	      "                     cancel, diagnose, retry, watch and rollout (but not\n"
	      "                     rollout create) then need no config file\n"
	      "  -h, --help         show this help\n"
	      "  -V, --version      print the version and exit\n"
	      "\n"
	      "Commands:\n", f);
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("  help CMD   show the help of CMD (same as otapctl CMD --help)\n"
	      "\n"
	      "Exit status: 0 success, 1 runtime error (database, I/O, refused\n"
	      "operation), 2 bad usage or invalid input.\n", f);
}

static const struct cli_command *command_find(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

/* Takes the value of a global option given as "--opt VALUE", "--opt=VALUE"
 * or (short form) "-c VALUE" / "-cVALUE". Returns the value or NULL. */
static const char *option_value(int argc, char **argv, int *i, const char *arg,
				const char *name)
{
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0)
		return NULL;
	if (arg[n] == '=' && name[1] == '-')
		return arg + n + 1;
	if (arg[n] != '\0') {
		if (name[1] != '-')
			return arg + n;     /* -cFILE */
		return NULL;
	}
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

/* True when arg is exactly the option or its --opt=value form. */
static bool option_is(const char *arg, const char *name)
{
	size_t n = strlen(name);
	return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* Parses the global options by hand rather than with getopt: glibc's getopt
 * latches its argument-ordering mode on the first call, and each subcommand
 * must start getopt_long afresh with optind = 1 and its own option string.
 * Returns the index of the command word (argc when none), or -1 after
 * printing an error; *help is set for -h/--help, *version for -V/--version. */
static int parse_globals(int argc, char **argv, struct cli_ctx *ctx, bool *help,
			 bool *version)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *value;
		if (arg[0] != '-' || strcmp(arg, "-") == 0)
			break;
		if (strcmp(arg, "--") == 0)
			return i + 1;
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			*help = true;
		} else if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
			*version = true;
		} else if (option_is(arg, "--config") || strncmp(arg, "-c", 2) == 0) {
			const char *name = arg[1] == 'c' ? "-c" : "--config";
			if (!(value = option_value(argc, argv, &i, arg, name)) || !*value) {
				cli_fail(EXIT_USAGE, "option %s needs a file name", name);
				return -1;
			}
			ctx->config_path = value;
		} else if (option_is(arg, "--db")) {
			if (!(value = option_value(argc, argv, &i, arg, "--db")) || !*value) {
				cli_fail(EXIT_USAGE, "option --db needs a path");
				return -1;
			}
			ctx->db_path = value;
		} else {
			cli_fail(EXIT_USAGE, "unknown global option '%s' (see otapctl --help)", arg);
			return -1;
		}
	}
	return i;
}

/* `otapctl help [CMD]`: same as `otapctl CMD --help`. */
static int run_help(int argc, char **argv, struct cli_ctx *ctx)
{
	if (argc < 2) {
		print_usage(stdout);
		return EXIT_OK;
	}
	const struct cli_command *cmd = command_find(argv[1]);
	if (!cmd)
		return cli_fail(EXIT_USAGE, "unknown command '%s' (see otapctl --help)", argv[1]);
	char help_opt[] = "--help";
	char *help_argv[] = { argv[1], help_opt, NULL };
	optind = 1;
	return cmd->run(2, help_argv, ctx);
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { 0 };
	bool help = false, version = false;
	int rc;

	/* Library code logs through lib/log.h; on the command line only
	 * warnings and errors are worth showing. */
	log_init("otapctl", LOG_LEVEL_WARN);
	/* $OTAPCTL_LOG_LEVEL (debug, info, ...) shows more, e.g. an import's
	 * transaction figures (bench/README.md). */
	enum log_level level;
	const char *want = getenv("OTAPCTL_LOG_LEVEL");
	if (want && log_level_parse(want, &level) == 0)
		log_set_level(level);
	int first = parse_globals(argc, argv, &ctx, &help, &version);
	if (first < 0)
		return EXIT_USAGE;
	if (version) {
		puts("otapctl " OTAP_VERSION);
		return EXIT_OK;
	}
	if (help) {
		print_usage(stdout);
		return EXIT_OK;
	}
	if (first >= argc) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[first];
	if (strcmp(name, "help") == 0) {
		rc = run_help(argc - first, argv + first, &ctx);
	} else {
		const struct cli_command *cmd = command_find(name);
		if (!cmd)
			return cli_fail(EXIT_USAGE, "unknown command '%s' (see otapctl --help)", name);
		/* getopt_long reorders argv; the audit trail records the words
		 * as typed. */
		char *typed[argc - first + 1];
		memcpy(typed, argv + first, sizeof typed);
		ctx.typed = typed;
		ctx.typed_count = argc - first;
		optind = 1;
		rc = cmd->run(argc - first, argv + first, &ctx);
	}
	if (ctx.cfg_loaded)
		cfg_free(&ctx.cfg);
	if (fflush(stdout) != 0 && rc == EXIT_OK)
		rc = cli_fail(EXIT_RUNTIME, "cannot write output: %s", strerror(errno));
	return rc;
}
