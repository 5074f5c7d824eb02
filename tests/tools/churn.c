// SPDX-License-Identifier: GPL-2.0
/*
 * churn: owners and observers racing for thousands of iterations.
 *
 * Owner threads each create a dirty-tracking mock domain, now and then
 * track it themselves, mark pages, harvest, unmap and remap parts of the
 * mapping, and end it by destroying its objects or closing the iommufd.
 * Observer threads meanwhile pick live domains, observe them (bound to a
 * socket, or as short leases), read raw, extents or adaptive, clearing or not,
 * whole or windows, then disable or just close their socket. Killer
 * processes start observers that read and SIGKILL them mid-dump. With
 * --huge the domains map 1 MiB IOPTEs (hugetlb-backed), owners dirty whole
 * IOPTEs, and observers' windows start and end inside them.
 *
 * Owners' operations must all succeed, and a tracking owner's harvest must
 * hold exactly the pages it marked since its last one (observers read
 * beside it without taking any). Marking may be refused (EINVAL: the
 * hardware does not track) only while the owner does not track and no
 * observer the kernel lists for the domain started before the marking did.
 * An observer's request may fail only because its domain or lease went
 * away (ENOENT), and a windowed read also because the window is refused
 * (EINVAL, ERANGE); anything else is unexpected. The kernel must survive:
 * the VM runner's splat scan and kmemleak judge that.
 * Prints one JSON line. Exit status: 0 nothing unexpected, 1 something
 * was (printed), 2 usage, 3 set-up failed.
 */
#include <argp.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bitmap.h"
#include "clock_ns.h"
#include "dirty_nl.h"
#include "iommudirty.h"
#include "iommufd.h"
#include "iommufd_test.h"
#include "opts.h"
#include "rng.h"

static struct config {
	uint64_t iterations, owners, observers, killers, seed;
	bool huge;
} cfg = { .iterations = 200, .owners = 2, .observers = 2, .killers = 1, .seed = 1 };

/*
 * Bytes each domain maps, in chunks remapped one at a time, and the pages
 * an owner dirties together (an IOPTE reads dirty whole).
 */
static uint64_t size = 1 << 20, chunk = 256 << 10, block = 1;

enum { OPT_HUGE = 256 };

static const struct argp_option options[] = {
	{ "iterations", 'n', "N", 0, "Domains created and ended by the owners (default 200)", 0 },
	{ "owners", 'o', "N", 0, "Owner threads (default 2)", 0 },
	{ "observers", 'b', "N", 0, "Observer threads (default 2)", 0 },
	{ "killers", 'k', "N", 0, "Processes killing observers mid-dump (default 1)", 0 },
	{ "seed", 's', "N", 0, "Seed (default 1)", 0 },
	{ "huge", OPT_HUGE, NULL, 0,
	  "Map 4 MiB per domain with 1 MiB IOPTEs from hugetlb pages", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	uint64_t *field;

	switch (key) {
	case 'n': field = &cfg.iterations; break;
	case 'o': field = &cfg.owners; break;
	case 'b': field = &cfg.observers; break;
	case 'k': field = &cfg.killers; break;
	case 's': field = &cfg.seed; break;
	case OPT_HUGE: cfg.huge = true; return 0;
	default: return ARGP_ERR_UNKNOWN;
	}
	if (parse_u64(arg, field) || *field > 1000000)
		argp_error(state, "-%c takes a number up to 1000000, not '%s'", key, arg);
	return 0;
}

/* Counters shared with the killer processes (a shared mapping). */
struct counts {
	atomic_ulong iterations, destroyed, closed, harvests, harvest_pages, remaps;
	atomic_ulong refused_marks;
	atomic_ulong enables, reads, read_pages, disables, socket_closes;
	atomic_ulong gone, refused, kills, unexpected;
	atomic_bool owners_done;
};

static struct counts *counts;
static uint64_t mock_page;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
/* Owners create domains one at a time, so each can find its own in a dump */
static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

static void unexpected(const char *who, const char *what, int rc, const char *msg)
{
	if (atomic_fetch_add(&counts->unexpected, 1) >= 10)
		return;
	pthread_mutex_lock(&print_lock);
	fprintf(stderr, "churn: %s: %s: %s%s%s\n", who, what, strerror(-rc),
		msg && *msg ? ": " : "", msg ? msg : "");
	pthread_mutex_unlock(&print_lock);
}

/* ---- owners ------------------------------------------------------------------ */

struct own_domain {
	uint32_t hwpt;
	uint64_t created_after;	/* CLOCK_REALTIME ns */
	uint64_t id;		/* the family's domain id, 0 until found */
	unsigned int found;
};

/* The domain this process created with @hwpt since created_after. */
static int find_own(const struct iommudirty_domain *d, void *arg)
{
	struct own_domain *o = arg;

	if (d->owner_pid == (uint32_t)getpid() && d->hwpt_id == o->hwpt &&
	    d->created_ns >= o->created_after) {
		o->id = d->id;
		o->found++;
	}
	return 0;
}

struct observed {
	uint64_t before;	/* CLOCK_REALTIME ns */
	bool found;
};

static int observed_before(const struct iommudirty_domain *d, void *arg)
{
	struct observed *o = arg;

	const struct iommudirty_observer *obs;

	for (unsigned int i = 0; (obs = iommudirty_domain_observer(d, i)); i++)
		if (obs->since_ns < o->before)
			o->found = true;
	return 0;
}

/*
 * The mock marks only while the hardware tracks. If an observer the kernel
 * still lists had started before the marking, the hardware had to be on
 * throughout: a refusal then means the kernel switched it off under a
 * consumer.
 */
static void check_refusal(struct dirty_nl *n, uint64_t id, uint64_t mark_start)
{
	struct observed o = { .before = mark_start };

	atomic_fetch_add(&counts->refused_marks, 1);
	if (!id || iommudirty_domain_get(n->h, id, observed_before, &o))
		return;
	if (o.found)
		unexpected("owner", "IOMMU_TEST_OP_DIRTY refused while an observer tracked",
			   -EINVAL, NULL);
}

/* A tracking owner's harvest is exactly what it marked: report the difference. */
static void check_harvest(const uint64_t *marked, const uint64_t *got, uint64_t npages)
{
	uint64_t missing = bitmap_count_andnot(marked, got, npages);
	uint64_t extra = bitmap_count_andnot(got, marked, npages);

	atomic_fetch_add(&counts->harvest_pages, bitmap_count_andnot(got, NULL, npages));
	if (missing || extra) {
		char what[96];

		snprintf(what, sizeof(what), "harvest: %llu marked pages missing, %llu extra",
			 (unsigned long long)missing, (unsigned long long)extra);
		unexpected("owner", what, -EIO, NULL);
	}
}

static void owner_iteration(struct dirty_nl *n, uint64_t *rng, void *buf, uint64_t *marked,
			    uint64_t *got)
{
	uint64_t npages = size / mock_page, nr, mark_start;
	bool track = rng_below(rng, 2);
	struct mock_dirty_domain d;
	struct own_domain own = { 0 };
	const char *step;
	int fd = iommufd_open(), rc;

	if (fd < 0) {
		unexpected("owner", "open /dev/iommu", -errno, NULL);
		return;
	}
	pthread_mutex_lock(&create_lock);
	own.created_after = clock_ns(CLOCK_REALTIME);
	rc = mock_dirty_domain_create_flags(fd, buf, size, chunk, true,
					    cfg.huge ? MOCK_FLAGS_DEVICE_HUGE_IOVA : 0, &d, &step);
	if (!rc) {
		own.hwpt = d.hwpt;
		if (iommudirty_domains(n->h, find_own, &own) || own.found != 1)
			own.id = 0;	/* not found for sure: skip the refusal check */
	}
	pthread_mutex_unlock(&create_lock);
	if (rc) {
		unexpected("owner", step, rc, NULL);
		close(fd);
		return;
	}
	if (track && (rc = iommufd_set_dirty_tracking(fd, d.hwpt, 1)))
		unexpected("owner", "IOMMU_HWPT_SET_DIRTY_TRACKING", rc, NULL);
	for (uint64_t round = rng_below(rng, 5); round; round--) {
		uint64_t at = rng_below(rng, size / chunk) * chunk;

		memset(marked, 0, npages / 8);
		for (int i = 0; i < (cfg.huge ? 2 : 32); i++) {
			uint64_t first = rng_below(rng, npages / block) * block;

			for (uint64_t p = first; p < first + block; p++)
				bitmap_set_bit(marked, p);
		}
		mark_start = clock_ns(CLOCK_REALTIME);
		rc = mock_set_dirty(fd, d.hwpt, MOCK_APERTURE_START, size, mock_page, marked, &nr);
		if (rc == -EINVAL && !track)
			check_refusal(n, own.id, mark_start);
		else if (rc)
			unexpected("owner", "IOMMU_TEST_OP_DIRTY", rc, NULL);
		if (track) {
			/* the ioctl only sets bits: start each harvest from nothing */
			memset(got, 0, npages / 8);
			rc = iommufd_get_dirty_bitmap(fd, d.hwpt, MOCK_APERTURE_START, size, mock_page,
						      got, 0);
			if (rc)
				unexpected("owner", "IOMMU_HWPT_GET_DIRTY_BITMAP", rc, NULL);
			else
				check_harvest(marked, got, npages);
			atomic_fetch_add(&counts->harvests, 1);
		}
		/* a hole for a moment, under the observers' reads */
		rc = iommufd_ioas_unmap(fd, d.ioas, MOCK_APERTURE_START + at, chunk);
		if (rc)
			unexpected("owner", "IOMMU_IOAS_UNMAP", rc, NULL);
		usleep((useconds_t)rng_below(rng, 2000));
		rc = iommufd_ioas_map_fixed(fd, d.ioas, buf, chunk, MOCK_APERTURE_START + at);
		if (rc)
			unexpected("owner", "IOMMU_IOAS_MAP", rc, NULL);
		atomic_fetch_add(&counts->remaps, 1);
	}
	if (rng_below(rng, 2)) {
		const uint32_t ids[] = { d.stdev, d.hwpt, d.ioas };

		for (size_t i = 0; i < 3; i++)
			if ((rc = iommufd_destroy(fd, ids[i])))
				unexpected("owner", "IOMMU_DESTROY", rc, NULL);
		atomic_fetch_add(&counts->destroyed, 1);
	} else {
		atomic_fetch_add(&counts->closed, 1);
	}
	close(fd);
}

static void *owner_thread(void *arg)
{
	uint64_t rng = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL | 1;
	const char *step;
	void *buf = mock_buffer(chunk, cfg.huge, &step);
	uint64_t *marked = calloc(size / mock_page / 64, sizeof(uint64_t));
	uint64_t *got = calloc(size / mock_page / 64, sizeof(uint64_t));
	struct dirty_nl n;

	if (!buf || !marked || !got) {
		unexpected("owner", buf ? "memory" : step, -ENOMEM, NULL);
		return NULL;
	}
	if (dirty_nl_open(&n)) {
		unexpected("owner", "open iommu-dirty", -EIO, NULL);
		return NULL;
	}
	while (atomic_fetch_add(&counts->iterations, 1) < cfg.iterations)
		owner_iteration(&n, &rng, buf, marked, got);
	dirty_nl_close(&n);
	munmap(buf, chunk);
	free(marked);
	free(got);
	return NULL;
}

/* ---- observers ----------------------------------------------------------------- */

struct pick {
	uint64_t *rng;
	uint64_t id;
	unsigned int seen;
};

/* Reservoir sampling: a uniformly random domain of the dump. */
static int pick_one(const struct iommudirty_domain *d, void *arg)
{
	struct pick *p = arg;

	if (d->dirty_alloc && !rng_below(p->rng, ++p->seen))
		p->id = d->id;
	return 0;
}

/*
 * An observer's failure we expect in a race: the domain (or lease) went;
 * for a windowed read, also the window refused.
 */
static bool expected(int rc, bool window)
{
	if (rc == -ENOENT) {
		atomic_fetch_add(&counts->gone, 1);
		return true;
	}
	if (window && (rc == -EINVAL || rc == -ERANGE)) {
		atomic_fetch_add(&counts->refused, 1);
		return true;
	}
	return false;
}

static void on_run(void *arg, uint64_t iova, uint64_t pages, uint64_t page_size)
{
	(void)iova;
	(void)page_size;
	*(uint64_t *)arg += pages;
}

/* One observer's life on a random live domain; returns false when none. */
static bool observe_once(uint64_t *rng, const char *who)
{
	struct pick p = { .rng = rng };
	struct dirty_nl n;
	char lease[32] = "";
	int rc;

	if (dirty_nl_open(&n)) {
		unexpected(who, "open", -EIO, NULL);
		return false;
	}
	rc = iommudirty_domains(n.h, pick_one, &p);
	if (rc || !p.id) {
		dirty_nl_close(&n);
		return false;
	}
	if (rng_below(rng, 2))
		snprintf(lease, sizeof(lease), "churn-%d-%u", getpid(),
			 (unsigned int)rng_below(rng, 4));
	rc = dirty_nl_tracking_set(&n, p.id, true, lease[0] ? lease : NULL,
				   lease[0] ? (uint32_t)rng_below(rng, 3) + 1 : 0);
	if (rc) {
		if (!expected(rc, false))
			unexpected(who, "tracking-set enable", rc, n.errmsg);
		dirty_nl_close(&n);
		return true;
	}
	atomic_fetch_add(&counts->enables, 1);
	for (uint64_t reads = rng_below(rng, 6); reads; reads--) {
		struct dirty_read r = {
			.domain = p.id, .name = lease[0] ? lease : NULL,
			.no_clear = !rng_below(rng, 4), .format = rng_below(rng, 3),
		};
		uint64_t pages = 0;

		if (!rng_below(rng, 3)) {
			/*
			 * a window, sometimes over the owner's passing hole;
			 * on huge IOPTEs, starting and ending inside them
			 */
			r.iova = MOCK_APERTURE_START + rng_below(rng, size / chunk) * chunk;
			if (cfg.huge)
				r.iova += rng_below(rng, chunk / mock_page) * mock_page;
			r.length = chunk * (rng_below(rng, 2) + 1);
		}
		rc = dirty_nl_read(&n, &r, on_run, &pages);
		if (rc && !expected(rc, r.length != 0))
			unexpected(who, "bitmap-get", rc, n.errmsg);
		if (rc)
			break;
		atomic_fetch_add(&counts->reads, 1);
		atomic_fetch_add(&counts->read_pages, pages);
	}
	if (rng_below(rng, 2)) {
		rc = dirty_nl_tracking_set(&n, p.id, false, lease[0] ? lease : NULL, 0);
		if (rc && !expected(rc, false))
			unexpected(who, "tracking-set disable", rc, n.errmsg);
		atomic_fetch_add(&counts->disables, 1);
	} else {
		/* a lease outlives its socket until it expires; a bound one does not */
		atomic_fetch_add(&counts->socket_closes, 1);
	}
	dirty_nl_close(&n);
	return true;
}

static void *observer_thread(void *arg)
{
	uint64_t rng = ((uintptr_t)arg + 1000) * 0x9e3779b97f4a7c15ULL | 1;

	while (!atomic_load(&counts->owners_done))
		if (!observe_once(&rng, "observer"))
			usleep(1000);
	return NULL;
}

/* A single-threaded process (forked before any thread): kills readers. */
static void killer(unsigned int k)
{
	uint64_t rng = (k + 5000) * 0x9e3779b97f4a7c15ULL | 1;

	while (!atomic_load(&counts->owners_done)) {
		pid_t child = fork();

		if (child == 0) {
			for (;;)
				if (!observe_once(&rng, "killed observer"))
					usleep(1000);
		}
		if (child < 0) {
			usleep(10000);
			continue;
		}
		usleep((useconds_t)rng_below(&rng, 20000));
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		atomic_fetch_add(&counts->kills, 1);
	}
	_exit(0);
}

#define N(x) (unsigned long)atomic_load(&counts->x)

int main(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse_opt, NULL,
		"Owners create, remap and end mock domains while observers read them "
		"and killers SIGKILL observers mid-dump.", NULL, NULL, NULL
	};
	pthread_t *owners, *observers;
	pid_t *killers;
	struct timespec t0, t1;

	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	mock_page = (uint64_t)sysconf(_SC_PAGESIZE) / 2;
	if (cfg.huge) {
		size = 4 << 20;
		chunk = 2 << 20;	/* a hugetlb page */
		block = MOCK_HUGE_PAGES;
	}
	counts = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	owners = calloc(cfg.owners, sizeof(*owners));
	observers = calloc(cfg.observers, sizeof(*observers));
	killers = calloc(cfg.killers, sizeof(*killers));
	if (counts == MAP_FAILED || !owners || !observers || !killers)
		return 3;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int k = 0; k < cfg.killers; k++) {
		killers[k] = fork();
		if (killers[k] == 0)
			killer(k);
	}
	for (uintptr_t i = 0; i < cfg.owners; i++)
		pthread_create(&owners[i], NULL, owner_thread, (void *)i);
	for (uintptr_t i = 0; i < cfg.observers; i++)
		pthread_create(&observers[i], NULL, observer_thread, (void *)i);
	for (unsigned int i = 0; i < cfg.owners; i++)
		pthread_join(owners[i], NULL);
	atomic_store(&counts->owners_done, true);
	for (unsigned int i = 0; i < cfg.observers; i++)
		pthread_join(observers[i], NULL);
	for (unsigned int k = 0; k < cfg.killers; k++)
		waitpid(killers[k], NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("{\"huge\":%d,\"iterations\":%lu,\"destroyed\":%lu,\"closed\":%lu,\"harvests\":%lu,"
	       "\"harvest_pages\":%lu,\"refused_marks\":%lu,\"remaps\":%lu,\"enables\":%lu,\"reads\":%lu,\"read_pages\":%lu,"
	       "\"disables\":%lu,\"socket_closes\":%lu,\"gone\":%lu,\"refused\":%lu,"
	       "\"kills\":%lu,\"unexpected\":%lu,\"seconds\":%.1f}\n",
	       cfg.huge, N(destroyed) + N(closed), N(destroyed), N(closed), N(harvests), N(harvest_pages),
	       N(refused_marks), N(remaps),
	       N(enables), N(reads), N(read_pages), N(disables), N(socket_closes), N(gone),
	       N(refused), N(kills), N(unexpected),
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return N(unexpected) ? 1 : 0;
}
