/* fuzz_pdu.c - libFuzzer harness for the PDU codec (lib/pdu.h).
 *
 * The input is taken as the hex text a modem prints (+CMGR, +CDS) and given
 * to pdu_decode with and without the SMSC field, and to hex_decode. Checked:
 * - no crash, no read outside the input, no write outside the outputs;
 * - a failure leaves a non-empty, NUL-terminated reason;
 * - a success leaves NUL-terminated strings and udl within the buffers;
 * - round trip: an SMS-SUBMIT with 8-bit (or UCS2) user data is encoded
 *   again with pdu_encode_submit from the decoded fields; that must not
 *   crash, and when it succeeds the new PDU decodes to the same fields;
 *   with a hex buffer one byte too small the encoder must refuse;
 * - hex_decode agrees with a plain reference and hex_encode inverts it;
 * - pdu_vp_from_ms rounds up to the smallest validity that covers the
 *   requested time (first 8 input bytes as the time).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "pdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool nul_within(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void err_reset(struct errbuf *err)
{
	memset(err->msg, 'X', sizeof err->msg);
}

static void check_reason(const struct errbuf *err)
{
	FUZZ_CHECK(nul_within(err->msg, sizeof err->msg), "reason not NUL-terminated");
	FUZZ_CHECK(err->msg[0] != '\0' && err->msg[0] != 'X', "no reason given");
}

static void check_decoded(const struct pdu_decoded *d)
{
	FUZZ_CHECK(d->type == PDU_TYPE_SUBMIT || d->type == PDU_TYPE_DELIVER ||
		   d->type == PDU_TYPE_STATUS_REPORT, "type %d", (int)d->type);
	FUZZ_CHECK(nul_within(d->smsc, sizeof d->smsc), "smsc");
	FUZZ_CHECK(nul_within(d->addr, sizeof d->addr), "addr");
	FUZZ_CHECK(nul_within(d->scts, sizeof d->scts), "scts");
	FUZZ_CHECK(nul_within(d->dt, sizeof d->dt), "dt");
	FUZZ_CHECK(d->udl <= sizeof d->ud, "udl %zu", d->udl);
	FUZZ_CHECK(d->msg_class >= -1 && d->msg_class <= 3, "class %d", d->msg_class);
	FUZZ_CHECK(d->vpf >= 0 && d->vpf <= 3, "vpf %d", d->vpf);
	FUZZ_CHECK((int)d->coding >= PDU_CODING_7BIT && (int)d->coding <= PDU_CODING_RESERVED,
		   "coding %d", (int)d->coding);
	if (d->coding == PDU_CODING_8BIT || d->coding == PDU_CODING_UCS2)
		FUZZ_CHECK(d->udl <= PDU_UD_MAX, "octet-coded udl %zu", d->udl);
	FUZZ_CHECK(strcmp(pdu_type_name(d->type), "unknown") != 0, "type name");
}

static bool is_upper_hex(const char *s)
{
	for (; *s; s++) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'F')))
			return false;
	}
	return true;
}

/* Re-encodes a decoded 8-bit/UCS2 SUBMIT and decodes the result again. */
static void round_trip(const struct pdu_decoded *d)
{
	struct pdu_submit in = {
		.smsc = d->smsc, .to = d->addr, .pid = d->pid, .dcs = d->dcs, .vp = d->vp,
		.srr = d->srr, .ud = d->ud, .udl = d->udl,
	};
	char hex[PDU_HEX_MAX];
	int tpdu_len = -1;
	struct errbuf err;

	err_reset(&err);
	if (pdu_encode_submit(&in, hex, sizeof hex, &tpdu_len, &err) < 0) {
		check_reason(&err);     /* e.g. an address that is not an MSISDN */
		return;
	}
	size_t len = strlen(hex);
	FUZZ_CHECK(len % 2 == 0 && len > 0 && is_upper_hex(hex), "encoder output \"%s\"", hex);
	FUZZ_CHECK(tpdu_len >= 1 && (size_t)tpdu_len * 2 < len, "tpdu_len %d for %zu hex digits",
		   tpdu_len, len);

	struct pdu_decoded d2;
	err_reset(&err);
	FUZZ_CHECK(pdu_decode(hex, true, &d2, &err) == 0, "re-encoded PDU %s does not decode: %s",
		   hex, err.msg);
	check_decoded(&d2);
	FUZZ_CHECK(d2.type == PDU_TYPE_SUBMIT, "type");
	FUZZ_CHECK(strcmp(d2.smsc, d->smsc) == 0, "smsc \"%s\" became \"%s\"", d->smsc, d2.smsc);
	FUZZ_CHECK(strcmp(d2.addr, d->addr) == 0, "addr \"%s\" became \"%s\"", d->addr, d2.addr);
	FUZZ_CHECK(d2.pid == d->pid && d2.dcs == d->dcs, "pid/dcs");
	FUZZ_CHECK(d2.vpf == 2 && d2.vp == d->vp, "vp");
	FUZZ_CHECK(d2.srr == d->srr, "srr");
	FUZZ_CHECK(d2.mr == 0 && !d2.udhi, "mr/udhi");
	FUZZ_CHECK(d2.udl == d->udl && memcmp(d2.ud, d->ud, d->udl) == 0, "user data");

	/* The TPDU alone (as after AT+CMGS=<tpdu_len>) decodes the same way. */
	const char *tpdu = hex + len - 2 * (size_t)tpdu_len;
	struct pdu_decoded d3;
	err_reset(&err);
	FUZZ_CHECK(pdu_decode(tpdu, false, &d3, &err) == 0, "TPDU %s does not decode: %s", tpdu,
		   err.msg);
	FUZZ_CHECK(d3.udl == d->udl && strcmp(d3.addr, d->addr) == 0, "TPDU fields");

	/* One byte short of the hex buffer it needs: refused, nothing written past it. */
	char *small = malloc(len);
	FUZZ_CHECK(small != NULL, "malloc");
	err_reset(&err);
	FUZZ_CHECK(pdu_encode_submit(&in, small, len, &tpdu_len, &err) < 0,
		   "encoder accepted a %zu-byte buffer for %zu hex digits", len, len);
	check_reason(&err);
	free(small);
}

static void decode_one(const char *hex, bool with_smsc)
{
	struct pdu_decoded d;
	struct errbuf err;

	err_reset(&err);
	if (pdu_decode(hex, with_smsc, &d, &err) < 0) {
		check_reason(&err);
		return;
	}
	check_decoded(&d);
	if (d.type == PDU_TYPE_SUBMIT &&
	    (d.coding == PDU_CODING_8BIT || d.coding == PDU_CODING_UCS2))
		round_trip(&d);
}

static int nibble(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (uint8_t)toupper(c);
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void check_hex_decode(const uint8_t *data, size_t size)
{
	size_t outcap = size / 2 - (size >= 2 && (data[0] & 1) ? 1 : 0);
	long expect = size % 2 == 0 && size / 2 <= outcap ? (long)(size / 2) : -1;
	for (size_t i = 0; expect >= 0 && i < size; i++) {
		if (nibble(data[i]) < 0)
			expect = -1;
	}
	uint8_t *out = malloc(outcap ? outcap : 1);
	FUZZ_CHECK(out != NULL, "malloc");
	long n = hex_decode((const char *)data, size, out, outcap);
	FUZZ_CHECK(n == expect, "hex_decode returned %ld, expected %ld", n, expect);
	if (n > 0) {
		char *back = malloc(2 * (size_t)n + 1);
		FUZZ_CHECK(back != NULL, "malloc");
		hex_encode(out, (size_t)n, back);
		for (size_t i = 0; i < size; i++)
			FUZZ_CHECK(back[i] == toupper(data[i]), "hex_encode(hex_decode(x)) != x");
		FUZZ_CHECK(back[size] == '\0', "hex_encode NUL");
		free(back);
	}
	free(out);
}

#define MINUTE_MS INT64_C(60000)
#define WEEK_MS (7 * 24 * 60 * MINUTE_MS)

static void check_vp(const uint8_t *data, size_t size)
{
	int64_t ms;
	if (size < sizeof ms)
		return;
	memcpy(&ms, data, sizeof ms);
	uint8_t vp = pdu_vp_from_ms(ms);
	if (ms <= 5 * MINUTE_MS) {
		FUZZ_CHECK(vp == 0, "vp %u for %lld ms", vp, (long long)ms);
	} else if (ms <= 63 * WEEK_MS) {
		FUZZ_CHECK(pdu_vp_to_ms(vp) >= ms, "vp %u expires before %lld ms", vp, (long long)ms);
		FUZZ_CHECK(vp == 0 || pdu_vp_to_ms((uint8_t)(vp - 1)) < ms,
			   "vp %u is not the smallest for %lld ms", vp, (long long)ms);
	} else {
		FUZZ_CHECK(vp == 0xFF, "vp %u for %lld ms", vp, (long long)ms);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *hex = malloc(size + 1);
	if (!hex)
		return 0;
	memcpy(hex, data, size);
	hex[size] = '\0';

	decode_one(hex, true);
	decode_one(hex, false);
	free(hex);

	check_hex_decode(data, size);
	check_vp(data, size);
	return 0;
}
