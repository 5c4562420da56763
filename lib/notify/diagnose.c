/* diagnose.c - the diagnosis rules of diagnose.h, one function per silence
 * of the spec's §6 table. */
#include "diagnose.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "notify.h"

static void cause(struct diagnosis *d, enum diag_cause rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void cause(struct diagnosis *d, enum diag_cause rule, const char *fmt, ...)
{
	va_list ap;
	d->rule = rule;
	va_start(ap, fmt);
	vsnprintf(d->cause, sizeof d->cause, fmt, ap);
	va_end(ap);
}

static void advise(struct diagnosis *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void advise(struct diagnosis *d, const char *fmt, ...)
{
	if (d->advice_count == DIAG_ADVICE_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->advice[d->advice_count++], DIAG_TEXT_MAX, fmt, ap);
	va_end(ap);
}

static const char *field(const char *value)
{
	return value ? value : "";
}

void diagnose_sjotap_line(const struct otap_profile *p, char *buf, size_t cap)
{
	/* AT^SJOTAP=[pwd],[jadurl],[appdir],[httpuser],[httppwd],[bearer],
	 * [apn],[netuser],[netpwd],[dns],[notifyurl] */
	snprintf(buf, cap, "AT^SJOTAP=%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s",
		 p->password ? "****" : "", p->jar_file ? "" : field(p->jad_url), field(p->app_dir),
		 field(p->http_user), p->http_password ? "****" : "", field(p->bearer), field(p->apn),
		 field(p->net_user), p->net_password ? "****" : "", field(p->dns),
		 p->jar_file ? "" : field(p->notify_url));
}

/* "--rollout NAME " for the retry advice, or "" for a job of no rollout. */
static void rollout_option(const struct diag_input *in, char *buf, size_t cap)
{
	if (in->job->rollout[0])
		snprintf(buf, cap, "--rollout %s ", in->job->rollout);
	else
		buf[0] = '\0';
}

static const char *profile_name(const struct diag_input *in)
{
	return in->profile ? in->profile->name : in->job->profile;
}

/* Never sent: still waiting, or refused before any SM went out. */
static void never_sent(const struct diag_input *in, struct diagnosis *d)
{
	const struct job *j = in->job;
	if (j->state != JOB_FAILED && j->state != JOB_CANCELLED) {
		cause(d, DIAG_WAITING, "not sent yet (%s%s%s)", job_state_name(j->state),
		      j->last_error[0] ? ", last try: " : "", j->last_error);
		advise(d, "nothing to do yet: the job waits for its time, window, wave or a modem "
		       "(see otapctl rollout status and the otapd log)");
		return;
	}
	cause(d, DIAG_NOT_SENT, "the SMS was never sent: %s",
	      j->last_error[0] ? j->last_error : job_state_name(j->state));
	advise(d, "fix what the error names (the number, the profile, the SIM or the network), "
	       "then otapctl retry %lld", (long long)j->id);
}

/* Sent, nothing heard since. What can be told depends on whether a status
 * report was asked for and whether otapd serves the download. */
static void sent_silent(const struct diag_input *in, struct diagnosis *d)
{
	const struct otap_profile *p = in->profile;
	if (p && p->status_report) {
		cause(d, DIAG_NO_DELIVERY, "SMS not delivered: no status report although one was "
		      "requested (the unit is off or out of coverage, or the network dropped or "
		      "rewrote PID 0x7D / class 1)");
		char opt[STORE_NAME_MAX + 16];
		rollout_option(in, opt, sizeof opt);
		advise(d, "retry later: otapctl retry --failed %s--stopped-at sent", opt);
		advise(d, "try a profile with pid = 0x00 and/or sms_class = 0 (the module's "
		       "\"Ignore SMS PID check\")");
		return;
	}
	if (!p || !p->jar_file) {
		cause(d, DIAG_SENT_EXTERNAL, "sent, and no report from the unit; otapd cannot see "
		      "the download from the jad_url's server");
		advise(d, "serve the update from otapd (jar_file, jad_file in profile '%s') to see "
		       "where units stop", profile_name(in));
		advise(d, "set status_report = true to know whether the SMS was delivered");
		return;
	}
	cause(d, DIAG_SENT_BLIND, "sent, but the unit never fetched its JAD; without a status "
	      "report otapd cannot tell an SMS that never arrived from a unit that never reached "
	      "the server");
	advise(d, "set status_report = true in profile '%s' to separate the two",
	       profile_name(in));
}

/* Delivered (or assumed so) and no JAD request: the PLS62-W case. */
static void no_jad(const struct diag_input *in, struct diagnosis *d)
{
	char line[DIAG_TEXT_MAX - 64];
	cause(d, DIAG_NO_JAD, "delivered, but the unit never fetched its JAD: it never reached "
	      "the server (bearer, APN or DNS on the unit: the PLS62-W \"JAD Server Not Found\" "
	      "case), or the SMS password did not match (the unit then does nothing, which "
	      "otapd cannot see)");
	if (in->profile) {
		diagnose_sjotap_line(in->profile, line, sizeof line);
		advise(d, "check AT^SJOTAP? on the unit: APN, bearer and DNS set by AT win over the "
		       "SMS; set them by AT: %s", line);
	}
	advise(d, "values set by AT^SJOTAP cannot be overridden by SMS; after a firmware update "
	       "set the OTAP parameters by AT again");
	advise(d, "DNS: try the server's IP address in notify.public_url");
	advise(d, "try plain http to separate DNS from TLS; TLS needs a correct module clock "
	       "(AT+CCLK?)");
	advise(d, "check that the profile's password matches the one set with AT^SJOTAP");
}

static void descriptor(const struct diag_input *in, struct diagnosis *d)
{
	cause(d, DIAG_DESCRIPTOR, "the unit fetched the JAD but never asked for the JAR: it "
	      "rejected the descriptor (attributes missing or inconsistent) or cannot reach "
	      "MIDlet-Jar-URL");
	advise(d, "otapctl preflight --profile %s", profile_name(in));
	advise(d, "check that MIDlet-Jar-URL is reachable from the units' network");
}

static void jar_cut(const struct diag_input *in, struct diagnosis *d)
{
	char opt[STORE_NAME_MAX + 16];
	rollout_option(in, opt, sizeof opt);
	cause(d, DIAG_JAR_CUT, "the JAR download was cut short: the bearer dropped during the "
	      "download (weak signal, data limit)");
	advise(d, "retry, it is transient: otapctl retry --failed %s--stopped-at jar_partial", opt);
	advise(d, "check the units' signal and data plan");
}

static void no_report(const struct diag_input *in, struct diagnosis *d)
{
	(void)in;
	cause(d, DIAG_NO_REPORT, "the unit downloaded the whole JAR but never reported: the "
	      "install failed without a report, or the notify URL is not reachable from the unit");
	advise(d, "check the notify URL from the units' network (host, https); the unit may "
	       "have updated anyway: check its application version");
}

/* What to fix for a reported code (spec §5). */
static const char *fix_for(int code)
{
	switch (code) {
	case 901: return "free memory on the unit (a smaller application, or delete the old one)";
	case 903: return "retry: the unit lost its connection";
	case 904: return "the JAD's MIDlet-Jar-Size does not match the JAR: a server-side "
			 "mistake (otapctl preflight checks it; jar_file computes it)";
	case 905: return "the JAD's MIDlet-Name/Vendor/Version differ from the JAR's manifest: "
			 "fix the JAD or rebuild the JAR (otapctl preflight checks it)";
	case 906: return "the descriptor is invalid: check its attributes (otapctl preflight)";
	case 907: return "the JAR is invalid: rebuild it and check it unzips";
	case 908: return "the application does not fit the unit's configuration or profile "
			 "(MicroEdition-Configuration/Profile)";
	case 909: return "the signature did not verify: sign the JAR with a certificate the "
			 "unit trusts";
	case 910: return "the application is not authorised on the unit: check its "
			 "permissions and signing domain";
	default: return "see the module's documentation for this status code";
	}
}

static void reported(const struct diag_input *in, struct diagnosis *d)
{
	const char *meaning = notify_code_meaning(in->notify_code);
	d->code = in->notify_code;
	cause(d, DIAG_REPORTED, "the unit reported %03d%s%s", in->notify_code,
	      meaning ? " " : "", meaning ? meaning : "");
	advise(d, "%s", fix_for(in->notify_code));
}

static void diagnose_step(const struct diag_input *in, struct diagnosis *out)
{
	switch (out->stopped_at) {
	case JOB_STEP_QUEUED: never_sent(in, out); break;
	case JOB_STEP_SENT: sent_silent(in, out); break;
	case JOB_STEP_DELIVERED:
		if (in->profile && in->profile->jar_file)
			no_jad(in, out);
		else
			sent_silent(in, out);
		break;
	case JOB_STEP_JAD_FETCHED: descriptor(in, out); break;
	case JOB_STEP_JAR_PARTIAL: jar_cut(in, out); break;
	case JOB_STEP_JAR_FETCHED: no_report(in, out); break;
	case JOB_STEP_REPORTED:
	case JOB_STEP_COUNT:
		reported(in, out);
		break;
	}
}

/* A job that is sent or delivered still waits for its unit: say so, the
 * silence may yet end. */
static void note_waiting(const struct job *j, struct diagnosis *d)
{
	size_t len = strlen(d->cause);
	if (j->state == JOB_SENT || j->state == JOB_DELIVERED)
		snprintf(d->cause + len, sizeof d->cause - len, " (still waiting for the unit)");
}

void diagnose_job(const struct diag_input *in, struct diagnosis *out)
{
	const struct job *j = in->job;
	memset(out, 0, sizeof *out);
	out->code = -1;
	out->stopped_at = (unsigned)j->reached < JOB_STEP_COUNT ? (enum job_step)j->reached
								 : JOB_STEP_QUEUED;
	if (j->state == JOB_CONFIRMED) {
		cause(out, DIAG_CONFIRMED, "updated: the unit confirmed the installation");
		return;
	}
	diagnose_step(in, out);
	if (out->stopped_at != JOB_STEP_REPORTED)
		note_waiting(j, out);
}

static const char *const cause_names[DIAG_CAUSE_COUNT] = {
	[DIAG_WAITING] = "waiting", [DIAG_NOT_SENT] = "not_sent",
	[DIAG_NO_DELIVERY] = "no_delivery", [DIAG_SENT_BLIND] = "sent_blind",
	[DIAG_NO_JAD] = "no_jad", [DIAG_DESCRIPTOR] = "descriptor", [DIAG_JAR_CUT] = "jar_cut",
	[DIAG_NO_REPORT] = "no_report", [DIAG_REPORTED] = "reported",
	[DIAG_SENT_EXTERNAL] = "sent_external", [DIAG_CONFIRMED] = "confirmed",
};

const char *diag_cause_name(enum diag_cause rule)
{
	return (unsigned)rule < DIAG_CAUSE_COUNT ? cause_names[rule] : "unknown";
}

int diag_cause_parse(const char *name, enum diag_cause *out)
{
	for (int i = 0; i < DIAG_CAUSE_COUNT; i++) {
		if (strcmp(name, cause_names[i]) == 0) {
			*out = (enum diag_cause)i;
			return 0;
		}
	}
	return -1;
}

#define BIT(n) (1u << (n))

void diag_cause_scope(enum diag_cause rule, unsigned *states, unsigned *steps)
{
	unsigned all_states = BIT(JOB_STATE_COUNT) - 1;
	unsigned open = all_states & ~BIT(JOB_CONFIRMED);
	unsigned ended = BIT(JOB_FAILED) | BIT(JOB_CANCELLED);
	*states = open;
	switch (rule) {
	case DIAG_CONFIRMED:
		*states = BIT(JOB_CONFIRMED);
		*steps = BIT(JOB_STEP_COUNT) - 1;
		return;
	case DIAG_WAITING: *states = open & ~ended; *steps = BIT(JOB_STEP_QUEUED); return;
	case DIAG_NOT_SENT: *states = ended; *steps = BIT(JOB_STEP_QUEUED); return;
	case DIAG_NO_DELIVERY:
	case DIAG_SENT_BLIND:
	case DIAG_SENT_EXTERNAL:
		*steps = BIT(JOB_STEP_SENT) | BIT(JOB_STEP_DELIVERED);
		return;
	case DIAG_NO_JAD: *steps = BIT(JOB_STEP_DELIVERED); return;
	case DIAG_DESCRIPTOR: *steps = BIT(JOB_STEP_JAD_FETCHED); return;
	case DIAG_JAR_CUT: *steps = BIT(JOB_STEP_JAR_PARTIAL); return;
	case DIAG_NO_REPORT: *steps = BIT(JOB_STEP_JAR_FETCHED); return;
	case DIAG_REPORTED:
	case DIAG_CAUSE_COUNT:
		*steps = BIT(JOB_STEP_REPORTED);
		return;
	}
}
