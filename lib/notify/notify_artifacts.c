/* notify_artifacts.c - serving a job's JAD and JAR and recording each
 * fetch (see notify_artifacts.h). */
#include "notify_artifacts.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jad.h"
#include "log.h"
#include "store_events.h"

int notify_render_jad(const struct otap_profile *p, const char *public_url, int64_t id,
		      const char *token, int64_t jar_size, char **out, size_t *len,
		      struct errbuf *err)
{
	char jar_url[512], notify_url[512], size[24];
	struct jad jad;
	if (notify_format_artifact_url(public_url, id, token, true, jar_url, sizeof jar_url) < 0 ||
	    notify_format_job_url(public_url, id, token, notify_url, sizeof notify_url) < 0)
		return errbuf_set(err, "job %" PRId64 ": public_url is too long", id);
	if (jad_parse(p->jad_text, p->jad_len, &jad, err) < 0)
		return errbuf_prefix(err, "profile '%s': jad_file", p->name);
	snprintf(size, sizeof size, "%" PRId64, jar_size);
	int rc = jad_set(&jad, "MIDlet-Jar-URL", jar_url, err);
	if (rc == 0)
		rc = jad_set(&jad, "MIDlet-Jar-Size", size, err);
	if (rc == 0)
		rc = jad_set(&jad, "MIDlet-Install-Notify", notify_url, err);
	if (rc == 0)
		rc = jad_write(&jad, out, len, err);
	jad_free(&jad);
	return rc;
}

/* The unit as its request shows it: address, and product and IMEI from a
 * module's User-Agent "<product>/<IMEI> Profile/IMP-NG ...". */
static void describe_client(const struct notify_request *req, struct job_event *ev)
{
	snprintf(ev->client, sizeof ev->client, "%s", req->peer ? req->peer : "");
	const char *ua = req->user_agent;
	if (!ua || notify_user_agent_imei(ua, ev->imei) < 0)
		return;
	size_t product = strcspn(ua, "/");
	if (product < sizeof ev->product)
		snprintf(ev->product, sizeof ev->product, "%.*s", (int)product, ua);
}

static void reply_text(struct notify_reply *out, int status, const char *text)
{
	out->status = status;
	snprintf(out->body, sizeof out->body, "%s", text);
}

/* Opens the profile's JAR. Returns the descriptor (*size set) or -1. */
static int open_jar(const struct otap_profile *p, int64_t *size)
{
	int fd = open(p->jar_file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0) {
		log_errorx("notify: profile '%s': jar_file '%s': %s", p->name, p->jar_file,
			   strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_errorx("notify: profile '%s': jar_file '%s' is not a regular file any more",
			   p->name, p->jar_file);
		close(fd);
		return -1;
	}
	*size = (int64_t)st.st_size;
	return fd;
}

static void record(struct notify_router *r, const struct job_event *ev)
{
	struct errbuf err;
	if (store_record_download(r->s, ev, &err) < 0)
		log_errorx("notify: job %" PRId64 ": cannot record the download: %s", ev->job_id,
			   err.msg);
}

static void serve_jad(struct notify_router *r, const struct otap_profile *p,
		      const struct notify_path *path, int fd, int64_t size, bool head,
		      struct job_event *ev, struct notify_reply *out)
{
	struct errbuf err;
	close(fd);
	if (notify_render_jad(p, r->public_url, path->job_id, path->token, size, &out->content,
			      &out->content_len, &err) < 0) {
		log_errorx("notify: job %" PRId64 ": %s", path->job_id, err.msg);
		reply_text(out, 500, "cannot build the descriptor now");
		return;
	}
	out->status = 200;
	out->content_type = NOTIFY_JAD_TYPE;
	if (head)
		return;
	ev->kind = EVENT_JAD_FETCHED;
	ev->bytes = ev->size = (int64_t)out->content_len;
	record(r, ev);
	log_info("notify: job %" PRId64 ": JAD fetched by %s%s%s", path->job_id, ev->client,
		 ev->product[0] ? " " : "", ev->product);
}

void notify_serve_artifact(struct notify_router *r, const struct notify_path *path,
			   const struct notify_request *req, int64_t now, struct notify_reply *out)
{
	bool head = strcmp(req->method, "HEAD") == 0;
	if (!head && strcmp(req->method, "GET") != 0) {
		reply_text(out, 405, "method not allowed (use GET, HEAD)");
		out->allow = "GET, HEAD";
		return;
	}
	struct download_job job;
	struct errbuf err;
	int found = store_download_job(r->s, path->job_id, path->token, &job, &err);
	const struct otap_profile *p = found == 1 && r->cfg ? cfg_profile(r->cfg, job.profile) : NULL;
	if (found < 0) {
		log_errorx("notify: job %" PRId64 ": %s", path->job_id, err.msg);
		reply_text(out, 500, "cannot look up the job now");
		return;
	}
	if (!p || !p->jar_file) {
		notify_router_warn(r, now, "notify: download for job %" PRId64 " from %s: no such "
				   "job, wrong token or no local artifacts, ignored", path->job_id,
				   req->peer ? req->peer : "?");
		reply_text(out, 404, "not found");
		return;
	}
	int64_t size;
	int fd = open_jar(p, &size);
	if (fd < 0) {
		reply_text(out, 500, "the application is not available now");
		return;
	}
	struct job_event ev = { .job_id = job.id, .at = now, .bytes = -1, .size = -1, .code = -1 };
	describe_client(req, &ev);
	if (path->kind == NOTIFY_PATH_JAD) {
		serve_jad(r, p, path, fd, size, head, &ev, out);
		return;
	}
	out->status = 200;
	out->content_type = NOTIFY_JAR_TYPE;
	out->file_fd = fd;
	out->file_size = size;
	ev.size = size;
	out->download = ev;
	if (head)
		out->download.job_id = 0;
}

void notify_download_finished(struct notify_router *r, const struct notify_reply *reply,
			      int64_t bytes, int64_t now)
{
	struct job_event ev = reply->download;
	if (ev.job_id <= 0)
		return;
	ev.at = now;
	ev.bytes = bytes;
	ev.kind = bytes >= ev.size ? EVENT_JAR_FETCHED : EVENT_JAR_PARTIAL;
	record(r, &ev);
	if (ev.kind == EVENT_JAR_FETCHED)
		log_info("notify: job %" PRId64 ": JAR fetched by %s (%" PRId64 " bytes)", ev.job_id,
			 ev.client, bytes);
	else
		log_warnx("notify: job %" PRId64 ": JAR download by %s cut short at %" PRId64 " of %"
			  PRId64 " bytes", ev.job_id, ev.client, bytes, ev.size);
}
