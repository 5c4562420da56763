/* stop.c - the shutdown flag, a thread's own halt flag, and their wake-up
 * descriptors (stop.h). */
#include "stop.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "clock.h"

/* The flag and descriptor pair behind both the daemon's stop and a
 * thread's own halt. */
static int flag_init(atomic_bool *flag, int *fd, const char *what, struct errbuf *err)
{
	atomic_init(flag, false);
	/* Written once and never read: it stays readable, a broadcast to any
	 * number of pollers (a condition variable could not wake a thread that
	 * is blocked in poll() on its modem link). */
	*fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (*fd < 0)
		return errbuf_set(err, "cannot create the %s eventfd: %s", what, strerror(errno));
	return 0;
}

static void flag_raise(atomic_bool *flag, int fd)
{
	uint64_t one = 1;
	atomic_store(flag, true);
	/* The flag first: a thread woken by the descriptor must see it set.
	 * The write can only fail with EAGAIN (counter full): readable anyway. */
	ssize_t n = write(fd, &one, sizeof one);
	(void)n;
}

static bool flag_sleep_until(const atomic_bool *flag, int fd, int64_t until)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t now;
	while (!atomic_load(flag) && (now = clock_mono_ms()) < until) {
		int64_t wait = min64(until - now, INT_MAX);
		if (poll(&pfd, 1, (int)wait) < 0 && errno != EINTR)
			break;   /* cannot happen with a valid descriptor; do not spin */
	}
	return !atomic_load(flag);
}

static void fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int stop_init(struct daemon_ctx *d, struct errbuf *err)
{
	return flag_init(&d->stop, &d->wake_fd, "shutdown", err);
}

void stop_request(struct daemon_ctx *d)
{
	flag_raise(&d->stop, d->wake_fd);
}

bool stop_requested(const struct daemon_ctx *d)
{
	return atomic_load(&d->stop);
}

bool stop_sleep_until(const struct daemon_ctx *d, int64_t until)
{
	return flag_sleep_until(&d->stop, d->wake_fd, until);
}

void stop_close(struct daemon_ctx *d)
{
	fd_close(&d->wake_fd);
}

int halt_init(struct halt *h, struct errbuf *err)
{
	return flag_init(&h->flag, &h->fd, "halt", err);
}

void halt_request(struct halt *h)
{
	flag_raise(&h->flag, h->fd);
}

bool halt_requested(const struct halt *h)
{
	return atomic_load(&h->flag);
}

bool halt_sleep_until(const struct halt *h, int64_t until)
{
	return flag_sleep_until(&h->flag, h->fd, until);
}

void halt_close(struct halt *h)
{
	fd_close(&h->fd);
}
