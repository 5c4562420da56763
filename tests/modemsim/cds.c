/* cds.c - status-report PDU encoder (see cds.h). */
#include "cds.h"

#include <string.h>

#include "pdu.h"

#define CDS_MAX_DIGITS 20

/* Swapped-nibble BCD, as every TS 23.040 address and timestamp is coded. */
static uint8_t bcd_swapped(int value)
{
	return (uint8_t)(((value % 10) << 4) | ((value / 10) % 10));
}

static size_t put_timestamp(uint8_t *o, const struct tm *tm)
{
	o[0] = bcd_swapped(tm->tm_year % 100);
	o[1] = bcd_swapped(tm->tm_mon + 1);
	o[2] = bcd_swapped(tm->tm_mday);
	o[3] = bcd_swapped(tm->tm_hour);
	o[4] = bcd_swapped(tm->tm_min);
	o[5] = bcd_swapped(tm->tm_sec);
	o[6] = 0x00;    /* UTC */
	return 7;
}

/* Writes length, TOA and digits of an address; returns octets or 0. */
static size_t put_address(uint8_t *o, const char *to)
{
	uint8_t toa = to[0] == '+' ? 0x91 : 0x81;
	const char *digits = to[0] == '+' ? to + 1 : to;
	size_t n = strlen(digits);
	if (n == 0 || n > CDS_MAX_DIGITS || strspn(digits, "0123456789") != n)
		return 0;
	o[0] = (uint8_t)n;
	o[1] = toa;
	size_t len = 2;
	for (size_t i = 0; i < n; i += 2) {
		uint8_t lo = (uint8_t)(digits[i] - '0');
		uint8_t hi = i + 1 < n ? (uint8_t)(digits[i + 1] - '0') : 0x0F;
		o[len++] = (uint8_t)(hi << 4 | lo);
	}
	return len;
}

int cds_build(const char *to, uint8_t mr, uint8_t st, time_t when, char *hex)
{
	uint8_t pdu[1 + 2 + 2 + CDS_MAX_DIGITS / 2 + 7 + 7 + 1];
	struct tm tm;
	size_t len = 0;

	pdu[len++] = 0x00;      /* SMSC: the modem's default */
	pdu[len++] = 0x06;      /* MTI=10 status report, MMS: no more messages */
	pdu[len++] = mr;
	size_t alen = put_address(pdu + len, to);
	if (alen == 0)
		return -1;
	len += alen;
	gmtime_r(&when, &tm);
	len += put_timestamp(pdu + len, &tm);   /* TP-SCTS */
	len += put_timestamp(pdu + len, &tm);   /* TP-DT */
	pdu[len++] = st;
	hex_encode(pdu, len, hex);
	return (int)len - 1;
}
