-- 009_modems.sql - each modem's health as its worker last saw it,
-- PostgreSQL (version 9; see schema/009_modems.sql). With several
-- instances, modem names must be unique across them (each instance's
-- config names its own modems).
CREATE TABLE modems (
	name TEXT PRIMARY KEY,
	state TEXT NOT NULL CHECK (state IN ('connecting', 'initialising', 'ready', 'sending',
					     'failing', 'disabled')),
	why TEXT,
	state_since BIGINT NOT NULL,
	creg_stat INTEGER,
	operator TEXT,
	rssi INTEGER,
	model TEXT,
	revision TEXT,
	imei TEXT,
	last_error TEXT,
	last_error_at BIGINT,
	sms_sent BIGINT NOT NULL DEFAULT 0,
	sms_failed BIGINT NOT NULL DEFAULT 0,
	last_seen BIGINT NOT NULL
);
