// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the CLI's JSON writer and size formatting; ASan/UBSan. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../cli/cli.h"
#include "../../cli/model.h"
#include "../../cli/pageset.h"
#include "../../cli/top.h"
#include "tap.h"

/* Run @fn on a writer into memory; returns the text (free it). */
static char *capture(bool pretty, void (*fn)(struct json *j))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f, pretty);
	fn(&j);
	fclose(f);
	return buf;
}

static void nested(struct json *j)
{
	json_obj_open(j, NULL);
	json_str(j, "s", "a\"b\\c\n\x01");
	json_u64(j, "big", UINT64_MAX);
	json_i64(j, "neg", -5);
	json_bool(j, "t", true);
	json_arr_open(j, "empty");
	json_arr_close(j);
	json_arr_open(j, "list");
	json_u64(j, NULL, 1);
	json_obj_open(j, NULL);
	json_null(j, "n");
	json_obj_close(j);
	json_arr_close(j);
	json_obj_close(j);
	json_end(j);
}

static void pretty_small(struct json *j)
{
	json_obj_open(j, NULL);
	json_u64(j, "a", 1);
	json_arr_open(j, "b");
	json_arr_close(j);
	json_obj_close(j);
	json_end(j);
}

static void test_json(void)
{
	char *s = capture(false, nested);

	TAP_OK(!strcmp(s, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"big\":18446744073709551615,"
		       "\"neg\":-5,\"t\":true,\"empty\":[],\"list\":[1,{\"n\":null}]}\n"),
	       "compact JSON with escapes and nesting");
	free(s);
	s = capture(true, pretty_small);
	TAP_OK(!strcmp(s, "{\n    \"a\": 1,\n    \"b\": []\n}\n"), "pretty JSON");
	free(s);
}

static void hostile(struct json *j)
{
	/* ESC, a byte that is not UTF-8, C1 CSI, DEL, an overlong '/', a surrogate, then é */
	json_str(j, NULL, "\x1b[2J\xff\xc2\x9b\x7f\xc0\xaf\xed\xa0\x80\xc3\xa9");
	json_end(j);
}

static bool valid_utf8(const char *s)
{
	uint32_t cp;

	for (size_t n; *s; s += n)
		if (!(n = utf8_decode((const unsigned char *)s, &cp)))
			return false;
	return true;
}

static void test_safe_text(void)
{
	char buf[64], small[8], *s;

	s = capture(false, hostile);
	TAP_OK(!strcmp(s, "\"\\u001b[2J\\ufffd\\u009b\\u007f\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\xc3\xa9\"\n"),
	       "JSON escapes control characters and replaces bytes that are not UTF-8: %s", s);
	TAP_OK(valid_utf8(s) && !strchr(s, 0x1b), "the JSON is valid UTF-8 without ESC");
	free(s);
	text_escape(buf, sizeof(buf), "\x1b]0;pwned\x07\xff\xc2\x9b\\\xc3\xa9 ok");
	TAP_OK(!strcmp(buf, "\\x1b]0;pwned\\x07\\xff\\xc2\\x9b\\\\\xc3\xa9 ok"),
	       "text shows control bytes and bad UTF-8 as \\xHH, keeps UTF-8: %s", buf);
	TAP_OK(valid_utf8(buf) && !strchr(buf, 0x1b) && !strchr(buf, 0x07), "the text is safe");
	TAP_OK(!strcmp(text_copy(small, sizeof(small), "qemu-system-x86"), "qemu-sy") &&
	       !strcmp(text_copy(buf, sizeof(buf), NULL), "") &&
	       !strcmp(text_copy(buf, sizeof(buf), "vmm"), "vmm"),
	       "text_copy cuts as snprintf's %%s does, and NULL is \"\"");
	text_escape(small, sizeof(small), "ab\x1b\x1b");
	TAP_OK(!strcmp(small, "ab\\x1b"), "a short buffer cuts between escapes: %s", small);
	text_escape(small, sizeof(small), "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	TAP_OK(!strcmp(small, "\xc3\xa9\xc3\xa9\xc3\xa9"), "and never inside a character");
	TAP_OK(text_width("\033[32mon\033[0m") == 2 && text_width("\xc3\xa9t\xc3\xa9") == 3,
	       "widths count characters, not colour codes or bytes");
	text_pad(buf, sizeof(buf), "\033[32mon\033[0m", -4, false);
	TAP_OK(!strcmp(buf, "\033[32mon\033[0m  "), "a coloured cell pads to its visible width");
	text_pad(buf, sizeof(buf), "\xc3\xa9\xc3\xa9", 4, false);
	TAP_OK(!strcmp(buf, "  \xc3\xa9\xc3\xa9"), "right-aligned by characters");
	text_pad(buf, sizeof(buf), "\xc3\xa9\xc3\xa9\xc3\xa9", 2, true);
	TAP_OK(!strcmp(buf, "\xc3\xa9\xc3\xa9"), "cut on a character's boundary");
}

static void test_pageset(void)
{
	struct pageset s = { 0 };
	uint64_t span = 0;
	int rc = 0;

	/* one 4K page per 2 MiB over 64 GiB: strided, the hash set's worst case */
	for (uint64_t p = 0; p < (64ULL << 30) / 4096; p += 512)
		rc |= pageset_add_run(&s, p + 7, 1);
	span = (64ULL << 30) / 4096;
	TAP_OK(!rc && s.count == span / 512, "strided pages counted once each (%llu)",
	       (unsigned long long)s.count);
	TAP_OK(s.n * (PAGESET_CHUNK_BITS / 8) <= span / 8,
	       "at most one bit per page of the range: %zu bytes of bits for %llu pages",
	       s.n * (size_t)(PAGESET_CHUNK_BITS / 8), (unsigned long long)span);
	/* the same pages again, and runs across chunk and word boundaries */
	for (uint64_t p = 0; p < span; p += 512)
		rc |= pageset_add_run(&s, p + 7, 1);
	TAP_OK(!rc && s.count == span / 512, "seen again: the working set does not grow");
	rc = pageset_add_run(&s, PAGESET_CHUNK_BITS - 3, 70) ?: pageset_add_run(&s, 0, 1);
	TAP_OK(!rc && s.count == span / 512 + 70,
	       "a run across words and chunks adds its new pages only (%llu)",
	       (unsigned long long)s.count);
	pageset_free(&s);
	rc = pageset_add_run(&s, 1ULL << 40, 1ULL << 20);
	TAP_OK(!rc && s.count == 1ULL << 20 && s.n == (1ULL << 20) / PAGESET_CHUNK_BITS,
	       "a million-page run far up the address space: %zu chunks", s.n);
	pageset_free(&s);
}

static void test_size(void)
{
	struct cli human = { .bytes = false }, exact = { .bytes = true };
	char buf[32];

	cli_size(&human, buf, sizeof(buf), 1023);
	TAP_OK(!strcmp(buf, "1023"), "1023 bytes stay bytes");
	cli_size(&human, buf, sizeof(buf), 4096);
	TAP_OK(!strcmp(buf, "4K"), "4096 is 4K");
	cli_size(&human, buf, sizeof(buf), 1536ULL << 20);
	TAP_OK(!strcmp(buf, "1.5G"), "1.5 GiB is 1.5G (%s)", buf);
	cli_size(&human, buf, sizeof(buf), 1792ULL << 20);
	TAP_OK(!strcmp(buf, "1.8G"), "1.75 GiB rounds to 1.8G (%s)", buf);
	cli_size(&human, buf, sizeof(buf), UINT64_MAX);
	TAP_OK(!strcmp(buf, "16E"), "the largest size is 16E (%s)", buf);
	cli_size(&exact, buf, sizeof(buf), 4096);
	TAP_OK(!strcmp(buf, "4096"), "--bytes prints exact bytes");
}

/* A fixed sequence of 64-bit numbers (xorshift64), so failures repeat. */
static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* What cli_size() printed with snprintf alone, the reference it must match. */
static void size_by_snprintf(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 && v != (double)(uint64_t)v ? "%.1f%c" : "%.0f%c", v, units[u]);
}

/* cli_size() prints and cuts as its snprintf did, at every buffer length. */
static void test_size_cuts(uint64_t *x)
{
	struct cli human = { .bytes = false };
	unsigned int bad = 0, tried = 0;
	char want[32], got[32], first[96] = "";

	for (unsigned int i = 0; i < 20000; i++) {
		uint64_t bytes = next_random(x) >> (next_random(x) % 64);

		/* sizes that are whole or half units too: 1.5G, 2M, 10K */
		if (i % 4 == 0)
			bytes = (bytes % 20 + 1) << (10 * (1 + bytes % 5)) >> (i % 8 ? 0 : 1);
		for (size_t len = 0; len <= 12; len++) {
			memset(got, 'x', sizeof(got));
			if (len)
				size_by_snprintf(want, len, bytes);
			cli_size(&human, got, len, bytes);
			tried++;
			if ((len ? strcmp(got, want) != 0 : got[0] != 'x') && !bad++)
				snprintf(first, sizeof(first), "%llu bytes in %zu: %.12s, not %s",
					 (unsigned long long)bytes, len, got, len ? want : "untouched");
		}
	}
	TAP_OK(!bad, "cli_size prints and cuts as its snprintf did (%u of %u differ) %s", bad,
	       tried, first);
}

/* cli_u64() and cli_fixed() print what snprintf prints, ties and all. */
static void test_numbers(void)
{
	static const double special[] = {
		0, -0.0, 0.5, 1.5, 2.5, 0.05, 0.15, 0.25, 0.35, 12.25, 1.75, 0.125, 0.0625,
		99.95, 999.5, 9.995, 1e-300, 0x1p52, 0x1p52 - 1, 0x1p52 / 10 + 0.5, 1e15, 1e20,
		-1, -0.4, 1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0,
	};
	unsigned int bad_u64 = 0, bad_fixed = 0, tried = 0;
	char want[64], got[64], first[160] = "";
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (unsigned int i = 0; i < 20000; i++) {
		uint64_t v = next_random(&x) >> (next_random(&x) % 64);

		for (size_t len = 1; len <= 22; len++) {
			snprintf(want, len, "%llu", (unsigned long long)v);
			bad_u64 += strcmp(cli_u64(got, len, v), want) != 0;
		}
	}
	TAP_OK(!bad_u64, "cli_u64 prints and cuts as \"%%llu\" does (%u differ)", bad_u64);
	for (unsigned int i = 0; i < 60000 + sizeof(special) / sizeof(special[0]); i++) {
		double v;

		if (i < sizeof(special) / sizeof(special[0])) {
			v = special[i];
		} else {
			/* binary fractions (many ties once scaled), thousandths, and
			 * any double in 0 to 1e6 */
			uint64_t r = next_random(&x);

			v = r % 3 == 0 ? (double)(r >> 40) / (double)(1u << (r >> 2) % 12) :
			    r % 3 == 1 ? (double)(r >> 44) / 1000 :
			    (double)(r >> 11) * 0x1p-53 * 1e6;
		}
		for (unsigned int d = 0; d <= 4; d++) {
			/* every cut for some values, a roomy buffer for all */
			for (size_t len = i % 8 ? 64 : 1; len <= 64; len += len < 14 ? 1 : 64) {
				snprintf(want, len, "%.*f", (int)d, v);
				cli_fixed(got, len, v, d);
				tried++;
				if (strcmp(got, want) && !bad_fixed++)
					snprintf(first, sizeof(first), "%a with %u decimals: %s, not %s",
						 v, d, got, want);
			}
		}
	}
	TAP_OK(!bad_fixed, "cli_fixed prints as \"%%.*f\" does, ties to even and cuts too "
	       "(%u of %u differ) %s", bad_fixed, tried, first);
	test_size_cuts(&x);
}

static void test_exit_status(void)
{
	TAP_OK(cli_exit_for(0) == EXIT_OK, "0 is success");
	TAP_OK(cli_exit_for(-EPERM) == EXIT_PERM && cli_exit_for(-EACCES) == EXIT_PERM,
	       "EPERM and EACCES are permission denied (4)");
	TAP_OK(cli_exit_for(-ENOENT) == EXIT_NO_ENTRY && cli_exit_for(-ENODEV) == EXIT_NO_ENTRY,
	       "ENOENT and ENODEV are no such domain or device (5)");
	TAP_OK(cli_exit_for(-EINVAL) == EXIT_FAILED && cli_exit_for(-ERANGE) == EXIT_FAILED,
	       "a kernel refusal with EINVAL or ERANGE is a failed operation (1), not usage (2)");
	TAP_OK(cli_exit_for(-EPROTO) == EXIT_FAILED && cli_exit_for(-EBADMSG) == EXIT_FAILED,
	       "a malformed reply is a failed operation (1)");
	TAP_OK(cli_exit_for(-EOPNOTSUPP) == EXIT_FAILED && cli_exit_for(-ENOSPC) == EXIT_FAILED &&
	       cli_exit_for(-EIO) == EXIT_FAILED, "anything else is a failed operation (1)");
}

static bool near(double a, double b)
{
	return a - b < 1e-9 && b - a < 1e-9;
}

static void test_precopy(void)
{
	struct precopy in = { .memory = 1000, .bandwidth = 100, .dirty_rate = 50, .downtime = 1 };
	struct precopy_result r;

	/* passes of 10, 5, 2.5 and 1.25 s; then 62.5 bytes stop the VM for 0.625 s */
	precopy_estimate(&in, &r);
	TAP_OK(r.converges && r.passes == 4 && near(r.downtime, 0.625) && near(r.total, 19.375) &&
	       near(r.transferred, 1937.5), "a halving dirty rate converges after 4 passes");
	in.dirty_rate = 0;
	precopy_estimate(&in, &r);
	TAP_OK(r.converges && r.passes == 1 && near(r.downtime, 0) && near(r.total, 10),
	       "nothing dirtied: one pass, no downtime");
	in.dirty_rate = 150;
	precopy_estimate(&in, &r);
	TAP_OK(!r.converges && r.passes == PRECOPY_MAX_PASSES && near(r.downtime, 10),
	       "dirtying faster than the link never converges; the stop would copy all memory");
	in.downtime = 10;
	precopy_estimate(&in, &r);
	TAP_OK(r.converges && r.passes == 1, "unless all memory fits in the downtime");
}

static bool valid_utf8(const char *s);

static struct sample_row top_row(uint64_t id, uint32_t pid, const char *comm, double bytes)
{
	struct sample_row r = {
		.id = id, .owner_pid = pid, .mechanism = 1, .dirty_alloc = true,
		.owner_tracking = true, .tracking = true, .mapped_bytes = 4 << 20,
		.page_size = 4096, .has_rate = true, .source = SOURCE_HARVESTS,
		.bytes_per_second = bytes, .pages_per_second = bytes / 4096,
		.dirty_share = bytes / (4 << 20), .harvests = 7, .n_devs = 1,
	};

	snprintf(r.owner_comm, sizeof(r.owner_comm), "%s", comm);
	snprintf(r.devs[0], sizeof(r.devs[0]), "dev%llu", (unsigned long long)id);
	return r;
}

static const char *view_ids(struct top *t, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	top_build_view(t);
	for (unsigned int i = 0; i < t->n_view && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%llu", i ? "," : "",
					 (unsigned long long)top_view_row(t, i)->id);
	return buf;
}

/*
 * A wake-up that applies notifications adding rows past the table's
 * growth threshold, then handles a key that reads the view: the table
 * moved, and the view must still lead to the rows (ASan sees a stale one).
 */
static void test_top_view_growth(void)
{
	const char *devs[] = { "0000:00:05.0" };
	struct iommudirty_domain d = { .owner_comm = "qemu", .devs = devs, .n_devs = 1,
				       .mapped_bytes = 1 << 20, .pgsize_bitmap = 4096 };
	struct cli c = { 0 };
	struct top t = { .c = &c, .delay_ms = 1000, .sort = SORT_ID };
	uint64_t sum = 0;
	bool all = true;

	sampler_init(&t.s, NULL, NULL);
	for (d.id = 1; d.id <= 10; d.id++)
		sampler_apply(&t.s, IOMMUDIRTY_EVENT_DOMAIN_ADD, &d);
	top_build_view(&t);
	/* the same wake-up: 200 more domains, the table reallocates (64, 128, 256) */
	for (d.id = 11; d.id <= 210; d.id++)
		sampler_apply(&t.s, IOMMUDIRTY_EVENT_DOMAIN_ADD, &d);
	/* a key before the view is rebuilt: every row of the old view is still found */
	for (unsigned int i = 0; i < t.n_view; i++) {
		const struct sample_row *r = top_view_row(&t, i);

		all &= r && r->id == i + 1 && !strcmp(r->dom->devs[0], "0000:00:05.0");
		sum += r ? r->id : 0;
	}
	TAP_OK(all && t.n_view == 10 && sum == 55 && t.s.cap >= 210,
	       "the view survives rows added past the table's growth (cap %u)", t.s.cap);
	top_build_view(&t);
	TAP_OK(t.n_view == 210 && top_view_row(&t, 209)->id == 210 && !top_view_row(&t, 210),
	       "and shows them once rebuilt");
	d.id = 5;
	sampler_apply(&t.s, IOMMUDIRTY_EVENT_DOMAIN_DEL, &d);
	TAP_OK(sampler_find(&t.s, 5)->gone && !strcmp(sampler_find(&t.s, 5)->dom->owner_comm, "qemu"),
	       "a deleted domain keeps its last state, copied");
	sampler_free(&t.s);
	free(t.view);
}

static void test_top(void)
{
	struct sample_row rows[4] = {
		top_row(3, 300, "qemu-a", 1 << 20), top_row(5, 100, "qemu-b", 4 << 20),
		top_row(7, 200, "vmm", 1 << 20), top_row(9, 400, "qemu-c", 0),
	};
	struct cli c = { 0 };
	struct top t = { .c = &c, .delay_ms = 1000, .sort = SORT_BYTES };
	char head[256], line[256], ids[64];
	enum top_sort sort;
	int fields = 0;

	TAP_OK(!top_sort_parse("bytes", &sort) && sort == SORT_BYTES, "top sort by name");
	TAP_OK(!top_sort_parse("ma", &sort) && sort == SORT_MAPPED, "top sort by unique prefix");
	TAP_OK(top_sort_parse("m", &sort) == -EEXIST, "top sort: ambiguous prefix");
	TAP_OK(top_sort_parse("p", &sort) == -EEXIST, "top sort: p is pid or pages");
	TAP_OK(top_sort_parse("", &sort) == -EINVAL && top_sort_parse("size", &sort) == -EINVAL,
	       "top sort: no such field");

	t.s.rows = rows;
	t.s.n = t.s.cap = 4;
	TAP_OK(!strcmp(view_ids(&t, ids, sizeof(ids)), "5,3,7,9"),
	       "top sorts bytes/s largest first, ties by id: %s", ids);
	t.reverse = true;
	TAP_OK(!strcmp(view_ids(&t, ids, sizeof(ids)), "9,3,7,5"), "top reverses, ties still by id: %s", ids);
	t.reverse = false;
	t.sort = SORT_PID;
	TAP_OK(!strcmp(view_ids(&t, ids, sizeof(ids)), "5,7,3,9"), "top sorts pids smallest first");
	t.sort = SORT_COMM;
	snprintf(t.filter, sizeof(t.filter), "qemu");
	TAP_OK(!strcmp(view_ids(&t, ids, sizeof(ids)), "3,5,9"), "top filters on the command");
	snprintf(t.filter, sizeof(t.filter), "200");
	TAP_OK(!strcmp(view_ids(&t, ids, sizeof(ids)), "7"), "top filters on a pid");
	snprintf(t.filter, sizeof(t.filter), "20");
	TAP_OK(!strcmp(view_ids(&t, ids, sizeof(ids)), ""), "a pid filter matches whole pids");
	snprintf(t.filter, sizeof(t.filter), "dev9");
	TAP_OK(!strcmp(view_ids(&t, ids, sizeof(ids)), "9"), "top filters on a device");
	free(t.view);

	top_format_columns(&t, head, sizeof(head));
	top_format_row(&t, &rows[1], line, sizeof(line));
	TAP_OK(strlen(head) == strlen(line), "a row is as wide as the header:\n# %s\n# %s", head,
	       line);
	for (char *p = strtok(line, " "); p; p = strtok(NULL, " "))
		fields++;
	TAP_OK(fields == 14, "a row has the header's 14 cells (%d)", fields);
	top_format_row(&t, &rows[1], line, sizeof(line));
	TAP_OK(strstr(line, "      4.0  100.0 ") && strstr(line, " own"),
	       "MiB/s, DIRTY%% and the source: %s", line);

	rows[2].has_rate = false;
	rows[2].gone = true;
	rows[2].n_devs = 3;
	snprintf(rows[2].devs[0], sizeof(rows[2].devs[0]), "0000:00:05.0");
	snprintf(rows[2].devs[1], sizeof(rows[2].devs[1]), "0000:00:06.0");
	top_format_row(&t, &rows[2], line, sizeof(line));
	TAP_OK(strstr(line, " 0000:00:05.0,+2 ") && strstr(line, " gone ") &&
	       strstr(line, "      -        -      - "),
	       "devices cut with +N, gone, no rate: %s", line);
	TAP_OK(strlen(head) == strlen(line), "a row without rates keeps the columns");
	{
		unsigned int bad = 0;

		for (size_t len = 1; len <= strlen(head) + 1; len++) {
			char cut[256];

			memset(cut, 'x', sizeof(cut));
			top_format_columns(&t, cut, len);
			bad += strnlen(cut, len) == len;
			memset(cut, 'x', sizeof(cut));
			top_format_row(&t, &rows[2], cut, len);
			bad += strnlen(cut, len) == len || cut[len] != 'x';
		}
		TAP_OK(!bad, "the header and a row end within any buffer, however short (%u not)",
		       bad);
	}

	snprintf(rows[3].owner_comm, sizeof(rows[3].owner_comm), "\x1b[2J\xe2\x82\xac\xff");
	snprintf(rows[3].devs[0], sizeof(rows[3].devs[0]), "\x1b]0;x\x07");
	top_format_row(&t, &rows[3], line, sizeof(line));
	TAP_OK(!strchr(line, 0x1b) && !strchr(line, 0x07) && valid_utf8(line) &&
	       strstr(line, " \\x1b[2J\xe2\x82\xac\\xff ") && text_width(line) == strlen(head),
	       "a comm and a device with escapes show escaped, the columns kept:\n# %s", line);

	{
		struct sample_totals tot;

		sampler_totals(&t.s, &tot);
		TAP_OK(tot.domains == 3 && tot.mapped_bytes == 3 * (4 << 20) &&
		       tot.bytes_per_second == 6 << 20,
		       "totals leave gone domains out of the count, not out of the rate");
	}
}

/*
 * A command that fell behind (a refresh of top that took three periods)
 * takes its next tick now and the one after a whole period later, not the
 * missed ticks back to back; one on time, or less than a period late, keeps
 * its schedule exactly. The time is given, so no speed is assumed.
 */
static void test_next_tick(void)
{
	const uint64_t period = 1000000000ull, now = 100 * period;
	uint64_t tick;

	tick = cli_tick_after(now - 4 * period, period, now);
	TAP_OK(tick == now, "a tick three periods late is taken now, once");
	TAP_OK(cli_tick_after(tick, period, now) == now + period,
	       "and the next one a whole period after it");
	TAP_OK(cli_tick_after(now - period, period, now) == now, "a tick due now keeps its schedule");
	TAP_OK(cli_tick_after(now - 3 * period / 2, period, now) == now - period / 2,
	       "and so does one less than a period late");
	TAP_OK(cli_tick_after(now - 2 * period, period, now) == now,
	       "one a whole period late is taken now");
}

/*
 * A SIGTERM that comes after a command checked cli_stop and before it
 * sleeps must end the sleep at once, not an interval later: it stays
 * pending until the wait, which takes it. Last: it leaves signals blocked.
 */
static void test_signal_before_sleep(void)
{
	uint64_t start, took;

	cli_catch_signals();
	raise(SIGTERM);
	TAP_OK(!cli_stop, "a SIGTERM outside the wait is held for it");
	start = clock_ns(CLOCK_MONOTONIC);
	cli_sleep_until(start + 5000000000ull);
	took = clock_ns(CLOCK_MONOTONIC) - start;
	TAP_OK(cli_stop && took < 1000000000ull,
	       "and the 5 s sleep after it ends at once (%llu ms)", (unsigned long long)(took / 1000000));
}

int main(void)
{
	test_top();
	test_top_view_growth();
	test_precopy();
	test_json();
	test_safe_text();
	test_pageset();
	test_exit_status();
	test_size();
	test_numbers();
	test_next_tick();
	test_signal_before_sleep();
	return tap_done();
}
