/* sqlite_lockwait.c - the SQLite engine's long, noted wait for another
 * writer's lock (store_set_lock_wait), as a busy handler. */
#include "sqlite_engine.h"

#include <time.h>

#include "clock.h"

/* Between two looks at the lock: short at first (most waits are for one
 * claim's transaction), then capped, so a freed lock is taken within
 * about this long without polling hard for minutes. */
#define LOOK_MIN_MS 2
#define LOOK_MAX_MS 25

/* SQLite calls this while the lock is taken; count is 0 on the first call
 * of each wait. Returns 1 to look again, 0 to give up (SQLITE_BUSY). */
static int busy_handler(void *arg, int count)
{
	struct sqlite_store *s = arg;
	int64_t now = clock_mono_ms();
	if (count == 0) {
		s->wait_start = now;
		s->noted = false;
	}
	int64_t waited = now - s->wait_start;
	if (waited >= s->wait.limit_ms) {
		if (s->wait.note)
			s->wait.note(s->wait.arg, waited, true);
		return 0;
	}
	if (!s->noted && waited >= s->wait.note_after_ms) {
		s->noted = true;
		if (s->wait.note)
			s->wait.note(s->wait.arg, waited, false);
	}
	int64_t ms = LOOK_MIN_MS << (count < 4 ? count : 4);
	if (ms > LOOK_MAX_MS)
		ms = LOOK_MAX_MS;
	nanosleep(&(struct timespec){ .tv_nsec = ms * 1000000L }, NULL);
	return 1;
}

int sqlite_set_lock_wait(struct store *base, const struct store_lock_wait *w, struct errbuf *err)
{
	struct sqlite_store *s = sqlite_of(base);
	s->wait = *w;
	if (sqlite3_busy_handler(s->db, busy_handler, s) != SQLITE_OK)
		return db_fail(s->db, "setting the lock wait", err);
	return 0;
}
