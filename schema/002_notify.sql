-- 002_notify.sql - closing the loop: status reports and install
-- notifications from the units (version 2).
--
-- Applied by queue_open() inside one transaction (no BEGIN/COMMIT here).
-- Times are milliseconds since the Unix epoch, supplied by the caller.
-- Written by lib/notify.c and lib/notify_store.c; read by otapctl status.

-- The unit's IMEI, as given by otapctl enqueue --imei or a rollout's unit
-- list: notifications to a fleet-wide URL are matched by the IMEI in the
-- module's User-Agent (spec §5). 15 digits or NULL.
ALTER TABLE jobs ADD COLUMN imei TEXT
	CHECK (imei IS NULL OR (length(imei) = 15 AND imei NOT GLOB '*[^0-9]*'));

-- The unguessable part of the job's NOTIFYURL. Created on the first send and
-- kept, so every resend of the job carries the same URL (a late notification
-- from an earlier send still finds the job). A secret: never logged.
ALTER TABLE jobs ADD COLUMN notify_token TEXT;

-- When the job last entered 'sent' (kept by the trigger below). The
-- confirmation timeout counts from here, and updated_at cannot serve:
-- 'delivered' is a state change of its own.
ALTER TABLE jobs ADD COLUMN sent_at INTEGER;
-- Status report TP-ST 0x00 for the current send (cleared by a new send).
ALTER TABLE jobs ADD COLUMN delivered_at INTEGER;
-- When the unit reported success (900, or 912 for a delete job).
ALTER TABLE jobs ADD COLUMN confirmed_at INTEGER;
-- The unit's last install notification: status code, its text (sanitised:
-- printable ASCII, cut to 127 characters) and when it arrived.
ALTER TABLE jobs ADD COLUMN notify_code INTEGER;
ALTER TABLE jobs ADD COLUMN notify_text TEXT;
ALTER TABLE jobs ADD COLUMN notified_at INTEGER;
-- 1 while a notification that arrived during 'sending' waits to be applied:
-- the worker owns a job in 'sending' and would find its state changed under
-- it, so the confirmation sweep applies the recorded report once the worker
-- has let go of the job (sent, or back in the queue).
ALTER TABLE jobs ADD COLUMN notify_pending INTEGER NOT NULL DEFAULT 0;

-- A trigger rather than a duty of every writer: whoever moves a job to
-- 'sent' (otapd's workers through queue_mark_sent, a future writer, a hand
-- run sqlite3 shell), the confirmation sweep must see when it happened, or
-- the job would wait for its notification forever.
CREATE TRIGGER jobs_track_sent AFTER UPDATE OF state ON jobs
	WHEN NEW.state = 'sent' AND OLD.state <> 'sent'
BEGIN
	UPDATE jobs SET sent_at = NEW.updated_at, delivered_at = NULL WHERE id = NEW.id;
END;

-- The confirmation sweep (every few seconds): per profile, the sent or
-- delivered jobs whose sent_at is older than the profile's confirm_timeout.
-- One range seek per (state, profile), however many jobs are waiting.
CREATE INDEX jobs_unconfirmed ON jobs (state, profile, sent_at);

-- The sweep's look for deferred notifications: a handful of rows at most.
CREATE INDEX jobs_notify_pending ON jobs (id) WHERE notify_pending = 1;

-- Fleet-wide notifications: the jobs of one unit by its IMEI. Partial, as
-- most jobs may have no IMEI at all.
CREATE INDEX jobs_imei ON jobs (imei) WHERE imei IS NOT NULL;

-- One row per SM sent, to match status reports: a report names only the
-- modem-assigned TP-MR (0-255, wrapping) and the recipient, so the match is
-- (modem, mr) among recent sends. Rows older than the matching horizon are
-- pruned when their (modem, mr) is used again, so the table stays small.
CREATE TABLE sent_parts (
	job_id     INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	attempt    INTEGER NOT NULL,           -- jobs.attempts after this send: a report on an
	                                       -- earlier send must not move the current one
	part       INTEGER NOT NULL,           -- 1-based position in the job's message
	part_count INTEGER NOT NULL,
	modem      TEXT NOT NULL,
	mr         INTEGER NOT NULL CHECK (mr BETWEEN 0 AND 255),
	sent_at    INTEGER NOT NULL
);

-- Matching a report: the newest sends with this modem and MR first.
CREATE INDEX sent_parts_mr ON sent_parts (modem, mr, sent_at);
-- The cascade on job deletion, as for attempts.
CREATE INDEX sent_parts_job ON sent_parts (job_id);
