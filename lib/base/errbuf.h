/* errbuf.h - the error-reason buffer every fallible lib function fills.
 *
 * Validators and loaders return -1 and leave a human-readable reason here
 * (what was wrong and what was expected). A reason never contains a secret.
 */
#ifndef OTAP_ERRBUF_H
#define OTAP_ERRBUF_H

#define ERRBUF_MAX 512

struct errbuf {
	char msg[ERRBUF_MAX];
};

/* Formats a reason into err (no-op when err is NULL). Always returns -1 so
 * callers can write `return errbuf_set(err, "...")`. */
int errbuf_set(struct errbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends "prefix: " to the existing reason (no-op when err is NULL). Returns -1. */
int errbuf_prefix(struct errbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
