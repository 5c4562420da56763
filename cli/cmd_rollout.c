/* cmd_rollout.c - `otapctl rollout create|list|status|pause|resume|cancel`:
 * importing a fleet file as a rollout, and the operator's view and controls
 * of rollouts. The work is in lib/rollout*.c; this file parses options and
 * prints. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "preflight.h"
#include "rollout_json.h"
#include "textesc.h"

/* Problems beyond this many are counted, not listed: a file with a wrong
 * column order would otherwise print a million lines. */
#define PROBLEMS_SHOWN 1000
/* Files smaller than this import in a blink: no progress display. */
#define PROGRESS_MIN_BYTES (4 << 20)
#define BAR_WIDTH 30

static const char rollout_usage[] =
	"usage: otapctl [-c FILE] [--db PATH] rollout create NAME --profile P --file FILE [options]\n"
	"       otapctl [-c FILE | --db PATH] rollout list [--json]\n"
	"       otapctl [-c FILE | --db PATH] rollout status NAME [--json]\n"
	"       otapctl [-c FILE | --db PATH] rollout pause|resume NAME\n"
	"       otapctl [-c FILE | --db PATH] rollout cancel NAME [--yes]\n"
	"\n"
	"A rollout sends one profile to a fleet of units listed in a CSV file: in\n"
	"waves, inside a daily window, at a limited rate, pausing itself when a\n"
	"wave fails too often. otapd moves it along; these commands create, show\n"
	"and steer it.\n"
	"\n"
	"  create    import FILE as rollout NAME (otapctl rollout create --help)\n"
	"  list      every rollout with its state, wave, window and rate\n"
	"  status    counts per state, current wave, failure reasons, window, ETA\n"
	"  pause     stop claiming the rollout's jobs (jobs being sent finish)\n"
	"  resume    continue; after a pause for failures the next wave opens\n"
	"  cancel    cancel the rollout and all its queued jobs; more than 1000\n"
	"            ask for confirmation on a terminal, else need --yes\n"
	"  --json    machine-readable output (list, status)\n"
	"\n"
	"Exit status: 0 success, 1 database error or refused operation, 2 bad\n"
	"usage or invalid input.\n";

static const char create_usage[] =
	"usage: otapctl [-c FILE] [--db PATH] rollout create NAME --profile P --file FILE\n"
	"               [--window HH:MM-HH:MM] [--tz ZONE] [--rate N/min]\n"
	"               [--waves 1%,10%,100%] [--max-failure-rate PCT] [--start TIME]\n"
	"               [--deadline TIME] [--allow-overlap]\n"
	"               [--action install|delete] [--max-attempts N] [--skip-invalid]\n"
	"               [--no-preflight] [--json]\n"
	"\n"
	"Imports FILE (CSV, header row; ',' ';' or TAB separated; \"-\" = stdin) as one\n"
	"job per unit, in one transaction. Columns: msisdn (required), profile (a\n"
	"unit's own profile instead of P), imei (15 digits, matches install\n"
	"notifications), any others (label, serial...) are kept as unit metadata\n"
	"and shown by otapctl status JOB_ID.\n"
	"Invalid rows are listed with their line and nothing is imported, unless\n"
	"--skip-invalid; a number listed twice is imported once (warning).\n"
	"First the preflight of profile P runs (otapctl preflight --help): the JAD\n"
	"and JAR fetched and compared as the units will; on a problem the checks\n"
	"are printed and the rollout is not created.\n"
	"\n"
	"  -p, --profile P            default OTAP profile from the config\n"
	"  -f, --file FILE            the fleet file\n"
	"      --window HH:MM-HH:MM   send only inside this daily window (may cross\n"
	"                             midnight, e.g. 22:00-02:00)\n"
	"      --tz ZONE              the window's time zone, e.g. Europe/Berlin\n"
	"                             (default: this machine's)\n"
	"      --rate N/min           at most N SMs per minute for this rollout, over\n"
	"                             all modems (modems' max_rate applies too)\n"
	"      --waves LIST           cumulative wave sizes, e.g. 1%,10%,100%: a wave\n"
	"                             starts when the previous one is finished\n"
	"      --max-failure-rate PCT pause when a finished wave has more failed units\n"
	"                             than PCT percent (resume to go on)\n"
	"      --start TIME           send nothing before TIME: now, +DURATION, or\n"
	"                             \"YYYY-MM-DD HH:MM\" (in --tz, else local; Z = UTC)\n"
	"      --deadline TIME        send nothing after TIME (same forms as --start):\n"
	"                             units still unsent then fail as \"expired\"\n"
	"      --allow-overlap        import units that have an open job in another\n"
	"                             active or paused rollout (refused by default)\n"
	"  -a, --action ACTION        install (default) or delete\n"
	"      --max-attempts N       tries per unit (default: retry.max_attempts)\n"
	"      --skip-invalid         import the valid rows, list the others\n"
	"      --no-preflight         create the rollout without checking P's download\n"
	"                             (recorded: rollout status shows it skipped)\n"
	"      --json                 print the result as JSON\n"
	"  -h, --help                 show this help\n";

/* ------------------------------------------------------------- helpers */

static int need_name(int argc, char **argv, const char *sub, const char **name)
{
	if (optind >= argc)
		return cli_fail(EXIT_USAGE, "rollout %s: expected a rollout NAME (see otapctl rollout "
				"%s--help)", sub, strcmp(sub, "create") == 0 ? "create " : "");
	if (optind + 1 < argc)
		return cli_fail(EXIT_USAGE, "rollout %s: unexpected argument '%s'", sub, argv[optind + 1]);
	*name = argv[optind];
	return EXIT_OK;
}

/* Options of the small subcommands: --json and --help only. */
/* --json when allow_json, --yes/-y when yes is not NULL. */
static int parse_simple(int argc, char **argv, const char *sub, bool allow_json, bool *json,
			bool *yes)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char cmd[32];
	snprintf(cmd, sizeof cmd, "rollout %s", sub);
	while ((c = getopt_long(argc, argv, yes ? ":hy" : ":h", opts, NULL)) != -1) {
		if (c == 'j' && allow_json)
			*json = true;
		else if (c == 'y' && yes)
			*yes = true;
		else if (c != 'h')
			return cli_bad_option(cmd, argv, opts, c);
	}
	return EXIT_OK;
}

/* "5", "5%", "2.5" -> hundredths of a percent in [0, 100%]. */
static int parse_percent(const char *text, int *out)
{
	char *end;
	double v = strtod(text, &end);
	if (end == text || (*end == '%' && end[1] == '\0' ? false : *end != '\0') ||
	    !(v >= 0 && v <= 100))
		return -1;
	*out = (int)lround(v * ROLLOUT_PCT_SCALE);
	return 0;
}

/* "N/min" or "N" -> per minute. */
static int parse_rate(const char *text, int *out)
{
	char num[16];
	size_t len = strcspn(text, "/");
	if (len == 0 || len >= sizeof num || (text[len] && strcmp(text + len, "/min") != 0))
		return -1;
	memcpy(num, text, len);
	num[len] = '\0';
	return cli_parse_int(num, 1, ROLLOUT_RATE_MAX, out);
}

/* Like cli_parse_time, but a calendar time without Z is read in the
 * rollout's zone when one is given. */
static int parse_start(const char *text, const char *zone, int64_t now, int64_t *out,
		       struct errbuf *err)
{
	size_t len = strlen(text);
	bool civil = len > 0 && text[0] >= '0' && text[0] <= '9' && text[len - 1] != 'Z';
	if (!civil || !zone)
		return cli_parse_time(text, now, out, err);
	char as_utc[64];
	struct tz *tz;
	snprintf(as_utc, sizeof as_utc, "%sZ", text);
	/* Read as UTC, the digits are the wall-clock seconds in the zone. */
	if (cli_parse_time(as_utc, now, out, err) < 0 || tz_load(zone, &tz, err) < 0)
		return -1;
	*out = tz_to_utc(tz, *out / 1000, false) * 1000;
	tz_free(tz);
	return cli_time_check_horizon(text, *out, now, err);
}

/* -------------------------------------------------------------- create */

struct create_args {
	const char *name, *file, *window, *rate, *waves, *max_failure, *start, *deadline, *action;
	const char *max_attempts;
	bool json;
	bool no_preflight;
	struct rollout_spec spec;
};

enum {
	OPT_WINDOW = 256, OPT_TZ, OPT_RATE, OPT_WAVES, OPT_MAX_FAILURE, OPT_START,
	OPT_MAX_ATTEMPTS, OPT_SKIP_INVALID, OPT_JSON, OPT_NO_PREFLIGHT, OPT_DEADLINE,
	OPT_ALLOW_OVERLAP,
};

static const struct option create_options[] = {
	{ "profile", required_argument, NULL, 'p' },
	{ "file", required_argument, NULL, 'f' },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "tz", required_argument, NULL, OPT_TZ },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "waves", required_argument, NULL, OPT_WAVES },
	{ "max-failure-rate", required_argument, NULL, OPT_MAX_FAILURE },
	{ "start", required_argument, NULL, OPT_START },
	{ "deadline", required_argument, NULL, OPT_DEADLINE },
	{ "allow-overlap", no_argument, NULL, OPT_ALLOW_OVERLAP },
	{ "action", required_argument, NULL, 'a' },
	{ "max-attempts", required_argument, NULL, OPT_MAX_ATTEMPTS },
	{ "skip-invalid", no_argument, NULL, OPT_SKIP_INVALID },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "no-preflight", no_argument, NULL, OPT_NO_PREFLIGHT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int create_option(int c, char **argv, struct create_args *a)
{
	switch (c) {
	case 'p': a->spec.profile = optarg; return EXIT_OK;
	case 'f': a->file = optarg; return EXIT_OK;
	case OPT_WINDOW: a->window = optarg; return EXIT_OK;
	case OPT_TZ: a->spec.tz = optarg; return EXIT_OK;
	case OPT_RATE: a->rate = optarg; return EXIT_OK;
	case OPT_WAVES: a->waves = optarg; return EXIT_OK;
	case OPT_MAX_FAILURE: a->max_failure = optarg; return EXIT_OK;
	case OPT_START: a->start = optarg; return EXIT_OK;
	case OPT_DEADLINE: a->deadline = optarg; return EXIT_OK;
	case OPT_ALLOW_OVERLAP: a->spec.allow_overlap = true; return EXIT_OK;
	case 'a': a->action = optarg; return EXIT_OK;
	case OPT_MAX_ATTEMPTS: a->max_attempts = optarg; return EXIT_OK;
	case OPT_SKIP_INVALID: a->spec.skip_invalid = true; return EXIT_OK;
	case OPT_JSON: a->json = true; return EXIT_OK;
	case OPT_NO_PREFLIGHT: a->no_preflight = true; return EXIT_OK;
	case 'h': return EXIT_OK;
	default: return cli_bad_option("rollout create", argv, create_options, c);
	}
}

/* Turns the option texts into a->spec (everything that needs no config). */
static int build_spec(struct create_args *a, int64_t now)
{
	struct errbuf err = { { 0 } };
	struct rollout_spec *s = &a->spec;
	s->window = WINDOW_ALWAYS;
	s->max_failure_pct = -1;
	s->start_at = now;
	if (a->window && window_parse(a->window, &s->window, &err) < 0)
		return cli_fail(EXIT_USAGE, "rollout create: %s", err.msg);
	if (s->tz && tz_check_name(s->tz, &err) < 0)
		return cli_fail(EXIT_USAGE, "rollout create: %s", err.msg);
	if (a->rate && parse_rate(a->rate, &s->rate_per_min) < 0)
		return cli_fail(EXIT_USAGE, "rollout create: invalid --rate '%s' (expected N/min, "
				"N from 1 to %d)", a->rate, ROLLOUT_RATE_MAX);
	if (a->waves && rollout_waves_parse(a->waves, &s->waves, &err) < 0)
		return cli_fail(EXIT_USAGE, "rollout create: %s", err.msg);
	if (a->max_failure && parse_percent(a->max_failure, &s->max_failure_pct) < 0)
		return cli_fail(EXIT_USAGE, "rollout create: invalid --max-failure-rate '%s' "
				"(expected a percentage from 0 to 100)", a->max_failure);
	if (a->start && parse_start(a->start, s->tz, now, &s->start_at, &err) < 0)
		return cli_fail(EXIT_USAGE, "rollout create: %s", err.msg);
	if (a->deadline && parse_start(a->deadline, s->tz, now, &s->deadline, &err) < 0)
		return cli_fail(EXIT_USAGE, "rollout create: --deadline: %s", err.msg);
	if (a->deadline && s->deadline <= (s->start_at > now ? s->start_at : now))
		return cli_fail(EXIT_USAGE, "rollout create: --deadline %s is not after %s",
				a->deadline, a->start ? "--start" : "now");
	if (a->action && otap_action_parse(a->action, &s->action) < 0)
		return cli_fail(EXIT_USAGE, "rollout create: invalid action '%s' (expected install "
				"or delete)", a->action);
	if (a->max_attempts && cli_parse_int(a->max_attempts, 1, 1000, &s->max_attempts) < 0)
		return cli_fail(EXIT_USAGE, "rollout create: invalid --max-attempts '%s' (expected "
				"1 to 1000)", a->max_attempts);
	return EXIT_OK;
}

static int parse_create(int argc, char **argv, struct create_args *a, int64_t now)
{
	int c, rc;
	while ((c = getopt_long(argc, argv, ":hp:f:a:", create_options, NULL)) != -1) {
		if ((rc = create_option(c, argv, a)) != EXIT_OK)
			return rc;
	}
	if ((rc = need_name(argc, argv, "create", &a->name)) != EXIT_OK)
		return rc;
	a->spec.name = a->name;
	if (!a->spec.profile)
		return cli_fail(EXIT_USAGE, "rollout create: --profile P is required");
	if (!a->file)
		return cli_fail(EXIT_USAGE, "rollout create: --file FILE is required");
	struct errbuf err = { { 0 } };
	if (rollout_name_check(a->name, &err) < 0)
		return cli_fail(EXIT_USAGE, "rollout create: %s", err.msg);
	return build_spec(a, now);
}

/* What the import hooks print to: problems (capped) and a progress bar on
 * a terminal, plain lines otherwise. */
struct import_view {
	const char *file;
	uint64_t shown, hidden;
	bool progress;
	bool tty;
	bool bar_drawn;
	int last_step;          /* plain lines: the last 10% step printed */
	int last_pass;
};

static void clear_bar(struct import_view *v)
{
	if (v->bar_drawn) {
		fputs("\r\033[K", stderr);
		v->bar_drawn = false;
	}
}

static void on_problem(void *arg, size_t line, bool duplicate, const char *reason)
{
	struct import_view *v = arg;
	if (v->shown >= PROBLEMS_SHOWN) {
		v->hidden++;
		return;
	}
	v->shown++;
	clear_bar(v);
	if (duplicate)
		cli_warn("%s: line %zu: %s", v->file, line, reason);
	else
		cli_fail(0, "rollout create: %s: line %zu: %s", v->file, line, reason);
}

static void on_progress(void *arg, int pass, uint64_t done, uint64_t total)
{
	struct import_view *v = arg;
	if (!v->progress || total == 0)
		return;
	int pct = (int)(done * 100 / total);
	const char *what = pass == 1 ? "checking" : "importing";
	if (v->tty) {
		int fill = pct * BAR_WIDTH / 100;
		fprintf(stderr, "\r%s %s [%.*s%*s] %3d%%", what, v->file, fill,
			"##############################", BAR_WIDTH - fill, "", pct);
		v->bar_drawn = true;
		return;
	}
	if (pass != v->last_pass) {
		v->last_pass = pass;
		v->last_step = -1;
	}
	if (pct / 10 > v->last_step) {
		v->last_step = pct / 10;
		fprintf(stderr, "%s %s: %d%%\n", what, v->file, pct);
	}
}

static void print_created(const struct create_args *a, const struct rollout_import_result *res,
			  bool json)
{
	const struct rollout_spec *s = &a->spec;
	int waves = s->waves.count ? s->waves.count : 1;
	if (json) {
		struct json_writer w;
		json_init(&w, stdout);
		json_begin_object(&w);
		json_member_string(&w, "name", a->name);
		json_member_int(&w, "imported", res->imported);
		json_member_int(&w, "invalid", res->invalid);
		json_member_int(&w, "duplicates", res->duplicates);
		json_member_string(&w, "preflight", s->preflight);
		json_key(&w, "wave_units");
		json_begin_array(&w);
		for (int i = 0; i < waves; i++)
			json_int(&w, res->wave_sizes[i]);
		json_end_array(&w);
		json_end_object(&w);
		putchar('\n');
		return;
	}
	printf("rollout %s: %" PRId64 " units in %d wave%s (", a->name, res->imported, waves,
	       waves == 1 ? "" : "s");
	for (int i = 0; i < waves; i++)
		printf("%s%" PRId64, i ? " / " : "", res->wave_sizes[i]);
	printf(")\n");
	if (res->invalid || res->duplicates)
		printf("not imported: %" PRId64 " invalid rows, %" PRId64 " repeated numbers\n",
		       res->invalid, res->duplicates);
	printf("progress: otapctl rollout status %s (or otapctl watch %s)\n", a->name, a->name);
}

static int report_failure(const struct import_view *v, const struct rollout_import_result *res,
			  const struct create_args *a, const char *msg)
{
	if (v->hidden)
		cli_fail(0, "rollout create: ... and %" PRIu64 " more rows not listed", v->hidden);
	if (res->invalid && !a->spec.skip_invalid && res->imported)
		cli_fail(0, "rollout create: fix the rows above, or import the %" PRId64 " valid ones "
			 "with --skip-invalid", res->imported);
	return cli_fail(res->bad_input ? EXIT_USAGE : EXIT_RUNTIME, "rollout create: %s", msg);
}

/* The preflight of the rollout's profile, printed to stderr (stdout may be
 * --json): a problem the whole fleet would hit refuses the rollout. An
 * unknown profile is left to rollout_create, which names the choices. */
static int create_preflight(struct cli_ctx *ctx, struct create_args *a)
{
	const struct otap_profile *p = cfg_profile(&ctx->cfg, a->spec.profile);
	if (a->no_preflight) {
		a->spec.preflight = "skipped";
		return EXIT_OK;
	}
	if (!p)
		return EXIT_OK;
	struct preflight_report report;
	preflight_run(&ctx->cfg, p, &report);
	preflight_print_text(stderr, &report);
	if (!report.ok)
		return cli_fail(EXIT_RUNTIME, "rollout create: not created: the preflight of profile "
				"%s found a problem (fix it, or create the rollout unchecked with "
				"--no-preflight)", p->name);
	a->spec.preflight = "passed";
	return EXIT_OK;
}

static int run_create(int argc, char **argv, struct cli_ctx *ctx)
{
	struct create_args a = { .spec.action = OTAP_ACTION_INSTALL };
	int64_t now = cli_now_ms();
	int rc;
	if (cli_wants_help(argc, argv, create_usage))
		return EXIT_OK;
	if ((rc = parse_create(argc, argv, &a, now)) != EXIT_OK)
		return rc;
	if ((rc = cli_load_config(ctx)) != EXIT_OK)
		return rc;
	if (!a.max_attempts)
		a.spec.max_attempts = ctx->cfg.retry.max_attempts >= 1 ? ctx->cfg.retry.max_attempts : 1;
	a.spec.await_confirmation = ctx->cfg.notify.listen != NULL;
	if ((rc = create_preflight(ctx, &a)) != EXIT_OK)
		return rc;
	struct store *q;
	if ((rc = cli_open_queue(ctx, &q)) != EXIT_OK)
		return rc;
	char file_shown[1024];  /* the progress lines print it directly */
	textesc_str(file_shown, sizeof file_shown, a.file);
	struct import_view view = { .file = file_shown, .tty = isatty(STDERR_FILENO) == 1 };
	struct stat sb;
	view.progress = stat(a.file, &sb) == 0 && sb.st_size >= PROGRESS_MIN_BYTES;
	struct rollout_import_hooks hooks = { on_problem, on_progress, &view };
	struct rollout_import_result res;
	struct errbuf err = { { 0 } };
	int created = rollout_create(q, &ctx->cfg, &a.spec, a.file, now, &hooks, &res, &err);
	clear_bar(&view);
	if (created >= 0)
		cli_audit(q, ctx, "rollout create", "rollout %s created (%" PRId64
			  " units)", a.spec.name, res.imported);
	store_close(q);
	if (created < 0)
		return report_failure(&view, &res, &a, err.msg);
	if (view.hidden)
		cli_warn("... and %" PRIu64 " more rows not listed", view.hidden);
	print_created(&a, &res, a.json);
	return EXIT_OK;
}

/* ---------------------------------------------------------- list/status */

struct list_rows {
	struct rollout *v;
	size_t n, cap;
	bool oom;
};

static int collect_rollout(const struct rollout *r, void *arg)
{
	struct list_rows *rows = arg;
	if (rows->n == rows->cap) {
		size_t cap = rows->cap ? rows->cap * 2 : 16;
		struct rollout *v = realloc(rows->v, cap * sizeof *v);
		if (!v) {
			rows->oom = true;
			return 1;
		}
		rows->v = v;
		rows->cap = cap;
	}
	rows->v[rows->n++] = *r;
	return 0;
}

#define LIST_COLS 8

static void list_cells(const struct rollout *r, char cells[LIST_COLS][96])
{
	char window[32], created[CLI_TIME_MAX];
	window_format(&r->window, window, sizeof window);
	cli_format_local_time(r->created_at, created, sizeof created);
	cli_cell(r->name, 40, cells[0], 96);
	snprintf(cells[1], 96, "%s", rollout_state_name(r->state));
	snprintf(cells[2], 96, "%" PRId64, r->total_units);
	snprintf(cells[3], 96, "%d/%d", r->current_wave, r->waves.count);
	snprintf(cells[4], 96, "%s%s%s", window, r->tz[0] ? " " : "", r->tz);
	if (r->rate_per_min)
		snprintf(cells[5], 96, "%d/min", r->rate_per_min);
	else
		snprintf(cells[5], 96, "-");
	snprintf(cells[6], 96, "%s", created);
	cli_cell(r->pause_reason, 60, cells[7], 96);
}

static void print_list(const struct list_rows *rows)
{
	static const char *const head[LIST_COLS] = {
		"NAME", "STATE", "UNITS", "WAVE", "WINDOW", "RATE", "CREATED", "PAUSED BECAUSE",
	};
	size_t width[LIST_COLS];
	char (*cells)[LIST_COLS][96] = calloc(rows->n ? rows->n : 1, sizeof *cells);
	if (!cells)
		return;
	for (int c = 0; c < LIST_COLS; c++)
		width[c] = strlen(head[c]);
	for (size_t i = 0; i < rows->n; i++) {
		list_cells(&rows->v[i], cells[i]);
		for (int c = 0; c < LIST_COLS; c++)
			if (strlen(cells[i][c]) > width[c])
				width[c] = strlen(cells[i][c]);
	}
	for (int c = 0; c < LIST_COLS; c++)
		printf("%-*s%s", c + 1 < LIST_COLS ? (int)width[c] : 0, head[c],
		       c + 1 < LIST_COLS ? "  " : "\n");
	for (size_t i = 0; i < rows->n; i++) {
		for (int c = 0; c < LIST_COLS; c++)
			printf("%-*s%s", c + 1 < LIST_COLS ? (int)width[c] : 0, cells[i][c],
			       c + 1 < LIST_COLS ? "  " : "\n");
	}
	free(cells);
}

static int run_list(int argc, char **argv, struct cli_ctx *ctx)
{
	bool json = false;
	int rc;
	if (cli_wants_help(argc, argv, rollout_usage))
		return EXIT_OK;
	if ((rc = parse_simple(argc, argv, "list", true, &json, NULL)) != EXIT_OK)
		return rc;
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "rollout list: unexpected argument '%s'", argv[optind]);
	struct store *q;
	if ((rc = cli_open_existing_queue(ctx, &q)) != EXIT_OK)
		return rc;
	struct list_rows rows = { 0 };
	struct errbuf err = { { 0 } };
	if (store_rollout_list(q, -1, collect_rollout, &rows, &err) < 0 || rows.oom)
		rc = cli_fail(EXIT_RUNTIME, "rollout list: %s", rows.oom ? "out of memory" : err.msg);
	store_close(q);
	if (rc == EXIT_OK && json) {
		struct json_writer w;
		json_init(&w, stdout);
		json_begin_array(&w);
		for (size_t i = 0; i < rows.n; i++) {
			json_begin_object(&w);
			rollout_json_fields(&w, &rows.v[i]);
			json_end_object(&w);
		}
		json_end_array(&w);
		putchar('\n');
	} else if (rc == EXIT_OK && rows.n == 0) {
		puts("no rollouts");
	} else if (rc == EXIT_OK) {
		print_list(&rows);
	}
	free(rows.v);
	return rc;
}

static int run_status(int argc, char **argv, struct cli_ctx *ctx)
{
	bool json = false;
	const char *name = NULL;
	int rc;
	if (cli_wants_help(argc, argv, rollout_usage))
		return EXIT_OK;
	if ((rc = parse_simple(argc, argv, "status", true, &json, NULL)) != EXIT_OK ||
	    (rc = need_name(argc, argv, "status", &name)) != EXIT_OK)
		return rc;
	struct store *q;
	if ((rc = cli_open_existing_queue(ctx, &q)) != EXIT_OK)
		return rc;
	struct rollout_status st;
	struct errbuf err = { { 0 } };
	int64_t now = cli_now_ms();
	int found = rollout_status(q, name, now, &st, &err);
	store_close(q);
	if (found < 0)
		return cli_fail(EXIT_RUNTIME, "rollout status: %s", err.msg);
	if (found == 0)
		return cli_fail(EXIT_RUNTIME, "no such rollout '%s'", name);
	if (json)
		return rollout_view_json(stdout, &st) < 0 ? EXIT_RUNTIME : EXIT_OK;
	rollout_view_text(stdout, &st, now, cli_term_width());
	return EXIT_OK;
}

/* ------------------------------------------------ pause, resume, cancel */

/* Pause, resume or cancel (after the big-cancel guard). Returns 0 with *jobs
 * (cancelled queued jobs) set, or an exit code after printing why. */
static int apply_change(struct store *q, const char *sub, const char *name, bool yes,
			int64_t *jobs)
{
	struct errbuf err = { { 0 } };
	int64_t now = cli_now_ms();
	int done, rc;
	if (strcmp(sub, "pause") == 0) {
		done = store_rollout_pause(q, name, now, &err);
	} else if (strcmp(sub, "resume") == 0) {
		done = rollout_resume(q, name, now, &err);
	} else {
		if ((rc = cli_confirm_rollout_cancel(q, "rollout cancel", name, yes)) != EXIT_OK)
			return rc;
		done = store_rollout_cancel(q, name, now, jobs, &err);
	}
	if (done < 0)
		return cli_fail(EXIT_RUNTIME, "rollout %s: %s", sub, err.msg);
	return EXIT_OK;
}

static int run_change(int argc, char **argv, struct cli_ctx *ctx, const char *sub)
{
	const char *name = NULL;
	bool json = false, yes = false, is_cancel = strcmp(sub, "cancel") == 0;
	int rc;
	if (cli_wants_help(argc, argv, rollout_usage))
		return EXIT_OK;
	if ((rc = parse_simple(argc, argv, sub, false, &json, is_cancel ? &yes : NULL)) != EXIT_OK ||
	    (rc = need_name(argc, argv, sub, &name)) != EXIT_OK)
		return rc;
	struct store *q;
	if ((rc = cli_open_existing_queue(ctx, &q)) != EXIT_OK)
		return rc;
	int64_t jobs = 0;
	char action[32], result[160];
	snprintf(action, sizeof action, "rollout %s", sub);
	if ((rc = apply_change(q, sub, name, yes, &jobs)) == EXIT_OK) {
		if (is_cancel)
			snprintf(result, sizeof result, "rollout %s cancelled (%" PRId64 " queued jobs "
				 "cancelled)", name, jobs);
		else
			snprintf(result, sizeof result, "rollout %s %s", name,
				 strcmp(sub, "pause") == 0 ? "paused" : "resumed");
		printf("%s\n", result);
		cli_audit(q, ctx, action, "%s", result);
	}
	store_close(q);
	return rc;
}

static int run_pause(int argc, char **argv, struct cli_ctx *ctx)
{
	return run_change(argc, argv, ctx, "pause");
}

static int run_resume(int argc, char **argv, struct cli_ctx *ctx)
{
	return run_change(argc, argv, ctx, "resume");
}

static int run_cancel(int argc, char **argv, struct cli_ctx *ctx)
{
	return run_change(argc, argv, ctx, "cancel");
}

/* ------------------------------------------------------------ dispatch */

static const struct cli_command subcommands[] = {
	{ .name = "create", .run = run_create, .summary = "import a fleet file as a rollout" },
	{ .name = "list", .run = run_list, .summary = "list rollouts" },
	{ .name = "status", .run = run_status, .summary = "show a rollout's progress" },
	{ .name = "pause", .run = run_pause, .summary = "pause a rollout" },
	{ .name = "resume", .run = run_resume, .summary = "resume a paused rollout" },
	{ .name = "cancel", .run = run_cancel, .summary = "cancel a rollout" },
};

int cmd_rollout(int argc, char **argv, struct cli_ctx *ctx)
{
	if (argc < 2)
		return cli_fail(EXIT_USAGE, "rollout: expected create, list, status, pause, resume or "
				"cancel (see otapctl rollout --help)");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(rollout_usage, stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++) {
		if (strcmp(argv[1], subcommands[i].name) == 0) {
			optind = 1;
			return subcommands[i].run(argc - 1, argv + 1, ctx);
		}
	}
	return cli_fail(EXIT_USAGE, "rollout: unknown subcommand '%s' (see otapctl rollout --help)",
			argv[1]);
}
