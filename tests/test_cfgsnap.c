/* test_cfgsnap.c - the reload's config snapshots (daemon/cfgsnap.c): a
 * snapshot lives while a holder has it, generations say when one is
 * outdated, and readers on other threads swapping while the main thread
 * publishes never see a freed one (run under ASan in CI). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "cfgsnap.h"

#define MINIMAL OTAP_TEST_DATA "/config/minimal.conf"

static void load(struct cfg *cfg)
{
	struct errbuf err;
	if (cfg_load(MINIMAL, cfg, &err) < 0)
		fail_msg("%s", err.msg);
}

static void test_generations_and_lifetimes(void **state)
{
	struct cfg_holder h;
	struct cfg cfg;
	(void)state;
	load(&cfg);
	assert_int_equal(cfg_holder_init(&h, &cfg), 0);
	assert_null(cfg.path);          /* moved */
	struct cfg_snap *a = cfg_snap_acquire(&h);
	assert_int_equal(a->gen, 1);
	assert_false(cfg_snap_outdated(&h, a));
	load(&cfg);
	assert_int_equal(cfg_holder_publish(&h, &cfg), 0);
	assert_true(cfg_snap_outdated(&h, a));
	/* The first one is still readable: a holds it. */
	assert_non_null(a->cfg.profiles[0].name);
	struct cfg_snap *b = cfg_snap_acquire(&h);
	assert_int_equal(b->gen, 2);
	assert_ptr_not_equal(a, b);
	cfg_snap_hold(&h, b);
	cfg_snap_release(&h, a);        /* the last reference: freed */
	cfg_snap_release(&h, b);
	assert_false(cfg_snap_outdated(&h, b));
	assert_non_null(b->cfg.database);       /* one reference left besides the holder's */
	cfg_snap_release(&h, b);
	cfg_snap_release(&h, NULL);     /* ignored */
	cfg_holder_destroy(&h);
}

struct reader {
	struct cfg_holder *h;
	atomic_bool *stop;
	long swaps;
	long wrong;     /* reads that did not see the profile (cmocka's asserts
			 * belong to the main thread) */
};

/* A worker's pattern: hold one snapshot, read it, swap at a safe point. */
static void *read_and_swap(void *arg)
{
	struct reader *r = arg;
	struct cfg_snap *mine = cfg_snap_acquire(r->h);
	while (!atomic_load(r->stop)) {
		if (strcmp(mine->cfg.profiles[0].name, "bare") != 0)
			r->wrong++;
		if (cfg_snap_outdated(r->h, mine)) {
			struct cfg_snap *next = cfg_snap_acquire(r->h);
			cfg_snap_release(r->h, mine);
			mine = next;
			r->swaps++;
		}
	}
	cfg_snap_release(r->h, mine);
	return NULL;
}

static void test_readers_swap_while_published(void **state)
{
	struct cfg_holder h;
	struct cfg cfg;
	atomic_bool stop;
	pthread_t threads[3];
	struct reader readers[3];
	(void)state;
	atomic_init(&stop, false);
	load(&cfg);
	assert_int_equal(cfg_holder_init(&h, &cfg), 0);
	for (int i = 0; i < 3; i++) {
		readers[i] = (struct reader){ .h = &h, .stop = &stop };
		assert_int_equal(pthread_create(&threads[i], NULL, read_and_swap, &readers[i]), 0);
	}
	for (int i = 0; i < 200; i++) {
		load(&cfg);
		assert_int_equal(cfg_holder_publish(&h, &cfg), 0);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 3; i++) {
		pthread_join(threads[i], NULL);
		assert_int_equal(readers[i].wrong, 0);
	}
	struct cfg_snap *last = cfg_snap_acquire(&h);
	assert_int_equal(last->gen, 201);
	cfg_snap_release(&h, last);
	cfg_holder_destroy(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generations_and_lifetimes),
		cmocka_unit_test(test_readers_swap_while_published),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
