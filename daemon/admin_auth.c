/* admin_auth.c - the admin listener's access token and session cookie
 * (admin_auth.h). */
#include "admin_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

/* Equal in time that depends only on the length of the guess b. */
static bool same_secret(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned diff = alen != blen;
	if (alen == 0)
		return false;
	for (size_t i = 0; i < blen; i++)
		diff |= (unsigned char)(a[i % alen] ^ b[i]);
	return diff == 0;
}

int admin_auth_init(struct admin_auth *a, const char *token, struct errbuf *err)
{
	unsigned char raw[ADMIN_SESSION_HEX / 2];
	memset(a, 0, sizeof *a);
	if (!token)
		return 0;
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return errbuf_set(err, "admin: cannot draw a session value from the random source");
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(a->session + 2 * i, 3, "%02x", raw[i]);
	explicit_bzero(raw, sizeof raw);
	a->token = strdup(token);
	return a->token ? 0 : errbuf_set(err, "admin: out of memory");
}

void admin_auth_free(struct admin_auth *a)
{
	if (a->token) {
		explicit_bzero(a->token, strlen(a->token));
		free(a->token);
	}
	explicit_bzero(a->session, sizeof a->session);
	a->token = NULL;
}

bool admin_auth_token_matches(const struct admin_auth *a, const char *text, size_t len)
{
	return a->token && same_secret(a->token, strlen(a->token), text, len);
}

static bool bearer_ok(const struct admin_auth *a, struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	static const char scheme[] = "Bearer ";
	if (!h || strncasecmp(h, scheme, sizeof scheme - 1) != 0)
		return false;
	h += sizeof scheme - 1;
	return admin_auth_token_matches(a, h, strlen(h));
}

static bool cookie_ok(const struct admin_auth *a, struct MHD_Connection *conn)
{
	const char *c = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, ADMIN_SESSION_COOKIE);
	return c && same_secret(a->session, ADMIN_SESSION_HEX, c, strlen(c));
}

bool admin_auth_allows(const struct admin_auth *a, struct MHD_Connection *conn)
{
	if (!a->token)
		return true;
	/* Both are looked at: the time says nothing about which one failed. */
	bool bearer = bearer_ok(a, conn), cookie = cookie_ok(a, conn);
	return bearer || cookie;
}

void admin_auth_cookie(const struct admin_auth *a, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s=%s; Path=/; HttpOnly; SameSite=Strict", ADMIN_SESSION_COOKIE,
		 a->session);
}
