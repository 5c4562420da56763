/* msisdn.h - validation of destination numbers (MSISDN). */
#ifndef OTAP_MSISDN_H
#define OTAP_MSISDN_H

/* Longest accepted MSISDN text: '+' and 15 digits. */
#define MSISDN_MAX_LEN 16

/* Returns NULL when text is a valid MSISDN: '+' followed by 1-15 digits
 * (international, TOA 0x91) or 1-15 plain digits (national/unknown, TOA 0x81).
 * Otherwise returns a static string saying why it is rejected. */
const char *msisdn_check(const char *text);

#endif
