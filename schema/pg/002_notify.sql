-- 002_notify.sql - status reports and install notifications, PostgreSQL
-- (version 2; see schema/002_notify.sql for what each column means).
-- The SQLite trigger jobs_track_sent is not created: migration 004 drops it
-- there, and the store writes sent_at itself.
ALTER TABLE jobs ADD COLUMN imei TEXT CHECK (imei IS NULL OR imei ~ '^[0-9]{15}$');
ALTER TABLE jobs ADD COLUMN notify_token TEXT;
ALTER TABLE jobs ADD COLUMN sent_at BIGINT;
ALTER TABLE jobs ADD COLUMN delivered_at BIGINT;
ALTER TABLE jobs ADD COLUMN confirmed_at BIGINT;
ALTER TABLE jobs ADD COLUMN notify_code INTEGER;
ALTER TABLE jobs ADD COLUMN notify_text TEXT;
ALTER TABLE jobs ADD COLUMN notified_at BIGINT;
ALTER TABLE jobs ADD COLUMN notify_pending INTEGER NOT NULL DEFAULT 0;

CREATE INDEX jobs_unconfirmed ON jobs (state, profile, sent_at);
CREATE INDEX jobs_notify_pending ON jobs (id) WHERE notify_pending = 1;
CREATE INDEX jobs_imei ON jobs (imei) WHERE imei IS NOT NULL;

CREATE TABLE sent_parts (
	job_id     BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	attempt    INTEGER NOT NULL,
	part       INTEGER NOT NULL,
	part_count INTEGER NOT NULL,
	modem      TEXT NOT NULL,
	mr         INTEGER NOT NULL CHECK (mr BETWEEN 0 AND 255),
	sent_at    BIGINT NOT NULL
);
CREATE INDEX sent_parts_mr ON sent_parts (modem, mr, sent_at);
CREATE INDEX sent_parts_job ON sent_parts (job_id);
