/* tz.c - time zones (see tz.h): a TZif (RFC 8536) reader with the POSIX
 * TZ rule of its footer, and wall-clock to UTC conversion across DST gaps
 * and overlaps. */
#include "tz.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
#define TZ_FILE_MAX (1 << 20)
#define TZ_ABBR_MAX 16
#define DAY 86400
/* Wider than any UTC offset (+-14 h), narrower than the gap between two
 * transitions of any zone in use: the offsets 30 h before and after a wall
 * time are the ones in force on either side of its nearest transition. */
#define NEAR (30 * 3600)

struct tz_type {
	int32_t utoff;
	bool isdst;
	char abbr[TZ_ABBR_MAX];
};

enum rule_kind { RULE_JULIAN1, RULE_JULIAN0, RULE_MONTH };

/* One end of DST: a day of the year and a local time of day. */
struct rule_date {
	enum rule_kind kind;
	int n;                  /* J: 1-365, plain: 0-365 */
	int month, week, wday;  /* M: 1-12, 1-5 (5 = last), 0-6 (Sunday = 0) */
	int32_t time;           /* seconds after local midnight, may be < 0 or > 24 h */
};

struct tz_rule {
	bool present;
	bool has_dst;
	struct tz_type std, dst;
	struct rule_date start, end;
};

struct tz {
	char name[TZ_NAME_MAX];
	bool libc_local;
	size_t timecnt, typecnt;
	int64_t *trans;
	uint8_t *trans_type;
	struct tz_type *types;
	struct tz_rule rule;
};

/* ---- calendar ---- */

int64_t tz_days_from_civil(int64_t year, int month, int day)
{
	/* timegm() is pure calendar arithmetic: it never consults TZ. */
	struct tm tm = { .tm_year = (int)(year - 1900), .tm_mon = month - 1, .tm_mday = day };
	return (int64_t)timegm(&tm) / DAY;
}

void tz_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
	time_t t = (time_t)(days * DAY);
	struct tm tm;
	gmtime_r(&t, &tm);
	*year = (int64_t)tm.tm_year + 1900;
	*month = tm.tm_mon + 1;
	*day = tm.tm_mday;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int weekday(int64_t days)
{
	return (int)(days - 7 * floor_div(days + 4, 7) + 4);    /* 1970-01-01 was a Thursday */
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* ---- POSIX TZ rules ("CET-1CEST,M3.5.0,M10.5.0/3") ---- */

static bool parse_abbr(const char **p, char *out)
{
	const char *s = *p;
	size_t n = 0;
	if (*s == '<') {
		s++;
		while (s[n] && s[n] != '>')
			n++;
		if (s[n] != '>' || n == 0 || n >= TZ_ABBR_MAX)
			return false;
		memcpy(out, s, n);
		out[n] = '\0';
		*p = s + n + 1;
		return true;
	}
	while (isalpha((unsigned char)s[n]))
		n++;
	if (n < 3 || n >= TZ_ABBR_MAX)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	*p = s + n;
	return true;
}

/* [+-]hh[:mm[:ss]], hours up to 167 (TZif v3 allows that for rule times). */
static bool parse_hms(const char **p, int32_t *out)
{
	const char *s = *p;
	int sign = 1;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)*s))
		return false;
	long parts[3] = { 0, 0, 0 };
	for (int i = 0; i < 3; i++) {
		char *end;
		parts[i] = strtol(s, &end, 10);
		if (end == s || parts[i] < 0 || parts[i] > (i ? 59 : 167))
			return false;
		s = end;
		if (*s != ':' || i == 2)
			break;
		s++;
	}
	*out = (int32_t)(sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]));
	*p = s;
	return true;
}

static bool parse_int_in(const char **p, int min, int max, int *out)
{
	char *end;
	if (!isdigit((unsigned char)**p))
		return false;
	long v = strtol(*p, &end, 10);
	if (v < min || v > max)
		return false;
	*out = (int)v;
	*p = end;
	return true;
}

static bool parse_rule_date(const char **p, struct rule_date *d)
{
	d->time = 2 * 3600;     /* POSIX default: 02:00 */
	if (**p == 'M') {
		(*p)++;
		d->kind = RULE_MONTH;
		if (!parse_int_in(p, 1, 12, &d->month) || *(*p)++ != '.' ||
		    !parse_int_in(p, 1, 5, &d->week) || *(*p)++ != '.' ||
		    !parse_int_in(p, 0, 6, &d->wday))
			return false;
	} else if (**p == 'J') {
		(*p)++;
		d->kind = RULE_JULIAN1;
		if (!parse_int_in(p, 1, 365, &d->n))
			return false;
	} else {
		d->kind = RULE_JULIAN0;
		if (!parse_int_in(p, 0, 365, &d->n))
			return false;
	}
	if (**p == '/') {
		(*p)++;
		return parse_hms(p, &d->time);
	}
	return true;
}

static bool parse_rule(const char *text, struct tz_rule *r)
{
	const char *p = text;
	int32_t west;
	memset(r, 0, sizeof *r);
	if (!parse_abbr(&p, r->std.abbr) || !parse_hms(&p, &west))
		return false;
	r->std.utoff = -west;           /* POSIX counts west of Greenwich as positive */
	r->present = true;
	if (*p == '\0')
		return true;
	if (!parse_abbr(&p, r->dst.abbr))
		return false;
	r->has_dst = true;
	r->dst.isdst = true;
	r->dst.utoff = r->std.utoff + 3600;
	if (*p != ',' && *p != '\0') {
		if (!parse_hms(&p, &west))
			return false;
		r->dst.utoff = -west;
	}
	if (*p == '\0')         /* no dates: POSIX leaves it open; use the US rule like glibc */
		p = ",M3.2.0,M11.1.0";
	if (*p++ != ',' || !parse_rule_date(&p, &r->start) || *p++ != ',' ||
	    !parse_rule_date(&p, &r->end))
		return false;
	return *p == '\0';
}

/* Civil seconds (local wall clock) of a rule date in year y. */
static int64_t rule_wall(const struct rule_date *d, int64_t y)
{
	int64_t jan1 = tz_days_from_civil(y, 1, 1);
	int64_t day;
	switch (d->kind) {
	case RULE_JULIAN1:      /* Feb 29 is never counted */
		day = jan1 + d->n - 1 + (is_leap(y) && d->n >= 60 ? 1 : 0);
		break;
	case RULE_JULIAN0:
		day = jan1 + d->n;
		break;
	case RULE_MONTH:
	default: {
		int64_t first = tz_days_from_civil(y, d->month, 1);
		int mday = 1 + (d->wday - weekday(first) + 7) % 7 + (d->week - 1) * 7;
		while (mday > month_days(y, d->month))
			mday -= 7;
		day = first + mday - 1;
		break;
	}
	}
	return day * DAY + d->time;
}

static const struct tz_type *rule_type(const struct tz_rule *r, int64_t t)
{
	if (!r->has_dst)
		return &r->std;
	int64_t y;
	int m, d;
	tz_civil_from_days(floor_div(t + r->std.utoff, DAY), &y, &m, &d);
	/* The start is given in standard time, the end in daylight time. */
	int64_t start = rule_wall(&r->start, y) - r->std.utoff;
	int64_t end = rule_wall(&r->end, y) - r->dst.utoff;
	bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
	return dst ? &r->dst : &r->std;
}

/* ---- TZif files ---- */

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static bool read_header(const uint8_t *p, size_t len, struct tzif_counts *c)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return false;
	c->isut = be32(p + 20);
	c->isstd = be32(p + 24);
	c->leap = be32(p + 28);
	c->time = be32(p + 32);
	c->type = be32(p + 36);
	c->chars = be32(p + 40);
	return c->type >= 1 && c->type <= 256 && c->time <= 100000 && c->chars <= 65536 &&
	       c->leap <= 100000;
}

static size_t block_size(const struct tzif_counts *c, size_t width)
{
	return c->time * width + c->time + c->type * 6 + c->chars + c->leap * (width + 4) +
	       c->isstd + c->isut;
}

/* Reads one data block (after its 44-byte header) with times of width bytes. */
static bool read_block(const uint8_t *p, const struct tzif_counts *c, size_t width, struct tz *z)
{
	z->timecnt = c->time;
	z->typecnt = c->type;
	z->trans = calloc(c->time ? c->time : 1, sizeof *z->trans);
	z->trans_type = calloc(c->time ? c->time : 1, 1);
	z->types = calloc(c->type, sizeof *z->types);
	if (!z->trans || !z->trans_type || !z->types)
		return false;
	for (size_t i = 0; i < c->time; i++)
		z->trans[i] = width == 8 ? be64(p + i * 8) : (int32_t)be32(p + i * 4);
	p += c->time * width;
	for (size_t i = 0; i < c->time; i++) {
		if (p[i] >= c->type)
			return false;
		z->trans_type[i] = p[i];
	}
	p += c->time;
	const char *chars = (const char *)p + c->type * 6;
	for (size_t i = 0; i < c->type; i++, p += 6) {
		z->types[i].utoff = (int32_t)be32(p);
		z->types[i].isdst = p[4] != 0;
		if (p[5] >= c->chars)
			return false;
		snprintf(z->types[i].abbr, TZ_ABBR_MAX, "%.*s", (int)strnlen(chars + p[5], c->chars - p[5]),
			 chars + p[5]);
	}
	return true;
}

/* The footer of a v2+ file: "\n<POSIX TZ rule>\n" (may be empty). */
static bool read_footer(const uint8_t *p, size_t len, struct tz *z)
{
	if (len < 2 || p[0] != '\n')
		return false;
	const uint8_t *nl = memchr(p + 1, '\n', len - 1);
	if (!nl)
		return false;
	size_t n = (size_t)(nl - p - 1);
	if (n == 0)
		return true;
	char rule[128];
	if (n >= sizeof rule)
		return false;
	memcpy(rule, p + 1, n);
	rule[n] = '\0';
	return parse_rule(rule, &z->rule);
}

static bool parse_tzif(const uint8_t *p, size_t len, struct tz *z)
{
	struct tzif_counts c;
	if (!read_header(p, len, &c))
		return false;
	size_t v1 = 44 + block_size(&c, 4);
	if (v1 > len)
		return false;
	if (p[4] == '\0')               /* version 1: 32-bit times, no footer */
		return read_block(p + 44, &c, 4, z);
	p += v1;
	len -= v1;
	if (!read_header(p, len, &c))
		return false;
	size_t v2 = 44 + block_size(&c, 8);
	if (v2 > len)
		return false;
	return read_block(p + 44, &c, 8, z) && read_footer(p + v2, len - v2, z);
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	*buf = malloc(TZ_FILE_MAX);
	*len = *buf ? fread(*buf, 1, TZ_FILE_MAX, f) : 0;
	bool bad = !*buf || ferror(f) || !feof(f);
	fclose(f);
	if (bad) {
		free(*buf);
		*buf = NULL;
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* ---- loading ---- */

int tz_check_name(const char *name, struct errbuf *err)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0 || len >= TZ_NAME_MAX)
		return errbuf_set(err, "time zone name must have 1 to %d characters", TZ_NAME_MAX - 1);
	if (name[0] == '/' || name[len - 1] == '/' || strstr(name, "//"))
		return errbuf_set(err, "invalid time zone '%s' (expected a TZ database name such as "
				  "Europe/Berlin)", name);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		/* No '.': no "../" can ever leave the zoneinfo directory. */
		if (!isalnum((unsigned char)c) && c != '/' && c != '_' && c != '-' && c != '+')
			return errbuf_set(err, "invalid time zone '%.*s' (expected a TZ database name "
					  "such as Europe/Berlin)", TZ_NAME_MAX, name);
	}
	return 0;
}

static int load_named(const char *name, struct tz *z, struct errbuf *err)
{
	if (tz_check_name(name, err) < 0)
		return -1;
	const char *dir = getenv("TZDIR");
	if (!dir || !*dir)
		dir = TZ_DEFAULT_DIR;
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	uint8_t *buf;
	size_t len;
	if (read_file(path, &buf, &len) < 0)
		return errbuf_set(err, "unknown time zone '%s' (%s: %s; expected a TZ database name "
				  "such as Europe/Berlin)", name, path, strerror(errno));
	bool ok = parse_tzif(buf, len, z);
	free(buf);
	if (!ok)
		return errbuf_set(err, "time zone '%s': %s is not a valid TZif file", name, path);
	snprintf(z->name, sizeof z->name, "%s", name);
	return 0;
}

int tz_load(const char *name, struct tz **out, struct errbuf *err)
{
	*out = NULL;
	struct tz *z = calloc(1, sizeof *z);
	if (!z)
		return errbuf_set(err, "loading a time zone: out of memory");
	if (!name || !*name) {
		z->libc_local = true;
	} else if (load_named(name, z, err) < 0) {
		tz_free(z);
		return -1;
	}
	*out = z;
	return 0;
}

int tz_from_rule(const char *rule, struct tz **out, struct errbuf *err)
{
	*out = NULL;
	struct tz *z = calloc(1, sizeof *z);
	if (!z)
		return errbuf_set(err, "loading a time zone: out of memory");
	if (!parse_rule(rule, &z->rule)) {
		tz_free(z);
		return errbuf_set(err, "invalid POSIX TZ rule '%.60s'", rule);
	}
	snprintf(z->name, sizeof z->name, "%.*s", TZ_NAME_MAX - 1, rule);
	*out = z;
	return 0;
}

void tz_free(struct tz *tz)
{
	if (!tz)
		return;
	free(tz->trans);
	free(tz->trans_type);
	free(tz->types);
	free(tz);
}

const char *tz_name(const struct tz *tz)
{
	return tz->name;
}

/* ---- lookups ---- */

static const struct tz_type *type_at(const struct tz *z, int64_t t)
{
	if (z->timecnt == 0 || t >= z->trans[z->timecnt - 1]) {
		if (z->rule.present)
			return rule_type(&z->rule, t);
		if (z->timecnt == 0)
			return &z->types[0];
		return &z->types[z->trans_type[z->timecnt - 1]];
	}
	if (t < z->trans[0])
		return &z->types[0];    /* RFC 8536: type 0 before the first transition */
	size_t lo = 0, hi = z->timecnt - 1;     /* trans[lo] <= t < trans[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return &z->types[z->trans_type[lo]];
}

static void libc_local(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;
	if (!localtime_r(&tt, tm))
		memset(tm, 0, sizeof *tm);
}

int32_t tz_offset(const struct tz *tz, int64_t t)
{
	if (tz->libc_local) {
		struct tm tm;
		libc_local(t, &tm);
		return (int32_t)tm.tm_gmtoff;
	}
	return type_at(tz, t)->utoff;
}

void tz_abbr(const struct tz *tz, int64_t t, char *buf, size_t size)
{
	if (tz->libc_local) {
		struct tm tm;
		libc_local(t, &tm);
		snprintf(buf, size, "%s", tm.tm_zone ? tm.tm_zone : "");
		return;
	}
	snprintf(buf, size, "%s", type_at(tz, t)->abbr);
}

/* The first instant in (lo, hi] whose offset differs from lo's. */
static int64_t transition_between(const struct tz *tz, int64_t lo, int64_t hi)
{
	int32_t before = tz_offset(tz, lo);
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (tz_offset(tz, mid) == before)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

int64_t tz_to_utc(const struct tz *tz, int64_t wall, bool latest)
{
	int32_t o1 = tz_offset(tz, wall - NEAR), o2 = tz_offset(tz, wall + NEAR);
	int64_t c1 = wall - o1, c2 = wall - o2;
	bool ok1 = tz_offset(tz, c1) == o1, ok2 = tz_offset(tz, c2) == o2;
	if (ok1 && ok2)
		return latest ? (c1 > c2 ? c1 : c2) : (c1 < c2 ? c1 : c2);
	if (ok1)
		return c1;
	if (ok2)
		return c2;
	/* In a gap: c1 and c2 lie on both sides of the transition. */
	return transition_between(tz, c1 < c2 ? c1 : c2, c1 < c2 ? c2 : c1);
}

void tz_format(const struct tz *tz, int64_t ms, char *buf, size_t size)
{
	int64_t t = floor_div(ms, 1000);
	int64_t civil = t + tz_offset(tz, t);
	int64_t days = floor_div(civil, DAY), secs = civil - days * DAY;
	int64_t y;
	int m, d;
	char abbr[TZ_ABBR_MAX];
	tz_civil_from_days(days, &y, &m, &d);
	tz_abbr(tz, t, abbr, sizeof abbr);
	snprintf(buf, size, "%04lld-%02d-%02d %02d:%02d %s", (long long)y, m, d,
		 (int)(secs / 3600), (int)(secs / 60 % 60), abbr);
}
