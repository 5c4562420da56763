-- 008_deadlines.sql - stale triggers do not go out, PostgreSQL (version 8;
-- see schema/008_deadlines.sql).
ALTER TABLE jobs ADD COLUMN deadline BIGINT;
CREATE INDEX jobs_expiring ON jobs (deadline) WHERE state = 'queued' AND deadline IS NOT NULL;
