/* smpp_jobs.c - an SMPP link's open jobs and their parts (see smpp_jobs.h). */
#include "smpp_jobs.h"

#include <stdio.h>
#include <string.h>

void smpp_jobs_init(struct smpp_jobs *t)
{
	t->count = 0;
}

size_t smpp_jobs_count(const struct smpp_jobs *t)
{
	return t->count;
}

bool smpp_jobs_full(const struct smpp_jobs *t)
{
	return t->count >= SMPP_JOBS_MAX;
}

struct smpp_job *smpp_jobs_get(struct smpp_jobs *t, size_t i)
{
	return i < t->count ? &t->jobs[i] : NULL;
}

struct smpp_job *smpp_jobs_add(struct smpp_jobs *t, const struct pending_unit *unit,
			       const struct smpp_message *proto, const struct otap_message *msg,
			       int64_t now, int64_t started_at)
{
	if (smpp_jobs_full(t) || msg->count == 0 || msg->count > OTAP_MAX_PARTS)
		return NULL;
	struct smpp_job *j = &t->jobs[t->count++];
	memset(j, 0, sizeof *j);
	j->unit = *unit;
	j->proto = *proto;
	j->count = msg->count;
	for (size_t i = 0; i < msg->count; i++)
		j->parts[i].sm = msg->parts[i];
	j->due = now;
	j->started_at = started_at;
	return j;
}

void smpp_jobs_remove(struct smpp_jobs *t, struct smpp_job *j)
{
	size_t i = (size_t)(j - t->jobs);
	if (i >= t->count)
		return;
	/* Order does not matter: the next due job is found by its time. */
	t->jobs[i] = t->jobs[--t->count];
}

struct smpp_job *smpp_jobs_next_due(struct smpp_jobs *t, int64_t now, int64_t *earliest)
{
	struct smpp_job *best = NULL;
	*earliest = INT64_MAX;
	for (size_t i = 0; i < t->count; i++) {
		struct smpp_job *j = &t->jobs[i];
		if (j->next >= j->count || j->parts[j->next].state != SMPP_PART_WAITING)
			continue;
		if (j->due < *earliest)
			*earliest = j->due;
		if (j->due <= now && (!best || j->due < best->due))
			best = j;
	}
	return best;
}

uint64_t smpp_tag(int64_t job_id, size_t part)
{
	return (uint64_t)job_id << 4 | (uint64_t)(part & 0xF);
}

int64_t smpp_tag_job(uint64_t tag)
{
	return (int64_t)(tag >> 4);
}

size_t smpp_tag_part(uint64_t tag)
{
	return (size_t)(tag & 0xF);
}

struct smpp_job *smpp_jobs_find(struct smpp_jobs *t, int64_t id)
{
	for (size_t i = 0; i < t->count; i++) {
		if (t->jobs[i].unit.id == id)
			return &t->jobs[i];
	}
	return NULL;
}

void smpp_job_message(const struct smpp_job *j, struct smpp_message *out)
{
	const struct otap_sm *sm = &j->parts[j->next].sm;
	*out = j->proto;
	memcpy(out->sm, sm->body, sm->len);
	out->sm_len = sm->len;
}

void smpp_job_submitted(struct smpp_job *j)
{
	j->parts[j->next].state = SMPP_PART_INFLIGHT;
}

bool smpp_job_acked(struct smpp_job *j, const char *message_id, int64_t now,
		    int64_t split_delay_ms)
{
	struct smpp_part *p = &j->parts[j->next];
	p->state = SMPP_PART_ACKED;
	snprintf(p->message_id, sizeof p->message_id, "%s", message_id);
	if (++j->next >= j->count)
		return true;
	j->due = j->parts[j->next].sm.has_start ? now + split_delay_ms : now;
	return false;
}

void smpp_job_resend(struct smpp_job *j, int64_t due, bool maybe_accepted)
{
	j->parts[j->next].state = SMPP_PART_WAITING;
	j->due = due;
	if (maybe_accepted)
		j->unsure++;
}
