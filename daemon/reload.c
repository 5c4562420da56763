/* reload.c - SIGHUP: check the new config, keep what needs a restart as it
 * runs, publish the rest and bring the workers in line (reload.h). */
#include "reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "errbuf.h"
#include "log.h"
#include "runconfig.h"
#include "service.h"

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* *dst becomes a copy of src (NULL stays NULL); the old value is wiped
 * (it may be a TLS key). Returns 0 or -1 (out of memory, *dst kept). */
static int copy_text(char **dst, const char *src)
{
	char *copy = src ? strdup(src) : NULL;
	if (src && !copy)
		return -1;
	if (*dst) {
		explicit_bzero(*dst, strlen(*dst));
		free(*dst);
	}
	*dst = copy;
	return 0;
}

/* Settings a running otapd cannot change (its database connections, its
 * listeners' sockets and TLS, the hook runner's commands). */
static bool notify_same(const struct cfg_notify *a, const struct cfg_notify *b)
{
	return same_text(a->listen, b->listen) && same_text(a->public_url, b->public_url) &&
	       same_text(a->tls_cert, b->tls_cert) && same_text(a->tls_key, b->tls_key) &&
	       same_text(a->tls_cert_pem, b->tls_cert_pem) &&
	       same_text(a->tls_key_pem, b->tls_key_pem);
}

static bool hooks_same(const struct cfg_hooks *a, const struct cfg_hooks *b)
{
	return same_text(a->on_rollout_paused, b->on_rollout_paused) &&
	       same_text(a->on_job_failed, b->on_job_failed) && a->timeout_s == b->timeout_s;
}

/* Logs which restart-only settings of next differ from running. */
static void log_restart_only(const struct reload_args *r, const struct cfg *next,
			     const struct cfg *running)
{
	char what[224] = "";
	size_t n = 0;
	const struct { bool differs; const char *name; } parts[] = {
		{ !r->db_option && !same_text(next->database, running->database), "database" },
		/* The connections were made with them (store_set_password/_instance). */
		{ !same_text(next->database_password, running->database_password) ||
		  !same_text(next->database_password_file, running->database_password_file),
		  "database_password_file" },
		{ !same_text(next->instance, running->instance), "instance" },
		{ !notify_same(&next->notify, &running->notify),
		  "notify (listen, public_url, TLS certificate or key)" },
		{ !same_text(next->admin.listen, running->admin.listen) ||
		  !same_text(next->admin.token, running->admin.token), "admin (listen, access token)" },
		{ !hooks_same(&next->hooks, &running->hooks), "hooks" },
	};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (parts[i].differs && n < sizeof what)
			n += (size_t)snprintf(what + n, sizeof what - n, "%s%s", n ? ", " : "",
					      parts[i].name);
	}
	if (n > 0)
		log_warnx("reload: %s changed: takes effect at the next restart "
			  "(systemctl restart otapd); the running values stay", what);
}

/* Makes next carry running's restart-only settings, so that every snapshot
 * agrees with the listeners, the database and the hooks as they run.
 * Returns 0 or -1 (out of memory). */
static int keep_restart_only(struct cfg *next, const struct cfg *running)
{
	const struct cfg_notify *rn = &running->notify;
	struct cfg_notify *nn = &next->notify;
	if (copy_text(&next->database, running->database) < 0 ||
	    copy_text(&next->database_password, running->database_password) < 0 ||
	    copy_text(&next->database_password_file, running->database_password_file) < 0 ||
	    copy_text(&next->instance, running->instance) < 0 ||
	    copy_text(&nn->listen, rn->listen) < 0 || copy_text(&nn->public_url, rn->public_url) < 0 ||
	    copy_text(&nn->tls_cert, rn->tls_cert) < 0 || copy_text(&nn->tls_key, rn->tls_key) < 0 ||
	    copy_text(&nn->tls_cert_pem, rn->tls_cert_pem) < 0 ||
	    copy_text(&nn->tls_key_pem, rn->tls_key_pem) < 0 ||
	    copy_text(&next->admin.listen, running->admin.listen) < 0 ||
	    copy_text(&next->admin.token_file, running->admin.token_file) < 0 ||
	    copy_text(&next->admin.token, running->admin.token) < 0 ||
	    copy_text(&next->hooks.on_rollout_paused, running->hooks.on_rollout_paused) < 0 ||
	    copy_text(&next->hooks.on_job_failed, running->hooks.on_job_failed) < 0)
		return -1;
	next->hooks.timeout_s = running->hooks.timeout_s;
	return 0;
}

/* A profile that is gone fails its queued jobs when a modem takes them. */
static void log_removed_profiles(const struct cfg *next, const struct cfg *running)
{
	for (size_t i = 0; i < running->profile_count; i++) {
		const char *name = running->profiles[i].name;
		if (!cfg_profile(next, name))
			log_warnx("reload: profile '%s' removed: its queued jobs fail when a modem "
				  "takes them (profile not in the configuration)", name);
	}
}

void reload_status(struct reload_args *r)
{
	snprintf(r->status, sizeof r->status, "sending with %zu modem(s)",
		 r->fleet->running_count);
}

/* Publishes next (valid) and brings the workers in line. */
static void apply(struct reload_args *r, struct cfg *next)
{
	struct cfg_holder *h = &r->daemon->config;
	struct cfg_snap *running = cfg_snap_acquire(h);
	log_restart_only(r, next, &running->cfg);
	log_removed_profiles(next, &running->cfg);
	enum log_level level = runconfig_log_level(next, r->verbose);
	if (keep_restart_only(next, &running->cfg) < 0 || cfg_holder_publish(h, next) < 0) {
		log_errorx("reload failed: out of memory; keeping the running configuration");
		cfg_snap_release(h, running);
		return;
	}
	struct cfg_snap *now = cfg_snap_acquire(h);
	fleet_reconcile(r->fleet, &running->cfg, now);
	/* Logged before the level changes, so that it shows at the level the
	 * operator had when sending SIGHUP. */
	log_info("reload: configuration %lu of %s applied: %zu profile(s), %zu of %zu modem(s) "
		 "running; log level %s%s", now->gen, r->config_path, now->cfg.profile_count,
		 r->fleet->running_count, now->cfg.modem_count, log_level_name(level),
		 r->verbose ? " (-v)" : "");
	log_set_level(level);
	cfg_snap_release(h, now);
	cfg_snap_release(h, running);
}

void reload_on_hup(void *args)
{
	struct reload_args *r = args;
	struct cfg next;
	service_reloading();
	log_info("SIGHUP: reloading the configuration %s", r->config_path);
	static const char failed[] = "reload failed, keeping the running configuration: ";
	struct errbuf err;
	if (runconfig_load(r->config_path, &next, failed) < 0)
		;       /* logged */
	else if (runconfig_check(&next, &err) < 0)
		log_errorx("%s%s", failed, err.msg);
	else
		apply(r, &next);
	cfg_free(&next);        /* moved when published: then empty */
	reload_status(r);
	service_ready(r->status);
}
