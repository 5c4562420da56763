-- 003_rollouts.sql - rollouts: fleet imports sent in waves, inside time
-- windows, at a limited rate (version 3).
--
-- Applied by queue_open() inside one transaction (see 001_init.sql). Relies
-- on 002_notify.sql for jobs.imei (the unit's IMEI from the fleet file).

-- One row per rollout. The jobs of a rollout carry its name in jobs.rollout
-- and a wave number in jobs.wave.
--
-- How a modem's claim stays cheap with a million jobs waiting (lib/queue.c):
-- * Jobs of waves not yet opened have not_before = 64060588800000
--   (4000-01-01 00:00:00 UTC, QUEUE_WAITING_FOR_WAVE): never due. Opening a
--   wave sets its jobs' not_before to the opening time, 10 000 jobs per
--   transaction (rollout_tick() finishes an opening that was cut short).
-- * Windows, pause and the rate limit are decided per rollout, in this table:
--   a modem looks only at rollouts with state = 'active' AND gate_open = 1
--   AND next_send_at <= now, and takes the oldest due job of each opened
--   wave with one index seek (jobs_rollout_wave). rollout_tick() keeps
--   gate_open and next_window_at up to date from the window; every claim of
--   a rollout's job moves next_send_at on by 60000 / rate_per_min ms.
CREATE TABLE rollouts (
	name             TEXT PRIMARY KEY,      -- [A-Za-z0-9._-], 1-63 characters
	profile          TEXT NOT NULL,         -- default profile (a unit's CSV row may override it)
	action           TEXT NOT NULL DEFAULT 'install' CHECK (action IN ('install', 'delete')),
	-- Sending window in minutes after local midnight; NULL = always open.
	-- end < start means the window crosses midnight (22:00-02:00).
	window_start_min INTEGER CHECK (window_start_min BETWEEN 0 AND 1439),
	window_end_min   INTEGER CHECK (window_end_min BETWEEN 0 AND 1439),
	tz               TEXT,                  -- TZ database name; NULL = the machine's local time
	rate_per_min     INTEGER NOT NULL DEFAULT 0 CHECK (rate_per_min >= 0), -- 0 = unlimited
	waves            TEXT NOT NULL,         -- cumulative percentages, "1,10,100"
	current_wave     INTEGER NOT NULL DEFAULT 1, -- 1-based: the newest opened wave
	max_failure_rate REAL,                  -- percent; NULL = never pause for failures
	-- The wave whose failure rate the operator accepted by resuming: the
	-- tick does not pause for it again. 0 = none.
	waived_wave      INTEGER NOT NULL DEFAULT 0,
	-- 1 when units report their installation (a notify listener was
	-- configured at creation): a job then counts as final only once
	-- confirmed or failed, not when merely sent (notify_final_states_sql).
	await_confirmation INTEGER NOT NULL DEFAULT 0,
	start_at         INTEGER NOT NULL,      -- nothing is sent before (ms since the epoch)
	state            TEXT NOT NULL DEFAULT 'active'
	                 CHECK (state IN ('active', 'paused', 'cancelled', 'done')),
	paused_by        TEXT CHECK (paused_by IN ('operator', 'failures')), -- NULL unless paused
	pause_reason     TEXT,                  -- shown by rollout status; NULL unless paused
	total_units      INTEGER NOT NULL,      -- jobs imported; wave sizes derive from it
	next_send_at     INTEGER NOT NULL DEFAULT 0, -- rate gate: no claim before this
	gate_open        INTEGER NOT NULL DEFAULT 1, -- 1 while inside the window
	next_window_at   INTEGER,               -- next opening while closed, else NULL
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL
);

-- The claim's "which rollouts may send now" (and rollout_tick's walk over
-- active rollouts) without reading finished ones.
CREATE INDEX rollouts_state ON rollouts (state);

-- The unit's wave in its rollout (1-based); NULL for jobs enqueued on their
-- own, which is also what makes a job ungated: see jobs_loose_due.
ALTER TABLE jobs ADD COLUMN wave INTEGER;
-- The fleet file's extra columns (label, serial...) as a JSON object of
-- strings, shown by otapctl status; NULL when there were none.
ALTER TABLE jobs ADD COLUMN meta TEXT;

-- Everything about a rollout's jobs goes by wave: a wave's oldest due job
-- (WHERE rollout = ? AND wave = ? AND state = 'queued' AND not_before <= now
-- ORDER BY not_before, id: one seek, the rowid being the index's last key),
-- whether a wave is finished, how many of it failed, opening it, and the
-- counts per wave and state of otapctl rollout status. One index for all:
-- every index costs time on a million-row import. It replaces jobs_rollout
-- (rollout, state), whose questions it answers from its rollout prefix.
DROP INDEX jobs_rollout;
CREATE INDEX jobs_rollout_wave ON jobs (rollout, wave, state, not_before);

-- Due jobs that belong to no rollout, for the claim. Partial: rollout jobs
-- are gated per rollout instead, and leaving them out costs a million-row
-- import nothing. It takes over jobs_due's claim; jobs_due's other
-- questions (counts per state, the jobs in 'sending' at start-up, listing
-- by state) are answered by jobs_unconfirmed (002), which also begins with
-- state. One index less to maintain per imported unit.
CREATE INDEX jobs_loose_due ON jobs (state, not_before) WHERE wave IS NULL;
DROP INDEX jobs_due;
