-- 011_units.sql - a rollout's units by state and furthest step, PostgreSQL
-- (version 11; see schema/011_units.sql). The state in byte order, as the
-- unit list sorts it on both engines (lib/store/pg_units.c). The partial
-- jobs_rollout_reached stays: PostgreSQL's funnel reads it (pg_events.c).
CREATE INDEX jobs_rollout_units ON jobs (rollout, state COLLATE "C", reached, id);
