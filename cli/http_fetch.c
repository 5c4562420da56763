/* http_fetch.c - bounded HTTP(S) GETs with libcurl and what their failures
 * mean (see http_fetch.h). */
#include "http_fetch.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

/* OpenSSL's X509_V_ERR_* values as curl reports them in
 * CURLINFO_SSL_VERIFYRESULT (numbers, so that otapctl needs no OpenSSL
 * headers of its own). */
enum {
	X509_NO_ISSUER_CERT = 2, X509_NOT_YET_VALID = 9, X509_EXPIRED = 10,
	X509_SELF_SIGNED = 18, X509_SELF_SIGNED_IN_CHAIN = 19, X509_NO_LOCAL_ISSUER = 20,
	X509_LEAF_UNVERIFIABLE = 21, X509_HOSTNAME_MISMATCH = 62,
};

struct sink {
	struct http_fetch_result *out;
	size_t cap, max;
	bool too_large;
};

int http_fetch_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_fetch_global_cleanup(void)
{
	curl_global_cleanup();
}

void http_fetch_free(struct http_fetch_result *out)
{
	free(out->body);
	out->body = NULL;
	out->len = 0;
}

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;
	if (len > s->max - s->out->len) {
		s->too_large = true;
		return 0;               /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (s->out->len + len + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->out->len + len + 1)
			cap *= 2;
		char *grown = realloc(s->out->body, cap);
		if (!grown)
			return 0;
		s->out->body = grown;
		s->cap = cap;
	}
	memcpy(s->out->body + s->out->len, data, len);
	s->out->len += len;
	s->out->body[s->out->len] = '\0';
	return len;
}

/* "host:port" of url for messages ("the server" when it does not parse). */
static void host_of(const char *url, char *buf, size_t size)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	snprintf(buf, size, "the server");
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		snprintf(buf, size, "%s:%s", host, port);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

/* A certificate problem in words: what is wrong and what to change. */
static int tls_reason(long verify, const char *text, const char *host, struct errbuf *err)
{
	if (verify == X509_EXPIRED || strstr(text, "expired"))
		return errbuf_set(err, "TLS: the certificate of %s has expired (renew it on the "
				  "server: units refuse it too)", host);
	if (verify == X509_NOT_YET_VALID || strstr(text, "not yet valid"))
		return errbuf_set(err, "TLS: the certificate of %s is not valid yet (check its "
				  "dates and the clocks)", host);
	if (verify == X509_HOSTNAME_MISMATCH || strstr(text, "subject name") ||
	    strstr(text, "does not match"))
		return errbuf_set(err, "TLS: the certificate of %s is for another host name (use a "
				  "certificate that names this host, or the name it has in the URL)",
				  host);
	if (verify == X509_SELF_SIGNED || verify == X509_SELF_SIGNED_IN_CHAIN ||
	    verify == X509_NO_LOCAL_ISSUER || verify == X509_NO_ISSUER_CERT ||
	    verify == X509_LEAF_UNVERIFIABLE || strstr(text, "issuer") || strstr(text, "self"))
		return errbuf_set(err, "TLS: the certificate chain of %s is not trusted (self-signed, "
				  "or the server does not send its intermediate certificates: "
				  "install the full chain on the server)", host);
	return errbuf_set(err, "TLS: the certificate of %s was refused: %s", host, text);
}

/* Why no answer came, for the libcurl result rc. */
static int failure_reason(CURL *c, CURLcode rc, const char *text, const char *url,
			  const struct http_fetch_opts *o, const struct sink *s, struct errbuf *err)
{
	char host[300];
	long verify = 0;
	host_of(url, host, sizeof host);
	curl_easy_getinfo(c, CURLINFO_SSL_VERIFYRESULT, &verify);
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		return errbuf_set(err, "DNS: the host name of %s does not resolve from here "
				  "(check the host name in the URL)", host);
	case CURLE_COULDNT_CONNECT:
		return errbuf_set(err, "cannot connect to %s (nothing listens there, or a firewall "
				  "is in the way)", host);
	case CURLE_OPERATION_TIMEDOUT:
		return errbuf_set(err, "no complete answer from %s within the limits (connect %ld s, "
				  "whole fetch %ld s)", host, o->connect_timeout_s, o->timeout_s);
	case CURLE_PEER_FAILED_VERIFICATION:
		return tls_reason(verify, text, host, err);
	case CURLE_SSL_CACERT_BADFILE:
		return errbuf_set(err, "TLS: this host's CA certificates cannot be read (install "
				  "ca-certificates)");
	case CURLE_SSL_CONNECT_ERROR:
		return errbuf_set(err, "TLS handshake with %s failed: %s", host, text);
	case CURLE_UNSUPPORTED_PROTOCOL:
		return errbuf_set(err, "unsupported URL scheme (units fetch http:// or https://)");
	case CURLE_URL_MALFORMAT:
		return errbuf_set(err, "malformed URL");
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
		return errbuf_set(err, "%s closed the connection without an answer", host);
	case CURLE_FILESIZE_EXCEEDED:
	case CURLE_WRITE_ERROR:
		if (rc == CURLE_FILESIZE_EXCEEDED || s->too_large)
			return errbuf_set(err, "the file at %s is larger than %zu bytes", host,
					  o->max_bytes);
		return errbuf_set(err, "out of memory");
	default:
		return errbuf_set(err, "fetch from %s failed: %s", host, text[0] ? text :
				  curl_easy_strerror(rc));
	}
}

/* The end date of the server's (first) certificate, from CURLOPT_CERTINFO. */
static int64_t cert_expiry(CURL *c)
{
	struct curl_certinfo *ci = NULL;
	if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci || ci->num_of_certs < 1)
		return 0;
	for (struct curl_slist *l = ci->certinfo[0]; l; l = l->next) {
		if (strncmp(l->data, "Expire date:", 12) == 0) {
			time_t t = curl_getdate(l->data + 12, NULL);
			return t > 0 ? (int64_t)t : 0;
		}
	}
	return 0;
}

static void set_options(CURL *c, const char *url, const struct http_fetch_opts *o,
			struct sink *s, char *text)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout_s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout_s);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_bytes);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, text);
	curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
	/* What a module sends; a server that serves units by User-Agent
	 * answers the preflight the same way. */
	curl_easy_setopt(c, CURLOPT_USERAGENT,
			 "otapctl-preflight Profile/IMP-NG Configuration/CLDC-1.1");
	if (o->user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, o->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, o->password ? o->password : "");
	}
}

int http_fetch(const char *url, const struct http_fetch_opts *o, struct http_fetch_result *out,
	       struct errbuf *err)
{
	memset(out, 0, sizeof *out);
	CURL *c = curl_easy_init();
	if (!c)
		return errbuf_set(err, "cannot start libcurl");
	struct sink s = { .out = out, .max = o->max_bytes };
	char text[CURL_ERROR_SIZE] = "";
	set_options(c, url, o, &s, text);
	CURLcode rc = curl_easy_perform(c);
	int result = 0;
	if (rc != CURLE_OK) {
		result = failure_reason(c, rc, text, url, o, &s, err);
		http_fetch_free(out);
	} else {
		char *loc = NULL;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc)
			snprintf(out->location, sizeof out->location, "%s", loc);
		out->cert_expires = cert_expiry(c);
	}
	curl_easy_cleanup(c);
	return result;
}

int http_resolve(const char *base, const char *ref, char *out, size_t cap, struct errbuf *err)
{
	CURLU *u = curl_url();
	char *full = NULL;
	int rc = 0;
	/* Setting a relative URL on a handle that holds one resolves it. */
	if (!u || curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, ref, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK)
		rc = errbuf_set(err, "cannot make a URL of it (malformed)");
	else if (strlen(full) >= cap)
		rc = errbuf_set(err, "the URL is longer than %zu bytes", cap - 1);
	else
		snprintf(out, cap, "%s", full);
	curl_free(full);
	curl_url_cleanup(u);
	return rc;
}
