/* test_at_trace.c - the AT trace: PIN and PDU user data masked, echoes of
 * both too, status reports and ordinary lines shown escaped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "at_trace.h"
#include "errbuf.h"
#include "pdu.h"

/* An OTAP-like body: the password in plain text, in 8-bit user data. */
static const char body[] = "OTAP_IMPNG\nPWD:s3cr3tPw\nJADURL:http://x/a.jad\n";

/* The PDU otapd would write for body (with SMSC "00", VP relative). */
static void encode(char *hex, size_t cap)
{
	struct pdu_submit in = {
		.to = "+491701234567", .pid = PDU_PID_OTAP, .dcs = PDU_DCS_8BIT_CLASS1,
		.vp = 0xA7, .ud = (const uint8_t *)body, .udl = strlen(body),
	};
	struct errbuf err = { 0 };
	int tpdu_len;
	assert_int_equal(pdu_encode_submit(&in, hex, cap, &tpdu_len, &err), 0);
}

/* The hex of the password, so that its absence can be checked. */
static void password_hex(char *out, size_t cap)
{
	const char *pw = "s3cr3tPw";
	for (size_t i = 0; pw[i] && 2 * i + 2 < cap; i++)
		snprintf(out + 2 * i, cap - 2 * i, "%02X", (unsigned char)pw[i]);
}

static const char *out_shown(const char *bytes, size_t n)
{
	static char buf[AT_TRACE_SHOWN_MAX];
	at_trace_mask_out(bytes, n, buf, sizeof buf);
	return buf;
}

static const char *in_shown(const char *line)
{
	static char buf[AT_TRACE_SHOWN_MAX];
	at_trace_mask_in(line, strlen(line), buf, sizeof buf);
	return buf;
}

static void test_pin_masked(void **state)
{
	(void)state;
	assert_string_equal(out_shown("AT+CPIN=\"1234\"\r", 15), "AT+CPIN=\"****\"");
	assert_string_equal(out_shown("at+cpin=1234\r", 13), "at+cpin=****");
	assert_string_equal(out_shown("AT+CPIN=\"12345678\",\"4711\"\r", 26),
			    "AT+CPIN=\"****\",\"****\"");
	/* The modem's echo of it (echo still on), whole or garbled. */
	assert_string_equal(in_shown("AT+CPIN=\"1234\""), "AT+CPIN=\"****\"");
	assert_string_equal(in_shown("xT+CPIN=\"1234\""), "xT+CPIN=\"****\"");
	/* The query and its answer hold no secret. */
	assert_string_equal(out_shown("AT+CPIN?\r", 9), "AT+CPIN?");
	assert_string_equal(in_shown("+CPIN: SIM PIN"), "+CPIN: SIM PIN");
}

static void test_pdu_user_data_masked(void **state)
{
	(void)state;
	char hex[PDU_HEX_MAX + 1], pwhex[64], bytes[PDU_HEX_MAX + 2];
	encode(hex, PDU_HEX_MAX);
	password_hex(pwhex, sizeof pwhex);
	assert_non_null(strstr(hex, pwhex));            /* the test means something */
	size_t n = (size_t)snprintf(bytes, sizeof bytes, "%s\x1a", hex);
	assert_int_equal(at_trace_out_unit(bytes, n), n);
	/* 00 SMSC, 11 FO (VPF relative), 00 MR, 0C 91 + 6 octets DA, 7D PID,
	 * F5 DCS, A7 VP, then TP-UDL. */
	char want[256];
	snprintf(want, sizeof want, "0011000C91%.12s7DF5A7%02zX…(%zu octets of user data)\\x1a",
		 hex + 10, strlen(body), strlen(body));
	assert_string_equal(out_shown(bytes, n), want);
	/* Hex that is no SMS-SUBMIT is masked whole. */
	assert_string_equal(out_shown("00020000\x1a", 9), "…(8 hex digits)\\x1a");
	assert_string_equal(out_shown("\x1b", 1), "\\x1b");
}

static void test_pdu_echo_masked(void **state)
{
	(void)state;
	char hex[PDU_HEX_MAX + 1], pwhex[64], line[PDU_HEX_MAX + 8];
	encode(hex, PDU_HEX_MAX);
	password_hex(pwhex, sizeof pwhex);
	snprintf(line, sizeof line, "> %s\x1a", hex);
	const char *shown = in_shown(line);
	assert_null(strstr(shown, pwhex));
	assert_null(strstr(shown, "s3cr3t"));
	assert_non_null(strstr(shown, "octets of user data)\\x1a"));
	assert_memory_equal(shown, "> 0011000C91", 12);
	/* Echoed without the prompt, or cut short: still masked. */
	assert_null(strstr(in_shown(hex), pwhex));
	hex[strlen(hex) - 7] = '\0';
	assert_null(strstr(in_shown(hex), pwhex));
}

static void test_normal_lines_shown(void **state)
{
	(void)state;
	assert_string_equal(out_shown("AT+CMGS=87\r", 11), "AT+CMGS=87");
	assert_string_equal(in_shown("+CMGS: 12"), "+CMGS: 12");
	assert_string_equal(in_shown("OK"), "OK");
	assert_string_equal(in_shown("351234567890123"), "351234567890123");   /* IMEI */
	assert_string_equal(in_shown("bad\x1b[2Jline"), "bad\\x1b[2Jline");
	/* A status report (+CDS PDU line) holds no secret: shown whole. */
	const char *cds = "0006D60B911326880736F4111011719551401110117195714000";
	assert_string_equal(in_shown(cds), cds);
}

static void test_lines_cut(void **state)
{
	(void)state;
	struct at_trace_lines t;
	at_trace_lines_reset(&t);
	char buf[AT_TRACE_SHOWN_MAX];
	const char *in = "\r\n+CMGS: 1";
	size_t n = strlen(in);
	assert_false(at_trace_lines_take(&t, &in, &n, buf, sizeof buf));
	in = "2\r\n\r\nOK\r\n> ";
	n = strlen(in);
	assert_true(at_trace_lines_take(&t, &in, &n, buf, sizeof buf));
	assert_string_equal(buf, "+CMGS: 12");
	assert_true(at_trace_lines_take(&t, &in, &n, buf, sizeof buf));
	assert_string_equal(buf, "OK");
	assert_true(at_trace_lines_take(&t, &in, &n, buf, sizeof buf));   /* the prompt */
	assert_string_equal(buf, "> ");
	assert_false(at_trace_lines_take(&t, &in, &n, buf, sizeof buf));
	/* A line too long for the buffer is not shown, only named. */
	char big[AT_TRACE_LINE_MAX + 10];
	memset(big, 'A', sizeof big - 1);
	big[sizeof big - 2] = '\n';
	big[sizeof big - 1] = '\0';
	in = big;
	n = strlen(big);
	assert_true(at_trace_lines_take(&t, &in, &n, buf, sizeof buf));
	assert_non_null(strstr(buf, "not shown"));
}

static void test_small_buffer(void **state)
{
	(void)state;
	char buf[8];
	size_t n = at_trace_mask_out("AT+CPIN=\"1234\"\r", 15, buf, sizeof buf);
	assert_int_equal(n, strlen(buf));
	assert_true(n < sizeof buf);
	assert_null(strstr(buf, "1234"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pin_masked),
		cmocka_unit_test(test_pdu_user_data_masked),
		cmocka_unit_test(test_pdu_echo_masked),
		cmocka_unit_test(test_normal_lines_shown),
		cmocka_unit_test(test_lines_cut),
		cmocka_unit_test(test_small_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
