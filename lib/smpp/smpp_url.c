/* smpp_url.c - parsing "smpp://SYSTEM_ID@HOST:PORT" (see smpp_url.h). */
#include "smpp_url.h"

#include <stdlib.h>
#include <string.h>

bool smpp_url_is(const char *device)
{
	return strncmp(device, SMPP_URL_PREFIX, strlen(SMPP_URL_PREFIX)) == 0;
}

static bool printable(const char *from, const char *to)
{
	for (const char *p = from; p < to; p++) {
		if (*p <= ' ' || *p > '~')
			return false;
	}
	return true;
}

const char *smpp_url_parse(const char *device, struct smpp_url *out)
{
	memset(out, 0, sizeof *out);
	if (!smpp_url_is(device))
		return "expected smpp://SYSTEM_ID@HOST:PORT";
	const char *id = device + strlen(SMPP_URL_PREFIX);
	const char *at = strrchr(id, '@');
	if (!at || at == id)
		return "expected smpp://SYSTEM_ID@HOST:PORT (the account's system_id before '@')";
	if ((size_t)(at - id) >= sizeof out->system_id || !printable(id, at) ||
	    memchr(id, '@', (size_t)(at - id)))
		return "system_id must be 1-15 printable characters without spaces or '@'";
	const char *host = at + 1, *colon = strrchr(host, ':');
	if (!colon || colon == host || (size_t)(colon - host) >= sizeof out->host)
		return "expected HOST:PORT after '@'";
	if (!printable(host, colon) || memchr(host, '/', (size_t)(colon - host)))
		return "host part contains '/', a space or a non-ASCII character";
	const char *port = colon + 1;
	if (!*port || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port) ||
	    atoi(port) < 1 || atoi(port) > 65535)
		return "port must be a number 1-65535";
	memcpy(out->system_id, id, (size_t)(at - id));
	memcpy(out->host, host, (size_t)(colon - host));
	out->port = atoi(port);
	return NULL;
}
