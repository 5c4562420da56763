/* duration.h - parsing of duration strings such as "500ms", "30s", "5m", "1h", "2d". */
#ifndef OTAP_DURATION_H
#define OTAP_DURATION_H

#include <stdint.h>
#include "errbuf.h"

/* Parses a non-negative integer followed by one unit (ms, s, m, h, d) into
 * milliseconds. Returns 0, or -1 with a reason (overflow, missing or unknown unit). */
int duration_parse(const char *text, int64_t *ms_out, struct errbuf *err);

/* Formats ms as the shortest exact duration string ("90s", "5m", "1500ms"). */
void duration_format(int64_t ms, char *buf, int bufsize);

#endif
