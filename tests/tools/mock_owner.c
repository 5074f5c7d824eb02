// SPDX-License-Identifier: GPL-2.0
/*
 * mock-owner: plays the VMM that owns iommufd dirty tracking, on the mock
 * IOMMU of CONFIG_IOMMUFD_TEST. It creates domains allocated with
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING, each with a mock device attached and a
 * mapping at MOCK_APERTURE_START, enables tracking, then in rounds marks
 * pages dirty (IOMMU_TEST_OP_DIRTY) and harvests them with a clearing
 * IOMMU_HWPT_GET_DIRTY_BITMAP, checking every harvest against what it
 * dirtied since the previous one.
 *
 * Exit status: 0 all harvests complete, 1 a harvest missed a dirtied page
 * (or, with --exact, reported one that was not dirtied, or a --probe
 * harvest was not refused), 2 bad usage, 3 an iommufd operation failed.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "bitmap.h"
#include "clock_ns.h"
#include "iommufd.h"
#include "iommufd_test.h"
#include "opts.h"
#include "rng.h"

enum pattern { PAT_EVERY, PAT_RANDOM, PAT_PAGES };

static struct config {
	unsigned int domains, devices;
	uint64_t size, chunk, page_size;
	enum pattern pattern;
	uint64_t every, random_count, rate, band;
	const char *pages;
	uint64_t rounds, interval_ms, seed;
	uint64_t unmap_last_at;		/* before this round, unmap the last --chunk */
	bool hold, exact, json, plain_alloc, no_enable, verify_clear, steal, destroy;
	const char *ready, *pages_log, *go, *done, *marked, *harvest_go, *comm, *step;
	bool mark_only, no_harvest, huge;
	/* --probe: one bad harvest per round, which must be refused */
	uint64_t probe_len, probe_page_size;
} cfg = {
	.domains = 1, .devices = 1, .size = 4 << 20, .pattern = PAT_EVERY, .every = 3,
	.rounds = 1, .seed = 1,
};


#define APERTURE_BYTES ((uint64_t)MOCK_APERTURE_LAST + 1 - MOCK_APERTURE_START)

/* The mock IOMMU's page: PAGE_SIZE / 2 (MOCK_IO_PAGE_SIZE in selftest.c). */
static uint64_t mock_page;

struct totals {
	uint64_t rounds, dirtied, harvested, missing, extra, stale, probes_accepted;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

enum { OPT_CHUNK = 256, OPT_PLAIN, OPT_NO_ENABLE, OPT_READY, OPT_VERIFY_CLEAR, OPT_STEAL,
       OPT_PAGES_LOG, OPT_DESTROY, OPT_PROBE, OPT_GO, OPT_DONE, OPT_MARK_ONLY,
       OPT_MARKED, OPT_HARVEST_GO, OPT_COMM, OPT_NO_HARVEST, OPT_HUGE, OPT_DEVICES, OPT_BAND, OPT_STEP,
       OPT_UNMAP_LAST };

static const struct argp_option options[] = {
	{ "domains", 'n', "N", 0, "Create N mock domains (default 1)", 0 },
	{ "size", 's', "SIZE", 0, "Bytes mapped per domain (default 4M)", 0 },
	{ "devices", OPT_DEVICES, "N", 0,
	  "Attach N mock devices to each domain (default 1); the others come after the "
	  "domain exists, attached to its HWPT", 0 },
	{ "chunk", OPT_CHUNK, "SIZE", 0,
	  "Back the mapping with one SIZE buffer mapped repeatedly (default: SIZE)", 0 },
	{ "huge", OPT_HUGE, NULL, 0,
	  "Back it with hugetlb pages (/proc/sys/vm/nr_hugepages) on a device that "
	  "asks for huge IOPTEs: the mock maps 1 MiB IOPTEs (--chunk a multiple of 2M)", 0 },
	{ "page-size", 'p', "SIZE", 0,
	  "Harvest granularity (default: the mock IOMMU page, PAGE_SIZE/2)", 0 },
	{ "every", 'e', "N", 0, "Dirty every Nth page each round (default 3)", 1 },
	{ "random", 'r', "COUNT", 0, "Dirty COUNT random distinct pages each round", 1 },
	{ "rate", 'R', "PAGES/S", 0,
	  "Dirty random pages at this rate (needs --interval)", 1 },
	{ "pages", 'P', "LIST", 0, "Dirty these page indices, e.g. 0,5,10-20", 1 },
	{ "band", OPT_BAND, "N", 0,
	  "Also dirty a band of N pages that moves by N each round (round r: pages "
	  "r*N .. r*N+N-1, wrapping), a hot set that moves through the mapping", 1 },
	{ "rounds", 'c', "N", 0, "Dirty-and-harvest rounds (default 1, 0: until signalled)", 2 },
	{ "interval", 'i', "MS", 0, "Pause between rounds (default 0)", 2 },
	{ "seed", 'S', "N", 0, "Seed for --random and --rate (default 1)", 2 },
	{ "hold", 'H', NULL, 0, "After the rounds keep the domains until SIGTERM/SIGINT", 2 },
	{ "exact", 'x', NULL, 0, "Fail on pages harvested but never dirtied too", 3 },
	{ "verify-clear", OPT_VERIFY_CLEAR, NULL, 0,
	  "Harvest twice per round; the second must be empty", 3 },
	{ "steal", OPT_STEAL, NULL, 0,
	  "Before each harvest, read and clear the bitmap as a naive second "
	  "consumer would: the harvest then misses pages (the trap observers must avoid)", 3 },
	{ "probe", OPT_PROBE, "WHAT", 0,
	  "Between marking and harvesting, issue a harvest the kernel must refuse "
	  "with EINVAL without clearing anything: 'hole' (a range reaching past the "
	  "mapping) or 'page-size=N' (N not a power of two)", 3 },
	{ "no-dirty-alloc", OPT_PLAIN, NULL, 0,
	  "Allocate the HWPT without IOMMU_HWPT_ALLOC_DIRTY_TRACKING", 3 },
	{ "no-enable", OPT_NO_ENABLE, NULL, 0, "Do not enable tracking (no rounds)", 3 },
	{ "marked", OPT_MARKED, "FILE", 0,
	  "Create FILE once the first round's pages are marked (with --harvest-go)", 4 },
	{ "harvest-go", OPT_HARVEST_GO, "FILE", 0,
	  "In each round, wait for FILE between marking and harvesting, so another "
	  "consumer can act on bits the owner has not harvested yet", 4 },
	{ "no-harvest", OPT_NO_HARVEST, NULL, 0,
	  "Track but never harvest: only mark pages each round, as a VMM between "
	  "migration passes", 3 },
	{ "mark-only", OPT_MARK_ONLY, NULL, 0,
	  "Never enable tracking nor harvest: only mark pages each round, for "
	  "observers to read (the mock records marks only while someone tracks)", 3 },
	{ "ready", OPT_READY, "FILE", 0,
	  "Write the domains' ids as JSON to FILE once they exist", 4 },
	{ "pages-log", OPT_PAGES_LOG, "FILE", 0,
	  "Append the pages dirtied in each round to FILE, one JSON line per "
	  "round and domain: {\"round\",\"hwpt\",\"t0\",\"t1\",\"pages\":[index...]}, "
	  "t0 and t1 the CLOCK_MONOTONIC ns before and after marking them", 4 },
	{ "destroy", OPT_DESTROY, NULL, 0,
	  "At exit destroy every object with IOMMU_DESTROY (each must succeed) "
	  "instead of closing the iommufd", 4 },
	{ "go", OPT_GO, "FILE", 0, "Before the first round wait until FILE exists", 4 },
	{ "unmap-last-at", OPT_UNMAP_LAST, "N", 0,
	  "Before round N, unmap the mapping's last --chunk (the layout changes; needs "
	  "--mark-only: a harvest of the whole mapping would span the hole)", 4 },
	{ "step", OPT_STEP, "FILE", 0,
	  "Before round R (from 1) wait until FILE holds a number of at least R: the "
	  "test decides when each round runs", 4 },
	{ "done", OPT_DONE, "FILE", 0, "After the last round create FILE", 4 },
	{ "json", 'j', NULL, 0, "One JSON object per line instead of text", 4 },
	{ "comm", OPT_COMM, "NAME", 0,
	  "Rename the process (PR_SET_NAME, any bytes, 15 kept) before creating the "
	  "domains, as a VMM may: the family records the comm at creation", 4 },
	{ 0 }
};

static void check_config(struct argp_state *state)
{
	if (!cfg.page_size)
		cfg.page_size = mock_page;
	if (!cfg.chunk)
		cfg.chunk = cfg.size;
	if (!cfg.domains)
		argp_error(state, "--domains must be at least 1");
	if (!cfg.devices || cfg.devices > 1024)
		argp_error(state, "--devices must be 1 to 1024");
	if (cfg.page_size < mock_page || (cfg.page_size & (cfg.page_size - 1)))
		argp_error(state, "--page-size must be a power of two >= %llu",
			   (unsigned long long)mock_page);
	if (!cfg.size || cfg.size % cfg.page_size || !cfg.chunk ||
	    cfg.chunk % cfg.page_size || cfg.size % cfg.chunk)
		argp_error(state, "--size must be a multiple of --chunk, both of --page-size");
	if (cfg.huge && cfg.chunk % (2 << 20))
		argp_error(state, "--huge needs a --chunk (default: --size) that is a multiple of 2M");
	if (cfg.size > APERTURE_BYTES)
		argp_error(state, "--size exceeds the mock aperture (%llu bytes)",
			   (unsigned long long)APERTURE_BYTES);
	if (cfg.unmap_last_at && (!cfg.mark_only || cfg.chunk == cfg.size))
		argp_error(state, "--unmap-last-at needs --mark-only and a --chunk smaller than --size");
	if (cfg.pattern == PAT_EVERY && !cfg.every)
		argp_error(state, "--every must be at least 1");
	if (cfg.rate && !cfg.interval_ms)
		argp_error(state, "--rate needs --interval");
	if (cfg.rate)
		cfg.random_count = cfg.rate * cfg.interval_ms / 1000;
	/* A hole: one page past the end of the mapping. */
	if (cfg.probe_len)
		cfg.probe_page_size = cfg.page_size;
	if (cfg.probe_page_size)
		cfg.probe_len = cfg.size + (cfg.probe_len ? cfg.page_size : 0);
	if (cfg.pattern == PAT_RANDOM && cfg.random_count > cfg.size / cfg.page_size)
		argp_error(state, "more random pages than the mapping holds");
	if (cfg.pattern == PAT_PAGES) {
		uint64_t npages = cfg.size / cfg.page_size;
		uint64_t *tmp = calloc(BITMAP_WORDS(npages), 8);

		if (tmp && parse_page_list(cfg.pages, tmp, npages))
			argp_error(state, "--pages '%s' is malformed or past the %llu pages mapped",
				   cfg.pages, (unsigned long long)npages);
		free(tmp);
	}
}

static uint64_t arg_u64(struct argp_state *state, const char *arg, bool size)
{
	uint64_t v;
	int rc = size ? parse_size(arg, &v) : parse_u64(arg, &v);

	if (rc)
		argp_error(state, "invalid %s '%s'", size ? "size" : "number", arg);
	return v;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'n': cfg.domains = (unsigned int)arg_u64(state, arg, false); break;
	case OPT_DEVICES: cfg.devices = (unsigned int)arg_u64(state, arg, false); break;
	case 's': cfg.size = arg_u64(state, arg, true); break;
	case OPT_CHUNK: cfg.chunk = arg_u64(state, arg, true); break;
	case 'p': cfg.page_size = arg_u64(state, arg, true); break;
	case 'e': cfg.pattern = PAT_EVERY; cfg.every = arg_u64(state, arg, false); break;
	case 'r': cfg.pattern = PAT_RANDOM; cfg.random_count = arg_u64(state, arg, false); break;
	case 'R': cfg.pattern = PAT_RANDOM; cfg.rate = arg_u64(state, arg, false); break;
	case 'P': cfg.pattern = PAT_PAGES; cfg.pages = arg; break;
	case 'c': cfg.rounds = arg_u64(state, arg, false); break;
	case 'i': cfg.interval_ms = arg_u64(state, arg, false); break;
	case 'S': cfg.seed = arg_u64(state, arg, false); break;
	case 'H': cfg.hold = true; break;
	case 'x': cfg.exact = true; break;
	case OPT_VERIFY_CLEAR: cfg.verify_clear = true; break;
	case OPT_STEAL: cfg.steal = true; break;
	case OPT_PLAIN: cfg.plain_alloc = true; break;
	case OPT_NO_ENABLE: cfg.no_enable = true; break;
	case OPT_READY: cfg.ready = arg; break;
	case OPT_PAGES_LOG: cfg.pages_log = arg; break;
	case OPT_DESTROY: cfg.destroy = true; break;
	case OPT_GO: cfg.go = arg; break;
	case OPT_DONE: cfg.done = arg; break;
	case OPT_MARK_ONLY: cfg.mark_only = cfg.no_enable = true; break;
	case OPT_MARKED: cfg.marked = arg; break;
	case OPT_HARVEST_GO: cfg.harvest_go = arg; break;
	case OPT_PROBE:
		if (!strcmp(arg, "hole"))
			cfg.probe_len = 1; /* resolved in check_config() */
		else if (strncmp(arg, "page-size=", 10) ||
			 parse_size(arg + 10, &cfg.probe_page_size) ||
			 !cfg.probe_page_size)
			argp_error(state, "--probe takes 'hole' or 'page-size=N', not '%s'", arg);
		break;
	case 'j': cfg.json = true; break;
	case OPT_COMM: cfg.comm = arg; break;
	case OPT_NO_HARVEST: cfg.no_harvest = true; break;
	case OPT_HUGE: cfg.huge = true; break;
	case OPT_BAND: cfg.band = arg_u64(state, arg, false); break;
	case OPT_STEP: cfg.step = arg; break;
	case OPT_UNMAP_LAST: cfg.unmap_last_at = arg_u64(state, arg, false); break;
	case ARGP_KEY_ARG: argp_error(state, "unexpected argument '%s'", arg); break;
	case ARGP_KEY_END: check_config(state); break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "mock-owner: %s: %s\n", what, strerror(-rc));
	exit(3);
}

/* Fill @want (harvest pages) with this round's choice of dirty pages. */
static void choose_pages(uint64_t *want, uint64_t npages, uint64_t round,
			 uint64_t *rng)
{
	memset(want, 0, BITMAP_WORDS(npages) * 8);
	switch (cfg.pattern) {
	case PAT_EVERY:
		/* Shift by the round so consecutive rounds differ. */
		for (uint64_t i = round % cfg.every; i < npages; i += cfg.every)
			bitmap_set_bit(want, i);
		break;
	case PAT_RANDOM:
		for (uint64_t n = 0; n < cfg.random_count;) {
			uint64_t i = rng_next(rng) % npages;

			if (!bitmap_test_bit(want, i)) {
				bitmap_set_bit(want, i);
				n++;
			}
		}
		break;
	case PAT_PAGES:
		/* Validated in main(). */
		parse_page_list(cfg.pages, want, npages);
		break;
	}
	for (uint64_t i = 0; i < cfg.band && i < npages; i++)
		bitmap_set_bit(want, (round * cfg.band + i) % npages);
}

/* @more: the stdev ids of the domain's --devices beyond its first */
static void setup_domain(int fd, void *buf, struct mock_dirty_domain *d, uint32_t *more)
{
	uint32_t dev_flags = cfg.huge ? MOCK_FLAGS_DEVICE_HUGE_IOVA : 0;
	uint32_t hwpt, idev;
	const char *step;
	int rc;

	rc = mock_dirty_domain_create_flags(fd, buf, cfg.size, cfg.chunk, !cfg.plain_alloc,
					    dev_flags, d, &step);
	if (rc)
		die(step, rc);
	for (unsigned int k = 0; k + 1 < cfg.devices; k++) {
		rc = mock_domain_flags(fd, d->hwpt, dev_flags, &more[k], &hwpt, &idev);
		if (rc)
			die("IOMMU_TEST_OP_MOCK_DOMAIN (--devices)", rc);
	}
	if (!cfg.no_enable) {
		rc = iommufd_set_dirty_tracking(fd, d->hwpt, 1);
		if (rc)
			die("IOMMU_HWPT_SET_DIRTY_TRACKING", rc);
	}
}

/* Devices first (they detach), then the domain, then its IOAS. */
static void destroy_domain(int fd, const struct mock_dirty_domain *d, const uint32_t *more)
{
	const uint32_t ids[] = { d->stdev, d->hwpt, d->ioas };
	int rc;

	for (unsigned int k = 0; k + 1 < cfg.devices; k++) {
		rc = iommufd_destroy(fd, more[k]);
		if (rc)
			die("IOMMU_DESTROY", rc);
	}
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		rc = iommufd_destroy(fd, ids[i]);
		if (rc)
			die("IOMMU_DESTROY", rc);
	}
}

static FILE *pages_log;

static void log_pages(uint64_t round, uint32_t hwpt, uint64_t t0, uint64_t t1,
		      const uint64_t *want, uint64_t npages)
{
	const char *sep = "";

	fprintf(pages_log, "{\"round\":%llu,\"hwpt\":%u,\"t0\":%llu,\"t1\":%llu,\"pages\":[",
		(unsigned long long)round, hwpt, (unsigned long long)t0, (unsigned long long)t1);
	for (uint64_t i = 0; i < npages; i++) {
		if (bitmap_test_bit(want, i)) {
			fprintf(pages_log, "%s%llu", sep, (unsigned long long)i);
			sep = ",";
		}
	}
	fprintf(pages_log, "]}\n");
	fflush(pages_log);
}

static void write_ready(const struct mock_dirty_domain *dom)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", cfg.ready);
	f = fopen(tmp, "w");
	if (!f) {
		perror(tmp);
		exit(3);
	}
	fprintf(f, "{\"pid\":%d,\"iova\":%llu,\"length\":%llu,\"page_size\":%llu,\"domains\":[",
		(int)getpid(), (unsigned long long)MOCK_APERTURE_START,
		(unsigned long long)cfg.size, (unsigned long long)cfg.page_size);
	for (unsigned int i = 0; i < cfg.domains; i++)
		fprintf(f, "%s{\"ioas\":%u,\"hwpt\":%u,\"stdev\":%u,\"idev\":%u}",
			i ? "," : "", dom[i].ioas, dom[i].hwpt, dom[i].stdev, dom[i].idev);
	fprintf(f, "]}\n");
	if (fclose(f) || rename(tmp, cfg.ready)) {
		perror(cfg.ready);
		exit(3);
	}
}

static void touch_file(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || fclose(f))
		die(path, -errno);
}

/* --step: the number in the file, 0 while it has none */
static uint64_t step_allowed(void)
{
	char line[32] = "";
	FILE *f = fopen(cfg.step, "r");
	uint64_t v = 0;

	if (f) {
		if (fgets(line, sizeof(line), f))
			line[strcspn(line, "\n")] = '\0';
		fclose(f);
	}
	return parse_u64(line, &v) ? 0 : v;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
			       .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void report_round(uint64_t round, uint32_t hwpt, uint64_t dirtied,
			 uint64_t harvested, uint64_t missing, uint64_t extra,
			 uint64_t stale, uint64_t harvest_ns, int probe_rc)
{
	const char *fmt = cfg.json ?
		"{\"round\":%llu,\"hwpt\":%u,\"dirtied\":%llu,\"harvested\":%llu,"
		"\"missing\":%llu,\"extra\":%llu,\"stale\":%llu,\"harvest_ns\":%llu,"
		"\"probe_rc\":%d}\n" :
		"round %llu hwpt %u: dirtied %llu harvested %llu missing %llu extra %llu stale %llu (harvest %llu ns, probe %d)\n";

	printf(fmt, (unsigned long long)round, hwpt, (unsigned long long)dirtied,
	       (unsigned long long)harvested, (unsigned long long)missing,
	       (unsigned long long)extra, (unsigned long long)stale,
	       (unsigned long long)harvest_ns, probe_rc);
}

static void report_totals(const struct totals *t)
{
	const char *fmt = cfg.json ?
		"{\"summary\":{\"rounds\":%llu,\"domains\":%u,\"dirtied\":%llu,"
		"\"harvested\":%llu,\"missing\":%llu,\"extra\":%llu,\"stale\":%llu}}\n" :
		"total: rounds %llu domains %u dirtied %llu harvested %llu missing %llu extra %llu stale %llu\n";

	printf(fmt, (unsigned long long)t->rounds, cfg.domains,
	       (unsigned long long)t->dirtied, (unsigned long long)t->harvested,
	       (unsigned long long)t->missing, (unsigned long long)t->extra,
	       (unsigned long long)t->stale);
	fflush(stdout);
}

/*
 * The bad harvest of --probe, into its own buffer: sized for the bits the
 * kernel would write if it wrongly took the lowest set bit of the page
 * size as the granularity. Returns what the ioctl returned.
 */
static int run_probe(int fd, const struct mock_dirty_domain *d)
{
	uint64_t bits = cfg.probe_len >> __builtin_ctzll(cfg.probe_page_size);
	uint64_t *buf = calloc(BITMAP_WORDS(bits) + 1, 8);
	int rc;

	if (!buf)
		die("calloc", -ENOMEM);
	rc = iommufd_get_dirty_bitmap(fd, d->hwpt, MOCK_APERTURE_START, cfg.probe_len,
				      cfg.probe_page_size, buf, 0);
	free(buf);
	return rc;
}

/*
 * One round on one domain: mark the chosen pages, harvest, compare. The mock
 * marks at its own page size, so each chosen harvest page gets its first
 * mock page marked: a harvest at a coarser page size must still report it.
 */
static void run_round(int fd, const struct mock_dirty_domain *d, uint64_t round,
		      uint64_t *rng, struct totals *t, uint64_t *want,
		      uint64_t *got, uint64_t *mock_map)
{
	uint64_t npages = cfg.size / cfg.page_size, ratio = cfg.page_size / mock_page;
	uint64_t words = BITMAP_WORDS(npages), dirtied, harvested, missing, extra;
	uint64_t stale = 0, marked, t0, harvest_ns = 0;
	int rc, probe_rc = 0;

	choose_pages(want, npages, round, rng);
	memset(mock_map, 0, BITMAP_WORDS(npages * ratio) * 8);
	for (uint64_t i = 0; i < npages; i++)
		if (bitmap_test_bit(want, i))
			bitmap_set_bit(mock_map, i * ratio);
	t0 = clock_ns(CLOCK_MONOTONIC);
	rc = mock_set_dirty(fd, d->hwpt, MOCK_APERTURE_START, cfg.size, mock_page,
			    mock_map, &marked);
	if (rc)
		die("IOMMU_TEST_OP_DIRTY", rc);
	if (pages_log)
		log_pages(round, d->hwpt, t0, clock_ns(CLOCK_MONOTONIC), want, npages);
	if (cfg.mark_only || cfg.no_harvest) {
		report_round(round, d->hwpt, marked, 0, 0, 0, 0, 0, 0);
		t->dirtied += marked;
		return;
	}
	if (cfg.harvest_go) {
		if (cfg.marked)
			touch_file(cfg.marked);
		while (!stop && access(cfg.harvest_go, F_OK))
			sleep_ms(10);
	}
	if (cfg.probe_page_size) {
		probe_rc = run_probe(fd, d);
		t->probes_accepted += probe_rc != -EINVAL;
	}

	for (int pass = cfg.steal ? 2 : 1; pass; pass--) {
		memset(got, 0, words * 8);
		t0 = clock_ns(CLOCK_MONOTONIC);
		rc = iommufd_get_dirty_bitmap(fd, d->hwpt, MOCK_APERTURE_START,
					      cfg.size, cfg.page_size, got, 0);
		harvest_ns = clock_ns(CLOCK_MONOTONIC) - t0;
		if (rc)
			die("IOMMU_HWPT_GET_DIRTY_BITMAP", rc);
	}
	dirtied = bitmap_count_andnot(want, NULL, npages);
	harvested = bitmap_count_andnot(got, NULL, npages);
	missing = bitmap_count_andnot(want, got, npages);
	extra = bitmap_count_andnot(got, want, npages);
	if (dirtied != marked) {
		fprintf(stderr, "mock-owner: marked %llu pages, the mock counted %llu\n",
			(unsigned long long)dirtied, (unsigned long long)marked);
		exit(3);
	}
	if (cfg.verify_clear) {
		memset(got, 0, words * 8);
		rc = iommufd_get_dirty_bitmap(fd, d->hwpt, MOCK_APERTURE_START,
					      cfg.size, cfg.page_size, got, 0);
		if (rc)
			die("IOMMU_HWPT_GET_DIRTY_BITMAP", rc);
		stale = bitmap_count_andnot(got, NULL, npages);
	}
	report_round(round, d->hwpt, dirtied, harvested, missing, extra, stale,
		     harvest_ns, probe_rc);
	t->dirtied += dirtied;
	t->harvested += harvested;
	t->missing += missing;
	t->extra += extra;
	t->stale += stale;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse_opt, NULL,
		"Own iommufd mock domains with dirty tracking and check every harvest.\v"
		"Exit status: 0 complete harvests, 1 a harvest missed pages (or, with "
		"--exact, had extra ones, or a --probe harvest was not refused), 2 usage, "
		"3 an iommufd operation failed.",
		NULL, NULL, NULL
	};
	uint64_t rng, npages, *want, *got, *mock_map;
	struct totals t = { 0 };
	struct mock_dirty_domain *dom;
	uint32_t *more_devs;
	const char *step;
	void *buf;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	argp_err_exit_status = 2;
	mock_page = (uint64_t)sysconf(_SC_PAGESIZE) / 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	npages = cfg.size / cfg.page_size;
	want = calloc(BITMAP_WORDS(npages), 8);
	got = calloc(BITMAP_WORDS(npages), 8);
	mock_map = calloc(BITMAP_WORDS(npages * (cfg.page_size / mock_page)), 8);
	dom = calloc(cfg.domains, sizeof(*dom));
	more_devs = calloc((size_t)cfg.domains * cfg.devices, sizeof(*more_devs));
	if (!want || !got || !mock_map || !dom || !more_devs) {
		perror("mock-owner");
		return 3;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (cfg.comm && prctl(PR_SET_NAME, cfg.comm))
		die("prctl(PR_SET_NAME)", -errno);
	fd = iommufd_open();
	if (fd < 0)
		die("/dev/iommu", fd);
	buf = mock_buffer(cfg.chunk, cfg.huge, &step);
	if (!buf)
		die(step, -errno);
	for (unsigned int i = 0; i < cfg.domains; i++)
		setup_domain(fd, buf, &dom[i], more_devs + (size_t)i * cfg.devices);
	if (cfg.ready)
		write_ready(dom);
	if (cfg.pages_log) {
		pages_log = fopen(cfg.pages_log, "a");
		if (!pages_log)
			die(cfg.pages_log, -errno);
	}

	rng = cfg.seed ? cfg.seed : 1;
	while (cfg.go && !stop && access(cfg.go, F_OK))
		sleep_ms(10);
	if (!cfg.no_enable || cfg.mark_only) {
		for (uint64_t r = 1; !stop && (!cfg.rounds || r <= cfg.rounds); r++) {
			while (cfg.step && !stop && step_allowed() < r)
				sleep_ms(10);
			if (stop)
				break;
			for (unsigned int i = 0; i < cfg.domains && r == cfg.unmap_last_at; i++) {
				int rc = iommufd_ioas_unmap(fd, dom[i].ioas,
							    MOCK_APERTURE_START + cfg.size - cfg.chunk,
							    cfg.chunk);

				if (rc)
					die("IOMMU_IOAS_UNMAP (--unmap-last-at)", rc);
			}
			for (unsigned int i = 0; i < cfg.domains; i++)
				run_round(fd, &dom[i], r, &rng, &t, want, got, mock_map);
			t.rounds = r;
			if (cfg.interval_ms)
				sleep_ms(cfg.interval_ms);
		}
	}
	if (cfg.done)
		touch_file(cfg.done);
	while (cfg.hold && !stop)
		pause();

	report_totals(&t);
	if (pages_log)
		fclose(pages_log);
	for (unsigned int i = 0; cfg.destroy && i < cfg.domains; i++)
		destroy_domain(fd, &dom[i], more_devs + (size_t)i * cfg.devices);
	close(fd);
	munmap(buf, cfg.chunk);
	free(want);
	free(got);
	free(mock_map);
	free(dom);
	free(more_devs);
	if (t.missing || t.stale || t.probes_accepted || (cfg.exact && t.extra))
		return 1;
	return 0;
}
