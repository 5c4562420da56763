-- 010_audit.sql - what operators did (version 10).
--
-- One row per successful otapctl action that changes the store (enqueue,
-- rollout create/pause/resume/cancel, retry, cancel, purge), written by
-- store_audit_add after the action committed. Never updated; store_purge
-- leaves it alone (it is the record of the purges too). No foreign keys:
-- an entry outlives the jobs and rollouts it names. Times in ms since the
-- epoch.
CREATE TABLE audit (
	id     INTEGER PRIMARY KEY,
	at     INTEGER NOT NULL,
	user   TEXT NOT NULL,          -- Unix user name, else "uid N"
	action TEXT NOT NULL,          -- "cancel", "rollout cancel", "purge", ...
	args   TEXT NOT NULL,          -- the command's arguments, control bytes escaped
	result TEXT NOT NULL           -- what it did, "cancelled 1200 queued jobs"
);
