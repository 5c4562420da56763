/* admin_api.h - the admin listener's read-only JSON API (docs/json.md,
 * "HTTP API"): GET /api/rollouts, /api/rollouts/NAME,
 * /api/rollouts/NAME/units, /api/jobs/ID, /api/modems. Each answer is the
 * object the matching `otapctl ... --json` prints, written by the same
 * lib/ function; errors are {"error": "...", "status": N}. */
#ifndef OTAPD_ADMIN_API_H
#define OTAPD_ADMIN_API_H

#include <stddef.h>
#include <microhttpd.h>

#include "config.h"
#include "store.h"

#define ADMIN_API_PREFIX "/api/"

struct admin_reply {
	unsigned status;
	char *body;                     /* malloc'd JSON and a newline; NULL: out of memory */
	size_t len;
};

/* Answers a GET (or HEAD) of path, which starts with ADMIN_API_PREFIX,
 * from q (the listener's own connection) and cfg (the profiles for the
 * diagnoses, the modems), with conn's query arguments (bounded, checked:
 * 400 naming the bad one). Never fails: a bad request, an unknown path
 * (404) and a store error (503) are replies too. Free out->body. */
void admin_api_answer(struct store *q, const struct cfg *cfg, struct MHD_Connection *conn,
		      const char *path, struct admin_reply *out);

/* out = {"error": text, "status": status} (text escaped by the JSON
 * writer). */
void admin_api_error(struct admin_reply *out, unsigned status, const char *text);

#endif
