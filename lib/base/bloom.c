/* bloom.c - a blocked Bloom filter (see bloom.h). */
#include "bloom.h"

#include <stdlib.h>

#define BLOCK_WORDS 8           /* 64 bytes */
#define BITS_PER_KEY 7          /* 9 bits each from one 64-bit hash */

struct bloom {
	size_t blocks;
	uint64_t words[];
};

/* SplitMix64's finaliser: every output bit depends on every input bit. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ x >> 31;
}

struct bloom *bloom_new(size_t bytes)
{
	size_t blocks = bytes / (BLOCK_WORDS * sizeof(uint64_t));
	if (blocks == 0)
		blocks = 1;
	struct bloom *b = calloc(1, sizeof *b + blocks * BLOCK_WORDS * sizeof(uint64_t));
	if (b)
		b->blocks = blocks;
	return b;
}

/* Where key's bits are: word index and mask of each. */
struct key_bits {
	size_t word[BITS_PER_KEY];
	uint64_t mask[BITS_PER_KEY];
};

static struct key_bits bits_of(const struct bloom *b, uint64_t key)
{
	struct key_bits k;
	uint64_t h = mix(key);
	size_t block = (size_t)(h % b->blocks) * BLOCK_WORDS;
	/* The bit positions come from a second hash: 3 bits pick the word, 6
	 * the bit. */
	uint64_t bits = mix(h);
	for (int i = 0; i < BITS_PER_KEY; i++, bits >>= 9) {
		k.word[i] = block + (bits >> 6 & (BLOCK_WORDS - 1));
		k.mask[i] = 1ULL << (bits & 63);
	}
	return k;
}

bool bloom_add(struct bloom *b, uint64_t key)
{
	struct key_bits k = bits_of(b, key);
	bool seen = true;
	for (int i = 0; i < BITS_PER_KEY; i++) {
		seen = seen && (b->words[k.word[i]] & k.mask[i]);
		b->words[k.word[i]] |= k.mask[i];
	}
	return seen;
}

bool bloom_maybe(const struct bloom *b, uint64_t key)
{
	struct key_bits k = bits_of(b, key);
	for (int i = 0; i < BITS_PER_KEY; i++) {
		if (!(b->words[k.word[i]] & k.mask[i]))
			return false;
	}
	return true;
}

void bloom_free(struct bloom *b)
{
	free(b);
}
