/* notify_artifacts.h - a job's own JAD and JAR, served from its profile's
 * local artifacts (jar_file, jad_file): the JAD names the job's JAR URL,
 * the JAR's real size and the job's notify URL; every fetch is recorded as
 * an event of the job (store_record_download). Used by notify_route. */
#ifndef OTAP_NOTIFY_ARTIFACTS_H
#define OTAP_NOTIFY_ARTIFACTS_H

#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"
#include "notify_route.h"
#include "otap.h"

#define NOTIFY_JAD_TYPE "text/vnd.sun.j2me.app-descriptor"
#define NOTIFY_JAR_TYPE "application/java-archive"

/* Writes the JAD job id (token) gets: profile p's jad_text with
 * MIDlet-Jar-URL, MIDlet-Jar-Size (jar_size) and MIDlet-Install-Notify set
 * to the job's own, into a new string (*out, freed by the caller). Returns
 * 0 or -1 with a reason. Pure. */
int notify_render_jad(const struct otap_profile *p, const char *public_url, int64_t id,
		      const char *token, int64_t jar_size, char **out, size_t *len,
		      struct errbuf *err);

/* Answers GET/HEAD of path (NOTIFY_PATH_JAD or NOTIFY_PATH_JAR): 404 for an
 * unknown job, a wrong token or a profile without local artifacts (nothing
 * recorded); else the JAD (recorded as jad_fetched) or the JAR as a file to
 * stream (out->file_fd; the caller reports the bytes it sent with
 * notify_download_finished). Never fails: errors become 500. */
void notify_serve_artifact(struct notify_router *r, const struct notify_path *path,
			   const struct notify_request *req, int64_t now, struct notify_reply *out);

/* Records how a JAR download that notify_serve_artifact started ended:
 * jar_fetched when bytes reached the size, else jar_partial. A reply whose
 * download.job_id is 0 (HEAD) records nothing. Logs one line. */
void notify_download_finished(struct notify_router *r, const struct notify_reply *reply,
			      int64_t bytes, int64_t now);

#endif
