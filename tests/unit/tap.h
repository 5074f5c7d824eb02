/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP producer for the host unit tests. */
#ifndef TESTS_UNIT_TAP_H
#define TESTS_UNIT_TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

#define TAP_OK(cond, ...)                                                \
	do {                                                             \
		int ok_ = !!(cond);                                      \
		tap_failed += !ok_;                                      \
		printf("%sok %d - ", ok_ ? "" : "not ", ++tap_n);        \
		printf(__VA_ARGS__);                                     \
		printf("\n");                                            \
		if (!ok_)                                                \
			printf("#   failed at %s:%d: %s\n", __FILE__,   \
			       __LINE__, #cond);                         \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
