-- 003_rollouts.sql - rollouts, PostgreSQL (version 3; see
-- schema/003_rollouts.sql for how the claim stays cheap with a million
-- jobs waiting: the same indexes here).
CREATE TABLE rollouts (
	name             TEXT PRIMARY KEY,
	profile          TEXT NOT NULL,
	action           TEXT NOT NULL DEFAULT 'install' CHECK (action IN ('install', 'delete')),
	window_start_min INTEGER CHECK (window_start_min BETWEEN 0 AND 1439),
	window_end_min   INTEGER CHECK (window_end_min BETWEEN 0 AND 1439),
	tz               TEXT,
	rate_per_min     INTEGER NOT NULL DEFAULT 0 CHECK (rate_per_min >= 0),
	waves            TEXT NOT NULL,
	current_wave     INTEGER NOT NULL DEFAULT 1,
	max_failure_rate DOUBLE PRECISION,
	waived_wave      INTEGER NOT NULL DEFAULT 0,
	await_confirmation INTEGER NOT NULL DEFAULT 0,
	start_at         BIGINT NOT NULL,
	state            TEXT NOT NULL DEFAULT 'active'
	                 CHECK (state IN ('active', 'paused', 'cancelled', 'done')),
	paused_by        TEXT CHECK (paused_by IN ('operator', 'failures')),
	pause_reason     TEXT,
	total_units      BIGINT NOT NULL,
	-- The rate gate, shared by every instance: the claim reads it with the
	-- rollout row locked (FOR UPDATE) and moves it on in the same
	-- transaction, so the rate holds across hosts.
	next_send_at     BIGINT NOT NULL DEFAULT 0,
	gate_open        INTEGER NOT NULL DEFAULT 1,
	next_window_at   BIGINT,
	created_at       BIGINT NOT NULL,
	updated_at       BIGINT NOT NULL
);
CREATE INDEX rollouts_state ON rollouts (state);

ALTER TABLE jobs ADD COLUMN wave INTEGER;
ALTER TABLE jobs ADD COLUMN meta TEXT;

-- id as the last key: SQLite's rowid is implicitly there, PostgreSQL's
-- index needs it so that "ORDER BY not_before, id LIMIT 1" (the claim's
-- seek, also past rows other instances hold: SKIP LOCKED) reads the index
-- in order instead of sorting a whole opened wave.
DROP INDEX jobs_rollout;
CREATE INDEX jobs_rollout_wave ON jobs (rollout, wave, state, not_before, id);
CREATE INDEX jobs_loose_due ON jobs (state, not_before, id) WHERE wave IS NULL;
DROP INDEX jobs_due;
