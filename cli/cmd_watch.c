/* cmd_watch.c - `otapctl watch NAME`: a rollout's status, refreshed in place
 * on a terminal (one frame after another otherwise) until it is done or
 * cancelled, or Ctrl-C. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "duration.h"

#define INTERVAL_DEFAULT_MS 1000
#define INTERVAL_MIN_MS 100
/* A longer pause between frames is a typo, not a dashboard. */
#define INTERVAL_MAX_MS (60 * 60 * 1000)

static const char watch_usage[] =
	"usage: otapctl [-c FILE | --db PATH] watch NAME [--interval DURATION] [--once] [--json]\n"
	"\n"
	"Shows rollout NAME's status (as otapctl rollout status) every second, in\n"
	"place on a terminal; when the output is not a terminal, one frame after\n"
	"the other, separated by a blank line. Stops when the rollout is done or\n"
	"cancelled, or on Ctrl-C (exit status 0). Lines of items wrap at the\n"
	"terminal's width (80 columns when the output is not a terminal).\n"
	"\n"
	"  -i, --interval DURATION  time between frames (default 1s, 100ms to 1h)\n"
	"      --once               print one frame and stop\n"
	"      --json               one JSON object per line (as rollout status --json)\n"
	"  -h, --help               show this help\n"
	"\n"
	"Exit status: 0 stopped, 1 no such rollout or database error, 2 bad usage.\n";

enum { OPT_ONCE = 256, OPT_JSON };

static const struct option watch_options[] = {
	{ "interval", required_argument, NULL, 'i' },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct watch_args {
	const char *name;
	int64_t interval_ms;
	bool once, json;
};

static int parse_args(int argc, char **argv, struct watch_args *a)
{
	struct errbuf err = { { 0 } };
	int c;
	a->interval_ms = INTERVAL_DEFAULT_MS;
	while ((c = getopt_long(argc, argv, ":hi:", watch_options, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (duration_parse(optarg, &a->interval_ms, &err) < 0)
				return cli_fail(EXIT_USAGE, "watch: --interval: %s", err.msg);
			if (a->interval_ms < INTERVAL_MIN_MS)
				return cli_fail(EXIT_USAGE, "watch: --interval %s is too short "
						"(at least 100ms)", optarg);
			if (a->interval_ms > INTERVAL_MAX_MS)
				return cli_fail(EXIT_USAGE, "watch: --interval %s is too long "
						"(at most 1h)", optarg);
			break;
		case OPT_ONCE: a->once = true; break;
		case OPT_JSON: a->json = true; break;
		case 'h': break;
		default: return cli_bad_option("watch", argv, watch_options, c);
		}
	}
	if (optind >= argc)
		return cli_fail(EXIT_USAGE, "watch: expected a rollout NAME (see otapctl watch --help)");
	if (optind + 1 < argc)
		return cli_fail(EXIT_USAGE, "watch: unexpected argument '%s'", argv[optind + 1]);
	a->name = argv[optind];
	return EXIT_OK;
}

/* Set by SIGINT: Ctrl-C is the documented way to leave watch, so it ends
 * the loop with exit status 0 instead of killing the process (130). */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Without SA_RESTART, so that the signal cuts the sleep short. */
static void catch_sigint(void)
{
	struct sigaction sa = { .sa_handler = on_sigint };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

/* Sleeps ms, or less when SIGINT arrives. */
static void sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (!interrupted && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Prints one frame. Returns 1 when the rollout is finished (last frame),
 * 0 to go on, or an exit code < 0 (negated) on error. */
static int frame(struct store *q, const struct watch_args *a, bool tty)
{
	struct rollout_status st;
	struct errbuf err = { { 0 } };
	int64_t now = cli_now_ms();
	int found = rollout_status(q, a->name, now, &st, &err);
	if (found <= 0)
		return -(found < 0 ? cli_fail(EXIT_RUNTIME, "watch: %s", err.msg)
				   : cli_fail(EXIT_RUNTIME, "no such rollout '%s'", a->name));
	if (a->json) {
		if (rollout_view_json(stdout, &st) < 0)
			return -EXIT_RUNTIME;
	} else {
		char when[CLI_TIME_MAX];
		cli_format_local_time(now, when, sizeof when);
		if (tty)
			fputs("\033[H\033[2J", stdout);         /* home, clear screen */
		printf("%s  (every %.1fs, Ctrl-C to stop)\n\n", when, (double)a->interval_ms / 1000);
		rollout_view_text(stdout, &st, now, cli_term_width());
		if (!tty && !a->once)
			putchar('\n');
	}
	fflush(stdout);
	return st.r.state == ROLLOUT_DONE || st.r.state == ROLLOUT_CANCELLED;
}

int cmd_watch(int argc, char **argv, struct cli_ctx *ctx)
{
	struct watch_args a = { 0 };
	struct store *q;
	int rc;
	if (cli_wants_help(argc, argv, watch_usage))
		return EXIT_OK;
	if ((rc = parse_args(argc, argv, &a)) != EXIT_OK)
		return rc;
	if ((rc = cli_open_existing_queue(ctx, &q)) != EXIT_OK)
		return rc;
	bool tty = isatty(STDOUT_FILENO) == 1 && !a.json;
	catch_sigint();
	while (!interrupted) {
		int finished = frame(q, &a, tty);
		if (finished < 0) {
			rc = -finished;
			break;
		}
		if (finished || a.once)
			break;
		sleep_ms(a.interval_ms);
	}
	store_close(q);
	return rc;
}
