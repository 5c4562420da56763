-- 007_staged_rollouts.sql - rollouts are imported in short transactions
-- (version 7).
--
-- A big fleet file used to be imported in one transaction that held the
-- write lock, and every modem's claim, for the whole import. Now the
-- rollout is created in state 'importing' (which no claim, tick or wave
-- count looks at), its units are inserted a batch per transaction, and one
-- short transaction flips it to 'active'. A crash mid-import leaves an
-- 'importing' rollout that the next `rollout create` of that name or
-- `rollout cancel` deletes with its jobs.
--
-- SQLite cannot alter a CHECK constraint, so the table is rebuilt. No
-- foreign key refers to rollouts (jobs.rollout is a plain name) and no
-- trigger or view names it, so the rename below is safe with foreign keys
-- on. Applied by store_open() inside one transaction.
CREATE TABLE rollouts_new (
	name             TEXT PRIMARY KEY,
	profile          TEXT NOT NULL,
	action           TEXT NOT NULL DEFAULT 'install' CHECK (action IN ('install', 'delete')),
	window_start_min INTEGER CHECK (window_start_min BETWEEN 0 AND 1439),
	window_end_min   INTEGER CHECK (window_end_min BETWEEN 0 AND 1439),
	tz               TEXT,
	rate_per_min     INTEGER NOT NULL DEFAULT 0 CHECK (rate_per_min >= 0),
	waves            TEXT NOT NULL,
	current_wave     INTEGER NOT NULL DEFAULT 1,
	max_failure_rate REAL,
	waived_wave      INTEGER NOT NULL DEFAULT 0,
	await_confirmation INTEGER NOT NULL DEFAULT 0,
	start_at         INTEGER NOT NULL,
	state            TEXT NOT NULL DEFAULT 'active'
	                 CHECK (state IN ('importing', 'active', 'paused', 'cancelled', 'done')),
	paused_by        TEXT CHECK (paused_by IN ('operator', 'failures')),
	pause_reason     TEXT,
	total_units      INTEGER NOT NULL,
	next_send_at     INTEGER NOT NULL DEFAULT 0,
	gate_open        INTEGER NOT NULL DEFAULT 1,
	next_window_at   INTEGER,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	-- Whether otapctl's preflight checked the profile first (006).
	preflight        TEXT CHECK (preflight IN ('passed', 'skipped')),
	-- While importing: the process id of the otapctl doing it, so that a
	-- second `rollout create` or a cancel can tell a running import (left
	-- alone) from one that died (cleaned up). NULL otherwise.
	importer_pid     INTEGER,
	-- No job of the rollout is sent after this time (ms since the epoch);
	-- the jobs carry it too (jobs.deadline, 008). NULL = none.
	deadline         INTEGER
);

INSERT INTO rollouts_new (name, profile, action, window_start_min, window_end_min, tz,
	rate_per_min, waves, current_wave, max_failure_rate, waived_wave, await_confirmation,
	start_at, state, paused_by, pause_reason, total_units, next_send_at, gate_open,
	next_window_at, created_at, updated_at, preflight)
SELECT name, profile, action, window_start_min, window_end_min, tz, rate_per_min, waves,
	current_wave, max_failure_rate, waived_wave, await_confirmation, start_at, state,
	paused_by, pause_reason, total_units, next_send_at, gate_open, next_window_at,
	created_at, updated_at, preflight
FROM rollouts;

DROP TABLE rollouts;
ALTER TABLE rollouts_new RENAME TO rollouts;

-- As in 003: the claim's and the tick's walk over active rollouts.
CREATE INDEX rollouts_state ON rollouts (state);
