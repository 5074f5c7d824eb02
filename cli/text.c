// SPDX-License-Identifier: GPL-2.0
/* Safe text: escaping, UTF-8 checks and widths (see text.h). */
#include <stdio.h>
#include <string.h>

#include "text.h"

size_t utf8_decode(const unsigned char *p, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the terminating NUL */
		c = c << 6 | (p[i] & 0x3f);
	}
	/* overlong forms, surrogates and past U+10FFFF are not UTF-8 */
	if (c < min[n] || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

char *text_escape(char *out, size_t len, const char *in)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t used = 0;

	if (!len)
		return out;
	while (*p) {
		char unit[4 * 4 + 1];
		uint32_t cp;
		size_t n = utf8_decode(p, &cp), k = 0;

		if (!n || text_is_control(cp)) {
			/* each byte of it, so the bytes can be told apart */
			for (size_t i = 0; i < (n ? n : 1); i++)
				k += (size_t)snprintf(unit + k, sizeof(unit) - k, "\\x%02x", p[i]);
			n = n ? n : 1;
		} else if (cp == '\\') {
			k = (size_t)snprintf(unit, sizeof(unit), "\\\\");
		} else {
			memcpy(unit, p, n);
			k = n;
		}
		if (used + k >= len)
			break;
		memcpy(out + used, unit, k);
		used += k;
		p += n;
	}
	out[used] = '\0';
	return out;
}

char *text_copy(char *out, size_t len, const char *s)
{
	size_t n;

	if (!len)
		return out;
	n = s ? strnlen(s, len - 1) : 0;
	memcpy(out, s ? s : "", n);
	out[n] = '\0';
	return out;
}

/* The length of an SGR sequence ("\033[...m") at @s, 0 if none starts there. */
static size_t sgr_length(const char *s)
{
	size_t i = 2;

	if (s[0] != '\033' || s[1] != '[')
		return 0;
	while ((s[i] >= '0' && s[i] <= '9') || s[i] == ';')
		i++;
	return s[i] == 'm' ? i + 1 : 0;
}

/* Bytes of @s that fill @width columns at most; *cols gets the columns they take. */
static size_t text_span(const char *s, size_t width, size_t *cols)
{
	size_t i = 0, w = 0;

	while (s[i]) {
		size_t n;
		uint32_t cp;

		/* printable ASCII, most of every table: one byte, one column */
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			if (w == width)
				break;
			i++;
			w++;
			continue;
		}
		n = sgr_length(s + i);
		if (n) {
			i += n;
			continue;
		}
		if (w == width)
			break;
		n = utf8_decode((const unsigned char *)s + i, &cp);
		i += n ? n : 1;
		w++;
	}
	*cols = w;
	return i;
}

size_t text_width(const char *s)
{
	size_t cols;

	text_span(s, SIZE_MAX, &cols);
	return cols;
}

char *text_pad(char *out, size_t len, const char *s, int width, bool cut)
{
	size_t want = (size_t)(width < 0 ? -width : width), cols, bytes, pad, used = 0;

	if (!len)
		return out;
	bytes = text_span(s, cut ? want : SIZE_MAX, &cols);
	pad = cols < want ? want - cols : 0;
	if (width > 0)
		for (; pad && used + 1 < len; pad--)
			out[used++] = ' ';
	if (bytes > len - 1 - used)
		bytes = 0;	/* never half a character: the caller's buffer is too small */
	memcpy(out + used, s, bytes);
	used += bytes;
	for (; pad && used + 1 < len; pad--)
		out[used++] = ' ';
	out[used] = '\0';
	return out;
}
