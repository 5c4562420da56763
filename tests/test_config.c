/* test_config.c - cfg_load/cfg_dump against the fixtures in tests/config/:
 * values and defaults, the normalised dump, and exact "FILE:LINE:" errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define CONFIG_DIR OTAP_TEST_DATA "/config/"
#define MARK "Zq7Marker"   /* in secret fixtures: must never reach a reason */

static void load_ok(const char *path, struct cfg *cfg)
{
	struct errbuf err = { { 0 } };
	if (cfg_load(path, cfg, &err) != 0)
		fail_msg("%s", err.msg);
}

/* Loads path, which must fail; checks *cfg came back empty. */
static const char *load_bad(const char *path, struct errbuf *err)
{
	struct cfg cfg;
	memset(err, 0, sizeof *err);
	memset(&cfg, 0xAA, sizeof cfg);
	if (cfg_load(path, &cfg, err) != -1)
		fail_msg("%s loaded but should have failed", path);
	assert_null(cfg.profiles);
	assert_int_equal(cfg.profile_count, 0);
	assert_null(cfg.modems);
	assert_null(cfg.database);
	assert_null(cfg.path);
	assert_null(strstr(err->msg, MARK));
	return err->msg;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char buf[16384];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Returns cfg_dump output in a malloc'd string. Not inlined: gcc 12 then
 * mistakes the open_memstream buffer for a dangling local. */
__attribute__((noinline))
static char *dump_to_string(const struct cfg *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	cfg_dump(cfg, f);
	fclose(f);
	return text;
}

/* Writes content to a new temp file; returns its path (static per slot). */
static const char *temp_file(int slot, const char *content)
{
	static char paths[4][64];
	snprintf(paths[slot], sizeof paths[slot], "/tmp/otap-test-config-XXXXXX");
	int fd = mkstemp(paths[slot]);
	assert_true(fd >= 0);
	size_t len = strlen(content);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	return paths[slot];
}

/* ---- valid configs ---- */

static void test_full_values(void **state)
{
	struct cfg cfg;
	(void)state;
	load_ok(CONFIG_DIR "full.conf", &cfg);
	assert_string_equal(cfg.path, CONFIG_DIR "full.conf");
	assert_string_equal(cfg.database, "/var/lib/otapd/test.db");
	assert_string_equal(cfg.log_level, "debug");
	assert_int_equal(cfg.split_delay_ms, 7500);
	assert_int_equal(cfg.retry.max_attempts, 3);
	assert_int_equal(cfg.retry.backoff_initial_ms, 90000);
	assert_int_equal(cfg.retry.backoff_max_ms, 7200000);
	assert_string_equal(cfg.notify.listen, "127.0.0.1:8080");
	assert_string_equal(cfg.notify.public_url, "https://otap.example.com:8443");

	assert_int_equal(cfg.profile_count, 2);
	const struct otap_profile *p = cfg_profile(&cfg, "els61");
	assert_ptr_equal(p, &cfg.profiles[0]);
	assert_string_equal(p->password, "file-secret");   /* trailing LF stripped */
	assert_string_equal(p->jad_url, "http://fw.example.com/els61/app.jad");
	assert_string_equal(p->app_dir, "a:/app");
	assert_string_equal(p->http_user, "fw");
	assert_string_equal(p->http_password, "http-secret");
	assert_string_equal(p->bearer, "gprs");
	assert_string_equal(p->apn, "internet.m2m");
	assert_string_equal(p->net_user, "gprsuser");
	assert_string_equal(p->net_password, "gprs-secret");
	assert_string_equal(p->dns, "10.0.0.53");
	assert_string_equal(p->notify_url, "http://otap.example.com:8080/notify");
	assert_int_equal(p->pid, 0x00);
	assert_int_equal(p->sms_class, 0);
	assert_true(p->status_report);
	assert_int_equal(p->validity_ms, 12 * 3600000LL);
	assert_int_equal(p->confirm_timeout_ms, 45 * 60000LL);

	p = cfg_profile(&cfg, "pls62w");
	assert_ptr_equal(p, &cfg.profiles[1]);
	assert_string_equal(p->password, "inline-secret");
	assert_null(p->app_dir);
	assert_null(p->bearer);
	assert_null(p->notify_url);
	assert_int_equal(p->pid, 0x7D);
	assert_int_equal(p->sms_class, 1);
	assert_false(p->status_report);
	assert_int_equal(p->validity_ms, 24 * 3600000LL);
	assert_int_equal(p->confirm_timeout_ms, 30 * 60000LL);
	assert_null(cfg_profile(&cfg, "PLS62W"));
	assert_null(cfg_profile(&cfg, "nope"));

	assert_int_equal(cfg.modem_count, 3);
	const struct cfg_modem *m = &cfg.modems[0];
	assert_string_equal(m->name, "gsm0");
	assert_string_equal(m->device, "/dev/serial/by-id/usb-Cinterion_PLS62-W-if00");
	assert_int_equal(m->baudrate, 9600);
	assert_int_equal(m->flow_control, CFG_FLOW_RTSCTS);
	assert_string_equal(m->pin, "4711");
	assert_string_equal(m->smsc, "+491710760000");
	assert_int_equal(m->send_timeout_ms, 90000);
	assert_int_equal(m->max_rate, 20);
	assert_int_equal(m->max_failures, 3);
	m = &cfg.modems[1];
	assert_string_equal(m->device, "tcp://127.0.0.1:7001");
	assert_int_equal(m->baudrate, 115200);
	assert_int_equal(m->flow_control, CFG_FLOW_NONE);
	assert_null(m->pin);
	assert_null(m->smsc);
	assert_int_equal(m->send_timeout_ms, 60000);
	assert_int_equal(m->max_rate, 0);
	assert_int_equal(m->max_failures, 5);
	assert_false(m->is_smpp);
	m = &cfg.modems[2];
	assert_true(m->is_smpp);
	assert_string_equal(m->smpp.system_id, "otap");
	assert_string_equal(m->smpp.host, "smsc.example.net");
	assert_int_equal(m->smpp.port, 2775);
	assert_string_equal(m->smpp.password, "smpp-pw");
	assert_string_equal(m->smpp.system_type, "OTA");
	assert_string_equal(m->smpp.source_addr, "OTAP");
	assert_int_equal(m->smpp.source_ton, 5);
	assert_int_equal(m->smpp.source_npi, 0);
	assert_int_equal(m->smpp.window, 50);
	assert_int_equal(m->smpp.enquire_link_ms, 20000);
	assert_int_equal(m->smpp.bind, CFG_SMPP_TRANSMITTER_RECEIVER);
	assert_int_equal(m->max_rate, 6000);
	cfg_free(&cfg);
	assert_null(cfg.profiles);
	cfg_free(&cfg);         /* safe twice */
}

static void test_minimal_defaults(void **state)
{
	struct cfg cfg;
	(void)state;
	load_ok(CONFIG_DIR "minimal.conf", &cfg);
	assert_null(cfg.log_level);
	assert_null(cfg.notify.listen);
	assert_null(cfg.notify.public_url);
	assert_int_equal(cfg.split_delay_ms, 5000);
	assert_int_equal(cfg.retry.max_attempts, 5);
	assert_int_equal(cfg.retry.backoff_initial_ms, 30000);
	assert_int_equal(cfg.retry.backoff_max_ms, 3600000);
	assert_int_equal(cfg.modem_count, 0);
	assert_null(cfg.modems);
	assert_int_equal(cfg.profile_count, 1);
	assert_null(cfg.profiles[0].password);
	assert_int_equal(cfg.profiles[0].pid, 0x7D);
	cfg_free(&cfg);
}

/* expected_file with "@CONFIG_DIR@" replaced by CONFIG_DIR: the dump keeps
 * password_file as the absolute path it was resolved to, which depends on
 * where the sources are. */
static char *expected_text(const char *expected_file)
{
	static const char mark[] = "@CONFIG_DIR@";
	const char *text = read_file(expected_file);
	char *out = malloc(strlen(text) * 2 + sizeof CONFIG_DIR + 1);
	assert_non_null(out);
	char *o = out;
	for (const char *t = text; *t;) {
		if (strncmp(t, mark, strlen(mark)) == 0) {
			o += sprintf(o, "%s", CONFIG_DIR);
			t += strlen(mark);
		} else {
			*o++ = *t++;
		}
	}
	*o = '\0';
	return out;
}

static void assert_dump_equals(const char *conf, const char *expected_file)
{
	struct cfg cfg;
	load_ok(conf, &cfg);
	char *dump = dump_to_string(&cfg);
	char *expected = expected_text(expected_file);
	assert_string_equal(dump, expected);
	free(expected);
	free(dump);
	cfg_free(&cfg);
}

static void test_dump_full(void **state)
{
	(void)state;
	assert_dump_equals(CONFIG_DIR "full.conf", CONFIG_DIR "full.expected");
}

static void test_dump_minimal(void **state)
{
	(void)state;
	assert_dump_equals(CONFIG_DIR "minimal.conf", CONFIG_DIR "minimal.expected");
}

static void test_dump_hides_secrets(void **state)
{
	static const char *const secrets[] = {
		"file-secret", "inline-secret", "http-secret", "gprs-secret", "4711", "smpp-pw",
	};
	struct cfg cfg;
	(void)state;
	load_ok(CONFIG_DIR "full.conf", &cfg);
	char *dump = dump_to_string(&cfg);
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		assert_null(strstr(dump, secrets[i]));
	free(dump);
	cfg_free(&cfg);
}

/* The dump is itself a valid config (once the PIN, which "(set)" is not,
 * is put back), and normalising it again changes nothing. */
static void test_dump_reloads_identically(void **state)
{
	struct cfg cfg, again;
	(void)state;
	load_ok(CONFIG_DIR "full.conf", &cfg);
	char *first = dump_to_string(&cfg);
	char *pin = strstr(first, "pin = \"(set)\";");
	assert_non_null(pin);
	memcpy(pin, "pin = \"12345\";", strlen("pin = \"(set)\";"));
	const char *path = temp_file(0, first);
	load_ok(path, &again);
	char *second = dump_to_string(&again);
	memcpy(pin, "pin = \"(set)\";", strlen("pin = \"(set)\";"));
	assert_string_equal(first, second);
	unlink(path);
	free(first);
	free(second);
	cfg_free(&again);
	cfg_free(&cfg);
}

static void test_example_config_loads(void **state)
{
	struct cfg cfg;
	(void)state;
	load_ok(OTAP_TEST_DATA "/../etc/otapd.conf", &cfg);
	assert_string_equal(cfg.database, "/var/lib/otapd/otapd.db");
	assert_non_null(cfg_profile(&cfg, "els61"));
	assert_non_null(cfg_profile(&cfg, "pls62w"));
	assert_int_equal(cfg.modem_count, 1);
	assert_non_null(cfg.notify.listen);
	cfg_free(&cfg);
}

/* ---- errors: exact messages, beginning with FILE:LINE: ---- */

struct bad_case {
	const char *file;
	const char *reason;     /* expected message after "<path>" */
};

static const struct bad_case bad_cases[] = {
	/* Was ":5: syntax error: syntax error": libconfig's text said once. */
	{ "err_syntax.conf", ":5: syntax error (libconfig could not parse the line; "
	  "expected KEY = VALUE;)" },
	{ "err_unknown_profile_key.conf",
	  ":6: unknown setting 'jad_ulr' in profile 'x' (expected one of: name, password, "
	  "password_file, jad_url, app_dir, http_user, http_password, bearer, apn, net_user, "
	  "net_password, dns, notify_url, pid, sms_class, status_report, validity, "
	  "confirm_timeout, jar_file, jad_file)" },
	{ "err_unknown_top_key.conf",
	  ":3: unknown setting 'retries' at top level (expected one of: database, profiles, "
	  "modems, retry, split_delay, notify, admin, hooks, log_level, database_password_file, "
	  "instance)" },
	{ "err_type_pid.conf", ":5: 'pid' must be an integer (0x7D or 0x00)" },
	{ "err_pid_value.conf",
	  ":5: 'pid' is 0x7F; expected 0x7D (ME data download) or 0x00 (for networks that "
	  "rewrite the PID)" },
	{ "err_duration.conf",
	  ":5: 'validity': duration \"24 h\" must not contain spaces (expected a whole number "
	  "followed by ms, s, m, h or d, e.g. \"30s\")" },
	{ "err_validity_short.conf", ":5: 'validity' must be at least 5m" },
	{ "err_password_both.conf",
	  ":6: profile 'a': set either 'password' or 'password_file', not both" },
	{ "err_password_file_missing.conf",
	  ":5: profile 'a': password_file '/nonexistent/otapd-test/a.pw': cannot open: "
	  "No such file or directory" },
	{ "err_password_newline.conf",
	  ":6: profile 'a': PWD: value contains a line break (LF/CR) — rejected to prevent "
	  "keyword injection" },
	{ "err_bearer_upper.conf",
	  ":5: profile 'a': BEARER: must be \"gprs\" or \"csd\" in lower case (or omitted to "
	  "keep the module's AT^SJOTAP bearer)" },
	{ "err_line_too_long.conf",
	  ":6: profile 'a': JADURL line is 160 octets; at most 118 fit next to OTAP_IMPNG "
	  "and PWD" },
	{ "err_duplicate_profile.conf",
	  ":5: duplicate profile name 'els61' (first defined at line 3)" },
	{ "err_profile_name.conf",
	  ":3: profile name 'els 61' is invalid (expected 1-63 characters from A-Z a-z 0-9 . _ -)" },
	{ "err_profile_no_name.conf", ":4: profile #2 has no 'name' (expected name = \"els61\";)" },
	{ "err_no_database.conf",
	  ": missing required setting 'database' (expected e.g. "
	  "database = \"/var/lib/otapd/otapd.db\";)" },
	{ "err_no_profiles.conf",
	  ":2: no profiles defined (expected profiles = ( { name = \"els61\"; "
	  "password_file = \"...\"; ... } );)" },
	{ "err_profiles_group.conf",
	  ":2: 'profiles' must be a list of groups in parentheses: "
	  "profiles = ( { name = \"...\"; ... } );" },
	{ "err_modem_device.conf",
	  ":6: modem 'gsm0': device 'ttyUSB0' is invalid: expected an absolute path such as "
	  "\"/dev/ttyUSB0\", \"tcp://HOST:PORT\" or \"smpp://SYSTEM_ID@HOST:PORT\"" },
	{ "err_modem_tcp_port.conf",
	  ":6: modem 'gsm0': device 'tcp://localhost:70000' is invalid: port must be a number "
	  "1-65535" },
	{ "err_modem_pin.conf", ":7: modem 'gsm0': pin must be 4-8 digits" },
	{ "err_modem_pin_int.conf",
	  ":7: 'pin' must be a string in double quotes (4-8 digits; quotes keep leading zeros)" },
	{ "err_modem_baudrate.conf",
	  ":7: modem 'gsm0': baudrate 100000 is not a standard rate (expected one of 1200 ... "
	  "115200 ... 921600)" },
	{ "err_modem_unknown_key.conf",
	  ":7: unknown setting 'baud' in modem 'gsm0' (expected one of: name, device, baudrate, "
	  "flow_control, pin, smsc, send_timeout, max_rate, max_failures)" },
	{ "err_modem_duplicate.conf", ":5: duplicate modem name 'gsm0' (first defined at line 4)" },
	{ "err_retry_attempts.conf", ":4: 'max_attempts' is 0; expected at least 1" },
	{ "err_notify_no_public_url.conf",
	  ":3: notify: 'listen' is set but 'public_url' is missing (expected the URL units "
	  "reach the listener at, e.g. public_url = \"http://otap.example.com:8080\";)" },
	{ "err_backoff_order.conf",
	  ":5: retry: backoff_max must not be shorter than backoff_initial" },
	{ "err_status_report_type.conf",
	  ":5: 'status_report' must be true or false (without quotes)" },
	{ "err_modem_flow_control.conf",
	  ":7: modem 'gsm0': flow_control must be \"none\" or \"rtscts\"" },
	{ "err_notify_public_url_only.conf",
	  ":4: notify: 'public_url' is set but 'listen' is missing, so no notification would "
	  "ever be received" },
	{ "err_log_level.conf",
	  ":2: log_level must be \"debug\", \"info\", \"warn\" or \"error\"" },
	{ "err_hooks_timeout.conf", ":4: 'timeout' is 301; expected seconds, from 1 to 300" },
	{ "err_smpp_no_password.conf",
	  ":4: modem 'smsc': an SMPP link needs 'password' or 'password_file' (the SMSC "
	  "account's password)" },
	{ "err_smpp_password_long.conf",
	  ":7: modem 'smsc': the SMPP password is 9 characters long (SMPP 3.4 allows at most 8)" },
	{ "err_smpp_window.conf", ":8: 'window' is 0; expected 1-256 submits awaiting their response" },
	{ "err_smpp_serial_key.conf",
	  ":8: unknown setting 'baudrate' in modem 'smsc' (expected one of: name, device, "
	  "send_timeout, max_rate, password, password_file, system_type, "
	  "source_addr, source_ton, source_npi, window, enquire_link, bind)" },
	{ "err_smpp_bind.conf",
	  ":8: modem 'smsc': bind must be \"transceiver\" (one connection) or "
	  "\"transmitter+receiver\" (two binds)" },
	{ "err_smpp_url.conf",
	  ":6: modem 'smsc': device 'smpp://smsc.example.net:2775' is invalid: expected "
	  "smpp://SYSTEM_ID@HOST:PORT (the account's system_id before '@')" },
	{ "err_smpp_key_on_modem.conf",
	  ":7: unknown setting 'window' in modem 'gsm0' (expected one of: name, device, baudrate, "
	  "flow_control, pin, smsc, send_timeout, max_rate, max_failures)" },
	{ "err_hooks_empty.conf",
	  ":3: hooks: 'on_rollout_paused' is empty (expected a shell command, or leave it out)" },
	{ "err_hooks_type.conf",
	  ":3: 'on_job_failed' must be a string in double quotes (a shell command, run with "
	  "/bin/sh -c)" },
};

static void test_error_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		char path[512], expected[ERRBUF_MAX + 512];
		struct errbuf err;
		snprintf(path, sizeof path, CONFIG_DIR "%s", bad_cases[i].file);
		snprintf(expected, sizeof expected, "%s%s", path, bad_cases[i].reason);
		const char *got = load_bad(path, &err);
		if (strcmp(got, expected) != 0)
			fail_msg("%s:\n  got      %s\n  expected %s", bad_cases[i].file, got,
				 expected);
	}
}

/* ---- every problem at once (cfg_load_all) ---- */

/* The problems one per line, as otapd --check-config lists them. */
static char *problems_text(const struct cfg_problems *p)
{
	char *text = calloc(cfg_problems_listed(p), ERRBUF_MAX + 1);
	assert_non_null(text);
	for (size_t i = 0; i < cfg_problems_listed(p); i++) {
		strcat(text, p->msg[i]);
		strcat(text, "\n");
	}
	return text;
}

static void test_every_problem_listed(void **state)
{
	struct cfg_problems *p = malloc(sizeof *p);
	struct cfg cfg;
	struct errbuf err;
	(void)state;
	assert_non_null(p);
	assert_int_equal(cfg_load_all(CONFIG_DIR "multi.conf", &cfg, p), -1);
	assert_null(cfg.profiles);
	assert_null(cfg.modems);
	char *got = problems_text(p);
	char *expected = expected_text(CONFIG_DIR "multi.expected");
	assert_string_equal(got, expected);
	/* cfg_load (otapctl): the first, and how many more. */
	char first[ERRBUF_MAX + 100];
	snprintf(first, sizeof first, "%s (and %zu more problem(s): otapd --check-config lists "
		 "them all)", p->msg[0], p->count - 1);
	assert_string_equal(load_bad(CONFIG_DIR "multi.conf", &err), first);
	free(expected);
	free(got);
	free(p);
}

/* libconfig cannot go on after a syntax error: one problem, the line. */
static void test_syntax_error_is_one_problem(void **state)
{
	struct cfg_problems *p = malloc(sizeof *p);
	struct cfg cfg;
	(void)state;
	assert_non_null(p);
	assert_int_equal(cfg_load_all(CONFIG_DIR "err_syntax.conf", &cfg, p), -1);
	assert_int_equal(p->count, 1);
	assert_non_null(strstr(p->msg[0], "err_syntax.conf:5: syntax error"));
	free(p);
}

/* More problems than CFG_PROBLEMS_MAX: the first ones listed, all counted. */
static void test_problems_bounded(void **state)
{
	struct cfg_problems *p = malloc(sizeof *p);
	struct cfg cfg;
	char conf[8192] = "database = \"/tmp/x.db\";\n";
	(void)state;
	assert_non_null(p);
	for (int i = 0; i < CFG_PROBLEMS_MAX + 10; i++)
		snprintf(conf + strlen(conf), sizeof conf - strlen(conf), "typo%d = 1;\n", i);
	const char *path = temp_file(3, conf);
	assert_int_equal(cfg_load_all(path, &cfg, p), -1);
	/* 60 unknown keys and no profiles: the last ones only counted */
	assert_int_equal(p->count, CFG_PROBLEMS_MAX + 11);
	assert_int_equal(cfg_problems_listed(p), CFG_PROBLEMS_MAX);
	assert_non_null(strstr(p->msg[0], ":2: unknown setting 'typo0'"));
	assert_non_null(strstr(p->msg[CFG_PROBLEMS_MAX - 1], ":51: unknown setting 'typo49'"));
	unlink(path);
	free(p);
}

static void test_smsc_uses_msisdn_rules(void **state)
{
	struct errbuf err;
	(void)state;
	const char *got = load_bad(CONFIG_DIR "err_modem_smsc.conf", &err);
	assert_non_null(strstr(got, "err_modem_smsc.conf:7: modem 'gsm0': smsc: "));
}

static void test_missing_file(void **state)
{
	struct errbuf err;
	(void)state;
	assert_string_equal(load_bad(CONFIG_DIR "no-such.conf", &err),
			    CONFIG_DIR "no-such.conf: cannot open: No such file or directory");
}

/* ---- password_file, written at run time so the paths are absolute ---- */

static const char *profile_with_password_file(const char *pw_path)
{
	static char conf[512];
	snprintf(conf, sizeof conf,
		 "database = \"/tmp/x.db\";\n"
		 "profiles = (\n"
		 "\t{\n"
		 "\t\tname = \"a\";\n"
		 "\t\tpassword_file = \"%s\";\n"
		 "\t}\n"
		 ");\n", pw_path);
	return conf;
}

static void test_password_file_read(void **state)
{
	struct cfg cfg;
	(void)state;
	const char *pw = temp_file(1, "s3cret\n");
	const char *conf = temp_file(2, profile_with_password_file(pw));
	load_ok(conf, &cfg);
	assert_string_equal(cfg.profiles[0].password, "s3cret");
	cfg_free(&cfg);
	unlink(conf);
	unlink(pw);

	/* Without a trailing newline the content is taken as is. */
	pw = temp_file(1, "s3cret");
	conf = temp_file(2, profile_with_password_file(pw));
	load_ok(conf, &cfg);
	assert_string_equal(cfg.profiles[0].password, "s3cret");
	cfg_free(&cfg);
	unlink(conf);
	unlink(pw);
}

/* A password file whose content is invalid: the error points at the
 * password_file line (5) and names PWD, never the content. */
static void assert_password_file_rejected(const char *content, const char *reason)
{
	char expected[ERRBUF_MAX];
	struct errbuf err;
	const char *pw = temp_file(1, content);
	const char *conf = temp_file(2, profile_with_password_file(pw));
	snprintf(expected, sizeof expected, "%s:5: profile 'a': %s", conf, reason);
	assert_string_equal(load_bad(conf, &err), expected);
	unlink(conf);
	unlink(pw);
}

static void test_password_file_bad_content(void **state)
{
	(void)state;
	/* Only ONE trailing newline is stripped: a second one would inject a line. */
	assert_password_file_rejected(MARK "\n\n", "PWD: value contains a line break (LF/CR) — "
				      "rejected to prevent keyword injection");
	assert_password_file_rejected(MARK "\nSTART:delete\n", "PWD: value contains a line "
				      "break (LF/CR) — rejected to prevent keyword injection");
	assert_password_file_rejected(MARK "\r\n", "PWD: value contains a line break (LF/CR) — "
				      "rejected to prevent keyword injection");
	assert_password_file_rejected("\n", "PWD: empty value; omit the key instead");
	assert_password_file_rejected(MARK "\t\n", "PWD: value contains a control character "
				      "(tab, DEL...); only printable ASCII 0x20-0x7E is allowed");
}

static void test_injection_in_every_setting(void **state)
{
	struct errbuf err;
	(void)state;
	/* Each OTAP value is checked at load, with the line of its own setting. */
	static const struct {
		const char *setting;
		const char *keyword;
	} keys[] = {
		{ "password", "PWD" }, { "jad_url", "JADURL" }, { "app_dir", "APPDIR" },
		{ "http_user", "HTTPUSER" }, { "http_password", "HTTPPWD" },
		{ "bearer", "BEARER" }, { "apn", "APNORNUM" }, { "net_user", "NETUSER" },
		{ "net_password", "NETPWD" }, { "dns", "DNS" }, { "notify_url", "NOTIFYURL" },
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char conf[512], expected[ERRBUF_MAX];
		/* Line 5 holds a valid other key, line 6 the injection attempt. */
		const char *other = strcmp(keys[i].setting, "password") == 0
					    ? "jad_url = \"http://x/a.jad\";"
					    : "password = \"pw\";";
		snprintf(conf, sizeof conf,
			 "database = \"/tmp/x.db\";\n"
			 "profiles = (\n"
			 "\t{\n"
			 "\t\tname = \"p\";\n"
			 "\t\t%s\n"
			 "\t\t%s = \"http://x/" MARK "\\nSTART:delete\";\n"
			 "\t}\n"
			 ");\n", other, keys[i].setting);
		const char *path = temp_file(3, conf);
		snprintf(expected, sizeof expected, "%s:6: profile 'p': %s: value contains a line "
			 "break (LF/CR) — rejected to prevent keyword injection", path,
			 keys[i].keyword);
		assert_string_equal(load_bad(path, &err), expected);
		unlink(path);
	}
}

static void test_resolve_path(void **state)
{
	(void)state;
	unsetenv("OTAPD_CONFIG");
	assert_string_equal(cfg_resolve_path(NULL), CFG_DEFAULT_PATH);
	assert_string_equal(cfg_resolve_path("/x/y.conf"), "/x/y.conf");
	setenv("OTAPD_CONFIG", "/env/otapd.conf", 1);
	assert_string_equal(cfg_resolve_path(NULL), "/env/otapd.conf");
	assert_string_equal(cfg_resolve_path("/x/y.conf"), "/x/y.conf");
	setenv("OTAPD_CONFIG", "", 1);
	assert_string_equal(cfg_resolve_path(NULL), CFG_DEFAULT_PATH);
	unsetenv("OTAPD_CONFIG");
}

static void test_free_zeroed(void **state)
{
	struct cfg cfg;
	(void)state;
	memset(&cfg, 0, sizeof cfg);
	cfg_free(&cfg);
	cfg_free(NULL);
	assert_null(cfg_profile(&cfg, "a"));
}

/* ---- notify.tls_cert / notify.tls_key ---- */

/* Writes a config with the given notify group into a temp file (slot 2). */
static const char *notify_config(const char *notify_group)
{
	static char text[1024];
	snprintf(text, sizeof text, "database = \"/tmp/x.db\";\n%s\n"
		 "profiles = ( { name = \"p\"; password = \"pw\"; "
		 "jad_url = \"http://fw.example.com/a.jad\"; } );\n"
		 "modems = ( { name = \"m\"; device = \"/dev/ttyUSB0\"; } );\n", notify_group);
	return temp_file(2, text);
}

/* admin = {...}: absent means no listener; the block alone and a bare
 * port mean loopback; a bad address is refused; the dump shows it. */
static void test_admin_listen(void **state)
{
	struct cfg cfg;
	struct errbuf err;
	(void)state;
	load_ok(notify_config(""), &cfg);
	assert_null(cfg.admin.listen);
	cfg_free(&cfg);
	load_ok(notify_config("admin = { };"), &cfg);
	assert_string_equal(cfg.admin.listen, CFG_ADMIN_DEFAULT_LISTEN);
	cfg_free(&cfg);
	load_ok(notify_config("admin = { listen = \"9100\"; };"), &cfg);
	assert_string_equal(cfg.admin.listen, "127.0.0.1:9100");
	cfg_free(&cfg);
	load_ok(notify_config("admin = { listen = \"[::1]:8090\"; };"), &cfg);
	assert_string_equal(cfg.admin.listen, "[::1]:8090");
	char *dump = dump_to_string(&cfg);
	assert_non_null(strstr(dump, "admin = {\n\tlisten = \"[::1]:8090\";\n};\n"));
	free(dump);
	cfg_free(&cfg);
	assert_non_null(strstr(load_bad(notify_config("admin = { listen = \"host:99999\"; };"), &err),
			       "admin: listen 'host:99999' is invalid"));
	assert_non_null(strstr(load_bad(notify_config("admin = { port = 1; };"), &err), "port"));
	assert_non_null(strstr(load_bad(notify_config(
		"notify = { listen = \"127.0.0.1:8080\"; public_url = \"http://h:8080\"; };\n"
		"admin = { listen = \"127.0.0.1:8080\"; };"), &err), "is notify's listen address too"));
}

static void test_notify_tls(void **state)
{
	static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\n" MARK "\n-----END PRIVATE KEY-----\n";
	char group[512], cert[64], key[64];
	struct cfg cfg;
	struct errbuf err;
	(void)state;
	snprintf(cert, sizeof cert, "%s", temp_file(0, cert_pem));
	snprintf(key, sizeof key, "%s", temp_file(1, key_pem));

	snprintf(group, sizeof group, "notify = { listen = \"127.0.0.1:8443\"; public_url = "
		 "\"https://otap.example.com:8443\"; tls_cert = \"%s\"; tls_key = \"%s\"; };",
		 cert, key);
	const char *path = notify_config(group);
	load_ok(path, &cfg);
	assert_string_equal(cfg.notify.tls_cert, cert);
	assert_string_equal(cfg.notify.tls_key, key);
	assert_string_equal(cfg.notify.tls_cert_pem, cert_pem);
	assert_string_equal(cfg.notify.tls_key_pem, key_pem);
	char *dump = dump_to_string(&cfg);
	assert_non_null(strstr(dump, "\ttls_key = \"(set)\";\n"));
	assert_non_null(strstr(dump, cert));
	assert_null(strstr(dump, key));
	assert_null(strstr(dump, MARK));
	free(dump);
	cfg_free(&cfg);
	unlink(path);

	/* One without the other. */
	snprintf(group, sizeof group, "notify = { listen = \"127.0.0.1:8443\"; public_url = "
		 "\"https://o.example.com\"; tls_key = \"%s\"; };", key);
	path = notify_config(group);
	assert_non_null(strstr(load_bad(path, &err), ":2: notify: set both 'tls_cert' and "
			       "'tls_key'"));
	unlink(path);
	/* TLS on the listener, but the units are told plain http. */
	snprintf(group, sizeof group, "notify = { listen = \"127.0.0.1:8443\"; public_url = "
		 "\"http://o.example.com\"; tls_cert = \"%s\"; tls_key = \"%s\"; };", cert, key);
	path = notify_config(group);
	assert_non_null(strstr(load_bad(path, &err), "public_url must start with https://"));
	unlink(path);
	/* Not a regular file, missing, not PEM (the key's content never shows). */
	static const char *const bad_files[][2] = {
		{ "/tmp", "is not a regular file" },
		{ "/nonexistent/otap-key.pem", "cannot open: No such file or directory" },
		{ NULL, "is not a PEM file" },
	};
	char not_pem[64];
	snprintf(not_pem, sizeof not_pem, "%s", temp_file(3, MARK " just text\n"));
	for (size_t i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
		snprintf(group, sizeof group, "notify = { listen = \"127.0.0.1:8443\"; public_url = "
			 "\"https://o.example.com\"; tls_cert = \"%s\"; tls_key = \"%s\"; };", cert,
			 bad_files[i][0] ? bad_files[i][0] : not_pem);
		path = notify_config(group);
		const char *msg = load_bad(path, &err);
		if (!strstr(msg, "notify: tls_key '") || !strstr(msg, bad_files[i][1]))
			fail_msg("unexpected reason: %s", msg);
		unlink(path);
	}
	unlink(not_pem);
	unlink(cert);
	unlink(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_values),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_dump_full),
		cmocka_unit_test(test_dump_minimal),
		cmocka_unit_test(test_dump_hides_secrets),
		cmocka_unit_test(test_dump_reloads_identically),
		cmocka_unit_test(test_example_config_loads),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_smsc_uses_msisdn_rules),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_password_file_read),
		cmocka_unit_test(test_password_file_bad_content),
		cmocka_unit_test(test_injection_in_every_setting),
		cmocka_unit_test(test_resolve_path),
		cmocka_unit_test(test_free_zeroed),
		cmocka_unit_test(test_notify_tls),
		cmocka_unit_test(test_admin_listen),
		cmocka_unit_test(test_every_problem_listed),
		cmocka_unit_test(test_syntax_error_is_one_problem),
		cmocka_unit_test(test_problems_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
