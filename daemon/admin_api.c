/* admin_api.c - the JSON API of the admin listener (admin_api.h): paths
 * and query arguments checked here, objects written by lib/ (rollout_json,
 * job_json, unit_list, modem_json) as for otapctl --json. */
#include "admin_api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "job_json.h"
#include "json.h"
#include "log.h"
#include "modem_json.h"
#include "rollout_json.h"
#include "unit_list.h"

#define ARG_VALUE_MAX 64                /* longest query value accepted */
#define ROLLOUTS_LISTED_MAX 1000

/* A document being written into memory (open_memstream). */
struct doc {
	FILE *f;
	char *buf;
	size_t len;
	struct json_writer w;
};

static int doc_open(struct doc *d)
{
	memset(d, 0, sizeof *d);
	d->f = open_memstream(&d->buf, &d->len);
	if (!d->f)
		return -1;
	json_init(&d->w, d->f);
	return 0;
}

/* Ends the document into out with status; a writer error is a 500. */
static void doc_close(struct doc *d, unsigned status, struct admin_reply *out)
{
	fputc('\n', d->f);
	bool ok = json_finish(&d->w) == 0;
	if (fclose(d->f) != 0)
		ok = false;
	if (!ok) {
		free(d->buf);
		admin_api_error(out, 500, "the answer could not be written");
		return;
	}
	out->status = status;
	out->body = d->buf;
	out->len = d->len;
}

static void doc_discard(struct doc *d)
{
	fclose(d->f);
	free(d->buf);
}

void admin_api_error(struct admin_reply *out, unsigned status, const char *text)
{
	struct doc d;
	out->status = status;
	out->body = NULL;
	out->len = 0;
	if (doc_open(&d) < 0)
		return;
	json_begin_object(&d.w);
	json_member_string(&d.w, "error", text);
	json_member_int(&d.w, "status", status);
	json_end_object(&d.w);
	fputc('\n', d.f);
	if (fclose(d.f) != 0) {
		free(d.buf);
		return;
	}
	out->body = d.buf;
	out->len = d.len;
}

__attribute__((format(printf, 3, 4)))
static void fail(struct admin_reply *out, unsigned status, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	admin_api_error(out, status, text);
}

static void store_failed(struct admin_reply *out, const char *what, const struct errbuf *err)
{
	log_warnx("admin: %s: %s", what, err->msg);
	fail(out, 503, "%s: the store could not be read", what);
}

/* ---- query arguments ---- */

struct args {
	const char *allowed[6];         /* names this route takes; NULL-terminated */
	const char *value[6];
	char bad[160];                  /* the first problem, "" = none */
};

static enum MHD_Result take_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	struct args *a = cls;
	(void)kind;
	if (a->bad[0])
		return MHD_NO;
	for (size_t i = 0; a->allowed[i]; i++) {
		if (strcmp(key, a->allowed[i]) != 0)
			continue;
		if (a->value[i]) {
			snprintf(a->bad, sizeof a->bad, "query argument '%s' given twice", key);
			return MHD_NO;
		}
		a->value[i] = value ? value : "";
		if (strlen(a->value[i]) > ARG_VALUE_MAX)
			snprintf(a->bad, sizeof a->bad, "query argument '%s' is longer than %d "
				 "bytes", key, ARG_VALUE_MAX);
		return a->bad[0] ? MHD_NO : MHD_YES;
	}
	/* The name is shown cut short; the JSON writer escapes its bytes. */
	snprintf(a->bad, sizeof a->bad, "unknown query argument '%.40s'", key);
	return MHD_NO;
}

/* Collects conn's query arguments into a (a->allowed set). Returns 0, or
 * -1 with a 400 in out. */
static int read_args(struct MHD_Connection *conn, struct args *a, struct admin_reply *out)
{
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, take_arg, a);
	if (!a->bad[0])
		return 0;
	admin_api_error(out, 400, a->bad);
	return -1;
}

/* A whole number in [min, max] or fail. An empty or absent value is dflt. */
static int arg_number(const char *name, const char *text, int min, int max, int dflt, int *out,
		      struct admin_reply *reply)
{
	if (!text || !text[0]) {
		*out = dflt;
		return 0;
	}
	char *end;
	long v = strspn(text, "0123456789") == strlen(text) && strlen(text) <= 9
			 ? strtol(text, &end, 10) : -1;
	if (v < min || v > max) {
		fail(reply, 400, "query argument %s='%.20s' is not a whole number from %d to %d",
		     name, text, min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* A name of a set (state, step, cause) or fail naming the choices. */
static int arg_name(const char *name, const char *text, int (*parse)(const char *, int *),
		    const char *choices, int *out, struct admin_reply *reply)
{
	*out = -1;
	if (!text || !text[0])
		return 0;
	if (parse(text, out) == 0)
		return 0;
	fail(reply, 400, "query argument %s='%.40s' is not one of: %s", name, text, choices);
	return -1;
}

static int parse_state(const char *t, int *out)
{
	enum job_state s;
	int rc = job_state_parse(t, &s);
	*out = (int)s;
	return rc;
}

static int parse_step(const char *t, int *out)
{
	enum job_step s;
	int rc = job_step_parse(t, &s);
	*out = (int)s;
	return rc;
}

static int parse_cause(const char *t, int *out)
{
	enum diag_cause c;
	int rc = diag_cause_parse(t, &c);
	*out = (int)c;
	return rc;
}

/* Every name of a set, comma-separated, into buf. */
static void choices(char *buf, size_t cap, int count, const char *(*name)(int))
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < count && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", name(i));
}

static const char *state_name(int s) { return job_state_name((enum job_state)s); }
static const char *step_name(int s) { return job_step_name((enum job_step)s); }
static const char *cause_name(int c) { return diag_cause_name((enum diag_cause)c); }

/* Routes without query arguments refuse any. */
static int no_args(struct MHD_Connection *conn, struct admin_reply *out)
{
	struct args a = { .allowed = { NULL } };
	return read_args(conn, &a, out);
}

/* ---- routes ---- */

struct rollout_rows {
	struct doc *d;
	int n;
};

static int list_one(const struct rollout *r, void *arg)
{
	struct rollout_rows *rows = arg;
	json_begin_object(&rows->d->w);
	rollout_json_fields(&rows->d->w, r);
	json_end_object(&rows->d->w);
	return ++rows->n >= ROLLOUTS_LISTED_MAX;
}

/* GET /api/rollouts: the array of `otapctl rollout list --json`. */
static void get_rollouts(struct store *q, struct admin_reply *out)
{
	struct doc d;
	struct errbuf err = { { 0 } };
	if (doc_open(&d) < 0)
		return admin_api_error(out, 500, "out of memory");
	struct rollout_rows rows = { &d, 0 };
	json_begin_array(&d.w);
	if (store_rollout_list(q, -1, list_one, &rows, &err) < 0) {
		doc_discard(&d);
		return store_failed(out, "listing the rollouts", &err);
	}
	json_end_array(&d.w);
	doc_close(&d, 200, out);
}

/* The rollout name of a path, or fail 404 (also for a name that cannot
 * exist: every byte of a valid one is [A-Za-z0-9._-]). */
static int rollout_exists(struct store *q, const char *name, struct admin_reply *out)
{
	struct rollout r;
	struct errbuf err = { { 0 } };
	if (rollout_name_check(name, &err) < 0) {
		admin_api_error(out, 404, "no such rollout (not a rollout name)");
		return -1;
	}
	int found = store_rollout_get(q, name, &r, &err);
	if (found < 0)
		store_failed(out, "reading a rollout", &err);
	else if (found == 0)
		fail(out, 404, "no such rollout '%s'", name);
	return found > 0 ? 0 : -1;
}

/* GET /api/rollouts/NAME: the object of `otapctl rollout status --json`. */
static void get_rollout(struct store *q, const char *name, struct admin_reply *out)
{
	struct rollout_status st;
	struct errbuf err = { { 0 } };
	struct doc d;
	if (rollout_exists(q, name, out) < 0)
		return;
	int found = rollout_status(q, name, clock_wall_ms(), &st, &err);
	if (found <= 0)
		return found < 0 ? store_failed(out, "reading a rollout's status", &err)
				 : fail(out, 404, "no such rollout '%s'", name);
	if (doc_open(&d) < 0)
		return admin_api_error(out, 500, "out of memory");
	rollout_status_json(&d.w, &st);
	doc_close(&d, 200, out);
}

/* The units query of conn, or fail 400. */
static int units_query(struct MHD_Connection *conn, const char *name, struct unit_query *uq,
		       struct admin_reply *out)
{
	struct args a = { .allowed = { "state", "stopped_at", "cause", "page", "per_page" } };
	char states[128], steps[128], causes[256];
	choices(states, sizeof states, JOB_STATE_COUNT, state_name);
	choices(steps, sizeof steps, JOB_STEP_COUNT, step_name);
	choices(causes, sizeof causes, DIAG_CAUSE_COUNT, cause_name);
	uq->rollout = name;
	if (read_args(conn, &a, out) < 0 ||
	    arg_name("state", a.value[0], parse_state, states, &uq->state, out) < 0 ||
	    arg_name("stopped_at", a.value[1], parse_step, steps, &uq->stopped_at, out) < 0 ||
	    arg_name("cause", a.value[2], parse_cause, causes, &uq->cause, out) < 0 ||
	    arg_number("page", a.value[3], 1, UNIT_PAGE_NUMBER_MAX, 1, &uq->page, out) < 0 ||
	    arg_number("per_page", a.value[4], 1, UNIT_PAGE_MAX, UNIT_PAGE_DEFAULT,
		       &uq->per_page, out) < 0)
		return -1;
	return 0;
}

/* GET /api/rollouts/NAME/units?state=&stopped_at=&cause=&page=&per_page= */
static void get_units(struct store *q, const struct cfg *cfg, struct MHD_Connection *conn,
		      const char *name, struct admin_reply *out)
{
	struct unit_query uq;
	struct errbuf err = { { 0 } };
	struct doc d;
	if (units_query(conn, name, &uq, out) < 0 || rollout_exists(q, name, out) < 0)
		return;
	if (doc_open(&d) < 0)
		return admin_api_error(out, 500, "out of memory");
	if (unit_list_json(&d.w, q, cfg, &uq, &err) < 0) {
		doc_discard(&d);
		return store_failed(out, "listing a rollout's units", &err);
	}
	doc_close(&d, 200, out);
}

/* GET /api/jobs/ID: the object of `otapctl status ID --json`. */
static void get_job(struct store *q, const struct cfg *cfg, const char *id_text,
		    struct admin_reply *out)
{
	struct errbuf err = { { 0 } };
	struct job j;
	struct doc d;
	char waiting[700];
	bool digits = id_text[0] && strspn(id_text, "0123456789") == strlen(id_text) &&
		      strlen(id_text) <= 18 && id_text[0] != '0';
	if (!digits)
		return admin_api_error(out, 400, "a job id is a positive whole number");
	int found = store_get(q, strtoll(id_text, NULL, 10), &j, &err);
	if (found <= 0)
		return found < 0 ? store_failed(out, "reading a job", &err)
				 : fail(out, 404, "no such job %s", id_text);
	int wait = modem_roster_job_waiting(q, cfg, &j, clock_wall_ms(), waiting, sizeof waiting,
					    &err);
	if (wait < 0)
		return store_failed(out, "reading the modems", &err);
	if (doc_open(&d) < 0)
		return admin_api_error(out, 500, "out of memory");
	if (job_detail_json(&d.w, q, &j, wait ? waiting : NULL, &err) < 0) {
		doc_discard(&d);
		return store_failed(out, "reading a job", &err);
	}
	doc_close(&d, 200, out);
}

/* GET /api/modems: the array of `otapctl modems --json`. */
static void get_modems(struct store *q, const struct cfg *cfg, struct admin_reply *out)
{
	struct modem_roster r;
	struct errbuf err = { { 0 } };
	struct doc d;
	if (modem_roster_load(q, cfg, &r, &err) < 0) {
		modem_roster_free(&r);
		return store_failed(out, "reading the modems", &err);
	}
	if (doc_open(&d) == 0) {
		modem_roster_json(&d.w, &r, clock_wall_ms());
		doc_close(&d, 200, out);
	} else {
		admin_api_error(out, 500, "out of memory");
	}
	modem_roster_free(&r);
}

/* Splits "a/b" at the first '/' into buf (rest after it in *rest, NULL
 * when none). Returns false when the segment does not fit. */
static bool segment(const char *path, char *buf, size_t cap, const char **rest)
{
	const char *slash = strchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : strlen(path);
	if (n >= cap)
		return false;
	memcpy(buf, path, n);
	buf[n] = '\0';
	*rest = slash ? slash + 1 : NULL;
	return true;
}

static void route_rollouts(struct store *q, const struct cfg *cfg, struct MHD_Connection *conn,
			   const char *rest, struct admin_reply *out)
{
	char name[STORE_NAME_MAX];
	const char *tail;
	if (!rest || !rest[0]) {
		if (no_args(conn, out) == 0)
			get_rollouts(q, out);
	} else if (!segment(rest, name, sizeof name, &tail)) {
		admin_api_error(out, 404, "no such rollout (not a rollout name)");
	} else if (!tail) {
		if (no_args(conn, out) == 0)
			get_rollout(q, name, out);
	} else if (strcmp(tail, "units") == 0) {
		get_units(q, cfg, conn, name, out);
	} else {
		admin_api_error(out, 404, "not found: under /api/rollouts/NAME there is only /units");
	}
}

void admin_api_answer(struct store *q, const struct cfg *cfg, struct MHD_Connection *conn,
		      const char *path, struct admin_reply *out)
{
	const char *p = path + strlen(ADMIN_API_PREFIX);
	memset(out, 0, sizeof *out);
	if (strcmp(p, "rollouts") == 0 || strncmp(p, "rollouts/", 9) == 0) {
		route_rollouts(q, cfg, conn, p[8] ? p + 9 : NULL, out);
	} else if (strncmp(p, "jobs/", 5) == 0) {
		if (no_args(conn, out) == 0)
			get_job(q, cfg, p + 5, out);
	} else if (strcmp(p, "modems") == 0) {
		if (no_args(conn, out) == 0)
			get_modems(q, cfg, out);
	} else {
		admin_api_error(out, 404, "not found: the API has /api/rollouts, "
				"/api/rollouts/NAME, /api/rollouts/NAME/units, /api/jobs/ID and "
				"/api/modems");
	}
}
