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
		uint64_t w = a[i] & (b ? ~b[i] : ~UINT64_C(0));

		if (i == nbits / 64 && nbits % 64)
			w &= (UINT64_C(1) << (nbits % 64)) - 1;
		n += (uint64_t)__builtin_popcountll(w);
	}
	return n;
}

#endif
