// SPDX-License-Identifier: GPL-2.0
/*
 * stall-owner: a VMM whose ioctl stalls in a page fault the kernel takes
 * while it holds locks others need, for as long as the test wants,
 * independent of the machine's speed. Three places (--in):
 *
 * attach   It maps a userfaultfd-registered region into an IOAS (nothing is
 *          pinned yet: the IOAS has no domain), then attaches a mock device
 *          in a second thread. The attach pins the mapping with the IOAS's
 *          locks held and waits in the first missing-page fault: what a
 *          large guest's attach looks like to everyone else.
 * harvest  It makes a tracking mock domain of ordinary memory, waits for
 *          --go, dirties every 16th page, then harvests in a second thread
 *          into a bitmap in a userfaultfd-registered region. The harvest
 *          pins the bitmap with the domain's dirty-tracking lock held and
 *          waits in its fault: an owner whose bitmap sits in memory that a
 *          userfaultfd (post-copy) or slow swap has not brought in. Once
 *          released it checks the harvest held exactly the pages it dirtied.
 * map      It makes a tracking mock domain of ordinary memory, then maps a
 *          userfaultfd-registered region after it in a second thread. The
 *          map pins the region for the domain, with the IOAS's domains_rwsem
 *          held, and waits in its first fault: a VMM that hot-plugs memory
 *          while its domain is tracked.
 *
 * The ready file is written once the fault is pending (the ioctl is then
 * inside the pin, for certain); the fault is resolved once the release file
 * exists, or on SIGTERM/SIGINT, which also end the process once the ioctl
 * returned (--hold holds only after a release by file).
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock_ns.h"
#include "iommufd.h"
#include "iommufd_test.h"
#include "opts.h"

/* Every this many pages are dirtied before a stalled harvest */
#define DIRTY_EVERY 16

static struct config {
	uint64_t size;
	const char *ready, *release, *go;
	enum { IN_ATTACH, IN_HARVEST, IN_MAP } in;
	bool hold;
} cfg = { .size = 4 << 20 };

/* --in's values, which messages name the stalled ioctl by too */
static const char *const in_name[] = {
	[IN_ATTACH] = "attach", [IN_HARVEST] = "harvest", [IN_MAP] = "map",
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const struct argp_option options[] = {
	{ "size", 's', "SIZE", 0, "Bytes of userfaultfd memory to map (default 4M)", 0 },
	{ "ready", 'r', "FILE", 0,
	  "Write JSON to FILE once the attach waits in its first page fault (required)", 0 },
	{ "release", 'g', "FILE", 0,
	  "Resolve the fault once FILE exists (default: on SIGTERM/SIGINT only)", 0 },
	{ "hold", 'H', NULL, 0, "After the ioctl keep the domain until SIGTERM/SIGINT", 0 },
	{ "in", 'i', "IOCTL", 0, "Where to stall: attach (default), harvest or map", 0 },
	{ "go", 'G', "FILE", 0, "harvest: dirty and harvest once FILE exists (default at once)", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 's':
		if (parse_size(arg, &cfg.size) || !cfg.size ||
		    cfg.size % (uint64_t)sysconf(_SC_PAGESIZE))
			argp_error(state, "invalid --size '%s' (a multiple of the page size)", arg);
		break;
	case 'r': cfg.ready = arg; break;
	case 'g': cfg.release = arg; break;
	case 'H': cfg.hold = true; break;
	case 'G': cfg.go = arg; break;
	case 'i':
		for (cfg.in = IN_ATTACH; cfg.in <= IN_MAP && strcmp(arg, in_name[cfg.in]); cfg.in++)
			;
		if (cfg.in > IN_MAP)
			argp_error(state, "invalid --in '%s' (attach, harvest or map)", arg);
		break;
	case ARGP_KEY_ARG: argp_error(state, "unexpected argument '%s'", arg); break;
	case ARGP_KEY_END:
		if (!cfg.ready)
			argp_error(state, "--ready FILE is required");
		if (cfg.go && cfg.in != IN_HARVEST)
			argp_error(state, "--go applies to --in harvest");
		break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "stall-owner: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
	exit(3);
}

/* The ioctl, run in its own thread because it blocks in the fault. */
struct attach {
	int fd;
	uint32_t ioas, stdev, hwpt, idev;
	uint64_t *bitmap;
	void *region;
	int rc;
	volatile bool done;
};

static void *attach_thread(void *p)
{
	struct attach *a = p;

	a->rc = mock_domain(a->fd, a->ioas, &a->stdev, &a->hwpt, &a->idev);
	a->done = true;
	return NULL;
}

static uint64_t mock_page(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE) / 2;
}

static void *map_thread(void *p)
{
	struct attach *a = p;

	a->rc = iommufd_ioas_map_fixed(a->fd, a->ioas, a->region, cfg.size,
				       MOCK_APERTURE_START + cfg.size);
	a->done = true;
	return NULL;
}

static void *harvest_thread(void *p)
{
	struct attach *a = p;

	a->rc = iommufd_get_dirty_bitmap(a->fd, a->hwpt, MOCK_APERTURE_START, cfg.size,
					 mock_page(), a->bitmap, 0);
	a->done = true;
	return NULL;
}

/* Block until the attach faults; 0, or 1 if it finished without a fault. */
static int wait_fault(int uffd, const struct attach *a, uint64_t *addr)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	for (;;) {
		int n = poll(&pfd, 1, 100);

		if (n < 0 && errno != EINTR)
			die("poll(userfaultfd)", errno);
		if (n > 0)
			break;
		if (a->done)
			return 1;
		if (stop)
			die("signalled before the ioctl faulted", EINTR);
	}
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		die("read(userfaultfd)", errno);
	if (msg.event != UFFD_EVENT_PAGEFAULT)
		die("userfaultfd: not a page fault event", EPROTO);
	*addr = msg.arg.pagefault.address;
	return 0;
}

static void write_ready(const struct attach *a, const void *buf, uint64_t addr)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", cfg.ready);
	f = fopen(tmp, "w");
	if (!f)
		die(tmp, errno);
	fprintf(f, "{\"pid\":%d,\"ioas\":%u,\"hwpt\":%u,\"length\":%llu,\"fault_offset\":%llu}\n",
		(int)getpid(), a->ioas, a->hwpt, (unsigned long long)cfg.size,
		(unsigned long long)(addr - (uint64_t)(uintptr_t)buf));
	if (fclose(f) || rename(tmp, cfg.ready))
		die(cfg.ready, errno);
}

/* The region the stalled ioctl faults on, registered with @uffd. */
static void *uffd_region(int uffd, uint64_t size)
{
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	void *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		die("mmap", errno);
	reg.range.start = (uint64_t)(uintptr_t)buf;
	reg.range.len = size;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER", errno);
	return buf;
}

/*
 * --in attach: map the region into a new IOAS and attach a mock device in
 * @thread. Returns the region; released by filling it from a copy.
 */
static void *start_attach(int uffd, struct attach *a, pthread_t *thread)
{
	void *buf = uffd_region(uffd, cfg.size);
	int rc;

	rc = iommufd_ioas_alloc(a->fd, &a->ioas);
	if (rc)
		die("IOMMU_IOAS_ALLOC", rc);
	/* No domain yet, so the map pins nothing and takes no fault */
	rc = iommufd_ioas_map_fixed(a->fd, a->ioas, buf, cfg.size, MOCK_APERTURE_START);
	if (rc)
		die("IOMMU_IOAS_MAP", rc);
	rc = pthread_create(thread, NULL, attach_thread, a);
	if (rc)
		die("pthread_create", rc);
	return buf;
}

/* A tracking mock domain of --size bytes of ordinary memory, for @a. */
static void start_tracking_domain(struct attach *a)
{
	struct mock_dirty_domain d;
	const char *step;
	void *buf;
	int rc;

	buf = mock_buffer(cfg.size, false, &step);
	if (!buf)
		die(step, errno);
	rc = mock_dirty_domain_create(a->fd, buf, cfg.size, cfg.size, true, &d, &step);
	if (rc)
		die(step, rc);
	a->ioas = d.ioas;
	a->hwpt = d.hwpt;
	rc = iommufd_set_dirty_tracking(a->fd, a->hwpt, 1);
	if (rc)
		die("IOMMU_HWPT_SET_DIRTY_TRACKING", rc);
}

/*
 * --in harvest: a tracking domain, every DIRTY_EVERY-th page dirtied once
 * --go exists, then a harvest in @thread into a bitmap in the region.
 * Returns the region; @marks receives the pages dirtied, as a bitmap.
 */
static void *start_harvest(int uffd, struct attach *a, pthread_t *thread,
			   uint64_t **marks, uint64_t *bitmap_bytes)
{
	uint64_t pages = cfg.size / mock_page(), words = (pages + 63) / 64, i, nr = 0;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	int rc;

	*bitmap_bytes = (words * 8 + page - 1) / page * page;
	a->bitmap = uffd_region(uffd, *bitmap_bytes);
	start_tracking_domain(a);
	while (cfg.go && !stop && access(cfg.go, F_OK))
		usleep(10000);

	*marks = calloc(words, 8);
	if (!*marks)
		die("calloc", ENOMEM);
	for (i = 0; i < pages; i += DIRTY_EVERY)
		(*marks)[i / 64] |= 1ULL << (i % 64);
	rc = mock_set_dirty(a->fd, a->hwpt, MOCK_APERTURE_START, cfg.size, mock_page(), *marks,
			    &nr);
	if (rc)
		die("IOMMU_TEST_OP_DIRTY", rc);
	if (nr != (pages + DIRTY_EVERY - 1) / DIRTY_EVERY)
		die("IOMMU_TEST_OP_DIRTY dirtied another number of pages", EPROTO);
	rc = pthread_create(thread, NULL, harvest_thread, a);
	if (rc)
		die("pthread_create", rc);
	return a->bitmap;
}

/*
 * --in map: a tracking domain of [MOCK_APERTURE_START, + --size), then the
 * region mapped after it in @thread. Returns the region, released as an
 * attach's is.
 */
static void *start_map(int uffd, struct attach *a, pthread_t *thread)
{
	int rc;

	if (!mock_size_fits(2 * cfg.size, mock_page()))
		die("--size: twice it does not fit the mock's aperture", EINVAL);
	start_tracking_domain(a);
	a->region = uffd_region(uffd, cfg.size);
	rc = pthread_create(thread, NULL, map_thread, a);
	if (rc)
		die("pthread_create", rc);
	return a->region;
}

/* The stalled ioctl, for messages */
static const char *const ioctl_name[] = {
	[IN_ATTACH] = "IOMMU_TEST_OP_MOCK_DOMAIN",
	[IN_HARVEST] = "IOMMU_HWPT_GET_DIRTY_BITMAP",
	[IN_MAP] = "IOMMU_IOAS_MAP",
};

/* Pages set in @got, and whether they are exactly @want's. */
static uint64_t compare_pages(const uint64_t *got, const uint64_t *want, bool *exact)
{
	uint64_t words = (cfg.size / mock_page() + 63) / 64, n = 0, i;

	*exact = true;
	for (i = 0; i < words; i++) {
		n += (uint64_t)__builtin_popcountll(got[i]);
		if (got[i] != want[i])
			*exact = false;
	}
	return n;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse_opt, NULL,
		"Hold a mock VMM's attach, dirty harvest or map in a page fault the kernel "
		"takes with locks held, until released.\v"
		"Prints one JSON line when the ioctl returns. Exit status: 0 the ioctl "
		"stalled and then succeeded (a harvest holding exactly the pages dirtied), "
		"1 it returned without ever faulting, or a harvest missed or invented pages, "
		"2 usage, 3 a system call or the ioctl failed.",
		NULL, NULL, NULL
	};
	struct uffdio_api api = { .api = UFFD_API };
	uint64_t addr = 0, stalled_ns, *marks = NULL, bitmap_bytes = 0, pages = 0;
	struct attach a = { 0 };
	bool exact = true, signaled;
	pthread_t thread;
	void *region;
	int uffd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		die("userfaultfd", errno);
	if (ioctl(uffd, UFFDIO_API, &api))
		die("UFFDIO_API", errno);
	a.fd = iommufd_open();
	if (a.fd < 0)
		die("/dev/iommu", a.fd);
	if (cfg.in == IN_HARVEST)
		region = start_harvest(uffd, &a, &thread, &marks, &bitmap_bytes);
	else if (cfg.in == IN_MAP)
		region = start_map(uffd, &a, &thread);
	else
		region = start_attach(uffd, &a, &thread);

	if (wait_fault(uffd, &a, &addr)) {
		pthread_join(thread, NULL);
		if (a.rc)
			die(ioctl_name[cfg.in], a.rc);
		fprintf(stderr, "stall-owner: the %s never faulted\n", in_name[cfg.in]);
		return 1;
	}
	stalled_ns = clock_ns(CLOCK_MONOTONIC);
	write_ready(&a, region, addr);

	while (!stop && (!cfg.release || access(cfg.release, F_OK)))
		usleep(10000);
	/* A signal releases the ioctl and then ends the process: no hold */
	signaled = stop;
	/* Fill the whole region: the ioctl's pin then runs to the end */
	if (cfg.in == IN_HARVEST) {
		struct uffdio_zeropage zero = {
			.range = { .start = (uint64_t)(uintptr_t)region, .len = bitmap_bytes },
		};

		if (ioctl(uffd, UFFDIO_ZEROPAGE, &zero))
			die("UFFDIO_ZEROPAGE", errno);
	} else {
		void *src = mmap(NULL, cfg.size, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		struct uffdio_copy copy = {
			.dst = (uint64_t)(uintptr_t)region, .src = (uint64_t)(uintptr_t)src,
			.len = cfg.size,
		};

		if (src == MAP_FAILED)
			die("mmap", errno);
		if (ioctl(uffd, UFFDIO_COPY, &copy))
			die("UFFDIO_COPY", errno);
	}
	pthread_join(thread, NULL);
	if (a.rc)
		die(ioctl_name[cfg.in], a.rc);
	if (cfg.in == IN_HARVEST) {
		pages = compare_pages(a.bitmap, marks, &exact);
		printf("{\"harvested\":true,\"hwpt\":%u,\"pages\":%llu,\"dirtied\":%llu,"
		       "\"exact\":%s,\"stalled_ms\":%llu}\n", a.hwpt, (unsigned long long)pages,
		       (unsigned long long)((cfg.size / mock_page() + DIRTY_EVERY - 1) / DIRTY_EVERY),
		       exact ? "true" : "false",
		       (unsigned long long)((clock_ns(CLOCK_MONOTONIC) - stalled_ns) / 1000000));
	} else {
		printf("{\"%s\":true,\"hwpt\":%u,\"ioas\":%u,\"stalled_ms\":%llu}\n",
		       cfg.in == IN_MAP ? "mapped" : "attached", a.hwpt, a.ioas,
		       (unsigned long long)((clock_ns(CLOCK_MONOTONIC) - stalled_ns) / 1000000));
	}
	/* Polled: a signal between a check and pause() would be lost */
	while (cfg.hold && !signaled && !stop)
		usleep(10000);
	free(marks);
	close(a.fd);
	close(uffd);
	return exact ? 0 : 1;
}
