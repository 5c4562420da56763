/* stop.c - the shutdown flag and its wake-up descriptor (stop.h). */
#include "stop.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "clock.h"

int stop_init(struct daemon_ctx *d, struct errbuf *err)
{
	atomic_init(&d->stop, false);
	/* Written once and never read: it stays readable, a broadcast to any
	 * number of pollers (a condition variable could not wake a thread that
	 * is blocked in poll() on its modem link). */
	d->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->wake_fd < 0)
		return errbuf_set(err, "cannot create the shutdown eventfd: %s", strerror(errno));
	return 0;
}

void stop_request(struct daemon_ctx *d)
{
	uint64_t one = 1;
	atomic_store(&d->stop, true);
	/* The flag first: a thread woken by the descriptor must see it set.
	 * The write can only fail with EAGAIN (counter full): readable anyway. */
	ssize_t n = write(d->wake_fd, &one, sizeof one);
	(void)n;
}

bool stop_requested(const struct daemon_ctx *d)
{
	return atomic_load(&d->stop);
}

bool stop_sleep_until(const struct daemon_ctx *d, int64_t until)
{
	struct pollfd pfd = { .fd = d->wake_fd, .events = POLLIN };
	int64_t now;
	while (!stop_requested(d) && (now = clock_mono_ms()) < until) {
		int64_t wait = min64(until - now, INT_MAX);
		if (poll(&pfd, 1, (int)wait) < 0 && errno != EINTR)
			break;   /* cannot happen with a valid descriptor; do not spin */
	}
	return !stop_requested(d);
}

void stop_close(struct daemon_ctx *d)
{
	if (d->wake_fd >= 0)
		close(d->wake_fd);
	d->wake_fd = -1;
}
