/* smpp_status.c - SMPP command_status classes (see smpp_status.h). The
 * table names each status otapd can meet and its class; anything else is
 * transient (an SMSC's own codes 0x400-0x4FF included), logged raw. */
#include "smpp_status.h"

#include <stdio.h>
#include <string.h>

#include <smpp34.h>

enum status_class { TRANSIENT, PERMANENT, SENDER };

static const struct {
	uint32_t status;
	enum status_class cls;
	const char *meaning;
} statuses[] = {
	/* The message or the destination: another try would fail the same. */
	{ ESME_RINVMSGLEN, PERMANENT, "message length is invalid" },
	{ ESME_RINVPRTFLG, PERMANENT, "invalid priority flag" },
	{ ESME_RINVREGDLVFLG, PERMANENT, "invalid registered delivery flag" },
	{ ESME_RINVDSTADR, PERMANENT, "invalid destination address" },
	{ ESME_RINVESMCLASS, PERMANENT, "invalid esm_class" },
	{ ESME_RINVDSTTON, PERMANENT, "invalid destination TON" },
	{ ESME_RINVDSTNPI, PERMANENT, "invalid destination NPI" },
	{ ESME_RINVSCHED, PERMANENT, "invalid scheduled delivery time" },
	{ ESME_RINVEXPIRY, PERMANENT, "invalid validity period" },
	{ ESME_RX_P_APPN, PERMANENT, "permanent error at the receiver" },
	{ ESME_RX_R_APPN, PERMANENT, "rejected by the receiver" },
	{ ESME_RINVOPTPARSTREAM, PERMANENT, "error in the optional parameters" },
	{ ESME_ROPTPARNOTALLWD, PERMANENT, "optional parameter not allowed" },
	{ ESME_RINVPARLEN, PERMANENT, "invalid parameter length" },
	{ ESME_RMISSINGOPTPARAM, PERMANENT, "expected optional parameter missing" },
	{ ESME_RINVOPTPARAMVAL, PERMANENT, "invalid optional parameter value" },
	/* The account, the bind or our source address: the sender is at
	 * fault, not the unit (like a modem's SIM problem). */
	{ ESME_RINVCMDLEN, SENDER, "command length is invalid" },
	{ ESME_RINVCMDID, SENDER, "invalid command id" },
	{ ESME_RINVBNDSTS, SENDER, "incorrect bind status for the command" },
	{ ESME_RALYBND, SENDER, "already bound" },
	{ ESME_RINVSRCADR, SENDER, "invalid source address" },
	{ ESME_RBINDFAIL, SENDER, "bind failed" },
	{ ESME_RINVPASWD, SENDER, "invalid password" },
	{ ESME_RINVSYSID, SENDER, "invalid system_id" },
	{ ESME_RINVSERTYP, SENDER, "invalid service type" },
	{ ESME_RINVSRCTON, SENDER, "invalid source TON" },
	{ ESME_RINVSRCNPI, SENDER, "invalid source NPI" },
	{ ESME_RINVSYSTYP, SENDER, "invalid system_type" },
	/* The SMSC's own trouble: later. */
	{ ESME_RSYSERR, TRANSIENT, "SMSC system error" },
	{ ESME_RSUBMITFAIL, TRANSIENT, "submit failed" },
	{ ESME_RX_T_APPN, TRANSIENT, "temporary error at the receiver" },
	{ ESME_RDELIVERYFAILURE, TRANSIENT, "delivery failure" },
	{ ESME_RUNKNOWNERR, TRANSIENT, "unknown error" },
	{ ESME_RTHROTTLED, TRANSIENT, "throttled: sending too fast" },
	{ ESME_RMSGQFUL, TRANSIENT, "SMSC message queue full" },
};
#define STATUS_COUNT (sizeof statuses / sizeof statuses[0])

static int find(uint32_t status)
{
	for (size_t i = 0; i < STATUS_COUNT; i++) {
		if (statuses[i].status == status)
			return (int)i;
	}
	return -1;
}

const char *smpp_status_meaning(uint32_t status)
{
	int i = find(status);
	if (i >= 0)
		return statuses[i].meaning;
	return status >= 0x400 && status <= 0x4FF ? "SMSC vendor specific error" : "unknown error";
}

bool smpp_status_throttled(uint32_t status)
{
	return status == ESME_RTHROTTLED || status == ESME_RMSGQFUL;
}

void smpp_status_decide(uint32_t status, struct send_decision *out)
{
	static const enum send_verdict verdicts[] = {
		[TRANSIENT] = VERDICT_RETRY, [PERMANENT] = VERDICT_FAIL, [SENDER] = VERDICT_MODEM,
	};
	static const char *const results[] = {
		[TRANSIENT] = "transient", [PERMANENT] = "permanent", [SENDER] = "modem",
	};
	int i = find(status);
	enum status_class cls = i >= 0 ? statuses[i].cls : TRANSIENT;
	memset(out, 0, sizeof *out);
	out->verdict = verdicts[cls];
	out->result = results[cls];
	out->cms_error = -1;
	snprintf(out->detail, sizeof out->detail, "SMPP status 0x%08X (%s)", status,
		 smpp_status_meaning(status));
}
