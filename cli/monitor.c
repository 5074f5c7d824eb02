// SPDX-License-Identifier: GPL-2.0
/* monitor: print iommu-dirty notifications as they arrive, one line each. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "opts.h"

enum { OPT_RCVBUF = 0x100 };

struct monitor {
	struct cli_args a;
	struct cli *c;
	uint64_t count, seen;
	uint64_t rcvbuf;	/* bytes; 0: the library's 4 MiB */
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct monitor *m = state->input;

	if (key == 'c') {
		if (parse_u64(arg, &m->count) || !m->count)
			argp_error(state, "--count takes a positive number, not '%s'", arg);
		return 0;
	}
	if (key == OPT_RCVBUF) {
		if (parse_size(arg, &m->rcvbuf) || !m->rcvbuf || m->rcvbuf > INT_MAX / 2)
			argp_error(state, "--rcvbuf takes a size from 1 to %d bytes, not '%s'",
				   INT_MAX / 2, arg);
		return 0;
	}
	return cli_collect(key, arg, state);
}

/* When it was printed: ns since the epoch in JSON, the local time in text. */
static void event_head(struct cli *c, const char *event, char *when, size_t len)
{
	uint64_t now = clock_ns(CLOCK_REALTIME);

	if (c->json) {
		json_obj_open(&c->j, NULL);
		json_str(&c->j, "event", event);
		json_u64(&c->j, "time", now);
	} else {
		cli_time(when, len, now);
	}
}

static int on_event(enum iommudirty_event ev, const struct iommudirty_domain *d, void *arg)
{
	struct monitor *m = arg;
	struct cli *c = m->c;
	char when[32], comm[TEXT_ESCAPED_SIZE(64)], mech[24];

	event_head(c, iommudirty_event_name(ev), when, sizeof(when));
	if (c->json) {
		cli_json_domain(&c->j, "domain", d);
		json_obj_close(&c->j);
		json_end(&c->j);
	} else {
		printf("%s %-13s domain %llu owner %u/%s hwpt %u %s tracking %s consumers %u "
		       "observers %u\n", when, iommudirty_event_name(ev), (unsigned long long)d->id,
		       d->owner_pid, text_escape(comm, sizeof(comm), d->owner_comm), d->hwpt_id,
		       cli_mechanism(mech, sizeof(mech), d->mechanism), cli_on(c, d->tracking),
		       d->consumers, d->n_observers);
	}
	m->seen++;
	return m->count && m->seen >= m->count;
}

/* The socket overran: say so in the stream, so a consumer knows to dump again. */
static void lost(struct cli *c)
{
	char when[32];

	event_head(c, "lost", when, sizeof(when));
	if (c->json) {
		json_str(&c->j, "reason", "the notification socket overran");
		json_obj_close(&c->j);
		json_end(&c->j);
	} else {
		printf("%s %-13s notifications were lost (the socket overran); "
		       "run `iommu-dirtyctl list` to resynchronise\n", when, "lost");
	}
}

int cmd_monitor(struct cli *c, int argc, char **argv)
{
	static const struct argp_option options[] = {
		{ "count", 'c', "N", 0, "Stop after N notifications", 0 },
		{ "rcvbuf", OPT_RCVBUF, "SIZE", 0,
		  "The notification socket's receive buffer (default 4M): larger to ride out "
		  "bigger bursts, smaller to learn of an overrun sooner", 0 },
		{ 0 }
	};
	static const struct argp argp = {
		options, parse_opt, "",
		"Print notifications as they arrive, each with the time it was printed: "
		"domains allocated (domain-add), destroyed (domain-del, with their last "
		"state) and changed (domain-change: devices, tracking, observers), and "
		"'lost' when the socket overran and notifications were dropped (dump "
		"again to resynchronise). Until SIGINT or SIGTERM.", NULL, NULL, NULL
	};
	struct monitor m = { .c = c };
	struct pollfd pfd;
	int rc = cli_parse(c, &argp, argc, argv, &m);

	if (rc)
		return rc;
	if (m.a.argc)
		return cli_usage(c, "unexpected argument '%s'", m.a.argv[0]);
	rc = cli_need_caps(c, false) ?: cli_connect(c) ?: cli_join_monitor(c, c->h);
	if (rc)
		return rc;
	if (m.rcvbuf) {
		rc = iommudirty_set_rcvbuf(c->h, (int)m.rcvbuf);
		if (rc)
			return cli_fail(c, rc, "cannot set the receive buffer to %llu bytes",
					(unsigned long long)m.rcvbuf);
	}
	cli_catch_signals();
	pfd.fd = iommudirty_monitor_fd(c->h);
	pfd.events = POLLIN;
	while (!cli_stop) {
		rc = cli_wait(&pfd, 1, UINT64_MAX);
		if (rc == CLI_WAIT_SIGNAL || !rc)
			continue;
		if (rc < 0)
			return cli_fail(c, rc, "cannot wait for notifications");
		rc = iommudirty_monitor_dispatch(c->h, on_event, &m);
		if (rc == -ENOBUFS)
			lost(c);
		else if (rc < 0)
			return cli_fail(c, rc, "cannot read notifications");
		if (!cli_output_ok(c))
			return EXIT_FAILED;
		if (m.count && m.seen >= m.count)
			break;
	}
	return EXIT_OK;
}
