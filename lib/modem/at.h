/* at.h - the AT dialogue with a GSM modem as a pure state machine (spec §4).
 *
 * No I/O and no clock: the caller feeds received bytes and the current
 * monotonic time, writes out whatever at_take_output() returns, calls
 * at_tick() when at_deadline() has passed, and drains events with
 * at_next_event(). This makes every dialogue testable from a transcript.
 *
 * Behaviour the caller relies on:
 * - Lines are replies only when the command in progress can answer them;
 *   anything else is an event (REGISTRATION, STATUS_REPORT, URC, SYSSTART),
 *   whenever it arrives.
 * - ^SYSSTART ends what was in progress with INIT_FAILED (not fatal) or
 *   SEND_FAILED (AT_SEND_ERROR), then AT_EV_SYSSTART; the session is no
 *   longer ready until at_start_init ends in READY again.
 * - The PIN is sent at most once until the SIM proves it right with
 *   +CPIN: READY; texts show it as ****.
 * - After AT_SEND_NO_PROMPT (ESC written) the session stays busy for up to
 *   1 s, or until the modem's final reply to the aborted AT+CMGS arrives,
 *   so that reply is not taken for the next command's.
 * - When the event queue is full, the oldest event of the least important
 *   kind goes first (URC, then SIGNAL, REGISTRATION, STATUS_REPORT; replies
 *   last); see at_events_dropped().
 */
#ifndef OTAP_AT_H
#define OTAP_AT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct at_settings {
	const char *pin;                /* NULL = none configured (secret) */
	const char *smsc;               /* NULL = keep the SIM's (no AT+CSCA) */
	bool status_reports;            /* AT+CNMI=2,1,0,1,0 during init */
	int64_t cmd_timeout_ms;         /* simple commands; default 5000 when 0 */
	int64_t prompt_timeout_ms;      /* "> " after AT+CMGS; default 5000 when 0 */
	int64_t send_timeout_ms;        /* +CMGS after the PDU; default 60000 when 0 */
	int64_t registration_timeout_ms;/* wait for +CREG 1/5 during init; default 30000 */
	bool read_info;                 /* AT+CGMM, AT+CGMR, AT+CGSN once per init (after
					 * AT+CMEE), AT+COPS? after AT+CSQ in init and
					 * check; see at_info() */
};

#define AT_INFO_MAX 64

/* What the session has learnt of the modem; "" / -1 = not known. */
struct at_info {
	int creg_stat;                  /* last +CREG stat, reply or URC */
	int rssi, ber;                  /* last +CSQ */
	char operator_name[AT_INFO_MAX];/* last AT+COPS? ("" when it named none) */
	char model[AT_INFO_MAX];        /* AT+CGMM, AT+CGMR, AT+CGSN of the last init */
	char revision[AT_INFO_MAX];
	char imei[AT_INFO_MAX];
};

enum at_event_type {
	AT_EV_READY,            /* init finished: registered, PDU mode */
	AT_EV_INIT_FAILED,      /* text = reason; fatal = do not retry blindly (PIN) */
	AT_EV_SENT,             /* mr = TP-MR from +CMGS (-1 if OK came without it) */
	AT_EV_SEND_FAILED,      /* failure, cms_error, text */
	AT_EV_TIMEOUT,          /* a command got no final reply (watchdog input) */
	AT_EV_SYSSTART,         /* ^SYSSTART: the modem restarted, re-init needed */
	AT_EV_STATUS_REPORT,    /* +CDS: text = the PDU hex line */
	AT_EV_REGISTRATION,     /* creg_stat from +CREG (reply or URC) */
	AT_EV_SIGNAL,           /* rssi, ber from +CSQ */
	AT_EV_URC,              /* any other unsolicited line, text = line */
};

enum at_send_failure {
	AT_SEND_CMS_ERROR,      /* +CMS ERROR: cms_error */
	AT_SEND_ERROR,          /* plain ERROR or +CME ERROR */
	AT_SEND_NO_PROMPT,      /* no "> " in time; ESC was sent */
	AT_SEND_TIMEOUT,        /* no +CMGS/final reply after the PDU */
};

struct at_event {
	enum at_event_type type;
	int mr;
	enum at_send_failure failure;
	int cms_error;                  /* -1 when none */
	int creg_stat;                  /* -1 when none */
	int rssi, ber;                  /* as in +CSQ (99 = unknown); -1 when none */
	bool fatal;
	char text[400];
};

#define AT_LINE_MAX 512
#define AT_OUT_MAX 1024
#define AT_EVENTS_MAX 16
#define AT_PDU_HEX_MAX 400      /* longest hex accepted by at_start_send, with NUL */

/* Internal state; callers treat the fields as private (see at.c). */
struct at_session {
	struct at_settings set;
	/* the exchange in progress */
	int state;                      /* enum at_state */
	int step;                       /* enum init_step / enum check_step */
	bool awaiting;                  /* a command is out, its final reply pending */
	int64_t deadline;               /* INT64_MAX when none */
	char shown_cmd[96];             /* the command for texts, the PIN masked */
	/* init */
	bool pin_sent;                  /* PIN written, not yet proven by +CPIN: READY;
					 * survives at_start_init */
	bool at_retried;                /* the first AT got ERROR once */
	int sim_busy_polls;
	int64_t reg_deadline;
	int cpin;                       /* enum cpin_state from the +CPIN: line */
	char cpin_text[48];
	int creg_stat;                  /* stat of the last +CREG reply, -1 none */
	struct at_info info;            /* at_info() */
	/* send */
	int pending_mr;                 /* from +CMGS, -1 none */
	char pending_pdu[AT_PDU_HEX_MAX];
	/* line framing */
	char line[AT_LINE_MAX];
	size_t line_len;
	bool line_overflow;             /* discard the rest of this line */
	bool expect_pdu_line;           /* next line is the PDU of a +CDS/+CMT */
	bool pdu_line_is_cds;
	/* output and events */
	uint8_t out[AT_OUT_MAX];
	size_t out_len;
	struct at_event events[AT_EVENTS_MAX];
	size_t ev_head, ev_count;
	unsigned long events_dropped;
};

/* Resets s with settings (strings are borrowed, must outlive s). */
void at_session_init(struct at_session *s, const struct at_settings *set);

/* Starts (or restarts) the init sequence; ends in AT_EV_READY or
 * AT_EV_INIT_FAILED. Aborts any exchange in progress. */
void at_start_init(struct at_session *s, int64_t now);

/* Starts sending one PDU (hex = SMSC field + TPDU, tpdu_len for AT+CMGS).
 * Ends in AT_EV_SENT or AT_EV_SEND_FAILED. Returns 0, or -1 when the session
 * is not idle and ready, or when hex is not an even-length hex string shorter
 * than AT_PDU_HEX_MAX or tpdu_len is not 1..255 and shorter than hex. hex is
 * copied. */
int at_start_send(struct at_session *s, const char *hex, int tpdu_len, int64_t now);

/* Idle health check: AT+CREG? then AT+CSQ (events REGISTRATION, SIGNAL),
 * then AT+COPS? with read_info.
 * Returns 0, or -1 when not idle and ready. */
int at_start_check(struct at_session *s, int64_t now);

/* What the session has learnt so far (registration, signal, and with
 * read_info the operator and identity); valid until the next call on s.
 * Identity fields are cleared by at_start_init, the others only replaced. */
const struct at_info *at_info(const struct at_session *s);

/* Feeds received bytes. */
void at_feed(struct at_session *s, const uint8_t *data, size_t n, int64_t now);

/* Handles an expired deadline (prompt/reply timeouts). */
void at_tick(struct at_session *s, int64_t now);

/* Monotonic time at which at_tick must be called; INT64_MAX if none. */
int64_t at_deadline(const struct at_session *s);

/* Copies pending output bytes into buf (up to cap) and removes them; returns
 * the number copied. */
size_t at_take_output(struct at_session *s, uint8_t *buf, size_t cap);

/* Pops the oldest event into *ev; returns false when there is none. */
bool at_next_event(struct at_session *s, struct at_event *ev);

/* True when init has completed and no exchange is in progress. */
bool at_is_idle(const struct at_session *s);

/* Events lost because the queue was full (the oldest URC goes first). */
unsigned long at_events_dropped(const struct at_session *s);

#endif
