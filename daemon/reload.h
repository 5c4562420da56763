/* reload.h - SIGHUP: re-read and check the config file while otapd runs and
 * apply it: log level, profiles, retry, split delay and modems (through
 * cfgsnap.h and fleet.h). What needs a restart - database, notify, admin,
 * hooks - is logged when it changed and kept as it runs. */
#ifndef OTAPD_RELOAD_H
#define OTAPD_RELOAD_H

#include <stdbool.h>
#include "daemon.h"
#include "fleet.h"

struct reload_args {
	const char *config_path;        /* the file otapd was started with */
	bool verbose;                   /* -v: the log level stays debug */
	bool db_option;                 /* --db: the config's database is not used */
	struct daemon_ctx *daemon;
	struct fleet *fleet;
	char status[128];               /* systemd STATUS=, "sending with N modem(s)" */
};

/* Sets r->status from the workers running now. */
void reload_status(struct reload_args *r);

/* Loads and checks args->config_path (a struct reload_args *). An invalid
 * file is logged with every problem and the running configuration stays,
 * all of it. A valid one is published as the new snapshot: each thread
 * takes it at its next safe point, and the workers are brought in line
 * (fleet_reconcile). Tells systemd RELOADING=1, then READY=1 with the status. */
void reload_on_hup(void *args);

#endif
