/* notify_report.c - SMS status reports (+CDS) applied to the jobs table:
 * the parts table of recent sends, matching a report by modem, TP-MR and
 * recipient, and what its TP-ST does to the job (see notify_store.h). */
#include "notify_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "notify_db.h"
#include "pdu.h"

/* Sends of one modem with the same MR within the horizon: normally one; a
 * few more when a busy modem wrapped its MR, told apart by the number. */
#define MATCH_CANDIDATES 8
/* Enough digits to tell units apart, few enough to ignore how the SMSC
 * wrote the country prefix (+49170... vs 0170...). */
#define NUMBER_MATCH_DIGITS 9

/* ---- recording the parts of a send ---- */

static int insert_parts(sqlite3 *db, int64_t job_id, int attempt, const char *modem,
			const int *mrs, size_t count, int64_t now, struct errbuf *err)
{
	const char *doing = "recording the parts of a send";
	sqlite3_stmt *prune = db_prepare(db, "DELETE FROM sent_parts WHERE modem = ?1 "
						"AND mr = ?2 AND sent_at < ?3", doing, err);
	sqlite3_stmt *insert = prune ? db_prepare(db, "INSERT INTO sent_parts (job_id, "
				       "attempt, part, part_count, modem, mr, sent_at) "
				       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", doing, err) : NULL;
	int rc = insert ? 0 : -1;
	for (size_t i = 0; i < count && rc == 0; i++) {
		db_bind_text(prune, 1, modem);
		sqlite3_bind_int(prune, 2, mrs[i]);
		sqlite3_bind_int64(prune, 3, now - NOTIFY_REPORT_HORIZON_MS);
		sqlite3_bind_int64(insert, 1, job_id);
		sqlite3_bind_int(insert, 2, attempt);
		sqlite3_bind_int(insert, 3, (int)i + 1);
		sqlite3_bind_int(insert, 4, (int)count);
		db_bind_text(insert, 5, modem);
		sqlite3_bind_int(insert, 6, mrs[i]);
		sqlite3_bind_int64(insert, 7, now);
		if (notify_db_step_done(db, prune, doing, err) < 0 ||
		    notify_db_step_done(db, insert, doing, err) < 0)
			rc = -1;
	}
	sqlite3_finalize(prune);
	sqlite3_finalize(insert);
	return rc;
}

int notify_record_parts(struct queue *q, int64_t job_id, const char *modem, const int *mrs,
			size_t count, int64_t now, struct errbuf *err)
{
	const char *doing = "recording the parts of a send";
	sqlite3 *db = queue_db(q);
	if (!modem || !*modem || count == 0)
		return errbuf_set(err, "job %" PRId64 ": no modem or no parts to record", job_id);
	for (size_t i = 0; i < count; i++) {
		if (mrs[i] < 0 || mrs[i] > 255)
			return errbuf_set(err, "job %" PRId64 ": message reference %d of part %zu is "
					  "outside 0-255", job_id, mrs[i], i + 1);
	}
	struct notify_tx t;
	struct notify_job j;
	if (notify_tx_begin(&t, db, doing, err) < 0)
		return -1;
	/* jobs.attempts after queue_mark_sent numbers this send. */
	int found = notify_job_by_id(db, job_id, &j, err);
	if (found == 0)
		errbuf_set(err, "no such job %" PRId64, job_id);
	if (found <= 0 || insert_parts(db, job_id, j.attempts, modem, mrs, count, now, err) < 0 ||
	    notify_tx_commit(&t, doing, err) < 0) {
		notify_tx_rollback(&t);
		return -1;
	}
	return 0;
}

/* ---- TP-ST ---- */

enum report_class { REPORT_DELIVERED, REPORT_INFO, REPORT_PERMANENT, REPORT_GAVE_UP };

static enum report_class classify_st(uint8_t st)
{
	if (st == 0x00)
		return REPORT_DELIVERED;
	if (st >= 0x40 && st <= 0x5F)
		return REPORT_PERMANENT;
	if (st >= 0x60 && st <= 0x7F)
		return REPORT_GAVE_UP;
	/* 0x01-0x1F done but not known delivered, 0x20-0x3F still trying,
	 * 0x80 and up reserved: nothing to act on. */
	return REPORT_INFO;
}

static const char *const report_results[] = {
	[REPORT_DELIVERED] = "delivered",
	[REPORT_INFO] = "report",
	[REPORT_PERMANENT] = "report-failed",
	[REPORT_GAVE_UP] = "report-retry",
};

/* TS 23.040 §9.2.3.15 TP-Status, in words. */
static const char *st_meaning(uint8_t st)
{
	static const struct { uint8_t st; const char *text; } names[] = {
		{ 0x00, "received by the unit" },
		{ 0x01, "forwarded, delivery unconfirmed" },
		{ 0x02, "replaced by the SMSC" },
		{ 0x20, "congestion, still trying" }, { 0x21, "unit busy, still trying" },
		{ 0x22, "no response from the unit, still trying" },
		{ 0x23, "service rejected, still trying" },
		{ 0x24, "quality of service not available, still trying" },
		{ 0x25, "error in the unit, still trying" },
		{ 0x40, "remote procedure error" }, { 0x41, "incompatible destination" },
		{ 0x42, "connection rejected by the unit" }, { 0x43, "not obtainable" },
		{ 0x44, "quality of service not available" }, { 0x45, "no interworking available" },
		{ 0x46, "validity period expired" }, { 0x47, "deleted by the sender" },
		{ 0x48, "deleted by the SMSC administration" }, { 0x49, "message does not exist" },
		{ 0x60, "congestion, SMSC gave up" }, { 0x61, "unit busy, SMSC gave up" },
		{ 0x62, "no response from the unit, SMSC gave up" },
		{ 0x63, "service rejected, SMSC gave up" },
		{ 0x64, "quality of service not available, SMSC gave up" },
		{ 0x65, "error in the unit, SMSC gave up" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (names[i].st == st)
			return names[i].text;
	}
	switch (classify_st(st)) {
	case REPORT_PERMANENT: return "permanent error";
	case REPORT_GAVE_UP: return "temporary error, SMSC gave up";
	default: return st >= 0x20 && st <= 0x3F ? "still trying" : "unknown status";
	}
}

/* ---- matching ---- */

/* A part that a status report matched, and its job. */
struct part_match {
	int attempt;
	int part;
	int part_count;
	struct notify_job job;
};

static size_t digits_of(const char *text, char *out, size_t cap)
{
	size_t n = 0;
	for (; *text && n + 1 < cap; text++) {
		if (*text >= '0' && *text <= '9')
			out[n++] = *text;
	}
	out[n] = '\0';
	return n;
}

static bool numbers_agree(const char *job_number, const char *reported)
{
	char a[PDU_ADDR_MAX + MSISDN_MAX_LEN], b[PDU_ADDR_MAX + MSISDN_MAX_LEN];
	size_t la = digits_of(job_number, a, sizeof a), lb = digits_of(reported, b, sizeof b);
	if (lb == 0)
		return true;    /* the report names no number: MR and modem must do */
	size_t n = la < lb ? la : lb;
	if (n > NUMBER_MATCH_DIGITS)
		n = NUMBER_MATCH_DIGITS;
	return n > 0 && memcmp(a + la - n, b + lb - n, n) == 0;
}

/* The newest part sent on modem with the report's MR within the horizon
 * whose number agrees. Returns 1 and fills *m, 0 for none, or -1. */
static int find_part(sqlite3 *db, const char *modem, const struct pdu_decoded *d, int64_t now,
		     struct part_match *m, struct errbuf *err)
{
	const char *doing = "matching a status report";
	sqlite3_stmt *st = db_prepare(db, "SELECT p.attempt, p.part, p.part_count, "
					     NOTIFY_JOB_COLUMNS " FROM sent_parts p "
					     "JOIN jobs j ON j.id = p.job_id WHERE p.modem = ?1 "
					     "AND p.mr = ?2 AND p.sent_at >= ?3 "
					     "ORDER BY p.sent_at DESC, p.rowid DESC LIMIT ?4",
					     doing, err);
	if (!st)
		return -1;
	db_bind_text(st, 1, modem);
	sqlite3_bind_int(st, 2, d->mr);
	sqlite3_bind_int64(st, 3, now - NOTIFY_REPORT_HORIZON_MS);
	sqlite3_bind_int(st, 4, MATCH_CANDIDATES);
	int rc = SQLITE_DONE;
	bool found = false;
	while (!found && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		notify_job_from_row(st, 3, &m->job);
		m->attempt = sqlite3_column_int(st, 0);
		m->part = sqlite3_column_int(st, 1);
		m->part_count = sqlite3_column_int(st, 2);
		found = numbers_agree(m->job.msisdn, d->addr);
	}
	if (!found && rc != SQLITE_DONE)
		db_fail(db, doing, err);
	sqlite3_finalize(st);
	return found ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* ---- applying ---- */

/* The part carrying START (the last) of the current send decides; reports
 * on earlier parts or earlier sends are history only. */
static void plan_report(const struct part_match *m, uint8_t st, struct notify_change *c,
			struct notify_history *h)
{
	enum report_class cls = classify_st(st);
	const struct notify_job *j = &m->job;
	bool current = m->attempt == j->attempts;
	char why[QUEUE_TEXT_MAX];

	memset(c, 0, sizeof *c);
	c->state = j->state;
	h->result = report_results[cls];
	notify_history_detail(h, "status report for SM %d/%d: TP-ST 0x%02X %s%s", m->part,
			      m->part_count, st, st_meaning(st), current ? "" : " (an earlier send)");
	if (!current || m->part != m->part_count || j->state != JOB_SENT)
		return;
	snprintf(why, sizeof why, "status report: TP-ST 0x%02X %s", st, st_meaning(st));
	switch (cls) {
	case REPORT_DELIVERED:
		c->state = JOB_DELIVERED;
		c->delivered = true;
		break;
	case REPORT_PERMANENT:
		c->state = JOB_FAILED;
		notify_change_error(c, "%s", why);
		break;
	case REPORT_GAVE_UP:
		notify_plan_retry(j, why, c);
		break;
	case REPORT_INFO:
		break;
	}
}

/* Modems print the +CDS PDU with the SMSC field (TS 27.005), but be lenient
 * about ones that do not. */
static int decode_report(const char *hex, struct pdu_decoded *d, struct errbuf *err)
{
	if (pdu_decode(hex, true, d, err) == 0 && d->type == PDU_TYPE_STATUS_REPORT)
		return 0;
	if (pdu_decode(hex, false, d, err) == 0 && d->type == PDU_TYPE_STATUS_REPORT)
		return 0;
	return errbuf_prefix(err, "not an SMS-STATUS-REPORT PDU");
}

static void log_report(const struct part_match *m, const char *modem, uint8_t mr, uint8_t st,
		       const struct notify_change *c)
{
	const struct notify_job *j = &m->job;
	if (c->state == j->state)
		log_debug("job %" PRId64 " via %s: status report mr %u TP-ST 0x%02X (%s), no change",
			  j->id, modem, mr, st, st_meaning(st));
	else if (c->state == JOB_FAILED)
		log_warnx("job %" PRId64 " to %s via %s: failed: %s", j->id, j->msisdn, modem,
			  c->error);
	else
		log_info("job %" PRId64 " to %s via %s: %s (status report mr %u TP-ST 0x%02X %s)",
			 j->id, j->msisdn, modem, c->state == JOB_QUEUED ? "queued again" :
			 job_state_name(c->state), mr, st, st_meaning(st));
}

int notify_apply_status_report(struct queue *q, const char *modem, const char *pdu_hex,
			       int64_t now, struct errbuf *err)
{
	const char *doing = "applying a status report";
	sqlite3 *db = queue_db(q);
	struct pdu_decoded d;
	struct part_match m;
	struct notify_change c;
	char mrs[8];
	struct notify_history h = { .modem = modem, .mrs = mrs };
	struct notify_tx t;

	if (decode_report(pdu_hex, &d, err) < 0 || notify_tx_begin(&t, db, doing, err) < 0)
		return -1;
	int found = find_part(db, modem, &d, now, &m, err);
	if (found <= 0) {
		notify_tx_rollback(&t);
		if (found == 0)
			log_debug("status report on %s for mr %u (%s) matches no recent send", modem,
				  d.mr, d.addr[0] ? d.addr : "no number");
		return found;
	}
	snprintf(mrs, sizeof mrs, "%u", d.mr);
	plan_report(&m, d.st, &c, &h);
	if (notify_job_apply(db, m.job.id, now, &c, &h, err) < 0 ||
	    notify_tx_commit(&t, doing, err) < 0) {
		notify_tx_rollback(&t);
		return -1;
	}
	log_report(&m, modem, d.mr, d.st, &c);
	return 0;
}
