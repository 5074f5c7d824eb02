// SPDX-License-Identifier: GPL-2.0
/* rate's working set: a sparse bitmap of page numbers (pageset.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "pageset.h"

/* The chunk holding page @page, created if @page is new to the set; NULL: no memory. */
static struct pageset_chunk *chunk_of(struct pageset *s, uint64_t page)
{
	uint64_t index = page / PAGESET_CHUNK_BITS;
	size_t lo = 0, hi = s->n;
	uint64_t *bits;

	if (s->last < s->n && s->chunks[s->last].index == index)
		return &s->chunks[s->last];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->chunks[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == s->n || s->chunks[lo].index != index) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 16;
			struct pageset_chunk *c = realloc(s->chunks, cap * sizeof(*c));

			if (!c)
				return NULL;
			s->chunks = c;
			s->cap = cap;
		}
		bits = calloc(BITMAP_WORDS(PAGESET_CHUNK_BITS), sizeof(*bits));
		if (!bits)
			return NULL;
		memmove(&s->chunks[lo + 1], &s->chunks[lo], (s->n - lo) * sizeof(*s->chunks));
		s->chunks[lo] = (struct pageset_chunk){ .index = index, .bits = bits };
		s->n++;
	}
	s->last = lo;
	return &s->chunks[lo];
}

int pageset_add_run(struct pageset *s, uint64_t first, uint64_t n)
{
	while (n) {
		struct pageset_chunk *c = chunk_of(s, first);
		uint64_t bit = first % PAGESET_CHUNK_BITS;
		uint64_t in_chunk = PAGESET_CHUNK_BITS - bit < n ? PAGESET_CHUNK_BITS - bit : n;

		if (!c)
			return -ENOMEM;
		/* a word at a time: a run of a million pages is 16 thousand stores */
		for (uint64_t b = bit; b < bit + in_chunk;) {
			uint64_t take = 64 - b % 64 < bit + in_chunk - b ? 64 - b % 64 : bit + in_chunk - b;
			uint64_t mask = (take == 64 ? ~UINT64_C(0) : (UINT64_C(1) << take) - 1) << (b % 64);
			uint64_t *w = &c->bits[b / 64];

			s->count += (uint64_t)__builtin_popcountll(mask & ~*w);
			*w |= mask;
			b += take;
		}
		first += in_chunk;
		n -= in_chunk;
	}
	return 0;
}

size_t pageset_bytes(const struct pageset *s)
{
	return s->cap * sizeof(*s->chunks) + s->n * BITMAP_WORDS(PAGESET_CHUNK_BITS) * 8;
}

void pageset_free(struct pageset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->chunks[i].bits);
	free(s->chunks);
	memset(s, 0, sizeof(*s));
}
