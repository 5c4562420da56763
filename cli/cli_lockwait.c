/* cli_lockwait.c - otapctl waits for another writer's database lock (up to
 * $OTAPCTL_LOCK_WAIT, default 2 minutes) with a note on stderr, and names
 * who holds it when it gives up. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "duration.h"

#define LOCK_WAIT_DEFAULT_MS (2 * 60 * 1000)
#define LOCK_NOTE_AFTER_MS 1000

struct lock_view {
	char db_path[4096];
};

/* otapd's pid from its lock file when otapd holds it, else 0. */
static int otapd_pid(const char *db_path)
{
	char path[4200], text[32] = "";
	snprintf(path, sizeof path, "%s.lock", db_path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* A lock we can take means no otapd runs on this database (our
	 * descriptor is closed at once, dropping the shared lock again). */
	bool held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	ssize_t n = held ? read(fd, text, sizeof text - 1) : 0;
	close(fd);
	if (n <= 0)
		return held ? -1 : 0;
	text[n] = '\0';
	int pid = atoi(text);
	return pid > 0 ? pid : -1;
}

static void on_lock_wait(void *arg, int64_t waited_ms, bool gave_up)
{
	const struct lock_view *v = arg;
	if (!gave_up) {
		fprintf(stderr, "otapctl: waiting for the database lock (held by another writer)...\n");
		return;
	}
	char waited[32];
	duration_format(waited_ms, waited, sizeof waited);
	int pid = otapd_pid(v->db_path);
	if (pid > 0)
		cli_fail(0, "gave up waiting for the database lock after %s: otapd (pid %d) or "
			 "another otapctl is writing", waited, pid);
	else if (pid < 0)
		cli_fail(0, "gave up waiting for the database lock after %s: otapd or another "
			 "otapctl is writing", waited);
	else
		cli_fail(0, "gave up waiting for the database lock after %s: another otapctl or "
			 "a sqlite3 shell is writing (no otapd runs on this database)", waited);
}

int cli_set_lock_wait(struct store *q, const char *db_path)
{
	static struct lock_view view;   /* one database per otapctl run */
	struct errbuf err = { { 0 } };
	struct store_lock_wait w = { .limit_ms = LOCK_WAIT_DEFAULT_MS,
				     .note_after_ms = LOCK_NOTE_AFTER_MS,
				     .note = on_lock_wait, .arg = &view };
	const char *env = getenv("OTAPCTL_LOCK_WAIT");
	if (env && *env && duration_parse(env, &w.limit_ms, &err) < 0)
		return cli_fail(EXIT_USAGE, "$OTAPCTL_LOCK_WAIT: %s", err.msg);
	snprintf(view.db_path, sizeof view.db_path, "%s", db_path);
	if (store_set_lock_wait(q, &w, &err) < 0)
		return cli_fail(EXIT_RUNTIME, "%s", err.msg);
	return EXIT_OK;
}
