/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A set of page numbers as a sparse bitmap: one bit per page, in chunks
 * allocated where pages are dirty, so memory follows the mapped ranges a
 * domain's dirty pages can be in (at most a bit per mapped page, plus a
 * chunk's slack at the ends of each range), not the number of pages seen.
 */
#ifndef CLI_PAGESET_H
#define CLI_PAGESET_H

#include <stddef.h>
#include <stdint.h>

#define PAGESET_CHUNK_BITS 4096	/* 512 bytes: 16 MiB of 4K pages */

struct pageset {
	struct pageset_chunk {
		uint64_t index;		/* first page / PAGESET_CHUNK_BITS */
		uint64_t *bits;
	} *chunks;			/* sorted by index */
	size_t n, cap;
	size_t last;			/* the chunk last used: runs come in order */
	uint64_t count;			/* distinct pages in the set */
};

/* Add pages [first, first + n); 0 or -ENOMEM (the set keeps what it had). */
int pageset_add_run(struct pageset *s, uint64_t first, uint64_t n);
/* Bytes the set holds on the heap */
size_t pageset_bytes(const struct pageset *s);
void pageset_free(struct pageset *s);

#endif
