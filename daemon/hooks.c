/* hooks.c - the hook runner thread: a bounded event queue, /bin/sh -c per
 * event (posix_spawn), a reaper thread per child (waitpid on that pid only,
 * no SIGCHLD handler), timeouts with SIGTERM then SIGKILL (hooks.h). */
/* For posix_spawn_file_actions_addclosefrom_np (glibc 2.34). */
#define _GNU_SOURCE
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "log.h"

#define KILL_GRACE_MS 1000      /* SIGTERM, then SIGKILL after this */
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

struct child {
	struct hooks *h;
	pid_t pid;
	pthread_t reaper;
	enum hook_kind kind;
	int64_t job_id;
	int64_t deadline;               /* monotonic ms: next SIGTERM/SIGKILL */
	int stage;                      /* 0 running, 1 SIGTERM sent, 2 SIGKILL sent */
	bool exited;
	int status;
};

struct hooks {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	const char *cmd[2];             /* by enum hook_kind; NULL = not configured */
	int timeout_s;
	struct hook_event queue[HOOKS_QUEUE_MAX];
	size_t head, count;
	size_t dropped;                 /* dropped since the last warning */
	bool stopping;
	struct child *running[HOOKS_RUNNING_MAX];
	size_t nrunning;
};

extern char **environ;

/* ---- the environment ---- */

const char *hooks_name(enum hook_kind kind)
{
	return kind == HOOK_JOB_FAILED ? "on_job_failed" : "on_rollout_paused";
}

static void iso_time(int64_t ms, char *buf, size_t cap)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Appends "NAME=value" at *used and records it in envp[*n]. */
static void env_add(struct hook_env *env, size_t *used, size_t *n, const char *name,
		    const char *value)
{
	size_t cap = sizeof env->text - *used;
	int len = snprintf(env->text + *used, cap, "%s=%s", name, value);
	if (len < 0 || (size_t)len >= cap || *n + 1 >= HOOKS_ENV_MAX)
		return;
	env->envp[(*n)++] = env->text + *used;
	*used += (size_t)len + 1;
}

void hooks_build_env(const struct hook_event *ev, struct hook_env *env)
{
	char id[24] = "", when[32], reason[STORE_TEXT_MAX * TEXTESC_MAX_PER_BYTE + 1];
	const char *path = getenv("PATH");
	size_t used = 0, n = 0;
	if (ev->job_id > 0)
		snprintf(id, sizeof id, "%" PRId64, ev->job_id);
	iso_time(ev->time_ms, when, sizeof when);
	textesc_str(reason, sizeof reason, ev->reason);
	env_add(env, &used, &n, "OTAPD_EVENT",
		ev->kind == HOOK_JOB_FAILED ? "job_failed" : "rollout_paused");
	env_add(env, &used, &n, "OTAPD_JOB_ID", id);
	env_add(env, &used, &n, "OTAPD_TO", ev->to);
	env_add(env, &used, &n, "OTAPD_PROFILE", ev->profile);
	env_add(env, &used, &n, "OTAPD_ROLLOUT", ev->rollout);
	env_add(env, &used, &n, "OTAPD_REASON", reason);
	env_add(env, &used, &n, "OTAPD_TIME", when);
	/* Last: a very long $PATH must not crowd out the event. */
	env_add(env, &used, &n, "PATH", path && *path ? path : DEFAULT_PATH);
	env->envp[n] = NULL;
}

/* ---- children ---- */

static void *reaper_main(void *arg)
{
	struct child *c = arg;
	int status = 0;
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&c->h->mu);
	c->exited = true;
	c->status = status;
	pthread_cond_broadcast(&c->h->cv);
	pthread_mutex_unlock(&c->h->mu);
	return NULL;
}

/* posix_spawn's set-up: stdin /dev/null, stdout to the log (stderr), no
 * signal blocked (the daemon blocks SIGTERM & co. in every thread), its own
 * process group so that a timeout kills the whole command. */
static int spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *at)
{
	sigset_t none, defaults;
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGHUP);
	sigaddset(&defaults, SIGPIPE);
	if (posix_spawn_file_actions_init(fa) != 0)
		return -1;
	if (posix_spawnattr_init(at) != 0) {
		posix_spawn_file_actions_destroy(fa);
		return -1;
	}
	posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(fa, STDERR_FILENO, STDOUT_FILENO);
	/* Not every descriptor is close-on-exec (libserialport opens the modems
	 * without it): a hook gets stdin, stdout and stderr, nothing else. */
	posix_spawn_file_actions_addclosefrom_np(fa, STDERR_FILENO + 1);
	posix_spawnattr_setsigmask(at, &none);
	posix_spawnattr_setsigdefault(at, &defaults);
	posix_spawnattr_setpgroup(at, 0);
	posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
				 POSIX_SPAWN_SETPGROUP);
	return 0;
}

/* Spawns /bin/sh -c cmd with env. Returns the pid or -1 (logged). */
static pid_t spawn_shell(const char *name, const char *cmd, struct hook_env *env)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	pid_t pid = -1;
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	if (spawn_setup(&fa, &at) < 0) {
		log_errorx("hook %s: cannot prepare the spawn", name);
		return -1;
	}
	int rc = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, env->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		log_errorx("hook %s: cannot run /bin/sh: %s", name, strerror(rc));
		return -1;
	}
	return pid;
}

/* Starts ev's hook as a child with its reaper. Called with mu held (let go
 * during the spawn). */
static void child_start(struct hooks *h, const struct hook_event *ev)
{
	const char *name = hooks_name(ev->kind);
	struct hook_env env;
	struct child *c = calloc(1, sizeof *c);
	if (!c) {
		log_errorx("hook %s: out of memory; event dropped", name);
		return;
	}
	hooks_build_env(ev, &env);
	c->h = h;
	c->kind = ev->kind;
	c->job_id = ev->job_id;
	c->deadline = clock_mono_ms() + (int64_t)h->timeout_s * 1000;
	/* Unlocked while spawning: a sender posting meanwhile never waits for
	 * a fork. Only this thread touches running[]. */
	pthread_mutex_unlock(&h->mu);
	c->pid = spawn_shell(name, h->cmd[ev->kind], &env);
	pthread_mutex_lock(&h->mu);
	if (c->pid < 0) {
		free(c);
		return;
	}
	if (pthread_create(&c->reaper, NULL, reaper_main, c) != 0) {
		/* No reaper: do not leave a zombie behind. */
		log_errorx("hook %s: cannot start its reaper; killed", name);
		kill(-c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		free(c);
		return;
	}
	h->running[h->nrunning++] = c;
}

static void log_exit(const struct child *c)
{
	const char *name = hooks_name(c->kind);
	if (WIFEXITED(c->status) && WEXITSTATUS(c->status) != 0)
		log_warnx("hook %s (job %" PRId64 ") exited with status %d", name, c->job_id,
			  WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status) && c->stage == 0)
		log_warnx("hook %s (job %" PRId64 ") killed by signal %d", name, c->job_id,
			  WTERMSIG(c->status));
	else
		log_debug("hook %s (job %" PRId64 ") done", name, c->job_id);
}

/* Joins and forgets the children that exited. Called with mu held. */
static void children_reap(struct hooks *h)
{
	size_t k = 0;
	for (size_t i = 0; i < h->nrunning; i++) {
		struct child *c = h->running[i];
		if (!c->exited) {
			h->running[k++] = c;
			continue;
		}
		pthread_join(c->reaper, NULL);
		log_exit(c);
		free(c);
	}
	h->nrunning = k;
}

/* SIGTERM at the timeout, SIGKILL a grace period later. Returns the
 * earliest deadline still ahead (INT64_MAX when none). mu held. */
static int64_t children_enforce(struct hooks *h, int64_t now)
{
	int64_t next = INT64_MAX;
	for (size_t i = 0; i < h->nrunning; i++) {
		struct child *c = h->running[i];
		if (c->exited)
			continue;
		if (now >= c->deadline && c->stage == 0) {
			log_warnx("hook %s timed out after %ds", hooks_name(c->kind), h->timeout_s);
			kill(-c->pid, SIGTERM);
			c->stage = 1;
			c->deadline = now + KILL_GRACE_MS;
		} else if (now >= c->deadline && c->stage == 1) {
			kill(-c->pid, SIGKILL);
			c->stage = 2;
			c->deadline = INT64_MAX;
		}
		next = c->deadline < next ? c->deadline : next;
	}
	return next;
}

/* ---- the runner ---- */

static void wait_until(struct hooks *h, int64_t deadline)
{
	if (deadline == INT64_MAX) {
		pthread_cond_wait(&h->cv, &h->mu);
		return;
	}
	struct timespec ts = { .tv_sec = (time_t)(deadline / 1000),
			       .tv_nsec = (long)(deadline % 1000) * 1000000L };
	pthread_cond_timedwait(&h->cv, &h->mu, &ts);
}

/* Starts queued events while there is room; at stop, drops them. mu held. */
static void queue_drain(struct hooks *h)
{
	if (h->stopping && h->count > 0) {
		log_warnx("stopping: %zu queued hook event(s) not run", h->count);
		h->count = 0;
	}
	while (h->count > 0 && h->nrunning < HOOKS_RUNNING_MAX) {
		struct hook_event ev = h->queue[h->head];
		h->head = (h->head + 1) % HOOKS_QUEUE_MAX;
		h->count--;
		child_start(h, &ev);
	}
	if (h->dropped > 0) {
		log_warnx("hook queue full: %zu event(s) dropped", h->dropped);
		h->dropped = 0;
	}
}

static void *runner_main(void *arg)
{
	struct hooks *h = arg;
	pthread_mutex_lock(&h->mu);
	for (;;) {
		children_reap(h);
		queue_drain(h);
		/* After the drain: a child started just now has a deadline too. */
		int64_t next = children_enforce(h, clock_mono_ms());
		if (h->stopping && h->nrunning == 0)
			break;
		wait_until(h, next);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static int sync_init(struct hooks *h)
{
	pthread_condattr_t ca;
	if (pthread_condattr_init(&ca) != 0)
		return -1;
	int rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
		 pthread_cond_init(&h->cv, &ca) != 0 ? -1 : 0;
	pthread_condattr_destroy(&ca);
	if (rc == 0 && pthread_mutex_init(&h->mu, NULL) != 0) {
		pthread_cond_destroy(&h->cv);
		rc = -1;
	}
	return rc;
}

int hooks_start(struct hooks **out, const struct cfg_hooks *cfg)
{
	*out = NULL;
	if (!cfg->on_job_failed && !cfg->on_rollout_paused)
		return 0;
	struct hooks *h = calloc(1, sizeof *h);
	if (!h || sync_init(h) < 0) {
		free(h);
		log_errorx("hooks: cannot set up the runner");
		return -1;
	}
	h->cmd[HOOK_JOB_FAILED] = cfg->on_job_failed;
	h->cmd[HOOK_ROLLOUT_PAUSED] = cfg->on_rollout_paused;
	h->timeout_s = cfg->timeout_s;
	if (pthread_create(&h->thread, NULL, runner_main, h) != 0) {
		log_errorx("hooks: cannot start the runner thread");
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		free(h);
		return -1;
	}
	*out = h;
	return 0;
}

void hooks_post(struct hooks *h, const struct hook_event *ev)
{
	if (!h || !h->cmd[ev->kind])
		return;
	pthread_mutex_lock(&h->mu);
	if (h->stopping) {
		/* Too late to run: said once at the stop. */
	} else if (h->count == HOOKS_QUEUE_MAX) {
		h->dropped++;
	} else {
		h->queue[(h->head + h->count) % HOOKS_QUEUE_MAX] = *ev;
		h->count++;
	}
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

void hooks_stop(struct hooks *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
