/* cms.h - classification of +CMS ERROR codes (spec §4): retry, give up, or
 * blame the sending modem. */
#ifndef OTAP_CMS_H
#define OTAP_CMS_H

#include <stdbool.h>

enum cms_class {
	CMS_TRANSIENT,          /* retry this unit later with backoff */
	CMS_PERMANENT,          /* give up on this unit: failed */
	CMS_MODEM,              /* the sending modem/SIM is at fault: re-init, no attempt used */
};

enum cms_class cms_classify(int code);
/* Short meaning ("unassigned number", "network out of order"...), or
 * "unknown error" / "vendor specific error". Never NULL. */
const char *cms_meaning(int code);
/* True for codes where a long backoff is sensible (38 network out of order). */
bool cms_long_backoff(int code);
/* True for codes that indicate a bug in otapd (304 invalid PDU parameter). */
bool cms_is_our_bug(int code);
const char *cms_class_name(enum cms_class c);

#endif
