// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of libiommudirty's parsing and names, on messages built on
 * the host with libnl; run under ASan/UBSan.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/iommu_dirty.h>
#include <netlink/msg.h>

#include "../../lib/internal.h"
#include "tap.h"

static struct nl_msg *domain_msg(bool with_id)
{
	struct nl_msg *m = nlmsg_alloc();
	struct nlattr *o;

	if (with_id)
		nla_put_u64(m, IOMMU_DIRTY_A_DOMAIN_ID, 7);
	nla_put_u32(m, IOMMU_DIRTY_A_DOMAIN_OWNER_PID, 1234);
	nla_put_string(m, IOMMU_DIRTY_A_DOMAIN_OWNER_COMM, "qemu-kvm");
	nla_put_string(m, IOMMU_DIRTY_A_DOMAIN_DEV, "0000:00:05.0");
	nla_put_string(m, IOMMU_DIRTY_A_DOMAIN_DEV, "0000:00:06.0");
	/* NLA_UINT in 4 bytes, as the kernel sends small values */
	nla_put_u32(m, IOMMU_DIRTY_A_DOMAIN_MAPPED_BYTES, 4096);
	nla_put_u64(m, IOMMU_DIRTY_A_DOMAIN_DIRTY_PAGES, 1ULL << 40);
	nla_put_u8(m, IOMMU_DIRTY_A_DOMAIN_TRACKING, 1);
	nla_put_u32(m, IOMMU_DIRTY_A_DOMAIN_MECHANISM, IOMMU_DIRTY_MECHANISM_INTEL_SSADS);
	for (int i = 0; i < 10; i++) {
		o = nla_nest_start(m, IOMMU_DIRTY_A_DOMAIN_OBSERVER);
		if (i % 2)
			nla_put_string(m, IOMMU_DIRTY_A_OBSERVER_NAME, "runbook");
		nla_put_u32(m, IOMMU_DIRTY_A_OBSERVER_PID, 100 + i);
		nla_put_string(m, IOMMU_DIRTY_A_OBSERVER_COMM, "iommu-dirtyctl");
		nla_put_u8(m, IOMMU_DIRTY_A_OBSERVER_OVERFLOW, i == 3);
		nla_nest_end(m, o);
	}
	return m;
}

static void test_domain(void)
{
	struct iommudirty_scratch s = { 0 };
	struct iommudirty_domain d;
	struct nl_msg *m = domain_msg(true);
	int rc = iommudirty_parse_domain(nlmsg_attrdata(nlmsg_hdr(m), 0),
					 nlmsg_attrlen(nlmsg_hdr(m), 0), &d, &s);

	TAP_OK(rc == 0, "a domain parses");
	TAP_OK(d.id == 7 && d.owner_pid == 1234 && !strcmp(d.owner_comm, "qemu-kvm"),
	       "id, owner pid and comm");
	TAP_OK(d.n_devs == 2 && !strcmp(d.devs[1], "0000:00:06.0"), "both devices, in order");
	TAP_OK(d.mapped_bytes == 4096 && d.dirty_pages == 1ULL << 40,
	       "uint attributes of 4 and 8 bytes");
	TAP_OK(d.tracking && !d.owner_tracking && !d.last_harvest_ns, "absent flags are 0");
	TAP_OK(d.n_observers == 10 && !iommudirty_domain_observer(&d, 0)->name &&
	       !strcmp(iommudirty_domain_observer(&d, 9)->name, "runbook") &&
	       iommudirty_domain_observer(&d, 3)->overflow &&
	       iommudirty_domain_observer(&d, 9)->pid == 109,
	       "ten observers, growing the scratch arrays");
	TAP_OK(!iommudirty_domain_observer(&d, 10), "no observer past the last");
	nlmsg_free(m);

	m = domain_msg(false);
	rc = iommudirty_parse_domain(nlmsg_attrdata(nlmsg_hdr(m), 0),
				     nlmsg_attrlen(nlmsg_hdr(m), 0), &d, &s);
	TAP_OK(rc == -EINVAL, "a domain without an id is refused");
	nlmsg_free(m);

	/* A string attribute without its NUL must not be read past its end */
	m = nlmsg_alloc();
	nla_put_u64(m, IOMMU_DIRTY_A_DOMAIN_ID, 1);
	nla_put(m, IOMMU_DIRTY_A_DOMAIN_OWNER_COMM, 4, "qemu");
	rc = iommudirty_parse_domain(nlmsg_attrdata(nlmsg_hdr(m), 0),
				     nlmsg_attrlen(nlmsg_hdr(m), 0), &d, &s);
	TAP_OK(rc == -EINVAL, "an unterminated string is refused");
	nlmsg_free(m);
	iommudirty_scratch_free(&s);
}

/* A domain with two IOPTE sizes of records, parsed, then copied past its scratch */
static void test_gran_dup(void)
{
	struct iommudirty_scratch s = { 0 };
	struct nl_msg *m = domain_msg(true);
	struct iommudirty_domain d, *copy;
	const struct iommudirty_gran *g;
	struct nlattr *n;

	for (int i = 0; i < 2; i++) {
		n = nla_nest_start(m, IOMMU_DIRTY_A_DOMAIN_GRANULARITY);
		nla_put_u64(m, IOMMU_DIRTY_A_GRAN_PAGE_SIZE, i ? 1ULL << 30 : 4096);
		nla_put_u64(m, IOMMU_DIRTY_A_GRAN_OWNER_RECORDS, 10 + i);
		nla_put_u64(m, IOMMU_DIRTY_A_GRAN_OWNER_BYTES, (10 + i) * (i ? 1ULL << 30 : 4096));
		nla_put_u64(m, IOMMU_DIRTY_A_GRAN_OBSERVER_RECORDS, 20 + i);
		nla_nest_end(m, n);
	}
	nla_put_u8(m, IOMMU_DIRTY_A_DOMAIN_PRECISE, 1);
	TAP_OK(!iommudirty_parse_domain(nlmsg_attrdata(nlmsg_hdr(m), 0),
					nlmsg_attrlen(nlmsg_hdr(m), 0), &d, &s) &&
	       d.n_gran == 2 && d.precise && !d.precise_cap,
	       "a domain's granularity nests and precise flags parse");
	copy = iommudirty_domain_dup(&d);
	iommudirty_scratch_free(&s);
	nlmsg_free(m);
	g = copy ? iommudirty_domain_gran(copy, 1) : NULL;
	TAP_OK(g && g->page_size == 1ULL << 30 && g->owner_records == 11 &&
	       g->owner_bytes == 11ULL << 30 && g->observer_records == 21 && !g->observer_bytes &&
	       iommudirty_domain_gran(copy, 0)->page_size == 4096 &&
	       !iommudirty_domain_gran(copy, 2) && copy->n_observers == 10 &&
	       !strcmp(iommudirty_domain_observer(copy, 9)->name, "runbook"),
	       "a copy keeps the sizes, and the observers after them, once the scratch is gone");
	free(copy);
}

static void test_dev(void)
{
	struct nl_msg *m = nlmsg_alloc();
	struct iommudirty_dev dev;
	int rc;

	nla_put_string(m, IOMMU_DIRTY_A_DEV_NAME, "0000:00:05.0");
	nla_put_u64(m, IOMMU_DIRTY_A_DEV_VTD_CAP, 0xd2008c40660462ULL);
	nla_put_u64(m, IOMMU_DIRTY_A_DEV_VTD_ECAP, 0xf02f1aULL);
	nla_put_u8(m, IOMMU_DIRTY_A_DEV_VTD_SMTS, 1);
	nla_put_u8(m, IOMMU_DIRTY_A_DEV_DIRTY_CAP, 0);
	rc = iommudirty_parse_dev(nlmsg_attrdata(nlmsg_hdr(m), 0), nlmsg_attrlen(nlmsg_hdr(m), 0),
				  &dev);
	TAP_OK(rc == 0 && !strcmp(dev.name, "0000:00:05.0"), "a device parses");
	TAP_OK(dev.has_vtd && !dev.has_amd && !dev.has_smmu && dev.vtd_smts && !dev.vtd_slads &&
	       dev.vtd_cap == 0xd2008c40660462ULL, "only the VT-d group is present");
	TAP_OK(!dev.dirty_cap && !dev.domain_id && !*dev.owner_comm, "absent values are 0 or \"\"");
	nlmsg_free(m);
}

static int parse_map(uint64_t iova, uint64_t length, bool with_writable,
		     struct iommudirty_map *map)
{
	struct nl_msg *m = nlmsg_alloc();
	int rc;

	nla_put_u64(m, IOMMU_DIRTY_A_MAP_DOMAIN_ID, 3);
	nla_put_u64(m, IOMMU_DIRTY_A_MAP_IOVA, iova);
	nla_put_u32(m, IOMMU_DIRTY_A_MAP_LENGTH, (uint32_t)length);
	if (with_writable)
		nla_put_u8(m, IOMMU_DIRTY_A_MAP_WRITABLE, 1);
	rc = iommudirty_parse_map(nlmsg_attrdata(nlmsg_hdr(m), 0), nlmsg_attrlen(nlmsg_hdr(m), 0),
				  map);
	nlmsg_free(m);
	return rc;
}

static void test_map(void)
{
	struct iommudirty_map map;

	TAP_OK(parse_map(1ULL << 32, 2 << 20, true, &map) == 0 && map.iova == 1ULL << 32 &&
	       map.length == 2 << 20 && map.writable, "a writable area parses");
	TAP_OK(parse_map(0, 4096, false, &map) == 0 && !map.writable,
	       "an area without the writable flag is read-only");
	TAP_OK(parse_map(0, 0, true, &map) == -EINVAL, "an empty area is refused");
	TAP_OK(parse_map(~0ULL - 4095, 8192, true, &map) == -EINVAL,
	       "an area past the end of the IOVA space is refused");
}

/* What a read's callbacks were handed, in order. */
struct got {
	char log[512];
	int stop_at;	/* the call (from 1) that returns 1; 0: none */
	int calls;
};

static int got_run(uint64_t iova, uint64_t pages, uint64_t page_size, void *arg)
{
	struct got *g = arg;
	size_t n = strlen(g->log);

	snprintf(g->log + n, sizeof(g->log) - n, "r%llx+%llu/%llu ", (unsigned long long)iova,
		 (unsigned long long)pages, (unsigned long long)page_size);
	return ++g->calls == g->stop_at;
}

static int got_chunk(const struct iommudirty_chunk *c, void *arg)
{
	struct got *g = arg;
	size_t n = strlen(g->log);

	snprintf(g->log + n, sizeof(g->log) - n, "c%llx+%u:%llx ", (unsigned long long)c->iova,
		 c->pages, (unsigned long long)c->bits[0]);
	return ++g->calls == g->stop_at;
}

/* A raw reply of @pages pages from @iova (pages of 4 KiB) with @words of bits. */
static struct nl_msg *bits_msg(uint64_t iova, uint32_t pages, const uint64_t *words, int n)
{
	struct nl_msg *m = nlmsg_alloc();

	nla_put_u64(m, IOMMU_DIRTY_A_BITMAP_IOVA, iova);
	nla_put_u32(m, IOMMU_DIRTY_A_BITMAP_PAGE_SIZE, 4096);
	nla_put_u32(m, IOMMU_DIRTY_A_BITMAP_PAGES, pages);
	nla_put(m, IOMMU_DIRTY_A_BITMAP_BITS, n * 8, words);
	return m;
}

/* A runs reply from @iova with @n u32 (pairs of skipped and dirty pages). */
static struct nl_msg *runs_msg(uint64_t iova, const uint32_t *pairs, int n)
{
	struct nl_msg *m = nlmsg_alloc();

	nla_put_u64(m, IOMMU_DIRTY_A_BITMAP_IOVA, iova);
	nla_put_u32(m, IOMMU_DIRTY_A_BITMAP_PAGE_SIZE, 4096);
	nla_put(m, IOMMU_DIRTY_A_BITMAP_RUNS, n * 4, pairs);
	return m;
}

/* Feed @m to @r and free it. */
static int feed(struct iommudirty_reader *r, struct nl_msg *m)
{
	int rc = iommudirty_reader_msg(r, nlmsg_attrdata(nlmsg_hdr(m), 0),
				       nlmsg_attrlen(nlmsg_hdr(m), 0));

	nlmsg_free(m);
	return rc;
}

static void test_reader(void)
{
	/* Pages 0-2, 63-65 (across a word), 100, and 129 (the chunk's last) */
	const uint64_t words[3] = { 0x8000000000000007ull, (1ull << 36) | 3, 2 };
	const uint32_t pairs[] = { 0, 2, 5, 1 };
	const uint32_t split[] = { 3, UINT32_MAX, 0, 6 };
	const uint32_t odd[] = { 0, 1, 2 };
	struct iommudirty_read_cbs runs_only = { .sz = sizeof(runs_only), .run = got_run };
	struct iommudirty_read_cbs both = { .sz = sizeof(both), .run = got_run,
					    .chunk = got_chunk };
	struct got g = { 0 };
	struct iommudirty_reader r = { .cbs = &runs_only, .arg = &g };
	int rc;

	rc = feed(&r, bits_msg(0x100000, 130, words, 3));
	/* Pages 130-131 go on the run at page 129 from the next message */
	rc = rc ?: feed(&r, runs_msg(0x100000 + 130 * 4096, pairs, 4));
	rc = rc ?: iommudirty_reader_flush(&r);
	TAP_OK(rc == 0 && !strcmp(g.log, "r100000+3/4096 r13f000+3/4096 r164000+1/4096 "
				  "r181000+3/4096 r189000+1/4096 "),
	       "runs of a raw chunk, a word at a time, merged with the next message's: %s", g.log);

	memset(&g, 0, sizeof(g));
	r = (struct iommudirty_reader){ .cbs = &runs_only, .arg = &g };
	rc = feed(&r, runs_msg(0, split, 4)) ?: iommudirty_reader_flush(&r);
	TAP_OK(rc == 0 && !strcmp(g.log, "r3000+4294967301/4096 "),
	       "a run longer than U32_MAX pages, sent as two pairs, is handed over whole: %s",
	       g.log);

	memset(&g, 0, sizeof(g));
	r = (struct iommudirty_reader){ .cbs = &both, .arg = &g };
	rc = feed(&r, runs_msg(0, pairs, 4));
	rc = rc ?: feed(&r, bits_msg(0x100000, 130, words, 3));
	rc = rc ?: iommudirty_reader_flush(&r);
	TAP_OK(rc == 0 && !strcmp(g.log, "r0+2/4096 r7000+1/4096 c100000+130:8000000000000007 "),
	       "with a chunk callback, bits go to it and runs stay in IOVA order: %s", g.log);

	memset(&g, 0, sizeof(g));
	g.stop_at = 1;
	r = (struct iommudirty_reader){ .cbs = &runs_only, .arg = &g };
	rc = feed(&r, runs_msg(0, pairs, 4));
	TAP_OK(rc == 1 && r.stopped && g.calls == 1,
	       "a callback's stop is returned and remembered");

	/* A full word-sized chunk whose last run goes on in the next message */
	const uint64_t top4 = 0xf000000000000000ull, tail = 0xff;
	const uint32_t two[] = { 0, 2 };
	struct nl_msg *m = nlmsg_alloc();

	memset(&g, 0, sizeof(g));
	r = (struct iommudirty_reader){ .cbs = &runs_only, .arg = &g };
	/* The page size in 8 bytes puts the bits 4-byte aligned: copied */
	nla_put_u64(m, IOMMU_DIRTY_A_BITMAP_IOVA, 0);
	nla_put_u64(m, IOMMU_DIRTY_A_BITMAP_PAGE_SIZE, 4096);
	nla_put_u32(m, IOMMU_DIRTY_A_BITMAP_PAGES, 64);
	nla_put(m, IOMMU_DIRTY_A_BITMAP_BITS, 8, &top4);
	rc = feed(&r, m);
	rc = rc ?: feed(&r, runs_msg(64 * 4096, two, 2));
	/* Bits past a chunk's pages are not pages */
	rc = rc ?: feed(&r, bits_msg(0x100000, 3, &tail, 1));
	rc = rc ?: iommudirty_reader_flush(&r);
	TAP_OK(rc == 0 && !strcmp(g.log, "r3c000+6/4096 r100000+3/4096 "),
	       "unaligned bits, a run to a chunk's last word's top, bits past the pages: %s",
	       g.log);

	r = (struct iommudirty_reader){ .cbs = &runs_only, .arg = &g };
	TAP_OK(feed(&r, runs_msg(0, odd, 3)) == -EINVAL, "runs that are not pairs are refused");
	TAP_OK(feed(&r, bits_msg(0, 130, words, 2)) == -EINVAL,
	       "bits shorter than their pages are refused");
}

/* Runs as a list of (first page, pages), for comparing readers */
struct run_list {
	uint64_t at[2 * 640];
	unsigned int n;
	bool overflow;
};

static int list_run(uint64_t iova, uint64_t pages, uint64_t page_size, void *arg)
{
	struct run_list *l = arg;

	if (l->n + 2 > sizeof(l->at) / sizeof(l->at[0])) {
		l->overflow = true;
		return 0;
	}
	l->at[l->n++] = iova / page_size;
	l->at[l->n++] = pages;
	return 0;
}

/*
 * Raw chunks of every length up to ten words, with words empty, full and
 * random at several densities (garbage past the pages included), read as
 * runs: the same runs as a page-by-page walk of the bits finds.
 */
static void test_reader_words(void)
{
	struct iommudirty_read_cbs cbs = { .sz = sizeof(cbs), .run = list_run };
	uint64_t x = 0x2545f4914f6cdd1dULL;
	unsigned int bad = 0, tried = 0;

	for (uint32_t pages = 1; pages <= 640; pages += 1 + pages / 64) {
		for (unsigned int round = 0; round < 40; round++) {
			uint64_t words[10];
			struct run_list got = { 0 }, want = { 0 };
			struct iommudirty_reader r = { .cbs = &cbs, .arg = &got };
			int n = (int)((pages + 63) / 64), rc;

			for (int k = 0; k < n; k++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				switch ((x >> 60) % 4) {
				case 0: words[k] = 0; break;
				case 1: words[k] = ~0ULL; break;
				case 2: words[k] = x & (x >> 3); break;	/* sparse */
				default: words[k] = x | (x >> 5); break;	/* dense */
				}
			}
			for (uint32_t i = 0; i < pages; i++) {
				bool set = words[i / 64] >> (i % 64) & 1;

				if (set && want.n && want.at[want.n - 2] + want.at[want.n - 1] == i)
					want.at[want.n - 1]++;
				else if (set)
					list_run(i * 4096ULL, 1, 4096, &want);
			}
			rc = feed(&r, bits_msg(0, pages, words, n)) ?: iommudirty_reader_flush(&r);
			tried++;
			bad += rc || got.overflow || got.n != want.n ||
			       memcmp(got.at, want.at, want.n * sizeof(want.at[0]));
		}
	}
	TAP_OK(!bad, "raw chunks of 1 to 640 pages give the runs a page-by-page walk finds "
	       "(%u of %u differ)", bad, tried);
}

static void test_names(void)
{
	TAP_OK(!strcmp(iommudirty_mechanism_name(IOMMU_DIRTY_MECHANISM_ARM_SMMUV3_HTTU),
		       "arm-smmuv3-httu"), "mechanism names are the spec's");
	TAP_OK(!strcmp(iommudirty_mechanism_name(99), "?"), "an unknown mechanism is ?");
	TAP_OK(!strcmp(iommudirty_iommu_type_name(IOMMU_DIRTY_IOMMU_TYPE_AMD), "amd"),
	       "iommu type names are the spec's");
	TAP_OK(!strcmp(iommudirty_event_name(IOMMUDIRTY_EVENT_DOMAIN_DEL), "domain-del"),
	       "event names");
	TAP_OK(!strcmp(iommudirty_event_name((enum iommudirty_event)0), "?"), "event 0 is ?");
}

/* A caller's struct from a newer header: the library's plus one field. */
struct newer_read_opts {
	struct iommudirty_read_opts old;
	uint64_t added;
};

static void test_opts(void)
{
	const size_t known = sizeof(struct iommudirty_read_opts);
	struct iommudirty_read_opts o, in = { .sz = sizeof(in), .iova = 4096,
					      .format = IOMMUDIRTY_FORMAT_ADAPTIVE };
	struct newer_read_opts newer = { .old = { .sz = sizeof(newer), .no_clear = true } };
	size_t older = offsetof(struct iommudirty_read_opts, page_size);

	TAP_OK(iommudirty_opts_copy(&o, known, &in) == 0 && o.iova == 4096 &&
	       o.format == IOMMUDIRTY_FORMAT_ADAPTIVE,
	       "opts of the library's own size are taken");
	TAP_OK(iommudirty_opts_copy(&o, known, &newer) == 0 && o.no_clear,
	       "a newer caller's opts are taken while its new fields are 0");
	newer.added = 1;
	TAP_OK(iommudirty_opts_copy(&o, known, &newer) == -EINVAL,
	       "a newer caller's opts that set a field the library lacks are refused");
	in.sz = older;
	TAP_OK(iommudirty_opts_copy(&o, known, &in) == 0 && o.iova == 4096 && !o.format,
	       "an older caller's opts: the fields it lacks are 0, not read past its size");
	in.sz = 0;
	TAP_OK(iommudirty_opts_copy(&o, known, &in) == -EINVAL, "sz 0 is refused");
	TAP_OK(iommudirty_opts_copy(&o, known, NULL) == 0 && !o.iova && !o.name,
	       "NULL opts are the defaults");
}

static void test_version(void)
{
	TAP_OK(!strcmp(iommudirty_version(), IOMMUDIRTY_VERSION),
	       "iommudirty_version() is the header's IOMMUDIRTY_VERSION");
}

int main(void)
{
	test_domain();
	test_gran_dup();
	test_dev();
	test_map();
	test_reader();
	test_reader_words();
	test_names();
	test_opts();
	test_version();
	return tap_done();
}
