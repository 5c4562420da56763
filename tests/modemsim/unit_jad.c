/* unit_jad.c - reading a JAD the way a simulated unit does (unit_jad.h). */
#include "unit_jad.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "jad.h"

int unit_jad_resolve_url(const char *base, const char *ref, char *out, size_t cap)
{
	CURLU *u = curl_url();
	char *full = NULL;
	int rc = -1;
	/* Setting a relative URL on a handle that holds the base resolves
	 * it as a browser would (RFC 3986). */
	if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK
	    && curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK
	    && curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK && strlen(full) < cap) {
		memcpy(out, full, strlen(full) + 1);
		rc = 0;
	}
	curl_free(full);
	curl_url_cleanup(u);
	return rc;
}

static int parse_size(const char *text, int64_t *out)
{
	char *endp;
	errno = 0;
	long long v = strtoll(text, &endp, 10);
	if (errno || endp == text || *endp || text[0] == '-' || text[0] == '+')
		return -1;
	*out = v;
	return 0;
}

/* The first reason the descriptor is unusable, or NULL. */
static const char *check(const struct jad *j, const char *jad_url, struct jad_info *out)
{
	const char *url = jad_get(j, "MIDlet-Jar-URL"), *size = jad_get(j, "MIDlet-Jar-Size");
	const char *notify = jad_get(j, "MIDlet-Install-Notify");
	if (notify)
		snprintf(out->install_notify, sizeof out->install_notify, "%s", notify);
	if (!url || !*url)
		return "MIDlet-Jar-URL missing";
	if (!size || !*size)
		return "MIDlet-Jar-Size missing";
	if (parse_size(size, &out->jar_size) < 0)
		return "MIDlet-Jar-Size not a number";
	if (unit_jad_resolve_url(jad_url, url, out->jar_url, sizeof out->jar_url) < 0)
		return "MIDlet-Jar-URL does not resolve";
	return NULL;
}

void unit_jad_read(const char *text, size_t n, const char *jad_url, struct jad_info *out)
{
	struct jad j;
	struct errbuf err;
	memset(out, 0, sizeof *out);
	out->jar_size = -1;
	const char *why;
	if (jad_parse(text, n, &j, &err) < 0) {
		snprintf(out->invalid, sizeof out->invalid, "not a JAD: %.70s", err.msg);
		return;
	}
	why = check(&j, jad_url, out);
	jad_free(&j);
	if (why) {
		out->jar_size = -1;
		snprintf(out->invalid, sizeof out->invalid, "%s", why);
	}
}
