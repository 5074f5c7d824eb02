/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `top` shows, collected apart from how it is shown: one row per
 * domain with its last counters and the rates of the last interval. The
 * batch and curses views of top.c and top_screen.c both read this.
 */
#ifndef CLI_SAMPLER_H
#define CLI_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "iommudirty.h"

/* Where a row's dirty figure comes from */
enum sample_source {
	SOURCE_NONE,		/* nobody reads the domain's dirty bits */
	SOURCE_HARVESTS,	/* the owner's harvests (domain-get's dirty-pages) */
	SOURCE_OBSERVER,	/* our own observer's reads */
};

#define SAMPLE_MAX_DEVS 8

struct sample_row {
	uint64_t id;
	/* the domain as the kernel last told it, whole, for JSON; the fields below show it */
	struct iommudirty_domain *dom;
	uint32_t owner_pid, hwpt_id;
	char owner_comm[32];
	char devs[SAMPLE_MAX_DEVS][32];	/* the first SAMPLE_MAX_DEVS names */
	unsigned int n_devs;		/* all of them */
	uint32_t mechanism;
	bool dirty_alloc, tracking, owner_tracking;
	uint32_t consumers;
	unsigned int n_observers;
	uint64_t mapped_bytes, page_size;
	uint64_t harvests, dirty_pages;	/* the kernel's counters */

	/* The last interval (valid once has_rate) */
	bool has_rate;
	enum sample_source source;
	uint64_t interval_pages, interval_bytes, interval_harvests;
	double pages_per_second, bytes_per_second;
	double dirty_share;	/* of the mapped bytes dirtied in the interval */
	/* of the dirty record bytes the interval's clearing reads took, those of
	 * IOPTEs larger than the domain's page; < 0 when they took none */
	double huge_share;

	bool observed;		/* we observe it (socket-bound) */
	uint64_t observed_ns;	/* when we started, if since the last refresh */
	uint64_t born;		/* the sampler's generation when it appeared */
	bool is_new;		/* appeared since the previous refresh */
	bool gone;		/* destroyed: shown by one refresh, then dropped */
	bool gone_shown;	/* that refresh happened */
	bool seen;		/* in the current dump */
	bool counted;		/* the previous counters below are valid */
	uint64_t prev_harvests, prev_dirty_pages;
	uint64_t gran_bytes, gran_huge, prev_gran_bytes, prev_gran_huge;
	struct cli_tally read;	/* our observer's since the last refresh */
};

struct sampler {
	struct iommudirty *h;	/* requests, and our observers' socket */
	struct iommudirty *mon;	/* notifications; NULL without */
	struct sample_row *rows;	/* sorted by id */
	unsigned int n, cap;
	uint64_t last_ns;	/* CLOCK_MONOTONIC of the last refresh */
	double interval;	/* seconds the last refresh covered, 0 at first */
	bool resync;		/* notifications were lost: the next dump repairs */
	uint64_t events;	/* notifications applied */
	uint64_t generation;	/* refreshes done */
	/* The last error of an observer read, for the views to show */
	int read_error;
	uint64_t read_error_id;
};

/* Totals over the rows, gone ones included */
struct sample_totals {
	unsigned int domains, tracking, observed;
	uint64_t mapped_bytes;
	double pages_per_second, bytes_per_second;
};

/*
 * @h makes the requests; @monitor, when not NULL, is a second handle
 * that joined the notification group (iommudirty_monitor_start()), so rows
 * come and go as domains do.
 */
void sampler_init(struct sampler *s, struct iommudirty *h, struct iommudirty *monitor);
void sampler_free(struct sampler *s);

/*
 * Dump every domain, read the observed ones and compute the rates since
 * the previous refresh. Rows marked gone before are dropped first.
 */
int sampler_refresh(struct sampler *s);

/* Apply one notification: a row appears (the table may move), changes or is gone. */
int sampler_apply(struct sampler *s, enum iommudirty_event ev, const struct iommudirty_domain *d);

/* Apply the queued notifications without blocking; the fd to poll, or -1. */
int sampler_events(struct sampler *s);
int sampler_event_fd(const struct sampler *s);

/* Start or stop observing domain @id with our socket-bound observer. */
int sampler_observe(struct sampler *s, uint64_t id, bool on);

struct sample_row *sampler_find(struct sampler *s, uint64_t id);
void sampler_totals(const struct sampler *s, struct sample_totals *t);

const char *sample_source_name(enum sample_source src);

#endif
