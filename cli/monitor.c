// SPDX-License-Identifier: GPL-2.0
/* monitor: print iommu-dirty notifications as they arrive, one line each. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>

#include "cli.h"
#include "opts.h"

struct monitor {
	struct cli_args a;
	struct cli *c;
	uint64_t count, seen;
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct monitor *m = state->input;

	if (key == 'c') {
		if (parse_u64(arg, &m->count) || !m->count)
			argp_error(state, "--count takes a positive number, not '%s'", arg);
		return 0;
	}
	return cli_collect(key, arg, state);
}

static int on_event(enum iommudirty_event ev, const struct iommudirty_domain *d, void *arg)
{
	struct monitor *m = arg;
	struct cli *c = m->c;

	if (c->json) {
		json_obj_open(&c->j, NULL);
		json_str(&c->j, "event", iommudirty_event_name(ev));
		cli_json_domain(&c->j, "domain", d);
		json_obj_close(&c->j);
		json_end(&c->j);
	} else {
		printf("%-13s domain %llu owner %u/%s hwpt %u %s tracking %s consumers %u "
		       "observers %u\n", iommudirty_event_name(ev), (unsigned long long)d->id,
		       d->owner_pid, d->owner_comm, d->hwpt_id,
		       iommudirty_mechanism_name(d->mechanism), cli_on(c, d->tracking),
		       d->consumers, d->n_observers);
		fflush(stdout);
	}
	m->seen++;
	return m->count && m->seen >= m->count;
}

int cmd_monitor(struct cli *c, int argc, char **argv)
{
	static const struct argp_option options[] = {
		{ "count", 'c', "N", 0, "Stop after N notifications", 0 },
		{ 0 }
	};
	static const struct argp argp = {
		options, parse_opt, "",
		"Print notifications as they arrive: domains allocated (domain-add), "
		"destroyed (domain-del, with their last state) and changed (domain-change: "
		"devices, tracking, observers). Until SIGINT or SIGTERM.", NULL, NULL, NULL
	};
	struct monitor m = { .c = c };
	struct pollfd pfd;
	int rc = cli_parse(c, &argp, argc, argv, &m);

	if (rc)
		return rc;
	if (m.a.argc)
		return cli_usage(c, "unexpected argument '%s'", m.a.argv[0]);
	rc = cli_need_caps(c, false) ?: cli_connect(c);
	if (rc)
		return rc;
	rc = iommudirty_monitor_start(c->h);
	if (rc)
		return cli_fail(c, rc, "cannot join the monitor group");
	cli_catch_signals();
	pfd.fd = iommudirty_monitor_fd(c->h);
	pfd.events = POLLIN;
	while (!cli_stop) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return cli_fail(c, -errno, "poll");
		}
		rc = iommudirty_monitor_dispatch(c->h, on_event, &m);
		if (rc == -ENOBUFS) {
			fprintf(stderr, "iommu-dirtyctl monitor: notifications were lost (the socket "
				"overran); run `iommu-dirtyctl list` to resynchronise\n");
			continue;
		}
		if (rc < 0)
			return cli_fail(c, rc, "cannot read notifications");
		if (m.count && m.seen >= m.count)
			break;
	}
	return EXIT_OK;
}
