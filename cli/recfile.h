/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The file `record` writes and `report` reads, iommu-dirty-record(5): a
 * 16-byte file header, then records, each a 8-byte header (payload length,
 * type) and its payload, little-endian. A record is written with one
 * write(), so a recorder killed mid-way leaves every record before the last
 * whole and the reader stops at the cut. Unknown record types are skipped:
 * a newer minor version may add some. Pure functions, unit tested.
 */
#ifndef CLI_RECFILE_H
#define CLI_RECFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REC_MAGIC "IOMMUDRC"
#define REC_VERSION_MAJOR 1
#define REC_VERSION_MINOR 1
#define REC_FILE_HEADER 16
#define REC_HEADER 8
/* From a file, a length past its end is a cut; from a stream, past this is damage */
#define REC_MAX_PAYLOAD (64u << 20)
#define REC_MAX_STR 4096

enum rec_type {
	REC_START = 1,		/* first: the host and the recording's clocks */
	REC_DOMAIN = 2,		/* a domain recorded from now on */
	REC_INTERVAL = 3,	/* one clearing read of one domain */
	REC_GONE = 4,		/* a domain no longer recorded */
	REC_NOTE = 5,		/* something that happened: a failed read, say */
	REC_END = 6,		/* the recorder stopped as asked (absent if killed) */
	REC_MAPS = 7,		/* the areas mapped in a domain (minor version 1) */
};

/* How an interval's dirty pages are kept */
enum rec_encoding {
	REC_RUNS = 0,		/* LEB128 pairs: pages skipped, run length - 1 */
	REC_BITMAP = 1,		/* one bit per page from base, LSB first */
};

/* Times are nanoseconds of CLOCK_MONOTONIC after struct rec_start.monotonic_ns. */
struct rec_start {
	uint64_t realtime_ns;	/* CLOCK_REALTIME at the start */
	uint64_t monotonic_ns;	/* CLOCK_MONOTONIC at the same instant */
	uint64_t interval_ns;	/* as asked */
	const char *host, *kernel, *tool;
};

struct rec_domain {
	uint64_t t, id;
	uint32_t owner_pid, hwpt_id, mechanism;
	bool owner_tracking, appeared;	/* appeared: created after the recording began */
	uint64_t page_size, mapped_bytes, aperture_start, aperture_end;
	const char *owner_comm;		/* as the kernel gave it: escape to show */
	unsigned int n_devs;
	const char *const *devs;
};

struct rec_interval {
	uint64_t id;
	uint64_t since;		/* when the previous read of the domain began */
	uint64_t begin, end;	/* this read */
	uint64_t page_size;
	uint64_t pages;		/* dirty pages in it */
	uint64_t base;		/* IOVA of the first page the encoding counts from */
	enum rec_encoding encoding;
	uint32_t count;		/* runs, or bits of the bitmap */
	const uint8_t *data;
	size_t len;
};

struct rec_gone {
	uint64_t t, id;
	int32_t error;		/* 0: destroyed; else the -errno that ended it */
};

struct rec_note {
	uint64_t t, id;		/* id 0: the recording as a whole */
	int32_t error;
	const char *text;
};

/* One mapped area of a MAPS record */
struct rec_area {
	uint64_t iova, length;
	bool writable;
};

#define REC_AREA_BYTES 24	/* u64 iova, u64 length, u32 flags, u32 0 */
#define REC_AREA_WRITABLE 1u

/* The areas mapped in a domain from t on, ascending and disjoint */
struct rec_maps {
	uint64_t t, id;
	uint32_t count;
	const uint8_t *data;	/* count areas: rec_maps_area() */
};

/* A growing buffer a record is built in */
struct rec_buf {
	uint8_t *p;
	size_t len, cap;
	bool failed;		/* out of memory: the record is not written */
};

void rec_buf_free(struct rec_buf *b);
/* Add @from's bytes at the end of @to (failed, and kept as it was, when out of memory) */
void rec_buf_append(struct rec_buf *to, const struct rec_buf *from);

/*
 * Encoders: each builds one whole record (header included) in @b, from
 * empty. rec_file_header() is the 16 bytes a file starts with.
 */
void rec_file_header(struct rec_buf *b);
void rec_put_start(struct rec_buf *b, const struct rec_start *s);
void rec_put_domain(struct rec_buf *b, const struct rec_domain *d);
void rec_put_gone(struct rec_buf *b, const struct rec_gone *g);
void rec_put_note(struct rec_buf *b, const struct rec_note *n);
void rec_put_end(struct rec_buf *b, uint64_t t, uint64_t intervals);
void rec_put_maps(struct rec_buf *b, uint64_t t, uint64_t id, const struct rec_area *a,
		  uint32_t n);
/* Area @i (< m->count) of a MAPS record rec_next() returned */
void rec_maps_area(const struct rec_maps *m, uint32_t i, struct rec_area *a);

/*
 * An interval is collected run by run (ascending IOVA, as reads deliver
 * them) and encoded as it comes, so memory follows the encoded size (a few
 * bytes a run), then written as runs or as a bitmap, whichever is smaller.
 */
struct rec_runs {
	struct rec_buf enc;	/* the runs before the last, LEB128 */
	uint64_t first;		/* page of the first run */
	uint64_t last, last_pages;	/* the last run, not yet encoded */
	uint64_t end;		/* page after the run before it */
	uint32_t n;		/* runs, the last included */
	uint64_t pages;
};

/* 0, -EINVAL for a run out of order, -ENOMEM, -E2BIG past 2^32 runs */
int rec_runs_add(struct rec_runs *rs, uint64_t first_page, uint64_t pages);
void rec_runs_reset(struct rec_runs *rs);
void rec_runs_free(struct rec_runs *rs);
/* @iv's page_size, id and times are the caller's; the rest is filled. */
void rec_put_interval(struct rec_buf *b, struct rec_interval *iv, struct rec_runs *rs);

/*
 * Reading: rec_open() checks the file header; rec_next() returns the next
 * record's type (fields valid until the next call), 0 at a clean end of
 * file, or a negative errno: -EBADMSG for a record cut short or damaged
 * (r->offset says where), -EIO for a read error.
 */
struct rec_reader {
	FILE *f;
	uint16_t major, minor;
	uint64_t offset;	/* of the record rec_next() returned or stopped at */
	uint8_t *p;
	size_t cap;
	const char *why;	/* what was wrong, for -EBADMSG */
	const char *devs[255];
	char *strs;		/* the strings of the current record, NUL-terminated */
	union {
		struct rec_start start;
		struct rec_domain domain;
		struct rec_interval interval;
		struct rec_gone gone;
		struct rec_note note;
		struct rec_maps maps;
		struct {
			uint64_t t, intervals;
		} end;
	} u;
};

/* 0, -EBADMSG (not a record file, or a major version this reader does not know), -EIO */
int rec_open(struct rec_reader *r, FILE *f);
int rec_next(struct rec_reader *r);
void rec_close(struct rec_reader *r);

/*
 * Walk an interval's pages: @fn gets each run (first page's IOVA, pages).
 * Returns 0, @fn's non-zero value, or -EBADMSG if the encoding is damaged.
 */
int rec_interval_runs(const struct rec_interval *iv,
		      int (*fn)(uint64_t iova, uint64_t pages, void *arg), void *arg);

#endif
