// SPDX-License-Identifier: GPL-2.0
/*
 * report --heatmap and --wss: one domain of a recording drawn as an IOVA x
 * time heatmap or its working set over time, on the terminal or with -o
 * as PNG or SVG (plot.c). -j prints what was drawn, cell by cell.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "plot.h"
#include "report.h"

#define IMAGE_W 200
#define IMAGE_H 120

/* --domain, else the domain with the most dirty pages; NULL after saying why */
static struct dstat *chosen(struct cli *c, struct report *r)
{
	struct dstat *d = NULL;

	if (r->domain) {
		d = report_find(r, r->domain);
		if (!d)
			fprintf(stderr, "iommu-dirtyctl %s: the recording has no domain %llu\n",
				c->cmd, (unsigned long long)r->domain);
		return d;
	}
	for (unsigned int i = 0; i < r->n; i++)
		if (!d || r->d[i].pages > d->pages)
			d = &r->d[i];
	if (!d)
		fprintf(stderr, "iommu-dirtyctl %s: the recording has no domain\n", c->cmd);
	return d;
}

/* The time range drawn, in recording ns: by default what the intervals cover */
static void time_range(const struct report *r, const struct dstat *d, uint64_t *t0, uint64_t *t1)
{
	*t0 = r->time_hi ? r->time_lo * 1000000 : d->first_since;
	*t1 = r->time_hi ? r->time_hi * 1000000 : d->last_begin;
}

/* A range of dirty pages found in the working set, joined to the last if close */
static void add_range(uint64_t (*ranges)[2], unsigned int *n, uint64_t a, uint64_t b,
		      uint64_t join)
{
	if (*n && a - ranges[*n - 1][1] <= join) {
		ranges[*n - 1][1] = b;
		return;
	}
	ranges[*n][0] = a;
	ranges[*n][1] = b;
	(*n)++;
}

/*
 * The IOVA axis: the runs of pages ever dirty (the working set), cut to
 * --iova-range, joined across gaps of less than 1/64 of the dirty span:
 * longer stretches never dirtied become the holes the views mark.
 */
unsigned int report_axis(const struct report *r, const struct dstat *d, uint64_t (**out)[2])
{
	uint64_t ps = d->page_size, lo = r->iova_hi ? r->iova_lo : 0;
	uint64_t hi = r->iova_hi ? r->iova_hi : UINT64_MAX;
	/* of the span drawn: zoomed in, the holes are of what is shown */
	uint64_t join = ((hi < d->hi ? hi : d->hi) - (lo > d->lo ? lo : d->lo)) / 64;
	size_t cap = 64;
	uint64_t(*ranges)[2] = malloc(cap * sizeof(*ranges));
	unsigned int n = 0;

	*out = ranges;
	for (size_t i = 0; ranges && i < d->ws.n; i++) {
		const struct pageset_chunk *ch = &d->ws.chunks[i];

		for (uint64_t bit = 0; bit < PAGESET_CHUNK_BITS;) {
			uint64_t run = 0, a, b;

			while (bit < PAGESET_CHUNK_BITS && !(ch->bits[bit / 64] >> (bit % 64) & 1))
				bit++;
			while (bit + run < PAGESET_CHUNK_BITS &&
			       (ch->bits[(bit + run) / 64] >> ((bit + run) % 64) & 1))
				run++;
			if (!run)
				break;
			a = (ch->index * PAGESET_CHUNK_BITS + bit) * ps;
			b = a + run * ps;
			bit += run;
			a = a > lo ? a : lo;
			b = b < hi ? b : hi;
			if (a >= b)
				continue;
			if (n == cap) {
				uint64_t(*p)[2] = realloc(ranges, 2 * cap * sizeof(*p));

				if (!p) {
					free(ranges);
					*out = NULL;
					return 0;
				}
				*out = ranges = p;
				cap *= 2;
			}
			add_range(ranges, &n, a, b, join);
		}
	}
	return n;
}

/* A terminal's size, or 80x24 */
static void terminal(unsigned int *cols, unsigned int *rows)
{
	struct winsize ws;

	*cols = 80;
	*rows = 24;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
	}
}

static int grid_run(uint64_t iova, uint64_t pages, void *arg)
{
	struct report *r = arg;

	heatmap_add(r->map, iova, pages);
	return 0;
}

int report_grid_interval(struct report *r, const struct rec_interval *iv)
{
	int rc;

	/* (since, begin] must overlap (t0, t1] */
	if (iv->id != r->cur->id || iv->begin <= r->map->t0 || iv->since >= r->map->t1)
		return 0;
	heatmap_read(r->map, iv->since, iv->begin);
	rc = rec_interval_runs(iv, grid_run, r);
	heatmap_add_end(r->map, iv->since, iv->begin);
	return rc;
}

static void json_heatmap(struct cli *c, const struct report *r, const struct dstat *d,
			 const struct heatmap *m, const struct plot_geometry *g)
{
	struct json *j = &c->j;

	json_obj_open(j, NULL);
	json_u64(j, "domain_id", d->id);
	if (r->output)
		json_str(j, "output", r->output);
	json_u64(j, "start_ns", m->t0);
	json_u64(j, "end_ns", m->t1);
	json_u64(j, "page_size", m->page_size);
	json_u64(j, "columns", m->w);
	json_u64(j, "rows", m->h);
	json_double(j, "max", m->max);
	json_arr_open(j, "segments");
	for (unsigned int i = 0; i < m->n_seg; i++) {
		json_obj_open(j, NULL);
		json_u64(j, "iova", m->seg[i].lo);
		json_u64(j, "end", m->seg[i].hi);
		json_u64(j, "row", m->seg[i].row0);
		json_u64(j, "rows", m->seg[i].rows);
		if (i + 1 < m->n_seg && m->hole_unmapped[i] != UINT64_MAX)
			json_u64(j, "hole_unmapped_bytes", m->hole_unmapped[i]);
		json_obj_close(j);
	}
	json_arr_close(j);
	if (g) {
		json_obj_open(j, "image");
		json_u64(j, "width", (uint64_t)g->width);
		json_u64(j, "height", (uint64_t)g->height);
		json_double(j, "x", g->x);
		json_double(j, "y", g->y);
		json_double(j, "cell_width", g->cell_w);
		json_double(j, "cell_height", g->cell_h);
		json_double(j, "hole_height", m->n_seg > 1 ? (g->h - g->cell_h * m->h) /
			    (m->n_seg - 1) : 0);
		json_obj_close(j);
	}
	/* cells[y][x]: the share of row y's pages dirty per interval in column x */
	json_arr_open(j, "cells");
	for (unsigned int y = 0; y < m->h; y++) {
		json_arr_open(j, NULL);
		for (unsigned int x = 0; x < m->w; x++)
			json_double(j, NULL, heatmap_value(m, x, y));
		json_arr_close(j);
	}
	json_arr_close(j);
	json_obj_close(j);
	json_end(j);
}

static int image_failed(struct cli *c, const struct report *r, int rc, const char *why)
{
	char path[TEXT_ESCAPED_SIZE(PATH_MAX)];

	fprintf(stderr, "iommu-dirtyctl %s: cannot write %s: %s\n", c->cmd,
		text_escape(path, sizeof(path), r->output), why ? why : strerror(-rc));
	return EXIT_FAILED;
}

int report_heatmap(struct cli *c, struct report *r, FILE *f)
{
	struct dstat *d = chosen(c, r);
	struct plot_geometry g;
	struct heatmap m;
	uint64_t(*ranges)[2], t0, t1;
	unsigned int n, w = r->res_w, h = r->res_h, cols, rows;
	const char *why = NULL;
	char title[160];
	int rc;

	if (!d)
		return EXIT_NO_ENTRY;
	terminal(&cols, &rows);
	if (!w) {
		w = r->output ? IMAGE_W : cols > 40 ? cols - 16 : 24;
		h = r->output ? IMAGE_H : rows > 12 ? 2 * (rows - 8) : 8;
	}
	time_range(r, d, &t0, &t1);
	n = report_axis(r, d, &ranges);
	rc = ranges ? heatmap_init(&m, w, h, r->output ? 1 : 2, t0, t1, d->page_size,
				   (const uint64_t(*)[2])ranges, n) :
	     -ENOMEM;
	free(ranges);
	if (rc == -EINVAL) {
		fprintf(stderr, "iommu-dirtyctl %s: domain %llu has no dirty page in the range "
			"asked: nothing to draw\n", c->cmd, (unsigned long long)d->id);
		return EXIT_FAILED;
	}
	if (rc)
		return cli_fail(c, rc, "heatmap");
	for (unsigned int i = 0; i + 1 < m.n_seg; i++)
		m.hole_unmapped[i] = report_unmapped(d, m.seg[i].hi, m.seg[i + 1].lo);
	r->map = &m;
	r->cur = d;
	rc = report_pass(c, r, f, PASS_GRID);
	if (rc) {
		heatmap_free(&m);
		return rc;
	}
	heatmap_finish(&m);
	{
		uint64_t reads = 0;

		for (unsigned int x = 0; x < m.w; x++)
			reads += m.reads[x];
		if (!reads) {
			fprintf(stderr, "iommu-dirtyctl %s: domain %llu has no interval in the time "
				"range asked: nothing to draw\n", c->cmd, (unsigned long long)d->id);
			heatmap_free(&m);
			return EXIT_FAILED;
		}
	}
	snprintf(title, sizeof(title), "domain %llu: DMA-dirtied pages by IOVA and time",
		 (unsigned long long)d->id);
	if (r->output) {
		rc = plot_heatmap(r->output, &m, title, &g, &why);
		if (rc) {
			heatmap_free(&m);
			return image_failed(c, r, rc, why);
		}
	}
	if (c->json)
		json_heatmap(c, r, d, &m, r->output ? &g : NULL);
	else if (!r->output)
		heatmap_print(stdout, &m, c->color, title);
	heatmap_free(&m);
	return cli_output_ok(c) ? EXIT_OK : EXIT_FAILED;
}

int report_wss(struct cli *c, struct report *r)
{
	struct dstat *d = chosen(c, r);
	struct plot_geometry g;
	uint64_t t0, t1;
	size_t first = 0, n = 0;
	unsigned int cols, rows;
	const char *why = NULL;
	char title[160];

	if (!d)
		return EXIT_NO_ENTRY;
	time_range(r, d, &t0, &t1);
	while (first < d->intervals && d->series[first].t < t0)
		first++;
	while (first + n < d->intervals && d->series[first + n].t <= t1)
		n++;
	if (!n) {
		fprintf(stderr, "iommu-dirtyctl %s: domain %llu has no interval in the time range "
			"asked: nothing to draw\n", c->cmd, (unsigned long long)d->id);
		return EXIT_FAILED;
	}
	snprintf(title, sizeof(title), "domain %llu: working set (distinct pages dirtied)",
		 (unsigned long long)d->id);
	if (r->output) {
		int rc = plot_wss(r->output, d->series + first, n, d->page_size, title, &g, &why);

		if (rc)
			return image_failed(c, r, rc, why);
	}
	if (c->json) {
		json_obj_open(&c->j, NULL);
		json_u64(&c->j, "domain_id", d->id);
		json_u64(&c->j, "page_size", d->page_size);
		json_arr_open(&c->j, "points");
		for (size_t i = first; i < first + n; i++) {
			json_obj_open(&c->j, NULL);
			json_u64(&c->j, "ns", d->series[i].t);
			json_u64(&c->j, "pages", d->series[i].pages);
			json_u64(&c->j, "bytes", d->series[i].pages * d->page_size);
			json_obj_close(&c->j);
		}
		json_arr_close(&c->j);
		json_obj_close(&c->j);
		json_end(&c->j);
	} else if (!r->output) {
		terminal(&cols, &rows);
		wss_print(stdout, d->series + first, n, d->page_size, cols > 40 ? cols - 20 : 20,
			  rows > 12 ? rows - 8 : 4, title);
	}
	return cli_output_ok(c) ? EXIT_OK : EXIT_FAILED;
}
