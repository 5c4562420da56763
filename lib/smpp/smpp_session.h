/* smpp_session.h - one SMPP 3.4 session as a pure state machine over
 * bytes: bind, a window of outstanding submit_sm keyed by sequence number,
 * enquire_link both ways, unbind. The caller moves bytes (feed what the
 * socket gave, write what smpp_session_output holds), passes the monotonic
 * time in, and pulls events; no I/O and no clock here.
 *
 *   start -> BINDING --bind_resp ok--> BOUND --unbind--> UNBINDING -> CLOSED
 *                    \--bind_resp error / timeout / peer unbind / bad PDU--> CLOSED
 */
#ifndef OTAP_SMPP_SESSION_H
#define OTAP_SMPP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "smpp_codec.h"

/* The largest window a link may have (config: window = 1..this). */
#define SMPP_WINDOW_MAX 256
/* Bytes buffered either way: a full window of submits and then some. */
#define SMPP_BUF_MAX (SMPP_WINDOW_MAX * 320 + 4 * SMPP_PDU_MAX)

enum smpp_bind_mode { SMPP_BIND_TRX, SMPP_BIND_TX, SMPP_BIND_RX };

enum smpp_session_state { SMPP_CLOSED, SMPP_BINDING, SMPP_BOUND, SMPP_UNBINDING };

struct smpp_session_config {
	struct smpp_bind bind;          /* system_id, password (secret), system_type */
	enum smpp_bind_mode mode;
	int window;                     /* outstanding submits, 1..SMPP_WINDOW_MAX */
	int64_t enquire_link_ms;        /* idle time before our enquire_link */
	int64_t response_timeout_ms;    /* bind, submit, enquire_link, unbind responses */
	/* Called with every PDU either way, for the debug trace (may be NULL);
	 * smpp_trace masks the password and the short messages. */
	void (*trace)(void *arg, bool outgoing, const uint8_t *pdu, size_t len);
	void *trace_arg;
};

/* A submit the SMSC has not answered yet. */
struct smpp_inflight {
	uint32_t seq;
	uint64_t tag;                   /* the caller's: which part of which job */
	int64_t sent_at;                /* monotonic, queued for writing */
	uint64_t end;                   /* output offset just past its last byte */
};

enum smpp_event_type {
	SMPP_EV_NONE,
	SMPP_EV_BOUND,                  /* text: the SMSC's system_id */
	SMPP_EV_SUBMIT_RESP,            /* tag, status, text: message_id (status 0) */
	SMPP_EV_DELIVER,                /* seq, msg: answer with smpp_session_ack */
	SMPP_EV_CLOSED,                 /* the session is over: text says why; status
					 * is the bind_resp's error when binding failed */
};

struct smpp_event {
	enum smpp_event_type type;
	uint64_t tag;
	uint32_t seq;
	uint32_t status;
	char text[SMPP_MSGID_MAX + 160];
	struct smpp_message msg;
};

struct smpp_session {
	struct smpp_session_config cfg;
	enum smpp_session_state state;
	uint32_t next_seq;
	struct smpp_inflight inflight[SMPP_WINDOW_MAX];
	size_t inflight_count;
	uint32_t bind_seq, unbind_seq, enquire_seq;
	int64_t bind_sent, unbind_sent;
	int64_t enquire_sent;           /* 0 = none outstanding */
	int64_t last_rx;                /* monotonic: the peer's last PDU */
	uint8_t in[SMPP_BUF_MAX];
	size_t in_len;
	uint8_t out[SMPP_BUF_MAX];
	size_t out_len;
	uint64_t out_total;             /* bytes ever queued */
	uint64_t written_total;         /* bytes the caller wrote */
	bool closed_reported;
	bool lost;                      /* the peer closed: what it sent before still counts */
	char why[160];
};

/* Starts a session on a freshly connected socket: queues the bind request
 * (mode as configured). cfg is copied; the password is wiped from it by
 * smpp_session_wipe. Returns 0, or -1 with a reason (a field too long). */
int smpp_session_start(struct smpp_session *s, const struct smpp_session_config *cfg,
		       int64_t now, struct errbuf *err);

/* Zeroes the session's copy of the password. */
void smpp_session_wipe(struct smpp_session *s);

/* How many bytes smpp_session_feed takes now: read no more than this from
 * the socket (the rest waits there until the events are pulled). */
size_t smpp_session_room(const struct smpp_session *s);

/* Takes n bytes read from the socket. Returns 0, or -1 when the input
 * buffer would overflow (the peer is not reading our responses: close). */
int smpp_session_feed(struct smpp_session *s, const uint8_t *bytes, size_t n, int64_t now);

/* The link failed or the peer closed it (why: in words): the session
 * closes. The PDUs fed before still give their events (answers the SMSC
 * sent before it closed are real); then comes SMPP_EV_CLOSED. */
void smpp_session_lost(struct smpp_session *s, const char *why);

/* The bytes waiting to be written (*len 0 when none). */
const uint8_t *smpp_session_output(const struct smpp_session *s, size_t *len);
/* The caller wrote n of them. */
void smpp_session_wrote(struct smpp_session *s, size_t n);

/* The next event from the input and the timers at now. Returns true with
 * *ev filled, false when there is nothing (feed more, or wait until
 * smpp_session_deadline). PDUs that need no caller (enquire_link, its
 * response, an unknown request answered with generic_nack) are handled
 * on the way. After SMPP_EV_CLOSED the session gives no more events. */
bool smpp_session_next_event(struct smpp_session *s, int64_t now, struct smpp_event *ev);

/* The earliest monotonic time at which a timer may produce output or an
 * event (INT64_MAX when none). */
int64_t smpp_session_deadline(const struct smpp_session *s);

/* Whether a submit may be queued now: bound, able to transmit, window not
 * full. */
bool smpp_session_can_submit(const struct smpp_session *s);

/* Queues m as a submit_sm remembered under tag. Returns 0, or -1 with a
 * reason (cannot submit now, m does not encode). */
int smpp_session_submit(struct smpp_session *s, const struct smpp_message *m, uint64_t tag,
			int64_t now, struct errbuf *err);

/* Answers the deliver_sm of sequence seq with status (0 = taken; a
 * temporary error such as ESME_RX_T_APPN makes the SMSC send it again). */
void smpp_session_ack(struct smpp_session *s, uint32_t seq, uint32_t status);

/* Queues an unbind (when bound); the session closes on its response or
 * after the response timeout. */
void smpp_session_unbind(struct smpp_session *s, int64_t now);

/* The submits still unanswered, for the caller to resolve when the
 * session is over: count, and entry i. */
size_t smpp_session_inflight_count(const struct smpp_session *s);
const struct smpp_inflight *smpp_session_inflight(const struct smpp_session *s, size_t i);
/* Whether all of that submit's bytes were written: the SMSC may have
 * accepted it (otherwise it cannot have). */
bool smpp_session_written(const struct smpp_session *s, const struct smpp_inflight *f);

#endif
