/* reload.h - SIGHUP: re-read and check the config file while otapd runs,
 * and apply the part that can change safely today: the log level. */
#ifndef OTAPD_RELOAD_H
#define OTAPD_RELOAD_H

#include <stdbool.h>

struct reload_args {
	const char *config_path;        /* the file otapd was started with */
	bool verbose;                   /* -v: the log level stays debug */
	const char *status;             /* systemd STATUS= once reloaded */
};

/* Loads and checks args->config_path (a struct reload_args *). A valid file
 * sets the log level; an invalid one is logged and the running
 * configuration stays. Either way the running profiles, modems, database,
 * retry and notify settings stay until a restart. Tells systemd about it. */
void reload_on_hup(void *args);

#endif
