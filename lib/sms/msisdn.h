/* msisdn.h - validation of destination numbers (MSISDN). */
#ifndef OTAP_MSISDN_H
#define OTAP_MSISDN_H

/* Longest accepted MSISDN text: '+' and 15 digits. */
#define MSISDN_MAX_LEN 16

/* Returns NULL when text is a valid MSISDN: '+' followed by 1-15 digits
 * (international, TOA 0x91) or 1-15 plain digits (national/unknown, TOA 0x81).
 * Otherwise returns a static string saying why it is rejected. */
const char *msisdn_check(const char *text);

/* Shortest destination numbers a unit can have (see msisdn.c for why). */
#define MSISDN_MIN_INTERNATIONAL_DIGITS 7
#define MSISDN_MIN_NATIONAL_DIGITS 4

/* Returns NULL when text is a valid MSISDN (msisdn_check) that is also
 * long enough to address a unit: at least MSISDN_MIN_INTERNATIONAL_DIGITS
 * digits after a '+' (country code and subscriber number: "+49" alone is
 * refused) or MSISDN_MIN_NATIONAL_DIGITS plain digits (no 3-digit service
 * or emergency codes such as 112). Every number an operator gives as a
 * destination (enqueue --to, pdu --to, the fleet CSV) is checked with this;
 * msisdn_check stays the syntax rule. Otherwise returns a static reason. */
const char *msisdn_check_destination(const char *text);

#endif
