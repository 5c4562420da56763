/* otap.c - builds the OTAP_IMPNG control-message bodies of spec §2 from a
 * profile: validates every value, then packs the KEY:value lines greedily
 * into as few 140-octet SMs as possible (see otap.h). */
#include "otap.h"

#include <string.h>

#define OTAP_HEADER "OTAP_IMPNG\n"
#define OTAP_HEADER_LEN (sizeof OTAP_HEADER - 1)

/* A keyword's extra rule beyond "printable ASCII, not empty". Returns NULL or
 * a static reason. */
typedef const char *(*otap_rule)(const char *value);

struct otap_key {
	const char *keyword;
	size_t offset;          /* of the char * in struct otap_profile */
	otap_rule rule;
};

/* One line to send: "keyword:value\n". */
struct otap_line {
	const char *keyword;
	const char *value;
	size_t len;
};

static const char *rule_url(const char *value)
{
	static const char *const schemes[] = { "http://", "https://" };
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(schemes[i]);
		if (strncmp(value, schemes[i], n) == 0)
			return value[n] ? NULL : "URL has no host after the scheme";
	}
	return "must start with http:// or https://";
}

static const char *rule_app_dir(const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			return "must be lower case (modules expect e.g. \"a:/app\")";
	}
	if (value[strlen(value) - 1] == '/')
		return "must not end with '/' (write \"a:/app\", not \"a:/app/\")";
	return NULL;
}

static const char *rule_bearer(const char *value)
{
	if (strcmp(value, "gprs") == 0 || strcmp(value, "csd") == 0)
		return NULL;
	return "must be \"gprs\" or \"csd\" in lower case "
	       "(or omitted to keep the module's AT^SJOTAP bearer)";
}

#define KEY(kw, field, fn) { kw, offsetof(struct otap_profile, field), fn }

/* Spec order of the parameter lines; PWD comes first and START last. */
static const struct otap_key otap_keys[] = {
	KEY("JADURL", jad_url, rule_url),
	KEY("APPDIR", app_dir, rule_app_dir),
	KEY("HTTPUSER", http_user, NULL),
	KEY("HTTPPWD", http_password, NULL),
	KEY("BEARER", bearer, rule_bearer),
	KEY("APNORNUM", apn, NULL),
	KEY("NETUSER", net_user, NULL),
	KEY("NETPWD", net_password, NULL),
	KEY("DNS", dns, NULL),
	KEY("NOTIFYURL", notify_url, rule_url),
};

#define OTAP_KEY_COUNT (sizeof otap_keys / sizeof otap_keys[0])

const char *otap_action_name(enum otap_action action)
{
	switch (action) {
	case OTAP_ACTION_INSTALL:
		return "install";
	case OTAP_ACTION_DELETE:
		return "delete";
	}
	return "unknown";
}

int otap_action_parse(const char *text, enum otap_action *out)
{
	if (!text)
		return -1;
	if (strcmp(text, "install") == 0) {
		*out = OTAP_ACTION_INSTALL;
		return 0;
	}
	if (strcmp(text, "delete") == 0) {
		*out = OTAP_ACTION_DELETE;
		return 0;
	}
	return -1;
}

const char *otap_value_check(const char *value)
{
	if (!value)
		return "no value";
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p == '\n' || *p == '\r')
			return "value contains a line break (LF/CR) — "
			       "rejected to prevent keyword injection";
		if (*p < 0x20 || *p == 0x7F)
			return "value contains a control character (tab, DEL...); "
			       "only printable ASCII 0x20-0x7E is allowed";
		if (*p >= 0x80)
			return "value contains a non-ASCII byte; "
			       "only printable ASCII 0x20-0x7E is allowed";
	}
	return NULL;
}

/* Reasons name the keyword, never the value: values may be secrets. */
static int value_validate(const char *keyword, const char *value, otap_rule rule,
			  struct errbuf *err)
{
	const char *why;

	if (!*value)
		return errbuf_set(err, "%s: empty value; omit the key instead", keyword);
	why = otap_value_check(value);
	if (!why && rule)
		why = rule(value);
	if (why)
		return errbuf_set(err, "%s: %s", keyword, why);
	return 0;
}

static const char *profile_value(const struct otap_profile *profile, const struct otap_key *key,
				 const char *notify_url)
{
	if (notify_url && key->offset == offsetof(struct otap_profile, notify_url))
		return notify_url;
	return *(char *const *)((const char *)profile + key->offset);
}

static struct otap_line line_make(const char *keyword, const char *value)
{
	return (struct otap_line){
		.keyword = keyword,
		.value = value,
		.len = strlen(keyword) + 1 + strlen(value) + 1,
	};
}

/* Collects the validated parameter lines (not PWD) in spec order, then START.
 * Returns the number of lines or -1. */
static int lines_collect(const struct otap_profile *profile, enum otap_action action,
			 const char *notify_url, struct otap_line *lines, struct errbuf *err)
{
	int n = 0;

	for (size_t i = 0; i < OTAP_KEY_COUNT; i++) {
		const char *value = profile_value(profile, &otap_keys[i], notify_url);
		if (!value)
			continue;
		if (value_validate(otap_keys[i].keyword, value, otap_keys[i].rule, err) < 0)
			return -1;
		lines[n++] = line_make(otap_keys[i].keyword, value);
	}
	lines[n++] = line_make("START", otap_action_name(action));
	return n;
}

/* Octets every SM starts with: OTAP_IMPNG and, if any, the PWD line. */
static int base_size(const struct otap_profile *profile, size_t *base, struct errbuf *err)
{
	*base = OTAP_HEADER_LEN;
	if (!profile->password)
		return 0;
	if (value_validate("PWD", profile->password, NULL, err) < 0)
		return -1;
	size_t len = line_make("PWD", profile->password).len;
	if (OTAP_HEADER_LEN + len > OTAP_SM_MAX)
		return errbuf_set(err, "PWD line is %zu octets; at most %zu fit next to OTAP_IMPNG",
				  len, (size_t)OTAP_SM_MAX - OTAP_HEADER_LEN);
	*base += len;
	return 0;
}

/* Greedy packing: a line goes into the current SM if it fits, else starts a
 * new one. Since START is the last line it lands in the last SM. Stores each
 * line's SM index in part_of; returns the number of SMs needed, or -1 when a
 * line cannot fit even next to just the header and PWD. */
static int parts_plan(const struct otap_line *lines, int n, size_t base, bool has_pwd,
		      int *part_of, struct errbuf *err)
{
	size_t room = OTAP_SM_MAX - base;
	size_t used = base;
	int part = 0;

	for (int i = 0; i < n; i++) {
		if (lines[i].len > room)
			return errbuf_set(err, "%s line is %zu octets; at most %zu fit next to %s",
					  lines[i].keyword, lines[i].len, room,
					  has_pwd ? "OTAP_IMPNG and PWD" : "OTAP_IMPNG");
		if (used + lines[i].len > OTAP_SM_MAX) {
			part++;
			used = base;
		}
		used += lines[i].len;
		part_of[i] = part;
	}
	return part + 1;
}

static void sm_append(struct otap_sm *sm, const char *text)
{
	size_t len = strlen(text);
	memcpy(sm->body + sm->len, text, len);
	sm->len += len;
}

static void sm_append_line(struct otap_sm *sm, const char *keyword, const char *value)
{
	sm_append(sm, keyword);
	sm_append(sm, ":");
	sm_append(sm, value);
	sm_append(sm, "\n");
}

static struct otap_sm *sm_start(struct otap_message *out, const char *password)
{
	struct otap_sm *sm = &out->parts[out->count++];
	sm_append(sm, OTAP_HEADER);
	if (password)
		sm_append_line(sm, "PWD", password);
	return sm;
}

/* Writes the lines into the SMs parts_plan chose for them. */
static void parts_fill(struct otap_message *out, const struct otap_line *lines, int n,
		       const int *part_of, const char *password)
{
	struct otap_sm *sm = sm_start(out, password);

	for (int i = 0; i < n; i++) {
		if ((size_t)part_of[i] == out->count)
			sm = sm_start(out, password);
		sm_append_line(sm, lines[i].keyword, lines[i].value);
	}
	sm->has_start = true;
}

int otap_build(const struct otap_profile *profile, enum otap_action action,
	       const char *notify_url, struct otap_message *out, struct errbuf *err)
{
	struct otap_line lines[OTAP_KEY_COUNT + 1];
	int part_of[OTAP_KEY_COUNT + 1];
	size_t base;
	int n, parts;

	memset(out, 0, sizeof *out);
	if (action != OTAP_ACTION_INSTALL && action != OTAP_ACTION_DELETE)
		return errbuf_set(err, "START: unknown action %d (expected install or delete)",
				  (int)action);
	if (base_size(profile, &base, err) < 0)
		return -1;
	n = lines_collect(profile, action, notify_url, lines, err);
	if (n < 0)
		return -1;
	parts = parts_plan(lines, n, base, profile->password != NULL, part_of, err);
	if (parts < 0)
		return -1;
	if (parts > OTAP_MAX_PARTS)
		return errbuf_set(err, "message needs %d SMs of %d octets; at most %d are allowed "
				  "(shorten the values or set some with AT^SJOTAP instead)",
				  parts, OTAP_SM_MAX, OTAP_MAX_PARTS);
	parts_fill(out, lines, n, part_of, profile->password);
	out->no_password = profile->password == NULL;
	return 0;
}
