/* download.h - what a simulated unit does over HTTP after START:install
 * when it downloads (fleet download=, or --download): GET the JAD, GET
 * the JAR, check its size, POST the status (spec §1 step 4, §5, §6), with
 * the per-unit faults of enum fleet_download. All of it runs in the poll
 * loop through http.h; nothing blocks the AT side.
 *
 * Events (besides one HTTP event per request, see http.h):
 *   JAD      to= result=ok jar_url=ABSOLUTE jar_size=N install_notify=URL|
 *            to= result=invalid reason=...            (reported as 906)
 *   JAR      to= bytes=N of=N result=ok|size-mismatch|cut|failed|http-NNN
 *            (of= is MIDlet-Jar-Size; size-mismatch -> 904, http-NNN -> 907)
 *   NOTIFY   to= url= code= http=STATUS|error:REASON   (as for other units)
 *   DOWNLOAD to= result=R code=N|-   once, when the unit is done, R one of
 *            server-not-found  no request at all (download=unreachable)
 *            no-jadurl         START without a JADURL: nothing to fetch
 *            jad-failed        the JAD request failed or was not 2xx
 *            stopped-after-jad download=jad-only
 *            jar-cut           download=cut (the JAR connection was dropped)
 *            jar-failed        the JAR transfer broke off (server side)
 *            no-report         the unit does not report (notify=none)
 *            reported          the POST got an HTTP answer (code= is what
 *                              was sent) / report-failed: it got none
 */
#ifndef MODEMSIM_DOWNLOAD_H
#define MODEMSIM_DOWNLOAD_H

#include <stdint.h>

#include "fleet.h"
#include "http.h"
#include "unit_jad.h"
#include "notify.h"

#define DOWNLOAD_UA_MAX 96
#define DOWNLOAD_CRED_MAX 141           /* an OTAP value fits an SM */

struct download_request {
	char to[24];                    /* the unit's MSISDN */
	char jad_url[JAD_URL_MAX];      /* JADURL; "" = none received */
	char notify_url[NOTIFY_URL_MAX];/* NOTIFYURL; "" = none received */
	char user[DOWNLOAD_CRED_MAX];   /* HTTPUSER; "" = no authentication */
	char password[DOWNLOAD_CRED_MAX]; /* HTTPPWD (secret) */
	char user_agent[DOWNLOAD_UA_MAX];
	enum fleet_download mode;       /* never FLEET_DOWNLOAD_NO */
	int code;                       /* reported after a good download; -1 = never report */
	int64_t notify_delay_ms;        /* from the end of the JAR to the POST */
};

struct downloads;

/* Creates the registry; http is borrowed and must outlive it. */
struct downloads *downloads_new(struct http *http);
/* Forgets every procedure in flight (call after http_free). */
void downloads_free(struct downloads *d);

/* Starts one unit's procedure (a copy of rq is kept). Failures are
 * logged as events; the unit then does nothing more. */
void downloads_start(struct downloads *d, const struct download_request *rq);

/* Monotonic ms when a delayed report is due; INT64_MAX when none. */
int64_t downloads_deadline(const struct downloads *d);
/* Sends the reports whose delay has passed. */
void downloads_run(struct downloads *d, int64_t now);

/* Writes "<product>/<IMEI> Profile/IMP-NG Configuration/CLDC-1.1". */
void download_user_agent(const char *product, const char *imei, char *out, size_t cap);

#endif
