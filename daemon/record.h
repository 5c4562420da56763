/* record.h - recording one try's outcome in the store, or keeping it when
 * the store cannot take it yet (database locked), so that no outcome is
 * ever dropped. Internal to sendjob: runs on the worker's thread. */
#ifndef OTAPD_RECORD_H
#define OTAPD_RECORD_H

#include "sendjob.h"

/* Commits rec's outcome and logs it. When the store refuses it while the
 * job is still in 'sending' (database locked, I/O error), rec is kept in
 * s->held, logged once, and retried by sendjob_retry_held. An outcome for
 * a job that is no longer sending can never apply: logged as an error and
 * dropped. */
void record_outcome(struct sendjob *s, const struct sendjob_record *rec);

#endif
