/* SPDX-License-Identifier: GPL-2.0 */
/* A clock's time as one number, for the CLI and the test tools alike. */
#ifndef COMMON_CLOCK_NS_H
#define COMMON_CLOCK_NS_H

#include <stdint.h>
#include <time.h>

#define NS_PER_S UINT64_C(1000000000)

/* Nanoseconds on @clock (CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME...). */
static inline uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

#endif
