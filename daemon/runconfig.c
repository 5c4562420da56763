/* runconfig.c - otapd's own checks of a config and its log level (runconfig.h). */
#include "runconfig.h"

int runconfig_check(const struct cfg *cfg, struct errbuf *err)
{
	if (cfg->modem_count == 0)
		return errbuf_set(err, "%s: no modems configured (expected a 'modems' list)",
				  cfg->path);
	return 0;
}

enum log_level runconfig_log_level(const struct cfg *cfg, bool verbose)
{
	enum log_level level = LOG_LEVEL_INFO;
	if (verbose)
		return LOG_LEVEL_DEBUG;
	/* cfg_load has already refused an unknown name. */
	if (cfg->log_level && log_level_parse(cfg->log_level, &level) < 0)
		level = LOG_LEVEL_INFO;
	return level;
}
