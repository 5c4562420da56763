/* rollout_steps.h - the rollout tick's wave step and a resume after a
 * pause for failures, written once for both engines over the engine's
 * statements (struct rollout_engine), all inside the engine's transaction
 * with the rollout row locked. Internal to lib/store. */
#ifndef OTAP_ROLLOUT_STEPS_H
#define OTAP_ROLLOUT_STEPS_H

#include "store_engine.h"

/* An engine's statements on one rollout, in its open transaction (db: its
 * connection). Each returns as documented, -1 with a reason. */
struct rollout_engine {
	void *db;
	/* 1 when the wave (0: any wave) has a job that is not final, 0, -1. */
	int (*wave_busy)(void *db, const struct rollout *r, int wave, struct errbuf *err);
	/* The wave's failed and all but cancelled jobs. 0 or -1. */
	int (*wave_failures)(void *db, const struct rollout *r, int wave, int64_t *failed,
			     int64_t *total, struct errbuf *err);
	/* current_wave = wave and its first chunk of parked jobs due. 0 or -1. */
	int (*open_wave)(void *db, struct rollout *r, int wave, int64_t now, struct errbuf *err);
	/* state, paused_by, pause_reason, waived_wave, updated_at. 0 or -1. */
	int (*write_state)(void *db, struct rollout *r, enum rollout_state state,
			   const char *paused_by, const char *reason, int64_t now, struct errbuf *err);
};

/* store_rollout_advance's loop on r (read under the lock): while r is
 * active, gathers the facts of its current wave, asks decide and applies
 * its answer, until decide says wait. Returns 0 or -1. */
int rollout_steps_advance(const struct rollout_engine *e, struct rollout *r, int64_t now,
			  void (*decide)(const struct rollout *r, const struct wave_facts *f,
					 struct rollout_decision *out),
			  bool *opened, struct errbuf *err);

/* After a pause for failures, resuming accepts the current wave's failure
 * rate (waived_wave): the next wave opens now if the current one is
 * finished (else the tick opens it when it is, without looking at the rate
 * again). Returns 0 or -1. */
int rollout_steps_accept_failures(const struct rollout_engine *e, struct rollout *r, int64_t now,
				  struct errbuf *err);

#endif
