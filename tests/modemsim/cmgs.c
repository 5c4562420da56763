/* cmgs.c - AT+CMGS in PDU mode: the prompt, the hex PDU up to Ctrl-Z, its
 * validation, the fault plan, and the SM log line. */
#include "modem.h"
#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simlog.h"

#define CTRL_Z 0x1A
#define ESC 0x1B
#define TPDU_LEN_MAX 176        /* SMSC excluded; longer cannot be a valid SM */

/* +CMS ERROR codes the modem itself produces. */
#define CMS_OP_NOT_SUPPORTED 303
#define CMS_INVALID_PDU 304
#define CMS_SIM_PIN_REQUIRED 311
#define CMS_NO_NETWORK 331

static void cms_reply(struct modem *m, int64_t now, int64_t latency, int code)
{
	modem_reply_line(m, "+CMS ERROR: %d", code);
	modem_reply_send(m, now, latency, MODEM_COMMAND);
}

static int parse_length(const char *args)
{
	char *end;
	errno = 0;
	long v = strtol(args, &end, 10);
	/* A ",<toa>" or similar after the length is not used in PDU mode. */
	if (errno || end == args || (*end && *end != ',') || v < 1 || v > TPDU_LEN_MAX)
		return -1;
	return (int)v;
}

/* Why this modem cannot send at all right now (the +CMS code), or 0. */
static int refusal_code(const struct modem *m, int64_t now)
{
	if (m->sim != SIM_READY)
		return CMS_SIM_PIN_REQUIRED;
	if (modem_creg_stat(m, now) != 1)
		return CMS_NO_NETWORK;
	if (m->set.cmgf != 0)
		return CMS_OP_NOT_SUPPORTED;   /* text mode is not simulated */
	return 0;
}

void cmgs_start(struct modem *m, const char *args, int64_t now)
{
	int len = parse_length(args);
	if (len < 0) {
		modem_error(m, now);
		return;
	}
	unsigned long n = ++m->cmgs_count;
	m->cmgs_gap_us = m->sm_ok_us ? clock_mono_us() - m->sm_ok_us : -1;
	m->cur_n = n;
	m->cur_len = len;
	m->pdu_len = 0;
	m->pdu_overflow = false;
	int refused = refusal_code(m, now);
	if (refused) {
		simlog_event("REFUSED\tn=%lu\tcode=%d", n, refused);
		cms_reply(m, now, m->opt->cmd_latency_ms, refused);
		return;
	}
	if (nlist_contains(&m->faults->no_prompt, n)) {
		simlog_event("NOPROMPT\tn=%lu", n);
		m->state = MODEM_NO_PROMPT;
		return;
	}
	modem_reply_raw(m, "\r\n> ");
	modem_reply_send(m, now, m->opt->cmd_latency_ms, MODEM_PDU);
}

static void reject_pdu(struct modem *m, int64_t now, const char *reason)
{
	char esc[2 * ERRBUF_MAX];
	simlog_escape((const uint8_t *)reason, strlen(reason), esc, sizeof esc);
	simlog_event("BADPDU\tn=%lu\treason=%s", m->cur_n, esc);
	cms_reply(m, now, m->opt->cmd_latency_ms, CMS_INVALID_PDU);
}

/* Checks the received hex like a modem does: hex syntax, then the AT+CMGS
 * length against the octets after the SMSC field, then the TPDU itself.
 * Returns 0 with *d filled, or -1 after logging and answering 304. */
static int validate_pdu(struct modem *m, int64_t now, struct pdu_decoded *d)
{
	uint8_t octets[MODEM_PDU_HEX_MAX / 2];
	struct errbuf err = { "" };

	m->pdu_hex[m->pdu_len] = '\0';
	if (m->pdu_overflow) {
		reject_pdu(m, now, "PDU too long");
		return -1;
	}
	if (m->pdu_len == 0 || m->pdu_len % 2) {
		reject_pdu(m, now, m->pdu_len ? "odd number of hex digits" : "empty PDU");
		return -1;
	}
	long total = hex_decode(m->pdu_hex, m->pdu_len, octets, sizeof octets);
	if (total < 0) {
		reject_pdu(m, now, "not hex");
		return -1;
	}
	long tpdu = total - 1 - octets[0];
	if (tpdu < 1) {
		reject_pdu(m, now, "SMSC field longer than the PDU");
		return -1;
	}
	if (tpdu != m->cur_len) {
		simlog_event("BADLEN\tn=%lu\tgiven=%d\tactual=%ld", m->cur_n, m->cur_len, tpdu);
		cms_reply(m, now, m->opt->cmd_latency_ms, CMS_INVALID_PDU);
		return -1;
	}
	if (pdu_decode(m->pdu_hex, true, d, &err) < 0) {
		reject_pdu(m, now, err.msg);
		return -1;
	}
	if (d->type != PDU_TYPE_SUBMIT) {
		snprintf(err.msg, sizeof err.msg, "%s is not SMS-SUBMIT", pdu_type_name(d->type));
		reject_pdu(m, now, err.msg);
		return -1;
	}
	return 0;
}

static void log_sm(const struct modem *m, const struct pdu_decoded *d, uint8_t mr)
{
	char timing[40] = "";
	if (m->opt->timing)
		snprintf(timing, sizeof timing, "\tgap_us=%lld", (long long)m->cmgs_gap_us);
	char body[4 * sizeof d->ud + 1], to[4 * PDU_ADDR_MAX], vp[4] = "-";
	/* The body is logged as received, PWD included: the log stands for
	 * what went over the air, and tests compare it byte for byte. */
	simlog_escape(d->ud, d->udl, body, sizeof body);
	simlog_escape((const uint8_t *)d->addr, strlen(d->addr), to, sizeof to);
	if (d->vpf == 2)
		snprintf(vp, sizeof vp, "%02X", d->vp);
	simlog_event("SM\tto=%s\tpid=%02X\tdcs=%02X\tsrr=%d\tvp=%s\tmr=%u\tudl=%zu\tbody=%s%s",
		     to, d->pid, d->dcs, d->srr ? 1 : 0, vp, mr, d->udl, body, timing);
}

/* The SM is on its way: MR, log, the unit, maybe a status report. */
static void accept_sm(struct modem *m, int64_t now, const struct pdu_decoded *d,
		      const struct unit_profile *prof)
{
	uint8_t mr = m->mr_next++;
	log_sm(m, d, mr);
	units_deliver(m->units, d);
	if (d->srr && m->set.cnmi[3] == 1)
		modem_queue_cds(m, now + m->opt->latency_ms + m->opt->cds_delay_ms, d->addr, mr,
				prof->cds_st);
	modem_reply_line(m, "+CMGS: %u", mr);
	modem_reply_line(m, "OK");
	m->reply_ends_sm = true;
	modem_reply_send(m, now, m->opt->latency_ms, MODEM_COMMAND);
}

/* The network's verdict: --cms-error lists first, then the unit's cms=,
 * then --cms-error-rate. Returns the code or -1 for success. */
static int network_verdict(struct modem *m, const struct unit_profile *prof)
{
	/* Drawn for every valid PDU, used or not, so the sequence of draws
	 * depends only on the number of sends. */
	int drawn = faults_cms_draw(m->faults);
	int code = faults_cms_for(m->faults, m->cur_n);
	if (code < 0)
		code = prof->cms;
	if (code < 0)
		code = drawn;
	return code;
}

static void complete_pdu(struct modem *m, int64_t now)
{
	unsigned long n = m->cur_n;
	if (nlist_contains(&m->faults->drop, n)) {
		simlog_event("DROP\tn=%lu", n);
		m->state = MODEM_COMMAND;
		m->hangup = true;
		return;
	}
	if (nlist_contains(&m->faults->sysstart, n)) {
		simlog_event("SYSSTART\tn=%lu", n);
		modem_power_cycle(m, now);
		modem_reply_line(m, "^SYSSTART");
		modem_reply_send(m, now, m->opt->latency_ms, MODEM_COMMAND);
		return;
	}
	struct pdu_decoded d;
	if (validate_pdu(m, now, &d) < 0)
		return;
	struct unit_profile prof;
	units_profile(m->units, d.addr, &prof);
	int code = network_verdict(m, &prof);
	if (code >= 0) {
		char to[4 * PDU_ADDR_MAX];
		simlog_escape((const uint8_t *)d.addr, strlen(d.addr), to, sizeof to);
		simlog_event("CMS\tn=%lu\tto=%s\tcode=%d", n, to, code);
		cms_reply(m, now, m->opt->latency_ms, code);
		return;
	}
	accept_sm(m, now, &d, &prof);
}

static void abort_send(struct modem *m, int64_t now)
{
	simlog_event("ESC\tn=%lu", m->cur_n);
	modem_ok(m, now);
}

void cmgs_input(struct modem *m, uint8_t c, int64_t now)
{
	if (c == ESC) {
		abort_send(m, now);
		return;
	}
	if (m->state == MODEM_NO_PROMPT)
		return;         /* nothing counts but ESC */
	if (c == CTRL_Z) {
		complete_pdu(m, now);
	} else if (c == '\r' || c == '\n') {
		/* tolerated inside the hex, like real modems */
	} else if (m->pdu_len < sizeof m->pdu_hex - 1) {
		m->pdu_hex[m->pdu_len++] = (char)c;
	} else {
		m->pdu_overflow = true;
	}
}
