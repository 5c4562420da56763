/* report_match.c - whether a status report's number agrees with a sent
 * job's (see report_match.h). */
#include "report_match.h"

#include <stddef.h>
#include <string.h>

#include "msisdn.h"

/* Digits compared, at most. */
#define NUMBER_MATCH_DIGITS 9

static size_t digits_of(const char *text, char *out, size_t cap)
{
	size_t n = 0;
	for (; *text && n + 1 < cap; text++) {
		if (*text >= '0' && *text <= '9')
			out[n++] = *text;
	}
	out[n] = '\0';
	return n;
}

bool report_numbers_agree(const char *job_number, const char *reported)
{
	char a[2 * MSISDN_MAX_LEN + 8], b[2 * MSISDN_MAX_LEN + 8];
	size_t la = digits_of(job_number, a, sizeof a), lb = digits_of(reported, b, sizeof b);
	if (lb == 0)
		return true;    /* the report names no number: MR and modem must do */
	size_t n = la < lb ? la : lb;
	if (n > NUMBER_MATCH_DIGITS)
		n = NUMBER_MATCH_DIGITS;
	return n > 0 && memcmp(a + la - n, b + lb - n, n) == 0;
}
