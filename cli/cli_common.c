/* cli_common.c - helpers every otapctl subcommand shares (see cli.h): error
 * printing, option errors, config and database opening, parsing of ids and
 * times, and table cells. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "duration.h"
#include "textesc.h"

/* ------------------------------------------------------------ messages */

/* Prints prefix, the formatted message and a newline to stderr in one go,
 * with control bytes escaped: argv, file contents and CSV fields end up in
 * messages, and none of them may act on the operator's terminal. */
__attribute__((format(printf, 2, 0)))
static void print_message(const char *prefix, const char *fmt, va_list ap)
{
	char raw[4096], line[sizeof raw * TEXTESC_MAX_PER_BYTE];
	int n = vsnprintf(raw, sizeof raw, fmt, ap);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof raw ? (size_t)n : sizeof raw - 1;
	textesc(line, sizeof line, raw, len);
	fprintf(stderr, "%s%s\n", prefix, line);
}

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	print_message("otapctl: ", fmt, ap);
	va_end(ap);
	return code;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	print_message("otapctl: warning: ", fmt, ap);
	va_end(ap);
}

bool cli_wants_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------- option errors */

static const struct option *long_option_by_val(const struct option *longopts, int val)
{
	for (const struct option *o = longopts; o && o->name; o++) {
		if (o->val == val)
			return o;
	}
	return NULL;
}

static const struct option *long_option_by_name(const struct option *longopts, const char *name,
						size_t len)
{
	for (const struct option *o = longopts; o && o->name; o++) {
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	}
	return NULL;
}

/* The option as the user typed it ("--to", "-x"), without any "=value".
 * getopt only tells optopt (0 for an unknown long option), so look at the
 * argument it just consumed when that was a long option. */
static void offending_option(char **argv, const struct option *longopts, char *buf, size_t size)
{
	const char *last = optind > 0 ? argv[optind - 1] : NULL;
	bool last_is_long = last && strncmp(last, "--", 2) == 0;

	if (last_is_long) {
		size_t len = strcspn(last + 2, "=");
		const struct option *o = long_option_by_val(longopts, optopt);
		/* getopt_long accepts unique prefixes ("--lim" for --limit). */
		if (optopt == 0 || optopt > 255 ||
		    (o && strlen(o->name) >= len && strncmp(o->name, last + 2, len) == 0)) {
			snprintf(buf, size, "--%.*s", (int)len, last + 2);
			return;
		}
	}
	if (optopt > 0 && optopt <= 255)
		snprintf(buf, size, "-%c", optopt);
	else
		snprintf(buf, size, "%s", last ? last : "?");
}

static bool is_global_option(const char *text)
{
	return strcmp(text, "--db") == 0 || strcmp(text, "--config") == 0 ||
	       strcmp(text, "-c") == 0;
}

int cli_bad_option(const char *cmd, char **argv, const struct option *longopts, int c)
{
	char text[64];

	offending_option(argv, longopts, text, sizeof text);
	if (is_global_option(text))
		return cli_fail(EXIT_USAGE,
				"%s: %s is a global option: put it before the command "
				"(otapctl %s ... %s ...)", cmd, text, text, cmd);
	if (c == ':')
		return cli_fail(EXIT_USAGE, "%s: option %s needs a value (see otapctl %s --help)",
				cmd, text, cmd);
	if (strncmp(text, "--", 2) == 0) {
		const struct option *o = long_option_by_name(longopts, text + 2, strlen(text + 2));
		if (o && o->has_arg == no_argument)
			return cli_fail(EXIT_USAGE, "%s: option %s takes no value (see otapctl %s --help)",
					cmd, text, cmd);
	}
	return cli_fail(EXIT_USAGE, "%s: unknown option '%s' (see otapctl %s --help)", cmd, text, cmd);
}

/* ------------------------------------------------- config and database */

int cli_load_config(struct cli_ctx *ctx)
{
	struct errbuf err = { { 0 } };

	if (ctx->cfg_loaded)
		return EXIT_OK;
	const char *path = cfg_resolve_path(ctx->config_path);
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return cli_fail(EXIT_USAGE, "config file %s does not exist "
				"(give one with -c FILE or $OTAPD_CONFIG)", path);
	if (cfg_load(path, &ctx->cfg, &err) < 0)
		return cli_fail(EXIT_USAGE, "%s", err.msg);
	ctx->cfg_loaded = true;
	return EXIT_OK;
}

int cli_db_path(struct cli_ctx *ctx, const char **path)
{
	if (ctx->db_path) {
		*path = ctx->db_path;
		return EXIT_OK;
	}
	int rc = cli_load_config(ctx);
	if (rc != EXIT_OK)
		return rc;
	if (!ctx->cfg.database || !ctx->cfg.database[0])
		return cli_fail(EXIT_USAGE, "%s names no database (set database = \"...\" or use --db PATH)",
				ctx->cfg.path ? ctx->cfg.path : "the config");
	*path = ctx->cfg.database;
	return EXIT_OK;
}

/* sqlite's own message for a missing directory is "unable to open database
 * file"; say which directory is missing instead. */
static int check_parent_dir(const char *path)
{
	char dir[4096];
	struct stat st;
	const char *slash = strrchr(path, '/');

	if (!slash)
		return EXIT_OK;         /* current directory */
	size_t len = slash == path ? 1 : (size_t)(slash - path);
	if (len >= sizeof dir)
		return cli_fail(EXIT_USAGE, "database path is too long (at most %zu bytes)",
				sizeof dir - 1);
	memcpy(dir, path, len);
	dir[len] = '\0';
	if (stat(dir, &st) != 0)
		return cli_fail(EXIT_RUNTIME, "cannot open database %s: directory %s: %s "
				"(create it first)", path, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cli_fail(EXIT_RUNTIME, "cannot open database %s: %s is not a directory",
				path, dir);
	return EXIT_OK;
}

/* A PostgreSQL database has no directory to check; its password comes
 * from the config's database_password_file when a config was read (with
 * --db alone, from libpq's PGPASSFILE or ~/.pgpass). */
static int open_queue_at(const struct cli_ctx *ctx, const char *path, struct store **q)
{
	struct errbuf err = { { 0 } };

	bool shared = store_location_is_shared(path);
	int rc = shared ? EXIT_OK : check_parent_dir(path);
	if (rc != EXIT_OK)
		return rc;
	if (shared && ctx->cfg_loaded && store_set_password(ctx->cfg.database_password, &err) < 0)
		return cli_fail(EXIT_RUNTIME, "%s", err.msg);
	if (store_open(path, q, &err) < 0)
		return cli_fail(EXIT_RUNTIME, "%s", err.msg);
	if ((rc = cli_set_lock_wait(*q, path)) != EXIT_OK) {
		store_close(*q);
		*q = NULL;
	}
	return rc;
}

int cli_open_queue(struct cli_ctx *ctx, struct store **q)
{
	const char *path = NULL;
	int rc = cli_db_path(ctx, &path);
	if (rc != EXIT_OK)
		return rc;
	return open_queue_at(ctx, path, q);
}

int cli_open_existing_queue(struct cli_ctx *ctx, struct store **q)
{
	const char *path = NULL;
	struct stat st;
	int rc = cli_db_path(ctx, &path);
	if (rc != EXIT_OK)
		return rc;
	if (!store_location_is_shared(path) && stat(path, &st) != 0 && errno == ENOENT)
		return cli_fail(EXIT_RUNTIME, "database %s does not exist (create it with otapctl init)",
				path);
	return open_queue_at(ctx, path, q);
}

/* ----------------------------------------------------- numbers, clocks */

int cli_parse_id(const char *text, int64_t *id)
{
	char *end;

	if (!text || text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return -1;
	*id = v;
	return 0;
}

int cli_parse_int(const char *text, int min, int max, int *out)
{
	char *end;

	if (!text || !((text[0] >= '0' && text[0] <= '9') || text[0] == '-'))
		return -1;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

int64_t cli_now_ms(void)
{
	return clock_wall_ms();
}

void cli_format_local_time(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, size, "?");
}

/* ---------------------------------------------------------------- time */

#define TIME_EXPECTED "expected now, +DURATION (e.g. +30m), or YYYY-MM-DD HH:MM[:SS] " \
	"in local time (append Z for UTC)"

struct civil_time {
	int year, mon, day, hour, min, sec;
	bool utc;
};

static bool read_digits(const char **p, int count, int *out)
{
	int v = 0;
	for (int i = 0; i < count; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += count;
	*out = v;
	return true;
}

static bool skip_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* Reads "YYYY-MM-DD[ T]HH:MM[:SS][Z]" exactly; no range checks yet. */
static bool parse_civil(const char *text, struct civil_time *c)
{
	const char *p = text;

	memset(c, 0, sizeof *c);
	if (!read_digits(&p, 4, &c->year) || !skip_char(&p, '-') ||
	    !read_digits(&p, 2, &c->mon) || !skip_char(&p, '-') ||
	    !read_digits(&p, 2, &c->day))
		return false;
	if (!skip_char(&p, ' ') && !skip_char(&p, 'T'))
		return false;
	if (!read_digits(&p, 2, &c->hour) || !skip_char(&p, ':') || !read_digits(&p, 2, &c->min))
		return false;
	if (skip_char(&p, ':') && !read_digits(&p, 2, &c->sec))
		return false;
	c->utc = skip_char(&p, 'Z');
	return *p == '\0';
}

static void civil_to_tm(const struct civil_time *c, struct tm *tm)
{
	memset(tm, 0, sizeof *tm);
	tm->tm_year = c->year - 1900;
	tm->tm_mon = c->mon - 1;
	tm->tm_mday = c->day;
	tm->tm_hour = c->hour;
	tm->tm_min = c->min;
	tm->tm_sec = c->sec;
	tm->tm_isdst = -1;      /* let mktime decide whether DST applies */
}

/* mktime/timegm silently normalise (Feb 30 -> Mar 2); a changed field
 * means the input named no such instant. */
static bool tm_matches(const struct tm *tm, const struct civil_time *c)
{
	return tm->tm_year == c->year - 1900 && tm->tm_mon == c->mon - 1 &&
	       tm->tm_mday == c->day && tm->tm_hour == c->hour && tm->tm_min == c->min &&
	       tm->tm_sec == c->sec;
}

static int civil_to_ms(const struct civil_time *c, const char *text, int64_t *out,
		       struct errbuf *err)
{
	struct tm tm;

	civil_to_tm(c, &tm);
	time_t t = timegm(&tm);        /* pure calendar check first */
	if (!tm_matches(&tm, c))
		return errbuf_set(err, "invalid time '%.40s': no such date or time of day", text);
	if (!c->utc) {
		civil_to_tm(c, &tm);
		t = mktime(&tm);
		if (t == (time_t)-1 || !tm_matches(&tm, c))
			return errbuf_set(err, "invalid time '%.40s': does not exist in the local "
					  "time zone (daylight saving change?)", text);
	}
	*out = (int64_t)t * 1000;
	return 0;
}

int cli_time_check_horizon(const char *text, int64_t t, int64_t now_ms, struct errbuf *err)
{
	if (t > now_ms && t - now_ms > CLI_TIME_HORIZON_MS)
		return errbuf_set(err, "invalid time '%.40s': more than %d days (a year) ahead",
				  text, CLI_TIME_HORIZON_DAYS);
	return 0;
}

static int parse_time_any(const char *text, int64_t now_ms, int64_t *out, struct errbuf *err)
{
	struct civil_time c;

	if (strcmp(text, "now") == 0) {
		*out = now_ms;
		return 0;
	}
	if (text[0] == '+') {
		int64_t d;
		if (duration_parse(text + 1, &d, err) < 0)
			return errbuf_prefix(err, "invalid time '%.40s'", text);
		if (d > INT64_MAX - now_ms)
			return errbuf_set(err, "invalid time '%.40s': too far in the future", text);
		*out = now_ms + d;
		return 0;
	}
	if (!parse_civil(text, &c))
		return errbuf_set(err, "invalid time '%.40s': " TIME_EXPECTED, text);
	return civil_to_ms(&c, text, out, err);
}

int cli_parse_time(const char *text, int64_t now_ms, int64_t *out, struct errbuf *err)
{
	if (parse_time_any(text, now_ms, out, err) < 0)
		return -1;
	return cli_time_check_horizon(text, *out, now_ms, err);
}

/* --------------------------------------------------------------- cells */

void cli_cell(const char *text, size_t max_chars, char *buf, size_t size)
{
	size_t len = text ? strlen(text) : 0;
	size_t keep = len;
	bool cut = false;

	if (size == 0)
		return;
	if (len == 0) {
		snprintf(buf, size, "-");
		return;
	}
	if (max_chars >= size)
		max_chars = size - 1;
	if (len > max_chars) {
		keep = max_chars >= 3 ? max_chars - 3 : 0;
		cut = true;
	}
	for (size_t i = 0; i < keep; i++) {
		unsigned char ch = (unsigned char)text[i];
		/* Modem replies can carry anything; never let them move the
		 * terminal cursor or break the columns. */
		buf[i] = ch >= 0x20 && ch < 0x7F ? (char)ch : '?';
	}
	buf[keep] = '\0';
	if (cut)
		strncat(buf, "...", size - keep - 1);
}

/* ------------------------------------------------------------ terminal */

#define TERM_WIDTH_DEFAULT 80

int cli_term_width(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return TERM_WIDTH_DEFAULT;
}
