/* modem.c - the simulated modem's input, reply framing, timers and
 * unsolicited lines (see modem.h). */
#include "modem.h"
#include "clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cds.h"
#include "log.h"
#include "simlog.h"

#define GARBAGE_MIN_GAP_MS 20
#define GARBAGE_GAP_SPREAD_MS 280
#define GARBAGE_IN_REPLY_PERCENT 25
#define DEFAULT_SMSC "+491710760000"

/* --- buffers ------------------------------------------------------------ */

static int buf_append(struct byte_buf *b, const void *data, size_t n)
{
	if (b->len + n > MODEM_OUT_MAX)
		return -1;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *grown = realloc(b->data, cap);
		if (!grown)
			return -1;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	return 0;
}

static void buf_free(struct byte_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

/* Queues bytes for the client. A client that stops reading for a whole
 * megabyte is hung up on rather than buffered forever. */
static void emit(struct modem *m, const void *data, size_t n)
{
	if (buf_append(&m->out, data, n) < 0) {
		log_warnx("client is not reading: output buffer full, hanging up");
		m->hangup = true;
		return;
	}
	if (m->opt->verbose) {
		char esc[1024];
		simlog_escape(data, n, esc, sizeof esc);
		log_debug("tx %s", esc);
	}
}

static void emit_line(struct modem *m, const char *text)
{
	emit(m, "\r\n", 2);
	emit(m, text, strlen(text));
	emit(m, "\r\n", 2);
}

/* --- power-on state ----------------------------------------------------- */

static void settings_defaults(struct modem_settings *s)
{
	memset(s, 0, sizeof *s);
	s->echo = true;
	snprintf(s->csca, sizeof s->csca, "%s", DEFAULT_SMSC);
}

static int64_t garbage_gap(struct modem *m)
{
	return GARBAGE_MIN_GAP_MS + (int64_t)prng_below(&m->garbage_rng, GARBAGE_GAP_SPREAD_MS);
}

void modem_init(struct modem *m, const struct sim_options *opt, struct fault_plan *faults,
		struct units *units, int64_t now)
{
	memset(m, 0, sizeof *m);
	m->opt = opt;
	m->faults = faults;
	m->units = units;
	prng_seed(&m->garbage_rng, opt->seed, 2);
	settings_defaults(&m->set);
	m->sim = opt->pin ? SIM_PIN : SIM_READY;
	m->sim_ready_at = now;
	m->creg_last = modem_creg_stat(m, now);
	m->mr_next = (uint8_t)opt->mr_start;
}

void modem_release(struct modem *m)
{
	buf_free(&m->reply);
	buf_free(&m->out);
}

void modem_power_cycle(struct modem *m, int64_t now)
{
	settings_defaults(&m->set);
	if (m->opt->pin && m->sim == SIM_READY)
		m->sim = SIM_PIN;
	m->sim_ready_at = now;
	m->creg_last = modem_creg_stat(m, now);
	m->ncds = 0;
}

int modem_creg_stat(const struct modem *m, int64_t now)
{
	if (m->sim != SIM_READY || m->opt->not_registered)
		return 0;
	if (m->opt->register_after_ms >= 0 && now < m->sim_ready_at + m->opt->register_after_ms)
		return 2;
	return 1;
}

/* --- connection ---------------------------------------------------------- */

static void reset_connection(struct modem *m)
{
	m->hangup = false;
	m->state = MODEM_COMMAND;
	m->reply.len = 0;
	m->out.len = 0;
	m->in_len = 0;
	m->line_len = 0;
	m->line_overflow = false;
	/* Reports for the previous client are lost with its connection. */
	m->ncds = 0;
}

void modem_connect(struct modem *m, int64_t now)
{
	reset_connection(m);
	m->connected = true;
	if (m->opt->reset_on_connect)
		settings_defaults(&m->set);
	m->garbage_due = now + garbage_gap(m);
	simlog_event("CONNECT");
}

void modem_disconnect(struct modem *m)
{
	if (!m->connected)
		return;
	reset_connection(m);
	m->connected = false;
	simlog_event("DISCONNECT");
}

size_t modem_input_room(const struct modem *m)
{
	return m->connected ? sizeof m->in - m->in_len : 0;
}

void modem_receive(struct modem *m, const uint8_t *data, size_t n)
{
	size_t room = modem_input_room(m);
	if (n > room)
		n = room;
	memcpy(m->in + m->in_len, data, n);
	m->in_len += n;
}

const uint8_t *modem_output(const struct modem *m, size_t *len)
{
	*len = m->out.len;
	return m->out.data;
}

void modem_output_consumed(struct modem *m, size_t n)
{
	if (n >= m->out.len) {
		m->out.len = 0;
		return;
	}
	memmove(m->out.data, m->out.data + n, m->out.len - n);
	m->out.len -= n;
}

/* --- replies ------------------------------------------------------------- */

static const char *const urc_lines[] = {
	"RING", "+CREG: 1", "+CMTI: \"SM\",3", "+CIEV: signal,3",
};

/* Writes one unsolicited line (a real URC or junk) framed into b. Junk
 * starts with a character no result code starts with, so it can never be
 * mistaken for OK, ERROR, +CMGS... */
static void garbage_into(struct modem *m, struct byte_buf *b)
{
	size_t nurc = sizeof urc_lines / sizeof urc_lines[0];
	uint64_t pick = prng_below(&m->garbage_rng, nurc + 1);
	char junk[40];
	const char *text;
	if (pick < nurc) {
		text = urc_lines[pick];
	} else {
		static const char first[] = "#$%&*~!";
		size_t n = 4 + (size_t)prng_below(&m->garbage_rng, 28);
		junk[0] = first[prng_below(&m->garbage_rng, sizeof first - 1)];
		for (size_t i = 1; i < n; i++)
			junk[i] = (char)(0x20 + prng_below(&m->garbage_rng, 0x5F));
		junk[n] = '\0';
		text = junk;
	}
	if (buf_append(b, "\r\n", 2) == 0 && buf_append(b, text, strlen(text)) == 0)
		buf_append(b, "\r\n", 2);
}

void modem_reply_line(struct modem *m, const char *fmt, ...)
{
	char text[MODEM_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (m->opt->garbage && prng_below(&m->garbage_rng, 100) < GARBAGE_IN_REPLY_PERCENT)
		garbage_into(m, &m->reply);
	if (buf_append(&m->reply, "\r\n", 2) == 0 && buf_append(&m->reply, text, strlen(text)) == 0)
		buf_append(&m->reply, "\r\n", 2);
}

void modem_reply_raw(struct modem *m, const char *text)
{
	buf_append(&m->reply, text, strlen(text));
}

void modem_reply_send(struct modem *m, int64_t now, int64_t latency_ms, enum modem_state next)
{
	m->state = MODEM_BUSY;
	m->busy_until = now + latency_ms;
	m->after_busy = next;
}

void modem_ok(struct modem *m, int64_t now)
{
	modem_reply_line(m, "OK");
	modem_reply_send(m, now, m->opt->cmd_latency_ms, MODEM_COMMAND);
}

void modem_error(struct modem *m, int64_t now)
{
	modem_reply_line(m, "ERROR");
	modem_reply_send(m, now, m->opt->cmd_latency_ms, MODEM_COMMAND);
}

static const char *cme_text(int code)
{
	switch (code) {
	case 3: return "operation not allowed";
	case 4: return "operation not supported";
	case 11: return "SIM PIN required";
	case 12: return "SIM PUK required";
	case 16: return "incorrect password";
	case 30: return "no network service";
	default: return "unknown";
	}
}

void modem_cme_error(struct modem *m, int64_t now, int code)
{
	if (m->set.cmee == 0)
		modem_reply_line(m, "ERROR");
	else if (m->set.cmee == 1)
		modem_reply_line(m, "+CME ERROR: %d", code);
	else
		modem_reply_line(m, "+CME ERROR: %s", cme_text(code));
	modem_reply_send(m, now, m->opt->cmd_latency_ms, MODEM_COMMAND);
}

/* --- input --------------------------------------------------------------- */

/* Traces a command line, hiding the PIN of AT+CPIN=. */
static void trace_line(const struct modem *m, const char *line)
{
	if (!m->opt->verbose)
		return;
	if (strncasecmp(line, "AT+CPIN=", 8) == 0)
		log_debug("rx AT+CPIN=***");
	else
		log_debug("rx %s", line);
}

static void end_of_line(struct modem *m, int64_t now)
{
	m->line[m->line_len] = '\0';
	/* Real modems echo the characters they received, CR included. The
	 * echo bypasses the tx trace: it may carry the PIN, and trace_line
	 * shows the line already (masked). */
	trace_line(m, m->line);
	if (m->set.echo && (buf_append(&m->out, m->line, m->line_len) < 0
			    || buf_append(&m->out, "\r", 1) < 0))
		m->hangup = true;
	if (m->line_overflow)
		modem_error(m, now);
	else if (m->line_len > 0)
		commands_execute(m, m->line, now);
	m->line_len = 0;
	m->line_overflow = false;
}

static void command_byte(struct modem *m, uint8_t c, int64_t now)
{
	if (c == '\r') {
		end_of_line(m, now);
	} else if (c == 0x08) {
		if (m->line_len > 0)
			m->line_len--;
	} else if (c < 0x20 || c == 0x7F) {
		/* LF after CR, stray Ctrl-Z/ESC: ignored like a real modem */
	} else if (m->line_len < sizeof m->line - 1) {
		m->line[m->line_len++] = (char)c;
	} else {
		m->line_overflow = true;
	}
}

static void finish_busy(struct modem *m)
{
	if (m->reply.len)
		emit(m, m->reply.data, m->reply.len);
	if (m->reply_ends_sm)
		m->sm_ok_us = clock_mono_us();
	m->reply_ends_sm = false;
	m->reply.len = 0;
	m->state = m->after_busy;
}

/* --- timers and unsolicited lines ----------------------------------------- */

/* URCs wait while a command is in progress, as on a real modem. */
static bool is_idle(const struct modem *m)
{
	return m->connected && !m->hangup && m->state == MODEM_COMMAND && m->line_len == 0;
}

void modem_queue_cds(struct modem *m, int64_t due, const char *to, uint8_t mr, uint8_t st)
{
	if (m->ncds == MODEM_CDS_MAX) {
		log_warnx("too many status reports pending: dropping the one for MR %u", mr);
		return;
	}
	struct pending_cds *c = &m->cds[m->ncds++];
	c->due = due;
	snprintf(c->to, sizeof c->to, "%s", to);
	c->mr = mr;
	c->st = st;
}

static void emit_cds(struct modem *m, const struct pending_cds *c)
{
	char hex[CDS_HEX_MAX];
	int len = cds_build(c->to, c->mr, c->st, time(NULL), hex);
	if (len < 0) {
		log_warnx("cannot build a status report for %s", c->to);
		return;
	}
	char head[32];
	snprintf(head, sizeof head, "+CDS: %d", len);
	/* One URC of two lines: nothing may come between them. */
	emit_line(m, head);
	emit(m, hex, strlen(hex));
	emit(m, "\r\n", 2);
	simlog_event("CDS\tto=%s\tmr=%u\tst=%02X", c->to, c->mr, c->st);
}

static void run_cds(struct modem *m, int64_t now)
{
	size_t i = 0;
	while (i < m->ncds) {
		if (m->cds[i].due <= now) {
			struct pending_cds due = m->cds[i];
			memmove(&m->cds[i], &m->cds[i + 1], (m->ncds - i - 1) * sizeof m->cds[0]);
			m->ncds--;
			emit_cds(m, &due);
		} else {
			i++;
		}
	}
}

static void run_creg(struct modem *m, int64_t now)
{
	int stat = modem_creg_stat(m, now);
	if (stat == m->creg_last)
		return;
	m->creg_last = stat;
	if (m->set.creg_mode >= 1) {
		char urc[24];
		snprintf(urc, sizeof urc, "+CREG: %d", stat);
		emit_line(m, urc);
	}
}

static void run_garbage(struct modem *m, int64_t now)
{
	if (!m->opt->garbage || now < m->garbage_due)
		return;
	struct byte_buf b = { 0 };
	garbage_into(m, &b);
	emit(m, b.data, b.len);
	buf_free(&b);
	m->garbage_due = now + garbage_gap(m);
}

static void run_timers(struct modem *m, int64_t now)
{
	if (!is_idle(m))
		return;
	run_cds(m, now);
	run_creg(m, now);
	run_garbage(m, now);
}

int64_t modem_deadline(const struct modem *m)
{
	if (!m->connected || m->hangup)
		return INT64_MAX;
	if (m->state == MODEM_BUSY)
		return m->busy_until;
	/* Timers below only fire when idle; leaving a busy state always goes
	 * through modem_run, which looks at them again. */
	if (!is_idle(m))
		return INT64_MAX;
	int64_t d = INT64_MAX;
	for (size_t i = 0; i < m->ncds; i++)
		d = min64(d, m->cds[i].due);
	if (m->opt->register_after_ms >= 0 && m->sim == SIM_READY && m->creg_last != 1)
		d = min64(d, m->sim_ready_at + m->opt->register_after_ms);
	if (m->opt->garbage)
		d = min64(d, m->garbage_due);
	return d;
}

void modem_run(struct modem *m, int64_t now)
{
	size_t pos = 0;

	if (!m->connected)
		return;
	while (!m->hangup) {
		if (m->state == MODEM_BUSY) {
			if (now < m->busy_until)
				break;
			finish_busy(m);
			continue;
		}
		if (pos == m->in_len)
			break;
		uint8_t c = m->in[pos++];
		if (m->state == MODEM_COMMAND)
			command_byte(m, c, now);
		else
			cmgs_input(m, c, now);
	}
	memmove(m->in, m->in + pos, m->in_len - pos);
	m->in_len -= pos;
	run_timers(m, now);
}
