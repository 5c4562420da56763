/* test_smpp.c - the SMPP layer without sockets: PDUs through libsmpp34 and
 * back, the session's bind, window, enquire_link and unbind over bytes with
 * a scripted SMSC, receipts in both id forms, command_status classes, the
 * link's job table, the smpp:// device and the validity period. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "smpp_codec.h"
#include "smpp_jobs.h"
#include "smpp_message.h"
#include "smpp_receipt.h"
#include "smpp_session.h"
#include "smpp_status.h"
#include "smpp_url.h"

static const struct smpp_session_config session_cfg = {
	.bind = { .system_id = "otap", .password = "s3cr3t", .system_type = "OTA" },
	.mode = SMPP_BIND_TRX,
	.window = 2,
	.enquire_link_ms = 30000,
	.response_timeout_ms = 10000,
};

/* The whole output of s, decoded as one PDU (asserts there is exactly one). */
static void take_one(struct smpp_session *s, struct smpp_pdu *p)
{
	size_t len;
	const uint8_t *out = smpp_session_output(s, &len);
	struct errbuf err;
	long n = smpp_frame_length(out, len);
	assert_true(n > 0);
	assert_int_equal((size_t)n, len);
	assert_int_equal(smpp_decode(out, len, p, &err), 0);
	smpp_session_wrote(s, len);
}

/* The SMSC's side: p encoded and fed to s. */
static void peer_sends(struct smpp_session *s, const struct smpp_pdu *p, int64_t now)
{
	uint8_t buf[SMPP_PDU_MAX];
	struct errbuf err;
	long n = smpp_encode(p, buf, sizeof buf, &err);
	assert_true(n > 0);
	assert_int_equal(smpp_session_feed(s, buf, (size_t)n, now), 0);
}

static void bound_session(struct smpp_session *s)
{
	struct errbuf err;
	struct smpp_pdu p;
	struct smpp_event ev;
	assert_int_equal(smpp_session_start(s, &session_cfg, 0, &err), 0);
	take_one(s, &p);
	assert_int_equal(p.command_id, SMPP_BIND_TRANSCEIVER);
	assert_string_equal(p.bind.system_id, "otap");
	assert_string_equal(p.bind.password, "s3cr3t");
	assert_string_equal(p.bind.system_type, "OTA");
	struct smpp_pdu resp = { .command_id = (uint32_t)SMPP_BIND_TRANSCEIVER_RESP,
				 .sequence = p.sequence, .system_id = "TESTSMSC" };
	peer_sends(s, &resp, 1);
	assert_true(smpp_session_next_event(s, 1, &ev));
	assert_int_equal(ev.type, SMPP_EV_BOUND);
	assert_string_equal(ev.text, "TESTSMSC");
	assert_int_equal(s->state, SMPP_BOUND);
}

static void test_submit_roundtrip(void **state)
{
	(void)state;
	struct smpp_pdu p = { .command_id = SMPP_SUBMIT_SM, .sequence = 7 };
	struct smpp_message *m = &p.msg;
	snprintf(m->dest_addr, sizeof m->dest_addr, "491701234567");
	m->dest_ton = 1;
	m->dest_npi = 1;
	m->protocol_id = 0x7D;
	m->data_coding = 0xF5;
	m->registered_delivery = 1;
	snprintf(m->validity_period, sizeof m->validity_period, "000001000000000R");
	memcpy(m->sm, "OTAP_IMPNG\nPWD:x\n\0\xff", 19);
	m->sm_len = 19;
	uint8_t buf[SMPP_PDU_MAX];
	struct errbuf err;
	long n = smpp_encode(&p, buf, sizeof buf, &err);
	assert_true(n > SMPP_HEADER_LEN);
	assert_int_equal(smpp_frame_length(buf, (size_t)n), n);
	assert_int_equal(smpp_frame_length(buf, (size_t)n - 1), 0);
	struct smpp_pdu back;
	assert_int_equal(smpp_decode(buf, (size_t)n, &back, &err), 0);
	assert_int_equal(back.command_id, SMPP_SUBMIT_SM);
	assert_int_equal(back.sequence, 7);
	assert_string_equal(back.msg.dest_addr, "491701234567");
	assert_int_equal(back.msg.protocol_id, 0x7D);
	assert_int_equal(back.msg.data_coding, 0xF5);
	assert_int_equal(back.msg.registered_delivery, 1);
	assert_string_equal(back.msg.validity_period, "000001000000000R");
	assert_int_equal(back.msg.sm_len, 19);
	assert_memory_equal(back.msg.sm, m->sm, 19);
	/* A length the stream cannot hold. */
	uint8_t bad[4] = { 0xFF, 0, 0, 0 };
	assert_int_equal(smpp_frame_length(bad, 4), -1);
	/* A field too long is refused, not cut. */
	snprintf(m->dest_addr, sizeof m->dest_addr, "%s", "12345678901234567890");
	assert_true(smpp_encode(&p, buf, sizeof buf, &err) > 0);
	struct smpp_pdu bind = { .command_id = SMPP_BIND_TRANSMITTER, .sequence = 1 };
	snprintf(bind.bind.system_id, sizeof bind.bind.system_id, "%s", "123456789012345");
	assert_true(smpp_encode(&bind, buf, sizeof buf, &err) > 0);
	/* One character more does not fit. */
	snprintf(bind.bind.system_id, sizeof bind.bind.system_id, "%s", "123456789012345");
	snprintf(bind.bind.password, sizeof bind.bind.password, "%s", "12345678");
	assert_true(smpp_encode(&bind, buf, sizeof buf, &err) > 0);
}

static void test_trace_masks_password(void **state)
{
	(void)state;
	struct smpp_session s;
	struct errbuf err;
	assert_int_equal(smpp_session_start(&s, &session_cfg, 0, &err), 0);
	size_t len;
	const uint8_t *out = smpp_session_output(&s, &len);
	char trace[1024];
	smpp_trace(out, len, trace, sizeof trace);
	assert_non_null(strstr(trace, "bind_transceiver seq 1"));
	/* "s3cr3t" in hex: 73 33 63 72 33 74, grouped by four bytes. */
	char hex[128] = "";
	for (size_t i = 0; i < len; i++)
		snprintf(hex + strlen(hex), sizeof hex - strlen(hex), "%02X", out[i]);
	assert_non_null(strstr(hex, "733363723374"));
	char flat[1024];
	size_t k = 0;
	for (const char *c = trace; *c && k + 1 < sizeof flat; c++)
		if (*c != ' ')
			flat[k++] = *c;
	flat[k] = '\0';
	assert_null(strstr(flat, "733363723374"));
	assert_non_null(strstr(flat, "2A2A2A2A2A2A00"));
	smpp_session_wipe(&s);
	assert_string_equal(s.cfg.bind.password, "");
	/* A submit_sm's short_message (the OTAP body, with PWD) is masked too;
	 * the addresses stay readable. */
	struct smpp_pdu p = { .command_id = SMPP_SUBMIT_SM, .sequence = 2 };
	snprintf(p.msg.dest_addr, sizeof p.msg.dest_addr, "4917");
	memcpy(p.msg.sm, "PWD:x\n", 6);
	p.msg.sm_len = 6;
	uint8_t buf[SMPP_PDU_MAX];
	long n = smpp_encode(&p, buf, sizeof buf, &err);
	assert_true(n > 0);
	smpp_trace(buf, (size_t)n, trace, sizeof trace);
	k = 0;
	for (const char *c = trace; *c && k + 1 < sizeof flat; c++)
		if (*c != ' ')
			flat[k++] = *c;
	flat[k] = '\0';
	assert_non_null(strstr(flat, "3439313700"));                 /* "4917" */
	assert_null(strstr(flat, "5057443A"));                       /* "PWD:" */
	assert_true(strlen(flat) > 12 &&
		    strcmp(flat + strlen(flat) - 12, "2A2A2A2A2A2A") == 0);
}

static void test_window_by_sequence(void **state)
{
	(void)state;
	struct smpp_session *s = test_malloc(sizeof *s);
	struct smpp_message m = { .sm_len = 3, .sm = "abc", .message_state = -1 };
	struct smpp_pdu a, b;
	struct smpp_event ev;
	struct errbuf err;
	bound_session(s);
	assert_true(smpp_session_can_submit(s));
	assert_int_equal(smpp_session_submit(s, &m, 100, 2, &err), 0);
	take_one(s, &a);
	assert_int_equal(smpp_session_submit(s, &m, 200, 2, &err), 0);
	take_one(s, &b);
	assert_false(smpp_session_can_submit(s));
	assert_int_equal(smpp_session_submit(s, &m, 300, 2, &err), -1);
	assert_int_equal(smpp_session_inflight_count(s), 2);
	/* Answers out of order are matched by sequence number. */
	struct smpp_pdu rb = { .command_id = (uint32_t)SMPP_SUBMIT_SM_RESP, .sequence = b.sequence,
			       .message_id = "id-b" };
	struct smpp_pdu ra = { .command_id = (uint32_t)SMPP_SUBMIT_SM_RESP, .sequence = a.sequence,
			       .command_status = 0x58 };
	peer_sends(s, &rb, 3);
	peer_sends(s, &ra, 3);
	assert_true(smpp_session_next_event(s, 3, &ev));
	assert_int_equal(ev.type, SMPP_EV_SUBMIT_RESP);
	assert_int_equal(ev.tag, 200);
	assert_int_equal(ev.status, 0);
	assert_string_equal(ev.text, "id-b");
	assert_true(smpp_session_next_event(s, 3, &ev));
	assert_int_equal(ev.tag, 100);
	assert_int_equal(ev.status, 0x58);
	assert_string_equal(ev.text, "");
	assert_false(smpp_session_next_event(s, 3, &ev));
	assert_true(smpp_session_can_submit(s));
	/* A stray response changes nothing. */
	peer_sends(s, &rb, 4);
	assert_false(smpp_session_next_event(s, 4, &ev));
	test_free(s);
}

static void test_enquire_link_both_ways(void **state)
{
	(void)state;
	struct smpp_session *s = test_malloc(sizeof *s);
	struct smpp_pdu p;
	struct smpp_event ev;
	bound_session(s);
	/* The SMSC asks: answered with its sequence number. */
	struct smpp_pdu el = { .command_id = SMPP_ENQUIRE_LINK, .sequence = 4242 };
	peer_sends(s, &el, 1000);
	assert_false(smpp_session_next_event(s, 1000, &ev));
	take_one(s, &p);
	assert_int_equal(p.command_id, (uint32_t)SMPP_ENQUIRE_LINK_RESP);
	assert_int_equal(p.sequence, 4242);
	/* Idle for enquire_link_ms: we ask; answered, the link stays. */
	assert_int_equal(smpp_session_deadline(s), 1000 + 30000);
	assert_false(smpp_session_next_event(s, 31000, &ev));
	take_one(s, &p);
	assert_int_equal(p.command_id, SMPP_ENQUIRE_LINK);
	struct smpp_pdu resp = { .command_id = (uint32_t)SMPP_ENQUIRE_LINK_RESP,
				 .sequence = p.sequence };
	peer_sends(s, &resp, 31500);
	assert_false(smpp_session_next_event(s, 31500, &ev));
	assert_int_equal(s->state, SMPP_BOUND);
	/* Unanswered: the link is dead after the response timeout. */
	assert_false(smpp_session_next_event(s, 61500, &ev));
	take_one(s, &p);
	assert_int_equal(p.command_id, SMPP_ENQUIRE_LINK);
	assert_false(smpp_session_next_event(s, 71499, &ev));
	assert_true(smpp_session_next_event(s, 71500, &ev));
	assert_int_equal(ev.type, SMPP_EV_CLOSED);
	assert_non_null(strstr(ev.text, "enquire_link"));
	assert_false(smpp_session_next_event(s, 71500, &ev));
	test_free(s);
}

static void test_bind_refused_and_unbind(void **state)
{
	(void)state;
	struct smpp_session *s = test_malloc(sizeof *s);
	struct smpp_pdu p;
	struct smpp_event ev;
	struct errbuf err;
	assert_int_equal(smpp_session_start(s, &session_cfg, 0, &err), 0);
	take_one(s, &p);
	struct smpp_pdu resp = { .command_id = (uint32_t)SMPP_BIND_TRANSCEIVER_RESP,
				 .sequence = p.sequence, .command_status = 0x0E };
	peer_sends(s, &resp, 1);
	assert_true(smpp_session_next_event(s, 1, &ev));
	assert_int_equal(ev.type, SMPP_EV_CLOSED);
	assert_int_equal(ev.status, 0x0E);
	/* Our unbind, answered. */
	bound_session(s);
	smpp_session_unbind(s, 5);
	take_one(s, &p);
	assert_int_equal(p.command_id, SMPP_UNBIND);
	struct smpp_pdu ur = { .command_id = (uint32_t)SMPP_UNBIND_RESP, .sequence = p.sequence };
	peer_sends(s, &ur, 6);
	assert_true(smpp_session_next_event(s, 6, &ev));
	assert_int_equal(ev.type, SMPP_EV_CLOSED);
	assert_string_equal(ev.text, "unbound");
	/* The SMSC's unbind is answered and closes the session. */
	bound_session(s);
	struct smpp_pdu ub = { .command_id = SMPP_UNBIND, .sequence = 77 };
	peer_sends(s, &ub, 7);
	assert_true(smpp_session_next_event(s, 7, &ev));
	assert_int_equal(ev.type, SMPP_EV_CLOSED);
	take_one(s, &p);
	assert_int_equal(p.command_id, (uint32_t)SMPP_UNBIND_RESP);
	assert_int_equal(p.sequence, 77);
	test_free(s);
}

static void test_written_or_not(void **state)
{
	(void)state;
	struct smpp_session *s = test_malloc(sizeof *s);
	struct smpp_message m = { .sm_len = 1, .sm = "x", .message_state = -1 };
	struct errbuf err;
	struct smpp_event ev;
	struct smpp_pdu first;
	bound_session(s);
	assert_int_equal(smpp_session_submit(s, &m, 1, 2, &err), 0);
	take_one(s, &first);                    /* on the wire */
	assert_int_equal(smpp_session_submit(s, &m, 2, 2, &err), 0);
	assert_int_equal(smpp_session_submit(s, &m, 3, 2, &err), -1);  /* window 2 */
	size_t len;
	smpp_session_output(s, &len);
	smpp_session_wrote(s, len - 1);         /* all but the last byte */
	/* An answer that came just before the SMSC closed still counts. */
	struct smpp_pdu r1 = { .command_id = (uint32_t)SMPP_SUBMIT_SM_RESP,
			       .sequence = first.sequence, .message_id = "m1" };
	peer_sends(s, &r1, 2);
	smpp_session_lost(s, "connection reset");
	assert_true(smpp_session_next_event(s, 3, &ev));
	assert_int_equal(ev.type, SMPP_EV_SUBMIT_RESP);
	assert_int_equal(ev.tag, 1);
	assert_string_equal(ev.text, "m1");
	assert_true(smpp_session_next_event(s, 3, &ev));
	assert_int_equal(ev.type, SMPP_EV_CLOSED);
	assert_string_equal(ev.text, "connection reset");
	assert_false(smpp_session_next_event(s, 3, &ev));
	/* The one left was not written whole: the SMSC cannot have taken it. */
	assert_int_equal(smpp_session_inflight_count(s), 1);
	const struct smpp_inflight *f = smpp_session_inflight(s, 0);
	assert_int_equal(f->tag, 2);
	assert_false(smpp_session_written(s, f));
	test_free(s);
}

static void test_submit_timeout_closes(void **state)
{
	(void)state;
	struct smpp_session *s = test_malloc(sizeof *s);
	struct smpp_message m = { .sm_len = 1, .sm = "x", .message_state = -1 };
	struct errbuf err;
	struct smpp_event ev;
	bound_session(s);
	assert_int_equal(smpp_session_submit(s, &m, 1, 100, &err), 0);
	assert_int_equal(smpp_session_deadline(s), 100 + 10000);
	assert_false(smpp_session_next_event(s, 10099, &ev));
	assert_true(smpp_session_next_event(s, 10100, &ev));
	assert_int_equal(ev.type, SMPP_EV_CLOSED);
	test_free(s);
}

static void test_receipts(void **state)
{
	(void)state;
	struct smpp_session *s = test_malloc(sizeof *s);
	struct smpp_event ev;
	struct smpp_receipt r;
	struct errbuf err;
	struct smpp_pdu p;
	bound_session(s);
	/* TLV form. */
	struct smpp_pdu d = { .command_id = SMPP_DELIVER_SM, .sequence = 9 };
	d.msg.esm_class = SMPP_ESM_RECEIPT;
	snprintf(d.msg.receipted_message_id, sizeof d.msg.receipted_message_id, "AB12");
	d.msg.message_state = SMPP_STATE_DELIVERED;
	peer_sends(s, &d, 5);
	assert_true(smpp_session_next_event(s, 5, &ev));
	assert_int_equal(ev.type, SMPP_EV_DELIVER);
	assert_int_equal(ev.seq, 9);
	assert_int_equal(smpp_receipt_parse(&ev.msg, &r, &err), 1);
	assert_string_equal(r.message_id, "AB12");
	assert_int_equal(r.tp_st, 0x00);
	smpp_session_ack(s, ev.seq, 0);
	take_one(s, &p);
	assert_int_equal(p.command_id, (uint32_t)SMPP_DELIVER_SM_RESP);
	assert_int_equal(p.sequence, 9);
	/* Text form only. */
	struct smpp_message t = { .esm_class = SMPP_ESM_RECEIPT, .message_state = -1 };
	const char *text = "id:7f3a sub:001 dlvrd:000 submit date:2612072130 done "
			   "date:2612072131 stat:UNDELIV err:001 text:OTAP_IMPNG";
	t.sm_len = strlen(text);
	memcpy(t.sm, text, t.sm_len);
	assert_int_equal(smpp_receipt_parse(&t, &r, &err), 1);
	assert_string_equal(r.message_id, "7f3a");
	assert_int_equal(r.state, SMPP_STATE_UNDELIVERABLE);
	assert_true(r.tp_st >= 0x40 && r.tp_st <= 0x5F);
	/* "submit date:" is not "id:". */
	const char *noid = "sub:001 stat:DELIVRD submit date:2612072130";
	t.sm_len = strlen(noid);
	memcpy(t.sm, noid, t.sm_len);
	assert_int_equal(smpp_receipt_parse(&t, &r, &err), -1);
	/* A mobile-originated message is no receipt. */
	t.esm_class = 0;
	assert_int_equal(smpp_receipt_parse(&t, &r, &err), 0);
	test_free(s);
}

static void test_status_classes(void **state)
{
	(void)state;
	struct send_decision d;
	assert_true(smpp_status_throttled(0x58));
	assert_true(smpp_status_throttled(0x14));
	assert_false(smpp_status_throttled(0x0B));
	smpp_status_decide(0x0B, &d);
	assert_int_equal(d.verdict, VERDICT_FAIL);
	assert_string_equal(d.result, "permanent");
	assert_non_null(strstr(d.detail, "0x0000000B (invalid destination address)"));
	smpp_status_decide(0x08, &d);
	assert_int_equal(d.verdict, VERDICT_RETRY);
	smpp_status_decide(0x0E, &d);
	assert_int_equal(d.verdict, VERDICT_MODEM);
	smpp_status_decide(0x456, &d);
	assert_int_equal(d.verdict, VERDICT_RETRY);
	assert_non_null(strstr(d.detail, "vendor"));
	assert_int_equal(d.cms_error, -1);
}

static void test_jobs_order_and_split_delay(void **state)
{
	(void)state;
	struct smpp_jobs *t = test_malloc(sizeof *t);
	struct pending_unit u = { .id = 5 };
	struct smpp_message proto = { .protocol_id = 0x7D, .message_state = -1 };
	struct otap_message msg = { .count = 2 };
	msg.parts[0].len = 2;
	memcpy(msg.parts[0].body, "p1", 2);
	msg.parts[1].len = 2;
	memcpy(msg.parts[1].body, "p2", 2);
	msg.parts[1].has_start = true;
	int64_t earliest;
	smpp_jobs_init(t);
	struct smpp_job *j = smpp_jobs_add(t, &u, &proto, &msg, 100, 1);
	assert_non_null(j);
	assert_ptr_equal(smpp_jobs_next_due(t, 100, &earliest), j);
	struct smpp_message m;
	smpp_job_message(j, &m);
	assert_int_equal(m.protocol_id, 0x7D);
	assert_memory_equal(m.sm, "p1", 2);
	smpp_job_submitted(j);
	/* In flight: part 2 does not go before part 1's answer. */
	assert_null(smpp_jobs_next_due(t, 10000, &earliest));
	assert_int_equal(earliest, INT64_MAX);
	assert_false(smpp_job_acked(j, "m1", 200, 5000));
	assert_null(smpp_jobs_next_due(t, 5199, &earliest));
	assert_int_equal(earliest, 5200);
	assert_ptr_equal(smpp_jobs_next_due(t, 5200, &earliest), j);
	smpp_job_submitted(j);
	smpp_job_resend(j, 6000, true);         /* the link dropped, it was written */
	assert_int_equal(j->unsure, 1);
	assert_ptr_equal(smpp_jobs_next_due(t, 6000, &earliest), j);
	smpp_job_submitted(j);
	assert_true(smpp_job_acked(j, "m2", 6100, 5000));
	assert_string_equal(j->parts[0].message_id, "m1");
	assert_string_equal(j->parts[1].message_id, "m2");
	assert_ptr_equal(smpp_jobs_find(t, 5), j);
	uint64_t tag = smpp_tag(5, 1);
	assert_int_equal(smpp_tag_job(tag), 5);
	assert_int_equal(smpp_tag_part(tag), 1);
	smpp_jobs_remove(t, j);
	assert_int_equal(smpp_jobs_count(t), 0);
	test_free(t);
}

static void test_url(void **state)
{
	(void)state;
	struct smpp_url u;
	assert_null(smpp_url_parse("smpp://otap@smsc.example.net:2775", &u));
	assert_string_equal(u.system_id, "otap");
	assert_string_equal(u.host, "smsc.example.net");
	assert_int_equal(u.port, 2775);
	assert_non_null(smpp_url_parse("smpp://smsc:2775", &u));
	assert_non_null(smpp_url_parse("smpp://1234567890123456@h:1", &u));
	assert_non_null(smpp_url_parse("smpp://a b@h:1", &u));
	assert_non_null(smpp_url_parse("smpp://a@h:0", &u));
	assert_non_null(smpp_url_parse("smpp://a@h:70000", &u));
	assert_non_null(smpp_url_parse("smpp://a@h/x:1", &u));
	assert_non_null(smpp_url_parse("tcp://h:1", &u));
}

static void test_message_fields(void **state)
{
	(void)state;
	struct otap_profile p = { .pid = 0x7D, .sms_class = 1, .status_report = true,
				  .validity_ms = 24LL * 3600 * 1000 };
	struct smpp_source src = { .addr = "OTAP", .ton = 5, .npi = 0 };
	struct smpp_message m;
	struct errbuf err;
	assert_int_equal(smpp_message_for(&p, "+491701234567", &src, &m, &err), 0);
	assert_string_equal(m.dest_addr, "491701234567");
	assert_int_equal(m.dest_ton, 1);
	assert_int_equal(m.dest_npi, 1);
	assert_int_equal(m.data_coding, 0xF5);
	assert_int_equal(m.registered_delivery, 1);
	assert_int_equal(m.esm_class, 0);
	assert_string_equal(m.validity_period, "000001000000000R");
	assert_string_equal(m.source_addr, "OTAP");
	p.sms_class = 0;
	p.pid = 0;
	p.status_report = false;
	assert_int_equal(smpp_message_for(&p, "01701234567", &src, &m, &err), 0);
	assert_int_equal(m.dest_ton, 0);
	assert_int_equal(m.data_coding, 0xF4);
	assert_int_equal(m.protocol_id, 0);
	assert_int_equal(m.registered_delivery, 0);
	char vp[SMPP_TIME_MAX];
	smpp_validity(12LL * 3600 * 1000 + 30 * 60 * 1000, vp);
	assert_string_equal(vp, "000000123000000R");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_submit_roundtrip),
		cmocka_unit_test(test_trace_masks_password),
		cmocka_unit_test(test_window_by_sequence),
		cmocka_unit_test(test_enquire_link_both_ways),
		cmocka_unit_test(test_bind_refused_and_unbind),
		cmocka_unit_test(test_written_or_not),
		cmocka_unit_test(test_submit_timeout_closes),
		cmocka_unit_test(test_receipts),
		cmocka_unit_test(test_status_classes),
		cmocka_unit_test(test_jobs_order_and_split_delay),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_message_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
