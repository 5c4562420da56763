/* rollout.c - rollout names, the window gate, resuming, and the wave
 * decision of the tick (see rollout.h). */
#include "rollout.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* The name travels into shell commands, file names and status output:
 * keep it to characters that need no quoting anywhere. */
int rollout_name_check(const char *name, struct errbuf *err)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0 || len >= STORE_NAME_MAX)
		return errbuf_set(err, "rollout name must have 1 to %d characters", STORE_NAME_MAX - 1);
	if (name[0] == '-' || name[0] == '.')
		return errbuf_set(err, "invalid rollout name '%s' (must not start with '-' or '.')", name);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!isalnum((unsigned char)c) && c != '.' && c != '_' && c != '-')
			return errbuf_set(err, "invalid rollout name '%.*s' (expected letters, digits, "
					  "'.', '_' or '-')", STORE_NAME_MAX, name);
	}
	return 0;
}

int rollout_gate(const struct rollout *r, int64_t now, bool *gate_open, int64_t *next_window_at,
		 struct errbuf *err)
{
	struct tz *tz;
	if (tz_load(r->tz, &tz, err) < 0)
		return errbuf_prefix(err, "rollout %s", r->name);
	struct window_state ws;
	window_at(&r->window, tz, now, &ws);
	tz_free(tz);
	*gate_open = ws.open;
	*next_window_at = ws.open || ws.opened_at == INT64_MAX ? 0 : ws.opened_at;
	return 0;
}

int rollout_resume(struct store *s, const char *name, int64_t now, struct errbuf *err)
{
	struct rollout r;
	bool gate = false;
	int64_t next = 0;
	int found = store_rollout_get(s, name, &r, err);
	if (found == 0)
		return errbuf_set(err, "no such rollout '%s'", name);
	if (found < 0 || rollout_gate(&r, now, &gate, &next, err) < 0)
		return -1;
	return store_rollout_resume(s, name, gate, next, now, err);
}

/* failed / total > max, in exact integers (max is in hundredths of %). */
static bool failing(const struct rollout *r, const struct wave_facts *f)
{
	if (r->max_failure_pct < 0 || r->waived_wave == f->wave || f->total == 0)
		return false;
	return f->failed * 100 * ROLLOUT_PCT_SCALE > (int64_t)r->max_failure_pct * f->total;
}

void rollout_decide(const struct rollout *r, const struct wave_facts *f,
		    struct rollout_decision *out)
{
	memset(out, 0, sizeof *out);
	if (f->busy) {
		out->move = ROLLOUT_WAIT;
	} else if (f->last) {
		out->move = f->any_busy ? ROLLOUT_WAIT : ROLLOUT_FINISH;
	} else if (failing(r, f)) {
		out->move = ROLLOUT_PAUSE;
		snprintf(out->reason, sizeof out->reason, "wave %d: failure rate %.1f%% > %.1f%% "
			 "(%" PRId64 " of %" PRId64 " failed); resume with otapctl rollout resume %s",
			 f->wave, 100.0 * (double)f->failed / (double)f->total,
			 r->max_failure_pct / (double)ROLLOUT_PCT_SCALE, f->failed, f->total, r->name);
	} else {
		out->move = ROLLOUT_OPEN_NEXT;
	}
}
