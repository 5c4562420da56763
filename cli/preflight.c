/* preflight.c - the checks of a profile's download before a rollout (see
 * preflight.h): what a unit would fetch and compare, checked from here. */
#include "preflight.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_fetch.h"
#include "jad.h"
#include "jar_manifest.h"

/* A certificate ending sooner than this is worth a warning: a rollout with
 * waves and windows runs for days. */
#define CERT_WARN_DAYS 14
/* The listener answers at once or not at all. */
#define HEALTHZ_CONNECT_S 2
#define HEALTHZ_TIMEOUT_S 5

/* What the unit compares between the JAD and the JAR's manifest (905). */
static const char *const identity_attrs[] = { "MIDlet-Name", "MIDlet-Vendor", "MIDlet-Version" };
#define IDENTITY_COUNT 3

static void add(struct preflight_report *r, const char *name, bool ok, bool warning,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(struct preflight_report *r, const char *name, bool ok, bool warning,
		const char *fmt, ...)
{
	if (r->count == PREFLIGHT_CHECKS_MAX)
		return;
	struct preflight_check *c = &r->checks[r->count++];
	snprintf(c->name, sizeof c->name, "%s", name);
	c->ok = ok;
	c->warning = warning;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof c->detail, fmt, ap);
	va_end(ap);
	if (!ok)
		r->ok = false;
}

/* ---- fetching ---- */

/* Why an answer other than 200 stops the unit; source says where the URL
 * came from, for the fix. */
static void bad_status(struct preflight_report *r, const char *check, const char *url,
		       const struct http_fetch_result *res, const struct otap_profile *p,
		       const char *source)
{
	long st = res->status;
	if (st == 401 && p->http_user)
		add(r, check, false, false, "%s: HTTP 401: the server refused http_user '%s' and "
		    "its password (check http_user/http_password of profile %s)", url, p->http_user,
		    p->name);
	else if (st == 401)
		add(r, check, false, false, "%s: HTTP 401: the server wants a login (set http_user "
		    "and http_password in profile %s)", url, p->name);
	else if (st == 403)
		add(r, check, false, false, "%s: HTTP 403 Forbidden: the server refuses the file "
		    "(check its permissions and access rules)", url);
	else if (st == 404)
		add(r, check, false, false, "%s: HTTP 404 Not Found (check %s, and that the file "
		    "is on the server)", url, source);
	else if (st >= 300 && st < 400)
		add(r, check, false, false, "%s: HTTP %ld redirect to %s: units do not follow "
		    "redirects (put the final URL in %s)", url, st,
		    res->location[0] ? res->location : "(no Location)", source);
	else if (st >= 500)
		add(r, check, false, false, "%s: HTTP %ld: the server failed (see its error log)",
		    url, st);
	else
		add(r, check, false, false, "%s: HTTP %ld (expected 200)", url, st);
}

static void cert_warning(struct preflight_report *r, const char *url, int64_t expires)
{
	int64_t now = (int64_t)time(NULL);
	if (expires == 0 || expires - now > CERT_WARN_DAYS * 86400LL)
		return;
	char when[32];
	time_t t = (time_t)expires;
	struct tm tm;
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime_r(&t, &tm));
	add(r, "tls_expiry", true, true, "%s: the server's certificate expires %s, within %d "
	    "days: renew it before or during the rollout (units refuse an expired one)", url,
	    when, CERT_WARN_DAYS);
}

/* GETs url into *res; adds check's line. Returns true on HTTP 200. */
static bool fetch(struct preflight_report *r, const char *check, const char *url,
		  const struct http_fetch_opts *o, const struct otap_profile *p,
		  const char *source, struct http_fetch_result *res)
{
	struct errbuf err = { { 0 } };
	if (http_fetch(url, o, res, &err) < 0) {
		add(r, check, false, false, "%s: %s", url, err.msg);
		return false;
	}
	if (res->status != 200) {
		bad_status(r, check, url, res, p, source);
		http_fetch_free(res);
		return false;
	}
	add(r, check, true, false, "%s: HTTP 200, %zu bytes%s", url, res->len,
	    o->user ? " (with http_user and http_password)" : "");
	cert_warning(r, url, res->cert_expires);
	return true;
}

/* ---- what the unit checks ---- */

/* A decimal byte count with nothing around it. */
static bool size_valid(const char *text, uint64_t *out)
{
	char *end;
	if (!text || text[0] < '0' || text[0] > '9')
		return false;
	unsigned long long v = strtoull(text, &end, 10);
	*out = v;
	return *end == '\0';
}

/* Parses the JAD text and checks its required attributes. jar_attrs: the
 * JAD must name its JAR (external JADs; for local artifacts otapd writes
 * MIDlet-Jar-URL and MIDlet-Jar-Size into each job's JAD). Returns true
 * with *j filled (free with jad_free). */
static bool check_jad(struct preflight_report *r, const char *text, size_t len,
		      const char *where, bool jar_attrs, struct jad *j)
{
	static const char *const jar_names[] = { "MIDlet-Jar-URL", "MIDlet-Jar-Size" };
	struct errbuf err = { { 0 } };
	char missing[160] = "";
	uint64_t size;
	if (jad_parse(text ? text : "", len, j, &err) < 0) {
		add(r, "jad_attributes", false, false, "%s is not a JAD: %s (expected lines "
		    "'MIDlet-Name: ...')", where, err.msg);
		return false;
	}
	for (int i = 0; i < IDENTITY_COUNT + (jar_attrs ? 2 : 0); i++) {
		const char *name = i < IDENTITY_COUNT ? identity_attrs[i] : jar_names[i - IDENTITY_COUNT];
		if (!jad_get(j, name))
			snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s",
				 missing[0] ? ", " : "", name);
	}
	if (missing[0])
		add(r, "jad_attributes", false, false, "%s lacks %s (add them: units reject the "
		    "descriptor, 906)", where, missing);
	else if (jar_attrs && !size_valid(jad_get(j, "MIDlet-Jar-Size"), &size))
		add(r, "jad_attributes", false, false, "%s: MIDlet-Jar-Size '%s' is not a number of "
		    "bytes (units reject the descriptor, 906)", where, jad_get(j, "MIDlet-Jar-Size"));
	else
		add(r, "jad_attributes", true, false, "%s: MIDlet-Name '%s', MIDlet-Vendor '%s', "
		    "MIDlet-Version '%s'%s", where, jad_get(j, "MIDlet-Name"),
		    jad_get(j, "MIDlet-Vendor"), jad_get(j, "MIDlet-Version"),
		    jar_attrs ? "; MIDlet-Jar-URL and MIDlet-Jar-Size present" :
		    "; otapd writes MIDlet-Jar-URL and MIDlet-Jar-Size per job");
	if (r->checks[r->count - 1].ok)
		return true;
	jad_free(j);
	return false;
}

/* MIDlet-Name/Vendor/Version of the manifest against the JAD's (905). */
static void compare_manifest(struct preflight_report *r, const struct jad *j,
			     const struct jad *mf, const char *jar)
{
	char diff[768] = "";
	for (int i = 0; i < IDENTITY_COUNT; i++) {
		const char *a = jad_get(j, identity_attrs[i]), *b = jad_get(mf, identity_attrs[i]);
		size_t n = strlen(diff);
		if (!b)
			snprintf(diff + n, sizeof diff - n, "%s%s: JAD '%s', missing in the manifest",
				 n ? "; " : "", identity_attrs[i], a);
		else if (strcmp(a, b) != 0)
			snprintf(diff + n, sizeof diff - n, "%s%s: JAD '%s', manifest '%s'",
				 n ? "; " : "", identity_attrs[i], a, b);
	}
	if (diff[0])
		add(r, "manifest", false, false, "%s: META-INF/MANIFEST.MF disagrees with the JAD: %s "
		    "(units would fail with 905: rebuild the JAR or correct the JAD)", jar, diff);
	else
		add(r, "manifest", true, false, "%s: META-INF/MANIFEST.MF agrees with the JAD on "
		    "MIDlet-Name, MIDlet-Vendor and MIDlet-Version", jar);
}

/* Reads the manifest (a file, or the fetched bytes when path is NULL) and
 * compares it. */
static void check_manifest(struct preflight_report *r, const struct jad *j, const char *path,
			   const struct http_fetch_result *jar, const char *jar_name)
{
	struct jad mf;
	struct errbuf err = { { 0 } };
	int rc = path ? jar_manifest_from_file(path, &mf, &err) :
		jar_manifest_from_buffer(jar->body, jar->len, &mf, &err);
	if (rc < 0) {
		add(r, "manifest", false, false, "%s: %s (units would fail with 907)", jar_name,
		    err.msg);
		return;
	}
	compare_manifest(r, j, &mf, jar_name);
	jad_free(&mf);
}

static void check_jar_size(struct preflight_report *r, const struct jad *j, size_t real)
{
	uint64_t declared = 0;
	size_valid(jad_get(j, "MIDlet-Jar-Size"), &declared);   /* checked by check_jad */
	if (declared != real)
		add(r, "jar_size", false, false, "MIDlet-Jar-Size says %" PRIu64 " bytes but the JAR "
		    "has %zu: units would fail with 904 (set MIDlet-Jar-Size: %zu in the JAD)",
		    declared, real, real);
	else
		add(r, "jar_size", true, false, "%zu bytes, as MIDlet-Jar-Size says", real);
}

static void check_install_notify(struct preflight_report *r, const struct jad *j)
{
	const char *url = jad_get(j, "MIDlet-Install-Notify");
	if (url)
		add(r, "install_notify", true, true, "the JAD names MIDlet-Install-Notify %s: units "
		    "POST their result there and ignore the per-job NOTIFYURL, so its token cannot "
		    "match the job; otapd then matches by the IMEI in the User-Agent (point it at "
		    "<notify.public_url>/notify and give each unit's IMEI), or remove the attribute",
		    url);
}

/* ---- the two kinds of profile ---- */

static void run_external(const struct otap_profile *p, struct preflight_report *r)
{
	struct http_fetch_opts o = {
		.user = p->http_user, .password = p->http_password,
		.connect_timeout_s = PREFLIGHT_CONNECT_S, .timeout_s = PREFLIGHT_TIMEOUT_S,
		.max_bytes = JAD_TEXT_MAX,
	};
	struct http_fetch_result jad_res, jar_res;
	char source[160], jar_url[1024];
	struct jad j;
	struct errbuf err = { { 0 } };
	snprintf(source, sizeof source, "jad_url of profile %s", p->name);
	if (!fetch(r, "jad_fetch", p->jad_url, &o, p, source, &jad_res))
		return;
	bool parsed = check_jad(r, jad_res.body, jad_res.len, "the JAD", true, &j);
	http_fetch_free(&jad_res);
	if (!parsed)
		return;
	check_install_notify(r, &j);
	const char *ref = jad_get(&j, "MIDlet-Jar-URL");
	if (http_resolve(p->jad_url, ref, jar_url, sizeof jar_url, &err) < 0) {
		add(r, "jar_url", false, false, "MIDlet-Jar-URL '%s': %s (give an absolute URL, or "
		    "one relative to the JAD's)", ref, err.msg);
	} else {
		o.max_bytes = PREFLIGHT_JAR_MAX;
		if (fetch(r, "jar_fetch", jar_url, &o, p, "MIDlet-Jar-URL in the JAD", &jar_res)) {
			check_jar_size(r, &j, jar_res.len);
			check_manifest(r, &j, NULL, &jar_res, "the JAR");
			http_fetch_free(&jar_res);
		}
	}
	jad_free(&j);
}

/* GET <public_url>/healthz: units fetch local artifacts from otapd's
 * listener, so it must be running and reachable at public_url. */
static void check_listener(const struct cfg *cfg, struct preflight_report *r)
{
	struct http_fetch_opts o = {
		.connect_timeout_s = HEALTHZ_CONNECT_S, .timeout_s = HEALTHZ_TIMEOUT_S,
		.max_bytes = 4096,
	};
	static const char hint[] = "is otapd running with notify.listen, and does public_url "
		"reach it? (units fetch the JAD and JAR from it)";
	const char *base = cfg->notify.public_url;
	size_t len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		len--;
	char url[1024];
	snprintf(url, sizeof url, "%.*s/healthz", (int)len, base);
	struct http_fetch_result res;
	struct errbuf err = { { 0 } };
	if (http_fetch(url, &o, &res, &err) < 0) {
		add(r, "notify_listener", false, false, "GET %s: %s: %s", url, err.msg, hint);
		return;
	}
	/* 503 is otapd's listener saying no modem is ready: the units can
	 * still fetch from it, so the listener passes; the body says why. */
	if (res.status == 503 && res.body && strncmp(res.body, "no modem ready", 14) == 0)
		add(r, "notify_listener", true, false, "GET %s: HTTP 503, otapd's listener answers "
		    "(%.200s)", url, res.body);
	else if (res.status != 200)
		add(r, "notify_listener", false, false, "GET %s answered HTTP %ld, not 200: %s", url,
		    res.status, hint);
	else
		add(r, "notify_listener", true, false, "GET %s: HTTP 200, otapd's listener answers",
		    url);
	http_fetch_free(&res);
}

static void run_local(const struct cfg *cfg, const struct otap_profile *p,
		      struct preflight_report *r)
{
	char where[600], jar_name[600];
	struct jad j;
	snprintf(where, sizeof where, "jad_file %s", p->jad_file);
	snprintf(jar_name, sizeof jar_name, "jar_file %s", p->jar_file);
	if (check_jad(r, p->jad_text, p->jad_len, where, false, &j)) {
		check_manifest(r, &j, p->jar_file, NULL, jar_name);
		jad_free(&j);
	}
	check_listener(cfg, r);
}

void preflight_run(const struct cfg *cfg, const struct otap_profile *p,
		   struct preflight_report *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->profile, sizeof out->profile, "%s", p->name);
	out->ok = true;
	if (http_fetch_global_init() < 0) {
		add(out, "setup", false, false, "cannot initialise libcurl");
		return;
	}
	if (p->jar_file)
		run_local(cfg, p, out);
	else if (p->jad_url)
		run_external(p, out);
	else
		add(out, "jad_url", true, true, "profile %s has no jad_url: units use the JAD URL "
		    "set on them with AT^SJOTAP, which cannot be checked from here", p->name);
	http_fetch_global_cleanup();
}
