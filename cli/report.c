// SPDX-License-Identifier: GPL-2.0
/*
 * report: what a recording (record.c, recfile.h) says, per domain: the DMA
 * dirty rate over time, the working set's growth, the hottest IOVA ranges
 * and, with --bandwidth, the pre-copy verdict of `rate`'s model; or, with
 * --intervals, every interval's dirty extents. The file is read twice: the
 * first pass finds each domain's dirty span, the second counts the heat of
 * ranges of it, so memory does not grow with the recording's length beyond
 * one figure per interval and one bit per distinct page.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "model.h"
#include "opts.h"
#include "pageset.h"
#include "plot.h"
#include "recfile.h"
#include "report.h"

static const unsigned int wss_marks[] = { 1, 10, 60, 600, 3600, 86400 };

enum { OPT_BANDWIDTH = 256, OPT_DOWNTIME, OPT_TOP, OPT_INTERVALS, OPT_HEATMAP, OPT_WSS,
       OPT_RESOLUTION, OPT_TIME_RANGE, OPT_IOVA_RANGE, OPT_DOMAIN };

/* "A-B" of two numbers parsed by @parse; 0 or -EINVAL */
static int parse_range(const char *arg, int (*parse)(const char *, uint64_t *), uint64_t *lo,
		       uint64_t *hi)
{
	char buf[64];
	char *dash;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	dash = strchr(buf, '-');
	if (!dash)
		return -EINVAL;
	*dash = '\0';
	if (parse(buf, lo) || parse(dash + 1, hi) || *hi <= *lo)
		return -EINVAL;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct report *r = state->input;

	switch (key) {
	case OPT_BANDWIDTH:
		r->bandwidth = cli_arg_rate(state, "--bandwidth", arg, false);
		return 0;
	case OPT_DOWNTIME:
		r->downtime_ms = cli_arg_downtime_ms(state, arg);
		return 0;
	case OPT_TOP:
		if (parse_u64(arg, &r->top) || !r->top || r->top > HOT_BUCKETS)
			argp_error(state, "--top takes 1 to %d ranges, not '%s'", HOT_BUCKETS, arg);
		return 0;
	case OPT_INTERVALS:
		r->intervals = true;
		return 0;
	case OPT_HEATMAP:
		r->heatmap = true;
		return 0;
	case OPT_WSS:
		r->wss = true;
		return 0;
	case 'o':
		if (plot_format(arg) < 0)
			argp_error(state, "--output takes a file ending in .png or .svg, not '%s'", arg);
		r->output = arg;
		return 0;
	case OPT_RESOLUTION: {
		unsigned int w, h;
		char end;

		if (sscanf(arg, "%ux%u%c", &w, &h, &end) != 2 || w < 4 || h < 4 || w > 4096 ||
		    h > 4096)
			argp_error(state, "--resolution takes WIDTHxHEIGHT, 4 to 4096 each, not '%s'",
				   arg);
		r->res_w = w;
		r->res_h = h;
		return 0;
	}
	case OPT_TIME_RANGE:
		/* at most 100 years: ns fit in 64 bits */
		if (parse_range(arg, parse_seconds_ms, &r->time_lo, &r->time_hi) ||
		    r->time_hi > 100ull * 365 * 86400 * 1000)
			argp_error(state, "--time-range takes START-END in seconds since the "
				   "recording began (e.g. 10-70.5), not '%s'", arg);
		return 0;
	case OPT_IOVA_RANGE:
		if (parse_range(arg, parse_u64, &r->iova_lo, &r->iova_hi))
			argp_error(state, "--iova-range takes START-END (e.g. 0x100000-0x4000000), "
				   "not '%s'", arg);
		return 0;
	case OPT_DOMAIN:
		if (parse_u64(arg, &r->domain) || !r->domain)
			argp_error(state, "--domain takes a domain id of the recording, not '%s'", arg);
		return 0;
	case ARGP_KEY_END:
		if (r->heatmap + r->wss + r->intervals > 1)
			argp_error(state, "--heatmap, --wss and --intervals are views: pick one");
		if ((r->output || r->res_w || r->time_hi || r->iova_hi || r->domain) &&
		    !r->heatmap && !r->wss)
			argp_error(state, "--output, --resolution, --time-range, --iova-range and "
				   "--domain go with --heatmap or --wss");
		return 0;
	default:
		return cli_collect(key, arg, state);
	}
}

struct dstat *report_find(struct report *r, uint64_t id)
{
	for (unsigned int i = 0; i < r->n; i++)
		if (r->d[i].id == id)
			return &r->d[i];
	return NULL;
}

static int add_domain(struct report *r, const struct rec_domain *rd)
{
	struct dstat *d = report_find(r, rd->id), *p;

	if (d)
		return 0;	/* a domain is recorded once; a repeat changes nothing */
	p = realloc(r->d, (r->n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->d = p;
	d = &r->d[r->n++];
	memset(d, 0, sizeof(*d));
	d->id = rd->id;
	d->owner_pid = rd->owner_pid;
	snprintf(d->comm, sizeof(d->comm), "%s", rd->owner_comm);
	d->page_size = rd->page_size;
	d->mapped_bytes = rd->mapped_bytes;
	d->aperture_start = rd->aperture_start;
	d->aperture_end = rd->aperture_end;
	d->appeared = rd->appeared;
	d->t_start = d->t_end = rd->t;
	d->lo = UINT64_MAX;
	return 0;
}

/* An area's last byte */
static uint64_t u_last(const struct rec_area *a)
{
	return a->iova + (a->length - 1);
}

/*
 * A MAPS record: the last layout's figures, and its areas joined into the
 * union of every area ever mapped (both lists ascending and disjoint).
 */
static int add_maps(struct report *r, const struct rec_maps *m)
{
	struct dstat *d = report_find(r, m->id);
	struct rec_area a, *u;
	size_t i = 0, n = 0;
	uint32_t k = 0;

	if (!d)
		return 0;	/* of a domain not recorded: nothing to draw it on */
	u = malloc((d->n_ever + m->count + 1) * sizeof(*u));
	if (!u)
		return -ENOMEM;
	d->maps_areas = m->count;
	d->maps_bytes = d->maps_writable = 0;
	while (i < d->n_ever || k < m->count) {
		if (k < m->count)
			rec_maps_area(m, k, &a);
		if (k == m->count || (i < d->n_ever && d->ever[i].iova < a.iova)) {
			a = d->ever[i++];
		} else {
			k++;
			d->maps_bytes += a.length;
			d->maps_writable += a.writable ? a.length : 0;
		}
		/* joined with the last one where they touch or overlap (last bytes: no wrap) */
		if (n && (a.iova <= u_last(&u[n - 1]) || a.iova - 1 == u_last(&u[n - 1]))) {
			uint64_t last = a.iova + (a.length - 1);

			if (last > u_last(&u[n - 1]))
				u[n - 1].length = last - u[n - 1].iova + 1 ? last - u[n - 1].iova + 1 :
					UINT64_MAX;
		} else {
			u[n++] = a;
		}
	}
	free(d->ever);
	d->ever = u;
	d->n_ever = n;
	d->have_maps = true;
	d->maps_records++;
	return 0;
}

uint64_t report_unmapped(const struct dstat *d, uint64_t lo, uint64_t hi)
{
	uint64_t mapped = 0;

	if (!d->have_maps)
		return UINT64_MAX;
	for (size_t i = 0; i < d->n_ever && lo < hi; i++) {
		uint64_t a = d->ever[i].iova, b = a + d->ever[i].length;

		if (!b)
			b = UINT64_MAX;		/* an area up to 2^64: near enough */
		a = a > lo ? a : lo;
		b = b < hi ? b : hi;
		if (a < b)
			mapped += b - a;
	}
	return hi > lo ? hi - lo - mapped : 0;
}

static int span_run(uint64_t iova, uint64_t pages, void *arg)
{
	struct dstat *d = arg;

	/* a run outside the domain's aperture (last byte aperture_end) is damage,
	 * not a reason to allocate for it */
	if (d->aperture_end && (iova < d->aperture_start || iova > d->aperture_end ||
				pages > (d->aperture_end - iova) / d->page_size + 1))
		return -EBADMSG;
	if (iova < d->lo)
		d->lo = iova;
	if (iova + pages * d->page_size > d->hi)
		d->hi = iova + pages * d->page_size;
	return pageset_add_run(&d->ws, iova / d->page_size, pages);
}

/* First pass: each interval's rate, the working set as it grows, the span */
static int first_interval(struct report *r, const struct rec_interval *iv)
{
	struct dstat *d = report_find(r, iv->id);
	double s = (double)(iv->begin - iv->since) / 1e9;
	int rc;

	if (!d) {
		r->why = "an interval of a domain no record introduced";
		return -EBADMSG;
	}
	if (d->page_size && iv->page_size != d->page_size) {
		r->why = "an interval's page size is not its domain's";
		return -EBADMSG;
	}
	if (iv->begin < iv->since || iv->end < iv->begin ||
	    (d->mapped_bytes && iv->pages > d->mapped_bytes / iv->page_size)) {
		r->why = "an interval whose times or page count cannot be";
		return -EBADMSG;
	}
	d->page_size = iv->page_size;
	r->why = "an interval's runs lie outside its domain";
	rc = rec_interval_runs(iv, span_run, d);
	if (rc)
		return rc;
	if (d->intervals == d->rates_cap) {
		size_t cap = d->rates_cap ? 2 * d->rates_cap : 64;
		double *p = realloc(d->rates, cap * sizeof(*p));
		struct wss_point *w = p ? realloc(d->series, cap * sizeof(*w)) : NULL;

		if (p)
			d->rates = p;
		if (!w)
			return -ENOMEM;
		d->series = w;
		d->rates_cap = cap;
	}
	d->rates[d->intervals] = s > 0 ? (double)(iv->pages * iv->page_size) / s : 0;
	d->series[d->intervals++] = (struct wss_point){ iv->begin, d->ws.count };
	d->seconds += s;
	d->pages += iv->pages;
	if (d->intervals == 1 || iv->since < d->first_since)
		d->first_since = iv->since;
	d->last_begin = iv->begin;
	d->t_end = iv->end;
	return 0;
}

/* The bucket @iova is in, or the one after it: a binary search */
static unsigned int bucket_of(const struct dstat *d, uint64_t iova)
{
	unsigned int lo = 0, hi = d->n_buckets;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (d->bucket_hi[mid] <= iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A run of an interval, added to the buckets it falls in */
static int heat_run(uint64_t iova, uint64_t pages, void *arg)
{
	struct report *r = arg;
	struct dstat *d = r->cur;
	uint64_t end = iova + pages * d->page_size;

	for (unsigned int b = bucket_of(d, iova);
	     b < d->n_buckets && iova < end && d->bucket_lo[b] < end; b++) {
		uint64_t from = iova > d->bucket_lo[b] ? iova : d->bucket_lo[b];
		uint64_t stop = d->bucket_hi[b] < end ? d->bucket_hi[b] : end;

		if (from >= stop)
			continue;
		d->heat[b] += (stop - from) / d->page_size;
		if (d->hit_last[b] != r->ordinal) {
			d->hit_last[b] = r->ordinal;
			d->hit[b]++;
		}
		iova = stop;
	}
	return 0;
}

/* --intervals: one interval's extents */
static int print_run(uint64_t iova, uint64_t pages, void *arg)
{
	struct cli *c = arg;

	if (c->json)
		cli_json_extent(&c->j, iova, pages);
	else
		printf(" 0x%llx+%llu", (unsigned long long)iova, (unsigned long long)pages);
	return 0;
}

static int print_interval(struct cli *c, const struct rec_interval *iv)
{
	int rc;

	if (c->json) {
		json_obj_open(&c->j, NULL);
		json_str(&c->j, "type", "interval");
		json_u64(&c->j, "domain_id", iv->id);
		json_u64(&c->j, "since_ns", iv->since);
		json_u64(&c->j, "begin_ns", iv->begin);
		json_u64(&c->j, "end_ns", iv->end);
		json_u64(&c->j, "page_size", iv->page_size);
		json_u64(&c->j, "dirty_pages", iv->pages);
		json_arr_open(&c->j, "extents");
	} else {
		printf("%.3f-%.3f s  domain %llu  %llu pages:", (double)iv->begin / 1e9,
		       (double)iv->end / 1e9, (unsigned long long)iv->id,
		       (unsigned long long)iv->pages);
	}
	rc = rec_interval_runs(iv, print_run, c);
	if (c->json) {
		json_arr_close(&c->j);
		json_obj_close(&c->j);
		json_end(&c->j);
	} else {
		printf("\n");
	}
	return rc;
}

/* The recording's header, copied out of the reader's buffer */
static void take_start(struct report *r, const struct rec_reader *rd)
{
	r->start = rd->u.start;
	snprintf(r->host, sizeof(r->host), "%s", rd->u.start.host);
	snprintf(r->kernel, sizeof(r->kernel), "%s", rd->u.start.kernel);
	snprintf(r->tool, sizeof(r->tool), "%s", rd->u.start.tool);
	r->start.host = r->host;
	r->start.kernel = r->kernel;
	r->start.tool = r->tool;
}

/* One pass over the file from its start. */
static void print_note(struct cli *c, const struct rec_note *n)
{
	char text[TEXT_ESCAPED_SIZE(REC_MAX_STR)];

	if (!c->json) {
		printf("  %9.3f s  %s\n", (double)n->t / 1e9, text_escape(text, sizeof(text), n->text));
		return;
	}
	json_obj_open(&c->j, NULL);
	json_double(&c->j, "seconds", (double)n->t / 1e9);
	json_u64(&c->j, "domain_id", n->id);
	json_i64(&c->j, "error", n->error);
	json_str(&c->j, "text", n->text);
	json_obj_close(&c->j);
}

/* One record in the pass @mode; 0 or a negative errno (-EBADMSG with r->why) */
static int take(struct cli *c, struct report *r, enum pass mode, const struct rec_reader *rd,
		int type)
{
	if (mode == PASS_FIRST && type != REC_START && !r->have_start) {
		r->why = "the first record is not the recording's start";
		return -EBADMSG;
	}
	switch (type) {
	case REC_START:
		if (mode == PASS_FIRST && r->have_start) {
			r->why = "a second start record";
			return -EBADMSG;
		}
		if (mode == PASS_FIRST)
			take_start(r, rd);
		r->have_start = true;
		return 0;
	case REC_DOMAIN:
		return mode == PASS_FIRST ? add_domain(r, &rd->u.domain) : 0;
	case REC_INTERVAL:
		if (mode == PASS_FIRST) {
			r->n_intervals++;
			return first_interval(r, &rd->u.interval);
		}
		if (mode == PASS_INTERVALS)
			return print_interval(c, &rd->u.interval);
		if (mode == PASS_GRID)
			return report_grid_interval(r, &rd->u.interval);
		if (mode == PASS_HEAT) {
			r->cur = report_find(r, rd->u.interval.id);
			r->ordinal++;
			return r->cur->n_buckets ? rec_interval_runs(&rd->u.interval, heat_run, r) : 0;
		}
		return 0;
	case REC_MAPS:
		return mode == PASS_FIRST ? add_maps(r, &rd->u.maps) : 0;
	case REC_GONE:
		if (mode == PASS_FIRST && report_find(r, rd->u.gone.id))
			report_find(r, rd->u.gone.id)->gone = true;
		return 0;
	case REC_NOTE:
		r->notes += mode == PASS_FIRST;
		if (mode == PASS_NOTES)
			print_note(c, &rd->u.note);
		return 0;
	case REC_END:
		r->ended = true;
		r->end_t = rd->u.end.t;
		return 0;
	}
	return 0;
}

/*
 * One pass over the file from its start. The first pass finds where the
 * file stops being whole (a cut or damage); the others stop there too, so
 * every figure comes from the same records.
 */
int report_pass(struct cli *c, struct report *r, FILE *f, enum pass mode)
{
	char path[TEXT_ESCAPED_SIZE(PATH_MAX)];
	struct rec_reader rd;
	uint64_t n = 0, at = 0;
	int type = 0, rc;

	text_escape(path, sizeof(path), r->path);
	if (fseek(f, 0, SEEK_SET))
		return cli_fail(c, -errno, "cannot read %s", path);
	rc = rec_open(&rd, f);
	r->why = rd.why;
	r->major = rd.major;
	r->minor = rd.minor;
	while (!rc && (mode == PASS_FIRST || n < r->records)) {
		at = rd.offset;
		r->why = NULL;
		type = rec_next(&rd);
		if (type <= 0) {
			rc = type;
			r->why = rd.why;
			break;
		}
		rc = take(c, r, mode, &rd, type);
		n += !rc;
	}
	if (rc == -EBADMSG && mode == PASS_FIRST && r->have_start) {
		/* a cut or damaged tail: report what came before it */
		r->cut = true;
		r->cut_why = r->why ? r->why : "damaged";
		r->cut_offset = at;
		rc = 0;
	} else if (rc == -EBADMSG) {
		fprintf(stderr, "iommu-dirtyctl %s: %s: %s (at byte %llu)\n", c->cmd, path,
			r->why ? r->why : "damaged", (unsigned long long)rd.offset);
		rec_close(&rd);
		return EXIT_FAILED;
	}
	rec_close(&rd);
	if (rc)
		return cli_fail(c, rc, "cannot read %s", path);
	if (mode == PASS_FIRST && !r->have_start) {
		fprintf(stderr, "iommu-dirtyctl %s: %s: holds no recording (it was cut before its "
			"start record)\n", c->cmd, path);
		return EXIT_FAILED;
	}
	if (mode == PASS_FIRST)
		r->records = n;
	return 0;
}

/* Bytes/s over the intervals read; 0 when they took no time */
static double mean_rate(const struct dstat *d)
{
	return d->seconds > 0 ? (double)d->pages * (double)d->page_size / d->seconds : 0;
}

/*
 * The working set @secs into the domain's recording: the distinct pages of
 * the intervals whose read began by then. A mark before the first read or
 * after the last one says nothing: false.
 */
static bool wss_at(const struct dstat *d, unsigned int secs, uint64_t *pages)
{
	uint64_t t = d->t_start + secs * 1000000000ull;
	size_t i = 0;

	while (i < d->intervals && d->series[i].t <= t)
		i++;
	if (!i || i == d->intervals)
		return false;
	*pages = d->series[i - 1].pages;
	return true;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @d's interval rates (min first, max last) and returns their median */
static double median_rate(struct dstat *d)
{
	size_t n = d->intervals;

	qsort(d->rates, n, sizeof(*d->rates), cmp_double);
	return n % 2 ? d->rates[n / 2] : (d->rates[n / 2 - 1] + d->rates[n / 2]) / 2;
}

/*
 * Buckets for the heat pass: the heatmap's IOVA axis (the ranges ever
 * dirty, large holes left out) cut in pieces of one power-of-two size, at
 * most HOT_BUCKETS of them, so a hot range never spans a hole.
 */
static int size_buckets(struct report *r)
{
	for (unsigned int i = 0; i < r->n; i++) {
		struct dstat *d = &r->d[i];
		uint64_t b = d->page_size ? d->page_size : 4096, (*axis)[2], total;
		unsigned int n, k = 0;

		if (d->lo >= d->hi)
			continue;
		n = report_axis(r, d, &axis);
		if (!axis)
			return -ENOMEM;
		/* the axis has fewer than 65 ranges: holes are over 1/64 of its span */
		do {
			total = 0;
			for (unsigned int a = 0; a < n; a++)
				total += (axis[a][1] - axis[a][0] - 1) / b + 1;
		} while (total > HOT_BUCKETS && (b *= 2));
		for (unsigned int a = 0; a < n && total <= HOT_BUCKETS; a++) {
			for (uint64_t lo = axis[a][0]; lo < axis[a][1] && lo >= axis[a][0]; lo += b) {
				d->bucket_lo[k] = lo;
				d->bucket_hi[k] = axis[a][1] - lo > b ? lo + b : axis[a][1];
				k++;
			}
		}
		free(axis);
		d->bucket = b;
		d->n_buckets = k;
	}
	return 0;
}

/* The hottest buckets of @d, hottest first, into @order; how many */
static unsigned int hottest(const struct dstat *d, unsigned int *order, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int b = 0; b < HOT_BUCKETS; b++) {
		unsigned int at = n;

		if (!d->heat[b])
			continue;
		while (at > 0 && d->heat[order[at - 1]] < d->heat[b])
			at--;
		if (at >= max)
			continue;
		if (n < max)
			n++;
		memmove(&order[at + 1], &order[at], (n - 1 - at) * sizeof(*order));
		order[at] = b;
	}
	return n;
}

/* The pre-copy verdict of @d's recorded mean rate (--bandwidth), as `rate` gives it */
static void estimate(const struct report *r, const struct dstat *d, struct precopy *in,
		     struct precopy_result *res)
{
	*in = (struct precopy){ .memory = (double)d->mapped_bytes,
				.dirty_rate = mean_rate(d),
				.bandwidth = (double)r->bandwidth,
				.downtime = (double)r->downtime_ms / 1000 };
	precopy_estimate(in, res);
}

static void text_domain(struct cli *c, struct report *r, struct dstat *d, bool *slow)
{
	char a[32], b[32], m[32], mean[32], comm[TEXT_ESCAPED_SIZE(64)];
	unsigned int order[HOT_BUCKETS], n;
	double med;

	cli_size(c, m, sizeof(m), d->mapped_bytes);
	cli_size(c, a, sizeof(a), d->page_size);
	printf("\ndomain %llu  owner %s (pid %u)  mapped %s  page %s  recorded %.1f-%.1f s%s%s\n",
	       (unsigned long long)d->id, text_escape(comm, sizeof(comm), d->comm), d->owner_pid, m,
	       a, (double)d->t_start / 1e9,
	       (double)d->t_end / 1e9, d->appeared ? "  (appeared)" : "",
	       d->gone ? "  (ended)" : "");
	if (d->have_maps) {
		cli_size(c, a, sizeof(a), d->maps_bytes);
		cli_size(c, b, sizeof(b), d->maps_writable);
		printf("  mapped areas     %llu (%s, %s writable) at the end; %llu layout%s recorded\n",
		       (unsigned long long)d->maps_areas, a, b,
		       (unsigned long long)d->maps_records, d->maps_records == 1 ? "" : "s");
	}
	if (!d->intervals) {
		printf("  no interval was read\n");
		return;
	}
	med = median_rate(d);
	cli_size(c, a, sizeof(a), (uint64_t)d->rates[0]);
	cli_size(c, b, sizeof(b), (uint64_t)med);
	cli_size(c, m, sizeof(m), (uint64_t)d->rates[d->intervals - 1]);
	cli_size(c, mean, sizeof(mean), (uint64_t)mean_rate(d));
	printf("  DMA dirty rate   min %s/s  median %s/s  max %s/s  mean %s/s  (%llu intervals)\n",
	       a, b, m, mean, (unsigned long long)d->intervals);
	printf("  working set     ");
	for (size_t k = 0; k < sizeof(wss_marks) / sizeof(wss_marks[0]); k++) {
		uint64_t pages;

		if (!wss_at(d, wss_marks[k], &pages))
			continue;
		cli_size(c, a, sizeof(a), pages * d->page_size);
		printf(" %us: %llu pages (%s)", wss_marks[k], (unsigned long long)pages, a);
	}
	cli_size(c, a, sizeof(a), d->ws.count * d->page_size);
	printf("  all: %llu pages (%s)\n", (unsigned long long)d->ws.count, a);
	n = hottest(d, order, (unsigned int)r->top);
	printf("  hottest IOVA ranges (dirty pages summed over intervals; intervals dirty)\n");
	for (unsigned int k = 0; k < n; k++) {
		printf("    0x%llx-0x%llx  %llu pages  %.1f%%  %llu/%llu intervals\n",
		       (unsigned long long)d->bucket_lo[order[k]],
		       (unsigned long long)(d->bucket_hi[order[k]] - 1),
		       (unsigned long long)d->heat[order[k]],
		       100.0 * (double)d->heat[order[k]] / (double)d->pages,
		       (unsigned long long)d->hit[order[k]], (unsigned long long)d->intervals);
	}
	if (r->bandwidth) {
		struct precopy in;
		struct precopy_result res;

		estimate(r, d, &in, &res);
		printf("  pre-copy over %.0f Mbit/s, downtime %llu ms: ", in.bandwidth * 8 / 1e6,
		       (unsigned long long)r->downtime_ms);
		if (res.converges)
			printf("converges after %u passes, downtime %.0f ms, total %.1f s\n",
			       res.passes, res.downtime * 1e3, res.total);
		else
			printf("does not converge (after %u passes the stop would take %.1f s)\n",
			       res.passes, res.downtime);
		*slow |= !res.converges;
	}
}

static void json_domain(struct cli *c, struct report *r, struct dstat *d, bool *slow)
{
	struct json *j = &c->j;
	unsigned int order[HOT_BUCKETS], n;

	json_obj_open(j, NULL);
	json_u64(j, "id", d->id);
	json_u64(j, "owner_pid", d->owner_pid);
	json_str(j, "owner_comm", d->comm);
	json_u64(j, "mapped_bytes", d->mapped_bytes);
	json_u64(j, "page_size", d->page_size);
	json_bool(j, "appeared", d->appeared);
	json_bool(j, "ended", d->gone);
	json_u64(j, "start_ns", d->t_start);
	json_u64(j, "end_ns", d->t_end);
	json_u64(j, "intervals", d->intervals);
	json_u64(j, "dirty_pages", d->pages);
	if (d->have_maps) {
		json_obj_open(j, "mapped_areas");
		json_u64(j, "areas", d->maps_areas);
		json_u64(j, "bytes", d->maps_bytes);
		json_u64(j, "writable_bytes", d->maps_writable);
		json_u64(j, "layouts", d->maps_records);
		json_obj_close(j);
	}
	if (d->intervals) {
		double med = median_rate(d);

		json_obj_open(j, "dma_dirty_rate");
		json_double(j, "min_bytes_per_second", d->rates[0]);
		json_double(j, "median_bytes_per_second", med);
		json_double(j, "max_bytes_per_second", d->rates[d->intervals - 1]);
		json_double(j, "mean_bytes_per_second", mean_rate(d));
		json_obj_close(j);
	}
	json_arr_open(j, "working_set");
	for (size_t k = 0; k < sizeof(wss_marks) / sizeof(wss_marks[0]); k++) {
		uint64_t pages;

		if (!wss_at(d, wss_marks[k], &pages))
			continue;
		json_obj_open(j, NULL);
		json_u64(j, "seconds", wss_marks[k]);
		json_u64(j, "pages", pages);
		json_u64(j, "bytes", pages * d->page_size);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_u64(j, "working_set_pages", d->ws.count);
	json_u64(j, "working_set_bytes", d->ws.count * d->page_size);
	json_arr_open(j, "hottest");
	n = hottest(d, order, (unsigned int)r->top);
	for (unsigned int k = 0; k < n; k++) {
		json_obj_open(j, NULL);
		json_u64(j, "iova", d->bucket_lo[order[k]]);
		json_u64(j, "length", d->bucket_hi[order[k]] - d->bucket_lo[order[k]]);
		json_u64(j, "dirty_pages", d->heat[order[k]]);
		json_u64(j, "intervals", d->hit[order[k]]);
		json_obj_close(j);
	}
	json_arr_close(j);
	if (r->bandwidth && d->intervals) {
		struct precopy in;
		struct precopy_result res;

		estimate(r, d, &in, &res);
		json_obj_open(j, "estimate");
		json_double(j, "bandwidth_bytes_per_second", in.bandwidth);
		json_double(j, "max_downtime_seconds", in.downtime);
		json_bool(j, "converges", res.converges);
		json_u64(j, "passes", res.passes);
		json_double(j, "downtime_seconds", res.downtime);
		json_obj_close(j);
		*slow |= !res.converges;
	}
	json_obj_close(j);
}

static void header(struct cli *c, struct report *r)
{
	char when[32], path[TEXT_ESCAPED_SIZE(PATH_MAX)], tool[TEXT_ESCAPED_SIZE(64)];
	char host[TEXT_ESCAPED_SIZE(256)], kernel[TEXT_ESCAPED_SIZE(512)], format[16];
	double seconds = (double)(r->ended ? r->end_t : 0) / 1e9;

	/* "1" for 1.0, as it always was; with a minor version, both */
	if (r->minor)
		snprintf(format, sizeof(format), "%u.%u", r->major, r->minor);
	else
		snprintf(format, sizeof(format), "%u", r->major);
	for (unsigned int i = 0; i < r->n && !r->ended; i++)
		if ((double)r->d[i].t_end / 1e9 > seconds)
			seconds = (double)r->d[i].t_end / 1e9;
	if (c->json) {
		json_obj_open(&c->j, NULL);
		json_str(&c->j, "file", r->path);
		json_str(&c->j, "format", format);
		json_str(&c->j, "host", r->start.host);
		json_str(&c->j, "kernel", r->start.kernel);
		json_str(&c->j, "tool", r->start.tool);
		json_u64(&c->j, "start_time", r->start.realtime_ns);
		json_u64(&c->j, "clock_monotonic_ns", r->start.monotonic_ns);
		json_double(&c->j, "interval_seconds", (double)r->start.interval_ns / 1e9);
		json_double(&c->j, "seconds", seconds);
		json_u64(&c->j, "intervals", r->n_intervals);
		json_bool(&c->j, "complete", r->ended && !r->cut);
		if (r->cut) {
			json_str(&c->j, "cut", r->cut_why);
			json_u64(&c->j, "cut_offset", r->cut_offset);
		}
		return;
	}
	cli_time(when, sizeof(when), r->start.realtime_ns);
	printf("recording  %s  (format %u.%u, iommu-dirtyctl %s)\n",
	       text_escape(path, sizeof(path), r->path), r->major, r->minor,
	       text_escape(tool, sizeof(tool), r->tool));
	printf("host       %s  (%s)\n", text_escape(host, sizeof(host), r->host),
	       text_escape(kernel, sizeof(kernel), r->kernel));
	printf("started    %s, %.1f s, %llu intervals of %.0f s%s\n", when, seconds,
	       (unsigned long long)r->n_intervals, (double)r->start.interval_ns / 1e9,
	       r->cut ? "" : r->ended ? "" : "; the recorder did not finish (killed?)");
	if (r->cut)
		printf("cut short  at byte %llu: %s; reported up to there\n",
		       (unsigned long long)r->cut_offset, r->cut_why);
}

static int summarise(struct cli *c, struct report *r, FILE *f)
{
	bool slow = false;
	int rc;

	rc = size_buckets(r);
	if (rc)
		return cli_fail(c, rc, "report");
	rc = report_pass(c, r, f, PASS_HEAT);
	if (rc)
		return rc;
	header(c, r);
	if (c->json)
		json_arr_open(&c->j, "domains");
	for (unsigned int i = 0; i < r->n; i++)
		if (c->json)
			json_domain(c, r, &r->d[i], &slow);
		else
			text_domain(c, r, &r->d[i], &slow);
	if (c->json) {
		json_arr_close(&c->j);
		json_arr_open(&c->j, "notes");
	} else if (r->notes) {
		printf("\nnotes\n");
	}
	rc = r->notes ? report_pass(c, r, f, PASS_NOTES) : 0;
	if (rc)
		return rc;
	if (c->json) {
		json_arr_close(&c->j);
		json_obj_close(&c->j);
		json_end(&c->j);
	}
	if (!cli_output_ok(c))
		return EXIT_FAILED;
	return slow ? EXIT_NO_CONVERGE : EXIT_OK;
}

int cmd_report(struct cli *c, int argc, char **argv)
{
	static const struct argp_option options[] = {
		{ "intervals", OPT_INTERVALS, NULL, 0,
		  "Print every interval's dirty extents (IOVA+pages) instead of the summary", 0 },
		{ "top", OPT_TOP, "N", 0, "Hottest IOVA ranges to list (default 5)", 0 },
		{ "bandwidth", OPT_BANDWIDTH, "RATE", 0,
		  "Estimate a pre-copy migration of each domain over this link from its "
		  "recorded mean rate, as `rate` does; exit 3 if one does not converge", 1 },
		{ "downtime", OPT_DOWNTIME, "MS", 0, "Largest acceptable downtime (default 300)", 1 },
		{ "heatmap", OPT_HEATMAP, NULL, 0,
		  "Draw an IOVA x time heatmap of one domain: on the terminal, or to -o", 2 },
		{ "wss", OPT_WSS, NULL, 0, "Draw the working set's size over time", 2 },
		{ "output", 'o', "FILE", 0, "Write the view to FILE.png or FILE.svg", 2 },
		{ "resolution", OPT_RESOLUTION, "WxH", 0,
		  "Heatmap cells: WIDTH columns of time, HEIGHT rows of IOVA", 2 },
		{ "time-range", OPT_TIME_RANGE, "START-END", 0,
		  "Only this part of the recording, in seconds since it began", 2 },
		{ "iova-range", OPT_IOVA_RANGE, "START-END", 0, "Only these IOVAs", 2 },
		{ "domain", OPT_DOMAIN, "ID", 0,
		  "The domain to draw (default: the one with the most dirty pages)", 2 },
		{ 0 }
	};
	static const struct argp argp = {
		options, parse_opt, "FILE",
		"Summarise a recording made by `record`: per domain the DMA dirty rate over "
		"time, the working set's growth and the hottest IOVA ranges; or draw it as a "
		"heatmap or a working-set plot. A recording cut short (the recorder killed) "
		"is reported up to its last whole record.",
		NULL, NULL, NULL
	};
	struct report r = { .top = 5, .downtime_ms = 300 };
	char path[TEXT_ESCAPED_SIZE(PATH_MAX)];
	FILE *f;
	int rc = cli_parse(c, &argp, argc, argv, &r);

	if (rc)
		return rc;
	if (r.a.argc != 1)
		return cli_usage(c, r.a.argc ? "one recording at a time" : "which recording? (FILE)");
	r.path = r.a.argv[0];
	f = fopen(r.path, "rb");
	if (!f) {
		fprintf(stderr, "iommu-dirtyctl %s: cannot open %s: %s\n", c->cmd,
			text_escape(path, sizeof(path), r.path), strerror(errno));
		return errno == ENOENT ? EXIT_NO_ENTRY : EXIT_FAILED;
	}
	rc = report_pass(c, &r, f, PASS_FIRST);
	if (!rc && r.heatmap)
		rc = report_heatmap(c, &r, f);
	else if (!rc && r.wss)
		rc = report_wss(c, &r);
	else if (!rc && r.intervals)
		rc = report_pass(c, &r, f, PASS_INTERVALS);
	else if (!rc)
		rc = summarise(c, &r, f);
	if (r.cut)
		fprintf(stderr, "iommu-dirtyctl %s: %s: cut short at byte %llu (%s); reported up "
			"to there\n", c->cmd, text_escape(path, sizeof(path), r.path),
			(unsigned long long)r.cut_offset, r.cut_why);
	fclose(f);
	for (unsigned int i = 0; i < r.n; i++) {
		free(r.d[i].rates);
		free(r.d[i].series);
		pageset_free(&r.d[i].ws);
		free(r.d[i].ever);
	}
	free(r.d);
	return rc;
}
