/* faults.h - the fault plan: which AT+CMGS (by its 1-based number in the
 * process lifetime) gets which fault, and the deterministic PRNG behind
 * --cms-error-rate and --garbage. */
#ifndef MODEMSIM_FAULTS_H
#define MODEMSIM_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"

#define NLIST_MAX 64
#define FAULTS_CMS_MAX 32

/* A set of send numbers written as "3,5-7". */
struct nlist {
	size_t count;
	struct {
		unsigned long lo, hi;
	} range[NLIST_MAX];
};

/* Parses "N", "N-M" items separated by commas (numbers >= 1, N <= M) and
 * adds them to out (so a repeated option accumulates). Returns 0, or -1
 * with a reason. */
int nlist_parse(const char *text, struct nlist *out, struct errbuf *err);
/* True when n is in the list. */
bool nlist_contains(const struct nlist *list, unsigned long n);

/* xorshift64*: tiny, deterministic for a given seed on every platform. */
struct prng {
	uint64_t state;
};

/* Seeds the generator; stream separates independent sequences drawn from
 * the same --seed (so --garbage does not shift --cms-error-rate draws). */
void prng_seed(struct prng *p, uint64_t seed, uint64_t stream);
uint64_t prng_next(struct prng *p);
/* Uniform in [0, 1). */
double prng_unit(struct prng *p);
/* Uniform in [0, n); n must be > 0. */
uint64_t prng_below(struct prng *p, uint64_t n);

/* One --cms-error CODE@LIST. */
struct cms_fault {
	int code;
	struct nlist sends;
};

struct fault_plan {
	struct cms_fault cms[FAULTS_CMS_MAX];
	size_t cms_count;
	int rate_code;          /* --cms-error-rate; rate_prob 0 = off */
	double rate_prob;
	struct nlist no_prompt, drop, sysstart;
	struct prng rate_rng;
};

/* Parses "CODE@LIST" and appends it. Returns 0, or -1 with a reason. */
int faults_add_cms(struct fault_plan *plan, const char *text, struct errbuf *err);
/* Parses "CODE:PROB" (PROB in [0,1]). Returns 0, or -1 with a reason. */
int faults_set_rate(struct fault_plan *plan, const char *text, struct errbuf *err);

/* The +CMS ERROR code the plan assigns to send n from the explicit lists,
 * or -1 for none. */
int faults_cms_for(const struct fault_plan *plan, unsigned long n);
/* Draws once from the rate generator: the rate code, or -1. Call exactly
 * once per send that reaches the point where the rate applies, so a run is
 * reproducible from --seed. */
int faults_cms_draw(struct fault_plan *plan);

/* Parses a CMS/CME-style error code 0-999. Returns 0 or -1 with a reason. */
int faults_parse_code(const char *text, int *out, struct errbuf *err);

#endif
