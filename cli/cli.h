/* cli.h - what every otapctl subcommand shares: the command table entry,
 * global options, exit codes, and helpers to load the config and open the
 * queue with errors printed the same way everywhere. */
#ifndef OTAP_CLI_H
#define OTAP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "config.h"
#include "store.h"
#include "rollout.h"

enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,       /* database, I/O... */
	EXIT_USAGE = 2,         /* bad usage or bad input */
};

struct cli_ctx {
	const char *config_path;        /* -c/--config; NULL = default resolution */
	const char *db_path;            /* --db; overrides the config's database */
	struct cfg cfg;
	bool cfg_loaded;
	char **typed;                   /* the command's words as typed, from the
					 * command's name on (before getopt reorders) */
	int typed_count;
};

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv, struct cli_ctx *ctx);
	const char *summary;
};

/* Loads the config once (exits-code style: returns EXIT_OK or prints the
 * reason to stderr and returns EXIT_USAGE). */
int cli_load_config(struct cli_ctx *ctx);
/* Opens the queue at --db or the config's database. Uses the config only
 * when --db is not given. Returns EXIT_OK or prints and returns an exit code. */
int cli_open_queue(struct cli_ctx *ctx, struct store **q);
/* True when argv has -h/--help; prints usage to stdout. */
bool cli_wants_help(int argc, char **argv, const char *usage);
/* Prints "otapctl: <msg>" to stderr, control bytes escaped as \xNN
 * (textesc.h), and returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses a positive job id; returns 0 or -1. */
int cli_parse_id(const char *text, int64_t *id);
/* Wall clock in ms since the epoch. */
int64_t cli_now_ms(void);

/* Additions (cli): helpers shared by subcommands. */

struct option;
/* Prints "otapctl: warning: <msg>" to stderr, escaped like cli_fail (the
 * operation goes on). */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports a getopt_long failure (c is '?' or ':'; optstring starts with ':')
 * for subcommand cmd as "otapctl: cmd: unknown option ...", with a hint when
 * a global option was put after the command. Returns EXIT_USAGE. */
int cli_bad_option(const char *cmd, char **argv, const struct option *longopts, int c);
/* Sets *path to --db or the config's database (loading the config only when
 * --db is absent). Returns EXIT_OK or prints and returns an exit code. */
int cli_db_path(struct cli_ctx *ctx, const char **path);
/* Makes q wait for another writer's lock up to $OTAPCTL_LOCK_WAIT (a
 * duration, default 2m) instead of failing after the store's busy timeout,
 * with a note on stderr after a second and, on giving up, who holds it
 * (otapd's pid from db_path's lock file). Called by cli_open_queue.
 * Returns EXIT_OK or prints and returns an exit code. */
int cli_set_lock_wait(struct store *q, const char *db_path);
/* Like cli_open_queue but refuses a database file that does not exist yet
 * (read/modify commands must not silently create an empty one). */
int cli_open_existing_queue(struct cli_ctx *ctx, struct store **q);
/* How far ahead a schedule time may be: a year (366 days). An OTAP
 * trigger timed further out is a typo (+99999999999d, 2062 for 2026), and
 * the store parks unopened waves in the year 4000, which a user time must
 * never reach. */
#define CLI_TIME_HORIZON_DAYS 366
#define CLI_TIME_HORIZON_MS (CLI_TIME_HORIZON_DAYS * 24LL * 60 * 60 * 1000)
/* Parses a schedule time: "now", "+DURATION" (relative to now_ms),
 * "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DDTHH:MM[:SS]" in local time, or the
 * same with a trailing "Z" for UTC. Returns 0 and sets *out (ms since the
 * epoch), or -1 with a reason in err (also for overflow and for times more
 * than CLI_TIME_HORIZON_MS after now_ms). */
int cli_parse_time(const char *text, int64_t now_ms, int64_t *out, struct errbuf *err);
/* Returns 0 when t (from text) is at most CLI_TIME_HORIZON_MS after now_ms,
 * else -1 with "invalid time 'TEXT': more than 366 days (a year) ahead" in err. */
int cli_time_check_horizon(const char *text, int64_t t, int64_t now_ms, struct errbuf *err);
/* Parses a decimal integer in [min, max] with nothing around it. Returns 0 or -1. */
int cli_parse_int(const char *text, int min, int max, int *out);
/* Buffer size that holds any cli_format_local_time() text. */
#define CLI_TIME_MAX 48
/* Formats ms since the epoch as local "YYYY-MM-DD HH:MM:SS ZONE" into buf
 * (ZONE: strftime's %Z, "CET"): a time without its zone is ambiguous for an
 * operator on another machine, and twice a year even on the same one. */
void cli_format_local_time(int64_t ms, char *buf, size_t size);
/* Copies text into buf for one table cell: non-printable bytes become '?'
 * and text longer than max_chars is cut with "..." (max_chars >= 4).
 * Empty text becomes "-". */
void cli_cell(const char *text, size_t max_chars, char *buf, size_t size);
/* Columns of the terminal on stdout (TIOCGWINSZ), or 80 when stdout is not
 * a terminal or does not say. */
int cli_term_width(void);

/* Additions (audit): records a successful action in the audit trail
 * (cli/cli_audit.c): now, the effective Unix user (name, else "uid N"),
 * action ("cancel", "rollout cancel"), the words typed after the action's
 * own (ctx->typed; quoted when holding a space, control bytes escaped as
 * \xNN, cut with "..." at AUDIT_ARGS_MAX) and the result (printf-style).
 * Called after the action committed, with the command's open store; a
 * failure to record is a warning on stderr, not a failure of the command
 * (the action is done). */
void cli_audit(struct store *q, const struct cli_ctx *ctx, const char *action, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));
/* More queued jobs than this make a rollout cancel ask first. */
#define CLI_CONFIRM_JOBS 1000
/* Before cancelling rollout name (cli/cli_confirm.c): when it has more than
 * CLI_CONFIRM_JOBS queued jobs and yes is false, asks on stderr and reads
 * y/yes from stdin if stdin is a terminal, else refuses. cmd names the
 * command in messages. Returns EXIT_OK to go on, else prints the reason
 * and returns EXIT_USAGE (refused or not confirmed) or EXIT_RUNTIME. */
int cli_confirm_rollout_cancel(struct store *q, const char *cmd, const char *name, bool yes);

/* Additions (rollout): how a rollout looks, shared by rollout status and
 * watch (cli/rollout_view.c). */
struct json_writer;
/* The status frame as text lines; times in the rollout's zone. Lines of
 * items (jobs, funnel, stopped) continue on indented lines rather than
 * run past width columns (see cli_term_width()). */
void rollout_view_text(FILE *f, const struct rollout_status *st, int64_t now, int width);
/* The status as one JSON object and a newline. Returns 0, or -1 when f failed. */
int rollout_view_json(FILE *f, const struct rollout_status *st);

/* One per file: cli/cmd_<name>.c */
int cmd_init(int argc, char **argv, struct cli_ctx *ctx);
int cmd_enqueue(int argc, char **argv, struct cli_ctx *ctx);
int cmd_diagnose(int argc, char **argv, struct cli_ctx *ctx);
int cmd_status(int argc, char **argv, struct cli_ctx *ctx);
int cmd_cancel(int argc, char **argv, struct cli_ctx *ctx);
int cmd_pdu(int argc, char **argv, struct cli_ctx *ctx);
int cmd_decode(int argc, char **argv, struct cli_ctx *ctx);
int cmd_rollout(int argc, char **argv, struct cli_ctx *ctx);
int cmd_retry(int argc, char **argv, struct cli_ctx *ctx);
int cmd_watch(int argc, char **argv, struct cli_ctx *ctx);
int cmd_preflight(int argc, char **argv, struct cli_ctx *ctx);
int cmd_modems(int argc, char **argv, struct cli_ctx *ctx);
int cmd_purge(int argc, char **argv, struct cli_ctx *ctx);
int cmd_audit(int argc, char **argv, struct cli_ctx *ctx);

#endif
