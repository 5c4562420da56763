/* test_bloom.c - the Bloom filter of lib/base: a key added is always
 * "maybe", bloom_add says whether it was seen, bloom_maybe asks without
 * adding, and keys never added are rarely "maybe" at the import check's
 * sizes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bloom.h"

static void test_added_keys_are_maybe(void **state)
{
	(void)state;
	struct bloom *b = bloom_new(1u << 20);
	assert_non_null(b);
	for (uint64_t k = 1; k <= 100000; k++)
		bloom_add(b, k * 7919);
	for (uint64_t k = 1; k <= 100000; k++)
		assert_true(bloom_maybe(b, k * 7919));
	assert_true(bloom_add(b, 7919));        /* seen before */
	bloom_free(b);
}

static void test_maybe_does_not_add(void **state)
{
	(void)state;
	struct bloom *b = bloom_new(4096);
	assert_non_null(b);
	assert_false(bloom_maybe(b, 42));
	assert_false(bloom_maybe(b, 42));       /* asking twice adds nothing */
	assert_false(bloom_add(b, 42));         /* new */
	assert_true(bloom_maybe(b, 42));
	bloom_free(b);
}

/* 100 000 keys in 1 MiB (84 bits a key): false "maybe"s are rare. */
static void test_unknown_keys_are_rarely_maybe(void **state)
{
	(void)state;
	struct bloom *b = bloom_new(1u << 20);
	assert_non_null(b);
	for (uint64_t k = 0; k < 100000; k++)
		bloom_add(b, k);
	int false_maybe = 0;
	for (uint64_t k = 1000000; k < 1100000; k++)
		false_maybe += bloom_maybe(b, k);
	assert_true(false_maybe < 100);         /* < 0.1% */
	bloom_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_added_keys_are_maybe),
		cmocka_unit_test(test_maybe_does_not_add),
		cmocka_unit_test(test_unknown_keys_are_rarely_maybe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
