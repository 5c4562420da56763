/* fileread.c - size-capped, non-blocking reading of regular files (see fileread.h). */
#include "fileread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *file_type_name(unsigned mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/* Reads up to cap bytes of fd into buf; returns the count or -1 (errno set). */
static ssize_t read_up_to(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	while (n < cap) {
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		n += (size_t)got;
	}
	return (ssize_t)n;
}

/* Reads at most max bytes of the regular file fd; one byte more means "too large". */
static int read_capped(int fd, size_t max, char **out, size_t *len, struct errbuf *err)
{
	char *buf = malloc(max + 2);
	if (!buf)
		return errbuf_set(err, "cannot read: out of memory");
	ssize_t n = read_up_to(fd, buf, max + 1);
	if (n < 0) {
		int e = errno;
		free(buf);
		return errbuf_set(err, "cannot read: %s", strerror(e));
	}
	if ((size_t)n > max) {
		explicit_bzero(buf, max + 2);
		free(buf);
		return errbuf_set(err, "larger than %zu bytes", max);
	}
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
	return 0;
}

/* Opens path without blocking and checks it is a regular file of at most
 * max bytes. Returns the descriptor (*size set), or -1 with a reason. */
static int open_regular(const char *path, unsigned long long max, int64_t *size,
			struct errbuf *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errbuf_set(err, "cannot open: %s", strerror(errno));
	int rc = 0;
	if (fstat(fd, &st) < 0)
		rc = errbuf_set(err, "cannot read: %s", strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = errbuf_set(err, "not a regular file (%s)", file_type_name(st.st_mode));
	else if ((unsigned long long)st.st_size > max)
		rc = errbuf_set(err, "larger than %llu bytes", max);
	if (rc < 0) {
		close(fd);
		return -1;
	}
	*size = (int64_t)st.st_size;
	return fd;
}

int file_read_regular(const char *path, size_t max, char **out, size_t *len,
		      struct errbuf *err)
{
	int64_t size;
	*out = NULL;
	*len = 0;
	int fd = open_regular(path, max, &size, err);
	if (fd < 0)
		return -1;
	int rc = read_capped(fd, max, out, len, err);
	close(fd);
	return rc;
}

int file_check_regular(const char *path, int64_t max, int64_t *size, struct errbuf *err)
{
	int fd = open_regular(path, (unsigned long long)max, size, err);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}
