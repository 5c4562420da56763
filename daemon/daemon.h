/* daemon.h - state shared by otapd's threads: the loaded config (read-only
 * after start), the database path and the shutdown flag with its wake-up
 * descriptor (daemon/stop.h). */
#ifndef OTAPD_DAEMON_H
#define OTAPD_DAEMON_H

#include <stdatomic.h>
#include "config.h"

struct hooks;

struct daemon_ctx {
	const struct cfg *cfg;
	const char *db_path;
	atomic_bool stop;
	int wake_fd;                    /* readable once stop is set (stop.h) */
	struct hooks *hooks;            /* event hooks (hooks.h); NULL = none configured */
	atomic_llong sends_ok;          /* sends that got through, all modems: tells a
					 * modem whether the others succeed (breaker.h) */
};

#endif
