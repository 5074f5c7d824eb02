/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report --heatmap and --wss: a recording's dirty pages as an IOVA x time
 * grid, and its working set over time, drawn on a terminal (Unicode
 * blocks and colour) or, with -o, as PNG or SVG through cairo. The grid
 * is computed here, apart from how it is drawn (plot.c draws images).
 */
#ifndef CLI_HEATMAP_H
#define CLI_HEATMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define HM_MAX_SEGMENTS 16

/*
 * The IOVA axis: the ranges the recording ever saw dirty, joined where
 * they touch; a stretch never dirtied between two is a hole, drawn as a
 * marked gap instead of empty rows. Rows are shared out in proportion to
 * each range's length, at least one each.
 */
struct hm_segment {
	uint64_t lo, hi;	/* IOVA [lo, hi) */
	unsigned int row0, rows;
};

struct heatmap {
	unsigned int w, h;	/* columns (time) and rows (IOVA) */
	uint64_t t0, t1;	/* recording ns the columns cover */
	uint64_t page_size;
	struct hm_segment seg[HM_MAX_SEGMENTS];
	unsigned int n_seg;
	/* of the hole after segment i: bytes never mapped; UINT64_MAX: not known */
	uint64_t hole_unmapped[HM_MAX_SEGMENTS];
	double *pages;		/* w * h: dirty pages added to each cell */
	double *interval;	/* h: the interval being added, by row */
	unsigned int touched_lo, touched_hi;	/* its rows [lo, hi) not all 0 */
	uint64_t *reads;	/* w: intervals whose read began in each column */
	double max;		/* the largest cell value (heatmap_value) */
};

/*
 * @ranges: n ascending, disjoint IOVA ranges [lo, hi) ever dirty, already
 * cut to the IOVA range asked for; more than HM_MAX_SEGMENTS are joined
 * across their smallest holes. Each segment gets a multiple of @unit rows
 * (2 on a terminal, which draws two rows a line). 0, -EINVAL (no range, or
 * a size of 0) or -ENOMEM.
 */
int heatmap_init(struct heatmap *m, unsigned int w, unsigned int h, unsigned int unit,
		 uint64_t t0, uint64_t t1, uint64_t page_size, const uint64_t (*ranges)[2],
		 unsigned int n);
void heatmap_free(struct heatmap *m);
/*
 * An interval, from @since (the previous read's start) to @t (its own read's
 * start), in recording ns: heatmap_read() counts it in every column it
 * spans, heatmap_add() takes each of its dirty runs (the parts outside the
 * segments left out) into one row vector, and heatmap_add_end() adds that
 * to each column it spans, so a column holds the mean of the intervals it
 * overlaps. A run is walked once, whatever the columns an interval spans.
 */
void heatmap_read(struct heatmap *m, uint64_t since, uint64_t t);
void heatmap_add(struct heatmap *m, uint64_t iova, uint64_t pages);
void heatmap_add_end(struct heatmap *m, uint64_t since, uint64_t t);
/* Call once every interval is in: sets m->max */
void heatmap_finish(struct heatmap *m);
/* Cell (x, y): the share of its pages dirty per interval over its column, 0..1 */
double heatmap_value(const struct heatmap *m, unsigned int x, unsigned int y);
/* The IOVA range row @y covers */
void heatmap_row_iova(const struct heatmap *m, unsigned int y, uint64_t *lo, uint64_t *hi);
/* The segment row @y is in */
const struct hm_segment *heatmap_row_segment(const struct heatmap *m, unsigned int y);

/*
 * What the hole after segment @i is, for its mark: "1.5 MiB never dirtied",
 * "1.5 MiB unmapped", or both ("1.5 MiB never dirtied, 1.0 MiB of it
 * unmapped"); "... never dirtied (mapping not recorded)" without areas.
 */
void heatmap_hole_label(const struct heatmap *m, unsigned int i, char *buf, size_t size);

/* A colour of the scale for @v in 0..1 (dark, through purple and red, to light yellow) */
void heatmap_color(double v, uint8_t rgb[3]);

/* The working set over time: distinct pages after each interval */
struct wss_point {
	uint64_t t;		/* recording ns the interval's read began */
	uint64_t pages;
};

/*
 * Draw on a terminal: @color picks 24-bit colour escapes, else shades of
 * characters. @label is the title line (already safe to print).
 */
void heatmap_print(FILE *f, const struct heatmap *m, bool color, const char *label);
void wss_print(FILE *f, const struct wss_point *p, size_t n, uint64_t page_size,
	       unsigned int width, unsigned int height, const char *label);

#endif
