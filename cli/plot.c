// SPDX-License-Identifier: GPL-2.0
/*
 * report's images through cairo: the heatmap and the working set as PNG
 * or SVG, chosen by the file's ending. cairo writes both (and renders the
 * text of the axes) from one drawing; no image encoder of ours.
 */
#include <cairo.h>
#include <cairo-svg.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "plot.h"

#define MARGIN_L 130
#define MARGIN_R 110
#define MARGIN_T 44
#define MARGIN_B 56
#define HOLE_GAP 12

static bool ends_with(const char *s, const char *end)
{
	size_t a = strlen(s), b = strlen(end);

	return a >= b && !strcasecmp(s + a - b, end);
}

int plot_format(const char *path)
{
	if (ends_with(path, ".png"))
		return PLOT_PNG;
	if (ends_with(path, ".svg"))
		return PLOT_SVG;
	return -EINVAL;
}

static cairo_surface_t *surface(const char *path, int width, int height)
{
	return plot_format(path) == PLOT_SVG ? cairo_svg_surface_create(path, width, height) :
	       cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
}

/*
 * Write and release: 0, or a negative errno with @why set and no partial
 * file left at @path. The drawing's own status counts: an error in the
 * context does not always reach the surface.
 */
static int finish(cairo_t *cr, const char *path, const char **why)
{
	cairo_surface_t *s = cairo_surface_reference(cairo_get_target(cr));
	cairo_status_t st = cairo_status(cr);

	cairo_destroy(cr);
	if (st == CAIRO_STATUS_SUCCESS && plot_format(path) == PLOT_PNG) {
		st = cairo_surface_write_to_png(s, path);
	} else {
		cairo_surface_finish(s);
		if (st == CAIRO_STATUS_SUCCESS)
			st = cairo_surface_status(s);
	}
	cairo_surface_destroy(s);
	if (st == CAIRO_STATUS_SUCCESS)
		return 0;
	*why = cairo_status_to_string(st);
	unlink(path);
	return -EIO;
}

/* A surface to draw on, or NULL with @why set (an SVG's file cannot be created) */
static cairo_surface_t *start(const char *path, int width, int height, const char **why)
{
	cairo_surface_t *s = surface(path, width, height);
	cairo_status_t st = cairo_surface_status(s);

	if (st == CAIRO_STATUS_SUCCESS)
		return s;
	*why = cairo_status_to_string(st);
	cairo_surface_destroy(s);
	return NULL;
}

/*
 * The cells, one pixel each, in an image the plot paints scaled: a vector
 * file holds one picture, not a path per cell, whatever the resolution.
 */
static cairo_surface_t *cells(const struct heatmap *m)
{
	cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)m->w, (int)m->h);
	unsigned char *data;
	int stride;

	if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS)
		return img;
	cairo_surface_flush(img);
	data = cairo_image_surface_get_data(img);
	stride = cairo_image_surface_get_stride(img);
	for (unsigned int y = 0; y < m->h; y++) {
		uint32_t *row = (uint32_t *)(data + (size_t)y * stride);

		for (unsigned int x = 0; x < m->w; x++) {
			uint8_t rgb[3];

			heatmap_color(m->max ? heatmap_value(m, x, y) / m->max : 0, rgb);
			row[x] = (uint32_t)rgb[0] << 16 | (uint32_t)rgb[1] << 8 | rgb[2];
		}
	}
	cairo_surface_mark_dirty(img);
	return img;
}

static void text(cairo_t *cr, double x, double y, const char *s, double align)
{
	cairo_text_extents_t e;

	cairo_text_extents(cr, s, &e);
	cairo_move_to(cr, x - e.x_advance * align, y);
	cairo_show_text(cr, s);
}

static void background(cairo_t *cr, const char *title, int width)
{
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
	cairo_set_font_size(cr, 15);
	text(cr, width / 2.0, 26, title, 0.5);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, 11);
}

/* A context on a new image of @g's size, its title drawn; NULL with @why set */
static cairo_t *canvas(const char *path, const struct plot_geometry *g, const char *title,
		       const char **why)
{
	cairo_surface_t *s = start(path, g->width, g->height, why);
	cairo_t *cr;

	if (!s)
		return NULL;
	cr = cairo_create(s);
	cairo_surface_destroy(s);	/* the context holds it */
	background(cr, title, g->width);
	return cr;
}

/* The y of row @y's top: rows of later segments sit below the holes before them */
static double row_top(const struct heatmap *m, const struct plot_geometry *g, unsigned int y)
{
	const struct hm_segment *s = heatmap_row_segment(m, y);

	return g->y + y * g->cell_h + (double)(s - m->seg) * HOLE_GAP;
}

int plot_heatmap(const char *path, const struct heatmap *m, const char *title,
		 struct plot_geometry *g, const char **why)
{
	cairo_surface_t *img;
	cairo_t *cr;
	char buf[128];

	g->cell_w = m->w < 800 ? 800 / m->w : 1;
	g->cell_h = m->h < 480 ? 480 / m->h : 1;
	g->x = MARGIN_L;
	g->y = MARGIN_T;
	g->w = g->cell_w * m->w;
	g->h = g->cell_h * m->h + (m->n_seg - 1) * HOLE_GAP;
	g->width = (int)(g->x + g->w + MARGIN_R);
	g->height = (int)(g->y + g->h + MARGIN_B);
	cr = canvas(path, g, title, why);
	if (!cr)
		return -EIO;
	img = cells(m);
	/* each range's rows where they go, the holes between them left out */
	for (unsigned int i = 0; i < m->n_seg; i++) {
		const struct hm_segment *sg = &m->seg[i];
		double top = row_top(m, g, sg->row0);

		cairo_save(cr);
		cairo_rectangle(cr, g->x, top, g->w, sg->rows * g->cell_h);
		cairo_clip(cr);
		cairo_translate(cr, g->x, top - sg->row0 * g->cell_h);
		cairo_scale(cr, g->cell_w, g->cell_h);
		cairo_set_source_surface(cr, img, 0, 0);
		cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
		cairo_paint(cr);
		cairo_restore(cr);
	}
	cairo_surface_destroy(img);
	/* the IOVA axis: each range's start and end; holes hatched and named */
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (unsigned int i = 0; i < m->n_seg; i++) {
		const struct hm_segment *sg = &m->seg[i];
		double top = row_top(m, g, sg->row0);
		double bottom = top + sg->rows * g->cell_h;

		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)sg->lo);
		text(cr, g->x - 6, top + 10, buf, 1);
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)sg->hi);
		text(cr, g->x - 6, bottom, buf, 1);
		if (i + 1 < m->n_seg) {
			double y0 = bottom, y1 = bottom + HOLE_GAP;

			cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
			for (double x = g->x; x < g->x + g->w; x += 8) {
				cairo_move_to(cr, x, y1);
				cairo_line_to(cr, x + HOLE_GAP, y0);
			}
			cairo_stroke(cr);
			buf[0] = ' ';
			heatmap_hole_label(m, i, buf + 1, sizeof(buf) - 2);
			strcat(buf, " ");
			/* the hole's size on a white patch in the middle of its band */
			{
				cairo_text_extents_t e;

				cairo_text_extents(cr, buf, &e);
				cairo_set_source_rgb(cr, 1, 1, 1);
				cairo_rectangle(cr, g->x + (g->w - e.x_advance) / 2, y0, e.x_advance,
						HOLE_GAP);
				cairo_fill(cr);
			}
			cairo_set_source_rgb(cr, 0, 0, 0);
			text(cr, g->x + g->w / 2, y1 - 2, buf, 0.5);
		}
	}
	cairo_save(cr);
	cairo_translate(cr, 16, g->y + g->h / 2);
	cairo_rotate(cr, -1.5707963);
	text(cr, 0, 0, "IOVA", 0.5);
	cairo_restore(cr);
	/* the time axis */
	for (unsigned int k = 0; k <= 4; k++) {
		double t = (double)m->t0 + (double)(m->t1 - m->t0) * k / 4;

		snprintf(buf, sizeof(buf), "%.1f s", t / 1e9);
		text(cr, g->x + g->w * k / 4, g->y + g->h + 16, buf, k == 0 ? 0 : k == 4 ? 1 : 0.5);
	}
	text(cr, g->x + g->w / 2, g->y + g->h + 38, "time since the recording began", 0.5);
	/* the colour scale */
	for (int k = 0; k < 100; k++) {
		uint8_t rgb[3];

		heatmap_color(k / 99.0, rgb);
		cairo_set_source_rgb(cr, rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0);
		cairo_rectangle(cr, g->x + g->w + 14, g->y + g->h * (99 - k) / 100.0, 14,
				g->h / 100.0 + 1);
		cairo_fill(cr);
	}
	cairo_set_source_rgb(cr, 0, 0, 0);
	snprintf(buf, sizeof(buf), "%.3g%%", m->max * 100);
	text(cr, g->x + g->w + 32, g->y + 10, buf, 0);
	text(cr, g->x + g->w + 32, g->y + g->h, "0%", 0);
	text(cr, g->x + g->w + 14, g->y + g->h + 16, "pages dirty", 0);
	text(cr, g->x + g->w + 14, g->y + g->h + 30, "per interval", 0);
	return finish(cr, path, why);
}

int plot_wss(const char *path, const struct wss_point *p, size_t n, uint64_t page_size,
	     const char *title, struct plot_geometry *g, const char **why)
{
	uint64_t max = n ? p[n - 1].pages * page_size : 0, t0 = n ? p[0].t : 0;
	uint64_t t1 = n ? p[n - 1].t : 0;
	cairo_t *cr;
	char buf[64];

	*g = (struct plot_geometry){ .x = MARGIN_L, .y = MARGIN_T, .w = 800, .h = 400 };
	g->width = (int)(g->x + g->w + 40);
	g->height = (int)(g->y + g->h + MARGIN_B);
	cr = canvas(path, g, title, why);
	if (!cr)
		return -EIO;
	cairo_set_line_width(cr, 1);
	cairo_rectangle(cr, g->x, g->y, g->w, g->h);
	cairo_stroke(cr);
	snprintf(buf, sizeof(buf), "%.1f MiB", (double)max / (1 << 20));
	text(cr, g->x - 6, g->y + 10, buf, 1);
	text(cr, g->x - 6, g->y + g->h, "0", 1);
	snprintf(buf, sizeof(buf), "%.1f s", (double)t0 / 1e9);
	text(cr, g->x, g->y + g->h + 16, buf, 0);
	snprintf(buf, sizeof(buf), "%.1f s", (double)t1 / 1e9);
	text(cr, g->x + g->w, g->y + g->h + 16, buf, 1);
	text(cr, g->x + g->w / 2, g->y + g->h + 38, "time since the recording began", 0.5);
	cairo_save(cr);
	cairo_translate(cr, 16, g->y + g->h / 2);
	cairo_rotate(cr, -1.5707963);
	text(cr, 0, 0, "working set (distinct pages dirtied)", 0.5);
	cairo_restore(cr);
	cairo_set_source_rgb(cr, 0.75, 0.2, 0.2);
	cairo_set_line_width(cr, 2);
	for (size_t i = 0; i < n && max && t1 > t0; i++) {
		double x = g->x + g->w * (double)(p[i].t - t0) / (double)(t1 - t0);
		double y = g->y + g->h - g->h * (double)(p[i].pages * page_size) / (double)max;

		if (i)
			cairo_line_to(cr, x, y);
		else
			cairo_move_to(cr, x, y);
	}
	cairo_stroke(cr);
	return finish(cr, path, why);
}
