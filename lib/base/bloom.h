/* bloom.h - a fixed-size Bloom filter of 64-bit keys: "certainly not
 * added before" or "maybe", in memory that does not grow with the keys.
 * Each key's bits lie in one 64-byte block (one cache miss per key). */
#ifndef OTAP_BLOOM_H
#define OTAP_BLOOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bloom;

/* A filter of `bytes` (rounded down to whole 64-byte blocks, at least
 * one). Returns NULL when out of memory. */
struct bloom *bloom_new(size_t bytes);
/* Adds key; returns whether it may have been added before (false: it
 * certainly was not). */
bool bloom_add(struct bloom *b, uint64_t key);
/* Whether key may have been added (false: it certainly was not), without
 * adding it. */
bool bloom_maybe(const struct bloom *b, uint64_t key);
/* NULL is a no-op. */
void bloom_free(struct bloom *b);

#endif
