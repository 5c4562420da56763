/* jobmsg.h - from a job to the PDUs written to the modem: the OTAP body
 * builder and the PDU encoder glued together. The one code path shared by
 * otapd (sending) and otapctl pdu (preview). Pure: no I/O. */
#ifndef OTAP_JOBMSG_H
#define OTAP_JOBMSG_H

#include <stdbool.h>
#include "errbuf.h"
#include "otap.h"
#include "pdu.h"

struct jobmsg_part {
	char hex[PDU_HEX_MAX];  /* written after the AT+CMGS prompt (no Ctrl-Z) */
	int tpdu_len;           /* AT+CMGS=<tpdu_len> */
	bool has_start;         /* carries START: sent after the split delay */
};

struct jobmsg {
	size_t count;
	struct jobmsg_part parts[OTAP_MAX_PARTS];
	bool no_password;       /* profile has no PWD: warn the operator */
};

/* Builds all parts for sending profile/action to msisdn. smsc may be NULL
 * (SIM's SMSC); notify_url, when not NULL, overrides the profile's
 * NOTIFYURL. Returns 0, or -1 with a reason that never contains a secret. */
int jobmsg_build(const struct otap_profile *profile, enum otap_action action,
		 const char *msisdn, const char *smsc, const char *notify_url,
		 struct jobmsg *out, struct errbuf *err);

#endif
