/* web_files.h - the web status page's files (web/), compiled into otapd
 * by cmake/embed_web.cmake: served from memory by the admin listener. */
#ifndef OTAPD_WEB_FILES_H
#define OTAPD_WEB_FILES_H

#include <stddef.h>

struct web_file {
	const char *path;               /* "/index.html" */
	const char *type;               /* its Content-Type */
	const unsigned char *data;
	size_t len;
};

extern const struct web_file web_files[];
extern const int web_file_count;

#endif
