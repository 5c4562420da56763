/* metrics_text.c - the Prometheus text format writer (see metrics_text.h). */
#include "metrics_text.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void metrics_text_init(struct metrics_text *t)
{
	memset(t, 0, sizeof *t);
}

void metrics_text_free(struct metrics_text *t)
{
	free(t->buf);
	metrics_text_init(t);
}

static bool reserve(struct metrics_text *t, size_t more)
{
	if (t->failed)
		return false;
	if (t->len + more + 1 <= t->cap)
		return true;
	size_t cap = t->cap ? t->cap : 1024;
	while (cap < t->len + more + 1)
		cap *= 2;
	char *p = realloc(t->buf, cap);
	if (!p) {
		t->failed = true;
		return false;
	}
	t->buf = p;
	t->cap = cap;
	return true;
}

static void put(struct metrics_text *t, const char *s, size_t n)
{
	if (!reserve(t, n))
		return;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void puts_text(struct metrics_text *t, const char *s)
{
	put(t, s, strlen(s));
}

/* Writes s with \\ and \n escaped, and \" too when quote. */
static void put_escaped(struct metrics_text *t, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			put(t, "\\\\", 2);
		else if (*s == '\n')
			put(t, "\\n", 2);
		else if (*s == '"' && quote)
			put(t, "\\\"", 2);
		else
			put(t, s, 1);
	}
}

void metrics_text_family(struct metrics_text *t, const char *name, const char *type,
			 const char *help)
{
	puts_text(t, "# HELP ");
	puts_text(t, name);
	puts_text(t, " ");
	put_escaped(t, help, false);
	puts_text(t, "\n# TYPE ");
	puts_text(t, name);
	puts_text(t, " ");
	puts_text(t, type);
	puts_text(t, "\n");
}

void metrics_text_sample(struct metrics_text *t, const char *name,
			 const struct metrics_label *labels, size_t nlabels, int64_t value)
{
	char num[32];
	puts_text(t, name);
	for (size_t i = 0; i < nlabels; i++) {
		puts_text(t, i == 0 ? "{" : ",");
		puts_text(t, labels[i].name);
		puts_text(t, "=\"");
		put_escaped(t, labels[i].value ? labels[i].value : "", true);
		puts_text(t, "\"");
	}
	if (nlabels > 0)
		puts_text(t, "}");
	snprintf(num, sizeof num, " %" PRId64 "\n", value);
	puts_text(t, num);
}
