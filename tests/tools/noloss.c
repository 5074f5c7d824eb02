// SPDX-License-Identifier: GPL-2.0
/*
 * noloss: the owner of a mock domain and observers of it race, and no
 * consumer may miss a page.
 *
 * The main thread is the owner: each round it picks random pages, marks
 * them dirty (IOMMU_TEST_OP_DIRTY) and, while it tracks, harvests with its
 * own clearing IOMMU_HWPT_GET_DIRTY_BITMAP, which must hold every page of
 * the round. Now and then it stops tracking for a round (--owner-toggle),
 * so observers also run with the hardware theirs to clear.
 *
 * Observer threads use the iommu-dirty family meanwhile:
 *  - socket-bound observers start, read (clearing or not, raw, extents or adaptive),
 *    and end by tracking-set or by closing their socket; with --precise N,
 *    each thread's sessions 0, N, 2N... ask for precise tracking (checked in
 *    the reply), so the domain's huge IOPTEs
 *    are split when it starts and merged when it ends, during the race;
 *  - leased observers start a named lease, read it from fresh sockets as
 *    separate commands would, renew it, end it by name, or let it expire
 *    (a read after expiry must be refused);
 *  - killers start observers in child processes and SIGKILL them mid-dump.
 *
 * Rounds are published as two counters: started (before marking) and
 * completed (after). Once a read starts after round r completed, every
 * page of round r must be in it or in an earlier clearing read of the same
 * observer that ended after round r started (which may have taken it): a
 * thread preempted between marking and publishing "completed" can let
 * several reads pass before round r counts as complete. Pages a read holds
 * beyond its rounds are counted as extra (allowed), but nothing may be
 * invented: every page a read holds was marked in some round (invented), and
 * none survives a clearing read that started after the page had certainly
 * left the hardware (stale): after an owner harvest covering its last
 * marking, or, when the owner never tracks, after that marking completed.
 *
 * Marking fails with EINVAL only when the hardware does not track. Observer
 * threads publish how many of them are certainly live (their enable has
 * returned, their end has not begun; expiring leases and killed children do
 * not count) and how many ends have begun, in one atomic word: a refusal
 * while one of them was live throughout the marking is a failure
 * (refused_live), not a round nobody could expect.
 *
 * Leases have deadlines, and the test respects them whatever the machine's
 * speed: a lease read may only be refused once its lifetime has passed since
 * the enable was sent, and must be refused once it has passed since the
 * enable returned.
 *
 * With the owner tracking throughout (--owner-toggle 0), its harvests must
 * be exactly the pages it marked: any extra page is a failure.
 *
 * A read that misses a page tells, for the first such page, the rounds that
 * marked it and what the session's last reads held of it.
 *
 * Exit status: 0 no consumer missed a page, 1 a page was missed, invented
 * or stale, marking was refused while a consumer was live, the owner's
 * harvest held extra pages while it never paused, or a lease vanished
 * early or outlived its expiry; 2 bad usage, 3 an operation failed.
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
#include "iommufd.h"
#include "iommufd_test.h"
#include "opts.h"
#include "rng.h"

static struct config {
	uint64_t size, rounds, pages, seed, owner_toggle, precise;
	unsigned int bound, leased, killers;
	bool owner_track, huge, json;
	/* Child mode: observe this domain until killed */
	uint64_t child_domain;
	const char *child_name;
} cfg = {
	.size = 4 << 20, .rounds = 1000, .pages = 64, .seed = 1, .owner_toggle = 10,
	.bound = 1, .leased = 1, .killers = 1, .owner_track = true,
};

/* Pages marked together: a huge IOPTE's with --huge (it reads dirty whole) */
static uint64_t mock_page, npages, words, block = 1;
static uint64_t *history;		/* npages bits per round, from round 1 */
static _Atomic uint64_t started, completed;
/* The last round whose owner harvest returned: its pages left the hardware */
static _Atomic uint64_t harvested;
/* Per page, the last round that marked it (set before the marking) */
static _Atomic uint64_t *last_marked;
/* Observers certainly live (low 32 bits) and ends begun (high 32 bits) */
static _Atomic uint64_t consumers;
#define CONSUMER_START	UINT64_C(1)
#define CONSUMER_END	((UINT64_C(1) << 32) - 1)	/* one end more, one live less */
static atomic_bool finished;
static uint32_t owner_hwpt;
static uint64_t domain_id;
static const char *self_exe;

static struct totals {
	pthread_mutex_t lock;
	uint64_t sessions, reads, clearing, checked, missing, extra, invented, stale;
	uint64_t expired, expired_early, vanished, outlived, killed, renewed;
	uint64_t owner_harvests, owner_missing, owner_extra, refused_live;
	/* precise sessions; times none was live and one started; and ended */
	uint64_t precise, precise_splits, precise_merges;
} tot = { .lock = PTHREAD_MUTEX_INITIALIZER };

enum { OPT_OWNER = 256, OPT_TOGGLE, OPT_BOUND, OPT_LEASED, OPT_KILLERS,
       OPT_CHILD, OPT_CHILD_NAME, OPT_HUGE, OPT_PRECISE };

static const struct argp_option options[] = {
	{ "size", 's', "SIZE", 0, "Bytes mapped (default 4M)", 0 },
	{ "rounds", 'c', "N", 0, "Owner rounds (default 1000)", 0 },
	{ "pages", 'r', "COUNT", 0, "Random pages dirtied per round (default 64)", 0 },
	{ "seed", 'S', "N", 0, "Seed (default 1)", 0 },
	{ "huge", OPT_HUGE, NULL, 0,
	  "Map with 1 MiB IOPTEs from hugetlb pages; --pages then counts them, each "
	  "dirtied whole", 0 },
	{ "owner", OPT_OWNER, "track|none", 0,
	  "track: the owner tracks and harvests (default); none: it only dirties", 1 },
	{ "owner-toggle", OPT_TOGGLE, "N", 0,
	  "While tracking, stop for one round in N (default 10, 0: never)", 1 },
	{ "bound", OPT_BOUND, "N", 0, "Socket-bound observer threads (default 1)", 2 },
	{ "leased", OPT_LEASED, "N", 0, "Leased observer threads (default 1)", 2 },
	{ "precise", OPT_PRECISE, "N", 0,
	  "Each bound observer thread's sessions 0, N, 2N... ask for precise tracking "
	  "(default 0: none)", 2 },
	{ "killers", OPT_KILLERS, "N", 0,
	  "Threads killing observer processes mid-dump (default 1)", 2 },
	{ "json", 'j', NULL, 0, "Print the summary as one JSON object", 3 },
	{ "child-dump", OPT_CHILD, "DOMAIN", OPTION_HIDDEN, "", 4 },
	{ "child-name", OPT_CHILD_NAME, "NAME", OPTION_HIDDEN, "", 4 },
	{ 0 }
};

static uint64_t arg_u64(struct argp_state *state, const char *arg, bool size)
{
	uint64_t v;

	if (size ? parse_size(arg, &v) : parse_u64(arg, &v))
		argp_error(state, "invalid %s '%s'", size ? "size" : "number", arg);
	return v;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 's': cfg.size = arg_u64(state, arg, true); break;
	case 'c': cfg.rounds = arg_u64(state, arg, false); break;
	case 'r': cfg.pages = arg_u64(state, arg, false); break;
	case 'S': cfg.seed = arg_u64(state, arg, false); break;
	case OPT_OWNER:
		if (strcmp(arg, "track") && strcmp(arg, "none"))
			argp_error(state, "--owner takes track or none");
		cfg.owner_track = !strcmp(arg, "track");
		break;
	case OPT_TOGGLE: cfg.owner_toggle = arg_u64(state, arg, false); break;
	case OPT_BOUND: cfg.bound = (unsigned int)arg_u64(state, arg, false); break;
	case OPT_LEASED: cfg.leased = (unsigned int)arg_u64(state, arg, false); break;
	case OPT_PRECISE: cfg.precise = arg_u64(state, arg, false); break;
	case OPT_KILLERS: cfg.killers = (unsigned int)arg_u64(state, arg, false); break;
	case OPT_CHILD: cfg.child_domain = arg_u64(state, arg, false); break;
	case OPT_CHILD_NAME: cfg.child_name = arg; break;
	case OPT_HUGE: cfg.huge = true; block = MOCK_HUGE_PAGES; break;
	case 'j': cfg.json = true; break;
	case ARGP_KEY_ARG: argp_error(state, "unexpected argument '%s'", arg); break;
	case ARGP_KEY_END:
		if (cfg.child_domain)
			break;
		if (!mock_size_fits(cfg.size, cfg.huge ? 2 << 20 : mock_page))
			argp_error(state, "--size must be a multiple of %llu within the mock aperture",
				   (unsigned long long)(cfg.huge ? 2 << 20 : mock_page));
		if (!cfg.rounds || !cfg.pages || cfg.pages > cfg.size / mock_page / block)
			argp_error(state, "--rounds and --pages must be at least 1, --pages at most the pages mapped");
		break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static _Noreturn void die(const char *what, int rc, const char *msg)
{
	dirty_nl_die("noloss", what, rc, msg);
}

static void sleep_us(uint64_t us)
{
	struct timespec ts = { .tv_sec = (time_t)(us / 1000000),
			       .tv_nsec = (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint64_t *round_pages(uint64_t r)
{
	return history + (r - 1) * words;
}

/* The session's last reads, told when one of them misses a page. */
#define READ_LOG 16

struct read_log {
	uint64_t c0, h0, s1, n;
	bool clear;
	enum iommudirty_format format;
	uint64_t *bits;
};

/* What one observer session has established so far. */
struct session {
	const char *who;
	char name[32];		/* the lease, or "" for a socket-bound observer */
	uint64_t begun;		/* "started" when the session began */
	uint64_t checked;	/* rounds up to this one are checked (or from before the session) */
	uint64_t *last_s1;	/* per page: "started" after the last clearing read holding it */
	uint64_t settled;	/* pages last marked up to this round must not come back */
	uint64_t *cur;
	uint64_t nreads;
	struct read_log log[READ_LOG];
};

static const char *format_name(enum iommudirty_format f)
{
	static const char *const names[] = {
		[IOMMUDIRTY_FORMAT_RAW] = "raw",
		[IOMMUDIRTY_FORMAT_EXTENTS] = "extents",
		[IOMMUDIRTY_FORMAT_ADAPTIVE] = "adaptive",
	};

	return names[f];
}

/* Say what the session's reads held of page @p, and when it was marked. */
static void tell_history(const struct session *s, uint64_t p, uint64_t upto)
{
	uint64_t first = s->nreads > READ_LOG ? s->nreads - READ_LOG : 0;

	fprintf(stderr, "noloss:   %s%s%s began after round %llu started; page %llu marked in rounds",
		s->who, s->name[0] ? " " : "", s->name, (unsigned long long)s->begun,
		(unsigned long long)p);
	for (uint64_t r = 1; r <= upto && r <= cfg.rounds; r++)
		if (bitmap_test_bit(round_pages(r), p))
			fprintf(stderr, " %llu", (unsigned long long)r);
	fprintf(stderr, "\n");
	for (uint64_t i = first; i < s->nreads; i++) {
		const struct read_log *l = &s->log[i % READ_LOG];

		fprintf(stderr, "noloss:   read %llu (%s, %s): after round %llu completed and %llu harvested, before %llu started: %s\n",
			(unsigned long long)l->n, l->clear ? "clearing" : "no-clear",
			format_name(l->format), (unsigned long long)l->c0,
			(unsigned long long)l->h0, (unsigned long long)l->s1 + 1,
			bitmap_test_bit(l->bits, p) ? "held it" : "did not hold it");
	}
}

/* Pages of the read that were never marked, or came back once settled. */
static void check_invented(const struct session *s, uint64_t *invented, uint64_t *stale)
{
	for (uint64_t p = 0; p < npages; p++) {
		uint64_t lm;

		if (!bitmap_test_bit(s->cur, p))
			continue;
		lm = atomic_load(&last_marked[p]);
		if (!lm || lm <= s->settled) {
			if (*invented + *stale < 5)
				fprintf(stderr, "noloss: %s read page %llu %s\n", s->who,
					(unsigned long long)p, lm ?
					"again after a clearing read that followed its last harvest" :
					"that was never dirtied");
			*(lm ? stale : invented) += 1;
		}
	}
}

/*
 * Check one read (started after round c0 completed and round h0 was
 * harvested, ended before s1+1).
 */
static void check_read(struct session *s, uint64_t c0, uint64_t h0, uint64_t s1, bool clear)
{
	uint64_t missing = 0, checked = 0, extra = 0, invented = 0, stale = 0;
	uint64_t *seen = calloc(words, 8);

	if (!seen)
		die("calloc", -ENOMEM, NULL);
	for (uint64_t r = s->checked + 1; r <= c0; r++) {
		const uint64_t *want = round_pages(r);

		for (uint64_t p = 0; p < npages; p++) {
			if (!bitmap_test_bit(want, p))
				continue;
			checked++;
			if (bitmap_test_bit(s->cur, p) || s->last_s1[p] >= r)
				continue;
			if (missing++ < 5)
				fprintf(stderr, "noloss: %s missed page %llu of round %llu\n",
					s->who, (unsigned long long)p, (unsigned long long)r);
			if (missing == 1)
				tell_history(s, p, s1);
		}
	}
	for (uint64_t r = s->checked + 1; r <= s1; r++)
		for (uint64_t w = 0; w < words; w++)
			seen[w] |= round_pages(r)[w];
	extra = bitmap_count_andnot(s->cur, seen, npages);
	free(seen);
	check_invented(s, &invented, &stale);

	pthread_mutex_lock(&tot.lock);
	tot.reads++;
	tot.clearing += clear;
	tot.checked += checked;
	tot.missing += missing;
	tot.extra += extra;
	tot.invented += invented;
	tot.stale += stale;
	pthread_mutex_unlock(&tot.lock);
	if (clear) {
		uint64_t settled = cfg.owner_track ? h0 : c0;

		for (uint64_t p = 0; p < npages; p++)
			if (bitmap_test_bit(s->cur, p))
				s->last_s1[p] = s1;
		/*
		 * Never back below the session's start: a read that began
		 * before the round current at the enable completed must not
		 * make that round, maybe marked before the observer existed,
		 * the observer's business.
		 */
		if (c0 > s->checked)
			s->checked = c0;
		if (settled > s->settled)
			s->settled = settled;
	}
}

/* One read as the session's observer; returns what the read returned. */
static int session_read(struct session *s, struct dirty_nl *n, const char *name,
			uint64_t *rng)
{
	struct dirty_read req = {
		.domain = domain_id, .name = name,
		.no_clear = rng_next(rng) % 4 == 0,
		.format = rng_next(rng) % 3,
	};
	struct dirty_page_map map = { .bits = s->cur, .base = MOCK_APERTURE_START,
				      .nbits = npages, .page = mock_page };
	struct read_log *l;
	uint64_t c0, h0, s1;
	int rc;

	memset(s->cur, 0, words * 8);
	h0 = atomic_load(&harvested);
	c0 = atomic_load(&completed);
	rc = dirty_nl_read(n, &req, dirty_nl_set_run, &map);
	s1 = atomic_load(&started);
	if (rc)
		return rc;
	l = &s->log[s->nreads % READ_LOG];
	*l = (struct read_log){ .c0 = c0, .h0 = h0, .s1 = s1, .n = ++s->nreads,
				.clear = !req.no_clear, .format = req.format, .bits = l->bits };
	memcpy(l->bits, s->cur, words * 8);
	check_read(s, c0, h0, s1, !req.no_clear);
	return 0;
}

static void session_begin(struct session *s, const char *who)
{
	s->who = who;
	s->last_s1 = calloc(npages, 8);
	s->cur = calloc(words, 8);
	if (!s->last_s1 || !s->cur)
		die("calloc", -ENOMEM, NULL);
	for (int i = 0; i < READ_LOG; i++)
		if (!(s->log[i].bits = calloc(words, 8)))
			die("calloc", -ENOMEM, NULL);
}

/* Rounds that started before the observer existed are not its business. */
static void session_started(struct session *s, const char *name)
{
	snprintf(s->name, sizeof(s->name), "%s", name ? name : "");
	s->nreads = 0;
	s->begun = s->checked = atomic_load(&started);
	s->settled = 0;
	memset(s->last_s1, 0, npages * 8);
	pthread_mutex_lock(&tot.lock);
	tot.sessions++;
	pthread_mutex_unlock(&tot.lock);
}

static void session_end(struct session *s)
{
	free(s->last_s1);
	free(s->cur);
	for (int i = 0; i < READ_LOG; i++)
		free(s->log[i].bits);
}

static void count(uint64_t *what)
{
	pthread_mutex_lock(&tot.lock);
	(*what)++;
	pthread_mutex_unlock(&tot.lock);
}

/*
 * Precise sessions live now: the domain is split while it is above zero
 * (the kernel may merge a little later than the last one ends).
 */
static _Atomic unsigned int precise_live;

static void *bound_observer(void *arg)
{
	uint64_t rng = cfg.seed * 7919 + (uintptr_t)arg;
	struct session s;
	struct dirty_nl n;
	bool precise;
	int rc;

	session_begin(&s, "socket-bound observer");
	/* Sessions 0, N, 2N... ask: no draw, so other runs' streams stay */
	for (uint64_t k = 0; !atomic_load(&finished); k++) {
		rc = dirty_nl_open(&n);
		if (rc)
			die("iommu-dirty", rc, NULL);
		precise = cfg.precise && k % cfg.precise == 0;
		if (precise) {
			rc = dirty_nl_observe_precise(&n, domain_id);
			if (rc)
				die("tracking-set enable --precise", rc, n.errmsg);
			count(&tot.precise);
			if (!atomic_fetch_add(&precise_live, 1))
				count(&tot.precise_splits);
		} else {
			rc = dirty_nl_tracking_set(&n, domain_id, true, NULL, 0);
		}
		if (rc)
			die("tracking-set enable", rc, n.errmsg);
		atomic_fetch_add(&consumers, CONSUMER_START);
		session_started(&s, NULL);
		for (uint64_t k = 5 + rng_next(&rng) % 25; k && !atomic_load(&finished); k--) {
			rc = session_read(&s, &n, NULL, &rng);
			if (rc)
				die("bitmap-get", rc, n.errmsg);
			sleep_us(rng_next(&rng) % 2000);
		}
		/* Half end by request, half by closing the socket */
		atomic_fetch_add(&consumers, CONSUMER_END);
		if (rng_next(&rng) % 2) {
			rc = dirty_nl_tracking_set(&n, domain_id, false, NULL, 0);
			if (rc)
				die("tracking-set disable", rc, n.errmsg);
		}
		dirty_nl_close(&n);
		if (precise && atomic_fetch_sub(&precise_live, 1) == 1 &&
		    !atomic_load(&finished))
			count(&tot.precise_merges);
	}
	session_end(&s);
	return NULL;
}

/* A read as a lease, from a fresh socket like a separate command. */
static int lease_read(struct session *s, const char *name, uint64_t *rng)
{
	struct dirty_nl n;
	int rc = dirty_nl_open(&n);

	if (rc)
		die("iommu-dirty", rc, NULL);
	rc = session_read(s, &n, name, rng);
	if (rc && rc != -ENOENT)
		die("bitmap-get", rc, n.errmsg);
	dirty_nl_close(&n);
	return rc;
}

static int lease_set(const char *name, bool enable, uint32_t lifetime)
{
	struct dirty_nl n;
	int rc = dirty_nl_open(&n);

	if (rc)
		die("iommu-dirty", rc, NULL);
	rc = dirty_nl_tracking_set(&n, domain_id, enable, name, lifetime);
	if (rc && rc != -ENOENT)
		die("tracking-set", rc, n.errmsg);
	dirty_nl_close(&n);
	return rc;
}

static void sleep_until_ns(uint64_t when)
{
	uint64_t now = clock_ns(CLOCK_BOOTTIME);

	if (when > now)
		sleep_us((when - now + 999) / 1000);
}

/* A lease's expiry, on the kernel's clock (CLOCK_BOOTTIME). */
#define SHORT_LEASE_S	1
#define LONG_LEASE_S	3600	/* never reached by a test run */

static void *leased_observer(void *arg)
{
	uint64_t rng = cfg.seed * 104729 + (uintptr_t)arg;
	struct session s;
	char name[32];
	int rc;

	session_begin(&s, "leased observer");
	for (unsigned int i = 0; !atomic_load(&finished); i++) {
		/* One session in five lets a short lease expire */
		bool expire = rng_next(&rng) % 5 == 0;
		uint64_t sent, returned, done;

		snprintf(name, sizeof(name), "noloss-%u-%u", (unsigned int)(uintptr_t)arg, i);
		sent = clock_ns(CLOCK_BOOTTIME);
		if (lease_set(name, true, expire ? SHORT_LEASE_S : LONG_LEASE_S))
			die("tracking-set enable", -ENOENT, name);
		returned = clock_ns(CLOCK_BOOTTIME);
		/* A lease that will expire is never counted live */
		if (!expire)
			atomic_fetch_add(&consumers, CONSUMER_START);
		session_started(&s, name);
		rc = 0;
		for (uint64_t k = 3 + rng_next(&rng) % 10; k && !atomic_load(&finished); k--) {
			rc = lease_read(&s, name, &rng);
			done = clock_ns(CLOCK_BOOTTIME);
			if (rc && (!expire || done < sent + SHORT_LEASE_S * NS_PER_S)) {
				fprintf(stderr, "noloss: lease %s was refused %.3f s after it was asked for, before its %d s lifetime\n",
					name, (double)(done - sent) / NS_PER_S,
					expire ? SHORT_LEASE_S : LONG_LEASE_S);
				count(&tot.vanished);
				break;
			}
			if (rc)
				break;	/* it expired while we read: on a slow machine, fair */
			if (!expire && rng_next(&rng) % 8 == 0) {
				lease_set(name, true, LONG_LEASE_S);
				count(&tot.renewed);
			}
			sleep_us(rng_next(&rng) % 3000);
		}
		if (!expire) {
			atomic_fetch_add(&consumers, CONSUMER_END);
			if (lease_set(name, false, 0))
				die("tracking-set disable", -ENOENT, name);
			continue;
		}
		if (rc) {
			count(&tot.expired_early);
			continue;
		}
		/* Past its deadline on the kernel's own clock, a read must be refused */
		sleep_until_ns(returned + SHORT_LEASE_S * NS_PER_S + NS_PER_S / 100);
		rc = lease_read(&s, name, &rng);
		count(rc == -ENOENT ? &tot.expired : &tot.outlived);
		if (rc != -ENOENT)
			fprintf(stderr, "noloss: lease %s still answered %.3f s after its enable returned\n",
				name, (double)(clock_ns(CLOCK_BOOTTIME) - returned) / NS_PER_S);
	}
	session_end(&s);
	return NULL;
}

/* Start an observer in a child process and kill it at a random moment. */
static void *killer(void *arg)
{
	uint64_t rng = cfg.seed * 15485863 + (uintptr_t)arg;
	char dom[32], name[32];
	pid_t pid;

	snprintf(dom, sizeof(dom), "%llu", (unsigned long long)domain_id);
	for (unsigned int i = 0; !atomic_load(&finished); i++) {
		bool leased = rng_next(&rng) % 2;

		snprintf(name, sizeof(name), "killed-%u-%u", (unsigned int)(uintptr_t)arg, i);
		pid = fork();
		if (pid < 0)
			die("fork", -errno, NULL);
		if (!pid) {
			execl(self_exe, self_exe, "--child-dump", dom,
			      leased ? "--child-name" : NULL, name, (char *)NULL);
			_exit(127);
		}
		sleep_us(5000 + rng_next(&rng) % 60000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		/* A lease outlives its process; end it (it may not have started) */
		if (leased)
			lease_set(name, false, 0);
		count(&tot.killed);
	}
	return NULL;
}

static void ignore_run(void *arg, uint64_t iova, uint64_t pages, uint64_t page_size)
{
	(void)arg, (void)iova, (void)pages, (void)page_size;
}

/* --child-dump: observe and read until killed. */
static int child_dump(void)
{
	struct dirty_read req = { .domain = cfg.child_domain, .name = cfg.child_name };
	struct dirty_nl n;
	int rc = dirty_nl_open(&n);

	if (rc)
		return 3;
	rc = dirty_nl_tracking_set(&n, cfg.child_domain, true, cfg.child_name, 60);
	while (!rc)
		rc = dirty_nl_read(&n, &req, ignore_run, NULL);
	return 3;
}

/* One owner round; returns whether the owner tracked during it. */
static bool owner_round(int fd, uint64_t r, uint64_t *rng, uint64_t *got, bool track)
{
	uint64_t *want = round_pages(r), marked, missing, before, after;
	int rc;

	for (uint64_t n = 0; n < cfg.pages;) {
		uint64_t i = rng_next(rng) % (npages / block) * block;

		if (bitmap_test_bit(want, i))
			continue;
		for (uint64_t p = i; p < i + block; p++) {
			bitmap_set_bit(want, p);
			atomic_store(&last_marked[p], r);
		}
		n++;
	}
	atomic_store(&started, r);
	before = atomic_load(&consumers);
	rc = mock_set_dirty(fd, owner_hwpt, MOCK_APERTURE_START, cfg.size, mock_page,
			    want, &marked);
	after = atomic_load(&consumers);
	if (rc == -EINVAL && !track) {
		/*
		 * The mock refuses to mark when the hardware does not track.
		 * That is right only if no consumer wants tracking: an observer
		 * live from before the marking (and whose end had not begun by
		 * its end) does.
		 */
		if ((uint32_t)before && before >> 32 == after >> 32) {
			fprintf(stderr, "noloss: round %llu: marking refused (hardware not tracking) while %u observers were live\n",
				(unsigned long long)r, (unsigned int)(uint32_t)before);
			count(&tot.refused_live);
		}
		/* The mock recorded nothing: no one may expect these pages */
		memset(want, 0, words * 8);
	} else if (rc) {
		die("IOMMU_TEST_OP_DIRTY", rc, NULL);
	}
	atomic_store(&completed, r);
	if (!track)
		return false;

	memset(got, 0, words * 8);
	rc = iommufd_get_dirty_bitmap(fd, owner_hwpt, MOCK_APERTURE_START, cfg.size,
				      mock_page, got, 0);
	if (rc)
		die("IOMMU_HWPT_GET_DIRTY_BITMAP", rc, NULL);
	atomic_store(&harvested, r);
	missing = bitmap_count_andnot(want, got, npages);
	if (missing)
		fprintf(stderr, "noloss: the owner's harvest of round %llu missed %llu pages\n",
			(unsigned long long)r, (unsigned long long)missing);
	pthread_mutex_lock(&tot.lock);
	tot.owner_harvests++;
	tot.owner_missing += missing;
	tot.owner_extra += bitmap_count_andnot(got, want, npages);
	pthread_mutex_unlock(&tot.lock);
	return true;
}

/* The owner tracks in every round: its harvests must be exactly its pages. */
static bool owner_tracks_throughout(void)
{
	return cfg.owner_track && !cfg.owner_toggle;
}

/* The run's figures, as one JSON object or one line of text. */
static void report(void)
{
	const struct { const char *name; uint64_t v; } f[] = {
		{ "huge", cfg.huge },
		{ "rounds", cfg.rounds },
		{ "owner_harvests", tot.owner_harvests },
		{ "owner_missing", tot.owner_missing },
		{ "owner_extra", tot.owner_extra },
		{ "owner_paused", cfg.owner_track && !owner_tracks_throughout() },
		{ "refused_live", tot.refused_live },
		{ "sessions", tot.sessions },
		{ "reads", tot.reads },
		{ "clearing_reads", tot.clearing },
		{ "pages_checked", tot.checked },
		{ "missing", tot.missing },
		{ "extra", tot.extra },
		{ "invented", tot.invented },
		{ "stale", tot.stale },
		{ "leases_expired", tot.expired },
		{ "leases_expired_while_read", tot.expired_early },
		{ "leases_vanished", tot.vanished },
		{ "leases_outlived", tot.outlived },
		{ "renewed", tot.renewed },
		{ "killed", tot.killed },
		{ "precise_sessions", tot.precise },
		{ "precise_splits", tot.precise_splits },
		{ "precise_merges_in_race", tot.precise_merges },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		printf(cfg.json ? "%s\"%s\":%llu" : "%s%s %llu", i ? (cfg.json ? "," : ", ") :
		       (cfg.json ? "{" : ""), f[i].name, (unsigned long long)f[i].v);
	printf(cfg.json ? "}\n" : "\n");
}

/* Every promise the run checks; see the top of the file. */
static bool failed(void)
{
	return tot.missing || tot.owner_missing || tot.invented || tot.stale ||
	       tot.refused_live || tot.vanished || tot.outlived ||
	       (owner_tracks_throughout() && tot.owner_extra);
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse_opt, NULL,
		"Race the owner of a mock domain against observers; no consumer may miss a page.\v"
		"Exit status: 0 no page missed, 1 a page missed, invented or stale, marking "
		"refused while an observer was live, extra owner pages while it never "
		"paused, or a lease refused early or answering late; 2 usage, 3 an "
		"operation failed.",
		NULL, NULL, NULL
	};
	unsigned int nthreads;
	struct mock_dirty_domain d;
	pthread_t *threads;
	struct dirty_nl n;
	const char *step;
	uint64_t rng, *got;
	bool track;
	void *buf;
	int fd, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	argp_err_exit_status = 2;
	mock_page = (uint64_t)sysconf(_SC_PAGESIZE) / 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	if (cfg.child_domain)
		return child_dump();
	self_exe = "/proc/self/exe";
	npages = cfg.size / mock_page;
	words = BITMAP_WORDS(npages);
	history = calloc(cfg.rounds * words, 8);
	got = calloc(words, 8);
	last_marked = calloc(npages, sizeof(*last_marked));
	nthreads = cfg.bound + cfg.leased + cfg.killers;
	threads = calloc(nthreads + 1, sizeof(*threads));
	if (!history || !got || !threads || !last_marked)
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
	owner_hwpt = d.hwpt;
	track = cfg.owner_track;
	if (track && (rc = iommufd_set_dirty_tracking(fd, owner_hwpt, 1)))
		die("IOMMU_HWPT_SET_DIRTY_TRACKING", rc, NULL);
	rc = dirty_nl_open(&n);
	if (!rc)
		rc = dirty_nl_find_domain(&n, getpid(), owner_hwpt, &domain_id);
	if (rc)
		die("iommu-dirty: finding our domain", rc, n.errmsg);
	dirty_nl_close(&n);

	for (unsigned int i = 0; i < nthreads; i++) {
		void *(*fn)(void *) = i < cfg.bound ? bound_observer :
				      i < cfg.bound + cfg.leased ? leased_observer : killer;

		if (pthread_create(&threads[i], NULL, fn, (void *)(uintptr_t)(i + 1)))
			die("pthread_create", -EAGAIN, NULL);
	}
	rng = cfg.seed;
	for (uint64_t r = 1; r <= cfg.rounds; r++) {
		bool off = cfg.owner_track && cfg.owner_toggle && r % cfg.owner_toggle == 0;

		/* Stop tracking for this round; start again for the next */
		if (off != !track && cfg.owner_track) {
			rc = iommufd_set_dirty_tracking(fd, owner_hwpt, !off);
			if (rc)
				die("IOMMU_HWPT_SET_DIRTY_TRACKING", rc, NULL);
			track = !off;
		}
		owner_round(fd, r, &rng, got, track);
		sleep_us(rng_next(&rng) % 1000);
	}
	atomic_store(&finished, true);
	for (unsigned int i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);

	report();
	close(fd);
	munmap(buf, cfg.size);
	free(history);
	free(got);
	free(threads);
	free((void *)last_marked);
	return failed() ? 1 : 0;
}
