/* runconfig.c - otapd's loading of its config (every problem logged), its
 * own checks and the log level (runconfig.h). */
#include "runconfig.h"

#include <stdlib.h>
#include <string.h>

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

static void log_problems(const struct cfg_problems *p, const char *path, const char *prefix)
{
	size_t listed = cfg_problems_listed(p);
	if (p->count == 1) {
		log_errorx("%s%s", prefix, p->msg[0]);
		return;
	}
	log_errorx("%s%zu problems in %s:", prefix, p->count, path);
	for (size_t i = 0; i < listed; i++)
		log_errorx("  %s", p->msg[i]);
	if (p->count > listed)
		log_errorx("  ... and %zu more", p->count - listed);
}

int runconfig_load(const char *path, struct cfg *cfg, const char *prefix)
{
	struct cfg_problems *problems = malloc(sizeof *problems);
	if (!problems) {
		memset(cfg, 0, sizeof *cfg);
		log_errorx("%s%s: out of memory", prefix, path);
		return -1;
	}
	int rc = cfg_load_all(path, cfg, problems);
	if (rc < 0)
		log_problems(problems, path, prefix);
	free(problems);
	return rc;
}
