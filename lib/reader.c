// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bitmap-get replies to the caller's callbacks: raw chunks as bitmaps or as
 * runs, runs from pairs of u32, and adjacent runs from different messages
 * (a raw chunk's edge, a long run split in pairs) merged, so a caller sees
 * each run whole. Kept apart from the socket code so unit tests can feed it
 * messages built on the host.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/iommu_dirty.h>

#include "internal.h"

/* The library's format values are the family's: sent as they are */
_Static_assert((int)IOMMUDIRTY_FORMAT_RAW == (int)IOMMU_DIRTY_BITMAP_FORMAT_RAW &&
	       (int)IOMMUDIRTY_FORMAT_EXTENTS == (int)IOMMU_DIRTY_BITMAP_FORMAT_EXTENTS &&
	       (int)IOMMUDIRTY_FORMAT_ADAPTIVE == (int)IOMMU_DIRTY_BITMAP_FORMAT_ADAPTIVE,
	       "iommudirty_format matches iommu_dirty_bitmap_format");

int iommudirty_reader_flush(struct iommudirty_reader *r)
{
	uint64_t pages = r->run_pages;
	int rc;

	if (!pages)
		return 0;
	r->run_pages = 0;
	rc = r->cbs->run(r->run_iova, pages, r->page_size, r->arg);
	r->stopped = rc != 0;
	return rc;
}

/* A run of @pages dirty pages from @iova: kept until it cannot grow. */
static int run_add(struct iommudirty_reader *r, uint64_t iova, uint64_t pages,
		   uint64_t page_size)
{
	int rc;

	if (!r->cbs->run || !pages)
		return 0;
	if (r->run_pages && page_size == r->page_size &&
	    r->run_iova + r->run_pages * page_size == iova) {
		r->run_pages += pages;
		return 0;
	}
	rc = iommudirty_reader_flush(r);
	r->run_iova = iova;
	r->run_pages = pages;
	r->page_size = page_size;
	return rc;
}

/*
 * The runs of set bits of a raw chunk, a word at a time: each run within a
 * word, which run_add() joins to one that ends where it begins.
 */
static int chunk_runs(struct iommudirty_reader *r, const struct iommudirty_chunk *c)
{
	uint64_t words = ((uint64_t)c->pages + 63) / 64;
	int rc;

	for (uint64_t k = 0; k < words; k++) {
		uint64_t w = c->bits[k];

		/* bits past the chunk's pages are not pages */
		if (k == words - 1 && c->pages % 64)
			w &= (1ULL << (c->pages % 64)) - 1;
		while (w) {
			unsigned int start = (unsigned int)__builtin_ctzll(w);
			uint64_t clean = ~(w >> start);
			unsigned int len;

			/* all ones from start: only when a word is full */
			len = clean ? (unsigned int)__builtin_ctzll(clean) : 64;
			rc = run_add(r, c->iova + (k * 64 + start) * c->page_size, len,
				     c->page_size);
			if (rc)
				return rc;
			w = start + len < 64 ? w & (~0ULL << (start + len)) : 0;
		}
	}
	return 0;
}

/* A runs attribute: pairs of u32, clean pages skipped then dirty pages. */
static int read_runs(struct iommudirty_reader *r, const struct nlattr *a, uint64_t iova,
		     uint64_t page_size)
{
	const unsigned char *p = nla_data(a);
	uint32_t pair[2];
	int rc;

	if (nla_len(a) % sizeof(pair))
		return -EINVAL;
	for (int off = 0; off < nla_len(a); off += (int)sizeof(pair)) {
		memcpy(pair, p + off, sizeof(pair));
		iova += pair[0] * page_size;
		rc = run_add(r, iova, pair[1], page_size);
		if (rc)
			return rc;
		iova += pair[1] * page_size;
	}
	return 0;
}

/* A raw message: its bits, word-aligned for the caller. */
static int read_bits(struct iommudirty_reader *r, struct nlattr **tb, uint64_t page_size)
{
	struct nlattr *bits = tb[IOMMU_DIRTY_A_BITMAP_BITS];
	struct iommudirty_chunk c = { .page_size = page_size };
	uint64_t bytes;
	int rc = 0;

	if (!tb[IOMMU_DIRTY_A_BITMAP_PAGES] || nla_len(tb[IOMMU_DIRTY_A_BITMAP_PAGES]) < 4)
		return -EINVAL;
	c.iova = iommudirty_get_uint(tb[IOMMU_DIRTY_A_BITMAP_IOVA]);
	c.pages = nla_get_u32(tb[IOMMU_DIRTY_A_BITMAP_PAGES]);
	c.bits = nla_data(bits);
	bytes = ((uint64_t)c.pages + 63) / 64 * 8;
	if ((uint64_t)nla_len(bits) < bytes)
		return -EINVAL;
	/* Netlink attributes are 4-byte aligned: the words may not be */
	if ((uintptr_t)c.bits % 8 && bytes) {
		uint64_t *copy = malloc(bytes);

		if (!copy)
			return -ENOMEM;
		memcpy(copy, c.bits, bytes);
		c.bits = copy;
	}
	/* Bits go to chunk if the caller takes them, else become runs */
	if (r->cbs->chunk) {
		/* The kept run lies before this chunk: IOVA order holds */
		rc = iommudirty_reader_flush(r);
		if (!rc) {
			rc = r->cbs->chunk(&c, r->arg);
			r->stopped = rc != 0;
		}
	} else if (r->cbs->run) {
		rc = chunk_runs(r, &c);
	}
	if (c.bits != nla_data(bits))
		free((void *)c.bits);
	return rc;
}

int iommudirty_reader_msg(struct iommudirty_reader *r, struct nlattr *head, int len)
{
	struct nlattr *tb[IOMMU_DIRTY_A_BITMAP_MAX + 1];
	uint64_t page_size;

	if (nla_parse(tb, IOMMU_DIRTY_A_BITMAP_MAX, head, len, NULL) ||
	    !tb[IOMMU_DIRTY_A_BITMAP_PAGE_SIZE] || !tb[IOMMU_DIRTY_A_BITMAP_IOVA])
		return -EINVAL;
	page_size = iommudirty_get_uint(tb[IOMMU_DIRTY_A_BITMAP_PAGE_SIZE]);
	if (tb[IOMMU_DIRTY_A_BITMAP_BITS])
		return read_bits(r, tb, page_size);
	if (tb[IOMMU_DIRTY_A_BITMAP_RUNS])
		return read_runs(r, tb[IOMMU_DIRTY_A_BITMAP_RUNS],
				 iommudirty_get_uint(tb[IOMMU_DIRTY_A_BITMAP_IOVA]), page_size);
	return -EINVAL;
}
