/* link_tcp.c - modem link over TCP: network modems (ser2net, industrial
 * gateways) and the modem simulator. */
#include "link.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TCP_CONNECT_TIMEOUT_MS 10000

/* Splits "tcp://host:port" into host and port strings. */
static int tcp_split(const char *device, char *host, size_t hostcap, char *port,
		     size_t portcap, struct errbuf *err)
{
	const char *hp = device + strlen("tcp://");
	const char *colon = strrchr(hp, ':');
	if (!colon || colon == hp || !colon[1])
		return errbuf_set(err, "%s: expected tcp://HOST:PORT", device);
	size_t hlen = (size_t)(colon - hp);
	if (hp[0] == '[' && hlen >= 2 && hp[hlen - 1] == ']') {
		hp++;
		hlen -= 2;
	}
	if (hlen >= hostcap || strlen(colon + 1) >= portcap)
		return errbuf_set(err, "%s: host or port too long", device);
	memcpy(host, hp, hlen);
	host[hlen] = '\0';
	strcpy(port, colon + 1);
	return 0;
}

static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int rc;
	do {
		rc = poll(&pfd, 1, timeout_ms);
	} while (rc < 0 && errno == EINTR);
	return rc;
}

/* Non-blocking connect bounded by TCP_CONNECT_TIMEOUT_MS, so an unreachable
 * gateway cannot stall the modem thread for the kernel's minutes-long default. */
static int connect_with_timeout(int fd, const struct addrinfo *ai)
{
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	int rc = wait_fd(fd, POLLOUT, TCP_CONNECT_TIMEOUT_MS);
	if (rc == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	int soerr = 0;
	socklen_t len = sizeof soerr;
	if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -1;
	if (soerr) {
		errno = soerr;
		return -1;
	}
	return 0;
}

int link_tcp_connect(const char *host, const char *port, const char *what, struct errbuf *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0)
		return errbuf_set(err, "%s: cannot resolve: %s", what, gai_strerror(gai));
	int saved = 0;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		if (connect_with_timeout(fd, ai) == 0) {
			int one = 1;
			/* AT exchanges and SMPP PDUs are small: Nagle would add delay. */
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			freeaddrinfo(res);
			return fd;
		}
		saved = errno;
		close(fd);
	}
	freeaddrinfo(res);
	return errbuf_set(err, "%s: cannot connect: %s", what, strerror(saved));
}

static int tcp_open(struct link *l, struct errbuf *err)
{
	char host[256], port[16];
	if (tcp_split(l->cfg->device, host, sizeof host, port, sizeof port, err) < 0)
		return -1;
	l->fd = link_tcp_connect(host, port, l->cfg->device, err);
	return l->fd < 0 ? -1 : 0;
}

static long tcp_read(struct link *l, uint8_t *buf, size_t cap, int timeout_ms, struct errbuf *err)
{
	int rc = wait_fd(l->fd, POLLIN, timeout_ms);
	if (rc < 0)
		return errbuf_set(err, "%s: poll: %s", l->cfg->device, strerror(errno));
	if (rc == 0)
		return 0;
	ssize_t n;
	do {
		n = recv(l->fd, buf, cap, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n < 0)
		return errbuf_set(err, "%s: read: %s", l->cfg->device, strerror(errno));
	if (n == 0)
		return errbuf_set(err, "%s: connection closed by the modem", l->cfg->device);
	return (long)n;
}

static int tcp_write(struct link *l, const uint8_t *buf, size_t n, int timeout_ms, struct errbuf *err)
{
	size_t done = 0;
	while (done < n) {
		ssize_t w = send(l->fd, buf + done, n - done, MSG_NOSIGNAL);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(l->fd, POLLOUT, timeout_ms) <= 0)
				return errbuf_set(err, "%s: write timed out", l->cfg->device);
			continue;
		}
		return errbuf_set(err, "%s: write: %s", l->cfg->device, strerror(errno));
	}
	return 0;
}

static void tcp_close(struct link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

static int tcp_poll_fd(const struct link *l)
{
	return l->fd;
}

const struct link_ops link_tcp_ops = {
	.name = "tcp",
	.open = tcp_open,
	.read = tcp_read,
	.write = tcp_write,
	.close = tcp_close,
	.poll_fd = tcp_poll_fd,
};
