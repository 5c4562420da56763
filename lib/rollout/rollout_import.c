/* rollout_import.c - creating a rollout from a fleet file (CSV): a check
 * pass that finds every invalid row, repeated number and unit busy in
 * another rollout without writing anything, then a writing pass that
 * hands the rollout and its units to the store's import (short
 * transactions, then one flip to active). Memory does not grow with the
 * file: the numbers seen are kept by the store (store_check_begin). See
 * rollout_create() in rollout.h, and bench/README.md for the figures. */
#include "rollout.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "csv.h"
#include "jobmsg.h"
#include "log.h"
#include "msisdn.h"
#include "notify.h"
#include "json.h"

/* Far more than an operator's label and serial; a bound keeps one broken
 * row (a whole file in one quoted field) out of every status output. */
#define META_RAW_MAX 1024
#define PROGRESS_EVERY 65536
/* Any valid number will do: the message body does not depend on it. */
#define PROFILE_PROBE_MSISDN "+10000000000"

/* Units with an open job in another rollout: listed up to this many
 * numbers and rollouts, counted beyond. */
#define OVERLAP_SHOWN 5
#define OVERLAP_ROLLOUTS 3

struct overlaps {
	int64_t count;
	char numbers[OVERLAP_SHOWN][MSISDN_MAX_LEN + 1];
	char rollouts[OVERLAP_ROLLOUTS][STORE_NAME_MAX];
	int rollout_count;              /* distinct names kept */
	bool more_rollouts;
};

struct columns {
	size_t count;           /* fields in the header */
	int msisdn, profile, imei;      /* field index, -1 = absent */
	size_t meta_count;
	size_t *meta;           /* field indexes of the other columns */
	char **meta_keys;       /* their names, as JSON strings with the colon: "label": */
};

/* What checking one configured profile found, computed once per profile. */
struct profile_verdict {
	bool checked;
	bool ok;
	char why[ERRBUF_MAX];
};

struct import {
	struct store *store;
	struct store_import *out;       /* the store's side, while writing */
	const struct cfg *cfg;
	const struct rollout_spec *spec;
	const char *path;
	const struct rollout_import_hooks *hooks;
	struct rollout_import_result *res;
	struct csv_reader *csv;
	struct columns cols;
	struct store_check *check;      /* numbers seen, repeated rows */
	struct overlaps overlaps;
	struct profile_verdict *verdicts;       /* one per cfg profile */
	char *json;             /* header keys, then the current batch's metadata objects */
	size_t json_len, json_cap;
};

/* One row's values, trimmed, pointing into the reader's record. */
struct unit {
	struct csv_field msisdn, imei;
	const struct otap_profile *profile;
};

/* ---- small helpers ---- */

static struct csv_field trimmed(struct csv_field f)
{
	while (f.len && (f.data[0] == ' ' || f.data[0] == '\t'))
		f.data++, f.len--;
	while (f.len && (f.data[f.len - 1] == ' ' || f.data[f.len - 1] == '\t'))
		f.len--;
	return f;
}

static struct csv_field column(const struct csv_record *rec, int idx)
{
	if (idx < 0)
		return (struct csv_field){ "", 0 };
	return trimmed(rec->fields[idx]);
}

/* Copies a field into a NUL-terminated buffer; false when it does not fit. */
static bool field_str(struct csv_field f, char *buf, size_t size)
{
	if (f.len >= size)
		return false;
	memcpy(buf, f.data, f.len);
	buf[f.len] = '\0';
	return true;
}

static void hook_problem(struct import *imp, size_t line, bool duplicate, const char *reason)
{
	if (imp->hooks && imp->hooks->problem)
		imp->hooks->problem(imp->hooks->arg, line, duplicate, reason);
}

static void hook_progress(struct import *imp, int pass)
{
	if (imp->hooks && imp->hooks->progress)
		imp->hooks->progress(imp->hooks->arg, pass, csv_offset(imp->csv), csv_size(imp->csv));
}

/* ---- numbers ---- */

/* '+', up to 15 digits: value < 10^15 < 2^50, the length tells "0049" from
 * "49", the top bit keeps every key non-zero. */
static uint64_t msisdn_key(struct csv_field f)
{
	uint64_t plus = f.len && f.data[0] == '+';
	uint64_t value = 0;
	for (size_t i = plus; i < f.len; i++)
		value = value * 10 + (uint64_t)(f.data[i] - '0');
	return 1ULL << 63 | plus << 62 | (uint64_t)(f.len - plus) << 50 | value;
}

/* The number back from its key (for messages). */
static void msisdn_of_key(uint64_t key, char *buf, size_t size)
{
	int digits = (int)(key >> 50 & 0x1F);   /* at most 15 digits were encoded */
	unsigned long long value = key & ((1ULL << 50) - 1);
	snprintf(buf, size, "%s%0*llu", key >> 62 & 1 ? "+" : "", digits, value);
}

/* ---- JSON for the metadata ---- */

static bool json_reserve(struct import *imp, size_t more)
{
	if (imp->json_cap - imp->json_len >= more)
		return true;
	size_t cap = imp->json_cap ? imp->json_cap : 256;
	while (cap - imp->json_len < more)
		cap *= 2;
	char *grown = realloc(imp->json, cap);
	if (!grown)
		return false;
	imp->json = grown;
	imp->json_cap = cap;
	return true;
}

/* Appends text as a quoted JSON string (json_escape_next: control
 * characters escaped, bytes that are not UTF-8 — a spreadsheet's Latin-1 —
 * become U+FFFD). */
static bool meta_string(struct import *imp, const char *text, size_t n)
{
	if (!json_reserve(imp, n * JSON_ESCAPE_MAX + 2))
		return false;
	char *out = imp->json + imp->json_len;
	*out++ = '"';
	for (size_t i = 0; i < n;) {
		size_t used;
		out += json_escape_next(text + i, n - i, out, &used);
		i += used;
	}
	*out++ = '"';
	imp->json_len = (size_t)(out - imp->json);
	return true;
}

/* Appends the row's metadata object to imp->json; *len gets its length (0
 * when every extra cell is empty: no object at all). */
static bool build_meta(struct import *imp, const struct csv_record *rec, size_t *len)
{
	size_t start = imp->json_len;
	for (size_t i = 0; i < imp->cols.meta_count; i++) {
		struct csv_field f = rec->fields[imp->cols.meta[i]];
		if (f.len == 0)
			continue;
		const char *key = imp->cols.meta_keys[i];
		size_t key_len = strlen(key);
		if (!json_reserve(imp, key_len + 2))
			return false;
		char sep = imp->json_len == start ? '{' : ',';
		imp->json[imp->json_len++] = sep;
		memcpy(imp->json + imp->json_len, key, key_len);
		imp->json_len += key_len;
		if (!meta_string(imp, f.data, f.len))
			return false;
	}
	if (imp->json_len > start) {
		if (!json_reserve(imp, 1))
			return false;
		imp->json[imp->json_len++] = '}';
	}
	*len = imp->json_len - start;
	return true;
}

/* ---- the header ---- */

static int header_fail(struct import *imp, const struct csv_record *h, struct errbuf *err,
		       const char *why)
{
	char found[256] = "";
	size_t n = 0;
	for (size_t i = 0; i < h->count && n < sizeof found; i++) {
		struct csv_field f = trimmed(h->fields[i]);
		n += (size_t)snprintf(found + n, sizeof found - n, "%s%.*s", i ? ", " : "",
				      (int)(f.len > 32 ? 32 : f.len), f.data);
	}
	return errbuf_set(err, "%s: line %zu: %s (found: %s; expected a header row naming the "
			  "columns, e.g. msisdn,imei,label)", imp->path, h->line, why, found);
}

static bool field_is(struct csv_field f, const char *name)
{
	return f.len == strlen(name) && strncasecmp(f.data, name, f.len) == 0;
}

static int add_meta_column(struct columns *c, size_t idx, struct csv_field name,
			   struct import *imp)
{
	imp->json_len = 0;
	if (!meta_string(imp, name.data, name.len) || !json_reserve(imp, 2))
		return -1;
	imp->json[imp->json_len++] = ':';
	imp->json[imp->json_len] = '\0';
	c->meta[c->meta_count] = idx;
	if (!(c->meta_keys[c->meta_count] = strdup(imp->json)))
		return -1;
	c->meta_count++;
	return 0;
}

static int read_header(struct import *imp, struct errbuf *err)
{
	struct csv_record h;
	int rc = csv_next(imp->csv, &h, err);
	if (rc < 0)
		return errbuf_prefix(err, "%s", imp->path);
	if (rc == 0)
		return errbuf_set(err, "%s is empty (expected a header row with an msisdn column, "
				  "then one unit per line)", imp->path);
	struct columns *c = &imp->cols;
	*c = (struct columns){ .count = h.count, .msisdn = -1, .profile = -1, .imei = -1 };
	c->meta = calloc(h.count, sizeof *c->meta);
	c->meta_keys = calloc(h.count, sizeof *c->meta_keys);
	if (!c->meta || !c->meta_keys)
		return errbuf_set(err, "reading %s: out of memory", imp->path);
	for (size_t i = 0; i < h.count; i++) {
		struct csv_field f = trimmed(h.fields[i]);
		char why[128];
		if (f.len == 0) {
			snprintf(why, sizeof why, "column %zu has no name", i + 1);
			return header_fail(imp, &h, err, why);
		}
		for (size_t j = 0; j < i; j++) {
			struct csv_field g = trimmed(h.fields[j]);
			if (f.len == g.len && strncasecmp(f.data, g.data, f.len) == 0) {
				snprintf(why, sizeof why, "column '%.*s' appears twice",
					 (int)(f.len > 32 ? 32 : f.len), f.data);
				return header_fail(imp, &h, err, why);
			}
		}
		if (field_is(f, "msisdn"))
			c->msisdn = (int)i;
		else if (field_is(f, "profile"))
			c->profile = (int)i;
		else if (field_is(f, "imei"))
			c->imei = (int)i;
		else if (add_meta_column(c, i, f, imp) < 0)
			return errbuf_set(err, "reading %s: out of memory", imp->path);
	}
	if (c->msisdn < 0)
		return header_fail(imp, &h, err, "no msisdn column");
	return 0;
}

/* ---- checking rows ---- */

/* Checks that profile's message builds, once per profile (its body does
 * not depend on the unit). Returns NULL or the reason. */
static const char *profile_verdict(struct import *imp, const struct otap_profile *p,
				   const char *msisdn)
{
	struct profile_verdict *v = &imp->verdicts[p - imp->cfg->profiles];
	if (!v->checked) {
		struct jobmsg msg;
		struct errbuf err = { "" };
		struct otap_job_profile jp;
		v->checked = true;
		cfg_worst_job_profile(imp->cfg, p, &jp);
		v->ok = jobmsg_build(&jp.profile, imp->spec->action, msisdn, NULL,
				     jp.notify_url[0] ? jp.notify_url : NULL, &msg, &err) == 0;
		snprintf(v->why, sizeof v->why, "%s", err.msg);
	}
	return v->ok ? NULL : v->why;
}

/* The row's profile: its own column when set, else the rollout's. */
static int row_profile(struct import *imp, const struct csv_record *rec, struct unit *u,
		       char *why, size_t size)
{
	struct csv_field f = column(rec, imp->cols.profile);
	char name[STORE_NAME_MAX];
	if (f.len == 0) {
		u->profile = cfg_profile(imp->cfg, imp->spec->profile);
		return 0;
	}
	if (!field_str(f, name, sizeof name) || !(u->profile = cfg_profile(imp->cfg, name))) {
		char names[256];
		cfg_profile_names(imp->cfg, names, sizeof names);
		snprintf(why, size, "unknown profile '%.*s' (configured: %s)",
			 (int)(f.len > 40 ? 40 : f.len), f.data, names);
		return -1;
	}
	return 0;
}

/* Fills *u from the row. Returns 0, or -1 with the reason it is invalid. */
static int check_row(struct import *imp, const struct csv_record *rec, struct unit *u,
		     char *why, size_t size)
{
	char text[MSISDN_MAX_LEN + 2], imei[NOTIFY_IMEI_LEN + 2];
	const char *bad = NULL;
	if (rec->count != imp->cols.count) {
		snprintf(why, size, "%zu fields, but the header has %zu", rec->count, imp->cols.count);
		return -1;
	}
	u->msisdn = column(rec, imp->cols.msisdn);
	u->imei = column(rec, imp->cols.imei);
	if (u->msisdn.len == 0) {
		snprintf(why, size, "no msisdn");
		return -1;
	}
	if (!field_str(u->msisdn, text, sizeof text) || (bad = msisdn_check_destination(text))) {
		snprintf(why, size, "invalid msisdn '%.*s': %s", (int)(u->msisdn.len > 24 ? 24 :
			 u->msisdn.len), u->msisdn.data, bad ? bad : "too long");
		return -1;
	}
	if (u->imei.len && (!field_str(u->imei, imei, sizeof imei) || (bad = notify_imei_check(imei)))) {
		snprintf(why, size, "invalid imei '%.*s': %s", (int)(u->imei.len > 24 ? 24 :
			 u->imei.len), u->imei.data, bad ? bad : "expected 15 digits");
		return -1;
	}
	if (row_profile(imp, rec, u, why, size) < 0)
		return -1;
	if ((bad = profile_verdict(imp, u->profile, text))) {
		snprintf(why, size, "profile '%s' cannot be sent: %s", u->profile->name, bad);
		return -1;
	}
	size_t meta = 0;
	for (size_t i = 0; i < imp->cols.meta_count; i++)
		meta += rec->fields[imp->cols.meta[i]].len;
	if (meta > META_RAW_MAX) {
		snprintf(why, size, "the extra columns hold %zu bytes (at most %d per unit)", meta,
			 META_RAW_MAX);
		return -1;
	}
	return 0;
}

static void reject(struct import *imp, size_t line, bool duplicate, const char *why)
{
	if (duplicate)
		imp->res->duplicates++;
	else
		imp->res->invalid++;
	hook_problem(imp, line, duplicate, why);
}

/* Keeps the first few numbers and rollouts for the refusal message. */
static void note_overlap(struct overlaps *o, const char *msisdn, const char *other)
{
	if (o->count < OVERLAP_SHOWN)
		snprintf(o->numbers[o->count], sizeof o->numbers[0], "%s", msisdn);
	o->count++;
	for (int i = 0; i < o->rollout_count; i++) {
		if (strcmp(o->rollouts[i], other) == 0)
			return;
	}
	if (o->rollout_count < OVERLAP_ROLLOUTS)
		snprintf(o->rollouts[o->rollout_count++], sizeof o->rollouts[0], "%s", other);
	else
		o->more_rollouts = true;
}

static int check_unit(struct import *imp, const struct csv_record *rec, size_t row,
		      struct errbuf *err)
{
	struct unit u;
	char why[ERRBUF_MAX], msisdn[MSISDN_MAX_LEN + 1], other[STORE_NAME_MAX];
	if (check_row(imp, rec, &u, why, sizeof why) < 0) {
		reject(imp, rec->line, false, why);
		return 0;
	}
	field_str(u.msisdn, msisdn, sizeof msisdn);
	int busy = store_check_add(imp->check, msisdn_key(u.msisdn), msisdn,
				   !imp->spec->allow_overlap, (int64_t)row, (int64_t)rec->line, other,
				   err);
	if (busy < 0)
		return errbuf_prefix(err, "checking %s", imp->path);
	if (busy)
		note_overlap(&imp->overlaps, msisdn, other);
	imp->res->imported++;
	return 0;
}

static void on_repeat(void *arg, uint64_t key, int64_t line, int64_t first_line)
{
	struct import *imp = arg;
	char why[ERRBUF_MAX], msisdn[48];
	msisdn_of_key(key, msisdn, sizeof msisdn);
	snprintf(why, sizeof why, "%s repeats line %" PRId64 " (imported once)", msisdn, first_line);
	reject(imp, (size_t)line, true, why);
	imp->res->imported--;
}

/* The refusal of units that another rollout is still sending to. */
static int refuse_overlap(struct import *imp, struct errbuf *err)
{
	const struct overlaps *o = &imp->overlaps;
	char numbers[256] = "", rollouts[256] = "";
	size_t n = 0, m = 0;
	for (int64_t i = 0; i < o->count && i < OVERLAP_SHOWN && n < sizeof numbers; i++)
		n += (size_t)snprintf(numbers + n, sizeof numbers - n, "%s%s", i ? ", " : "",
				      o->numbers[i]);
	for (int i = 0; i < o->rollout_count && m < sizeof rollouts; i++)
		m += (size_t)snprintf(rollouts + m, sizeof rollouts - m, "%s%s", i ? ", " : "",
				      o->rollouts[i]);
	return errbuf_set(err, "%s: %" PRId64 " units have an open job in another rollout (%s%s): "
			  "%s%s; nothing was imported (cancel those jobs first, or import "
			  "anyway with --allow-overlap)", imp->path, o->count, rollouts,
			  o->more_rollouts ? ", ..." : "", numbers,
			  o->count > OVERLAP_SHOWN ? ", ..." : "");
}

/* Pass 1. Returns 0 when the rows may be written, -1 with a reason
 * (res->bad_input set when the file or spec is at fault). */
static int check_pass(struct import *imp, struct errbuf *err)
{
	struct csv_record rec;
	size_t row = 0;
	int rc;
	imp->res->bad_input = true;
	if (read_header(imp, err) < 0 ||
	    store_check_begin(imp->store, imp->spec->name, &imp->check, err) < 0)
		return -1;
	while ((rc = csv_next(imp->csv, &rec, err)) == 1) {
		if (check_unit(imp, &rec, row++, err) < 0)
			return -1;
		if (row % PROGRESS_EVERY == 0)
			hook_progress(imp, 1);
	}
	hook_progress(imp, 1);
	if (rc < 0)
		return errbuf_prefix(err, "%s", imp->path);
	if (row == 0)
		return errbuf_set(err, "%s has a header but no units", imp->path);
	if (store_check_repeats(imp->check, on_repeat, imp, err) < 0)
		return errbuf_prefix(err, "checking %s", imp->path);
	int64_t bad = imp->res->invalid;
	if (imp->res->imported == 0)
		return errbuf_set(err, "%s: none of the %zu rows is a valid unit; nothing was imported",
				  imp->path, row);
	if (bad > 0 && !imp->spec->skip_invalid)
		return errbuf_set(err, "%s: %" PRId64 " of %zu rows are invalid; nothing was imported",
				  imp->path, bad, row);
	imp->res->bad_input = false;
	imp->res->overlapping = imp->overlaps.count;
	if (imp->overlaps.count > 0)
		return refuse_overlap(imp, err);
	return 0;
}

/* ---- writing ---- */

/* The rollout record as created: the spec, the unit count and the window
 * gate now. */
static int rollout_record(const struct import *imp, int64_t now, struct rollout *r,
			  struct errbuf *err)
{
	const struct rollout_spec *s = imp->spec;
	memset(r, 0, sizeof *r);
	snprintf(r->name, sizeof r->name, "%s", s->name);
	snprintf(r->profile, sizeof r->profile, "%s", s->profile);
	snprintf(r->tz, sizeof r->tz, "%s", s->tz ? s->tz : "");
	snprintf(r->preflight, sizeof r->preflight, "%s", s->preflight ? s->preflight : "");
	r->action = s->action;
	r->window = s->window;
	r->rate_per_min = s->rate_per_min;
	r->waves = s->waves;
	r->current_wave = 1;
	r->max_failure_pct = s->max_failure_pct;
	r->await_confirmation = s->await_confirmation;
	r->start_at = s->start_at;
	r->total_units = imp->res->imported;
	r->deadline = s->deadline;
	return rollout_gate(r, now, &r->gate_open, &r->next_window_at, err);
}

/* Hands one row, checked by row_skipped into u, to the store's import. */
static int add_unit(struct import *imp, const struct csv_record *rec, const struct unit *u,
		    int wave, int64_t not_before, struct errbuf *err)
{
	char msisdn[MSISDN_MAX_LEN + 1], imei[NOTIFY_IMEI_LEN + 1];
	/* Copied: a quoted field may live in the reader's scratch buffer. */
	field_str(u->msisdn, msisdn, sizeof msisdn);
	bool has_imei = u->imei.len && field_str(u->imei, imei, sizeof imei);
	size_t meta_len;
	imp->json_len = 0;
	if (!build_meta(imp, rec, &meta_len))
		return errbuf_set(err, "importing %s: out of memory", imp->path);
	struct import_unit unit = {
		.msisdn = msisdn, .profile = u->profile->name, .imei = has_imei ? imei : NULL,
		.wave = wave, .not_before = not_before, .meta = meta_len ? imp->json : NULL,
		.meta_len = meta_len, .line = rec->line,
	};
	if (store_import_add(imp->out, &unit, err) < 0)
		return errbuf_prefix(err, "importing %s", imp->path);
	return 0;
}

/* Whether pass 2 leaves row out: invalid (pass 1 said so, and checking
 * is deterministic; a row changed since then is caught by the count) or a
 * repeated number. Returns 1, 0 with *u filled, or -1. */
static int row_skipped(struct import *imp, const struct csv_record *rec, size_t row,
		       struct unit *u, struct errbuf *err)
{
	char why[ERRBUF_MAX];
	if (check_row(imp, rec, u, why, sizeof why) < 0)
		return 1;
	int repeat = store_check_is_repeat(imp->check, (int64_t)row, err);
	return repeat < 0 ? errbuf_prefix(err, "importing %s", imp->path) : repeat;
}

/* The wave of each unit follows from its position: wave i ends at unit
 * ceil(total * pct[i]). Only wave 1 is due (at the start time). */
static int insert_units(struct import *imp, struct errbuf *err)
{
	const struct rollout_spec *s = imp->spec;
	int64_t ends[ROLLOUT_WAVES_MAX], sizes[ROLLOUT_WAVES_MAX], sum = 0;
	rollout_wave_sizes(&s->waves, imp->res->imported, sizes);
	for (int i = 0; i < s->waves.count; i++)
		ends[i] = (sum += sizes[i]);
	memcpy(imp->res->wave_sizes, sizes, sizeof sizes);
	csv_rewind(imp->csv);
	struct csv_record rec;
	int rc = csv_next(imp->csv, &rec, err);         /* the header */
	size_t row = 0;
	int64_t index = 0;
	int wave = 1;
	while (rc == 1 && (rc = csv_next(imp->csv, &rec, err)) == 1) {
		struct unit u;
		int skip = row_skipped(imp, &rec, row, &u, err);
		if (skip < 0) {
			rc = -2;
			break;
		}
		if (!skip && index >= imp->res->imported) {
			errbuf_set(err, "%s changed while importing (more units than checked)",
				   imp->path);
			rc = -2;
			break;
		}
		if (!skip) {
			while (index >= ends[wave - 1])
				wave++;
			int64_t not_before = wave == 1 ? s->start_at : STORE_WAITING_FOR_WAVE;
			if (add_unit(imp, &rec, &u, wave, not_before, err) < 0) {
				rc = -2;
				break;
			}
			index++;
		}
		if (++row % PROGRESS_EVERY == 0)
			hook_progress(imp, 2);
	}
	if (rc == -1)
		errbuf_prefix(err, "%s", imp->path);
	if (rc == 0 && index != imp->res->imported) {
		errbuf_set(err, "%s changed while importing (fewer units than checked)", imp->path);
		rc = -2;
	}
	hook_progress(imp, 2);
	return rc == 0 ? 0 : -1;
}

/* Pass 2, in one store transaction. */
static int write_pass(struct import *imp, int64_t now, struct errbuf *err)
{
	struct rollout r;
	if (rollout_record(imp, now, &r, err) < 0 ||
	    store_import_begin(imp->store, &r, imp->spec->max_attempts, now, &imp->out, err) < 0)
		return -1;
	if (insert_units(imp, err) < 0) {
		store_import_abort(imp->out);
		return -1;
	}
	return store_import_commit(imp->out, err);
}

/* ---- the whole import ---- */

static int check_spec(const struct cfg *cfg, const struct rollout_spec *s, struct errbuf *err)
{
	if (rollout_name_check(s->name, err) < 0)
		return -1;
	const struct otap_profile *p = s->profile ? cfg_profile(cfg, s->profile) : NULL;
	if (!p) {
		char names[256];
		cfg_profile_names(cfg, names, sizeof names);
		return errbuf_set(err, "unknown profile '%s' (configured: %s)",
				  s->profile ? s->profile : "", names);
	}
	struct jobmsg msg;
	if (jobmsg_build(p, s->action, PROFILE_PROBE_MSISDN, NULL, NULL, &msg, err) < 0)
		return errbuf_prefix(err, "profile '%s' cannot be sent", p->name);
	if (s->rate_per_min < 0 || s->rate_per_min > ROLLOUT_RATE_MAX)
		return errbuf_set(err, "rate %d per minute is out of range (0-%d)", s->rate_per_min,
				  ROLLOUT_RATE_MAX);
	if (s->max_attempts < 1)
		return errbuf_set(err, "max attempts %d (expected at least 1)", s->max_attempts);
	if (s->max_failure_pct > 100 * ROLLOUT_PCT_SCALE)
		return errbuf_set(err, "maximum failure rate above 100%%");
	struct tz *tz;
	if (tz_load(s->tz, &tz, err) < 0)
		return -1;
	tz_free(tz);
	return 0;
}

static void import_free(struct import *imp)
{
	for (size_t i = 0; i < imp->cols.meta_count; i++)
		free(imp->cols.meta_keys[i]);
	free(imp->cols.meta_keys);
	free(imp->cols.meta);
	store_check_end(imp->check);
	free(imp->verdicts);
	free(imp->json);
	csv_close(imp->csv);
}

int rollout_create(struct store *s_, const struct cfg *cfg, const struct rollout_spec *spec,
		   const char *csv_path, int64_t now, const struct rollout_import_hooks *hooks,
		   struct rollout_import_result *res, struct errbuf *err)
{
	struct rollout_spec s = *spec;
	if (s.waves.count == 0)
		s.waves = (struct rollout_waves){ .count = 1, .pct = { 100 * ROLLOUT_PCT_SCALE } };
	memset(res, 0, sizeof *res);
	if (check_spec(cfg, &s, err) < 0) {
		res->bad_input = true;
		return -1;
	}
	struct import imp = {
		.store = s_, .cfg = cfg, .spec = &s, .path = csv_path, .hooks = hooks, .res = res,
	};
	int rc = -1;
	if (!(imp.verdicts = calloc(cfg->profile_count, sizeof *imp.verdicts))) {
		errbuf_set(err, "importing %s: out of memory", csv_path);
		goto out;
	}
	struct rollout existing;
	int taken = store_rollout_get(s_, s.name, &existing, err);
	/* An interrupted import of this name is the store's to clear up. */
	if (taken == 1 && existing.state == ROLLOUT_IMPORTING)
		taken = 0;
	else if (taken == 1)
		errbuf_set(err, "rollout %s already exists (choose another name)", s.name);
	if (taken != 0 || csv_open_file(csv_path, &imp.csv, err) < 0)
		goto out;
	csv_set_separator(imp.csv, csv_guess_separator(imp.csv));
	int64_t checking = clock_mono_ms();
	if (check_pass(&imp, err) < 0)
		goto out;
	log_debug("rollout %s: %s checked in %" PRId64 " ms", s.name, csv_path,
		  clock_mono_ms() - checking);
	if (write_pass(&imp, now, err) < 0)
		goto out;
	log_info("rollout %s: created with %" PRId64 " units from %s", s.name, res->imported, csv_path);
	rc = 0;
out:
	import_free(&imp);
	return rc;
}
