/* notify.h - install notifications (spec §5): the per-job NOTIFYURL with its
 * token, the listener's URL paths, the MIDP status-code table, and the
 * unit identity (IMEI) used by fleet-wide notifications.
 *
 * Everything here is pure except notify_token_new (reads the kernel's
 * random source).
 */
#ifndef OTAP_NOTIFY_H
#define OTAP_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"
#include "otap.h"

/* 16 base32 characters = 80 bits from getrandom(): unguessable, and short,
 * since every octet of the URL counts against the 140-octet SM. */
#define NOTIFY_TOKEN_LEN 16
#define NOTIFY_IMEI_LEN 15
#define NOTIFY_TEXT_MAX 128     /* the unit's status text, sanitised, with NUL */
/* URL paths the listener serves, after the path of public_url (if any). */
#define NOTIFY_JOB_PATH "/n/"           /* POST /n/<job id>/<token> */
#define NOTIFY_FLEET_PATH "/notify"     /* POST, matched by the User-Agent's IMEI */
#define NOTIFY_HEALTH_PATH "/healthz"   /* GET */
/* A job's own JAD and JAR, served when its profile names local artifacts:
 * GET /j/<job id>/<token>.jad, GET /j/<job id>/<token>.jar. */
#define NOTIFY_ARTIFACT_PATH "/j/"
#define NOTIFY_JAD_SUFFIX ".jad"
#define NOTIFY_JAR_SUFFIX ".jar"

/* What a status code means for the job. */
enum notify_verdict {
	NOTIFY_CONFIRM,         /* 900; 912 for a delete job */
	NOTIFY_RETRY,           /* 903 loss of service: send again (counts as a try) */
	NOTIFY_FAIL,            /* every other code */
};

/* A notification body: "<code> <text>" on its first line. */
struct notify_report {
	int code;                       /* three digits, 000-999 */
	char text[NOTIFY_TEXT_MAX];     /* printable ASCII, may be "" */
};

enum notify_path_kind {
	NOTIFY_PATH_UNKNOWN,
	NOTIFY_PATH_JOB,                /* job_id and token are set */
	NOTIFY_PATH_FLEET,
	NOTIFY_PATH_HEALTH,
	NOTIFY_PATH_JAD,                /* job_id and token are set */
	NOTIFY_PATH_JAR,                /* job_id and token are set */
};

struct notify_path {
	enum notify_path_kind kind;
	int64_t job_id;
	char token[NOTIFY_TOKEN_LEN + 1];
};

/* Writes "<public_url>/n/<job_id>/<token>" to url (a trailing '/' of
 * public_url is dropped). Returns the length, or -1 when cap is too small. */
int notify_format_job_url(const char *public_url, int64_t job_id, const char *token, char *url,
			  size_t cap);

/* Writes the job's JAD URL "<public_url>/j/<job_id>/<token>.jad" (or, with
 * jar true, its JAR URL "….jar") to url. Returns the length, or -1 when
 * cap is too small. */
int notify_format_artifact_url(const char *public_url, int64_t job_id, const char *token,
			       bool jar, char *url, size_t cap);

/* Writes the longest JAD URL notify_format_artifact_url can produce for
 * public_url, for the same checks. Returns the length or -1. */
int notify_jad_url_worst_case(const char *public_url, char *url, size_t cap);

/* Writes the longest URL notify_job_url can produce for public_url (the
 * largest job id), so that otapctl enqueue and the config check can make
 * sure the message still fits. Returns the length, or -1 if cap is too small. */
int notify_url_worst_case(const char *public_url, char *url, size_t cap);

/* Writes a fresh token (NOTIFY_TOKEN_LEN characters of [a-z2-7] and a NUL).
 * Returns 0, or -1 when the random source fails. */
int notify_token_new(char out[NOTIFY_TOKEN_LEN + 1], struct errbuf *err);

/* Compares two tokens in time independent of where they differ. NULL or a
 * wrong length never matches. */
bool notify_token_equal(const char *a, const char *b);

/* Writes the path part of public_url ("" for "http://host:8080" or
 * "http://host/", "/otap" for "http://host/otap/") into out. The listener
 * accepts its paths both with this prefix and without it (a reverse proxy
 * may strip it). */
void notify_base_path(const char *public_url, char *out, size_t cap);

/* Classifies a request target (query string ignored). Never fails: anything
 * else is NOTIFY_PATH_UNKNOWN. */
enum notify_path_kind notify_path_parse(const char *target, const char *base_path,
					struct notify_path *out);

/* Parses a notification body: optional leading white space, three digits,
 * then white space or the end, the rest of the first line as text.
 * Returns 0, or -1 when the body does not start with a status code. */
int notify_body_parse(const uint8_t *body, size_t len, struct notify_report *out);

/* The job outcome of a code: 900 confirms; 912 confirms a delete job (for an
 * install job it means the module deleted instead of installing: fail);
 * 903 retries; everything else fails. */
enum notify_verdict notify_verdict_for(int code, enum otap_action action);

/* The meaning of a MIDP status code ("Insufficient memory"), or NULL for a
 * code outside the table. */
const char *notify_code_meaning(int code);

/* Writes the job's last_error text for a report: "901 Insufficient memory"
 * for a known code, "<code> <unit's text>" for an unknown one. */
void notify_describe(const struct notify_report *r, char *buf, size_t cap);

/* Checks an IMEI: exactly 15 digits with a valid Luhn check digit. Returns
 * NULL, or a static reason. */
const char *notify_imei_check(const char *imei);

/* Finds the IMEI in a module's User-Agent "<product>/<IMEI> Profile/...":
 * the digits after the last '/' of the first word, exactly 15 of them.
 * Returns 0 and fills imei (16 bytes), or -1. */
int notify_user_agent_imei(const char *user_agent, char imei[NOTIFY_IMEI_LEN + 1]);

#endif
