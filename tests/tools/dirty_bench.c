// SPDX-License-Identifier: GPL-2.0
/*
 * dirty-bench: figures for `make bench`, measured side by side in one run
 * on one mock domain and printed with their ratios (no pass/fail):
 *
 *  1. a clearing harvest with one page in three dirty, through bitmap-get
 *     (raw and extents) against the owner's IOMMU_HWPT_GET_DIRTY_BITMAP;
 *  2. the owner's harvest with one observer against none;
 *  3. the bytes bitmap-get sends for sparse and for dense pages, extents
 *     against raw.
 *
 * Exit status: 0 measured, 2 bad usage, 3 an operation failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bitmap.h"
#include "dirty_nl.h"
#include "iommufd.h"
#include "iommufd_test.h"
#include "opts.h"

static uint64_t size = 1792ULL << 20, chunk = 64 << 20, mock_page, npages;
static unsigned int reps = 3;
static int fd;
static struct mock_dirty_domain d;
static struct dirty_nl nl;
static uint64_t domain_id, *marks, *got;

static void die(const char *what, int rc)
{
	fprintf(stderr, "dirty-bench: %s: %s%s%s\n", what, strerror(-rc),
		nl.errmsg[0] ? ": " : "", nl.errmsg);
	exit(3);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Mark every @every-th page dirty (the hardware must be tracking). */
static void mark(uint64_t every)
{
	int rc;

	memset(marks, 0, BITMAP_WORDS(npages) * 8);
	for (uint64_t i = 0; i < npages; i += every)
		bitmap_set_bit(marks, i);
	rc = mock_set_dirty(fd, d.hwpt, MOCK_APERTURE_START, size, mock_page, marks, NULL);
	if (rc)
		die("IOMMU_TEST_OP_DIRTY", rc);
}

static double ioctl_harvest_ms(void)
{
	uint64_t t0 = now_ns();
	int rc = iommufd_get_dirty_bitmap(fd, d.hwpt, MOCK_APERTURE_START, size,
					  mock_page, got, 0);

	if (rc)
		die("IOMMU_HWPT_GET_DIRTY_BITMAP", rc);
	return (double)(now_ns() - t0) / 1e6;
}

static void count_run(void *arg, uint64_t iova, uint64_t pages, uint64_t page_size)
{
	(void)iova, (void)page_size;
	*(uint64_t *)arg += pages;
}

/* A read as lease "bench"; returns ms, sets *pages and *bytes. */
static double observer_read_ms(bool extents, bool no_clear, uint64_t *pages, uint64_t *bytes)
{
	struct dirty_read req = { .domain = domain_id, .name = "bench",
				  .extents = extents, .no_clear = no_clear };
	uint64_t t0;
	int rc;

	*pages = 0;
	nl.rx_bytes = 0;
	t0 = now_ns();
	rc = dirty_nl_read(&nl, &req, count_run, pages);
	if (rc)
		die("bitmap-get", rc);
	*bytes = nl.rx_bytes;
	return (double)(now_ns() - t0) / 1e6;
}

static void tracking(bool enable)
{
	int rc = iommufd_set_dirty_tracking(fd, d.hwpt, enable);

	if (rc)
		die("IOMMU_HWPT_SET_DIRTY_TRACKING", rc);
}

static void lease(bool enable)
{
	int rc = dirty_nl_tracking_set(&nl, domain_id, enable, "bench", enable ? 3600 : 0);

	if (rc)
		die("tracking-set", rc);
}

int main(int argc, char **argv)
{
	double ioctl_ms = 0, raw_ms = 0, ext_ms = 0, none_ms = 0, one_ms = 0;
	uint64_t pages, raw_pages = 0, bytes, sparse_raw, sparse_ext, dense_raw, dense_ext;
	const char *step;
	void *buf;
	int rc;

	mock_page = (uint64_t)sysconf(_SC_PAGESIZE) / 2;
	if (argc > 1 && (parse_size(argv[1], &size) || !size || size % chunk)) {
		fprintf(stderr, "usage: dirty-bench [SIZE, a multiple of 64M]\n");
		return 2;
	}
	npages = size / mock_page;
	marks = calloc(BITMAP_WORDS(npages), 8);
	got = calloc(BITMAP_WORDS(npages), 8);
	if (!marks || !got)
		die("calloc", -ENOMEM);
	fd = iommufd_open();
	if (fd < 0)
		die("/dev/iommu", fd);
	buf = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap", -errno);
	rc = mock_dirty_domain_create(fd, buf, size, chunk, true, &d, &step);
	if (rc)
		die(step, rc);
	rc = dirty_nl_open(&nl);
	if (!rc)
		rc = dirty_nl_find_domain(&nl, getpid(), d.hwpt, &domain_id);
	if (rc)
		die("iommu-dirty", rc);

	/* 1 and 2: alternate the contenders so drift hits them alike */
	for (unsigned int i = 0; i < reps; i++) {
		tracking(true);
		mark(3);
		none_ms += ioctl_harvest_ms();
		lease(true);
		mark(3);
		one_ms += ioctl_harvest_ms();
		tracking(false);
		mark(3);
		raw_ms += observer_read_ms(false, false, &raw_pages, &bytes);
		mark(3);
		ext_ms += observer_read_ms(true, false, &pages, &bytes);
		lease(false);
	}
	ioctl_ms = none_ms;

	/* 3: what goes on the wire, sparse (1 page in 1000) and dense (1 in 3) */
	lease(true);
	mark(1000);
	observer_read_ms(false, true, &pages, &sparse_raw);
	observer_read_ms(true, false, &pages, &sparse_ext);
	mark(3);
	observer_read_ms(false, true, &pages, &dense_raw);
	observer_read_ms(true, false, &pages, &dense_ext);
	lease(false);

	printf("mock domain of %llu MiB, %llu pages of %llu bytes, %u runs each\n",
	       (unsigned long long)(size >> 20), (unsigned long long)npages,
	       (unsigned long long)mock_page, reps);
	printf("clearing harvest, 1 page in 3 dirty (%llu pages):\n", (unsigned long long)raw_pages);
	printf("  owner ioctl            %8.1f ms  %10.0f pages/s\n", ioctl_ms / reps,
	       raw_pages / (ioctl_ms / reps / 1e3));
	printf("  bitmap-get raw         %8.1f ms  %10.0f pages/s  %.2fx the ioctl (goal >= 0.9x)\n",
	       raw_ms / reps, raw_pages / (raw_ms / reps / 1e3), ioctl_ms / raw_ms);
	printf("  bitmap-get extents     %8.1f ms  %10.0f pages/s  %.2fx the ioctl\n",
	       ext_ms / reps, raw_pages / (ext_ms / reps / 1e3), ioctl_ms / ext_ms);
	printf("owner harvest cost:\n");
	printf("  no observer            %8.1f ms\n", none_ms / reps);
	printf("  one observer           %8.1f ms  %.2fx (goal <= 1.5x)\n", one_ms / reps,
	       one_ms / none_ms);
	printf("bytes on the wire for the whole domain:\n");
	printf("  sparse (1 in 1000)     raw %10llu  extents %10llu  extents/raw %.3f\n",
	       (unsigned long long)sparse_raw, (unsigned long long)sparse_ext,
	       (double)sparse_ext / (double)sparse_raw);
	printf("  dense (1 in 3)         raw %10llu  extents %10llu  extents/raw %.3f\n",
	       (unsigned long long)dense_raw, (unsigned long long)dense_ext,
	       (double)dense_ext / (double)dense_raw);
	dirty_nl_close(&nl);
	close(fd);
	return 0;
}
