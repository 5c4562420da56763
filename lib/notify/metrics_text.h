/* metrics_text.h - Prometheus text exposition format 0.0.4, written by hand
 * into a growing buffer: a family's # HELP and # TYPE lines, then its
 * samples with escaped label values. Pure (no I/O). */
#ifndef OTAP_METRICS_TEXT_H
#define OTAP_METRICS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_TEXT_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_label {
	const char *name;       /* [a-zA-Z_][a-zA-Z0-9_]*, not checked */
	const char *value;      /* any UTF-8; escaped when written */
};

struct metrics_text {
	char *buf;              /* NUL-terminated text so far (NULL before the first write) */
	size_t len;
	size_t cap;
	bool failed;            /* out of memory: the text is incomplete */
};

/* Starts an empty text. */
void metrics_text_init(struct metrics_text *t);
/* Frees the buffer; t can be initialised again. */
void metrics_text_free(struct metrics_text *t);

/* Writes "# HELP name help" (help's backslashes and newlines escaped) and
 * "# TYPE name type" (type: counter, gauge, ...). Call once per family,
 * before its samples. */
void metrics_text_family(struct metrics_text *t, const char *name, const char *type,
			 const char *help);

/* Writes one sample line: name{l1="v1",...} value, label values escaped
 * (backslash, double quote, newline). nlabels 0 writes no braces. */
void metrics_text_sample(struct metrics_text *t, const char *name,
			 const struct metrics_label *labels, size_t nlabels, int64_t value);

#endif
