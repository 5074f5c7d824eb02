// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the record file format (cli/recfile.c): what is written
 * reads back the same, an interval never takes more than its bitmap, and a
 * file cut at any byte reads whole records up to the cut, then stops.
 * ASan/UBSan.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cli/recfile.h"
#include "tap.h"

#define PAGE 4096

/* The file under test, built in memory */
struct file {
	char *p;
	size_t len;
};

static void append(struct file *f, const struct rec_buf *b)
{
	f->p = realloc(f->p, f->len + b->len);
	memcpy(f->p + f->len, b->p, b->len);
	f->len += b->len;
}

/* Runs (first page, pages) an interval decodes to, compared with what went in */
struct runs_seen {
	uint64_t (*want)[2];
	size_t n, at;
	bool same;
};

static int check_run(uint64_t iova, uint64_t pages, void *arg)
{
	struct runs_seen *s = arg;

	if (s->at >= s->n || s->want[s->at][0] * PAGE != iova || s->want[s->at][1] != pages)
		s->same = false;
	s->at++;
	return 0;
}

/* Encode @n runs as an interval; true if it reads back the same. @bytes: the record's */
static bool roundtrip(uint64_t (*runs)[2], size_t n, enum rec_encoding *enc, size_t *bytes)
{
	struct rec_runs rs = { 0 };
	struct rec_buf b = { 0 };
	struct rec_interval iv = { .id = 7, .since = 1, .begin = 2, .end = 3, .page_size = PAGE };
	struct rec_reader r;
	struct runs_seen seen = { runs, n, 0, true };
	struct file f = { 0 };
	FILE *in;
	bool ok;

	for (size_t i = 0; i < n; i++)
		rec_runs_add(&rs, runs[i][0], runs[i][1]);
	rec_file_header(&b);
	append(&f, &b);
	rec_put_interval(&b, &iv, &rs);
	append(&f, &b);
	*bytes = b.len;
	in = fmemopen(f.p, f.len, "r");
	ok = !rec_open(&r, in) && rec_next(&r) == REC_INTERVAL;
	if (ok) {
		*enc = r.u.interval.encoding;
		ok = !rec_interval_runs(&r.u.interval, check_run, &seen) && seen.same &&
		     seen.at == n && r.u.interval.id == 7 && r.u.interval.end == 3 &&
		     rec_next(&r) == 0;
	}
	rec_close(&r);
	fclose(in);
	free(f.p);
	rec_buf_free(&b);
	rec_runs_free(&rs);
	return ok;
}

static void test_intervals(void)
{
	static uint64_t sparse[1000][2], dense[1000][2];
	uint64_t adjacent[3][2] = { { 10, 2 }, { 12, 3 }, { 20, 1 } };
	uint64_t merged[2][2] = { { 10, 5 }, { 20, 1 } };
	enum rec_encoding enc;
	size_t bytes, raw;

	/* one page in 1000 of a million pages: runs, far below the bitmap */
	for (size_t i = 0; i < 1000; i++) {
		sparse[i][0] = i * 1000;
		sparse[i][1] = 1;
	}
	raw = 1000 * 1000 / 8;
	TAP_OK(roundtrip(sparse, 1000, &enc, &bytes) && enc == REC_RUNS && bytes < raw / 20,
	       "one page in 1000 reads back the same, as runs: %zu bytes against a %zu-byte bitmap",
	       bytes, raw);
	/* one page in three: the bitmap, no more than its span's bytes */
	for (size_t i = 0; i < 1000; i++) {
		dense[i][0] = i * 3;
		dense[i][1] = 1;
	}
	TAP_OK(roundtrip(dense, 1000, &enc, &bytes) && enc == REC_BITMAP &&
	       bytes <= REC_HEADER + 64 + (3 * 1000 + 7) / 8,
	       "one page in three reads back the same, as a bitmap of its span (%zu bytes)", bytes);
	/* short runs with long ones among them, at every offset in a byte */
	for (size_t i = 0, page = 5; i < 1000; i++) {
		dense[i][0] = page;
		dense[i][1] = i % 50 == 7 ? 9 + i % 23 : 1;
		page += dense[i][1] + 1 + i % 2;
	}
	TAP_OK(roundtrip(dense, 1000, &enc, &bytes) && enc == REC_BITMAP,
	       "short and long runs at any bit read back the same from a bitmap");
	TAP_OK(roundtrip(NULL, 0, &enc, &bytes) && bytes == REC_HEADER + 64,
	       "an empty interval is its fields alone");
	{
		struct rec_runs rs = { 0 };
		struct runs_seen seen = { merged, 2, 0, true };
		struct rec_buf b = { 0 };
		struct rec_interval iv = { .page_size = PAGE };
		struct rec_reader r;
		FILE *in;
		int rc;

		for (size_t i = 0; i < 3; i++)
			rec_runs_add(&rs, adjacent[i][0], adjacent[i][1]);
		rc = rec_runs_add(&rs, 5, 1);
		rec_file_header(&b);
		struct file f = { 0 };
		append(&f, &b);
		rec_put_interval(&b, &iv, &rs);
		append(&f, &b);
		in = fmemopen(f.p, f.len, "r");
		TAP_OK(rc == -EINVAL && !rec_open(&r, in) && rec_next(&r) == REC_INTERVAL &&
		       r.u.interval.pages == 6 && !rec_interval_runs(&r.u.interval, check_run, &seen) &&
		       seen.same && seen.at == 2,
		       "touching runs merge into one, and a run out of order is refused");
		rec_close(&r);
		fclose(in);
		free(f.p);
		rec_buf_free(&b);
		rec_runs_free(&rs);
	}
}

/* A recording of every record type, as record writes one */
static struct file sample(size_t *ends, size_t *n_ends, size_t *future_end)
{
	const char *devs[] = { "0000:00:03.0", "mock\x1b[2J" };
	struct rec_start s = { 100, 200, 1000000000, "host", "6.12.117 #1", "0.1.0" };
	struct rec_domain d = { .t = 5, .id = 3, .owner_pid = 42, .hwpt_id = 9,
				.page_size = PAGE, .mapped_bytes = 1 << 20,
				.owner_comm = "qemu\x1b]0;x\x07", .n_devs = 2, .devs = devs };
	struct rec_interval iv = { .id = 3, .since = 5, .begin = 1000, .end = 1010,
				   .page_size = PAGE };
	static const struct rec_area areas[] = { { 0, 1 << 20, true }, { 1ULL << 40, PAGE, false } };
	struct rec_gone g = { .t = 2000, .id = 3 };
	struct rec_note no = { .t = 2001, .id = 0, .error = -5, .text = "every domain has gone" };
	struct rec_runs rs = { 0 };
	struct rec_buf b = { 0 };
	struct file f = { 0 };

	*n_ends = 0;
	rec_file_header(&b);
	append(&f, &b);
	ends[(*n_ends)++] = f.len;
	rec_put_start(&b, &s);
	append(&f, &b);
	ends[(*n_ends)++] = f.len;
	rec_put_domain(&b, &d);
	append(&f, &b);
	ends[(*n_ends)++] = f.len;
	rec_put_maps(&b, 5, 3, areas, 2);
	append(&f, &b);
	ends[(*n_ends)++] = f.len;
	rec_runs_add(&rs, 1, 2);
	rec_runs_add(&rs, 100, 50);
	rec_put_interval(&b, &iv, &rs);
	append(&f, &b);
	ends[(*n_ends)++] = f.len;
	/* a type a later minor version may add: skipped */
	{
		static const uint8_t future[] = { 4, 0, 0, 0, 99, 0, 0, 0, 1, 2, 3, 4 };
		struct rec_buf fb = { (uint8_t *)future, sizeof(future), sizeof(future), false };

		append(&f, &fb);
		*future_end = f.len;
	}
	rec_put_gone(&b, &g);
	append(&f, &b);
	ends[(*n_ends)++] = f.len;
	rec_put_note(&b, &no);
	append(&f, &b);
	ends[(*n_ends)++] = f.len;
	rec_put_end(&b, 2002, 1);
	append(&f, &b);
	ends[(*n_ends)++] = f.len;
	rec_buf_free(&b);
	rec_runs_free(&rs);
	return f;
}

static void test_records(void)
{
	size_t ends[16], n_ends, future_end;
	struct file f = sample(ends, &n_ends, &future_end);
	FILE *in = fmemopen(f.p, f.len, "r");
	struct rec_reader r;
	int types[8], n = 0, t;
	bool fields = false, maps = false;

	TAP_OK(!rec_open(&r, in), "a recording opens");
	while ((t = rec_next(&r)) > 0 && n < 8) {
		types[n++] = t;
		if (t == REC_DOMAIN)
			fields = r.u.domain.id == 3 && r.u.domain.owner_pid == 42 &&
				 !strcmp(r.u.domain.owner_comm, "qemu\x1b]0;x\x07") &&
				 r.u.domain.n_devs == 2 && !strcmp(r.u.domain.devs[1], "mock\x1b[2J");
		if (t == REC_MAPS && r.u.maps.id == 3 && r.u.maps.count == 2) {
			struct rec_area a0, a1;

			rec_maps_area(&r.u.maps, 0, &a0);
			rec_maps_area(&r.u.maps, 1, &a1);
			maps = a0.iova == 0 && a0.length == 1 << 20 && a0.writable &&
			       a1.iova == 1ULL << 40 && a1.length == PAGE && !a1.writable;
		}
	}
	TAP_OK(t == 0 && n == 7 && types[0] == REC_START && types[1] == REC_DOMAIN &&
	       types[2] == REC_MAPS && types[3] == REC_INTERVAL && types[4] == REC_GONE &&
	       types[5] == REC_NOTE && types[6] == REC_END,
	       "every record reads back in order, the unknown one skipped");
	TAP_OK(fields, "a domain's strings come back byte for byte (escaping is the reader's)");
	TAP_OK(maps, "a domain's mapped areas come back with their writable flags");
	rec_close(&r);
	fclose(in);

	/* cut at every byte: whole records before the cut, then a stop, never more */
	{
		bool all = true;

		for (size_t cut = 0; cut < f.len; cut++) {
			size_t whole = 0;
			bool boundary = cut == future_end || cut == ends[0];
			int got = 0, rc;

			in = fmemopen(f.p, cut ? cut : 1, "r");
			rc = rec_open(&r, in);
			if (cut < REC_FILE_HEADER) {
				all &= rc == -EBADMSG;
			} else {
				while ((t = rec_next(&r)) > 0)
					got++;
				for (size_t k = 1; k < n_ends; k++) {
					whole += ends[k] <= cut;
					boundary |= ends[k] == cut;
				}
				/* at a record's end the file ends cleanly; elsewhere it was cut */
				all &= (size_t)got == whole &&
				       (boundary ? t == 0 : t == -EBADMSG && r.why != NULL);
			}
			rec_close(&r);
			fclose(in);
		}
		TAP_OK(all, "cut at any of its %zu bytes, a file reads its whole records, then stops",
		       f.len);
	}
	free(f.p);
}

static int count_run(uint64_t iova, uint64_t pages, void *arg)
{
	(void)iova;
	*(uint64_t *)arg += pages;
	return 0;
}

/* Every byte of a recording changed three ways: the reader never reads out of bounds (ASan) */
static void test_flips(void)
{
	static const uint8_t flips[] = { 0x00, 0xff, 0x80 };
	size_t ends[16], n_ends, future_end, tried = 0;
	struct file f = sample(ends, &n_ends, &future_end);

	for (size_t i = 0; i < f.len; i++) {
		for (size_t k = 0; k < sizeof(flips); k++) {
			char *copy = malloc(f.len);
			struct rec_reader r;
			FILE *in;
			int t, records = 0;

			memcpy(copy, f.p, f.len);
			copy[i] = (char)(k == 2 ? copy[i] ^ flips[k] : flips[k]);
			in = fmemopen(copy, f.len, "r");
			if (!rec_open(&r, in)) {
				while ((t = rec_next(&r)) > 0 && records++ < 100) {
					uint64_t pages = 0;

					if (t == REC_INTERVAL)
						rec_interval_runs(&r.u.interval, count_run, &pages);
				}
			}
			rec_close(&r);
			fclose(in);
			free(copy);
			tried++;
		}
	}
	TAP_OK(tried == 3 * f.len, "%zu damaged copies of a recording read without a fault", tried);
	free(f.p);
}

static void test_damage(void)
{
	static const char not_ours[] = "PK\x03\x04 this is a zip";
	uint8_t big[REC_FILE_HEADER + REC_HEADER];
	struct rec_buf b = { 0 };
	struct rec_reader r;
	FILE *in;

	in = fmemopen((void *)not_ours, sizeof(not_ours), "r");
	TAP_OK(rec_open(&r, in) == -EBADMSG && strstr(r.why, "not a record file"),
	       "another file is refused: %s", r.why);
	rec_close(&r);
	fclose(in);

	rec_file_header(&b);
	memcpy(big, b.p, REC_FILE_HEADER);
	memcpy(big + REC_FILE_HEADER, "\xff\xff\xff\x7f\x03\x00\x00\x00", REC_HEADER);
	in = fmemopen(big, sizeof(big), "r");
	TAP_OK(!rec_open(&r, in) && rec_next(&r) == -EBADMSG,
	       "a record length beyond any the recorder writes is damage, not an allocation");
	rec_close(&r);
	fclose(in);
	big[8] = 2;
	in = fmemopen(big, sizeof(big), "r");
	TAP_OK(rec_open(&r, in) == -EBADMSG && strstr(r.why, "version"),
	       "a major version this reader does not know is refused");
	rec_close(&r);
	fclose(in);

	/* runs that claim more pages than the interval holds */
	{
		struct rec_interval iv = { .page_size = PAGE, .pages = 1, .encoding = REC_RUNS,
					   .count = 1, .data = (const uint8_t *)"\x00\x05", .len = 2 };

		TAP_OK(rec_interval_runs(&iv, check_run, &(struct runs_seen){ 0 }) == -EBADMSG,
		       "runs that hold more pages than the interval says are damage");
	}
	rec_buf_free(&b);
}

/* A MAPS record of @n areas read back: 0, or -EBADMSG with the reader's why in @why */
static int read_maps(const struct rec_area *a, uint32_t n, size_t cut, const char **why)
{
	struct rec_buf b = { 0 };
	struct file f = { 0 };
	struct rec_reader r;
	FILE *in;
	int rc;

	rec_file_header(&b);
	append(&f, &b);
	rec_put_maps(&b, 1, 2, a, n);
	/* fewer areas than the count says, the record's length made to match */
	b.len -= cut;
	b.p[0] = (uint8_t)(b.len - REC_HEADER);
	append(&f, &b);
	in = fmemopen(f.p, f.len, "r");
	rc = rec_open(&r, in) ?: rec_next(&r);
	*why = r.why ? r.why : "";
	rc = rc == REC_MAPS ? 0 : rc;
	rec_close(&r);
	fclose(in);
	free(f.p);
	rec_buf_free(&b);
	return rc;
}

static void test_maps(void)
{
	const struct rec_area ok[] = { { 0, PAGE, true }, { PAGE, PAGE, true } };
	const struct rec_area overlap[] = { { 0, 2 * PAGE, true }, { PAGE, PAGE, true } };
	const struct rec_area empty[] = { { 0, 0, true } };
	const struct rec_area wraps[] = { { ~0ULL - PAGE + 1, 2 * PAGE, true } };
	const char *why;

	TAP_OK(read_maps(ok, 2, 0, &why) == 0, "adjacent areas are a valid layout");
	TAP_OK(read_maps(overlap, 2, 0, &why) == -EBADMSG && strstr(why, "overlap"),
	       "overlapping areas are damage: %s", why);
	TAP_OK(read_maps(empty, 1, 0, &why) == -EBADMSG && strstr(why, "empty"),
	       "an empty area is damage: %s", why);
	TAP_OK(read_maps(wraps, 1, 0, &why) == -EBADMSG && strstr(why, "wraps"),
	       "an area past 2^64 is damage: %s", why);
	TAP_OK(read_maps(ok, 2, REC_AREA_BYTES, &why) == -EBADMSG && strstr(why, "fewer areas"),
	       "a count beyond the areas the record holds is damage: %s", why);
}

int main(void)
{
	test_intervals();
	test_records();
	test_flips();
	test_damage();
	test_maps();
	return tap_done();
}
