/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The iommu-dirty requests the test tools make, through libiommudirty:
 * one socket per struct dirty_nl, errors as -errno with the kernel's
 * extack message kept in errmsg.
 */
#ifndef TESTS_TOOLS_DIRTY_NL_H
#define TESTS_TOOLS_DIRTY_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "iommudirty.h"

struct dirty_nl {
	struct iommudirty *h;
	/* The extack message of the last failed request, or "" */
	char errmsg[256];
	/* Bytes of netlink messages received by bitmap reads */
	uint64_t rx_bytes;
};

struct dirty_read {
	uint64_t domain;
	const char *name;	/* lease to read as; NULL: this socket's */
	bool no_clear;
	enum iommudirty_format format;	/* raw (the default), extents or adaptive */
	uint64_t page_size;	/* 0: the kernel's default */
	uint64_t iova, length;	/* length 0: the whole domain */
};

/* Called for each run of @pages dirty pages from @iova on. */
typedef void (*dirty_run_fn)(void *arg, uint64_t iova, uint64_t pages,
			     uint64_t page_size);

/*
 * A bitmap of @nbits pages of @page bytes (a power of two) from @base,
 * which dirty_nl_set_run (a dirty_run_fn taking it as arg) fills with what
 * a read reports.
 */
struct dirty_page_map {
	uint64_t *bits;
	uint64_t base, nbits, page;
};

void dirty_nl_set_run(void *map, uint64_t iova, uint64_t pages, uint64_t page_size);

/* "TOOL: WHAT: strerror(-rc): MSG" on stderr (MSG may be NULL), then exit 3. */
_Noreturn void dirty_nl_die(const char *tool, const char *what, int rc, const char *msg);

int dirty_nl_open(struct dirty_nl *n);
void dirty_nl_close(struct dirty_nl *n);
int dirty_nl_tracking_set(struct dirty_nl *n, uint64_t domain, bool enable,
			  const char *name, uint32_t lifetime);
/*
 * A socket-bound observer that asks for precise tracking (huge IOPTEs split);
 * -EPROTO if the kernel's reply says the domain is not precise.
 */
int dirty_nl_observe_precise(struct dirty_nl *n, uint64_t domain);
int dirty_nl_find_domain(struct dirty_nl *n, pid_t owner, uint32_t hwpt,
			 uint64_t *domain);
int dirty_nl_read(struct dirty_nl *n, const struct dirty_read *req,
		  dirty_run_fn fn, void *arg);
/*
 * A read into @map as a bitmap consumer makes it: chunks sent as bits are
 * ORed in a word at a time, runs set as ranges. The page size read must be
 * the map's.
 */
int dirty_nl_read_map(struct dirty_nl *n, const struct dirty_read *req,
		      struct dirty_page_map *map);

#endif
