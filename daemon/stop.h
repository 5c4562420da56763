/* stop.h - the daemon's wake-ups: shutdown, and a worker's own halt. The
 * stop flag plus an eventfd that becomes readable for good when shutdown is
 * requested (a halt: the same for one thread), so that every
 * thread sleeping in poll() on it (alone or with its modem link) wakes at
 * once, and no thread needs to nap in slices to look at the flag. */
#ifndef OTAPD_STOP_H
#define OTAPD_STOP_H

#include <stdbool.h>
#include <stdint.h>
#include "daemon.h"
#include "errbuf.h"

/* Clears the flag and creates the wake-up descriptor (d->wake_fd). Returns
 * 0, or -1 with a reason. */
int stop_init(struct daemon_ctx *d, struct errbuf *err);

/* Sets the flag, then wakes every thread. Safe to call more than once. */
void stop_request(struct daemon_ctx *d);

/* True once shutdown was requested. */
bool stop_requested(const struct daemon_ctx *d);

/* Sleeps until the monotonic time until or shutdown, whichever comes first.
 * Returns false when shutdown was requested. */
bool stop_sleep_until(const struct daemon_ctx *d, int64_t until);

/* Closes the descriptor (after every thread has been joined). */
void stop_close(struct daemon_ctx *d);

/* One thread's own stop, the same flag and wake-up as the daemon's: a
 * worker is halted when a reload removes or changes its modem, and at
 * shutdown. */
struct halt {
	atomic_bool flag;
	int fd;                         /* readable once flag is set */
};

/* Clears the flag and creates the descriptor. Returns 0, or -1 with a reason. */
int halt_init(struct halt *h, struct errbuf *err);
/* Sets the flag, then wakes the thread. Safe to call more than once. */
void halt_request(struct halt *h);
bool halt_requested(const struct halt *h);
/* Sleeps until the monotonic time until or the halt. Returns false once halted. */
bool halt_sleep_until(const struct halt *h, int64_t until);
/* Closes the descriptor (after the thread has been joined). */
void halt_close(struct halt *h);

#endif
