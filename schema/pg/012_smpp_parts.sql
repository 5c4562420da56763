-- 012_smpp_parts.sql - the SMPP message id of each part, PostgreSQL
-- (version 12; see schema/012_smpp_parts.sql).
ALTER TABLE sent_parts ADD COLUMN message_id TEXT;
CREATE INDEX sent_parts_message_id ON sent_parts (modem, message_id, sent_at)
	WHERE message_id IS NOT NULL;
