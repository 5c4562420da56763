/* http_fetch.h - one bounded HTTP(S) GET with libcurl, the way a unit
 * fetches its JAD and JAR (basic auth, no redirects followed), with every
 * failure explained in words a person can act on; and resolving a relative
 * MIDlet-Jar-URL against the JAD's URL. */
#ifndef OTAP_HTTP_FETCH_H
#define OTAP_HTTP_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"

struct http_fetch_opts {
	const char *user;               /* HTTP basic auth; NULL = none */
	const char *password;           /* secret: never copied into a reason */
	long connect_timeout_s;         /* DNS + TCP + TLS handshake */
	long timeout_s;                 /* the whole transfer */
	size_t max_bytes;               /* a larger body fails the fetch */
};

struct http_fetch_result {
	long status;                    /* HTTP status of the answer */
	char *body;                     /* malloc'd, NUL-terminated; free with http_fetch_free */
	size_t len;
	char location[512];             /* a redirect's Location, "" = none */
	int64_t cert_expires;           /* https: the server certificate's end (s since
					 * the epoch); 0 = unknown or plain http */
};

/* Call once before http_fetch and once after the last (libcurl's global
 * state). http_fetch_global_init returns 0 or -1. */
int http_fetch_global_init(void);
void http_fetch_global_cleanup(void);

/* GETs url. Returns 0 when the server answered (any status: the caller
 * judges it; *out filled), or -1 with a reason in err when no answer came:
 * host not found (DNS), connection refused or unreachable, timed out, TLS
 * certificate not trusted / expired / for another host name, body larger
 * than max_bytes... The reason names the host, never the password. */
int http_fetch(const char *url, const struct http_fetch_opts *o, struct http_fetch_result *out,
	       struct errbuf *err);
/* Frees out->body; safe on a zeroed struct. */
void http_fetch_free(struct http_fetch_result *out);

/* Resolves ref (absolute, or relative like "app.jar" or "/fw/app.jar")
 * against base (RFC 3986, libcurl's URL API) into out. Returns 0, or -1
 * with a reason (malformed, too long). */
int http_resolve(const char *base, const char *ref, char *out, size_t cap, struct errbuf *err);

#endif
