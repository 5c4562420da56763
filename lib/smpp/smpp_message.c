/* smpp_message.c - a job's submit_sm fields (see smpp_message.h). */
#include "smpp_message.h"

#include <stdio.h>
#include <string.h>
#include "pdu.h"

void smpp_validity(int64_t ms, char out[SMPP_TIME_MAX])
{
	int64_t s = pdu_vp_to_ms(pdu_vp_from_ms(ms)) / 1000;
	int64_t days = s / 86400;
	/* Months of 30 days past 99 days (TP-VP reaches 63 weeks). */
	int months = (int)(days / 30 > 99 ? 99 : days > 99 ? days / 30 : 0);
	days -= (int64_t)months * 30;
	/* Every value has two digits: months <= 99, days < 100, the rest < 60. */
	char buf[64];
	snprintf(buf, sizeof buf, "00%02d%02d%02d%02d%02d000R", months % 100, (int)(days % 100),
		 (int)(s / 3600 % 24), (int)(s / 60 % 60), (int)(s % 60));
	snprintf(out, SMPP_TIME_MAX, "%.16s", buf);
}

int smpp_message_for(const struct otap_profile *profile, const char *msisdn,
		     const struct smpp_source *src, struct smpp_message *out, struct errbuf *err)
{
	memset(out, 0, sizeof *out);
	out->message_state = -1;
	bool international = msisdn[0] == '+';
	const char *digits = international ? msisdn + 1 : msisdn;
	if (strlen(digits) >= sizeof out->dest_addr || strlen(src->addr) >= sizeof out->source_addr)
		return errbuf_set(err, "address too long for SMPP");
	snprintf(out->dest_addr, sizeof out->dest_addr, "%s", digits);
	out->dest_ton = international ? 1 : 0;
	out->dest_npi = 1;
	snprintf(out->source_addr, sizeof out->source_addr, "%s", src->addr);
	out->source_ton = src->ton;
	out->source_npi = src->npi;
	/* OTAP parts are separate SMs without a UDH (spec §2): esm_class 0. */
	out->esm_class = 0;
	out->protocol_id = profile->pid;
	out->data_coding = pdu_dcs_8bit(profile->sms_class);
	out->registered_delivery = profile->status_report ? 1 : 0;
	smpp_validity(profile->validity_ms, out->validity_period);
	return 0;
}
