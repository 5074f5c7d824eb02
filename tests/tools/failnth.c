// SPDX-License-Identifier: GPL-2.0
/*
 * failnth: every allocation of every iommu-dirty operation, failed in
 * turn. As tools/testing/selftests/iommu/iommufd_fail_nth.c does for the
 * ioctls: each operation is run with the Nth fault-injection point of
 * this thread failing (/proc/thread-self/fail-nth), N = 1, 2, ... until it
 * runs to completion without reaching the Nth point. The caller makes
 * sleeping allocations injectable first (debugfs failslab and
 * fail_page_alloc ignore-gfp-wait=N, as the selftest does).
 *
 * After every injected failure the state must be consistent:
 *  - an enable or disable of a lease that failed changed nothing, one that
 *    succeeded did what it said;
 *  - a socket-bound observer is gone once its socket is closed;
 *  - a clearing read that failed lost no page: what it delivered before
 *    failing and what the next read delivers cover every page marked; and
 *    a second observer, started afresh before each read so that the read
 *    must allocate its pending memory, still gets every page (or, if that
 *    allocation failed, reads as overflowed: everything);
 *  - every operation succeeds once no fault is injected;
 *  - the handle the fault hit still works: the next requests on it (a
 *    do and a dump) get their own answers, not an error or a stale reply
 *    of the faulted request (a lost ACK must not break the handle).
 * Leaks and splats are for kmemleak and the VM runner's scan.
 *
 * The tool owns a mock domain (CONFIG_IOMMUFD_TEST) and marks its pages;
 * with --huge the domain maps 1 MiB IOPTEs (hugetlb memory), so every read
 * clears whole IOPTEs and the windowed read splits two of them. With an
 * argument, only the operations whose names start with it are walked. Prints one line per operation: the fault points walked and how the
 * runs ended. Exit status: 0 consistent, 1 an inconsistency (printed),
 * 2 usage, 3 set-up failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bitmap.h"
#include "dirty_nl.h"
#include "iommudirty.h"
#include "iommufd.h"
#include "iommufd_test.h"

#define MAX_N 5000
#define LEASE "nth"
#define READ_LEASE "nth-read"
#define OTHER_LEASE "nth-other"

static int nth_fd = -1;
static int iommufd;
static struct mock_dirty_domain dom;
static uint64_t domain_id, mock_page, npages, size;
static struct dirty_nl check;		/* requests made without faults */
static int inconsistent;

static void fail_nth_arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth_fd, buf, (size_t)len, 0) != len) {
		perror("failnth: fail-nth");
		exit(3);
	}
}

/* Disarm; true if the armed fault was injected. */
static bool fail_nth_disarm(void)
{
	char buf[16] = "";
	ssize_t n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	bool injected = n > 0 && buf[0] == '0';

	/* reading can itself hit the fault (a failed copy): then it fired */
	if (n < 0 && errno == EFAULT)
		injected = true;
	while (pwrite(nth_fd, "0", 1, 0) != 1 && errno == EFAULT)
		;
	return injected;
}

static void bad(const char *op, unsigned int n, const char *fmt, const char *detail)
{
	fprintf(stderr, "failnth: %s, fault %u: ", op, n);
	fprintf(stderr, fmt, detail);
	fprintf(stderr, "\n");
	inconsistent = 1;
}

/* ---- state, read without faults ----------------------------------------- */

struct lease_look {
	const char *name;
	bool found;
	unsigned int observers;
	uint64_t id;
};

static int look(const struct iommudirty_domain *d, void *arg)
{
	struct lease_look *l = arg;

	l->id = d->id;
	l->observers = d->n_observers;
	for (unsigned int i = 0; i < d->n_observers; i++) {
		const struct iommudirty_observer *o = iommudirty_domain_observer(d, i);

		if (o->name && !strcmp(o->name, l->name))
			l->found = true;
	}
	return 0;
}

static struct lease_look lease_state(const char *name)
{
	struct lease_look l = { .name = name };

	if (iommudirty_domain_get(check.h, domain_id, look, &l)) {
		fprintf(stderr, "failnth: domain-get without faults failed\n");
		exit(3);
	}
	return l;
}

/* ---- the pages: marked by us as the owner, collected from reads ---------- */

static uint64_t *marked, *seen, *other_seen;

static void mark_pages(unsigned int round)
{
	uint64_t nr;

	memset(marked, 0, BITMAP_WORDS(npages) * sizeof(uint64_t));
	for (uint64_t p = round % 7; p < npages; p += 7)
		bitmap_set_bit(marked, p);
	if (mock_set_dirty(iommufd, dom.hwpt, MOCK_APERTURE_START, size, mock_page, marked,
			   &nr)) {
		fprintf(stderr, "failnth: marking pages failed\n");
		exit(3);
	}
}

/* @arg: the bitmap to fill, or NULL for seen */
static void on_run(void *arg, uint64_t iova, uint64_t pages, uint64_t page_size)
{
	uint64_t *map = arg ? arg : seen;

	for (uint64_t i = 0; i < pages * (page_size / mock_page); i++) {
		uint64_t p = (iova - MOCK_APERTURE_START) / mock_page + i;

		if (p < npages)
			bitmap_set_bit(map, p);
	}
}

/* ---- the operations -------------------------------------------------------- */

struct op {
	const char *name;
	/* the operation, on a fresh socket @n; 0 or -errno */
	int (*run)(struct dirty_nl *n);
	void (*before)(void);
	/* check the state after run() returned @rc; the socket is closed */
	void (*after)(const char *name, unsigned int nth, int rc);
};

static int count(const void *obj, void *arg)
{
	(void)obj;
	++*(unsigned int *)arg;
	return 0;
}

static int op_domain_get(struct dirty_nl *n)
{
	unsigned int c = 0;

	return iommudirty_domain_get(n->h, domain_id, (iommudirty_domain_fn)count, &c);
}

static int op_domain_dump(struct dirty_nl *n)
{
	unsigned int c = 0;

	return iommudirty_domains(n->h, (iommudirty_domain_fn)count, &c);
}

static char dev_name[64];

static int op_dev_get(struct dirty_nl *n)
{
	unsigned int c = 0;

	return iommudirty_dev_get(n->h, dev_name, (iommudirty_dev_fn)count, &c);
}

static int op_dev_dump(struct dirty_nl *n)
{
	unsigned int c = 0;

	return iommudirty_devs(n->h, (iommudirty_dev_fn)count, &c);
}

/* Whether the kernel's reply arrived: it says the change was made. */
static bool replied;

static int on_reply(const struct iommudirty_domain *d, void *arg)
{
	(void)d;
	(void)arg;
	replied = true;
	return 0;
}

static int op_enable_lease(struct dirty_nl *n)
{
	replied = false;
	return iommudirty_observe(n->h, domain_id, LEASE, 600, on_reply, NULL);
}

static int op_disable_lease(struct dirty_nl *n)
{
	replied = false;
	return iommudirty_unobserve(n->h, domain_id, LEASE, on_reply, NULL);
}

static int op_enable_socket(struct dirty_nl *n)
{
	return dirty_nl_tracking_set(n, domain_id, true, NULL, 0);
}

static int read_as(struct dirty_nl *n, enum iommudirty_format format)
{
	struct dirty_read r = { .domain = domain_id, .name = READ_LEASE, .format = format };

	return dirty_nl_read(n, &r, on_run, NULL);
}

/* The middle half of the domain: with --huge, from inside one IOPTE to
 * inside the next, so the read keeps both ends beyond it for its reader */
static int op_read_window(struct dirty_nl *n)
{
	struct dirty_read r = { .domain = domain_id, .name = READ_LEASE,
				.format = IOMMUDIRTY_FORMAT_EXTENTS,
				.iova = MOCK_APERTURE_START + size / 4, .length = size / 2 };

	return dirty_nl_read(n, &r, on_run, NULL);
}

static int op_read_raw(struct dirty_nl *n)
{
	return read_as(n, IOMMUDIRTY_FORMAT_RAW);
}

static int op_read_extents(struct dirty_nl *n)
{
	return read_as(n, IOMMUDIRTY_FORMAT_EXTENTS);
}

static int op_read_adaptive(struct dirty_nl *n)
{
	return read_as(n, IOMMUDIRTY_FORMAT_ADAPTIVE);
}

static void no_lease(void)
{
	if (lease_state(LEASE).found)
		dirty_nl_tracking_set(&check, domain_id, false, LEASE, 0);
}

static void with_lease(void)
{
	if (dirty_nl_tracking_set(&check, domain_id, true, LEASE, 600)) {
		fprintf(stderr, "failnth: enabling the lease without faults failed\n");
		exit(3);
	}
}

static void after_enable(const char *name, unsigned int nth, int rc)
{
	bool found = lease_state(LEASE).found;

	/* -ENOBUFS: the answer was lost and the library says the outcome is unknown */
	if (rc && rc != -ENOBUFS && found)
		bad(name, nth, "%s", replied ? "the enable failed after its reply, lease exists" :
			"the enable failed but the lease exists");
	if (!rc && !found)
		bad(name, nth, "%s", "the enable succeeded but there is no lease");
	no_lease();
}

static void after_disable(const char *name, unsigned int nth, int rc)
{
	bool found = lease_state(LEASE).found;

	if (rc && rc != -ENOBUFS && !found)
		bad(name, nth, "%s", replied ? "the disable failed after its reply, lease gone" :
			"the disable failed but the lease is gone");
	if (!rc && found)
		bad(name, nth, "%s", "the disable succeeded but the lease is still there");
	no_lease();
}

static void after_socket(const char *name, unsigned int nth, int rc)
{
	(void)rc;
	/* only the read lease may remain once the socket is closed */
	if (lease_state(READ_LEASE).observers != 1)
		bad(name, nth, "%s", "a socket-bound observer outlived its socket");
}

static unsigned int round_no;

static void before_read(void)
{
	memset(seen, 0, BITMAP_WORDS(npages) * sizeof(uint64_t));
	memset(other_seen, 0, BITMAP_WORDS(npages) * sizeof(uint64_t));
	/* a fresh second observer: the faulted read allocates its pending pages */
	dirty_nl_tracking_set(&check, domain_id, false, OTHER_LEASE, 0);
	if (dirty_nl_tracking_set(&check, domain_id, true, OTHER_LEASE, 3600)) {
		fprintf(stderr, "failnth: starting lease %s failed\n", OTHER_LEASE);
		exit(3);
	}
	mark_pages(++round_no);
}

/* Marked pages missing from @map. */
static uint64_t lost_pages(const uint64_t *map)
{
	uint64_t lost = 0;

	for (uint64_t p = 0; p < npages; p++)
		lost += bitmap_test_bit(marked, p) && !bitmap_test_bit(map, p);
	return lost;
}

static void after_read(const char *name, unsigned int nth, int rc)
{
	struct dirty_read other = { .domain = domain_id, .name = OTHER_LEASE };
	char detail[96];
	uint64_t lost;
	int again;

	(void)rc;
	/* whatever the faulted read did not deliver must still be there */
	again = read_as(&check, false);
	if (!again)
		again = dirty_nl_read(&check, &other, on_run, other_seen);
	if (again) {
		snprintf(detail, sizeof(detail), "the read after it failed too (%s)",
			 strerror(-again));
		bad(name, nth, "%s", detail);
		return;
	}
	lost = lost_pages(seen);
	if (lost) {
		snprintf(detail, sizeof(detail), "%llu marked pages were lost",
			 (unsigned long long)lost);
		bad(name, nth, "%s", detail);
	}
	lost = lost_pages(other_seen);
	if (lost) {
		snprintf(detail, sizeof(detail), "the other observer lost %llu marked pages",
			 (unsigned long long)lost);
		bad(name, nth, "%s", detail);
	}
}

static const struct op ops[] = {
	{ "domain-get", op_domain_get, NULL, NULL },
	{ "domain-get dump", op_domain_dump, NULL, NULL },
	{ "dev-get", op_dev_get, NULL, NULL },
	{ "dev-get dump", op_dev_dump, NULL, NULL },
	{ "tracking-set enable lease", op_enable_lease, no_lease, after_enable },
	{ "tracking-set disable lease", op_disable_lease, with_lease, after_disable },
	{ "tracking-set enable socket", op_enable_socket, NULL, after_socket },
	{ "bitmap-get raw", op_read_raw, before_read, after_read },
	{ "bitmap-get extents", op_read_extents, before_read, after_read },
	{ "bitmap-get adaptive", op_read_adaptive, before_read, after_read },
	{ "bitmap-get window", op_read_window, before_read, after_read },
};

/*
 * Right after the faulted operation, without a fault: a do request and a
 * dump on the same handle get their own, complete answers.
 */
static void same_handle(const char *name, unsigned int nth, struct dirty_nl *n)
{
	struct lease_look l = { .name = READ_LEASE };
	unsigned int devs = 0;
	char detail[128];
	int rc;

	rc = iommudirty_domain_get(n->h, domain_id, look, &l);
	if (rc || l.id != domain_id || !l.found) {
		snprintf(detail, sizeof(detail), "the next domain-get on the same handle %s%s",
			 rc ? "failed: " : "got another answer", rc ? strerror(-rc) : "");
		bad(name, nth, "%s", detail);
		return;
	}
	rc = iommudirty_devs(n->h, (iommudirty_dev_fn)count, &devs);
	if (rc || !devs) {
		snprintf(detail, sizeof(detail), "the next dev-get dump on the same handle %s%s",
			 rc ? "failed: " : "listed no device", rc ? strerror(-rc) : "");
		bad(name, nth, "%s", detail);
	}
}

/* Where we are, for the alarm that catches a hang. */
static const char *current_op;
static unsigned int current_n;

static void on_alarm(int sig)
{
	char msg[160];
	int len = snprintf(msg, sizeof(msg), "failnth: %s hangs with fault %u injected\n",
			   current_op, current_n);

	(void)sig;
	if (write(2, msg, (size_t)len) < 0)
		_exit(1);
	_exit(1);
}

static int walk(const struct op *op)
{
	unsigned int failed = 0, n;
	int errnos[3] = { 0 };

	for (n = 1; n < MAX_N; n++) {
		struct dirty_nl sock;
		bool injected;
		int rc;

		if (op->before)
			op->before();
		if (dirty_nl_open(&sock)) {
			fprintf(stderr, "failnth: cannot open a socket\n");
			return 3;
		}
		current_op = op->name;
		current_n = n;
		alarm(20);	/* a hang is a failure too */
		fail_nth_arm(n);
		rc = op->run(&sock);
		injected = fail_nth_disarm();
		same_handle(op->name, n, &sock);
		alarm(0);
		dirty_nl_close(&sock);
		if (op->after)
			op->after(op->name, n, rc);
		if (!injected) {
			if (rc) {
				bad(op->name, n, "%s", "fails without any fault injected");
				return 1;
			}
			break;
		}
		if (rc) {
			failed++;
			for (int i = 0; i < 3; i++)
				if (!errnos[i] || errnos[i] == -rc) {
					errnos[i] = -rc;
					break;
				}
		}
	}
	if (n == MAX_N) {
		fprintf(stderr, "failnth: %s still reaches fault points after %d\n", op->name,
			MAX_N);
		return 1;
	}
	printf("%-28s %4u fault points: %4u runs failed (%s%s%s%s%s), %u succeeded "
	       "despite the fault\n", op->name, n - 1, failed,
	       errnos[0] ? strerrorname_np(errnos[0]) : "-",
	       errnos[1] ? " " : "", errnos[1] ? strerrorname_np(errnos[1]) : "",
	       errnos[2] ? " " : "", errnos[2] ? strerrorname_np(errnos[2]) : "",
	       n - 1 - failed);
	fflush(stdout);
	return 0;
}

static int first_dev(const struct iommudirty_domain *d, void *arg)
{
	(void)arg;
	if (d->n_devs)
		snprintf(dev_name, sizeof(dev_name), "%s", d->devs[0]);
	return 0;
}

int main(int argc, char **argv)
{
	const char *step = "set-up";
	bool huge = argc > 1 && !strcmp(argv[1], "--huge");
	void *buf;
	int rc = 0;

	argc -= huge;
	argv += huge;
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: failnth [--huge] [OPERATION-PREFIX] (after enabling "
			"sleeping fault injection)\n");
		return 2;
	}
	mock_page = (uint64_t)sysconf(_SC_PAGESIZE) / 2;
	/* two of the mock's huge IOPTEs, or as many base pages */
	size = 2 * MOCK_HUGE_PAGES * mock_page;
	npages = size / mock_page;
	marked = calloc(BITMAP_WORDS(npages), sizeof(uint64_t));
	seen = calloc(BITMAP_WORDS(npages), sizeof(uint64_t));
	other_seen = calloc(BITMAP_WORDS(npages), sizeof(uint64_t));
	buf = mock_buffer(size, huge, &step);
	iommufd = iommufd_open();
	if (!marked || !seen || !other_seen || !buf || iommufd < 0 ||
	    mock_dirty_domain_create_flags(iommufd, buf, size, size, true,
					   huge ? MOCK_FLAGS_DEVICE_HUGE_IOVA : 0, &dom, &step) ||
	    dirty_nl_open(&check) ||
	    dirty_nl_find_domain(&check, getpid(), dom.hwpt, &domain_id) ||
	    iommudirty_domain_get(check.h, domain_id, first_dev, NULL) ||
	    dirty_nl_tracking_set(&check, domain_id, true, READ_LEASE, 3600)) {
		fprintf(stderr, "failnth: set-up failed (%s)\n", step);
		return 3;
	}
	signal(SIGALRM, on_alarm);
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0) {
		perror("failnth: /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION)");
		return 3;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]) && !rc; i++)
		if (argc < 2 || !strncmp(ops[i].name, argv[1], strlen(argv[1])))
			rc = walk(&ops[i]);
	dirty_nl_tracking_set(&check, domain_id, false, READ_LEASE, 0);
	dirty_nl_tracking_set(&check, domain_id, false, OTHER_LEASE, 0);
	dirty_nl_close(&check);
	close(iommufd);
	return rc ? rc : inconsistent;
}
