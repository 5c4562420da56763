/* notify.c - install-notify POSTs from forked children (see notify.h). */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "simlog.h"

#define NOTIFY_CONNECT_TIMEOUT_MS 3000
#define NOTIFY_REPLY_TIMEOUT_MS 5000

static const struct {
	int code;
	const char *text;
} status_texts[] = {
	{ 900, "Success" },
	{ 901, "Insufficient Memory" },
	{ 902, "User Cancelled" },
	{ 903, "Loss of Service" },
	{ 904, "JAR size mismatch" },
	{ 905, "Attribute Mismatch" },
	{ 906, "Invalid Descriptor" },
	{ 907, "Invalid JAR" },
	{ 908, "Incompatible Configuration or Profile" },
	{ 909, "Application authentication failure" },
	{ 910, "Application authorization failure" },
	{ 911, "Push registration failure" },
	{ 912, "Deletion Notification" },
};

const char *notify_status_text(int code)
{
	for (size_t i = 0; i < sizeof status_texts / sizeof status_texts[0]; i++) {
		if (status_texts[i].code == code)
			return status_texts[i].text;
	}
	return "Unknown";
}

void notifier_init(struct notifier *n)
{
	n->count = 0;
}

int notify_parse_url(const char *url, char *host, size_t hostcap, char *port,
		     size_t portcap, const char **path, const char **why)
{
	static const char scheme[] = "http://";

	if (strncmp(url, scheme, sizeof scheme - 1) != 0) {
		*why = strncmp(url, "https://", 8) == 0 ? "https not supported" : "not an http:// URL";
		return -1;
	}
	const char *auth = url + sizeof scheme - 1;
	size_t authlen = strcspn(auth, "/");
	const char *auth_end = auth + authlen;
	const char *hstart = auth, *hend, *pstart = NULL;
	*path = *auth_end ? auth_end : "/";
	if (auth[0] == '[') {
		/* [v6addr] or [v6addr]:port */
		const char *close = memchr(auth, ']', authlen);
		if (!close || (close + 1 < auth_end && close[1] != ':')) {
			*why = "bad IPv6 host";
			return -1;
		}
		hstart = auth + 1;
		hend = close;
		pstart = close + 1 < auth_end ? close + 2 : NULL;
	} else {
		const char *colon = memchr(auth, ':', authlen);
		hend = colon ? colon : auth_end;
		pstart = colon ? colon + 1 : NULL;
	}
	size_t hlen = (size_t)(hend - hstart);
	size_t plen = pstart ? (size_t)(auth_end - pstart) : 0;
	if (hlen == 0 || hlen >= hostcap) {
		*why = "bad host";
		return -1;
	}
	if (pstart && (plen == 0 || plen >= portcap || strspn(pstart, "0123456789") < plen)) {
		*why = "bad port";
		return -1;
	}
	memcpy(host, hstart, hlen);
	host[hlen] = '\0';
	if (pstart) {
		memcpy(port, pstart, plen);
		port[plen] = '\0';
	} else {
		snprintf(port, portcap, "80");
	}
	return 0;
}

/* --- child side ------------------------------------------------------- */

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Waits until fd is ready for events or the deadline passes. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - clock_mono_ms();
		if (left <= 0)
			return -1;
		struct pollfd p = { .fd = fd, .events = events };
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* Non-blocking connect bounded by a timeout. Returns the socket or -1. */
static int connect_with_timeout(const char *host, const char *port, const char **why)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	if (getaddrinfo(host, port, &hints, &res) != 0) {
		*why = "cannot resolve host";
		return -1;
	}
	int fd = -1;
	*why = "connection refused";
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (rc < 0 && errno == EINPROGRESS) {
			int soerr = 0;
			socklen_t len = sizeof soerr;
			if (wait_fd(fd, POLLOUT, clock_mono_ms() + NOTIFY_CONNECT_TIMEOUT_MS) < 0) {
				*why = "connect timeout";
				rc = -1;
			} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr) {
				rc = -1;
			} else {
				rc = 0;
			}
		}
		if (rc == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int send_all(int fd, const char *data, size_t len, int64_t deadline)
{
	while (len > 0) {
		ssize_t w = send(fd, data, len, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, deadline) < 0)
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Reads up to the end of the status line. Returns the HTTP status or -1. */
static int read_status(int fd, int64_t deadline, const char **why)
{
	char buf[256];
	size_t len = 0;
	while (len < sizeof buf - 1 && !memchr(buf, '\n', len)) {
		if (wait_fd(fd, POLLIN, deadline) < 0) {
			*why = "no reply in time";
			return -1;
		}
		ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	int status;
	if (sscanf(buf, "HTTP/1.%*1[01] %3d", &status) != 1 || status < 100) {
		*why = len ? "bad status line" : "connection closed without reply";
		return -1;
	}
	return status;
}

/* Performs the POST; returns the HTTP status, or -1 with *why. */
static int post_notification(const struct notify_request *rq, const char **why)
{
	char host[256], port[8];
	const char *path;
	if (notify_parse_url(rq->url, host, sizeof host, port, sizeof port, &path, why) < 0)
		return -1;
	int fd = connect_with_timeout(host, port, why);
	if (fd < 0)
		return -1;
	char body[64], req[1536], hostport[300];
	/* Host: carries the port unless it is the default; IPv6 in brackets. */
	bool v6 = strchr(host, ':') != NULL;
	if (strcmp(port, "80") == 0)
		snprintf(hostport, sizeof hostport, v6 ? "[%s]" : "%s", host);
	else
		snprintf(hostport, sizeof hostport, v6 ? "[%s]:%s" : "%s:%s", host, port);
	int blen = snprintf(body, sizeof body, "%d %s\n", rq->code, notify_status_text(rq->code));
	int rlen = snprintf(req, sizeof req,
			    "POST %s HTTP/1.1\r\n"
			    "Host: %s\r\n"
			    "User-Agent: %s/%s Profile/IMP-NG Configuration/CLDC-1.1\r\n"
			    "Content-Type: text/plain\r\n"
			    "Content-Length: %d\r\n"
			    "Connection: close\r\n"
			    "\r\n%s",
			    path, hostport, 
			    rq->product, rq->imei, blen, body);
	int status = -1;
	int64_t deadline = clock_mono_ms() + NOTIFY_REPLY_TIMEOUT_MS;
	if (rlen < 0 || (size_t)rlen >= sizeof req)
		*why = "URL too long";
	else if (send_all(fd, req, (size_t)rlen, deadline) < 0)
		*why = "send failed";
	else
		status = read_status(fd, deadline, why);
	close(fd);
	return status;
}

/* Closes every descriptor but the event log: the child must not keep the
 * modem's client connection (or the listener) open after the parent
 * closes them, or a dropped client would never see EOF. */
static void close_inherited_fds(void)
{
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 4096)
		max = 4096;
	for (int fd = 3; fd < max; fd++) {
		if (fd != simlog_fd())
			close(fd);
	}
}

static void child_main(const struct notify_request *rq)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	close_inherited_fds();
	sleep_ms(rq->delay_ms);
	const char *why = "unknown";
	int status = post_notification(rq, &why);
	char url[2 * NOTIFY_URL_MAX];
	simlog_escape((const uint8_t *)rq->url, strlen(rq->url), url, sizeof url);
	if (status >= 0)
		simlog_event("NOTIFY\tto=%s\turl=%s\tcode=%d\thttp=%d", rq->to, url, rq->code, status);
	else
		simlog_event("NOTIFY\tto=%s\turl=%s\tcode=%d\thttp=error:%s", rq->to, url, rq->code, why);
	_exit(0);
}

/* --- parent side ------------------------------------------------------ */

int notify_spawn(struct notifier *n, const struct notify_request *rq)
{
	const char *why = NULL;
	pid_t pid = -1;
	if (n->count == NOTIFY_CHILDREN_MAX)
		why = "too many notifications in flight";
	else if ((pid = fork()) < 0)
		why = "fork failed";
	if (why) {
		char url[2 * NOTIFY_URL_MAX];
		simlog_escape((const uint8_t *)rq->url, strlen(rq->url), url, sizeof url);
		simlog_event("NOTIFY\tto=%s\turl=%s\tcode=%d\thttp=error:%s", rq->to, url, rq->code, why);
		return -1;
	}
	if (pid == 0)
		child_main(rq);
	n->children[n->count++] = pid;
	return 0;
}

static void forget_child(struct notifier *n, pid_t pid)
{
	for (size_t i = 0; i < n->count; i++) {
		if (n->children[i] == pid) {
			n->children[i] = n->children[--n->count];
			return;
		}
	}
}

void notifier_reap(struct notifier *n)
{
	pid_t pid;
	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		forget_child(n, pid);
}

void notifier_shutdown(struct notifier *n)
{
	for (size_t i = 0; i < n->count; i++)
		kill(n->children[i], SIGTERM);
	while (n->count > 0) {
		pid_t pid = waitpid(n->children[0], NULL, 0);
		if (pid < 0 && errno == EINTR)
			continue;
		forget_child(n, pid < 0 ? n->children[0] : pid);
	}
}
