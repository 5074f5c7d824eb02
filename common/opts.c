// SPDX-License-Identifier: GPL-2.0
#include "opts.h"
#include "bitmap.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

/* A leading unsigned number (decimal or 0x-hex); *end is what follows it. */
static int parse_leading(const char *s, unsigned long long *v, char **end)
{
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, end, 0);
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

int parse_rate(const char *s, uint64_t *bytes_per_second)
{
	static const struct { const char *unit; uint64_t bits; } bit_units[] = {
		{ "bit", 1 }, { "kbit", 1000 }, { "mbit", 1000000 }, { "gbit", 1000000000 },
		{ "tbit", 1000000000000ULL },
	};
	unsigned long long v;
	char *end;
	int rc = parse_leading(s, &v, &end);

	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(bit_units) / sizeof(bit_units[0]); i++) {
		if (strcasecmp(end, bit_units[i].unit))
			continue;
		if (v > UINT64_MAX / bit_units[i].bits)
			return -ERANGE;
		*bytes_per_second = v * bit_units[i].bits / 8;
		return 0;
	}
	return parse_size(s, bytes_per_second);
}
