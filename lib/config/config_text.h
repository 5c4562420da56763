/* config_text.h - checks on the raw text of a config file that libconfig
 * cannot make for us, run before the text is handed to it.
 *
 * libconfig 1.5 drops a "\x00" escape from a string without a trace
 * ("ab\x00cd" becomes "abcd": a password silently changes), stops at a raw
 * NUL byte, and opens @include files itself (no size or file-type check).
 */
#ifndef OTAP_CONFIG_TEXT_H
#define OTAP_CONFIG_TEXT_H

#include <stddef.h>

enum config_text_problem {
	CONFIG_TEXT_OK,
	CONFIG_TEXT_NUL_BYTE,           /* a raw 0x00 byte anywhere */
	CONFIG_TEXT_NUL_ESCAPE,         /* "\x00" inside a string literal */
	CONFIG_TEXT_INCLUDE,            /* an @include directive */
};

/* Scans text[0..len) like libconfig's lexer (strings with backslash
 * escapes, # and // line comments, block comments) and returns the first
 * problem found, with its 1-based line in *line; CONFIG_TEXT_OK when none. */
enum config_text_problem config_text_scan(const char *text, size_t len, size_t *line);

#endif
