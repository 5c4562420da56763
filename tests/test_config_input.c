/* test_config_input.c - bounded input of cfg_load: config and password files
 * must be regular and small, values free of NUL escapes and control bytes,
 * and each refusal names the file, line and key (never a secret). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config_text.h"
#include "fileread.h"

#define MARK "Zq7Marker"   /* in secret values: must never reach a reason */

/* Loads path, which must fail, and returns the reason. A FIFO regression
 * would block: the alarm turns that into a failed test within 5 s. */
static const char *load_bad(const char *path, struct errbuf *err)
{
	struct cfg cfg;
	memset(err, 0, sizeof *err);
	alarm(5);
	int rc = cfg_load(path, &cfg, err);
	alarm(0);
	if (rc != -1)
		fail_msg("%s loaded but should have failed", path);
	assert_null(cfg.profiles);
	assert_null(strstr(err->msg, MARK));
	return err->msg;
}

static void assert_contains(const char *got, const char *want)
{
	if (!strstr(got, want))
		fail_msg("reason \"%s\" lacks \"%s\"", got, want);
}

/* Writes len bytes of content to a new temp file; returns its path (static per slot). */
static const char *temp_file_len(int slot, const char *content, size_t len)
{
	static char paths[4][64];
	snprintf(paths[slot], sizeof paths[slot], "/tmp/otap-test-input-XXXXXX");
	int fd = mkstemp(paths[slot]);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	return paths[slot];
}

static const char *temp_file(int slot, const char *content)
{
	return temp_file_len(slot, content, strlen(content));
}

static const char *temp_fifo(void)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/otap-test-fifo-%d", (int)getpid());
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	return path;
}

/* A valid config whose profile has the given extra line (line 3). */
static const char *config_with(int slot, const char *line)
{
	char conf[1024];
	snprintf(conf, sizeof conf,
		 "database = \"/tmp/x.db\";\n"
		 "profiles = ( { name = \"a\"; jad_url = \"http://x/a.jad\";\n"
		 "\t%s\n"
		 "} );\n", line);
	return temp_file(slot, conf);
}

static void test_config_too_large(void **state)
{
	struct errbuf err;
	(void)state;
	size_t len = 1024 * 1024 + 1;
	char *big = malloc(len);
	assert_non_null(big);
	memset(big, '#', len);
	const char *path = temp_file_len(0, big, len);
	free(big);
	char want[256];
	snprintf(want, sizeof want, "%s: config file is larger than 1048576 bytes (1 MiB), "
		 "the limit", path);
	assert_string_equal(load_bad(path, &err), want);
	unlink(path);
}

static void test_config_not_regular(void **state)
{
	struct errbuf err;
	(void)state;
	const char *fifo = temp_fifo();
	char want[256];
	snprintf(want, sizeof want, "%s: not a regular file (a FIFO)", fifo);
	assert_string_equal(load_bad(fifo, &err), want);
	unlink(fifo);
	assert_string_equal(load_bad("/dev/null", &err),
			    "/dev/null: not a regular file (a character device)");
	assert_string_equal(load_bad("/tmp", &err), "/tmp: not a regular file (a directory)");
}

static void test_password_file_fifo(void **state)
{
	struct errbuf err;
	char line[128], want[512];
	(void)state;
	const char *fifo = temp_fifo();
	snprintf(line, sizeof line, "password_file = \"%s\";", fifo);
	const char *conf = config_with(0, line);
	snprintf(want, sizeof want, "%s:3: profile 'a': password_file '%s': not a regular file "
		 "(a FIFO)", conf, fifo);
	assert_string_equal(load_bad(conf, &err), want);
	unlink(conf);
	unlink(fifo);

	conf = config_with(0, "password_file = \"/dev/zero\";");
	snprintf(want, sizeof want, "%s:3: profile 'a': password_file '/dev/zero': not a regular "
		 "file (a character device)", conf);
	assert_string_equal(load_bad(conf, &err), want);
	unlink(conf);
}

static void test_password_file_too_large(void **state)
{
	struct errbuf err;
	char line[128], want[512];
	(void)state;
	char big[4098];
	memset(big, 'x', sizeof big - 1);
	memcpy(big, MARK, strlen(MARK));
	big[sizeof big - 1] = '\0';
	const char *pw = temp_file(1, big);
	snprintf(line, sizeof line, "password_file = \"%s\";", pw);
	const char *conf = config_with(0, line);
	snprintf(want, sizeof want, "%s:3: profile 'a': password_file '%s': larger than 4096 "
		 "bytes (expected the password on one line)", conf, pw);
	assert_string_equal(load_bad(conf, &err), want);
	unlink(conf);
	unlink(pw);
}

static void test_nul_escape_names_key(void **state)
{
	struct errbuf err;
	char want[512];
	(void)state;
	/* libconfig 1.5 would read this password as MARK "cd". */
	const char *conf = config_with(0, "password = \"" MARK "\\x00cd\";");
	snprintf(want, sizeof want, "%s:3: 'password': the escape \\x00 (a NUL byte) is not "
		 "allowed in a value (libconfig would silently drop it)", conf);
	assert_string_equal(load_bad(conf, &err), want);
	unlink(conf);
}

static void test_control_bytes_name_key(void **state)
{
	struct errbuf err;
	(void)state;
	const char *conf = temp_file(0, "database = \"/tmp/x\\x1b[2J.db\";\n"
				     "profiles = ( { name = \"a\"; password = \"pw\"; } );\n");
	assert_contains(load_bad(conf, &err), ":1: 'database' contains a control character");
	unlink(conf);
	conf = temp_file(0, "database = \"/tmp/x.db\";\n"
			 "profiles = ( { name = \"a\"; password = \"pw\"; } );\n"
			 "modems = ( { name = \"m\"; device = \"/dev/tty\\x07\"; } );\n");
	assert_contains(load_bad(conf, &err), ":3: 'device' contains a control character");
	unlink(conf);
	/* An OTAP secret keeps its own, keyword-naming reason (otap.c). */
	conf = config_with(0, "password = \"" MARK "\\x1b\";");
	assert_contains(load_bad(conf, &err), ":3: profile 'a': PWD: value contains a control "
			"character");
	unlink(conf);
}

static void test_include_and_raw_nul_refused(void **state)
{
	struct errbuf err;
	(void)state;
	const char *conf = temp_file(0, "# settings\n@include \"/etc/passwd\"\n");
	assert_contains(load_bad(conf, &err), ":2: @include is not supported");
	unlink(conf);
	conf = temp_file_len(0, "database = \"/tmp/x.db\";\n#\0\n", 27);
	assert_contains(load_bad(conf, &err), ":2: contains a NUL byte");
	unlink(conf);
}

static void assert_scan(const char *text, enum config_text_problem want, size_t want_line)
{
	size_t line = 0;
	assert_int_equal(config_text_scan(text, strlen(text), &line), want);
	if (want != CONFIG_TEXT_OK)
		assert_int_equal(line, want_line);
}

static void test_text_scan(void **state)
{
	(void)state;
	assert_scan("a = \"x\\x00\";", CONFIG_TEXT_NUL_ESCAPE, 1);
	assert_scan("a = \"x\\X00\";", CONFIG_TEXT_NUL_ESCAPE, 1);
	assert_scan("a = \"x\"\n  \"y\\x00\";", CONFIG_TEXT_NUL_ESCAPE, 2);
	assert_scan("a = \"x\\\\x00\";", CONFIG_TEXT_OK, 0);          /* escaped backslash */
	assert_scan("a = \"q\\\"\\x01\";", CONFIG_TEXT_OK, 0);        /* \" stays in the string */
	assert_scan("# \"\\x00\"\na = 1;", CONFIG_TEXT_OK, 0);
	assert_scan("// @include \"x\"\n", CONFIG_TEXT_OK, 0);
	assert_scan("/* \"\\x00\" @include */ a = \"@include\";", CONFIG_TEXT_OK, 0);
	assert_scan("/*/ a = \"\\x00\"; */", CONFIG_TEXT_OK, 0);
	assert_scan("a = 1;\n\n@include \"x\"", CONFIG_TEXT_INCLUDE, 3);
}

static void test_fileread(void **state)
{
	struct errbuf err;
	char *buf;
	size_t len;
	(void)state;
	const char *path = temp_file(0, "12345");
	assert_int_equal(file_read_regular(path, 5, &buf, &len, &err), 0);
	assert_int_equal(len, 5);
	assert_string_equal(buf, "12345");
	free(buf);
	assert_int_equal(file_read_regular(path, 4, &buf, &len, &err), -1);
	assert_string_equal(err.msg, "larger than 4 bytes");
	assert_null(buf);
	unlink(path);
	assert_int_equal(file_read_regular("/nonexistent/x", 4, &buf, &len, &err), -1);
	assert_string_equal(err.msg, "cannot open: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_too_large),
		cmocka_unit_test(test_config_not_regular),
		cmocka_unit_test(test_password_file_fifo),
		cmocka_unit_test(test_password_file_too_large),
		cmocka_unit_test(test_nul_escape_names_key),
		cmocka_unit_test(test_control_bytes_name_key),
		cmocka_unit_test(test_include_and_raw_nul_refused),
		cmocka_unit_test(test_text_scan),
		cmocka_unit_test(test_fileread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
