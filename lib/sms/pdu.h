/* pdu.h - SMS PDU codec (3GPP TS 23.040): encode SMS-SUBMIT, decode
 * SMS-SUBMIT, SMS-DELIVER and SMS-STATUS-REPORT.
 *
 * Pure: no I/O. Hex strings are upper case on output, either case on input.
 * The decoder never reads past its input: malformed PDUs are an error.
 */
#ifndef OTAP_PDU_H
#define OTAP_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"

#define PDU_ADDR_MAX 24         /* digits (and '+') of an address, with NUL */
#define PDU_UD_MAX 140          /* octets of TP-UD */
#define PDU_HEX_MAX (2 * (12 + 1 + 1 + 1 + 12 + 1 + 1 + 7 + 1 + PDU_UD_MAX) + 1)

#define PDU_PID_OTAP 0x7D       /* ME data download */
#define PDU_PID_PLAIN 0x00
#define PDU_DCS_8BIT_CLASS1 0xF5
#define PDU_DCS_8BIT_CLASS0 0xF4

/* What to encode. */
struct pdu_submit {
	const char *smsc;       /* NULL or "" = "00" (use the SIM's SMSC) */
	const char *to;         /* validated MSISDN: "+491701234567" or national digits */
	uint8_t pid;
	uint8_t dcs;
	uint8_t vp;             /* relative validity period octet */
	bool srr;               /* request a status report */
	const uint8_t *ud;      /* body octets */
	size_t udl;
};

/* Encodes an SMS-SUBMIT as the hex string written after the AT+CMGS prompt
 * (SMSC field + TPDU). *tpdu_len receives the AT+CMGS=<len> value (octets
 * after the SMSC field). Returns 0, or -1 with a reason (bad number, body too
 * long, buffer too small). hex must hold PDU_HEX_MAX bytes. */
int pdu_encode_submit(const struct pdu_submit *in, char *hex, size_t hexcap,
		      int *tpdu_len, struct errbuf *err);

/* Returns the relative TP-VP octet for a validity in ms (rounded up to the
 * next representable value, capped at 0xFF = 63 weeks; minimum 5 minutes). */
uint8_t pdu_vp_from_ms(int64_t ms);
/* Returns the validity in ms that a relative TP-VP octet stands for. */
int64_t pdu_vp_to_ms(uint8_t vp);

/* DCS for an 8-bit message of class 0 or 1. */
uint8_t pdu_dcs_8bit(int sms_class);

enum pdu_type { PDU_TYPE_SUBMIT, PDU_TYPE_DELIVER, PDU_TYPE_STATUS_REPORT };
enum pdu_coding { PDU_CODING_7BIT, PDU_CODING_8BIT, PDU_CODING_UCS2, PDU_CODING_RESERVED };

/* A decoded PDU. Fields that a type does not have are zero/empty. */
struct pdu_decoded {
	enum pdu_type type;
	char smsc[PDU_ADDR_MAX];        /* "" when the SMSC field was 00 */
	uint8_t first_octet;
	uint8_t mr;                     /* SUBMIT, STATUS-REPORT */
	char addr[PDU_ADDR_MAX];        /* DA (SUBMIT), OA (DELIVER), RA (STATUS-REPORT); '+' for TOA 0x91 */
	uint8_t addr_toa;
	uint8_t pid, dcs;               /* SUBMIT, DELIVER */
	enum pdu_coding coding;
	int msg_class;                  /* 0-3, or -1 when the DCS has none */
	int vpf;                        /* SUBMIT: 0 none, 1 enhanced, 2 relative, 3 absolute */
	uint8_t vp;                     /* relative VP octet when vpf == 2 */
	bool srr;                       /* SUBMIT: status report requested; STATUS-REPORT: TP-SRQ */
	bool udhi;
	char scts[32];                  /* DELIVER, STATUS-REPORT: "YY-MM-DD HH:MM:SS+TZ" */
	char dt[32];                    /* STATUS-REPORT discharge time */
	uint8_t st;                     /* STATUS-REPORT TP-ST */
	size_t udl;                     /* octets of ud (septets are unpacked for 7-bit) */
	uint8_t ud[160];                /* 8-bit: raw octets; 7-bit: unpacked GSM chars as ASCII best effort */
	/* Added by the codec (additive): */
	uint8_t pi;                     /* STATUS-REPORT: TP-PI (bit 0 PID, 1 DCS, 2 UDL present); 0 when absent */
};
/* With udhi set, ud starts with the raw UDH octets (UDHL included) for
 * every coding; for 7-bit the text after the header's fill bits follows. */

/* Decodes hex. with_smsc: the hex starts with the SMSC field (as written to
 * AT+CMGS and as printed in +CMGR/+CDS by modems). Returns 0, or -1 with a
 * reason for any malformed input (odd length, non-hex, truncation, lengths
 * that overrun). Never reads outside hex. */
int pdu_decode(const char *hex, bool with_smsc, struct pdu_decoded *out, struct errbuf *err);

/* Name of the PDU type ("SMS-SUBMIT", ...). */
const char *pdu_type_name(enum pdu_type type);

/* Hex helpers shared with the CLI and the simulator. hex_encode writes
 * 2*n+1 bytes. hex_decode returns the number of octets or -1 on bad hex. */
void hex_encode(const uint8_t *data, size_t n, char *out);
long hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outcap);

#endif
