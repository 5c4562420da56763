/* at_trace.c - the AT dialogue as shown in the debug log, secrets masked (at_trace.h). */
#include "at_trace.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "textesc.h"

#define CTRL_Z 0x1a
#define ESC 0x1b
/* Shorter hex runs from the modem (an IMEI, a number) are shown: no PDU is. */
#define PDU_MIN_HEX 16

/* Where the shown text is built; always NUL-terminated, never overrun. */
struct shown {
	char *buf;
	size_t cap;
	size_t len;
};

static void put_esc(struct shown *o, const char *src, size_t n)
{
	if (o->cap == 0)
		return;
	o->len += textesc(o->buf + o->len, o->cap - o->len, src, n);
}

static void put_str(struct shown *o, const char *s)
{
	put_esc(o, s, strlen(s));
}

/* Arguments whose values are secrets: the SIM PIN (and PUK), passwords. */
static const char *const secret_cmds[] = { "+CPIN=", "+CPWD=", "+CLCK=" };

/* The end of the first secret command's "=" in text[0..n), or NULL. */
static const char *find_secret(const char *text, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof secret_cmds / sizeof secret_cmds[0]; k++) {
			size_t len = strlen(secret_cmds[k]);
			if (n - i >= len && strncasecmp(text + i, secret_cmds[k], len) == 0)
				return text + i + len;
		}
	}
	return NULL;
}

/* A command (or its echo): shown escaped, with every value after a secret
 * command's "=" (each run between quotes and commas) as "****". */
static void put_command(struct shown *o, const char *text, size_t n)
{
	const char *args = find_secret(text, n);
	if (!args) {
		put_esc(o, text, n);
		return;
	}
	put_esc(o, text, (size_t)(args - text));
	const char *end = text + n;
	for (const char *p = args; p < end;) {
		if (*p == '"' || *p == ',') {
			put_esc(o, p++, 1);
			continue;
		}
		while (p < end && *p != '"' && *p != ',')
			p++;
		put_str(o, "****");
	}
}

static size_t hex_run(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && isxdigit((unsigned char)s[i]))
		i++;
	return i;
}

static unsigned octet_at(const char *hex, size_t i)
{
	unsigned v = 0;
	sscanf(hex + 2 * i, "%2x", &v);
	return v;
}

/* The first octet of the TPDU after the SMSC field, or -1 if there is none. */
static int first_octet(const char *hex, size_t octets, size_t *pos)
{
	if (octets < 2)
		return -1;
	*pos = 1 + octet_at(hex, 0);
	return *pos < octets ? (int)octet_at(hex, *pos) : -1;
}

/* Octets of an SMS-SUBMIT (SMSC field first, as AT+CMGS takes it) up to and
 * including TP-UDL, or 0 when hex[0..octets*2) is no SMS-SUBMIT. */
static size_t submit_header(const char *hex, size_t octets)
{
	size_t pos;
	int fo = first_octet(hex, octets, &pos);
	if (fo < 0 || (fo & 3) != 1)
		return 0;
	pos += 2;                               /* TP-MTI..., TP-MR */
	if (pos >= octets)
		return 0;
	size_t da_digits = octet_at(hex, pos);
	pos += 2 + (da_digits + 1) / 2;         /* length, type, digits */
	pos += 2;                               /* TP-PID, TP-DCS */
	unsigned vpf = ((unsigned)fo >> 3) & 3;
	pos += vpf == 2 ? 1 : vpf ? 7 : 0;      /* TP-VP: relative, else 7 octets */
	return pos < octets ? pos + 1 : 0;      /* with TP-UDL */
}

static bool is_status_report(const char *hex, size_t digits)
{
	size_t pos;
	int fo = digits % 2 == 0 ? first_octet(hex, digits / 2, &pos) : -1;
	return fo >= 0 && (fo & 3) == 2;     /* TP-MTI: SMS-STATUS-REPORT */
}

/* A run of PDU hex: an SMS-SUBMIT shows its header, the rest is masked. */
static void put_pdu(struct shown *o, const char *hex, size_t digits)
{
	size_t header = digits % 2 == 0 ? submit_header(hex, digits / 2) : 0;
	char note[64];
	if (header == 0) {
		snprintf(note, sizeof note, "…(%zu hex digits)", digits);
		put_str(o, note);
		return;
	}
	put_esc(o, hex, 2 * header);
	snprintf(note, sizeof note, "…(%zu octets of user data)", digits / 2 - header);
	put_str(o, note);
}

size_t at_trace_out_unit(const char *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (bytes[i] == '\r' || bytes[i] == CTRL_Z || bytes[i] == ESC)
			return i + 1;
	}
	return n;
}

/* A command and its echo start with "AT"; anything else may be PDU hex. */
static bool is_command(const char *s, size_t n)
{
	return n >= 2 && strncasecmp(s, "AT", 2) == 0;
}

size_t at_trace_mask_out(const char *bytes, size_t n, char *buf, size_t cap)
{
	struct shown o = { buf, cap, 0 };
	if (cap > 0)
		buf[0] = '\0';
	if (is_command(bytes, n)) {
		put_command(&o, bytes, n > 0 && bytes[n - 1] == '\r' ? n - 1 : n);
		return o.len;
	}
	size_t hex = hex_run(bytes, n);
	if (hex > 0)
		put_pdu(&o, bytes, hex);
	put_esc(&o, bytes + hex, n - hex);
	return o.len;
}

/* Skips "> " prompts (and spaces) at the start of an echo. */
static size_t prompt_prefix(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == '>' || s[i] == ' '))
		i++;
	return i;
}

size_t at_trace_mask_in(const char *line, size_t n, char *buf, size_t cap)
{
	struct shown o = { buf, cap, 0 };
	if (cap > 0)
		buf[0] = '\0';
	size_t p = prompt_prefix(line, n);
	const char *rest = line + p;
	size_t hex = hex_run(rest, n - p);
	bool pdu = hex >= PDU_MIN_HEX && !(hex == n - p && is_status_report(rest, hex));
	if (is_command(rest, n - p) && !pdu) {
		put_esc(&o, line, p);
		put_command(&o, rest, n - p);
	} else if (pdu) {
		put_esc(&o, line, p);
		put_pdu(&o, rest, hex);
		put_esc(&o, rest + hex, n - p - hex);
	} else {
		put_command(&o, line, n);       /* masks a garbled echo of AT+CPIN= too */
	}
	return o.len;
}

void at_trace_lines_reset(struct at_trace_lines *t)
{
	t->len = 0;
	t->overlong = false;
}

/* Writes the finished line's shown form and starts the next line. */
static void finish_line(struct at_trace_lines *t, char *buf, size_t cap)
{
	if (t->overlong) {
		if (cap > 0)
			snprintf(buf, cap, "(a line longer than %d bytes, not shown)",
				 AT_TRACE_LINE_MAX);
	} else {
		at_trace_mask_in(t->line, t->len, buf, cap);
	}
	at_trace_lines_reset(t);
}

static bool is_pending_prompt(const struct at_trace_lines *t)
{
	return !t->overlong && t->len > 0 && t->len == prompt_prefix(t->line, t->len)
	       && t->line[0] == '>';
}

bool at_trace_lines_take(struct at_trace_lines *t, const char **bytes, size_t *n, char *buf,
			 size_t cap)
{
	while (*n > 0) {
		char c = **bytes;
		(*bytes)++;
		(*n)--;
		if (c == '\r' || c == '\n') {
			if (t->len == 0 && !t->overlong)
				continue;
			finish_line(t, buf, cap);
			return true;
		}
		if (t->len < sizeof t->line)
			t->line[t->len++] = c;
		else
			t->overlong = true;
	}
	if (!is_pending_prompt(t))
		return false;
	finish_line(t, buf, cap);
	return true;
}
