/* smpp_receipt.h - SMSC delivery receipts (deliver_sm with the esm_class
 * "delivery receipt" type): which submitted message they are about and
 * what became of it, from the receipted_message_id / message_state TLVs or
 * the "id:... stat:..." text of the short_message (SMPP 3.4 Appendix B),
 * whichever the SMSC sends. Pure. */
#ifndef OTAP_SMPP_RECEIPT_H
#define OTAP_SMPP_RECEIPT_H

#include <stdint.h>
#include "smpp_codec.h"

/* message_state values (SMPP 3.4 §5.2.28). */
enum smpp_message_state {
	SMPP_STATE_ENROUTE = 1, SMPP_STATE_DELIVERED, SMPP_STATE_EXPIRED, SMPP_STATE_DELETED,
	SMPP_STATE_UNDELIVERABLE, SMPP_STATE_ACCEPTED, SMPP_STATE_UNKNOWN, SMPP_STATE_REJECTED,
};

struct smpp_receipt {
	char message_id[SMPP_MSGID_MAX];        /* as submit_sm_resp gave it */
	int state;                              /* enum smpp_message_state */
	/* The same outcome as the TP-ST of an SMS-STATUS-REPORT (TS 23.040
	 * 9.2.3.15), so that one set of rules handles +CDS and receipts:
	 * delivered 0x00, expired 0x46, deleted 0x48, undeliverable 0x43,
	 * rejected 0x41 (permanent: failed), enroute/accepted/unknown 0x01
	 * (nothing to act on). */
	uint8_t tp_st;
};

/* Reads m (a deliver_sm's message) as a receipt. Returns 1 with *out
 * filled, 0 when m is not a delivery receipt (esm_class), or -1 when it is
 * one without a usable message id or state (reason in err). */
int smpp_receipt_parse(const struct smpp_message *m, struct smpp_receipt *out,
		       struct errbuf *err);

/* "DELIVRD", "EXPIRED", ... for a message_state; "UNKNOWN" outside. */
const char *smpp_state_stat(int state);

#endif
