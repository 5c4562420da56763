/* sendjob.h - one job on one modem: claim -> parts -> outcome in the queue.
 * Used by the worker loop; all functions run on the worker's thread. */
#ifndef OTAPD_SENDJOB_H
#define OTAPD_SENDJOB_H

#include <stdint.h>
#include "worker.h"

/* Builds the parts of a freshly claimed job and registers it as pending
 * (first part due now). A job that cannot be built fails at once. */
void sendjob_start(struct worker *w, const struct job *job);

/* Sends the next part of p; records the outcome when the job is finished
 * or failed, and removes it from the pending table then. */
void sendjob_continue(struct worker *w, struct pending_job *p);

/* Puts every pending job back in the queue without using an attempt (the
 * modem is going away: shutdown or re-initialisation). */
void sendjob_requeue_all(struct worker *w, const char *result, const char *why);

/* Handles an event that is not the reply to a send: URCs, watchdog inputs. */
void sendjob_side_event(struct worker *w, const struct at_event *ev);

#endif
