/* waves.h - a rollout's waves: cumulative percentages of its units, in
 * hundredths of a percent. Pure: no I/O. */
#ifndef OTAP_WAVES_H
#define OTAP_WAVES_H

#include <stddef.h>
#include <stdint.h>
#include "errbuf.h"

#define ROLLOUT_WAVES_MAX 16
/* Percentages are kept in hundredths (basis points) so that wave sizes are
 * exact integers: 0.5% = 50, 100% = 10000. */
#define ROLLOUT_PCT_SCALE 100

/* Cumulative wave sizes in hundredths of a percent, increasing, the last
 * one 10000 (100%). */
struct rollout_waves {
	int count;
	int pct[ROLLOUT_WAVES_MAX];
};

/* Parses "1%,10%,100%" (the '%' is optional; up to two decimals; increasing;
 * must end at 100). Returns 0 or -1 with a reason. */
int rollout_waves_parse(const char *text, struct rollout_waves *out, struct errbuf *err);
/* "1,10,100" (the stored form; also "0.5" for fractions). */
void rollout_waves_format(const struct rollout_waves *w, char *buf, size_t size);
/* Formats hundredths of a percent: 1250 -> "12.5". */
void rollout_pct_format(int pct, char *buf, size_t size);
/* Units per wave for total units: wave i ends at ceil(total * pct[i] / 100%). */
void rollout_wave_sizes(const struct rollout_waves *w, int64_t total,
			int64_t sizes[ROLLOUT_WAVES_MAX]);

#endif
