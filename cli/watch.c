// SPDX-License-Identifier: GPL-2.0
/*
 * watch: observe a domain for as long as the command runs (an observer
 * bound to its socket) and print the pages dirtied in each interval.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "opts.h"

struct watch {
	struct cli_args a;
	uint64_t interval_ms, count;
	struct cli_tally got;	/* this interval's */
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct watch *w = state->input;

	switch (key) {
	case 'i':
		w->interval_ms = cli_arg_interval_ms(state, arg, 86400);
		return 0;
	case 'c':
		if (parse_u64(arg, &w->count) || !w->count)
			argp_error(state, "--count takes a positive number, not '%s'", arg);
		return 0;
	default:
		return cli_collect(key, arg, state);
	}
}

static void report(struct cli *c, struct watch *w, double seconds)
{
	char when[32], size[32], rate[32];

	if (c->json) {
		json_obj_open(&c->j, NULL);
		json_u64(&c->j, "time", clock_ns(CLOCK_REALTIME));
		json_double(&c->j, "seconds", seconds);
		json_u64(&c->j, "dirty_pages", w->got.pages);
		json_u64(&c->j, "dirty_bytes", w->got.bytes);
		json_double(&c->j, "pages_per_second", w->got.pages / seconds);
		json_double(&c->j, "bytes_per_second", w->got.bytes / seconds);
		json_obj_close(&c->j);
		json_end(&c->j);
		return;
	}
	cli_time(when, sizeof(when), clock_ns(CLOCK_REALTIME));
	cli_size(c, size, sizeof(size), w->got.bytes);
	cli_size(c, rate, sizeof(rate), (uint64_t)(w->got.bytes / seconds));
	printf("%s  %10llu dirty pages  %8s  %12.0f pages/s  %8s/s\n", when + 11,
	       (unsigned long long)w->got.pages, size, w->got.pages / seconds, rate);
}

int cmd_watch(struct cli *c, int argc, char **argv)
{
	static const struct argp_option options[] = {
		{ "interval", 'i', "SECONDS", 0, "Length of each interval (default 1)", 0 },
		{ "count", 'c', "N", 0, "Stop after N intervals (default: at SIGINT or SIGTERM)", 0 },
		{ 0 }
	};
	static const struct argp argp = {
		options, parse_opt, "DOMAIN",
		"Observe a domain while the command runs and print the DMA-dirtied pages "
		"of each interval. The observer is bound to this process: it ends when "
		"the process does, and takes nothing from the owner.\v"
		"DOMAIN := " CLI_DOMAIN_SYNTAX, NULL, NULL, NULL
	};
	struct iommudirty_read_cbs cbs = { .sz = sizeof(cbs), .run = cli_tally_run };
	struct iommudirty_read_opts opts = { .sz = sizeof(opts), .format = IOMMUDIRTY_FORMAT_ADAPTIVE };
	struct watch w = { .interval_ms = 1000 };
	uint64_t id, last, next, now;
	int rc = cli_domain_args(c, &argp, argc, argv, &w.a, true, &id);

	if (rc)
		return rc;
	cli_catch_signals();
	rc = cli_observe_from_now(c->h, id);
	if (rc)
		return cli_fail_domain(c, rc, id, "cannot observe domain %llu", (unsigned long long)id);
	last = next = clock_ns(CLOCK_MONOTONIC);
	for (uint64_t n = 0; !cli_stop && (!w.count || n < w.count); n++) {
		next = cli_next_tick(next, w.interval_ms * 1000000u);
		cli_sleep_until(next);
		w.got = (struct cli_tally){ 0 };
		rc = iommudirty_read(c->h, id, &opts, &cbs, &w.got);
		if (rc)
			return cli_fail_domain(c, rc, id, "cannot read domain %llu",
					       (unsigned long long)id);
		now = clock_ns(CLOCK_MONOTONIC);
		report(c, &w, (double)(now - last) / 1e9);
		if (!cli_output_ok(c))
			return EXIT_FAILED;
		last = now;
	}
	return EXIT_OK;
}
