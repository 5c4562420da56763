/* notify_server.h - the install-notification listener (notify.listen),
 * served by libmicrohttpd: one internal polling thread (epoll where there
 * is, else poll), no thread per connection. Requests are answered by
 * lib/notify_route.c on that thread's own queue connection.
 *
 * The listener faces the cellular network, so it is built to stay healthy
 * under abuse without ever slowing the modems:
 *   - at most NOTIFY_SERVER_MAX_CONNS connections in all and
 *     NOTIFY_SERVER_MAX_CONNS_PER_IP from one address (more are closed at
 *     once), so one client cannot take the listener from the others;
 *   - NOTIFY_SERVER_IDLE_TIMEOUT_S without a byte from the client closes its
 *     connection; a body not complete NOTIFY_SERVER_BODY_TIMEOUT_MS after
 *     the head is answered 408;
 *   - NOTIFY_SERVER_HEAD_MAX bytes of request head (431) and
 *     NOTIFY_SERVER_BODY_MAX of body (413); chunked bodies 411;
 *   - one request per connection, always "Connection: close".
 * Optional TLS (notify.tls_cert/tls_key) on the same listener.
 */
#ifndef OTAPD_NOTIFY_SERVER_H
#define OTAPD_NOTIFY_SERVER_H

#include "cfgsnap.h"
#include "config.h"
#include "errbuf.h"

#define NOTIFY_SERVER_MAX_CONNS 256
#define NOTIFY_SERVER_MAX_CONNS_PER_IP 32
#define NOTIFY_SERVER_IDLE_TIMEOUT_S 5
#define NOTIFY_SERVER_BODY_TIMEOUT_MS 5000
#define NOTIFY_SERVER_HEAD_MAX 8192     /* request line + header lines */
#define NOTIFY_SERVER_BODY_MAX 4096

struct notify_server;

/* Binds cfg->notify.listen, opens its own connection to the queue at
 * db_path and starts serving on libmicrohttpd's thread. Call with
 * SIGTERM/SIGINT blocked: the thread inherits the signal mask. Returns 0
 * and sets *out, or -1 with a reason (address in use, bad address, TLS
 * certificate or key rejected, database) and *out NULL. */
int notify_server_start(struct notify_server **out, const struct cfg *cfg, const char *db_path,
			struct errbuf *err);

/* Binds and listens on "HOST:PORT" ("[v6]:PORT", a host name too): a
 * non-blocking, close-on-exec socket with SO_REUSEADDR, for a
 * libmicrohttpd listener (the admin listener uses it as well). Returns the
 * descriptor, or -1 with a reason and a hint (port in use, privileges). */
int http_bind_listener(const char *listen, struct errbuf *err);

/* From now on each request is answered with the profiles and modems of
 * h's newest snapshot (reloads); the listen address, public_url and TLS
 * stay those of the start. NULL s: no-op. */
void notify_server_follow(struct notify_server *s, struct cfg_holder *h);

/* Stops the listener at once (open connections are closed), closes the
 * queue and frees s. NULL is a no-op. */
void notify_server_stop(struct notify_server *s);

#endif
