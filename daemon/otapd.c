/* otapd.c - the daemon's entry point: options, config, single-instance lock,
 * crash recovery, one worker thread per modem, config reloads on SIGHUP and
 * clean shutdown on SIGTERM/SIGINT. Runs in the foreground and logs to
 * stderr (systemd style; Type=notify with a watchdog under systemd). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "hooks.h"
#include "log.h"
#include "admin_server.h"
#include "notify_server.h"
#include "outcome_file.h"
#include "reload.h"
#include "runconfig.h"
#include "store.h"
#include "scheduler.h"
#include "service.h"
#include "signals.h"
#include "stop.h"
#include "version.h"
#include "fleet.h"

struct otapd_options {
	const char *config_path;
	const char *db_path;
	bool check_only;
	bool verbose;
};

static const char usage[] =
	"usage: otapd [-c FILE] [--db PATH] [-n] [-v] [-V]\n"
	"\n"
	"Sends queued OTAP update jobs through the configured GSM modems.\n"
	"Runs in the foreground and logs one line per event to stderr.\n"
	"SIGHUP reloads the config (profiles, modems, retry, log level); SIGTERM stops.\n"
	"\n"
	"  -c, --config FILE   config file (default $OTAPD_CONFIG or " CFG_DEFAULT_PATH ")\n"
	"      --db PATH       database (overrides the config's 'database')\n"
	"  -n, --check-config  check the config, print it normalised, and exit\n"
	"  -v, --verbose       debug logging\n"
	"  -V, --version       print the version and exit\n"
	"  -h, --help          this help\n";

static int parse_options(int argc, char **argv, struct otapd_options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "c:nvVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config_path = optarg; break;
		case 'D': o->db_path = optarg; break;
		case 'n': o->check_only = true; break;
		case 'v': o->verbose = true; break;
		case 'V': puts("otapd " OTAP_VERSION); exit(0);
		case 'h': fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "otapd: unexpected argument '%s'\n%s", argv[optind], usage);
		return -1;
	}
	return 0;
}

/* otapctl init creates the database (README); otapd must not, or a typo
 * in `database` or --db would start an empty queue that no otapctl looks
 * at. store_open() creates missing files, so check first - before the lock
 * file is created next to it, too. */
static int check_database_exists(const char *db_path)
{
	struct stat st;
	if (stat(db_path, &st) == 0)
		return 0;
	if (errno == ENOENT)
		log_errorx("database %s does not exist: create it with otapctl init", db_path);
	else
		log_error("cannot open database %s", db_path);
	return -1;
}

/* One daemon per database: a second one would put the first one's jobs in
 * 'sending' back into the queue at start-up. The lock dies with the process. */
static int lock_database(const char *db_path)
{
	char path[4096];
	snprintf(path, sizeof path, "%s.lock", db_path);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("cannot open lock file %s", path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		log_errorx("another otapd is already running on %s", db_path);
		close(fd);
		return -1;
	}
	/* Our pid in it, so that an otapctl kept waiting for the database
	 * lock can say who is writing. Best effort. */
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("cannot write the pid into lock file %s", path);
	return fd;
}

/* The PostgreSQL password and this instance's name, for every connection
 * the threads open. */
static int set_credentials(const struct cfg *cfg)
{
	struct errbuf err;
	if (store_set_password(cfg->database_password, &err) < 0 ||
	    store_set_instance(cfg->instance, &err) < 0) {
		log_errorx("%s", err.msg);
		return -1;
	}
	return 0;
}

/* Outcomes the last run could not record go in first: their jobs are in
 * 'sending', and crash recovery would otherwise send them again. */
static int apply_recovery_file(const char *db_path, struct store *q)
{
	struct errbuf err;
	int applied = 0;
	if (outcome_file_apply(db_path, q, &applied, &err) < 0) {
		log_errorx("%s; not starting, or those jobs would be sent again (retry when the "
			   "database is free)", err.msg);
		return -1;
	}
	if (applied > 0)
		log_warnx("%d outcome(s) the last run could not record were recorded now", applied);
	return 0;
}

static int recover(const char *db_path)
{
	struct store *q;
	struct errbuf err;
	int count = 0;
	if (store_open(db_path, &q, &err) < 0) {
		log_errorx("%s", err.msg);
		return -1;
	}
	/* PostgreSQL: no recovery file (see save_unrecorded). */
	if (!store_location_is_shared(db_path) && apply_recovery_file(db_path, q) < 0) {
		store_close(q);
		return -1;
	}
	/* PostgreSQL: only jobs whose lease ran out (their instance died) or
	 * that carry this instance's name; the scheduler keeps taking back
	 * dead instances' jobs while otapd runs. */
	int rc = store_recover_interrupted(q, clock_wall_ms(), &count, &err);
	if (rc < 0)
		log_errorx("%s", err.msg);
	else if (count > 0)
		log_warnx("%d job(s) were left in 'sending' by an earlier run; queued again "
			  "(a unit may receive a duplicate SMS)", count);
	store_close(q);
	return rc;
}

/* After the workers are joined: what the store never took goes to the
 * recovery file, all of it in one atomic write. */
static void save_unrecorded(const struct daemon_ctx *d, const struct fleet *fleet)
{
	/* PostgreSQL: a file on this host would help no other instance. A job
	 * whose outcome was not recorded keeps its lease until it runs out;
	 * then any instance takes it back with an 'interrupted' attempt. */
	if (store_location_is_shared(d->db_path))
		return;
	size_t cap = fleet_unrecorded_max(fleet);
	struct outcome *list = calloc(cap + 1, sizeof *list);
	struct errbuf err;
	if (!list) {
		log_errorx("out of memory saving unrecorded outcomes: their units may be sent again");
		return;
	}
	size_t n = fleet_unrecorded(fleet, list, cap);
	if (outcome_file_save(d->db_path, list, n, &err) < 0)
		log_errorx("%s: %zu outcome(s) lost; their units may be sent again", err.msg, n);
	else if (n > 0)
		log_warnx("%zu outcome(s) written to %s.outcomes; the next start records them first",
			  n, d->db_path);
	free(list);
}

/* The HTTP listeners: the units' (notify) and the operators' (admin). */
struct listeners {
	struct notify_server *notify;
	struct admin_server *admin;
};

static void listeners_stop(struct listeners *l)
{
	notify_server_stop(l->notify);
	admin_server_stop(l->admin);
	l->notify = NULL;
	l->admin = NULL;
}

/* Starts the configured listeners. Returns 0, or -1 (logged) with none left running. */
static int listeners_start(struct listeners *l, const struct daemon_ctx *d)
{
	const struct cfg *cfg = d->cfg;
	struct errbuf err;
	if (cfg->notify.listen && notify_server_start(&l->notify, cfg, d->db_path, &err) < 0) {
		log_errorx("notify listener: %s", err.msg);
		return -1;
	}
	if (cfg->admin.listen && admin_server_start(&l->admin, cfg, d->db_path, &err) < 0) {
		log_errorx("admin listener: %s", err.msg);
		listeners_stop(l);
		return -1;
	}
	return 0;
}

/* Starts the helper threads (scheduler, listeners) and one worker per
 * modem of the start's config; returns the number of workers started or -1
 * when a helper failed. */
static int start_threads(struct daemon_ctx *d, struct scheduler *sched,
			 struct listeners *listeners, struct fleet *fleet)
{
	if (listeners_start(listeners, d) < 0)
		return -1;
	/* The units' and the operators' requests see the profiles and modems
	 * of every reload. */
	notify_server_follow(listeners->notify, &d->config);
	admin_server_follow(listeners->admin, &d->config);
	if (scheduler_start(sched, d) < 0) {
		stop_request(d);
		listeners_stop(listeners);
		return -1;
	}
	struct cfg_snap *snap = cfg_snap_acquire(&d->config);
	size_t started = fleet_start(fleet, d, snap);
	cfg_snap_release(&d->config, snap);
	return (int)started;
}

/* Runs the threads until SIGTERM/SIGINT, reloading on SIGHUP (reload.h). */
static int run(struct daemon_ctx *d, struct reload_args *reload)
{
	const struct cfg *cfg = d->cfg;
	struct listeners listeners = { NULL, NULL };
	struct scheduler sched;
	struct fleet fleet = { 0 };
	if (hooks_start(&d->hooks, &cfg->hooks) < 0)
		return -1;
	int started = start_threads(d, &sched, &listeners, &fleet);
	if (started < 0) {
		hooks_stop(d->hooks);
		return -1;
	}
	int rc = 0;
	if ((size_t)started == cfg->modem_count) {
		log_info("started with %d modem(s), database %s", started, d->db_path);
		reload->fleet = &fleet;
		reload_status(reload);
		service_ready(reload->status);
		int sig = signals_wait(reload_on_hup, reload);
		service_stopping();
		log_info("received %s, finishing the current exchanges", strsignal(sig));
	} else {
		rc = -1;
	}
	/* The listeners first: they stop at once, while the workers may still
	 * finish an exchange with their modem. */
	listeners_stop(&listeners);
	stop_request(d);   /* every thread wakes at once */
	fleet_stop(&fleet);
	save_unrecorded(d, &fleet);
	scheduler_join(&sched);
	/* Last: every event is posted; running hooks get their timeout. */
	hooks_stop(d->hooks);
	d->hooks = NULL;
	fleet_free(&fleet);
	return rc;
}

int main(int argc, char **argv)
{
	struct otapd_options opts = { 0 };
	struct cfg cfg;
	struct errbuf err;

	/* Before anything else, so that a SIGHUP during the start stays
	 * pending for the wait instead of killing otapd; inherited by every
	 * thread, so only the main thread takes these signals. */
	signals_block();
	if (parse_options(argc, argv, &opts) < 0)
		return 2;
	log_init("otapd", opts.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	if (runconfig_load(cfg_resolve_path(opts.config_path), &cfg, "") < 0)
		return 2;
	log_set_level(runconfig_log_level(&cfg, opts.verbose));
	if (opts.check_only) {
		cfg_dump(&cfg, stdout);
		cfg_free(&cfg);
		return 0;
	}
	if (runconfig_check(&cfg, &err) < 0) {
		log_errorx("%s", err.msg);
		cfg_free(&cfg);
		return 2;
	}
	struct daemon_ctx d = { 0 };
	atomic_init(&d.sends_ok, 0);
	if (stop_init(&d, &err) < 0 ||
	    (cfg_holder_init(&d.config, &cfg) < 0 && errbuf_set(&err, "out of memory") < 0)) {
		log_errorx("%s", err.msg);
		stop_close(&d);
		cfg_free(&cfg);
		return 1;
	}
	/* The start's snapshot stays for the restart-only settings (daemon.h). */
	struct cfg_snap *start = cfg_snap_acquire(&d.config);
	d.cfg = &start->cfg;
	d.db_path = opts.db_path ? opts.db_path : start->cfg.database;
	struct reload_args reload = { .config_path = start->cfg.path, .verbose = opts.verbose,
				      .db_option = opts.db_path != NULL, .daemon = &d };
	/* One otapd per SQLite file (its lock file); any number of instances
	 * share a PostgreSQL queue, each claiming under its own name. */
	bool shared = store_location_is_shared(d.db_path);
	int lock_fd = shared || check_database_exists(d.db_path) < 0 ? -1 : lock_database(d.db_path);
	int rc = (!shared && lock_fd < 0) || set_credentials(d.cfg) < 0 || recover(d.db_path) < 0 ||
		 run(&d, &reload) < 0 ? 1 : 0;
	if (lock_fd >= 0)
		close(lock_fd);
	stop_close(&d);
	log_info("stopped");
	cfg_snap_release(&d.config, start);
	cfg_holder_destroy(&d.config);
	return rc;
}
