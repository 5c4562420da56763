-- 004_store.sql - no trigger changes a job (version 4).
--
-- jobs_track_sent (002_notify.sql) kept sent_at and delivered_at when a job
-- entered 'sent'. The store's transition into 'sent' (store_mark_sent in
-- lib/store/) now writes them itself, in the same statement as the state,
-- so every change of a job is in one place in lib/store and an engine
-- without triggers can do the same.
DROP TRIGGER IF EXISTS jobs_track_sent;
