// SPDX-License-Identifier: GPL-2.0
/*
 * dump-loop: dumps iommu-dirty domain-get (or dev-get) back to back, as
 * fast as the kernel answers, to race the owner's create/destroy paths;
 * or, with --monitor, listens to the monitor group, so that the owners'
 * paths build notifications while they race.
 * Prints one JSON line at the end: dumps done, objects seen, errors.
 *
 * Exit status: 0 every dump completed, 1 a dump failed, 2 usage,
 * 3 the family could not be resolved.
 */
#include <argp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <linux/iommu_dirty.h>

#include "opts.h"

static struct config {
	uint64_t count, seconds;
	bool devs, monitor;
} cfg = { .seconds = 10 };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const struct argp_option options[] = {
	{ "count", 'c', "N", 0, "Stop after N dumps", 0 },
	{ "seconds", 's', "S", 0, "Stop after S seconds (default 10; 0: until signalled)", 0 },
	{ "devices", 'd', NULL, 0, "Dump dev-get instead of domain-get", 0 },
	{ "monitor", 'm', NULL, 0,
	  "Count notifications of the monitor group instead of dumping", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'c':
		if (parse_u64(arg, &cfg.count))
			argp_error(state, "invalid count '%s'", arg);
		break;
	case 's':
		if (parse_u64(arg, &cfg.seconds))
			argp_error(state, "invalid seconds '%s'", arg);
		break;
	case 'd': cfg.devs = true; break;
	case 'm': cfg.monitor = true; break;
	case ARGP_KEY_ARG: argp_error(state, "unexpected argument '%s'", arg); break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int count_object(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(*(uint64_t *)arg)++;
	return NL_OK;
}

/*
 * Notifications arrive without a request: no sequence numbers to check.
 * A 1 s receive timeout lets the loop notice signals and the deadline.
 */
static int listen_monitor(struct nl_sock *sk, time_t end)
{
	struct timeval tv = { .tv_sec = 1 };
	uint64_t seen = 0, overruns = 0, errors = 0;
	int grp, rc;

	grp = genl_ctrl_resolve_grp(sk, IOMMU_DIRTY_FAMILY_NAME, IOMMU_DIRTY_MCGRP_MONITOR);
	if (grp < 0 || nl_socket_add_membership(sk, grp)) {
		fprintf(stderr, "dump-loop: cannot join the monitor group\n");
		return 3;
	}
	nl_socket_disable_seq_check(sk);
	nl_socket_set_buffer_size(sk, 4 << 20, 0);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, count_object, &seen);
	setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!stop && (!cfg.seconds || time(NULL) < end)) {
		rc = nl_recvmsgs_default(sk);
		/*
		 * A timeout or a signal is no error; neither is a full receive
		 * buffer (ENOBUFS, libnl's NLE_NOMEM), which a slow listener
		 * may meet: count it apart.
		 */
		if (rc == -NLE_NOMEM) {
			overruns++;
		} else if (rc < 0 && rc != -NLE_AGAIN && rc != -NLE_INTR) {
			errors++;
			fprintf(stderr, "dump-loop: monitor: %s\n", nl_geterror(rc));
		}
	}
	printf("{\"notifications\":%llu,\"overruns\":%llu,\"errors\":%llu}\n",
	       (unsigned long long)seen, (unsigned long long)overruns,
	       (unsigned long long)errors);
	nl_socket_free(sk);
	return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse_opt, NULL,
		"Dump iommu-dirty objects back to back to race their owners.", NULL, NULL, NULL
	};
	uint64_t dumps = 0, seen = 0, errors = 0;
	struct nl_sock *sk;
	time_t end;
	int family, rc;

	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk)) {
		fprintf(stderr, "dump-loop: cannot open a generic netlink socket\n");
		return 3;
	}
	family = genl_ctrl_resolve(sk, IOMMU_DIRTY_FAMILY_NAME);
	if (family < 0) {
		fprintf(stderr, "dump-loop: %s: %s\n", IOMMU_DIRTY_FAMILY_NAME, nl_geterror(family));
		return 3;
	}
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, count_object, &seen);
	end = time(NULL) + (time_t)cfg.seconds;
	if (cfg.monitor)
		return listen_monitor(sk, end);
	while (!stop && (!cfg.count || dumps < cfg.count) &&
	       (!cfg.seconds || time(NULL) < end)) {
		rc = genl_send_simple(sk, family,
				      cfg.devs ? IOMMU_DIRTY_CMD_DEV_GET : IOMMU_DIRTY_CMD_DOMAIN_GET,
				      IOMMU_DIRTY_FAMILY_VERSION, NLM_F_DUMP);
		if (rc >= 0)
			rc = nl_recvmsgs_default(sk);
		if (rc < 0) {
			errors++;
			fprintf(stderr, "dump-loop: dump %llu: %s\n",
				(unsigned long long)dumps, nl_geterror(rc));
		}
		dumps++;
	}
	printf("{\"dumps\":%llu,\"seen\":%llu,\"errors\":%llu}\n",
	       (unsigned long long)dumps, (unsigned long long)seen,
	       (unsigned long long)errors);
	nl_socket_free(sk);
	return errors ? 1 : 0;
}
