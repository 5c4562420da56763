/* smpp_status.h - what an SMPP command_status in a submit_sm_resp means
 * for the job and the link, in the terms the modems' +CMS ERRORs use
 * (policy.h): retry the unit later, give up on it, or blame the sender
 * (here the SMSC account or bind) and put the job back without using an
 * attempt. Throttling (ESME_RTHROTTLED, ESME_RMSGQFUL) is none of these:
 * the link slows down and the part is resent, no attempt used. Pure. */
#ifndef OTAP_SMPP_STATUS_H
#define OTAP_SMPP_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include "policy.h"

/* Short meaning ("invalid destination address", ...), or "unknown
 * error" / "SMSC vendor specific error". Never NULL. */
const char *smpp_status_meaning(uint32_t status);

/* True for the statuses that ask the sender to slow down. */
bool smpp_status_throttled(uint32_t status);

/* Decides from a non-zero submit_sm_resp status (not a throttling one):
 * the verdict, the attempt result ("transient", "permanent", "modem") and
 * the detail "SMPP status 0x0000000B (invalid destination address)".
 * cms_error is -1: SMPP statuses are not +CMS codes. */
void smpp_status_decide(uint32_t status, struct send_decision *out);

#endif
