/* policy.c - classification of send failures and retry backoff (policy.h). */
#include "policy.h"

#include <stdio.h>
#include <string.h>
#include "cms.h"

static void decide_cms(int code, struct send_decision *out)
{
	enum cms_class cls = cms_classify(code);
	out->cms_error = code;
	snprintf(out->detail, sizeof out->detail, "+CMS ERROR %d (%s)%s", code, cms_meaning(code),
		 cms_is_our_bug(code) ? " - PDU rejected as invalid: please report this otapd bug" : "");
	switch (cls) {
	case CMS_PERMANENT:
		out->verdict = VERDICT_FAIL;
		out->result = "permanent";
		break;
	case CMS_MODEM:
		out->verdict = VERDICT_MODEM;
		out->result = "modem";
		break;
	case CMS_TRANSIENT:
		out->verdict = VERDICT_RETRY;
		out->result = "transient";
		out->long_backoff = cms_long_backoff(code);
		break;
	}
}

void policy_decide(const struct at_event *ev, bool modem_restarted, struct send_decision *out)
{
	memset(out, 0, sizeof *out);
	out->cms_error = -1;
	if (modem_restarted) {
		out->verdict = VERDICT_MODEM;
		out->result = "modem";
		snprintf(out->detail, sizeof out->detail, "modem restarted during the send (^SYSSTART)");
		return;
	}
	switch (ev->failure) {
	case AT_SEND_CMS_ERROR:
		decide_cms(ev->cms_error, out);
		return;
	case AT_SEND_ERROR:
		out->verdict = VERDICT_RETRY;
		out->result = "transient";
		snprintf(out->detail, sizeof out->detail, "modem answered %.150s", ev->text[0] ? ev->text : "ERROR");
		return;
	case AT_SEND_NO_PROMPT:
	case AT_SEND_TIMEOUT:
		/* Counted as an attempt so that a unit whose PDU keeps upsetting the
		 * modem cannot loop forever; also fed to the watchdog. */
		out->verdict = VERDICT_RETRY;
		out->result = "timeout";
		out->watchdog = true;
		snprintf(out->detail, sizeof out->detail, "%.150s", ev->text[0] ? ev->text : "no answer from the modem");
		return;
	}
}

void policy_link_lost(const char *reason, struct send_decision *out)
{
	memset(out, 0, sizeof *out);
	out->cms_error = -1;
	out->verdict = VERDICT_MODEM;
	out->result = "modem";
	snprintf(out->detail, sizeof out->detail, "modem link lost during the send: %.150s", reason);
}

int64_t policy_backoff_ms(int64_t backoff_initial_ms, int64_t backoff_max_ms, int attempts_done,
			  bool long_backoff, double rand01)
{
	int64_t delay = backoff_initial_ms;
	for (int i = 1; i < attempts_done && delay < backoff_max_ms; i++)
		delay *= 2;
	if (long_backoff || delay > backoff_max_ms)
		delay = backoff_max_ms;
	return delay / 2 + (int64_t)((double)(delay / 2) * rand01);
}

bool policy_gives_up(int attempts, int max_attempts, const char *why, char *error, size_t cap)
{
	if (attempts < max_attempts) {
		snprintf(error, cap, "%s", why ? why : "");
		return false;
	}
	snprintf(error, cap, "gave up after %d attempts%s%s", attempts, why ? ": " : "",
		 why ? why : "");
	return true;
}
