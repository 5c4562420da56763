-- 009_modems.sql - each modem's health as its worker last saw it (version 9).
--
-- One row per modem name, upserted by otapd's worker on a change and at
-- least every 30 s (last_seen), so `otapctl modems`, `otapctl status` and
-- /healthz read what the modems are doing and tell a dead otapd by a row
-- gone stale. Not part of any job's story: no foreign keys. Times in ms
-- since the epoch; NULL = not known.
CREATE TABLE modems (
	name TEXT PRIMARY KEY,
	state TEXT NOT NULL CHECK (state IN ('connecting', 'initialising', 'ready', 'sending',
					     'failing', 'disabled')),
	why TEXT,
	state_since INTEGER NOT NULL,
	creg_stat INTEGER,
	operator TEXT,
	rssi INTEGER,
	model TEXT,
	revision TEXT,
	imei TEXT,
	last_error TEXT,
	last_error_at INTEGER,
	sms_sent INTEGER NOT NULL DEFAULT 0,
	sms_failed INTEGER NOT NULL DEFAULT 0,
	last_seen INTEGER NOT NULL
) WITHOUT ROWID;
