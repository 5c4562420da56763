/* smsc.c - otap-smsc, a small SMPP 3.4 SMSC for the tests and the bench:
 * accepts binds (transceiver, transmitter, receiver), answers submit_sm
 * with message ids, sends delivery receipts (receipted_message_id TLV,
 * "id:" text, or alternating), answers and sends enquire_link, and can
 * inject throttling (a rate limit), error statuses per destination, a
 * dropped connection and slow responses. Every answered submit_sm and
 * every other event is one JSON line in the record file, which the tests
 * read. PDUs through libsmpp34 (lib/smpp's codec), one poll() loop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "smpp_codec.h"
#include "smpp_receipt.h"

#define MAX_CONNS 32
#define MAX_RULES 8
#define BUF_MAX (1 << 20)

/* A receipt sent and not yet answered, to send again on an error. */
struct sent_receipt {
	int conn;
	uint32_t seq;
	struct smpp_pdu pdu;
};
#define MAX_SENT_RECEIPTS 4096

struct conn {
	int fd;                         /* -1 = free */
	unsigned gen;                   /* tells a reused slot from the old one */
	uint32_t bind_cmd;              /* 0 = not bound */
	uint8_t in[65536];
	size_t in_len;
	uint8_t *out;
	size_t out_len;
	uint32_t next_seq;
};

enum item_kind { ITEM_RESP, ITEM_RECEIPT };

/* Something due later: a delayed submit_sm_resp or a receipt. */
struct item {
	int64_t due;
	enum item_kind kind;
	int conn;
	unsigned gen;
	struct smpp_pdu pdu;            /* the PDU to send */
	char *record;                   /* ITEM_RESP: the submit's JSON line, written when sent */
	bool receipt;                   /* ITEM_RESP: a receipt follows the answer */
	char dest[SMPP_ADDR_MAX];       /* ITEM_RESP: the submit's destination */
	uint8_t dest_ton, dest_npi;
};

struct rule {
	char suffix[24];
	uint32_t status;                /* --error */
	char stat[8];                   /* --receipt-stat */
};

static struct {
	const char *record_path;
	FILE *record;
	char system_id[SMPP_SYSTEM_ID_MAX];
	char password[SMPP_PASSWORD_MAX];
	int64_t latency_ms;
	int max_rate;                   /* accepted submits per second, 0 = any */
	long drop_after;                /* close every connection after this many accepted */
	struct rule errors[MAX_RULES];
	size_t error_count;
	struct rule stats[MAX_RULES];
	size_t stat_count;
	const char *receipt_form;       /* tlv, text, alternate */
	int64_t receipt_delay_ms;
	int64_t enquire_ms;
	bool record_submits;
} opt = { .receipt_form = "alternate", .record_submits = true };

static struct conn conns[MAX_CONNS];
static struct item *items;
static size_t item_count, item_cap;
static long accepted, message_counter, receipts_sent;
static bool dropped;
static int64_t rate_window_start;
static int rate_window_count;
static volatile sig_atomic_t stop_flag;
static struct sent_receipt *sent_receipts;
static size_t sent_receipt_count;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("otap-smsc: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* ---- the record ---- */

__attribute__((format(printf, 1, 2)))
static void record_line(const char *fmt, ...)
{
	va_list ap;
	if (!opt.record)
		return;
	va_start(ap, fmt);
	vfprintf(opt.record, fmt, ap);
	va_end(ap);
	fputc('\n', opt.record);
	fflush(opt.record);
}

/* A JSON string of printable ASCII (addresses, ids): others as \u00XX. */
static void json_text(char *out, size_t cap, const char *s)
{
	size_t n = 0;
	for (; *s && n + 8 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c > 0x7E || c == '"' || c == '\\')
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

static char *submit_record(int ci, const struct smpp_pdu *p, uint32_t status, const char *id)
{
	const struct smpp_message *m = &p->msg;
	char hex[2 * SMPP_SM_MAX + 1], src[64], dst[64], vp[64], mid[200];
	for (size_t i = 0; i < m->sm_len; i++)
		snprintf(hex + 2 * i, 3, "%02X", m->sm[i]);
	hex[2 * m->sm_len] = '\0';
	json_text(src, sizeof src, m->source_addr);
	json_text(dst, sizeof dst, m->dest_addr);
	json_text(vp, sizeof vp, m->validity_period);
	json_text(mid, sizeof mid, id);
	size_t cap = 2048;
	char *line = malloc(cap);
	if (!line)
		die("out of memory");
	snprintf(line, cap, "{\"type\":\"submit\",\"conn\":%d,\"seq\":%u,\"status\":%u,"
		 "\"message_id\":\"%s\",\"source_addr\":\"%s\",\"source_ton\":%u,\"source_npi\":%u,"
		 "\"dest_addr\":\"%s\",\"dest_ton\":%u,\"dest_npi\":%u,\"esm_class\":%u,"
		 "\"protocol_id\":%u,\"data_coding\":%u,\"registered_delivery\":%u,"
		 "\"validity_period\":\"%s\",\"sm\":\"%s\",\"t_ms\":%lld}", ci, p->sequence, status,
		 mid, src, m->source_ton, m->source_npi, dst, m->dest_ton, m->dest_npi,
		 m->esm_class, m->protocol_id, m->data_coding, m->registered_delivery, vp, hex,
		 (long long)now_ms());
	return line;
}

/* ---- connections ---- */

static void queue_pdu(int ci, const struct smpp_pdu *p)
{
	struct conn *c = &conns[ci];
	struct errbuf err;
	if (c->out_len + SMPP_PDU_MAX > BUF_MAX)
		return;         /* the ESME does not read: it will time out */
	long n = smpp_encode(p, c->out + c->out_len, BUF_MAX - c->out_len, &err);
	if (n < 0)
		die("%s", err.msg);
	c->out_len += (size_t)n;
}

static void queue_header(int ci, uint32_t command, uint32_t status, uint32_t seq)
{
	struct smpp_pdu p = { .command_id = command, .command_status = status, .sequence = seq };
	queue_pdu(ci, &p);
}

static void close_conn(int ci)
{
	struct conn *c = &conns[ci];
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->gen++;
	c->bind_cmd = 0;
	c->in_len = c->out_len = 0;
}

static void add_item(const struct item *it)
{
	if (item_count == item_cap) {
		item_cap = item_cap ? item_cap * 2 : 256;
		items = realloc(items, item_cap * sizeof *items);
		if (!items)
			die("out of memory");
	}
	/* Keep the list ordered by due time (mostly appends). */
	size_t i = item_count;
	while (i > 0 && items[i - 1].due > it->due)
		i--;
	memmove(items + i + 1, items + i, (item_count - i) * sizeof *items);
	items[i] = *it;
	item_count++;
}

/* ---- receipts ---- */

static const char *stat_for(const char *dest)
{
	size_t dl = strlen(dest);
	for (size_t i = 0; i < opt.stat_count; i++) {
		size_t sl = strlen(opt.stats[i].suffix);
		if (dl >= sl && strcmp(dest + dl - sl, opt.stats[i].suffix) == 0)
			return opt.stats[i].stat;
	}
	return "DELIVRD";
}

static int state_of(const char *stat)
{
	for (int s = SMPP_STATE_ENROUTE; s <= SMPP_STATE_REJECTED; s++) {
		if (strcmp(smpp_state_stat(s), stat) == 0)
			return s;
	}
	return SMPP_STATE_UNKNOWN;
}

/* A receipt for message id to the ESME of system_id: on a receiver or
 * transceiver bind (the first one found when it is due). */
static void plan_receipt(const struct item *answer)
{
	const char *id = answer->pdu.message_id;
	struct item it = { .due = now_ms() + opt.receipt_delay_ms, .kind = ITEM_RECEIPT, .conn = -1 };
	struct smpp_message *m = &it.pdu.msg;
	const char *stat = stat_for(answer->dest);
	bool tlv = strcmp(opt.receipt_form, "tlv") == 0 ||
		   (strcmp(opt.receipt_form, "alternate") == 0 && receipts_sent % 2 == 0);
	receipts_sent++;
	it.pdu.command_id = SMPP_DELIVER_SM;
	m->esm_class = SMPP_ESM_RECEIPT;
	m->message_state = -1;
	snprintf(m->source_addr, sizeof m->source_addr, "%s", answer->dest);
	m->source_ton = answer->dest_ton;
	m->source_npi = answer->dest_npi;
	int n = snprintf((char *)m->sm, sizeof m->sm, "id:%s sub:001 dlvrd:%s submit date:2612072130 "
			 "done date:2612072131 stat:%s err:000 text:", tlv ? "(see TLV)" : id,
			 strcmp(stat, "DELIVRD") == 0 ? "001" : "000", stat);
	m->sm_len = n > 0 && (size_t)n < sizeof m->sm ? (size_t)n : 0;
	if (tlv) {
		/* The TLV form alone: the text carries no usable id. */
		snprintf(m->receipted_message_id, sizeof m->receipted_message_id, "%s", id);
		m->message_state = state_of(stat);
	}
	add_item(&it);
}

/* Sent receipts wait for their answer; one refused (ESME_RX_T_APPN, ...)
 * goes again 200 ms later, as an SMSC retries. */
static void receipt_sent(int ci, const struct smpp_pdu *p)
{
	if (sent_receipt_count == MAX_SENT_RECEIPTS)
		return;
	sent_receipts[sent_receipt_count++] = (struct sent_receipt){ .conn = ci,
		.seq = p->sequence, .pdu = *p };
}

static void receipt_answered(int ci, const struct smpp_pdu *resp)
{
	for (size_t i = 0; i < sent_receipt_count; i++) {
		struct sent_receipt *r = &sent_receipts[i];
		if (r->conn != ci || r->seq != resp->sequence)
			continue;
		if (resp->command_status != 0) {
			struct item it = { .due = now_ms() + 200, .kind = ITEM_RECEIPT, .conn = -1,
					   .pdu = r->pdu };
			add_item(&it);
		}
		*r = sent_receipts[--sent_receipt_count];
		return;
	}
}

static int receiver_conn(void)
{
	for (int i = 0; i < MAX_CONNS; i++) {
		if (conns[i].fd >= 0 && (conns[i].bind_cmd == SMPP_BIND_TRANSCEIVER ||
					 conns[i].bind_cmd == SMPP_BIND_RECEIVER))
			return i;
	}
	return -1;
}

/* ---- requests ---- */

static uint32_t error_for(const char *dest)
{
	size_t dl = strlen(dest);
	for (size_t i = 0; i < opt.error_count; i++) {
		size_t sl = strlen(opt.errors[i].suffix);
		if (dl >= sl && strcmp(dest + dl - sl, opt.errors[i].suffix) == 0)
			return opt.errors[i].status;
	}
	return 0;
}

/* Whether the rate limit lets one more submit through now. */
static bool within_rate(void)
{
	int64_t now = now_ms();
	if (opt.max_rate <= 0)
		return true;
	if (now - rate_window_start >= 1000) {
		rate_window_start = now;
		rate_window_count = 0;
	}
	return rate_window_count++ < opt.max_rate;
}

static void on_bind(int ci, const struct smpp_pdu *p)
{
	static const char *const names[] = { [1] = "receiver", [2] = "transmitter",
					     [9] = "transceiver" };
	uint32_t status = 0;
	if (strcmp(p->bind.system_id, opt.system_id) != 0)
		status = 0x0F;          /* ESME_RINVSYSID */
	else if (strcmp(p->bind.password, opt.password) != 0)
		status = 0x0E;          /* ESME_RINVPASWD */
	struct smpp_pdu r = { .command_id = p->command_id | 0x80000000u, .command_status = status,
			      .sequence = p->sequence };
	snprintf(r.system_id, sizeof r.system_id, "TESTSMSC");
	queue_pdu(ci, &r);
	if (status == 0)
		conns[ci].bind_cmd = p->command_id;
	record_line("{\"type\":\"bind\",\"conn\":%d,\"mode\":\"%s\",\"status\":%u}", ci,
		    names[p->command_id], status);
}

static void on_submit(int ci, const struct smpp_pdu *p)
{
	uint32_t status = 0;
	char id[SMPP_MSGID_MAX] = "";
	if (conns[ci].bind_cmd != SMPP_BIND_TRANSCEIVER && conns[ci].bind_cmd != SMPP_BIND_TRANSMITTER)
		status = 0x04;          /* ESME_RINVBNDSTS */
	else if ((status = error_for(p->msg.dest_addr)) == 0 && !within_rate())
		status = 0x58;          /* ESME_RTHROTTLED */
	if (status == 0)
		snprintf(id, sizeof id, "M%08lX", ++message_counter);
	struct item it = { .due = now_ms() + opt.latency_ms, .kind = ITEM_RESP, .conn = ci,
			   .gen = conns[ci].gen };
	it.pdu = (struct smpp_pdu){ .command_id = (uint32_t)SMPP_SUBMIT_SM_RESP,
				    .command_status = status, .sequence = p->sequence };
	snprintf(it.pdu.message_id, sizeof it.pdu.message_id, "%s", id);
	it.record = opt.record_submits || status != 0 ? submit_record(ci, p, status, id) : NULL;
	it.receipt = status == 0 && (p->msg.registered_delivery & 1);
	snprintf(it.dest, sizeof it.dest, "%s", p->msg.dest_addr);
	it.dest_ton = p->msg.dest_ton;
	it.dest_npi = p->msg.dest_npi;
	add_item(&it);
}

static void on_pdu(int ci, const struct smpp_pdu *p)
{
	switch (p->command_id) {
	case SMPP_BIND_TRANSCEIVER:
	case SMPP_BIND_TRANSMITTER:
	case SMPP_BIND_RECEIVER:
		on_bind(ci, p);
		break;
	case SMPP_SUBMIT_SM:
		on_submit(ci, p);
		break;
	case SMPP_ENQUIRE_LINK:
		queue_header(ci, (uint32_t)SMPP_ENQUIRE_LINK_RESP, 0, p->sequence);
		record_line("{\"type\":\"enquire_link\",\"conn\":%d}", ci);
		break;
	case (uint32_t)SMPP_ENQUIRE_LINK_RESP:
		record_line("{\"type\":\"enquire_link_resp\",\"conn\":%d}", ci);
		break;
	case (uint32_t)SMPP_DELIVER_SM_RESP:
		record_line("{\"type\":\"deliver_sm_resp\",\"conn\":%d,\"status\":%u}", ci,
			    p->command_status);
		receipt_answered(ci, p);
		break;
	case SMPP_UNBIND:
		queue_header(ci, (uint32_t)SMPP_UNBIND_RESP, 0, p->sequence);
		record_line("{\"type\":\"unbind\",\"conn\":%d}", ci);
		conns[ci].bind_cmd = 0;
		break;
	default:
		if (!smpp_is_response(p->command_id))
			queue_header(ci, (uint32_t)SMPP_GENERIC_NACK, 0x03, p->sequence);
		break;
	}
}

/* ---- the dropped connection ---- */

static void drop_everything(void)
{
	dropped = true;
	record_line("{\"type\":\"drop\",\"accepted\":%ld}", accepted);
	for (int i = 0; i < MAX_CONNS; i++) {
		if (conns[i].fd >= 0) {
			/* What was answered so far goes out; nothing else. */
			if (conns[i].out_len)
				(void)!write(conns[i].fd, conns[i].out, conns[i].out_len);
			close_conn(i);
		}
	}
	/* Unanswered submits were never accepted: their records go too. The
	 * receipts of accepted ones come on the next bind. */
	size_t kept = 0;
	for (size_t i = 0; i < item_count; i++) {
		if (items[i].kind == ITEM_RESP)
			free(items[i].record);
		else
			items[kept++] = items[i];
	}
	item_count = kept;
}

/* Sends one due item. Returns false when the connections were dropped. */
static bool run_item(struct item *it)
{
	int ci = it->kind == ITEM_RECEIPT ? receiver_conn() : it->conn;
	if (it->kind == ITEM_RECEIPT && ci < 0) {
		it->due += 100;         /* no receiver bound now: later */
		add_item(it);
		return true;
	}
	bool alive = ci >= 0 && conns[ci].fd >= 0 && (it->kind == ITEM_RECEIPT ||
						      conns[ci].gen == it->gen);
	if (alive) {
		if (it->kind == ITEM_RECEIPT) {
			it->pdu.sequence = conns[ci].next_seq++;
			receipt_sent(ci, &it->pdu);
		}
		queue_pdu(ci, &it->pdu);
		if (it->record)
			record_line("%s", it->record);
		if (it->kind == ITEM_RESP && it->pdu.command_status == 0)
			accepted++;
		if (it->kind == ITEM_RESP && it->receipt)
			plan_receipt(it);
	}
	free(it->record);
	if (alive && it->kind == ITEM_RESP && opt.drop_after > 0 && !dropped &&
	    accepted >= opt.drop_after) {
		drop_everything();
		return false;
	}
	return true;
}

/* Sends the items that are due, oldest first (an item may add another). */
static void run_items(int64_t now)
{
	while (item_count > 0 && items[0].due <= now) {
		struct item it = items[0];
		memmove(items, items + 1, (item_count - 1) * sizeof *items);
		item_count--;
		if (!run_item(&it))
			return;
	}
}

/* ---- I/O ---- */

static void read_conn(int ci)
{
	struct conn *c = &conns[ci];
	ssize_t n = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			close_conn(ci);
		return;
	}
	c->in_len += (size_t)n;
	long len;
	while ((len = smpp_frame_length(c->in, c->in_len)) > 0) {
		struct smpp_pdu p;
		struct errbuf err;
		if (smpp_decode(c->in, (size_t)len, &p, &err) == 0)
			on_pdu(ci, &p);
		else
			queue_header(ci, (uint32_t)SMPP_GENERIC_NACK, 0x02, p.sequence);
		memmove(c->in, c->in + len, c->in_len - (size_t)len);
		c->in_len -= (size_t)len;
		if (c->fd < 0)
			return;
	}
	if (len < 0)
		close_conn(ci);
}

static void write_conn(int ci)
{
	struct conn *c = &conns[ci];
	ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			close_conn(ci);
		return;
	}
	memmove(c->out, c->out + n, c->out_len - (size_t)n);
	c->out_len -= (size_t)n;
}

static void accept_conn(int lfd)
{
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	/* Answers are small and go one by one: Nagle would hold each back
	 * until the ESME acknowledged the previous one. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	for (int i = 0; i < MAX_CONNS; i++) {
		if (conns[i].fd < 0) {
			conns[i].fd = fd;
			conns[i].next_seq = 1;
			record_line("{\"type\":\"connect\",\"conn\":%d}", i);
			return;
		}
	}
	close(fd);
}

static int listen_on(const char *spec, const char *port_file)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	if (!colon || (size_t)(colon - spec) >= sizeof host)
		die("--listen HOST:PORT");
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1)) };
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		die("--listen: bad IPv4 address %s", host);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 16) < 0)
		die("cannot listen on %s: %s", spec, strerror(errno));
	socklen_t len = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &len);
	if (port_file) {
		char tmp[512];
		snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
		FILE *f = fopen(tmp, "w");
		if (!f || fprintf(f, "%u\n", ntohs(a.sin_port)) < 0 || fclose(f) != 0 ||
		    rename(tmp, port_file) != 0)
			die("cannot write %s", port_file);
	}
	return fd;
}

static void send_enquire_links(void)
{
	for (int i = 0; i < MAX_CONNS; i++) {
		if (conns[i].fd >= 0 && conns[i].bind_cmd)
			queue_header(i, SMPP_ENQUIRE_LINK, 0, conns[i].next_seq++);
	}
}

static void serve(int lfd)
{
	int64_t next_enquire = opt.enquire_ms > 0 ? now_ms() + opt.enquire_ms : INT64_MAX;
	while (!stop_flag) {
		struct pollfd pfd[MAX_CONNS + 1] = { { .fd = lfd, .events = POLLIN } };
		int map[MAX_CONNS + 1];
		nfds_t n = 1;
		for (int i = 0; i < MAX_CONNS; i++) {
			if (conns[i].fd < 0)
				continue;
			map[n] = i;
			pfd[n++] = (struct pollfd){ .fd = conns[i].fd,
				.events = (short)(POLLIN | (conns[i].out_len ? POLLOUT : 0)) };
		}
		int64_t now = now_ms();
		int64_t until = item_count ? items[0].due : INT64_MAX;
		if (next_enquire < until)
			until = next_enquire;
		int timeout = until == INT64_MAX ? 1000 : until <= now ? 0 : (int)(until - now);
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (pfd[0].revents & POLLIN)
			accept_conn(lfd);
		for (nfds_t k = 1; k < n; k++) {
			int ci = map[k];
			if (conns[ci].fd >= 0 && (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				read_conn(ci);
		}
		now = now_ms();
		if (now >= next_enquire) {
			send_enquire_links();
			next_enquire = now + opt.enquire_ms;
		}
		run_items(now);
		for (int i = 0; i < MAX_CONNS; i++) {
			if (conns[i].fd >= 0 && conns[i].out_len)
				write_conn(i);
		}
	}
}

/* ---- options ---- */

static void add_rule(struct rule *rules, size_t *count, const char *arg, bool is_status)
{
	const char *eq = strchr(arg, '=');
	if (!eq || *count == MAX_RULES || (size_t)(eq - arg) >= sizeof rules[0].suffix)
		die("expected SUFFIX=%s", is_status ? "STATUS" : "STAT");
	struct rule *r = &rules[(*count)++];
	memcpy(r->suffix, arg, (size_t)(eq - arg));
	if (is_status)
		r->status = (uint32_t)strtoul(eq + 1, NULL, 0);
	else
		snprintf(r->stat, sizeof r->stat, "%s", eq + 1);
}

static void read_password(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f || !fgets(opt.password, sizeof opt.password, f))
		die("cannot read %s", path);
	fclose(f);
	opt.password[strcspn(opt.password, "\n")] = '\0';
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "listen", required_argument, NULL, 'l' }, { "port-file", required_argument, NULL, 'p' },
		{ "record", required_argument, NULL, 'r' }, { "system-id", required_argument, NULL, 's' },
		{ "password-file", required_argument, NULL, 'w' },
		{ "latency", required_argument, NULL, 'L' }, { "max-rate", required_argument, NULL, 'R' },
		{ "drop-after", required_argument, NULL, 'D' }, { "error", required_argument, NULL, 'E' },
		{ "receipt-stat", required_argument, NULL, 'S' },
		{ "receipt-form", required_argument, NULL, 'F' },
		{ "receipt-delay", required_argument, NULL, 'd' },
		{ "enquire-link", required_argument, NULL, 'e' },
		{ "no-submit-records", no_argument, NULL, 'N' }, { NULL, 0, NULL, 0 },
	};
	const char *listen_spec = "127.0.0.1:0", *port_file = NULL;
	int c;
	snprintf(opt.system_id, sizeof opt.system_id, "otap");
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'l': listen_spec = optarg; break;
		case 'p': port_file = optarg; break;
		case 'r': opt.record_path = optarg; break;
		case 's': snprintf(opt.system_id, sizeof opt.system_id, "%s", optarg); break;
		case 'w': read_password(optarg); break;
		case 'L': opt.latency_ms = atoll(optarg); break;
		case 'R': opt.max_rate = atoi(optarg); break;
		case 'D': opt.drop_after = atol(optarg); break;
		case 'E': add_rule(opt.errors, &opt.error_count, optarg, true); break;
		case 'S': add_rule(opt.stats, &opt.stat_count, optarg, false); break;
		case 'F': opt.receipt_form = optarg; break;
		case 'd': opt.receipt_delay_ms = atoll(optarg); break;
		case 'e': opt.enquire_ms = atoll(optarg); break;
		case 'N': opt.record_submits = false; break;
		default: die("unknown option (see the comment at the top of tests/smsc/smsc.c)");
		}
	}
	if (opt.record_path && !(opt.record = fopen(opt.record_path, "a")))
		die("cannot open %s", opt.record_path);
	for (int i = 0; i < MAX_CONNS; i++) {
		conns[i].fd = -1;
		if (!(conns[i].out = malloc(BUF_MAX)))
			die("out of memory");
	}
	if (!(sent_receipts = calloc(MAX_SENT_RECEIPTS, sizeof *sent_receipts)))
		die("out of memory");
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	serve(listen_on(listen_spec, port_file));
	return 0;
}
