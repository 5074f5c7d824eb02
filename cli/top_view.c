// SPDX-License-Identifier: GPL-2.0
/*
 * What top's two views share: the filter, the sort and the text of the
 * summary, the column header and a row, so the screen and batch mode
 * cannot drift apart; and the wait between refreshes.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "top.h"

/* Columns in the order of enum top_sort, then the source (not sortable). */
static const struct column {
	const char *head;
	const char *sort_name;
	int width;
	bool left;
} columns[] = {
	[SORT_ID] = { "ID", "id", 6, false },
	[SORT_PID] = { "PID", "pid", 7, false },
	[SORT_COMM] = { "COMMAND", "comm", 15, true },
	[SORT_DEVICES] = { "DEVICES", "devices", 16, true },
	[SORT_MECHANISM] = { "MECH", "mechanism", 11, true },
	[SORT_TRACKING] = { "TRACK", "tracking", 5, true },
	[SORT_MAPPED] = { "MAPPED", "mapped", 7, false },
	[SORT_PAGES] = { "PAGES/s", "pages", 9, false },
	[SORT_BYTES] = { "MiB/s", "bytes", 8, false },
	[SORT_SHARE] = { "DIRTY%", "share", 6, false },
	[SORT_HUGE] = { "HUGE%", "huge", 5, false },
	[SORT_HARVESTS] = { "HARVESTS", "harvests", 9, false },
	[SORT_OBSERVERS] = { "OBS", "observers", 3, false },
	[SORT_N] = { "SRC", NULL, 3, true },
};

const char *top_sort_name(enum top_sort sort)
{
	return sort < SORT_N ? columns[sort].sort_name : "?";
}

int top_sort_parse(const char *name, enum top_sort *sort)
{
	size_t len = strlen(name);
	int found = -1;

	for (int i = 0; i < SORT_N; i++) {
		if (!strcmp(name, columns[i].sort_name)) {
			*sort = (enum top_sort)i;
			return 0;
		}
		if (len && !strncmp(name, columns[i].sort_name, len)) {
			if (found >= 0)
				return -EEXIST;
			found = i;
		}
	}
	if (found < 0)
		return -EINVAL;
	*sort = (enum top_sort)found;
	return 0;
}

static const char *tracking_word(const struct sample_row *r)
{
	if (r->gone)
		return "gone";
	if (!r->dirty_alloc)
		return "-";
	return r->owner_tracking ? "owner" : r->tracking ? "obs" : "off";
}

/* The devices as the column shows them: "a,b", or "a,+2" past its width; escaped. */
static void devices_text(const struct sample_row *r, char *buf, size_t len, size_t width)
{
	size_t used = 0;

	if (!r->n_devs) {
		snprintf(buf, len, "-");
		return;
	}
	buf[0] = '\0';
	for (unsigned int i = 0; i < r->n_devs && i < SAMPLE_MAX_DEVS; i++) {
		char name[TEXT_ESCAPED_SIZE(sizeof(r->devs[i]))];
		size_t need, bytes;

		text_escape(name, sizeof(name), r->devs[i]);
		need = text_width(name) + (i ? 1 : 0);
		if (used + need > width || (i + 1 < r->n_devs && i + 1 == SAMPLE_MAX_DEVS)) {
			snprintf(buf + used, len - used, ",+%u", r->n_devs - i);
			return;
		}
		bytes = strlen(name);
		if (used + (i ? 1 : 0) + bytes + 1 > len)
			return;
		if (i)
			buf[used++] = ',';
		memcpy(buf + used, name, bytes + 1);
		used += bytes;
	}
}

static double sort_number(const struct sample_row *r, enum top_sort sort)
{
	switch (sort) {
	case SORT_ID: return (double)r->id;
	case SORT_PID: return r->owner_pid;
	case SORT_MAPPED: return (double)r->mapped_bytes;
	case SORT_PAGES: return r->pages_per_second;
	case SORT_BYTES: return r->bytes_per_second;
	case SORT_SHARE: return r->dirty_share;
	case SORT_HUGE: return r->huge_share;
	case SORT_HARVESTS: return (double)r->harvests;
	case SORT_OBSERVERS: return r->n_observers;
	case SORT_TRACKING: return r->owner_tracking * 2 + r->tracking;
	default: return 0;
	}
}

static int compare_rows(const void *pa, const void *pb, void *arg)
{
	const struct top *t = arg;
	const struct sample_row *a = *(const struct sample_row *const *)pa;
	const struct sample_row *b = *(const struct sample_row *const *)pb;
	char da[64], db[64];
	int cmp;

	switch (t->sort) {
	case SORT_COMM:
		cmp = strcmp(a->owner_comm, b->owner_comm);
		break;
	case SORT_DEVICES:
		devices_text(a, da, sizeof(da), sizeof(da) - 8);
		devices_text(b, db, sizeof(db), sizeof(db) - 8);
		cmp = strcmp(da, db);
		break;
	case SORT_MECHANISM:
		cmp = strcmp(iommudirty_mechanism_name(a->mechanism),
			     iommudirty_mechanism_name(b->mechanism));
		break;
	default: {
		double x = sort_number(a, t->sort), y = sort_number(b, t->sort);

		cmp = x < y ? -1 : x > y;
		/* numbers other than ids and pids read best largest first */
		if (t->sort != SORT_ID && t->sort != SORT_PID)
			cmp = -cmp;
	}
	}
	if (t->reverse)
		cmp = -cmp;
	/* ties in id order, so rows do not jump between refreshes */
	return cmp ? cmp : a->id < b->id ? -1 : a->id > b->id;
}

static bool matches(const struct top *t, const struct sample_row *r)
{
	char num[24];

	if (!t->filter[0] || strstr(r->owner_comm, t->filter) ||
	    strstr(iommudirty_mechanism_name(r->mechanism), t->filter))
		return true;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->id);
	if (!strcmp(num, t->filter))
		return true;
	snprintf(num, sizeof(num), "%u", r->owner_pid);
	if (!strcmp(num, t->filter))
		return true;
	for (unsigned int i = 0; i < r->n_devs && i < SAMPLE_MAX_DEVS; i++)
		if (strstr(r->devs[i], t->filter))
			return true;
	return false;
}

int top_build_view(struct top *t)
{
	const struct sample_row **order;

	if (t->view_cap < t->s.n) {
		uint64_t *v = realloc(t->view, t->s.n * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->view = v;
		t->view_cap = t->s.n;
	}
	/* sorted as pointers: the table does not move while it sorts */
	order = malloc((t->s.n ? t->s.n : 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	t->n_view = 0;
	for (unsigned int i = 0; i < t->s.n; i++)
		if (matches(t, &t->s.rows[i]))
			order[t->n_view++] = &t->s.rows[i];
	if (t->n_view)
		qsort_r(order, t->n_view, sizeof(*order), compare_rows, t);
	for (unsigned int i = 0; i < t->n_view; i++)
		t->view[i] = order[i]->id;
	free(order);
	return 0;
}

struct sample_row *top_view_row(struct top *t, unsigned int i)
{
	return i < t->n_view ? sampler_find(&t->s, t->view[i]) : NULL;
}

void top_format_summary(const struct top *t, char *l1, char *l2, size_t len)
{
	struct sample_totals tot;
	char when[32], mapped[16];

	sampler_totals(&t->s, &tot);
	cli_time(when, sizeof(when), clock_ns(CLOCK_REALTIME));
	cli_size(t->c, mapped, sizeof(mapped), tot.mapped_bytes);
	snprintf(l1, len, "iommu-dirtyctl top - %s  every %.1f s  domains %u, tracking %u, "
		 "observed by top %u", when + 11, (double)t->delay_ms / 1000, tot.domains,
		 tot.tracking, tot.observed);
	snprintf(l2, len, "DMA dirty %.0f pages/s, %.1f MiB/s; mapped %s; sort %s%s%s%s%s",
		 tot.pages_per_second, tot.bytes_per_second / (1 << 20), mapped,
		 top_sort_name(t->sort), t->reverse ? " (reversed)" : "",
		 t->filter[0] ? "; filter '" : "", t->filter, t->filter[0] ? "'" : "");
}

static size_t put_cell(char *buf, size_t len, size_t used, int col, const char *text)
{
	const struct column *k = &columns[col];

	/* @buf ends at @used, and always will: room or not */
	if (used && used + 1 < len) {
		buf[used++] = ' ';
		buf[used] = '\0';
	}
	if (used + 1 >= len)
		return used;
	/* cut and padded by the columns a terminal shows, never inside a character */
	text_pad(buf + used, len - used, text, k->left ? -k->width : k->width, true);
	return used + strlen(buf + used);
}

void top_format_columns(const struct top *t, char *buf, size_t len)
{
	size_t used = 0;

	(void)t;
	buf[0] = '\0';
	for (int i = 0; i <= SORT_N; i++)
		used = put_cell(buf, len, used, i, columns[i].head);
}

void top_format_row(const struct top *t, const struct sample_row *r, char *buf, size_t len)
{
	bool rate = r->has_rate && r->source != SOURCE_NONE;
	char cell[SORT_N + 1][TEXT_ESCAPED_SIZE(64)];
	const char *text[SORT_N + 1];
	size_t used = 0;

	/* printf-free: batch mode formats every row of every refresh */
	text[SORT_ID] = cli_u64(cell[SORT_ID], 64, r->id);
	text[SORT_PID] = cli_u64(cell[SORT_PID], 64, r->owner_pid);
	text[SORT_COMM] = text_escape(cell[SORT_COMM], sizeof(cell[SORT_COMM]), r->owner_comm);
	devices_text(r, cell[SORT_DEVICES], sizeof(cell[SORT_DEVICES]),
		     (size_t)columns[SORT_DEVICES].width);
	text[SORT_DEVICES] = cell[SORT_DEVICES];
	text[SORT_MECHANISM] = cli_mechanism(cell[SORT_MECHANISM], sizeof(cell[SORT_MECHANISM]),
					     r->mechanism);
	text[SORT_TRACKING] = tracking_word(r);
	cli_size(t->c, cell[SORT_MAPPED], 64, r->mapped_bytes);
	text[SORT_MAPPED] = cell[SORT_MAPPED];
	text[SORT_PAGES] = rate ? cli_fixed(cell[SORT_PAGES], 64, r->pages_per_second, 0) : "-";
	text[SORT_BYTES] = rate ? cli_fixed(cell[SORT_BYTES], 64,
					    r->bytes_per_second / (1 << 20), 1) : "-";
	text[SORT_SHARE] = rate ? cli_fixed(cell[SORT_SHARE], 64, r->dirty_share * 100, 1) : "-";
	text[SORT_HUGE] = r->huge_share >= 0 ?
			  cli_fixed(cell[SORT_HUGE], 64, r->huge_share * 100, 1) : "-";
	text[SORT_HARVESTS] = cli_u64(cell[SORT_HARVESTS], 64, r->harvests);
	text[SORT_OBSERVERS] = cli_u64(cell[SORT_OBSERVERS], 64, r->n_observers);
	text[SORT_N] = r->source == SOURCE_OBSERVER ? "top" :
		       r->source == SOURCE_HARVESTS ? "own" : "-";
	buf[0] = '\0';
	for (int i = 0; i <= SORT_N; i++)
		used = put_cell(buf, len, used, i, text[i]);
}

int top_wait(struct top *t, uint64_t deadline, int also_fd)
{
	struct pollfd pfd[2] = {
		{ .fd = sampler_event_fd(&t->s), .events = POLLIN },
		{ .fd = also_fd, .events = POLLIN },
	};
	int rc;

	while (!cli_stop && clock_ns(CLOCK_MONOTONIC) < deadline) {
		rc = cli_wait(pfd, 2, deadline);
		if (rc == CLI_WAIT_SIGNAL)
			return 1;	/* SIGWINCH: the screen resizes now, not at the deadline */
		if (rc < 0)
			return rc;
		if (pfd[1].revents)
			return 1;
		if (pfd[0].revents) {
			rc = top_apply_events(t);
			return rc < 0 ? rc : 2;
		}
	}
	return 0;
}

int top_apply_events(struct top *t)
{
	int rc = sampler_events(&t->s);

	if (rc < 0 && rc != -ENOBUFS)
		return rc;
	/* rows may have moved (a new row reallocates the table): the view must follow */
	return top_build_view(t);
}
