/* admin_auth.h - the admin listener's optional access token
 * (admin.token_file): a request is let in with "Authorization: Bearer
 * TOKEN" or with the session cookie that POST /login hands out for the
 * token (HttpOnly, SameSite=Strict). The session value is random per otapd
 * process, so the token itself never sits in a browser; a restart asks
 * for the token again. Comparisons take the same time wherever a guess
 * differs. */
#ifndef OTAPD_ADMIN_AUTH_H
#define OTAPD_ADMIN_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <microhttpd.h>

#include "errbuf.h"

#define ADMIN_SESSION_COOKIE "otapd_session"
#define ADMIN_SESSION_HEX 64            /* 32 random bytes */

struct admin_auth {
	char *token;                    /* copy of the configured token; NULL = open */
	char session[ADMIN_SESSION_HEX + 1];
};

/* Copies token (NULL: no token, every request is let in) and draws a
 * session value. Returns 0, or -1 with a reason (random source, memory). */
int admin_auth_init(struct admin_auth *a, const char *token, struct errbuf *err);
/* Wipes and frees the copy. */
void admin_auth_free(struct admin_auth *a);

/* Whether conn may be answered: no token configured, a matching bearer
 * token, or the session cookie. */
bool admin_auth_allows(const struct admin_auth *a, struct MHD_Connection *conn);

/* Whether text (len bytes, from the login form) is the token. */
bool admin_auth_token_matches(const struct admin_auth *a, const char *text, size_t len);

/* The Set-Cookie value that logs a browser in, into buf. */
void admin_auth_cookie(const struct admin_auth *a, char *buf, size_t cap);

#endif
