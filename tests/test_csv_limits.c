/* test_csv_limits.c - the CSV reader's input bounds: record length, file
 * size, regular files only unless reading standard input. */
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

#include "csv.h"

/* A header line and one record of len bytes of 'x'. */
static char *long_record(size_t len, size_t *total)
{
	char *buf = malloc(len + 16);
	assert_non_null(buf);
	memcpy(buf, "msisdn\n", 7);
	memset(buf + 7, 'x', len);
	buf[7 + len] = '\n';
	*total = len + 8;
	return buf;
}

/* Reads every record of data; returns the csv_next result that ended it. */
static int read_all(const char *data, size_t len, struct errbuf *err)
{
	struct csv_reader *r;
	struct csv_record rec;
	int rc;
	assert_int_equal(csv_open_mem(data, len, &r, err), 0);
	while ((rc = csv_next(r, &rec, err)) == 1)
		;
	csv_close(r);
	return rc;
}

static void test_record_length(void **state)
{
	struct errbuf err;
	size_t total;
	(void)state;
	char *ok = long_record(CSV_MAX_RECORD, &total);
	assert_int_equal(read_all(ok, total, &err), 0);
	free(ok);
	char *bad = long_record(CSV_MAX_RECORD + 1, &total);
	assert_int_equal(read_all(bad, total, &err), -1);
	assert_string_equal(err.msg, "line 2: record longer than 65536 bytes (is this a CSV file?)");
	free(bad);
	/* A quoted field spanning many short lines counts as one record. */
	size_t n = CSV_MAX_RECORD + 100;
	char *quoted = malloc(n + 16);
	assert_non_null(quoted);
	memcpy(quoted, "a\n\"", 3);
	for (size_t i = 3; i < n; i++)
		quoted[i] = i % 10 ? 'q' : '\n';
	memcpy(quoted + n, "\"\n", 2);
	assert_int_equal(read_all(quoted, n + 2, &err), -1);
	assert_non_null(strstr(err.msg, "line 2: record longer than 65536 bytes"));
	free(quoted);
}

static void test_named_file_must_be_regular(void **state)
{
	struct errbuf err;
	struct csv_reader *r;
	(void)state;
	char fifo[64];
	snprintf(fifo, sizeof fifo, "/tmp/otap-test-csv-fifo-%d", (int)getpid());
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(5);       /* a regression would block in open() */
	assert_int_equal(csv_open_file(fifo, &r, &err), -1);
	alarm(0);
	assert_non_null(strstr(err.msg, "not a regular file (a FIFO); to read a pipe or device, "
			       "pass '-'"));
	unlink(fifo);
	assert_int_equal(csv_open_file("/dev/zero", &r, &err), -1);
	assert_string_equal(err.msg, "cannot read /dev/zero: not a regular file (a character "
			    "device); to read a pipe or device, pass '-' and redirect it to "
			    "standard input");
}

/* Runs csv_open_file("-") with standard input redirected from path. */
static int open_stdin_from(const char *path, struct csv_reader **r, struct errbuf *err)
{
	int saved = dup(STDIN_FILENO);
	FILE *f = freopen(path, "rb", stdin);
	assert_non_null(f);
	int rc = csv_open_file("-", r, err);
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	return rc;
}

static void test_stdin_limits(void **state)
{
	struct errbuf err;
	struct csv_reader *r;
	(void)state;
	/* "-" may be a device, but an endless one ends at the line limit. */
	alarm(5);
	assert_int_equal(open_stdin_from("/dev/zero", &r, &err), -1);
	alarm(0);
	assert_string_equal(err.msg, "standard input: line 1: longer than 65536 bytes (is this "
			    "a CSV file?)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_length),
		cmocka_unit_test(test_named_file_must_be_regular),
		cmocka_unit_test(test_stdin_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
