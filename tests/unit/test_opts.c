// SPDX-License-Identifier: GPL-2.0
/* Unit tests of common/opts.c, run on the host under ASan/UBSan. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "../../common/bitmap.h"
#include "../../common/opts.h"
#include "tap.h"

static void test_parse_size(void)
{
	static const struct { const char *in; int rc; uint64_t out; } cases[] = {
		{ "0", 0, 0 },
		{ "4096", 0, 4096 },
		{ "64K", 0, 64 << 10 },
		{ "64k", 0, 64 << 10 },
		{ "2M", 0, 2 << 20 },
		{ "2MiB", 0, 2 << 20 },
		{ "1G", 0, UINT64_C(1) << 30 },
		{ "3T", 0, UINT64_C(3) << 40 },
		{ "0x1000", 0, 4096 },
		{ "", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1.5M", -EINVAL, 0 },
		{ "1X", -EINVAL, 0 },
		{ "1MB", -EINVAL, 0 },
		{ "1Mi", -EINVAL, 0 },
		{ "1KiBx", -EINVAL, 0 },
		{ "99999999999999999999", -ERANGE, 0 },
		{ "16777216T", -ERANGE, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t out = 0xdead;
		int rc = parse_size(cases[i].in, &out);

		TAP_OK(rc == cases[i].rc && (rc || out == cases[i].out),
		       "parse_size(\"%s\") = %d, %llu", cases[i].in, rc,
		       (unsigned long long)out);
	}
	TAP_OK(parse_size(NULL, &(uint64_t){ 0 }) == -EINVAL, "parse_size(NULL) is -EINVAL");
}

static void test_parse_u64(void)
{
	uint64_t v = 0;

	TAP_OK(!parse_u64("18446744073709551615", &v) && v == UINT64_MAX, "parse_u64 max");
	TAP_OK(parse_u64("18446744073709551616", &v) == -ERANGE, "parse_u64 overflow");
	TAP_OK(parse_u64("12K", &v) == -EINVAL, "parse_u64 takes no suffix");
	TAP_OK(!parse_u64("0x10", &v) && v == 16, "parse_u64 hex");
	TAP_OK(!parse_u64("010", &v) && v == 10, "parse_u64 010 is ten, not octal 8 (%llu)",
	       (unsigned long long)v);
	TAP_OK(parse_u64("08", &v) == 0 && v == 8, "parse_u64 08 is eight");
	TAP_OK(parse_u64("0x", &v) == -EINVAL && parse_u64("0xg", &v) == -EINVAL,
	       "parse_u64 0x needs hex digits");
	TAP_OK(!parse_size("010K", &v) && v == 10 << 10, "parse_size 010K is ten KiB");
}

static void test_parse_duration(void)
{
	uint64_t v = 0;

	TAP_OK(!parse_duration("90", &v) && v == 90, "parse_duration plain seconds");
	TAP_OK(!parse_duration("90s", &v) && v == 90, "parse_duration 90s");
	TAP_OK(!parse_duration("15m", &v) && v == 900, "parse_duration 15m");
	TAP_OK(!parse_duration("2h", &v) && v == 7200, "parse_duration 2h");
	TAP_OK(!parse_duration("1d", &v) && v == 86400, "parse_duration 1d");
	TAP_OK(parse_duration("1hh", &v) == -EINVAL, "parse_duration 1hh is malformed");
	TAP_OK(parse_duration("h", &v) == -EINVAL, "parse_duration h is malformed");
	TAP_OK(parse_duration("-5m", &v) == -EINVAL, "parse_duration refuses a sign");
	TAP_OK(parse_duration("18446744073709551615d", &v) == -ERANGE, "parse_duration overflow");
}

static void test_parse_seconds_ms(void)
{
	uint64_t v = 0;

	TAP_OK(!parse_seconds_ms("2", &v) && v == 2000, "parse_seconds_ms 2");
	TAP_OK(!parse_seconds_ms("0.5", &v) && v == 500, "parse_seconds_ms 0.5");
	TAP_OK(!parse_seconds_ms("1.25", &v) && v == 1250, "parse_seconds_ms 1.25");
	TAP_OK(!parse_seconds_ms("0.001", &v) && v == 1, "parse_seconds_ms a millisecond");
	TAP_OK(parse_seconds_ms("0.0001", &v) == -EINVAL, "parse_seconds_ms finer than a ms");
	TAP_OK(parse_seconds_ms("1.", &v) == -EINVAL, "parse_seconds_ms 1. is malformed");
	TAP_OK(parse_seconds_ms("1s", &v) == -EINVAL, "parse_seconds_ms takes no unit");
	TAP_OK(parse_seconds_ms(".5", &v) == -EINVAL, "parse_seconds_ms needs the integer part");
	TAP_OK(parse_seconds_ms("18446744073709551615", &v) == -ERANGE, "parse_seconds_ms overflow");
}

static void test_parse_rate(void)
{
	uint64_t v = 0;

	TAP_OK(!parse_rate("10gbit", &v) && v == 1250000000, "parse_rate 10gbit");
	TAP_OK(!parse_rate("100Mbit", &v) && v == 12500000, "parse_rate 100Mbit");
	TAP_OK(!parse_rate("8bit", &v) && v == 1, "parse_rate 8bit");
	TAP_OK(!parse_rate("10Gbit", &v) && v == 1250000000, "parse_rate bit units in any case");
	TAP_OK(!parse_rate("2.5gbit", &v) && v == 312500000, "parse_rate 2.5gbit");
	TAP_OK(!parse_rate("1.25GB/s", &v) && v == 1250000000, "parse_rate 1.25GB/s is decimal");
	TAP_OK(!parse_rate("100MiB/s", &v) && v == 100ULL << 20, "parse_rate 100MiB/s is binary");
	TAP_OK(!parse_rate("512KB/s", &v) && v == 512000 && !parse_rate("512kB/s", &v) &&
	       v == 512000, "parse_rate KB/s and kB/s");
	TAP_OK(!parse_rate("300B/s", &v) && v == 300, "parse_rate B/s");
	TAP_OK(parse_rate("10G", &v) == -EINVAL, "parse_rate 10G is ambiguous: refused");
	TAP_OK(parse_rate("512M", &v) == -EINVAL, "parse_rate 512M is ambiguous: refused");
	TAP_OK(parse_rate("100", &v) == -EINVAL, "parse_rate needs a unit");
	TAP_OK(parse_rate("10gbps", &v) == -EINVAL, "parse_rate 10gbps is malformed");
	TAP_OK(parse_rate("1.5bit", &v) == -EINVAL, "parse_rate: no fraction of a bit");
	TAP_OK(parse_rate("1.gbit", &v) == -EINVAL && parse_rate(".5gbit", &v) == -EINVAL,
	       "parse_rate: digits on both sides of the point");
	TAP_OK(parse_rate("0x10gbit", &v) == -EINVAL, "parse_rate is decimal only");
	TAP_OK(parse_rate("99999999999999999tbit", &v) == -ERANGE, "parse_rate overflow");
}

static void test_parse_page_list(void)
{
	uint64_t map[2];

	memset(map, 0, sizeof(map));
	TAP_OK(!parse_page_list("0,5,10-12,127", map, 128) &&
	       bitmap_count_andnot(map, NULL, 128) == 6 && bitmap_test_bit(map, 11) &&
	       bitmap_test_bit(map, 127) && !bitmap_test_bit(map, 9),
	       "page list sets exactly the listed pages");
	TAP_OK(parse_page_list("128", map, 128) == -ERANGE, "index past the end is -ERANGE");
	TAP_OK(parse_page_list("5-3", map, 128) == -EINVAL, "reversed range is -EINVAL");
	TAP_OK(parse_page_list("1,", map, 128) == -EINVAL, "trailing comma is -EINVAL");
	TAP_OK(parse_page_list("1-", map, 128) == -EINVAL, "open range is -EINVAL");
	TAP_OK(parse_page_list("a", map, 128) == -EINVAL, "letters are -EINVAL");
	TAP_OK(parse_page_list("", map, 128) == -EINVAL, "empty list is -EINVAL");
}

static void test_bitmap_count(void)
{
	uint64_t a[2] = { ~UINT64_C(0), ~UINT64_C(0) }, b[2] = { 0xff, 0 };

	TAP_OK(bitmap_count_andnot(a, NULL, 70) == 70, "count ignores bits past nbits");
	TAP_OK(bitmap_count_andnot(a, b, 64) == 56, "count of a and not b");
	TAP_OK(bitmap_count_andnot(b, a, 128) == 0, "subset has nothing extra");
}

int main(void)
{
	test_parse_size();
	test_parse_u64();
	test_parse_duration();
	test_parse_seconds_ms();
	test_parse_rate();
	test_parse_page_list();
	test_bitmap_count();
	return tap_done();
}
