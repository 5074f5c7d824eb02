/* SPDX-License-Identifier: GPL-2.0 */
/* Option parsing shared by the CLI and the test helpers; pure functions, unit tested. */
#ifndef COMMON_OPTS_H
#define COMMON_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/*
 * "4096", "64K", "1.5M" is not accepted: integers with an optional binary
 * suffix K, M, G, T (KiB, MiB, ...). Returns 0 or -EINVAL / -ERANGE.
 */
int parse_size(const char *s, uint64_t *out);

/*
 * A plain unsigned decimal or 0x-hex number ("010" is ten, never octal);
 * same errors as parse_size(). Every number these parsers take is so.
 */
int parse_u64(const char *s, uint64_t *out);

/*
 * "0,5,10-20" -> sets those bits (page indices) in @bitmap of @nbits bits.
 * Returns 0, -EINVAL on malformed text, -ERANGE for an index >= @nbits.
 */
int parse_page_list(const char *s, uint64_t *bitmap, uint64_t nbits);

/* "90", "90s", "15m", "2h", "1d" -> seconds; same errors as parse_size(). */
int parse_duration(const char *s, uint64_t *seconds);

/* Seconds with up to three decimals, "2", "0.5", "1.25" -> milliseconds. */
int parse_seconds_ms(const char *s, uint64_t *ms);

/*
 * A rate with its unit, in bytes per second: bits per second in decimal
 * units, as links are sold ("10gbit", "100Mbit", any case), or bytes per
 * second in decimal or binary units ("1.25GB/s", "100MiB/s", "512KB/s").
 * A bare number or "10G" is refused (-EINVAL): 10 GiB/s to one reader is
 * 10 Gbit/s to another. Decimals are allowed where the value stays whole.
 */
int parse_rate(const char *s, uint64_t *bytes_per_second);

#endif
