/* test_log.c - log lines: timestamped on a plain stderr, <N> priorities for
 * journald (JOURNAL_STREAM naming stderr), level filtering and changes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Each test logs into a fresh temp file put in place of stderr. */
struct capture {
	char path[64];
	int saved_stderr;
};

static int capture_start(void **state)
{
	static struct capture cap;
	snprintf(cap.path, sizeof cap.path, "/tmp/otap-test-log.XXXXXX");
	int fd = mkstemp(cap.path);
	assert_true(fd >= 0);
	cap.saved_stderr = dup(STDERR_FILENO);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
	unsetenv("JOURNAL_STREAM");
	*state = &cap;
	return 0;
}

static int capture_end(void **state)
{
	struct capture *cap = *state;
	dup2(cap->saved_stderr, STDERR_FILENO);
	close(cap->saved_stderr);
	unlink(cap->path);
	unsetenv("JOURNAL_STREAM");
	return 0;
}

/* What was logged so far (NUL-terminated, static). */
static const char *captured(const struct capture *cap)
{
	static char buf[4096];
	FILE *f = fopen(cap->path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Sets JOURNAL_STREAM to "DEVICE:INODE" of fd, as systemd does. */
static void set_journal_stream(int fd)
{
	struct stat st;
	char value[64];
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(value, sizeof value, "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", value, 1);
}

static void assert_matches(const char *text, const char *pattern)
{
	regex_t re;
	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	int rc = regexec(&re, text, 0, NULL, 0);
	regfree(&re);
	if (rc != 0)
		fail_msg("'%s' does not match '%s'", text, pattern);
}

static void test_plain_lines_have_timestamps(void **state)
{
	log_init("otapd", LOG_LEVEL_INFO);
	log_info("started with %d modem(s)", 2);
	log_warnx("slow");
	assert_matches(captured(*state),
		       "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
		       "otapd info: started with 2 modem\\(s\\)\n"
		       "[0-9T:.Z-]+ otapd warn: slow\n$");
}

static void test_journal_lines_have_priorities(void **state)
{
	set_journal_stream(STDERR_FILENO);
	log_init("otapd", LOG_LEVEL_DEBUG);
	log_debug("d");
	log_info("i");
	log_warnx("w");
	log_errorx("e \x1b[31m");
	assert_string_equal(captured(*state),
			    "<7>debug: d\n<6>info: i\n<4>warn: w\n<3>error: e \\x1b[31m\n");
}

/* A JOURNAL_STREAM inherited by a process whose stderr was redirected
 * elsewhere does not count. */
static void test_foreign_journal_stream_ignored(void **state)
{
	setenv("JOURNAL_STREAM", "1:2", 1);
	log_init("otapd", LOG_LEVEL_INFO);
	log_info("x");
	assert_matches(captured(*state), "^[0-9T:.Z-]+ otapd info: x\n$");
	setenv("JOURNAL_STREAM", "garbage", 1);
	log_init("otapd", LOG_LEVEL_INFO);
	log_info("y");
	assert_matches(captured(*state), "otapd info: y\n$");
}

static void test_level_filter_and_change(void **state)
{
	set_journal_stream(STDERR_FILENO);
	log_init("otapd", LOG_LEVEL_WARN);
	log_info("hidden");
	log_warnx("shown");
	log_set_level(LOG_LEVEL_DEBUG);
	log_debug("now shown");
	log_set_level(LOG_LEVEL_ERROR);
	log_warnx("hidden again");
	assert_string_equal(captured(*state), "<4>warn: shown\n<7>debug: now shown\n");
}

static void test_level_names(void **state)
{
	(void)state;
	enum log_level level;
	for (int i = LOG_LEVEL_DEBUG; i <= LOG_LEVEL_ERROR; i++) {
		assert_int_equal(log_level_parse(log_level_name((enum log_level)i), &level), 0);
		assert_int_equal(level, i);
	}
	assert_int_equal(log_level_parse("warning", &level), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_lines_have_timestamps, capture_start, capture_end),
		cmocka_unit_test_setup_teardown(test_journal_lines_have_priorities, capture_start, capture_end),
		cmocka_unit_test_setup_teardown(test_foreign_journal_stream_ignored, capture_start, capture_end),
		cmocka_unit_test_setup_teardown(test_level_filter_and_change, capture_start, capture_end),
		cmocka_unit_test(test_level_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
