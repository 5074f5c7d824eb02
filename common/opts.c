// SPDX-License-Identifier: GPL-2.0
#include "opts.h"
#include "bitmap.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * A leading unsigned number, decimal or 0x-hex (never octal: "010" is ten);
 * *end is what follows it.
 */
static int parse_leading(const char *s, unsigned long long *v, char **end)
{
	int base = 10;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!isxdigit((unsigned char)s[2]))
			return -EINVAL;
		base = 16;
	}
	errno = 0;
	*v = strtoull(s, end, base);
	return errno == ERANGE ? -ERANGE : 0;
}

int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int rc = parse_leading(s, &v, &end);

	if (rc)
		return rc;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;
	int rc = parse_leading(s, &v, &end);

	if (rc)
		return rc;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	case 'T': shift = 40; break;
	default: return -EINVAL;
	}
	/* A suffix may be spelled KiB, MiB, ...; nothing else may follow. */
	if (*end && end[1] && !(toupper((unsigned char)end[1]) == 'I' &&
				toupper((unsigned char)end[2]) == 'B' && !end[3]))
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int parse_page_list(const char *s, uint64_t *bitmap, uint64_t nbits)
{
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		unsigned long long first, last;
		char *end;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		errno = 0;
		first = strtoull(p, &end, 10);
		if (errno)
			return -ERANGE;
		last = first;
		if (*end == '-') {
			p = end + 1;
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			last = strtoull(p, &end, 10);
			if (errno)
				return -ERANGE;
			if (last < first)
				return -EINVAL;
		}
		if (last >= nbits)
			return -ERANGE;
		for (unsigned long long i = first; i <= last; i++)
			bitmap_set_bit(bitmap, i);
		if (!*end)
			return 0;
		if (*end != ',')
			return -EINVAL;
		p = end + 1;
	}
}

int parse_duration(const char *s, uint64_t *seconds)
{
	unsigned long long v;
	uint64_t unit = 1;
	char *end;
	int rc = parse_leading(s, &v, &end);

	if (rc)
		return rc;
	switch (*end) {
	case '\0': case 's': break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	default: return -EINVAL;
	}
	if (*end && end[1])
		return -EINVAL;
	if (v > UINT64_MAX / unit)
		return -ERANGE;
	*seconds = v * unit;
	return 0;
}

int parse_seconds_ms(const char *s, uint64_t *ms)
{
	unsigned long long v;
	uint64_t frac = 0, scale = 100;
	char *end;
	int rc = parse_leading(s, &v, &end);

	if (rc)
		return rc;
	if (*end == '.') {
		if (!end[1])
			return -EINVAL;
		for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
			if (!scale)
				return -EINVAL;	/* finer than a millisecond */
			else
				frac += (uint64_t)(*end - '0') * scale;
	}
	if (*end)
		return -EINVAL;
	if (v > (UINT64_MAX - frac) / 1000)
		return -ERANGE;
	*ms = v * 1000 + frac;
	return 0;
}

/* A decimal number with an optional fraction: *whole, and *frac / *scale. */
static int parse_decimal(const char *s, unsigned long long *whole, uint64_t *frac,
			 uint64_t *scale, char **end)
{
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*whole = strtoull(s, end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	*frac = 0;
	*scale = 1;
	if (**end != '.')
		return 0;
	if (!isdigit((unsigned char)(*end)[1]))
		return -EINVAL;
	for ((*end)++; isdigit((unsigned char)**end); (*end)++) {
		if (*scale == 1000000000000ULL)
			return -EINVAL;	/* more decimals than any unit needs */
		*frac = *frac * 10 + (uint64_t)(**end - '0');
		*scale *= 10;
	}
	return 0;
}

int parse_rate(const char *s, uint64_t *bytes_per_second)
{
	/* per unit: how many bits (bit units) or bytes (byte units) it is */
	static const struct { const char *unit; uint64_t n; bool bits; } units[] = {
		{ "bit", 1, true }, { "kbit", 1000, true }, { "mbit", 1000000, true },
		{ "gbit", 1000000000, true }, { "tbit", 1000000000000ULL, true },
		{ "B/s", 1, false }, { "kB/s", 1000, false }, { "MB/s", 1000000, false },
		{ "GB/s", 1000000000, false }, { "TB/s", 1000000000000ULL, false },
		{ "KiB/s", 1ULL << 10, false }, { "MiB/s", 1ULL << 20, false },
		{ "GiB/s", 1ULL << 30, false }, { "TiB/s", 1ULL << 40, false },
	};
	unsigned long long whole;
	uint64_t frac, scale;
	char *end;
	int rc = parse_decimal(s, &whole, &frac, &scale, &end);

	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t n = units[i].n, v;

		/* bit units in any case (10Gbit); byte units as spelled, and kB as KB */
		if (units[i].bits ? strcasecmp(end, units[i].unit) :
		    strcmp(end, units[i].unit) && !(n == 1000 && !strcmp(end, "KB/s")))
			continue;
		if (whole > UINT64_MAX / n)
			return -ERANGE;
		v = whole * n;
		/* the fraction, exactly when the unit allows it; finer than a bit is refused */
		if (frac) {
			unsigned __int128 f = (unsigned __int128)frac * n;

			if (f % scale)
				return -EINVAL;
			if (v > UINT64_MAX - (uint64_t)(f / scale))
				return -ERANGE;
			v += (uint64_t)(f / scale);
		}
		*bytes_per_second = units[i].bits ? v / 8 : v;
		return 0;
	}
	return -EINVAL;
}
