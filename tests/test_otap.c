/* test_otap.c - the OTAP_IMPNG body builder: exact bodies, splitting at the
 * 140-octet boundary, injection rejects, and packing invariants. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "otap.h"

#define MARK "Zq7Marker"   /* put into bad values: must never show up in a reason */

static char long_value[8][256];

/* "http://" followed by 'a's so that the whole value is len characters. */
static char *url_of_len(int slot, size_t len)
{
	char *v = long_value[slot];
	assert_true(len >= 8 && len < sizeof long_value[slot]);
	memcpy(v, "http://", 7);
	memset(v + 7, 'a', len - 7);
	v[len] = '\0';
	return v;
}

static char *text_of_len(int slot, char c, size_t len)
{
	char *v = long_value[slot];
	assert_true(len < sizeof long_value[slot]);
	memset(v, c, len);
	v[len] = '\0';
	return v;
}

static struct otap_profile simple_profile(void)
{
	return (struct otap_profile){
		.name = "els61",
		.password = "secret",
		.jad_url = "http://fw.example.com/app.jad",
		.pid = 0x7D,
		.sms_class = 1,
	};
}

static struct otap_profile full_profile(void)
{
	return (struct otap_profile){
		.name = "full",
		.password = "pw",
		.jad_url = "http://a.io/x.jad",
		.app_dir = "a:/app",
		.http_user = "hu",
		.http_password = "hp",
		.bearer = "gprs",
		.apn = "m2m",
		.net_user = "nu",
		.net_password = "np",
		.dns = "10.0.0.10",
		.notify_url = "http://n.io/t",
	};
}

static void build_ok(const struct otap_profile *p, enum otap_action action, const char *notify,
		     struct otap_message *msg)
{
	struct errbuf err = { { 0 } };
	if (otap_build(p, action, notify, msg, &err) != 0)
		fail_msg("otap_build failed: %s", err.msg);
}

static void assert_part(const struct otap_message *msg, size_t i, const char *expected)
{
	assert_true(i < msg->count);
	char body[OTAP_SM_MAX + 1];
	memcpy(body, msg->parts[i].body, msg->parts[i].len);
	body[msg->parts[i].len] = '\0';
	assert_string_equal(body, expected);
	assert_int_equal(msg->parts[i].len, strlen(expected));
}

/* Fails unless otap_build rejects p, with a reason that begins with "keyword"
 * and does not contain MARK. Returns the reason. */
static const char *build_bad(const struct otap_profile *p, const char *notify, const char *keyword,
			     struct errbuf *err)
{
	struct otap_message msg;
	memset(err, 0, sizeof *err);
	memset(&msg, 0xAA, sizeof msg);
	if (otap_build(p, OTAP_ACTION_INSTALL, notify, &msg, err) != -1)
		fail_msg("accepted a bad %s", keyword);
	assert_int_equal(msg.count, 0);
	if (strncmp(err->msg, keyword, strlen(keyword)) != 0)
		fail_msg("reason does not start with %s: %s", keyword, err->msg);
	assert_null(strstr(err->msg, MARK));
	return err->msg;
}

static void test_spec_example_body(void **state)
{
	struct otap_profile p = simple_profile();
	struct otap_message msg;
	(void)state;
	build_ok(&p, OTAP_ACTION_INSTALL, NULL, &msg);
	assert_int_equal(msg.count, 1);
	assert_part(&msg, 0, "OTAP_IMPNG\nPWD:secret\nJADURL:http://fw.example.com/app.jad\n"
			     "START:install\n");
	assert_true(msg.parts[0].has_start);
	assert_false(msg.no_password);
}

static void test_full_profile_order_and_split(void **state)
{
	struct otap_profile p = full_profile();
	struct otap_message msg;
	(void)state;
	build_ok(&p, OTAP_ACTION_INSTALL, NULL, &msg);
	assert_int_equal(msg.count, 2);
	/* 11+7+25+14+12+11+12+13+11+10+14 = 140: the first SM is filled exactly. */
	assert_part(&msg, 0, "OTAP_IMPNG\nPWD:pw\nJADURL:http://a.io/x.jad\nAPPDIR:a:/app\n"
			     "HTTPUSER:hu\nHTTPPWD:hp\nBEARER:gprs\nAPNORNUM:m2m\nNETUSER:nu\n"
			     "NETPWD:np\nDNS:10.0.0.10\n");
	assert_part(&msg, 1, "OTAP_IMPNG\nPWD:pw\nNOTIFYURL:http://n.io/t\nSTART:install\n");
	assert_false(msg.parts[0].has_start);
	assert_true(msg.parts[1].has_start);
}

static void test_delete_action(void **state)
{
	struct otap_profile p = simple_profile();
	struct otap_message msg;
	(void)state;
	p.jad_url = NULL;
	p.app_dir = "a:/app";
	build_ok(&p, OTAP_ACTION_DELETE, NULL, &msg);
	assert_int_equal(msg.count, 1);
	assert_part(&msg, 0, "OTAP_IMPNG\nPWD:secret\nAPPDIR:a:/app\nSTART:delete\n");
}

static void test_only_password(void **state)
{
	struct otap_profile p = { .name = "min", .password = "secret" };
	struct otap_message msg;
	(void)state;
	build_ok(&p, OTAP_ACTION_INSTALL, NULL, &msg);
	assert_int_equal(msg.count, 1);
	assert_part(&msg, 0, "OTAP_IMPNG\nPWD:secret\nSTART:install\n");
}

static void test_no_password(void **state)
{
	struct otap_profile p = simple_profile();
	struct otap_message msg;
	(void)state;
	p.password = NULL;
	build_ok(&p, OTAP_ACTION_INSTALL, NULL, &msg);
	assert_true(msg.no_password);
	assert_int_equal(msg.count, 1);
	assert_part(&msg, 0, "OTAP_IMPNG\nJADURL:http://fw.example.com/app.jad\nSTART:install\n");
}

static void test_notify_url_override(void **state)
{
	struct otap_profile p = simple_profile();
	struct otap_message msg;
	(void)state;
	p.notify_url = "http://profile.example/n";
	build_ok(&p, OTAP_ACTION_INSTALL, "http://h:8080/n/tok42", &msg);
	assert_int_equal(msg.count, 1);
	assert_part(&msg, 0, "OTAP_IMPNG\nPWD:secret\nJADURL:http://fw.example.com/app.jad\n"
			     "NOTIFYURL:http://h:8080/n/tok42\nSTART:install\n");
	/* Without the argument the profile's own URL is sent. */
	build_ok(&p, OTAP_ACTION_INSTALL, NULL, &msg);
	assert_part(&msg, 0, "OTAP_IMPNG\nPWD:secret\nJADURL:http://fw.example.com/app.jad\n"
			     "NOTIFYURL:http://profile.example/n\nSTART:install\n");
	/* The override is validated like any value. */
	struct errbuf err;
	build_bad(&p, "ftp://h/" MARK, "NOTIFYURL", &err);
	build_bad(&p, "http://h/\n" MARK, "NOTIFYURL", &err);
}

static void test_exactly_140_stays_in_one_sm(void **state)
{
	struct otap_profile p = simple_profile();
	struct otap_message msg;
	(void)state;
	/* 11 header + 11 PWD + 14 START = 36; JADURL line 7+96+1 = 104 -> 140. */
	p.jad_url = url_of_len(0, 96);
	build_ok(&p, OTAP_ACTION_INSTALL, NULL, &msg);
	assert_int_equal(msg.count, 1);
	assert_int_equal(msg.parts[0].len, 140);
	assert_true(msg.parts[0].has_start);
}

static void test_141_splits(void **state)
{
	struct otap_profile p = simple_profile();
	struct otap_message msg;
	char expected[200];
	(void)state;
	p.jad_url = url_of_len(0, 97);
	build_ok(&p, OTAP_ACTION_INSTALL, NULL, &msg);
	assert_int_equal(msg.count, 2);
	snprintf(expected, sizeof expected, "OTAP_IMPNG\nPWD:secret\nJADURL:%s\n", p.jad_url);
	assert_part(&msg, 0, expected);
	assert_int_equal(msg.parts[0].len, 127);
	assert_false(msg.parts[0].has_start);
	/* START moves alone into a new SM that again carries the header and PWD. */
	assert_part(&msg, 1, "OTAP_IMPNG\nPWD:secret\nSTART:install\n");
	assert_true(msg.parts[1].has_start);
}

static void test_delete_fits_where_install_does_not(void **state)
{
	struct otap_profile p = simple_profile();
	struct otap_message msg;
	(void)state;
	/* "START:delete\n" is one octet shorter than "START:install\n". */
	p.jad_url = url_of_len(0, 97);
	build_ok(&p, OTAP_ACTION_DELETE, NULL, &msg);
	assert_int_equal(msg.count, 1);
	assert_int_equal(msg.parts[0].len, 140);
}

static void test_line_too_long(void **state)
{
	struct otap_profile p = simple_profile();
	struct otap_message msg;
	struct errbuf err;
	(void)state;
	/* Room next to header (11) and "PWD:secret\n" (11) is 118: a 118 line fits. */
	p.jad_url = url_of_len(0, 110);
	build_ok(&p, OTAP_ACTION_INSTALL, NULL, &msg);
	assert_int_equal(msg.count, 2);
	assert_int_equal(msg.parts[0].len, 140);

	p.jad_url = url_of_len(0, 111);
	assert_string_equal(build_bad(&p, NULL, "JADURL", &err),
			    "JADURL line is 119 octets; at most 118 fit next to OTAP_IMPNG and PWD");
	p.jad_url = url_of_len(0, 142);
	assert_string_equal(build_bad(&p, NULL, "JADURL", &err),
			    "JADURL line is 150 octets; at most 118 fit next to OTAP_IMPNG and PWD");
	p.password = NULL;
	assert_string_equal(build_bad(&p, NULL, "JADURL", &err),
			    "JADURL line is 150 octets; at most 129 fit next to OTAP_IMPNG");
}

static void test_password_too_long(void **state)
{
	struct otap_profile p = { .name = "x" };
	struct errbuf err;
	struct otap_message msg;
	(void)state;
	/* A PWD that leaves no room for START is useless: every SM carries it. */
	p.password = text_of_len(0, 'p', 120);
	assert_non_null(strstr(build_bad(&p, NULL, "START", &err), "START line is 14 octets"));
	p.password = text_of_len(0, 'p', 140);
	assert_string_equal(build_bad(&p, NULL, "PWD", &err),
			    "PWD line is 145 octets; at most 129 fit next to OTAP_IMPNG");
	assert_null(strstr(err.msg, "ppp"));
	p.password = text_of_len(0, 'p', 111);  /* 11 + 116 + 14 = 141 */
	assert_int_equal(otap_build(&p, OTAP_ACTION_INSTALL, NULL, &msg, &err), -1);
	p.password = text_of_len(0, 'p', 110);  /* exactly 140 */
	build_ok(&p, OTAP_ACTION_INSTALL, NULL, &msg);
	assert_int_equal(msg.parts[0].len, 140);
}

static void test_too_many_parts(void **state)
{
	struct otap_profile p = full_profile();
	struct otap_message msg;
	struct errbuf err;
	(void)state;
	/* Every line 118 octets (one per SM): nine such keys need 10 SMs. */
	p.jad_url = url_of_len(0, 110);
	p.app_dir = text_of_len(1, 'd', 110);
	p.http_user = text_of_len(2, 'u', 108);
	p.http_password = text_of_len(3, 'h', 109);
	p.apn = text_of_len(4, 'a', 108);
	p.net_user = text_of_len(5, 'n', 109);
	p.net_password = text_of_len(6, 'w', 110);
	p.dns = text_of_len(7, 's', 113);
	assert_int_equal(otap_build(&p, OTAP_ACTION_INSTALL, NULL, &msg, &err), -1);
	assert_non_null(strstr(err.msg, "at most 8"));
	/* Dropping two of them gets it down to 8 SMs exactly. */
	p.dns = NULL;
	p.net_password = NULL;
	build_ok(&p, OTAP_ACTION_INSTALL, NULL, &msg);
	assert_int_equal(msg.count, OTAP_MAX_PARTS);
}

struct key_slot {
	const char *keyword;
	size_t offset;
};

#define SLOT(kw, field) { kw, offsetof(struct otap_profile, field) }
static const struct key_slot key_slots[] = {
	SLOT("PWD", password), SLOT("JADURL", jad_url), SLOT("APPDIR", app_dir),
	SLOT("HTTPUSER", http_user), SLOT("HTTPPWD", http_password), SLOT("BEARER", bearer),
	SLOT("APNORNUM", apn), SLOT("NETUSER", net_user), SLOT("NETPWD", net_password),
	SLOT("DNS", dns), SLOT("NOTIFYURL", notify_url),
};

static void set_slot(struct otap_profile *p, const struct key_slot *slot, const char *value)
{
	*(const char **)((char *)p + slot->offset) = value;
}

static void test_injection_in_every_key(void **state)
{
	static const char *const bad[] = {
		"http://x/" MARK "\nSTART:delete",
		"http://x/" MARK "\rSTART:delete",
		"http://x/" MARK "\r\n",
		"http://x/" MARK "\tb",
		"http://x/" MARK "\x7f",
		"http://x/" MARK "\x80",
		"http://x/" MARK "\xc3\xa4",
		"http://x/" MARK "\xff",
		"http://x/" MARK "\x1b[0m",
	};
	(void)state;
	for (size_t k = 0; k < sizeof key_slots / sizeof key_slots[0]; k++) {
		for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
			struct otap_profile p = full_profile();
			struct errbuf err;
			char prefix[32];
			set_slot(&p, &key_slots[k], bad[b]);
			build_bad(&p, NULL, key_slots[k].keyword, &err);
			snprintf(prefix, sizeof prefix, "%s: value contains", key_slots[k].keyword);
			assert_non_null(strstr(err.msg, prefix));
		}
	}
}

static void test_injection_reason_text(void **state)
{
	struct otap_profile p = simple_profile();
	struct errbuf err;
	(void)state;
	p.password = "x\nSTART:delete";
	assert_string_equal(build_bad(&p, NULL, "PWD", &err),
			    "PWD: value contains a line break (LF/CR) — rejected to prevent "
			    "keyword injection");
	assert_null(strstr(err.msg, "START"));
}

static void test_empty_values(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof key_slots / sizeof key_slots[0]; k++) {
		struct otap_profile p = full_profile();
		struct errbuf err;
		char expected[64];
		set_slot(&p, &key_slots[k], "");
		snprintf(expected, sizeof expected, "%s: empty value; omit the key instead",
			 key_slots[k].keyword);
		assert_string_equal(build_bad(&p, NULL, key_slots[k].keyword, &err), expected);
	}
}

static void test_lower_case_rules(void **state)
{
	struct otap_profile p = simple_profile();
	struct otap_message msg;
	struct errbuf err;
	(void)state;
	p.bearer = "GPRS";
	build_bad(&p, NULL, "BEARER", &err);
	p.bearer = "Gprs";
	build_bad(&p, NULL, "BEARER", &err);
	p.bearer = "GPRS0";
	build_bad(&p, NULL, "BEARER", &err);
	p.bearer = "gprs ";
	build_bad(&p, NULL, "BEARER", &err);
	p.bearer = "csd";
	build_ok(&p, OTAP_ACTION_INSTALL, NULL, &msg);
	p.bearer = "gprs";
	build_ok(&p, OTAP_ACTION_INSTALL, NULL, &msg);

	p.app_dir = "A:/app";
	assert_non_null(strstr(build_bad(&p, NULL, "APPDIR", &err), "lower case"));
	p.app_dir = "a:/App";
	build_bad(&p, NULL, "APPDIR", &err);
	p.app_dir = "a:/app/";
	assert_non_null(strstr(build_bad(&p, NULL, "APPDIR", &err), "must not end with '/'"));
	p.app_dir = "a:/";
	build_bad(&p, NULL, "APPDIR", &err);
	p.app_dir = "a:/otap";
	build_ok(&p, OTAP_ACTION_INSTALL, NULL, &msg);
}

static void test_url_schemes(void **state)
{
	struct otap_profile p = simple_profile();
	struct otap_message msg;
	struct errbuf err;
	(void)state;
	p.jad_url = "ftp://h/" MARK;
	assert_non_null(strstr(build_bad(&p, NULL, "JADURL", &err), "http:// or https://"));
	p.jad_url = "fw.example.com/" MARK;
	build_bad(&p, NULL, "JADURL", &err);
	p.jad_url = "http://";
	build_bad(&p, NULL, "JADURL", &err);
	p.jad_url = "https://fw.example.com/a.jad";
	build_ok(&p, OTAP_ACTION_INSTALL, NULL, &msg);
	p.notify_url = "mailto:" MARK;
	build_bad(&p, NULL, "NOTIFYURL", &err);
}

static void test_value_check(void **state)
{
	(void)state;
	assert_null(otap_value_check("a:/app ~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./"));
	assert_null(otap_value_check(""));
	assert_non_null(otap_value_check(NULL));
	assert_non_null(strstr(otap_value_check("a\nb"), "line break"));
	assert_non_null(strstr(otap_value_check("a\rb"), "line break"));
	assert_non_null(otap_value_check("a\tb"));
	assert_non_null(otap_value_check("\x7f"));
	assert_non_null(otap_value_check("\x01"));
	assert_non_null(otap_value_check("\x80"));
	assert_non_null(otap_value_check("\xff"));
}

static void test_action_names(void **state)
{
	enum otap_action a = OTAP_ACTION_DELETE;
	(void)state;
	assert_string_equal(otap_action_name(OTAP_ACTION_INSTALL), "install");
	assert_string_equal(otap_action_name(OTAP_ACTION_DELETE), "delete");
	assert_int_equal(otap_action_parse("install", &a), 0);
	assert_int_equal(a, OTAP_ACTION_INSTALL);
	assert_int_equal(otap_action_parse("delete", &a), 0);
	assert_int_equal(a, OTAP_ACTION_DELETE);
	assert_int_equal(otap_action_parse("Install", &a), -1);
	assert_int_equal(otap_action_parse("", &a), -1);
	assert_int_equal(otap_action_parse("delete ", &a), -1);
	assert_int_equal(otap_action_parse(NULL, &a), -1);
	assert_int_equal(a, OTAP_ACTION_DELETE);
}

/* ---- invariants over many generated profiles ---- */

static size_t line_len(const uint8_t *p, size_t left)
{
	const uint8_t *lf = memchr(p, '\n', left);
	assert_non_null(lf);
	return (size_t)(lf - p) + 1;
}

/* Checks one message against the spec's rules; appends every parameter and
 * START line (header and PWD stripped) to lines. */
static void check_invariants(const struct otap_message *msg, const char *pwd_line,
			     char *lines, size_t lines_size)
{
	size_t used = 0;
	lines[0] = '\0';
	assert_true(msg->count >= 1 && msg->count <= OTAP_MAX_PARTS);
	for (size_t i = 0; i < msg->count; i++) {
		const struct otap_sm *sm = &msg->parts[i];
		assert_true(sm->len <= OTAP_SM_MAX);
		assert_memory_equal(sm->body, "OTAP_IMPNG\n", 11);
		assert_memory_equal(sm->body + 11, pwd_line, strlen(pwd_line));
		assert_int_equal(sm->has_start, i == msg->count - 1);
		assert_null(memchr(sm->body, '\r', sm->len));
		assert_int_equal(sm->body[sm->len - 1], '\n');
		size_t off = 11 + strlen(pwd_line);
		/* Greedy: the next SM's first line would not have fitted here. */
		if (i + 1 < msg->count) {
			const struct otap_sm *next = &msg->parts[i + 1];
			assert_true(sm->len + line_len(next->body + off, next->len - off) >
				    OTAP_SM_MAX);
		}
		for (size_t o = off; o < sm->len;) {
			size_t n = line_len(sm->body + o, sm->len - o);
			bool is_start = n >= 6 && memcmp(sm->body + o, "START:", 6) == 0;
			/* START is the very last line of the very last SM, nowhere else. */
			assert_int_equal(is_start, i == msg->count - 1 && o + n == sm->len);
			assert_true(used + n < lines_size);
			memcpy(lines + used, sm->body + o, n);
			used += n;
			lines[used] = '\0';
			o += n;
		}
	}
}

static void test_packing_invariants(void **state)
{
	static char values[sizeof key_slots / sizeof key_slots[0]][80];
	uint32_t seed = 12345;
	(void)state;
	for (int round = 0; round < 500; round++) {
		struct otap_profile p = full_profile();
		enum otap_action action = round % 2 ? OTAP_ACTION_DELETE : OTAP_ACTION_INSTALL;
		char expected[2048], got[2048];
		struct otap_message msg;
		size_t used = 0;
		/* Vary each value's length (deterministically) and drop some keys;
		 * "http://aaa..." is valid for every key but BEARER. */
		for (size_t k = 1; k < sizeof key_slots / sizeof key_slots[0]; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t len = 8 + (seed >> 16) % 64;
			char *v = values[k];
			memcpy(v, "http://", 7);
			memset(v + 7, 'a' + (int)k, len - 7);
			v[len] = '\0';
			if (strcmp(key_slots[k].keyword, "BEARER") == 0)
				strcpy(v, "csd");
			bool omit = (seed >> 8) % 4 == 0;
			set_slot(&p, &key_slots[k], omit ? NULL : v);
			if (!omit)
				used += (size_t)snprintf(expected + used, sizeof expected - used,
							 "%s:%s\n", key_slots[k].keyword, v);
		}
		snprintf(expected + used, sizeof expected - used, "START:%s\n",
			 otap_action_name(action));
		build_ok(&p, action, NULL, &msg);
		check_invariants(&msg, "PWD:pw\n", got, sizeof got);
		assert_string_equal(got, expected);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_example_body),
		cmocka_unit_test(test_full_profile_order_and_split),
		cmocka_unit_test(test_delete_action),
		cmocka_unit_test(test_only_password),
		cmocka_unit_test(test_no_password),
		cmocka_unit_test(test_notify_url_override),
		cmocka_unit_test(test_exactly_140_stays_in_one_sm),
		cmocka_unit_test(test_141_splits),
		cmocka_unit_test(test_delete_fits_where_install_does_not),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_password_too_long),
		cmocka_unit_test(test_too_many_parts),
		cmocka_unit_test(test_injection_in_every_key),
		cmocka_unit_test(test_injection_reason_text),
		cmocka_unit_test(test_empty_values),
		cmocka_unit_test(test_lower_case_rules),
		cmocka_unit_test(test_url_schemes),
		cmocka_unit_test(test_value_check),
		cmocka_unit_test(test_action_names),
		cmocka_unit_test(test_packing_invariants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
