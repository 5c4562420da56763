/* tz.h - time zones for rollout windows: UTC offsets from the TZ database,
 * read by ourselves, so nothing process-global (TZ, tzset) is touched and
 * the daemon may use any number of zones from any thread.
 *
 * A zone is loaded from a TZif file ($TZDIR, else /usr/share/zoneinfo),
 * including the POSIX rule in its footer that covers the years after the
 * last listed transition; or, for the machine's own zone, answered by
 * localtime_r(). Times are seconds since the epoch (UTC); "civil" seconds
 * count the same way along the local wall clock (days * 86400 + time of day).
 */
#ifndef OTAP_TZ_H
#define OTAP_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"

#define TZ_NAME_MAX 64

struct tz;

/* Checks a zone name: "Area/Location" made of letters, digits and "_-+/",
 * no "..", no leading '/'. Returns 0, or -1 with a reason. Does not look at
 * the disk (tz_load does). */
int tz_check_name(const char *name, struct errbuf *err);

/* Loads zone name; NULL or "" = the machine's local time. Returns 0 and a zone
 * owned by the caller (tz_free), or -1 with a reason ("unknown time zone ..."). */
int tz_load(const char *name, struct tz **out, struct errbuf *err);
/* Builds a zone from a POSIX TZ rule such as "CET-1CEST,M3.5.0,M10.5.0/3"
 * (the TZif footer syntax). Returns 0 or -1 with a reason. */
int tz_from_rule(const char *rule, struct tz **out, struct errbuf *err);
void tz_free(struct tz *tz);
/* The name given to tz_load ("" for the machine's zone). */
const char *tz_name(const struct tz *tz);

/* UTC offset in seconds (east positive) in force at instant t. */
int32_t tz_offset(const struct tz *tz, int64_t t);
/* Abbreviation in force at t ("CET", "EDT", "+03"), copied into buf. */
void tz_abbr(const struct tz *tz, int64_t t, char *buf, size_t size);

/* The instant when the local wall clock shows civil second `wall`. When the
 * wall time occurs twice (clocks going back), latest picks the second
 * occurrence, else the first. When it never occurs (clocks going forward),
 * returns the first instant after the gap, whose wall time is later. */
int64_t tz_to_utc(const struct tz *tz, int64_t wall, bool latest);

/* Formats instant ms as "YYYY-MM-DD HH:MM ABBR" in the zone. */
void tz_format(const struct tz *tz, int64_t ms, char *buf, size_t size);

/* Calendar helpers (proleptic Gregorian; days since 1970-01-01). */
int64_t tz_days_from_civil(int64_t year, int month, int day);
void tz_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

#endif
