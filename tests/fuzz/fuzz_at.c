/* fuzz_at.c - libFuzzer harness for the AT state machine (lib/at.h).
 *
 * The input is a small script that plays the caller (otapd's modem.c) and
 * the modem at once, with a fake monotonic clock:
 *
 *   byte 0   settings: bits 0-1 pin (none, "1234", empty, invalid "12x4");
 *            bits 2-3 smsc (none, valid, empty, invalid); bit 4 status
 *            reports; bits 5-6 the timeouts (defaults, all 1 ms, short,
 *            long); bit 7 the clock's start value (0 or 2^40 ms)
 *   then operations, one byte each (op = b & 7, arg = b >> 3) with operands:
 *     0 feed     <n> <n bytes>   modem bytes, fed in pieces of arg+1 bytes
 *                                (arg 31: at once; arg 30: <n> <r> <n bytes>
 *                                fed r+1 times, for over-long lines)
 *     1 line     <n> <n bytes>   the same framed as "\r\n" bytes "\r\n"
 *     2 advance  <lo> <hi>       the clock moves (lo + 256 hi) * {1, 10,
 *                                1000, 60000}[arg & 3] ms, at_tick at every
 *                                deadline passed on the way (as modem.c)
 *     3 deadline                 the clock jumps to at_deadline(), at_tick
 *     4 init                     at_start_init
 *     5 send                     arg bit 0: the spec's example PDU (arg
 *                                bit 1: with TP-SRR); else <n> <n bytes of
 *                                hex text> <tpdu_len>
 *     6 check                    at_start_check
 *     7 arg bit 0: pop up to (arg >> 1) + 1 events; else <cap>: the
 *                                buffer size for at_take_output from now on
 *   After every operation all output is taken, in pieces of at most <cap>.
 *
 * Checked (abort = finding):
 * - at_take_output never returns more than its cap nor writes past it;
 * - every event text is NUL-terminated, enums are in range;
 * - the configured PIN "1234" never shows in an event text (unless the
 *   modem bytes themselves contained "1234");
 * - AT+CPIN="1234" is written at most once until the modem has said READY;
 *   no AT+CPIN=" at all when no valid PIN is configured;
 * - at_start_send / at_start_check succeed exactly when the session is
 *   idle (and, for send, the hex and length are valid) and then write
 *   AT+CMGS=<len> / AT+CREG?; at_start_init writes [ESC] AT;
 * - after every operation at_deadline() lies in the future: modem.c calls
 *   at_tick again at once while it does not, so a deadline that at_tick
 *   leaves in the past would be a busy loop;
 * - the clock only moves forward and every call returns (no hang).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "at.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PIN "1234"
#define PIN_CMD "AT+CPIN=\""
#define CANARY 0xA5
#define GUARD 64

static const char spec_pdu[] =
	"0011000C919471103254767DF5A7494F5441505F494D504E470A5057443A7365637265740A"
	"4A414455524C3A687474703A2F2F66772E6578616D706C652E636F6D2F6170702E6A61640A"
	"53544152543A696E7374616C6C0A";
static const char spec_pdu_srr[] =
	"0031000C919471103254767DF5A7494F5441505F494D504E470A5057443A7365637265740A"
	"4A414455524C3A687474703A2F2F66772E6578616D706C652E636F6D2F6170702E6A61640A"
	"53544152543A696E7374616C6C0A";

/* A substring matcher fed one byte at a time (needles here have no
 * repeated prefix, so a restart on mismatch is exact). */
struct matcher {
	const char *needle;
	size_t at;
};

static bool match_byte(struct matcher *m, uint8_t c)
{
	if ((uint8_t)m->needle[m->at] == c)
		m->at++;
	else
		m->at = (uint8_t)m->needle[0] == c ? 1 : 0;
	if (m->needle[m->at] == '\0') {
		m->at = 0;
		return true;
	}
	return false;
}

struct harness {
	struct at_session s;
	int64_t now;
	size_t cap;
	/* modem side, as the session sees it (control bytes dropped, as at.c does) */
	struct matcher in_pin, in_ready;
	bool input_had_pin;
	bool ready_seen;                /* "READY" since the last PIN write */
	/* output */
	struct matcher out_pin;
	bool pin_outstanding;           /* PIN written, no READY since */
	bool pin_valid;                 /* "1234" configured */
	uint8_t out[AT_OUT_MAX + 16];
	size_t out_len;                 /* output of the current operation */
};

static struct harness h;

static void watch_input(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if ((c < 0x20 && c != '\r' && c != '\n') || c == 0x7F)
			continue;       /* at.c drops these inside lines */
		if (match_byte(&h.in_pin, c))
			h.input_had_pin = true;
		if (match_byte(&h.in_ready, c))
			h.ready_seen = true;
	}
}

/* Takes all pending output in pieces of at most h.cap bytes. A guard zone
 * right after the cap must stay untouched (a larger overrun would also hit
 * the guard first: at_take_output writes front to back). */
static void drain_output(void)
{
	static uint8_t buf[AT_OUT_MAX + GUARD];
	static uint8_t guard[GUARD];
	size_t cap = h.cap ? h.cap : 1;
	size_t n;

	if (guard[0] != CANARY)
		memset(guard, CANARY, sizeof guard);
	FUZZ_CHECK(at_take_output(&h.s, buf, 0) == 0, "output with cap 0");
	h.out_len = 0;
	do {
		memset(buf + cap, CANARY, GUARD);
		n = at_take_output(&h.s, buf, cap);
		FUZZ_CHECK(n <= cap, "at_take_output returned %zu for cap %zu", n, cap);
		FUZZ_CHECK(memcmp(buf + cap, guard, GUARD) == 0,
			   "at_take_output wrote past its cap %zu", cap);
		FUZZ_CHECK(h.out_len + n <= sizeof h.out, "more than AT_OUT_MAX bytes of output");
		memcpy(h.out + h.out_len, buf, n);
		h.out_len += n;
	} while (n > 0);
}

/* Checks the PIN rule on the output of one operation. Within one operation
 * the PIN can be written only once and READY cannot both prove an earlier
 * PIN and let a new one out (that needs at_start_init, an operation). */
static void check_pin_writes(void)
{
	int writes = 0;
	for (size_t i = 0; i < h.out_len; i++) {
		if (match_byte(&h.out_pin, h.out[i]))
			writes++;
	}
	FUZZ_CHECK(writes <= 1, "PIN written %d times in one operation", writes);
	FUZZ_CHECK(writes == 0 || h.pin_valid, "AT+CPIN= written without a valid PIN");
	if (writes == 1) {
		FUZZ_CHECK(!h.pin_outstanding, "PIN written again before the SIM said READY");
		h.pin_outstanding = true;
		h.ready_seen = false;
	} else if (h.ready_seen) {
		h.pin_outstanding = false;
	}
}

static void check_event(const struct at_event *ev)
{
	FUZZ_CHECK(memchr(ev->text, '\0', sizeof ev->text) != NULL, "event text not terminated");
	FUZZ_CHECK((int)ev->type >= AT_EV_READY && (int)ev->type <= AT_EV_URC, "event type %d",
		   (int)ev->type);
	if (ev->type == AT_EV_SEND_FAILED)
		FUZZ_CHECK((int)ev->failure >= AT_SEND_CMS_ERROR &&
			   (int)ev->failure <= AT_SEND_TIMEOUT, "failure %d", (int)ev->failure);
	if (ev->type == AT_EV_SENT)
		FUZZ_CHECK(ev->mr >= -1 && ev->mr <= 255, "mr %d", ev->mr);
	if (!h.input_had_pin)
		FUZZ_CHECK(strstr(ev->text, PIN) == NULL, "PIN in event text \"%s\"", ev->text);
}

static void pop_events(size_t max)
{
	struct at_event ev;
	for (size_t i = 0; i < max && at_next_event(&h.s, &ev); i++)
		check_event(&ev);
}

static void feed(const uint8_t *p, size_t n, size_t piece)
{
	watch_input(p, n);
	for (size_t off = 0; off < n; off += piece) {
		size_t k = n - off < piece ? n - off : piece;
		at_feed(&h.s, p + off, k, h.now);
	}
}

/* Moves the clock to `to`, ticking at every deadline passed, as the I/O
 * loop does after a long poll(). Bounded: each tick moves a deadline. */
static void advance_to(int64_t to)
{
	for (int i = 0; i < 256; i++) {
		int64_t d = at_deadline(&h.s);
		if (d > to)
			break;
		if (d > h.now)
			h.now = d;
		at_tick(&h.s, h.now);
		if (at_deadline(&h.s) == d)
			break;  /* tick did not move it: no-op deadline */
	}
	if (to > h.now)
		h.now = to;
	at_tick(&h.s, h.now);
}

static bool is_hex_text(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'F') || (*s >= 'a' && *s <= 'f')))
			return false;
	}
	return true;
}

static bool send_args_valid(const char *hex, int tpdu_len)
{
	size_t n = strlen(hex);
	return n >= 2 && n % 2 == 0 && n < AT_PDU_HEX_MAX && is_hex_text(hex) &&
	       tpdu_len >= 1 && tpdu_len <= 255 && (size_t)tpdu_len < n / 2;
}

static bool out_is(const char *text)
{
	return h.out_len == strlen(text) && memcmp(h.out, text, h.out_len) == 0;
}

static void do_send(const char *hex, int tpdu_len)
{
	bool idle = at_is_idle(&h.s);
	int rc = at_start_send(&h.s, hex, tpdu_len, h.now);
	bool ok = idle && send_args_valid(hex, tpdu_len);
	FUZZ_CHECK(rc == (ok ? 0 : -1), "at_start_send returned %d (idle %d, len %d)", rc, idle,
		   tpdu_len);
	drain_output();
	if (rc == 0) {
		char want[32];
		snprintf(want, sizeof want, "AT+CMGS=%d\r", tpdu_len);
		FUZZ_CHECK(out_is(want), "send wrote %zu bytes, not %s", h.out_len, want);
		FUZZ_CHECK(!at_is_idle(&h.s), "idle during a send");
	} else {
		FUZZ_CHECK(h.out_len == 0, "a refused send wrote output");
	}
}

static const char *const pin_choices[] = { NULL, PIN, "", "12x4" };
static const char *const smsc_choices[] = { NULL, "+491700000000", "", "+49x" };

struct timeouts {
	int64_t cmd, prompt, send, reg;
};

static const struct timeouts timeout_choices[] = {
	{ 0, 0, 0, 0 }, { 1, 1, 1, 1 }, { 250, 300, 2000, 3000 }, { 5000, 5000, 60000, 30000 },
};

static const int64_t clock_starts[] = { 0, INT64_C(1) << 40 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 0;
	if (size == 0)
		return 0;

	uint8_t cfg = data[i++];
	const struct timeouts *t = &timeout_choices[(cfg >> 5) & 3];
	struct at_settings set = {
		.pin = pin_choices[cfg & 3],
		.smsc = smsc_choices[(cfg >> 2) & 3],
		.status_reports = (cfg & 0x10) != 0,
		.cmd_timeout_ms = t->cmd,
		.prompt_timeout_ms = t->prompt,
		.send_timeout_ms = t->send,
		.registration_timeout_ms = t->reg,
	};
	memset(&h, 0, sizeof h);
	h.in_pin.needle = PIN;
	h.in_ready.needle = "READY";
	h.out_pin.needle = PIN_CMD;
	h.cap = AT_OUT_MAX;
	h.now = clock_starts[cfg >> 7];
	h.pin_valid = set.pin == pin_choices[1];
	at_session_init(&h.s, &set);
	FUZZ_CHECK(!at_is_idle(&h.s) && at_deadline(&h.s) == INT64_MAX, "fresh session");

	while (i < size) {
		uint8_t b = data[i++];
		unsigned op = b & 7, arg = b >> 3;
		int64_t before = h.now;
		h.out_len = 0;

		switch (op) {
		case 0:
		case 1: {
			size_t n = i < size ? data[i++] : 0;
			size_t reps = 1;
			if (op == 0 && arg == 30)
				reps = (size_t)(i < size ? data[i++] : 0) + 1;
			if (n > size - i)
				n = size - i;
			if (op == 0 && arg == 30) {
				for (size_t k = 0; k < reps; k++)
					feed(data + i, n, n ? n : 1);
			} else if (op == 0) {
				feed(data + i, n, arg == 31 ? (n ? n : 1) : arg + 1);
			} else {
				uint8_t line[2 + 255 + 2];
				line[0] = '\r';
				line[1] = '\n';
				memcpy(line + 2, data + i, n);
				line[2 + n] = '\r';
				line[3 + n] = '\n';
				feed(line, n + 4, n + 4);
			}
			i += n;
			drain_output();
			break;
		}
		case 2: {
			static const int64_t scale[] = { 1, 10, 1000, 60000 };
			int64_t v = 0;
			if (i < size)
				v = data[i++];
			if (i < size)
				v |= (int64_t)data[i++] << 8;
			advance_to(h.now + v * scale[arg & 3]);
			drain_output();
			break;
		}
		case 3: {
			int64_t d = at_deadline(&h.s);
			if (d != INT64_MAX && d > h.now)
				h.now = d;
			at_tick(&h.s, h.now);
			drain_output();
			break;
		}
		case 4:
			at_start_init(&h.s, h.now);
			drain_output();
			FUZZ_CHECK(out_is("AT\r") || out_is("\x1b" "AT\r"), "init wrote %zu bytes",
				   h.out_len);
			FUZZ_CHECK(!at_is_idle(&h.s), "idle right after at_start_init");
			break;
		case 5:
			if (arg & 1) {
				do_send((arg & 2) ? spec_pdu_srr : spec_pdu, 87);
			} else {
				char hex[256 + 1];
				size_t n = i < size ? data[i++] : 0;
				if (n > size - i)
					n = size - i;
				memcpy(hex, data + i, n);
				hex[n] = '\0';
				i += n;
				int tpdu_len = i < size ? data[i++] : 0;
				do_send(hex, tpdu_len);
			}
			break;
		case 6: {
			bool idle = at_is_idle(&h.s);
			int rc = at_start_check(&h.s, h.now);
			FUZZ_CHECK(rc == (idle ? 0 : -1), "at_start_check returned %d (idle %d)", rc,
				   idle);
			drain_output();
			FUZZ_CHECK(rc < 0 ? h.out_len == 0 : out_is("AT+CREG?\r"), "check output");
			break;
		}
		case 7:
			if (arg & 1) {
				pop_events((arg >> 1) + 1);
			} else {
				h.cap = i < size ? data[i++] : 0;
			}
			drain_output();
			break;
		}
		check_pin_writes();
		FUZZ_CHECK(h.now >= before, "clock went back");
		FUZZ_CHECK(at_deadline(&h.s) > h.now, "deadline %lld not after now %lld (op %u): "
			   "the I/O loop would spin", (long long)at_deadline(&h.s), (long long)h.now, op);
	}
	pop_events(AT_EVENTS_MAX + 1);
	FUZZ_CHECK(!at_next_event(&h.s, &(struct at_event){ 0 }), "more than AT_EVENTS_MAX events");
	return 0;
}
