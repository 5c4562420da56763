/* faults.c - fault plan and PRNG (see faults.h). */
#include "faults.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Parses a decimal send number >= 1 at *p, advancing *p. */
static int parse_send_number(const char **p, unsigned long *out)
{
	if (**p < '0' || **p > '9')
		return -1;
	char *end;
	errno = 0;
	unsigned long v = strtoul(*p, &end, 10);
	if (errno || v == 0)
		return -1;
	*p = end;
	*out = v;
	return 0;
}

int nlist_parse(const char *text, struct nlist *out, struct errbuf *err)
{
	const char *p = text;

	if (!*p)
		return errbuf_set(err, "empty send list: expected numbers like 3,5-7");
	for (;;) {
		unsigned long lo, hi;
		if (parse_send_number(&p, &lo) < 0)
			return errbuf_set(err, "bad send list '%s': expected numbers >= 1 like 3,5-7", text);
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_send_number(&p, &hi) < 0 || hi < lo)
				return errbuf_set(err, "bad range in send list '%s': expected N-M with 1 <= N <= M", text);
		}
		if (out->count == NLIST_MAX)
			return errbuf_set(err, "send list '%s' has too many items (at most %d)", text, NLIST_MAX);
		out->range[out->count].lo = lo;
		out->range[out->count].hi = hi;
		out->count++;
		if (*p == '\0')
			return 0;
		if (*p != ',')
			return errbuf_set(err, "bad send list '%s': expected ',' between items", text);
		p++;
	}
}

bool nlist_contains(const struct nlist *list, unsigned long n)
{
	for (size_t i = 0; i < list->count; i++) {
		if (n >= list->range[i].lo && n <= list->range[i].hi)
			return true;
	}
	return false;
}

void prng_seed(struct prng *p, uint64_t seed, uint64_t stream)
{
	/* splitmix64 scrambles the seed so that 0 and nearby seeds still give
	 * good, distinct sequences; xorshift needs a non-zero state. */
	uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	p->state = z ? z : 0x2545F4914F6CDD1DULL;
}

uint64_t prng_next(struct prng *p)
{
	uint64_t x = p->state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	p->state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

double prng_unit(struct prng *p)
{
	return (double)(prng_next(p) >> 11) / (double)(1ULL << 53);
}

uint64_t prng_below(struct prng *p, uint64_t n)
{
	return prng_next(p) % n;
}

int faults_parse_code(const char *text, int *out, struct errbuf *err)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < 0 || v > 999)
		return errbuf_set(err, "bad error code '%s': expected a number 0-999", text);
	*out = (int)v;
	return 0;
}

/* Splits "LEFT<sep>RIGHT" into a code (left) and returns the right part. */
static const char *split_code(const char *text, char sep, int *code, struct errbuf *err)
{
	const char *at = strchr(text, sep);
	char buf[16];

	if (!at || (size_t)(at - text) >= sizeof buf) {
		errbuf_set(err, "bad value '%s': expected CODE%cVALUE", text, sep);
		return NULL;
	}
	memcpy(buf, text, (size_t)(at - text));
	buf[at - text] = '\0';
	if (faults_parse_code(buf, code, err) < 0)
		return NULL;
	return at + 1;
}

int faults_add_cms(struct fault_plan *plan, const char *text, struct errbuf *err)
{
	if (plan->cms_count == FAULTS_CMS_MAX)
		return errbuf_set(err, "too many --cms-error options (at most %d)", FAULTS_CMS_MAX);
	struct cms_fault *f = &plan->cms[plan->cms_count];
	memset(f, 0, sizeof *f);
	const char *list = split_code(text, '@', &f->code, err);
	if (!list)
		return errbuf_prefix(err, "--cms-error");
	if (nlist_parse(list, &f->sends, err) < 0)
		return errbuf_prefix(err, "--cms-error");
	plan->cms_count++;
	return 0;
}

int faults_set_rate(struct fault_plan *plan, const char *text, struct errbuf *err)
{
	const char *prob = split_code(text, ':', &plan->rate_code, err);
	if (!prob)
		return errbuf_prefix(err, "--cms-error-rate");
	char *end;
	errno = 0;
	double v = strtod(prob, &end);
	if (errno || end == prob || *end || !(v >= 0.0 && v <= 1.0))
		return errbuf_set(err, "--cms-error-rate: bad probability '%s': expected a number from 0 to 1", prob);
	plan->rate_prob = v;
	return 0;
}

int faults_cms_for(const struct fault_plan *plan, unsigned long n)
{
	for (size_t i = 0; i < plan->cms_count; i++) {
		if (nlist_contains(&plan->cms[i].sends, n))
			return plan->cms[i].code;
	}
	return -1;
}

int faults_cms_draw(struct fault_plan *plan)
{
	if (plan->rate_prob <= 0.0)
		return -1;
	return prng_unit(&plan->rate_rng) < plan->rate_prob ? plan->rate_code : -1;
}
