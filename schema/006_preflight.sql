-- 006_preflight.sql - whether a rollout was checked before it was created (version 6).
--
-- otapctl rollout create runs the preflight (the JAD and JAR fetched and
-- compared as a unit would, the notify listener reached) and refuses the
-- rollout on a problem; --no-preflight creates it unchecked. 'passed' or
-- 'skipped'; NULL for rollouts created before this migration.
ALTER TABLE rollouts ADD COLUMN preflight TEXT CHECK (preflight IN ('passed', 'skipped'));
