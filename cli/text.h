/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Strings other processes or the kernel chose (a VMM's comm, device and
 * lease names, extack messages), made safe to show: in text no control
 * byte reaches the terminal, in JSON and Prometheus labels the output is
 * valid UTF-8. Pure functions, unit tested.
 */
#ifndef CLI_TEXT_H
#define CLI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The buffer text_escape() needs for @n input bytes: each may become "\xHH". */
#define TEXT_ESCAPED_SIZE(n) (4 * (n) + 1)

/*
 * The length of the valid UTF-8 sequence at @p (1 for ASCII), 0 if the
 * byte there does not start one; *cp is the code point.
 */
size_t utf8_decode(const unsigned char *p, uint32_t *cp);

/* Control characters: C0, DEL and C1 (U+0080-U+009F). */
static inline bool text_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

/*
 * @in as text for a terminal: control characters and bytes that are not
 * UTF-8 as \xHH (per byte), a backslash as \\, the rest as it is. Cut at
 * an escape's boundary when @len is short. Returns @out.
 */
char *text_escape(char *out, size_t len, const char *in);

/* @s (NULL is "") in @out, cut at @len - 1 bytes as snprintf's "%s" cuts; returns @out. */
char *text_copy(char *out, size_t len, const char *s);

/* Columns @s takes on a terminal: code points, our own SGR colour sequences not counted. */
size_t text_width(const char *s);

/*
 * @s padded with spaces to @width columns (left-aligned when @width is
 * negative, like printf's "%-*s"), or cut at @width columns on a
 * character's boundary when @cut. Returns @out.
 */
char *text_pad(char *out, size_t len, const char *s, int width, bool cut);

#endif
