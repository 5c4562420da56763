/* unit_jad.h - the JAD as a simulated unit reads it: the three attributes
 * the download needs (spec §6: MIDlet-Jar-URL, MIDlet-Jar-Size,
 * MIDlet-Install-Notify), parsed with otapd's own reader (lib/sms/jad.c)
 * and the Jar-URL resolved against the JAD's URL with libcurl. */
#ifndef MODEMSIM_UNIT_JAD_H
#define MODEMSIM_UNIT_JAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JAD_URL_MAX 1024
#define JAD_MISSING_MAX 96

struct jad_info {
	char jar_url[JAD_URL_MAX];      /* absolute: resolved against the JAD URL */
	int64_t jar_size;               /* MIDlet-Jar-Size; -1 when unusable */
	char install_notify[JAD_URL_MAX]; /* "" when the JAD has none */
	/* Why the descriptor is invalid (the unit reports 906), e.g.
	 * "MIDlet-Jar-Size missing"; "" when it is usable. */
	char invalid[JAD_MISSING_MAX];
};

/* Reads the n bytes of a JAD fetched from jad_url into *out (always
 * filled): out->invalid is non-empty when the unit must reject it (not a
 * JAD, a duplicate attribute, missing MIDlet-Jar-URL or MIDlet-Jar-Size, a
 * size that is not a non-negative number, a Jar-URL that does not resolve). */
void unit_jad_read(const char *text, size_t n, const char *jad_url, struct jad_info *out);

/* Resolves ref (absolute, or relative like "app.jar" or "/x/app.jar")
 * against base into out. Returns 0, or -1 when either does not parse or
 * the result does not fit. */
int unit_jad_resolve_url(const char *base, const char *ref, char *out, size_t cap);

#endif
