/* stop.h - the daemon's one wake-up: shutdown. The stop flag plus an eventfd
 * that becomes readable for good when shutdown is requested, so that every
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

#endif
