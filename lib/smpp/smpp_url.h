/* smpp_url.h - the device of an SMPP link: "smpp://SYSTEM_ID@HOST:PORT".
 * Pure. */
#ifndef OTAP_SMPP_URL_H
#define OTAP_SMPP_URL_H

#include <stdbool.h>
#include "smpp_codec.h"

#define SMPP_URL_PREFIX "smpp://"
#define SMPP_HOST_MAX 256

struct smpp_url {
	char system_id[SMPP_SYSTEM_ID_MAX];
	char host[SMPP_HOST_MAX];
	int port;
};

/* Whether device names an SMPP link (the smpp:// prefix). */
bool smpp_url_is(const char *device);

/* Parses device into *out. Returns NULL, or a static reason: the
 * system_id 1-15 printable characters without '@', the host without
 * spaces or '/', the port 1-65535. */
const char *smpp_url_parse(const char *device, struct smpp_url *out);

#endif
