/* options.c - command line of otap-modemsim (see options.h). */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

static const char usage_text[] =
"Usage: otap-modemsim --log FILE [options]\n"
"\n"
"A simulated GSM modem (Cinterion style) on TCP, for otapd's end-to-end\n"
"tests. One client at a time; the next one is accepted after it leaves.\n"
"\n"
"Connection and output:\n"
"  --listen HOST:PORT       address to listen on (default 127.0.0.1:0;\n"
"                           port 0 = ephemeral)\n"
"  --port-file FILE         write the bound port to FILE (atomically) once\n"
"                           listening\n"
"  --log FILE               event log, appended, one line per event (required)\n"
"  --reset-on-connect       reset echo/CMEE/CNMI/CMGF to power-on defaults for\n"
"                           each new client (the SIM PIN state always persists)\n"
"  --verbose                trace the AT traffic on stderr\n"
"\n"
"Timing (milliseconds; all non-blocking):\n"
"  --latency MS             delay before the answer to a PDU (+CMGS/+CMS ERROR)\n"
"  --cmd-latency MS         delay before the answer to any other command\n"
"                           (and before the \"> \" prompt)\n"
"  --cds-delay MS           +CMGS answer to +CDS status report (default 50)\n"
"\n"
"SIM and network:\n"
"  --pin PIN                SIM starts locked until AT+CPIN=\"PIN\"; 3 wrong\n"
"                           PINs lock it for good (+CPIN: SIM PUK)\n"
"  --not-registered         +CREG: 0,0 forever (AT+CMGS -> +CMS ERROR: 331)\n"
"  --register-after MS      +CREG: 0,2 until MS after the SIM is ready\n"
"  --imei IMEI              the modem's IMEI for AT+CGSN (15 digits)\n"
"  --mr-start N             first TP-MR handed out (0-255, default 0)\n"
"\n"
"Faults, by the number n of the AT+CMGS command in the process lifetime\n"
"(1-based; LIST is like 3,5-7):\n"
"  --cms-error CODE@LIST    answer +CMS ERROR: CODE (repeatable)\n"
"  --cms-error-rate CODE:P  answer +CMS ERROR: CODE with probability P\n"
"  --seed N                 seed of the PRNG behind rates and --garbage\n"
"  --no-prompt LIST         give no \"> \" prompt; ESC is answered with OK\n"
"  --drop LIST              close the connection after the PDU, no answer\n"
"  --sysstart LIST          answer the PDU with ^SYSSTART (a modem restart:\n"
"                           settings back to defaults, SIM locked again)\n"
"  --garbage                interleave RING, +CREG: 1, +CMTI, +CIEV and\n"
"                           random junk lines (never inside the PDU input)\n"
"  --timing                 add gap_us= to SM lines: microseconds from the\n"
"                           previous SM's final OK to this AT+CMGS (benchmarks)\n"
"\n"
"Units (the phones/modules receiving the SMs):\n"
"  --fleet FILE             per-number behaviour, lines 'MSISDN key=value...':\n"
"                           cms=CODE cds=HH notify=CODE|none notify_delay=MS\n"
"                           imei=15DIGITS password=PWD product=NAME\n"
"                           download=no|yes|unreachable|jad-only|cut\n"
"                           (product defaults to ELS61, imei to 35 + the last\n"
"                           12 digits of the number + a Luhn check digit)\n"
"  --default-notify CODE    notify code for units without notify= (default\n"
"                           none; 900 for downloading units); 900 is sent as\n"
"                           912 after START:delete\n"
"  --notify-delay MS        default delay from START (downloading units: from\n"
"                           the end of the JAR) to the notify POST\n"
"  --download               units without download= download (download=yes)\n"
"\n"
"Downloads. Without download= or --download a unit makes no HTTP request but\n"
"the notify POST to NOTIFYURL (so a JADURL nobody serves is fine). With\n"
"download=yes, after START:install the unit GETs JADURL (basic auth with\n"
"HTTPUSER/HTTPPWD when the SMs carried them), reads MIDlet-Jar-URL (absolute\n"
"or relative to JADURL), MIDlet-Jar-Size and MIDlet-Install-Notify, GETs the\n"
"JAR, and POSTs its code to MIDlet-Install-Notify, else to NOTIFYURL: notify=\n"
"(900 by default) after a good JAR, 904 when its length differs from\n"
"MIDlet-Jar-Size, 906 when the JAD lacks Jar-URL/Jar-Size, 907 when the JAR\n"
"request is answered with an error status; notify=none: never. Every request\n"
"carries the User-Agent <product>/<IMEI> Profile/IMP-NG Configuration/CLDC-1.1.\n"
"Faults: download=unreachable makes no request and no report (the PLS62-W\n"
"\"JAD Server Not Found\"), jad-only stops after the JAD, cut closes the JAR\n"
"connection after half of MIDlet-Jar-Size (no report). A JAD that cannot be\n"
"fetched, or a JAR transfer that breaks off, ends without a report. All HTTP\n"
"runs in the event loop (libcurl multi): the AT side never waits for it.\n"
"\n"
"Event log (tab-separated, first field the event, values escaped: \\n \\r \\t\n"
"\\\\ and \\xHH for other non-printables):\n"
"  CONNECT / DISCONNECT     a client connected / left\n"
"  SM       to= pid= dcs= srr= vp= mr= udl= body=   a PDU was accepted\n"
"           (body as received, PWD included: it is what went over the air;\n"
"            vp=- when the PDU has no relative validity period)\n"
"  CMS      n= to= code=      a PDU was answered with +CMS ERROR\n"
"  REFUSED  n= code=          AT+CMGS refused before the prompt (SIM locked:\n"
"                             311, not registered: 331, text mode: 303)\n"
"  NOPROMPT n=                no prompt given (--no-prompt)\n"
"  ESC      n=                the client aborted with ESC\n"
"  DROP     n=                connection closed instead of answering\n"
"  SYSSTART n=                ^SYSSTART instead of answering\n"
"  BADLEN   n= given= actual= AT+CMGS length differs from the PDU (304)\n"
"  BADPDU   n= reason=        PDU not decodable or not SMS-SUBMIT (304)\n"
"  PIN_OK / PIN_WRONG left=   SIM PIN accepted / rejected\n"
"  CDS      to= mr= st=       +CDS status report emitted\n"
"  PWD_MISMATCH to=           the unit ignored an OTAP SM (wrong/missing PWD)\n"
"  IGNORED  to= reason=       the unit ignored an OTAP SM (pid, dcs)\n"
"  OTAP     to= action= params=KEY,...  then KEY=value for each key but\n"
"                             PWD/HTTPPWD/NETPWD: the unit saw START\n"
"  NOTIFY   to= url= code= http=STATUS|error:REASON   result of the POST\n"
"  HTTP     to= method=GET|POST url= status=N bytes=N ua= [user=] [error=]\n"
"                             one per request of a downloading unit (status=0:\n"
"                             no response; bytes: body bytes the unit took;\n"
"                             error= when the transfer failed or was cut)\n"
"  JAD      to= result=ok jar_url= jar_size= install_notify=   the JAD as read\n"
"           to= result=invalid reason=                          (reported 906)\n"
"  JAR      to= bytes=N of=SIZE result=ok|size-mismatch|cut|failed|http-NNN\n"
"  DOWNLOAD to= result= code=N|-   the end of a downloading unit's procedure:\n"
"           server-not-found no-jadurl jad-failed stopped-after-jad jar-cut\n"
"           jar-failed no-report reported report-failed\n";

void options_usage(FILE *f)
{
	fputs(usage_text, f);
}

enum opt_id {
	OPT_LISTEN = 256, OPT_PORT_FILE, OPT_LOG, OPT_LATENCY, OPT_CMD_LATENCY,
	OPT_CDS_DELAY, OPT_PIN, OPT_NOT_REGISTERED, OPT_REGISTER_AFTER, OPT_IMEI,
	OPT_MR_START, OPT_CMS_ERROR, OPT_CMS_ERROR_RATE, OPT_SEED, OPT_NO_PROMPT,
	OPT_DROP, OPT_SYSSTART, OPT_GARBAGE, OPT_TIMING, OPT_FLEET, OPT_DEFAULT_NOTIFY,
	OPT_NOTIFY_DELAY, OPT_RESET_ON_CONNECT, OPT_VERBOSE, OPT_DOWNLOAD,
};

static const struct option long_options[] = {
	{ .name = "listen", .has_arg = required_argument, .val = OPT_LISTEN },
	{ .name = "port-file", .has_arg = required_argument, .val = OPT_PORT_FILE },
	{ .name = "log", .has_arg = required_argument, .val = OPT_LOG },
	{ .name = "latency", .has_arg = required_argument, .val = OPT_LATENCY },
	{ .name = "cmd-latency", .has_arg = required_argument, .val = OPT_CMD_LATENCY },
	{ .name = "cds-delay", .has_arg = required_argument, .val = OPT_CDS_DELAY },
	{ .name = "pin", .has_arg = required_argument, .val = OPT_PIN },
	{ .name = "not-registered", .has_arg = no_argument, .val = OPT_NOT_REGISTERED },
	{ .name = "register-after", .has_arg = required_argument, .val = OPT_REGISTER_AFTER },
	{ .name = "imei", .has_arg = required_argument, .val = OPT_IMEI },
	{ .name = "mr-start", .has_arg = required_argument, .val = OPT_MR_START },
	{ .name = "cms-error", .has_arg = required_argument, .val = OPT_CMS_ERROR },
	{ .name = "cms-error-rate", .has_arg = required_argument, .val = OPT_CMS_ERROR_RATE },
	{ .name = "seed", .has_arg = required_argument, .val = OPT_SEED },
	{ .name = "no-prompt", .has_arg = required_argument, .val = OPT_NO_PROMPT },
	{ .name = "drop", .has_arg = required_argument, .val = OPT_DROP },
	{ .name = "sysstart", .has_arg = required_argument, .val = OPT_SYSSTART },
	{ .name = "garbage", .has_arg = no_argument, .val = OPT_GARBAGE },
	{ .name = "timing", .has_arg = no_argument, .val = OPT_TIMING },
	{ .name = "fleet", .has_arg = required_argument, .val = OPT_FLEET },
	{ .name = "default-notify", .has_arg = required_argument, .val = OPT_DEFAULT_NOTIFY },
	{ .name = "notify-delay", .has_arg = required_argument, .val = OPT_NOTIFY_DELAY },
	{ .name = "reset-on-connect", .has_arg = no_argument, .val = OPT_RESET_ON_CONNECT },
	{ .name = "verbose", .has_arg = no_argument, .val = OPT_VERBOSE },
	{ .name = "download", .has_arg = no_argument, .val = OPT_DOWNLOAD },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	{ 0 },
};

static void set_defaults(struct sim_options *o)
{
	memset(o, 0, sizeof *o);
	strcpy(o->listen_host, "127.0.0.1");
	strcpy(o->listen_port, "0");
	o->cds_delay_ms = 50;
	o->register_after_ms = -1;
	o->default_notify = FLEET_NOTIFY_NONE;
	strcpy(o->imei, OPTIONS_IMEI_DEFAULT);
}

static int parse_ms(const char *name, const char *text, int64_t *out, struct errbuf *err)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || end == text || *end || v < 0 || v > 86400000LL)
		return errbuf_set(err, "--%s '%s': expected milliseconds from 0 to 86400000", name, text);
	*out = v;
	return 0;
}

/* Splits HOST:PORT at the last ':' ("[::1]:0" is accepted for IPv6). */
static int parse_listen(const char *text, struct sim_options *o, struct errbuf *err)
{
	const char *colon = strrchr(text, ':');
	if (!colon || colon == text || !colon[1])
		return errbuf_set(err, "--listen '%s': expected HOST:PORT, e.g. 127.0.0.1:0", text);
	const char *host = text;
	size_t hlen = (size_t)(colon - text);
	if (host[0] == '[' && hlen >= 2 && host[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	}
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (errno || *end || port < 0 || port > 65535)
		return errbuf_set(err, "--listen '%s': port must be a number 0-65535", text);
	if (hlen == 0 || hlen >= sizeof o->listen_host)
		return errbuf_set(err, "--listen '%s': bad host", text);
	memcpy(o->listen_host, host, hlen);
	o->listen_host[hlen] = '\0';
	snprintf(o->listen_port, sizeof o->listen_port, "%ld", port);
	return 0;
}

static int parse_small_int(const char *name, const char *text, long max, long *out,
			   struct errbuf *err)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < 0 || v > max)
		return errbuf_set(err, "--%s '%s': expected a number from 0 to %ld", name, text, max);
	*out = v;
	return 0;
}

static int parse_imei(const char *text, struct sim_options *o, struct errbuf *err)
{
	size_t n = strlen(text);
	if (n != 15 || strspn(text, "0123456789") != n)
		return errbuf_set(err, "--imei '%s': expected exactly 15 digits", text);
	memcpy(o->imei, text, n + 1);
	return 0;
}

static int parse_pin(const char *text, struct sim_options *o, struct errbuf *err)
{
	size_t n = strlen(text);
	/* The value is a secret: the reason describes it without echoing it. */
	if (n < 4 || n > 8 || strspn(text, "0123456789") != n)
		return errbuf_set(err, "--pin: expected 4 to 8 digits");
	o->pin = text;
	return 0;
}

static int parse_seed(const char *text, struct sim_options *o, struct errbuf *err)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-')
		return errbuf_set(err, "--seed '%s': expected a non-negative integer", text);
	o->seed = v;
	return 0;
}

/* Applies one option; returns 0 or -1 with a reason. */
static int apply_option(int id, const char *arg, struct sim_options *o, struct errbuf *err)
{
	long v = 0;

	switch (id) {
	case OPT_LISTEN: return parse_listen(arg, o, err);
	case OPT_PORT_FILE: o->port_file = arg; return 0;
	case OPT_LOG: o->log_file = arg; return 0;
	case OPT_LATENCY: return parse_ms("latency", arg, &o->latency_ms, err);
	case OPT_CMD_LATENCY: return parse_ms("cmd-latency", arg, &o->cmd_latency_ms, err);
	case OPT_CDS_DELAY: return parse_ms("cds-delay", arg, &o->cds_delay_ms, err);
	case OPT_PIN: return parse_pin(arg, o, err);
	case OPT_NOT_REGISTERED: o->not_registered = true; return 0;
	case OPT_REGISTER_AFTER: return parse_ms("register-after", arg, &o->register_after_ms, err);
	case OPT_IMEI: return parse_imei(arg, o, err);
	case OPT_MR_START:
		if (parse_small_int("mr-start", arg, 255, &v, err) < 0)
			return -1;
		o->mr_start = (int)v;
		return 0;
	case OPT_CMS_ERROR: return faults_add_cms(&o->faults, arg, err);
	case OPT_CMS_ERROR_RATE: return faults_set_rate(&o->faults, arg, err);
	case OPT_SEED: return parse_seed(arg, o, err);
	case OPT_NO_PROMPT: return nlist_parse(arg, &o->faults.no_prompt, err) < 0 ? errbuf_prefix(err, "--no-prompt") : 0;
	case OPT_DROP: return nlist_parse(arg, &o->faults.drop, err) < 0 ? errbuf_prefix(err, "--drop") : 0;
	case OPT_SYSSTART: return nlist_parse(arg, &o->faults.sysstart, err) < 0 ? errbuf_prefix(err, "--sysstart") : 0;
	case OPT_GARBAGE: o->garbage = true; return 0;
	case OPT_TIMING: o->timing = true; return 0;
	case OPT_FLEET: o->fleet_file = arg; return 0;
	case OPT_DEFAULT_NOTIFY:
		if (faults_parse_code(arg, &o->default_notify, err) < 0 || o->default_notify < 100)
			return errbuf_set(err, "--default-notify '%s': expected a 3-digit status code such as 900", arg);
		return 0;
	case OPT_NOTIFY_DELAY: return parse_ms("notify-delay", arg, &o->notify_delay_ms, err);
	case OPT_RESET_ON_CONNECT: o->reset_on_connect = true; return 0;
	case OPT_VERBOSE: o->verbose = true; return 0;
	case OPT_DOWNLOAD: o->download = true; return 0;
	default: return errbuf_set(err, "unknown option (see --help)");
	}
}

static int check_combination(const struct sim_options *o, struct errbuf *err)
{
	if (!o->log_file)
		return errbuf_set(err, "--log FILE is required (the event log the tests read)");
	if (o->not_registered && o->register_after_ms >= 0)
		return errbuf_set(err, "--not-registered and --register-after exclude each other");
	return 0;
}

enum options_result options_parse(int argc, char **argv, struct sim_options *out,
				  struct errbuf *err)
{
	set_defaults(out);
	opterr = 0;
	optind = 1;
	int id;
	while ((id = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		if (id == 'h') {
			options_usage(stdout);
			return OPTIONS_EXIT_OK;
		}
		if (id == '?' || id == ':') {
			const char *what = argv[optind - 1];
			errbuf_set(err, "%s option '%s' (see --help)",
				   id == ':' ? "missing value for" : "unknown", what);
			return OPTIONS_ERROR;
		}
		if (apply_option(id, optarg, out, err) < 0)
			return OPTIONS_ERROR;
	}
	if (optind < argc) {
		errbuf_set(err, "unexpected argument '%s' (see --help)", argv[optind]);
		return OPTIONS_ERROR;
	}
	if (check_combination(out, err) < 0)
		return OPTIONS_ERROR;
	/* Separate streams: turning --garbage on must not change which sends
	 * --cms-error-rate hits. */
	prng_seed(&out->faults.rate_rng, out->seed, 1);
	return OPTIONS_RUN;
}
