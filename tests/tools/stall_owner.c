// SPDX-License-Identifier: GPL-2.0
/*
 * stall-attach: a VMM whose attach stalls while the kernel pins its guest
 * memory. It maps a userfaultfd-registered region into an IOAS (nothing is
 * pinned yet: the IOAS has no domain), then attaches a mock device in a
 * second thread. The attach pins the mapping with the IOAS's locks held and
 * waits in the first missing-page fault until this process resolves it:
 * that is what a large guest's attach looks like to everyone else, for as
 * long as the test wants, independent of the machine's speed.
 *
 * The ready file is written once the fault is pending (the attach is then
 * inside the pin, for certain); the fault is resolved once the release file
 * exists, or on SIGTERM/SIGINT.
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

static struct config {
	uint64_t size;
	const char *ready, *release;
	bool hold;
} cfg = { .size = 4 << 20 };

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
	{ "hold", 'H', NULL, 0, "After the attach keep the domain until SIGTERM/SIGINT", 0 },
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
	case ARGP_KEY_ARG: argp_error(state, "unexpected argument '%s'", arg); break;
	case ARGP_KEY_END:
		if (!cfg.ready)
			argp_error(state, "--ready FILE is required");
		break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "stall-attach: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
	exit(3);
}

/* The attach, run in its own thread because it blocks in the fault. */
struct attach {
	int fd;
	uint32_t ioas, stdev, hwpt, idev;
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
	}
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		die("read(userfaultfd)", errno);
	if (msg.event != UFFD_EVENT_PAGEFAULT)
		die("userfaultfd: not a page fault event", EPROTO);
	*addr = msg.arg.pagefault.address;
	return 0;
}

static void write_ready(uint32_t ioas, const void *buf, uint64_t addr)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", cfg.ready);
	f = fopen(tmp, "w");
	if (!f)
		die(tmp, errno);
	fprintf(f, "{\"pid\":%d,\"ioas\":%u,\"length\":%llu,\"fault_offset\":%llu}\n",
		(int)getpid(), ioas, (unsigned long long)cfg.size,
		(unsigned long long)(addr - (uint64_t)(uintptr_t)buf));
	if (fclose(f) || rename(tmp, cfg.ready))
		die(cfg.ready, errno);
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse_opt, NULL,
		"Attach a mock device to an IOAS whose mapping is userfaultfd memory, and hold "
		"the attach in its first page fault until released.\v"
		"Prints one JSON line when the attach returns. Exit status: 0 the attach "
		"stalled and then succeeded, 1 it returned without ever faulting, 2 usage, "
		"3 a system call or the attach failed.",
		NULL, NULL, NULL
	};
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_copy copy = { .mode = 0 };
	struct attach a = { 0 };
	uint64_t addr = 0, stalled_ns;
	pthread_t thread;
	void *buf, *src;
	int uffd, rc;

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
	buf = mmap(NULL, cfg.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	src = mmap(NULL, cfg.size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED || src == MAP_FAILED)
		die("mmap", errno);
	reg.range.start = (uint64_t)(uintptr_t)buf;
	reg.range.len = cfg.size;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER", errno);

	a.fd = iommufd_open();
	if (a.fd < 0)
		die("/dev/iommu", a.fd);
	rc = iommufd_ioas_alloc(a.fd, &a.ioas);
	if (rc)
		die("IOMMU_IOAS_ALLOC", rc);
	/* No domain yet, so the map pins nothing and takes no fault */
	rc = iommufd_ioas_map_fixed(a.fd, a.ioas, buf, cfg.size, MOCK_APERTURE_START);
	if (rc)
		die("IOMMU_IOAS_MAP", rc);

	rc = pthread_create(&thread, NULL, attach_thread, &a);
	if (rc)
		die("pthread_create", rc);
	if (wait_fault(uffd, &a, &addr)) {
		pthread_join(thread, NULL);
		if (a.rc)
			die("IOMMU_TEST_OP_MOCK_DOMAIN", a.rc);
		fprintf(stderr, "stall-attach: the attach never faulted on its mapping\n");
		return 1;
	}
	stalled_ns = clock_ns(CLOCK_MONOTONIC);
	write_ready(a.ioas, buf, addr);

	while (!stop && (!cfg.release || access(cfg.release, F_OK)))
		usleep(10000);
	/* Fill the whole region: the attach's pin then runs to the end */
	copy.dst = (uint64_t)(uintptr_t)buf;
	copy.src = (uint64_t)(uintptr_t)src;
	copy.len = cfg.size;
	if (ioctl(uffd, UFFDIO_COPY, &copy))
		die("UFFDIO_COPY", errno);
	pthread_join(thread, NULL);
	if (a.rc)
		die("IOMMU_TEST_OP_MOCK_DOMAIN", a.rc);
	printf("{\"attached\":true,\"hwpt\":%u,\"ioas\":%u,\"stalled_ms\":%llu}\n", a.hwpt,
	       a.ioas, (unsigned long long)((clock_ns(CLOCK_MONOTONIC) - stalled_ns) / 1000000));
	stop = 0;
	while (cfg.hold && !stop)
		pause();
	close(a.fd);
	close(uffd);
	return 0;
}
