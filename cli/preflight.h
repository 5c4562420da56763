/* preflight.h - checking a profile's download before the fleet tries it:
 * the JAD and JAR fetched as a unit would fetch them (or the local
 * artifacts read), their attributes compared as the unit compares them,
 * and the notify listener reached. Shared by `otapctl preflight` and
 * `otapctl rollout create`. */
#ifndef OTAP_PREFLIGHT_H
#define OTAP_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "config.h"

#define PREFLIGHT_CHECKS_MAX 16

struct preflight_check {
	char name[32];                  /* e.g. "jad_fetch", "jar_size" */
	bool ok;                        /* false: a problem the fleet would hit */
	bool warning;                   /* ok, but worth a look */
	char detail[1024];              /* what was found, what to fix where */
};

struct preflight_report {
	char profile[128];
	bool ok;                        /* no check found a problem */
	size_t count;
	struct preflight_check checks[PREFLIGHT_CHECKS_MAX];
};

/* Fetch limits: connect 5 s, a whole fetch 30 s, the JAR at most 64 MiB. */
#define PREFLIGHT_CONNECT_S 5
#define PREFLIGHT_TIMEOUT_S 30
#define PREFLIGHT_JAR_MAX ((size_t)64 << 20)

/* Runs the checks of profile p of cfg into *out. External jad_url: the JAD
 * and the JAR (MIDlet-Jar-URL resolved against the JAD URL) fetched with
 * the profile's http_user/http_password, the JAD's required attributes, the
 * JAR's size against MIDlet-Jar-Size (else 904), its manifest's
 * MIDlet-Name/Vendor/Version against the JAD's (else 905), and a warning
 * for MIDlet-Install-Notify. Local artifacts: the JAD's attributes, the JAR
 * file's manifest, and GET <notify.public_url>/healthz. Later checks that
 * depend on a failed one are left out. Never prints; secrets never appear
 * in a detail. */
void preflight_run(const struct cfg *cfg, const struct otap_profile *p,
		   struct preflight_report *out);

/* One line per check, "✓ name  detail" ("✗" a problem, "!" a warning), and
 * a summary line. */
void preflight_print_text(FILE *f, const struct preflight_report *r);

/* {"profile", "ok", "checks": [{"name", "ok", "warning", "detail"}]} and a
 * newline. Returns 0, or -1 when f failed. */
int preflight_print_json(FILE *f, const struct preflight_report *r);

#endif
