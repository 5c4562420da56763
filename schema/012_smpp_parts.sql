-- 012_smpp_parts.sql - the SMPP message id of each part (version 12).
--
-- A part sent through an SMPP link has no TP-MR: the SMSC names it by the
-- message_id of its submit_sm_resp, and its delivery receipt names that id
-- again. Such parts keep mr = 0 (the column is NOT NULL) and are matched by
-- (modem, message_id); a modem's parts keep message_id NULL and are matched
-- by (modem, mr) as before. Pruning per (modem, mr) past the 72 h horizon
-- thus also prunes an SMPP link's old parts.
ALTER TABLE sent_parts ADD COLUMN message_id TEXT;

-- Matching a receipt: the newest part with this link and id.
CREATE INDEX sent_parts_message_id ON sent_parts (modem, message_id, sent_at)
	WHERE message_id IS NOT NULL;
