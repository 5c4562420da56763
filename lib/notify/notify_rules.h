/* notify_rules.h - what a unit's report does to its job: pure functions
 * from the job as the store read it (struct job_view) and the report to
 * the planned change (struct job_change). The store applies them inside
 * its transaction (store_reports.h); lib/notify/notify_apply.c wires them.
 *
 * The rules, in one place:
 *  - Notification 900 (or 912 for a delete job): confirmed, from any state
 *    but cancelled — also from queued (a late 900 after the confirmation
 *    timeout requeued the job) and failed (a late 900 after "no
 *    confirmation"): it is the truth from the unit.
 *  - A job in 'sending' belongs to its worker: a notification for it (the
 *    unit can answer before the worker has recorded +CMGS) is recorded and
 *    applied (notify_plan_deferred) once the job is sent or queued.
 *  - 903: sent/delivered jobs are queued again (the try was counted at
 *    send), or failed when their attempts are used up; a queued job only
 *    records it.
 *  - Any other code (912 for an install job included): failed, last_error
 *    "901 Insufficient memory" (unknown codes: the unit's raw text). A
 *    failed job keeps its state but takes the code and text.
 *  - Confirmed jobs never change again; cancelled jobs only record the
 *    report. A notification repeating the code already recorded for the
 *    current send changes nothing. Every other notification adds an
 *    attempt row with result 'notified'.
 *  - Status report (only the part carrying START, of the job's current
 *    send, moves the job; every matched report is recorded as an attempt
 *    row): TP-ST 0x00 sent -> delivered ('delivered'); 0x40-0x5F sent ->
 *    failed ('report-failed'); 0x60-0x7F sent -> queued, or failed when
 *    attempts are used up ('report-retry'); anything else, e.g. 0x01
 *    "unconfirmed" or 0x20-0x3F "still trying", is recorded only ('report').
 *  - Confirmation timeout: sent/delivered longer than the profile's
 *    confirm_timeout -> queued ('unconfirmed'), or failed "gave up after N
 *    attempts: no confirmation within 30m" when attempts are used up.
 */
#ifndef OTAP_NOTIFY_RULES_H
#define OTAP_NOTIFY_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "notify.h"
#include "store_reports.h"

/* A notification r for job j. Returns false when it changes nothing (a
 * repeat, or the job is confirmed). */
bool notify_plan_notification(const struct job_view *j, const struct notify_report *r,
			      struct job_change *c);

/* The notification recorded while j was in 'sending' (its notify_code and
 * notify_text), applied now that it is not. Always a change. */
void notify_plan_deferred(const struct job_view *j, struct job_change *c);

/* A status report with TP-ST st on the part of j that j->send/part name.
 * Always a change (at least the history row). */
void notify_plan_status_report(const struct job_view *j, uint8_t st, struct job_change *c);

/* The confirmation of j is overdue (why: "no confirmation within 30m").
 * Always a change. */
void notify_plan_unconfirmed(const struct job_view *j, const char *why, struct job_change *c);

/* The job's last_error text for a notification: notify_describe(), plus a
 * remark when a 912 answers an install. */
void notify_describe_for(const struct job_view *j, const struct notify_report *r, char *buf,
			 size_t cap);

/* TS 23.040 §9.2.3.15 TP-Status in words ("received by the unit"). */
const char *notify_st_meaning(uint8_t st);

#endif
