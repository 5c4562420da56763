/* fleet.c - loading and lookup of the --fleet file (see fleet.h). */
#include "fleet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "msisdn.h"

static void unit_defaults(struct fleet_unit *u)
{
	memset(u, 0, sizeof *u);
	u->cms = FLEET_UNSET;
	u->cds_st = FLEET_UNSET;
	u->notify = FLEET_UNSET;
	u->notify_delay_ms = FLEET_UNSET;
	u->download = FLEET_UNSET;
}

static const char *const download_names[] = {
	[FLEET_DOWNLOAD_NO] = "no", [FLEET_DOWNLOAD_YES] = "yes",
	[FLEET_DOWNLOAD_UNREACHABLE] = "unreachable", [FLEET_DOWNLOAD_JAD_ONLY] = "jad-only",
	[FLEET_DOWNLOAD_CUT] = "cut",
};

static int parse_download(const char *s, int *out)
{
	for (size_t i = 0; i < sizeof download_names / sizeof download_names[0]; i++) {
		if (strcmp(s, download_names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return -1;
}

static bool all_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return true;
}

static int parse_hex_octet(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 16);
	if (errno || end == s || *end || strlen(s) != 2 || v < 0 || v > 255)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_ms(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return -1;
	*out = v;
	return 0;
}

/* True for a product name that fits the User-Agent token: printable, no
 * space or '/'. */
static bool product_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= FLEET_PRODUCT_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] <= 0x20 || s[i] > 0x7E || s[i] == '/')
			return false;
	}
	return true;
}

/* Applies one key=value token. Returns 0, or -1 with a reason that names
 * the key and what was expected (and never echoes a password). */
static int apply_key(struct fleet_unit *u, const char *key, const char *val, struct errbuf *err)
{
	if (strcmp(key, "cms") == 0) {
		if (faults_parse_code(val, &u->cms, err) < 0)
			return -1;
	} else if (strcmp(key, "cds") == 0) {
		if (parse_hex_octet(val, &u->cds_st) < 0)
			return errbuf_set(err, "cds='%s': expected two hex digits (TP-ST, e.g. 00 or 46)", val);
	} else if (strcmp(key, "notify") == 0) {
		if (strcmp(val, "none") == 0)
			u->notify = FLEET_NOTIFY_NONE;
		else if (faults_parse_code(val, &u->notify, err) < 0 || u->notify < 100)
			return errbuf_set(err, "notify='%s': expected a 3-digit status code (900, 901...) or none", val);
	} else if (strcmp(key, "notify_delay") == 0) {
		if (parse_ms(val, &u->notify_delay_ms) < 0)
			return errbuf_set(err, "notify_delay='%s': expected milliseconds >= 0", val);
	} else if (strcmp(key, "imei") == 0) {
		if (!all_digits(val, FLEET_IMEI_LEN))
			return errbuf_set(err, "imei='%s': expected exactly 15 digits", val);
		memcpy(u->imei, val, FLEET_IMEI_LEN + 1);
	} else if (strcmp(key, "password") == 0) {
		if (strlen(val) >= FLEET_PASSWORD_MAX)
			return errbuf_set(err, "password too long: at most %d characters", FLEET_PASSWORD_MAX - 1);
		u->has_password = true;
		strcpy(u->password, val);
	} else if (strcmp(key, "product") == 0) {
		if (!product_ok(val))
			return errbuf_set(err, "product='%s': expected a name without spaces or '/' (e.g. ELS61)", val);
		strcpy(u->product, val);
	} else if (strcmp(key, "download") == 0) {
		if (parse_download(val, &u->download) < 0)
			return errbuf_set(err, "download='%s': expected no, yes, unreachable, jad-only or cut", val);
	} else {
		return errbuf_set(err, "unknown key '%s': expected cms, cds, notify, notify_delay, imei, password, product or download", key);
	}
	return 0;
}

/* Parses one non-comment line into u. Returns 1 for a unit, 0 for a blank
 * line, -1 with a reason. */
static int parse_line(char *line, struct fleet_unit *u, struct errbuf *err)
{
	char *save = NULL;
	char *tok = strtok_r(line, " \t\r\n", &save);

	if (!tok || tok[0] == '#')
		return 0;
	unit_defaults(u);
	const char *why = msisdn_check(tok);
	if (why)
		return errbuf_set(err, "bad MSISDN '%s': %s", tok, why);
	strcpy(u->msisdn, tok);
	for (int field = 2; (tok = strtok_r(NULL, " \t\r\n", &save)) && tok[0] != '#'; field++) {
		char *eq = strchr(tok, '=');
		/* The token is not echoed: it could be part of a password
		 * that contains a space. */
		if (!eq)
			return errbuf_set(err, "field %d is not key=value (values cannot contain spaces)", field);
		*eq = '\0';
		if (apply_key(u, tok, eq + 1, err) < 0)
			return -1;
	}
	return 1;
}

static int append_unit(struct fleet *fleet, const struct fleet_unit *u, struct errbuf *err)
{
	if (fleet_find(fleet, u->msisdn))
		return errbuf_set(err, "%s is listed twice", u->msisdn);
	struct fleet_unit *grown = realloc(fleet->units, (fleet->count + 1) * sizeof *grown);
	if (!grown)
		return errbuf_set(err, "out of memory");
	fleet->units = grown;
	fleet->units[fleet->count++] = *u;
	return 0;
}

int fleet_load(const char *path, struct fleet *out, struct errbuf *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return errbuf_set(err, "cannot open fleet file %s: %s", path, strerror(errno));
	char line[1024];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		struct fleet_unit u;
		lineno++;
		int r = parse_line(line, &u, err);
		if (r > 0)
			r = append_unit(out, &u, err);
		if (r < 0) {
			errbuf_prefix(err, "%s:%d", path, lineno);
			rc = -1;
		}
	}
	fclose(f);
	if (rc < 0)
		fleet_free(out);
	return rc;
}

void fleet_free(struct fleet *fleet)
{
	free(fleet->units);
	fleet->units = NULL;
	fleet->count = 0;
}

const struct fleet_unit *fleet_find(const struct fleet *fleet, const char *msisdn)
{
	for (size_t i = 0; i < fleet->count; i++) {
		if (strcmp(fleet->units[i].msisdn, msisdn) == 0)
			return &fleet->units[i];
	}
	return NULL;
}
