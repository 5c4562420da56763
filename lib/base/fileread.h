/* fileread.h - reading a small file the configuration names, safely: regular
 * files only, never blocking, size-capped.
 *
 * A FIFO or a device named as a config or password file would block the
 * reader forever (or feed it without end); a huge file costs libconfig
 * minutes of CPU. Everything otapd and otapctl read because the config (or
 * the operator) names it goes through file_read_regular.
 */
#ifndef OTAP_FILEREAD_H
#define OTAP_FILEREAD_H

#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"

/* Reads the whole of path into a new NUL-terminated buffer (*out, free()
 * it; wipe it first if it holds a secret) of *len bytes. The file is opened
 * with O_NONBLOCK|O_CLOEXEC (so a FIFO cannot block), checked with fstat and
 * refused unless it is a regular file of at most max bytes; a file that
 * grows past max while being read is refused too. Returns 0, or -1 with a
 * reason in err that starts with "cannot open: ", "cannot read: ", "not a
 * regular file (...)" or "larger than N bytes" (the caller adds the key and
 * the path). The content never appears in a reason. */
int file_read_regular(const char *path, size_t max, char **out, size_t *len,
		      struct errbuf *err);

/* Checks that path is a regular file of at most max bytes that can be
 * opened for reading without blocking; *size gets its size. Returns 0 or -1
 * with a reason as file_read_regular's. Reads nothing. */
int file_check_regular(const char *path, int64_t max, int64_t *size, struct errbuf *err);

/* A short description of a file type for reasons: "a FIFO", "a directory",
 * "a character device"... */
const char *file_type_name(unsigned mode);

#endif
