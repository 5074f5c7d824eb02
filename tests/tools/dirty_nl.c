// SPDX-License-Identifier: GPL-2.0
/*
 * The test tools' iommu-dirty requests (dirty_nl.h), made through
 * libiommudirty, so the tools exercise the library the CLI uses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "dirty_nl.h"
#include "iommudirty.h"

int dirty_nl_open(struct dirty_nl *n)
{
	memset(n, 0, sizeof(*n));
	return iommudirty_open(&n->h);
}

void dirty_nl_close(struct dirty_nl *n)
{
	iommudirty_close(n->h);
	n->h = NULL;
}

/* Keep the kernel's message of a failed request. */
static int done(struct dirty_nl *n, int rc)
{
	snprintf(n->errmsg, sizeof(n->errmsg), "%s", rc ? iommudirty_errmsg(n->h) : "");
	return rc;
}

int dirty_nl_tracking_set(struct dirty_nl *n, uint64_t domain, bool enable,
			  const char *name, uint32_t lifetime)
{
	return done(n, enable ? iommudirty_observe(n->h, domain, name, lifetime, NULL, NULL) :
				iommudirty_unobserve(n->h, domain, name, NULL, NULL));
}

/* The library checks the reply says the domain is precise (-EPROTO) */
int dirty_nl_observe_precise(struct dirty_nl *n, uint64_t domain)
{
	const struct iommudirty_observe_opts o = {
		.sz = sizeof(o), .flags = IOMMUDIRTY_OBSERVE_PRECISE,
	};

	return done(n, iommudirty_observe_opts(n->h, domain, &o, NULL, NULL));
}

struct find {
	pid_t owner;
	uint32_t hwpt;
	uint64_t domain;
};

static int find_one(const struct iommudirty_domain *d, void *arg)
{
	struct find *f = arg;

	if ((pid_t)d->owner_pid == f->owner && d->hwpt_id == f->hwpt)
		f->domain = d->id;
	return 0;
}

int dirty_nl_find_domain(struct dirty_nl *n, pid_t owner, uint32_t hwpt, uint64_t *domain)
{
	struct find f = { .owner = owner, .hwpt = hwpt };
	int rc = done(n, iommudirty_domains(n->h, find_one, &f));

	if (rc)
		return rc;
	if (!f.domain)
		return -ENOENT;
	*domain = f.domain;
	return 0;
}

void dirty_nl_die(const char *tool, const char *what, int rc, const char *msg)
{
	fprintf(stderr, "%s: %s: %s%s%s\n", tool, what, strerror(-rc), msg && *msg ? ": " : "",
		msg ? msg : "");
	exit(3);
}

void dirty_nl_set_run(void *arg, uint64_t iova, uint64_t pages, uint64_t page_size)
{
	struct dirty_page_map *m = arg;
	/* Pages are powers of two: shifts, not a division per run */
	unsigned int shift = (unsigned int)__builtin_ctzll(m->page);
	uint64_t first = (iova - m->base) >> shift;
	uint64_t n;

	if (first >= m->nbits || page_size < m->page)
		return;
	n = pages << ((unsigned int)__builtin_ctzll(page_size) - shift);
	bitmap_set_range(m->bits, first, n < m->nbits - first ? n : m->nbits - first);
}

struct runs {
	dirty_run_fn fn;
	void *arg;
};

static int one_run(uint64_t iova, uint64_t pages, uint64_t page_size, void *arg)
{
	struct runs *r = arg;

	r->fn(r->arg, iova, pages, page_size);
	return 0;
}

/* @req with @cbs, counting the bytes received. */
static int read_with(struct dirty_nl *n, const struct dirty_read *req,
		     const struct iommudirty_read_cbs *cbs, void *arg)
{
	struct iommudirty_read_opts opts = {
		.sz = sizeof(opts), .name = req->name, .iova = req->iova,
		.length = req->length, .page_size = req->page_size,
		.no_clear = req->no_clear, .format = req->format,
	};
	uint64_t before = iommudirty_rx_bytes(n->h);
	int rc = iommudirty_read(n->h, req->domain, &opts, cbs, arg);

	n->rx_bytes += iommudirty_rx_bytes(n->h) - before;
	return done(n, rc);
}

int dirty_nl_read(struct dirty_nl *n, const struct dirty_read *req, dirty_run_fn fn, void *arg)
{
	struct iommudirty_read_cbs cbs = { .sz = sizeof(cbs), .run = one_run };
	struct runs r = { .fn = fn, .arg = arg };

	return read_with(n, req, &cbs, &r);
}

static int map_run(uint64_t iova, uint64_t pages, uint64_t page_size, void *arg)
{
	dirty_nl_set_run(arg, iova, pages, page_size);
	return 0;
}

static int map_chunk(const struct iommudirty_chunk *c, void *arg)
{
	struct dirty_page_map *m = arg;
	uint64_t first = (c->iova - m->base) / m->page;

	if (c->page_size != m->page || first + c->pages > m->nbits)
		return -ERANGE;
	bitmap_or_at(m->bits, first, c->bits, c->pages);
	return 0;
}

int dirty_nl_read_map(struct dirty_nl *n, const struct dirty_read *req,
		      struct dirty_page_map *map)
{
	struct iommudirty_read_cbs cbs = { .sz = sizeof(cbs), .chunk = map_chunk, .run = map_run };

	return read_with(n, req, &cbs, map);
}
