// SPDX-License-Identifier: GPL-2.0
/* The record file format (recfile.h, iommu-dirty-record(5)). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "recfile.h"

/* ---- writing --------------------------------------------------------------- */

/* Room for @n more bytes at the end of @b, NULL (and @b failed) without it. */
static uint8_t *reserve(struct rec_buf *b, size_t n)
{
	uint8_t *at;

	if (b->failed)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *q;

		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q) {
			b->failed = true;
			return NULL;
		}
		b->p = q;
		b->cap = cap;
	}
	at = b->p + b->len;
	b->len += n;
	return at;
}

static void put_bytes(struct rec_buf *b, const void *p, size_t n)
{
	uint8_t *at = n ? reserve(b, n) : NULL;

	if (at)
		memcpy(at, p, n);
}

static void put_le(struct rec_buf *b, uint64_t v, unsigned int bytes)
{
	uint8_t le[8];

	for (unsigned int i = 0; i < bytes; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	put_bytes(b, le, bytes);
}

#define put_u8(b, v) put_le(b, v, 1)
#define put_u16(b, v) put_le(b, v, 2)
#define put_u32(b, v) put_le(b, v, 4)
#define put_u64(b, v) put_le(b, v, 8)

/* u16 length and the bytes, cut at REC_MAX_STR; NULL is "" */
static void put_str(struct rec_buf *b, const char *s)
{
	size_t n = s ? strnlen(s, REC_MAX_STR) : 0;

	put_u16(b, n);
	put_bytes(b, s, n);
}

#define LEB128_MAX 10	/* bytes of the longest u64 */

/* @v as LEB128 at @out (room for LEB128_MAX bytes); returns the bytes written */
static size_t leb128(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	if (v < 0x80) {
		out[0] = (uint8_t)v;
		return 1;
	}

	do {
		uint8_t byte = v & 0x7f;

		v >>= 7;
		out[n++] = byte | (v ? 0x80 : 0);
	} while (v);
	return n;
}

/* Start a record of @type in @b (emptied); finish() fills in its length. */
static void begin(struct rec_buf *b, enum rec_type type)
{
	b->len = 0;
	b->failed = false;
	put_u32(b, 0);
	put_u16(b, type);
	put_u16(b, 0);
}

static void finish(struct rec_buf *b)
{
	uint32_t n = (uint32_t)(b->len - REC_HEADER);

	/* a payload past what its length can say is refused, never wrapped */
	if (b->len - REC_HEADER > UINT32_MAX)
		b->failed = true;
	if (b->failed)
		return;
	for (unsigned int i = 0; i < 4; i++)
		b->p[i] = (uint8_t)(n >> (8 * i));
}

void rec_buf_free(struct rec_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void rec_buf_append(struct rec_buf *to, const struct rec_buf *from)
{
	put_bytes(to, from->p, from->len);
}

void rec_file_header(struct rec_buf *b)
{
	b->len = 0;
	b->failed = false;
	put_bytes(b, REC_MAGIC, 8);
	put_u16(b, REC_VERSION_MAJOR);
	put_u16(b, REC_VERSION_MINOR);
	put_u32(b, 0);
}

void rec_put_start(struct rec_buf *b, const struct rec_start *s)
{
	begin(b, REC_START);
	put_u64(b, s->realtime_ns);
	put_u64(b, s->monotonic_ns);
	put_u64(b, s->interval_ns);
	put_str(b, s->host);
	put_str(b, s->kernel);
	put_str(b, s->tool);
	finish(b);
}

void rec_put_domain(struct rec_buf *b, const struct rec_domain *d)
{
	unsigned int n = d->n_devs > 255 ? 255 : d->n_devs;

	begin(b, REC_DOMAIN);
	put_u64(b, d->t);
	put_u64(b, d->id);
	put_u32(b, d->owner_pid);
	put_u32(b, d->hwpt_id);
	put_u32(b, d->mechanism);
	put_u8(b, d->owner_tracking);
	put_u8(b, d->appeared);
	put_u16(b, n);
	put_u64(b, d->page_size);
	put_u64(b, d->mapped_bytes);
	put_u64(b, d->aperture_start);
	put_u64(b, d->aperture_end);
	put_str(b, d->owner_comm);
	for (unsigned int i = 0; i < n; i++)
		put_str(b, d->devs[i]);
	finish(b);
}

void rec_put_gone(struct rec_buf *b, const struct rec_gone *g)
{
	begin(b, REC_GONE);
	put_u64(b, g->t);
	put_u64(b, g->id);
	put_u32(b, (uint32_t)g->error);
	finish(b);
}

void rec_put_note(struct rec_buf *b, const struct rec_note *n)
{
	begin(b, REC_NOTE);
	put_u64(b, n->t);
	put_u64(b, n->id);
	put_u32(b, (uint32_t)n->error);
	put_str(b, n->text);
	finish(b);
}

void rec_put_end(struct rec_buf *b, uint64_t t, uint64_t intervals)
{
	begin(b, REC_END);
	put_u64(b, t);
	put_u64(b, intervals);
	finish(b);
}

void rec_put_maps(struct rec_buf *b, uint64_t t, uint64_t id, const struct rec_area *a,
		  uint32_t n)
{
	begin(b, REC_MAPS);
	put_u64(b, t);
	put_u64(b, id);
	put_u32(b, n);
	put_u32(b, 0);
	for (uint32_t i = 0; i < n; i++) {
		put_u64(b, a[i].iova);
		put_u64(b, a[i].length);
		put_u32(b, a[i].writable ? REC_AREA_WRITABLE : 0);
		put_u32(b, 0);
	}
	finish(b);
}

static void flush_last(struct rec_runs *rs)
{
	uint8_t *at;
	size_t n;

	if (!rs->last_pages)
		return;
	/*
	 * A recording's busiest path: the pair is written in place, into room
	 * for the longest pair, and the room it did not use is given back
	 */
	at = reserve(&rs->enc, 2 * LEB128_MAX);
	if (at) {
		n = leb128(at, rs->last - rs->end);
		n += leb128(at + n, rs->last_pages - 1);
		rs->enc.len -= 2 * LEB128_MAX - n;
	}
	rs->end = rs->last + rs->last_pages;
	rs->last_pages = 0;
}

int rec_runs_add(struct rec_runs *rs, uint64_t first_page, uint64_t pages)
{
	if (!pages)
		return 0;
	if (rs->n && first_page < rs->last + rs->last_pages)
		return -EINVAL;
	/* reads deliver runs in order; one that touches the last extends it */
	if (rs->n && rs->last + rs->last_pages == first_page) {
		rs->last_pages += pages;
		rs->pages += pages;
		return 0;
	}
	if (rs->n == UINT32_MAX)
		return -E2BIG;
	if (!rs->n)
		rs->first = rs->end = first_page;
	flush_last(rs);
	if (rs->enc.failed)
		return -ENOMEM;
	rs->last = first_page;
	rs->last_pages = pages;
	rs->n++;
	rs->pages += pages;
	return 0;
}

void rec_runs_reset(struct rec_runs *rs)
{
	struct rec_buf enc = rs->enc;

	enc.len = 0;
	enc.failed = false;
	memset(rs, 0, sizeof(*rs));
	rs->enc = enc;
}

void rec_runs_free(struct rec_runs *rs)
{
	rec_buf_free(&rs->enc);
	memset(rs, 0, sizeof(*rs));
}

/* The bitmap rec_put_interval() fills from the runs it encoded */
struct bitmap_fill {
	uint8_t *bits;
	uint64_t first, page_size;
};

static int set_bits(uint64_t iova, uint64_t pages, void *arg)
{
	struct bitmap_fill *set = arg;
	uint64_t p = iova / set->page_size - set->first, e = p + pages;

	/* bit by bit to a byte's end, then whole bytes */
	for (; p < e && p % 8; p++)
		set->bits[p / 8] |= (uint8_t)(1u << (p % 8));
	if (e - p >= 8) {
		memset(set->bits + p / 8, 0xff, (e - p) / 8);
		p += (e - p) / 8 * 8;
	}
	for (; p < e; p++)
		set->bits[p / 8] |= (uint8_t)(1u << (p % 8));
	return 0;
}

void rec_put_interval(struct rec_buf *b, struct rec_interval *iv, struct rec_runs *rs)
{
	uint64_t span;

	flush_last(rs);
	span = rs->n ? rs->end - rs->first : 0;
	iv->pages = rs->pages;
	iv->base = rs->first * iv->page_size;
	/* a bitmap of more than 2^32 bits is never smaller than its runs */
	iv->encoding = span <= UINT32_MAX && (span + 7) / 8 < rs->enc.len ? REC_BITMAP : REC_RUNS;
	iv->count = iv->encoding == REC_BITMAP ? (uint32_t)span : rs->n;
	begin(b, REC_INTERVAL);
	put_u64(b, iv->id);
	put_u64(b, iv->since);
	put_u64(b, iv->begin);
	put_u64(b, iv->end);
	put_u64(b, iv->page_size);
	put_u64(b, iv->pages);
	put_u64(b, iv->base);
	put_u8(b, iv->encoding);
	put_u8(b, 0);
	put_u16(b, 0);
	put_u32(b, iv->count);
	if (rs->enc.failed) {
		b->failed = true;
	} else if (iv->encoding == REC_RUNS) {
		put_bytes(b, rs->enc.p, rs->enc.len);
	} else {
		struct rec_interval runs = *iv;
		struct bitmap_fill set;
		size_t bytes = (size_t)(span + 7) / 8;
		uint8_t *bits = reserve(b, bytes);

		if (bits)
			memset(bits, 0, bytes);
		runs.encoding = REC_RUNS;
		runs.count = rs->n;
		runs.data = rs->enc.p;
		runs.len = rs->enc.len;
		set.bits = bits;
		set.first = rs->first;
		set.page_size = iv->page_size;
		if (bits)
			rec_interval_runs(&runs, set_bits, &set);
	}
	finish(b);
}

/* ---- reading --------------------------------------------------------------- */

/* A cursor over a record's payload: every get checks the bounds. */
struct cur {
	const uint8_t *p;
	size_t len, at;
	bool bad;
};

static uint64_t get_le(struct cur *c, unsigned int bytes)
{
	uint64_t v = 0;

	if (c->bad || c->len - c->at < bytes) {
		c->bad = true;
		return 0;
	}
	for (unsigned int i = 0; i < bytes; i++)
		v |= (uint64_t)c->p[c->at + i] << (8 * i);
	c->at += bytes;
	return v;
}

#define get_u8(c) ((uint8_t)get_le(c, 1))
#define get_u16(c) ((uint16_t)get_le(c, 2))
#define get_u32(c) ((uint32_t)get_le(c, 4))
#define get_u64(c) get_le(c, 8)

/* Strings are copied out NUL-terminated into r->strs, which was sized for them. */
static const char *get_str(struct rec_reader *r, struct cur *c, size_t *used)
{
	size_t n = get_u16(c);
	char *s;

	if (c->bad || c->len - c->at < n) {
		c->bad = true;
		return "";
	}
	s = r->strs + *used;
	memcpy(s, c->p + c->at, n);
	s[n] = '\0';
	*used += n + 1;
	c->at += n;
	return s;
}

int rec_open(struct rec_reader *r, FILE *f)
{
	uint8_t h[REC_FILE_HEADER];
	struct cur c = { h, sizeof(h), 8, false };

	memset(r, 0, sizeof(*r));
	r->f = f;
	if (fread(h, 1, sizeof(h), f) != sizeof(h)) {
		if (ferror(f))
			return -EIO;
		r->why = "too short for a record file";
		return -EBADMSG;
	}
	if (memcmp(h, REC_MAGIC, 8)) {
		r->why = "not a record file (no " REC_MAGIC " at its start)";
		return -EBADMSG;
	}
	r->major = get_u16(&c);
	r->minor = get_u16(&c);
	if (r->major != REC_VERSION_MAJOR) {
		r->why = "a format version this program does not read";
		return -EBADMSG;
	}
	r->offset = REC_FILE_HEADER;
	return 0;
}

static int bad(struct rec_reader *r, const char *why)
{
	r->why = why;
	return -EBADMSG;
}

void rec_maps_area(const struct rec_maps *m, uint32_t i, struct rec_area *a)
{
	struct cur c = { m->data + (size_t)i * REC_AREA_BYTES, REC_AREA_BYTES, 0, false };

	a->iova = get_u64(&c);
	a->length = get_u64(&c);
	a->writable = get_u32(&c) & REC_AREA_WRITABLE;
}

/* A MAPS record: its areas are checked here, so readers can trust them */
static int parse_maps(struct rec_reader *r, struct cur *c)
{
	struct rec_maps *m = &r->u.maps;
	struct rec_area a;
	uint64_t end = 0;

	m->t = get_u64(c);
	m->id = get_u64(c);
	m->count = get_u32(c);
	get_le(c, 4);	/* reserved */
	if (c->bad)
		return bad(r, "a record is shorter than its fields");
	if ((c->len - c->at) / REC_AREA_BYTES < m->count)
		return bad(r, "a mapping record holds fewer areas than it says");
	m->data = c->p + c->at;
	for (uint32_t i = 0; i < m->count; i++) {
		rec_maps_area(m, i, &a);
		if (!a.length || a.iova + (a.length - 1) < a.iova)
			return bad(r, "a mapped area is empty or wraps around");
		if (i && a.iova < end)
			return bad(r, "mapped areas overlap or are out of order");
		end = a.iova + a.length;
		/* an area that ends at 2^64 is the last one there can be */
		if (!end && i + 1 < m->count)
			return bad(r, "mapped areas overlap or are out of order");
	}
	return 0;
}

static int parse(struct rec_reader *r, uint16_t type, struct cur *c)
{
	size_t used = 0;

	switch (type) {
	case REC_START:
		r->u.start.realtime_ns = get_u64(c);
		r->u.start.monotonic_ns = get_u64(c);
		r->u.start.interval_ns = get_u64(c);
		r->u.start.host = get_str(r, c, &used);
		r->u.start.kernel = get_str(r, c, &used);
		r->u.start.tool = get_str(r, c, &used);
		break;
	case REC_DOMAIN: {
		struct rec_domain *d = &r->u.domain;

		d->t = get_u64(c);
		d->id = get_u64(c);
		d->owner_pid = get_u32(c);
		d->hwpt_id = get_u32(c);
		d->mechanism = get_u32(c);
		d->owner_tracking = get_u8(c);
		d->appeared = get_u8(c);
		d->n_devs = get_u16(c);
		d->page_size = get_u64(c);
		d->mapped_bytes = get_u64(c);
		d->aperture_start = get_u64(c);
		d->aperture_end = get_u64(c);
		d->owner_comm = get_str(r, c, &used);
		if (d->n_devs > 255)
			return bad(r, "a domain record lists too many devices");
		for (unsigned int i = 0; i < d->n_devs; i++)
			r->devs[i] = get_str(r, c, &used);
		d->devs = r->devs;
		break;
	}
	case REC_INTERVAL: {
		struct rec_interval *iv = &r->u.interval;

		iv->id = get_u64(c);
		iv->since = get_u64(c);
		iv->begin = get_u64(c);
		iv->end = get_u64(c);
		iv->page_size = get_u64(c);
		iv->pages = get_u64(c);
		iv->base = get_u64(c);
		iv->encoding = get_u8(c);
		get_le(c, 3);	/* reserved */
		iv->count = get_u32(c);
		iv->data = c->p + c->at;
		iv->len = c->bad ? 0 : c->len - c->at;
		if (!c->bad && (!iv->page_size || (iv->page_size & (iv->page_size - 1))))
			return bad(r, "an interval's page size is not a power of two");
		if (!c->bad && iv->encoding != REC_RUNS && iv->encoding != REC_BITMAP)
			return bad(r, "an interval's encoding is unknown");
		if (!c->bad && iv->encoding == REC_BITMAP && iv->len < ((size_t)iv->count + 7) / 8)
			return bad(r, "an interval's bitmap is cut short");
		break;
	}
	case REC_GONE:
		r->u.gone.t = get_u64(c);
		r->u.gone.id = get_u64(c);
		r->u.gone.error = (int32_t)get_u32(c);
		break;
	case REC_NOTE:
		r->u.note.t = get_u64(c);
		r->u.note.id = get_u64(c);
		r->u.note.error = (int32_t)get_u32(c);
		r->u.note.text = get_str(r, c, &used);
		break;
	case REC_MAPS:
		return parse_maps(r, c);
	case REC_END:
		r->u.end.t = get_u64(c);
		r->u.end.intervals = get_u64(c);
		break;
	default:
		return 0;	/* a newer minor version's: skipped */
	}
	return c->bad ? bad(r, "a record is shorter than its fields") : 0;
}

/* Read the next record's header and payload into r->p; its length, or <= 0 */
static long read_record(struct rec_reader *r, uint16_t *type)
{
	uint8_t h[REC_HEADER];
	struct cur hc = { h, sizeof(h), 0, false };
	size_t got = fread(h, 1, sizeof(h), r->f);
	struct stat st;
	uint32_t len;

	if (got == 0 && !ferror(r->f))
		return 0;
	if (got != sizeof(h))
		return ferror(r->f) ? -EIO : bad(r, "the last record is cut short");
	len = get_u32(&hc);
	*type = get_u16(&hc);
	/* never allocate for bytes the file does not have */
	if (!fstat(fileno(r->f), &st) && S_ISREG(st.st_mode)) {
		if ((uint64_t)len > (uint64_t)st.st_size - r->offset - REC_HEADER)
			return bad(r, "the last record is cut short");
	} else if (len > REC_MAX_PAYLOAD) {
		return bad(r, "a record's length is beyond what this reader takes from a stream");
	}
	if (len + 1 > r->cap) {
		uint8_t *p = realloc(r->p, len + 1);
		/* strings: at most the payload's bytes, a NUL each, 256 at most */
		char *s = p ? realloc(r->strs, (size_t)len + 256) : NULL;

		if (p)
			r->p = p;
		if (!s)
			return -ENOMEM;
		r->strs = s;
		r->cap = len + 1;
	}
	if (fread(r->p, 1, len, r->f) != len)
		return ferror(r->f) ? -EIO : bad(r, "the last record is cut short");
	return (long)len + 1;
}

int rec_next(struct rec_reader *r)
{
	uint16_t type;
	long n;

	while ((n = read_record(r, &type)) > 0) {
		struct cur c = { r->p, (size_t)n - 1, 0, false };
		int rc = parse(r, type, &c);

		if (rc)
			return rc;
		r->offset += REC_HEADER + (size_t)n - 1;
		if (type >= REC_START && type <= REC_MAPS)
			return type;
	}
	return (int)n;
}

void rec_close(struct rec_reader *r)
{
	free(r->p);
	free(r->strs);
	memset(r, 0, sizeof(*r));
}

static uint64_t get_leb128(struct cur *c)
{
	uint64_t v = 0;

	/* most values of a busy interval's runs are one byte */
	if (!c->bad && c->at < c->len && c->p[c->at] < 0x80)
		return c->p[c->at++];

	for (unsigned int shift = 0; shift < 64; shift += 7) {
		uint8_t byte = get_u8(c);

		v |= (uint64_t)(byte & 0x7f) << shift;
		if (c->bad || !(byte & 0x80))
			return v;
	}
	c->bad = true;
	return 0;
}

int rec_interval_runs(const struct rec_interval *iv,
		      int (*fn)(uint64_t iova, uint64_t pages, void *arg), void *arg)
{
	uint64_t page = iv->base / iv->page_size, seen = 0;
	int rc;

	if (iv->encoding == REC_RUNS) {
		struct cur c = { iv->data, iv->len, 0, false };

		for (uint32_t i = 0; i < iv->count; i++) {
			uint64_t skip = get_leb128(&c), n = get_leb128(&c) + 1;

			if (c.bad || !n || n > iv->pages - seen)
				return -EBADMSG;
			page += skip;
			rc = fn(page * iv->page_size, n, arg);
			if (rc)
				return rc;
			page += n;
			seen += n;
		}
	} else {
		for (uint64_t b = 0; b < iv->count;) {
			uint64_t n = 0;

			while (b < iv->count && !(iv->data[b / 8] & (1u << (b % 8))))
				b++;
			while (b + n < iv->count && (iv->data[(b + n) / 8] & (1u << ((b + n) % 8))))
				n++;
			if (!n)
				break;
			seen += n;
			if (seen > iv->pages)
				return -EBADMSG;
			rc = fn((page + b) * iv->page_size, n, arg);
			if (rc)
				return rc;
			b += n;
		}
	}
	return seen == iv->pages ? 0 : -EBADMSG;
}
