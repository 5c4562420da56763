/* cms.c - what a +CMS ERROR code means and what to do about it (spec §4).
 *
 * Code ranges (TS 27.005 §3.2.5): 0-127 are RP-causes from the network
 * (TS 24.011 §8.2.5.4), 128-255 TP-FCS values from the SMSC (TS 23.040
 * §9.2.3.22), 300-511 errors of the ME itself, 512 and up vendor specific.
 *
 * Codes the spec does not name are classified here with the reason next to
 * them. The guiding rule: a code we do not understand is transient, never
 * permanent, so a unit is not dropped on a guess; the job's max_attempts
 * still bounds the retries.
 */
#include "cms.h"

#include <stddef.h>

struct cms_name {
	int code;
	const char *meaning;
};

/* Short meanings, in code order. */
static const struct cms_name cms_names[] = {
	/* RP-cause, TS 24.011 */
	{ 1, "unassigned (unallocated) number" },
	{ 8, "operator determined barring" },
	{ 10, "call barred" },
	{ 21, "short message transfer rejected" },
	{ 22, "memory capacity exceeded" },
	{ 27, "destination out of service" },
	{ 28, "unidentified subscriber" },
	{ 29, "facility rejected" },
	{ 30, "unknown subscriber" },
	{ 38, "network out of order" },
	{ 41, "temporary failure" },
	{ 42, "congestion" },
	{ 47, "resources unavailable, unspecified" },
	{ 50, "requested facility not subscribed" },
	{ 69, "requested facility not implemented" },
	{ 81, "invalid short message transfer reference value" },
	{ 95, "invalid message, unspecified" },
	{ 96, "invalid mandatory information" },
	{ 97, "message type non-existent or not implemented" },
	{ 98, "message not compatible with short message protocol state" },
	{ 99, "information element non-existent or not implemented" },
	{ 111, "protocol error, unspecified" },
	{ 127, "interworking, unspecified" },
	/* TP-FCS, TS 23.040 */
	{ 128, "telematic interworking not supported" },
	{ 129, "short message type 0 not supported" },
	{ 130, "cannot replace short message" },
	{ 143, "unspecified TP-PID error" },
	{ 144, "data coding scheme (alphabet) not supported" },
	{ 145, "message class not supported" },
	{ 159, "unspecified TP-DCS error" },
	{ 160, "command cannot be actioned" },
	{ 161, "command unsupported" },
	{ 175, "unspecified TP-Command error" },
	{ 176, "TPDU not supported" },
	{ 192, "SC busy" },
	{ 193, "no SC subscription" },
	{ 194, "SC system failure" },
	{ 195, "invalid SME address" },
	{ 196, "destination SME barred" },
	{ 197, "SM rejected, duplicate SM" },
	{ 198, "TP-VPF not supported" },
	{ 199, "TP-VP not supported" },
	{ 208, "SIM SMS storage full" },
	{ 209, "no SMS storage capability in SIM" },
	{ 210, "error in MS" },
	{ 211, "memory capacity exceeded" },
	{ 212, "SIM application toolkit busy" },
	{ 213, "SIM data download error" },
	{ 255, "unspecified error cause" },
	/* ME errors, TS 27.005 */
	{ 300, "ME failure" },
	{ 301, "SMS service of ME reserved" },
	{ 302, "operation not allowed" },
	{ 303, "operation not supported" },
	{ 304, "invalid PDU mode parameter" },
	{ 305, "invalid text mode parameter" },
	{ 310, "SIM not inserted" },
	{ 311, "SIM PIN required" },
	{ 312, "PH-SIM PIN required" },
	{ 313, "SIM failure" },
	{ 314, "SIM busy" },
	{ 315, "SIM wrong" },
	{ 316, "SIM PUK required" },
	{ 317, "SIM PIN2 required" },
	{ 318, "SIM PUK2 required" },
	{ 320, "memory failure" },
	{ 321, "invalid memory index" },
	{ 322, "memory full" },
	{ 330, "SMSC address unknown" },
	{ 331, "no network service" },
	{ 332, "network timeout" },
	{ 340, "no +CNMA acknowledgement expected" },
	{ 500, "unknown error" },
};

const char *cms_meaning(int code)
{
	for (size_t i = 0; i < sizeof cms_names / sizeof cms_names[0]; i++) {
		if (cms_names[i].code == code)
			return cms_names[i].meaning;
	}
	return code >= 512 ? "vendor specific error" : "unknown error";
}

/* The codes that describe the sending modem or its SIM rather than the
 * unit: retrying other units through this modem would fail the same way. */
static bool cms_is_modem_fault(int code)
{
	switch (code) {
	case 8: case 29: case 50:       /* the *sending* subscription */
	case 193:                       /* no SC subscription: our SIM */
	case 300: case 302:
	case 301:       /* SMS service reserved: the ME cannot send at all now */
	case 303:       /* operation not supported: this ME cannot do PDU sends */
	case 305:       /* text mode parameter: the ME forgot AT+CMGF=0; re-init restores it */
	case 320: case 322: case 330:
		return true;
	default:
		return code >= 310 && code <= 318;
	}
}

/* The codes after which sending the same message to the same number again
 * cannot succeed. */
static bool cms_is_permanent(int code)
{
	switch (code) {
	case 1: case 10: case 21: case 30:
	case 95:        /* "invalid message": same family as 96-127 */
	case 304:
		return true;
	case 192:       /* SC busy: retry */
	case 193:       /* SIM problem, see cms_is_modem_fault */
		return false;
	default:
		return code >= 96 && code <= 255;
	}
}

enum cms_class cms_classify(int code)
{
	if (cms_is_modem_fault(code))
		return CMS_MODEM;
	if (cms_is_permanent(code))
		return CMS_PERMANENT;
	/* Named transient codes (27, 28, 38, 41, 42, 47, 192, 331, 332, 500),
	 * vendor codes >= 512 and everything unnamed: 0, the unlisted RP-causes
	 * (e.g. 22 destination memory full, 69 facility not implemented, 81),
	 * 321 (memory index: not expected for a send), 340 (unrelated CNMA
	 * state) and the reserved 256-299/306-309/... values. */
	return CMS_TRANSIENT;
}

bool cms_long_backoff(int code)
{
	return code == 38;
}

bool cms_is_our_bug(int code)
{
	return code == 304;
}

const char *cms_class_name(enum cms_class c)
{
	switch (c) {
	case CMS_TRANSIENT:
		return "transient";
	case CMS_PERMANENT:
		return "permanent";
	case CMS_MODEM:
		return "modem";
	}
	return "unknown";
}
