/* testutil.h - helpers shared by the cmocka tests (header only: each test
 * is its own executable). Include it after <cmocka.h>. */
#ifndef OTAP_TESTUTIL_H
#define OTAP_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Removes a flat temporary directory and the files in it (database, WAL,
 * configs written by the test). */
static inline void test_remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* Writes text to path (created or truncated); fails the test on error. */
static inline void test_write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

#endif
