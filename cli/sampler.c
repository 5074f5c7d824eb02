// SPDX-License-Identifier: GPL-2.0
/*
 * top's data path: a table of domains kept by a dump per refresh and by
 * notifications in between, and the dirty rate of each over the last
 * interval. The rate comes from our own observer's reads when we observe
 * the domain, else from the owner's harvest counter: observing never
 * takes anything from the owner, and a domain nobody reads shows none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "sampler.h"

const char *sample_source_name(enum sample_source src)
{
	switch (src) {
	case SOURCE_HARVESTS: return "harvests";
	case SOURCE_OBSERVER: return "observer";
	default: return "none";
	}
}

void sampler_init(struct sampler *s, struct iommudirty *h, struct iommudirty *monitor)
{
	memset(s, 0, sizeof(*s));
	s->h = h;
	s->mon = monitor;
}

void sampler_free(struct sampler *s)
{
	for (unsigned int i = 0; i < s->n; i++)
		free(s->rows[i].dom);
	free(s->rows);
	s->rows = NULL;
	s->n = s->cap = 0;
}

/* The index of @id in the id-sorted table, or where it would go. */
static unsigned int slot_of(const struct sampler *s, uint64_t id)
{
	unsigned int lo = 0, hi = s->n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (s->rows[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct sample_row *sampler_find(struct sampler *s, uint64_t id)
{
	unsigned int i = slot_of(s, id);

	return i < s->n && s->rows[i].id == id ? &s->rows[i] : NULL;
}

static struct sample_row *row_insert(struct sampler *s, uint64_t id)
{
	unsigned int i = slot_of(s, id);

	if (i < s->n && s->rows[i].id == id)
		return &s->rows[i];
	if (s->n == s->cap) {
		unsigned int cap = s->cap ? 2 * s->cap : 64;
		struct sample_row *rows = realloc(s->rows, cap * sizeof(*rows));

		if (!rows)
			return NULL;
		s->rows = rows;
		s->cap = cap;
	}
	memmove(&s->rows[i + 1], &s->rows[i], (s->n - i) * sizeof(*s->rows));
	s->n++;
	memset(&s->rows[i], 0, sizeof(s->rows[i]));
	s->rows[i].id = id;
	s->rows[i].born = s->generation;
	return &s->rows[i];
}

/* The row's state as the kernel last told it (a dump or a notification). */
static int row_fill(struct sample_row *r, const struct iommudirty_domain *d)
{
	struct iommudirty_domain *copy = iommudirty_domain_dup(d);

	if (!copy)
		return -ENOMEM;
	free(r->dom);
	r->dom = copy;
	r->owner_pid = d->owner_pid;
	r->hwpt_id = d->hwpt_id;
	text_copy(r->owner_comm, sizeof(r->owner_comm), d->owner_comm);
	for (unsigned int i = 0; i < d->n_devs && i < SAMPLE_MAX_DEVS; i++)
		text_copy(r->devs[i], sizeof(r->devs[i]), d->devs[i]);
	r->n_devs = d->n_devs;
	r->mechanism = d->mechanism;
	r->dirty_alloc = d->dirty_alloc;
	r->tracking = d->tracking;
	r->owner_tracking = d->owner_tracking;
	r->consumers = d->consumers;
	r->n_observers = d->n_observers;
	r->mapped_bytes = d->mapped_bytes;
	/* the smallest page: what harvest counts are converted to bytes with */
	r->page_size = d->pgsize_bitmap & -d->pgsize_bitmap;
	r->harvests = d->harvests;
	r->dirty_pages = d->dirty_pages;
	cli_gran_bytes(d, &r->gran_bytes, &r->gran_huge);
	return 0;
}

static int on_dumped(const struct iommudirty_domain *d, void *arg)
{
	struct sampler *s = arg;
	struct sample_row *r = row_insert(s, d->id);

	if (!r || row_fill(r, d))
		return -ENOMEM;
	r->seen = true;
	r->gone = false;
	return 0;
}

/* Read what our observer collected since the last refresh. */
static void read_observed(struct sampler *s, struct sample_row *r)
{
	struct iommudirty_read_opts opts = { .sz = sizeof(opts), .format = IOMMUDIRTY_FORMAT_ADAPTIVE };
	struct iommudirty_read_cbs cbs = { .sz = sizeof(cbs), .run = cli_tally_run };
	int rc = iommudirty_read(s->h, r->id, &opts, &cbs, &r->read);

	if (rc) {
		/* the domain went, or our observer with it: stop claiming one */
		r->observed = false;
		s->read_error = rc;
		s->read_error_id = r->id;
	}
}

static void row_rate(struct sampler *s, struct sample_row *r, uint64_t now)
{
	double seconds = s->interval;
	uint64_t pages = 0, bytes = 0;

	r->source = r->observed ? SOURCE_OBSERVER :
		    r->owner_tracking || r->harvests != r->prev_harvests ? SOURCE_HARVESTS :
		    SOURCE_NONE;
	r->has_rate = r->counted && seconds > 0;
	r->interval_harvests = r->counted ? r->harvests - r->prev_harvests : 0;
	r->is_new = r->born == s->generation;
	if (r->source == SOURCE_OBSERVER) {
		/* observing started within the interval: rate over what it saw */
		if (r->observed_ns)
			seconds = (double)(now - r->observed_ns) / 1e9;
		r->has_rate = seconds > 0;
		pages = r->read.pages;
		bytes = r->read.bytes;
	} else if (r->source == SOURCE_HARVESTS && r->counted) {
		pages = r->dirty_pages - r->prev_dirty_pages;
		bytes = pages * r->page_size;
	}
	r->interval_pages = pages;
	r->interval_bytes = bytes;
	r->pages_per_second = r->has_rate ? (double)pages / seconds : 0;
	r->bytes_per_second = r->has_rate ? (double)bytes / seconds : 0;
	r->dirty_share = r->has_rate && r->mapped_bytes ?
			 (double)bytes / (double)r->mapped_bytes : 0;
	r->huge_share = r->counted && r->gran_bytes > r->prev_gran_bytes ?
			(double)(r->gran_huge - r->prev_gran_huge) /
			(double)(r->gran_bytes - r->prev_gran_bytes) : -1;
	r->prev_harvests = r->harvests;
	r->prev_dirty_pages = r->dirty_pages;
	r->prev_gran_bytes = r->gran_bytes;
	r->prev_gran_huge = r->gran_huge;
	r->read = (struct cli_tally){ 0 };
	r->observed_ns = 0;
	r->counted = true;
}

/* Drop the rows shown as gone by the previous refresh. */
static void drop_gone(struct sampler *s)
{
	unsigned int kept = 0;

	for (unsigned int i = 0; i < s->n; i++) {
		if (!s->rows[i].gone_shown)
			s->rows[kept++] = s->rows[i];
		else
			free(s->rows[i].dom);
	}
	s->n = kept;
}

int sampler_refresh(struct sampler *s)
{
	uint64_t now;
	int rc;

	drop_gone(s);
	for (unsigned int i = 0; i < s->n; i++)
		s->rows[i].seen = false;
	rc = iommudirty_domains(s->h, on_dumped, s);
	if (rc)
		return rc;
	s->resync = false;
	now = clock_ns(CLOCK_MONOTONIC);
	s->interval = s->last_ns ? (double)(now - s->last_ns) / 1e9 : 0;
	s->last_ns = now;
	s->read_error = 0;
	for (unsigned int i = 0; i < s->n; i++) {
		struct sample_row *r = &s->rows[i];

		/* destroyed with no notification (none asked for, or lost) */
		if (!r->seen)
			r->gone = true;
		if (r->observed && !r->gone)
			read_observed(s, r);
		row_rate(s, r, now);
		r->gone_shown = r->gone;
	}
	s->generation++;
	return 0;
}

static int on_event(enum iommudirty_event ev, const struct iommudirty_domain *d, void *arg)
{
	return sampler_apply(arg, ev, d);
}

int sampler_apply(struct sampler *s, enum iommudirty_event ev, const struct iommudirty_domain *d)
{
	struct sample_row *r = sampler_find(s, d->id);

	s->events++;
	if (!r && ev == IOMMUDIRTY_EVENT_DOMAIN_DEL)
		return 0;	/* came and went between two refreshes */
	if (!r) {
		r = row_insert(s, d->id);
		if (!r)
			return -ENOMEM;
		/* counted from zero: a new domain's counters start there */
		r->counted = true;
	}
	if (row_fill(r, d))
		return -ENOMEM;
	if (ev == IOMMUDIRTY_EVENT_DOMAIN_DEL) {
		/* the last counters are in the notification; our observer died with it */
		r->gone = true;
		r->observed = false;
	}
	return 0;
}

int sampler_events(struct sampler *s)
{
	int rc;

	if (!s->mon)
		return 0;
	rc = iommudirty_monitor_dispatch(s->mon, on_event, s);
	if (rc == -ENOBUFS)
		s->resync = true;
	return rc;
}

int sampler_event_fd(const struct sampler *s)
{
	return s->mon ? iommudirty_monitor_fd(s->mon) : -1;
}

int cli_observe_from_now(struct iommudirty *h, uint64_t id)
{
	struct iommudirty_read_opts opts = { .sz = sizeof(opts), .format = IOMMUDIRTY_FORMAT_ADAPTIVE };
	struct iommudirty_read_cbs cbs = { .sz = sizeof(cbs), .run = cli_tally_run };
	struct cli_tally backlog = { 0 };
	int rc = iommudirty_observe(h, id, NULL, 0, NULL, NULL);

	return rc ? rc : iommudirty_read(h, id, &opts, &cbs, &backlog);
}

int sampler_observe(struct sampler *s, uint64_t id, bool on)
{
	struct sample_row *r = sampler_find(s, id);
	int rc;

	if (!r || r->gone)
		return -ENOENT;
	if (on == r->observed)
		return 0;
	rc = on ? cli_observe_from_now(s->h, id) :
		  iommudirty_unobserve(s->h, id, NULL, NULL, NULL);
	if (rc && !(rc == -ENOENT && !on))
		return rc;
	r->observed = on;
	r->observed_ns = on ? clock_ns(CLOCK_MONOTONIC) : 0;
	r->read = (struct cli_tally){ 0 };
	return 0;
}

void sampler_totals(const struct sampler *s, struct sample_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned int i = 0; i < s->n; i++) {
		const struct sample_row *r = &s->rows[i];

		t->domains += !r->gone;
		t->tracking += r->tracking && !r->gone;
		t->observed += r->observed;
		t->mapped_bytes += r->gone ? 0 : r->mapped_bytes;
		t->pages_per_second += r->pages_per_second;
		t->bytes_per_second += r->bytes_per_second;
	}
}
