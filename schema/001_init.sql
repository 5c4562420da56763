-- 001_init.sql - the job queue and its attempt history (version 1).
--
-- Applied by queue_open() inside one BEGIN IMMEDIATE transaction together
-- with PRAGMA user_version = 1, so this file must not BEGIN/COMMIT itself.
-- All times are milliseconds since the Unix epoch, supplied by the caller
-- (the clock seam), never by SQLite's own clock.

-- One row per OTAP control message to send: one unit, one profile, one action.
-- The CHECK constraints spell out the state machine's vocabulary so that a
-- typo in any writer (otapd, otapctl, a hand-run sqlite3 shell) fails loudly
-- instead of leaving a job in a state nothing will ever pick up.
CREATE TABLE jobs (
	-- AUTOINCREMENT: an id is never handed out twice, even after the newest
	-- jobs were deleted, because ids travel outside the database (per-job
	-- NOTIFYURL tokens, operators' notes) and a late notification for a
	-- deleted job must not land on a new one.
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	msisdn       TEXT NOT NULL,            -- normalised by the caller before insert
	profile      TEXT NOT NULL,            -- name of an OTAP profile in the config
	action       TEXT NOT NULL CHECK (action IN ('install', 'delete')),
	state        TEXT NOT NULL DEFAULT 'queued'
	             CHECK (state IN ('queued', 'sending', 'sent', 'delivered',
	                              'confirmed', 'failed', 'cancelled')),
	rollout      TEXT,                     -- NULL when enqueued on its own
	not_before   INTEGER NOT NULL,         -- earliest time a modem may claim it (schedule, backoff)
	attempts     INTEGER NOT NULL DEFAULT 0, -- tries that counted against max_attempts
	max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
	modem        TEXT,                     -- modem of the current or last try
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,         -- last state change; for 'sending' = when it was claimed
	last_error   TEXT                      -- human reason of the last failed try, for otapctl list
);

-- Claiming (the hot path: every modem asks many times a second) looks for the
-- oldest due queued job: WHERE state = 'queued' AND not_before <= now
-- ORDER BY not_before, id. With this index that is one range seek and no sort;
-- it also answers "when is the next job due" (MIN(not_before)) directly.
CREATE INDEX jobs_due ON jobs (state, not_before, id);

-- "What happened to this unit?" (otapctl list --msisdn) and matching status
-- reports back to recent jobs for a number.
CREATE INDEX jobs_msisdn ON jobs (msisdn);

-- Rollout progress: counting and listing a rollout's jobs per state without
-- scanning jobs from every other rollout.
CREATE INDEX jobs_rollout ON jobs (rollout, state);

-- One row per try (and per interruption), never updated: the audit trail that
-- explains a job's last_error and shows duplicate sends after a crash.
-- ON DELETE CASCADE so pruning old jobs cannot leave orphaned history
-- (needs PRAGMA foreign_keys = ON, which queue_open sets on every connection).
CREATE TABLE attempts (
	id          INTEGER PRIMARY KEY,
	job_id      INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	started_at  INTEGER NOT NULL,
	finished_at INTEGER NOT NULL,
	modem       TEXT,
	result      TEXT NOT NULL,             -- sent, transient, permanent, modem, timeout, interrupted
	cms_error   INTEGER,                   -- +CMS ERROR code, NULL when there was none
	mrs         TEXT,                      -- TP-MRs of the parts ("17,18"), to match status reports
	detail      TEXT
);

-- History of one job, oldest first; also makes the cascade on job deletion
-- an index lookup instead of a full scan of attempts per deleted job.
CREATE INDEX attempts_job ON attempts (job_id);
