/* outcome.h - a try's outcome as a value that outlives the try: which
 * transition it asks of the store (sent, retry later, failed) with its own
 * copy of every field. An outcome the store cannot commit yet (database
 * locked) is kept as one of these, committed later, or written to the
 * recovery file as one line (outcome_file.h). */
#ifndef OTAPD_OUTCOME_H
#define OTAPD_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"
#include "otap.h"
#include "store.h"

enum outcome_kind { OUTCOME_SENT, OUTCOME_RETRY, OUTCOME_FAILED };

struct outcome {
	enum outcome_kind kind;
	int64_t job_id;
	int64_t not_before;             /* OUTCOME_RETRY: wall clock ms */
	bool count_attempt;             /* OUTCOME_RETRY */
	char modem[STORE_NAME_MAX];
	int64_t started_at;
	int64_t finished_at;
	char result[32];                /* "" = the store's default for the kind */
	int cms_error;                  /* -1 when none */
	char mrs[64];
	char detail[STORE_TEXT_MAX];
	int mr[OTAP_MAX_PARTS];         /* OUTCOME_SENT: the parts' TP-MRs */
	size_t part_count;
	/* OUTCOME_SENT through an SMPP link: the parts' message ids (then mr
	 * is unused); all "" for a modem. */
	char message_id[OTAP_MAX_PARTS][STORE_MESSAGE_ID_MAX + 1];
};

/* Longest line outcome_format writes (NUL included): room for eight
 * message ids escaped. */
#define OUTCOME_LINE_MAX 4096

/* Fills out from o (copied, cut to the field sizes); parts may be NULL. */
void outcome_set(struct outcome *out, enum outcome_kind kind, int64_t job_id,
		 const struct job_outcome *o, const struct sent_parts *parts);

/* Asks the store for out's transition (store_mark_sent, store_retry_later
 * or store_mark_failed). *state_out (may be NULL) gets the job's state
 * afterwards. Returns 0, or -1 with the store's reason. */
int outcome_commit(struct store *s, const struct outcome *oc, enum job_state *state_out,
		   struct errbuf *err);

/* True when a failed commit can never succeed: the job is gone or no
 * longer in 'sending' (its outcome was applied already, or an operator
 * moved it). Reads the job; false when even that fails (then retrying is
 * the only safe choice). */
bool outcome_is_moot(struct store *s, const struct outcome *oc);

/* Writes oc as one line without a newline: tab-separated fields, text
 * fields %-escaped (no TAB, CR, LF or other control byte survives); the
 * SMPP message ids, when there are any, as a 14th field (comma-separated,
 * each escaped, ',' too), which lines of the 13-field form lack. */
void outcome_format(const struct outcome *oc, char line[OUTCOME_LINE_MAX]);

/* Parses a line written by outcome_format (a trailing newline is allowed).
 * Returns 0, or -1 with a reason. */
int outcome_parse(const char *line, struct outcome *out, struct errbuf *err);

#endif
