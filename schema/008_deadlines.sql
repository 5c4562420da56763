-- 008_deadlines.sql - stale triggers do not go out (version 8).
--
-- `otapctl enqueue --until` and `rollout create --deadline`: a job still
-- queued past its deadline is never claimed (the claim checks it) and the
-- daemon's scheduler moves it to failed "expired" (store_expire). NULL =
-- no deadline. Applied by store_open() inside one transaction.
ALTER TABLE jobs ADD COLUMN deadline INTEGER;

-- store_expire's "queued jobs past their deadline": a range seek that reads
-- only jobs that have a deadline and are still waiting. Partial, so jobs
-- without a deadline (most) cost an import nothing, and a job leaves the
-- index when it is claimed.
CREATE INDEX jobs_expiring ON jobs (deadline) WHERE state = 'queued' AND deadline IS NOT NULL;
