// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the CLI's JSON writer and size formatting; ASan/UBSan. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cli/cli.h"
#include "../../cli/model.h"
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
					 (unsigned long long)t->view[i]->id);
	return buf;
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
	TAP_OK(fields == 13, "a row has the header's 13 cells (%d)", fields);
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
		struct sample_totals tot;

		sampler_totals(&t.s, &tot);
		TAP_OK(tot.domains == 3 && tot.mapped_bytes == 3 * (4 << 20) &&
		       tot.bytes_per_second == 6 << 20,
		       "totals leave gone domains out of the count, not out of the rate");
	}
}

int main(void)
{
	test_top();
	test_precopy();
	test_json();
	test_exit_status();
	test_size();
	return tap_done();
}
