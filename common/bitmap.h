/* SPDX-License-Identifier: GPL-2.0 */
/* Little-endian u64 bitmaps, the layout IOMMU_HWPT_GET_DIRTY_BITMAP writes. */
#ifndef COMMON_BITMAP_H
#define COMMON_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

#define BITMAP_WORDS(nbits) (((nbits) + 63) / 64)

static inline void bitmap_set_bit(uint64_t *map, uint64_t bit)
{
	map[bit / 64] |= UINT64_C(1) << (bit % 64);
}

/* Set bits [@first, @first + @n) of @map. */
static inline void bitmap_set_range(uint64_t *map, uint64_t first, uint64_t n)
{
	uint64_t end = first + n;

	while (first < end) {
		uint64_t bits = end - first < 64 - first % 64 ? end - first : 64 - first % 64;

		map[first / 64] |= (bits == 64 ? ~UINT64_C(0) : (UINT64_C(1) << bits) - 1)
				   << (first % 64);
		first += bits;
	}
}

/* Word @i of the first @nbits of @map, its bits past @nbits cleared. */
static inline uint64_t bitmap_word(const uint64_t *map, uint64_t i, uint64_t nbits)
{
	if (i == nbits / 64 && nbits % 64)
		return map[i] & ((UINT64_C(1) << (nbits % 64)) - 1);
	return map[i];
}

static inline bool bitmap_test_bit(const uint64_t *map, uint64_t bit)
{
	return map[bit / 64] >> (bit % 64) & 1;
}

/* Number of bits set in @a and not in @b (b may be NULL: all of a). */
static inline uint64_t bitmap_count_andnot(const uint64_t *a, const uint64_t *b,
					   uint64_t nbits)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < BITMAP_WORDS(nbits); i++) {
		uint64_t w = bitmap_word(a, i, nbits) & (b ? ~b[i] : ~UINT64_C(0));

		n += (uint64_t)__builtin_popcountll(w);
	}
	return n;
}

/*
 * Runs of set bits in the first @nbits of @map. *@carry says whether a run
 * goes on from before bit 0, and is left saying whether one goes on past
 * the last bit.
 */
static inline uint64_t bitmap_count_runs(const uint64_t *map, uint64_t nbits, bool *carry)
{
	uint64_t n = 0, c = *carry;

	for (uint64_t i = 0; i < BITMAP_WORDS(nbits); i++) {
		uint64_t w = bitmap_word(map, i, nbits);

		n += (uint64_t)__builtin_popcountll(w & ~(w << 1 | c));
		c = w >> 63;
	}
	*carry = nbits && bitmap_test_bit(map, nbits - 1);
	return n;
}

/* OR the first @nbits of @src into @dst from bit @first of @dst on. */
static inline void bitmap_or_at(uint64_t *dst, uint64_t first, const uint64_t *src,
				uint64_t nbits)
{
	unsigned int shift = first % 64;

	for (uint64_t i = 0; i < BITMAP_WORDS(nbits); i++) {
		uint64_t w = bitmap_word(src, i, nbits), *d = dst + first / 64 + i;

		d[0] |= w << shift;
		if (shift && w >> (64 - shift))
			d[1] |= w >> (64 - shift);
	}
}

#endif
