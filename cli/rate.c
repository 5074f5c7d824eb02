// SPDX-License-Identifier: GPL-2.0
/*
 * rate: the DMA dirty rate of a domain over sampling windows, its working
 * set, and whether a pre-copy migration over a given link converges
 * (model.c). Measured as an observer bound to this process's socket.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "model.h"
#include "opts.h"
#include "pageset.h"

#define MAX_WINDOWS 3600

struct window {
	double seconds;
	struct cli_tally got;
};

/* What domain-get says before and after the windows */
struct rate_domain {
	uint64_t mapped;
	uint64_t page;			/* its smallest */
	uint64_t gran_all, gran_huge;	/* cli_gran_bytes() */
};

struct rate {
	struct cli_args a;
	uint64_t interval_ms, count;
	uint64_t bandwidth, cpu_rate, downtime_ms;
	bool predict;
	struct window *w;
	unsigned int n;
	struct pageset set;	/* the distinct pages seen: the working set */
	uint64_t page_size;
	int error;
	/* the domain's record counts once our observer started, and at the end */
	struct rate_domain before, after;
};

enum { OPT_BANDWIDTH = 256, OPT_DOWNTIME, OPT_CPU, OPT_PREDICT };

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct rate *r = state->input;

	switch (key) {
	case 'i':
		r->interval_ms = cli_arg_interval_ms(state, arg, 3600);
		return 0;
	case 'c':
		if (parse_u64(arg, &r->count) || !r->count || r->count > MAX_WINDOWS)
			argp_error(state, "--count takes 1 to %d windows, not '%s'", MAX_WINDOWS, arg);
		return 0;
	case OPT_BANDWIDTH:
		r->bandwidth = cli_arg_rate(state, "--bandwidth", arg, false);
		return 0;
	case OPT_CPU:
		r->cpu_rate = cli_arg_rate(state, "--cpu-dirty-rate", arg, true);
		return 0;
	case OPT_DOWNTIME:
		r->downtime_ms = cli_arg_downtime_ms(state, arg);
		return 0;
	case OPT_PREDICT:
		r->predict = true;
		return 0;
	default:
		return cli_collect(key, arg, state);
	}
}

static int on_run(uint64_t iova, uint64_t pages, uint64_t page_size, void *arg)
{
	struct rate *r = arg;
	struct window *w = &r->w[r->n];

	cli_tally_run(iova, pages, page_size, &w->got);
	r->page_size = page_size;
	return pageset_add_run(&r->set, iova / page_size, pages);
}

static int domain_now(const struct iommudirty_domain *d, void *arg)
{
	struct rate_domain *rd = arg;

	rd->mapped = d->mapped_bytes;
	rd->page = d->pgsize_bitmap & -d->pgsize_bitmap;
	cli_gran_bytes(d, &rd->gran_all, &rd->gran_huge);
	return 0;
}

/* Sample the windows; returns 0 or a negative errno. */
static int measure(struct cli *c, struct rate *r, uint64_t id)
{
	struct iommudirty_read_cbs cbs = { .sz = sizeof(cbs), .run = on_run };
	struct iommudirty_read_opts opts = { .sz = sizeof(opts), .format = IOMMUDIRTY_FORMAT_ADAPTIVE };
	uint64_t last, next, now;
	int rc = cli_observe_from_now(c->h, id);

	if (rc)
		return rc;
	/* after our first read, which took the backlog: not the windows' */
	r->before.gran_all = UINT64_MAX;
	if (!iommudirty_domain_get(c->h, id, domain_now, &r->before))
		r->after = r->before;
	last = next = clock_ns(CLOCK_MONOTONIC);
	while (!cli_stop && r->n < r->count) {
		next = cli_next_tick(next, r->interval_ms * 1000000u);
		cli_sleep_until(next);
		memset(&r->w[r->n], 0, sizeof(r->w[r->n]));
		rc = iommudirty_read(c->h, id, &opts, &cbs, r);
		if (rc)
			return rc;
		now = clock_ns(CLOCK_MONOTONIC);
		r->w[r->n++].seconds = (double)(now - last) / 1e9;
		last = now;
		if (!c->json) {
			struct window *w = &r->w[r->n - 1];
			char rate[32];

			cli_size(c, rate, sizeof(rate), (uint64_t)(w->got.bytes / w->seconds));
			printf("window %u: %llu DMA-dirtied pages in %.2f s, %.0f pages/s, %s/s\n",
			       r->n, (unsigned long long)w->got.pages, w->seconds, w->got.pages / w->seconds,
			       rate);
			if (!cli_output_ok(c))
				return -EIO;
		}
	}
	return 0;
}

static void json_estimate(struct json *j, const char *key, const struct precopy *in,
			  const struct precopy_result *res)
{
	json_obj_open(j, key);
	json_double(j, "bandwidth_bytes_per_second", in->bandwidth);
	json_double(j, "max_downtime_seconds", in->downtime);
	json_bool(j, "converges", res->converges);
	json_u64(j, "passes", res->passes);
	json_double(j, "downtime_seconds", res->downtime);
	if (res->converges)
		json_double(j, "total_seconds", res->total);
	json_double(j, "transferred_bytes", res->transferred);
	json_obj_close(j);
}

/* The --predict grid: links from 1 to 100 Gbit/s, downtimes 0.1 to 1 s. */
static void predict(struct cli *c, struct precopy in)
{
	static const double gbits[] = { 1, 10, 25, 40, 100 };
	static const double downtimes[] = { 0.1, 0.3, 1 };
	struct precopy_result res;

	if (c->json)
		json_arr_open(&c->j, "predict");
	else
		printf("\npredicted total migration time (pre-copy; - : does not converge)\n"
		       "%-10s %10s %10s %10s\n", "link", "100 ms", "300 ms", "1 s");
	for (size_t b = 0; b < sizeof(gbits) / sizeof(gbits[0]); b++) {
		in.bandwidth = gbits[b] * 1e9 / 8;
		if (!c->json)
			printf("%3.0f Gbit/s", gbits[b]);
		for (size_t t = 0; t < sizeof(downtimes) / sizeof(downtimes[0]); t++) {
			in.downtime = downtimes[t];
			precopy_estimate(&in, &res);
			if (c->json)
				json_estimate(&c->j, NULL, &in, &res);
			else if (res.converges)
				printf(" %9.1fs", res.total);
			else
				printf(" %10s", "-");
		}
		if (!c->json)
			printf("\n");
	}
	if (c->json)
		json_arr_close(&c->j);
}

/*
 * @before, @after: the domain around the windows. The share of the dirty
 * record bytes its clearing reads took meanwhile (ours, the owner's and
 * other observers') that were whole IOPTEs larger than its page: < 0 when
 * they took none.
 */
static double huge_share(const struct rate_domain *before, const struct rate_domain *after)
{
	if (after->gran_all <= before->gran_all)
		return -1;
	return (double)(after->gran_huge - before->gran_huge) /
	       (double)(after->gran_all - before->gran_all);
}

static int report(struct cli *c, struct rate *r, uint64_t id, uint64_t memory)
{
	double huge = huge_share(&r->before, &r->after);
	double seconds = 0, bytes = 0, peak = 0, dma;
	struct precopy in = { .memory = (double)memory };
	struct precopy_result res = { 0 };
	uint64_t ws = r->set.count;
	char a[32], b[32], m[32];

	for (unsigned int i = 0; i < r->n; i++) {
		seconds += r->w[i].seconds;
		bytes += (double)r->w[i].got.bytes;
		if (r->w[i].got.bytes / r->w[i].seconds > peak)
			peak = r->w[i].got.bytes / r->w[i].seconds;
	}
	dma = seconds ? bytes / seconds : 0;
	in.dirty_rate = dma + (double)r->cpu_rate;
	if (r->bandwidth) {
		in.bandwidth = (double)r->bandwidth;
		in.downtime = (double)r->downtime_ms / 1000;
		precopy_estimate(&in, &res);
	}
	if (c->json) {
		json_obj_open(&c->j, NULL);
		json_u64(&c->j, "domain_id", id);
		json_u64(&c->j, "page_size", r->page_size);
		json_u64(&c->j, "mapped_bytes", memory);
		json_arr_open(&c->j, "windows");
		for (unsigned int i = 0; i < r->n; i++) {
			json_obj_open(&c->j, NULL);
			json_double(&c->j, "seconds", r->w[i].seconds);
			json_u64(&c->j, "dirty_pages", r->w[i].got.pages);
			json_u64(&c->j, "dirty_bytes", r->w[i].got.bytes);
			json_obj_close(&c->j);
		}
		json_arr_close(&c->j);
		json_double(&c->j, "dma_dirty_rate", dma);
		json_double(&c->j, "dma_peak_dirty_rate", peak);
		json_u64(&c->j, "working_set_pages", ws);
		json_u64(&c->j, "working_set_bytes", ws * r->page_size);
		json_u64(&c->j, "cpu_dirty_rate", r->cpu_rate);
		if (huge >= 0)
			json_double(&c->j, "huge_share", huge);
		if (r->bandwidth)
			json_estimate(&c->j, "estimate", &in, &res);
		if (r->predict)
			predict(c, in);
		json_obj_close(&c->j);
		json_end(&c->j);
	} else {
		cli_size(c, a, sizeof(a), (uint64_t)dma);
		cli_size(c, b, sizeof(b), (uint64_t)peak);
		cli_size(c, m, sizeof(m), ws * r->page_size);
		printf("DMA dirty rate %s/s (peak %s/s) over %.1f s; working set %llu pages (%s)\n",
		       a, b, seconds, (unsigned long long)ws, m);
		printf("(the IOMMU sees DMA writes only, per domain: devices sharing the domain "
		       "are not told apart; add the CPU's with --cpu-dirty-rate)\n");
		if (huge >= 0) {
			cli_size(c, a, sizeof(a), r->after.page);
			printf("%.1f%% of the dirty bytes were whole IOPTEs larger than %s "
			       "(huge IOPTEs: see `show`, or `enable --precise`)\n", huge * 100, a);
		}
		if (r->bandwidth) {
			cli_size(c, a, sizeof(a), (uint64_t)in.dirty_rate);
			cli_size(c, m, sizeof(m), memory);
			printf("pre-copy of %s at %s/s dirtied over %.0f Mbit/s, downtime %llu ms: ",
			       m, a, in.bandwidth * 8 / 1e6, (unsigned long long)r->downtime_ms);
			if (res.converges)
				printf("converges after %u passes, downtime %.0f ms, total %.1f s\n",
				       res.passes, res.downtime * 1e3, res.total);
			else
				printf("does not converge (after %u passes the stop would take %.1f s)\n",
				       res.passes, res.downtime);
		}
		if (r->predict)
			predict(c, in);
	}
	return r->bandwidth && !res.converges ? EXIT_NO_CONVERGE : EXIT_OK;
}

int cmd_rate(struct cli *c, int argc, char **argv)
{
	static const struct argp_option options[] = {
		{ "interval", 'i', "SECONDS", 0, "Length of each sampling window (default 1)", 0 },
		{ "count", 'c', "N", 0, "Number of windows (default 5)", 0 },
		{ "bandwidth", OPT_BANDWIDTH, "RATE", 0,
		  "Estimate a pre-copy migration over this link: a rate with its unit, in bits "
		  "(10gbit, 100mbit) or bytes (1.25GB/s, 300MiB/s) per second; exit 3 if it "
		  "does not converge", 1 },
		{ "downtime", OPT_DOWNTIME, "MS", 0, "Largest acceptable downtime (default 300)", 1 },
		{ "cpu-dirty-rate", OPT_CPU, "RATE", 0,
		  "The CPU's dirty rate (e.g. from QEMU's calc-dirty-rate, 300MiB/s), added to "
		  "the DMA's", 1 },
		{ "predict", OPT_PREDICT, NULL, 0,
		  "Print the total migration time for 1 to 100 Gbit/s links and downtimes of "
		  "100 ms to 1 s", 1 },
		{ 0 }
	};
	static const struct argp argp = {
		options, parse_opt, "DOMAIN",
		"Measure the DMA dirty rate of a domain over sampling windows, as an "
		"observer that takes nothing from the owner, and its working set; estimate "
		"whether a pre-copy migration converges (model in iommu-dirtyctl(8)).\v"
		"DOMAIN := " CLI_DOMAIN_SYNTAX, NULL, NULL, NULL
	};
	struct rate r = { .interval_ms = 1000, .count = 5, .downtime_ms = 300 };
	struct rate_domain start = { 0 };
	uint64_t id;
	int rc = cli_domain_args(c, &argp, argc, argv, &r.a, true, &id);

	if (rc)
		return rc;
	rc = iommudirty_domain_get(c->h, id, domain_now, &start);
	if (rc)
		return cli_fail_domain(c, rc, id, "domain %llu", (unsigned long long)id);
	r.w = calloc(r.count, sizeof(*r.w));
	if (!r.w)
		return cli_fail(c, -ENOMEM, "rate");
	cli_catch_signals();
	rc = measure(c, &r, id);
	if (rc) {
		free(r.w);
		pageset_free(&r.set);
		return c->output_failed ? EXIT_FAILED :
		       cli_fail_domain(c, rc, id, "cannot measure domain %llu", (unsigned long long)id);
	}
	/* gone meanwhile: no share (after stays before), the rest stands */
	iommudirty_domain_get(c->h, id, domain_now, &r.after);
	rc = report(c, &r, id, start.mapped);
	free(r.w);
	pageset_free(&r.set);
	return rc;
}
