// SPDX-License-Identifier: GPL-2.0
/*
 * top: every domain's DMA dirty rate, refreshed every delay. The data
 * path is sampler.c, what both views share top_view.c, the screen
 * top_screen.c; this file holds the command and batch mode (plain text
 * or JSON lines).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "opts.h"
#include "top.h"

/* A row: the domain as `list -j` describes it, then what top measured of it. */
static void json_row(struct json *j, const struct sample_row *r)
{
	json_obj_open(j, NULL);
	cli_json_domain_members(j, r->dom);
	json_str(j, "source", sample_source_name(r->source));
	json_bool(j, "observed", r->observed);
	json_bool(j, "new", r->is_new);
	json_bool(j, "gone", r->gone);
	if (r->has_rate && r->source != SOURCE_NONE) {
		json_u64(j, "interval_dirty_pages", r->interval_pages);
		json_u64(j, "interval_dirty_bytes", r->interval_bytes);
		json_u64(j, "interval_harvests", r->interval_harvests);
		json_double(j, "pages_per_second", r->pages_per_second);
		json_double(j, "bytes_per_second", r->bytes_per_second);
		json_double(j, "dirty_share", r->dirty_share);
		if (r->huge_share >= 0)
			json_double(j, "huge_share", r->huge_share);
	}
	json_obj_close(j);
}

static void print_snapshot(struct top *t)
{
	struct cli *c = t->c;

	if (c->json) {
		struct sample_totals tot;

		sampler_totals(&t->s, &tot);
		json_obj_open(&c->j, NULL);
		json_u64(&c->j, "time", clock_ns(CLOCK_REALTIME));
		json_double(&c->j, "interval_seconds", t->s.interval);
		json_obj_open(&c->j, "totals");
		json_u64(&c->j, "domains", tot.domains);
		json_u64(&c->j, "tracking", tot.tracking);
		json_u64(&c->j, "observed", tot.observed);
		json_u64(&c->j, "mapped_bytes", tot.mapped_bytes);
		json_double(&c->j, "pages_per_second", tot.pages_per_second);
		json_double(&c->j, "bytes_per_second", tot.bytes_per_second);
		json_obj_close(&c->j);
		json_arr_open(&c->j, "domains");
		for (unsigned int i = 0; i < t->n_view; i++)
			if (top_view_row(t, i))
				json_row(&c->j, top_view_row(t, i));
		json_arr_close(&c->j);
		json_obj_close(&c->j);
		json_end(&c->j);
	} else {
		char l1[256], l2[256], line[256];

		top_format_summary(t, l1, l2, sizeof(l1));
		top_format_columns(t, line, sizeof(line));
		printf("%s\n%s\n\n%s\n", l1, l2, line);
		for (unsigned int i = 0; i < t->n_view; i++) {
			if (!top_view_row(t, i))
				continue;
			top_format_row(t, top_view_row(t, i), line, sizeof(line));
			printf("%s\n", line);
		}
		printf("\n");
	}
}

/* --observe: the domains named, or every one that can be observed. */
static int observe_requested(struct top *t)
{
	for (unsigned int i = 0; i < t->s.n; i++) {
		struct sample_row *r = &t->s.rows[i];
		bool want = t->observe_all && r->dirty_alloc;
		int rc;

		for (unsigned int k = 0; k < t->n_observe && !want; k++)
			want = t->observe[k] == r->id;
		if (!want)
			continue;
		rc = sampler_observe(&t->s, r->id, true);
		if (rc)
			return cli_fail_domain(t->c, rc, r->id, "cannot observe domain %llu",
					       (unsigned long long)r->id);
	}
	for (unsigned int k = 0; k < t->n_observe; k++)
		if (!sampler_find(&t->s, t->observe[k]))
			return cli_fail_domain(t->c, -ENOENT, t->observe[k], "domain %llu",
					       (unsigned long long)t->observe[k]);
	return 0;
}

static int batch(struct top *t)
{
	uint64_t next = clock_ns(CLOCK_MONOTONIC);
	int rc;

	for (uint64_t n = 0; !cli_stop && (!t->iterations || n < t->iterations); n++) {
		next = cli_next_tick(next, t->delay_ms * 1000000u);
		while ((rc = top_wait(t, next, -1)) > 0)
			;
		if (rc < 0)
			return cli_fail(t->c, rc, "cannot read notifications");
		if (cli_stop)
			break;
		rc = sampler_refresh(&t->s) ?: top_build_view(t);
		if (rc)
			return cli_fail(t->c, rc, "cannot list domains");
		print_snapshot(t);
		if (!cli_output_ok(t->c))
			return EXIT_FAILED;
		if (t->s.read_error)
			fprintf(stderr, "iommu-dirtyctl top: stopped observing domain %llu: %s\n",
				(unsigned long long)t->s.read_error_id, strerror(-t->s.read_error));
	}
	return EXIT_OK;
}

enum { OPT_OBSERVE = 256 };

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct top *t = state->input;
	uint64_t v;
	int rc;

	switch (key) {
	case 'b':
		t->batch = true;
		return 0;
	case 'd':
		if (parse_seconds_ms(arg, &v) || v < 100 || v > 3600000)
			argp_error(state, "--delay takes 0.1 to 3600 seconds, not '%s'", arg);
		t->delay_ms = v;
		return 0;
	case 'n':
		if (parse_u64(arg, &t->iterations) || !t->iterations)
			argp_error(state, "--iterations takes a positive number, not '%s'", arg);
		return 0;
	case 's':
		rc = top_sort_parse(arg, &t->sort);
		if (rc)
			argp_error(state, "--sort: %s field '%s' (id, pid, comm, devices, mechanism, "
				   "tracking, mapped, pages, bytes, share, harvests, observers)",
				   rc == -EEXIST ? "ambiguous" : "no", arg);
		return 0;
	case 'r':
		t->reverse = true;
		return 0;
	case 'f':
		if (strlen(arg) >= sizeof(t->filter))
			argp_error(state, "--filter takes at most %zu characters",
				   sizeof(t->filter) - 1);
		snprintf(t->filter, sizeof(t->filter), "%s", arg);
		return 0;
	case OPT_OBSERVE:
		if (!strcmp(arg, "all")) {
			t->observe_all = true;
			return 0;
		}
		if (parse_u64(arg, &v) || !v)
			argp_error(state, "--observe takes a domain id or 'all', not '%s'", arg);
		if (t->n_observe == TOP_MAX_OBSERVE)
			argp_error(state, "--observe: at most %d domains", TOP_MAX_OBSERVE);
		t->observe[t->n_observe++] = v;
		return 0;
	default:
		return cli_collect(key, arg, state);
	}
}

int cmd_top(struct cli *c, int argc, char **argv)
{
	static const struct argp_option options[] = {
		{ "batch", 'b', NULL, 0, "Print snapshots as text (or JSON lines with -j) instead "
		  "of the screen; the default without a terminal", 0 },
		{ "delay", 'd', "SECONDS", 0, "Refresh every SECONDS, 0.1 to 3600 (default 1)", 0 },
		{ "iterations", 'n', "N", 0, "Stop after N refreshes (default: at q, SIGINT or "
		  "SIGTERM)", 0 },
		{ "sort", 's', "FIELD", 0, "Sort by id, pid, comm, devices, mechanism, tracking, "
		  "mapped, pages, bytes (default), share, harvests or observers", 0 },
		{ "reverse", 'r', NULL, 0, "Reverse the sort order", 0 },
		{ "filter", 'f', "TEXT", 0, "Only domains whose id or pid is TEXT, or whose "
		  "command, devices or mechanism contain it", 0 },
		{ "observe", OPT_OBSERVE, "ID|all", 0, "Observe these domains (repeatable) to "
		  "measure their DMA dirtying directly; needs CAP_SYS_ADMIN", 0 },
		{ 0 }
	};
	static const struct argp argp = {
		options, parse_opt, "",
		"Show every domain's DMA dirty rate, refreshed every delay, in the style of "
		"top(1). Rates come from the owner's harvests, or from top's own observer "
		"for the domains it observes (key e, or --observe); domains appear and go "
		"as the kernel announces them.\v"
		"Keys: q quit, h help, arrows select, s sort field, < > previous/next sort "
		"field, R reverse, d delay, / filter, e observe the selected domain, "
		"x stop observing it.", NULL, NULL, NULL
	};
	struct top t = { .c = c, .delay_ms = 1000, .sort = SORT_BYTES };
	struct iommudirty *mon = NULL;
	int rc = cli_parse(c, &argp, argc, argv, &t);

	if (rc)
		return rc;
	if (t.a.argc)
		return cli_usage(c, "unexpected argument '%s'", t.a.argv[0]);
	if (!t.batch && (c->json || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		t.batch = true;
	rc = cli_need_caps(c, t.n_observe || t.observe_all) ?: cli_connect(c);
	if (rc)
		return rc;
	rc = iommudirty_open(&mon);
	if (rc)
		return cli_fail(c, rc, "cannot open a second socket for notifications");
	rc = cli_join_monitor(c, mon);
	if (rc) {
		iommudirty_close(mon);
		return rc;
	}
	sampler_init(&t.s, c->h, mon);
	cli_catch_signals();
	rc = sampler_refresh(&t.s);
	if (rc)
		rc = cli_fail(c, rc, "cannot list domains");
	else
		rc = observe_requested(&t) ?: t.batch ? batch(&t) : top_screen(&t);
	sampler_free(&t.s);
	free(t.view);
	iommudirty_close(mon);
	return rc;
}
