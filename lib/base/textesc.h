/* textesc.h - the one escaping step between untrusted text and a terminal.
 *
 * File contents, argv, CSV fields, config values and modem replies can carry
 * control bytes (ESC sequences move the cursor, rewrite the title, hide
 * text). Every error and log line is passed through textesc before it is
 * printed, so such bytes show up as "\x1b" and never act on the terminal.
 */
#ifndef OTAP_TEXTESC_H
#define OTAP_TEXTESC_H

#include <stddef.h>

/* Longest output of one input byte ("\xNN"). */
#define TEXTESC_MAX_PER_BYTE 4

/* Copies src[0..len) into dst (size bytes), writing every byte that could act
 * on a terminal as "\xNN" (lower-case hex): C0 controls including TAB, CR and
 * LF, DEL, C1 controls (U+0080-U+009F) and bytes that are not part of a valid
 * UTF-8 sequence. Printable ASCII and valid UTF-8 are copied unchanged. The
 * output is cut before a sequence that does not fit and is always
 * NUL-terminated when size > 0. Returns the number of bytes written (without
 * the NUL). Never reads past src[len - 1]. */
size_t textesc(char *dst, size_t size, const char *src, size_t len);

/* textesc of a NUL-terminated string (NULL is treated as ""). */
size_t textesc_str(char *dst, size_t size, const char *src);

#endif
