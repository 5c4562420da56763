/* notify_server.c - the notification listener: libmicrohttpd accepts,
 * reads, parses and times out connections on its one internal thread; this
 * file sets the limits, checks each request head, collects the body and
 * hands the request to lib/notify_route.c (see notify_server.h).
 */
#include "notify_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "clock.h"
#include "log.h"
#include "notify_artifacts.h"
#include "notify_route.h"
#include "store.h"

#define LISTEN_BACKLOG 128
/* libmicrohttpd keeps the read buffer, the parsed headers and the response
 * head of a connection in one pool of this size. It must hold a head of
 * NOTIFY_SERVER_HEAD_MAX with room to spare, so that the exact limit is
 * ours (431 with a reason) and the pool's is only the backstop. */
#define CONN_MEMORY_LIMIT (32 * 1024)
#define PEER_MAX 64
#define METHOD_MAX 16

struct notify_server {
	struct MHD_Daemon *mhd;
	struct store *q;
	struct notify_router router;
	/* Newest profiles and modems per request; NULL: the start's. Atomic:
	 * set by the main thread once libmicrohttpd's thread runs. */
	_Atomic(struct cfg_holder *) follow;
	char start_msg[256];            /* libmicrohttpd's last word while starting */
	atomic_bool starting;
};

/* One request whose head was accepted: its body so far. */
struct request {
	int64_t body_deadline;          /* monotonic ms */
	size_t body_len;
	bool body_too_large;
	uint8_t body[NOTIFY_SERVER_BODY_MAX];
};

/* ---- responses ---- */

/* Adds the headers every answer carries. */
static enum MHD_Result common_headers(struct MHD_Response *resp, const char *type)
{
	enum MHD_Result rc = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (rc == MHD_YES)
		rc = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	return rc;
}

static enum MHD_Result queue(struct MHD_Connection *conn, int status, struct MHD_Response *resp,
			     const char *type)
{
	if (!resp)
		return MHD_NO;
	enum MHD_Result rc = common_headers(resp, type);
	if (rc == MHD_YES)
		rc = MHD_queue_response(conn, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* Queues a one-line text/plain response. HEAD gets the headers only
 * (libmicrohttpd leaves the body out by itself). */
static enum MHD_Result respond(struct MHD_Connection *conn, int status, const char *allow,
			       const char *body)
{
	char text[sizeof ((struct notify_reply *)0)->body + 1];    /* a /healthz 503 says why */
	size_t len = strlen(body);
	if (len > sizeof text - 2)
		len = sizeof text - 2;
	memcpy(text, body, len);
	text[len++] = '\n';
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, text,
								    MHD_RESPMEM_MUST_COPY);
	if (resp && allow && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return queue(conn, status, resp, "text/plain");
}

/* A JAR being streamed: read from its file as libmicrohttpd sends, never
 * all in memory; what was handed over is reported when the response goes
 * (completed, or cut short by the unit). */
struct download {
	struct notify_server *server;
	struct notify_reply reply;
	int64_t sent;
};

static ssize_t read_download(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct download *d = cls;
	if ((int64_t)pos >= d->reply.file_size)
		return MHD_CONTENT_READER_END_OF_STREAM;
	ssize_t n = pread(d->reply.file_fd, buf, max, (off_t)pos);
	if (n <= 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if ((int64_t)pos + n > d->sent)
		d->sent = (int64_t)pos + n;
	return n;
}

static void end_download(void *cls)
{
	struct download *d = cls;
	notify_download_finished(&d->server->router, &d->reply, d->sent, clock_wall_ms());
	close(d->reply.file_fd);
	free(d);
}

static enum MHD_Result respond_file(struct notify_server *s, struct MHD_Connection *conn,
				    const struct notify_reply *reply)
{
	struct download *d = calloc(1, sizeof *d);
	if (!d) {
		close(reply->file_fd);
		return MHD_NO;
	}
	d->server = s;
	d->reply = *reply;
	/* Content-Length is the file's size; the callback owns d from here. */
	struct MHD_Response *resp = MHD_create_response_from_callback(
		(uint64_t)reply->file_size, 32 * 1024, read_download, d, end_download);
	if (!resp) {
		end_download(d);
		return MHD_NO;
	}
	return queue(conn, reply->status, resp, reply->content_type);
}

static enum MHD_Result respond_reply(struct notify_server *s, struct MHD_Connection *conn,
				     struct notify_reply *reply)
{
	if (reply->file_fd >= 0)
		return respond_file(s, conn, reply);
	if (!reply->content)
		return respond(conn, reply->status, reply->allow, reply->body);
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		reply->content_len, reply->content, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc = queue(conn, reply->status, resp, reply->content_type);
	notify_reply_free(reply);
	return rc;
}

/* ---- the request head ---- */

static void format_peer(struct MHD_Connection *conn, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *addr = info ? info->client_addr : NULL;
	if (addr && addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)addr)->sin_addr,
			  host, sizeof host);
	else if (addr && addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr,
			  host, sizeof host);
	snprintf(out, cap, "%s", host);
}

static bool is_token(const char *s)
{
	static const char tchars[] = "!#$%&'*+-.^_`|~0123456789"
				     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	return *s && strspn(s, tchars) == strlen(s);
}

/* Reduces an absolute-form target (http://host/path, which a server must
 * accept) to its path. Returns NULL when the target is neither form. */
static const char *origin_form(const char *target)
{
	if (target[0] == '/')
		return target;
	size_t scheme = strncasecmp(target, "http://", 7) == 0 ? 7
		      : strncasecmp(target, "https://", 8) == 0 ? 8 : 0;
	if (!scheme)
		return NULL;
	const char *path = strchr(target + scheme, '/');
	return path ? path : "/";
}

static enum MHD_Result add_field_size(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	size_t *total = cls;
	(void)kind;
	*total += strlen(key) + (value ? strlen(value) : 0) + 4;        /* ": " CRLF */
	return MHD_YES;
}

/* Content-Length headers after the first that disagree with it: where two
 * parsers (a proxy in front, and this one) could disagree about where the
 * body ends, the request is refused. */
struct length_scan {
	const char *first;
	bool conflict;
};

static enum MHD_Result scan_length(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct length_scan *ls = cls;
	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0 || !value)
		return MHD_YES;
	if (!ls->first)
		ls->first = value;
	else if (strcmp(ls->first, value) != 0)
		ls->conflict = true;
	return MHD_YES;
}

/* The size of the head as the client sent it, give or take white space. */
static size_t head_size(struct MHD_Connection *conn, const char *url, const char *method,
			const char *version)
{
	size_t total = strlen(method) + 1 + strlen(url) + 1 + strlen(version) + 2 + 2;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, add_field_size, &total);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_field_size, &total);
	return total;
}

/* Content-Length: digits only, at most NOTIFY_SERVER_BODY_MAX (no overflow:
 * longer strings are too large without being computed). */
static int check_length(const char *value, int *status, const char **why)
{
	size_t len = 0;
	if (!*value || strspn(value, "0123456789") != strlen(value)) {
		*status = 400;
		*why = "malformed Content-Length";
		return -1;
	}
	for (const char *p = value; *p; p++) {
		len = len * 10 + (size_t)(*p - '0');
		if (len > NOTIFY_SERVER_BODY_MAX) {
			*status = 413;
			*why = "body larger than the limit";
			return -1;
		}
	}
	return 0;
}

/* Decides whether the request head is acceptable. Returns NULL, or the
 * reason (static text, never request bytes) with *status to answer. */
static const char *check_head(struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, int *status)
{
	const char *why = NULL;
	*status = 400;
	if (!is_token(method) || strlen(method) > METHOD_MAX)
		return "malformed method";
	if (!origin_form(url))
		return "request target is not a path";
	if (head_size(conn, url, method, version) > NOTIFY_SERVER_HEAD_MAX) {
		*status = 431;
		return "request head larger than the limit";
	}
	const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_TRANSFER_ENCODING);
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (te && cl)
		return "both Transfer-Encoding and Content-Length";
	struct length_scan ls = { 0 };
	MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_length, &ls);
	if (ls.conflict)
		return "conflicting Content-Length headers";
	if (te) {
		*status = 411;
		return "chunked bodies are not accepted (send Content-Length)";
	}
	if (cl && check_length(cl, status, &why) < 0)
		return why;
	if (!cl && (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)) {
		*status = 411;
		return "Content-Length required";
	}
	return NULL;
}

/* ---- the access handler ---- */

/* The notification is applied right here, on libmicrohttpd's thread: a
 * database busy with another writer can stall the listener for up to the
 * queue's busy timeout, but never a modem. */
static enum MHD_Result answer(struct notify_server *s, struct MHD_Connection *conn,
			      const char *url, const char *method, struct request *rq,
			      const char *peer)
{
	if (rq->body_too_large)
		return respond(conn, 413, NULL, "body larger than the limit");
	struct notify_request req = {
		.method = method,
		.target = origin_form(url),
		.user_agent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							  MHD_HTTP_HEADER_USER_AGENT),
		.body = rq->body,
		.body_len = rq->body_len,
		.peer = peer,
	};
	struct notify_reply reply;
	/* The router reads the profiles and modems only inside notify_route
	 * (a JAR stream holds its file, not the profile): one snapshot per
	 * request, so a reload never frees what a request reads. */
	struct cfg_holder *follow = atomic_load(&s->follow);
	struct cfg_snap *snap = follow ? cfg_snap_acquire(follow) : NULL;
	const struct cfg *started = s->router.cfg;
	if (snap)
		s->router.cfg = &snap->cfg;
	notify_route(&s->router, &req, clock_wall_ms(), &reply);
	s->router.cfg = started;
	cfg_snap_release(follow, snap);
	return respond_reply(s, conn, &reply);
}

/* Called once when the head is complete (*con_cls NULL), then for each
 * piece of the body (*upload_data_size > 0), then once more at its end. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct notify_server *s = cls;
	struct request *rq = *con_cls;
	char peer[PEER_MAX];
	format_peer(conn, peer, sizeof peer);
	if (!rq) {
		int status;
		const char *why = check_head(conn, url, method, version, &status);
		if (why) {
			log_debug("notify: bad request from %s: %s", peer, why);
			return respond(conn, status, NULL, why);
		}
		rq = malloc(sizeof *rq);
		if (!rq)
			return MHD_NO;
		rq->body_deadline = clock_mono_ms() + NOTIFY_SERVER_BODY_TIMEOUT_MS;
		rq->body_len = 0;
		rq->body_too_large = false;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (clock_mono_ms() > rq->body_deadline) {
			log_debug("notify: %s: body not complete in time, dropped", peer);
			return MHD_NO;          /* closes the connection */
		}
		size_t n = *upload_data_size;
		if (n > sizeof rq->body - rq->body_len)
			rq->body_too_large = true;
		else
			memcpy(rq->body + rq->body_len, upload_data, n);
		if (!rq->body_too_large)
			rq->body_len += n;
		*upload_data_size = 0;
		return MHD_YES;
	}
	return answer(s, conn, url, method, rq, peer);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

/* libmicrohttpd's own messages: debug lines (they never carry a request's
 * path, so no token); while starting, the last one also explains a failure. */
__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct notify_server *s = cls;
	char line[256];
	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\r\n")] = '\0';
	if (atomic_load(&s->starting))
		snprintf(s->start_msg, sizeof s->start_msg, "%s", line);
	log_debug("notify: libmicrohttpd: %s", line);
}

/* ---- binding ---- */

/* Splits "HOST:PORT" ("[v6]:PORT" too; validated by the config loader). */
static int split_listen(const char *listen, char *host, size_t hcap, char *port, size_t pcap)
{
	const char *colon = strrchr(listen, ':');
	if (!colon)
		return -1;
	const char *h = listen;
	size_t hlen = (size_t)(colon - listen);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen >= hcap || strlen(colon + 1) >= pcap)
		return -1;
	snprintf(host, hcap, "%.*s", (int)hlen, h);
	snprintf(port, pcap, "%s", colon + 1);
	return 0;
}

static int listen_on(const struct addrinfo *ai, int *saved_errno)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	int one = 1;
	/* Lets a restarted otapd bind while old connections sit in TIME_WAIT;
	 * on Linux it does not let two listeners share the port. */
	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, LISTEN_BACKLOG) == 0)
		return fd;
	*saved_errno = errno;
	if (fd >= 0)
		close(fd);
	return -1;
}

static const char *bind_hint(int errnum)
{
	if (errnum == EADDRINUSE)
		return " (is another otapd or a web server using this port?)";
	if (errnum == EACCES)
		return " (ports below 1024 need privileges)";
	if (errnum == EADDRNOTAVAIL)
		return " (expected an address of this host, or 0.0.0.0)";
	return "";
}

/* The socket is bound here rather than by libmicrohttpd, for the error
 * messages above and host names in notify.listen. */
int http_bind_listener(const char *listen, struct errbuf *err)
{
	char host[256], port[16];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE |
				  AI_NUMERICSERV }, *res;
	if (split_listen(listen, host, sizeof host, port, sizeof port) < 0)
		return errbuf_set(err, "listen address '%s' is not HOST:PORT", listen);
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		return errbuf_set(err, "cannot resolve listen address '%s': %s", listen,
				  gai_strerror(rc));
	int fd = -1, saved_errno = 0;
	for (const struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = listen_on(ai, &saved_errno);
	freeaddrinfo(res);
	if (fd < 0)
		return errbuf_set(err, "cannot listen on %s: %s%s", listen,
				  strerror(saved_errno), bind_hint(saved_errno));
	return fd;
}

/* ---- start and stop ---- */

static unsigned int poll_flag(void)
{
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
		return MHD_USE_EPOLL;
	return MHD_USE_POLL;
}

static struct MHD_Daemon *start_mhd(struct notify_server *s, const struct cfg_notify *n, int fd)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | poll_flag() | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls[3] = { { MHD_OPTION_END, 0, NULL } };
	if (n->tls_cert_pem) {
		flags |= MHD_USE_TLS;
		tls[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, n->tls_cert_pem };
		tls[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, n->tls_key_pem };
	}
	atomic_store(&s->starting, true);
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,      /* first, to see all */
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)NOTIFY_SERVER_MAX_CONNS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)NOTIFY_SERVER_MAX_CONNS_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)NOTIFY_SERVER_IDLE_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_ARRAY, tls,
		MHD_OPTION_END);
	atomic_store(&s->starting, false);
	return d;
}

static void server_free(struct notify_server *s)
{
	if (s->mhd)
		MHD_stop_daemon(s->mhd);        /* closes the listening socket too */
	store_close(s->q);
	free(s);
}

int notify_server_start(struct notify_server **out, const struct cfg *cfg, const char *db_path,
			struct errbuf *err)
{
	*out = NULL;
	if (!cfg->notify.listen)
		return errbuf_set(err, "no listen address configured");
	if (cfg->notify.tls_cert_pem && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return errbuf_set(err, "notify.tls_cert is set but this libmicrohttpd has no TLS");
	struct notify_server *s = calloc(1, sizeof *s);
	if (!s)
		return errbuf_set(err, "out of memory");
	if (store_open(db_path, &s->q, err) < 0) {
		server_free(s);
		return -1;
	}
	notify_router_init(&s->router, s->q, cfg, cfg->notify.public_url);
	int fd = http_bind_listener(cfg->notify.listen, err);
	if (fd < 0) {
		server_free(s);
		return -1;
	}
	s->mhd = start_mhd(s, &cfg->notify, fd);
	if (!s->mhd) {
		close(fd);
		errbuf_set(err, "cannot start the listener on %s%s%s", cfg->notify.listen,
			   s->start_msg[0] ? ": " : "", s->start_msg);
		server_free(s);
		return -1;
	}
	log_info("notify: listening on %s (%s) for notifications to %s", cfg->notify.listen,
		 cfg->notify.tls_cert_pem ? "https" : "http",
		 cfg->notify.public_url ? cfg->notify.public_url : "(no public_url)");
	*out = s;
	return 0;
}

void notify_server_follow(struct notify_server *s, struct cfg_holder *h)
{
	if (s)
		atomic_store(&s->follow, h);
}

void notify_server_stop(struct notify_server *s)
{
	if (s)
		server_free(s);
}
