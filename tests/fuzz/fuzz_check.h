/* fuzz_check.h - the one assertion the fuzz harnesses use: unlike assert()
 * it is never compiled out, and it says which property broke before
 * aborting, so that libFuzzer records the input as a crash. */
#ifndef OTAP_FUZZ_CHECK_H
#define OTAP_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...)                                                   \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: property violated: %s: ",       \
				__FILE__, __LINE__, #cond);                     \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			abort();                                                \
		}                                                               \
	} while (0)

#endif
