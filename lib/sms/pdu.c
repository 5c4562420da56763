/* pdu.c - SMS PDU codec (see pdu.h): SMS-SUBMIT encoder, SUBMIT/DELIVER/
 * STATUS-REPORT decoder, relative validity periods and hex helpers.
 *
 * The decoder works on a bounds-checked cursor over the decoded octets: every
 * read names the field it wants, so a truncated PDU fails with a reason that
 * says which field was cut off instead of reading past the end.
 */
#include "pdu.h"

#include <stdio.h>
#include <string.h>

#include "msisdn.h"

/* ------------------------------------------------------------------ hex */

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void hex_encode(const uint8_t *data, size_t n, char *out)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0x0F];
	}
	out[2 * n] = '\0';
}

long hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outcap)
{
	if (hexlen % 2 != 0 || hexlen / 2 > outcap)
		return -1;
	for (size_t i = 0; i < hexlen / 2; i++) {
		int hi = hex_nibble(hex[2 * i]);
		int lo = hex_nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(hexlen / 2);
}

/* ------------------------------------------------------ validity period */

#define MINUTE_MS INT64_C(60000)
#define HOUR_MS (60 * MINUTE_MS)
#define DAY_MS (24 * HOUR_MS)
#define WEEK_MS (7 * DAY_MS)

/* Ceiling division for positive numbers that cannot overflow here
 * (callers bound ms to 63 weeks first). */
static int64_t div_up(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

uint8_t pdu_vp_from_ms(int64_t ms)
{
	/* TS 23.040 9.2.3.12.1: four ranges with growing steps. Rounding up
	 * means the message never expires earlier than asked for. */
	if (ms <= 5 * MINUTE_MS)
		return 0x00;
	if (ms <= 12 * HOUR_MS)
		return (uint8_t)(div_up(ms, 5 * MINUTE_MS) - 1);
	if (ms <= 24 * HOUR_MS)
		return (uint8_t)(143 + div_up(ms - 12 * HOUR_MS, 30 * MINUTE_MS));
	if (ms <= 30 * DAY_MS)
		return (uint8_t)(166 + div_up(ms, DAY_MS));
	if (ms <= 63 * WEEK_MS)
		return (uint8_t)(192 + div_up(ms, WEEK_MS));
	return 0xFF;
}

int64_t pdu_vp_to_ms(uint8_t vp)
{
	if (vp <= 143)
		return (vp + 1) * 5 * MINUTE_MS;
	if (vp <= 167)
		return 12 * HOUR_MS + (vp - 143) * 30 * MINUTE_MS;
	if (vp <= 196)
		return (vp - 166) * DAY_MS;
	return (vp - 192) * WEEK_MS;
}

uint8_t pdu_dcs_8bit(int sms_class)
{
	/* Group 1111 (data coding/message class), bit 2 = 8-bit data. */
	if (sms_class >= 0 && sms_class <= 3)
		return (uint8_t)(0xF4 | sms_class);
	return PDU_DCS_8BIT_CLASS1;
}

const char *pdu_type_name(enum pdu_type type)
{
	switch (type) {
	case PDU_TYPE_SUBMIT:
		return "SMS-SUBMIT";
	case PDU_TYPE_DELIVER:
		return "SMS-DELIVER";
	case PDU_TYPE_STATUS_REPORT:
		return "SMS-STATUS-REPORT";
	}
	return "unknown";
}

/* -------------------------------------------------------------- encoder */

/* Largest PDU we ever handle, in octets; generous for every type. */
#define PDU_OCTETS_MAX 256

struct obuf {
	uint8_t b[PDU_OCTETS_MAX];
	size_t n;
};

static void put_u8(struct obuf *o, uint8_t v)
{
	o->b[o->n++] = v;
}

/* Appends digits as swapped BCD semi-octets, 'F' filling an odd count. */
static void put_bcd_digits(struct obuf *o, const char *digits, size_t ndigits)
{
	for (size_t i = 0; i < ndigits; i += 2) {
		uint8_t lo = (uint8_t)(digits[i] - '0');
		uint8_t hi = i + 1 < ndigits ? (uint8_t)(digits[i + 1] - '0') : 0x0F;
		put_u8(o, (uint8_t)(hi << 4 | lo));
	}
}

static uint8_t toa_for(const char *number)
{
	return number[0] == '+' ? 0x91 : 0x81;
}

static const char *digits_of(const char *number)
{
	return number[0] == '+' ? number + 1 : number;
}

/* SMSC field (TS 24.011 RP-address style): length counts the TOA octet
 * and the digit octets, not digits as TP addresses do. */
static int put_smsc(struct obuf *o, const char *smsc, struct errbuf *err)
{
	if (!smsc || smsc[0] == '\0') {
		put_u8(o, 0x00);
		return 0;
	}
	const char *why = msisdn_check(smsc);
	if (why)
		return errbuf_set(err, "SMSC number \"%s\": %s", smsc, why);
	const char *digits = digits_of(smsc);
	size_t nd = strlen(digits);
	put_u8(o, (uint8_t)(1 + (nd + 1) / 2));
	put_u8(o, toa_for(smsc));
	put_bcd_digits(o, digits, nd);
	return 0;
}

/* TP-DA: length in digits, TOA, swapped BCD. */
static int put_dest(struct obuf *o, const char *to, struct errbuf *err)
{
	const char *why = msisdn_check(to);
	if (why)
		return errbuf_set(err, "destination number \"%s\": %s", to ? to : "", why);
	const char *digits = digits_of(to);
	size_t nd = strlen(digits);
	put_u8(o, (uint8_t)nd);
	put_u8(o, toa_for(to));
	put_bcd_digits(o, digits, nd);
	return 0;
}

/* What the DCS says about the user data (TS 23.038 §4). */
struct dcs_info {
	enum pdu_coding coding;
	int msg_class;
	bool compressed;
};

static struct dcs_info dcs_parse(uint8_t dcs)
{
	struct dcs_info d = { .coding = PDU_CODING_7BIT, .msg_class = -1 };
	unsigned group = dcs >> 4;

	if (group <= 0x7) {
		/* 00xx general data coding, 01xx the same with automatic
		 * deletion: bit 5 compressed, bit 4 class present,
		 * bits 3-2 alphabet, bits 1-0 class. */
		static const enum pdu_coding alphabet[] = {
			PDU_CODING_7BIT, PDU_CODING_8BIT, PDU_CODING_UCS2, PDU_CODING_RESERVED,
		};
		d.coding = alphabet[(dcs >> 2) & 0x3];
		d.compressed = (dcs & 0x20) != 0;
		if (dcs & 0x10)
			d.msg_class = dcs & 0x3;
	} else if (group == 0xE) {
		d.coding = PDU_CODING_UCS2;     /* message waiting, store, UCS2 */
	} else if (group == 0xF) {
		d.coding = (dcs & 0x04) ? PDU_CODING_8BIT : PDU_CODING_7BIT;
		d.msg_class = dcs & 0x3;
	}
	/* 1000-1011 reserved, 1100/1101 message waiting: GSM 7-bit
	 * (TS 23.038 says reserved codings are to be read as 7-bit). */
	return d;
}

static int check_submit_input(const struct pdu_submit *in, struct errbuf *err)
{
	if (in->udl > PDU_UD_MAX)
		return errbuf_set(err, "body is %zu octets: one SM holds at most %d",
				  in->udl, PDU_UD_MAX);
	if (in->udl > 0 && !in->ud)
		return errbuf_set(err, "body of %zu octets has no data (NULL)", in->udl);
	struct dcs_info d = dcs_parse(in->dcs);
	if (d.coding != PDU_CODING_8BIT && d.coding != PDU_CODING_UCS2)
		return errbuf_set(err, "DCS 0x%02X does not declare 8-bit data: the encoder "
				  "writes the body as octets (use e.g. 0xF5 or 0xF4)", in->dcs);
	return 0;
}

int pdu_encode_submit(const struct pdu_submit *in, char *hex, size_t hexcap,
		      int *tpdu_len, struct errbuf *err)
{
	struct obuf o = { .n = 0 };

	if (check_submit_input(in, err) < 0)
		return -1;
	if (put_smsc(&o, in->smsc, err) < 0)
		return -1;
	size_t smsc_octets = o.n;
	/* TP-MTI 01 SUBMIT, TP-VPF 10 relative, TP-SRR bit 5. */
	put_u8(&o, in->srr ? 0x31 : 0x11);
	put_u8(&o, 0x00);       /* TP-MR: the modem assigns it */
	if (put_dest(&o, in->to, err) < 0)
		return -1;
	put_u8(&o, in->pid);
	put_u8(&o, in->dcs);
	put_u8(&o, in->vp);
	put_u8(&o, (uint8_t)in->udl);
	if (in->udl > 0)
		memcpy(o.b + o.n, in->ud, in->udl);
	o.n += in->udl;

	if (!hex || hexcap < 2 * o.n + 1)
		return errbuf_set(err, "PDU needs %zu bytes of hex buffer, only %zu given",
				  2 * o.n + 1, hex ? hexcap : 0);
	hex_encode(o.b, o.n, hex);
	if (tpdu_len)
		*tpdu_len = (int)(o.n - smsc_octets);
	return 0;
}

/* -------------------------------------------------------------- decoder */

/* A read cursor over the decoded octets. */
struct cursor {
	const uint8_t *b;
	size_t n;
	size_t pos;
};

static size_t cur_left(const struct cursor *c)
{
	return c->n - c->pos;
}

/* Makes sure `need` octets of `what` are there; the reason names the field. */
static int cur_need(const struct cursor *c, size_t need, const char *what, struct errbuf *err)
{
	if (need > cur_left(c))
		return errbuf_set(err, "truncated PDU: %s needs %zu octet%s at offset %zu, "
				  "only %zu left", what, need, need == 1 ? "" : "s",
				  c->pos, cur_left(c));
	return 0;
}

static int cur_u8(struct cursor *c, uint8_t *v, const char *what, struct errbuf *err)
{
	if (cur_need(c, 1, what, err) < 0)
		return -1;
	*v = c->b[c->pos++];
	return 0;
}

/* Returns a pointer to n octets of `what` and advances, or NULL. */
static const uint8_t *cur_take(struct cursor *c, size_t n, const char *what, struct errbuf *err)
{
	if (cur_need(c, n, what, err) < 0)
		return NULL;
	const uint8_t *p = c->b + c->pos;
	c->pos += n;
	return p;
}

/* GSM 03.38 default alphabet to ASCII, best effort: accented letters lose
 * their accent, Greek capitals and currency signs that ASCII lacks become
 * '?'. 0x1B (escape) is handled by the caller. */
static const char gsm_to_ascii[128] = {
	'@', '?', '$', '?', 'e', 'e', 'u', 'i', 'o', 'C', '\n', 'O', 'o', '\r', 'A', 'a',
	'?', '_', '?', '?', '?', '?', '?', '?', '?', '?', '?', '?', '?', '?', '?', 'E',
	' ', '!', '"', '#', '?', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/',
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	'!', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O',
	'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'A', 'O', 'N', 'U', '?',
	'?', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'a', 'o', 'n', 'u', 'a',
};

/* The extension table reached through 0x1B; unknown ones map to '?'. */
static char gsm_ext_to_ascii(uint8_t septet)
{
	switch (septet) {
	case 0x0A: return '\f';
	case 0x14: return '^';
	case 0x28: return '{';
	case 0x29: return '}';
	case 0x2F: return '\\';
	case 0x3C: return '[';
	case 0x3D: return '~';
	case 0x3E: return ']';
	case 0x40: return '|';
	case 0x65: return 'E';  /* euro sign */
	default: return '?';
	}
}

/* Septet i of packed 7-bit data that starts `skip_bits` into `p`.
 * Callers guarantee the bits lie inside the packed octets. */
static uint8_t septet_at(const uint8_t *p, size_t plen, size_t skip_bits, size_t i)
{
	size_t bit = skip_bits + 7 * i;
	size_t byte = bit / 8, shift = bit % 8;
	unsigned v = p[byte] >> shift;
	if (shift > 1 && byte + 1 < plen)
		v |= (unsigned)p[byte + 1] << (8 - shift);
	return (uint8_t)(v & 0x7F);
}

/* Unpacks nsep septets into ASCII, resolving escapes. Returns the number of
 * characters written (at most nsep, never more than outcap). */
static size_t gsm7_unpack(const uint8_t *p, size_t plen, size_t skip_bits, size_t nsep,
			  uint8_t *out, size_t outcap)
{
	size_t n = 0;

	for (size_t i = 0; i < nsep && n < outcap; i++) {
		uint8_t s = septet_at(p, plen, skip_bits, i);
		if (s == 0x1B && i + 1 < nsep)
			out[n++] = (uint8_t)gsm_ext_to_ascii(septet_at(p, plen, skip_bits, ++i));
		else if (s == 0x1B)
			out[n++] = ' ';         /* dangling escape: TS 23.038 says space */
		else
			out[n++] = (uint8_t)gsm_to_ascii[s];
	}
	return n;
}

/* Semi-octet as a dialling character (TS 23.040 9.1.2.3): 0-9, *, #, a, b,
 * c; 0xF is the filler and ends the number. */
static char bcd_char(uint8_t nibble)
{
	static const char map[] = "0123456789*#abc";
	return nibble < 15 ? map[nibble] : '\0';
}

static void bcd_to_text(const uint8_t *p, size_t ndigits, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < ndigits; i++) {
		uint8_t nib = (i % 2 == 0) ? (p[i / 2] & 0x0F) : (p[i / 2] >> 4);
		char ch = bcd_char(nib);
		if (!ch)
			break;
		out[n++] = ch;
	}
	out[n] = '\0';
}

#define ADDR_DIGITS_MAX 20      /* TS 23.040 9.1.2.5: at most 10 octets of digits */

/* Renders the address value octets per TOA into out (PDU_ADDR_MAX). */
static void addr_to_text(uint8_t toa, const uint8_t *p, size_t octets, size_t ndigits, char *out)
{
	if ((toa & 0x70) == 0x50) {
		/* Alphanumeric (TON 101): GSM 7-bit packed; the length
		 * counted semi-octets, so whole septets are 4*digits/7. */
		size_t nsep = ndigits * 4 / 7;
		size_t n = gsm7_unpack(p, octets, 0, nsep, (uint8_t *)out, PDU_ADDR_MAX - 1);
		out[n] = '\0';
		return;
	}
	size_t lead = (toa & 0x70) == 0x10 ? 1 : 0;     /* TON 001 international */
	if (lead)
		out[0] = '+';
	bcd_to_text(p, ndigits, out + lead);
}

/* TP-OA/DA/RA: length in semi-octets, TOA, value. */
static int read_tp_addr(struct cursor *c, const char *what, char *out, uint8_t *toa,
			struct errbuf *err)
{
	uint8_t ndigits;

	if (cur_u8(c, &ndigits, what, err) < 0)
		return -1;
	if (ndigits > ADDR_DIGITS_MAX)
		return errbuf_set(err, "%s length is %u digits: at most %d allowed",
				  what, ndigits, ADDR_DIGITS_MAX);
	if (cur_u8(c, toa, what, err) < 0)
		return -1;
	size_t octets = (ndigits + 1u) / 2;
	const uint8_t *p = cur_take(c, octets, what, err);
	if (!p)
		return -1;
	addr_to_text(*toa, p, octets, ndigits, out);
	return 0;
}

#define SMSC_OCTETS_MAX 11      /* TOA + 10 octets of digits */

/* SMSC field: length in octets (TOA included), 0 = none. */
static int read_smsc(struct cursor *c, char *out, struct errbuf *err)
{
	uint8_t len, toa;

	out[0] = '\0';
	if (cur_u8(c, &len, "SMSC length", err) < 0)
		return -1;
	if (len == 0)
		return 0;
	if (len > SMSC_OCTETS_MAX)
		return errbuf_set(err, "SMSC length is %u octets: at most %d allowed",
				  len, SMSC_OCTETS_MAX);
	if (cur_u8(c, &toa, "SMSC address", err) < 0)
		return -1;
	const uint8_t *p = cur_take(c, len - 1u, "SMSC address", err);
	if (!p)
		return -1;
	addr_to_text(toa, p, len - 1u, 2u * (len - 1u), out);
	return 0;
}

/* Swapped-BCD pair as a two-digit number text; non-BCD nibbles show as hex
 * so that a bogus network timestamp is still visible rather than an error. */
static void ts_field(uint8_t octet, char *out)
{
	static const char hexd[] = "0123456789ABCDEF";
	out[0] = hexd[octet & 0x0F];
	out[1] = hexd[octet >> 4];
}

/* TP-SCTS/TP-DT: 7 octets "YY-MM-DD HH:MM:SS+TZ", TZ in quarter hours
 * whose sign is bit 3 of the (swapped) tens digit. */
static int read_timestamp(struct cursor *c, const char *what, char *out, struct errbuf *err)
{
	const uint8_t *p = cur_take(c, 7, what, err);
	if (!p)
		return -1;
	char f[6][2];
	for (int i = 0; i < 6; i++)
		ts_field(p[i], f[i]);
	int tz = (p[6] & 0x07) * 10 + (p[6] >> 4);
	snprintf(out, 32, "%.2s-%.2s-%.2s %.2s:%.2s:%.2s%c%02d",
		 f[0], f[1], f[2], f[3], f[4], f[5], (p[6] & 0x08) ? '-' : '+', tz);
	return 0;
}

/* TP-VP per TP-VPF: none, enhanced (7), relative (1), absolute (7). */
static int read_vp(struct cursor *c, struct pdu_decoded *out, struct errbuf *err)
{
	switch (out->vpf) {
	case 2:
		return cur_u8(c, &out->vp, "TP-VP (relative)", err);
	case 1:
		return cur_take(c, 7, "TP-VP (enhanced)", err) ? 0 : -1;
	case 3:
		return cur_take(c, 7, "TP-VP (absolute)", err) ? 0 : -1;
	default:
		return 0;
	}
}

/* Octet-coded user data (8-bit, UCS2, compressed): copied raw. */
static int read_ud_octets(struct cursor *c, struct pdu_decoded *out, uint8_t udl,
			  struct errbuf *err)
{
	if (udl > PDU_UD_MAX)
		return errbuf_set(err, "TP-UDL is %u octets: at most %d allowed", udl, PDU_UD_MAX);
	const uint8_t *p = cur_take(c, udl, "TP-UD", err);
	if (!p)
		return -1;
	memcpy(out->ud, p, udl);
	out->udl = udl;
	return 0;
}

#define UD_SEPTETS_MAX 160

/* 7-bit user data: udl counts septets. With a UDH the header octets are
 * kept raw at the start of ud and the text starts at the next septet
 * boundary after them (TS 23.040 9.2.3.24 fill bits). */
static int read_ud_septets(struct cursor *c, struct pdu_decoded *out, uint8_t udl,
			   struct errbuf *err)
{
	if (udl > UD_SEPTETS_MAX)
		return errbuf_set(err, "TP-UDL is %u septets: at most %d allowed",
				  udl, UD_SEPTETS_MAX);
	size_t octets = (udl * 7u + 7) / 8;
	const uint8_t *p = cur_take(c, octets, "TP-UD", err);
	if (!p)
		return -1;
	size_t hdr = 0, skip_sep = 0;
	if (out->udhi && octets > 0) {
		hdr = (size_t)p[0] + 1;
		skip_sep = (hdr * 8 + 6) / 7;
		if (skip_sep > udl)
			return errbuf_set(err, "TP-UDH is %zu octets but TP-UD holds only %u septets",
					  hdr, udl);
		memcpy(out->ud, p, hdr);
	}
	size_t n = gsm7_unpack(p, octets, skip_sep * 7, udl - skip_sep,
			       out->ud + hdr, sizeof out->ud - hdr);
	out->udl = hdr + n;
	return 0;
}

/* TP-UDL + TP-UD, interpreted according to the DCS already decoded. */
static int read_user_data(struct cursor *c, struct pdu_decoded *out, bool compressed,
			  struct errbuf *err)
{
	uint8_t udl;

	if (cur_u8(c, &udl, "TP-UDL", err) < 0)
		return -1;
	if (out->udhi && udl == 0)
		return errbuf_set(err, "TP-UDHI is set but TP-UDL is 0: expected a user data header");
	bool septets = !compressed &&
		(out->coding == PDU_CODING_7BIT || out->coding == PDU_CODING_RESERVED);
	int rc = septets ? read_ud_septets(c, out, udl, err) : read_ud_octets(c, out, udl, err);
	if (rc == 0 && out->udhi && !septets && out->ud[0] + 1u > out->udl)
		return errbuf_set(err, "TP-UDH is %u octets but TP-UD holds only %zu",
				  out->ud[0] + 1u, out->udl);
	return rc;
}

static int read_dcs(struct cursor *c, struct pdu_decoded *out, bool *compressed,
		    struct errbuf *err)
{
	if (cur_u8(c, &out->dcs, "TP-DCS", err) < 0)
		return -1;
	struct dcs_info d = dcs_parse(out->dcs);
	out->coding = d.coding;
	out->msg_class = d.msg_class;
	*compressed = d.compressed;
	return 0;
}

static int decode_submit(struct cursor *c, struct pdu_decoded *out, struct errbuf *err)
{
	bool compressed;

	out->vpf = (out->first_octet >> 3) & 0x3;
	out->srr = (out->first_octet & 0x20) != 0;
	if (cur_u8(c, &out->mr, "TP-MR", err) < 0 ||
	    read_tp_addr(c, "TP-DA", out->addr, &out->addr_toa, err) < 0 ||
	    cur_u8(c, &out->pid, "TP-PID", err) < 0 ||
	    read_dcs(c, out, &compressed, err) < 0 ||
	    read_vp(c, out, err) < 0)
		return -1;
	return read_user_data(c, out, compressed, err);
}

static int decode_deliver(struct cursor *c, struct pdu_decoded *out, struct errbuf *err)
{
	bool compressed;

	if (read_tp_addr(c, "TP-OA", out->addr, &out->addr_toa, err) < 0 ||
	    cur_u8(c, &out->pid, "TP-PID", err) < 0 ||
	    read_dcs(c, out, &compressed, err) < 0 ||
	    read_timestamp(c, "TP-SCTS", out->scts, err) < 0)
		return -1;
	return read_user_data(c, out, compressed, err);
}

/* The optional tail of a status report: TP-PI (possibly extended, bit 7),
 * then TP-PID, TP-DCS, TP-UDL/UD as the PI bits announce. */
static int decode_status_tail(struct cursor *c, struct pdu_decoded *out, struct errbuf *err)
{
	uint8_t pi, ext;
	bool compressed = false;

	if (cur_left(c) == 0)
		return 0;
	if (cur_u8(c, &pi, "TP-PI", err) < 0)
		return -1;
	out->pi = pi;
	/* Extension octets (bit 7) carry nothing we use: skip them. */
	for (ext = pi; ext & 0x80;) {
		if (cur_u8(c, &ext, "TP-PI extension", err) < 0)
			return -1;
	}
	if ((pi & 0x01) && cur_u8(c, &out->pid, "TP-PID", err) < 0)
		return -1;
	if ((pi & 0x02) && read_dcs(c, out, &compressed, err) < 0)
		return -1;
	if (pi & 0x04)
		return read_user_data(c, out, compressed, err);
	return 0;
}

static int decode_status_report(struct cursor *c, struct pdu_decoded *out, struct errbuf *err)
{
	out->srr = (out->first_octet & 0x20) != 0;      /* TP-SRQ */
	if (cur_u8(c, &out->mr, "TP-MR", err) < 0 ||
	    read_tp_addr(c, "TP-RA", out->addr, &out->addr_toa, err) < 0 ||
	    read_timestamp(c, "TP-SCTS", out->scts, err) < 0 ||
	    read_timestamp(c, "TP-DT", out->dt, err) < 0 ||
	    cur_u8(c, &out->st, "TP-ST", err) < 0)
		return -1;
	return decode_status_tail(c, out, err);
}

/* Checks the hex text and turns it into octets, with a reason that points
 * at the first offending character. */
static long decode_hex_input(const char *hex, uint8_t *buf, size_t cap, struct errbuf *err)
{
	size_t len = strlen(hex);

	if (len == 0)
		return errbuf_set(err, "empty PDU: expected hex digits");
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)hex[i];
		if (hex_nibble((char)ch) >= 0)
			continue;
		if (ch > 0x20 && ch < 0x7F)
			return errbuf_set(err, "'%c' at position %zu is not a hex digit", ch, i + 1);
		return errbuf_set(err, "byte 0x%02X at position %zu is not a hex digit", ch, i + 1);
	}
	if (len % 2 != 0)
		return errbuf_set(err, "odd number of hex digits (%zu): a PDU is whole octets", len);
	if (len / 2 > cap)
		return errbuf_set(err, "PDU is %zu octets: at most %zu expected", len / 2, cap);
	return hex_decode(hex, len, buf, cap);
}

int pdu_decode(const char *hex, bool with_smsc, struct pdu_decoded *out, struct errbuf *err)
{
	uint8_t buf[PDU_OCTETS_MAX];
	int rc;

	memset(out, 0, sizeof *out);
	out->msg_class = -1;
	if (!hex)
		return errbuf_set(err, "no PDU given");
	long n = decode_hex_input(hex, buf, sizeof buf, err);
	if (n < 0)
		return -1;
	struct cursor c = { .b = buf, .n = (size_t)n, .pos = 0 };
	if (with_smsc && read_smsc(&c, out->smsc, err) < 0)
		return -1;
	if (cur_u8(&c, &out->first_octet, "first octet", err) < 0)
		return -1;
	out->udhi = (out->first_octet & 0x40) != 0;
	switch (out->first_octet & 0x03) {
	case 0x00:
		out->type = PDU_TYPE_DELIVER;
		rc = decode_deliver(&c, out, err);
		break;
	case 0x01:
		out->type = PDU_TYPE_SUBMIT;
		rc = decode_submit(&c, out, err);
		break;
	case 0x02:
		out->type = PDU_TYPE_STATUS_REPORT;
		rc = decode_status_report(&c, out, err);
		break;
	default:
		return errbuf_set(err, "first octet 0x%02X has the reserved TP-MTI 11: expected "
				  "SMS-DELIVER (00), SMS-SUBMIT (01) or SMS-STATUS-REPORT (10)",
				  out->first_octet);
	}
	if (rc < 0)
		return -1;
	if (cur_left(&c) > 0)
		return errbuf_set(err, "%zu unexpected octet%s after the end of the %s at offset %zu",
				  cur_left(&c), cur_left(&c) == 1 ? "" : "s",
				  pdu_type_name(out->type), c.pos);
	return 0;
}
