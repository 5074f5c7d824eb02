// SPDX-License-Identifier: GPL-2.0
/*
 * How domains, sizes and times print, shared by every subcommand that
 * shows a domain (list, show, enable, disable, monitor): one JSON writer
 * and one text layout, so the commands cannot drift apart.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

char *cli_u64(char *buf, size_t len, uint64_t v)
{
	char digits[20];
	size_t n = 0;

	if (!len)
		return buf;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	/* cut as snprintf cuts */
	for (size_t i = 0; i < n && i < len - 1; i++)
		buf[i] = digits[n - 1 - i];
	buf[n < len - 1 ? n : len - 1] = '\0';
	return buf;
}

char *cli_fixed(char *buf, size_t len, double v, unsigned int decimals)
{
	static const uint32_t scale[] = { 1, 10, 100, 1000 };
	char whole[21];
	uint64_t n, unit;
	double s, frac;
	size_t used;

	/*
	 * Rounding the scaled value agrees with rounding @v's exact value
	 * unless the scaled value is a tie: no half-integer lies between the
	 * two, or rounding would not be monotonic. printf has ties, negative
	 * numbers (-0 too), NaN, values past 2^52 (whose fraction is lost)
	 * and buffers too small.
	 */
	if (decimals >= sizeof(scale) / sizeof(scale[0]) || !(v >= 0) || signbit(v))
		goto by_printf;
	s = v * scale[decimals];
	if (!(s < 0x1p52))
		goto by_printf;
	n = (uint64_t)s;
	frac = s - (double)n;
	if (frac == 0.5)
		goto by_printf;
	n += frac > 0.5;
	unit = scale[decimals];
	cli_u64(whole, sizeof(whole), n / unit);
	used = strlen(whole);
	if (used + (decimals ? 1 + decimals : 0) + 1 > len)
		goto by_printf;
	memcpy(buf, whole, used);
	if (decimals) {
		buf[used++] = '.';
		for (uint64_t part = n % unit, d = unit / 10; d; d /= 10)
			buf[used++] = (char)('0' + part / d % 10);
	}
	buf[used] = '\0';
	return buf;
by_printf:
	snprintf(buf, len, "%.*f", (int)decimals, v);
	return buf;
}

void cli_size(const struct cli *c, char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	char text[32];
	size_t used;
	int u = -1;

	if (c->bytes || bytes < 1024) {
		cli_u64(buf, len, bytes);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	/* whole, then cut to @buf as snprintf would cut it */
	cli_fixed(text, sizeof(text) - 1, v, v < 10 && v != (double)(uint64_t)v ? 1 : 0);
	used = strlen(text);
	text[used] = units[u];
	text[used + 1] = '\0';
	text_copy(buf, len, text);
}

void cli_time(char *buf, size_t len, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (!ns || !localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "-");
}

/* A name the library does not know comes back as "?": show the number instead. */
static const char *enum_text(char *buf, size_t len, const char *name, uint32_t v)
{
	return strcmp(name, "?") ? text_copy(buf, len, name) : cli_u64(buf, len, v);
}

const char *cli_mechanism(char *buf, size_t len, uint32_t mechanism)
{
	return enum_text(buf, len, iommudirty_mechanism_name(mechanism), mechanism);
}

const char *cli_iommu_type(char *buf, size_t len, uint32_t type)
{
	return enum_text(buf, len, iommudirty_iommu_type_name(type), type);
}

void cli_json_enum(struct json *j, const char *key, const char *name, uint32_t v)
{
	if (strcmp(name, "?"))
		json_str(j, key, name);
	else
		json_u64(j, key, v);
}

const char *cli_on(const struct cli *c, bool on)
{
	if (!c->color)
		return on ? "on" : "off";
	return on ? "\033[32mon\033[0m" : "\033[2moff\033[0m";
}

/*
 * JSON keys are the spec's attribute names with '-' as '_'; u8 flags are
 * booleans, enums their names, times ns since the epoch (0 omitted).
 */
static void json_observer(struct json *j, const struct iommudirty_observer *o)
{
	json_obj_open(j, NULL);
	if (o->name)
		json_str(j, "name", o->name);
	json_u64(j, "pid", o->pid);
	json_str(j, "comm", o->comm);
	json_u64(j, "since", o->since_ns);
	if (o->expires_ns)
		json_u64(j, "expires", o->expires_ns);
	json_u64(j, "reads", o->reads);
	json_u64(j, "dirty_pages", o->dirty_pages);
	json_bool(j, "overflow", o->overflow);
	json_u64(j, "pending_bytes", o->pending_bytes);
	json_bool(j, "precise", o->precise);
	json_obj_close(j);
}

void cli_json_domain(struct json *j, const char *key, const struct iommudirty_domain *d)
{
	json_obj_open(j, key);
	cli_json_domain_members(j, d);
	json_obj_close(j);
}

void cli_json_domain_members(struct json *j, const struct iommudirty_domain *d)
{
	json_u64(j, "id", d->id);
	json_u64(j, "owner_pid", d->owner_pid);
	json_str(j, "owner_comm", d->owner_comm);
	json_u64(j, "hwpt_id", d->hwpt_id);
	json_u64(j, "ioas_id", d->ioas_id);
	json_arr_open(j, "dev");
	for (unsigned int i = 0; i < d->n_devs; i++)
		json_str(j, NULL, d->devs[i]);
	json_arr_close(j);
	json_u64(j, "mapped_bytes", d->mapped_bytes);
	json_u64(j, "pgsize_bitmap", d->pgsize_bitmap);
	json_u64(j, "aperture_start", d->aperture_start);
	json_u64(j, "aperture_end", d->aperture_end);
	json_bool(j, "dirty_alloc", d->dirty_alloc);
	cli_json_enum(j, "mechanism", iommudirty_mechanism_name(d->mechanism), d->mechanism);
	json_bool(j, "tracking", d->tracking);
	json_bool(j, "owner_tracking", d->owner_tracking);
	json_u64(j, "consumers", d->consumers);
	json_u64(j, "harvests", d->harvests);
	json_u64(j, "dirty_pages", d->dirty_pages);
	if (d->last_harvest_ns)
		json_u64(j, "last_harvest", d->last_harvest_ns);
	json_u64(j, "created", d->created_ns);
	json_u64(j, "observer_reads", d->observer_reads);
	json_arr_open(j, "observer");
	for (unsigned int i = 0; i < d->n_observers; i++)
		json_observer(j, iommudirty_domain_observer(d, i));
	json_arr_close(j);
	/* a kernel without them: left out, not reported as false */
	if (!d->has_precise)
		return;
	json_bool(j, "precise", d->precise);
	json_bool(j, "precise_cap", d->precise_cap);
	json_arr_open(j, "granularity");
	for (unsigned int i = 0; i < d->n_gran; i++) {
		const struct iommudirty_gran *g = iommudirty_domain_gran(d, i);

		json_obj_open(j, NULL);
		json_u64(j, "page_size", g->page_size);
		json_u64(j, "owner_records", g->owner_records);
		json_u64(j, "owner_bytes", g->owner_bytes);
		json_u64(j, "observer_records", g->observer_records);
		json_u64(j, "observer_bytes", g->observer_bytes);
		json_obj_close(j);
	}
	json_arr_close(j);
}

static void text_observer(const struct cli *c, const struct iommudirty_observer *o)
{
	char since[32], expires[32], pending[32], comm[TEXT_ESCAPED_SIZE(64)];
	char name[TEXT_ESCAPED_SIZE(32)], cell[TEXT_ESCAPED_SIZE(32) + 16];

	cli_time(since, sizeof(since), o->since_ns);
	cli_time(expires, sizeof(expires), o->expires_ns);
	cli_size(c, pending, sizeof(pending), o->pending_bytes);
	text_escape(name, sizeof(name), o->name ? o->name : "(socket)");
	printf("    %s pid %u (%s) since %s%s%s, %llu reads, %llu dirty pages, %s pending%s\n",
	       text_pad(cell, sizeof(cell), name, -16, false),
	       o->pid, text_escape(comm, sizeof(comm), o->comm), since,
	       o->expires_ns ? " until " : "", o->expires_ns ? expires : "",
	       (unsigned long long)o->reads, (unsigned long long)o->dirty_pages, pending,
	       o->overflow ? ", OVERFLOWED (reads every page)" : "");
	if (o->precise)
		printf("    %16s asked for precise tracking\n", "");
}

/* The page sizes of a pgsize bitmap, "4K 2M 1G". */
static void page_sizes(const struct cli *c, char *buf, size_t len, uint64_t bitmap)
{
	struct cli exact = *c;
	size_t used = 0;

	exact.bytes = false;
	buf[0] = '\0';
	for (int b = 0; b < 64 && used < len; b++) {
		char one[32];

		if (!(bitmap >> b & 1))
			continue;
		cli_size(&exact, one, sizeof(one), 1ULL << b);
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "", one);
	}
}

/*
 * Dirty records by IOPTE size: how much of what reads report is whole huge
 * IOPTEs. Each size's share is of every dirty byte the clearing reads took.
 * Columns as wide as their widest cell (--bytes prints whole numbers).
 */
static void text_granularity(const struct cli *c, const struct iommudirty_domain *d)
{
	static const char *const head[] = { "SIZE", "OWNER RECORDS", "OWNER BYTES",
					    "OBSERVER RECORDS", "OBSERVER BYTES", "SHARE" };
	char cell[64][6][32];
	int width[6];
	uint64_t total = 0;
	unsigned int n = d->n_gran < 64 ? d->n_gran : 64;

	if (!n) {
		printf("  granularity   no dirty record taken yet\n");
		return;
	}
	for (unsigned int i = 0; i < n; i++)
		total += iommudirty_domain_gran(d, i)->owner_bytes +
			 iommudirty_domain_gran(d, i)->observer_bytes;
	for (int k = 0; k < 6; k++)
		width[k] = (int)strlen(head[k]);
	for (unsigned int i = 0; i < n; i++) {
		const struct iommudirty_gran *g = iommudirty_domain_gran(d, i);

		cli_size(c, cell[i][0], 32, g->page_size);
		snprintf(cell[i][1], 32, "%llu", (unsigned long long)g->owner_records);
		cli_size(c, cell[i][2], 32, g->owner_bytes);
		snprintf(cell[i][3], 32, "%llu", (unsigned long long)g->observer_records);
		cli_size(c, cell[i][4], 32, g->observer_bytes);
		snprintf(cell[i][5], 32, "%.1f%%", total ? 100.0 * (double)(g->owner_bytes +
			 g->observer_bytes) / (double)total : 0.0);
		for (int k = 0; k < 6; k++)
			if ((int)strlen(cell[i][k]) > width[k])
				width[k] = (int)strlen(cell[i][k]);
	}
	printf("  granularity   dirty records by IOPTE size, taken by clearing reads\n   ");
	for (int k = 0; k < 6; k++)
		printf(" %*s", k ? width[k] : -width[k], head[k]);
	printf("\n");
	for (unsigned int i = 0; i < n; i++) {
		printf("   ");
		for (int k = 0; k < 6; k++)
			printf(" %*s", k ? width[k] : -width[k], cell[i][k]);
		printf("\n");
	}
}

void cli_text_domain(const struct cli *c, const struct iommudirty_domain *d)
{
	char mapped[32], created[32], last[32], sizes[256], text[TEXT_ESCAPED_SIZE(64)], mech[24];

	cli_size(c, mapped, sizeof(mapped), d->mapped_bytes);
	cli_time(created, sizeof(created), d->created_ns);
	cli_time(last, sizeof(last), d->last_harvest_ns);
	page_sizes(c, sizes, sizeof(sizes), d->pgsize_bitmap);
	printf("domain %llu\n", (unsigned long long)d->id);
	printf("  owner         pid %u (%s), hwpt %u, ioas %u, created %s\n", d->owner_pid,
	       text_escape(text, sizeof(text), d->owner_comm), d->hwpt_id, d->ioas_id, created);
	printf("  devices      ");
	for (unsigned int i = 0; i < d->n_devs; i++)
		printf(" %s", text_escape(text, sizeof(text), d->devs[i]));
	printf("%s\n", d->n_devs ? "" : " -");
	printf("  mapped        %s in aperture 0x%llx-0x%llx, page sizes %s\n", mapped,
	       (unsigned long long)d->aperture_start, (unsigned long long)d->aperture_end, sizes);
	printf("  mechanism     %s%s\n", cli_mechanism(mech, sizeof(mech), d->mechanism),
	       d->dirty_alloc ? "" : " (not allocated for dirty tracking)");
	printf("  tracking      %s (owner %s, %u consumer%s)\n", cli_on(c, d->tracking),
	       cli_on(c, d->owner_tracking), d->consumers, d->consumers == 1 ? "" : "s");
	printf("  harvests      %llu by the owner, %llu dirty pages, last %s\n",
	       (unsigned long long)d->harvests, (unsigned long long)d->dirty_pages, last);
	if (d->has_precise) {
		printf("  precise       %s%s\n", cli_on(c, d->precise),
		       d->precise_cap ? "" : " (its IOMMU driver cannot split IOPTEs safely)");
		text_granularity(c, d);
	} else {
		printf("  granularity   unknown: this kernel does not report it\n");
	}
	printf("  observers     %u, %llu chunks read\n", d->n_observers,
	       (unsigned long long)d->observer_reads);
	for (unsigned int i = 0; i < d->n_observers; i++)
		text_observer(c, iommudirty_domain_observer(d, i));
}

void cli_gran_bytes(const struct iommudirty_domain *d, uint64_t *all, uint64_t *huge)
{
	uint64_t page = d->pgsize_bitmap & -d->pgsize_bitmap;

	*all = *huge = 0;
	for (unsigned int i = 0; i < d->n_gran; i++) {
		const struct iommudirty_gran *g = iommudirty_domain_gran(d, i);

		*all += g->owner_bytes + g->observer_bytes;
		if (g->page_size > page)
			*huge += g->owner_bytes + g->observer_bytes;
	}
}

void cli_json_extent(struct json *j, uint64_t iova, uint64_t pages)
{
	json_obj_open(j, NULL);
	json_u64(j, "iova", iova);
	json_u64(j, "pages", pages);
	json_obj_close(j);
}
