/* errbuf.c - formatting of error reasons (see errbuf.h). */
#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int errbuf_set(struct errbuf *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int errbuf_prefix(struct errbuf *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	char prefix[ERRBUF_MAX], old[ERRBUF_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	/* Assemble piecewise: the result is truncated to ERRBUF_MAX on purpose. */
	size_t plen = strnlen(prefix, sizeof err->msg - 3);
	memcpy(err->msg, prefix, plen);
	memcpy(err->msg + plen, ": ", 2);
	size_t room = sizeof err->msg - plen - 3;
	size_t olen = strnlen(old, room);
	memcpy(err->msg + plen + 2, old, olen);
	err->msg[plen + 2 + olen] = '\0';
	return -1;
}
