/* runconfig.h - otapd's loading of its config (every problem logged), what
 * it asks beyond cfg_load's checks (otapctl can use a config without
 * modems, otapd cannot), and the log level it selects; shared by the start
 * and by SIGHUP reloads. */
#ifndef OTAPD_RUNCONFIG_H
#define OTAPD_RUNCONFIG_H

#include <stdbool.h>
#include "config.h"
#include "errbuf.h"
#include "log.h"

/* Loads path into *cfg (cfg_load_all). Returns 0, or -1 with *cfg empty
 * after logging every problem, each line
 * after prefix ("" at the start, "reload failed, ...: " on SIGHUP): one
 * line for one problem, else "N problems in FILE:" and one line each. */
int runconfig_load(const char *path, struct cfg *cfg, const char *prefix);

/* Returns 0 when otapd can run with cfg, or -1 with the reason in err. */
int runconfig_check(const struct cfg *cfg, struct errbuf *err);

/* The level to log at: debug with -v (the command line wins), else the
 * config's log_level, else info. */
enum log_level runconfig_log_level(const struct cfg *cfg, bool verbose);

#endif
