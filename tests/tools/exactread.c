// SPDX-License-Identifier: GPL-2.0
/*
 * exactread: every read of a mock domain reports exactly the pages its
 * reader is owed: no page missing, none extra. Reads are windows that start
 * and end anywhere, so on a domain of huge IOPTEs (--huge) they split them,
 * and windows longer than a chunk (32768 pages) put chunk edges inside them.
 *
 * One thread, one order of events, so the truth is known: the owner marks
 * pages (IOMMU_TEST_OP_DIRTY), then consumers read in random order:
 * observers (named leases) with clearing or no-clear bitmap-get of random
 * windows, raw, extents or adaptive, and the owner, while it tracks (--owner track),
 * with clearing or no-clear IOMMU_HWPT_GET_DIRTY_BITMAP of random windows.
 *
 * The model: the hardware reports a dirty IOPTE whole, so marking a page
 * makes every page of its IOPTE (its 1 MiB block with --huge, itself
 * otherwise) owed to every consumer. A read of window W must report exactly
 * owed & W, whatever the others read before; a clearing read then owes its
 * reader nothing more in W. The owner tracks before any observer starts and
 * nothing is marked before, so no read may see anything else.
 *
 * --lease-reuse checks instead that a lease disabled and started again
 * under the same name while a dump of the old one runs is a new observer:
 * the dump must end (ENOENT), and the new lease must still hold the pages
 * the rest of the dump would have read.
 *
 * Exit status: 0 every read exact; 1 a read missed or added a page (or the
 * dump went on as the new lease); 2 bad usage; 3 an operation failed (no
 * hugetlb pages for --huge, say).
 */
#include <argp.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bitmap.h"
#include "dirty_nl.h"
#include "iommufd.h"
#include "iommufd_test.h"
#include "opts.h"
#include "rng.h"

/* Pages the kernel reads per chunk (IOMMUFD_DIRTY_CHUNK_PAGES) */
#define CHUNK_PAGES 32768
#define MAX_OBSERVERS 4

static struct config {
	uint64_t size, rounds, marks, reads, seed;
	unsigned int observers;
	bool huge, owner_track, json, lease_reuse;
} cfg = {
	.size = 96 << 20, .rounds = 40, .marks = 48, .reads = 6, .seed = 1,
	.observers = 2, .owner_track = true,
};

static uint64_t mock_page, npages, words, block;

/* What each consumer is owed: observers 0..n-1, the owner last */
static uint64_t *owed[MAX_OBSERVERS + 1];

static struct {
	uint64_t marked, observer_reads, owner_reads, clearing, checked, missing, extra;
} tot;

enum { OPT_OWNER = 256, OPT_HUGE, OPT_OBSERVERS, OPT_MARKS, OPT_READS, OPT_LEASE_REUSE };

static const struct argp_option options[] = {
	{ "size", 's', "SIZE", 0, "Bytes mapped (default 96M; a multiple of 2M with --huge)", 0 },
	{ "huge", OPT_HUGE, NULL, 0, "Map with 1 MiB IOPTEs from hugetlb pages", 0 },
	{ "owner", OPT_OWNER, "track|none", 0,
	  "The owner tracks and reads too (default), or never tracks", 0 },
	{ "observers", OPT_OBSERVERS, "N", 0, "Leases reading (1-4, default 2)", 0 },
	{ "rounds", 'c', "N", 0, "Rounds of marking and reading (default 40)", 1 },
	{ "marks", OPT_MARKS, "N", 0, "Pages marked per round (default 48)", 1 },
	{ "reads", OPT_READS, "N", 0, "Reads per round (default 6)", 1 },
	{ "seed", 'S', "N", 0, "Seed (default 1)", 1 },
	{ "lease-reuse", OPT_LEASE_REUSE, NULL, 0,
	  "Instead: re-create a lease under its name while a dump of it runs", 2 },
	{ "json", 'j', NULL, 0, "Print the summary as one JSON object", 2 },
	{ 0 }
};

static uint64_t arg_num(struct argp_state *state, const char *arg)
{
	uint64_t v;

	if (parse_size(arg, &v))
		argp_error(state, "'%s' is not a number", arg);
	return v;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 's': cfg.size = arg_num(state, arg); break;
	case OPT_HUGE: cfg.huge = true; break;
	case OPT_OWNER:
		if (strcmp(arg, "track") && strcmp(arg, "none"))
			argp_error(state, "--owner takes track or none");
		cfg.owner_track = !strcmp(arg, "track");
		break;
	case OPT_OBSERVERS: cfg.observers = (unsigned int)arg_num(state, arg); break;
	case 'c': cfg.rounds = arg_num(state, arg); break;
	case OPT_MARKS: cfg.marks = arg_num(state, arg); break;
	case OPT_READS: cfg.reads = arg_num(state, arg); break;
	case 'S': cfg.seed = arg_num(state, arg); break;
	case 'j': cfg.json = true; break;
	case OPT_LEASE_REUSE: cfg.lease_reuse = true; break;
	case ARGP_KEY_END: {
		uint64_t unit = cfg.huge ? 2 << 20 : mock_page;

		if (!mock_size_fits(cfg.size, unit))
			argp_error(state, "--size must be a multiple of %llu within the mock aperture",
				   (unsigned long long)unit);
		if (!cfg.observers || cfg.observers > MAX_OBSERVERS)
			argp_error(state, "--observers must be 1 to %d", MAX_OBSERVERS);
		if (!cfg.rounds || !cfg.marks || !cfg.reads || !cfg.seed)
			argp_error(state, "--rounds, --marks, --reads and --seed must be at least 1");
		break;
	}
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static _Noreturn void die(const char *what, int rc, const char *msg)
{
	dirty_nl_die("exactread", what, rc, msg);
}

/* Start or end every lease, exactread-0 and on. */
static void set_leases(struct dirty_nl *n, uint64_t domain, bool enable)
{
	for (unsigned int o = 0; o < cfg.observers; o++) {
		char name[32];
		int rc;

		snprintf(name, sizeof(name), "exactread-%u", o);
		rc = dirty_nl_tracking_set(n, domain, enable, name, enable ? 600 : 0);
		if (rc)
			die("tracking-set", rc, n->errmsg);
	}
}

static void set_range(uint64_t *map, uint64_t first, uint64_t n)
{
	for (uint64_t p = first; p < first + n; p++)
		bitmap_set_bit(map, p);
}

static void clear_range(uint64_t *map, uint64_t first, uint64_t n)
{
	for (uint64_t p = first; p < first + n; p++)
		map[p / 64] &= ~(UINT64_C(1) << (p % 64));
}

/*
 * Compare what a read of pages [first, first + n) reported (@got, indexed
 * from @first) with what @who is owed there.
 */
static void check(const char *who, const char *how, const uint64_t *want,
		  const uint64_t *got, uint64_t first, uint64_t n)
{
	uint64_t missing = 0, extra = 0;

	for (uint64_t i = 0; i < n; i++) {
		bool w = bitmap_test_bit(want, first + i), g = bitmap_test_bit(got, i);

		if (w == g)
			continue;
		if (missing + extra < 5)
			fprintf(stderr, "exactread: %s's %s of pages %llu+%llu %s page %llu (IOVA 0x%llx)\n",
				who, how, (unsigned long long)first, (unsigned long long)n,
				w ? "missed" : "reported the clean", (unsigned long long)(first + i),
				(unsigned long long)(MOCK_APERTURE_START + (first + i) * mock_page));
		*(w ? &missing : &extra) += 1;
	}
	tot.checked += n;
	tot.missing += missing;
	tot.extra += extra;
}

/* A random window: anywhere, up to the whole domain, often over a chunk. */
static void pick_window(uint64_t *rng, uint64_t *first, uint64_t *n)
{
	uint64_t span = rng_below(rng, 4) ? CHUNK_PAGES + CHUNK_PAGES / 2 : npages;

	*first = rng_below(rng, npages);
	*n = 1 + rng_below(rng, span < npages - *first ? span : npages - *first);
}

static void observer_read(struct dirty_nl *n, uint64_t domain, unsigned int o, uint64_t *rng,
			  uint64_t *got)
{
	char name[32];
	uint64_t first, len;
	struct dirty_read req = {
		.domain = domain, .name = name, .no_clear = rng_below(rng, 4) == 0,
		.format = rng_below(rng, 3),
	};
	struct dirty_page_map map = { .bits = got, .page = mock_page };
	int rc;

	snprintf(name, sizeof(name), "exactread-%u", o);
	pick_window(rng, &first, &len);
	req.iova = MOCK_APERTURE_START + first * mock_page;
	req.length = len * mock_page;
	map.base = req.iova;
	map.nbits = len;
	memset(got, 0, BITMAP_WORDS(len) * 8);
	rc = dirty_nl_read(n, &req, dirty_nl_set_run, &map);
	if (rc)
		die("bitmap-get", rc, n->errmsg);
	check(name, req.no_clear ? "no-clear read" : "clearing read", owed[o], got, first, len);
	tot.observer_reads++;
	if (!req.no_clear) {
		tot.clearing++;
		clear_range(owed[o], first, len);
	}
}

static void owner_read(int fd, uint32_t hwpt, uint64_t *rng, uint64_t *got)
{
	bool no_clear = rng_below(rng, 4) == 0;
	uint64_t first, len;
	int rc;

	pick_window(rng, &first, &len);
	memset(got, 0, BITMAP_WORDS(len) * 8);
	rc = iommufd_get_dirty_bitmap(fd, hwpt, MOCK_APERTURE_START + first * mock_page,
				      len * mock_page, mock_page, got,
				      no_clear ? IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR : 0);
	if (rc)
		die("IOMMU_HWPT_GET_DIRTY_BITMAP", rc, NULL);
	check("the owner", no_clear ? "no-clear harvest" : "harvest", owed[cfg.observers], got,
	      first, len);
	tot.owner_reads++;
	if (!no_clear) {
		tot.clearing++;
		clear_range(owed[cfg.observers], first, len);
	}
}

static void mark(int fd, uint32_t hwpt, uint64_t *rng, uint64_t *marks)
{
	unsigned int consumers = cfg.observers + cfg.owner_track;
	int rc;

	memset(marks, 0, words * 8);
	for (uint64_t i = 0; i < cfg.marks; i++) {
		uint64_t p = rng_below(rng, npages);

		bitmap_set_bit(marks, p);
		for (unsigned int c = 0; c < consumers; c++)
			set_range(owed[c], p / block * block, block);
	}
	rc = mock_set_dirty(fd, hwpt, MOCK_APERTURE_START, cfg.size, mock_page, marks, NULL);
	if (rc)
		die("IOMMU_TEST_OP_DIRTY", rc, NULL);
	tot.marked += cfg.marks;
}

/* The first run the dump hands us: end the lease and start it again. */
struct reuse {
	struct dirty_nl *other;
	uint64_t domain;
	bool done;
	int rc;
};

static void reuse_run(void *arg, uint64_t iova, uint64_t pages, uint64_t page_size)
{
	struct reuse *u = arg;

	(void)iova, (void)pages, (void)page_size;
	if (u->done)
		return;
	u->done = true;
	u->rc = dirty_nl_tracking_set(u->other, u->domain, false, "reused", 0);
	if (!u->rc)
		u->rc = dirty_nl_tracking_set(u->other, u->domain, true, "reused", 600);
}

/*
 * Every other page dirty, so the extents of the first chunk take many
 * messages and the dump reads the second chunk only after the lease was
 * re-created. A second lease keeps the hardware tracking throughout.
 */
static void lease_reuse(int fd, uint32_t hwpt, uint64_t domain, struct dirty_nl *n,
			uint64_t *marks, uint64_t *got)
{
	struct dirty_page_map map = { .bits = got, .base = MOCK_APERTURE_START,
				      .nbits = npages, .page = mock_page };
	struct dirty_read req = { .domain = domain, .name = "reused",
				  .format = IOMMUDIRTY_FORMAT_EXTENTS };
	struct reuse u = { .domain = domain };
	struct dirty_nl other;
	int rc;

	if (npages <= CHUNK_PAGES)
		die("--lease-reuse needs --size above one chunk", -EINVAL, NULL);
	rc = dirty_nl_open(&other);
	if (rc)
		die("iommu-dirty", rc, NULL);
	u.other = &other;
	if ((rc = dirty_nl_tracking_set(n, domain, true, "keeper", 600)) ||
	    (rc = dirty_nl_tracking_set(n, domain, true, "reused", 600)))
		die("tracking-set", rc, n->errmsg);
	for (uint64_t p = 0; p < npages; p += 2)
		bitmap_set_bit(marks, p);
	rc = mock_set_dirty(fd, hwpt, MOCK_APERTURE_START, cfg.size, mock_page, marks, NULL);
	if (rc)
		die("IOMMU_TEST_OP_DIRTY", rc, NULL);
	rc = dirty_nl_read(n, &req, reuse_run, &u);
	if (u.rc)
		die("tracking-set from a second socket", u.rc, other.errmsg);
	if (rc != -ENOENT) {
		fprintf(stderr, "exactread: the dump of the old lease %s\n",
			rc ? strerror(-rc) : "went on as the new one");
		tot.extra++;
	}
	/* The new lease is owed everything the old dump did not reach */
	memset(got, 0, words * 8);
	req.format = IOMMUDIRTY_FORMAT_RAW;
	rc = dirty_nl_read(n, &req, dirty_nl_set_run, &map);
	if (rc)
		die("bitmap-get", rc, n->errmsg);
	tot.observer_reads += 2;
	for (uint64_t p = CHUNK_PAGES; p < npages; p += 2) {
		tot.checked++;
		if (!bitmap_test_bit(got, p) && tot.missing++ < 5)
			fprintf(stderr, "exactread: the new lease missed page %llu\n",
				(unsigned long long)p);
	}
	if ((rc = dirty_nl_tracking_set(n, domain, false, "reused", 0)) ||
	    (rc = dirty_nl_tracking_set(n, domain, false, "keeper", 0)))
		die("tracking-set", rc, n->errmsg);
	dirty_nl_close(&other);
}

static void report(void)
{
	const struct { const char *name; uint64_t v; } f[] = {
		{ "huge", cfg.huge }, { "owner_tracks", cfg.owner_track },
		{ "rounds", cfg.rounds }, { "marked", tot.marked },
		{ "observer_reads", tot.observer_reads }, { "owner_reads", tot.owner_reads },
		{ "clearing_reads", tot.clearing }, { "pages_checked", tot.checked },
		{ "missing", tot.missing }, { "extra", tot.extra },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		printf(cfg.json ? "%s\"%s\":%llu" : "%s%s %llu", i ? (cfg.json ? "," : ", ") :
		       (cfg.json ? "{" : ""), f[i].name, (unsigned long long)f[i].v);
	printf(cfg.json ? "}\n" : "\n");
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse_opt, NULL,
		"Every read of a mock domain, by observers and by the owner, reports exactly "
		"the pages its reader is owed, on huge IOPTEs too.\v"
		"Exit status: 0 every read exact, 1 a page missed or added, 2 usage, 3 an "
		"operation failed.",
		NULL, NULL, NULL
	};
	unsigned int consumers;
	struct mock_dirty_domain d;
	struct dirty_nl n;
	uint64_t domain, rng, *got, *marks;
	const char *step;
	void *buf;
	int fd, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	argp_err_exit_status = 2;
	mock_page = (uint64_t)sysconf(_SC_PAGESIZE) / 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	npages = cfg.size / mock_page;
	words = BITMAP_WORDS(npages);
	block = cfg.huge ? MOCK_HUGE_PAGES : 1;
	consumers = cfg.observers + cfg.owner_track;
	got = calloc(words, 8);
	marks = calloc(words, 8);
	if (!got || !marks)
		die("calloc", -ENOMEM, NULL);
	for (unsigned int c = 0; c < consumers; c++)
		if (!(owed[c] = calloc(words, 8)))
			die("calloc", -ENOMEM, NULL);

	fd = iommufd_open();
	if (fd < 0)
		die("/dev/iommu", fd, NULL);
	buf = mock_buffer(cfg.size, cfg.huge, &step);
	if (!buf)
		die(step, -errno, NULL);
	rc = mock_dirty_domain_create_flags(fd, buf, cfg.size, cfg.size, true,
					    cfg.huge ? MOCK_FLAGS_DEVICE_HUGE_IOVA : 0, &d, &step);
	if (rc)
		die(step, rc, NULL);
	/* The owner first: its enable clears the hardware, nothing is owed yet */
	if (cfg.owner_track && (rc = iommufd_set_dirty_tracking(fd, d.hwpt, 1)))
		die("IOMMU_HWPT_SET_DIRTY_TRACKING", rc, NULL);
	rc = dirty_nl_open(&n);
	if (!rc)
		rc = dirty_nl_find_domain(&n, getpid(), d.hwpt, &domain);
	if (rc)
		die("iommu-dirty: finding our domain", rc, n.errmsg);
	if (cfg.lease_reuse) {
		lease_reuse(fd, d.hwpt, domain, &n, marks, got);
		report();
		dirty_nl_close(&n);
		close(fd);
		return tot.missing || tot.extra ? 1 : 0;
	}
	set_leases(&n, domain, true);

	rng = cfg.seed;
	for (uint64_t r = 0; r < cfg.rounds; r++) {
		mark(fd, d.hwpt, &rng, marks);
		for (uint64_t i = 0; i < cfg.reads; i++) {
			unsigned int c = (unsigned int)rng_below(&rng, consumers);

			if (c < cfg.observers)
				observer_read(&n, domain, c, &rng, got);
			else
				owner_read(fd, d.hwpt, &rng, got);
		}
	}
	/* Last, every consumer reads all: nothing may be left behind or made up */
	for (unsigned int c = 0; c < consumers; c++) {
		struct dirty_page_map map = { .bits = got, .base = MOCK_APERTURE_START,
					      .nbits = npages, .page = mock_page };
		char name[32];
		struct dirty_read req = { .domain = domain, .name = name };

		memset(got, 0, words * 8);
		if (c == cfg.observers) {
			rc = iommufd_get_dirty_bitmap(fd, d.hwpt, MOCK_APERTURE_START, cfg.size,
						      mock_page, got, 0);
			if (rc)
				die("IOMMU_HWPT_GET_DIRTY_BITMAP", rc, NULL);
			check("the owner", "final harvest", owed[c], got, 0, npages);
			continue;
		}
		snprintf(name, sizeof(name), "exactread-%u", c);
		rc = dirty_nl_read(&n, &req, dirty_nl_set_run, &map);
		if (rc)
			die("bitmap-get", rc, n.errmsg);
		check(name, "final read", owed[c], got, 0, npages);
	}

	report();
	set_leases(&n, domain, false);
	dirty_nl_close(&n);
	close(fd);
	munmap(buf, cfg.size);
	for (unsigned int c = 0; c < consumers; c++)
		free(owed[c]);
	free(got);
	free(marks);
	return tot.missing || tot.extra ? 1 : 0;
}
