/* msisdn.c - validation of destination numbers (see msisdn.h). */
#include "msisdn.h"

#include <stddef.h>
#include <string.h>

/* Digits allowed after the optional '+' (E.164 caps a number at 15). */
#define MSISDN_MAX_DIGITS 15

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Checks the part after the optional '+': 1-15 digits and nothing else. */
static const char *check_digits(const char *digits)
{
	size_t n = 0;

	if (digits[0] == '\0')
		return "no digits: expected 1-15 digits, optionally after a leading '+'";
	for (const char *p = digits; *p; p++) {
		if (*p == '+')
			return "'+' is only allowed as the first character";
		if (*p == ' ' || *p == '\t')
			return "contains whitespace: expected digits only";
		if (!is_digit(*p))
			return "contains a character that is not a digit: expected '+' and digits only";
		n++;
	}
	if (n > MSISDN_MAX_DIGITS)
		return "too long: at most 15 digits";
	return NULL;
}

const char *msisdn_check(const char *text)
{
	if (!text || text[0] == '\0')
		return "empty: expected '+' and 1-15 digits, or 1-15 digits";
	if (text[0] == '+')
		return check_digits(text + 1);
	return check_digits(text);
}

/* International (TOA 0x91): the shortest real E.164 numbers are a 3-digit
 * country code with a 4-digit subscriber number (Niue +683, St Helena +290),
 * 7 digits; anything shorter is a country code alone or a typo. National or
 * unknown (TOA 0x81): the shortest subscriber numbers of any plan have 4
 * digits; 1-3 digits are service and emergency codes (110, 112, 911, 000),
 * never a module's SIM. */
const char *msisdn_check_destination(const char *text)
{
	const char *why = msisdn_check(text);
	if (why)
		return why;
	if (text[0] == '+' && strlen(text + 1) < MSISDN_MIN_INTERNATIONAL_DIGITS)
		return "too short for an international number: expected at least 7 digits after "
		       "'+' (country code and subscriber number)";
	if (text[0] != '+' && strlen(text) < MSISDN_MIN_NATIONAL_DIGITS)
		return "too short: expected at least 4 digits (short service and emergency "
		       "codes cannot be a unit's number)";
	return NULL;
}
