/* test_hooks.c - the environment a hook gets (daemon/hooks.c,
 * hooks_build_env): the OTAPD_* variables, escaping, ISO time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hooks.h"

static const char *env_get(const struct hook_env *env, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; env->envp[i]; i++) {
		if (strncmp(env->envp[i], name, len) == 0 && env->envp[i][len] == '=')
			return env->envp[i] + len + 1;
	}
	return NULL;
}

static size_t env_count(const struct hook_env *env)
{
	size_t n = 0;
	while (env->envp[n])
		n++;
	return n;
}

static void job_failed_env(void **state)
{
	(void)state;
	struct hook_event ev = { .kind = HOOK_JOB_FAILED, .job_id = 42,
				 .time_ms = 1700000000123LL };
	struct hook_env env;
	snprintf(ev.to, sizeof ev.to, "+491710000001");
	snprintf(ev.profile, sizeof ev.profile, "p");
	snprintf(ev.rollout, sizeof ev.rollout, "r1");
	snprintf(ev.reason, sizeof ev.reason, "+CMS ERROR 1\n\x1b[2J");
	setenv("PATH", "/usr/bin:/bin", 1);
	hooks_build_env(&ev, &env);
	assert_int_equal(env_count(&env), 8);
	assert_string_equal(env_get(&env, "PATH"), "/usr/bin:/bin");
	assert_string_equal(env_get(&env, "OTAPD_EVENT"), "job_failed");
	assert_string_equal(env_get(&env, "OTAPD_JOB_ID"), "42");
	assert_string_equal(env_get(&env, "OTAPD_TO"), "+491710000001");
	assert_string_equal(env_get(&env, "OTAPD_PROFILE"), "p");
	assert_string_equal(env_get(&env, "OTAPD_ROLLOUT"), "r1");
	assert_string_equal(env_get(&env, "OTAPD_REASON"), "+CMS ERROR 1\\x0a\\x1b[2J");
	assert_string_equal(env_get(&env, "OTAPD_TIME"), "2023-11-14T22:13:20Z");
}

static void rollout_paused_env(void **state)
{
	(void)state;
	struct hook_event ev = { .kind = HOOK_ROLLOUT_PAUSED, .time_ms = 0 };
	struct hook_env env;
	snprintf(ev.rollout, sizeof ev.rollout, "spring");
	snprintf(ev.reason, sizeof ev.reason, "wave 1: failure rate 50.0%% > 20.0%%");
	hooks_build_env(&ev, &env);
	assert_string_equal(env_get(&env, "OTAPD_EVENT"), "rollout_paused");
	assert_string_equal(env_get(&env, "OTAPD_JOB_ID"), "");
	assert_string_equal(env_get(&env, "OTAPD_TO"), "");
	assert_string_equal(env_get(&env, "OTAPD_ROLLOUT"), "spring");
	assert_string_equal(env_get(&env, "OTAPD_REASON"), "wave 1: failure rate 50.0% > 20.0%");
	assert_string_equal(env_get(&env, "OTAPD_TIME"), "1970-01-01T00:00:00Z");
	assert_string_equal(hooks_name(HOOK_ROLLOUT_PAUSED), "on_rollout_paused");
	assert_string_equal(hooks_name(HOOK_JOB_FAILED), "on_job_failed");
}

/* A reason of full length still fits, escaped (every byte a control). */
static void long_reason_fits(void **state)
{
	(void)state;
	struct hook_event ev = { .kind = HOOK_JOB_FAILED, .job_id = 1 };
	struct hook_env env;
	memset(ev.reason, 0x01, sizeof ev.reason - 1);
	ev.reason[sizeof ev.reason - 1] = '\0';
	hooks_build_env(&ev, &env);
	const char *r = env_get(&env, "OTAPD_REASON");
	assert_non_null(r);
	assert_int_equal(strlen(r), (sizeof ev.reason - 1) * 4);
	assert_non_null(env_get(&env, "OTAPD_TIME"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(job_failed_env),
		cmocka_unit_test(rollout_paused_env),
		cmocka_unit_test(long_reason_fits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
