/* cfgsnap.c - reference-counted config snapshots (cfgsnap.h). */
#include "cfgsnap.h"

#include <stdlib.h>
#include <string.h>

static struct cfg_snap *snap_new(struct cfg *cfg, unsigned long gen)
{
	struct cfg_snap *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->cfg = *cfg;
	memset(cfg, 0, sizeof *cfg);
	s->gen = gen;
	s->refs = 1;    /* the holder's */
	return s;
}

/* With h->lock held: drops one reference, returns the snapshot to free
 * (outside the lock: cfg_free wipes secrets) or NULL. */
static struct cfg_snap *unref_locked(struct cfg_snap *s)
{
	return --s->refs == 0 ? s : NULL;
}

static void snap_free(struct cfg_snap *s)
{
	if (!s)
		return;
	cfg_free(&s->cfg);
	free(s);
}

int cfg_holder_init(struct cfg_holder *h, struct cfg *cfg)
{
	h->current = snap_new(cfg, 1);
	if (!h->current)
		return -1;
	pthread_mutex_init(&h->lock, NULL);
	atomic_init(&h->gen, 1);
	return 0;
}

void cfg_holder_destroy(struct cfg_holder *h)
{
	if (!h->current)
		return;
	pthread_mutex_lock(&h->lock);
	struct cfg_snap *dead = unref_locked(h->current);
	h->current = NULL;
	pthread_mutex_unlock(&h->lock);
	snap_free(dead);
	pthread_mutex_destroy(&h->lock);
}

int cfg_holder_publish(struct cfg_holder *h, struct cfg *cfg)
{
	struct cfg_snap *next = snap_new(cfg, 0);
	if (!next)
		return -1;
	pthread_mutex_lock(&h->lock);
	next->gen = h->current->gen + 1;
	struct cfg_snap *dead = unref_locked(h->current);
	h->current = next;
	atomic_store(&h->gen, next->gen);
	pthread_mutex_unlock(&h->lock);
	snap_free(dead);
	return 0;
}

struct cfg_snap *cfg_snap_acquire(struct cfg_holder *h)
{
	pthread_mutex_lock(&h->lock);
	struct cfg_snap *s = h->current;
	s->refs++;
	pthread_mutex_unlock(&h->lock);
	return s;
}

void cfg_snap_hold(struct cfg_holder *h, struct cfg_snap *s)
{
	pthread_mutex_lock(&h->lock);
	s->refs++;
	pthread_mutex_unlock(&h->lock);
}

void cfg_snap_release(struct cfg_holder *h, struct cfg_snap *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&h->lock);
	struct cfg_snap *dead = unref_locked(s);
	pthread_mutex_unlock(&h->lock);
	snap_free(dead);
}

bool cfg_snap_outdated(const struct cfg_holder *h, const struct cfg_snap *s)
{
	return atomic_load(&h->gen) != s->gen;
}
