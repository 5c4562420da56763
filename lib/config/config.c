/* config.c - loads otapd.conf with libconfig into struct cfg, validating
 * every setting with "FILE:LINE:" reasons, and prints it back normalised
 * for --check-config (see config.h). */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_text.h"
#include "duration.h"
#include "fileread.h"
#include "log.h"
#include "msisdn.h"
#include "jad.h"
#include "notify.h"
#include "smpp_url.h"
#include "store.h"

#define NAME_MAX_LEN 63
#define PASSWORD_FILE_MAX 4096
/* A documented config is a few KiB; libconfig needs minutes for 20 MB. */
#define CONFIG_FILE_MAX (1024 * 1024)
#define PEM_FILE_MAX (64 * 1024)   /* a certificate chain or a key */
#define MS_PER_MIN (60 * 1000LL)
#define MS_PER_DAY (24 * 60 * MS_PER_MIN)
/* The relative TP-VP format ends at 63 weeks (TS 23.040 §9.2.3.12.1). */
#define VALIDITY_MIN_MS (5 * MS_PER_MIN)
#define VALIDITY_MAX_MS (63 * 7 * MS_PER_DAY)

/* What every loading step needs: where problems go and where the file is.
 * A step that finds a problem records it and returns -1; its caller goes
 * on with the settings that do not depend on it, so that one load lists
 * every problem (fail_at). */
struct loader {
	const char *path;
	struct cfg_problems *problems;
	/* The setting of each problem (NULL: none), so that a value refused
	 * for its content is not listed again for a control byte. */
	const config_setting_t **problem_settings;
	bool notify_bad;        /* notify = {...} has a problem: the profiles'
				 * checks against public_url are left out */
	/* The longest per-job NOTIFYURL otapd may put in a message (when a
	 * notify listener is configured): profiles must fit with it. */
	char notify_url[256];
	/* The same for the per-job JADURL of a profile with local artifacts;
	 * "" without notify.public_url (such a profile is then refused). */
	char jad_url[256];
};

static const char *const top_keys[] = {
	"database", "profiles", "modems", "retry", "split_delay", "notify", "admin", "hooks",
	"log_level", "database_password_file", "instance", NULL,
};
static const char *const retry_keys[] = {
	"max_attempts", "backoff_initial", "backoff_max", NULL,
};
static const char *const hooks_keys[] = { "on_rollout_paused", "on_job_failed", "timeout", NULL };
static const char *const notify_keys[] = { "listen", "public_url", "tls_cert", "tls_key", NULL };
static const char *const admin_keys[] = { "listen", "token_file", NULL };
static const char *const profile_keys[] = {
	"name", "password", "password_file", "jad_url", "app_dir", "http_user",
	"http_password", "bearer", "apn", "net_user", "net_password", "dns",
	"notify_url", "pid", "sms_class", "status_report", "validity",
	"confirm_timeout", "jar_file", "jad_file", NULL,
};
static const char *const modem_keys[] = {
	"name", "device", "baudrate", "flow_control", "pin", "smsc",
	"send_timeout", "max_rate", "max_failures", NULL,
};
/* An SMPP link's keys: the modem's common ones and its account's. */
static const char *const smpp_keys[] = {
	"name", "device", "send_timeout", "max_rate",
	"password", "password_file", "system_type", "source_addr", "source_ton", "source_npi",
	"window", "enquire_link", "bind", NULL,
};

/* The profile's OTAP values: config setting, keyword, field. */
struct profile_string {
	const char *setting;
	const char *keyword;
	size_t offset;
	bool secret;
};

#define PSTR(set, kw, field, sec) { set, kw, offsetof(struct otap_profile, field), sec }
static const struct profile_string profile_strings[] = {
	PSTR("password", "PWD", password, true),
	PSTR("jad_url", "JADURL", jad_url, false),
	PSTR("app_dir", "APPDIR", app_dir, false),
	PSTR("http_user", "HTTPUSER", http_user, false),
	PSTR("http_password", "HTTPPWD", http_password, true),
	PSTR("bearer", "BEARER", bearer, false),
	PSTR("apn", "APNORNUM", apn, false),
	PSTR("net_user", "NETUSER", net_user, false),
	PSTR("net_password", "NETPWD", net_password, true),
	PSTR("dns", "DNS", dns, false),
	PSTR("notify_url", "NOTIFYURL", notify_url, false),
};
#define PROFILE_STRING_COUNT (sizeof profile_strings / sizeof profile_strings[0])

static const int standard_baudrates[] = {
	1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600,
};

static char **profile_field(struct otap_profile *p, const struct profile_string *ps)
{
	return (char **)((char *)p + ps->offset);
}

static const char *profile_value(const struct otap_profile *p, const struct profile_string *ps)
{
	return *(char *const *)((const char *)p + ps->offset);
}

/* ---- error reporting ---- */

/* Records "FILE:LINE: reason" (or "FILE: reason" when line is 0). */
static int problem_add(struct cfg_problems *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int problem_add(struct cfg_problems *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	if (p->count < CFG_PROBLEMS_MAX) {
		va_start(ap, fmt);
		vsnprintf(p->msg[p->count], sizeof p->msg[p->count], fmt, ap);
		va_end(ap);
		p->line[p->count] = line;
	}
	p->count++;
	return -1;
}

static bool already_refused(const struct loader *ld, const config_setting_t *s)
{
	for (size_t i = 0; i < cfg_problems_listed(ld->problems); i++) {
		if (ld->problem_settings[i] == s)
			return true;
	}
	return false;
}

/* Records "FILE:LINE: reason" (or "FILE: reason" when s has no line) and
 * returns -1. */
__attribute__((format(printf, 3, 4)))
static int fail_at(const struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
	char reason[ERRBUF_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (ld->problems->count < CFG_PROBLEMS_MAX)
		ld->problem_settings[ld->problems->count] = s;
	if (s && config_setting_source_line(s) > 0) {
		unsigned line = config_setting_source_line(s);
		const char *file = config_setting_source_file(s);
		return problem_add(ld->problems, line, "%s:%u: %s", file ? file : ld->path, line,
				   reason);
	}
	return problem_add(ld->problems, 0, "%s: %s", ld->path, reason);
}

static void keys_join(const char *const *keys, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; keys[i] && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", keys[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static bool key_known(const char *const *keys, const char *name)
{
	for (size_t i = 0; keys[i]; i++) {
		if (strcmp(keys[i], name) == 0)
			return true;
	}
	return false;
}

/* Rejects any member of group not in keys: a typo must never silently drop
 * a parameter. where is e.g. "in profile 'els61'". */
static int keys_check(const struct loader *ld, const config_setting_t *group,
		      const char *const *keys, const char *where)
{
	int rc = 0;
	for (int i = 0; i < config_setting_length(group); i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		if (key_known(keys, config_setting_name(s)))
			continue;
		char expected[400];
		keys_join(keys, expected, sizeof expected);
		rc = fail_at(ld, s, "unknown setting '%s' %s (expected one of: %s)",
			     config_setting_name(s), where, expected);
	}
	return rc;
}

/* ---- typed getters: a NULL setting leaves the default untouched ---- */

static int get_string(const struct loader *ld, const config_setting_t *s, const char *expect,
		      char **out)
{
	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail_at(ld, s, "'%s' must be a string in double quotes (%s)",
			       config_setting_name(s), expect);
	char *copy = strdup(config_setting_get_string(s));
	if (!copy)
		return fail_at(ld, s, "'%s': out of memory", config_setting_name(s));
	free(*out);
	*out = copy;
	return 0;
}

static int get_int(const struct loader *ld, const config_setting_t *s, const char *expect,
		   long long min, long long max, long long *out)
{
	if (!s)
		return 0;
	int type = config_setting_type(s);
	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
		return fail_at(ld, s, "'%s' must be an integer (%s)", config_setting_name(s), expect);
	long long v = config_setting_get_int64(s);
	if (v < min || v > max)
		return fail_at(ld, s, "'%s' is %lld; expected %s", config_setting_name(s), v, expect);
	*out = v;
	return 0;
}

static int get_bool(const struct loader *ld, const config_setting_t *s, bool *out)
{
	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return fail_at(ld, s, "'%s' must be true or false (without quotes)",
			       config_setting_name(s));
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

static int get_duration(const struct loader *ld, const config_setting_t *s,
			int64_t min, int64_t max, int64_t *out)
{
	char lo[32], hi[32];
	struct errbuf why;
	int64_t ms;

	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail_at(ld, s, "'%s' must be a duration in double quotes, e.g. \"30s\" "
			       "(units: ms, s, m, h, d)", config_setting_name(s));
	if (duration_parse(config_setting_get_string(s), &ms, &why) < 0)
		return fail_at(ld, s, "'%s': %s", config_setting_name(s), why.msg);
	duration_format(min, lo, sizeof lo);
	duration_format(max, hi, sizeof hi);
	if (ms < min)
		return fail_at(ld, s, "'%s' must be at least %s", config_setting_name(s), lo);
	if (ms > max)
		return fail_at(ld, s, "'%s' must be at most %s", config_setting_name(s), hi);
	*out = ms;
	return 0;
}

static const config_setting_t *member(const config_setting_t *group, const char *name)
{
	return config_setting_get_member(group, name);
}

/* ---- small validators ---- */

static bool name_valid(const char *name)
{
	size_t len = strlen(name);
	if (len < 1 || len > NAME_MAX_LEN)
		return false;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
	       == len;
}

static bool url_valid(const char *url)
{
	return (strncmp(url, "http://", 7) == 0 && url[7]) ||
	       (strncmp(url, "https://", 8) == 0 && url[8]);
}

/* Parses "HOST:PORT" (port 1-65535, host without spaces or '/').
 * Returns NULL or a static reason. */
static const char *hostport_check(const char *text)
{
	const char *colon = strrchr(text, ':');

	if (!colon || colon == text)
		return "expected HOST:PORT";
	for (const char *p = text; p < colon; p++) {
		if (*p == '/' || *p <= ' ' || *p > '~')
			return "host part contains '/', a space or a non-ASCII character";
	}
	const char *port = colon + 1;
	if (!*port || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5)
		return "port must be a number 1-65535";
	long n = strtol(port, NULL, 10);
	if (n < 1 || n > 65535)
		return "port must be a number 1-65535";
	return NULL;
}

static const char *device_check(const char *device)
{
	struct smpp_url url;
	if (device[0] == '/')
		return NULL;
	if (strncmp(device, "tcp://", 6) == 0)
		return hostport_check(device + 6);
	if (smpp_url_is(device))
		return smpp_url_parse(device, &url);
	return "expected an absolute path such as \"/dev/ttyUSB0\", \"tcp://HOST:PORT\" or "
	       "\"smpp://SYSTEM_ID@HOST:PORT\"";
}

static bool baudrate_standard(long long rate)
{
	for (size_t i = 0; i < sizeof standard_baudrates / sizeof standard_baudrates[0]; i++) {
		if (rate == standard_baudrates[i])
			return true;
	}
	return false;
}

static bool pin_valid(const char *pin)
{
	size_t len = strlen(pin);
	return len >= 4 && len <= 8 && strspn(pin, "0123456789") == len;
}

/* ---- password_file ---- */

static void wipe(void *p, size_t n)
{
	if (p)
		explicit_bzero(p, n);
}

/* For a buffer whose secret may not be NUL-terminated yet. */
static void free_secret_n(char *s, size_t n)
{
	wipe(s, n);
	free(s);
}

static void free_secret(char *s)
{
	if (s) {
		wipe(s, strlen(s));
		free(s);
	}
}

/* Relative password files are found next to the config file, not in the
 * daemon's working directory (which is "/" once it runs as a service). */
static char *path_beside(const char *config_path, const char *file)
{
	const char *slash = strrchr(config_path, '/');
	if (file[0] == '/' || !slash)
		return strdup(file);
	size_t dirlen = (size_t)(slash - config_path);
	char *full = malloc(dirlen + 1 + strlen(file) + 1);
	if (full)
		sprintf(full, "%.*s/%s", (int)dirlen, config_path, file);
	return full;
}

/* Reads a secret's file (password_file, token_file: a regular file of at most PASSWORD_FILE_MAX
 * bytes: a FIFO would block otapd and otapctl forever) into a new string,
 * with one trailing LF stripped. The content is never put into a reason. */
static int secret_file_read(const struct loader *ld, const config_setting_t *s,
			    const char *where, const char *key, const char *path, char **out)
{
	struct errbuf why;
	char *buf;
	size_t n;
	const char *what = strcmp(key, "password_file") == 0 ? "password" : "token";

	if (file_read_regular(path, PASSWORD_FILE_MAX, &buf, &n, &why) < 0) {
		char hint[48] = "";
		if (strncmp(why.msg, "larger", 6) == 0)
			snprintf(hint, sizeof hint, " (expected the %s on one line)", what);
		return fail_at(ld, s, "%s: %s '%s': %s%s", where, key, path, why.msg, hint);
	}
	size_t total = n;
	int rc = 0;
	if (memchr(buf, '\0', n))
		rc = fail_at(ld, s, "%s: %s '%s' contains a NUL byte "
			     "(expected the %s on one line)", where, key, path, what);
	if (rc == 0) {
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
		*out = strdup(buf);
		if (!*out)
			rc = fail_at(ld, s, "%s: %s '%s': out of memory", where, key, path);
	}
	wipe(buf, total);
	free(buf);
	return rc;
}

static int password_file_read(const struct loader *ld, const config_setting_t *s,
			      const char *where, const char *path, char **out)
{
	return secret_file_read(ld, s, where, "password_file", path, out);
}

/* ---- local artifacts: jar_file, jad_file ---- */

/* A module JAR is a few hundred KiB; the cap keeps a mistyped path (a disk
 * image, /dev/sda) from being served. */
#define JAR_FILE_MAX (64LL * 1024 * 1024)

static int artifact_path(const struct loader *ld, const config_setting_t *s, const char *expect,
			 char **out)
{
	char *path = NULL;
	if (get_string(ld, s, expect, &path) < 0)
		return -1;
	*out = path_beside(ld->path, path);
	free(path);
	return *out ? 0 : fail_at(ld, s, "out of memory");
}

static int jar_check(const struct loader *ld, const config_setting_t *s, const char *where,
		     const char *path)
{
	struct errbuf why;
	int64_t size;
	if (file_check_regular(path, JAR_FILE_MAX, &size, &why) < 0)
		return fail_at(ld, s, "%s: jar_file '%s': %s", where, path, why.msg);
	if (size == 0)
		return fail_at(ld, s, "%s: jar_file '%s' is empty (expected the application's JAR)",
			       where, path);
	return 0;
}

static int jad_load(const struct loader *ld, const config_setting_t *s, const char *where,
		    struct otap_profile *p)
{
	struct errbuf why;
	struct jad jad;
	if (file_read_regular(p->jad_file, JAD_TEXT_MAX, &p->jad_text, &p->jad_len, &why) < 0)
		return fail_at(ld, s, "%s: jad_file '%s': %s", where, p->jad_file, why.msg);
	if (jad_parse(p->jad_text, p->jad_len, &jad, &why) < 0)
		return fail_at(ld, s, "%s: jad_file '%s' is not a JAD: %s (expected lines "
			       "'MIDlet-Name: ...')", where, p->jad_file, why.msg);
	jad_free(&jad);
	return 0;
}

static int profile_artifacts_load(const struct loader *ld, const config_setting_t *g,
				  const char *where, struct otap_profile *p)
{
	const config_setting_t *jar = member(g, "jar_file"), *jad = member(g, "jad_file");
	if (!jar && !jad)
		return 0;
	if (!jar || !jad)
		return fail_at(ld, jar ? jar : jad, "%s: set both 'jar_file' and 'jad_file' (the "
			       "JAR otapd serves and the JAD it uses as the template), or neither",
			       where);
	if (member(g, "jad_url"))
		return fail_at(ld, member(g, "jad_url"), "%s: 'jad_url' and 'jar_file' exclude "
			       "each other (with local artifacts each unit gets its own JAD URL)",
			       where);
	if (!ld->jad_url[0] && ld->notify_bad)
		return -1;      /* notify's own problem is listed */
	if (!ld->jad_url[0])
		return fail_at(ld, jar, "%s: 'jar_file' needs notify.public_url (the units fetch "
			       "the JAD and the JAR from otapd's notify listener)", where);
	if (artifact_path(ld, jar, "path of the application's JAR", &p->jar_file) < 0 ||
	    artifact_path(ld, jad, "path of the application's JAD", &p->jad_file) < 0)
		return -1;
	return jar_check(ld, jar, where, p->jar_file) < 0 || jad_load(ld, jad, where, p) < 0 ? -1 : 0;
}

/* ---- profiles ---- */

static int profile_password(const struct loader *ld, const config_setting_t *g,
			    const char *where, struct otap_profile *p)
{
	const config_setting_t *file = member(g, "password_file");
	char *path = NULL;

	if (!file)
		return 0;
	if (member(g, "password"))
		return fail_at(ld, file, "%s: set either 'password' or 'password_file', not both",
			       where);
	if (get_string(ld, file, "path of a file holding the OTAP password", &path) < 0)
		return -1;
	char *full = path_beside(ld->path, path);
	free(path);
	if (!full)
		return fail_at(ld, file, "%s: out of memory", where);
	int rc = password_file_read(ld, file, where, full, &p->password);
	if (rc < 0)
		free(full);
	else
		p->password_file = full;
	return rc;
}

static int profile_strings_load(const struct loader *ld, const config_setting_t *g,
				struct otap_profile *p)
{
	int rc = 0;
	for (size_t i = 0; i < PROFILE_STRING_COUNT; i++) {
		const struct profile_string *ps = &profile_strings[i];
		char expect[48];
		snprintf(expect, sizeof expect, "sent as OTAP %s", ps->keyword);
		rc |= get_string(ld, member(g, ps->setting), expect, profile_field(p, ps));
	}
	return rc;
}

static int profile_numbers_load(const struct loader *ld, const config_setting_t *g,
				struct otap_profile *p)
{
	long long pid = p->pid, sms_class = p->sms_class;
	int rc = 0;

	if (get_int(ld, member(g, "pid"), "0x7D or 0x00", LLONG_MIN, LLONG_MAX, &pid) < 0)
		rc = -1;
	else if (pid != 0x7D && pid != 0x00)
		rc = fail_at(ld, member(g, "pid"), "'pid' is 0x%llX; expected 0x7D (ME data "
			     "download) or 0x00 (for networks that rewrite the PID)", pid);
	rc |= get_int(ld, member(g, "sms_class"), "1 or 0", 0, 1, &sms_class);
	p->pid = (uint8_t)pid;
	p->sms_class = (uint8_t)sms_class;
	rc |= get_bool(ld, member(g, "status_report"), &p->status_report);
	rc |= get_duration(ld, member(g, "validity"), VALIDITY_MIN_MS, VALIDITY_MAX_MS,
			   &p->validity_ms);
	rc |= get_duration(ld, member(g, "confirm_timeout"), 1, INT64_MAX, &p->confirm_timeout_ms);
	return rc;
}

/* The setting an otap_build reason is about: its reason begins with the
 * keyword (otap.h). Falls back to the profile group itself. */
static const config_setting_t *setting_for_reason(const config_setting_t *g, const char *reason)
{
	size_t kwlen = strspn(reason, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");

	for (size_t i = 0; i < PROFILE_STRING_COUNT && kwlen; i++) {
		const struct profile_string *ps = &profile_strings[i];
		if (strlen(ps->keyword) != kwlen || strncmp(reason, ps->keyword, kwlen) != 0)
			continue;
		const config_setting_t *s = member(g, ps->setting);
		if (!s && strcmp(ps->setting, "password") == 0)
			s = member(g, "password_file");
		if (s)
			return s;
	}
	return g;
}

/* Builds both messages now, so a bad value fails at load and not when a
 * job is sent. */
static int profile_otap_check(const struct loader *ld, const config_setting_t *g,
			      const char *where, const struct otap_profile *p)
{
	static const enum otap_action actions[] = { OTAP_ACTION_INSTALL, OTAP_ACTION_DELETE };
	struct otap_message msg;
	struct errbuf why;
	int rc = 0;

	/* With local artifacts, as sent: with the longest per-job JADURL. */
	struct otap_profile sent = *p;
	if (p->jar_file)
		sent.jad_url = (char *)ld->jad_url;
	for (size_t i = 0; i < 2 && rc == 0; i++) {
		if (otap_build(&sent, actions[i], ld->notify_url[0] ? ld->notify_url : NULL, &msg,
			       &why) < 0)
			rc = fail_at(ld, setting_for_reason(g, why.msg), "%s: %s", where, why.msg);
		wipe(&msg, sizeof msg);
	}
	return rc;
}

static void profile_defaults(struct otap_profile *p)
{
	p->pid = 0x7D;
	p->sms_class = 1;
	p->status_report = false;
	p->validity_ms = 24 * 60 * MS_PER_MIN;
	p->confirm_timeout_ms = 30 * MS_PER_MIN;
}

/* The name of profile or modem #index+1 of group g (what = "profile" or
 * "modem", example its sample name), and where its reasons say it is:
 * "profile 'els61'", or "profile #2" when the name is missing or bad. */
static int item_name_load(const struct loader *ld, const config_setting_t *g, size_t index,
			  const char *what, const char *example, char **out, char *where,
			  size_t size)
{
	const config_setting_t *name = member(g, "name");
	int rc = 0;

	if (!name)
		rc = fail_at(ld, g, "%s #%zu has no 'name' (expected name = \"%s\";)", what,
			     index + 1, example);
	else if (get_string(ld, name, what[0] == 'p' ? "the profile's name" : "the modem's name",
			    out) < 0)
		rc = -1;
	else if (!name_valid(*out))
		rc = fail_at(ld, name, "%s name '%.80s' is invalid (expected 1-%d characters "
			     "from A-Z a-z 0-9 . _ -)", what, *out, NAME_MAX_LEN);
	if (rc == 0)
		snprintf(where, size, "%s '%s'", what, *out);
	else
		snprintf(where, size, "%s #%zu", what, index + 1);
	return rc;
}

static int profile_load(const struct loader *ld, const config_setting_t *g, size_t index,
			struct otap_profile *p)
{
	char where[NAME_MAX_LEN + 16];

	profile_defaults(p);
	if (!config_setting_is_group(g))
		return fail_at(ld, g, "profile #%zu must be a group { name = \"...\"; ... }",
			       index + 1);
	int rc = item_name_load(ld, g, index, "profile", "els61", &p->name, where, sizeof where);
	char in_where[sizeof where + 3];
	snprintf(in_where, sizeof in_where, "in %s", where);
	rc |= keys_check(ld, g, profile_keys, in_where);
	rc |= profile_strings_load(ld, g, p);
	rc |= profile_password(ld, g, where, p);
	rc |= profile_numbers_load(ld, g, p);
	rc |= profile_artifacts_load(ld, g, where, p);
	/* The message check needs every value: only when they all loaded. */
	return rc < 0 ? -1 : profile_otap_check(ld, g, where, p);
}

/* ---- lists of groups (profiles, modems) ---- */

static const config_setting_t *list_get(const struct loader *ld, const config_setting_t *root,
					const char *name, int *rc)
{
	const config_setting_t *list = member(root, name);

	*rc = 0;
	if (list && !config_setting_is_list(list))
		*rc = fail_at(ld, list, "'%s' must be a list of groups in parentheses: "
			      "%s = ( { name = \"...\"; ... } );", name, name);
	return list;
}

static int name_unique(const struct loader *ld, const config_setting_t *list, size_t index,
		       const char *what)
{
	const config_setting_t *mine = member(config_setting_get_elem(list, (unsigned)index),
					      "name");
	const char *name = mine ? config_setting_get_string(mine) : NULL;

	for (size_t j = 0; j < index && name; j++) {
		const config_setting_t *item = config_setting_get_elem(list, (unsigned)j);
		const config_setting_t *other = config_setting_is_group(item) ? member(item, "name")
									       : NULL;
		const char *other_name = other ? config_setting_get_string(other) : NULL;
		if (other_name && strcmp(other_name, name) == 0)
			return fail_at(ld, mine, "duplicate %s name '%s' (first defined at line %u)",
				       what, name, (unsigned)config_setting_source_line(other));
	}
	return 0;
}

static int profiles_load(const struct loader *ld, const config_setting_t *root, struct cfg *cfg)
{
	int rc;
	const config_setting_t *list = list_get(ld, root, "profiles", &rc);

	if (rc < 0)
		return -1;
	if (!list || config_setting_length(list) == 0)
		return fail_at(ld, list, "no profiles defined (expected "
			       "profiles = ( { name = \"els61\"; password_file = \"...\"; ... } );)");
	size_t n = (size_t)config_setting_length(list);
	cfg->profiles = calloc(n, sizeof *cfg->profiles);
	if (!cfg->profiles)
		return fail_at(ld, list, "out of memory");
	cfg->profile_count = n;
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		rc |= profile_load(ld, g, i, &cfg->profiles[i]);
		if (config_setting_is_group(g))
			rc |= name_unique(ld, list, i, "profile");
	}
	return rc;
}

/* ---- modems ---- */

static int modem_device_load(const struct loader *ld, const config_setting_t *g,
			     const char *where, struct cfg_modem *m)
{
	const config_setting_t *device = member(g, "device");

	if (!device)
		return fail_at(ld, g, "%s has no 'device' (expected device = \"/dev/ttyUSB0\"; "
			       "device = \"tcp://HOST:PORT\"; or device = "
			       "\"smpp://SYSTEM_ID@HOST:PORT\";)", where);
	if (get_string(ld, device, "\"/dev/...\" or \"tcp://HOST:PORT\"", &m->device) < 0)
		return -1;
	if (!m->device)
		return 0;
	const char *why = device_check(m->device);
	if (why)
		return fail_at(ld, device, "%s: device '%.200s' is invalid: %s", where, m->device,
			       why);
	return 0;
}

static int modem_serial_load(const struct loader *ld, const config_setting_t *g,
			     const char *where, struct cfg_modem *m)
{
	long long baud = m->baudrate;
	char *flow = NULL;

	int rc = 0;
	if (get_int(ld, member(g, "baudrate"), "a standard rate such as 115200", 1, INT_MAX,
		    &baud) < 0)
		rc = -1;
	else if (!baudrate_standard(baud))
		rc = fail_at(ld, member(g, "baudrate"), "%s: baudrate %lld is not a standard "
			     "rate (expected one of 1200 ... 115200 ... 921600)", where, baud);
	else
		m->baudrate = (int)baud;
	if (get_string(ld, member(g, "flow_control"), "\"none\" or \"rtscts\"", &flow) < 0)
		return -1;
	if (flow && strcmp(flow, "rtscts") == 0)
		m->flow_control = CFG_FLOW_RTSCTS;
	else if (flow && strcmp(flow, "none") != 0)
		rc = fail_at(ld, member(g, "flow_control"), "%s: flow_control must be \"none\" "
			     "or \"rtscts\"", where);
	free(flow);
	return rc;
}

static int modem_sim_load(const struct loader *ld, const config_setting_t *g,
			  const char *where, struct cfg_modem *m)
{
	const char *why;
	int rc = 0;

	if (get_string(ld, member(g, "pin"), "4-8 digits; quotes keep leading zeros",
		       &m->pin) < 0)
		rc = -1;
	else if (m->pin && !pin_valid(m->pin))
		rc = fail_at(ld, member(g, "pin"), "%s: pin must be 4-8 digits", where);
	if (get_string(ld, member(g, "smsc"), "the SMSC number, e.g. \"+491710760000\"",
		       &m->smsc) < 0)
		rc = -1;
	else if (m->smsc && (why = msisdn_check(m->smsc)) != NULL)
		rc = fail_at(ld, member(g, "smsc"), "%s: smsc: %s", where, why);
	return rc;
}

/* ---- SMPP links ---- */

/* A printable SMPP text field of at most max characters (NULL allowed). */
static int smpp_text(const struct loader *ld, const config_setting_t *s, const char *where,
		     size_t max, const char *expect, char **out)
{
	if (get_string(ld, s, expect, out) < 0)
		return -1;
	if (!*out)
		return 0;
	size_t n = strlen(*out);
	for (size_t i = 0; i < n; i++) {
		if ((*out)[i] < 0x20 || (*out)[i] > 0x7E)
			return fail_at(ld, s, "%s: '%s' contains a control or non-ASCII byte",
				       where, config_setting_name(s));
	}
	if (n > max)
		return fail_at(ld, s, "%s: '%s' is %zu characters long (expected %s)", where,
			       config_setting_name(s), n, expect);
	return 0;
}

/* The account's password: inline or from a file, at most 8 characters.
 * Its value never goes into a reason. */
static int smpp_password(const struct loader *ld, const config_setting_t *g, const char *where,
			 struct cfg_smpp *a)
{
	const config_setting_t *inline_pw = member(g, "password"), *file = member(g, "password_file");
	const config_setting_t *at = file ? file : inline_pw;
	char *path = NULL;
	if (inline_pw && file)
		return fail_at(ld, file, "%s: set either 'password' or 'password_file', not both",
			       where);
	if (!at)
		return fail_at(ld, g, "%s: an SMPP link needs 'password' or 'password_file' "
			       "(the SMSC account's password)", where);
	if (inline_pw && get_string(ld, inline_pw, "the SMSC account's password", &a->password) < 0)
		return -1;
	if (file) {
		if (get_string(ld, file, "path of a file holding the SMSC password", &path) < 0)
			return -1;
		a->password_file = path_beside(ld->path, path);
		free(path);
		if (!a->password_file)
			return fail_at(ld, file, "%s: out of memory", where);
		if (password_file_read(ld, file, where, a->password_file, &a->password) < 0)
			return -1;
	}
	size_t n = strlen(a->password);
	for (size_t i = 0; i < n; i++) {
		if (a->password[i] < 0x20 || a->password[i] > 0x7E)
			return fail_at(ld, at, "%s: the SMPP password contains a control or non-ASCII "
				       "byte", where);
	}
	if (n > 8)
		return fail_at(ld, at, "%s: the SMPP password is %zu characters long (SMPP 3.4 "
			       "allows at most 8)", where, n);
	return 0;
}

static int smpp_bind_load(const struct loader *ld, const config_setting_t *s, const char *where,
			  struct cfg_smpp *a)
{
	char *bind = NULL;
	int rc = 0;
	if (get_string(ld, s, "\"transceiver\" or \"transmitter+receiver\"", &bind) < 0)
		return -1;
	if (!bind || strcmp(bind, "transceiver") == 0)
		a->bind = CFG_SMPP_TRANSCEIVER;
	else if (strcmp(bind, "transmitter+receiver") == 0)
		a->bind = CFG_SMPP_TRANSMITTER_RECEIVER;
	else
		rc = fail_at(ld, s, "%s: bind must be \"transceiver\" (one connection) or "
			     "\"transmitter+receiver\" (two binds)", where);
	free(bind);
	return rc;
}

static int smpp_load(const struct loader *ld, const config_setting_t *g, const char *where,
		     struct cfg_modem *m)
{
	struct cfg_smpp *a = &m->smpp;
	struct smpp_url url;
	long long ton = 0, npi = 0, window = CFG_SMPP_WINDOW_DEFAULT;
	(void)smpp_url_parse(m->device, &url);  /* checked by modem_device_load */
	a->system_id = strdup(url.system_id);
	a->host = strdup(url.host);
	if (!a->system_id || !a->host)
		return fail_at(ld, g, "%s: out of memory", where);
	a->port = url.port;
	a->enquire_link_ms = 30 * 1000;
	if (smpp_password(ld, g, where, a) < 0 ||
	    smpp_text(ld, member(g, "system_type"), where, 12, "at most 12 characters",
		      &a->system_type) < 0 ||
	    smpp_text(ld, member(g, "source_addr"), where, 20, "the sender, at most 20 characters",
		      &a->source_addr) < 0 ||
	    get_int(ld, member(g, "source_ton"), "0-6 (1 international, 5 alphanumeric)", 0, 6,
		    &ton) < 0 ||
	    get_int(ld, member(g, "source_npi"), "0-18 (1 ISDN)", 0, 18, &npi) < 0 ||
	    get_int(ld, member(g, "window"), "1-256 submits awaiting their response", 1,
		    CFG_SMPP_WINDOW_MAX, &window) < 0 ||
	    get_duration(ld, member(g, "enquire_link"), 1000, 3600 * 1000,
			 &a->enquire_link_ms) < 0 ||
	    smpp_bind_load(ld, member(g, "bind"), where, a) < 0)
		return -1;
	a->source_ton = (int)ton;
	a->source_npi = (int)npi;
	a->window = (int)window;
	return 0;
}

static int modem_load(const struct loader *ld, const config_setting_t *g, size_t index,
		      struct cfg_modem *m)
{
	char where[NAME_MAX_LEN + 16], in_where[NAME_MAX_LEN + 20];
	long long rate = 0;

	m->baudrate = 115200;
	m->flow_control = CFG_FLOW_NONE;
	m->send_timeout_ms = 60 * 1000;
	if (!config_setting_is_group(g))
		return fail_at(ld, g, "modem #%zu must be a group { name = \"...\"; ... }", index + 1);
	int rc = item_name_load(ld, g, index, "modem", "gsm0", &m->name, where, sizeof where);
	snprintf(in_where, sizeof in_where, "in %s", where);
	int device_rc = modem_device_load(ld, g, where, m);
	rc |= device_rc;
	m->is_smpp = m->device && smpp_url_is(m->device);
	if (m->is_smpp) {
		rc |= keys_check(ld, g, smpp_keys, in_where);
		if (device_rc == 0)     /* the account comes from a valid device */
			rc |= smpp_load(ld, g, where, m);
	} else {
		rc |= keys_check(ld, g, modem_keys, in_where);
		rc |= modem_serial_load(ld, g, where, m);
		rc |= modem_sim_load(ld, g, where, m);
	}
	rc |= get_duration(ld, member(g, "send_timeout"), 1, INT64_MAX, &m->send_timeout_ms);
	rc |= get_int(ld, member(g, "max_rate"), "SMS per minute >= 0; 0 = unlimited", 0, INT_MAX,
		      &rate);
	m->max_rate = (int)rate;
	long long failures = 5;
	rc |= get_int(ld, member(g, "max_failures"), "1-1000 (modem failures in a row before "
		      "it is disabled)", 1, 1000, &failures);
	m->max_failures = (int)failures;
	return rc;
}

static int modems_load(const struct loader *ld, const config_setting_t *root, struct cfg *cfg)
{
	int rc;
	const config_setting_t *list = list_get(ld, root, "modems", &rc);

	if (rc < 0 || !list || config_setting_length(list) == 0)
		return rc;
	size_t n = (size_t)config_setting_length(list);
	cfg->modems = calloc(n, sizeof *cfg->modems);
	if (!cfg->modems)
		return fail_at(ld, list, "out of memory");
	cfg->modem_count = n;
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		rc |= modem_load(ld, g, i, &cfg->modems[i]);
		if (config_setting_is_group(g))
			rc |= name_unique(ld, list, i, "modem");
	}
	return rc;
}

/* ---- top-level groups ---- */

static const config_setting_t *group_get(const struct loader *ld, const config_setting_t *root,
					 const char *name, const char *const *keys, int *rc)
{
	const config_setting_t *g = member(root, name);
	char where[32];

	*rc = 0;
	if (!g)
		return NULL;
	if (!config_setting_is_group(g)) {
		*rc = fail_at(ld, g, "'%s' must be a group in braces: %s = { ... };", name, name);
		return NULL;
	}
	snprintf(where, sizeof where, "in %s", name);
	*rc = keys_check(ld, g, keys, where);
	return g;
}

static int retry_load(const struct loader *ld, const config_setting_t *root,
		      struct cfg_retry *retry)
{
	int rc;
	const config_setting_t *g = group_get(ld, root, "retry", retry_keys, &rc);
	long long attempts = 5;

	retry->max_attempts = 5;
	retry->backoff_initial_ms = 30 * 1000;
	retry->backoff_max_ms = 60 * MS_PER_MIN;
	if (!g)
		return rc;
	rc |= get_int(ld, member(g, "max_attempts"), "at least 1", 1, INT_MAX, &attempts);
	retry->max_attempts = (int)attempts;
	int durations = get_duration(ld, member(g, "backoff_initial"), 0, INT64_MAX,
				     &retry->backoff_initial_ms);
	durations |= get_duration(ld, member(g, "backoff_max"), 0, INT64_MAX,
				  &retry->backoff_max_ms);
	if (rc < 0 || durations < 0)
		return -1;
	if (retry->backoff_max_ms < retry->backoff_initial_ms)
		return fail_at(ld, member(g, "backoff_max") ? member(g, "backoff_max") : g,
			       "retry: backoff_max must not be shorter than backoff_initial");
	return 0;
}

/* ---- notify.tls_cert, notify.tls_key ---- */

/* Reads a PEM file (a regular file of at most PEM_FILE_MAX bytes, no NUL,
 * with a "-----BEGIN " line) into a new string. Like a password file, a
 * relative path is taken from the config file's directory and the content
 * is never put into a reason. */
static int pem_file_read(const struct loader *ld, const config_setting_t *s, const char *key,
			 const char *file, char **out)
{
	char *path = path_beside(ld->path, file);
	if (!path)
		return fail_at(ld, s, "notify: %s: out of memory", key);
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int rc = 0;
	if (!f)
		rc = fail_at(ld, s, "notify: %s '%s': cannot open: %s", key, path, strerror(errno));
	else if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode))
		rc = fail_at(ld, s, "notify: %s '%s' is not a regular file", key, path);
	else if (!(buf = malloc(PEM_FILE_MAX + 1)))
		rc = fail_at(ld, s, "notify: %s: out of memory", key);
	if (rc == 0) {
		n = fread(buf, 1, PEM_FILE_MAX + 1, f);
		if (ferror(f))
			rc = fail_at(ld, s, "notify: %s '%s': cannot read: %s", key, path,
				     strerror(errno));
		else if (n > PEM_FILE_MAX)
			rc = fail_at(ld, s, "notify: %s '%s' is larger than %d bytes", key, path,
				     PEM_FILE_MAX);
		else if (memchr(buf, '\0', n) || (buf[n] = '\0', !strstr(buf, "-----BEGIN ")))
			rc = fail_at(ld, s, "notify: %s '%s' is not a PEM file (expected a "
				     "\"-----BEGIN ...\" line)", key, path);
	}
	if (f)
		fclose(f);
	free(path);
	if (rc == 0)
		*out = buf;
	else if (buf)
		free_secret_n(buf, PEM_FILE_MAX + 1);
	return rc;
}

static int notify_tls_load(const struct loader *ld, const config_setting_t *g,
			   struct cfg_notify *notify)
{
	const config_setting_t *cert = member(g, "tls_cert");
	const config_setting_t *key = member(g, "tls_key");
	if (!cert && !key)
		return 0;
	if (!cert || !key)
		return fail_at(ld, cert ? cert : key, "notify: set both 'tls_cert' and 'tls_key' "
			       "(PEM files of the listener's certificate and private key), or neither");
	if (get_string(ld, cert, "path of a PEM certificate file", &notify->tls_cert) < 0 ||
	    get_string(ld, key, "path of a PEM private key file", &notify->tls_key) < 0)
		return -1;
	if (!notify->listen)
		return fail_at(ld, cert, "notify: 'tls_cert' is set but 'listen' is missing");
	if (strncmp(notify->public_url, "https://", 8) != 0)
		return fail_at(ld, cert, "notify: the listener speaks TLS (tls_cert), so public_url "
			       "must start with https://");
	if (pem_file_read(ld, cert, "tls_cert", notify->tls_cert, &notify->tls_cert_pem) < 0 ||
	    pem_file_read(ld, key, "tls_key", notify->tls_key, &notify->tls_key_pem) < 0)
		return -1;
	return 0;
}

static int notify_load(const struct loader *ld, const config_setting_t *root,
		       struct cfg_notify *notify)
{
	int rc;
	const config_setting_t *g = group_get(ld, root, "notify", notify_keys, &rc);
	const config_setting_t *listen = g ? member(g, "listen") : NULL;
	const config_setting_t *url = g ? member(g, "public_url") : NULL;
	const char *why;

	if (!g)
		return rc;
	int keys = rc;
	rc = get_string(ld, listen, "HOST:PORT, e.g. \"0.0.0.0:8080\"", &notify->listen);
	rc |= get_string(ld, url, "e.g. \"http://otap.example.com:8080\"", &notify->public_url);
	if (rc < 0)
		return -1;
	rc = keys;
	if (notify->listen && (why = hostport_check(notify->listen)) != NULL)
		rc = fail_at(ld, listen, "notify: listen '%.100s' is invalid: %s",
			     notify->listen, why);
	if (notify->listen && !notify->public_url)
		return fail_at(ld, g, "notify: 'listen' is set but 'public_url' is missing "
			       "(expected the URL units reach the listener at, "
			       "e.g. public_url = \"http://otap.example.com:8080\";)");
	if (!notify->listen && notify->public_url)
		return fail_at(ld, url, "notify: 'public_url' is set but 'listen' is missing, "
			       "so no notification would ever be received");
	if (notify->public_url && !url_valid(notify->public_url))
		return fail_at(ld, url, "notify: public_url must start with http:// or https://");
	return rc | notify_tls_load(ld, g, notify);
}

/* admin.token_file: the access token, read like a password file (one
 * line, bounded); printable ASCII without spaces, as it travels in an
 * Authorization header and a form. Never put into a reason. */
static int admin_token_load(const struct loader *ld, const config_setting_t *g,
			    struct cfg_admin *admin)
{
	const config_setting_t *file = member(g, "token_file");
	char *path = NULL;
	if (!file)
		return 0;
	if (get_string(ld, file, "path of a file holding the admin access token", &path) < 0)
		return -1;
	admin->token_file = path_beside(ld->path, path);
	free(path);
	if (!admin->token_file)
		return fail_at(ld, file, "admin: out of memory");
	if (secret_file_read(ld, file, "admin", "token_file", admin->token_file, &admin->token) < 0)
		return -1;
	size_t n = strlen(admin->token);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)admin->token[i];
		if (c <= 0x20 || c >= 0x7f)
			return fail_at(ld, file, "admin: token_file '%s': the token must be printable "
				       "ASCII without spaces (byte %zu is not)", admin->token_file, i + 1);
	}
	if (n < CFG_ADMIN_TOKEN_MIN)
		return fail_at(ld, file, "admin: token_file '%s': the token has %zu bytes, at least "
			       "%d are needed", admin->token_file, n, CFG_ADMIN_TOKEN_MIN);
	return 0;
}

/* admin = { listen = "HOST:PORT"; }: the operators' listener (/metrics).
 * The block alone means CFG_ADMIN_DEFAULT_LISTEN; a bare port ("8090" or
 * ":8090") binds to loopback, never to every address. */
static int admin_load(const struct loader *ld, const config_setting_t *root,
		      struct cfg_admin *admin)
{
	int rc;
	const config_setting_t *g = group_get(ld, root, "admin", admin_keys, &rc);
	const config_setting_t *listen = g ? member(g, "listen") : NULL;
	const char *why;

	if (!g)
		return rc;
	if (get_string(ld, listen, "HOST:PORT, e.g. \"127.0.0.1:8090\"", &admin->listen) < 0)
		return -1;
	const char *given = admin->listen ? admin->listen : CFG_ADMIN_DEFAULT_LISTEN;
	const char *port = given[0] == ':' ? given + 1 : given;
	char full[128];
	if (strspn(port, "0123456789") == strlen(port) && strlen(port) < 16)
		snprintf(full, sizeof full, "127.0.0.1:%s", port);
	else
		snprintf(full, sizeof full, "%.120s", given);
	free(admin->listen);
	admin->listen = strdup(full);
	if (!admin->listen)
		return fail_at(ld, g, "admin: out of memory");
	if ((why = hostport_check(admin->listen)) != NULL)
		return fail_at(ld, listen ? listen : g, "admin: listen '%.100s' is invalid: %s",
			       admin->listen, why);
	return admin_token_load(ld, g, admin) < 0 ? -1 : rc;
}

/* One hook command: a non-empty string. */
static int hook_command_load(const struct loader *ld, const config_setting_t *s, char **out)
{
	if (get_string(ld, s, "a shell command, run with /bin/sh -c", out) < 0)
		return -1;
	if (*out && !(*out)[strspn(*out, " \t")])
		return fail_at(ld, s, "hooks: '%s' is empty (expected a shell command, or leave "
			       "it out)", config_setting_name(s));
	return 0;
}

static int hooks_load(const struct loader *ld, const config_setting_t *root,
		      struct cfg_hooks *hooks)
{
	int rc;
	const config_setting_t *g = group_get(ld, root, "hooks", hooks_keys, &rc);
	long long timeout = 10;

	hooks->timeout_s = 10;
	if (!g)
		return rc;
	rc |= hook_command_load(ld, member(g, "on_rollout_paused"), &hooks->on_rollout_paused);
	rc |= hook_command_load(ld, member(g, "on_job_failed"), &hooks->on_job_failed);
	rc |= get_int(ld, member(g, "timeout"), "seconds, from 1 to 300", 1, 300, &timeout);
	hooks->timeout_s = (int)timeout;
	return rc;
}

/* database_password_file: the PostgreSQL password, read as a profile's
 * password_file (bounded, regular file, beside the config). Only with a
 * postgresql:// database: SQLite has no password. */
static int database_password_load(const struct loader *ld, const config_setting_t *root,
				  struct cfg *cfg)
{
	const config_setting_t *file = member(root, "database_password_file");
	char *path = NULL;
	if (!file)
		return 0;
	if (!store_location_is_shared(cfg->database))
		return fail_at(ld, file, "database_password_file is only for a postgresql:// "
			       "database (SQLite has no password)");
	if (get_string(ld, file, "path of a file holding the database password", &path) < 0)
		return -1;
	char *full = path_beside(ld->path, path);
	free(path);
	if (!full)
		return fail_at(ld, file, "database: out of memory");
	int rc = password_file_read(ld, file, "database", full, &cfg->database_password);
	if (rc < 0)
		free(full);
	else
		cfg->database_password_file = full;
	return rc;
}

/* instance: this otapd's name among those sharing a PostgreSQL queue. */
static int instance_load(const struct loader *ld, const config_setting_t *root, struct cfg *cfg)
{
	const config_setting_t *g = member(root, "instance");
	struct errbuf why;
	if (!g)
		return 0;
	if (get_string(ld, g, "a name for this otapd among those sharing a database",
		       &cfg->instance) < 0)
		return -1;
	if (store_set_instance(cfg->instance, &why) < 0)
		return fail_at(ld, g, "%s", why.msg);
	store_set_instance(NULL, &why);         /* checked only: the caller applies it */
	return 0;
}

static int top_strings_load(const struct loader *ld, const config_setting_t *root,
			    struct cfg *cfg)
{
	const config_setting_t *db = member(root, "database");
	const config_setting_t *level = member(root, "log_level");
	enum log_level parsed;
	int rc = 0;

	if (!db)
		rc = fail_at(ld, NULL, "missing required setting 'database' "
			     "(expected e.g. database = \"/var/lib/otapd/otapd.db\";)");
	else if (get_string(ld, db, "path of the SQLite job queue or "
			    "postgresql://USER@HOST:PORT/DBNAME", &cfg->database) < 0)
		rc = -1;
	else if (!cfg->database[0])
		rc = fail_at(ld, db, "'database' is empty (expected the path of the SQLite file "
			     "or postgresql://USER@HOST:PORT/DBNAME)");
	else if (database_password_load(ld, root, cfg) < 0)
		rc = -1;
	if (instance_load(ld, root, cfg) < 0)
		rc = -1;
	if (get_string(ld, level, "debug, info, warn or error", &cfg->log_level) < 0)
		return -1;
	if (cfg->log_level && log_level_parse(cfg->log_level, &parsed) < 0)
		return fail_at(ld, level, "log_level must be \"debug\", \"info\", \"warn\" or "
			       "\"error\"");
	return rc;
}

static int root_load(struct loader *ld, const config_setting_t *root, struct cfg *cfg)
{
	cfg->split_delay_ms = 5 * 1000;
	int rc = keys_check(ld, root, top_keys, "at top level");
	rc |= top_strings_load(ld, root, cfg);
	rc |= get_duration(ld, member(root, "split_delay"), 0, 10 * MS_PER_MIN,
			   &cfg->split_delay_ms);
	rc |= retry_load(ld, root, &cfg->retry);
	int notify = notify_load(ld, root, &cfg->notify);
	rc |= notify | admin_load(ld, root, &cfg->admin) | hooks_load(ld, root, &cfg->hooks);
	if (cfg->admin.listen && cfg->notify.listen &&
	    strcmp(cfg->admin.listen, cfg->notify.listen) == 0)
		rc = fail_at(ld, member(root, "admin"), "admin: listen '%.100s' is notify's listen "
			     "address too (the units must not reach /metrics)", cfg->admin.listen);
	if (notify == 0 && cfg->notify.public_url &&
	    (notify_url_worst_case(cfg->notify.public_url, ld->notify_url, sizeof ld->notify_url) < 0 ||
	     notify_jad_url_worst_case(cfg->notify.public_url, ld->jad_url, sizeof ld->jad_url) < 0))
		notify = rc = fail_at(ld, member(member(root, "notify"), "public_url"),
				      "notify: 'public_url' is too long");
	ld->notify_bad = notify < 0;
	rc |= profiles_load(ld, root, cfg);
	return rc | modems_load(ld, root, cfg);
}

/* ---- raw text and whole-tree checks ---- */

/* The setting a raw-text line belongs to: the scalar that starts last on
 * or before line (a string may continue on later lines). */
static const config_setting_t *setting_near_line(const config_setting_t *s, size_t line,
						 const config_setting_t *best)
{
	if (config_setting_is_aggregate(s)) {
		for (int i = 0; i < config_setting_length(s); i++)
			best = setting_near_line(config_setting_get_elem(s, (unsigned)i), line, best);
		return best;
	}
	unsigned at = config_setting_source_line(s);
	if (at <= line && (!best || at >= config_setting_source_line(best)))
		return s;
	return best;
}

/* The key a setting is reported under: its own name, or its list's. */
static const char *key_name(const config_setting_t *s)
{
	for (; s; s = config_setting_parent(s)) {
		if (config_setting_name(s))
			return config_setting_name(s);
	}
	return "(top level)";
}

/* libconfig 1.5 silently drops a "\x00" escape ("ab\x00cd" is read as
 * "abcd") and exposes no string length to compare with, so the raw text
 * was scanned for it (config_text.c); here the line becomes a key. */
static int nul_escape_fail(const struct loader *ld, const config_setting_t *root, size_t line)
{
	const config_setting_t *s = setting_near_line(root, line, NULL);
	return problem_add(ld->problems, (unsigned)line, "%s:%zu: '%s': the escape \\x00 (a NUL "
			   "byte) is not allowed in a value (libconfig would silently drop it)",
			   ld->path, line, s ? key_name(s) : "(unknown)");
}

/* Refuses a control byte in any string of the tree, naming the key (never
 * the value: it may be a secret). The OTAP values were already checked
 * with their keyword by otap_build; this covers paths, devices, URLs... */
static int strings_check(const struct loader *ld, const config_setting_t *s)
{
	if (config_setting_is_aggregate(s)) {
		int rc = 0;
		for (int i = 0; i < config_setting_length(s); i++)
			rc |= strings_check(ld, config_setting_get_elem(s, (unsigned)i));
		return rc;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return 0;
	/* A value already refused (an OTAP value with a line break) is not
	 * listed twice. */
	if (already_refused(ld, s))
		return -1;
	for (const unsigned char *p = (const unsigned char *)config_setting_get_string(s); *p; p++) {
		if (*p < 0x20 || *p == 0x7F)
			return fail_at(ld, s, "'%s' contains a control character (tab, line break, "
				       "ESC, DEL...); only printable characters are allowed",
				       key_name(s));
	}
	return 0;
}

/* Reads the config file ourselves: a regular file of at most
 * CONFIG_FILE_MAX bytes (a 20 MB comment costs libconfig minutes of CPU;
 * a FIFO would block forever), then the raw-text checks. *nul_line is
 * the line of a "\x00" escape (0: none), reported once the tree is known. */
static int config_text_read(const char *path, char **text, size_t *nul_line,
			    struct errbuf *err)
{
	static const char *const what[] = {
		[CONFIG_TEXT_NUL_BYTE] = "contains a NUL byte (is this a text file?)",
		[CONFIG_TEXT_INCLUDE] = "@include is not supported (an included file would "
					"escape the size and file-type checks)",
	};
	size_t len, line = 0;

	*nul_line = 0;
	if (file_read_regular(path, CONFIG_FILE_MAX, text, &len, err) < 0) {
		if (strncmp(err->msg, "larger", 6) == 0)
			return errbuf_set(err, "%s: config file is larger than %d bytes (1 MiB), the "
					  "limit", path, CONFIG_FILE_MAX);
		return errbuf_prefix(err, "%s", path);
	}
	enum config_text_problem problem = config_text_scan(*text, len, &line);
	if (problem == CONFIG_TEXT_NUL_ESCAPE) {
		*nul_line = line;
	} else if (problem != CONFIG_TEXT_OK) {
		wipe(*text, len);
		free(*text);
		*text = NULL;
		return errbuf_set(err, "%s:%zu: %s", path, line, what[problem]);
	}
	return 0;
}

/* "FILE:LINE: <libconfig's reason>": libconfig's text for a parse error
 * is itself "syntax error", which says nothing once prefixed with
 * "syntax error: " again; so say it once and add what a line must look
 * like. Other texts (an include that fails...) are kept as they are. */
static int syntax_error(const config_t *lc, const char *path, struct errbuf *err)
{
	const char *text = config_error_text(lc);
	int line = config_error_line(lc);
	if (!text || strcmp(text, "syntax error") == 0)
		return errbuf_set(err, "%s:%d: syntax error (libconfig could not parse the line; "
				  "expected KEY = VALUE;)", path, line);
	return errbuf_set(err, "%s:%d: syntax error: %s", path, line, text);
}

/* Parses text with libconfig; reasons name path (libconfig knows no file). */
static int config_parse(config_t *lc, const char *path, const char *text, struct errbuf *err)
{
	config_init(lc);
	if (config_read_string(lc, text))
		return 0;
	int rc = syntax_error(lc, path, err);
	config_destroy(lc);
	return rc;
}

static int tree_load(struct loader *ld, const config_setting_t *root, size_t nul_line,
		     struct cfg *out)
{
	int rc = nul_line ? nul_escape_fail(ld, root, nul_line) : 0;
	rc |= root_load(ld, root, out);
	return rc | strings_check(ld, root);
}

/* Orders the problems by line (stable; those without a line first), so
 * that they read like the file. */
static void problems_sort(struct cfg_problems *p)
{
	size_t n = cfg_problems_listed(p);
	for (size_t i = 1; i < n; i++) {
		unsigned line = p->line[i];
		char msg[ERRBUF_MAX];
		memcpy(msg, p->msg[i], sizeof msg);
		size_t j = i;
		for (; j > 0 && p->line[j - 1] > line; j--) {
			p->line[j] = p->line[j - 1];
			memcpy(p->msg[j], p->msg[j - 1], sizeof msg);
		}
		p->line[j] = line;
		memcpy(p->msg[j], msg, sizeof msg);
	}
}

/* A problem found before the tree exists (file, syntax): the only one. */
static int problem_from(struct cfg_problems *p, const struct errbuf *err)
{
	return problem_add(p, 0, "%s", err->msg);
}

int cfg_load_all(const char *path, struct cfg *out, struct cfg_problems *problems)
{
	const config_setting_t *settings[CFG_PROBLEMS_MAX] = { 0 };
	struct loader ld = { .path = path, .problems = problems, .problem_settings = settings };
	struct errbuf err;
	config_t lc;
	char *text;
	size_t nul_line;

	memset(out, 0, sizeof *out);
	problems->count = 0;
	if (config_text_read(path, &text, &nul_line, &err) < 0)
		return problem_from(problems, &err);
	int rc = config_parse(&lc, path, text, &err);
	free_secret(text);      /* it may hold passwords */
	if (rc < 0)
		return problem_from(problems, &err);
	out->path = strdup(path);
	rc = out->path ? tree_load(&ld, config_root_setting(&lc), nul_line, out)
		       : problem_add(problems, 0, "%s: out of memory", path);
	config_destroy(&lc);
	if (problems->count > 0)       /* a step that recorded one must not pass */
		rc = -1;
	if (rc < 0) {
		cfg_free(out);
		problems_sort(problems);
	}
	return rc;
}

size_t cfg_problems_listed(const struct cfg_problems *p)
{
	return p->count < CFG_PROBLEMS_MAX ? p->count : CFG_PROBLEMS_MAX;
}

int cfg_load(const char *path, struct cfg *out, struct errbuf *err)
{
	struct cfg_problems *problems = malloc(sizeof *problems);
	if (!problems)
		return errbuf_set(err, "%s: out of memory", path);
	int rc = cfg_load_all(path, out, problems);
	if (rc < 0 && problems->count == 1)
		errbuf_set(err, "%s", problems->msg[0]);
	else if (rc < 0)
		errbuf_set(err, "%s (and %zu more problem(s): otapd --check-config lists them all)",
			   problems->msg[0], problems->count - 1);
	free(problems);
	return rc;
}

const char *cfg_resolve_path(const char *explicit_path)
{
	const char *env;

	if (explicit_path && *explicit_path)
		return explicit_path;
	env = getenv("OTAPD_CONFIG");
	if (env && *env)
		return env;
	return CFG_DEFAULT_PATH;
}

static void profile_free(struct otap_profile *p)
{
	for (size_t i = 0; i < PROFILE_STRING_COUNT; i++) {
		char **field = profile_field(p, &profile_strings[i]);
		/* Non-secrets are wiped too: cheap, and one rule is easier to trust. */
		free_secret(*field);
	}
	free(p->name);
	free(p->jar_file);
	free(p->jad_file);
	free(p->jad_text);
	free(p->password_file);
}

static void modem_free(struct cfg_modem *m)
{
	free(m->name);
	free(m->device);
	free_secret(m->pin);
	free(m->smsc);
	free(m->smpp.system_id);
	free(m->smpp.host);
	free_secret(m->smpp.password);
	free(m->smpp.password_file);
	free(m->smpp.system_type);
	free(m->smpp.source_addr);
}

void cfg_free(struct cfg *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->profile_count; i++)
		profile_free(&cfg->profiles[i]);
	free(cfg->profiles);
	for (size_t i = 0; i < cfg->modem_count; i++)
		modem_free(&cfg->modems[i]);
	free(cfg->modems);
	free(cfg->path);
	free(cfg->database);
	free_secret(cfg->database_password);
	free(cfg->database_password_file);
	free(cfg->instance);
	free(cfg->notify.listen);
	free(cfg->admin.listen);
	free(cfg->admin.token_file);
	free_secret(cfg->admin.token);
	free(cfg->notify.public_url);
	free(cfg->notify.tls_cert);
	free(cfg->notify.tls_key);
	free(cfg->notify.tls_cert_pem);
	free_secret(cfg->notify.tls_key_pem);
	free(cfg->hooks.on_rollout_paused);
	free(cfg->hooks.on_job_failed);
	free(cfg->log_level);
	memset(cfg, 0, sizeof *cfg);
}

const struct otap_profile *cfg_profile(const struct cfg *cfg, const char *name)
{
	if (!cfg || !name)
		return NULL;
	for (size_t i = 0; i < cfg->profile_count; i++) {
		if (strcmp(cfg->profiles[i].name, name) == 0)
			return &cfg->profiles[i];
	}
	return NULL;
}

const struct cfg_modem *cfg_modem(const struct cfg *cfg, const char *name)
{
	for (size_t i = 0; cfg && name && i < cfg->modem_count; i++) {
		if (strcmp(cfg->modems[i].name, name) == 0)
			return &cfg->modems[i];
	}
	return NULL;
}

/* ---- cfg_dump: libconfig syntax, so the output is itself a valid config
 * (apart from secrets, which read "(set)") ---- */

static void dump_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p >= 0x20 && *p < 0x7F)
			fputc(*p, f);
		else
			fprintf(f, "\\x%02X", *p);
	}
	fputc('"', f);
}

static void dump_string(FILE *f, const char *indent, const char *key, const char *value,
			bool secret)
{
	if (!value)
		return;
	fprintf(f, "%s%s = ", indent, key);
	dump_quoted(f, secret ? "(set)" : value);
	fputs(";\n", f);
}

static void dump_duration(FILE *f, const char *indent, const char *key, int64_t ms)
{
	char text[32];
	duration_format(ms, text, sizeof text);
	fprintf(f, "%s%s = \"%s\";\n", indent, key, text);
}

static void dump_profile(FILE *f, const void *item)
{
	const struct otap_profile *p = item;
	const char *in = "\t\t";

	dump_string(f, in, "name", p->name, false);
	for (size_t i = 0; i < PROFILE_STRING_COUNT; i++) {
		const struct profile_string *ps = &profile_strings[i];
		/* Keep the file, not "(set)": says where the secret comes
		 * from, and the dump stays a config that loads as it is. */
		if (ps->offset == offsetof(struct otap_profile, password) && p->password_file)
			dump_string(f, in, "password_file", p->password_file, false);
		else
			dump_string(f, in, ps->setting, profile_value(p, ps), ps->secret);
	}
	fprintf(f, "%spid = 0x%02X;\n", in, p->pid);
	fprintf(f, "%ssms_class = %u;\n", in, p->sms_class);
	fprintf(f, "%sstatus_report = %s;\n", in, p->status_report ? "true" : "false");
	dump_duration(f, in, "validity", p->validity_ms);
	dump_duration(f, in, "confirm_timeout", p->confirm_timeout_ms);
	dump_string(f, in, "jar_file", p->jar_file, false);
	dump_string(f, in, "jad_file", p->jad_file, false);
}

static void dump_smpp(FILE *f, const struct cfg_modem *m)
{
	const struct cfg_smpp *a = &m->smpp;
	const char *in = "\t\t";
	if (a->password_file)
		dump_string(f, in, "password_file", a->password_file, false);
	else
		dump_string(f, in, "password", a->password, true);
	dump_string(f, in, "system_type", a->system_type, false);
	dump_string(f, in, "source_addr", a->source_addr, false);
	fprintf(f, "%ssource_ton = %d;\n%ssource_npi = %d;\n", in, a->source_ton, in, a->source_npi);
	fprintf(f, "%swindow = %d;\n", in, a->window);
	dump_duration(f, in, "enquire_link", a->enquire_link_ms);
	dump_string(f, in, "bind", a->bind == CFG_SMPP_TRANSCEIVER ? "transceiver"
							       : "transmitter+receiver", false);
	dump_duration(f, in, "send_timeout", m->send_timeout_ms);
	fprintf(f, "%smax_rate = %d;\n", in, m->max_rate);
}

static void dump_modem(FILE *f, const void *item)
{
	const struct cfg_modem *m = item;
	const char *in = "\t\t";

	dump_string(f, in, "name", m->name, false);
	dump_string(f, in, "device", m->device, false);
	if (m->is_smpp) {
		dump_smpp(f, m);
		return;
	}
	fprintf(f, "%sbaudrate = %d;\n", in, m->baudrate);
	dump_string(f, in, "flow_control",
		    m->flow_control == CFG_FLOW_RTSCTS ? "rtscts" : "none", false);
	dump_string(f, in, "pin", m->pin, true);
	dump_string(f, in, "smsc", m->smsc, false);
	dump_duration(f, in, "send_timeout", m->send_timeout_ms);
	fprintf(f, "%smax_rate = %d;\n", in, m->max_rate);
	fprintf(f, "%smax_failures = %d;\n", in, m->max_failures);
}

/* Writes "name = ( {...}, {...} );" with dump_one printing each group's body. */
static void dump_list(FILE *f, const char *name, const void *items, size_t item_size,
		      size_t count, void (*dump_one)(FILE *f, const void *item))
{
	fprintf(f, "%s = (", name);
	for (size_t i = 0; i < count; i++) {
		fputs(i ? ",\n\t{\n" : "\n\t{\n", f);
		dump_one(f, (const char *)items + i * item_size);
		fputs("\t}", f);
	}
	fputs(count ? "\n);\n" : ");\n", f);
}

static void dump_hooks(FILE *f, const struct cfg_hooks *h)
{
	fputs("hooks = {\n", f);
	dump_string(f, "\t", "on_rollout_paused", h->on_rollout_paused, false);
	dump_string(f, "\t", "on_job_failed", h->on_job_failed, false);
	fprintf(f, "\ttimeout = %d;\n", h->timeout_s);
	fputs("};\n", f);
}

void cfg_dump(const struct cfg *cfg, FILE *f)
{
	fputs("# otapd configuration, normalised: defaults filled in, "
	      "secrets shown as \"(set)\" (password_file kept as such)\n", f);
	dump_string(f, "", "database", cfg->database, false);
	dump_string(f, "", "database_password_file", cfg->database_password_file, false);
	dump_string(f, "", "instance", cfg->instance, false);
	dump_string(f, "", "log_level", cfg->log_level, false);
	dump_duration(f, "", "split_delay", cfg->split_delay_ms);
	fputs("retry = {\n", f);
	fprintf(f, "\tmax_attempts = %d;\n", cfg->retry.max_attempts);
	dump_duration(f, "\t", "backoff_initial", cfg->retry.backoff_initial_ms);
	dump_duration(f, "\t", "backoff_max", cfg->retry.backoff_max_ms);
	fputs("};\n", f);
	if (cfg->notify.listen) {
		fputs("notify = {\n", f);
		dump_string(f, "\t", "listen", cfg->notify.listen, false);
		dump_string(f, "\t", "public_url", cfg->notify.public_url, false);
		dump_string(f, "\t", "tls_cert", cfg->notify.tls_cert, false);
		dump_string(f, "\t", "tls_key", cfg->notify.tls_key, true);
		fputs("};\n", f);
	}
	if (cfg->admin.listen) {
		fputs("admin = {\n", f);
		dump_string(f, "\t", "listen", cfg->admin.listen, false);
		/* The file, never the token: where the secret comes from. */
		dump_string(f, "\t", "token_file", cfg->admin.token_file, false);
		fputs("};\n", f);
	}
	if (cfg->hooks.on_rollout_paused || cfg->hooks.on_job_failed)
		dump_hooks(f, &cfg->hooks);
	dump_list(f, "profiles", cfg->profiles, sizeof *cfg->profiles, cfg->profile_count,
		  dump_profile);
	dump_list(f, "modems", cfg->modems, sizeof *cfg->modems, cfg->modem_count, dump_modem);
}

void cfg_profile_names(const struct cfg *cfg, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < cfg->profile_count && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", cfg->profiles[i].name);
	if (!buf[0])
		snprintf(buf, size, "none");
}

void cfg_worst_job_profile(const struct cfg *cfg, const struct otap_profile *p,
			   struct otap_job_profile *out)
{
	memset(out, 0, sizeof *out);
	out->profile = *p;
	const char *public_url = cfg->notify.public_url;
	if (!public_url)
		return;
	if (notify_url_worst_case(public_url, out->notify_url, sizeof out->notify_url) < 0)
		out->notify_url[0] = '\0';
	if (p->jar_file &&
	    notify_jad_url_worst_case(public_url, out->jad_url, sizeof out->jad_url) >= 0)
		out->profile.jad_url = out->jad_url;
}
