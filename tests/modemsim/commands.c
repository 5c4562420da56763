/* commands.c - the AT command set of the simulated modem: a table routing
 * each command name to its handler (AT+CMGS itself lives in cmgs.c). */
#include "modem.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "simlog.h"

#define MODEM_MANUFACTURER "Cinterion"
#define MODEM_MODEL "ELS61-E"
#define MODEM_REVISION "REVISION 02.000"
#define MODEM_OPERATOR "SimNet"
#define PIN_ATTEMPTS 3

/* How an extended command was written: AT+X, AT+X?, AT+X=?, AT+X=args. */
enum cmd_kind { CMD_EXEC, CMD_QUERY, CMD_TEST, CMD_SET, CMD_INVALID };

struct command {
	const char *name;       /* upper case, with its '+' or '^' */
	void (*run)(struct modem *m, enum cmd_kind kind, const char *args, int64_t now);
	const char *test_reply; /* answer to AT+X=?; NULL = just OK */
};

/* Parses up to max comma-separated integers; empty fields keep out[i].
 * Returns the number of fields, or -1 on a malformed list. */
static int parse_ints(const char *args, int *out, int max)
{
	int n = 0;
	const char *p = args;
	for (;;) {
		if (n == max)
			return -1;
		if (*p != ',' && *p != '\0') {
			char *end;
			errno = 0;
			long v = strtol(p, &end, 10);
			if (errno || end == p || v < 0 || v > 255)
				return -1;
			out[n] = (int)v;
			p = end;
		}
		n++;
		if (*p == '\0')
			return n;
		if (*p != ',')
			return -1;
		p++;
	}
}

/* Parses a single integer in [lo, hi]; returns it or -1. */
static int parse_one(const char *args, int lo, int hi)
{
	int v = -1;
	if (parse_ints(args, &v, 1) != 1 || v < lo || v > hi)
		return -1;
	return v;
}

/* Copies a possibly quoted string argument (up to a ',' outside quotes). */
static int parse_string(const char *args, char *out, size_t cap)
{
	const char *p = args;
	size_t n = 0;
	bool quoted = *p == '"';
	if (quoted)
		p++;
	while (*p && (quoted ? *p != '"' : *p != ',')) {
		if (n + 1 >= cap)
			return -1;
		out[n++] = *p++;
	}
	if (quoted && *p != '"')
		return -1;
	out[n] = '\0';
	return 0;
}

static void info_ok(struct modem *m, int64_t now, const char *info)
{
	modem_reply_line(m, "%s", info);
	modem_ok(m, now);
}

/* --- handlers --------------------------------------------------------- */

static void cmd_cmee(struct modem *m, enum cmd_kind kind, const char *args, int64_t now)
{
	if (kind == CMD_QUERY) {
		modem_reply_line(m, "+CMEE: %d", m->set.cmee);
		modem_ok(m, now);
		return;
	}
	int v = kind == CMD_SET ? parse_one(args, 0, 2) : 0;
	if (v < 0) {
		modem_error(m, now);
		return;
	}
	m->set.cmee = v;
	modem_ok(m, now);
}

static void cpin_query(struct modem *m, int64_t now)
{
	static const char *const states[] = {
		[SIM_READY] = "READY", [SIM_PIN] = "SIM PIN", [SIM_PUK] = "SIM PUK",
	};
	modem_reply_line(m, "+CPIN: %s", states[m->sim]);
	modem_ok(m, now);
}

/* Checks an entered PIN. Neither the entered nor the right PIN is ever
 * logged. */
static void cpin_enter(struct modem *m, const char *args, int64_t now)
{
	char pin[32];
	if (m->sim == SIM_READY) {
		modem_cme_error(m, now, 3);
		return;
	}
	bool right = m->sim == SIM_PIN && parse_string(args, pin, sizeof pin) == 0
		     && strcmp(pin, m->opt->pin) == 0;
	if (right) {
		m->sim = SIM_READY;
		m->pin_wrong = 0;
		m->sim_ready_at = now;
		m->creg_last = modem_creg_stat(m, now);
		simlog_event("PIN_OK");
		modem_ok(m, now);
		return;
	}
	if (m->sim == SIM_PIN && ++m->pin_wrong >= PIN_ATTEMPTS)
		m->sim = SIM_PUK;
	simlog_event("PIN_WRONG\tleft=%d", m->sim == SIM_PUK ? 0 : PIN_ATTEMPTS - m->pin_wrong);
	modem_cme_error(m, now, 16);
}

static void cmd_cpin(struct modem *m, enum cmd_kind kind, const char *args, int64_t now)
{
	if (kind == CMD_QUERY)
		cpin_query(m, now);
	else if (kind == CMD_SET)
		cpin_enter(m, args, now);
	else
		modem_error(m, now);
}

static void cmd_creg(struct modem *m, enum cmd_kind kind, const char *args, int64_t now)
{
	if (kind == CMD_QUERY) {
		modem_reply_line(m, "+CREG: %d,%d", m->set.creg_mode, modem_creg_stat(m, now));
		modem_ok(m, now);
		return;
	}
	int v = kind == CMD_SET ? parse_one(args, 0, 2) : -1;
	if (v < 0) {
		modem_error(m, now);
		return;
	}
	m->set.creg_mode = v;
	/* URCs report changes from now on, not the current state. */
	m->creg_last = modem_creg_stat(m, now);
	modem_ok(m, now);
}

static void cmd_csq(struct modem *m, enum cmd_kind kind, const char *args, int64_t now)
{
	(void)args;
	if (kind == CMD_EXEC)
		info_ok(m, now, "+CSQ: 21,99");
	else
		modem_error(m, now);
}

static void cmd_cmgf(struct modem *m, enum cmd_kind kind, const char *args, int64_t now)
{
	if (kind == CMD_QUERY) {
		modem_reply_line(m, "+CMGF: %d", m->set.cmgf);
		modem_ok(m, now);
		return;
	}
	int v = kind == CMD_SET ? parse_one(args, 0, 1) : -1;
	if (v < 0) {
		modem_error(m, now);
		return;
	}
	m->set.cmgf = v;
	modem_ok(m, now);
}

static void cmd_cnmi(struct modem *m, enum cmd_kind kind, const char *args, int64_t now)
{
	static const int limits[5] = { 3, 3, 3, 2, 1 };
	int *c = m->set.cnmi;
	if (kind == CMD_QUERY) {
		modem_reply_line(m, "+CNMI: %d,%d,%d,%d,%d", c[0], c[1], c[2], c[3], c[4]);
		modem_ok(m, now);
		return;
	}
	int vals[5];
	memcpy(vals, c, sizeof vals);
	int n = kind == CMD_SET ? parse_ints(args, vals, 5) : -1;
	for (int i = 0; i < 5 && n > 0; i++) {
		if (vals[i] > limits[i])
			n = -1;
	}
	if (n < 0) {
		modem_error(m, now);
		return;
	}
	memcpy(c, vals, sizeof vals);
	modem_ok(m, now);
}

static void cmd_csca(struct modem *m, enum cmd_kind kind, const char *args, int64_t now)
{
	if (m->sim != SIM_READY) {
		modem_reply_line(m, "+CMS ERROR: 311");
		modem_reply_send(m, now, m->opt->cmd_latency_ms, MODEM_COMMAND);
		return;
	}
	if (kind == CMD_QUERY) {
		modem_reply_line(m, "+CSCA: \"%s\",%d", m->set.csca, m->set.csca[0] == '+' ? 145 : 129);
		modem_ok(m, now);
		return;
	}
	char addr[sizeof m->set.csca];
	if (kind != CMD_SET || args[0] != '"' || parse_string(args, addr, sizeof addr) < 0
	    || addr[0] == '\0') {
		modem_error(m, now);
		return;
	}
	memcpy(m->set.csca, addr, sizeof addr);
	modem_ok(m, now);
}

static void cmd_csms(struct modem *m, enum cmd_kind kind, const char *args, int64_t now)
{
	if (kind == CMD_QUERY) {
		modem_reply_line(m, "+CSMS: %d,1,1,1", m->set.csms);
		modem_ok(m, now);
		return;
	}
	int v = kind == CMD_SET ? parse_one(args, 0, 1) : -1;
	if (v < 0) {
		modem_error(m, now);
		return;
	}
	m->set.csms = v;
	info_ok(m, now, "+CSMS: 1,1,1");
}

static void exec_info(struct modem *m, enum cmd_kind kind, int64_t now, const char *info)
{
	if (kind == CMD_EXEC)
		info_ok(m, now, info);
	else
		modem_error(m, now);
}

static void cmd_cgsn(struct modem *m, enum cmd_kind kind, const char *args, int64_t now)
{
	(void)args;
	exec_info(m, kind, now, m->opt->imei);
}

static void cmd_cgmi(struct modem *m, enum cmd_kind kind, const char *args, int64_t now)
{
	(void)args;
	exec_info(m, kind, now, MODEM_MANUFACTURER);
}

static void cmd_cgmm(struct modem *m, enum cmd_kind kind, const char *args, int64_t now)
{
	(void)args;
	exec_info(m, kind, now, MODEM_MODEL);
}

static void cmd_cgmr(struct modem *m, enum cmd_kind kind, const char *args, int64_t now)
{
	(void)args;
	exec_info(m, kind, now, MODEM_REVISION);
}

/* AT+COPS? names the network the modem is on (long alphanumeric format);
 * "+COPS: 0" alone while it is not registered. */
static void cmd_cops(struct modem *m, enum cmd_kind kind, const char *args, int64_t now)
{
	(void)args;
	int stat = modem_creg_stat(m, now);
	if (kind != CMD_QUERY)
		modem_error(m, now);
	else if (stat == 1 || stat == 5)
		info_ok(m, now, "+COPS: 0,0,\"" MODEM_OPERATOR "\"");
	else
		info_ok(m, now, "+COPS: 0");
}

static void cmd_cmgs(struct modem *m, enum cmd_kind kind, const char *args, int64_t now)
{
	if (kind == CMD_SET)
		cmgs_start(m, args, now);
	else
		modem_error(m, now);
}

/* AT+CNMA acknowledges a +CDS when AT+CSMS=1; nothing waits for it here. */
static void cmd_cnma(struct modem *m, enum cmd_kind kind, const char *args, int64_t now)
{
	(void)kind;
	(void)args;
	modem_ok(m, now);
}

static const struct command commands[] = {
	{ .name = "+CMEE", .run = cmd_cmee, .test_reply = "+CMEE: (0-2)" },
	{ .name = "+CPIN", .run = cmd_cpin },
	{ .name = "+CREG", .run = cmd_creg, .test_reply = "+CREG: (0-2)" },
	{ .name = "+CSQ", .run = cmd_csq, .test_reply = "+CSQ: (0-31,99),(0-7,99)" },
	{ .name = "+CMGF", .run = cmd_cmgf, .test_reply = "+CMGF: (0,1)" },
	{ .name = "+CNMI", .run = cmd_cnmi, .test_reply = "+CNMI: (0-3),(0-3),(0-3),(0-2),(0,1)" },
	{ .name = "+CSCA", .run = cmd_csca },
	{ .name = "+CSMS", .run = cmd_csms, .test_reply = "+CSMS: (0,1)" },
	{ .name = "+CGSN", .run = cmd_cgsn },
	{ .name = "+GSN", .run = cmd_cgsn },
	{ .name = "+CGMI", .run = cmd_cgmi },
	{ .name = "+CGMM", .run = cmd_cgmm },
	{ .name = "+CGMR", .run = cmd_cgmr },
	{ .name = "+COPS", .run = cmd_cops, .test_reply = "+COPS: (2,\"" MODEM_OPERATOR "\",\"SIM\",\"26299\"),,(0-4),(0-2)" },
	{ .name = "+CMGS", .run = cmd_cmgs },
	{ .name = "+CNMA", .run = cmd_cnma },
};

/* Splits "+NAME<suffix>" into an upper-case name and the kind/args. */
static void split_extended(const char *rest, char *name, size_t cap, enum cmd_kind *kind,
			   const char **args)
{
	size_t n = 0;
	while (rest[n] && rest[n] != '=' && rest[n] != '?' && n + 1 < cap) {
		name[n] = (char)toupper((unsigned char)rest[n]);
		n++;
	}
	name[n] = '\0';
	const char *s = rest + n;
	*args = "";
	if (strcmp(s, "?") == 0) {
		*kind = CMD_QUERY;
	} else if (strcmp(s, "=?") == 0) {
		*kind = CMD_TEST;
	} else if (s[0] == '=') {
		*kind = CMD_SET;
		*args = s + 1;
	} else {
		*kind = s[0] ? CMD_INVALID : CMD_EXEC;
	}
}

static void run_extended(struct modem *m, const char *rest, int64_t now)
{
	char name[16];
	enum cmd_kind kind;
	const char *args;
	split_extended(rest, name, sizeof name, &kind, &args);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		const struct command *c = &commands[i];
		if (strcmp(c->name, name) != 0)
			continue;
		if (kind == CMD_INVALID)
			modem_error(m, now);
		else if (kind == CMD_TEST && c->test_reply)
			info_ok(m, now, c->test_reply);
		else if (kind == CMD_TEST)
			modem_ok(m, now);
		else
			c->run(m, kind, args, now);
		return;
	}
	modem_error(m, now);
}

static void run_ati(struct modem *m, int64_t now)
{
	modem_reply_line(m, MODEM_MANUFACTURER);
	modem_reply_line(m, MODEM_MODEL);
	modem_reply_line(m, MODEM_REVISION);
	modem_ok(m, now);
}

/* Basic (non-extended) commands: E, I, Z, &F and harmless V1/Q0. */
static void run_basic(struct modem *m, const char *rest, int64_t now)
{
	if (strcasecmp(rest, "E") == 0 || strcasecmp(rest, "E0") == 0) {
		m->set.echo = false;
		modem_ok(m, now);
	} else if (strcasecmp(rest, "E1") == 0) {
		m->set.echo = true;
		modem_ok(m, now);
	} else if (strcasecmp(rest, "I") == 0 || strcasecmp(rest, "I0") == 0) {
		run_ati(m, now);
	} else if (strcasecmp(rest, "Z") == 0 || strcasecmp(rest, "&F") == 0) {
		/* Settings only: the SIM stays as it is. */
		m->set.echo = true;
		m->set.cmee = 0;
		m->set.cmgf = 0;
		memset(m->set.cnmi, 0, sizeof m->set.cnmi);
		modem_ok(m, now);
	} else if (strcasecmp(rest, "V1") == 0 || strcasecmp(rest, "Q0") == 0) {
		modem_ok(m, now);
	} else {
		modem_error(m, now);
	}
}

void commands_execute(struct modem *m, const char *line, int64_t now)
{
	if (strncasecmp(line, "AT", 2) != 0) {
		modem_error(m, now);
		return;
	}
	const char *rest = line + 2;
	if (rest[0] == '\0')
		modem_ok(m, now);
	else if (rest[0] == '+' || rest[0] == '^')
		run_extended(m, rest, now);
	else
		run_basic(m, rest, now);
}
