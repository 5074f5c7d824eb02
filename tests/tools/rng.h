/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TESTS_TOOLS_RNG_H
#define TESTS_TOOLS_RNG_H

#include <stdint.h>

/* xorshift64*: the same sequence for a seed on every libc. */
static inline uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

/* A number below @n (n > 0); the modulo bias does not matter here. */
static inline uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return rng_next(s) % n;
}

#endif
