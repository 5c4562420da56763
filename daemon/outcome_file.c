/* outcome_file.c - the recovery file of uncommitted outcomes (outcome_file.h). */
#include "outcome_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fileread.h"
#include "log.h"

/* Far more than otapd can hold (PENDING_MAX + 1 per modem); refuses a
 * runaway file instead of reading it. */
#define FILE_MAX (4 * 1024 * 1024)

static int file_path(const char *db_path, char *path, size_t cap, struct errbuf *err)
{
	if ((size_t)snprintf(path, cap, "%s.outcomes", db_path) >= cap)
		return errbuf_set(err, "database path %s is too long for its recovery file", db_path);
	return 0;
}

/* Reads the file's current content into *out ("" when there is none). */
static int read_existing(const char *path, char **out, size_t *len, struct errbuf *err)
{
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		*out = strdup("");
		*len = 0;
		return *out ? 0 : errbuf_set(err, "out of memory");
	}
	if (file_read_regular(path, FILE_MAX, out, len, err) < 0)
		return errbuf_prefix(err, "recovery file %s", path);
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes old content plus the new lines to fd. */
static int write_content(int fd, const char *old, size_t old_len, const struct outcome *list,
			 size_t n)
{
	if (write_all(fd, old, old_len) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char line[OUTCOME_LINE_MAX];
		outcome_format(&list[i], line);
		size_t len = strlen(line);
		line[len] = '\n';       /* len < OUTCOME_LINE_MAX: the newline takes the NUL's place */
		if (write_all(fd, line, len + 1) < 0)
			return -1;
	}
	return fsync(fd);
}

int outcome_file_save(const char *db_path, const struct outcome *list, size_t n,
		      struct errbuf *err)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	char *old;
	size_t old_len;
	if (n == 0)
		return 0;
	if (file_path(db_path, path, sizeof path, err) < 0 ||
	    read_existing(path, &old, &old_len, err) < 0)
		return -1;
	snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
	int fd = mkstemp(tmp);     /* 0600 */
	if (fd < 0) {
		free(old);
		return errbuf_set(err, "cannot create %s: %s", tmp, strerror(errno));
	}
	int rc = write_content(fd, old, old_len, list, n);
	int saved = errno;
	free(old);
	if (close(fd) < 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0 && rename(tmp, path) < 0) {
		rc = -1;
		saved = errno;
	}
	if (rc < 0) {
		unlink(tmp);
		return errbuf_set(err, "cannot write %s: %s", path, strerror(saved));
	}
	return 0;
}

/* Applies one line. Returns 1 committed, 0 moot (applied before), -1. */
static int apply_line(struct store *s, const char *line, size_t lineno, struct errbuf *err)
{
	struct outcome oc;
	if (outcome_parse(line, &oc, err) < 0)
		return errbuf_prefix(err, "line %zu", lineno);
	if (outcome_commit(s, &oc, NULL, err) == 0) {
		log_info("job %lld: outcome '%s' from the recovery file recorded", (long long)oc.job_id,
			 oc.result[0] ? oc.result : "sent");
		return 1;
	}
	if (outcome_is_moot(s, &oc)) {
		log_info("job %lld: outcome in the recovery file was recorded before; skipped",
			 (long long)oc.job_id);
		return 0;
	}
	return errbuf_prefix(err, "line %zu (job %lld)", lineno, (long long)oc.job_id);
}

int outcome_file_apply(const char *db_path, struct store *s, int *applied, struct errbuf *err)
{
	char path[PATH_MAX];
	char *text;
	size_t len;
	*applied = 0;
	if (file_path(db_path, path, sizeof path, err) < 0 || read_existing(path, &text, &len, err) < 0)
		return -1;
	int rc = 0;
	size_t lineno = 0;
	for (char *line = text, *next; rc >= 0 && *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		lineno++;
		if (!*line)
			continue;
		rc = apply_line(s, line, lineno, err);
		if (rc > 0)
			(*applied)++;
	}
	free(text);
	if (rc < 0)
		return errbuf_prefix(err, "recovery file %s", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return errbuf_set(err, "cannot remove the applied recovery file %s: %s", path,
				  strerror(errno));
	return 0;
}
