// SPDX-License-Identifier: GPL-2.0
/*
 * lib-check: libiommudirty's promises that only a real kernel can show,
 * for tests/bats/mock/lib.bats. Owns a mock domain (CONFIG_IOMMUFD_TEST).
 *
 *   lib-check rcvbuf       the receive buffers obtained, past rmem_max
 *   lib-check reentrant    requests from inside callbacks: -EBUSY
 *   lib-check abi          opts and callbacks with their size; observers
 *                          through iommudirty_domain_observer()
 *
 * Prints one line per check, "ok ..." or "not ok ...". Exit status: 0 all
 * held, 1 one failed, 2 usage, 3 set-up failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iommudirty.h"
#include "iommufd.h"
#include "iommufd_test.h"

#define SIZE (1 << 20)

static int failed;

static void check(bool ok, const char *what, int rc)
{
	printf("%s %s", ok ? "ok" : "not ok", what);
	if (!ok && rc)
		printf(" (%s)", strerror(-rc));
	printf("\n");
	failed |= !ok;
}

static struct iommudirty *open_or_die(void)
{
	struct iommudirty *h;
	int rc = iommudirty_open(&h);

	if (rc) {
		fprintf(stderr, "lib-check: iommudirty_open: %s\n", strerror(-rc));
		exit(3);
	}
	return h;
}

/* A mock domain of ours: its registry id. */
static int iommufd = -1;

static uint64_t find_domain(struct iommudirty *h, uint32_t hwpt);

/* The last domain own_domain() made */
static struct mock_dirty_domain dom;

static uint64_t own_domain(struct iommudirty *h)
{
	const char *step;
	void *buf = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (iommufd < 0)
		iommufd = iommufd_open();
	if (buf == MAP_FAILED || iommufd < 0 ||
	    mock_dirty_domain_create(iommufd, buf, SIZE, SIZE, true, &dom, &step)) {
		fprintf(stderr, "lib-check: cannot create a mock domain\n");
		exit(3);
	}
	return find_domain(h, dom.hwpt);
}

struct find {
	uint32_t hwpt;
	uint64_t id;
};

static int find_one(const struct iommudirty_domain *d, void *arg)
{
	struct find *f = arg;

	if (d->owner_pid == (uint32_t)getpid() && d->hwpt_id == f->hwpt)
		f->id = d->id;
	return 0;
}

static uint64_t find_domain(struct iommudirty *h, uint32_t hwpt)
{
	struct find f = { .hwpt = hwpt };

	if (iommudirty_domains(h, find_one, &f) || !f.id) {
		fprintf(stderr, "lib-check: our mock domain is not listed\n");
		exit(3);
	}
	return f.id;
}

static int rcvbuf(int fd)
{
	int got = 0;
	socklen_t len = sizeof(got);

	return getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) ? -errno : got;
}

/* ---- rcvbuf ----------------------------------------------------------------- */

static int cmd_rcvbuf(void)
{
	struct iommudirty *h = open_or_die();
	int rc = iommudirty_monitor_start(h);

	check(rc == 0, "monitor_start succeeds", rc);
	rc = rcvbuf(iommudirty_monitor_fd(h));
	printf("# monitor receive buffer %d\n", rc);
	/* the kernel reports twice what it grants */
	check(rc >= 2 * (4 << 20), "the monitor socket got its 4 MiB receive buffer", 0);
	rc = iommudirty_set_rcvbuf(h, 64 << 10);
	check(rc == 0, "set_rcvbuf 64 KiB succeeds", rc);
	rc = rcvbuf(iommudirty_monitor_fd(h));
	check(rc == 2 * (64 << 10), "set_rcvbuf shrinks the buffer to 64 KiB", 0);
	rc = iommudirty_set_rcvbuf(h, 0);
	check(rc == -EINVAL && *iommudirty_errmsg(h), "set_rcvbuf 0 is -EINVAL, with a message",
	      rc);
	iommudirty_close(h);
	return failed;
}

/* Without CAP_NET_ADMIN: open falls back to SO_RCVBUF, capped by rmem_max. */
static int cmd_rcvbuf_unprivileged(void)
{
	struct iommudirty *h;
	int rc = iommudirty_open(&h);

	check(rc == 0, "open succeeds without CAP_NET_ADMIN", rc);
	if (rc)
		return failed;
	FILE *f = fopen("/proc/sys/net/core/rmem_max", "r");
	int max = 0;

	if (!f || fscanf(f, "%d", &max) != 1) {
		fprintf(stderr, "lib-check: cannot read net.core.rmem_max\n");
		exit(3);
	}
	fclose(f);
	rc = rcvbuf(iommudirty_monitor_fd(h));
	printf("# request receive buffer %d, rmem_max %d\n", rc, max);
	check(rc == 2 * (max < (1 << 20) ? max : (1 << 20)),
	      "the request socket has the buffer rmem_max allows (SO_RCVBUF)", 0);
	rc = iommudirty_monitor_start(h);
	check(rc == -EPERM, "monitor_start is refused with EPERM, not a short buffer", rc);
	iommudirty_close(h);
	return failed;
}

/* ---- reentrant -------------------------------------------------------------- */

struct inner {
	struct iommudirty *h;
	uint64_t id;
	int get, dump, read, observe, monitor;
	unsigned int calls;
};

static int nothing(const struct iommudirty_domain *d, void *arg)
{
	(void)d, (void)arg;
	return 0;
}

static int from_callback(const struct iommudirty_domain *d, void *arg)
{
	struct inner *in = arg;

	(void)d;
	in->calls++;
	in->get = iommudirty_domain_get(in->h, in->id, nothing, NULL);
	in->dump = iommudirty_domains(in->h, nothing, NULL);
	in->read = iommudirty_read(in->h, in->id, NULL, NULL, NULL);
	in->observe = iommudirty_observe(in->h, in->id, "reentrant", 60, NULL, NULL);
	in->monitor = iommudirty_monitor_start(in->h);
	return 0;
}

static int from_event(enum iommudirty_event ev, const struct iommudirty_domain *d, void *arg)
{
	struct inner *in = arg;

	(void)ev, (void)d;
	in->calls++;
	in->dump = iommudirty_domains(in->h, nothing, NULL);
	in->monitor = iommudirty_monitor_dispatch(in->h, from_event, in);
	return 0;
}

static int cmd_reentrant(void)
{
	struct iommudirty *h = open_or_die(), *mon = open_or_die();
	struct inner in = { .h = h };
	int rc;

	in.id = own_domain(h);
	rc = iommudirty_domain_get(h, in.id, from_callback, &in);
	check(rc == 0 && in.calls == 1, "the outer domain-get succeeds", rc);
	check(in.get == -EBUSY && in.dump == -EBUSY && in.read == -EBUSY &&
	      in.observe == -EBUSY && in.monitor == -EBUSY,
	      "get, dump, read, observe and monitor_start from its callback: EBUSY", 0);
	rc = iommudirty_domain_get(h, in.id, nothing, NULL);
	check(rc == 0, "the handle works after the refusals", rc);

	rc = iommudirty_monitor_start(mon);
	check(rc == 0, "monitor_start", rc);
	own_domain(h);		/* a domain-add notification */
	in = (struct inner){ .h = mon };
	for (int i = 0; i < 50 && !in.calls; i++) {
		usleep(20000);
		rc = iommudirty_monitor_dispatch(mon, from_event, &in);
	}
	check(rc == 0 && in.calls >= 1, "dispatch delivers the notification and returns 0", rc);
	check(in.dump == -EBUSY && in.monitor == -EBUSY,
	      "a dump and a dispatch from the event callback: EBUSY", 0);
	iommudirty_close(mon);
	iommudirty_close(h);
	return failed;
}

/* ---- lastrun ------------------------------------------------------------ */

struct last {
	struct iommudirty *h;
	unsigned int calls;
	int dump;
};

/* The second run is the last, handed over once the dump has ended */
static int stop_at_last(uint64_t iova, uint64_t pages, uint64_t page_size, void *arg)
{
	struct last *l = arg;

	(void)iova, (void)pages, (void)page_size;
	if (++l->calls < 2)
		return 0;
	l->dump = iommudirty_domains(l->h, nothing, NULL);
	return 7;
}

static int cmd_lastrun(void)
{
	struct iommudirty *h = open_or_die();
	uint64_t id = own_domain(h), marks = 0x5;	/* pages 0 and 2: two runs */
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE) / 2;
	struct iommudirty_read_cbs cbs = { .sz = sizeof(cbs), .run = stop_at_last };
	struct last l = { .h = h };
	int rc;

	rc = iommudirty_observe(h, id, NULL, 0, NULL, NULL);
	check(rc == 0, "observe bound to the socket", rc);
	rc = mock_set_dirty(iommufd, dom.hwpt, MOCK_APERTURE_START, 64 * page, page, &marks, NULL);
	check(rc == 0, "two pages marked", rc);
	rc = iommudirty_read(h, id, NULL, &cbs, &l);
	check(rc == 7 && l.calls == 2, "the last run's callback value is the read's", rc);
	check(l.dump == -EBUSY, "a request from the last run's callback: EBUSY", l.dump);
	iommudirty_close(h);
	return failed;
}

/* ---- abi ---------------------------------------------------------------- */

/* What a caller built against a newer header could pass. */
struct newer_opts {
	struct iommudirty_read_opts o;
	uint64_t unknown;
};

struct newer_cbs {
	struct iommudirty_read_cbs c;
	void *unknown;
};

static int count_run(uint64_t iova, uint64_t pages, uint64_t page_size, void *arg)
{
	(void)iova, (void)page_size;
	*(uint64_t *)arg += pages;
	return 0;
}

struct obs_look {
	unsigned int n, named, sockets;
	bool past_end_null;
};

static int look(const struct iommudirty_domain *d, void *arg)
{
	struct obs_look *l = arg;

	l->n = d->n_observers;
	for (unsigned int i = 0; i < d->n_observers; i++) {
		const struct iommudirty_observer *o = iommudirty_domain_observer(d, i);

		if (o->name && !strcmp(o->name, "abi"))
			l->named++;
		else if (!o->name)
			l->sockets++;
	}
	l->past_end_null = !iommudirty_domain_observer(d, d->n_observers);
	return 0;
}

static int cmd_abi(void)
{
	struct iommudirty *h = open_or_die();
	uint64_t id = own_domain(h), pages = 0;
	struct newer_opts no = { .o = { .sz = sizeof(no), .no_clear = true } };
	struct newer_cbs nc = { .c = { .sz = sizeof(nc), .run = count_run } };
	struct iommudirty_read_cbs cbs = { .sz = sizeof(cbs), .run = count_run };
	struct obs_look l = { 0 };
	int rc;

	rc = iommudirty_observe(h, id, NULL, 0, NULL, NULL);
	check(rc == 0, "observe bound to the socket", rc);
	rc = iommudirty_observe(h, id, "abi", 60, NULL, NULL);
	check(rc == 0, "observe as lease abi", rc);
	rc = iommudirty_domain_get(h, id, look, &l);
	check(rc == 0 && l.n == 2 && l.named == 1 && l.sockets == 1 && l.past_end_null,
	      "both observers through iommudirty_domain_observer(), NULL past the last", rc);

	rc = iommudirty_read(h, id, &no.o, &cbs, &pages);
	check(rc == 0, "newer opts whose extra field is 0 are taken", rc);
	no.unknown = 1;
	rc = iommudirty_read(h, id, &no.o, &cbs, &pages);
	check(rc == -EINVAL, "newer opts that set a field the library lacks: EINVAL", rc);
	rc = iommudirty_read(h, id, NULL, &nc.c, &pages);
	check(rc == 0, "newer callbacks whose extra field is NULL are taken", rc);
	nc.unknown = &pages;
	rc = iommudirty_read(h, id, NULL, &nc.c, &pages);
	check(rc == -EINVAL, "newer callbacks that set a field the library lacks: EINVAL", rc);
	cbs.sz = 0;
	rc = iommudirty_read(h, id, NULL, &cbs, &pages);
	check(rc == -EINVAL, "callbacks without their size: EINVAL", rc);
	rc = iommudirty_read(h, id, NULL, NULL, NULL);
	check(rc == 0, "a read with neither opts nor callbacks", rc);
	rc = iommudirty_unobserve(h, id, "abi", NULL, NULL);
	check(rc == 0, "the lease ends", rc);
	iommudirty_close(h);
	return failed;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} cmds[] = {
		{ "rcvbuf", cmd_rcvbuf },
		{ "rcvbuf-unprivileged", cmd_rcvbuf_unprivileged },
		{ "reentrant", cmd_reentrant },
		{ "abi", cmd_abi },
		{ "lastrun", cmd_lastrun },
	};

	for (size_t i = 0; argc == 2 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn();
	fprintf(stderr, "usage: lib-check rcvbuf|rcvbuf-unprivileged|reentrant|abi|lastrun\n");
	return 2;
}
