/* SPDX-License-Identifier: GPL-2.0 */
/* `top`: the state both views share, and the text both print. */
#ifndef CLI_TOP_H
#define CLI_TOP_H

#include "cli.h"
#include "sampler.h"

enum top_sort {
	SORT_ID, SORT_PID, SORT_COMM, SORT_DEVICES, SORT_MECHANISM, SORT_TRACKING,
	SORT_MAPPED, SORT_PAGES, SORT_BYTES, SORT_SHARE, SORT_HUGE, SORT_HARVESTS, SORT_OBSERVERS,
	SORT_N
};

#define TOP_MAX_OBSERVE 64

struct top {
	struct cli_args a;
	struct cli *c;
	struct sampler s;
	uint64_t delay_ms, iterations;
	bool batch;
	enum top_sort sort;
	bool reverse;		/* against the field's natural order */
	char filter[64];
	/* --observe */
	uint64_t observe[TOP_MAX_OBSERVE];
	unsigned int n_observe;
	bool observe_all;
	/*
	 * The rows shown, filtered and sorted, by domain id: the table moves
	 * when a notification adds a row, so the view never points into it.
	 */
	uint64_t *view;
	unsigned int n_view, view_cap;
};

/* A sort field by its name or a unique prefix of it; -EINVAL, -EEXIST (ambiguous). */
int top_sort_parse(const char *name, enum top_sort *sort);
const char *top_sort_name(enum top_sort sort);

/* Filter and sort the sampler's rows into t->view. */
int top_build_view(struct top *t);
/* Row @i of the view, looked up now; NULL if its domain left the table. */
struct sample_row *top_view_row(struct top *t, unsigned int i);

/* The two summary lines, the column header and a row, as both views print them. */
void top_format_summary(const struct top *t, char *l1, char *l2, size_t len);
void top_format_columns(const struct top *t, char *buf, size_t len);
void top_format_row(const struct top *t, const struct sample_row *r, char *buf, size_t len);

/*
 * Wait until @deadline (CLOCK_MONOTONIC ns) or SIGINT/SIGTERM: 0. Returns
 * early with 1 when @also_fd is readable (-1: none) or after SIGWINCH,
 * with 2 after applying notifications (top_apply_events()); a negative
 * errno if they cannot be read.
 */
int top_wait(struct top *t, uint64_t deadline, int also_fd);

/*
 * Apply the queued notifications and rebuild the view: the rows they add
 * can move the table, and t->view points into it. 0 or a negative errno.
 */
int top_apply_events(struct top *t);

/* The curses view (top_screen.c); an exit status. */
int top_screen(struct top *t);

#endif
