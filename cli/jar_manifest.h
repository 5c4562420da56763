/* jar_manifest.h - the main section of a JAR's META-INF/MANIFEST.MF, read
 * with libzip, as attributes (for comparing MIDlet-Name/Vendor/Version with
 * the JAD, which the unit does before installing: a mismatch is 905). */
#ifndef OTAP_JAR_MANIFEST_H
#define OTAP_JAR_MANIFEST_H

#include <stddef.h>
#include "errbuf.h"
#include "jad.h"

/* The manifest is a few hundred bytes; a larger one is refused. */
#define JAR_MANIFEST_MAX (64 * 1024)

/* Reads META-INF/MANIFEST.MF of the JAR in data (len bytes, borrowed) and
 * fills *out (free with jad_free) with its main section's attributes,
 * continuation lines joined. Returns 0, or -1 with a reason a person can act
 * on: not a zip archive, no META-INF/MANIFEST.MF, manifest too large or
 * malformed (naming the line). */
int jar_manifest_from_buffer(const void *data, size_t len, struct jad *out, struct errbuf *err);

/* The same for the JAR file at path. */
int jar_manifest_from_file(const char *path, struct jad *out, struct errbuf *err);

#endif
