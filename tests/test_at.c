/* test_at.c - the AT state machine driven by byte strings and a fake clock:
 * golden transcripts (the .txt files in tests/at/), URC and ^SYSSTART injected at every
 * step, and the corners (overflow, over-long lines, refusals).
 *
 * Transcript format, one directive per line:
 *   # comment                       (blank lines are ignored too)
 *   ! settings k=v ...              fresh session: pin= smsc= cdsi=1
 *                                   cmd_timeout= prompt_timeout= send_timeout=
 *                                   reg_timeout= (ms)
 *   > AT+CSQ                        the machine must have written "AT+CSQ\r";
 *                                   ^Z and ^[ stand for 0x1A and ESC, and a
 *                                   line ending in one of them gets no \r
 *   < OK                            the modem sends "\r\nOK\r\n"
 *   < ~\r\n>\x20                    the modem sends raw bytes (\r \n \\ \xHH)
 *   + 5000                          advance the clock 5 s, ticking at every
 *                                   deadline passed on the way
 *   = action init | check [refused] | send <hex> <len> [refused]
 *   = event TYPE [mr=] [cms=] [failure=] [fatal=] [stat=] [rssi=] [ber=]
 *           [text=<exact rest of line> | text~<substring>]
 *   = idle yes|no
 *   = include <file>                run another file of tests/at/ here
 * Events must be declared in order; at the end no event or output may be
 * left. Every transcript is replayed three times: each "<" line fed at once,
 * byte by byte, and consecutive "<" lines coalesced into one feed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "at.h"

#define AT_DIR OTAP_TEST_DATA "/at"
#define TEXT_MAX 65536

enum feed_mode { FEED_LINES, FEED_BYTES, FEED_COALESCED };

static const char *const mode_names[] = {
	[FEED_LINES] = "per line",
	[FEED_BYTES] = "byte by byte",
	[FEED_COALESCED] = "coalesced",
};

struct replay {
	const char *name;
	int line_no;
	enum feed_mode mode;
	struct at_session s;
	struct at_settings set;
	char pin[32], smsc[32];
	int64_t now;
	uint8_t out[8192];              /* written by the machine, not yet matched */
	size_t out_len;
	uint8_t in[8192];               /* coalesced modem bytes not yet fed */
	size_t in_len;
	int include_depth;
};

static const char *const event_names[] = {
	[AT_EV_READY] = "READY",
	[AT_EV_INIT_FAILED] = "INIT_FAILED",
	[AT_EV_SENT] = "SENT",
	[AT_EV_SEND_FAILED] = "SEND_FAILED",
	[AT_EV_TIMEOUT] = "TIMEOUT",
	[AT_EV_SYSSTART] = "SYSSTART",
	[AT_EV_STATUS_REPORT] = "STATUS_REPORT",
	[AT_EV_REGISTRATION] = "REGISTRATION",
	[AT_EV_SIGNAL] = "SIGNAL",
	[AT_EV_URC] = "URC",
};

static const char *const failure_names[] = {
	[AT_SEND_CMS_ERROR] = "CMS_ERROR",
	[AT_SEND_ERROR] = "ERROR",
	[AT_SEND_NO_PROMPT] = "NO_PROMPT",
	[AT_SEND_TIMEOUT] = "TIMEOUT",
};

/* The spec's worked example: 87 TPDU octets. */
static const char example_pdu[] =
	"0011000C919471103254767DF5A7494F5441505F494D504E470A5057443A7365637265740A"
	"4A414455524C3A687474703A2F2F66772E6578616D706C652E636F6D2F6170702E6A61640A"
	"53544152543A696E7374616C6C0A";

/* ---- helpers ---- */

static void replay_fail(const struct replay *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void replay_fail(const struct replay *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fail_msg("%s:%d (%s): %s", r->name, r->line_no, mode_names[r->mode], msg);
}

/* Printable rendering of bytes for failure messages. */
static const char *show_bytes(const uint8_t *b, size_t n, char *buf, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 5 < cap; i++) {
		if (b[i] == '\r')
			o += (size_t)snprintf(buf + o, cap - o, "\\r");
		else if (b[i] == '\n')
			o += (size_t)snprintf(buf + o, cap - o, "\\n");
		else if (b[i] < 0x20 || b[i] >= 0x7F)
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02X", b[i]);
		else
			buf[o++] = (char)b[i];
	}
	buf[o] = '\0';
	return buf;
}

static size_t read_text(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	if (n == cap - 1)
		fail_msg("%s is too long for the test buffer", path);
	buf[n] = '\0';
	return n;
}

static void replay_reset(struct replay *r, const char *name, enum feed_mode mode)
{
	memset(r, 0, sizeof *r);
	r->name = name;
	r->mode = mode;
	r->now = 1000000;       /* an arbitrary monotonic start */
	at_session_init(&r->s, &r->set);
}

static void replay_collect(struct replay *r)
{
	r->out_len += at_take_output(&r->s, r->out + r->out_len, sizeof r->out - r->out_len);
}

static void replay_flush(struct replay *r)
{
	if (r->in_len == 0)
		return;
	at_feed(&r->s, r->in, r->in_len, r->now);
	r->in_len = 0;
	replay_collect(r);
}

static void replay_feed(struct replay *r, const uint8_t *b, size_t n)
{
	if (r->mode == FEED_COALESCED) {
		assert_true(r->in_len + n <= sizeof r->in);
		memcpy(r->in + r->in_len, b, n);
		r->in_len += n;
		return;
	}
	if (r->mode == FEED_BYTES) {
		for (size_t i = 0; i < n; i++) {
			at_feed(&r->s, b + i, 1, r->now);
			replay_collect(r);
		}
		return;
	}
	at_feed(&r->s, b, n, r->now);
	replay_collect(r);
}

static void replay_advance(struct replay *r, int64_t ms)
{
	int64_t target = r->now + ms;
	for (int guard = 0; at_deadline(&r->s) <= target; guard++) {
		if (guard > 10000)
			replay_fail(r, "deadline does not move after at_tick");
		if (at_deadline(&r->s) > r->now)
			r->now = at_deadline(&r->s);
		at_tick(&r->s, r->now);
		replay_collect(r);
	}
	r->now = target;
}

/* ---- directives ---- */

static void do_settings(struct replay *r, const char *args)
{
	char buf[2048];
	snprintf(buf, sizeof buf, "%s", args);
	memset(&r->set, 0, sizeof r->set);
	r->pin[0] = r->smsc[0] = '\0';
	for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
		if (strncmp(tok, "pin=", 4) == 0) {
			snprintf(r->pin, sizeof r->pin, "%s", tok + 4);
			r->set.pin = r->pin;
		} else if (strncmp(tok, "smsc=", 5) == 0) {
			snprintf(r->smsc, sizeof r->smsc, "%s", tok + 5);
			r->set.smsc = r->smsc;
		} else if (strcmp(tok, "cdsi=1") == 0) {
			r->set.status_reports = true;
		} else if (strncmp(tok, "cmd_timeout=", 12) == 0) {
			r->set.cmd_timeout_ms = atoll(tok + 12);
		} else if (strncmp(tok, "prompt_timeout=", 15) == 0) {
			r->set.prompt_timeout_ms = atoll(tok + 15);
		} else if (strncmp(tok, "send_timeout=", 13) == 0) {
			r->set.send_timeout_ms = atoll(tok + 13);
		} else if (strncmp(tok, "reg_timeout=", 12) == 0) {
			r->set.registration_timeout_ms = atoll(tok + 12);
		} else {
			replay_fail(r, "unknown setting '%s'", tok);
		}
	}
	at_session_init(&r->s, &r->set);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "\r\n" "\\" "\xHH" in a raw modem line. */
static size_t unescape(const struct replay *r, const char *in, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (*in && n < cap) {
		if (*in != '\\') {
			out[n++] = (uint8_t)*in++;
			continue;
		}
		in++;
		if (*in == 'r') {
			out[n++] = '\r';
		} else if (*in == 'n') {
			out[n++] = '\n';
		} else if (*in == '\\') {
			out[n++] = '\\';
		} else if (*in == 'x' && hex_value(in[1]) >= 0 && hex_value(in[2]) >= 0) {
			out[n++] = (uint8_t)(hex_value(in[1]) * 16 + hex_value(in[2]));
			in += 2;
		} else {
			replay_fail(r, "bad escape in raw line");
		}
		in++;
	}
	return n;
}

static void do_modem(struct replay *r, const char *text)
{
	uint8_t bytes[1024];
	size_t n;
	if (text[0] == '~') {
		n = unescape(r, text + 1, bytes, sizeof bytes);
	} else {
		n = (size_t)snprintf((char *)bytes, sizeof bytes, "\r\n%s\r\n", text);
	}
	replay_feed(r, bytes, n);
}

static void do_expect_output(struct replay *r, const char *text)
{
	uint8_t want[1024];
	size_t n = 0;
	bool ends_with_ctrl = false;
	char a[2048], b[2048];
	for (const char *p = text; *p && n < sizeof want - 1; p++) {
		ends_with_ctrl = false;
		if (p[0] == '^' && (p[1] == 'Z' || p[1] == '[')) {
			want[n++] = p[1] == 'Z' ? 0x1A : 0x1B;
			ends_with_ctrl = true;
			p++;
		} else {
			want[n++] = (uint8_t)*p;
		}
	}
	if (!ends_with_ctrl)
		want[n++] = '\r';
	replay_flush(r);
	if (r->out_len < n || memcmp(r->out, want, n) != 0)
		replay_fail(r, "expected the machine to write \"%s\", it wrote \"%s\"",
			    show_bytes(want, n, a, sizeof a), show_bytes(r->out, r->out_len, b, sizeof b));
	memmove(r->out, r->out + n, r->out_len - n);
	r->out_len -= n;
}

static int lookup_name(const char *const *names, size_t count, const char *name, size_t len)
{
	for (size_t i = 0; i < count; i++) {
		if (names[i] && strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
			return (int)i;
	}
	return -1;
}

static void check_int_field(const struct replay *r, const char *key, int got, const char *want)
{
	if (got != atoi(want))
		replay_fail(r, "event field %s is %d, expected %s", key, got, want);
}

/* Pops the next event; every event's text is checked for the PIN. */
static void replay_pop(struct replay *r, struct at_event *ev)
{
	replay_flush(r);
	if (!at_next_event(&r->s, ev))
		replay_fail(r, "expected an event, there is none");
	if (r->pin[0] && ev->type != AT_EV_STATUS_REPORT && strstr(ev->text, r->pin))
		replay_fail(r, "the PIN appears in the text of a %s event", event_names[ev->type]);
}

static void check_event_field(const struct replay *r, const struct at_event *ev,
			      const char *key, size_t keylen, const char *val, size_t vallen)
{
	char v[64];
	snprintf(v, sizeof v, "%.*s", (int)vallen, val);
	if (keylen == 2 && strncmp(key, "mr", 2) == 0) {
		check_int_field(r, "mr", ev->mr, v);
	} else if (keylen == 3 && strncmp(key, "cms", 3) == 0) {
		check_int_field(r, "cms", ev->cms_error, v);
	} else if (keylen == 5 && strncmp(key, "fatal", 5) == 0) {
		check_int_field(r, "fatal", ev->fatal, v);
	} else if (keylen == 4 && strncmp(key, "stat", 4) == 0) {
		check_int_field(r, "stat", ev->creg_stat, v);
	} else if (keylen == 4 && strncmp(key, "rssi", 4) == 0) {
		check_int_field(r, "rssi", ev->rssi, v);
	} else if (keylen == 3 && strncmp(key, "ber", 3) == 0) {
		check_int_field(r, "ber", ev->ber, v);
	} else if (keylen == 7 && strncmp(key, "failure", 7) == 0) {
		if (ev->type != AT_EV_SEND_FAILED || strcmp(failure_names[ev->failure], v) != 0)
			replay_fail(r, "expected failure %s, got %s", v, failure_names[ev->failure]);
	} else {
		replay_fail(r, "unknown event field '%.*s'", (int)keylen, key);
	}
}

static void do_expect_event(struct replay *r, const char *spec)
{
	struct at_event ev;
	size_t len = strcspn(spec, " ");
	int type = lookup_name(event_names, sizeof event_names / sizeof event_names[0], spec, len);
	if (type < 0)
		replay_fail(r, "unknown event type '%.*s'", (int)len, spec);
	replay_pop(r, &ev);
	if ((int)ev.type != type)
		replay_fail(r, "expected event %s, got %s \"%s\"", event_names[type],
			    event_names[ev.type], ev.text);
	for (const char *p = spec + len; *p;) {
		p += strspn(p, " ");
		if (strncmp(p, "text=", 5) == 0) {
			if (strcmp(ev.text, p + 5) != 0)
				replay_fail(r, "event text \"%s\", expected \"%s\"", ev.text, p + 5);
			return;
		}
		if (strncmp(p, "text~", 5) == 0) {
			if (!strstr(ev.text, p + 5))
				replay_fail(r, "event text \"%s\" lacks \"%s\"", ev.text, p + 5);
			return;
		}
		size_t toklen = strcspn(p, " ");
		const char *eq = memchr(p, '=', toklen);
		if (!eq)
			replay_fail(r, "event field without '=': %.*s", (int)toklen, p);
		check_event_field(r, &ev, p, (size_t)(eq - p), eq + 1, toklen - (size_t)(eq - p) - 1);
		p += toklen;
	}
}

static void do_action(struct replay *r, const char *args)
{
	char hex[AT_PDU_HEX_MAX + 8], extra[16] = "";
	int len, rc;
	bool refused = strstr(args, " refused") != NULL;
	replay_flush(r);
	if (strncmp(args, "init", 4) == 0) {
		at_start_init(&r->s, r->now);
		rc = 0;
	} else if (strncmp(args, "check", 5) == 0) {
		rc = at_start_check(&r->s, r->now);
	} else if (sscanf(args, "send %407s %d %15s", hex, &len, extra) >= 2) {
		rc = at_start_send(&r->s, hex, len, r->now);
	} else {
		replay_fail(r, "unknown action '%s'", args);
		return;
	}
	if (rc != (refused ? -1 : 0))
		replay_fail(r, "action %s returned %d", args, rc);
	replay_collect(r);
}

static void replay_run(struct replay *r, const char *text);

static void do_include(struct replay *r, const char *file)
{
	static char bufs[4][TEXT_MAX];
	int depth = r->include_depth;
	char path[512];
	const char *name = r->name;
	int line_no = r->line_no;
	if (depth == 4)
		replay_fail(r, "includes nested too deep");
	snprintf(path, sizeof path, "%s/%.100s", AT_DIR, file);
	read_text(path, bufs[depth], sizeof bufs[depth]);
	r->name = file;
	r->include_depth++;
	replay_run(r, bufs[depth]);
	r->include_depth--;
	r->name = name;
	r->line_no = line_no;
}

static void do_directive(struct replay *r, const char *line)
{
	if (line[0] == '\0' || line[0] == '#')
		return;
	if (line[0] != '<')
		replay_flush(r);
	if (strncmp(line, "< ", 2) == 0)
		do_modem(r, line + 2);
	else if (strncmp(line, "> ", 2) == 0)
		do_expect_output(r, line + 2);
	else if (strncmp(line, "+ ", 2) == 0)
		replay_advance(r, atoll(line + 2));
	else if (strncmp(line, "! settings", 10) == 0)
		do_settings(r, line + 10);
	else if (strncmp(line, "= event ", 8) == 0)
		do_expect_event(r, line + 8);
	else if (strncmp(line, "= action ", 9) == 0)
		do_action(r, line + 9);
	else if (strncmp(line, "= include ", 10) == 0)
		do_include(r, line + 10);
	else if (strcmp(line, "= idle yes") == 0 || strcmp(line, "= idle no") == 0) {
		if (at_is_idle(&r->s) != (line[7] == 'y'))
			replay_fail(r, "at_is_idle() is %d", at_is_idle(&r->s));
	} else
		replay_fail(r, "unknown directive '%s'", line);
}

/* Runs the directives of text in r (which keeps its state between calls). */
static void replay_run(struct replay *r, const char *text)
{
	char line[2048];
	r->line_no = 0;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (n >= sizeof line)
			fail_msg("%s: line too long", r->name);
		memcpy(line, p, n);
		line[n] = '\0';
		r->line_no++;
		do_directive(r, line);
		p += n;
		if (*p == '\n')
			p++;
	}
}

/* Nothing may be left undeclared. */
static void replay_finish(struct replay *r)
{
	struct at_event ev;
	char buf[2048];
	replay_flush(r);
	replay_collect(r);
	if (at_next_event(&r->s, &ev))
		replay_fail(r, "undeclared event %s \"%s\" at the end", event_names[ev.type], ev.text);
	if (r->out_len)
		replay_fail(r, "undeclared output \"%s\" at the end",
			    show_bytes(r->out, r->out_len, buf, sizeof buf));
}

/* Replays text in all three feed modes. */
static void replay_text(const char *name, const char *text)
{
	/* Static, not test_malloc: a failing check longjmps past any free. */
	static struct replay replay;
	struct replay *r = &replay;
	for (int mode = FEED_LINES; mode <= FEED_COALESCED; mode++) {
		replay_reset(r, name, (enum feed_mode)mode);
		replay_run(r, text);
		replay_finish(r);
	}
}

static void replay_file(const char *file)
{
	static char text[TEXT_MAX];
	char path[512];
	snprintf(path, sizeof path, "%s/%s", AT_DIR, file);
	read_text(path, text, sizeof text);
	replay_text(file, text);
}

/* ---- golden transcripts ---- */

static void test_golden(void **state)
{
	replay_file(*state);
}

/* The transcripts the brief asks for must exist, so a missing directory
 * cannot pass as "no files, no failures". */
static void test_golden_set_complete(void **state)
{
	(void)state;
	static const char *const required[] = {
		"init_plain.txt", "init_pin.txt", "init_echo.txt", "send_ok.txt",
		"send_cms_error.txt", "send_no_prompt.txt", "urc_storm.txt",
		"sysstart_during_send.txt", "cds_report.txt",
	};
	char path[512];
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", AT_DIR, required[i]);
		FILE *f = fopen(path, "r");
		if (!f)
			fail_msg("missing golden transcript %s", path);
		fclose(f);
	}
}

/* ---- injection sweeps ---- */

/* Offsets of the lines where something from the modem could come in
 * between: before each "<" and "+" line, and at the end. */
static size_t injection_points(const char *text, size_t *offs, size_t cap)
{
	size_t n = 0;
	for (const char *p = text; *p && n < cap; p += strcspn(p, "\n"), p += *p == '\n') {
		if ((p[0] == '<' || p[0] == '+') && p[1] == ' ')
			offs[n++] = (size_t)(p - text);
	}
	if (n < cap)
		offs[n++] = strlen(text);
	return n;
}

static void build_variant(char *dst, size_t cap, const char *text, size_t off, const char *insert)
{
	int n = snprintf(dst, cap, "%.*s%s%s", (int)off, text, insert, text + off);
	assert_true(n > 0 && (size_t)n < cap);
}

/* URCs (with the events they must raise) that may arrive anywhere. */
static const char *const urc_inserts[] = {
	"< +CREG: 1\n= event REGISTRATION stat=1 text=+CREG: 1\n",
	"< +CREG: 5,\"00C3\",\"0010\"\n= event REGISTRATION stat=5\n",
	"< RING\n= event URC text=RING\n",
	"< +CMTI: \"SM\",3\n= event URC text=+CMTI: \"SM\",3\n",
	"< +CDSI: \"SR\",1\n= event URC text=+CDSI: \"SR\",1\n",
	"< +CIEV: signal,3\n= event URC text=+CIEV: signal,3\n",
	"< ^SBC: Undervoltage\n= event URC text=^SBC: Undervoltage\n",
	"< NO CARRIER\n= event URC text=NO CARRIER\n",
	("< +CDS: 25\n< " "07919471060040340611" "0C91947110325476" "42102191034540"
	 "42102191035540" "00\n= event STATUS_REPORT\n"),
	("< +CMT: ,24\n< 07919471060040340408D0E474D81C0E8700004210219103454004D4F29C0E\n"
	 "= event URC text=+CMT: ,24\n"),
};

static void sweep_urcs(const char *file)
{
	static char base[TEXT_MAX], variant[TEXT_MAX];
	char path[512];
	size_t offs[256];
	snprintf(path, sizeof path, "%s/%s", AT_DIR, file);
	read_text(path, base, sizeof base);
	size_t n = injection_points(base, offs, 256);
	assert_true(n >= 4);
	for (size_t u = 0; u < sizeof urc_inserts / sizeof urc_inserts[0]; u++) {
		for (size_t i = 0; i < n; i++) {
			char name[128];
			snprintf(name, sizeof name, "%s with URC %zu at offset %zu", file, u, offs[i]);
			build_variant(variant, sizeof variant, base, offs[i], urc_inserts[u]);
			replay_text(name, variant);
		}
	}
}

static void test_urcs_anywhere_in_init(void **state)
{
	(void)state;
	sweep_urcs("init_plain.txt");
	sweep_urcs("init_pin.txt");
	sweep_urcs("init_echo.txt");
}

static void test_urcs_anywhere_in_send(void **state)
{
	(void)state;
	sweep_urcs("send_ok.txt");
	sweep_urcs("send_cms_error.txt");
}

/* Feeds ^SYSSTART into r and checks the events: a failure for the
 * exchange in flight (never a silent loss), then SYSSTART. */
static void expect_sysstart_events(struct replay *r, size_t offset)
{
	struct at_event ev;
	/* init or send in progress (the bases run no health check) */
	bool busy = !at_is_idle(&r->s) && at_deadline(&r->s) != INT64_MAX;
	bool failed = false;
	at_feed(&r->s, (const uint8_t *)"\r\n^SYSSTART\r\n", 13, r->now);
	assert_true(at_next_event(&r->s, &ev));
	if (ev.type == AT_EV_INIT_FAILED) {
		assert_false(ev.fatal);
		assert_string_equal(ev.text, "modem restarted during init");
		failed = true;
		assert_true(at_next_event(&r->s, &ev));
	} else if (ev.type == AT_EV_SEND_FAILED) {
		assert_int_equal(ev.failure, AT_SEND_ERROR);
		assert_string_equal(ev.text, "modem restarted (^SYSSTART)");
		failed = true;
		assert_true(at_next_event(&r->s, &ev));
	}
	if (busy != failed)
		fail_msg("%s, ^SYSSTART at offset %zu: busy %d but failure event %d",
			 r->name, offset, busy, failed);
	assert_int_equal(ev.type, AT_EV_SYSSTART);
	assert_false(at_next_event(&r->s, &ev));
}

/* ^SYSSTART at every point of a dialogue: whatever was in flight fails,
 * the session is no longer ready, and a fresh init works. */
static void sweep_sysstart(const char *file)
{
	static char base[TEXT_MAX], prefix[TEXT_MAX], reinit[TEXT_MAX];
	static struct replay replay;
	struct replay *r = &replay;
	char path[512];
	size_t offs[256];
	snprintf(path, sizeof path, "%s/%s", AT_DIR, file);
	read_text(path, base, sizeof base);
	snprintf(path, sizeof path, "%s/%s", AT_DIR, "ready.inc");
	read_text(path, reinit, sizeof reinit);
	size_t n = injection_points(base, offs, 256);
	for (size_t i = 0; i < n; i++) {
		snprintf(prefix, sizeof prefix, "%.*s", (int)offs[i], base);
		replay_reset(r, file, FEED_LINES);
		replay_run(r, prefix);
		replay_flush(r);
		expect_sysstart_events(r, offs[i]);
		assert_false(at_is_idle(&r->s));
		assert_int_equal(at_deadline(&r->s), INT64_MAX);
		assert_int_equal(at_start_send(&r->s, example_pdu, 87, r->now), -1);
		replay_collect(r);
		assert_int_equal(r->out_len, 0);
		r->name = "ready.inc after ^SYSSTART";
		replay_run(r, reinit);
		replay_finish(r);
		assert_true(at_is_idle(&r->s));
	}
}

static void test_sysstart_anywhere(void **state)
{
	(void)state;
	sweep_sysstart("init_plain.txt");
	sweep_sysstart("send_ok.txt");
}

/* ---- dialogues written inline ---- */

/* snprintf into an array, failing the test rather than truncating it. */
#define FORMAT(buf, ...) assert_true((size_t)snprintf(buf, sizeof buf, __VA_ARGS__) < sizeof buf)

static void test_pin_wrong(void **state)
{
	(void)state;
	replay_text("wrong pin",
		    "! settings pin=1234\n"
		    "= action init\n> AT\n< OK\n> ATE0\n< OK\n> AT+CMEE=1\n< OK\n"
		    "> AT+CPIN?\n< +CPIN: SIM PIN\n< OK\n"
		    "> AT+CPIN=\"1234\"\n< +CME ERROR: 16\n"
		    "= event INIT_FAILED fatal=1 text=SIM rejected the configured PIN (+CME ERROR: 16); not retrying\n"
		    "= idle no\n"
		    /* the daemon may try again: the PIN must not go out a second time */
		    "= action init\n> AT\n< OK\n> ATE0\n< OK\n> AT+CMEE=1\n< OK\n"
		    "> AT+CPIN?\n< +CPIN: SIM PIN\n< OK\n"
		    "= event INIT_FAILED fatal=1 text~not retrying (3 wrong PINs lock the SIM)\n");
}

static void test_pin_not_configured(void **state)
{
	(void)state;
	replay_text("no pin",
		    "= action init\n> AT\n< OK\n> ATE0\n< OK\n> AT+CMEE=1\n< OK\n"
		    "> AT+CPIN?\n< +CPIN: SIM PIN\n< OK\n"
		    "= event INIT_FAILED fatal=1 text=SIM PIN required but no pin configured\n");
}

static void test_pin_timeout_then_reinit(void **state)
{
	(void)state;
	/* No answer to AT+CPIN=: the text masks the PIN, and a re-init that
	 * finds the SIM still asking does not send it again. */
	replay_text("pin timeout",
		    "! settings pin=1234\n"
		    "= action init\n> AT\n< OK\n> ATE0\n< OK\n> AT+CMEE=1\n< OK\n"
		    "> AT+CPIN?\n< +CPIN: SIM PIN\n< OK\n"
		    "> AT+CPIN=\"1234\"\n+ 5000\n"
		    "= event TIMEOUT text=no answer to AT+CPIN=****\n"
		    "= event INIT_FAILED fatal=0 text=no answer to AT+CPIN=****\n"
		    "= action init\n> AT\n< OK\n> ATE0\n< OK\n> AT+CMEE=1\n< OK\n"
		    "> AT+CPIN?\n< +CPIN: SIM PIN\n< OK\n"
		    "= event INIT_FAILED fatal=1 text~after it was sent once\n");
}

static void test_pin_puk_and_others(void **state)
{
	(void)state;
	static const char head[] =
		"! settings pin=1234\n"
		"= action init\n> AT\n< OK\n> ATE0\n< OK\n> AT+CMEE=1\n< OK\n> AT+CPIN?\n";
	char text[8192];
	FORMAT(text, "%s< +CPIN: SIM PUK\n< OK\n"
		 "= event INIT_FAILED fatal=1 text=SIM is PUK-locked\n", head);
	replay_text("puk", text);
	FORMAT(text, "%s< +CPIN: PH-SIM PIN\n< OK\n"
		 "= event INIT_FAILED fatal=0 text=SIM not ready (+CPIN: PH-SIM PIN)\n", head);
	replay_text("ph-sim pin", text);
	FORMAT(text, "%s< +CME ERROR: 10\n"
		 "= event INIT_FAILED fatal=0 text=SIM not ready: AT+CPIN? answered +CME ERROR: 10 (SIM not inserted)\n", head);
	replay_text("no sim", text);
	FORMAT(text, "%s< +CME ERROR: 14\n+ 1000\n> AT+CPIN?\n< +CME ERROR: 14\n"
		 "+ 1000\n> AT+CPIN?\n< +CPIN: READY\n< OK\n> AT+CREG?\n"
		 "+ 5000\n= event TIMEOUT\n= event INIT_FAILED fatal=0 text=no answer to AT+CREG?\n", head);
	replay_text("sim busy", text);
	FORMAT(text, "%s< +CME ERROR: SIM failure\n"
	       "= event INIT_FAILED fatal=0 text=SIM not ready: AT+CPIN? answered +CME ERROR: SIM failure\n", head);
	replay_text("verbose error", text);
	/* a PIN that could smuggle a quote or CR into the command is never written */
	replay_text("bad pin",
		    "! settings pin=12\"4\n"
		    "= action init\n> AT\n< OK\n> ATE0\n< OK\n> AT+CMEE=1\n< OK\n> AT+CPIN?\n"
		    "< +CPIN: SIM PIN\n< OK\n"
		    "= event INIT_FAILED fatal=1 text=configured pin is not 4 to 8 digits; not sending it\n");
}

/* After a PIN proven right by READY, a modem restart asks again: that is
 * no reason to take the modem out of service. */
static void test_pin_again_after_restart(void **state)
{
	(void)state;
	static const char to_pin[] =
		"= action init\n> AT\n< OK\n> ATE0\n< OK\n> AT+CMEE=1\n< OK\n"
		"> AT+CPIN?\n< +CPIN: SIM PIN\n< OK\n> AT+CPIN=\"4321\"\n< OK\n+ 1000\n"
		"> AT+CPIN?\n< +CPIN: READY\n< OK\n> AT+CREG?\n";
	char text[8192];
	FORMAT(text, "! settings pin=4321\n%s"
		 "< ^SYSSTART\n= event INIT_FAILED fatal=0 text=modem restarted during init\n"
		 "= event SYSSTART text=^SYSSTART\n%s< +CREG: 0,1\n< OK\n= event REGISTRATION stat=1\n"
		 "> AT+CSQ\n< +CSQ: 10,0\n< OK\n= event SIGNAL rssi=10 ber=0\n> AT+CMGF=0\n< OK\n"
		 "= event READY\n", to_pin, to_pin);
	replay_text("pin after restart", text);
}

static const char init_to_creg[] =
	"= action init\n> AT\n< OK\n> ATE0\n< OK\n> AT+CMEE=1\n< OK\n"
	"> AT+CPIN?\n< +CPIN: READY\n< OK\n> AT+CREG?\n";

static void test_registration_polling(void **state)
{
	(void)state;
	char text[8192];
	FORMAT(text, "%s"
		 "< +CREG: 0,2\n< OK\n= event REGISTRATION stat=2\n"
		 "+ 1999\n+ 1\n> AT+CREG?\n< +CREG: 0,0\n< OK\n= event REGISTRATION stat=0\n"
		 "+ 2000\n> AT+CREG?\n< ERROR\n"
		 "+ 2000\n> AT+CREG?\n< +CREG: 0,5\n< OK\n= event REGISTRATION stat=5\n"
		 "> AT+CSQ\n< ERROR\n> AT+CMGF=0\n< OK\n= event READY\n= idle yes\n",
		 init_to_creg);
	replay_text("registration polling", text);
}

static void test_registration_timeout(void **state)
{
	(void)state;
	char text[8192];
	int n = snprintf(text, sizeof text, "! settings reg_timeout=7000\n%s", init_to_creg);
	/* polls at 0, 2, 4, 6 s and a last one at the 7 s deadline */
	for (int i = 0; i < 5; i++) {
		n += snprintf(text + n, sizeof text - (size_t)n,
			      "%s< +CREG: 0,2\n< OK\n= event REGISTRATION stat=2\n%s",
			      i ? "> AT+CREG?\n" : "", i < 3 ? "+ 2000\n" : i == 3 ? "+ 1000\n" : "");
	}
	snprintf(text + n, sizeof text - (size_t)n,
		 "= event INIT_FAILED fatal=0 text=not registered to the network (+CREG stat 2)\n");
	replay_text("registration timeout", text);
}

static void test_first_at_retried_once(void **state)
{
	(void)state;
	replay_text("AT error",
		    "= action init\n> AT\n< ERROR\n> AT\n< ERROR\n"
		    "= event INIT_FAILED fatal=0 text=AT failed: ERROR\n");
	replay_text("AT error once",
		    "= action init\n> AT\n< ERROR\n> AT\n< OK\n> ATE0\n< +CME ERROR: 3\n"
		    "= event INIT_FAILED fatal=0 text=ATE0 failed: +CME ERROR: 3 (operation not allowed)\n");
}

static void test_init_timeout(void **state)
{
	(void)state;
	replay_text("init timeout",
		    "! settings cmd_timeout=300\n= action init\n> AT\n+ 299\n= idle no\n+ 1\n"
		    "= event TIMEOUT text=no answer to AT\n"
		    "= event INIT_FAILED fatal=0 text=no answer to AT\n"
		    "< OK\n= event URC text=OK\n");
}

static void test_smsc_and_cnmi_only_when_configured(void **state)
{
	(void)state;
	static const char tail[] =
		"< +CREG: 0,1\n< OK\n= event REGISTRATION stat=1\n"
		"> AT+CSQ\n< +CSQ: 31,99\n< OK\n= event SIGNAL rssi=31 ber=99\n> AT+CMGF=0\n< OK\n";
	char text[8192];
	FORMAT(text, "! settings smsc=+491700000000\n%s%s"
		 "> AT+CSCA=\"+491700000000\"\n< OK\n= event READY\n", init_to_creg, tail);
	replay_text("smsc only", text);
	FORMAT(text, "! settings cdsi=1\n%s%s"
		 "> AT+CNMI=2,1,0,1,0\n< OK\n= event READY\n", init_to_creg, tail);
	replay_text("cnmi only", text);
	FORMAT(text, "! settings smsc=+49170\"0\n%s%s"
		 "= event INIT_FAILED fatal=1 text~is not a phone number\n", init_to_creg, tail);
	replay_text("bad smsc", text);
}

static void test_send_prompt_split_and_errors(void **state)
{
	(void)state;
	char text[8192];
	snprintf(text, sizeof text,
		 "= include ready.inc\n"
		 "= action send %s 87\n> AT+CMGS=87\n< ~\\r\n< ~>\n< ~\\x20\n> %s^Z\n"
		 "< +CMGS: 255\n< OK\n= event SENT mr=255\n"
		 "= action send %s 87\n> AT+CMGS=87\n< ERROR\n"
		 "= event SEND_FAILED failure=ERROR text=AT+CMGS answered ERROR\n"
		 "= action send %s 87\n> AT+CMGS=87\n< +CMS ERROR: 304\n"
		 "= event SEND_FAILED failure=CMS_ERROR cms=304 text=+CMS ERROR: 304 (invalid PDU mode parameter)\n"
		 "= action send %s 87\n> AT+CMGS=87\n< ~\\r\\n> \n> %s^Z\n< +CME ERROR: 100\n"
		 "= event SEND_FAILED failure=ERROR cms=-1\n= idle yes\n"
		 /* a bare ">" is a prompt too: the PDU must go out before any space */
		 "= action send %s 87\n> AT+CMGS=87\n< ~\\r\\n>\n> %s^Z\n< ~\x20\\r\\n\n"
		 "< +CMGS: 0\n< OK\n= event SENT mr=0\n"
		 /* an MR out of range is no MR: OK alone still means sent */
		 "= action send %s 87\n> AT+CMGS=87\n< ~> \n> %s^Z\n"
		 "< +CMGS: 256\n= event URC text=+CMGS: 256\n"
		 "< OK\n= event SENT mr=-1 text=OK without +CMGS: <mr>\n",
		 example_pdu, example_pdu, example_pdu, example_pdu, example_pdu, example_pdu,
		 example_pdu, example_pdu, example_pdu, example_pdu);
	replay_text("prompt split", text);
}

static void test_send_timeout(void **state)
{
	(void)state;
	char text[8192];
	snprintf(text, sizeof text,
		 "= include ready.inc\n"
		 "= action send %s 87\n> AT+CMGS=87\n< ~\\r\\n> \n> %s^Z\n"
		 "+ 59999\n= idle no\n+ 1\n"
		 "= event TIMEOUT text=no +CMGS within 60 s\n"
		 "= event SEND_FAILED failure=TIMEOUT text=no +CMGS within 60 s\n= idle yes\n"
		 "< +CMGS: 3\n= event URC text=+CMGS: 3\n< OK\n= event URC text=OK\n",
		 example_pdu, example_pdu);
	replay_text("send timeout", text);
}

static void test_check(void **state)
{
	(void)state;
	replay_text("check",
		    "= action check refused\n"
		    "= include ready.inc\n"
		    "= action check\n> AT+CREG?\n< +CREG: 1\n= event REGISTRATION stat=1\n"
		    "< +CREG: 0,1\n= event REGISTRATION stat=1\n< OK\n= idle no\n"
		    "> AT+CSQ\n< +CSQ: 99,99\n< OK\n= event SIGNAL rssi=99 ber=99\n= idle yes\n"
		    "= action check\n> AT+CREG?\n+ 5000\n= event TIMEOUT text=no answer to AT+CREG?\n"
		    "= idle yes\n"
		    "= action check\n> AT+CREG?\n< ERROR\n> AT+CSQ\n< +CME ERROR: 100\n= idle yes\n");
}

static void test_send_refused(void **state)
{
	(void)state;
	char text[8192];
	snprintf(text, sizeof text,
		 "= action send %s 87 refused\n"
		 "= include ready.inc\n"
		 "= action send 0 1 refused\n"
		 "= action send 00110 2 refused\n"
		 "= action send 00X1 1 refused\n"
		 "= action send 0011 2 refused\n"
		 "= action send 0011 0 refused\n"
		 "= action send %s 87\n> AT+CMGS=87\n"
		 "= action send %s 87 refused\n= action check refused\n"
		 "< +CMS ERROR: 331\n= event SEND_FAILED cms=331\n",
		 example_pdu, example_pdu, example_pdu);
	replay_text("send refused", text);
}

/* The modem may sit in PDU input mode when the daemon re-inits: ESC first. */
static void test_init_during_send_writes_esc(void **state)
{
	(void)state;
	char text[8192];
	snprintf(text, sizeof text,
		 "= include ready.inc\n= action send %s 87\n> AT+CMGS=87\n"
		 "= action init\n> ^[\n> AT\n< OK\n> ATE0\n", example_pdu);
	replay_text("init during send", text);
}

static void test_cds_text_mode_and_stray_lines(void **state)
{
	(void)state;
	replay_text("odd lines",
		    "< +CDS: 6,17,\"+491701234567\",145,\"24/01/12\",\"24/01/12\",0\n"
		    "= event URC text~+CDS: 6,17\n"
		    /* header without its PDU: the next line is routed normally */
		    "< +CDS: 25\n< RING\n= event URC text=+CDS header without its PDU line\n"
		    "= event URC text=RING\n"
		    "< >\n< ~\\x00\\x00\\r\\n  +CIEV: battchg,5  \\r\\n\n= event URC text=+CIEV: battchg,5\n"
		    "< +CREG: x\n= event URC text=+CREG: x\n"
		    "< ~^SYS\n< ~START\\r\n= event SYSSTART text=^SYSSTART\n");
}

/* ---- corners the transcript format does not reach ---- */

static void feed_str(struct at_session *s, const char *str, int64_t now)
{
	at_feed(s, (const uint8_t *)str, strlen(str), now);
}

static void drain_output(struct at_session *s, char *buf, size_t cap)
{
	size_t n = at_take_output(s, (uint8_t *)buf, cap - 1);
	buf[n] = '\0';
}

static void bring_up(struct at_session *s, const struct at_settings *set, int64_t now)
{
	static const char *const replies[] = {
		"OK", "OK", "OK", "+CPIN: READY\r\nOK", "+CREG: 0,1\r\nOK", "+CSQ: 5,5\r\nOK", "OK",
	};
	struct at_event ev;
	char out[256];
	at_session_init(s, set);
	at_start_init(s, now);
	for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
		drain_output(s, out, sizeof out);
		feed_str(s, "\r\n", now);
		feed_str(s, replies[i], now);
		feed_str(s, "\r\n", now);
	}
	while (at_next_event(s, &ev) && ev.type != AT_EV_READY)
		;
	assert_int_equal(ev.type, AT_EV_READY);
	assert_true(at_is_idle(s));
}

static void test_event_overflow_drops_urcs_first(void **state)
{
	(void)state;
	static struct at_session session;
	struct at_session *s = &session;
	struct at_event ev;
	struct at_settings set = { 0 };
	char out[1024];
	bring_up(s, &set, 0);
	assert_int_equal(at_start_send(s, example_pdu, 87, 0), 0);
	feed_str(s, "\r\n+CDS: 2\r\n0011\r\n> ", 0);
	drain_output(s, out, sizeof out);
	for (int i = 0; i < AT_EVENTS_MAX + 4; i++) {
		char line[32];
		snprintf(line, sizeof line, "\r\n+CMTI: \"SM\",%d\r\n", i);
		feed_str(s, line, 0);
	}
	feed_str(s, "\r\n+CMGS: 42\r\n\r\nOK\r\n", 0);
	/* 16 slots: the report, then URCs 0-19 push out 0-4, SENT pushes out 5 */
	assert_int_equal(at_events_dropped(s), 6);
	/* the status report and the send result survive; the oldest URCs went */
	assert_true(at_next_event(s, &ev));
	assert_int_equal(ev.type, AT_EV_STATUS_REPORT);
	assert_string_equal(ev.text, "0011");
	assert_true(at_next_event(s, &ev));
	assert_int_equal(ev.type, AT_EV_URC);
	assert_string_equal(ev.text, "+CMTI: \"SM\",6");
	int urcs = 1;
	while (at_next_event(s, &ev) && ev.type == AT_EV_URC)
		urcs++;
	assert_int_equal(urcs, AT_EVENTS_MAX - 2);
	assert_int_equal(ev.type, AT_EV_SENT);
	assert_int_equal(ev.mr, 42);
	assert_false(at_next_event(s, &ev));
}

/* Writes out the next command (must be want) and feeds its answer. */
static void exchange(struct at_session *s, const char *want, const char *answer, int64_t now)
{
	char out[256];
	drain_output(s, out, sizeof out);
	assert_string_equal(out, want);
	feed_str(s, answer, now);
}

/* read_info: identity once per init, the operator in init and check; an
 * ERROR to any of them is no reason to stop, and a URC is not the model. */
static void test_read_info(void **state)
{
	(void)state;
	static struct at_session session;
	struct at_session *s = &session;
	struct at_event ev;
	struct at_settings set = { .read_info = true };
	at_session_init(s, &set);
	assert_int_equal(at_info(s)->rssi, -1);
	at_start_init(s, 0);
	exchange(s, "AT\r", "\r\nOK\r\n", 0);
	exchange(s, "ATE0\r", "\r\nOK\r\n", 0);
	exchange(s, "AT+CMEE=1\r", "\r\nOK\r\n", 0);
	exchange(s, "AT+CGMM\r", "\r\n+CREG: 1\r\n\r\nELS61-E\r\n\r\nOK\r\n", 0);
	exchange(s, "AT+CGMR\r", "\r\nERROR\r\n", 0);
	exchange(s, "AT+CGSN\r", "\r\n351234567890123\r\n\r\nOK\r\n", 0);
	exchange(s, "AT+CPIN?\r", "\r\n+CPIN: READY\r\n\r\nOK\r\n", 0);
	exchange(s, "AT+CREG?\r", "\r\n+CREG: 0,5\r\n\r\nOK\r\n", 0);
	exchange(s, "AT+CSQ\r", "\r\n+CSQ: 20,99\r\n\r\nOK\r\n", 0);
	exchange(s, "AT+COPS?\r", "\r\n+COPS: 0,0,\"Tele Net\",2\r\n\r\nOK\r\n", 0);
	exchange(s, "AT+CMGF=0\r", "\r\nOK\r\n", 0);
	while (at_next_event(s, &ev) && ev.type != AT_EV_READY)
		;
	assert_int_equal(ev.type, AT_EV_READY);
	const struct at_info *info = at_info(s);
	assert_string_equal(info->model, "ELS61-E");
	assert_string_equal(info->revision, "");
	assert_string_equal(info->imei, "351234567890123");
	assert_string_equal(info->operator_name, "Tele Net");
	assert_int_equal(info->creg_stat, 5);
	assert_int_equal(info->rssi, 20);
	/* the check asks for the operator again; "+COPS: 0" names none */
	assert_int_equal(at_start_check(s, 10), 0);
	exchange(s, "AT+CREG?\r", "\r\n+CREG: 0,1\r\n\r\nOK\r\n", 10);
	exchange(s, "AT+CSQ\r", "\r\n+CSQ: 99,99\r\n\r\nOK\r\n", 10);
	exchange(s, "AT+COPS?\r", "\r\n+COPS: 0\r\n\r\nOK\r\n", 10);
	assert_true(at_is_idle(s));
	assert_string_equal(info->operator_name, "");
	assert_int_equal(info->creg_stat, 1);
	assert_int_equal(info->rssi, 99);
	assert_string_equal(info->model, "ELS61-E");
}

static void test_overlong_lines_are_dropped(void **state)
{
	(void)state;
	static struct at_session session;
	struct at_session *s = &session;
	struct at_event ev;
	struct at_settings set = { 0 };
	char big[AT_LINE_MAX * 3];
	char out[1024];
	bring_up(s, &set, 0);
	memset(big, 'A', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	/* an over-long URC, then an over-long "PDU" after +CDS */
	feed_str(s, big, 0);
	feed_str(s, "\r\n+CDS: 200\r\n", 0);
	feed_str(s, big, 0);
	feed_str(s, "\r\nRING\r\n", 0);
	assert_true(at_next_event(s, &ev));
	assert_int_equal(ev.type, AT_EV_URC);
	assert_string_equal(ev.text, "RING");
	assert_false(at_next_event(s, &ev));
	/* a line of exactly AT_LINE_MAX - 1 bytes still fits */
	big[AT_LINE_MAX - 1] = '\0';
	feed_str(s, "\r\n", 0);
	feed_str(s, big, 0);
	feed_str(s, "\r\n", 0);
	assert_true(at_next_event(s, &ev));
	assert_int_equal(strlen(ev.text), sizeof ev.text - 1);
	/* a status report PDU that does not fit an event text is not cut short */
	feed_str(s, "\r\n+CDS: 250\r\n", 0);
	memset(big, 'B', 450);
	big[450] = '\0';
	feed_str(s, big, 0);
	feed_str(s, "\r\n", 0);
	assert_true(at_next_event(s, &ev));
	assert_int_equal(ev.type, AT_EV_URC);
	assert_string_equal(ev.text, "+CDS PDU of 450 hex digits is too long, dropped");
	/* and the dialogue still works */
	assert_int_equal(at_start_send(s, example_pdu, 87, 0), 0);
	feed_str(s, "\r\n> ", 0);
	feed_str(s, "\r\n+CMGS: 7\r\n\r\nOK\r\n", 0);
	drain_output(s, out, sizeof out);
	assert_true(at_next_event(s, &ev));
	assert_int_equal(ev.type, AT_EV_SENT);
}

static void test_deadlines(void **state)
{
	(void)state;
	static struct at_session session;
	struct at_session *s = &session;
	struct at_settings set = { .prompt_timeout_ms = 100 };
	struct at_event ev;
	char out[1024];
	at_session_init(s, &set);
	assert_int_equal(at_deadline(s), INT64_MAX);
	at_tick(s, INT64_MAX - 1);
	assert_false(at_next_event(s, &ev));
	bring_up(s, &set, 50);
	assert_int_equal(at_deadline(s), INT64_MAX);
	assert_int_equal(at_start_send(s, example_pdu, 87, 1000), 0);
	assert_int_equal(at_deadline(s), 1100);
	at_tick(s, 1099);
	assert_false(at_next_event(s, &ev));
	at_tick(s, 1100);
	assert_true(at_next_event(s, &ev));
	assert_int_equal(ev.type, AT_EV_SEND_FAILED);
	assert_int_equal(ev.failure, AT_SEND_NO_PROMPT);
	drain_output(s, out, sizeof out);
	assert_int_equal(out[strlen(out) - 1], 0x1B);
	/* the swallow window lasts at most a second */
	assert_int_equal(at_deadline(s), 2100);
	assert_false(at_is_idle(s));
	at_tick(s, 2100);
	assert_true(at_is_idle(s));
	assert_int_equal(at_deadline(s), INT64_MAX);
}

/* One test per transcript file, so a failure names its file. The group is
 * built at run time, hence the function the cmocka macros wrap. */
static int run_golden_group(void)
{
	static char names[64][256];
	struct CMUnitTest golden[64];
	size_t count = 0;
	struct dirent **entries;
	int n = scandir(AT_DIR, &entries, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(entries[i]->d_name);
		if (len > 4 && strcmp(entries[i]->d_name + len - 4, ".txt") == 0 && count < 64) {
			snprintf(names[count], sizeof names[count], "%s", entries[i]->d_name);
			golden[count] = (struct CMUnitTest){
				.name = names[count],
				.test_func = test_golden,
				.initial_state = names[count],
			};
			count++;
		}
		free(entries[i]);
	}
	if (n >= 0)
		free(entries);
	if (count == 0) {
		fprintf(stderr, "no transcripts in %s\n", AT_DIR);
		return 1;
	}
	return _cmocka_run_group_tests("golden transcripts", golden, count, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_golden_set_complete),
		cmocka_unit_test(test_urcs_anywhere_in_init),
		cmocka_unit_test(test_urcs_anywhere_in_send),
		cmocka_unit_test(test_sysstart_anywhere),
		cmocka_unit_test(test_pin_wrong),
		cmocka_unit_test(test_pin_not_configured),
		cmocka_unit_test(test_pin_timeout_then_reinit),
		cmocka_unit_test(test_pin_puk_and_others),
		cmocka_unit_test(test_pin_again_after_restart),
		cmocka_unit_test(test_registration_polling),
		cmocka_unit_test(test_registration_timeout),
		cmocka_unit_test(test_first_at_retried_once),
		cmocka_unit_test(test_init_timeout),
		cmocka_unit_test(test_smsc_and_cnmi_only_when_configured),
		cmocka_unit_test(test_send_prompt_split_and_errors),
		cmocka_unit_test(test_send_timeout),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_send_refused),
		cmocka_unit_test(test_init_during_send_writes_esc),
		cmocka_unit_test(test_cds_text_mode_and_stray_lines),
		cmocka_unit_test(test_event_overflow_drops_urcs_first),
		cmocka_unit_test(test_overlong_lines_are_dropped),
		cmocka_unit_test(test_read_info),
		cmocka_unit_test(test_deadlines),
	};
	int failed = cmocka_run_group_tests_name("at", unit, NULL, NULL);
	return failed + run_golden_group();
}
