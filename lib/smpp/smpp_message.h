/* smpp_message.h - the submit_sm fields of a job, the SMPP form of what the
 * SMS-SUBMIT PDU carries for a modem (spec §3): destination with its
 * TON/NPI, the profile's PID and 8-bit class DCS, the receipt request and
 * the same validity. The bodies are the OTAP bodies otap_build makes. Pure. */
#ifndef OTAP_SMPP_MESSAGE_H
#define OTAP_SMPP_MESSAGE_H

#include <stdint.h>
#include "errbuf.h"
#include "otap.h"
#include "smpp_codec.h"

/* The configured sender of an SMPP link. */
struct smpp_source {
	const char *addr;               /* "" = the SMSC fills it in */
	uint8_t ton, npi;
};

/* Fills *out (short_message empty) for sending profile's message to msisdn
 * (validated: '+' and digits -> TON 1 international, plain digits -> TON
 * 0 unknown; NPI 1 ISDN either way, as TOA 0x91/0x81 in the PDU). Returns
 * 0, or -1 with a reason (a field too long). */
int smpp_message_for(const struct otap_profile *profile, const char *msisdn,
		     const struct smpp_source *src, struct smpp_message *out, struct errbuf *err);

/* The relative validity_period "YYMMDDhhmmss000R" (SMPP 3.4 §7.1.1.2) of
 * ms, rounded as the PDU's TP-VP rounds it, so both transports ask for the
 * same validity. out holds SMPP_TIME_MAX bytes. */
void smpp_validity(int64_t ms, char out[SMPP_TIME_MAX]);

#endif
