/* rollout_import.c - creating a rollout from a fleet file (CSV): a check
 * pass that finds every invalid row and repeated number without writing
 * anything, then one transaction that inserts the rollout and its jobs,
 * 256 units per INSERT. See rollout_create() in rollout.h, and
 * bench/README.md for what makes it fast. */
#include "rollout.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "jobmsg.h"
#include "log.h"
#include "msisdn.h"
#include "notify.h"
#include "rollout_db.h"

/* Far more than an operator's label and serial; a bound keeps one broken
 * row (a whole file in one quoted field) out of every status output. */
#define META_RAW_MAX 1024
#define PROGRESS_EVERY 65536
/* The import needs the jobs table's indexes in memory: a million random
 * msisdn keys thrash SQLite's default 2 MB cache. */
#define IMPORT_CACHE_KIB 262144
/* Any valid number will do: the message body does not depend on it. */
#define PROFILE_PROBE_MSISDN "+10000000000"
/* Units per INSERT statement. Each run of a statement has a fixed cost
 * (AUTOINCREMENT reads and writes sqlite_sequence; a cursor is opened on
 * the table and each index) that, paid per unit, was most of the import. */
#define INSERT_BATCH 256
#define INSERT_CONST_PARAMS 4   /* action, rollout, max_attempts, now */
#define INSERT_ROW_PARAMS 6     /* msisdn, profile, not_before, imei, wave, meta */

/* Numbers seen so far: open addressing over a 64-bit encoding of the
 * (already validated) number, with the line it was first seen on. */
struct msisdn_set {
	uint64_t *keys;         /* 0 = empty slot */
	uint32_t *lines;
	size_t cap, count;
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
	sqlite3 *db;
	const struct cfg *cfg;
	const struct rollout_spec *spec;
	const char *path;
	const struct rollout_import_hooks *hooks;
	struct rollout_import_result *res;
	struct csv_reader *csv;
	struct columns cols;
	struct msisdn_set seen;
	uint64_t *skip;         /* bit per data row: invalid or repeated */
	size_t skip_words;
	struct profile_verdict *verdicts;       /* one per cfg profile */
	char *json;             /* header keys, then the current batch's metadata objects */
	size_t json_len, json_cap;
};

/* One row's values, trimmed, pointing into the reader's record. */
struct unit {
	struct csv_field msisdn, imei;
	const struct otap_profile *profile;
};

/* A unit waiting in the current batch of inserts. */
struct pending_unit {
	char msisdn[MSISDN_MAX_LEN + 1];
	char imei[NOTIFY_IMEI_LEN + 1];         /* "" = none */
	const char *profile;                    /* the config's name string */
	int wave;
	int64_t not_before;
	size_t meta_off, meta_len;              /* in imp->json; len 0 = no metadata */
	size_t line;
};

struct batch {
	sqlite3_stmt *full;                     /* INSERT of INSERT_BATCH units */
	struct pending_unit units[INSERT_BATCH];
	size_t count;
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

/* ---- the set of numbers ---- */

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

static size_t slot_of(const struct msisdn_set *s, uint64_t key)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & (s->cap - 1);
}

static int set_grow(struct msisdn_set *s)
{
	size_t cap = s->cap ? s->cap * 2 : 4096;
	uint64_t *keys = calloc(cap, sizeof *keys);
	uint32_t *lines = calloc(cap, sizeof *lines);
	if (!keys || !lines) {
		free(keys);
		free(lines);
		return -1;
	}
	struct msisdn_set grown = { keys, lines, cap, s->count };
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->keys[i])
			continue;
		size_t j = slot_of(&grown, s->keys[i]);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = s->keys[i];
		lines[j] = s->lines[i];
	}
	free(s->keys);
	free(s->lines);
	*s = grown;
	return 0;
}

/* Returns 1 when added, 0 when already there (*first = its line), -1 (OOM). */
static int set_add(struct msisdn_set *s, uint64_t key, size_t line, size_t *first)
{
	if ((s->count + 1) * 2 > s->cap && set_grow(s) < 0)
		return -1;
	size_t i = slot_of(s, key);
	while (s->keys[i]) {
		if (s->keys[i] == key) {
			*first = s->lines[i];
			return 0;
		}
		i = (i + 1) & (s->cap - 1);
	}
	s->keys[i] = key;
	s->lines[i] = line > UINT32_MAX ? UINT32_MAX : (uint32_t)line;
	s->count++;
	return 1;
}

static int skip_mark(struct import *imp, size_t row)
{
	size_t word = row / 64;
	if (word >= imp->skip_words) {
		size_t n = imp->skip_words ? imp->skip_words * 2 : 1024;
		while (n <= word)
			n *= 2;
		uint64_t *grown = realloc(imp->skip, n * sizeof *grown);
		if (!grown)
			return -1;
		memset(grown + imp->skip_words, 0, (n - imp->skip_words) * sizeof *grown);
		imp->skip = grown;
		imp->skip_words = n;
	}
	imp->skip[word] |= 1ULL << (row % 64);
	return 0;
}

static bool skipped(const struct import *imp, size_t row)
{
	size_t word = row / 64;
	return word < imp->skip_words && (imp->skip[word] >> (row % 64) & 1);
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

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
	if (len == 0 || p[0] > 0xF4 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	}
	/* Overlong forms, UTF-16 surrogates, beyond U+10FFFF. */
	if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) ||
	    (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90))
		return 0;
	return len;
}

/* Appends text as a quoted JSON string: control characters escaped, bytes
 * that are not UTF-8 (a spreadsheet's Latin-1) become U+FFFD. */
static bool json_string(struct import *imp, const char *text, size_t n)
{
	const unsigned char *p = (const unsigned char *)text;
	if (!json_reserve(imp, n * 6 + 2))
		return false;
	char *out = imp->json + imp->json_len;
	*out++ = '"';
	for (size_t i = 0; i < n;) {
		if (p[i] == '"' || p[i] == '\\') {
			*out++ = '\\';
			*out++ = (char)p[i++];
		} else if (p[i] < 0x20 || p[i] == 0x7F) {
			out += sprintf(out, "\\u%04x", p[i++]);
		} else if (p[i] < 0x80) {
			*out++ = (char)p[i++];
		} else {
			size_t len = utf8_len(p + i, n - i);
			if (len == 0) {
				memcpy(out, "\\ufffd", 6);
				out += 6;
				i++;
			} else {
				memcpy(out, p + i, len);
				out += len;
				i += len;
			}
		}
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
		if (!json_string(imp, f.data, f.len))
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
	if (!json_string(imp, name.data, name.len) || !json_reserve(imp, 2))
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

static void profile_names(const struct cfg *cfg, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < cfg->profile_count && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", cfg->profiles[i].name);
	if (!buf[0])
		snprintf(buf, size, "none");
}

/* Checks that profile's message builds, once per profile (its body does
 * not depend on the unit). Returns NULL or the reason. */
static const char *profile_verdict(struct import *imp, const struct otap_profile *p,
				   const char *msisdn)
{
	struct profile_verdict *v = &imp->verdicts[p - imp->cfg->profiles];
	if (!v->checked) {
		struct jobmsg msg;
		struct errbuf err = { "" };
		v->checked = true;
		v->ok = jobmsg_build(p, imp->spec->action, msisdn, NULL, NULL, &msg, &err) == 0;
		snprintf(v->why, sizeof v->why, "%s", err.msg);
	}
	return v->ok ? NULL : v->why;
}

/* The row's profile: its own column when set, else the rollout's. */
static int row_profile(struct import *imp, const struct csv_record *rec, struct unit *u,
		       char *why, size_t size)
{
	struct csv_field f = column(rec, imp->cols.profile);
	char name[QUEUE_NAME_MAX];
	if (f.len == 0) {
		u->profile = cfg_profile(imp->cfg, imp->spec->profile);
		return 0;
	}
	if (!field_str(f, name, sizeof name) || !(u->profile = cfg_profile(imp->cfg, name))) {
		char names[256];
		profile_names(imp->cfg, names, sizeof names);
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
	if (!field_str(u->msisdn, text, sizeof text) || (bad = msisdn_check(text))) {
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

/* Marks row as not imported. Returns 0 or -1 (out of memory). */
static int reject(struct import *imp, size_t row, size_t line, bool duplicate, const char *why,
		  struct errbuf *err)
{
	if (skip_mark(imp, row) < 0)
		return errbuf_set(err, "checking %s: out of memory", imp->path);
	if (duplicate)
		imp->res->duplicates++;
	else
		imp->res->invalid++;
	hook_problem(imp, line, duplicate, why);
	return 0;
}

static int check_unit(struct import *imp, const struct csv_record *rec, size_t row,
		      struct errbuf *err)
{
	struct unit u;
	char why[ERRBUF_MAX];
	if (check_row(imp, rec, &u, why, sizeof why) < 0)
		return reject(imp, row, rec->line, false, why, err);
	size_t first;
	int added = set_add(&imp->seen, msisdn_key(u.msisdn), rec->line, &first);
	if (added < 0)
		return errbuf_set(err, "checking %s: out of memory", imp->path);
	if (added == 0) {
		snprintf(why, sizeof why, "%.*s repeats line %zu (imported once)",
			 (int)u.msisdn.len, u.msisdn.data, first);
		return reject(imp, row, rec->line, true, why, err);
	}
	imp->res->imported++;
	return 0;
}

/* Pass 1. Returns 0 when the rows may be written, -1 with a reason. */
static int check_pass(struct import *imp, struct errbuf *err)
{
	struct csv_record rec;
	size_t row = 0;
	int rc;
	if (read_header(imp, err) < 0)
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
	int64_t bad = imp->res->invalid;
	if (imp->res->imported == 0)
		return errbuf_set(err, "%s: none of the %zu rows is a valid unit; nothing was imported",
				  imp->path, row);
	if (bad > 0 && !imp->spec->skip_invalid)
		return errbuf_set(err, "%s: %" PRId64 " of %zu rows are invalid; nothing was imported",
				  imp->path, bad, row);
	return 0;
}

/* ---- writing ---- */

static int insert_rollout(struct import *imp, int64_t now, struct errbuf *err)
{
	const struct rollout_spec *s = imp->spec;
	const char *doing = "creating the rollout";
	char waves[128];
	rollout_waves_format(&s->waves, waves, sizeof waves);
	sqlite3_stmt *st = db_prepare(imp->db, "INSERT INTO rollouts (name, profile, action, "
		"window_start_min, window_end_min, tz, rate_per_min, waves, max_failure_rate, "
		"await_confirmation, start_at, total_units, created_at, updated_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)", doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, s->name);
	db_bind_text(st, 2, s->profile);
	db_bind_text(st, 3, s->action == OTAP_ACTION_DELETE ? "delete" : "install");
	if (!window_is_always(&s->window)) {
		sqlite3_bind_int(st, 4, s->window.start_min);
		sqlite3_bind_int(st, 5, s->window.end_min);
	}
	db_bind_text(st, 6, s->tz && *s->tz ? s->tz : NULL);
	sqlite3_bind_int(st, 7, s->rate_per_min);
	db_bind_text(st, 8, waves);
	if (s->max_failure_pct >= 0)
		sqlite3_bind_double(st, 9, s->max_failure_pct / (double)ROLLOUT_PCT_SCALE);
	sqlite3_bind_int(st, 10, s->await_confirmation);
	sqlite3_bind_int64(st, 11, s->start_at);
	sqlite3_bind_int64(st, 12, imp->res->imported);
	sqlite3_bind_int64(st, 13, now);
	return rollout_db_run(imp->db, st, doing, err);
}

/* Prepares an INSERT of `rows` units. The values that are the same for
 * every unit are ?1-?4, bound once; unit i has ?(5 + 6i) to ?(10 + 6i). */
static sqlite3_stmt *prepare_insert(struct import *imp, size_t rows, int64_t now,
				    struct errbuf *err)
{
	size_t size = 256 + rows * 64, n;
	char *sql = malloc(size);
	if (!sql) {
		errbuf_set(err, "importing %s: out of memory", imp->path);
		return NULL;
	}
	n = (size_t)snprintf(sql, size, "INSERT INTO jobs (msisdn, profile, action, rollout, "
			     "not_before, max_attempts, created_at, updated_at, imei, wave, meta) VALUES ");
	for (size_t i = 0; i < rows; i++) {
		size_t p = INSERT_CONST_PARAMS + i * INSERT_ROW_PARAMS;
		n += (size_t)snprintf(sql + n, size - n, "%s(?%zu,?%zu,?1,?2,?%zu,?3,?4,?4,?%zu,?%zu,?%zu)",
				      i ? "," : "", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6);
	}
	sqlite3_stmt *st = db_prepare(imp->db, sql, "importing units", err);
	free(sql);
	if (!st)
		return NULL;
	/* Bindings survive sqlite3_reset: these stay for every batch. */
	db_bind_text(st, 1, imp->spec->action == OTAP_ACTION_DELETE ? "delete" : "install");
	db_bind_text(st, 2, imp->spec->name);
	sqlite3_bind_int(st, 3, imp->spec->max_attempts);
	sqlite3_bind_int64(st, 4, now);
	return st;
}

/* Binds the batch's units into st (prepared for exactly that many rows) and
 * runs it. Text is bound SQLITE_STATIC: it lives in the batch and in
 * imp->json, untouched until the statement has run. */
static int run_batch(struct import *imp, struct batch *b, sqlite3_stmt *st, struct errbuf *err)
{
	for (size_t i = 0; i < b->count; i++) {
		const struct pending_unit *u = &b->units[i];
		int p = (int)(INSERT_CONST_PARAMS + i * INSERT_ROW_PARAMS);
		sqlite3_bind_text(st, p + 1, u->msisdn, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, p + 2, u->profile, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, p + 3, u->not_before);
		if (u->imei[0])
			sqlite3_bind_text(st, p + 4, u->imei, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, p + 4);
		sqlite3_bind_int(st, p + 5, u->wave);
		if (u->meta_len)
			sqlite3_bind_text(st, p + 6, imp->json + u->meta_off, (int)u->meta_len,
					  SQLITE_STATIC);
		else
			sqlite3_bind_null(st, p + 6);
	}
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return errbuf_set(err, "importing %s: lines %zu-%zu: %s", imp->path, b->units[0].line,
				  b->units[b->count - 1].line, sqlite3_errmsg(imp->db));
	return 0;
}

/* Inserts the units collected so far (a short last batch gets its own
 * statement). Returns 0 or -1. */
static int flush_batch(struct import *imp, struct batch *b, int64_t now, struct errbuf *err)
{
	if (b->count == 0)
		return 0;
	bool full = b->count == INSERT_BATCH;
	sqlite3_stmt *st = full ? b->full : prepare_insert(imp, b->count, now, err);
	int rc = st ? run_batch(imp, b, st, err) : -1;
	if (!full)
		sqlite3_finalize(st);
	b->count = 0;
	imp->json_len = 0;
	return rc;
}

/* Adds one row to the batch, inserting the batch when it is full. */
static int add_unit(struct import *imp, struct batch *b, const struct csv_record *rec, int wave,
		    int64_t not_before, int64_t now, struct errbuf *err)
{
	struct unit u;
	char why[ERRBUF_MAX];
	if (check_row(imp, rec, &u, why, sizeof why) < 0)     /* cannot fail after pass 1 */
		return errbuf_set(err, "%s: line %zu changed while importing: %s", imp->path,
				  rec->line, why);
	struct pending_unit *p = &b->units[b->count];
	/* Copied: a quoted field may live in the reader's scratch buffer,
	 * which the next record overwrites. */
	field_str(u.msisdn, p->msisdn, sizeof p->msisdn);
	if (!u.imei.len || !field_str(u.imei, p->imei, sizeof p->imei))
		p->imei[0] = '\0';
	p->profile = u.profile->name;
	p->wave = wave;
	p->not_before = not_before;
	p->line = rec->line;
	p->meta_off = imp->json_len;
	if (!build_meta(imp, rec, &p->meta_len))
		return errbuf_set(err, "importing %s: out of memory", imp->path);
	if (++b->count < INSERT_BATCH)
		return 0;
	return flush_batch(imp, b, now, err);
}

/* The wave of each unit follows from its position: wave i ends at unit
 * ceil(total * pct[i]). Only wave 1 is due (at the start time). */
static int insert_units(struct import *imp, int64_t now, struct errbuf *err)
{
	const struct rollout_spec *s = imp->spec;
	int64_t ends[ROLLOUT_WAVES_MAX], sizes[ROLLOUT_WAVES_MAX], sum = 0;
	rollout_wave_sizes(&s->waves, imp->res->imported, sizes);
	for (int i = 0; i < s->waves.count; i++)
		ends[i] = (sum += sizes[i]);
	memcpy(imp->res->wave_sizes, sizes, sizeof sizes);
	struct batch *b = calloc(1, sizeof *b);
	if (!b)
		return errbuf_set(err, "importing %s: out of memory", imp->path);
	if (!(b->full = prepare_insert(imp, INSERT_BATCH, now, err))) {
		free(b);
		return -1;
	}
	csv_rewind(imp->csv);
	imp->json_len = 0;
	struct csv_record rec;
	int rc = csv_next(imp->csv, &rec, err);         /* the header */
	size_t row = 0;
	int64_t index = 0;
	int wave = 1;
	while (rc == 1 && (rc = csv_next(imp->csv, &rec, err)) == 1) {
		if (!skipped(imp, row)) {
			while (index >= ends[wave - 1])
				wave++;
			int64_t not_before = wave == 1 ? s->start_at : QUEUE_WAITING_FOR_WAVE;
			if (add_unit(imp, b, &rec, wave, not_before, now, err) < 0) {
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
	if (rc == 0 && flush_batch(imp, b, now, err) < 0)
		rc = -2;
	sqlite3_finalize(b->full);
	free(b);
	hook_progress(imp, 2);
	return rc == 0 ? 0 : -1;
}

/* Returns 1 (with the refusal in err) when the name is taken, 0, or -1. */
static int name_taken(struct import *imp, struct errbuf *err)
{
	struct rollout existing;
	int found = rollout_db_load(imp->db, imp->spec->name, &existing, err);
	if (found == 1)
		errbuf_set(err, "rollout %s already exists (choose another name)", imp->spec->name);
	return found;
}

/* Sets the connection's page cache (PRAGMA cache_size semantics: negative
 * = KiB); *before (may be NULL) gets the previous setting. Best effort: a
 * failure only makes the import slower. */
static void set_cache_size(sqlite3 *db, int64_t size, int64_t *before)
{
	sqlite3_stmt *st;
	char sql[64];
	if (before && sqlite3_prepare_v2(db, "PRAGMA cache_size", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			*before = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	snprintf(sql, sizeof sql, "PRAGMA cache_size = %" PRId64, size);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Pass 2, in one transaction. */
static int write_pass(struct import *imp, int64_t now, struct errbuf *err)
{
	const char *doing = "importing units";
	if (rollout_db_begin(imp->db, doing, err) < 0)
		return -1;
	int64_t cache_before = -2000;
	set_cache_size(imp->db, -IMPORT_CACHE_KIB, &cache_before);
	int rc = name_taken(imp, err) != 0 ? -1 : 0;
	if (rc == 0 && (insert_rollout(imp, now, err) < 0 || insert_units(imp, now, err) < 0))
		rc = -1;
	struct rollout r;
	if (rc == 0 && rollout_db_load(imp->db, imp->spec->name, &r, err) == 1 &&
	    rollout_db_update_gate(imp->db, &r, now, err) < 0)
		rc = -1;
	if (rc == 0 && rollout_db_commit(imp->db, doing, err) < 0)
		rc = -1;
	if (rc < 0)
		rollout_db_rollback(imp->db);
	set_cache_size(imp->db, cache_before, NULL);
	return rc;
}

/* ---- the whole import ---- */

static int check_spec(const struct cfg *cfg, const struct rollout_spec *s, struct errbuf *err)
{
	if (rollout_name_check(s->name, err) < 0)
		return -1;
	const struct otap_profile *p = s->profile ? cfg_profile(cfg, s->profile) : NULL;
	if (!p) {
		char names[256];
		profile_names(cfg, names, sizeof names);
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
	free(imp->seen.keys);
	free(imp->seen.lines);
	free(imp->skip);
	free(imp->verdicts);
	free(imp->json);
	csv_close(imp->csv);
}

int rollout_create(struct queue *q, const struct cfg *cfg, const struct rollout_spec *spec,
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
		.db = queue_db(q), .cfg = cfg, .spec = &s, .path = csv_path, .hooks = hooks, .res = res,
	};
	int rc = -1;
	if (!(imp.verdicts = calloc(cfg->profile_count, sizeof *imp.verdicts))) {
		errbuf_set(err, "importing %s: out of memory", csv_path);
		goto out;
	}
	if (name_taken(&imp, err) != 0 || csv_open_file(csv_path, &imp.csv, err) < 0)
		goto out;
	csv_set_separator(imp.csv, csv_guess_separator(imp.csv));
	if (check_pass(&imp, err) < 0) {
		res->bad_input = true;  /* out of memory too, rare enough */
		goto out;
	}
	if (write_pass(&imp, now, err) < 0)
		goto out;
	log_info("rollout %s: created with %" PRId64 " units from %s", s.name, res->imported, csv_path);
	rc = 0;
out:
	import_free(&imp);
	return rc;
}
