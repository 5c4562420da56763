/* rollout_steps.c - the rollout tick's wave step and a resume's accepted
 * failures, for both engines (see rollout_steps.h). */
#include "rollout_steps.h"

#include <string.h>

#include "log.h"

static int gather_facts(const struct rollout_engine *e, const struct rollout *r,
			struct wave_facts *f, struct errbuf *err)
{
	memset(f, 0, sizeof *f);
	f->wave = r->current_wave;
	f->last = r->current_wave >= r->waves.count;
	int busy = e->wave_busy(e->db, r, r->current_wave, err);
	if (busy < 0)
		return -1;
	f->busy = busy;
	if (f->busy)
		return 0;
	if (f->last) {
		/* A retried job of an earlier wave keeps the rollout open. */
		int any = e->wave_busy(e->db, r, 0, err);
		f->any_busy = any == 1;
		return any < 0 ? -1 : 0;
	}
	return e->wave_failures(e->db, r, f->wave, &f->failed, &f->total, err);
}

/* Applies one decision. Returns 1 to ask again, 0 when done, -1. */
static int apply_decision(const struct rollout_engine *e, struct rollout *r,
			  const struct rollout_decision *d, int64_t now, bool *opened,
			  struct errbuf *err)
{
	switch (d->move) {
	case ROLLOUT_WAIT:
		return 0;
	case ROLLOUT_OPEN_NEXT:
		if (e->open_wave(e->db, r, r->current_wave + 1, now, err) < 0)
			return -1;
		*opened = true;
		return 1;
	case ROLLOUT_PAUSE:
		if (e->write_state(e->db, r, ROLLOUT_PAUSED, "failures", d->reason, now, err) < 0)
			return -1;
		log_warnx("rollout %s paused: %s", r->name, d->reason);
		return 0;
	case ROLLOUT_FINISH:
		if (e->write_state(e->db, r, ROLLOUT_DONE, NULL, NULL, now, err) < 0)
			return -1;
		log_info("rollout %s: done", r->name);
		return 0;
	}
	return 0;
}

int rollout_steps_advance(const struct rollout_engine *e, struct rollout *r, int64_t now,
			  void (*decide)(const struct rollout *r, const struct wave_facts *f,
					 struct rollout_decision *out),
			  bool *opened, struct errbuf *err)
{
	int rc = 1;
	/* Empty waves (rounding on small fleets) pass straight through. */
	while (rc == 1 && r->state == ROLLOUT_ACTIVE) {
		struct wave_facts f;
		struct rollout_decision d = { ROLLOUT_WAIT, "" };
		if (gather_facts(e, r, &f, err) < 0)
			return -1;
		decide(r, &f, &d);
		rc = apply_decision(e, r, &d, now, opened, err);
	}
	return rc < 0 ? -1 : 0;
}

int rollout_steps_accept_failures(const struct rollout_engine *e, struct rollout *r, int64_t now,
				  struct errbuf *err)
{
	r->waived_wave = r->current_wave;
	if (r->current_wave >= r->waves.count)
		return 0;
	int busy = e->wave_busy(e->db, r, r->current_wave, err);
	if (busy != 0)
		return busy < 0 ? -1 : 0;
	return e->open_wave(e->db, r, r->current_wave + 1, now, err);
}
