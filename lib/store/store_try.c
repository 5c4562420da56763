/* store_try.c - what a finished try does to its job (store_try.h), shared
 * by the engines. */
#include "store_try.h"

#include <stdio.h>
#include <string.h>

#include "policy.h"

void store_plan_transition(enum try_end end, bool count_attempt, const struct job_counters *c,
			   const char *detail, struct transition *t)
{
	memset(t, 0, sizeof *t);
	t->attempts = count_attempt ? c->attempts + 1 : c->attempts;
	/* Sent: the earlier tries' errors no longer describe the job (they
	 * stay in its attempt history); error "" clears last_error. */
	t->set_error = true;
	switch (end) {
	case END_SENT:
		t->state = JOB_SENT;
		break;
	case END_FAILED:
		t->state = JOB_FAILED;
		snprintf(t->error, sizeof t->error, "%s", detail ? detail : "");
		break;
	case END_RETRY:
		if (count_attempt &&
		    policy_gives_up(t->attempts, c->max_attempts, detail, t->error, sizeof t->error)) {
			t->state = JOB_FAILED;
			break;
		}
		snprintf(t->error, sizeof t->error, "%s", detail ? detail : "");
		/* Its rollout was cancelled while this try ran: the job
		 * would wait in the queue forever. */
		t->state = c->rollout_cancelled ? JOB_CANCELLED : JOB_QUEUED;
		t->set_not_before = !c->rollout_cancelled;
		break;
	}
}

const char *store_try_result(enum try_end end, bool count_attempt)
{
	switch (end) {
	case END_SENT:
		return "sent";
	case END_FAILED:
		return "permanent";
	case END_RETRY:
		break;
	}
	return count_attempt ? "transient" : "modem";
}
