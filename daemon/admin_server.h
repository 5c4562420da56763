/* admin_server.h - the operators' listener (admin.listen, loopback by
 * default): the web status page at / (web/, compiled in), the read-only
 * JSON API under /api/ (admin_api.h) and GET /metrics in the Prometheus
 * text format, served by libmicrohttpd on one internal polling thread with
 * its own store connection, with the notify listener's limits
 * (connections in all and per address, idle timeout, memory). GET and
 * HEAD only (405 otherwise; POST /login for the access token,
 * admin_auth.h), 404 with a JSON error for any other path; never
 * reachable on the units' notify listener. */
#ifndef OTAPD_ADMIN_SERVER_H
#define OTAPD_ADMIN_SERVER_H

#include "cfgsnap.h"
#include "config.h"
#include "errbuf.h"

#define ADMIN_SERVER_MAX_CONNS 16
#define ADMIN_SERVER_MAX_CONNS_PER_IP 8
#define ADMIN_SERVER_IDLE_TIMEOUT_S 5

struct admin_server;

/* Binds cfg->admin.listen, opens its own store connection at db_path and
 * starts serving. Call with SIGTERM/SIGINT blocked (the thread inherits the
 * mask). Returns 0 and sets *out, or -1 with a reason and *out NULL. */
int admin_server_start(struct admin_server **out, const struct cfg *cfg, const char *db_path,
		       struct errbuf *err);

/* From now on each API request reads the profiles and modems of h's
 * newest snapshot (reloads); the listen address and the access token stay
 * those of the start. NULL s: no-op. */
void admin_server_follow(struct admin_server *s, struct cfg_holder *h);

/* Stops the listener at once, closes its store and frees s. NULL is a no-op. */
void admin_server_stop(struct admin_server *s);

#endif
