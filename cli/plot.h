/* SPDX-License-Identifier: GPL-2.0 */
/* report's images, drawn with cairo (plot.c). */
#ifndef CLI_PLOT_H
#define CLI_PLOT_H

#include <stdbool.h>

#include "heatmap.h"

enum { PLOT_PNG = 1, PLOT_SVG };

/* PLOT_PNG or PLOT_SVG by @path's ending (any case), or -EINVAL */
int plot_format(const char *path);

/* Where the plot area was drawn, in pixels: report -j prints it, tests sample it */
struct plot_geometry {
	int width, height;		/* of the image */
	double x, y, w, h;		/* the plot area */
	double cell_w, cell_h;		/* heatmap cells */
};

/* 0, or a negative errno with @why cairo's reason */
int plot_heatmap(const char *path, const struct heatmap *m, const char *title,
		 struct plot_geometry *g, const char **why);
int plot_wss(const char *path, const struct wss_point *p, size_t n, uint64_t page_size,
	     const char *title, struct plot_geometry *g, const char **why);

#endif
