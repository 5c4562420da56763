/* smpp_session.c - the SMPP session state machine (see smpp_session.h). */
#include "smpp_session.h"

#include <stdio.h>
#include <string.h>

#include <smpp34.h>

#include "smpp_status.h"

static const uint32_t bind_commands[] = {
	[SMPP_BIND_TRX] = SMPP_BIND_TRANSCEIVER,
	[SMPP_BIND_TX] = SMPP_BIND_TRANSMITTER,
	[SMPP_BIND_RX] = SMPP_BIND_RECEIVER,
};

static uint32_t take_seq(struct smpp_session *s)
{
	uint32_t seq = s->next_seq;
	/* 1..0x7FFFFFFF (§5.1.4). */
	s->next_seq = seq >= 0x7FFFFFFFu ? 1 : seq + 1;
	return seq;
}

/* Encodes p at the end of the output. Returns 0, or -1 with a reason. */
static int queue_pdu(struct smpp_session *s, const struct smpp_pdu *p, struct errbuf *err)
{
	long n = smpp_encode(p, s->out + s->out_len, sizeof s->out - s->out_len, err);
	if (n < 0)
		return -1;
	if (s->cfg.trace)
		s->cfg.trace(s->cfg.trace_arg, true, s->out + s->out_len, (size_t)n);
	s->out_len += (size_t)n;
	s->out_total += (uint64_t)n;
	return 0;
}

static void queue_header(struct smpp_session *s, uint32_t command, uint32_t status, uint32_t seq)
{
	struct smpp_pdu p = { .command_id = command, .command_status = status, .sequence = seq };
	struct errbuf err;
	/* A header always fits: the output keeps room beyond a full window. */
	(void)queue_pdu(s, &p, &err);
}

static void close_session(struct smpp_session *s, const char *why)
{
	if (s->state == SMPP_CLOSED)
		return;
	s->state = SMPP_CLOSED;
	snprintf(s->why, sizeof s->why, "%s", why);
}

int smpp_session_start(struct smpp_session *s, const struct smpp_session_config *cfg,
		       int64_t now, struct errbuf *err)
{
	memset(s, 0, sizeof *s);
	s->cfg = *cfg;
	s->next_seq = 1;
	s->last_rx = now;
	struct smpp_pdu p = { .command_id = bind_commands[cfg->mode], .bind = cfg->bind };
	s->bind_seq = p.sequence = take_seq(s);
	int rc = queue_pdu(s, &p, err);
	explicit_bzero(&p.bind.password, sizeof p.bind.password);
	if (rc < 0)
		return -1;
	s->state = SMPP_BINDING;
	s->bind_sent = now;
	return 0;
}

void smpp_session_wipe(struct smpp_session *s)
{
	explicit_bzero(s->cfg.bind.password, sizeof s->cfg.bind.password);
}

size_t smpp_session_room(const struct smpp_session *s)
{
	return sizeof s->in - s->in_len;
}

int smpp_session_feed(struct smpp_session *s, const uint8_t *bytes, size_t n, int64_t now)
{
	if (n > sizeof s->in - s->in_len)
		return -1;
	memcpy(s->in + s->in_len, bytes, n);
	s->in_len += n;
	s->last_rx = now;
	return 0;
}

void smpp_session_lost(struct smpp_session *s, const char *why)
{
	s->lost = true;
	close_session(s, why);
}

const uint8_t *smpp_session_output(const struct smpp_session *s, size_t *len)
{
	*len = s->out_len;
	return s->out;
}

void smpp_session_wrote(struct smpp_session *s, size_t n)
{
	if (n > s->out_len)
		n = s->out_len;
	memmove(s->out, s->out + n, s->out_len - n);
	s->out_len -= n;
	s->written_total += n;
}

/* ---- responses to our requests ---- */

static int find_inflight(const struct smpp_session *s, uint32_t seq)
{
	for (size_t i = 0; i < s->inflight_count; i++) {
		if (s->inflight[i].seq == seq)
			return (int)i;
	}
	return -1;
}

static void drop_inflight(struct smpp_session *s, int i)
{
	s->inflight[i] = s->inflight[--s->inflight_count];
}

/* A submit's answer: submit_sm_resp or a generic_nack naming its sequence.
 * Returns true with *ev filled when seq was ours. */
static bool submit_answered(struct smpp_session *s, const struct smpp_pdu *p, struct smpp_event *ev)
{
	int i = find_inflight(s, p->sequence);
	if (i < 0)
		return false;
	ev->type = SMPP_EV_SUBMIT_RESP;
	ev->tag = s->inflight[i].tag;
	ev->seq = p->sequence;
	ev->status = p->command_status;
	if (p->command_status == 0 && p->command_id == (uint32_t)SMPP_SUBMIT_SM_RESP)
		snprintf(ev->text, sizeof ev->text, "%s", p->message_id);
	drop_inflight(s, i);
	return true;
}

static bool bind_answered(struct smpp_session *s, const struct smpp_pdu *p, struct smpp_event *ev)
{
	if (s->state != SMPP_BINDING || p->sequence != s->bind_seq)
		return false;
	if (p->command_status != 0) {
		char why[120];
		snprintf(why, sizeof why, "bind refused: SMPP status 0x%08X (%s)", p->command_status,
			 smpp_status_meaning(p->command_status));
		close_session(s, why);
		ev->status = p->command_status;
		return false;           /* reported as SMPP_EV_CLOSED */
	}
	s->state = SMPP_BOUND;
	ev->type = SMPP_EV_BOUND;
	snprintf(ev->text, sizeof ev->text, "%s", p->system_id);
	return true;
}

/* Handles one PDU from the peer. Returns true with *ev filled when the
 * caller has something to do. */
static bool handle_pdu(struct smpp_session *s, const struct smpp_pdu *p, struct smpp_event *ev)
{
	switch (p->command_id) {
	case (uint32_t)SMPP_BIND_TRANSCEIVER_RESP:
	case (uint32_t)SMPP_BIND_TRANSMITTER_RESP:
	case (uint32_t)SMPP_BIND_RECEIVER_RESP:
		return bind_answered(s, p, ev);
	case (uint32_t)SMPP_SUBMIT_SM_RESP:
		return submit_answered(s, p, ev);
	case (uint32_t)SMPP_GENERIC_NACK:
		if (submit_answered(s, p, ev))
			return true;
		if (s->state == SMPP_BINDING && p->sequence == s->bind_seq)
			close_session(s, "bind answered with generic_nack");
		return false;
	case SMPP_ENQUIRE_LINK:
		queue_header(s, (uint32_t)SMPP_ENQUIRE_LINK_RESP, 0, p->sequence);
		return false;
	case (uint32_t)SMPP_ENQUIRE_LINK_RESP:
		if (p->sequence == s->enquire_seq)
			s->enquire_sent = 0;
		return false;
	case SMPP_DELIVER_SM:
		ev->type = SMPP_EV_DELIVER;
		ev->seq = p->sequence;
		ev->msg = p->msg;
		return true;
	case SMPP_UNBIND:
		queue_header(s, (uint32_t)SMPP_UNBIND_RESP, 0, p->sequence);
		close_session(s, "the SMSC unbound");
		return false;
	case (uint32_t)SMPP_UNBIND_RESP:
		if (s->state == SMPP_UNBINDING)
			close_session(s, "unbound");
		return false;
	default:
		/* A request we do not serve is refused; a stray response ignored. */
		if (!smpp_is_response(p->command_id))
			queue_header(s, (uint32_t)SMPP_GENERIC_NACK, ESME_RINVCMDID, p->sequence);
		return false;
	}
}

/* Takes the next whole PDU off the input. Returns 1 with *p, 0 when none
 * is complete, -1 when the stream is broken (the session closes). */
static int next_pdu(struct smpp_session *s, struct smpp_pdu *p)
{
	struct errbuf err;
	long len = smpp_frame_length(s->in, s->in_len);
	if (len == 0)
		return 0;
	if (len < 0) {
		close_session(s, "the SMSC sent an impossible PDU length");
		return -1;
	}
	if (s->cfg.trace)
		s->cfg.trace(s->cfg.trace_arg, false, s->in, (size_t)len);
	int rc = smpp_decode(s->in, (size_t)len, p, &err);
	memmove(s->in, s->in + len, s->in_len - (size_t)len);
	s->in_len -= (size_t)len;
	if (rc < 0) {
		/* The frame was whole: answer it and go on (§4.3). */
		queue_header(s, (uint32_t)SMPP_GENERIC_NACK, ESME_RINVCMDLEN, p->sequence);
		return next_pdu(s, p);
	}
	return 1;
}

/* ---- timers ---- */

static void check_timers(struct smpp_session *s, int64_t now)
{
	int64_t limit = s->cfg.response_timeout_ms;
	if (s->state == SMPP_BINDING && now - s->bind_sent >= limit)
		close_session(s, "no bind response");
	else if (s->state == SMPP_UNBINDING && now - s->unbind_sent >= limit)
		close_session(s, "no unbind response");
	else if (s->enquire_sent && now - s->enquire_sent >= limit)
		close_session(s, "no enquire_link response: the link is dead");
	for (size_t i = 0; s->state != SMPP_CLOSED && i < s->inflight_count; i++) {
		if (now - s->inflight[i].sent_at >= limit)
			close_session(s, "a submit_sm got no response in time");
	}
	if (s->state == SMPP_BOUND && !s->enquire_sent && now - s->last_rx >= s->cfg.enquire_link_ms) {
		s->enquire_seq = take_seq(s);
		s->enquire_sent = now;
		queue_header(s, SMPP_ENQUIRE_LINK, 0, s->enquire_seq);
	}
}

bool smpp_session_next_event(struct smpp_session *s, int64_t now, struct smpp_event *ev)
{
	struct smpp_pdu p;
	memset(ev, 0, sizeof *ev);
	while (s->state != SMPP_CLOSED || (s->lost && !s->closed_reported)) {
		int rc = next_pdu(s, &p);
		if (rc <= 0)
			break;
		if (handle_pdu(s, &p, ev))
			return true;
	}
	if (s->state != SMPP_CLOSED)
		check_timers(s, now);
	if (s->state == SMPP_CLOSED && !s->closed_reported) {
		s->closed_reported = true;
		uint32_t status = ev->status;
		memset(ev, 0, sizeof *ev);
		ev->type = SMPP_EV_CLOSED;
		ev->status = status;
		snprintf(ev->text, sizeof ev->text, "%s", s->why);
		return true;
	}
	return false;
}

int64_t smpp_session_deadline(const struct smpp_session *s)
{
	int64_t limit = s->cfg.response_timeout_ms;
	int64_t d = INT64_MAX;
	switch (s->state) {
	case SMPP_CLOSED:
		return s->closed_reported ? INT64_MAX : 0;
	case SMPP_BINDING:
		return s->bind_sent + limit;
	case SMPP_UNBINDING:
		d = s->unbind_sent + limit;
		break;
	case SMPP_BOUND:
		d = s->enquire_sent ? s->enquire_sent + limit : s->last_rx + s->cfg.enquire_link_ms;
		break;
	}
	for (size_t i = 0; i < s->inflight_count; i++) {
		if (s->inflight[i].sent_at + limit < d)
			d = s->inflight[i].sent_at + limit;
	}
	return d;
}

/* ---- requests ---- */

bool smpp_session_can_submit(const struct smpp_session *s)
{
	return s->state == SMPP_BOUND && s->cfg.mode != SMPP_BIND_RX &&
	       s->inflight_count < (size_t)s->cfg.window;
}

int smpp_session_submit(struct smpp_session *s, const struct smpp_message *m, uint64_t tag,
			int64_t now, struct errbuf *err)
{
	if (!smpp_session_can_submit(s))
		return errbuf_set(err, "the SMPP link cannot take a submit now");
	struct smpp_pdu p = { .command_id = SMPP_SUBMIT_SM, .msg = *m };
	p.sequence = take_seq(s);
	if (queue_pdu(s, &p, err) < 0)
		return -1;
	s->inflight[s->inflight_count++] = (struct smpp_inflight){
		.seq = p.sequence, .tag = tag, .sent_at = now, .end = s->out_total,
	};
	return 0;
}

void smpp_session_ack(struct smpp_session *s, uint32_t seq, uint32_t status)
{
	if (s->state != SMPP_CLOSED)
		queue_header(s, (uint32_t)SMPP_DELIVER_SM_RESP, status, seq);
}

void smpp_session_unbind(struct smpp_session *s, int64_t now)
{
	if (s->state == SMPP_BINDING) {
		close_session(s, "stopped while binding");
		return;
	}
	if (s->state != SMPP_BOUND)
		return;
	s->unbind_seq = take_seq(s);
	s->unbind_sent = now;
	s->state = SMPP_UNBINDING;
	queue_header(s, SMPP_UNBIND, 0, s->unbind_seq);
}

size_t smpp_session_inflight_count(const struct smpp_session *s)
{
	return s->inflight_count;
}

const struct smpp_inflight *smpp_session_inflight(const struct smpp_session *s, size_t i)
{
	return &s->inflight[i];
}

bool smpp_session_written(const struct smpp_session *s, const struct smpp_inflight *f)
{
	return s->written_total >= f->end;
}
