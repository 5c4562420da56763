/* policy.h - what a failed send means for the job and the modem: retry with
 * backoff, give up, or blame the modem (spec §4). Pure: no I/O, no clock. */
#ifndef OTAP_POLICY_H
#define OTAP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "at.h"

enum send_verdict {
	VERDICT_RETRY,          /* unit-side or unknown trouble: queued again, attempt used */
	VERDICT_FAIL,           /* permanent for this number: failed */
	VERDICT_MODEM,          /* the sending modem/SIM is at fault: requeue without using an
				 * attempt, re-initialise the modem */
};

struct send_decision {
	enum send_verdict verdict;
	const char *result;     /* attempt result: transient, permanent, modem, timeout */
	int cms_error;          /* -1 when none */
	bool long_backoff;      /* the failure is likely to last (CMS 38) */
	bool watchdog;          /* counts towards the modem's consecutive-timeout watchdog */
	char detail[200];       /* "+CMS ERROR 1 (unassigned number)" */
};

/* Decides from an AT_EV_SEND_FAILED event; modem_restarted is true when
 * ^SYSSTART arrived during the exchange. */
void policy_decide(const struct at_event *ev, bool modem_restarted, struct send_decision *out);

/* Decision for a link failure (TCP drop, serial unplug) during a send. */
void policy_link_lost(const char *reason, struct send_decision *out);

/* Backoff before try number attempts_done+1: backoff_initial doubled per
 * attempt already used, capped at backoff_max (straight to the cap when
 * long_backoff), then "equal jitter": scaled by 0.5 + rand01/2 so that units
 * failing together do not retry together. rand01 in [0,1). */
int64_t policy_backoff_ms(int64_t backoff_initial_ms, int64_t backoff_max_ms, int attempts_done,
			  bool long_backoff, double rand01);

/* The one rule for a try that counted against the job's budget: once
 * attempts (tries used, this one included) reaches max_attempts the job
 * gives up. Writes the job's last_error to error: "gave up after N
 * attempts: why" (without ": why" when why is NULL), or why ("" for
 * NULL) when it may go on. Returns true when it gives up. */
bool policy_gives_up(int attempts, int max_attempts, const char *why, char *error, size_t cap);

#endif
