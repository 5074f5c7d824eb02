/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What report.c learns of a recording, shared with report_plot.c (the
 * heatmap and working-set views). Internal to the CLI.
 */
#ifndef CLI_REPORT_H
#define CLI_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "heatmap.h"
#include "pageset.h"
#include "recfile.h"

#define HOT_BUCKETS 256

struct dstat {
	uint64_t id;
	uint32_t owner_pid;
	char comm[64];				/* as the kernel gave it */
	uint64_t page_size, mapped_bytes;
	bool appeared, gone;
	uint64_t t_start, t_end;		/* recording ns */
	uint64_t first_since, last_begin;	/* what the intervals cover */
	uint64_t intervals, pages;
	double seconds;				/* the intervals' */
	double *rates;				/* bytes/s of each interval */
	struct wss_point *series;		/* the working set after each */
	size_t rates_cap;
	struct pageset ws;
	uint64_t aperture_start, aperture_end;
	uint64_t lo, hi;			/* dirty IOVA span [lo, hi) */
	/* hot ranges: buckets over the heatmap's IOVA axis, holes left out */
	uint64_t bucket;			/* bytes per bucket (a range's last: less) */
	unsigned int n_buckets;
	uint64_t bucket_lo[HOT_BUCKETS], bucket_hi[HOT_BUCKETS];
	uint64_t heat[HOT_BUCKETS], hit[HOT_BUCKETS], hit_last[HOT_BUCKETS];
	/* MAPS records: the union of every area mapped, and the last layout */
	bool have_maps;
	struct rec_area *ever;			/* ascending, disjoint, merged */
	size_t n_ever;
	uint64_t maps_records, maps_areas, maps_bytes, maps_writable;
};

struct report {
	struct cli_args a;
	uint64_t bandwidth, downtime_ms, top;
	bool intervals, heatmap, wss;
	const char *output;			/* -o: an image */
	unsigned int res_w, res_h;		/* --resolution */
	uint64_t time_lo, time_hi;		/* --time-range, ms; hi 0: the end */
	uint64_t iova_lo, iova_hi;		/* --iova-range; hi 0: the end */
	uint64_t domain;			/* --domain; 0: chosen */
	struct heatmap *map;			/* PASS_GRID fills it */

	const char *path;
	struct rec_start start;
	char host[256], kernel[512], tool[64];	/* as the file has them */
	uint16_t major, minor;
	bool ended, cut;
	const char *cut_why;
	uint64_t cut_offset, end_t, n_intervals, notes;
	const char *why;			/* of an -EBADMSG this file found */
	bool have_start;
	uint64_t records;			/* the first pass's whole records */
	struct dstat *d;
	unsigned int n;
	struct dstat *cur;			/* the interval being walked */
	uint64_t ordinal;
};

/* One pass over the file (report.c); each stops where the first found the file ends */
enum pass { PASS_FIRST, PASS_HEAT, PASS_NOTES, PASS_INTERVALS, PASS_GRID };

int report_pass(struct cli *c, struct report *r, FILE *f, enum pass mode);
struct dstat *report_find(struct report *r, uint64_t id);

/*
 * Bytes of [lo, hi) that no area of @d's recording ever mapped, or
 * UINT64_MAX when the recording has no mapped areas (an older recorder).
 */
uint64_t report_unmapped(const struct dstat *d, uint64_t lo, uint64_t hi);

/*
 * The IOVA axis of @d (report_plot.c): the ranges ever dirty, cut to
 * --iova-range, joined across holes of less than 1/64 of the span drawn.
 * *@out is malloc()ed (NULL when out of memory); returns how many.
 */
unsigned int report_axis(const struct report *r, const struct dstat *d, uint64_t (**out)[2]);

/* report --heatmap and --wss (report_plot.c): an exit status */
int report_heatmap(struct cli *c, struct report *r, FILE *f);
int report_wss(struct cli *c, struct report *r);
/* The interval of a PASS_GRID */
int report_grid_interval(struct report *r, const struct rec_interval *iv);

#endif
