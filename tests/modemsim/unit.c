/* unit.c - OTAP behaviour of the simulated units (see unit.h). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simlog.h"

#define UNIT_PARAMS_MAX 16
#define UNIT_KEY_MAX 16
#define UNIT_VALUE_MAX 141

static const char otap_magic[] = "OTAP_IMPNG\n";

/* Keywords whose values are secrets: never logged. */
static const char *const secret_keys[] = { "PWD", "HTTPPWD", "NETPWD" };

struct param {
	char key[UNIT_KEY_MAX];
	char value[UNIT_VALUE_MAX];
};

/* The OTAP parameters one unit has accumulated since its last START. */
struct unit_state {
	char msisdn[PDU_ADDR_MAX];
	struct param params[UNIT_PARAMS_MAX];
	size_t nparams;
};

struct units {
	const struct sim_options *opt;
	const struct fleet *fleet;
	struct notifier *notifier;
	struct downloads *downloads;
	struct unit_state *states;
	size_t count;
};

struct units *units_new(const struct sim_options *opt, const struct fleet *fleet,
			struct notifier *notifier, struct downloads *downloads)
{
	struct units *u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	u->opt = opt;
	u->fleet = fleet;
	u->notifier = notifier;
	u->downloads = downloads;
	return u;
}

void units_free(struct units *units)
{
	if (!units)
		return;
	free(units->states);
	free(units);
}

void unit_default_imei(const char *msisdn, char *out)
{
	char digits[16] = "";
	size_t n = 0;
	for (const char *p = msisdn; *p && n < sizeof digits - 1; p++) {
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
	}
	digits[n] = '\0';
	const char *tail = n > 12 ? digits + n - 12 : digits;
	snprintf(out, 15, "35%012lld", atoll(tail));
	/* Luhn over the 14 digits: double every second digit from the right
	 * of the payload (the check digit's neighbour first). */
	int sum = 0;
	for (int i = 13, dbl = 1; i >= 0; i--, dbl = !dbl) {
		int d = out[i] - '0';
		if (dbl) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	out[14] = (char)('0' + (10 - sum % 10) % 10);
	out[15] = '\0';
}

void units_profile(const struct units *units, const char *msisdn, struct unit_profile *out)
{
	const struct sim_options *opt = units->opt;
	const struct fleet_unit *f = fleet_find(units->fleet, msisdn);

	out->cms = f && f->cms != FLEET_UNSET ? f->cms : -1;
	out->cds_st = f && f->cds_st != FLEET_UNSET ? (uint8_t)f->cds_st : 0x00;
	out->download = f && f->download != FLEET_UNSET ? (enum fleet_download)f->download
							 : opt->download ? FLEET_DOWNLOAD_YES
									 : FLEET_DOWNLOAD_NO;
	out->notify = f && f->notify != FLEET_UNSET ? f->notify : opt->default_notify;
	/* A unit that downloads reports like a module, 900, unless notify=
	 * or --default-notify says otherwise. */
	bool told = (f && f->notify != FLEET_UNSET) || opt->default_notify != FLEET_NOTIFY_NONE;
	if (out->download != FLEET_DOWNLOAD_NO && !told)
		out->notify = 900;
	if (out->notify == FLEET_NOTIFY_NONE)
		out->notify = -1;
	out->notify_delay_ms = f && f->notify_delay_ms != FLEET_UNSET ? f->notify_delay_ms
								   : opt->notify_delay_ms;
	if (f && f->imei[0])
		memcpy(out->imei, f->imei, sizeof out->imei);
	else
		unit_default_imei(msisdn, out->imei);
	snprintf(out->product, sizeof out->product, "%s", f && f->product[0] ? f->product : "ELS61");
	out->password = f && f->has_password ? f->password : NULL;
}

static bool is_secret_key(const char *key, size_t len)
{
	for (size_t i = 0; i < sizeof secret_keys / sizeof secret_keys[0]; i++) {
		if (strlen(secret_keys[i]) == len && memcmp(secret_keys[i], key, len) == 0)
			return true;
	}
	return false;
}

static bool is_otap_body(const uint8_t *ud, size_t udl)
{
	return udl >= sizeof otap_magic - 1 && memcmp(ud, otap_magic, sizeof otap_magic - 1) == 0;
}

static struct unit_state *state_for(struct units *units, const char *msisdn)
{
	for (size_t i = 0; i < units->count; i++) {
		if (strcmp(units->states[i].msisdn, msisdn) == 0)
			return &units->states[i];
	}
	struct unit_state *grown = realloc(units->states, (units->count + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	units->states = grown;
	struct unit_state *s = &units->states[units->count++];
	memset(s, 0, sizeof *s);
	snprintf(s->msisdn, sizeof s->msisdn, "%s", msisdn);
	return s;
}

/* One parsed KEY:value line of a body. */
struct line {
	char key[UNIT_KEY_MAX];
	char value[UNIT_VALUE_MAX];
};

/* Splits the body after "OTAP_IMPNG\n" into lines. Lines without ':' or with
 * an over-long key are skipped, as the module's parser would not match them
 * to a keyword. Returns the number of lines stored. */
static size_t split_lines(const uint8_t *ud, size_t udl, struct line *lines, size_t max)
{
	size_t n = 0;
	size_t i = sizeof otap_magic - 1;
	while (i < udl && n < max) {
		const uint8_t *nl = memchr(ud + i, '\n', udl - i);
		size_t end = nl ? (size_t)(nl - ud) : udl;
		const uint8_t *colon = memchr(ud + i, ':', end - i);
		size_t klen = colon ? (size_t)(colon - (ud + i)) : 0;
		if (colon && klen > 0 && klen < UNIT_KEY_MAX) {
			size_t vlen = end - i - klen - 1;
			if (vlen >= UNIT_VALUE_MAX)
				vlen = UNIT_VALUE_MAX - 1;
			memcpy(lines[n].key, ud + i, klen);
			lines[n].key[klen] = '\0';
			memcpy(lines[n].value, colon + 1, vlen);
			lines[n].value[vlen] = '\0';
			n++;
		}
		i = end + 1;
	}
	return n;
}

static const struct line *find_line(const struct line *lines, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(lines[i].key, key) == 0)
			return &lines[i];
	}
	return NULL;
}

/* Merges a parameter; a later value wins, the first position is kept. */
static void merge_param(struct unit_state *s, const struct line *l)
{
	for (size_t i = 0; i < s->nparams; i++) {
		if (strcmp(s->params[i].key, l->key) == 0) {
			memcpy(s->params[i].value, l->value, sizeof s->params[i].value);
			return;
		}
	}
	if (s->nparams == UNIT_PARAMS_MAX)
		return;
	memcpy(s->params[s->nparams].key, l->key, sizeof l->key);
	memcpy(s->params[s->nparams].value, l->value, sizeof l->value);
	s->nparams++;
}

static const char *param_value(const struct unit_state *s, const char *key)
{
	for (size_t i = 0; i < s->nparams; i++) {
		if (strcmp(s->params[i].key, key) == 0)
			return s->params[i].value;
	}
	return NULL;
}

/* PWD is the credential and START the trigger: neither is a parameter. */
static bool is_reported_param(const char *key)
{
	return strcmp(key, "PWD") != 0 && strcmp(key, "START") != 0;
}

/* "JADURL,APPDIR,..." in order of first receipt. */
static void param_names(const struct unit_state *s, char *out, size_t cap)
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < s->nparams; i++) {
		const char *key = s->params[i].key;
		if (!is_reported_param(key))
			continue;
		int w = snprintf(out + len, cap - len, "%s%s", len ? "," : "", key);
		if (w < 0 || (size_t)w >= cap - len)
			return;
		len += (size_t)w;
	}
}

/* "\tKEY=value" for each non-secret parameter; stops before a field that
 * would not fit, so no field is ever cut in half. */
static void param_values(const struct unit_state *s, char *out, size_t cap)
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < s->nparams; i++) {
		const struct param *p = &s->params[i];
		if (!is_reported_param(p->key) || is_secret_key(p->key, strlen(p->key)))
			continue;
		char esc[4 * UNIT_VALUE_MAX];
		simlog_escape((const uint8_t *)p->value, strlen(p->value), esc, sizeof esc);
		int w = snprintf(out + len, cap - len, "\t%s=%s", p->key, esc);
		if (w < 0 || (size_t)w >= cap - len) {
			out[len] = '\0';
			return;
		}
		len += (size_t)w;
	}
}

/* Logs the OTAP event: parameter names, then the non-secret values. */
static void log_start(const struct unit_state *s, const char *action)
{
	char names[UNIT_PARAMS_MAX * UNIT_KEY_MAX + 1];
	char values[3000];
	char act[4 * UNIT_VALUE_MAX];
	param_names(s, names, sizeof names);
	param_values(s, values, sizeof values);
	simlog_escape((const uint8_t *)action, strlen(action), act, sizeof act);
	simlog_event("OTAP\tto=%s\taction=%s\tparams=%s%s", s->msisdn, act, names, values);
}

/* The code the unit reports: a successful delete is reported as 912. */
static int reported_code(int code, const char *action)
{
	return code == 900 && strcmp(action, "delete") == 0 ? 912 : code;
}

static void start_notify(struct units *units, const struct unit_state *s,
			 const struct unit_profile *prof, const char *action)
{
	struct notify_request rq = { .delay_ms = prof->notify_delay_ms };
	const char *url = param_value(s, "NOTIFYURL");
	snprintf(rq.to, sizeof rq.to, "%s", s->msisdn);
	rq.code = reported_code(prof->notify, action);
	if (!url) {
		simlog_event("NOTIFY\tto=%s\turl=\tcode=%d\thttp=error:no NOTIFYURL", s->msisdn, rq.code);
		return;
	}
	snprintf(rq.url, sizeof rq.url, "%s", url);
	memcpy(rq.product, prof->product, sizeof rq.product);
	memcpy(rq.imei, prof->imei, sizeof rq.imei);
	notify_spawn(units->notifier, &rq);
}

static void copy_param(const struct unit_state *s, const char *key, char *out, size_t cap)
{
	const char *v = param_value(s, key);
	snprintf(out, cap, "%s", v ? v : "");
}

/* Hands the unit's parameters and identity to the download procedure. */
static void start_download(struct units *units, const struct unit_state *s,
			   const struct unit_profile *prof)
{
	struct download_request rq = {
		.mode = prof->download, .code = prof->notify, .notify_delay_ms = prof->notify_delay_ms,
	};
	snprintf(rq.to, sizeof rq.to, "%s", s->msisdn);
	copy_param(s, "JADURL", rq.jad_url, sizeof rq.jad_url);
	copy_param(s, "NOTIFYURL", rq.notify_url, sizeof rq.notify_url);
	copy_param(s, "HTTPUSER", rq.user, sizeof rq.user);
	copy_param(s, "HTTPPWD", rq.password, sizeof rq.password);
	download_user_agent(prof->product, prof->imei, rq.user_agent, sizeof rq.user_agent);
	downloads_start(units->downloads, &rq);
}

/* The unit saw START: report, download or notify, and forget the
 * parameters (they do not survive the reboot that ends every OTAP
 * procedure). */
static void run_start(struct units *units, struct unit_state *s, const struct unit_profile *prof)
{
	const char *value = param_value(s, "START");
	const char *action = value && value[0] ? value : "install";
	log_start(s, action);
	bool install = strcmp(action, "install") == 0;
	bool known = install || strcmp(action, "delete") == 0;
	if (install && prof->download != FLEET_DOWNLOAD_NO)
		start_download(units, s, prof);
	else if (prof->notify >= 0 && known)
		start_notify(units, s, prof, action);
	s->nparams = 0;
}

/* Why the unit's OTAP handler does not take this SM, or NULL. */
static const char *ignore_reason(const struct pdu_decoded *sm)
{
	if (sm->pid != PDU_PID_OTAP && sm->pid != PDU_PID_PLAIN)
		return "pid";
	if (sm->coding != PDU_CODING_8BIT)
		return "dcs";
	return NULL;
}

void units_deliver(struct units *units, const struct pdu_decoded *sm)
{
	if (!is_otap_body(sm->ud, sm->udl))
		return;
	const char *why = ignore_reason(sm);
	if (why) {
		simlog_event("IGNORED\tto=%s\treason=%s", sm->addr, why);
		return;
	}
	struct unit_profile prof;
	units_profile(units, sm->addr, &prof);
	struct line lines[UNIT_PARAMS_MAX * 2];
	size_t n = split_lines(sm->ud, sm->udl, lines, sizeof lines / sizeof lines[0]);
	const struct line *pwd = find_line(lines, n, "PWD");
	if (prof.password && (!pwd || strcmp(pwd->value, prof.password) != 0)) {
		simlog_event("PWD_MISMATCH\tto=%s", sm->addr);
		return;
	}
	struct unit_state *s = state_for(units, sm->addr);
	if (!s)
		return;
	for (size_t i = 0; i < n; i++)
		merge_param(s, &lines[i]);
	if (find_line(lines, n, "START"))
		run_start(units, s, &prof);
}
