/* at.c - the AT dialogue with a GSM modem as a pure state machine (see at.h).
 *
 * Received bytes are framed into lines; each line is routed, in this order,
 * as: the PDU line that follows a +CDS/+CMT header, noise (stray prompt,
 * command echo, PDU echo), ^SYSSTART, a final result code for the command in
 * progress, an information line of that command (its own prefix only), and
 * otherwise an unsolicited result code. A line is only ever a reply when the
 * command in progress can answer it, so URCs may arrive anywhere.
 *
 * Timing is by deadlines only: the caller passes `now` and calls at_tick()
 * once at_deadline() has passed. No I/O, no clock, no allocation, no globals,
 * so one session per modem thread is safe.
 */
#include "at.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cms.h"

enum at_state {
	ST_DOWN,                /* not initialised: never, init failed, or modem restarted */
	ST_INIT,                /* init sequence, step = enum init_step */
	ST_IDLE,                /* ready, nothing in progress */
	ST_CHECK,               /* health check, step = enum check_step */
	ST_SEND_PROMPT,         /* AT+CMGS written, waiting for "> " */
	ST_SEND_REPLY,          /* PDU written, waiting for +CMGS and OK */
	ST_SEND_ABORT,          /* ESC written after a missing prompt: swallow the stray final reply */
};

enum init_step {
	STEP_AT, STEP_ATE0, STEP_CMEE, STEP_CGMM, STEP_CGMR, STEP_CGSN, STEP_CPIN_QUERY,
	STEP_CPIN_SET, STEP_CREG, STEP_CSQ, STEP_COPS, STEP_CMGF, STEP_CSCA, STEP_CNMI, STEP_DONE,
};

enum check_step { CHECK_CREG, CHECK_CSQ, CHECK_COPS };

enum cpin_state { CPIN_NONE, CPIN_READY, CPIN_SIM_PIN, CPIN_SIM_PUK, CPIN_OTHER };

#define REG_POLL_MS 2000        /* AT+CREG? while the modem searches */
#define PIN_SETTLE_MS 1000      /* the SIM needs a moment after AT+CPIN= */
#define SIM_BUSY_POLL_MS 1000   /* +CME ERROR: 14 (SIM busy) to AT+CPIN? */
#define SIM_BUSY_POLLS_MAX 10
/* After ESC for a missing prompt the modem may still answer the aborted
 * AT+CMGS (late prompt then OK, or ERROR). We swallow final replies for up
 * to this long, so they are not taken as the answer to the next command. */
#define ABORT_SWALLOW_MS 1000

#define CTRL_Z 0x1A
#define ESC 0x1B

/* ---- small string helpers ---- */

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

static bool is_hex(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!is_hex_digit(*s))
			return false;
	}
	return true;
}

static const char *skip_spaces(const char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

/* Parses a non-negative decimal at *p (at most 6 digits), advancing *p.
 * Returns -1 when there is none. */
static int parse_uint(const char **p)
{
	const char *q = skip_spaces(*p);
	int v = 0, digits = 0;
	while (*q >= '0' && *q <= '9' && digits < 6) {
		v = v * 10 + (*q - '0');
		q++;
		digits++;
	}
	if (digits == 0 || (*q >= '0' && *q <= '9'))
		return -1;
	*p = q;
	return v;
}

/* Text after "<prefix>" with leading spaces skipped. */
static const char *after_prefix(const char *line, const char *prefix)
{
	return skip_spaces(line + strlen(prefix));
}

/* ---- events and output ---- */

static void event_init(struct at_event *ev, enum at_event_type type)
{
	memset(ev, 0, sizeof *ev);
	ev->type = type;
	ev->mr = -1;
	ev->cms_error = -1;
	ev->creg_stat = -1;
	ev->rssi = -1;
	ev->ber = -1;
}

/* How much an event matters when the queue overflows: URCs are only
 * logged, replies and status reports carry the outcome of a send. */
static int event_priority(enum at_event_type type)
{
	switch (type) {
	case AT_EV_URC:
		return 0;
	case AT_EV_SIGNAL:
		return 1;
	case AT_EV_REGISTRATION:
		return 2;
	case AT_EV_STATUS_REPORT:
		return 3;
	default:
		return 4;
	}
}

static struct at_event *event_at(struct at_session *s, size_t i)
{
	return &s->events[(s->ev_head + i) % AT_EVENTS_MAX];
}

/* Makes room in a full queue by removing the oldest event of the lowest
 * priority, provided it matters no more than the incoming one. Returns
 * false when the incoming event is the one to drop. */
static bool event_make_room(struct at_session *s, enum at_event_type incoming)
{
	size_t victim = 0;
	for (size_t i = 1; i < s->ev_count; i++) {
		if (event_priority(event_at(s, i)->type) < event_priority(event_at(s, victim)->type))
			victim = i;
	}
	s->events_dropped++;
	if (event_priority(event_at(s, victim)->type) > event_priority(incoming))
		return false;
	for (size_t i = victim; i + 1 < s->ev_count; i++)
		*event_at(s, i) = *event_at(s, i + 1);
	s->ev_count--;
	return true;
}

static void emit(struct at_session *s, const struct at_event *ev)
{
	if (s->ev_count == AT_EVENTS_MAX && !event_make_room(s, ev->type))
		return;
	*event_at(s, s->ev_count) = *ev;
	s->ev_count++;
}

static void emit_text(struct at_session *s, enum at_event_type type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void emit_text(struct at_session *s, enum at_event_type type, const char *fmt, ...)
{
	struct at_event ev;
	event_init(&ev, type);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ev.text, sizeof ev.text, fmt, ap);
	va_end(ap);
	emit(s, &ev);
}

/* Output that does not fit (the caller stopped draining it) is dropped; the
 * command then times out, which is the failure path for a dead link too. */
static void out_append(struct at_session *s, const void *data, size_t n)
{
	if (n > AT_OUT_MAX - s->out_len)
		return;
	memcpy(s->out + s->out_len, data, n);
	s->out_len += n;
}

static void out_byte(struct at_session *s, uint8_t c)
{
	out_append(s, &c, 1);
}

/* Writes cmd + CR and starts waiting for its final reply. shown is what
 * texts call the command (the PIN masked); NULL = cmd itself. */
static void write_cmd(struct at_session *s, const char *cmd, const char *shown,
		      int64_t timeout_ms, int64_t now)
{
	snprintf(s->shown_cmd, sizeof s->shown_cmd, "%s", shown ? shown : cmd);
	out_append(s, cmd, strlen(cmd));
	out_byte(s, '\r');
	s->awaiting = true;
	s->deadline = now + timeout_ms;
}

/* Waits without a command out; at_tick then re-sends the current step. */
static void wait_until(struct at_session *s, int64_t when)
{
	s->awaiting = false;
	s->deadline = when;
}

static void stop_waiting(struct at_session *s)
{
	s->awaiting = false;
	s->deadline = INT64_MAX;
}

/* ---- final result codes ---- */

enum final_kind { FIN_OK, FIN_ERROR, FIN_CME, FIN_CMS };

struct final {
	enum final_kind kind;
	int code;               /* CME/CMS code, -1 when not numeric */
	const char *line;       /* as received */
};

static bool parse_final(const char *line, struct final *f)
{
	const char *p;
	f->code = -1;
	f->line = line;
	if (strcmp(line, "OK") == 0) {
		f->kind = FIN_OK;
		return true;
	}
	if (strcmp(line, "ERROR") == 0) {
		f->kind = FIN_ERROR;
		return true;
	}
	if (has_prefix(line, "+CME ERROR:"))
		f->kind = FIN_CME;
	else if (has_prefix(line, "+CMS ERROR:"))
		f->kind = FIN_CMS;
	else
		return false;
	p = line + strlen("+CME ERROR:");
	f->code = parse_uint(&p);
	return true;
}

static const char *cme_meaning(int code)
{
	switch (code) {
	case 3: return "operation not allowed";
	case 4: return "operation not supported";
	case 10: return "SIM not inserted";
	case 11: return "SIM PIN required";
	case 12: return "SIM PUK required";
	case 13: return "SIM failure";
	case 14: return "SIM busy";
	case 15: return "SIM wrong";
	case 16: return "incorrect password";
	case 30: return "no network service";
	default: return "unknown error";
	}
}

/* "ERROR", "+CME ERROR: 10 (SIM not inserted)", "+CMS ERROR: 500 (unknown error)";
 * a verbose (AT+CMEE=2 style) error is shown as received. */
static const char *describe_final(const struct final *f, char *buf, size_t cap)
{
	if ((f->kind == FIN_CME || f->kind == FIN_CMS) && f->code < 0) {
		snprintf(buf, cap, "%s", f->line);
		return buf;
	}
	switch (f->kind) {
	case FIN_OK:
		snprintf(buf, cap, "OK");
		break;
	case FIN_ERROR:
		snprintf(buf, cap, "ERROR");
		break;
	case FIN_CME:
		snprintf(buf, cap, "+CME ERROR: %d (%s)", f->code, cme_meaning(f->code));
		break;
	case FIN_CMS:
		snprintf(buf, cap, "+CMS ERROR: %d (%s)", f->code, cms_meaning(f->code));
		break;
	}
	return buf;
}

/* ---- information lines ---- */

/* +CREG comes in two shapes: the reply to AT+CREG? is "<n>,<stat>[,...]"
 * (second field unquoted), the URC is "<stat>[,"<lac>","<ci>"...]".
 * Returns false when the line does not parse. */
static bool parse_creg(const char *line, int *stat, bool *is_reply)
{
	const char *p = after_prefix(line, "+CREG:");
	int first = parse_uint(&p);
	if (first < 0)
		return false;
	p = skip_spaces(p);
	if (*p == ',' && *skip_spaces(p + 1) >= '0' && *skip_spaces(p + 1) <= '9') {
		p++;
		*stat = parse_uint(&p);
		*is_reply = true;
		return *stat >= 0;
	}
	*stat = first;
	*is_reply = false;
	return true;
}

static bool parse_csq(const char *line, int *rssi, int *ber)
{
	const char *p = after_prefix(line, "+CSQ:");
	*rssi = parse_uint(&p);
	p = skip_spaces(p);
	if (*rssi < 0 || *p != ',')
		return false;
	p++;
	*ber = parse_uint(&p);
	return *ber >= 0;
}

static int parse_cmgs(const char *line)
{
	const char *p = after_prefix(line, "+CMGS:");
	int mr = parse_uint(&p);
	return mr <= 255 ? mr : -1;
}

static void emit_registration(struct at_session *s, int stat, const char *line)
{
	struct at_event ev;
	event_init(&ev, AT_EV_REGISTRATION);
	ev.creg_stat = stat;
	s->info.creg_stat = stat;
	snprintf(ev.text, sizeof ev.text, "%s", line);
	emit(s, &ev);
}

static void emit_signal(struct at_session *s, const char *line)
{
	struct at_event ev;
	event_init(&ev, AT_EV_SIGNAL);
	if (!parse_csq(line, &ev.rssi, &ev.ber))
		return;
	s->info.rssi = ev.rssi;
	s->info.ber = ev.ber;
	snprintf(ev.text, sizeof ev.text, "%s", line);
	emit(s, &ev);
}

/* "+COPS: <mode>[,<format>,"<oper>"[,<AcT>]]": the operator between the
 * quotes (control bytes and over-long names refused), "" when the modem
 * names none (not registered). */
static void parse_cops(const char *line, char *out, size_t cap)
{
	const char *open = strchr(line, '"');
	const char *close = open ? strchr(open + 1, '"') : NULL;
	out[0] = '\0';
	if (!close || (size_t)(close - open - 1) >= cap)
		return;
	for (const char *p = open + 1; p < close; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			return;
	}
	snprintf(out, cap, "%.*s", (int)(close - open - 1), open + 1);
}

static bool is_identity_step(int step)
{
	return step == STEP_CGMM || step == STEP_CGMR || step == STEP_CGSN;
}

/* AT+CGMM/CGMR/CGSN answer with a bare line (no "+NAME:" prefix, though
 * some modems add one); the first such line is the value. */
static void take_identity(struct at_session *s, const char *line)
{
	char *field = s->step == STEP_CGMM ? s->info.model
		      : s->step == STEP_CGMR ? s->info.revision : s->info.imei;
	if (!field[0])
		snprintf(field, AT_INFO_MAX, "%.*s", AT_INFO_MAX - 1, line);
}

/* ---- init sequence ---- */

static void init_begin_step(struct at_session *s, enum init_step step, int64_t now);

static void init_fail(struct at_session *s, bool fatal, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void init_fail(struct at_session *s, bool fatal, const char *fmt, ...)
{
	struct at_event ev;
	event_init(&ev, AT_EV_INIT_FAILED);
	ev.fatal = fatal;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ev.text, sizeof ev.text, fmt, ap);
	va_end(ap);
	s->state = ST_DOWN;
	stop_waiting(s);
	emit(s, &ev);
}

static enum init_step next_step(const struct at_session *s, enum init_step step)
{
	enum init_step next = (enum init_step)(step + 1);
	if (is_identity_step(next) && !s->set.read_info)
		next = STEP_CPIN_QUERY;
	if (next == STEP_CPIN_SET)      /* only on "SIM PIN" */
		next = STEP_CREG;
	if (next == STEP_COPS && !s->set.read_info)
		next = STEP_CMGF;
	if (next == STEP_CSCA && !(s->set.smsc && *s->set.smsc))
		next = STEP_CNMI;
	if (next == STEP_CNMI && !s->set.status_reports)
		next = STEP_DONE;
	return next;
}

static void init_advance(struct at_session *s, int64_t now)
{
	init_begin_step(s, next_step(s, (enum init_step)s->step), now);
}

/* A PIN is 4 to 8 digits; anything else could smuggle '"' or CR into the
 * command line, so it is never written. */
static bool pin_is_valid(const char *pin)
{
	size_t n = strlen(pin);
	if (n < 4 || n > 8)
		return false;
	for (; *pin; pin++) {
		if (*pin < '0' || *pin > '9')
			return false;
	}
	return true;
}

static bool smsc_is_valid(const char *smsc)
{
	size_t n = strlen(smsc);
	if (*smsc == '+')
		smsc++;
	if (n > 21 || !*smsc)
		return false;
	for (; *smsc; smsc++) {
		if (*smsc < '0' || *smsc > '9')
			return false;
	}
	return true;
}

static void init_send_pin(struct at_session *s, int64_t now)
{
	char cmd[32];
	snprintf(cmd, sizeof cmd, "AT+CPIN=\"%s\"", s->set.pin);
	s->pin_sent = true;
	write_cmd(s, cmd, "AT+CPIN=****", s->set.cmd_timeout_ms, now);
}

static void init_send_csca(struct at_session *s, int64_t now)
{
	char cmd[40];
	if (!smsc_is_valid(s->set.smsc)) {
		init_fail(s, true, "smsc \"%.24s\" is not a phone number (expected +digits)", s->set.smsc);
		return;
	}
	snprintf(cmd, sizeof cmd, "AT+CSCA=\"%s\"", s->set.smsc);
	write_cmd(s, cmd, NULL, s->set.cmd_timeout_ms, now);
}

static void init_ready(struct at_session *s)
{
	struct at_event ev;
	s->state = ST_IDLE;
	stop_waiting(s);
	event_init(&ev, AT_EV_READY);
	emit(s, &ev);
}

/* The fixed commands of the init steps; the others are built. */
static const char *const init_cmds[] = {
	[STEP_AT] = "AT",
	[STEP_ATE0] = "ATE0",
	[STEP_CMEE] = "AT+CMEE=1",
	[STEP_CGMM] = "AT+CGMM",
	[STEP_CGMR] = "AT+CGMR",
	[STEP_CGSN] = "AT+CGSN",
	[STEP_CPIN_QUERY] = "AT+CPIN?",
	[STEP_CREG] = "AT+CREG?",
	[STEP_CSQ] = "AT+CSQ",
	[STEP_COPS] = "AT+COPS?",
	[STEP_CMGF] = "AT+CMGF=0",
	[STEP_CNMI] = "AT+CNMI=2,1,0,1,0",
};

static void init_begin_step(struct at_session *s, enum init_step step, int64_t now)
{
	s->step = step;
	if (step == STEP_CPIN_QUERY)
		s->cpin = CPIN_NONE;
	else if (step == STEP_CREG)
		s->creg_stat = -1;
	else if (step == STEP_COPS)
		s->info.operator_name[0] = '\0';

	if (step == STEP_CPIN_SET)
		init_send_pin(s, now);
	else if (step == STEP_CSCA)
		init_send_csca(s, now);
	else if (step == STEP_DONE)
		init_ready(s);
	else
		write_cmd(s, init_cmds[step], NULL, s->set.cmd_timeout_ms, now);
}

static void cpin_on_info(struct at_session *s, const char *line)
{
	const char *v = after_prefix(line, "+CPIN:");
	snprintf(s->cpin_text, sizeof s->cpin_text, "%s", v);
	if (strcmp(v, "READY") == 0)
		s->cpin = CPIN_READY;
	else if (strcmp(v, "SIM PIN") == 0)
		s->cpin = CPIN_SIM_PIN;
	else if (strcmp(v, "SIM PUK") == 0)
		s->cpin = CPIN_SIM_PUK;
	else
		s->cpin = CPIN_OTHER;
}

/* "SIM PIN": the PIN goes out at most once until the SIM proves it right
 * with READY; three wrong PINs would lock the SIM. */
static void cpin_on_sim_pin(struct at_session *s, int64_t now)
{
	if (!s->set.pin || !*s->set.pin)
		init_fail(s, true, "SIM PIN required but no pin configured");
	else if (s->pin_sent)
		init_fail(s, true, "SIM still asks for PIN after it was sent once; "
			  "not retrying (3 wrong PINs lock the SIM)");
	else if (!pin_is_valid(s->set.pin))
		init_fail(s, true, "configured pin is not 4 to 8 digits; not sending it");
	else
		init_begin_step(s, STEP_CPIN_SET, now);
}

static void cpin_query_on_final(struct at_session *s, const struct final *f, int64_t now)
{
	char desc[128];
	if (f->kind == FIN_CME && f->code == 14) {
		if (s->sim_busy_polls++ < SIM_BUSY_POLLS_MAX)
			wait_until(s, now + SIM_BUSY_POLL_MS);
		else
			init_fail(s, false, "SIM stays busy (+CME ERROR: 14 to AT+CPIN?)");
		return;
	}
	if (f->kind == FIN_CME && f->code == 12) {
		init_fail(s, true, "SIM is PUK-locked");
		return;
	}
	if (f->kind != FIN_OK) {
		init_fail(s, false, "SIM not ready: AT+CPIN? answered %s",
			  describe_final(f, desc, sizeof desc));
		return;
	}
	switch ((enum cpin_state)s->cpin) {
	case CPIN_READY:
		s->pin_sent = false;    /* proven right: may be sent again after a modem restart */
		s->reg_deadline = now + s->set.registration_timeout_ms;
		init_begin_step(s, STEP_CREG, now);
		break;
	case CPIN_SIM_PIN:
		cpin_on_sim_pin(s, now);
		break;
	case CPIN_SIM_PUK:
		init_fail(s, true, "SIM is PUK-locked");
		break;
	case CPIN_NONE:
		init_fail(s, false, "no +CPIN line in the answer to AT+CPIN?");
		break;
	case CPIN_OTHER:
		init_fail(s, false, "SIM not ready (+CPIN: %s)", s->cpin_text);
		break;
	}
}

static void cpin_set_on_final(struct at_session *s, const struct final *f, int64_t now)
{
	char desc[128];
	if (f->kind == FIN_OK) {
		s->step = STEP_CPIN_QUERY;
		wait_until(s, now + PIN_SETTLE_MS);
	} else if (f->kind == FIN_CME && f->code == 16) {
		init_fail(s, true, "SIM rejected the configured PIN (+CME ERROR: 16); not retrying");
	} else if (f->kind == FIN_CME && f->code == 12) {
		init_fail(s, true, "SIM is PUK-locked");
	} else {
		init_fail(s, true, "SIM did not accept AT+CPIN=**** (%s); not retrying",
			  describe_final(f, desc, sizeof desc));
	}
}

static void creg_on_final(struct at_session *s, const struct final *f, int64_t now)
{
	char desc[128];
	bool registered = f->kind == FIN_OK && (s->creg_stat == 1 || s->creg_stat == 5);
	if (registered) {
		init_advance(s, now);
	} else if (now < s->reg_deadline) {
		int64_t next = now + REG_POLL_MS;
		wait_until(s, next < s->reg_deadline ? next : s->reg_deadline);
	} else if (f->kind == FIN_OK) {
		init_fail(s, false, "not registered to the network (+CREG stat %d)", s->creg_stat);
	} else {
		init_fail(s, false, "not registered to the network (AT+CREG? answered %s)",
			  describe_final(f, desc, sizeof desc));
	}
}

static void init_on_final(struct at_session *s, const struct final *f, int64_t now)
{
	char desc[128];
	stop_waiting(s);
	switch ((enum init_step)s->step) {
	case STEP_CPIN_QUERY:
		cpin_query_on_final(s, f, now);
		return;
	case STEP_CPIN_SET:
		cpin_set_on_final(s, f, now);
		return;
	case STEP_CREG:
		creg_on_final(s, f, now);
		return;
	case STEP_CSQ:          /* signal and identity are only shown: an ERROR is no */
	case STEP_COPS:         /* reason to stop */
	case STEP_CGMM:
	case STEP_CGMR:
	case STEP_CGSN:
		init_advance(s, now);
		return;
	case STEP_AT:           /* a modem just woken up may garble the first AT */
		if (f->kind != FIN_OK && !s->at_retried) {
			s->at_retried = true;
			init_begin_step(s, STEP_AT, now);
			return;
		}
		break;
	default:
		break;
	}
	if (f->kind == FIN_OK)
		init_advance(s, now);
	else
		init_fail(s, false, "%s failed: %s", s->shown_cmd, describe_final(f, desc, sizeof desc));
}

static void init_on_info(struct at_session *s, const char *line)
{
	int stat;
	bool is_reply;
	switch ((enum init_step)s->step) {
	case STEP_CPIN_QUERY:
		cpin_on_info(s, line);
		break;
	case STEP_CREG:
		if (parse_creg(line, &stat, &is_reply)) {
			s->creg_stat = stat;
			emit_registration(s, stat, line);
		}
		break;
	case STEP_CSQ:
		emit_signal(s, line);
		break;
	case STEP_COPS:
		parse_cops(line, s->info.operator_name, sizeof s->info.operator_name);
		break;
	default:
		break;
	}
}

static void init_on_tick(struct at_session *s, int64_t now)
{
	if (!s->awaiting) {             /* a poll or settle wait is over */
		init_begin_step(s, (enum init_step)s->step, now);
		return;
	}
	emit_text(s, AT_EV_TIMEOUT, "no answer to %s", s->shown_cmd);
	init_fail(s, false, "no answer to %s", s->shown_cmd);
}

/* ---- health check ---- */

static void check_on_final(struct at_session *s, int64_t now)
{
	if (s->step == CHECK_CREG) {
		s->step = CHECK_CSQ;
		write_cmd(s, "AT+CSQ", NULL, s->set.cmd_timeout_ms, now);
		return;
	}
	if (s->step == CHECK_CSQ && s->set.read_info) {
		s->step = CHECK_COPS;
		s->info.operator_name[0] = '\0';
		write_cmd(s, "AT+COPS?", NULL, s->set.cmd_timeout_ms, now);
		return;
	}
	s->state = ST_IDLE;
	stop_waiting(s);
}

static void check_on_info(struct at_session *s, const char *line)
{
	int stat;
	bool is_reply;
	if (s->step == CHECK_CSQ)
		emit_signal(s, line);
	else if (s->step == CHECK_COPS)
		parse_cops(line, s->info.operator_name, sizeof s->info.operator_name);
	else if (parse_creg(line, &stat, &is_reply))
		emit_registration(s, stat, line);
}

static void check_on_tick(struct at_session *s)
{
	emit_text(s, AT_EV_TIMEOUT, "no answer to %s", s->shown_cmd);
	s->state = ST_IDLE;
	stop_waiting(s);
}

/* ---- send ---- */

static void send_fail(struct at_session *s, enum at_send_failure failure, int cms_error,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void send_fail(struct at_session *s, enum at_send_failure failure, int cms_error,
		      const char *fmt, ...)
{
	struct at_event ev;
	event_init(&ev, AT_EV_SEND_FAILED);
	ev.failure = failure;
	ev.cms_error = cms_error;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ev.text, sizeof ev.text, fmt, ap);
	va_end(ap);
	emit(s, &ev);
}

static void send_on_prompt(struct at_session *s, int64_t now)
{
	out_append(s, s->pending_pdu, strlen(s->pending_pdu));
	out_byte(s, CTRL_Z);
	s->state = ST_SEND_REPLY;
	s->deadline = now + s->set.send_timeout_ms;
}

/* A final reply to AT+CMGS, before or after the prompt. */
static void send_on_final(struct at_session *s, const struct final *f)
{
	char desc[128];
	s->state = ST_IDLE;
	stop_waiting(s);
	if (f->kind == FIN_OK) {
		struct at_event ev;
		event_init(&ev, AT_EV_SENT);
		ev.mr = s->pending_mr;
		if (ev.mr < 0)
			snprintf(ev.text, sizeof ev.text, "OK without +CMGS: <mr>");
		emit(s, &ev);
	} else if (f->kind == FIN_CMS) {
		send_fail(s, AT_SEND_CMS_ERROR, f->code, "%s", describe_final(f, desc, sizeof desc));
	} else {
		send_fail(s, AT_SEND_ERROR, -1, "AT+CMGS answered %s", describe_final(f, desc, sizeof desc));
	}
}

static void format_duration(char *buf, size_t cap, int64_t ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, cap, "%lld s", (long long)(ms / 1000));
	else
		snprintf(buf, cap, "%lld ms", (long long)ms);
}

static void send_on_tick(struct at_session *s, int64_t now)
{
	char within[32];
	if (s->state == ST_SEND_PROMPT) {
		out_byte(s, ESC);
		send_fail(s, AT_SEND_NO_PROMPT, -1, "no '> ' prompt after AT+CMGS");
		s->state = ST_SEND_ABORT;
		wait_until(s, now + ABORT_SWALLOW_MS);
		return;
	}
	format_duration(within, sizeof within, s->set.send_timeout_ms);
	emit_text(s, AT_EV_TIMEOUT, "no +CMGS within %s", within);
	send_fail(s, AT_SEND_TIMEOUT, -1, "no +CMGS within %s", within);
	s->state = ST_IDLE;
	stop_waiting(s);
}

/* ---- line routing ---- */

/* "> " or ">" (leading spaces allowed) as the whole pending line. */
static bool line_is_prompt(const char *line, size_t len)
{
	while (len > 0 && *line == ' ') {
		line++;
		len--;
	}
	return (len == 1 && line[0] == '>') || (len == 2 && line[0] == '>' && line[1] == ' ');
}

/* Lines that are neither replies nor URCs: a stray prompt, the echo of a
 * command (anything starting with "AT": modems never send such lines
 * otherwise, and a garbled echo of AT+CPIN= must not surface as a URC), and
 * the echo of the PDU while its reply is awaited (no reply is pure hex). */
static bool line_is_noise(const struct at_session *s, const char *line)
{
	if (strcmp(line, ">") == 0)
		return true;
	if (strncasecmp(line, "AT", 2) == 0)
		return true;
	return s->state == ST_SEND_REPLY && is_hex(line);
}

/* The info prefix the command in progress answers with, or NULL. */
static const char *expected_info_prefix(const struct at_session *s)
{
	if (s->state == ST_SEND_REPLY)
		return "+CMGS:";
	if (!s->awaiting)
		return NULL;
	if (s->state == ST_INIT) {
		switch ((enum init_step)s->step) {
		case STEP_CPIN_QUERY:
			return "+CPIN:";
		case STEP_CREG:
			return "+CREG:";
		case STEP_CSQ:
			return "+CSQ:";
		case STEP_COPS:
			return "+COPS:";
		default:
			return NULL;
		}
	}
	if (s->state == ST_CHECK)
		return s->step == CHECK_CREG ? "+CREG:" : s->step == CHECK_CSQ ? "+CSQ:" : "+COPS:";
	return NULL;
}

/* Routes an information line to the command in progress; false when the
 * line is not one it can answer (then it is unsolicited). */
static bool route_info(struct at_session *s, const char *line)
{
	const char *prefix = expected_info_prefix(s);
	int stat;
	bool is_reply;
	if (s->state == ST_INIT && s->awaiting && is_identity_step(s->step) && line[0] != '+' &&
	    line[0] != '^') {
		take_identity(s, line);
		return true;
	}
	if (!prefix || !has_prefix(line, prefix))
		return false;
	if (strcmp(prefix, "+CREG:") == 0 && (!parse_creg(line, &stat, &is_reply) || !is_reply))
		return false;           /* "+CREG: <stat>" is the URC, even now */
	if (strcmp(prefix, "+CMGS:") == 0) {
		int mr = parse_cmgs(line);
		if (mr < 0)
			return false;
		s->pending_mr = mr;
	} else if (s->state == ST_INIT) {
		init_on_info(s, line);
	} else {
		check_on_info(s, line);
	}
	return true;
}

static void route_final(struct at_session *s, const char *line, const struct final *f, int64_t now)
{
	switch ((enum at_state)s->state) {
	case ST_INIT:
		if (s->awaiting) {
			init_on_final(s, f, now);
			return;
		}
		break;
	case ST_CHECK:
		check_on_final(s, now);
		return;
	case ST_SEND_PROMPT:    /* the modem refused AT+CMGS; an OK here is stray */
		if (f->kind != FIN_OK) {
			send_on_final(s, f);
			return;
		}
		break;
	case ST_SEND_REPLY:
		send_on_final(s, f);
		return;
	case ST_SEND_ABORT:     /* the answer to the aborted AT+CMGS */
		s->state = ST_IDLE;
		stop_waiting(s);
		return;
	default:
		break;
	}
	/* Nobody asked: log it (late reply after a timeout, for example). */
	emit_text(s, AT_EV_URC, "%s", line);
}

static void on_sysstart(struct at_session *s, const char *line)
{
	if (s->state == ST_INIT)
		init_fail(s, false, "modem restarted during init");
	else if (s->state == ST_SEND_PROMPT || s->state == ST_SEND_REPLY)
		send_fail(s, AT_SEND_ERROR, -1, "modem restarted (^SYSSTART)");
	s->state = ST_DOWN;
	stop_waiting(s);
	emit_text(s, AT_EV_SYSSTART, "%s", line);
}

/* "+CDS: <len>" (PDU mode) announces a PDU line; the text mode form has
 * more fields and no second line. */
static bool cds_announces_pdu(const char *line)
{
	const char *p = after_prefix(line, "+CDS:");
	return parse_uint(&p) >= 0 && *skip_spaces(p) == '\0';
}

static void on_unsolicited(struct at_session *s, const char *line)
{
	int stat;
	bool is_reply;
	if (has_prefix(line, "+CREG:") && parse_creg(line, &stat, &is_reply)) {
		emit_registration(s, stat, line);
		return;
	}
	if (has_prefix(line, "+CDS:") && cds_announces_pdu(line)) {
		s->expect_pdu_line = true;
		s->pdu_line_is_cds = true;
		return;
	}
	if (has_prefix(line, "+CMT:") || has_prefix(line, "+CBM:")) {
		s->expect_pdu_line = true;
		s->pdu_line_is_cds = false;
	}
	emit_text(s, AT_EV_URC, "%s", line);
}

/* The PDU line after +CDS (a status report) or +CMT/+CBM (consumed: the
 * header was already passed on as a URC). */
static void on_pdu_line(struct at_session *s, const char *line)
{
	struct at_event ev;
	if (!s->pdu_line_is_cds)
		return;
	if (strlen(line) >= sizeof ev.text) {
		emit_text(s, AT_EV_URC, "+CDS PDU of %zu hex digits is too long, dropped", strlen(line));
		return;
	}
	event_init(&ev, AT_EV_STATUS_REPORT);
	snprintf(ev.text, sizeof ev.text, "%s", line);
	emit(s, &ev);
}

static void handle_line(struct at_session *s, const char *line, int64_t now)
{
	struct final f;
	if (s->expect_pdu_line) {
		s->expect_pdu_line = false;
		if (is_hex(line)) {
			on_pdu_line(s, line);
			return;
		}
		/* No PDU after all: say so, then route the line normally. */
		if (s->pdu_line_is_cds)
			emit_text(s, AT_EV_URC, "+CDS header without its PDU line");
	}
	if (line_is_noise(s, line))
		return;
	if (has_prefix(line, "^SYSSTART")) {
		on_sysstart(s, line);
		return;
	}
	if (parse_final(line, &f)) {
		route_final(s, line, &f, now);
		return;
	}
	if (route_info(s, line))
		return;
	on_unsolicited(s, line);
}

/* Ends the pending line. Over-long lines are dropped whole: a truncated
 * line could be mistaken for something it is not. */
static void end_line(struct at_session *s, int64_t now)
{
	char *line = s->line;
	size_t len = s->line_len;
	bool overflow = s->line_overflow;

	s->line_len = 0;
	s->line_overflow = false;
	if (overflow) {
		s->expect_pdu_line = false;     /* that was the PDU, if one was due */
		return;
	}
	while (len > 0 && line[len - 1] == ' ')
		len--;
	line[len] = '\0';
	while (*line == ' ')
		line++;
	if (*line)
		handle_line(s, line, now);
}

static void feed_byte(struct at_session *s, uint8_t c, int64_t now)
{
	if (c == '\r' || c == '\n') {
		end_line(s, now);
		return;
	}
	/* NUL at power-up, echoed Ctrl-Z/ESC: never part of a line. */
	if (c < 0x20 || c == 0x7F)
		return;
	if (s->line_len + 1 >= AT_LINE_MAX) {
		s->line_overflow = true;
		return;
	}
	s->line[s->line_len++] = (char)c;
	/* The prompt has no line terminator: look for it as it arrives. */
	if (s->state == ST_SEND_PROMPT && line_is_prompt(s->line, s->line_len)) {
		s->line_len = 0;
		send_on_prompt(s, now);
	}
}

/* ---- public API ---- */

void at_session_init(struct at_session *s, const struct at_settings *set)
{
	memset(s, 0, sizeof *s);
	s->set = *set;
	if (s->set.cmd_timeout_ms <= 0)
		s->set.cmd_timeout_ms = 5000;
	if (s->set.prompt_timeout_ms <= 0)
		s->set.prompt_timeout_ms = 5000;
	if (s->set.send_timeout_ms <= 0)
		s->set.send_timeout_ms = 60000;
	if (s->set.registration_timeout_ms <= 0)
		s->set.registration_timeout_ms = 30000;
	s->state = ST_DOWN;
	s->deadline = INT64_MAX;
	s->creg_stat = -1;
	s->pending_mr = -1;
	s->info.creg_stat = -1;
	s->info.rssi = -1;
	s->info.ber = -1;
}

void at_start_init(struct at_session *s, int64_t now)
{
	/* The modem may sit in PDU input mode; ESC gets it out of there
	 * without sending anything. */
	if (s->state == ST_SEND_PROMPT)
		out_byte(s, ESC);
	s->state = ST_INIT;
	s->at_retried = false;
	s->sim_busy_polls = 0;
	s->cpin = CPIN_NONE;
	s->creg_stat = -1;
	s->pending_mr = -1;
	s->expect_pdu_line = false;
	s->info.model[0] = s->info.revision[0] = s->info.imei[0] = '\0';
	init_begin_step(s, STEP_AT, now);
}

static bool pdu_args_valid(const char *hex, int tpdu_len)
{
	size_t n = hex ? strlen(hex) : 0;
	return n >= 2 && n % 2 == 0 && n < AT_PDU_HEX_MAX && is_hex(hex)
	       && tpdu_len >= 1 && tpdu_len <= 255 && (size_t)tpdu_len < n / 2;
}

int at_start_send(struct at_session *s, const char *hex, int tpdu_len, int64_t now)
{
	char cmd[24];
	if (s->state != ST_IDLE || !pdu_args_valid(hex, tpdu_len))
		return -1;
	snprintf(s->pending_pdu, sizeof s->pending_pdu, "%s", hex);
	s->pending_mr = -1;
	s->state = ST_SEND_PROMPT;
	snprintf(cmd, sizeof cmd, "AT+CMGS=%d", tpdu_len);
	write_cmd(s, cmd, NULL, s->set.prompt_timeout_ms, now);
	return 0;
}

int at_start_check(struct at_session *s, int64_t now)
{
	if (s->state != ST_IDLE)
		return -1;
	s->state = ST_CHECK;
	s->step = CHECK_CREG;
	write_cmd(s, "AT+CREG?", NULL, s->set.cmd_timeout_ms, now);
	return 0;
}

void at_feed(struct at_session *s, const uint8_t *data, size_t n, int64_t now)
{
	for (size_t i = 0; i < n; i++)
		feed_byte(s, data[i], now);
}

void at_tick(struct at_session *s, int64_t now)
{
	if (now < s->deadline)
		return;
	switch ((enum at_state)s->state) {
	case ST_INIT:
		init_on_tick(s, now);
		break;
	case ST_CHECK:
		check_on_tick(s);
		break;
	case ST_SEND_PROMPT:
	case ST_SEND_REPLY:
		send_on_tick(s, now);
		break;
	case ST_SEND_ABORT:
		s->state = ST_IDLE;
		stop_waiting(s);
		break;
	case ST_DOWN:
	case ST_IDLE:
		stop_waiting(s);
		break;
	}
}

const struct at_info *at_info(const struct at_session *s)
{
	return &s->info;
}

int64_t at_deadline(const struct at_session *s)
{
	return s->deadline;
}

size_t at_take_output(struct at_session *s, uint8_t *buf, size_t cap)
{
	size_t n = s->out_len < cap ? s->out_len : cap;
	memcpy(buf, s->out, n);
	memmove(s->out, s->out + n, s->out_len - n);
	s->out_len -= n;
	return n;
}

bool at_next_event(struct at_session *s, struct at_event *ev)
{
	if (s->ev_count == 0)
		return false;
	*ev = s->events[s->ev_head];
	s->ev_head = (s->ev_head + 1) % AT_EVENTS_MAX;
	s->ev_count--;
	return true;
}

bool at_is_idle(const struct at_session *s)
{
	return s->state == ST_IDLE;
}

unsigned long at_events_dropped(const struct at_session *s)
{
	return s->events_dropped;
}
