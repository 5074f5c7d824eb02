// SPDX-License-Identifier: GPL-2.0
/* The heatmap grid, the colour scale and terminal drawing (heatmap.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "heatmap.h"

int heatmap_init(struct heatmap *m, unsigned int w, unsigned int h, unsigned int unit,
		 uint64_t t0, uint64_t t1, uint64_t page_size, const uint64_t (*ranges)[2],
		 unsigned int n)
{
	uint64_t r[HM_MAX_SEGMENTS * 2][2], total = 0;
	unsigned int k = 0, used = 0;

	memset(m, 0, sizeof(*m));
	if (!n || !w || !h || !unit || !page_size || t1 <= t0)
		return -EINVAL;
	/* share out units of rows, so that a segment never shares a text line */
	h = (h + unit - 1) / unit;
	/* join across the smallest holes until the ranges fit */
	for (unsigned int i = 0; i < n; i++) {
		if (k == sizeof(r) / sizeof(r[0])) {
			r[k - 1][1] = ranges[i][1];
		} else {
			r[k][0] = ranges[i][0];
			r[k][1] = ranges[i][1];
			k++;
		}
		while (k > HM_MAX_SEGMENTS) {
			unsigned int best = 1;

			for (unsigned int j = 2; j < k; j++)
				if (r[j][0] - r[j - 1][1] < r[best][0] - r[best - 1][1])
					best = j;
			r[best - 1][1] = r[best][1];
			memmove(&r[best], &r[best + 1], (k - best - 1) * sizeof(r[0]));
			k--;
		}
	}
	if (h < k)
		h = k;
	for (unsigned int i = 0; i < k; i++)
		total += r[i][1] - r[i][0];
	for (unsigned int i = 0; i < k; i++) {
		unsigned int rows = (unsigned int)((double)(r[i][1] - r[i][0]) / (double)total *
						   (double)h);

		m->seg[i] = (struct hm_segment){ r[i][0], r[i][1], 0, rows ? rows : 1 };
		used += m->seg[i].rows;
	}
	/* rounding: the largest range takes or gives the rows left over */
	while (used != h) {
		unsigned int big = 0;

		for (unsigned int i = 1; i < k; i++)
			if (m->seg[i].rows > m->seg[big].rows)
				big = i;
		if (used < h) {
			m->seg[big].rows++;
			used++;
		} else {
			m->seg[big].rows--;
			used--;
		}
	}
	for (unsigned int i = 0; i < k; i++) {
		m->hole_unmapped[i] = UINT64_MAX;
		m->seg[i].rows *= unit;
		if (i)
			m->seg[i].row0 = m->seg[i - 1].row0 + m->seg[i - 1].rows;
	}
	h *= unit;
	m->n_seg = k;
	m->w = w;
	m->h = h;
	m->t0 = t0;
	m->t1 = t1;
	m->page_size = page_size;
	m->pages = calloc((size_t)w * h, sizeof(*m->pages));
	m->reads = calloc(w, sizeof(*m->reads));
	m->interval = calloc(h, sizeof(*m->interval));
	m->touched_lo = h;
	if (!m->pages || !m->reads || !m->interval) {
		heatmap_free(m);
		return -ENOMEM;
	}
	return 0;
}

/* Bytes in MiB as the holes have always been named, in KiB below 0.1 MiB */
static void hole_size(char *buf, size_t size, uint64_t bytes)
{
	if (bytes < (1 << 20) / 10)
		snprintf(buf, size, "%.1f KiB", (double)bytes / 1024);
	else
		snprintf(buf, size, "%.1f MiB", (double)bytes / (1 << 20));
}

void heatmap_hole_label(const struct heatmap *m, unsigned int i, char *buf, size_t size)
{
	uint64_t len = m->seg[i + 1].lo - m->seg[i].hi, unmapped = m->hole_unmapped[i];
	char a[32], b[32];

	hole_size(a, sizeof(a), len);
	hole_size(b, sizeof(b), unmapped);
	if (unmapped == UINT64_MAX)
		snprintf(buf, size, "%s never dirtied (mapping not recorded)", a);
	else if (!unmapped)
		snprintf(buf, size, "%s never dirtied", a);
	else if (unmapped >= len)
		snprintf(buf, size, "%s unmapped", a);
	else
		snprintf(buf, size, "%s never dirtied, %s of it unmapped", a, b);
}

void heatmap_free(struct heatmap *m)
{
	free(m->pages);
	free(m->reads);
	free(m->interval);
	m->pages = NULL;
	m->reads = NULL;
	m->interval = NULL;
}

static unsigned int column(const struct heatmap *m, uint64_t t)
{
	uint64_t x;

	if (t <= m->t0)
		return 0;
	x = (uint64_t)((double)(t - m->t0) / (double)(m->t1 - m->t0) * m->w);
	return x >= m->w ? m->w - 1 : (unsigned int)x;
}

/* The columns of the interval (since, t]: the last is t's, minus its end instant */
static void columns(const struct heatmap *m, uint64_t since, uint64_t t, unsigned int *first,
		    unsigned int *last)
{
	*first = column(m, since);
	*last = column(m, t > since ? t - 1 : t);
}

void heatmap_read(struct heatmap *m, uint64_t since, uint64_t t)
{
	unsigned int first, last;

	columns(m, since, t, &first, &last);
	for (unsigned int x = first; x <= last; x++)
		m->reads[x]++;
}

void heatmap_row_iova(const struct heatmap *m, unsigned int y, uint64_t *lo, uint64_t *hi)
{
	const struct hm_segment *s = heatmap_row_segment(m, y);
	uint64_t len = s->hi - s->lo;
	unsigned int i = y - s->row0;

	*lo = s->lo + (uint64_t)((double)len * i / s->rows);
	*hi = s->lo + (uint64_t)((double)len * (i + 1) / s->rows);
}

const struct hm_segment *heatmap_row_segment(const struct heatmap *m, unsigned int y)
{
	unsigned int i = 0;

	while (i + 1 < m->n_seg && y >= m->seg[i + 1].row0)
		i++;
	return &m->seg[i];
}

/* The run in the column of @col only */
/* Add the pages of a run to the interval's rows; the rows touched are noted */
void heatmap_add(struct heatmap *m, uint64_t iova, uint64_t pages)
{
	double *col = m->interval;
	uint64_t end = iova + pages * m->page_size;

	for (unsigned int i = 0; i < m->n_seg; i++) {
		const struct hm_segment *s = &m->seg[i];
		uint64_t a = iova > s->lo ? iova : s->lo, b = end < s->hi ? end : s->hi;
		unsigned int y;

		if (a >= b)
			continue;
		/* the row holding a (its estimate corrected for rounding), then on to b */
		y = s->row0 + (unsigned int)((double)(a - s->lo) / (double)(s->hi - s->lo) * s->rows);
		if (y >= s->row0 + s->rows)
			y = s->row0 + s->rows - 1;
		for (uint64_t lo, hi; heatmap_row_iova(m, y, &lo, &hi), a < lo && y > s->row0;)
			y--;
		for (uint64_t lo, hi; heatmap_row_iova(m, y, &lo, &hi), a >= hi &&
		     y + 1 < s->row0 + s->rows;)
			y++;
		for (; a < b && y < s->row0 + s->rows; y++) {
			uint64_t lo, hi;

			heatmap_row_iova(m, y, &lo, &hi);
			hi = y + 1 == s->row0 + s->rows || hi > b ? b : hi;
			if (hi > a) {
				col[y] += (double)(hi - a) / (double)m->page_size;
				a = hi;
				m->touched_lo = y < m->touched_lo ? y : m->touched_lo;
				m->touched_hi = y + 1 > m->touched_hi ? y + 1 : m->touched_hi;
			}
		}
	}
}

void heatmap_add_end(struct heatmap *m, uint64_t since, uint64_t t)
{
	unsigned int first, last, lo = m->touched_lo, hi = m->touched_hi;

	columns(m, since, t, &first, &last);
	for (unsigned int x = first; x <= last; x++)
		for (unsigned int y = lo; y < hi; y++)
			m->pages[(size_t)x * m->h + y] += m->interval[y];
	for (unsigned int y = lo; y < hi; y++)
		m->interval[y] = 0;
	m->touched_lo = m->h;
	m->touched_hi = 0;
}

double heatmap_value(const struct heatmap *m, unsigned int x, unsigned int y)
{
	uint64_t lo, hi;
	double row_pages;

	heatmap_row_iova(m, y, &lo, &hi);
	row_pages = (double)(hi - lo) / (double)m->page_size;
	if (!m->reads[x] || row_pages <= 0)
		return 0;
	return m->pages[(size_t)x * m->h + y] / (row_pages * (double)m->reads[x]);
}

void heatmap_finish(struct heatmap *m)
{
	m->max = 0;
	for (unsigned int x = 0; x < m->w; x++)
		for (unsigned int y = 0; y < m->h; y++)
			if (heatmap_value(m, x, y) > m->max)
				m->max = heatmap_value(m, x, y);
}

void heatmap_color(double v, uint8_t rgb[3])
{
	/* an approximation of matplotlib's "inferno": dark is cold, light is hot */
	static const uint8_t stops[5][3] = {
		{ 0, 0, 4 }, { 87, 16, 110 }, { 188, 55, 84 }, { 249, 142, 9 }, { 252, 255, 164 },
	};
	double at;
	unsigned int i;

	v = v < 0 ? 0 : v > 1 ? 1 : v;
	at = v * 4;
	i = at >= 4 ? 3 : (unsigned int)at;
	for (unsigned int c = 0; c < 3; c++)
		rgb[c] = (uint8_t)(stops[i][c] + (stops[i + 1][c] - stops[i][c]) * (at - i) + 0.5);
}

/* "0x1000000" in @buf */
static const char *hex(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "0x%llx", (unsigned long long)v);
	return buf;
}

#define LABEL_W 18	/* "0x" and 16 hex digits */

void heatmap_print(FILE *f, const struct heatmap *m, bool color, const char *label)
{
	static const char shades[] = " .:-=+*#%@";
	char buf[32], hole[96];

	char t0[32], t1[32];

	fprintf(f, "%s\n", label);
	for (unsigned int y = 0; y < m->h; y += 2) {
		const struct hm_segment *s = heatmap_row_segment(m, y);
		uint64_t lo, hi;

		/* a hole between two ranges (segments start on even rows here): a marked line */
		if (s != m->seg && s->row0 == y) {
			heatmap_hole_label(m, (unsigned int)(s - m->seg) - 1, hole, sizeof(hole));
			fprintf(f, "%*s ~~ %s ~~\n", LABEL_W, "", hole);
		}
		heatmap_row_iova(m, y, &lo, &hi);
		fprintf(f, "%*s ", LABEL_W, s->row0 == y ? hex(buf, sizeof(buf), lo) : "");
		for (unsigned int x = 0; x < m->w; x++) {
			double top = m->max ? heatmap_value(m, x, y) / m->max : 0;
			double bottom = y + 1 < m->h && m->max ? heatmap_value(m, x, y + 1) / m->max : 0;

			if (color) {
				uint8_t a[3], b[3];

				heatmap_color(top, a);
				heatmap_color(bottom, b);
				/* upper half block: its colour on top, the background below */
				fprintf(f, "\033[38;2;%u;%u;%um\033[48;2;%u;%u;%um\u2580", a[0], a[1], a[2],
					b[0], b[1], b[2]);
			} else {
				double v = top > bottom ? top : bottom;

				fputc(shades[(int)(v * (sizeof(shades) - 2) + 0.5)], f);
			}
		}
		fprintf(f, "%s\n", color ? "\033[0m" : "");
	}
	snprintf(t0, sizeof(t0), "%.1f s", (double)m->t0 / 1e9);
	snprintf(t1, sizeof(t1), "%.1f s", (double)m->t1 / 1e9);
	fprintf(f, "%*s %-*s%s\n", LABEL_W, "",
		(int)(m->w > strlen(t0) + strlen(t1) ? m->w - strlen(t1) : strlen(t0) + 1), t0, t1);
	fprintf(f, "%*s dark: no page dirtied; %s: %.3g%% of a cell's pages dirty per interval\n",
		LABEL_W, "", color ? "light" : "'@'", m->max * 100);
}

void wss_print(FILE *f, const struct wss_point *p, size_t n, uint64_t page_size,
	       unsigned int width, unsigned int height, const char *label)
{
	uint64_t max = n ? p[n - 1].pages : 0, t0 = n ? p[0].t : 0, t1 = n ? p[n - 1].t : 0;

	fprintf(f, "%s\n", label);
	for (unsigned int row = height; row > 0; row--) {
		char level[32] = "";

		if (row == height)
			snprintf(level, sizeof(level), "%llu", (unsigned long long)(max * page_size));
		fprintf(f, "%*s |", LABEL_W, level);
		for (unsigned int x = 0; x < width; x++) {
			uint64_t t = t0 + (t1 - t0) * (x + 1) / width;
			size_t i = 0;

			while (i + 1 < n && p[i + 1].t <= t)
				i++;
			fputc(n && p[i].pages * height >= max * row - max / 2 && max ? '#' : ' ', f);
		}
		fputc('\n', f);
	}
	fprintf(f, "%*s +", LABEL_W, "bytes");
	for (unsigned int x = 0; x < width; x++)
		fputc('-', f);
	fputc('\n', f);
	{
		char a[32], b[32];

		snprintf(a, sizeof(a), "%.1f s", (double)t0 / 1e9);
		snprintf(b, sizeof(b), "%.1f s", (double)t1 / 1e9);
		fprintf(f, "%*s  %-*s%s\n", LABEL_W, "",
			(int)(width > strlen(a) + strlen(b) ? width - strlen(b) : strlen(a) + 1), a, b);
	}
}
