/* msisdn.c - validation of destination numbers (see msisdn.h). */
#include "msisdn.h"

#include <stddef.h>

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
