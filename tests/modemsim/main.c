/* main.c - otap-modemsim: a simulated GSM modem on TCP for otapd's
 * end-to-end tests and the README demo. Owns the single-threaded poll loop,
 * the listening socket, the one client connection and signal handling; the
 * units' HTTP (http.c, libcurl multi) runs in the same loop. (libcurl's
 * resolver may use a helper thread per name lookup; nothing else does.)
 *
 * Event log format (what the tests assert on; also in --help): one line
 * per event, fields separated by TAB, the first field the event name, the
 * rest key=value with values escaped (\n \r \t \\ and \xHH):
 *
 *   CONNECT | DISCONNECT
 *   SM       to=+491701234567 pid=7D dcs=F5 srr=0 vp=A7 mr=12 udl=73 body=...
 *   CMS      n=2 to=+49... code=500
 *   REFUSED  n=1 code=311|331|303
 *   NOPROMPT n=3 | ESC n=3 | DROP n=3 | SYSSTART n=3
 *   BADLEN   n=1 given=86 actual=87 | BADPDU n=1 reason=...
 *   PIN_OK | PIN_WRONG left=2
 *   CDS      to=+49... mr=12 st=00
 *   PWD_MISMATCH to=+49... | IGNORED to=+49... reason=pid|dcs
 *   OTAP     to=+49... action=install params=JADURL,APPDIR JADURL=... APPDIR=...
 *   NOTIFY   to=+49... url=http://... code=900 http=200|error:<reason>
 *   HTTP     to=+49... method=GET url=... status=200 bytes=N ua=... [user=] [error=]
 *   JAD      to=+49... result=ok jar_url=... jar_size=N install_notify=...
 *   JAR      to=+49... bytes=N of=N result=ok|size-mismatch|cut|failed|http-NNN
 *   DOWNLOAD to=+49... result=reported|no-report|jar-cut|... code=900|-
 *
 * SM bodies are logged as received (PWD included): they stand for what went
 * over the air and tests compare them byte for byte. Everything the
 * simulator derives hides secrets: OTAP names PWD/HTTPPWD/NETPWD without
 * values, and the PIN is never written anywhere.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "download.h"
#include "errbuf.h"
#include "fleet.h"
#include "http.h"
#include "log.h"
#include "modem.h"
#include "notify.h"
#include "options.h"
#include "simlog.h"
#include "unit.h"

#define LISTEN_BACKLOG 8

/* Self-pipe: signal handlers only write one byte here ('T' terminate,
 * 'C' child exited); the poll loop does the work. */
static int signal_pipe[2] = { -1, -1 };

struct sim {
	struct sim_options opt;
	struct fleet fleet;
	struct notifier notifier;
	struct http *http;
	struct downloads *downloads;
	struct units *units;
	struct modem modem;
	int listen_fd;
	int client_fd;
	bool stop;
};

static void on_signal(int sig)
{
	int saved = errno;
	char c = sig == SIGCHLD ? 'C' : 'T';
	ssize_t w = write(signal_pipe[1], &c, 1);
	(void)w;
	errno = saved;
}

static int set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static int setup_signals(struct errbuf *err)
{
	if (pipe(signal_pipe) < 0 || set_nonblocking(signal_pipe[0]) < 0
	    || set_nonblocking(signal_pipe[1]) < 0)
		return errbuf_set(err, "cannot create the signal pipe: %s", strerror(errno));
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0
	    || sigaction(SIGCHLD, &sa, NULL) < 0)
		return errbuf_set(err, "cannot install signal handlers: %s", strerror(errno));
	/* A client that vanishes mid-write must not kill the simulator. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* Binds and listens; returns the socket and the bound port, or -1. */
static int open_listener(const struct sim_options *o, int *port, struct errbuf *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res;
	int rc = getaddrinfo(o->listen_host, o->listen_port, &hints, &res);
	if (rc != 0)
		return errbuf_set(err, "--listen %s:%s: %s", o->listen_host, o->listen_port,
				  gai_strerror(rc));
	int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0
	    || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, LISTEN_BACKLOG) < 0
	    || set_nonblocking(fd) < 0) {
		errbuf_set(err, "cannot listen on %s:%s: %s", o->listen_host, o->listen_port,
			   strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		close(fd);
		return errbuf_set(err, "getsockname: %s", strerror(errno));
	}
	*port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					       : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* Writes the port to a temporary file and renames it into place, so a test
 * polling for the file never reads it half-written. */
static int write_port_file(const char *path, int port, struct errbuf *err)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f)
		return errbuf_set(err, "cannot write port file %s: %s", tmp, strerror(errno));
	int bad = fprintf(f, "%d\n", port) < 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) < 0) {
		unlink(tmp);
		return errbuf_set(err, "cannot write port file %s: %s", path, strerror(errno));
	}
	return 0;
}

/* --- the connection ---------------------------------------------------- */

static void close_client(struct sim *s)
{
	if (s->client_fd < 0)
		return;
	modem_disconnect(&s->modem);
	close(s->client_fd);
	s->client_fd = -1;
}

static void accept_client(struct sim *s)
{
	int fd = accept(s->listen_fd, NULL, NULL);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	int one = 1;
	/* Replies must leave when the latency timer says so, not later. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (set_nonblocking(fd) < 0) {
		log_warn("cannot make the client socket non-blocking");
		close(fd);
		return;
	}
	s->client_fd = fd;
	modem_connect(&s->modem, clock_mono_ms());
}

static void read_client(struct sim *s)
{
	uint8_t buf[MODEM_IN_MAX];
	size_t room = modem_input_room(&s->modem);
	if (room == 0)
		return;
	ssize_t r = recv(s->client_fd, buf, room < sizeof buf ? room : sizeof buf, 0);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		/* Whatever arrived before the close still counts (log events). */
		modem_run(&s->modem, clock_mono_ms());
		close_client(s);
		return;
	}
	modem_receive(&s->modem, buf, (size_t)r);
}

static void flush_client(struct sim *s)
{
	size_t len;
	const uint8_t *data = modem_output(&s->modem, &len);
	while (len > 0) {
		ssize_t w = send(s->client_fd, data, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w < 0) {
			close_client(s);
			return;
		}
		modem_output_consumed(&s->modem, (size_t)w);
		data = modem_output(&s->modem, &len);
	}
}

/* --- the loop ---------------------------------------------------------- */

static void drain_signals(struct sim *s)
{
	char buf[64];
	ssize_t r;
	while ((r = read(signal_pipe[0], buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] == 'T')
				s->stop = true;
		}
	}
	notifier_reap(&s->notifier);
}

/* The loop sleeps until the earliest of the modem's, libcurl's and the
 * delayed reports' deadlines, or until a descriptor is ready. */
static int poll_timeout(const struct sim *s, int64_t now)
{
	int64_t deadline = modem_deadline(&s->modem);
	int64_t http = http_deadline(s->http), reports = downloads_deadline(s->downloads);
	if (http < deadline)
		deadline = http;
	if (reports < deadline)
		deadline = reports;
	if (deadline == INT64_MAX)
		return -1;
	if (deadline <= now)
		return 0;
	return deadline - now > INT_MAX ? INT_MAX : (int)(deadline - now);
}

/* Runs the modem and writes its output; closes a connection it hung up. */
static void service_modem(struct sim *s)
{
	if (s->client_fd < 0)
		return;
	modem_run(&s->modem, clock_mono_ms());
	flush_client(s);
	if (s->client_fd >= 0 && s->modem.hangup)
		close_client(s);
}

/* The AT side: the client connection, or the listener while there is none. */
static void watch_at_side(struct sim *s, struct pollfd *pfd)
{
	size_t out_len;
	if (s->client_fd >= 0) {
		/* One serial line: further clients wait in the backlog. */
		pfd->fd = s->client_fd;
		pfd->events = modem_input_room(&s->modem) ? POLLIN : 0;
		modem_output(&s->modem, &out_len);
		if (out_len)
			pfd->events |= POLLOUT;
	} else {
		pfd->fd = s->listen_fd;
		pfd->events = POLLIN;
	}
}

static void handle_at_side(struct sim *s, const struct pollfd *pfd)
{
	if (s->client_fd >= 0 && pfd->fd == s->client_fd) {
		if (pfd->revents & POLLIN)
			read_client(s);
		else if (pfd->revents & (POLLHUP | POLLERR))
			close_client(s);
	} else if (pfd->revents & POLLIN) {
		accept_client(s);
	}
}

static void run_loop(struct sim *s)
{
	/* [0] signals, [1] the AT side, then the units' HTTP sockets. */
	struct pollfd pfd[2 + HTTP_POLLFDS_MAX];
	while (!s->stop) {
		service_modem(s);
		pfd[0] = (struct pollfd){ .fd = signal_pipe[0], .events = POLLIN };
		pfd[1] = (struct pollfd){ 0 };
		watch_at_side(s, &pfd[1]);
		size_t nhttp = http_pollfds(s->http, pfd + 2, HTTP_POLLFDS_MAX);
		int n = poll(pfd, 2 + nhttp, poll_timeout(s, clock_mono_ms()));
		if (n < 0 && errno != EINTR) {
			log_error("poll");
			return;
		}
		if (n > 0 && pfd[0].revents)
			drain_signals(s);
		if (n > 0)
			handle_at_side(s, &pfd[1]);
		http_service(s->http, pfd + 2, n > 0 ? nhttp : 0, clock_mono_ms());
		downloads_run(s->downloads, clock_mono_ms());
	}
}

/* --- setup and teardown ---------------------------------------------- */

static int setup(struct sim *s, struct errbuf *err)
{
	int port = 0;
	if (simlog_open(s->opt.log_file, err) < 0)
		return -1;
	if (s->opt.fleet_file && fleet_load(s->opt.fleet_file, &s->fleet, err) < 0)
		return -1;
	notifier_init(&s->notifier);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return errbuf_set(err, "cannot initialise libcurl");
	s->http = http_new();
	s->downloads = s->http ? downloads_new(s->http) : NULL;
	s->units = s->downloads ? units_new(&s->opt, &s->fleet, &s->notifier, s->downloads) : NULL;
	if (!s->units)
		return errbuf_set(err, "out of memory");
	if (setup_signals(err) < 0)
		return -1;
	s->listen_fd = open_listener(&s->opt, &port, err);
	if (s->listen_fd < 0)
		return -1;
	modem_init(&s->modem, &s->opt, &s->opt.faults, s->units, clock_mono_ms());
	if (s->opt.port_file && write_port_file(s->opt.port_file, port, err) < 0)
		return -1;
	log_info("listening on %s port %d", s->opt.listen_host, port);
	return 0;
}

static void teardown(struct sim *s)
{
	close_client(s);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	notifier_shutdown(&s->notifier);
	modem_release(&s->modem);
	units_free(s->units);
	/* Transfers first: they point into the downloads. */
	http_free(s->http);
	downloads_free(s->downloads);
	curl_global_cleanup();
	fleet_free(&s->fleet);
	simlog_close();
}

int main(int argc, char **argv)
{
	static struct sim s = { .listen_fd = -1, .client_fd = -1 };
	struct errbuf err = { "" };

	log_init("otap-modemsim", LOG_LEVEL_INFO);
	switch (options_parse(argc, argv, &s.opt, &err)) {
	case OPTIONS_EXIT_OK:
		return 0;
	case OPTIONS_ERROR:
		log_errorx("%s", err.msg);
		return 2;
	case OPTIONS_RUN:
		break;
	}
	if (s.opt.verbose)
		log_init("otap-modemsim", LOG_LEVEL_DEBUG);
	int rc = 0;
	if (setup(&s, &err) < 0) {
		log_errorx("%s", err.msg);
		rc = 1;
	} else {
		run_loop(&s);
		log_info("shutting down");
	}
	teardown(&s);
	return rc;
}
