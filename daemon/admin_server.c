/* admin_server.c - the admin listener: libmicrohttpd setup and the one
 * route, GET /metrics, answered from lib/notify/metrics_page.c on this
 * thread's store connection (see admin_server.h). */
#include "admin_server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "clock.h"
#include "log.h"
#include "metrics_page.h"
#include "metrics_text.h"
#include "notify_server.h"
#include "store.h"

#define CONN_MEMORY_LIMIT (32 * 1024)

struct admin_server {
	struct MHD_Daemon *mhd;
	struct store *q;
};

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned int status,
			     struct MHD_Response *resp, const char *type, const char *allow)
{
	if (!resp)
		return MHD_NO;
	enum MHD_Result rc = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (rc == MHD_YES)
		rc = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	if (rc == MHD_YES && allow)
		rc = MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	if (rc == MHD_YES)
		rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* A short text/plain answer (errors). */
static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status,
			       const char *allow, const char *text)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
								    MHD_RESPMEM_MUST_COPY);
	return queue(conn, status, resp, "text/plain", allow);
}

static enum MHD_Result serve_metrics(struct admin_server *s, struct MHD_Connection *conn)
{
	struct metrics_text t;
	struct errbuf err = { 0 };
	metrics_text_init(&t);
	if (metrics_page(s->q, clock_wall_ms(), &t, &err) < 0) {
		metrics_text_free(&t);
		log_warnx("admin: /metrics: %s", err.msg);
		return respond(conn, 503, NULL, "metrics unavailable: the store could not be read\n");
	}
	/* libmicrohttpd frees the buffer with free() when the response goes. */
	struct MHD_Response *resp = MHD_create_response_from_buffer(t.len, t.buf ? t.buf : (char *)"",
		t.buf ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp)
		metrics_text_free(&t);
	return queue(conn, 200, resp, METRICS_TEXT_CONTENT_TYPE, NULL);
}

/* Every request is answered when its head is complete; a body is never
 * read (only GET is served). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct admin_server *s = cls;
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(url, "/metrics") != 0)
		return respond(conn, 404, NULL, "not found\n");
	if (strcmp(method, "GET") != 0)
		return respond(conn, 405, "GET", "only GET is served here\n");
	return serve_metrics(s, conn);
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
	if (store_open(db_path, &s->q, err) < 0) {
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
	log_info("admin: listening on %s (GET /metrics)", cfg->admin.listen);
	*out = s;
	return 0;
}

void admin_server_stop(struct admin_server *s)
{
	if (s)
		server_free(s);
}
