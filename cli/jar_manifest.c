/* jar_manifest.c - a JAR's META-INF/MANIFEST.MF main section, read with
 * libzip (see jar_manifest.h). */
#include "jar_manifest.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define MANIFEST_PATH "META-INF/MANIFEST.MF"

/* Length of the line at s (n bytes left) and, in *next, where the one after
 * it starts: LF, CRLF and CR all end a line (JAR spec: "newline"). */
static size_t line_at(const char *s, size_t n, size_t *next)
{
	size_t i = 0;
	while (i < n && s[i] != '\n' && s[i] != '\r')
		i++;
	size_t after = i;
	if (after < n && s[after] == '\r')
		after++;
	if (after < n && s[after] == '\n')
		after++;
	*next = after;
	return i;
}

/* Joins continuation lines (JAR spec: a line starting with one space goes
 * on the previous one; writers wrap at 72 bytes, so a long MIDlet-Name is
 * split) and stops at the blank line that ends the main section. The
 * result has one attribute per LF-terminated line, as jad_parse reads. */
static size_t unfold_main_section(const char *in, size_t n, char *out)
{
	size_t o = 0, pos = 0;
	while (pos < n) {
		size_t next, len = line_at(in + pos, n - pos, &next);
		if (len == 0)
			break;
		if (in[pos] == ' ' && o > 0) {
			o--;                    /* drop the previous line's LF */
			memcpy(out + o, in + pos + 1, len - 1);
			o += len - 1;
		} else {
			memcpy(out + o, in + pos, len);
			o += len;
		}
		out[o++] = '\n';
		pos += next;
	}
	return o;
}

static int parse_manifest(const char *text, size_t len, struct jad *out, struct errbuf *err)
{
	char *flat = malloc(len + 1);
	if (!flat)
		return errbuf_set(err, "out of memory");
	size_t flat_len = unfold_main_section(text, len, flat);
	struct errbuf why = { { 0 } };
	int rc = 0;
	if (flat_len == 0)
		rc = errbuf_set(err, MANIFEST_PATH " has no attributes");
	else if (jad_parse(flat, flat_len, out, &why) < 0)
		rc = errbuf_set(err, MANIFEST_PATH " is malformed: %s", why.msg);
	free(flat);
	return rc;
}

/* Reads the manifest out of the open archive. */
static int read_entry(zip_t *za, struct jad *out, struct errbuf *err)
{
	zip_stat_t sb;
	zip_stat_init(&sb);
	if (zip_stat(za, MANIFEST_PATH, 0, &sb) < 0 || !(sb.valid & ZIP_STAT_SIZE))
		return errbuf_set(err, "the JAR has no " MANIFEST_PATH " (build it with the "
				  "MIDlet attributes in the manifest)");
	if (sb.size > JAR_MANIFEST_MAX)
		return errbuf_set(err, MANIFEST_PATH " is larger than %d bytes", JAR_MANIFEST_MAX);
	zip_file_t *zf = zip_fopen(za, MANIFEST_PATH, 0);
	char *text = zf ? malloc(sb.size + 1) : NULL;
	zip_int64_t got = text ? zip_fread(zf, text, sb.size) : -1;
	int rc;
	if (got < 0 || (zip_uint64_t)got != sb.size)
		rc = errbuf_set(err, "cannot read " MANIFEST_PATH ": %s",
				zip_strerror(za));
	else
		rc = parse_manifest(text, sb.size, out, err);
	free(text);
	if (zf)
		zip_fclose(zf);
	return rc;
}

/* Opens src as an archive (taking it over) and reads the manifest. */
static int read_source(zip_source_t *src, zip_error_t *ze, struct jad *out, struct errbuf *err)
{
	memset(out, 0, sizeof *out);
	if (!src)
		return errbuf_set(err, "%s", zip_error_strerror(ze));
	zip_t *za = zip_open_from_source(src, ZIP_RDONLY, ze);
	if (!za) {
		zip_source_free(src);
		return errbuf_set(err, "not a JAR (zip archive): %s", zip_error_strerror(ze));
	}
	int rc = read_entry(za, out, err);
	zip_discard(za);
	return rc;
}

int jar_manifest_from_buffer(const void *data, size_t len, struct jad *out, struct errbuf *err)
{
	static const char empty[1];
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(len ? data : empty, len, 0, &ze);
	int rc = read_source(src, &ze, out, err);
	zip_error_fini(&ze);
	return rc;
}

int jar_manifest_from_file(const char *path, struct jad *out, struct errbuf *err)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_file_create(path, 0, -1, &ze);
	int rc = read_source(src, &ze, out, err);
	zip_error_fini(&ze);
	return rc;
}
