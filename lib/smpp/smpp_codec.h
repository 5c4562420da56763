/* smpp_codec.h - SMPP 3.4 PDUs as bytes, through libsmpp34 (Osmocom's
 * packer): the PDUs otapd and its test SMSC exchange, each as a small
 * struct of the fields they use. No PDU is packed or unpacked by hand here:
 * libsmpp34 does every byte; this module picks the fields and bounds them.
 *
 * libsmpp34 keeps its error text in process-wide globals, so every call
 * into it is serialised by one mutex (several SMPP links run on several
 * threads). Pure otherwise: no I/O, no clock. */
#ifndef OTAP_SMPP_CODEC_H
#define OTAP_SMPP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"

/* The largest PDU either side accepts: a submit_sm or deliver_sm with a
 * full short_message and a few TLVs fits easily; anything longer is a
 * broken peer. */
#define SMPP_PDU_MAX 2048
#define SMPP_HEADER_LEN 16
/* Field sizes of SMPP 3.4 §5.2 as libsmpp34 has them, NUL included. */
#define SMPP_SYSTEM_ID_MAX 16
#define SMPP_PASSWORD_MAX 9
#define SMPP_SYSTEM_TYPE_MAX 13
#define SMPP_ADDR_MAX 21
#define SMPP_MSGID_MAX 65
#define SMPP_SM_MAX 254
#define SMPP_TIME_MAX 17

/* command_id values (SMPP 3.4 §5.1.2), the ones otapd uses. */
enum smpp_command {
	SMPP_GENERIC_NACK = (int)0x80000000u,
	SMPP_BIND_RECEIVER = 0x00000001,
	SMPP_BIND_RECEIVER_RESP = (int)0x80000001u,
	SMPP_BIND_TRANSMITTER = 0x00000002,
	SMPP_BIND_TRANSMITTER_RESP = (int)0x80000002u,
	SMPP_SUBMIT_SM = 0x00000004,
	SMPP_SUBMIT_SM_RESP = (int)0x80000004u,
	SMPP_DELIVER_SM = 0x00000005,
	SMPP_DELIVER_SM_RESP = (int)0x80000005u,
	SMPP_UNBIND = 0x00000006,
	SMPP_UNBIND_RESP = (int)0x80000006u,
	SMPP_BIND_TRANSCEIVER = 0x00000009,
	SMPP_BIND_TRANSCEIVER_RESP = (int)0x80000009u,
	SMPP_ENQUIRE_LINK = 0x00000015,
	SMPP_ENQUIRE_LINK_RESP = (int)0x80000015u,
};

/* esm_class bits (§5.2.12): the message type "SMSC delivery receipt". */
#define SMPP_ESM_RECEIPT_MASK 0x3C
#define SMPP_ESM_RECEIPT 0x04

/* A bind request (any of the three). */
struct smpp_bind {
	char system_id[SMPP_SYSTEM_ID_MAX];
	char password[SMPP_PASSWORD_MAX];       /* secret: never logged */
	char system_type[SMPP_SYSTEM_TYPE_MAX];
};

/* A short message, as submit_sm or deliver_sm carries it. */
struct smpp_message {
	uint8_t source_ton, source_npi;
	char source_addr[SMPP_ADDR_MAX];
	uint8_t dest_ton, dest_npi;
	char dest_addr[SMPP_ADDR_MAX];
	uint8_t esm_class;
	uint8_t protocol_id;
	uint8_t registered_delivery;
	uint8_t data_coding;
	char validity_period[SMPP_TIME_MAX];    /* "" = the SMSC's default */
	uint8_t sm[SMPP_SM_MAX];
	size_t sm_len;
	/* deliver_sm receipts (TLVs, §5.3.2.12 and .35): "" / -1 when absent. */
	char receipted_message_id[SMPP_MSGID_MAX];
	int message_state;
};

/* Any PDU: the header plus the body fields of its command. */
struct smpp_pdu {
	uint32_t command_id;
	uint32_t command_status;
	uint32_t sequence;
	struct smpp_bind bind;                  /* bind requests */
	char system_id[SMPP_SYSTEM_ID_MAX];     /* bind responses: the SMSC's id */
	char message_id[SMPP_MSGID_MAX];        /* submit_sm_resp */
	struct smpp_message msg;                /* submit_sm, deliver_sm */
};

/* Whether command_id is a response (the high bit). */
static inline bool smpp_is_response(uint32_t command_id) { return (command_id & 0x80000000u) != 0; }

/* The PDU at the start of buf (n bytes available): its total length when
 * the header is there and the length is plausible (16..SMPP_PDU_MAX), 0
 * when more bytes are needed, -1 when the length is impossible (the
 * stream cannot be resynchronised: close the link). */
long smpp_frame_length(const uint8_t *buf, size_t n);

/* Packs p (header and the body fields of p->command_id) into out (cap
 * bytes). Returns the PDU's length, or -1 with a reason (a field too long,
 * an unsupported command, libsmpp34's complaint). */
long smpp_encode(const struct smpp_pdu *p, uint8_t *out, size_t cap, struct errbuf *err);

/* Unpacks the PDU of len bytes in buf (one whole frame) into *out: the
 * header always, the body for the commands of enum smpp_command (others
 * keep an empty body). Returns 0, or -1 with a reason (malformed PDU). */
int smpp_decode(const uint8_t *buf, size_t len, struct smpp_pdu *out, struct errbuf *err);

/* "submit_sm", "bind_transceiver_resp", ... or "command 0x%08x" written
 * into buf (at least 24 bytes). */
const char *smpp_command_name(uint32_t command_id, char *buf, size_t cap);

/* The PDU as the debug log shows it: "bind_transceiver seq 1 status 0x0:
 * <hex>" with the secrets' bytes replaced by '*' (2A): a bind's password,
 * the short_message of a submit_sm (the OTAP body with PWD) or deliver_sm
 * (a receipt quotes the body's start). Always
 * NUL-terminates out; cut with "..." when cap is short. */
void smpp_trace(const uint8_t *pdu, size_t len, char *out, size_t cap);

#endif
