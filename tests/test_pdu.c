/* test_pdu.c - the SMS PDU codec: the spec's worked example byte for byte,
 * encoder options, validity periods, hand-built DELIVER/STATUS-REPORT PDUs,
 * malformed input, a garbage loop (run it under ASan) and the golden files
 * in tests/pdu/. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pdu.h"

/* The spec's worked example (§3), as one string. */
static const char spec_body[] =
	"OTAP_IMPNG\nPWD:secret\nJADURL:http://fw.example.com/app.jad\nSTART:install\n";
static const char spec_hex[] =
	"0011000C919471103254767DF5A7494F5441505F494D504E470A5057443A7365637265740A"
	"4A414455524C3A687474703A2F2F66772E6578616D706C652E636F6D2F6170702E6A61640A"
	"53544152543A696E7374616C6C0A";

#define MINUTE_MS INT64_C(60000)
#define HOUR_MS (60 * MINUTE_MS)
#define DAY_MS (24 * HOUR_MS)
#define WEEK_MS (7 * DAY_MS)

static struct pdu_submit spec_submit(void)
{
	struct pdu_submit s = {
		.smsc = NULL,
		.to = "+491701234567",
		.pid = PDU_PID_OTAP,
		.dcs = PDU_DCS_8BIT_CLASS1,
		.vp = 0xA7,
		.srr = false,
		.ud = (const uint8_t *)spec_body,
		.udl = sizeof spec_body - 1,
	};
	return s;
}

/* Encodes s and fails the test with the reason if that does not work. */
static void encode_ok(const struct pdu_submit *s, char *hex, int *tpdu_len)
{
	struct errbuf err = { "" };
	if (pdu_encode_submit(s, hex, PDU_HEX_MAX, tpdu_len, &err) < 0)
		fail_msg("encode failed: %s", err.msg);
}

static void decode_ok(const char *hex, bool with_smsc, struct pdu_decoded *d)
{
	struct errbuf err = { "" };
	if (pdu_decode(hex, with_smsc, d, &err) < 0)
		fail_msg("decode of %s failed: %s", hex, err.msg);
}

/* Decoding must fail and the reason must mention `hint`. */
static void decode_fails(const char *hex, bool with_smsc, const char *hint)
{
	struct errbuf err = { "" };
	struct pdu_decoded d;
	if (pdu_decode(hex, with_smsc, &d, &err) == 0)
		fail_msg("decode of \"%s\" succeeded, expected an error about \"%s\"", hex, hint);
	if (!strstr(err.msg, hint))
		fail_msg("decode of \"%s\": reason \"%s\" does not mention \"%s\"", hex, err.msg, hint);
}

/* ---------------------------------------------------- the spec example */

static void test_spec_example_encode(void **state)
{
	(void)state;
	struct pdu_submit s = spec_submit();
	char hex[PDU_HEX_MAX];
	int tpdu_len = -1;

	encode_ok(&s, hex, &tpdu_len);
	assert_string_equal(hex, spec_hex);
	assert_int_equal(tpdu_len, 87);
}

static void test_spec_example_decode(void **state)
{
	(void)state;
	struct pdu_decoded d;

	decode_ok(spec_hex, true, &d);
	assert_int_equal(d.type, PDU_TYPE_SUBMIT);
	assert_string_equal(d.smsc, "");
	assert_int_equal(d.first_octet, 0x11);
	assert_int_equal(d.mr, 0);
	assert_string_equal(d.addr, "+491701234567");
	assert_int_equal(d.addr_toa, 0x91);
	assert_int_equal(d.pid, 0x7D);
	assert_int_equal(d.dcs, 0xF5);
	assert_int_equal(d.coding, PDU_CODING_8BIT);
	assert_int_equal(d.msg_class, 1);
	assert_int_equal(d.vpf, 2);
	assert_int_equal(d.vp, 0xA7);
	assert_false(d.srr);
	assert_false(d.udhi);
	assert_int_equal(d.udl, 73);
	assert_memory_equal(d.ud, spec_body, 73);
}

/* Input hex may be lower case; output is always upper case. */
static void test_decode_accepts_lower_case(void **state)
{
	(void)state;
	char lower[sizeof spec_hex];
	struct pdu_decoded d;

	for (size_t i = 0; i < sizeof spec_hex; i++)
		lower[i] = (spec_hex[i] >= 'A' && spec_hex[i] <= 'F') ? (char)(spec_hex[i] + 32)
								      : spec_hex[i];
	decode_ok(lower, true, &d);
	assert_string_equal(d.addr, "+491701234567");
	assert_int_equal(d.udl, 73);
}

/* Without the SMSC field the same TPDU decodes identically. */
static void test_decode_without_smsc(void **state)
{
	(void)state;
	struct pdu_decoded d;

	decode_ok(spec_hex + 2, false, &d);
	assert_int_equal(d.type, PDU_TYPE_SUBMIT);
	assert_string_equal(d.addr, "+491701234567");
	assert_memory_equal(d.ud, spec_body, 73);
}

/* ------------------------------------------------------ encoder options */

/* Encodes s with a tiny body "X" and returns the hex in a static buffer. */
static const char *encode_small(struct pdu_submit s, int *tpdu_len)
{
	static char hex[PDU_HEX_MAX];
	s.ud = (const uint8_t *)"X";
	s.udl = 1;
	encode_ok(&s, hex, tpdu_len);
	return hex;
}

static void test_even_and_odd_digit_counts(void **state)
{
	(void)state;
	struct pdu_submit s = spec_submit();
	int len;

	/* SMSC 00 | FO 11 | MR 00 | DA len 0D, TOA 91, 9471103254 76 F8 |
	 * PID 7D | DCS F5 | VP A7 | UDL 01 | 'X' */
	s.to = "+4917012345678";
	assert_string_equal(encode_small(s, &len), "0011000D91947110325476F87DF5A70158");
	assert_int_equal(len, 16);
	/* 12 digits: no filler. */
	s.to = "+491701234567";
	assert_string_equal(encode_small(s, &len), "0011000C919471103254767DF5A70158");
	assert_int_equal(len, 15);
	/* One digit: "1F" swapped -> F1. */
	s.to = "+1";
	assert_string_equal(encode_small(s, &len), "0011000191F17DF5A70158");
	assert_int_equal(len, 10);
}

static void test_national_number_uses_toa_81(void **state)
{
	(void)state;
	struct pdu_submit s = spec_submit();
	int len;

	/* 01701234567: 11 digits, TOA 81, 10 07 21 43 65 F7 */
	s.to = "01701234567";
	assert_string_equal(encode_small(s, &len), "0011000B811007214365F77DF5A70158");
}

static void test_smsc_configured_vs_sim(void **state)
{
	(void)state;
	struct pdu_submit s = spec_submit();
	int len;

	/* International SMSC: length 07 = TOA + 6 octets, 91, 94 71 01 67 00 00. */
	s.smsc = "+491710760000";
	assert_string_equal(encode_small(s, &len),
			    "0791947101670000" "11000C919471103254767DF5A70158");
	assert_int_equal(len, 15);      /* the SMSC field never counts */
	/* National SMSC with an odd digit count: TOA 81, 10 17 70 06 F0. */
	s.smsc = "017107600";
	assert_string_equal(encode_small(s, &len),
			    "068110177006F0" "11000C919471103254767DF5A70158");
	assert_int_equal(len, 15);
	/* "" means the SIM's SMSC, like NULL. */
	s.smsc = "";
	assert_string_equal(encode_small(s, &len), "0011000C919471103254767DF5A70158");
}

static void test_pid_class_and_srr(void **state)
{
	(void)state;
	struct pdu_submit s = spec_submit();
	int len;

	s.pid = PDU_PID_PLAIN;
	s.dcs = pdu_dcs_8bit(0);
	s.srr = true;
	/* FO 31 (SRR), PID 00, DCS F4 */
	assert_string_equal(encode_small(s, &len), "0031000C91947110325476" "00F4A70158");
	s.pid = PDU_PID_OTAP;
	s.dcs = pdu_dcs_8bit(1);
	s.srr = false;
	assert_string_equal(encode_small(s, &len), "0011000C91947110325476" "7DF5A70158");
}

static void test_dcs_8bit(void **state)
{
	(void)state;
	assert_int_equal(pdu_dcs_8bit(1), 0xF5);
	assert_int_equal(pdu_dcs_8bit(0), 0xF4);
	assert_int_equal(PDU_DCS_8BIT_CLASS1, 0xF5);
	assert_int_equal(PDU_DCS_8BIT_CLASS0, 0xF4);
}

static void test_empty_body_and_full_body(void **state)
{
	(void)state;
	struct pdu_submit s = spec_submit();
	uint8_t body[PDU_UD_MAX];
	char hex[PDU_HEX_MAX];
	int len;

	s.ud = NULL;
	s.udl = 0;
	encode_ok(&s, hex, &len);
	assert_string_equal(hex, "0011000C919471103254767DF5A700");
	assert_int_equal(len, 14);

	memset(body, 0xAB, sizeof body);
	s.ud = body;
	s.udl = sizeof body;
	encode_ok(&s, hex, &len);
	assert_int_equal(len, 14 + PDU_UD_MAX);
	assert_int_equal(strlen(hex), 2 * (1 + 14 + PDU_UD_MAX));
	assert_memory_equal(hex + 28, "8C", 2);         /* UDL 140 */
}

/* Encodes s and expects a failure whose reason mentions hint. */
static void encode_fails(const struct pdu_submit *s, size_t hexcap, const char *hint)
{
	char hex[PDU_HEX_MAX];
	struct errbuf err = { "" };
	int len = -1;

	if (pdu_encode_submit(s, hex, hexcap, &len, &err) == 0)
		fail_msg("encode succeeded, expected an error about \"%s\"", hint);
	if (!strstr(err.msg, hint))
		fail_msg("reason \"%s\" does not mention \"%s\"", err.msg, hint);
}

static void test_encode_rejects_bad_input(void **state)
{
	(void)state;
	struct pdu_submit s = spec_submit();
	uint8_t big[PDU_UD_MAX + 1] = { 0 };

	s.to = "+49 170";
	encode_fails(&s, PDU_HEX_MAX, "destination");
	s.to = "";
	encode_fails(&s, PDU_HEX_MAX, "destination");
	s.to = NULL;
	encode_fails(&s, PDU_HEX_MAX, "destination");
	s.to = "+1234567890123456";
	encode_fails(&s, PDU_HEX_MAX, "15 digits");

	s = spec_submit();
	s.smsc = "+49abc";
	encode_fails(&s, PDU_HEX_MAX, "SMSC");

	s = spec_submit();
	s.ud = big;
	s.udl = sizeof big;
	encode_fails(&s, PDU_HEX_MAX, "at most 140");
	s.ud = NULL;
	s.udl = 3;
	encode_fails(&s, PDU_HEX_MAX, "NULL");

	s = spec_submit();
	s.dcs = 0x00;           /* 7-bit: the UDL would count septets */
	encode_fails(&s, PDU_HEX_MAX, "8-bit");

	s = spec_submit();
	encode_fails(&s, 2 * 88, "buffer");     /* needs 2*88+1 */
}

/* ------------------------------------------------------ validity period */

static void test_vp_to_ms_boundaries(void **state)
{
	(void)state;
	assert_int_equal(pdu_vp_to_ms(0x00), 5 * MINUTE_MS);
	assert_int_equal(pdu_vp_to_ms(0x01), 10 * MINUTE_MS);
	assert_int_equal(pdu_vp_to_ms(143), 12 * HOUR_MS);
	assert_int_equal(pdu_vp_to_ms(144), 12 * HOUR_MS + 30 * MINUTE_MS);
	assert_int_equal(pdu_vp_to_ms(167), 24 * HOUR_MS);
	assert_int_equal(pdu_vp_to_ms(168), 2 * DAY_MS);
	assert_int_equal(pdu_vp_to_ms(196), 30 * DAY_MS);
	assert_int_equal(pdu_vp_to_ms(197), 5 * WEEK_MS);
	assert_int_equal(pdu_vp_to_ms(255), 63 * WEEK_MS);
}

static void test_vp_from_ms_boundaries(void **state)
{
	(void)state;
	assert_int_equal(pdu_vp_from_ms(24 * HOUR_MS), 0xA7);
	assert_int_equal(pdu_vp_from_ms(INT64_MIN), 0x00);
	assert_int_equal(pdu_vp_from_ms(-1), 0x00);
	assert_int_equal(pdu_vp_from_ms(0), 0x00);
	assert_int_equal(pdu_vp_from_ms(1), 0x00);
	assert_int_equal(pdu_vp_from_ms(5 * MINUTE_MS), 0x00);
	assert_int_equal(pdu_vp_from_ms(5 * MINUTE_MS + 1), 0x01);
	assert_int_equal(pdu_vp_from_ms(12 * HOUR_MS), 143);
	assert_int_equal(pdu_vp_from_ms(12 * HOUR_MS + 1), 144);
	assert_int_equal(pdu_vp_from_ms(24 * HOUR_MS + 1), 168);
	assert_int_equal(pdu_vp_from_ms(2 * DAY_MS), 168);
	assert_int_equal(pdu_vp_from_ms(30 * DAY_MS), 196);
	assert_int_equal(pdu_vp_from_ms(30 * DAY_MS + 1), 197);
	assert_int_equal(pdu_vp_from_ms(5 * WEEK_MS), 197);
	assert_int_equal(pdu_vp_from_ms(63 * WEEK_MS), 0xFF);
	assert_int_equal(pdu_vp_from_ms(63 * WEEK_MS + 1), 0xFF);
	assert_int_equal(pdu_vp_from_ms(INT64_MAX), 0xFF);
}

/* Every octet is the exact value of its own duration, and one ms less
 * still rounds up to it (never expire earlier than asked). */
static void test_vp_round_trips_every_octet(void **state)
{
	(void)state;
	for (int v = 0; v <= 255; v++) {
		int64_t ms = pdu_vp_to_ms((uint8_t)v);
		assert_int_equal(pdu_vp_from_ms(ms), v);
		if (v > 0) {
			assert_int_equal(pdu_vp_from_ms(ms - 1), v);
			assert_true(pdu_vp_to_ms((uint8_t)(v - 1)) < ms);
		}
	}
}

/* ----------------------------------------------------------- round trip */

static void test_round_trip_fields_and_body(void **state)
{
	(void)state;
	const char *numbers[] = { "+491701234567", "+4917012345678", "01701234567", "+1",
				  "123456789012345" };
	const char *smscs[] = { NULL, "+491710760000", "0171076000" };
	uint8_t body[PDU_UD_MAX];

	for (size_t i = 0; i < sizeof body; i++)
		body[i] = (uint8_t)(i * 37 + 5);        /* every kind of octet, NUL included */
	for (size_t n = 0; n < sizeof numbers / sizeof numbers[0]; n++) {
		for (size_t m = 0; m < sizeof smscs / sizeof smscs[0]; m++) {
			for (int opt = 0; opt < 8; opt++) {
				struct pdu_submit s = {
					.smsc = smscs[m], .to = numbers[n],
					.pid = (opt & 1) ? PDU_PID_PLAIN : PDU_PID_OTAP,
					.dcs = pdu_dcs_8bit((opt & 2) ? 0 : 1),
					.srr = (opt & 4) != 0,
					.vp = (uint8_t)(opt * 31),
					.ud = body, .udl = (size_t)(n * 29 + m * 7 + opt) % (PDU_UD_MAX + 1),
				};
				char hex[PDU_HEX_MAX];
				int len;
				struct pdu_decoded d;
				encode_ok(&s, hex, &len);
				decode_ok(hex, true, &d);
				assert_int_equal(d.type, PDU_TYPE_SUBMIT);
				assert_string_equal(d.smsc, smscs[m] ? smscs[m] : "");
				assert_string_equal(d.addr, numbers[n]);
				assert_int_equal(d.addr_toa, numbers[n][0] == '+' ? 0x91 : 0x81);
				assert_int_equal(d.pid, s.pid);
				assert_int_equal(d.dcs, s.dcs);
				assert_int_equal(d.msg_class, (opt & 2) ? 0 : 1);
				assert_int_equal(d.coding, PDU_CODING_8BIT);
				assert_int_equal(d.srr, s.srr);
				assert_int_equal(d.vpf, 2);
				assert_int_equal(d.vp, s.vp);
				assert_int_equal(d.udl, s.udl);
				if (s.udl)
					assert_memory_equal(d.ud, body, s.udl);
				/* tpdu_len is what follows the SMSC field. */
				assert_int_equal(strlen(hex) / 2 - len, 1 + (hex[0] - '0') * 16 +
						 (hex[1] >= 'A' ? hex[1] - 'A' + 10 : hex[1] - '0'));
			}
		}
	}
}

/* --------------------------------------------- hand-built PDUs to decode */

static void test_decode_deliver_8bit(void **state)
{
	(void)state;
	struct pdu_decoded d;
	const char *hex =
		"07" "91" "947101670000"  /* SMSC: 7 octets, international, +491710760000 */
		"04"                      /* SMS-DELIVER, MMS (no more messages) */
		"0C" "91" "947110325476"  /* OA: 12 digits, international, +491701234567 */
		"7D"                      /* PID: ME data download */
		"F4"                      /* DCS: class 0, 8-bit */
		"42305121430080"          /* SCTS: 24-03-15 12:34:00, +08 quarters (+2 h) */
		"03"                      /* UDL: 3 octets */
		"4F4B0A";                 /* "OK\n" */

	decode_ok(hex, true, &d);
	assert_int_equal(d.type, PDU_TYPE_DELIVER);
	assert_string_equal(d.smsc, "+491710760000");
	assert_int_equal(d.first_octet, 0x04);
	assert_string_equal(d.addr, "+491701234567");
	assert_int_equal(d.addr_toa, 0x91);
	assert_int_equal(d.pid, 0x7D);
	assert_int_equal(d.dcs, 0xF4);
	assert_int_equal(d.msg_class, 0);
	assert_int_equal(d.coding, PDU_CODING_8BIT);
	assert_string_equal(d.scts, "24-03-15 12:34:00+08");
	assert_int_equal(d.udl, 3);
	assert_memory_equal(d.ud, "OK\n", 3);
	assert_int_equal(d.mr, 0);              /* DELIVER has no MR */
	assert_string_equal(d.dt, "");
}

static void test_decode_deliver_7bit_alphanumeric(void **state)
{
	(void)state;
	struct pdu_decoded d;
	const char *hex =
		"00"                      /* no SMSC */
		"24"                      /* SMS-DELIVER, MMS, SRI (bit 5) */
		"0D" "D0" "D432BBBC7EB701" /* OA: 13 semi-octets, alphanumeric, "Telekom" */
		"00"                      /* PID */
		"00"                      /* DCS: 7-bit, no class */
		"4230512143004A"          /* SCTS: 24-03-15 12:34:00, tz 0x4A = -24 quarters */
		"0A"                      /* UDL: 10 septets */
		"E8329BFD4697D9EC37";     /* "hellohello" packed */

	decode_ok(hex, true, &d);
	assert_int_equal(d.type, PDU_TYPE_DELIVER);
	assert_string_equal(d.addr, "Telekom");
	assert_int_equal(d.addr_toa, 0xD0);
	assert_int_equal(d.coding, PDU_CODING_7BIT);
	assert_int_equal(d.msg_class, -1);
	assert_string_equal(d.scts, "24-03-15 12:34:00-24");
	assert_int_equal(d.udl, 10);
	assert_memory_equal(d.ud, "hellohello", 10);
}

static void test_decode_7bit_escapes_and_accents(void **state)
{
	(void)state;
	struct pdu_decoded d;
	const char *hex =
		"00" "04" "0191F1" "00"   /* no SMSC, DELIVER, OA "+1", PID */
		"F0"                      /* DCS: group 1111, 7-bit, class 0 */
		"42305121430000"          /* SCTS */
		"0A"                      /* UDL: 10 septets: a ESC( b ESC) ESC-euro @ _ */
		"E10D4ABC496DCA8008";

	decode_ok(hex, true, &d);
	assert_int_equal(d.msg_class, 0);
	assert_int_equal(d.coding, PDU_CODING_7BIT);
	/* Escapes take two septets each and give one character. */
	assert_int_equal(d.udl, 7);
	assert_memory_equal(d.ud, "a{b}E@_", 7);
}

static void test_decode_7bit_with_udh(void **state)
{
	(void)state;
	struct pdu_decoded d;
	const char *hex =
		"00" "44"                 /* no SMSC; DELIVER with UDHI (bit 6) */
		"0191F1" "00" "00"        /* OA "+1", PID 00, DCS 7-bit */
		"42305121430000"          /* SCTS */
		"09"                      /* UDL: 9 septets = 7 for the UDH (+1 fill bit) + 2 */
		"050003AB0201"            /* UDH: concatenation ref AB, 2 parts, part 1 */
		"9069";                   /* "Hi" after one fill bit */

	decode_ok(hex, true, &d);
	assert_true(d.udhi);
	assert_int_equal(d.udl, 6 + 2);
	assert_memory_equal(d.ud, "\x05\x00\x03\xAB\x02\x01" "Hi", 8);
}

static void test_decode_ucs2_kept_raw(void **state)
{
	(void)state;
	struct pdu_decoded d;
	const char *hex =
		"00" "00" "0191F1" "00"   /* no SMSC, DELIVER, OA "+1", PID */
		"08"                      /* DCS: UCS2, no class */
		"42305121430000"
		"04" "00480069";          /* UDL 4 octets: "Hi" in UCS2 */

	decode_ok(hex, true, &d);
	assert_int_equal(d.coding, PDU_CODING_UCS2);
	assert_int_equal(d.udl, 4);
	assert_memory_equal(d.ud, "\x00\x48\x00\x69", 4);
}

static void test_dcs_groups(void **state)
{
	(void)state;
	static const struct {
		const char *dcs;
		enum pdu_coding coding;
		int msg_class;
		const char *ud;         /* UDL + UD fitting the coding */
	} cases[] = {
		{ "00", PDU_CODING_7BIT, -1, "0141" },
		{ "04", PDU_CODING_8BIT, -1, "0141" },
		{ "11", PDU_CODING_7BIT, 1, "0141" },
		{ "1A", PDU_CODING_UCS2, 2, "020041" },
		{ "15", PDU_CODING_8BIT, 1, "0141" },
		{ "0C", PDU_CODING_RESERVED, -1, "0141" },
		{ "24", PDU_CODING_8BIT, -1, "0141" },  /* compressed */
		{ "44", PDU_CODING_8BIT, -1, "0141" },  /* auto-deletion group */
		{ "C0", PDU_CODING_7BIT, -1, "0141" },  /* MWI discard */
		{ "D8", PDU_CODING_7BIT, -1, "0141" },  /* MWI store */
		{ "E0", PDU_CODING_UCS2, -1, "020041" },
		{ "F3", PDU_CODING_7BIT, 3, "0141" },
		{ "F6", PDU_CODING_8BIT, 2, "0141" },
		{ "80", PDU_CODING_7BIT, -1, "0141" },  /* reserved group */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char hex[128];
		struct pdu_decoded d;
		snprintf(hex, sizeof hex, "0011000191F100%sA7%s", cases[i].dcs, cases[i].ud);
		decode_ok(hex, true, &d);
		if (d.coding != cases[i].coding || d.msg_class != cases[i].msg_class)
			fail_msg("DCS %s: coding %d class %d, expected %d %d", cases[i].dcs,
				 d.coding, d.msg_class, cases[i].coding, cases[i].msg_class);
	}
}

static void test_decode_submit_vp_formats(void **state)
{
	(void)state;
	struct pdu_decoded d;

	/* FO 01: no VP; straight from DCS to UDL. */
	decode_ok("0001000191F17DF50141", true, &d);
	assert_int_equal(d.vpf, 0);
	assert_int_equal(d.udl, 1);
	/* FO 19: absolute VP (VPF 11), 7 octets skipped. */
	decode_ok("0019000191F17DF5" "42305121430000" "0141", true, &d);
	assert_int_equal(d.vpf, 3);
	assert_int_equal(d.udl, 1);
	/* FO 09: enhanced VP (VPF 01), 7 octets skipped. */
	decode_ok("0009000191F17DF5" "01020000000000" "0141", true, &d);
	assert_int_equal(d.vpf, 1);
	/* Absolute VP cut short. */
	decode_fails("0019000191F17DF5" "423051214300", true, "TP-VP");
}

static void test_decode_status_report(void **state)
{
	(void)state;
	struct pdu_decoded d;
	const char *hex =
		"00"                      /* no SMSC */
		"26"                      /* SMS-STATUS-REPORT (10), MMS, SRQ (bit 5) */
		"2A"                      /* TP-MR 42 */
		"0C" "91" "947110325476"  /* RA: +491701234567 */
		"42305121430080"          /* SCTS 24-03-15 12:34:00+08 */
		"42305121530180"          /* DT   24-03-15 12:35:10+08 */
		"00";                     /* TP-ST: delivered */

	decode_ok(hex, true, &d);
	assert_int_equal(d.type, PDU_TYPE_STATUS_REPORT);
	assert_int_equal(d.first_octet, 0x26);
	assert_int_equal(d.mr, 42);
	assert_true(d.srr);
	assert_string_equal(d.addr, "+491701234567");
	assert_string_equal(d.scts, "24-03-15 12:34:00+08");
	assert_string_equal(d.dt, "24-03-15 12:35:10+08");
	assert_int_equal(d.st, 0x00);
	assert_int_equal(d.pi, 0);
	assert_int_equal(d.udl, 0);
}

static void test_decode_status_report_with_pi(void **state)
{
	(void)state;
	struct pdu_decoded d;
	const char *hex =
		"06" "2A"                 /* SMS-STATUS-REPORT, MR 42 (no SMSC field) */
		"0B" "81" "1007214365F7"  /* RA: 11 digits, national, 01701234567 */
		"42305121430000"          /* SCTS */
		"42305121530100"          /* DT */
		"46"                      /* TP-ST: permanent, validity period expired */
		"87" "00"                 /* TP-PI: PID+DCS+UDL, extension bit; ext octet 00 */
		"7D" "F5"                 /* PID, DCS class 1 8-bit */
		"02" "4F4B";              /* UDL 2 octets "OK" */

	decode_ok(hex, false, &d);
	assert_int_equal(d.type, PDU_TYPE_STATUS_REPORT);
	assert_string_equal(d.addr, "01701234567");
	assert_int_equal(d.addr_toa, 0x81);
	assert_int_equal(d.st, 0x46);
	assert_int_equal(d.pi, 0x87);
	assert_int_equal(d.pid, 0x7D);
	assert_int_equal(d.dcs, 0xF5);
	assert_int_equal(d.msg_class, 1);
	assert_int_equal(d.udl, 2);
	assert_memory_equal(d.ud, "OK", 2);

	/* PI announcing only the PID: the report ends after it. */
	decode_ok("062A0B811007214365F7" "42305121430000" "42305121530100" "20" "01" "00",
		  false, &d);
	assert_int_equal(d.st, 0x20);
	assert_int_equal(d.udl, 0);
	/* PI announcing a PID that is missing. */
	decode_fails("062A0B811007214365F7" "42305121430000" "42305121530100" "20" "01",
		     false, "TP-PID");
}

/* ------------------------------------------------------ malformed input */

static void test_malformed_basics(void **state)
{
	(void)state;
	decode_fails("", true, "empty");
	decode_fails("0", true, "odd");
	decode_fails("0011000C919471103254767DF5A7000", true, "odd");
	decode_fails("0011000C91947110325476ZDF5A700", true, "'Z'");
	decode_fails("0011000C91947110325476 7DF5A700", true, "position 23");
	decode_fails("0011000C91947110325476\n7DF5A700", true, "0x0A");
	decode_fails("0013000C919471103254767DF5A700", true, "reserved");      /* MTI 11 */
	decode_fails("00", true, "first octet");
	/* DA of 21 digits. */
	decode_fails("00110015919471103254769471103254769471103254767DF5A700", true,
		     "at most 20");
	/* SMSC length 12. */
	decode_fails("0C91947110325476947110325476" "11000191F17DF5A700", true, "SMSC length");
	/* Trailing junk after UD. */
	decode_fails("0011000191F17DF5A7014142", true, "unexpected");
	/* UDHI set but the header does not fit / UDL 0. */
	decode_fails("0051000191F17DF5A70105", true, "TP-UDH");
	decode_fails("0051000191F17DF5A700", true, "TP-UDHI");
	decode_fails("0051000191F17DF5A701FF", true, "TP-UDH");
}

static void test_malformed_lengths(void **state)
{
	(void)state;
	char hex[1024];
	size_t n;

	/* 8-bit UDL 141 with 141 octets present: over the 140 limit. */
	n = (size_t)snprintf(hex, sizeof hex, "0011000191F17DF5A78D");
	for (int i = 0; i < 141; i++)
		n += (size_t)snprintf(hex + n, sizeof hex - n, "41");
	decode_fails(hex, true, "at most 140");
	/* 7-bit UDL 161 septets (141 octets present): over the 160 limit. */
	n = (size_t)snprintf(hex, sizeof hex, "0011000191F17D00A7A1");
	for (int i = 0; i < 141; i++)
		n += (size_t)snprintf(hex + n, sizeof hex - n, "41");
	decode_fails(hex, true, "at most 160");
	/* UDL larger than what remains. */
	decode_fails("0011000191F17DF5A7054142", true, "truncated");
	decode_fails("0011000191F17D00A70A4142", true, "truncated");
	/* Longer than any PDU. */
	memset(hex, '0', 600);
	hex[600] = '\0';
	decode_fails(hex, true, "at most");
}

/* Every prefix of a valid PDU: a clean error, or success only where the
 * format allows the PDU to end there. Run under ASan to catch over-reads. */
static void check_truncations(const char *full, bool with_smsc, size_t min_ok_len)
{
	size_t len = strlen(full);
	char *buf = malloc(len + 1);
	assert_non_null(buf);
	for (size_t cut = 0; cut < len; cut++) {
		/* Exact-size heap copy so an over-read is an ASan error. */
		memcpy(buf, full, cut);
		buf[cut] = '\0';
		struct errbuf err = { "" };
		struct pdu_decoded d;
		int rc = pdu_decode(buf, with_smsc, &d, &err);
		if (rc == 0 && (cut < min_ok_len || cut % 2))
			fail_msg("prefix of %zu hex digits of %s decoded", cut, full);
		if (rc < 0 && err.msg[0] == '\0')
			fail_msg("prefix of %zu hex digits failed without a reason", cut);
	}
	free(buf);
}

static void test_every_truncation_fails_cleanly(void **state)
{
	(void)state;
	check_truncations(spec_hex, true, SIZE_MAX);
	check_truncations("0791947101670000" "04" "0C91947110325476" "7DF4" "42305121430080"
			  "03" "4F4B0A", true, SIZE_MAX);
	check_truncations("00" "24" "0DD0D432BBBC7EB701" "0000" "4230512143004A"
			  "0A" "E8329BFD4697D9EC37", true, SIZE_MAX);
	/* A status report may end after TP-ST (26 octets = 52 hex digits,
	 * the no-SMSC "00" included), or after the PI-announced fields. */
	const char *sr = "00" "06" "2A" "0B811007214365F7" "42305121430000" "42305121530100"
			 "46" "07" "7D" "F5" "02" "4F4B";
	check_truncations(sr, true, 0);
	struct pdu_decoded d;
	char buf[128];
	for (size_t cut = 2; cut <= strlen(sr); cut += 2) {
		memcpy(buf, sr, cut);
		buf[cut] = '\0';
		bool ok = pdu_decode(buf, true, &d, NULL) == 0;
		assert_int_equal(ok, cut == 52 || cut == strlen(sr));
	}
}

/* xorshift64*: a fixed-seed generator, so failures reproduce. */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Du) >> 32);
}

/* Whatever decoded must be self-consistent: terminated strings, UDL in range. */
static void check_sane(const struct pdu_decoded *d)
{
	assert_true(memchr(d->smsc, '\0', sizeof d->smsc) != NULL);
	assert_true(memchr(d->addr, '\0', sizeof d->addr) != NULL);
	assert_true(memchr(d->scts, '\0', sizeof d->scts) != NULL);
	assert_true(memchr(d->dt, '\0', sizeof d->dt) != NULL);
	assert_true(d->udl <= sizeof d->ud);
	assert_true(d->msg_class >= -1 && d->msg_class <= 3);
}

/* Exercises one heap string of exactly len+1 bytes. */
static int fuzz_one(const char *text, size_t len, bool with_smsc)
{
	char *buf = malloc(len + 1);
	assert_non_null(buf);
	memcpy(buf, text, len);
	buf[len] = '\0';
	struct errbuf err;
	struct pdu_decoded d;
	int rc = pdu_decode(buf, with_smsc, &d, &err);
	if (rc == 0)
		check_sane(&d);
	else
		assert_true(err.msg[0] != '\0');
	free(buf);
	return rc == 0;
}

static void test_garbage_never_crashes(void **state)
{
	(void)state;
	static const char digits[] = "0123456789ABCDEF";
	static const char *seeds[] = {
		spec_hex,
		"0791947101670000" "04" "0C91947110325476" "7DF4" "42305121430080" "03" "4F4B0A",
		"00240DD0D432BBBC7EB70100004230512143004A0AE8329BFD4697D9EC37",
		"00440191F1000042305121430000" "09050003AB02019069",
		"00062A0B811007214365F7423051214300004230512153010046077DF5024F4B",
	};
	char text[520];
	int decoded = 0;

	/* Random hex of random length: mostly rejected early. */
	for (int i = 0; i < 100000; i++) {
		size_t len = rng() % 400;
		for (size_t j = 0; j < len; j++)
			text[j] = digits[rng() % 16];
		decoded += fuzz_one(text, len, rng() & 1);
	}
	/* Mutations of valid PDUs reach the deep paths (UDH, PI, 7-bit). */
	for (int i = 0; i < 100000; i++) {
		const char *seed = seeds[rng() % (sizeof seeds / sizeof seeds[0])];
		size_t len = strlen(seed);
		memcpy(text, seed, len);
		for (int k = (int)(rng() % 4); k >= 0; k--)
			text[rng() % len] = digits[rng() % 16];
		if (rng() % 4 == 0)
			len = rng() % (len + 1);
		decoded += fuzz_one(text, len, true);
	}
	/* Not a correctness claim, just proof the loop reached the decoder's end. */
	assert_true(decoded > 1000);
}

/* ------------------------------------------------------------- helpers */

static void test_hex_helpers(void **state)
{
	(void)state;
	uint8_t buf[4];
	char out[9];

	hex_encode((const uint8_t *)"\x00\x7D\xF5\xff", 4, out);
	assert_string_equal(out, "007DF5FF");
	hex_encode(NULL, 0, out);
	assert_string_equal(out, "");
	assert_int_equal(hex_decode("007df5FF", 8, buf, sizeof buf), 4);
	assert_memory_equal(buf, "\x00\x7D\xF5\xFF", 4);
	assert_int_equal(hex_decode("007", 3, buf, sizeof buf), -1);
	assert_int_equal(hex_decode("0G", 2, buf, sizeof buf), -1);
	assert_int_equal(hex_decode("0011223344", 10, buf, sizeof buf), -1);   /* too big */
	/* hexlen limits what is read: the bad digit after it is never seen. */
	assert_int_equal(hex_decode("41ZZ", 2, buf, sizeof buf), 1);
	assert_int_equal(buf[0], 0x41);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(pdu_type_name(PDU_TYPE_SUBMIT), "SMS-SUBMIT");
	assert_string_equal(pdu_type_name(PDU_TYPE_DELIVER), "SMS-DELIVER");
	assert_string_equal(pdu_type_name(PDU_TYPE_STATUS_REPORT), "SMS-STATUS-REPORT");
}

/* ------------------------------------------------------ otapctl decode */

#define OTAPCTL OTAP_BIN_DIR "/otapctl"

/* Runs `otapctl decode ARGS` (stdout+stderr into out); returns the exit code. */
static int run_decode(const char *args, char *out, size_t cap)
{
	char cmd[2048];
	size_t n = 0;

	snprintf(cmd, sizeof cmd, "'%s' decode %s 2>&1", OTAPCTL, args);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	while (n + 1 < cap && fgets(out + n, (int)(cap - n), p))
		n += strlen(out + n);
	out[n] = '\0';
	int status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void assert_contains(const char *out, const char *want)
{
	if (!strstr(out, want))
		fail_msg("output lacks \"%s\":\n%s", want, out);
}

/* The CLI is built alongside; when only this test was built, skip. */
static void test_cli_decode(void **state)
{
	(void)state;
	char out[4096], args[1024];

	if (access(OTAPCTL, X_OK) != 0)
		skip();
	snprintf(args, sizeof args, "%s", spec_hex);
	assert_int_equal(run_decode(args, out, sizeof out), 0);
	assert_contains(out, "type: SMS-SUBMIT\n");
	assert_contains(out, "first_octet: 0x11\n");
	assert_contains(out, "to: +491701234567\n");
	assert_contains(out, "toa: 0x91 (international)\n");
	assert_contains(out, "pid: 0x7D (ME data download)\n");
	assert_contains(out, "dcs: 0xF5 (class 1, 8-bit)\n");
	assert_contains(out, "vp: 0xA7 (24h)\n");
	assert_contains(out, "srr: no\n");
	assert_contains(out, "udl: 73\n");
	/* The OTAP password is masked unless asked for. */
	assert_contains(out, "body: OTAP_IMPNG\\nPWD:******\\nJADURL:http://fw.example.com/"
			"app.jad\\nSTART:install\\n\n");
	assert_null(strstr(out, "secret"));
	snprintf(args, sizeof args, "--show-secrets %.74s %s", spec_hex, spec_hex + 74);
	assert_int_equal(run_decode(args, out, sizeof out), 0);
	assert_contains(out, "PWD:secret\\n");

	assert_int_equal(run_decode("00062A0C91947110325476423051214300804230512153018000",
				    out, sizeof out), 0);
	assert_contains(out, "type: SMS-STATUS-REPORT\n");
	assert_contains(out, "recipient: +491701234567\n");
	assert_contains(out, "dt: 24-03-15 12:35:10+08\n");
	assert_contains(out, "status: 0x00 (delivered");

	assert_int_equal(run_decode("00040C919471103254767DF44230512143008006414243440A0B",
				    out, sizeof out), 0);
	assert_contains(out, "from: +491701234567\n");
	assert_contains(out, "body: ABCD\\n\\x0B\n");

	assert_int_equal(run_decode("--no-smsc 11000191F17DF5900141", out, sizeof out), 0);
	assert_contains(out, "vp: 0x90 (12h30m)\n");

	assert_int_equal(run_decode("00ZZ", out, sizeof out), 2);
	assert_contains(out, "not a hex digit");
	assert_int_equal(run_decode("11000191F17DF5A70141", out, sizeof out), 2);
	assert_contains(out, "--no-smsc");
	assert_int_equal(run_decode("", out, sizeof out), 2);
	assert_int_equal(run_decode("--frobnicate 00", out, sizeof out), 2);
	assert_int_equal(run_decode("--help", out, sizeof out), 0);
	assert_contains(out, "usage:");
}

/* --------------------------------------------------------- golden files */

/* Turns \n \r \t \\ \xHH into bytes; returns the length. */
static size_t unescape(const char *in, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (*in && n < cap) {
		if (in[0] != '\\' || in[1] == '\0') {
			out[n++] = (uint8_t)*in++;
			continue;
		}
		char c = in[1];
		in += 2;
		if (c == 'n')
			out[n++] = '\n';
		else if (c == 'r')
			out[n++] = '\r';
		else if (c == 't')
			out[n++] = '\t';
		else if (c == 'x' && in[0] && in[1]) {
			char h[3] = { in[0], in[1], '\0' };
			out[n++] = (uint8_t)strtoul(h, NULL, 16);
			in += 2;
		} else
			out[n++] = (uint8_t)c;
	}
	return n;
}

struct golden {
	char key[32][32];
	char val[32][600];
	int n;
};

static const char *golden_get(const struct golden *g, const char *key)
{
	for (int i = 0; i < g->n; i++)
		if (strcmp(g->key[i], key) == 0)
			return g->val[i];
	return NULL;
}

static void golden_load(const char *path, struct golden *g)
{
	FILE *f = fopen(path, "r");
	char line[700];

	if (!f)
		fail_msg("cannot open %s", path);
	g->n = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *colon = strstr(line, ": ");
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (!colon || g->n == 32)
			fail_msg("%s: bad line \"%s\"", path, line);
		*colon = '\0';
		if (strlen(line) >= sizeof g->key[0] || strlen(colon + 2) >= sizeof g->val[0])
			fail_msg("%s: key or value too long on line \"%s\"", path, line);
		memcpy(g->key[g->n], line, strlen(line) + 1);
		memcpy(g->val[g->n], colon + 2, strlen(colon + 2) + 1);
		g->n++;
	}
	fclose(f);
}

/* Compares one optional numeric field written as hex ("7D") or decimal. */
static void golden_num(const char *path, const struct golden *g, const char *key,
		       long actual, int base)
{
	const char *want = golden_get(g, key);
	if (!want || strtol(want, NULL, base) == actual)
		return;
	if (base == 16)
		fail_msg("%s: %s is %lX, file says %s", path, key, actual, want);
	fail_msg("%s: %s is %ld, file says %s", path, key, actual, want);
}

static void golden_str(const char *path, const struct golden *g, const char *key,
		       const char *actual)
{
	const char *want = golden_get(g, key);
	if (want && strcmp(want, actual) != 0)
		fail_msg("%s: %s is \"%s\", file says \"%s\"", path, key, actual, want);
}

static const char *coding_label(enum pdu_coding c)
{
	static const char *const names[] = { "7bit", "8bit", "ucs2", "reserved" };
	return names[c];
}

/* Re-encodes a decoded SMS-SUBMIT: the file's hex must come out again. */
static void golden_reencode(const char *path, const char *hex, const struct pdu_decoded *d)
{
	struct pdu_submit s = {
		.smsc = d->smsc, .to = d->addr, .pid = d->pid, .dcs = d->dcs, .vp = d->vp,
		.srr = d->srr, .ud = d->ud, .udl = d->udl,
	};
	char out[PDU_HEX_MAX];
	int len;
	struct errbuf err = { "" };
	if (pdu_encode_submit(&s, out, sizeof out, &len, &err) < 0)
		fail_msg("%s: re-encode failed: %s", path, err.msg);
	if (strcmp(out, hex) != 0)
		fail_msg("%s: re-encoded as %s", path, out);
}

static void golden_check_fields(const char *path, const struct golden *g,
				const struct pdu_decoded *d)
{
	uint8_t body[PDU_UD_MAX + 20];
	const char *want_body = golden_get(g, "body");

	golden_str(path, g, "type", pdu_type_name(d->type));
	golden_str(path, g, "smsc", d->smsc);
	golden_str(path, g, "addr", d->addr);
	golden_str(path, g, "scts", d->scts);
	golden_str(path, g, "dt", d->dt);
	golden_str(path, g, "coding", coding_label(d->coding));
	golden_num(path, g, "first_octet", d->first_octet, 16);
	golden_num(path, g, "mr", d->mr, 10);
	golden_num(path, g, "toa", d->addr_toa, 16);
	golden_num(path, g, "pid", d->pid, 16);
	golden_num(path, g, "dcs", d->dcs, 16);
	golden_num(path, g, "class", d->msg_class, 10);
	golden_num(path, g, "vpf", d->vpf, 10);
	golden_num(path, g, "vp", d->vp, 16);
	golden_num(path, g, "srr", d->srr, 10);
	golden_num(path, g, "udhi", d->udhi, 10);
	golden_num(path, g, "st", d->st, 16);
	golden_num(path, g, "pi", d->pi, 16);
	golden_num(path, g, "udl", (long)d->udl, 10);
	if (want_body) {
		size_t n = unescape(want_body, body, sizeof body);
		if (n != d->udl || memcmp(body, d->ud, n) != 0)
			fail_msg("%s: body differs (%zu octets decoded, %zu expected)", path,
				 d->udl, n);
	}
}

static void golden_check_file(const char *path)
{
	struct golden g;
	struct pdu_decoded d;
	struct errbuf err = { "" };

	golden_load(path, &g);
	const char *hex = golden_get(&g, "hex");
	const char *smsc_flag = golden_get(&g, "with_smsc");
	const char *want_error = golden_get(&g, "error");
	if (!hex)
		fail_msg("%s: no hex line", path);
	bool with_smsc = !smsc_flag || strcmp(smsc_flag, "no") != 0;
	int rc = pdu_decode(hex, with_smsc, &d, &err);
	if (want_error) {
		if (rc == 0 || !strstr(err.msg, want_error))
			fail_msg("%s: expected error \"%s\", got rc %d \"%s\"", path, want_error,
				 rc, err.msg);
		return;
	}
	if (rc < 0)
		fail_msg("%s: decode failed: %s", path, err.msg);
	golden_check_fields(path, &g, &d);
	const char *reencode = golden_get(&g, "encode");
	if (reencode && strcmp(reencode, "yes") == 0)
		golden_reencode(path, hex, &d);
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void test_golden_files(void **state)
{
	(void)state;
	const char *dir = OTAP_TEST_DATA "/pdu";
	DIR *dp = opendir(dir);
	struct dirent *e;
	int files = 0;

	if (!dp)
		fail_msg("cannot open %s", dir);
	while ((e = readdir(dp)) != NULL) {
		char path[1024];
		if (!has_suffix(e->d_name, ".txt"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		golden_check_file(path);
		files++;
	}
	closedir(dp);
	assert_true(files >= 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_example_encode),
		cmocka_unit_test(test_spec_example_decode),
		cmocka_unit_test(test_decode_accepts_lower_case),
		cmocka_unit_test(test_decode_without_smsc),
		cmocka_unit_test(test_even_and_odd_digit_counts),
		cmocka_unit_test(test_national_number_uses_toa_81),
		cmocka_unit_test(test_smsc_configured_vs_sim),
		cmocka_unit_test(test_pid_class_and_srr),
		cmocka_unit_test(test_dcs_8bit),
		cmocka_unit_test(test_empty_body_and_full_body),
		cmocka_unit_test(test_encode_rejects_bad_input),
		cmocka_unit_test(test_vp_to_ms_boundaries),
		cmocka_unit_test(test_vp_from_ms_boundaries),
		cmocka_unit_test(test_vp_round_trips_every_octet),
		cmocka_unit_test(test_round_trip_fields_and_body),
		cmocka_unit_test(test_decode_deliver_8bit),
		cmocka_unit_test(test_decode_deliver_7bit_alphanumeric),
		cmocka_unit_test(test_decode_7bit_escapes_and_accents),
		cmocka_unit_test(test_decode_7bit_with_udh),
		cmocka_unit_test(test_decode_ucs2_kept_raw),
		cmocka_unit_test(test_dcs_groups),
		cmocka_unit_test(test_decode_submit_vp_formats),
		cmocka_unit_test(test_decode_status_report),
		cmocka_unit_test(test_decode_status_report_with_pi),
		cmocka_unit_test(test_malformed_basics),
		cmocka_unit_test(test_malformed_lengths),
		cmocka_unit_test(test_every_truncation_fails_cleanly),
		cmocka_unit_test(test_garbage_never_crashes),
		cmocka_unit_test(test_hex_helpers),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_golden_files),
		cmocka_unit_test(test_cli_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
