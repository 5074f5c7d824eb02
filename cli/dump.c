// SPDX-License-Identifier: GPL-2.0
/*
 * dump: read a lease's dirty pages (bitmap-get), as runs, as hex bitmap
 * chunks, or as one binary bitmap of a window (the layout of
 * IOMMU_HWPT_GET_DIRTY_BITMAP). Input is checked against the domain before
 * anything reaches the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bitmap.h"
#include "cli.h"
#include "opts.h"

enum format { FMT_EXTENTS, FMT_HEX, FMT_RAW };

struct dump {
	struct cli_args a;
	struct cli *c;
	enum format format;
	struct iommudirty_read_opts opts;
	bool window;
	/* Running totals and the progress line */
	uint64_t dirty, runs;
	uint64_t start_ns, shown_ns;
	bool progress;
	/* hex: where the last chunk ended, and whether a run reached its end */
	uint64_t next_iova;
	bool carry;
	/* raw: the word being filled and its index in the window's bitmap */
	uint64_t raw_word, raw_index, page;
	/* the domain, for checks */
	uint64_t aperture_end, min_page;
};

enum { OPT_IOVA = 256, OPT_LENGTH, OPT_PAGE_SIZE, OPT_NO_CLEAR, OPT_FORMAT };

static const struct argp_option options[] = {
	{ "name", 'n', "NAME", 0, "Read as this lease (default " CLI_DEFAULT_LEASE_NAME ")", 0 },
	{ "iova", OPT_IOVA, "ADDR", 0, "Start of the window (default: the whole domain)", 0 },
	{ "length", OPT_LENGTH, "SIZE", 0, "Bytes in the window, e.g. 4G", 0 },
	{ "page-size", OPT_PAGE_SIZE, "SIZE", 0,
	  "Bytes per bit: a power of two, at least the domain's smallest page (default)", 0 },
	{ "no-clear", OPT_NO_CLEAR, NULL, 0, "Peek: the next dump reports the pages again", 0 },
	{ "format", OPT_FORMAT, "FMT", 0,
	  "extents (runs of dirty pages, default), hex (bitmap chunks in hexadecimal), or "
	  "raw (the window's bitmap in binary on stdout; needs --iova and --length)", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct dump *d = state->input;

	switch (key) {
	case 'n':
		d->a.name = cli_arg_lease_name(state, arg);
		break;
	case OPT_IOVA:
		if (parse_size(arg, &d->opts.iova))
			argp_error(state, "--iova: '%s' is not an address", arg);
		d->window = true;
		break;
	case OPT_LENGTH:
		if (parse_size(arg, &d->opts.length) || !d->opts.length)
			argp_error(state, "--length: '%s' is not a size", arg);
		d->window = true;
		break;
	case OPT_PAGE_SIZE:
		if (parse_size(arg, &d->opts.page_size) || !d->opts.page_size ||
		    d->opts.page_size & (d->opts.page_size - 1))
			argp_error(state, "--page-size: '%s' is not a power of two", arg);
		break;
	case OPT_NO_CLEAR: d->opts.no_clear = true; break;
	case OPT_FORMAT:
		if (!strcmp(arg, "extents"))
			d->format = FMT_EXTENTS;
		else if (!strcmp(arg, "hex"))
			d->format = FMT_HEX;
		else if (!strcmp(arg, "raw"))
			d->format = FMT_RAW;
		else
			argp_error(state, "--format takes extents, hex or raw, not '%s'", arg);
		break;
	default:
		return cli_collect(key, arg, state);
	}
	return 0;
}

/* "\r  dumping: N dirty pages so far" on a terminal, once the dump takes a second. */
static void progress(struct dump *d)
{
	uint64_t now;

	if (!d->progress)
		return;
	now = clock_ns(CLOCK_MONOTONIC);
	if (now - d->start_ns < 1000000000u || now - d->shown_ns < 200000000u)
		return;
	d->shown_ns = now;
	fprintf(stderr, "\r  dumping: %llu dirty pages so far", (unsigned long long)d->dirty);
}

static int put_zeros(uint64_t words)
{
	static const uint64_t zero[64];

	while (words) {
		uint64_t n = words < 64 ? words : 64;

		if (fwrite(zero, 8, n, stdout) != n)
			return -EIO;
		words -= n;
	}
	return 0;
}

/* Write the raw bitmap up to word @index (excluded). */
static int raw_flush(struct dump *d, uint64_t index)
{
	if (d->raw_index >= index)
		return 0;
	if (fwrite(&d->raw_word, 8, 1, stdout) != 1)
		return -EIO;
	d->raw_word = 0;
	d->raw_index++;
	if (put_zeros(index - d->raw_index))
		return -EIO;
	d->raw_index = index;
	return 0;
}

/*
 * raw: OR a chunk's @n bits into the window's bitmap from bit @first on, a
 * word at a time; chunks come in order.
 */
static int raw_put_bits(struct dump *d, uint64_t first, const uint64_t *bits, uint64_t n)
{
	unsigned int shift = first % 64;

	for (uint64_t w = 0; w < (n + 63) / 64; w++) {
		uint64_t v = bitmap_word(bits, w, n), index = first / 64 + w;

		if (raw_flush(d, index))
			return -EIO;
		d->raw_word |= v << shift;
		/* The word's high bits spill into the next word of the window */
		if (shift && v >> (64 - shift)) {
			if (raw_flush(d, index + 1))
				return -EIO;
			d->raw_word |= v >> (64 - shift);
		}
	}
	return 0;
}

static int on_run(uint64_t iova, uint64_t pages, uint64_t page_size, void *arg)
{
	struct dump *d = arg;
	struct cli *c = d->c;

	d->dirty += pages;
	d->runs++;
	if (c->json) {
		cli_json_extent(&c->j, iova, pages);
	} else {
		printf("0x%016llx-0x%016llx %llu page%s\n", (unsigned long long)iova,
		       (unsigned long long)(iova + pages * page_size - 1),
		       (unsigned long long)pages, pages == 1 ? "" : "s");
	}
	progress(d);
	return 0;
}

static int on_chunk(const struct iommudirty_chunk *ch, void *arg)
{
	struct dump *d = arg;
	struct cli *c = d->c;
	uint64_t words = (ch->pages + 63) / 64;

	/* The read's page size, asked for: the kernel answers in it */
	if (ch->page_size != d->page)
		return -EPROTO;
	d->dirty += bitmap_count_andnot(ch->bits, NULL, ch->pages);
	progress(d);
	if (d->format == FMT_RAW)
		return raw_put_bits(d, (ch->iova - d->opts.iova) / d->page, ch->bits, ch->pages);
	/* A run goes on from the previous chunk only if the chunks touch */
	if (ch->iova != d->next_iova)
		d->carry = false;
	d->runs += bitmap_count_runs(ch->bits, ch->pages, &d->carry);
	d->next_iova = ch->iova + ch->pages * ch->page_size;
	if (c->json) {
		json_obj_open(&c->j, NULL);
		json_u64(&c->j, "iova", ch->iova);
		json_u64(&c->j, "pages", ch->pages);
		/* the words in order, each as 16 hex digits */
		char *hex = malloc(words * 16 + 1);

		if (!hex)
			return -ENOMEM;
		for (uint64_t w = 0; w < words; w++)
			snprintf(hex + 16 * w, 17, "%016llx", (unsigned long long)ch->bits[w]);
		json_str(&c->j, "bits", hex);
		free(hex);
		json_obj_close(&c->j);
		return 0;
	}
	printf("0x%016llx %u pages:", (unsigned long long)ch->iova, ch->pages);
	for (uint64_t w = 0; w < words; w++)
		printf("%s%016llx", w % 4 ? " " : "\n  ", (unsigned long long)ch->bits[w]);
	printf("\n");
	return 0;
}

static int domain_limits(const struct iommudirty_domain *dom, void *arg)
{
	struct dump *d = arg;

	d->aperture_end = dom->aperture_end;
	d->min_page = dom->pgsize_bitmap ? dom->pgsize_bitmap & -dom->pgsize_bitmap : 1;
	return 0;
}

/* Refuse what the kernel would refuse, with the reason, before asking it. */
static int check_window(struct dump *d)
{
	struct iommudirty_read_opts *o = &d->opts;
	uint64_t page = o->page_size ? o->page_size : d->min_page;

	if (o->page_size && o->page_size < d->min_page)
		return cli_usage(d->c, "page size %llu is not supported: the domain's smallest "
				 "page is %llu", (unsigned long long)o->page_size,
				 (unsigned long long)d->min_page);
	if (d->window && !o->length)
		return cli_usage(d->c, "--iova needs --length");
	if (d->format == FMT_RAW && !d->window)
		return cli_usage(d->c, "--format raw needs a window: --iova and --length");
	if (d->format == FMT_RAW && (d->c->json || isatty(STDOUT_FILENO)))
		return cli_usage(d->c, "--format raw writes binary: redirect it to a file "
				 "(or use --format hex)");
	d->page = page;
	if (!d->window)
		return 0;
	if (o->iova % page || o->length % page)
		return cli_usage(d->c, "the window must start and end on %llu-byte pages",
				 (unsigned long long)page);
	if (o->iova + o->length - 1 < o->iova || o->iova + o->length - 1 > d->aperture_end)
		return cli_usage(d->c, "the window ends past the domain (its last IOVA is 0x%llx)",
				 (unsigned long long)d->aperture_end);
	return 0;
}

int cmd_dump(struct cli *c, int argc, char **argv)
{
	static const struct argp argp = {
		options, parse_opt, "DOMAIN",
		"Read the pages dirtied since the lease's last dump (or since `enable`), "
		"and clear them for the lease only: the owner and other observers lose "
		"nothing. Holes in the window are skipped.\v"
		"DOMAIN := " CLI_DOMAIN_SYNTAX, NULL, NULL, NULL
	};
	struct dump d = { .c = c, .a = { .name = CLI_DEFAULT_LEASE_NAME },
			  .opts = { .sz = sizeof(d.opts) } };
	struct iommudirty_read_cbs cbs = { .sz = sizeof(cbs) };
	uint64_t id;
	int rc = cli_domain_args(c, &argp, argc, argv, &d.a, true, &id);

	if (rc)
		return rc;
	rc = iommudirty_domain_get(c->h, id, domain_limits, &d);
	if (rc)
		return cli_fail_domain(c, rc, id, "domain %llu", (unsigned long long)id);
	rc = check_window(&d);
	if (rc)
		return rc;
	d.opts.name = d.a.name;
	/*
	 * extents: the kernel sends each chunk in whichever form is smaller and
	 * the library hands over runs. hex and raw print bitmaps: they ask for
	 * bitmaps and take them a word at a time.
	 */
	if (d.format == FMT_EXTENTS) {
		d.opts.format = IOMMUDIRTY_FORMAT_ADAPTIVE;
		cbs.run = on_run;
	} else {
		cbs.chunk = on_chunk;
	}
	d.progress = isatty(STDERR_FILENO);
	d.start_ns = clock_ns(CLOCK_MONOTONIC);
	if (c->json) {
		json_obj_open(&c->j, NULL);
		json_u64(&c->j, "domain_id", id);
		json_str(&c->j, "observer_name", d.a.name);
		json_str(&c->j, "format", d.format == FMT_HEX ? "hex" : "extents");
		json_arr_open(&c->j, d.format == FMT_HEX ? "chunks" : "extents");
	}
	rc = iommudirty_read(c->h, id, &d.opts, &cbs, &d);
	if (d.progress && d.shown_ns)
		fprintf(stderr, "\r\033[K");
	/* raw: the rest of the window's words, one bit per page */
	if (!rc && d.format == FMT_RAW)
		rc = raw_flush(&d, (d.opts.length / d.page + 63) / 64) ?:
		     (fflush(stdout) ? -EIO : 0);
	if (c->json) {
		json_arr_close(&c->j);
		json_u64(&c->j, "dirty_pages", d.dirty);
		json_u64(&c->j, "runs", d.runs);
		json_bool(&c->j, "complete", !rc);
		json_obj_close(&c->j);
		json_end(&c->j);
	} else if (!rc && d.format != FMT_RAW) {
		printf("%llu dirty page%s in %llu run%s\n", (unsigned long long)d.dirty,
		       d.dirty == 1 ? "" : "s", (unsigned long long)d.runs, d.runs == 1 ? "" : "s");
	}
	/* raw: a bitmap that could not be written is the output's failure, not the read's */
	if (rc && d.format == FMT_RAW && ferror(stdout)) {
		cli_output_ok(c);
		return EXIT_FAILED;
	}
	return rc ? cli_fail_lease(c, rc, d.a.name, id) : EXIT_OK;
}
