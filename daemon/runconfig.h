/* runconfig.h - what otapd asks of a loaded config beyond cfg_load's checks
 * (otapctl can use a config without modems, otapd cannot), and the log
 * level it selects; shared by the start and by SIGHUP reloads. */
#ifndef OTAPD_RUNCONFIG_H
#define OTAPD_RUNCONFIG_H

#include <stdbool.h>
#include "config.h"
#include "errbuf.h"
#include "log.h"

/* Returns 0 when otapd can run with cfg, or -1 with the reason in err. */
int runconfig_check(const struct cfg *cfg, struct errbuf *err);

/* The level to log at: debug with -v (the command line wins), else the
 * config's log_level, else info. */
enum log_level runconfig_log_level(const struct cfg *cfg, bool verbose);

#endif
