/* cmd_modems.c - `otapctl modems`: each configured modem's health as
 * otapd's worker last recorded it (state and why, network, signal,
 * identity, counters, last seen), as a table or JSON. Reads only the
 * database; a modem otapd never wrote is "never seen", a row older than
 * 90 s is "stale" (otapd not running?). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "modem_json.h"
#include "modem_roster.h"

static const char modems_usage[] =
	"usage: otapctl [-c FILE | --db PATH] modems [--json]\n"
	"\n"
	"One row per modem of the config (with --db and no -c: per modem otapd\n"
	"has recorded): its state (connecting, initialising, ready, sending,\n"
	"failing, disabled) and why, since when, registration and operator,\n"
	"signal (dBm and bars 0-5), model, revision and IMEI, SMs sent and\n"
	"failed since otapd started, the last error, and when otapd last\n"
	"recorded it. otapd rewrites each row at least every 30 s: a modem it\n"
	"never recorded shows \"never seen\", one older than 90 s \"stale (otapd\n"
	"not running?)\".\n"
	"\n"
	"      --json  an array of objects, one per modem (see README)\n"
	"  -h, --help  show this help\n"
	"\n"
	"Exit status: 0 ok, 1 database error, 2 bad usage.\n";

enum { OPT_JSON = 256 };

static const struct option modems_options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* "-71 dBm 4/5", "unknown". */
static void format_signal(int rssi, char *buf, size_t cap)
{
	if (modem_signal_known(rssi))
		snprintf(buf, cap, "%d dBm %d/5", modem_signal_dbm(rssi), modem_signal_bars(rssi));
	else
		snprintf(buf, cap, "unknown");
}

static void format_time(int64_t ms, char *buf, size_t cap)
{
	if (ms > 0)
		cli_format_local_time(ms, buf, cap);
	else
		snprintf(buf, cap, "-");
}

static void print_entry(const struct modem_roster_entry *e, int64_t now)
{
	const struct modem_health *h = &e->h;
	char cond[320], since[32], seen[32], signal[32], network[96];
	modem_roster_describe(e, now, cond, sizeof cond);
	if (!e->seen) {
		printf("%-12s %s\n", h->name, cond);
		return;
	}
	format_time(h->state_since, since, sizeof since);
	format_time(h->last_seen, seen, sizeof seen);
	format_signal(h->rssi, signal, sizeof signal);
	snprintf(network, sizeof network, "%s%s%s", modem_registration_words(h->creg_stat),
		 h->operator_name[0] ? ", " : "", h->operator_name);
	printf("%-12s %s\n", h->name, cond);
	printf("  since %s, last seen %s\n", since, seen);
	printf("  network %s, signal %s\n", network, signal);
	printf("  model %s, revision %s, IMEI %s\n", h->model[0] ? h->model : "-",
	       h->revision[0] ? h->revision : "-", h->imei[0] ? h->imei : "-");
	printf("  SMS sent %lld, failed %lld\n", (long long)h->sms_sent, (long long)h->sms_failed);
	if (h->last_error[0]) {
		char at[32];
		format_time(h->last_error_at, at, sizeof at);
		printf("  last error %s: %s\n", at, h->last_error);
	}
}

static int print_json(const struct modem_roster *r, int64_t now)
{
	struct json_writer w;
	json_init(&w, stdout);
	modem_roster_json(&w, r, now);
	fputc('\n', stdout);
	return json_finish(&w) < 0 ? cli_fail(EXIT_RUNTIME, "cannot write the JSON output")
				   : EXIT_OK;
}

static int parse_args(int argc, char **argv, bool *json)
{
	int c;
	while ((c = getopt_long(argc, argv, ":h", modems_options, NULL)) != -1) {
		if (c == OPT_JSON)
			*json = true;
		else if (c != 'h')
			return cli_bad_option("modems", argv, modems_options, c);
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "modems: unexpected argument '%s'", argv[optind]);
	return EXIT_OK;
}

int cmd_modems(int argc, char **argv, struct cli_ctx *ctx)
{
	bool json = false;
	if (cli_wants_help(argc, argv, modems_usage))
		return EXIT_OK;
	int rc = parse_args(argc, argv, &json);
	if (rc != EXIT_OK)
		return rc;
	/* The config names the modems; --db alone shows the recorded ones. */
	const struct cfg *cfg = NULL;
	if (!ctx->db_path || ctx->config_path) {
		if ((rc = cli_load_config(ctx)) != EXIT_OK)
			return rc;
		cfg = &ctx->cfg;
	}
	struct store *q;
	if ((rc = cli_open_existing_queue(ctx, &q)) != EXIT_OK)
		return rc;
	struct modem_roster r;
	struct errbuf err = { { 0 } };
	int64_t now = cli_now_ms();
	if (modem_roster_load(q, cfg, &r, &err) < 0)
		rc = cli_fail(EXIT_RUNTIME, "%s", err.msg);
	else if (json)
		rc = print_json(&r, now);
	else if (r.n == 0)
		puts("no modems configured or recorded");
	else
		for (size_t i = 0; i < r.n; i++)
			print_entry(&r.v[i], now);
	modem_roster_free(&r);
	store_close(q);
	return rc;
}
