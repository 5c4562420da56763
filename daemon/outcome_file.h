/* outcome_file.h - the recovery file <database>.outcomes: outcomes otapd
 * could not commit before it stopped (database locked past the shutdown
 * bound), one line each (outcome.h), applied first at the next start so
 * that their jobs are never taken for interrupted sends and sent again. */
#ifndef OTAPD_OUTCOME_FILE_H
#define OTAPD_OUTCOME_FILE_H

#include <stddef.h>
#include "errbuf.h"
#include "outcome.h"
#include "store.h"

/* Adds the n outcomes to the recovery file of db_path, keeping any lines
 * already in it: the new content is written to a temporary file (mode
 * 0600), synced and renamed over the old one, so a crash leaves the old or
 * the new file, never half a line. n == 0 is a no-op. Returns 0, or -1 with
 * a reason. */
int outcome_file_save(const char *db_path, const struct outcome *list, size_t n,
		      struct errbuf *err);

/* Applies the recovery file of db_path, if there is one, through s, then
 * removes it. A line whose job is no longer in 'sending' was applied
 * before and is skipped. *applied gets the number of outcomes committed.
 * Returns 0, or -1 with a reason (a malformed line, a commit that fails,
 * e.g. database locked): then the file stays and otapd must not start, or
 * crash recovery would send those jobs again. */
int outcome_file_apply(const char *db_path, struct store *s, int *applied, struct errbuf *err);

#endif
