/* config_text.c - raw-text checks of a config file before libconfig parses it
 * (see config_text.h). */
#include "config_text.h"

#include <stdbool.h>
#include <string.h>

struct scan {
	const char *p, *end;
	size_t line;
};

static bool at(const struct scan *s, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(s->end - s->p) >= n && memcmp(s->p, word, n) == 0;
}

/* Advances one byte, counting lines. */
static void step(struct scan *s)
{
	if (*s->p == '\n')
		s->line++;
	s->p++;
}

static void skip_until(struct scan *s, const char *word)
{
	while (s->p < s->end && !at(s, word))
		step(s);
	for (size_t i = 0; i < strlen(word) && s->p < s->end; i++)
		step(s);
}

static bool is_zero_escape(const struct scan *s)
{
	return (size_t)(s->end - s->p) >= 4 && s->p[0] == '\\' && (s->p[1] == 'x' || s->p[1] == 'X')
	       && s->p[2] == '0' && s->p[3] == '0';
}

/* s->p is on the opening quote; returns true at a "\x00" escape (s->line set). */
static bool string_has_nul(struct scan *s)
{
	step(s);
	while (s->p < s->end && *s->p != '"') {
		if (is_zero_escape(s))
			return true;
		if (*s->p == '\\' && s->p + 1 < s->end)
			step(s);
		step(s);
	}
	if (s->p < s->end)
		step(s);
	return false;
}

enum config_text_problem config_text_scan(const char *text, size_t len, size_t *line)
{
	struct scan s = { text, text + len, 1 };

	if (memchr(text, '\0', len)) {
		*line = 1;
		for (const char *q = text; *q; q++)
			*line += *q == '\n';
		return CONFIG_TEXT_NUL_BYTE;
	}
	while (s.p < s.end) {
		*line = s.line;
		if (*s.p == '"') {
			if (string_has_nul(&s)) {
				*line = s.line;
				return CONFIG_TEXT_NUL_ESCAPE;
			}
		} else if (*s.p == '#' || at(&s, "//")) {
			skip_until(&s, "\n");
		} else if (at(&s, "/*")) {
			s.p += 2;       /* the opening slash-star cannot also close it */
			skip_until(&s, "*/");
		} else if (at(&s, "@include")) {
			return CONFIG_TEXT_INCLUDE;
		} else {
			step(&s);
		}
	}
	return CONFIG_TEXT_OK;
}
