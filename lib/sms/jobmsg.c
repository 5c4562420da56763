/* jobmsg.c - job -> OTAP bodies -> SMS-SUBMIT PDUs (see jobmsg.h). */
#include "jobmsg.h"

#include <string.h>

int jobmsg_build(const struct otap_profile *profile, enum otap_action action,
		 const char *msisdn, const char *smsc, const char *notify_url,
		 struct jobmsg *out, struct errbuf *err)
{
	struct otap_message msg;

	memset(out, 0, sizeof *out);
	if (otap_build(profile, action, notify_url, &msg, err) < 0)
		return -1;
	out->no_password = msg.no_password;
	for (size_t i = 0; i < msg.count; i++) {
		struct pdu_submit sub = {
			.smsc = smsc,
			.to = msisdn,
			.pid = profile->pid,
			.dcs = pdu_dcs_8bit(profile->sms_class),
			.vp = pdu_vp_from_ms(profile->validity_ms),
			.srr = profile->status_report,
			.ud = msg.parts[i].body,
			.udl = msg.parts[i].len,
		};
		struct jobmsg_part *part = &out->parts[i];
		if (pdu_encode_submit(&sub, part->hex, sizeof part->hex, &part->tpdu_len, err) < 0)
			return errbuf_prefix(err, "part %zu of %zu", i + 1, msg.count);
		part->has_start = msg.parts[i].has_start;
	}
	out->count = msg.count;
	return 0;
}
