/* reload.c - SIGHUP reloads: check the config file, apply the log level
 * (reload.h).
 *
 * Only the log level is applied: the worker threads, the scheduler and the
 * notify listener hold pointers into the running struct cfg, so swapping
 * profiles, modems, retry or notify settings needs each of them to take
 * the new config at a safe point. That is a later task; until then those
 * changes are checked now and take effect at the next restart. */
#include "reload.h"

#include "config.h"
#include "errbuf.h"
#include "log.h"
#include "runconfig.h"
#include "service.h"

void reload_on_hup(void *args)
{
	const struct reload_args *r = args;
	struct cfg cfg;
	struct errbuf err;
	service_reloading();
	log_info("SIGHUP: reloading the configuration %s", r->config_path);
	if (cfg_load(r->config_path, &cfg, &err) < 0 || runconfig_check(&cfg, &err) < 0) {
		log_errorx("reload failed, keeping the running configuration: %s", err.msg);
	} else {
		enum log_level level = runconfig_log_level(&cfg, r->verbose);
		/* Logged before the level changes, so that it shows at the
		 * level the operator had when sending SIGHUP. */
		log_info("configuration %s is valid; log level %s%s; changes to profiles, "
			 "modems, database, retry and notify take effect at the next restart",
			 r->config_path, log_level_name(level), r->verbose ? " (-v)" : "");
		log_set_level(level);
	}
	cfg_free(&cfg);
	service_ready(r->status);
}
