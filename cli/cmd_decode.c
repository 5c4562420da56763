/* cmd_decode.c - `otapctl decode`: prints the fields of an SMS PDU given as
 * hex (what the modem was sent, or a +CMGR/+CDS line). Needs no config and
 * no database, so it works on any machine an operator pastes a PDU into. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "pdu.h"

static const char decode_usage[] =
	"usage: otapctl decode [--no-smsc] [--show-secrets] HEX...\n"
	"\n"
	"Decodes an SMS-SUBMIT, SMS-DELIVER or SMS-STATUS-REPORT PDU and prints\n"
	"one \"key: value\" line per field. Several HEX arguments are joined, so a\n"
	"PDU split over lines can be pasted as is.\n"
	"\n"
	"  --no-smsc        the hex starts with the first TPDU octet (no SMSC field)\n"
	"  --show-secrets   print PWD/HTTPPWD/NETPWD values of OTAP bodies (masked by default)\n"
	"  -h, --help       show this help\n"
	"\n"
	"Exit status: 0 decoded, 2 bad usage or malformed PDU.\n";

struct decode_opts {
	bool with_smsc;
	bool show_secrets;
	char *hex;              /* joined positional arguments, malloc'd */
};

/* ------------------------------------------------------------ meanings */

static const char *ton_name(uint8_t toa)
{
	static const char *const names[] = {
		"unknown", "international", "national", "network specific",
		"subscriber", "alphanumeric", "abbreviated", "reserved",
	};
	return names[(toa >> 4) & 0x7];
}

static const char *pid_meaning(uint8_t pid)
{
	switch (pid) {
	case 0x00: return "plain short message";
	case 0x40: return "short message type 0";
	case 0x7D: return "ME data download";
	case 0x7F: return "SIM data download";
	default: return "other";
	}
}

static const char *coding_name(enum pdu_coding coding)
{
	switch (coding) {
	case PDU_CODING_7BIT: return "7-bit";
	case PDU_CODING_8BIT: return "8-bit";
	case PDU_CODING_UCS2: return "UCS2";
	case PDU_CODING_RESERVED: return "reserved";
	}
	return "?";
}

/* TP-ST values that have a name of their own (TS 23.040 9.2.3.15). */
static const char *status_detail(uint8_t st)
{
	switch (st & 0x1F) {
	case 0x00: return (st & 0x60) ? "congestion" : "received by the recipient";
	case 0x01: return (st & 0x60) ? "recipient busy" : "forwarded, delivery unconfirmed";
	case 0x02: return (st & 0x60) ? "no response from recipient" : "replaced by the SC";
	case 0x03: return (st & 0x60) ? "service rejected" : NULL;
	case 0x04: return (st & 0x60) ? "quality of service not available" : NULL;
	case 0x05: return (st & 0x60) ? "error in recipient" : NULL;
	default: return NULL;
	}
}

static const char *permanent_detail(uint8_t st)
{
	static const char *const names[] = {
		"remote procedure error", "incompatible destination",
		"connection rejected by recipient", "not obtainable",
		"quality of service not available", "no interworking available",
		"validity period expired", "deleted by originating SME",
		"deleted by SC administration", "SM does not exist",
	};
	return st - 0x40u < sizeof names / sizeof names[0] ? names[st - 0x40] : NULL;
}

/* Prints "0xNN (class: detail)" for a TP-ST; the class decides what the
 * daemon does with the job (spec §4). */
static void print_status(uint8_t st)
{
	const char *cls, *detail;

	if (st <= 0x1F) {
		/* Only 0x00 proves delivery; 0x01 is merely forwarded. */
		cls = st == 0x00 ? "delivered" : "completed";
		detail = status_detail(st);
	} else if (st <= 0x3F) {
		cls = "temporary error, SC still trying";
		detail = status_detail(st);
	} else if (st <= 0x5F) {
		cls = "permanent error";
		detail = permanent_detail(st);
	} else if (st <= 0x7F) {
		cls = "temporary error, SC stopped trying";
		detail = status_detail(st);
	} else {
		cls = "reserved";
		detail = NULL;
	}
	if (detail)
		printf("status: 0x%02X (%s: %s)\n", st, cls, detail);
	else
		printf("status: 0x%02X (%s)\n", st, cls);
}

/* Relative VP as a short duration: "5m", "12h30m", "2d", "5w". */
static void format_vp(uint8_t vp, char *out, size_t cap)
{
	/* At most 63 weeks = 635040 minutes: fits an int. */
	int min = (int)(pdu_vp_to_ms(vp) / 60000);

	if (vp >= 197)
		snprintf(out, cap, "%dw", min / (7 * 24 * 60));
	else if (vp >= 168)
		snprintf(out, cap, "%dd", min / (24 * 60));
	else if (min < 60)
		snprintf(out, cap, "%dm", min);
	else if (min % 60 == 0)
		snprintf(out, cap, "%dh", min / 60);
	else
		snprintf(out, cap, "%dh%dm", min / 60, min % 60);
}

static void print_vp(const struct pdu_decoded *d)
{
	char dur[32];

	switch (d->vpf) {
	case 2:
		format_vp(d->vp, dur, sizeof dur);
		printf("vp: 0x%02X (%s)\n", d->vp, dur);
		break;
	case 1:
		printf("vp: enhanced (7 octets, not decoded)\n");
		break;
	case 3:
		printf("vp: absolute (7 octets, not decoded)\n");
		break;
	default:
		printf("vp: none\n");
	}
}

/* --------------------------------------------------------------- body */

static void print_escaped(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = p[i];
		if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch == '\r')
			fputs("\\r", stdout);
		else if (ch == '\t')
			fputs("\\t", stdout);
		else if (ch == '\\')
			fputs("\\\\", stdout);
		else if (ch >= 0x20 && ch < 0x7F)
			putchar(ch);
		else
			printf("\\x%02X", ch);
	}
}

/* True when the line p[0..n) is "KEY:" for a keyword whose value is secret
 * (case-insensitive, after optional blanks: mask rather than guess what a
 * module's parser accepts). *keylen covers the blanks and "KEY:". */
static bool is_secret_line(const uint8_t *p, size_t n, size_t *keylen)
{
	static const char *const keys[] = { "PWD:", "HTTPPWD:", "NETPWD:" };
	size_t lead = 0;

	while (lead < n && (p[lead] == ' ' || p[lead] == '\t'))
		lead++;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		size_t k = strlen(keys[i]);
		if (n - lead >= k && strncasecmp((const char *)p + lead, keys[i], k) == 0) {
			*keylen = lead + k;
			return true;
		}
	}
	return false;
}

/* Length of the line starting at p[0..n), its terminator (LF, CRLF or a
 * lone CR) not included; *term gets the terminator's length. */
static size_t line_len(const uint8_t *p, size_t n, size_t *term)
{
	size_t i = 0;
	while (i < n && p[i] != '\n' && p[i] != '\r')
		i++;
	*term = i == n ? 0 : p[i] == '\r' && i + 1 < n && p[i + 1] == '\n' ? 2 : 1;
	return i;
}

/* Prints a body line by line with secret values masked, whatever the line
 * ends (LF, CRLF, CR): an operator pasting decode output into a ticket must
 * not leak the module password. */
static void print_masked(const uint8_t *p, size_t n)
{
	size_t start = 0;

	while (start < n) {
		size_t term, len = line_len(p + start, n - start, &term);
		size_t keylen;
		if (is_secret_line(p + start, len, &keylen)) {
			print_escaped(p + start, keylen);
			fputs("******", stdout);
			print_escaped(p + start + len, term);
		} else {
			print_escaped(p + start, len + term);
		}
		start += len + term;
	}
}

static void print_body(const struct pdu_decoded *d, bool show_secrets)
{
	fputs("body: ", stdout);
	/* Every body, not only those starting "OTAP_IMPNG\n": a CRLF body or a
	 * later part of a split message carries PWD just the same. */
	if (!show_secrets)
		print_masked(d->ud, d->udl);
	else
		print_escaped(d->ud, d->udl);
	putchar('\n');
}

/* -------------------------------------------------------------- fields */

static const char *addr_key(enum pdu_type type)
{
	switch (type) {
	case PDU_TYPE_SUBMIT: return "to";
	case PDU_TYPE_DELIVER: return "from";
	case PDU_TYPE_STATUS_REPORT: return "recipient";
	}
	return "addr";
}

static void print_address(const char *key, const char *addr)
{
	printf("%s: ", key);
	print_escaped((const uint8_t *)addr, strlen(addr));
	putchar('\n');
}

static void print_dcs(const struct pdu_decoded *d)
{
	if (d->msg_class >= 0)
		printf("dcs: 0x%02X (class %d, %s)\n", d->dcs, d->msg_class, coding_name(d->coding));
	else
		printf("dcs: 0x%02X (no class, %s)\n", d->dcs, coding_name(d->coding));
}

static void print_data_fields(const struct pdu_decoded *d, bool show_secrets)
{
	printf("pid: 0x%02X (%s)\n", d->pid, pid_meaning(d->pid));
	print_dcs(d);
	if (d->type == PDU_TYPE_SUBMIT)
		print_vp(d);
	if (d->type == PDU_TYPE_DELIVER)
		printf("scts: %s\n", d->scts);
	printf("udhi: %s\n", d->udhi ? "yes" : "no");
	printf("udl: %zu\n", d->udl);
	print_body(d, show_secrets);
}

/* A status report has PID/DCS/UD only when its TP-PI said so; print
 * what it carries. */
static void print_status_report(const struct pdu_decoded *d, bool show_secrets)
{
	printf("srq: %s\n", d->srr ? "yes" : "no");
	printf("scts: %s\n", d->scts);
	printf("dt: %s\n", d->dt);
	print_status(d->st);
	if (d->pi & 0x01)
		printf("pid: 0x%02X (%s)\n", d->pid, pid_meaning(d->pid));
	if (d->pi & 0x02)
		print_dcs(d);
	if (d->pi & 0x04) {
		printf("udl: %zu\n", d->udl);
		print_body(d, show_secrets);
	}
}

static void print_decoded(const struct pdu_decoded *d, const struct decode_opts *o)
{
	printf("type: %s\n", pdu_type_name(d->type));
	if (o->with_smsc)
		printf("smsc: %s\n", d->smsc[0] ? d->smsc : "(none: the SIM's SMSC)");
	printf("first_octet: 0x%02X\n", d->first_octet);
	if (d->type != PDU_TYPE_DELIVER)
		printf("mr: %u\n", d->mr);
	print_address(addr_key(d->type), d->addr);
	printf("toa: 0x%02X (%s)\n", d->addr_toa, ton_name(d->addr_toa));
	if (d->type == PDU_TYPE_SUBMIT)
		printf("srr: %s\n", d->srr ? "yes" : "no");
	if (d->type == PDU_TYPE_STATUS_REPORT)
		print_status_report(d, o->show_secrets);
	else
		print_data_fields(d, o->show_secrets);
}

/* ------------------------------------------------------------- options */

/* Joins the positional arguments; whitespace inside them is dropped so a
 * quoted multi-line paste works too. Returns NULL when out of memory. */
static char *join_hex(int argc, char **argv, const int *is_pos)
{
	size_t total = 1;
	for (int i = 1; i < argc; i++)
		if (is_pos[i])
			total += strlen(argv[i]);
	char *out = malloc(total), *w = out;
	if (!out)
		return NULL;
	for (int i = 1; i < argc; i++) {
		if (!is_pos[i])
			continue;
		for (const char *p = argv[i]; *p; p++)
			if (!isspace((unsigned char)*p))
				*w++ = *p;
	}
	*w = '\0';
	return out;
}

/* Returns EXIT_OK with opts filled, or prints the reason and returns EXIT_USAGE. */
static int parse_opts(int argc, char **argv, struct decode_opts *o)
{
	int *is_pos = calloc((size_t)argc + 1, sizeof *is_pos);
	int npos = 0;

	if (!is_pos)
		return cli_fail(EXIT_RUNTIME, "decode: out of memory");
	o->with_smsc = true;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-smsc") == 0) {
			o->with_smsc = false;
		} else if (strcmp(argv[i], "--show-secrets") == 0) {
			o->show_secrets = true;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			free(is_pos);
			return cli_fail(EXIT_USAGE, "decode: unknown option '%s' (see otapctl decode --help)",
					argv[i]);
		} else {
			is_pos[i] = 1;
			npos++;
		}
	}
	if (npos == 0) {
		free(is_pos);
		return cli_fail(EXIT_USAGE, "decode: expected a PDU as hex (see otapctl decode --help)");
	}
	o->hex = join_hex(argc, argv, is_pos);
	free(is_pos);
	if (!o->hex)
		return cli_fail(EXIT_RUNTIME, "decode: out of memory");
	return EXIT_OK;
}

/* A TPDU pasted without --no-smsc usually fails on a silly SMSC length:
 * say so when the other reading works. */
static const char *smsc_hint(const struct decode_opts *o)
{
	struct pdu_decoded alt;

	if (pdu_decode(o->hex, !o->with_smsc, &alt, NULL) < 0)
		return "";
	return o->with_smsc ? " (it decodes without an SMSC field: try --no-smsc)"
			    : " (it decodes with an SMSC field: try without --no-smsc)";
}

int cmd_decode(int argc, char **argv, struct cli_ctx *ctx)
{
	struct decode_opts o = { 0 };
	struct pdu_decoded d;
	struct errbuf err;

	(void)ctx;      /* no config, no database */
	if (cli_wants_help(argc, argv, decode_usage))
		return EXIT_OK;
	int rc = parse_opts(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;
	if (pdu_decode(o.hex, o.with_smsc, &d, &err) < 0) {
		rc = cli_fail(EXIT_USAGE, "decode: %s%s", err.msg, smsc_hint(&o));
		free(o.hex);
		return rc;
	}
	print_decoded(&d, &o);
	free(o.hex);
	return EXIT_OK;
}
