/* breaker.h - a modem's circuit breaker: whether the modem may be used,
 * decided from the outcomes of its sends. Pure: no I/O, no clock; times
 * are monotonic milliseconds passed in by the caller.
 *
 * States: ok (in use) -> failing (not used until its backoff ends, then
 * one send is tried) -> disabled (after max_failures modem-blamed failures
 * in a row: the link is closed until the backoff ends and a health check,
 * the modem's init, passes; then failing again). A send that gets through
 * (+CMGS) makes it ok. The backoff doubles per failure, from backoff_min
 * to backoff_max.
 *
 * Blame. A modem-class error (+CMS 300, 302, 310-318..., link lost,
 * ^SYSSTART) is the modem's by definition. A timeout or a transient error
 * may be the unit's, the network's or the modem's; the breaker keeps a
 * streak: the failures of *different* jobs in a row on this modem with the
 * same error (same +CMS code, or "no answer"), with no success in between.
 * Once the streak reaches suspect_jobs while other modems have had
 * successes since it began, the error is the modem's: the try uses no
 * attempt of the unit (and the modem goes failing). With no other modem
 * succeeding nothing tells modem from units apart, so tries count as
 * before and the units' own retry budget decides. A timeout always puts
 * the modem into failing (a modem that stops answering must not take the
 * next job at once); transient errors once the streak is long enough,
 * whether or not the others succeed (so a modem answering everything with
 * an error at once cannot run through the queue meanwhile).
 *
 * A job put back because of its modem is due at once while that modem
 * backs off (at least backoff_min), so another modem takes it first: no
 * avoid list is needed.
 */
#ifndef OTAP_BREAKER_H
#define OTAP_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

enum breaker_state { BREAKER_OK, BREAKER_FAILING, BREAKER_DISABLED };

enum breaker_fault {
	BREAKER_FAULT_MODEM,            /* modem-class error: always the modem's */
	BREAKER_FAULT_TIMEOUT,          /* no answer to a send */
	BREAKER_FAULT_TRANSIENT,        /* a transient error, code = +CMS code or -1 */
};

/* Different jobs remembered in a streak (more only saturate the count). */
#define BREAKER_STREAK_MAX 8

struct breaker_config {
	int max_failures;               /* modem-blamed failures in a row before disabled, >= 1 */
	int64_t backoff_min_ms;         /* first backoff */
	int64_t backoff_max_ms;         /* cap */
	int suspect_jobs;               /* streak length that blames the modem, 1..BREAKER_STREAK_MAX */
};

struct breaker {
	struct breaker_config cfg;
	enum breaker_state state;
	int failures;                   /* modem-blamed failures since the last success */
	int64_t backoff_ms;             /* of the last failure; 0 when ok */
	int64_t next_try;               /* monotonic; not used before (failing, disabled) */
	int streak_key;                 /* the streak's error: +CMS code, -1 none, -2 no answer */
	int streak_len;                 /* different jobs in it (saturates at BREAKER_STREAK_MAX) */
	int64_t streak_jobs[BREAKER_STREAK_MAX];
	int64_t streak_others;          /* others_ok when the streak began */
	int64_t others_ok;              /* successes of other modems so far (caller-fed) */
};

/* Starts in ok with cfg (copied; out-of-range values are clamped). */
void breaker_init(struct breaker *b, const struct breaker_config *cfg);

/* Tells the breaker how many successful sends the *other* modems have had
 * so far (a count that only grows). Call before each send. */
void breaker_observe_others(struct breaker *b, int64_t others_ok);

/* Whether a failure of job with fault/code would be the modem's (see the
 * top of this file): then the try must not use an attempt. Changes nothing. */
bool breaker_blames_modem(const struct breaker *b, enum breaker_fault fault, int code,
			  int64_t job);

/* Records a failed send of job at now: modem-class errors and timeouts
 * trip the breaker (failing, longer backoff, disabled after max_failures
 * in a row), transient errors once their streak reaches suspect_jobs.
 * Returns true when the state changed (ok -> failing, failing ->
 * disabled): the one moment to log it. */
bool breaker_failure(struct breaker *b, int64_t now, enum breaker_fault fault, int code,
		     int64_t job);

/* Records a send that got through: back to ok, streak and failures
 * cleared. Returns true when the state changed. */
bool breaker_success(struct breaker *b);

/* Records a passed health check (the modem's init) at now: a disabled
 * modem becomes failing, with one send allowed at once. Returns true when
 * the state changed. */
bool breaker_health_passed(struct breaker *b, int64_t now);

/* Whether the modem may send at now: ok, or failing with its backoff over. */
bool breaker_may_send(const struct breaker *b, int64_t now);

/* The earliest monotonic time the modem may be used again: 0 when ok. */
int64_t breaker_next_try(const struct breaker *b);

/* "ok", "failing", "disabled". */
const char *breaker_state_name(enum breaker_state state);

#endif
