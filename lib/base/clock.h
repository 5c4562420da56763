/* clock.h - the two clocks: monotonic for timeouts, backoff and rate
 * spacing; wall clock (ms since the epoch) for schedules and stored times. */
#ifndef OTAP_CLOCK_H
#define OTAP_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC: never jumps, meaningless across boots. */
int64_t clock_mono_ms(void);
/* Microseconds on CLOCK_MONOTONIC, for measurements (benchmarks). */
int64_t clock_mono_us(void);
/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t clock_wall_ms(void);

/* The earlier / later of two times (deadline arithmetic). */
static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

#endif
