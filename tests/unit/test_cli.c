// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the CLI's JSON writer and size formatting; ASan/UBSan. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cli/cli.h"
#include "../../cli/model.h"
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

static void test_exit_status(void)
{
	TAP_OK(cli_exit_for(0) == EXIT_OK, "0 is success");
	TAP_OK(cli_exit_for(-EPERM) == EXIT_PERM && cli_exit_for(-EACCES) == EXIT_PERM,
	       "EPERM and EACCES are permission denied (4)");
	TAP_OK(cli_exit_for(-ENOENT) == EXIT_NO_ENTRY && cli_exit_for(-ENODEV) == EXIT_NO_ENTRY,
	       "ENOENT and ENODEV are no such domain or device (5)");
	TAP_OK(cli_exit_for(-EINVAL) == EXIT_USAGE && cli_exit_for(-ERANGE) == EXIT_USAGE,
	       "EINVAL and ERANGE are bad input (2)");
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

int main(void)
{
	test_precopy();
	test_json();
	test_exit_status();
	test_size();
	return tap_done();
}
