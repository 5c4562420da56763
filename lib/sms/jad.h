/* jad.h - MIDP application descriptors (JAD): parsing the operator's JAD,
 * reading its attributes, and writing a per-job JAD with some attributes
 * replaced (MIDlet-Jar-URL, MIDlet-Jar-Size, MIDlet-Install-Notify).
 * Pure: no I/O.
 *
 * A JAD is lines "Name: value" (MIDP 2.0 §2.1.3: the name is case
 * sensitive, the value runs to the end of the line, white space around it
 * is not part of it), LF or CRLF line ends, no continuation lines. */
#ifndef OTAP_JAD_H
#define OTAP_JAD_H

#include <stddef.h>
#include "errbuf.h"

#define JAD_TEXT_MAX (64 * 1024)        /* a JAD is a few hundred bytes */
#define JAD_ATTRS_MAX 256

struct jad_attr {
	char *name;
	char *value;
};

struct jad {
	struct jad_attr *attrs;         /* in file order */
	size_t count;
};

/* Parses text (len bytes, need not be NUL-terminated). Returns 0 with *out
 * filled (free with jad_free), or -1 with a reason naming the line (empty
 * file, a line without ':', an empty name, a name with blanks or control
 * bytes, a value with control bytes, a name given twice, too many
 * attributes, too long). */
int jad_parse(const char *text, size_t len, struct jad *out, struct errbuf *err);

/* The value of attribute name, or NULL. Borrowed from j. */
const char *jad_get(const struct jad *j, const char *name);

/* Sets attribute name to value (replacing it in place, or appending it).
 * Returns 0 or -1 (out of memory, or a value/name jad_parse would refuse). */
int jad_set(struct jad *j, const char *name, const char *value, struct errbuf *err);

/* Writes j as JAD text ("Name: value\r\n" per attribute) into a new string
 * (*out, freed by the caller; *len its length). Returns 0 or -1. */
int jad_write(const struct jad *j, char **out, size_t *len, struct errbuf *err);

/* Frees what jad_parse/jad_set allocated; safe on a zeroed struct. */
void jad_free(struct jad *j);

#endif
