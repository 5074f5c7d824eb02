/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libiommudirty internals shared by its files and its unit tests. */
#ifndef IOMMUDIRTY_INTERNAL_H
#define IOMMUDIRTY_INTERNAL_H

#include <netlink/attr.h>

#include "iommudirty.h"

/* Arrays a parsed domain points into; grown as needed, reused per message. */
struct iommudirty_scratch {
	const char **devs;
	unsigned int devs_cap;
	struct iommudirty_observer *obs;
	unsigned int obs_cap;
	struct iommudirty_gran *gran;
	unsigned int gran_cap;
};

void iommudirty_scratch_free(struct iommudirty_scratch *s);

/*
 * Parse the attributes of one domain-get (or notification) message, or of
 * one dev-get or map-get message. -EINVAL when a required attribute is missing or
 * malformed, -ENOMEM.
 */
int iommudirty_parse_domain(struct nlattr *head, int len, struct iommudirty_domain *d,
			    struct iommudirty_scratch *s);
int iommudirty_parse_dev(struct nlattr *head, int len, struct iommudirty_dev *dev);
int iommudirty_parse_map(struct nlattr *head, int len, struct iommudirty_map *m);

/*
 * A caller's struct that starts with its size_t sz (opts, callbacks), into
 * @dst of the @known bytes the library knows (its sizeof): fields the
 * caller's older struct lacks are 0. -EINVAL, as libbpf's OPTS_VALID, when
 * sz is smaller than a size_t or a byte past @known is set. @src NULL: all
 * 0. New fields therefore go past the struct's end, never into its tail
 * padding, which a caller need not zero.
 */
int iommudirty_opts_copy(void *dst, size_t known, const void *src);

/*
 * A bitmap-get in progress: the caller's callbacks, and the run kept until
 * it cannot grow.
 */
struct iommudirty_reader {
	const struct iommudirty_read_cbs *cbs;
	void *arg;
	uint64_t run_iova, run_pages, page_size;
	bool stopped;	/* a callback returned non-zero: never call it again */
};

/*
 * One reply's attributes to the callbacks. -EINVAL if malformed, -ENOMEM,
 * or what a callback returned.
 */
int iommudirty_reader_msg(struct iommudirty_reader *r, struct nlattr *head, int len);
/* Hand the kept run to the caller: at the end of the read. */
int iommudirty_reader_flush(struct iommudirty_reader *r);

/* NLA_UINT: 4 or 8 bytes */
uint64_t iommudirty_get_uint(const struct nlattr *a);

#endif
