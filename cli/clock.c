// SPDX-License-Identifier: GPL-2.0
/*
 * Time and signals for the commands that run until told to stop. SIGINT,
 * SIGTERM and SIGWINCH stay blocked except inside cli_wait()'s ppoll(), so
 * a signal that comes while a command works is taken at its next wait
 * instead of being missed between the check of cli_stop and the sleep.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "cli.h"

volatile sig_atomic_t cli_stop;
static sigset_t wait_mask;	/* the mask inside ppoll: ours unblocked */
static bool caught;

static void on_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

void cli_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t ours;

	sigemptyset(&ours);
	sigaddset(&ours, SIGINT);
	sigaddset(&ours, SIGTERM);
	sigaddset(&ours, SIGWINCH);
	sigprocmask(SIG_BLOCK, &ours, &wait_mask);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGWINCH);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	caught = true;
}

int cli_wait(struct pollfd *fds, nfds_t n, uint64_t deadline)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	struct timespec ts;
	int rc;

	if (cli_stop)
		return 0;
	if (deadline != UINT64_MAX) {
		uint64_t left = deadline > now ? deadline - now : 0;

		ts.tv_sec = (time_t)(left / 1000000000u);
		ts.tv_nsec = (long)(left % 1000000000u);
	}
	rc = ppoll(fds, n, deadline == UINT64_MAX ? NULL : &ts, caught ? &wait_mask : NULL);
	if (rc < 0)
		return errno == EINTR ? CLI_WAIT_SIGNAL : -errno;
	return rc;
}

uint64_t cli_tick_after(uint64_t tick, uint64_t period_ns, uint64_t now)
{
	tick += period_ns;
	return tick + period_ns <= now ? now : tick;
}

uint64_t cli_next_tick(uint64_t tick, uint64_t period_ns)
{
	return cli_tick_after(tick, period_ns, clock_ns(CLOCK_MONOTONIC));
}

void cli_sleep_until(uint64_t deadline)
{
	while (!cli_stop && clock_ns(CLOCK_MONOTONIC) < deadline)
		cli_wait(NULL, 0, deadline);
}
