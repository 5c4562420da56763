/* textesc.c - escaping of terminal control bytes in untrusted text (see textesc.h). */
#include "textesc.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static bool is_cont(uint8_t c)
{
	return (c & 0xC0) == 0x80;
}

/* Length of the valid UTF-8 sequence of a printable character at p[0..n)
 * (first byte >= 0x80), or 0 when it is invalid, overlong, a surrogate or a
 * C1 control. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t need;
	uint8_t lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */

	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
		if (c == 0xC2)
			lo = 0xA0;      /* U+0080-U+009F are the C1 controls */
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;      /* overlong */
		if (c == 0xED)
			hi = 0x9F;      /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90;      /* overlong */
		if (c == 0xF4)
			hi = 0x8F;      /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < need || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++) {
		if (!is_cont(p[i]))
			return 0;
	}
	return need;
}

size_t textesc(char *dst, size_t size, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = (const uint8_t *)src;
	size_t out = 0, i = 0;

	if (size == 0)
		return 0;
	while (i < len) {
		size_t n = p[i] >= 0x20 && p[i] < 0x7F ? 1 : p[i] >= 0x80 ? utf8_len(p + i, len - i) : 0;
		if (n > 0) {
			if (out + n >= size)
				break;
			memcpy(dst + out, p + i, n);
			out += n;
			i += n;
			continue;
		}
		if (out + TEXTESC_MAX_PER_BYTE >= size)
			break;
		dst[out++] = '\\';
		dst[out++] = 'x';
		dst[out++] = hex[p[i] >> 4];
		dst[out++] = hex[p[i] & 0x0F];
		i++;
	}
	dst[out] = '\0';
	return out;
}

size_t textesc_str(char *dst, size_t size, const char *src)
{
	return textesc(dst, size, src ? src : "", src ? strlen(src) : 0);
}
