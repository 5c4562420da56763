/* diagnose.h - why a unit did not update: from how far its job got (the
 * furthest step of its last send, its state, the unit's report) to the
 * likely cause and what to do about it, following the spec's table of
 * silences (otap-sms.md §6) and status codes (§5). Pure: no I/O. */
#ifndef OTAP_DIAGNOSE_H
#define OTAP_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include "otap.h"
#include "store.h"
#include "store_events.h"

#define DIAG_TEXT_MAX 320
#define DIAG_ADVICE_MAX 8

/* What the rules look at. */
struct diag_input {
	const struct job *job;
	const struct otap_profile *profile;     /* NULL: no longer configured */
	bool confirmation_expected;             /* a notify listener is configured */
	int notify_code;                        /* the unit's last report, -1 = none */
	bool delivery_report;                   /* a status report said delivered */
};

/* The rule that matched, for grouping units by cause. */
enum diag_cause {
	DIAG_WAITING, DIAG_NOT_SENT, DIAG_NO_DELIVERY, DIAG_SENT_BLIND, DIAG_NO_JAD,
	DIAG_DESCRIPTOR, DIAG_JAR_CUT, DIAG_NO_REPORT, DIAG_REPORTED, DIAG_SENT_EXTERNAL,
	DIAG_CONFIRMED,
	DIAG_CAUSE_COUNT
};

struct diagnosis {
	enum diag_cause rule;
	enum job_step stopped_at;
	int code;                               /* DIAG_REPORTED: the code */
	char cause[DIAG_TEXT_MAX];              /* one sentence */
	char advice[DIAG_ADVICE_MAX][DIAG_TEXT_MAX];
	size_t advice_count;
};

/* The rule's short name: "waiting", "not_sent", "no_delivery",
 * "sent_blind", "no_jad", "descriptor", "jar_cut", "no_report",
 * "reported", "sent_external", "confirmed" (static; "unknown" outside the
 * enum). */
const char *diag_cause_name(enum diag_cause rule);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int diag_cause_parse(const char *name, enum diag_cause *out);
/* Which jobs can have rule as their diagnosis: bit s of *states set for
 * each enum job_state s, bit t of *steps for each furthest step (enum
 * job_step). A superset where the rule also depends on the profile
 * (sent, delivered): check the diagnosis of each job found. */
void diag_cause_scope(enum diag_cause rule, unsigned *states, unsigned *steps);

/* Diagnoses one job. Never fails. */
void diagnose_job(const struct diag_input *in, struct diagnosis *out);

/* Writes the AT^SJOTAP line that sets profile p's OTAP parameters on a
 * unit (spec §6: values set by AT cannot be overridden by SMS), the
 * secrets as ****, the JAD URL left empty when p serves local artifacts
 * (each SMS carries the job's own). */
void diagnose_sjotap_line(const struct otap_profile *p, char *buf, size_t cap);

#endif
