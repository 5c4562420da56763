/* jad.c - parsing and writing MIDP application descriptors (see jad.h). */
#include "jad.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool name_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7F || c == ':')
			return false;
	}
	return true;
}

static bool value_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7F)
			return false;
	}
	return true;
}

static int add_attr(struct jad *j, const char *name, size_t nlen, const char *value,
		    size_t vlen, struct errbuf *err)
{
	if (j->count == JAD_ATTRS_MAX)
		return errbuf_set(err, "more than %d attributes", JAD_ATTRS_MAX);
	if (j->count % 16 == 0) {
		struct jad_attr *grown = realloc(j->attrs, (j->count + 16) * sizeof *grown);
		if (!grown)
			return errbuf_set(err, "out of memory");
		j->attrs = grown;
	}
	struct jad_attr *a = &j->attrs[j->count];
	a->name = strndup(name, nlen);
	a->value = strndup(value, vlen);
	if (!a->name || !a->value) {
		free(a->name);
		free(a->value);
		return errbuf_set(err, "out of memory");
	}
	j->count++;
	return 0;
}

/* One line (without its line end). Blank lines are skipped. */
static int parse_line(struct jad *j, const char *line, size_t n, size_t lineno,
		      struct errbuf *err)
{
	while (n > 0 && is_blank(line[n - 1]))
		n--;
	if (n == 0)
		return 0;
	const char *colon = memchr(line, ':', n);
	if (!colon)
		return errbuf_set(err, "line %zu: expected 'Name: value'", lineno);
	size_t nlen = (size_t)(colon - line);
	if (!name_ok(line, nlen))
		return errbuf_set(err, "line %zu: the attribute name is empty or has blanks or "
				  "control characters", lineno);
	const char *value = colon + 1;
	size_t vlen = n - nlen - 1;
	while (vlen > 0 && is_blank(*value))
		value++, vlen--;
	if (!value_ok(value, vlen))
		return errbuf_set(err, "line %zu: the value of %.*s has control characters", lineno,
				  (int)(nlen > 64 ? 64 : nlen), line);
	for (size_t i = 0; i < j->count; i++) {
		if (strlen(j->attrs[i].name) == nlen && memcmp(j->attrs[i].name, line, nlen) == 0)
			return errbuf_set(err, "line %zu: %.*s is given twice", lineno,
					  (int)(nlen > 64 ? 64 : nlen), line);
	}
	if (add_attr(j, line, nlen, value, vlen, err) < 0)
		return errbuf_prefix(err, "line %zu", lineno);
	return 0;
}

int jad_parse(const char *text, size_t len, struct jad *out, struct errbuf *err)
{
	memset(out, 0, sizeof *out);
	if (len > JAD_TEXT_MAX)
		return errbuf_set(err, "larger than %d bytes", JAD_TEXT_MAX);
	if (memchr(text, '\0', len))
		return errbuf_set(err, "contains a NUL byte (not a text file)");
	size_t lineno = 1;
	for (size_t i = 0; i < len; lineno++) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t n = end - i;
		if (n > 0 && text[end - 1] == '\r')
			n--;
		if (parse_line(out, text + i, n, lineno, err) < 0) {
			jad_free(out);
			return -1;
		}
		i = end + 1;
	}
	if (out->count == 0)
		return errbuf_set(err, "has no attributes");
	return 0;
}

const char *jad_get(const struct jad *j, const char *name)
{
	for (size_t i = 0; i < j->count; i++) {
		if (strcmp(j->attrs[i].name, name) == 0)
			return j->attrs[i].value;
	}
	return NULL;
}

int jad_set(struct jad *j, const char *name, const char *value, struct errbuf *err)
{
	if (!name_ok(name, strlen(name)) || !value_ok(value, strlen(value)))
		return errbuf_set(err, "attribute %.64s: invalid name or value", name);
	for (size_t i = 0; i < j->count; i++) {
		if (strcmp(j->attrs[i].name, name) != 0)
			continue;
		char *copy = strdup(value);
		if (!copy)
			return errbuf_set(err, "out of memory");
		free(j->attrs[i].value);
		j->attrs[i].value = copy;
		return 0;
	}
	return add_attr(j, name, strlen(name), value, strlen(value), err);
}

int jad_write(const struct jad *j, char **out, size_t *len, struct errbuf *err)
{
	size_t size = 1;
	for (size_t i = 0; i < j->count; i++)
		size += strlen(j->attrs[i].name) + strlen(j->attrs[i].value) + 4;
	char *buf = malloc(size);
	if (!buf)
		return errbuf_set(err, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < j->count; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s: %s\r\n", j->attrs[i].name,
				      j->attrs[i].value);
	*out = buf;
	*len = n;
	return 0;
}

void jad_free(struct jad *j)
{
	for (size_t i = 0; i < j->count; i++) {
		free(j->attrs[i].name);
		free(j->attrs[i].value);
	}
	free(j->attrs);
	memset(j, 0, sizeof *j);
}
