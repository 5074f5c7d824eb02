// SPDX-License-Identifier: GPL-2.0
/*
 * record: observe domains for a while and write every interval's dirty
 * pages to a file (recfile.h, iommu-dirty-record(5)) for `report`. One
 * observer bound to this process's socket per domain, so the owner loses
 * nothing; each interval is one clearing read of each domain, written as
 * soon as it is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "opts.h"
#include "recfile.h"

struct rdom {
	uint64_t id;
	uint64_t since;		/* when the previous read began (recording ns) */
	uint64_t page_size;	/* of its reads; 0 until the kernel says */
	unsigned int failures;	/* reads in a row that failed */
	bool live;		/* observed and recorded now */
	bool seen;		/* in the last dump (--all) */
	struct rec_area *maps;	/* as the last MAPS record has them */
	uint32_t n_maps;
	bool no_maps;		/* the kernel has no map-get: noted once, not tried again */
	bool maps_failed;	/* the last listing failed (noted once until one works) */
};

struct record {
	struct cli_args a;
	uint64_t interval_ms, duration_s, count;
	const char *path;
	bool all;

	int fd;			/* -1 until the domains are started */
	struct rec_buf held;	/* their records until then */
	uint64_t base;		/* CLOCK_MONOTONIC at the start */
	uint64_t realtime;	/* CLOCK_REALTIME then */
	struct rdom *d;		/* every domain met; ended or unobservable ones not live */
	unsigned int n, cap, live, recorded;
	struct rec_buf buf;
	struct rec_runs runs;
	uint64_t intervals, bytes, notes;
	int write_error;
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct record *r = state->input;

	switch (key) {
	case 'i':
		r->interval_ms = cli_arg_interval_ms(state, arg, 3600);
		return 0;
	case 'd':
		if (parse_duration(arg, &r->duration_s) || !r->duration_s)
			argp_error(state, "--duration takes a time such as 90, 90s, 15m, 2h or 1d, "
				   "not '%s'", arg);
		return 0;
	case 'c':
		if (parse_u64(arg, &r->count) || !r->count)
			argp_error(state, "--count takes a positive number, not '%s'", arg);
		return 0;
	case 'o':
		if (!*arg)
			argp_error(state, "--output takes a file name");
		r->path = arg;
		return 0;
	case ARGP_KEY_END:
		if (!r->path)
			argp_error(state, "where to? (-o FILE)");
		if (r->count && r->duration_s)
			argp_error(state, "--count and --duration both say when to stop: give one");
		if (r->duration_s && r->duration_s * 1000 < r->interval_ms)
			argp_error(state, "--duration is shorter than one --interval: no interval "
				   "would be recorded");
		if (r->duration_s > 100ull * 365 * 86400)
			argp_error(state, "--duration takes at most 100 years");
		return 0;
	default:
		return cli_collect(key, arg, state);
	}
}

static uint64_t now(const struct record *r)
{
	return clock_ns(CLOCK_MONOTONIC) - r->base;
}

/* Say the first failure to write (or to build a record) */
static void write_failed(struct cli *c, struct record *r, int error)
{
	char path[TEXT_ESCAPED_SIZE(PATH_MAX)];

	r->write_error = error;
	fprintf(stderr, "iommu-dirtyctl %s: cannot write %s: %s\n", c->cmd,
		text_escape(path, sizeof(path), r->path), strerror(error));
}

/*
 * Write @b whole, with one write() so that a recorder killed leaves whole
 * records. The first failure is kept and said once.
 */
static void write_buf(struct cli *c, struct record *r, const struct rec_buf *b)
{
	size_t done = 0;
	int error = 0;

	if (r->write_error)
		return;
	if (b->failed) {
		error = b->len > REC_HEADER + (size_t)UINT32_MAX ? EFBIG : ENOMEM;
	} else {
		while (done < b->len) {
			ssize_t n = write(r->fd, b->p + done, b->len - done);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				error = n < 0 ? errno : EIO;
				break;
			}
			done += (size_t)n;
		}
		r->bytes += done;
	}
	if (error)
		write_failed(c, r, error);
}

/* The record in r->buf: written, or held until the file is open */
static void emit(struct cli *c, struct record *r)
{
	if (r->fd >= 0 || r->buf.failed) {
		write_buf(c, r, &r->buf);
		return;
	}
	rec_buf_append(&r->held, &r->buf);
	if (r->held.failed && !r->write_error)
		write_failed(c, r, ENOMEM);
}

static void note(struct cli *c, struct record *r, uint64_t id, int error, const char *text)
{
	struct rec_note n = { .t = now(r), .id = id, .error = error, .text = text };

	rec_put_note(&r->buf, &n);
	emit(c, r);
	r->notes++;
}

static struct rdom *find(struct record *r, uint64_t id)
{
	for (unsigned int i = 0; i < r->n; i++)
		if (r->d[i].id == id)
			return &r->d[i];
	return NULL;
}

/* What start_domain() asks of the domain's callback */
struct domain_start {
	struct cli *c;
	struct record *r;
	bool appeared;
	uint64_t page_size;	/* a read's default page: the domain's smallest */
};

/*
 * The DOMAIN record, built in the callback: the strings the library hands
 * over (comm, devices) live only until it returns.
 */
static int put_domain(const struct iommudirty_domain *d, void *arg)
{
	struct domain_start *ds = arg;
	struct rec_domain rd = {
		.t = now(ds->r), .id = d->id, .owner_pid = d->owner_pid, .hwpt_id = d->hwpt_id,
		.mechanism = d->mechanism, .owner_tracking = d->owner_tracking,
		.appeared = ds->appeared, .mapped_bytes = d->mapped_bytes,
		.aperture_start = d->aperture_start, .aperture_end = d->aperture_end,
		.page_size = d->pgsize_bitmap ? d->pgsize_bitmap & -d->pgsize_bitmap : 0,
		.owner_comm = d->owner_comm, .n_devs = d->n_devs, .devs = d->devs,
	};

	ds->page_size = rd.page_size;
	rec_put_domain(&ds->r->buf, &rd);
	emit(ds->c, ds->r);
	return 0;
}

/* map-get's areas, collected */
struct area_list {
	struct rec_area *a;
	uint32_t n, cap;
};

static int add_area(const struct iommudirty_map *m, void *arg)
{
	struct area_list *l = arg;

	if (l->n == l->cap) {
		uint32_t cap = l->cap ? 2 * l->cap : 16;
		struct rec_area *p = cap > l->cap ? realloc(l->a, cap * sizeof(*p)) : NULL;

		if (!p)
			return -ENOMEM;
		l->a = p;
		l->cap = cap;
	}
	l->a[l->n++] = (struct rec_area){ m->iova, m->length, m->writable };
	return 0;
}

static int by_iova(const void *a, const void *b)
{
	const struct rec_area *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/*
 * The kernel lists areas ascending and disjoint; the file must hold them
 * so (a reader takes anything else for damage), whatever a kernel sends.
 */
static void normalize_areas(struct area_list *l)
{
	uint32_t n = 0;

	qsort(l->a, l->n, sizeof(*l->a), by_iova);
	for (uint32_t i = 0; i < l->n; i++) {
		struct rec_area a = l->a[i];
		uint64_t last = n ? l->a[n - 1].iova + (l->a[n - 1].length - 1) : 0;

		if (n && a.iova <= last) {
			if (a.iova + (a.length - 1) <= last)
				continue;
			a.length -= last + 1 - a.iova;
			a.iova = last + 1;
		}
		l->a[n++] = a;
	}
	l->n = n;
}

/* Field by field: a struct's padding is not part of it */
static bool same_areas(const struct area_list *l, const struct rdom *d)
{
	if (l->n != d->n_maps)
		return false;
	for (uint32_t i = 0; i < l->n; i++)
		if (l->a[i].iova != d->maps[i].iova || l->a[i].length != d->maps[i].length ||
		    l->a[i].writable != d->maps[i].writable)
			return false;
	return true;
}

/*
 * Write @d's mapped areas when they differ from those last written (and
 * the first time). A kernel that cannot list them is noted once per
 * domain and the recording goes on without; another failure is noted and
 * the next interval lists them again.
 */
static void record_maps(struct cli *c, struct record *r, struct rdom *d)
{
	struct area_list l = { 0 };
	char text[320];
	int rc;

	if (d->no_maps)
		return;
	rc = iommudirty_maps(c->h, d->id, add_area, &l);
	if (rc) {
		/* a kernel without map-get: never again; anything else: the next interval */
		if (!d->maps_failed || rc == -EOPNOTSUPP) {
			snprintf(text, sizeof(text), "the mapped areas of domain %llu cannot be "
				 "listed%s: %s%s%s", (unsigned long long)d->id,
				 rc == -EOPNOTSUPP ? " (this kernel has no map-get)" : "",
				 strerror(-rc), *iommudirty_errmsg(c->h) ? ": " : "",
				 iommudirty_errmsg(c->h));
			note(c, r, d->id, rc, text);
		}
		d->no_maps = rc == -EOPNOTSUPP;
		d->maps_failed = true;
		free(l.a);
		return;
	}
	d->maps_failed = false;
	normalize_areas(&l);
	if (d->maps && same_areas(&l, d)) {
		free(l.a);
		return;
	}
	rec_put_maps(&r->buf, now(r), d->id, l.a, l.n);
	emit(c, r);
	free(d->maps);
	d->maps = l.a ? l.a : calloc(1, sizeof(*l.a));
	d->n_maps = l.n;
}

/* A new entry in r->d, not live yet; NULL when out of memory */
static struct rdom *add(struct record *r, uint64_t id)
{
	if (r->n == r->cap) {
		unsigned int cap = r->cap ? 2 * r->cap : 16;
		struct rdom *p = realloc(r->d, cap * sizeof(*p));

		if (!p)
			return NULL;
		r->d = p;
		r->cap = cap;
	}
	r->d[r->n] = (struct rdom){ .id = id };
	return &r->d[r->n++];
}

/*
 * Start observing @d from now, and write its DOMAIN record once its
 * backlog is read. With `all`, a domain that cannot be observed (created
 * without dirty tracking, or gone already) is noted once and left not
 * live; a domain named on the command line that cannot be is fatal.
 */
static int start_domain(struct cli *c, struct record *r, struct rdom *d, bool appeared)
{
	struct domain_start ds = { .c = c, .r = r, .appeared = appeared };
	uint64_t since = now(r);
	char text[96];
	int rc = cli_observe_from_now(c->h, d->id);

	if (!rc)
		rc = iommudirty_domain_get(c->h, d->id, put_domain, &ds);
	if (rc && !r->all)
		return cli_fail_domain(c, rc, d->id, "cannot observe domain %llu",
				       (unsigned long long)d->id);
	if (rc) {
		/* an observer that started but could not read stays bound otherwise */
		iommudirty_unobserve(c->h, d->id, NULL, NULL, NULL);
		snprintf(text, sizeof(text), "domain %llu cannot be observed: %s",
			 (unsigned long long)d->id, strerror(-rc));
		note(c, r, d->id, rc, text);
		return 0;
	}
	record_maps(c, r, d);
	d->since = since;
	d->page_size = ds.page_size;
	d->live = true;
	r->live++;
	r->recorded++;
	return 0;
}

/* @error 0: the domain was destroyed; else why its recording ends */
static void end_domain(struct cli *c, struct record *r, struct rdom *d, int error)
{
	struct rec_gone g = { .t = now(r), .id = d->id, .error = error };

	d->live = false;
	r->live--;
	free(d->maps);
	d->maps = NULL;
	d->n_maps = 0;
	rec_put_gone(&r->buf, &g);
	emit(c, r);
	if (error)
		iommudirty_unobserve(c->h, d->id, NULL, NULL, NULL);
}

static int exists(const struct iommudirty_domain *d, void *arg)
{
	(void)d;
	*(bool *)arg = true;
	return 0;
}

struct collect {
	struct rec_runs *runs;
	uint64_t page_size;	/* the read's, as the kernel gave it */
};

static int on_run(uint64_t iova, uint64_t pages, uint64_t page_size, void *arg)
{
	struct collect *col = arg;

	col->page_size = page_size;
	return rec_runs_add(col->runs, iova / page_size, pages);
}

#define RECORD_MAX_FAILURES 10	/* reads in a row before a domain is given up */

/*
 * One clearing read of @d, written as an interval. A read that fails
 * part-way has handed over chunks the kernel cleared for us: they are
 * written, and what it had not sent stays with our observer for the next
 * read. Only our own failure to keep runs (out of memory) loses pages,
 * and the note says so.
 */
static void read_domain(struct cli *c, struct record *r, struct rdom *d)
{
	struct iommudirty_read_opts opts = { .sz = sizeof(opts), .format = IOMMUDIRTY_FORMAT_ADAPTIVE,
					     .page_size = d->page_size };
	struct iommudirty_read_cbs cbs = { .sz = sizeof(cbs), .run = on_run };
	struct rec_interval iv = { .id = d->id, .since = d->since };
	struct collect col = { .runs = &r->runs, .page_size = d->page_size };
	bool there = false;
	char text[320];
	int rc;

	rec_runs_reset(&r->runs);
	iv.begin = now(r);
	rc = iommudirty_read(c->h, d->id, &opts, &cbs, &col);
	iv.end = now(r);
	if (rc == -ENOENT && !r->runs.n) {
		/* the domain, or only our observer of it? */
		iommudirty_domain_get(c->h, d->id, exists, &there);
		if (!there) {
			end_domain(c, r, d, 0);
			return;
		}
	}
	if (col.page_size) {
		iv.page_size = d->page_size = col.page_size;
		rec_put_interval(&r->buf, &iv, &r->runs);
		emit(c, r);
		d->since = iv.begin;
		r->intervals++;
	}
	if (!rc) {
		d->failures = 0;
		return;
	}
	if (!d->failures++) {
		snprintf(text, sizeof(text), "reading domain %llu failed: %s%s%s%s",
			 (unsigned long long)d->id, strerror(-rc),
			 *iommudirty_errmsg(c->h) ? ": " : "", iommudirty_errmsg(c->h),
			 rc == -ENOMEM || rc == -E2BIG || rc == -EINVAL ?
			 " (pages read after the failure were lost)" : "");
		note(c, r, d->id, rc, text);
	}
	if (d->failures == RECORD_MAX_FAILURES)
		end_domain(c, r, d, rc);
}

/* --all: a domain listed now; one not known yet is added, to be started */
static int mark_seen(const struct iommudirty_domain *dom, void *arg)
{
	struct record *r = arg;
	struct rdom *d = find(r, dom->id);

	if (!d)
		d = add(r, dom->id);
	if (!d)
		return -ENOMEM;
	d->seen = true;
	return 0;
}

/* --all: start the domains that appeared, end those no longer listed. */
static int rescan(struct cli *c, struct record *r, bool first)
{
	unsigned int known = r->n;
	int rc;

	for (unsigned int i = 0; i < r->n; i++)
		r->d[i].seen = false;
	rc = iommudirty_domains(c->h, mark_seen, r);
	if (rc)
		return cli_fail(c, rc, "cannot list domains");
	for (unsigned int i = 0; i < known; i++)
		if (r->d[i].live && !r->d[i].seen)
			end_domain(c, r, &r->d[i], 0);
	for (unsigned int i = known; i < r->n; i++) {
		rc = start_domain(c, r, &r->d[i], !first);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Create the file once the domains are started (a bad domain leaves any
 * file of that name alone), and write the header, START and the records
 * held until then.
 */
static int begin_file(struct cli *c, struct record *r)
{
	char path[TEXT_ESCAPED_SIZE(PATH_MAX)], host[256], kernel[512];
	struct rec_start s = { .interval_ns = r->interval_ms * 1000000u,
			       .tool = iommudirty_version(), .realtime_ns = r->realtime,
			       .monotonic_ns = r->base, .host = host, .kernel = kernel };
	struct utsname u;

	if (uname(&u)) {
		strcpy(host, "?");
		strcpy(kernel, "?");
	} else {
		snprintf(host, sizeof(host), "%s", u.nodename);
		snprintf(kernel, sizeof(kernel), "%s %s %s", u.release, u.version, u.machine);
	}
	r->fd = open(r->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (r->fd < 0) {
		fprintf(stderr, "iommu-dirtyctl %s: cannot create %s: %s\n", c->cmd,
			text_escape(path, sizeof(path), r->path), strerror(errno));
		return EXIT_FAILED;
	}
	rec_file_header(&r->buf);
	write_buf(c, r, &r->buf);
	rec_put_start(&r->buf, &s);
	write_buf(c, r, &r->buf);
	write_buf(c, r, &r->held);
	return r->write_error ? EXIT_FAILED : 0;
}

/* The domains named on the command line */
static int start_named(struct cli *c, struct record *r)
{
	for (int i = 0; i < r->a.argc;) {
		uint64_t id;
		int rc = cli_select_domain(c, r->a.argc, r->a.argv, &i, &id);

		if (rc)
			return rc;
		if (find(r, id))
			return cli_usage(c, "domain %llu is named twice", (unsigned long long)id);
		if (!add(r, id))
			return cli_fail(c, -ENOMEM, "record");
		rc = start_domain(c, r, &r->d[r->n - 1], false);
		if (rc)
			return rc;
	}
	return 0;
}

static void summary(struct cli *c, const struct record *r, uint64_t ns)
{
	char path[TEXT_ESCAPED_SIZE(PATH_MAX)], size[32];

	if (c->json) {
		json_obj_open(&c->j, NULL);
		json_str(&c->j, "file", r->path);
		json_u64(&c->j, "domains", r->recorded);
		json_u64(&c->j, "intervals", r->intervals);
		json_u64(&c->j, "notes", r->notes);
		json_u64(&c->j, "file_bytes", r->bytes);
		json_double(&c->j, "seconds", (double)ns / 1e9);
		json_obj_close(&c->j);
		json_end(&c->j);
		return;
	}
	cli_size(c, size, sizeof(size), r->bytes);
	printf("recorded %llu intervals of %u domain%s in %.1f s to %s (%s)",
	       (unsigned long long)r->intervals, r->recorded, r->recorded == 1 ? "" : "s",
	       (double)ns / 1e9,
	       text_escape(path, sizeof(path), r->path), size);
	if (r->notes)
		printf(", %llu note%s (see report)", (unsigned long long)r->notes,
		       r->notes == 1 ? "" : "s");
	printf("\n");
}

static int run(struct cli *c, struct record *r)
{
	uint64_t next, stop_at = UINT64_MAX;
	int rc;

	r->realtime = clock_ns(CLOCK_REALTIME);
	next = r->base = clock_ns(CLOCK_MONOTONIC);
	rc = (r->all ? rescan(c, r, true) : start_named(c, r)) ?: begin_file(c, r);
	if (rc)
		return rc;
	if (r->duration_s)
		stop_at = next + r->duration_s * 1000000000u;
	for (uint64_t k = 0; !cli_stop && !r->write_error && (!r->count || k < r->count); k++) {
		next = cli_next_tick(next, r->interval_ms * 1000000u);
		if (next > stop_at)
			break;
		cli_sleep_until(next);
		if (cli_stop)
			break;
		if (r->all && (rc = rescan(c, r, false)))
			return rc;
		for (unsigned int i = 0; i < r->n; i++) {
			if (r->d[i].live)
				read_domain(c, r, &r->d[i]);
			/* areas mapped since show from the next interval on */
			if (r->d[i].live)
				record_maps(c, r, &r->d[i]);
		}
		if (!r->all && !r->live) {
			note(c, r, 0, 0, "every domain recorded has gone: the recording ends");
			break;
		}
	}
	rec_put_end(&r->buf, now(r), r->intervals);
	emit(c, r);
	if (!r->write_error && fsync(r->fd) && errno != EINVAL)
		write_failed(c, r, errno);
	if (r->write_error)
		return EXIT_FAILED;
	summary(c, r, now(r));
	return cli_output_ok(c) ? EXIT_OK : EXIT_FAILED;
}

int cmd_record(struct cli *c, int argc, char **argv)
{
	static const struct argp_option options[] = {
		{ "output", 'o', "FILE", 0, "Write the recording to FILE (replaced)", 0 },
		{ "interval", 'i', "SECONDS", 0, "Length of each interval (default 1)", 0 },
		{ "duration", 'd', "TIME", 0,
		  "Stop after TIME (90, 90s, 15m, 2h, 1d); default: at SIGINT or SIGTERM", 0 },
		{ "count", 'c', "N", 0, "Stop after N intervals", 0 },
		{ 0 }
	};
	static const struct argp argp = {
		options, parse_opt, "DOMAIN... | all",
		"Record the DMA-dirtied pages of domains, interval by interval, to a file "
		"for `report` (format: iommu-dirty-record(5)). Each domain is observed by "
		"this process: the owner loses nothing. With `all`, domains created during "
		"the recording are recorded from when they appear; a domain that ends is "
		"noted in the file.\v"
		"DOMAIN := " CLI_DOMAIN_SYNTAX, NULL, NULL, NULL
	};
	struct record r = { .interval_ms = 1000, .fd = -1 };
	int rc = cli_parse(c, &argp, argc, argv, &r);

	if (rc)
		return rc;
	if (!r.a.argc)
		return cli_usage(c, "which domains? (DOMAIN... or all)");
	if (!strcmp(r.a.argv[0], "all")) {
		if (r.a.argc > 1)
			return cli_usage(c, "'all' records every domain: name no other");
		r.all = true;
	}
	rc = cli_need_caps(c, true) ?: cli_connect(c);
	if (rc)
		return rc;
	cli_catch_signals();
	rc = run(c, &r);
	if (r.fd >= 0)
		close(r.fd);
	for (unsigned int i = 0; i < r.n; i++)
		free(r.d[i].maps);
	free(r.d);
	rec_buf_free(&r.buf);
	rec_buf_free(&r.held);
	rec_runs_free(&r.runs);
	return rc;
}
