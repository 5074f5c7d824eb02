// SPDX-License-Identifier: GPL-2.0
#include "model.h"

void precopy_estimate(const struct precopy *in, struct precopy_result *out)
{
	double t = in->memory / in->bandwidth, dirty;

	out->converges = false;
	out->passes = 1;
	out->total = t;
	out->transferred = in->memory;
	for (;;) {
		/* What the last pass left dirty: never more than all memory */
		dirty = in->dirty_rate * t;
		if (dirty > in->memory)
			dirty = in->memory;
		t = dirty / in->bandwidth;
		out->downtime = t;
		if (t <= in->downtime) {
			out->converges = true;
			break;
		}
		if (out->passes == PRECOPY_MAX_PASSES)
			break;
		out->passes++;
		out->total += t;
		out->transferred += dirty;
	}
	out->total += t;
	out->transferred += dirty;
}
