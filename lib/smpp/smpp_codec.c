/* smpp_codec.c - SMPP PDUs <-> bytes through libsmpp34 (see smpp_codec.h). */
#include "smpp_codec.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include <smpp34.h>
#include <smpp34_heap.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

/* libsmpp34 writes smpp34_errno and smpp34_strerror on every call. */
static pthread_mutex_t codec_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- libsmpp34's allocations during an unpack ----
 * A malformed TLV makes smpp34_unpack fail with the node it allocated for
 * it not linked into the list: a broken SMSC would leak a kilobyte per PDU.
 * While an unpack runs (under codec_lock) every allocation libsmpp34 makes
 * is noted; what the returned list does not free is freed afterwards. */
#define TRACKED_MAX 64
static void *tracked[TRACKED_MAX];
static size_t tracked_count;
static bool tracking;

static void track(void *p)
{
	if (tracking && p && tracked_count < TRACKED_MAX)
		tracked[tracked_count++] = p;
}

static void untrack(void *p)
{
	for (size_t i = 0; i < tracked_count; i++) {
		if (tracked[i] == p) {
			tracked[i] = tracked[--tracked_count];
			return;
		}
	}
}

static void *tracked_malloc(size_t n)
{
	void *p = malloc(n);
	track(p);
	return p;
}

static void *tracked_realloc(void *old, size_t n)
{
	bool was = tracking && old;
	untrack(old);
	void *p = realloc(old, n);
	track(p ? p : was ? old : NULL);
	return p;
}

static void tracked_free(void *p)
{
	untrack(p);
	free(p);
}

static pthread_once_t heap_once = PTHREAD_ONCE_INIT;

static void heap_init(void)
{
	static const struct smpp34_memory_functions fns = {
		.malloc_fun = tracked_malloc,
		.realloc_fun = tracked_realloc,
		.free_fun = tracked_free,
	};
	smpp34_set_memory_functions(&fns);
}

/* Frees what libsmpp34 allocated since tracking began and still holds
 * (call after destroying the lists it returned). */
static void free_untracked_leftovers(void)
{
	while (tracked_count > 0)
		free(tracked[--tracked_count]);
	tracking = false;
}

static const struct { uint32_t id; const char *name; } command_names[] = {
	{ (uint32_t)SMPP_GENERIC_NACK, "generic_nack" },
	{ SMPP_BIND_RECEIVER, "bind_receiver" },
	{ (uint32_t)SMPP_BIND_RECEIVER_RESP, "bind_receiver_resp" },
	{ SMPP_BIND_TRANSMITTER, "bind_transmitter" },
	{ (uint32_t)SMPP_BIND_TRANSMITTER_RESP, "bind_transmitter_resp" },
	{ SMPP_SUBMIT_SM, "submit_sm" },
	{ (uint32_t)SMPP_SUBMIT_SM_RESP, "submit_sm_resp" },
	{ SMPP_DELIVER_SM, "deliver_sm" },
	{ (uint32_t)SMPP_DELIVER_SM_RESP, "deliver_sm_resp" },
	{ SMPP_UNBIND, "unbind" },
	{ (uint32_t)SMPP_UNBIND_RESP, "unbind_resp" },
	{ SMPP_BIND_TRANSCEIVER, "bind_transceiver" },
	{ (uint32_t)SMPP_BIND_TRANSCEIVER_RESP, "bind_transceiver_resp" },
	{ SMPP_ENQUIRE_LINK, "enquire_link" },
	{ (uint32_t)SMPP_ENQUIRE_LINK_RESP, "enquire_link_resp" },
};

const char *smpp_command_name(uint32_t command_id, char *buf, size_t cap)
{
	for (size_t i = 0; i < sizeof command_names / sizeof command_names[0]; i++) {
		if (command_names[i].id == command_id)
			return command_names[i].name;
	}
	snprintf(buf, cap, "command 0x%08x", command_id);
	return buf;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

long smpp_frame_length(const uint8_t *buf, size_t n)
{
	if (n < 4)
		return 0;
	uint32_t len = be32(buf);
	if (len < SMPP_HEADER_LEN || len > SMPP_PDU_MAX)
		return -1;
	return n >= len ? (long)len : 0;
}

/* Copies a C-octet string field, refusing one that does not fit. */
static int put_cstr(uint8_t *dst, size_t cap, const char *src, const char *field,
		    struct errbuf *err)
{
	size_t n = strlen(src);
	if (n >= cap)
		return errbuf_set(err, "SMPP %s is %zu characters long (at most %zu)", field, n,
				  cap - 1);
	memcpy(dst, src, n + 1);
	return 0;
}

static void get_cstr(char *dst, size_t cap, const uint8_t *src, size_t srccap)
{
	size_t n = strnlen((const char *)src, srccap);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- encoding, one function per body shape ---- */

#define SET_HEADER(s, p) do { \
		(s).command_length = 0; \
		(s).command_id = (p)->command_id; \
		(s).command_status = (p)->command_status; \
		(s).sequence_number = (p)->sequence; \
	} while (0)

static int pack(uint32_t type, void *pdu, uint8_t *out, size_t cap, long *len,
		struct errbuf *err)
{
	int n = 0;
	if (smpp34_pack(type, out, (int)cap, &n, pdu) != 0) {
		char name[32];
		return errbuf_set(err, "cannot pack %s: %.200s", smpp_command_name(type, name,
				  sizeof name), smpp34_strerror);
	}
	*len = n;
	return 0;
}

static int encode_bind(const struct smpp_pdu *p, uint8_t *out, size_t cap, long *len,
		       struct errbuf *err)
{
	/* The three bind requests have the same body (§4.1). */
	bind_transceiver_t b;
	memset(&b, 0, sizeof b);
	SET_HEADER(b, p);
	b.interface_version = 0x34;
	int rc = put_cstr(b.system_id, sizeof b.system_id, p->bind.system_id, "system_id", err);
	if (rc == 0)
		rc = put_cstr(b.password, sizeof b.password, p->bind.password, "password", err);
	if (rc == 0)
		rc = put_cstr(b.system_type, sizeof b.system_type, p->bind.system_type,
			      "system_type", err);
	if (rc == 0)
		rc = pack(p->command_id, &b, out, cap, len, err);
	explicit_bzero(&b, sizeof b);
	return rc;
}

static int encode_bind_resp(const struct smpp_pdu *p, uint8_t *out, size_t cap, long *len,
			    struct errbuf *err)
{
	bind_transceiver_resp_t r;
	memset(&r, 0, sizeof r);
	SET_HEADER(r, p);
	if (put_cstr(r.system_id, sizeof r.system_id, p->system_id, "system_id", err) < 0)
		return -1;
	return pack(p->command_id, &r, out, cap, len, err);
}

static int encode_submit_resp(const struct smpp_pdu *p, uint8_t *out, size_t cap, long *len,
			      struct errbuf *err)
{
	submit_sm_resp_t r;
	memset(&r, 0, sizeof r);
	SET_HEADER(r, p);
	if (put_cstr(r.message_id, sizeof r.message_id, p->message_id, "message_id", err) < 0)
		return -1;
	return pack(p->command_id, &r, out, cap, len, err);
}

/* A TLV appended to list (libsmpp34 copies it). */
static int add_tlv(tlv_t **list, uint16_t tag, const void *value, uint16_t n, struct errbuf *err)
{
	tlv_t t;
	memset(&t, 0, sizeof t);
	t.tag = tag;
	t.length = n;
	memcpy(t.value.octet, value, n);
	if (build_tlv(list, &t) != 0)
		return errbuf_set(err, "cannot add TLV 0x%04x", tag);
	return 0;
}

/* submit_sm and deliver_sm have the same body (§4.4.1, §4.6.1) apart from
 * the two times, which a deliver_sm leaves empty. */
#define FILL_MESSAGE(s, m, rc, err) do { \
		(s).source_addr_ton = (m)->source_ton; \
		(s).source_addr_npi = (m)->source_npi; \
		(s).dest_addr_ton = (m)->dest_ton; \
		(s).dest_addr_npi = (m)->dest_npi; \
		(s).esm_class = (m)->esm_class; \
		(s).protocol_id = (m)->protocol_id; \
		(s).registered_delivery = (m)->registered_delivery; \
		(s).data_coding = (m)->data_coding; \
		(s).sm_length = (uint8_t)(m)->sm_len; \
		memcpy((s).short_message, (m)->sm, (m)->sm_len); \
		rc = put_cstr((s).source_addr, sizeof (s).source_addr, (m)->source_addr, \
			      "source_addr", err); \
		if (rc == 0) \
			rc = put_cstr((s).destination_addr, sizeof (s).destination_addr, \
				      (m)->dest_addr, "destination_addr", err); \
	} while (0)

/* Returns 0, or -1 when the short_message is longer than sm_length allows. */
static int check_sm_len(const struct smpp_message *m, struct errbuf *err)
{
	if (m->sm_len <= SMPP_SM_MAX)
		return 0;
	return errbuf_set(err, "short_message of %zu octets (at most %d)", m->sm_len, SMPP_SM_MAX);
}

static int encode_submit(const struct smpp_pdu *p, uint8_t *out, size_t cap, long *len,
			 struct errbuf *err)
{
	const struct smpp_message *m = &p->msg;
	submit_sm_t s;
	int rc;
	if (check_sm_len(m, err) < 0)
		return -1;
	memset(&s, 0, sizeof s);
	SET_HEADER(s, p);
	FILL_MESSAGE(s, m, rc, err);
	if (rc == 0)
		rc = put_cstr(s.validity_period, sizeof s.validity_period, m->validity_period,
			      "validity_period", err);
	return rc < 0 ? -1 : pack(p->command_id, &s, out, cap, len, err);
}

static int encode_deliver(const struct smpp_pdu *p, uint8_t *out, size_t cap, long *len,
			  struct errbuf *err)
{
	const struct smpp_message *m = &p->msg;
	deliver_sm_t d;
	int rc;
	if (check_sm_len(m, err) < 0)
		return -1;
	memset(&d, 0, sizeof d);
	SET_HEADER(d, p);
	FILL_MESSAGE(d, m, rc, err);
	if (rc == 0 && m->receipted_message_id[0])
		rc = add_tlv(&d.tlv, TLVID_receipted_message_id, m->receipted_message_id,
			     (uint16_t)(strlen(m->receipted_message_id) + 1), err);
	if (rc == 0 && m->message_state >= 0) {
		uint8_t state = (uint8_t)m->message_state;
		rc = add_tlv(&d.tlv, TLVID_message_state, &state, 1, err);
	}
	if (rc == 0)
		rc = pack(p->command_id, &d, out, cap, len, err);
	destroy_tlv(d.tlv);
	return rc;
}

static int encode_header_only(const struct smpp_pdu *p, uint8_t *out, size_t cap, long *len,
			      struct errbuf *err)
{
	/* enquire_link(_resp), unbind(_resp), generic_nack, deliver_sm_resp
	 * (whose message_id is empty): a header, or a header and one NUL. */
	if (p->command_id == (uint32_t)SMPP_DELIVER_SM_RESP) {
		deliver_sm_resp_t r;
		memset(&r, 0, sizeof r);
		SET_HEADER(r, p);
		return pack(p->command_id, &r, out, cap, len, err);
	}
	enquire_link_t h;
	memset(&h, 0, sizeof h);
	SET_HEADER(h, p);
	return pack(p->command_id, &h, out, cap, len, err);
}

static int encode_locked(const struct smpp_pdu *p, uint8_t *out, size_t cap, long *len,
			 struct errbuf *err)
{
	switch (p->command_id) {
	case SMPP_BIND_RECEIVER:
	case SMPP_BIND_TRANSMITTER:
	case SMPP_BIND_TRANSCEIVER:
		return encode_bind(p, out, cap, len, err);
	case (uint32_t)SMPP_BIND_RECEIVER_RESP:
	case (uint32_t)SMPP_BIND_TRANSMITTER_RESP:
	case (uint32_t)SMPP_BIND_TRANSCEIVER_RESP:
		return encode_bind_resp(p, out, cap, len, err);
	case SMPP_SUBMIT_SM:
		return encode_submit(p, out, cap, len, err);
	case (uint32_t)SMPP_SUBMIT_SM_RESP:
		return encode_submit_resp(p, out, cap, len, err);
	case SMPP_DELIVER_SM:
		return encode_deliver(p, out, cap, len, err);
	case (uint32_t)SMPP_DELIVER_SM_RESP:
	case SMPP_ENQUIRE_LINK:
	case (uint32_t)SMPP_ENQUIRE_LINK_RESP:
	case SMPP_UNBIND:
	case (uint32_t)SMPP_UNBIND_RESP:
	case (uint32_t)SMPP_GENERIC_NACK:
		return encode_header_only(p, out, cap, len, err);
	default:
		return errbuf_set(err, "cannot encode SMPP command 0x%08x", p->command_id);
	}
}

long smpp_encode(const struct smpp_pdu *p, uint8_t *out, size_t cap, struct errbuf *err)
{
	long len = -1;
	pthread_once(&heap_once, heap_init);
	pthread_mutex_lock(&codec_lock);
	int rc = encode_locked(p, out, cap, &len, err);
	pthread_mutex_unlock(&codec_lock);
	return rc < 0 ? -1 : len;
}

/* ---- decoding ---- */

static void take_message_tlvs(tlv_t *list, struct smpp_message *m)
{
	tlv_t *t;
	smpp34_tlv_for_each(t, list) {
		if (t->tag == TLVID_receipted_message_id)
			get_cstr(m->receipted_message_id, sizeof m->receipted_message_id,
				 t->value.octet, t->length < sizeof t->value.octet
				 ? t->length : sizeof t->value.octet);
		else if (t->tag == TLVID_message_state)
			m->message_state = t->value.val08;
	}
}

#define TAKE_MESSAGE(s, m) do { \
		(m)->source_ton = (s).source_addr_ton; \
		(m)->source_npi = (s).source_addr_npi; \
		get_cstr((m)->source_addr, sizeof (m)->source_addr, (s).source_addr, \
			 sizeof (s).source_addr); \
		(m)->dest_ton = (s).dest_addr_ton; \
		(m)->dest_npi = (s).dest_addr_npi; \
		get_cstr((m)->dest_addr, sizeof (m)->dest_addr, (s).destination_addr, \
			 sizeof (s).destination_addr); \
		(m)->esm_class = (s).esm_class; \
		(m)->protocol_id = (s).protocol_id; \
		(m)->registered_delivery = (s).registered_delivery; \
		(m)->data_coding = (s).data_coding; \
		(m)->sm_len = (s).sm_length <= SMPP_SM_MAX ? (s).sm_length : SMPP_SM_MAX; \
		memcpy((m)->sm, (s).short_message, (m)->sm_len); \
	} while (0)

/* One big enough for any PDU body libsmpp34 unpacks for us. */
union any_pdu {
	bind_transceiver_t bind;
	bind_transceiver_resp_t bind_resp;
	submit_sm_t submit;
	submit_sm_resp_t submit_resp;
	deliver_sm_t deliver;
	enquire_link_t header;
};

static int unpack(uint32_t type, union any_pdu *u, const uint8_t *buf, size_t len,
		  struct errbuf *err)
{
	memset(u, 0, sizeof *u);
	tracking = true;
	tracked_count = 0;
	if (smpp34_unpack(type, u, buf, (int)len) != 0) {
		char name[32];
		return errbuf_set(err, "malformed %s: %.200s", smpp_command_name(type, name,
				  sizeof name), smpp34_strerror);
	}
	return 0;
}

static int decode_body(uint32_t id, union any_pdu *u, const uint8_t *buf, size_t len,
		       struct smpp_pdu *out, struct errbuf *err)
{
	int rc;
	switch (id) {
	case SMPP_BIND_RECEIVER:
	case SMPP_BIND_TRANSMITTER:
	case SMPP_BIND_TRANSCEIVER:
		if (unpack(id, u, buf, len, err) < 0)
			return -1;
		get_cstr(out->bind.system_id, sizeof out->bind.system_id, u->bind.system_id,
			 sizeof u->bind.system_id);
		get_cstr(out->bind.password, sizeof out->bind.password, u->bind.password,
			 sizeof u->bind.password);
		get_cstr(out->bind.system_type, sizeof out->bind.system_type, u->bind.system_type,
			 sizeof u->bind.system_type);
		explicit_bzero(u, sizeof *u);
		return 0;
	case (uint32_t)SMPP_BIND_RECEIVER_RESP:
	case (uint32_t)SMPP_BIND_TRANSMITTER_RESP:
	case (uint32_t)SMPP_BIND_TRANSCEIVER_RESP:
		/* An error response may have no body at all (§4.1.6). */
		if (len == SMPP_HEADER_LEN)
			return 0;
		/* A failed unpack may leave the TLVs it built: freed either way. */
		rc = unpack(id, u, buf, len, err);
		get_cstr(out->system_id, sizeof out->system_id, u->bind_resp.system_id,
			 sizeof u->bind_resp.system_id);
		destroy_tlv(u->bind_resp.tlv);
		return rc;
	case (uint32_t)SMPP_SUBMIT_SM_RESP:
		if (len == SMPP_HEADER_LEN)
			return 0;
		if (unpack(id, u, buf, len, err) < 0)
			return -1;
		get_cstr(out->message_id, sizeof out->message_id, u->submit_resp.message_id,
			 sizeof u->submit_resp.message_id);
		return 0;
	case SMPP_SUBMIT_SM:
		rc = unpack(id, u, buf, len, err);
		TAKE_MESSAGE(u->submit, &out->msg);
		get_cstr(out->msg.validity_period, sizeof out->msg.validity_period,
			 u->submit.validity_period, sizeof u->submit.validity_period);
		destroy_tlv(u->submit.tlv);
		return rc;
	case SMPP_DELIVER_SM:
		rc = unpack(id, u, buf, len, err);
		TAKE_MESSAGE(u->deliver, &out->msg);
		if (rc == 0)
			take_message_tlvs(u->deliver.tlv, &out->msg);
		destroy_tlv(u->deliver.tlv);
		return rc;
	default:
		return 0;       /* header-only PDUs, or one we answer by its header */
	}
}

int smpp_decode(const uint8_t *buf, size_t len, struct smpp_pdu *out, struct errbuf *err)
{
	memset(out, 0, sizeof *out);
	out->msg.message_state = -1;
	if (len < SMPP_HEADER_LEN || be32(buf) != len)
		return errbuf_set(err, "SMPP PDU of %zu bytes whose header says %u", len,
				  len >= 4 ? be32(buf) : 0);
	out->command_id = be32(buf + 4);
	out->command_status = be32(buf + 8);
	out->sequence = be32(buf + 12);
	/* Static: a deliver_sm's TLV value buffers make it large. */
	static union any_pdu u;        /* under codec_lock */
	pthread_once(&heap_once, heap_init);
	pthread_mutex_lock(&codec_lock);
	int rc = decode_body(out->command_id, &u, buf, len, out, err);
	free_untracked_leftovers();    /* the lists were destroyed in decode_body */
	pthread_mutex_unlock(&codec_lock);
	return rc;
}

/* ---- trace ---- */

/* The offset just past the C-octet string at pos (len when unterminated). */
static size_t skip_cstr(const uint8_t *pdu, size_t len, size_t pos)
{
	const uint8_t *nul = pos < len ? memchr(pdu + pos, 0, len - pos) : NULL;
	return nul ? (size_t)(nul - pdu) + 1 : len;
}

/* Where the secret of a PDU lies, to be masked in the trace: a bind's
 * password (after the system_id), a submit_sm's short_message (an OTAP
 * body carries PWD, HTTPPWD, NETPWD) and a deliver_sm's (a receipt's
 * "text:" quotes the first characters of the body). Returns false for
 * other PDUs. */
static bool secret_span(const uint8_t *pdu, size_t len, size_t *from, size_t *to)
{
	uint32_t id = be32(pdu + 4);
	size_t pos = SMPP_HEADER_LEN;
	if (id == SMPP_BIND_RECEIVER || id == SMPP_BIND_TRANSMITTER || id == SMPP_BIND_TRANSCEIVER) {
		*from = skip_cstr(pdu, len, pos);
		*to = skip_cstr(pdu, len, *from);
		*to -= *to > *from && *to <= len && pdu[*to - 1] == 0;
		return true;
	}
	if (id != SMPP_SUBMIT_SM && id != SMPP_DELIVER_SM)
		return false;
	/* The same layout for both (§4.4.1, §4.6.1): service_type, source
	 * TON/NPI/address, destination TON/NPI/address,
	 * esm_class, protocol_id, priority_flag, the two times, then four
	 * octets and sm_length (§4.4.1). */
	pos = skip_cstr(pdu, len, pos) + 2;
	pos = skip_cstr(pdu, len, pos) + 2;
	pos = skip_cstr(pdu, len, pos) + 3;
	pos = skip_cstr(pdu, len, pos);
	pos = skip_cstr(pdu, len, pos) + 4;
	*from = pos + 1 < len ? pos + 1 : len;
	*to = pos < len && *from + pdu[pos] <= len ? *from + pdu[pos] : len;
	return true;
}

void smpp_trace(const uint8_t *pdu, size_t len, char *out, size_t cap)
{
	char name[32];
	size_t from = 0, to = 0;
	if (cap == 0)
		return;
	out[0] = '\0';
	if (len < SMPP_HEADER_LEN) {
		snprintf(out, cap, "(%zu bytes, not a PDU)", len);
		return;
	}
	bool masked = secret_span(pdu, len, &from, &to);
	int n = snprintf(out, cap, "%s seq %u status 0x%x:", smpp_command_name(be32(pdu + 4), name,
			 sizeof name), be32(pdu + 12), be32(pdu + 8));
	size_t used = n > 0 && (size_t)n < cap ? (size_t)n : cap - 1;
	for (size_t i = 0; i < len; i++) {
		if (used + 3 + 4 > cap) {
			snprintf(out + used, cap - used, "...");
			return;
		}
		uint8_t b = masked && i >= from && i < to ? '*' : pdu[i];
		used += (size_t)snprintf(out + used, cap - used, "%s%02X", i % 4 ? "" : " ", b);
	}
}
