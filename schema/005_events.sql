-- 005_events.sql - what each unit did after its SMS (version 5).
--
-- The unit's side of the story, as otapd sees it: the SMS went out, the
-- network delivered it, the unit fetched its JAD and JAR from otapd (when the
-- profile names local artifacts), the unit reported. One row per event,
-- written by the store in the same transaction as any state change it
-- causes (lib/store/sqlite_events.c).
CREATE TABLE events (
	id       INTEGER PRIMARY KEY,
	job_id   INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	at       INTEGER NOT NULL,
	kind     TEXT NOT NULL CHECK (kind IN ('sent', 'delivered', 'jad_fetched', 'jar_partial',
	                                       'jar_fetched', 'notified')),
	client   TEXT,                  -- the unit's address (downloads)
	imei     TEXT,                  -- from the User-Agent "<product>/<IMEI> Profile/IMP-NG"
	product  TEXT,                  -- e.g. PLS62-W
	bytes    INTEGER,               -- downloads: bytes sent
	size     INTEGER,               -- downloads: the whole file's size
	code     INTEGER,               -- notified: the unit's status code
	late     INTEGER NOT NULL DEFAULT 0  -- 1: the job was cancelled or confirmed already
);
-- A job's timeline, in order.
CREATE INDEX events_job ON events (job_id, id);

-- The furthest step the job's current send reached (lib/store/store.h,
-- enum job_step): 0 queued, 1 sent, 2 delivered, 3 jad_fetched,
-- 4 jar_partial, 5 jar_fetched, 6 reported. A new send starts again at 1.
ALTER TABLE jobs ADD COLUMN reached INTEGER NOT NULL DEFAULT 0;
-- A rollout's funnel and its units by step. Partial: an imported unit
-- (reached 0) costs the import nothing here.
CREATE INDEX jobs_rollout_reached ON jobs (rollout, reached, state) WHERE reached > 0;
