/* notify_server.c - the notification listener thread: accepting, reading,
 * timing out and answering HTTP connections in one poll() loop (see
 * notify_server.h). What a request means is decided in lib/notify_route.c.
 */
#include "notify_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "http_request.h"
#include "log.h"
#include "notify_route.h"
#include "store.h"

#define LISTEN_BACKLOG 128
#define POLL_MS 200                     /* how often *stop is looked at */
#define WRITE_TIMEOUT_MS 5000
/* After the response, the rest of what the client sent is read and dropped
 * for a moment: closing with unread data would reset the connection and
 * could destroy the response before the client read it. */
#define LINGER_MS 1000
#define ACCEPT_PAUSE_MS 100             /* out of descriptors: let some close first */
#define READ_CHUNK 4096
#define PEER_MAX 64

enum conn_phase { CONN_FREE, CONN_READ, CONN_WRITE, CONN_LINGER };

struct conn {
	int fd;
	enum conn_phase phase;
	int64_t deadline;               /* monotonic ms: the phase's time limit */
	char peer[PEER_MAX];
	char out[640];
	size_t out_len;
	size_t out_sent;
	struct http_request req;
};

struct notify_server {
	const atomic_bool *stop;
	int listen_fd;
	int64_t accept_paused_until;
	struct store *q;
	struct notify_router router;
	pthread_t thread;
	struct conn *conns;             /* NOTIFY_SERVER_MAX_CONNS slots */
	struct pollfd pfds[NOTIFY_SERVER_MAX_CONNS + 1];
	struct conn *polled[NOTIFY_SERVER_MAX_CONNS + 1];
};

/* ---- responses ---- */

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->phase = CONN_FREE;
}

static size_t format_response(char *buf, size_t cap, int status, const char *allow,
			      const char *body, bool head_only)
{
	char allow_line[64] = "";
	if (allow)
		snprintf(allow_line, sizeof allow_line, "Allow: %s\r\n", allow);
	size_t body_len = strlen(body) + 1;     /* the body is one line */
	int n = snprintf(buf, cap, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\n%sConnection: close\r\n\r\n%s%s", status,
			 http_status_text(status), body_len, allow_line,
			 head_only ? "" : body, head_only ? "" : "\n");
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

static void conn_write(struct conn *c, int64_t now)
{
	while (c->out_sent < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;         /* poll says when to go on */
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->out_sent += (size_t)n;
	}
	shutdown(c->fd, SHUT_WR);
	c->phase = CONN_LINGER;
	c->deadline = now + LINGER_MS;
}

/* Queues the response and starts writing it. */
static void conn_respond(struct conn *c, int status, const char *allow, const char *body,
			 int64_t now)
{
	bool head_only = c->req.method && strcmp(c->req.method, "HEAD") == 0 &&
			 c->req.phase == HTTP_PHASE_DONE;
	c->out_len = format_response(c->out, sizeof c->out, status, allow, body, head_only);
	c->out_sent = 0;
	c->phase = CONN_WRITE;
	c->deadline = now + WRITE_TIMEOUT_MS;
	conn_write(c, now);
}

/* ---- reading ---- */

/* The notification is applied right here, on the listener's thread: a
 * database busy with another writer can stall the listener for up to the
 * queue's busy timeout, but never a modem. */
static void conn_request_done(struct notify_server *s, struct conn *c, int64_t now)
{
	struct notify_reply reply;
	notify_route(&s->router, &c->req, c->peer, clock_wall_ms(), &reply);
	conn_respond(c, reply.status, reply.allow, reply.body, now);
}

static void conn_read(struct notify_server *s, struct conn *c, int64_t now)
{
	uint8_t buf[READ_CHUNK];
	ssize_t n = recv(c->fd, buf, sizeof buf, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);  /* the client left (or reset) before a full request */
		return;
	}
	enum http_phase before = c->req.phase;
	enum http_result res = http_request_feed(&c->req, buf, (size_t)n, NULL);
	if (res == HTTP_DONE) {
		conn_request_done(s, c, now);
	} else if (res == HTTP_ERROR) {
		log_debug("notify: bad request from %s: %s", c->peer, c->req.error_reason);
		conn_respond(c, c->req.error_status, NULL, c->req.error_reason, now);
	} else if (before == HTTP_PHASE_HEAD && c->req.phase == HTTP_PHASE_BODY) {
		c->deadline = now + NOTIFY_SERVER_BODY_TIMEOUT_MS;
	}
}

/* Reads and drops what the client still sends after the response. */
static void conn_linger(struct conn *c)
{
	uint8_t buf[READ_CHUNK];
	ssize_t n = recv(c->fd, buf, sizeof buf, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		conn_close(c);
}

static void conn_event(struct notify_server *s, struct conn *c, short revents, int64_t now)
{
	if (!revents)
		return;
	switch (c->phase) {
	case CONN_READ:
		conn_read(s, c, now);
		break;
	case CONN_WRITE:
		conn_write(c, now);
		break;
	case CONN_LINGER:
		conn_linger(c);
		break;
	case CONN_FREE:
		break;
	}
}

static void conn_expire(struct conn *c, int64_t now)
{
	if (c->phase == CONN_FREE || c->deadline > now)
		return;
	if (c->phase != CONN_READ) {
		conn_close(c);
		return;
	}
	log_debug("notify: %s: request not complete in time", c->peer);
	conn_respond(c, 408, NULL, c->req.phase == HTTP_PHASE_BODY ? "body not complete in time"
				   : "request head not complete in time", now);
}

/* ---- accepting ---- */

static void format_peer(const struct sockaddr_storage *addr, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (addr->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, host, sizeof host);
	else if (addr->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, host,
			  sizeof host);
	snprintf(out, cap, "%s", host);
}

static struct conn *free_slot(struct notify_server *s)
{
	for (size_t i = 0; i < NOTIFY_SERVER_MAX_CONNS; i++) {
		if (s->conns[i].phase == CONN_FREE)
			return &s->conns[i];
	}
	return NULL;
}

/* Best effort: a client beyond the limit gets a 503 if its socket buffer
 * takes it at once, and is closed either way. */
static void refuse_busy(int fd)
{
	char buf[256];
	size_t len = format_response(buf, sizeof buf, 503, NULL, "too many connections", false);
	ssize_t ignored = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)ignored;
	close(fd);
}

/* Returns false when nothing more can be accepted this round. */
static bool accept_one(struct notify_server *s, int64_t now)
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof addr;
	int fd = accept(s->listen_fd, (struct sockaddr *)&addr, &len);
	if (fd >= 0 && (fcntl(fd, F_SETFL, O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)) {
		close(fd);
		return true;
	}
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			log_warnx("notify: cannot accept a connection: %s", strerror(errno));
			s->accept_paused_until = now + ACCEPT_PAUSE_MS;
		}
		return false;   /* EAGAIN, or a connection reset before we got to it */
	}
	struct conn *c = free_slot(s);
	if (!c) {
		refuse_busy(fd);
		return true;
	}
	c->fd = fd;
	c->phase = CONN_READ;
	c->deadline = now + NOTIFY_SERVER_HEAD_TIMEOUT_MS;
	format_peer(&addr, c->peer, sizeof c->peer);
	http_request_init(&c->req, HTTP_HEAD_CAP, HTTP_BODY_CAP);
	return true;
}

static void accept_ready(struct notify_server *s, int64_t now)
{
	/* Bounded, so a connection storm cannot starve the open connections. */
	for (int i = 0; i < 64 && accept_one(s, now); i++)
		;
}

/* ---- the loop ---- */

/* Fills the poll set; returns its size. The listener is left out while
 * accepting is paused. */
static nfds_t build_pollset(struct notify_server *s, int64_t now)
{
	nfds_t n = 0;
	s->pfds[n] = (struct pollfd){ .fd = now >= s->accept_paused_until ? s->listen_fd : -1,
				      .events = POLLIN };
	s->polled[n++] = NULL;
	for (size_t i = 0; i < NOTIFY_SERVER_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];
		if (c->phase == CONN_FREE)
			continue;
		s->pfds[n] = (struct pollfd){ .fd = c->fd,
					      .events = c->phase == CONN_WRITE ? POLLOUT : POLLIN };
		s->polled[n++] = c;
	}
	return n;
}

static int poll_timeout(const struct notify_server *s, int64_t now)
{
	int64_t next = now + POLL_MS;
	if (s->accept_paused_until > now && s->accept_paused_until < next)
		next = s->accept_paused_until;
	for (size_t i = 0; i < NOTIFY_SERVER_MAX_CONNS; i++) {
		const struct conn *c = &s->conns[i];
		if (c->phase != CONN_FREE && c->deadline < next)
			next = c->deadline;
	}
	return next > now ? (int)(next - now) : 0;
}

static void serve_round(struct notify_server *s)
{
	int64_t now = clock_mono_ms();
	nfds_t n = build_pollset(s, now);
	int rc = poll(s->pfds, n, poll_timeout(s, now));
	if (rc < 0 && errno != EINTR) {
		log_warn("notify: poll");
		nanosleep(&(struct timespec){ .tv_nsec = POLL_MS * 1000000L }, NULL);
		return;
	}
	now = clock_mono_ms();
	for (nfds_t i = 1; rc > 0 && i < n; i++)
		conn_event(s, s->polled[i], s->pfds[i].revents, now);
	if (rc > 0 && s->pfds[0].revents)
		accept_ready(s, now);
	for (size_t i = 0; i < NOTIFY_SERVER_MAX_CONNS; i++)
		conn_expire(&s->conns[i], now);
}

static void *server_main(void *arg)
{
	struct notify_server *s = arg;
	while (!atomic_load(s->stop))
		serve_round(s);
	for (size_t i = 0; i < NOTIFY_SERVER_MAX_CONNS; i++) {
		if (s->conns[i].phase != CONN_FREE)
			conn_close(&s->conns[i]);
	}
	return NULL;
}

/* ---- start and stop ---- */

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

static int bind_listener(const char *listen, struct errbuf *err)
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

static void server_free(struct notify_server *s)
{
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	store_close(s->q);
	free(s->conns);
	free(s);
}

int notify_server_start(struct notify_server **out, const struct cfg *cfg, const char *db_path,
			const atomic_bool *stop, struct errbuf *err)
{
	*out = NULL;
	if (!cfg->notify.listen)
		return errbuf_set(err, "no listen address configured");
	struct notify_server *s = calloc(1, sizeof *s);
	if (!s)
		return errbuf_set(err, "out of memory");
	s->stop = stop;
	s->conns = calloc(NOTIFY_SERVER_MAX_CONNS, sizeof *s->conns);
	s->listen_fd = s->conns ? bind_listener(cfg->notify.listen, err)
				: errbuf_set(err, "out of memory");
	if (s->listen_fd < 0 || store_open(db_path, &s->q, err) < 0) {
		server_free(s);
		return -1;
	}
	notify_router_init(&s->router, s->q, cfg->notify.public_url);
	int rc = pthread_create(&s->thread, NULL, server_main, s);
	if (rc != 0) {
		server_free(s);
		return errbuf_set(err, "cannot start the listener thread: %s", strerror(rc));
	}
	log_info("notify: listening on %s for notifications to %s", cfg->notify.listen,
		 cfg->notify.public_url ? cfg->notify.public_url : "(no public_url)");
	*out = s;
	return 0;
}

void notify_server_join(struct notify_server *s)
{
	if (!s)
		return;
	pthread_join(s->thread, NULL);
	server_free(s);
}
