/* otap.h - OTAP profiles and the OTAP_IMPNG control-message builder (spec §2).
 *
 * Pure: no I/O. The builder turns a profile + action into the SM bodies that
 * are sent as separate 8-bit short messages.
 */
#ifndef OTAP_OTAP_H
#define OTAP_OTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"

#define OTAP_SM_MAX 140   /* octets of user data in one 8-bit SM */
#define OTAP_MAX_PARTS 8  /* more parts than this is surely a mistake */

enum otap_action { OTAP_ACTION_INSTALL, OTAP_ACTION_DELETE };

/* An OTAP profile as configured. NULL string = key omitted from the SM
 * (the module's AT^SJOTAP value is used). Secrets: password, http_password,
 * net_password. Owned by the config that loaded it. */
struct otap_profile {
	char *name;
	char *password;
	char *jad_url;
	char *app_dir;
	char *http_user;
	char *http_password;
	char *bearer;
	char *apn;
	char *net_user;
	char *net_password;
	char *dns;
	char *notify_url;
	uint8_t pid;            /* 0x7D (default) or 0x00 */
	uint8_t sms_class;      /* 1 (default) or 0 */
	bool status_report;     /* request TP-SRR */
	int64_t validity_ms;    /* default 24h */
	int64_t confirm_timeout_ms; /* default 30m (install notifications) */
	/* Local artifacts otapd serves instead of a jad_url (both or neither):
	 * each job's SM then carries its own JADURL on notify.public_url. */
	char *jar_file;         /* the JAR, streamed from the file at each request */
	char *jad_file;         /* the operator's JAD, used as the template */
	char *jad_text;         /* jad_file's content, read (and parsed) at load */
	size_t jad_len;
	/* Where password came from when the config named a password_file
	 * (absolute or as resolved beside the config), NULL otherwise: the
	 * config dump shows the file rather than an unexplained "(set)". */
	char *password_file;
};

/* A profile as one job's message carries it: its own values with the
 * per-job URLs otapd adds (NOTIFYURL with the job's token when a notify
 * listener is configured; JADURL when the profile serves local artifacts).
 * profile's strings point into the original profile or into the buffers
 * here: valid while both live. */
struct otap_job_profile {
	struct otap_profile profile;
	char jad_url[512];
	char notify_url[512];           /* "" = the profile's own NOTIFYURL, if any */
};

/* One short message body. */
struct otap_sm {
	size_t len;
	uint8_t body[OTAP_SM_MAX];
	bool has_start;         /* this part carries START (always the last) */
};

struct otap_message {
	size_t count;
	struct otap_sm parts[OTAP_MAX_PARTS];
	bool no_password;       /* profile has no PWD: callers should warn */
};

/* Returns "install"/"delete". */
const char *otap_action_name(enum otap_action action);
/* Parses "install"/"delete"; returns 0 or -1. */
int otap_action_parse(const char *text, enum otap_action *out);

/* Builds the SM bodies for profile + action. notify_url, when not NULL,
 * replaces the profile's notify_url (per-job URL with token).
 * Returns 0, or -1 with a reason naming the offending key (never its value)
 * when a value is invalid (non-printable, CR/LF, upper case where lower case
 * is required, trailing '/' in APPDIR...) or a line cannot fit in one SM.
 * Such a reason begins with the keyword ("PWD: ...", "JADURL line is ...")
 * so that the config loader can point at the setting's line. */
int otap_build(const struct otap_profile *profile, enum otap_action action,
	       const char *notify_url, struct otap_message *out, struct errbuf *err);

/* Checks one keyword value: printable ASCII only (0x20-0x7E), so that no
 * value can inject another KEY: line. Returns NULL or a static reason. */
const char *otap_value_check(const char *value);

#endif
