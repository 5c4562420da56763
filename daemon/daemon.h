/* daemon.h - state shared by otapd's threads: the running config (snapshots
 * a reload replaces, cfgsnap.h) and the one it started with, the database
 * path and the shutdown flag with its wake-up descriptor (daemon/stop.h). */
#ifndef OTAPD_DAEMON_H
#define OTAPD_DAEMON_H

#include <stdatomic.h>
#include "cfgsnap.h"
#include "config.h"

struct hooks;

struct daemon_ctx {
	/* The config otapd started with (kept until exit): only for what a
	 * reload does not change - database, notify, admin, hooks - which every
	 * later snapshot carries unchanged (reload.c). Profiles, modems, retry
	 * and the rest: take the newest snapshot from config. */
	const struct cfg *cfg;
	struct cfg_holder config;
	const char *db_path;
	atomic_bool stop;
	int wake_fd;                    /* readable once stop is set (stop.h) */
	struct hooks *hooks;            /* event hooks (hooks.h); NULL = none configured */
	atomic_llong sends_ok;          /* sends that got through, all modems: tells a
					 * modem whether the others succeed (breaker.h) */
};

#endif
