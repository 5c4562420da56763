-- 007_staged_rollouts.sql - rollouts imported in short transactions,
-- PostgreSQL (version 7; see schema/007_staged_rollouts.sql). PostgreSQL
-- alters the CHECK in place where SQLite rebuilds the table.
ALTER TABLE rollouts DROP CONSTRAINT rollouts_state_check;
ALTER TABLE rollouts ADD CONSTRAINT rollouts_state_check
	CHECK (state IN ('importing', 'active', 'paused', 'cancelled', 'done'));
-- While importing: the importer's process id (see the SQLite file).
ALTER TABLE rollouts ADD COLUMN importer_pid INTEGER;
ALTER TABLE rollouts ADD COLUMN deadline BIGINT;
