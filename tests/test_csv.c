/* test_csv.c - the CSV reader: quoting, line ends, byte order mark, line
 * numbers, separators, syntax errors, and reading a mapped file twice. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"

/* All records of text joined as "a|b;c|d;" (fields by '|', records by ';'),
 * each record prefixed with its line number "3:"; or the error. */
static void read_all(const char *text, size_t len, char *out, size_t size)
{
	struct csv_reader *r;
	struct csv_record rec;
	struct errbuf err = { "" };
	int rc;

	assert_int_equal(csv_open_mem(text, len, &r, &err), 0);
	out[0] = '\0';
	while ((rc = csv_next(r, &rec, &err)) == 1) {
		size_t n = strlen(out);
		n += (size_t)snprintf(out + n, size - n, "%zu:", rec.line);
		for (size_t i = 0; i < rec.count; i++)
			n += (size_t)snprintf(out + n, size - n, "%s%.*s", i ? "|" : "",
					      (int)rec.fields[i].len, rec.fields[i].data);
		snprintf(out + n, size - n, ";");
	}
	if (rc < 0) {
		size_t n = strlen(out);
		snprintf(out + n, size - n, "ERROR %s", err.msg);
	}
	csv_close(r);
}

static void expect(const char *text, const char *want)
{
	char got[1024];
	read_all(text, strlen(text), got, sizeof got);
	if (strcmp(got, want) != 0)
		fail_msg("input \"%s\":\n got: %s\nwant: %s", text, got, want);
}

static void test_plain_records(void **state)
{
	(void)state;
	expect("msisdn,label\n+491701,a\n+491702,b\n", "1:msisdn|label;2:+491701|a;3:+491702|b;");
	expect("a,b", "1:a|b;");                        /* no final line end */
	expect("a,,c,\n", "1:a||c|;");                  /* empty fields, trailing separator */
	expect("", "");
	expect("\n\n", "");
}

static void test_line_ends_and_bom(void **state)
{
	(void)state;
	expect("a,b\r\nc,d\r\n", "1:a|b;2:c|d;");
	expect("\xEF\xBB\xBFmsisdn\r\n1\r\n", "1:msisdn;2:1;");
	expect("a\r\n\r\n\nb\n", "1:a;4:b;");           /* blank lines are skipped, still counted */
	expect("a\rb\r", "1:a;2:b;");                   /* old Mac line ends */
}

static void test_quoted_fields(void **state)
{
	(void)state;
	expect("\"a,b\",c\n", "1:a,b|c;");
	expect("\"say \"\"hi\"\"\",x\n", "1:say \"hi\"|x;");
	expect("\"\",\"\"\"\"\n", "1:|\";");
	/* A quoted line break is data; the next record starts on line 3. */
	expect("\"two\nlines\",x\ny,z\n", "1:two\nlines|x;3:y|z;");
	expect("\"x\"\r\n", "1:x;");
}

static void test_syntax_errors_name_the_line(void **state)
{
	(void)state;
	expect("a,b\n\"open,c\nd,e\n", "1:a|b;ERROR line 2: unterminated quoted field "
	       "(a '\"' opened on this line is never closed)");
	expect("a\n\"x\"y,z\n", "1:a;ERROR line 2: unexpected text after a closing quote "
	       "(a quote inside a quoted field must be doubled: \"\")");
	expect("a\nb\"c\n", "1:a;ERROR line 2: quote inside an unquoted field (quote the "
	       "whole field and double the quote: \"a\"\"b\")");
	char got[256];
	read_all("a\nb\0c\n", 6, got, sizeof got);
	assert_string_equal(got, "1:a;ERROR line 2: NUL byte in a field (is this a text file?)");
}

static void test_reader_stays_failed_after_an_error(void **state)
{
	(void)state;
	struct csv_reader *r;
	struct csv_record rec;
	struct errbuf err = { "" };
	const char *text = "\"open\nx\n";
	assert_int_equal(csv_open_mem(text, strlen(text), &r, &err), 0);
	assert_int_equal(csv_next(r, &rec, &err), -1);
	assert_int_equal(csv_next(r, &rec, &err), -1);
	csv_rewind(r);                                  /* a new pass starts clean */
	assert_int_equal(csv_next(r, &rec, &err), -1);
	csv_close(r);
}

static void test_separator_guess(void **state)
{
	(void)state;
	struct csv_reader *r;
	struct csv_record rec;
	struct errbuf err = { "" };
	const char *text = "msisdn;label;\"a,b\"\n+4917;x,y;z\n";
	assert_int_equal(csv_open_mem(text, strlen(text), &r, &err), 0);
	assert_int_equal(csv_guess_separator(r), ';');
	csv_set_separator(r, ';');
	assert_int_equal(csv_next(r, &rec, &err), 1);
	assert_int_equal(rec.count, 3);
	assert_int_equal(csv_next(r, &rec, &err), 1);
	assert_int_equal(rec.count, 3);
	assert_memory_equal(rec.fields[1].data, "x,y", 3);
	csv_close(r);

	const char *commas = "a,b;c\n";
	assert_int_equal(csv_open_mem(commas, strlen(commas), &r, &err), 0);
	assert_int_equal(csv_guess_separator(r), ',');
	csv_close(r);
	const char *tabs = "a\tb\tc\n";
	assert_int_equal(csv_open_mem(tabs, strlen(tabs), &r, &err), 0);
	assert_int_equal(csv_guess_separator(r), '\t');
	csv_close(r);
}

static void test_file_is_read_twice(void **state)
{
	(void)state;
	char path[] = "/tmp/test_csv.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "\xEF\xBB\xBFmsisdn\n+491\n+492\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);

	struct csv_reader *r;
	struct csv_record rec;
	struct errbuf err = { "" };
	assert_int_equal(csv_open_file(path, &r, &err), 0);
	assert_int_equal(csv_size(r), strlen(text));
	for (int pass = 0; pass < 2; pass++) {
		int rows = 0;
		while (csv_next(r, &rec, &err) == 1)
			rows++;
		assert_int_equal(rows, 3);
		assert_int_equal(csv_offset(r), strlen(text));
		csv_rewind(r);
	}
	csv_close(r);
	unlink(path);

	assert_int_equal(csv_open_file(path, &r, &err), -1);
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(csv_open_file("/tmp", &r, &err), -1);
	assert_non_null(strstr(err.msg, "directory"));
}

static void test_many_fields_and_long_quoted_values(void **state)
{
	(void)state;
	/* Enough quoted fields with escapes to make the scratch buffer grow
	 * (and move) in the middle of a record. */
	size_t size = 64 * 1024;
	char *text = malloc(size);
	assert_non_null(text);
	size_t n = 0;
	for (int i = 0; i < 500; i++)
		n += (size_t)snprintf(text + n, size - n, "%s\"v%d \"\"q\"\" padding padding\"",
				      i ? "," : "", i);
	text[n++] = '\n';
	struct csv_reader *r;
	struct csv_record rec;
	struct errbuf err = { "" };
	assert_int_equal(csv_open_mem(text, n, &r, &err), 0);
	assert_int_equal(csv_next(r, &rec, &err), 1);
	assert_int_equal(rec.count, 500);
	for (int i = 0; i < 500; i++) {
		char want[64];
		snprintf(want, sizeof want, "v%d \"q\" padding padding", i);
		assert_int_equal(rec.fields[i].len, strlen(want));
		assert_memory_equal(rec.fields[i].data, want, strlen(want));
	}
	csv_close(r);
	/* More than 1024 fields is refused. */
	n = 0;
	for (int i = 0; i < 1100; i++)
		text[n++] = ',';
	text[n++] = '\n';
	assert_int_equal(csv_open_mem(text, n, &r, &err), 0);
	assert_int_equal(csv_next(r, &rec, &err), -1);
	assert_non_null(strstr(err.msg, "more than 1024 fields"));
	csv_close(r);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_records),
		cmocka_unit_test(test_line_ends_and_bom),
		cmocka_unit_test(test_quoted_fields),
		cmocka_unit_test(test_syntax_errors_name_the_line),
		cmocka_unit_test(test_reader_stays_failed_after_an_error),
		cmocka_unit_test(test_separator_guess),
		cmocka_unit_test(test_file_is_read_twice),
		cmocka_unit_test(test_many_fields_and_long_quoted_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
