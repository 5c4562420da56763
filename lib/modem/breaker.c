/* breaker.c - a modem's circuit breaker (breaker.h). */
#include "breaker.h"

#include <string.h>

#define KEY_NONE (-1)
#define KEY_NO_ANSWER (-2)
#define KEY_BARE_ERROR (-3)     /* "ERROR" without a +CMS code */

static const char *const state_names[] = {
	[BREAKER_OK] = "ok", [BREAKER_FAILING] = "failing", [BREAKER_DISABLED] = "disabled",
};

const char *breaker_state_name(enum breaker_state state)
{
	return (unsigned)state <= BREAKER_DISABLED ? state_names[state] : "unknown";
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void clear_streak(struct breaker *b)
{
	b->streak_key = KEY_NONE;
	b->streak_len = 0;
}

void breaker_init(struct breaker *b, const struct breaker_config *cfg)
{
	memset(b, 0, sizeof *b);
	b->cfg = *cfg;
	if (b->cfg.max_failures < 1)
		b->cfg.max_failures = 1;
	b->cfg.backoff_min_ms = clamp64(b->cfg.backoff_min_ms, 1, INT64_MAX / 4);
	b->cfg.backoff_max_ms = clamp64(b->cfg.backoff_max_ms, b->cfg.backoff_min_ms, INT64_MAX / 4);
	b->cfg.suspect_jobs = (int)clamp64(b->cfg.suspect_jobs, 1, BREAKER_STREAK_MAX);
	b->state = BREAKER_OK;
	clear_streak(b);
}

void breaker_observe_others(struct breaker *b, int64_t others_ok)
{
	b->others_ok = others_ok;
}

/* The streak key of a failure; modem-class errors have none. */
static int key_of(enum breaker_fault fault, int code)
{
	if (fault == BREAKER_FAULT_TIMEOUT)
		return KEY_NO_ANSWER;
	return code >= 0 ? code : KEY_BARE_ERROR;
}

static bool in_streak(const struct breaker *b, int64_t job)
{
	for (int i = 0; i < b->streak_len; i++) {
		if (b->streak_jobs[i] == job)
			return true;
	}
	return false;
}

/* The streak's length and start if this failure were added. */
static int streak_after(const struct breaker *b, int key, int64_t job, int64_t *others_at_start)
{
	if (b->streak_len > 0 && b->streak_key == key) {
		*others_at_start = b->streak_others;
		if (in_streak(b, job) || b->streak_len == BREAKER_STREAK_MAX)
			return b->streak_len;
		return b->streak_len + 1;
	}
	*others_at_start = b->others_ok;
	return 1;
}

bool breaker_blames_modem(const struct breaker *b, enum breaker_fault fault, int code,
			  int64_t job)
{
	if (fault == BREAKER_FAULT_MODEM)
		return true;
	int64_t others_at_start;
	int len = streak_after(b, key_of(fault, code), job, &others_at_start);
	return len >= b->cfg.suspect_jobs && b->others_ok > others_at_start;
}

static void add_to_streak(struct breaker *b, int key, int64_t job)
{
	if (b->streak_len == 0 || b->streak_key != key) {
		b->streak_key = key;
		b->streak_len = 0;
		b->streak_others = b->others_ok;
	}
	if (!in_streak(b, job) && b->streak_len < BREAKER_STREAK_MAX)
		b->streak_jobs[b->streak_len++] = job;
}

/* One more modem-blamed failure: longer backoff, maybe disabled. */
static bool trip(struct breaker *b, int64_t now)
{
	enum breaker_state before = b->state;
	b->failures++;
	b->backoff_ms = b->backoff_ms == 0 ? b->cfg.backoff_min_ms
					   : clamp64(b->backoff_ms * 2, 1, b->cfg.backoff_max_ms);
	b->next_try = now + b->backoff_ms;
	b->state = b->failures >= b->cfg.max_failures ? BREAKER_DISABLED : BREAKER_FAILING;
	return b->state != before;
}

bool breaker_failure(struct breaker *b, int64_t now, enum breaker_fault fault, int code,
		     int64_t job)
{
	if (fault != BREAKER_FAULT_MODEM)
		add_to_streak(b, key_of(fault, code), job);
	/* A streak trips the modem even when nobody else succeeds (then the
	 * units still pay their attempts): otherwise a modem answering
	 * everything at once with an error would run through the whole queue
	 * before another modem's first send proves it is at fault. */
	if (fault != BREAKER_FAULT_TRANSIENT || b->streak_len >= b->cfg.suspect_jobs)
		return trip(b, now);
	return false;
}

bool breaker_success(struct breaker *b)
{
	enum breaker_state before = b->state;
	b->state = BREAKER_OK;
	b->failures = 0;
	b->backoff_ms = 0;
	b->next_try = 0;
	clear_streak(b);
	return b->state != before;
}

bool breaker_health_passed(struct breaker *b, int64_t now)
{
	if (b->state != BREAKER_DISABLED)
		return false;
	b->state = BREAKER_FAILING;
	b->next_try = now;
	return true;
}

bool breaker_may_send(const struct breaker *b, int64_t now)
{
	return b->state == BREAKER_OK || (b->state == BREAKER_FAILING && now >= b->next_try);
}

int64_t breaker_next_try(const struct breaker *b)
{
	return b->state == BREAKER_OK ? 0 : b->next_try;
}
