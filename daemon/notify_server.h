/* notify_server.h - the install-notification listener (notify.listen): one
 * thread running a poll() loop over non-blocking sockets. Requests are
 * parsed by lib/http_request.c and answered by lib/notify_route.c on the
 * thread's own queue connection.
 *
 * Built to stay healthy under abuse without ever slowing the modems: at most
 * NOTIFY_SERVER_MAX_CONNS connections (more are answered 503 and closed),
 * 8 KiB of request head (431) and 4 KiB of body (413), 5 s for the head and
 * 5 s more for the body (408), one request per connection, always
 * "Connection: close".
 */
#ifndef OTAPD_NOTIFY_SERVER_H
#define OTAPD_NOTIFY_SERVER_H

#include <stdatomic.h>
#include "config.h"
#include "errbuf.h"

#define NOTIFY_SERVER_MAX_CONNS 256
#define NOTIFY_SERVER_HEAD_TIMEOUT_MS 5000
#define NOTIFY_SERVER_BODY_TIMEOUT_MS 5000

struct notify_server;

/* Binds cfg->notify.listen, opens its own connection to the queue at
 * db_path and starts the listener thread, which runs until *stop is set
 * (it looks at least every 200 ms). Call with SIGTERM/SIGINT blocked: the
 * thread inherits the signal mask. Returns 0 and sets *out, or -1 with a
 * reason (address in use, bad address, database) and *out NULL. */
int notify_server_start(struct notify_server **out, const struct cfg *cfg, const char *db_path,
			const atomic_bool *stop, struct errbuf *err);

/* Waits for the thread to end (after *stop was set), closes the socket and
 * the queue and frees s. NULL is a no-op. */
void notify_server_join(struct notify_server *s);

#endif
