/* report_match.h - which sent job a status report names, beyond the modem
 * and the message reference: the numbers agree (both engines). Internal
 * to lib/store. */
#ifndef OTAP_REPORT_MATCH_H
#define OTAP_REPORT_MATCH_H

#include <stdbool.h>

/* Sends of one modem with the same MR within the report horizon that a
 * report is matched against: normally one; a few more when a busy modem
 * wrapped its MR, told apart by the number. */
#define REPORT_MATCH_CANDIDATES 8

/* Whether the number a status report gives agrees with the job's: the
 * last digits of both match, enough to tell units apart, few enough to
 * ignore how the SMSC wrote the country prefix (+49170... vs 0170...). A
 * report without a number agrees with any. Pure. */
bool report_numbers_agree(const char *job_number, const char *reported);

#endif
