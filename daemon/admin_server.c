/* admin_server.c - the admin listener: libmicrohttpd setup, the optional
 * access token, and the routes: GET /metrics (lib/notify/metrics_page.c),
 * the JSON API under /api/ (admin_api.c), the web status page's files
 * (web/, compiled in) and POST /login, each answered on this thread's
 * store connection (see admin_server.h). */
#include "admin_server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "admin_api.h"
#include "admin_auth.h"
#include "clock.h"
#include "log.h"
#include "metrics_page.h"
#include "metrics_text.h"
#include "notify_server.h"
#include "store.h"
#include "web_files.h"

#define CONN_MEMORY_LIMIT (32 * 1024)
#define LOGIN_BODY_MAX 1024             /* bytes of a login form at most */
#define LOGIN_PATH "/login"

/* Served on every answer: the page loads only its own files and talks only
 * to this listener (no inline script or style, no frames, no forms
 * elsewhere). */
#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " \
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
#define JSON_TYPE "application/json; charset=utf-8"

struct admin_server {
	struct MHD_Daemon *mhd;
	struct store *q;
	const struct cfg *cfg;          /* the start's, until follow is set */
	/* Newest profiles and modems per request; NULL: the start's. Atomic:
	 * set by the main thread once libmicrohttpd's thread runs. */
	_Atomic(struct cfg_holder *) follow;
	struct admin_auth auth;
};

/* A POST /login in progress: its form, read by libmicrohttpd's post
 * processor, bounded. */
struct login_req {
	struct MHD_PostProcessor *pp;
	char token[LOGIN_BODY_MAX + 1];
	size_t len, body;
	bool too_big;
};

/* Headers besides the type: caching, the security headers, extras (pairs
 * of name and value, NULL-terminated). */
static enum MHD_Result queue(struct MHD_Connection *conn, unsigned int status,
			     struct MHD_Response *resp, const char *type, const char *cache,
			     const char *const *extra)
{
	if (!resp)
		return MHD_NO;
	const char *const std[] = {
		MHD_HTTP_HEADER_CONTENT_TYPE, type,
		MHD_HTTP_HEADER_CACHE_CONTROL, cache,
		MHD_HTTP_HEADER_CONNECTION, "close",
		"Content-Security-Policy", CSP,
		"X-Content-Type-Options", "nosniff",
		"Referrer-Policy", "no-referrer",
		NULL,
	};
	enum MHD_Result rc = MHD_YES;
	for (size_t i = 0; std[i] && rc == MHD_YES; i += 2)
		rc = MHD_add_response_header(resp, std[i], std[i + 1]);
	for (size_t i = 0; extra && extra[i] && rc == MHD_YES; i += 2)
		rc = MHD_add_response_header(resp, extra[i], extra[i + 1]);
	if (rc == MHD_YES)
		rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* A short text/plain answer (/metrics errors). */
static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned int status,
				    const char *text, const char *const *extra)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
								    MHD_RESPMEM_MUST_COPY);
	return queue(conn, status, resp, "text/plain; charset=utf-8", "no-store", extra);
}

static enum MHD_Result respond_reply(struct MHD_Connection *conn, struct admin_reply *r,
				     const char *const *extra)
{
	if (!r->body)
		return respond_text(conn, 500, "out of memory\n", NULL);
	struct MHD_Response *resp = MHD_create_response_from_buffer(r->len, r->body,
								    MHD_RESPMEM_MUST_FREE);
	if (!resp)
		free(r->body);
	return queue(conn, r->status, resp, JSON_TYPE, "no-store", extra);
}

static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned status,
				     const char *text, const char *const *extra)
{
	struct admin_reply r;
	admin_api_error(&r, status, text);
	return respond_reply(conn, &r, extra);
}

static const struct web_file *web_file(const char *path)
{
	for (int i = 0; i < web_file_count; i++) {
		if (strcmp(web_files[i].path, path) == 0)
			return &web_files[i];
	}
	return NULL;
}

static enum MHD_Result respond_file(struct MHD_Connection *conn, unsigned status,
				    const struct web_file *f, const char *const *extra)
{
	if (!f)
		return respond_error(conn, 404, "not found", NULL);
	struct MHD_Response *resp = MHD_create_response_from_buffer(f->len, (void *)f->data,
								    MHD_RESPMEM_PERSISTENT);
	/* no-cache: the browser asks again, so a new otapd's page is seen. */
	return queue(conn, status, resp, f->type, "no-cache", extra);
}

static enum MHD_Result serve_metrics(struct admin_server *s, struct MHD_Connection *conn)
{
	struct metrics_text t;
	struct errbuf err = { 0 };
	metrics_text_init(&t);
	if (metrics_page(s->q, clock_wall_ms(), &t, &err) < 0) {
		metrics_text_free(&t);
		log_warnx("admin: /metrics: %s", err.msg);
		return respond_text(conn, 503, "metrics unavailable: the store could not be read\n",
				    NULL);
	}
	/* libmicrohttpd frees the buffer with free() when the response goes. */
	struct MHD_Response *resp = MHD_create_response_from_buffer(t.len, t.buf ? t.buf : (char *)"",
		t.buf ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp)
		metrics_text_free(&t);
	return queue(conn, 200, resp, METRICS_TEXT_CONTENT_TYPE, "no-store", NULL);
}

/* One snapshot of the config per request, so that a reload never frees
 * the profiles or modems an answer reads. */
static enum MHD_Result serve_api(struct admin_server *s, struct MHD_Connection *conn,
				 const char *url)
{
	struct admin_reply r;
	struct cfg_holder *follow = atomic_load(&s->follow);
	struct cfg_snap *snap = follow ? cfg_snap_acquire(follow) : NULL;
	admin_api_answer(s->q, snap ? &snap->cfg : s->cfg, conn, url, &r);
	cfg_snap_release(follow, snap);
	return respond_reply(conn, &r, NULL);
}

/* The page's own files are "/", "/index.html", "/app.js"...; "/" is the
 * index. */
static const char *page_path(const char *url)
{
	return strcmp(url, "/") == 0 ? "/index.html" : url;
}

/* Not let in: the page's paths get the login form, the rest 401. */
static enum MHD_Result refuse(struct MHD_Connection *conn, const char *url)
{
	static const char *const challenge[] = {
		MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"otapd admin\"", NULL,
	};
	if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
		return respond_file(conn, 401, web_file("/login.html"), challenge);
	if (strcmp(url, "/metrics") == 0)
		return respond_text(conn, 401, "an access token is needed (Authorization: Bearer)\n",
				    challenge);
	return respond_error(conn, 401, "an access token is needed: send \"Authorization: Bearer "
			     "TOKEN\" or log in at /login", challenge);
}

static enum MHD_Result serve_get(struct admin_server *s, struct MHD_Connection *conn,
				 const char *url)
{
	/* The login form and its style are open: they hold nothing. */
	if (strcmp(url, LOGIN_PATH) == 0)
		return respond_file(conn, 200, web_file("/login.html"), NULL);
	if (strcmp(url, "/style.css") == 0)
		return respond_file(conn, 200, web_file(url), NULL);
	if (!admin_auth_allows(&s->auth, conn))
		return refuse(conn, url);
	if (strcmp(url, "/metrics") == 0)
		return serve_metrics(s, conn);
	if (strncmp(url, ADMIN_API_PREFIX, strlen(ADMIN_API_PREFIX)) == 0)
		return serve_api(s, conn, url);
	const struct web_file *f = web_file(page_path(url));
	if (f && strcmp(f->path, "/login.html") != 0)
		return respond_file(conn, 200, f, NULL);
	return respond_error(conn, 404, "not found: the admin listener serves /, /metrics and "
			     "/api/...", NULL);
}

/* ---- POST /login ---- */

static enum MHD_Result login_field(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *filename, const char *content_type,
				   const char *transfer_encoding, const char *data, uint64_t off,
				   size_t size)
{
	struct login_req *l = cls;
	(void)kind, (void)filename, (void)content_type, (void)transfer_encoding;
	if (strcmp(key, "token") != 0)
		return MHD_YES;
	if (off != l->len || size > LOGIN_BODY_MAX - l->len) {
		l->too_big = true;
		return MHD_NO;
	}
	memcpy(l->token + l->len, data, size);
	l->len += size;
	return MHD_YES;
}

static struct login_req *login_start(struct MHD_Connection *conn)
{
	struct login_req *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->pp = MHD_create_post_processor(conn, 512, login_field, l);
	if (!l->pp) {
		free(l);
		return NULL;
	}
	return l;
}

static void login_free(struct login_req *l)
{
	if (!l)
		return;
	if (l->pp)
		MHD_destroy_post_processor(l->pp);
	explicit_bzero(l->token, sizeof l->token);
	free(l);
}

static enum MHD_Result login_finish(struct admin_server *s, struct MHD_Connection *conn,
				    struct login_req *l)
{
	char cookie[128];
	if (l->too_big)
		return respond_error(conn, 413, "the login form is too large", NULL);
	if (!s->auth.token)
		return respond_error(conn, 404, "no access token is configured (admin.token_file): "
				     "nothing to log in to", NULL);
	if (!admin_auth_token_matches(&s->auth, l->token, l->len)) {
		log_warnx("admin: a login with a wrong token");
		return respond_file(conn, 401, web_file("/login.html"), NULL);
	}
	admin_auth_cookie(&s->auth, cookie, sizeof cookie);
	const char *const extra[] = {
		MHD_HTTP_HEADER_SET_COOKIE, cookie, MHD_HTTP_HEADER_LOCATION, "/", NULL,
	};
	return respond_text(conn, 303, "logged in: see /\n", extra);
}

/* Reads the form a chunk per call; answers when it is complete. */
static enum MHD_Result serve_login(struct admin_server *s, struct MHD_Connection *conn,
				   const char *upload_data, size_t *upload_data_size,
				   void **con_cls)
{
	struct login_req *l = *con_cls;
	if (!l) {
		if (!(l = login_start(conn)))
			return respond_error(conn, 415, "send the login form as "
					     "application/x-www-form-urlencoded", NULL);
		*con_cls = l;
		return MHD_YES;
	}
	if (*upload_data_size) {
		l->body += *upload_data_size;
		if (l->body > LOGIN_BODY_MAX)
			l->too_big = true;
		else if (!l->too_big)
			MHD_post_process(l->pp, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return login_finish(s, conn, l);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)conn, (void)toe;
	login_free(*con_cls);
	*con_cls = NULL;
}

/* GET and HEAD are answered when the head is complete (libmicrohttpd
 * leaves out the body of a HEAD); only /login takes a POST. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct admin_server *s = cls;
	(void)version;
	bool login = strcmp(url, LOGIN_PATH) == 0;
	if (login && strcmp(method, MHD_HTTP_METHOD_POST) == 0)
		return serve_login(s, conn, upload_data, upload_data_size, con_cls);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		const char *const allow[] = {
			MHD_HTTP_HEADER_ALLOW, login ? "GET, HEAD, POST" : "GET, HEAD", NULL,
		};
		return respond_error(conn, 405, "only GET and HEAD are served here (the API is "
				     "read-only)", allow);
	}
	return serve_get(s, conn, url);
}

__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];
	(void)cls;
	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\r\n")] = '\0';
	log_debug("admin: libmicrohttpd: %s", line);
}

static unsigned int poll_flag(void)
{
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
		return MHD_USE_EPOLL;
	return MHD_USE_POLL;
}

static struct MHD_Daemon *start_mhd(struct admin_server *s, int fd)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | poll_flag() | MHD_USE_ERROR_LOG;
	return MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)ADMIN_SERVER_MAX_CONNS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)ADMIN_SERVER_MAX_CONNS_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)ADMIN_SERVER_IDLE_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY_LIMIT,
		MHD_OPTION_END);
}

static void server_free(struct admin_server *s)
{
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	store_close(s->q);
	admin_auth_free(&s->auth);
	free(s);
}

int admin_server_start(struct admin_server **out, const struct cfg *cfg, const char *db_path,
		       struct errbuf *err)
{
	*out = NULL;
	if (!cfg->admin.listen)
		return errbuf_set(err, "no admin listen address configured");
	struct admin_server *s = calloc(1, sizeof *s);
	if (!s)
		return errbuf_set(err, "out of memory");
	s->cfg = cfg;
	if (admin_auth_init(&s->auth, cfg->admin.token, err) < 0 ||
	    store_open(db_path, &s->q, err) < 0) {
		server_free(s);
		return -1;
	}
	int fd = http_bind_listener(cfg->admin.listen, err);
	if (fd < 0) {
		server_free(s);
		return -1;
	}
	s->mhd = start_mhd(s, fd);
	if (!s->mhd) {
		close(fd);
		server_free(s);
		return errbuf_set(err, "cannot start the admin listener on %s", cfg->admin.listen);
	}
	log_info("admin: listening on %s (the status page at /, the JSON API under /api/, "
		 "/metrics; %s)", cfg->admin.listen,
		 cfg->admin.token ? "an access token is required" : "no access token: open");
	*out = s;
	return 0;
}

void admin_server_follow(struct admin_server *s, struct cfg_holder *h)
{
	if (s)
		atomic_store(&s->follow, h);
}

void admin_server_stop(struct admin_server *s)
{
	if (s)
		server_free(s);
}
