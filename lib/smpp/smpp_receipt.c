/* smpp_receipt.c - delivery receipts read from TLVs or text (see smpp_receipt.h). */
#include "smpp_receipt.h"

#include <stdio.h>
#include <string.h>

/* The text's stat values (Appendix B) in message_state order. */
static const char *const stats[] = {
	[SMPP_STATE_ENROUTE] = "ENROUTE", [SMPP_STATE_DELIVERED] = "DELIVRD",
	[SMPP_STATE_EXPIRED] = "EXPIRED", [SMPP_STATE_DELETED] = "DELETED",
	[SMPP_STATE_UNDELIVERABLE] = "UNDELIV", [SMPP_STATE_ACCEPTED] = "ACCEPTD",
	[SMPP_STATE_UNKNOWN] = "UNKNOWN", [SMPP_STATE_REJECTED] = "REJECTD",
};
#define STATE_MAX SMPP_STATE_REJECTED

const char *smpp_state_stat(int state)
{
	return state >= 1 && state <= STATE_MAX ? stats[state] : "UNKNOWN";
}

static uint8_t tp_st_of(int state)
{
	switch (state) {
	case SMPP_STATE_DELIVERED: return 0x00;
	case SMPP_STATE_EXPIRED: return 0x46;
	case SMPP_STATE_DELETED: return 0x48;
	case SMPP_STATE_UNDELIVERABLE: return 0x43;
	case SMPP_STATE_REJECTED: return 0x41;
	default: return 0x01;
	}
}

/* The value of "key:" in the receipt text (up to the next space), copied
 * into out. Returns false when the key is not there. The text is bounded
 * by len, not by a NUL. */
static bool text_field(const uint8_t *text, size_t len, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i + klen <= len; i++) {
		if ((i > 0 && text[i - 1] != ' ') || memcmp(text + i, key, klen) != 0)
			continue;
		size_t n = 0;
		for (size_t j = i + klen; j < len && text[j] != ' ' && text[j] >= 0x21 &&
		     text[j] <= 0x7E && n + 1 < cap; j++)
			out[n++] = (char)text[j];
		out[n] = '\0';
		return true;
	}
	return false;
}

static int state_from_stat(const char *stat)
{
	for (int s = 1; s <= STATE_MAX; s++) {
		if (strcmp(stats[s], stat) == 0)
			return s;
	}
	return -1;
}

int smpp_receipt_parse(const struct smpp_message *m, struct smpp_receipt *out,
		       struct errbuf *err)
{
	char stat[16] = "";
	memset(out, 0, sizeof *out);
	if ((m->esm_class & SMPP_ESM_RECEIPT_MASK) != SMPP_ESM_RECEIPT)
		return 0;
	if (m->receipted_message_id[0])
		snprintf(out->message_id, sizeof out->message_id, "%s", m->receipted_message_id);
	else if (!text_field(m->sm, m->sm_len, "id:", out->message_id, sizeof out->message_id) ||
		 !out->message_id[0])
		return errbuf_set(err, "delivery receipt without a message id (no "
				  "receipted_message_id, no id: in its text)");
	out->state = m->message_state;
	if (out->state < 1 || out->state > STATE_MAX) {
		if (!text_field(m->sm, m->sm_len, "stat:", stat, sizeof stat) ||
		    (out->state = state_from_stat(stat)) < 0)
			return errbuf_set(err, "delivery receipt for %s without a known state "
					  "(no message_state, stat:'%.10s')", out->message_id, stat);
	}
	out->tp_st = tp_st_of(out->state);
	return 1;
}
