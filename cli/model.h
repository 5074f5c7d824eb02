/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pre-copy live migration model of `rate` (written out in
 * iommu-dirtyctl(8)): pass 0 copies all memory while the VM runs; each
 * next pass copies what was dirtied during the previous one; when a pass
 * would fit in the allowed downtime, the VM stops and that pass is the
 * downtime.
 */
#ifndef CLI_MODEL_H
#define CLI_MODEL_H

#include <stdbool.h>

#define PRECOPY_MAX_PASSES 30

struct precopy {
	double memory;		/* bytes to copy */
	double dirty_rate;	/* bytes/s dirtied while the VM runs */
	double bandwidth;	/* bytes/s of the link */
	double downtime;	/* seconds the VM may stop */
};

struct precopy_result {
	bool converges;
	unsigned int passes;	/* copies while running, before the stop */
	double downtime;	/* of the final stop (if forced after the last pass when not converging) */
	double total;		/* seconds from start to resume */
	double transferred;	/* bytes */
};

void precopy_estimate(const struct precopy *in, struct precopy_result *out);

#endif
