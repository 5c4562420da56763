-- 006_preflight.sql - whether a rollout was checked before it was created,
-- PostgreSQL (version 6; see schema/006_preflight.sql).
ALTER TABLE rollouts ADD COLUMN preflight TEXT CHECK (preflight IN ('passed', 'skipped'));
