// SPDX-License-Identifier: GPL-2.0
/*
 * dirty-bench: figures for `make bench`, measured side by side in one run
 * on one mock domain and printed with their ratios (no pass/fail on speed):
 *
 *  1. a clearing read with one page in three dirty, then one in 1000,
 *     through bitmap-get (raw, extents and adaptive, each into a bitmap as
 *     a consumer wanting one would: bits ORed in a word at a time, runs set
 *     as ranges) against the owner's IOMMU_HWPT_GET_DIRTY_BITMAP;
 *  2. the owner's harvest with one and with 16 observers (in their steady
 *     state: their pending memory already allocated by an earlier harvest)
 *     against none;
 *  3. the bytes bitmap-get sends for sparse and for dense pages in each
 *     format;
 *  4. with CLI (the path of iommu-dirtyctl), its `dump --format raw` of the
 *     whole mapping into a file, its output checked, against the library's
 *     raw read of figure 1, the CLI's start (a one-page dump) subtracted:
 *     in wall time, and in CPU time (user + system, so the kernel's walk
 *     counts), which the guest's 9p loads of the CLI's libraries, a noisy
 *     wait, do not reach;
 *  5. with CLI, the peak RSS of `dump` (raw and extents), `rate` and
 *     `top --observe` on the 1.75 GiB domain against a 64 MiB one: memory
 *     must not grow with the mapped size beyond one bit per page where a
 *     working set is kept.
 *
 * Every measured read is checked: it must return exactly the pages marked
 * before it, or the run fails (exit 1) instead of printing a figure for a
 * wrong answer. The contenders take turns in a rotating order, so drift
 * hits them alike, and each figure is the median of REPS runs (default 7)
 * with its spread (min-max). A ratio between two figures is the median of
 * the ratios within each round, with their spread: a round's runs are close
 * in time, so the drift of a noisy host cancels out of them.
 *
 *   dirty-bench [SIZE [REPS [CLI]]]
 *   dirty-bench --only ioctl|raw|extents|adaptive EVERY [SIZE [REPS]]
 *
 * --only runs REPS clearing reads of one contender with one page in EVERY
 * dirty and prints each read's time, so that a profiler (perf in the guest)
 * sees that contender alone.
 *
 * Exit status: 0 measured, 1 a contender returned the wrong pages, 2 bad
 * usage, 3 an operation failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bitmap.h"
#include "clock_ns.h"
#include "dirty_nl.h"
#include "iommufd.h"
#include "iommufd_test.h"
#include "opts.h"

static uint64_t size = 1792ULL << 20, chunk = 64 << 20, mock_page, npages;
static unsigned int reps = 7;
#define MAX_REPS 100
static int fd;
/* The user memory every mock domain maps, again and again */
static void *mmap_buf;
static struct mock_dirty_domain d;
static struct dirty_nl nl;
static uint64_t domain_id, *marks, *got;
/* CPU time (user + system) of the last measured read, in ms */
static double last_cpu_ms;

static double cpu_ms(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e3 +
	       (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e3;
}

static double self_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return cpu_ms(&ru);
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "dirty-bench: %s: %s%s%s\n", what, strerror(-rc),
		nl.errmsg[0] ? ": " : "", nl.errmsg);
	exit(3);
}

/*
 * Mark every @every-th page of [MOCK_APERTURE_START, + @len) of @hwpt
 * dirty (the hardware must be tracking), through @bits (room for the
 * range's pages), which holds them after.
 */
static void mark_every(uint32_t hwpt, uint64_t len, uint64_t every, uint64_t *bits)
{
	uint64_t n = len / mock_page;
	int rc;

	memset(bits, 0, BITMAP_WORDS(n) * 8);
	for (uint64_t i = 0; i < n; i += every)
		bitmap_set_bit(bits, i);
	rc = mock_set_dirty(fd, hwpt, MOCK_APERTURE_START, len, mock_page, bits, NULL);
	if (rc)
		die("IOMMU_TEST_OP_DIRTY", rc);
}

/* Mark every @every-th page of the run's domain, keeping them in marks */
static void mark(uint64_t every)
{
	mark_every(d.hwpt, size, every, marks);
}

static double ioctl_harvest_ms(void)
{
	uint64_t t0;
	int rc;

	memset(got, 0, BITMAP_WORDS(npages) * 8);
	t0 = clock_ns(CLOCK_MONOTONIC);
	rc = iommufd_get_dirty_bitmap(fd, d.hwpt, MOCK_APERTURE_START, size, mock_page, got, 0);
	if (rc)
		die("IOMMU_HWPT_GET_DIRTY_BITMAP", rc);
	return (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e6;
}

/* A measured read must have returned exactly the marked pages. */
static void validate(const char *who)
{
	uint64_t missing = bitmap_count_andnot(marks, got, npages);
	uint64_t extra = bitmap_count_andnot(got, marks, npages);

	if (missing || extra) {
		fprintf(stderr, "dirty-bench: %s returned the wrong pages: %llu missing, %llu extra\n",
			who, (unsigned long long)missing, (unsigned long long)extra);
		exit(1);
	}
}

/* A read as lease @name; returns ms, sets *pages and *bytes. */
static double observer_read_ms(const char *name, enum iommudirty_format format, bool no_clear,
			       uint64_t *pages, uint64_t *bytes)
{
	struct dirty_read req = { .domain = domain_id, .name = name,
				  .format = format, .no_clear = no_clear };
	struct dirty_page_map map = { .bits = got, .base = MOCK_APERTURE_START,
				      .nbits = npages, .page = mock_page };
	uint64_t t0;
	int rc;

	double c0;

	memset(got, 0, BITMAP_WORDS(npages) * 8);
	nl.rx_bytes = 0;
	c0 = self_cpu_ms();
	t0 = clock_ns(CLOCK_MONOTONIC);
	rc = dirty_nl_read_map(&nl, &req, &map);
	if (rc)
		die("bitmap-get", rc);
	last_cpu_ms = self_cpu_ms() - c0;
	*bytes = nl.rx_bytes;
	*pages = bitmap_count_andnot(got, NULL, npages);
	return (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e6;
}

static void tracking(bool enable)
{
	int rc = iommufd_set_dirty_tracking(fd, d.hwpt, enable);

	if (rc)
		die("IOMMU_HWPT_SET_DIRTY_TRACKING", rc);
}

/* Leases "bench" (i = 0) and "bench-1" to "bench-15" */
#define MAX_OBSERVERS 16
static char lease_names[MAX_OBSERVERS][16];

static void leases(unsigned int n, bool enable)
{
	for (unsigned int i = 0; i < n; i++) {
		int rc = dirty_nl_tracking_set(&nl, domain_id, enable, lease_names[i],
					       enable ? 3600 : 0);

		if (rc)
			die("tracking-set", rc);
	}
}

static void lease(bool enable)
{
	leases(1, enable);
}

struct figure {
	const char *name;
	double ms[MAX_REPS];
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median, min and max of a figure's runs (kept in their rounds' order). */
static double median(const struct figure *f, double *lo, double *hi)
{
	double ms[MAX_REPS];

	memcpy(ms, f->ms, reps * sizeof(ms[0]));
	qsort(ms, reps, sizeof(ms[0]), cmp_double);
	*lo = ms[0];
	*hi = ms[reps - 1];
	return reps % 2 ? ms[reps / 2] : (ms[reps / 2 - 1] + ms[reps / 2]) / 2;
}

/* Contenders of figure 1, in the order of reads[] in main() */
enum { BY_IOCTL, BY_RAW, BY_EXTENTS, BY_ADAPTIVE, BY_CLI, BY_CLI_START, CONTENDERS };
static const char *cli;
/* --only: the contender and its density */
static const char *const only_names[BY_CLI] = {
	[BY_IOCTL] = "ioctl", [BY_RAW] = "raw", [BY_EXTENTS] = "extents", [BY_ADAPTIVE] = "adaptive",
};
static unsigned int only = CONTENDERS, only_every;
static const enum iommudirty_format format_of[CONTENDERS] = {
	[BY_RAW] = IOMMUDIRTY_FORMAT_RAW,
	[BY_EXTENTS] = IOMMUDIRTY_FORMAT_EXTENTS,
	[BY_ADAPTIVE] = IOMMUDIRTY_FORMAT_ADAPTIVE,
};

/* Where a spawner leaves the CLI's peak RSS (KiB) and CPU time (ms) */
static const char spawn_report[] = "/tmp/dirty-bench.rusage";
/* and its stderr */
static const char spawn_stderr[] = "/tmp/dirty-bench.stderr";

/*
 * dirty-bench --spawn OUT PROGRAM ARGS...: run PROGRAM with its stdout
 * into OUT and write its rusage to spawn_report; exit with its status.
 * The bench runs the CLI through this fresh process: a child forked from
 * the bench itself would count the bench's 64 MiB buffer as its own peak
 * RSS (a process's peak survives exec). ASLR is off for the CLI, so its
 * libraries' pages fault in alike from run to run.
 */
static int spawn_main(char **argv)
{
	struct rusage ru;
	int status, file;
	FILE *f;
	pid_t pid = fork();

	if (pid == 0) {
		file = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (file < 0 || dup2(file, STDOUT_FILENO) < 0)
			_exit(126);
		/* its progress lines and errors: shown only if it fails */
		file = open(spawn_stderr, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (file < 0 || dup2(file, STDERR_FILENO) < 0 ||
		    personality(ADDR_NO_RANDOMIZE) < 0)
			_exit(126);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status))
		return 125;
	f = fopen(spawn_report, "w");
	if (!f || fprintf(f, "%ld %.3f\n", ru.ru_maxrss, cpu_ms(&ru)) < 0 || fclose(f))
		return 125;
	return WEXITSTATUS(status);
}

/*
 * Run the CLI with @args (NULL-terminated, after the program), its stdout
 * into @out; returns its wall ms, process start included, and sets
 * last_cpu_ms and *@maxrss_kib (if not NULL). Dies unless it exits 0.
 */
static double run_cli(const char *const *args, const char *out, long *maxrss_kib)
{
	const char *argv[20] = { "/proc/self/exe", "--spawn", out, cli };
	unsigned int n = 4;
	long kib = 0;
	int status;
	uint64_t t0;
	FILE *f;
	pid_t pid;

	for (unsigned int i = 0; args[i] && n + 1 < sizeof(argv) / sizeof(argv[0]); i++)
		argv[n++] = args[i];
	t0 = clock_ns(CLOCK_MONOTONIC);
	pid = fork();
	if (pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		char line[512];

		fprintf(stderr, "dirty-bench: iommu-dirtyctl %s failed:\n", args[0]);
		f = fopen(spawn_stderr, "r");
		while (f && fgets(line, sizeof(line), f))
			fputs(line, stderr);
		exit(3);
	}
	t0 = clock_ns(CLOCK_MONOTONIC) - t0;
	f = fopen(spawn_report, "r");
	if (!f || fscanf(f, "%ld %lf", &kib, &last_cpu_ms) != 2)
		die("the spawner's report", -EIO);
	fclose(f);
	if (maxrss_kib)
		*maxrss_kib = kib;
	return (double)t0 / 1e6;
}

static char domain_arg[24], iova_arg[24];

/*
 * `iommu-dirtyctl dump --format raw` as lease "bench" of the mapping's
 * first @length bytes into a file; returns its ms, process start included.
 * With @check, the file must hold exactly the marked pages.
 */
static double cli_dump_ms(uint64_t length, bool check)
{
	static const char out[] = "/tmp/dirty-bench.raw";
	char len[24];
	const char *args[] = { "dump", domain_arg, "--name", "bench", "--format", "raw",
			       "--iova", iova_arg, "--length", len, NULL };
	double ms;

	snprintf(len, sizeof(len), "%llu", (unsigned long long)length);
	ms = run_cli(args, out, NULL);
	if (check) {
		FILE *f = fopen(out, "r");

		memset(got, 0, BITMAP_WORDS(npages) * 8);
		if (!f || fread(got, 8, BITMAP_WORDS(npages), f) != BITMAP_WORDS(npages))
			die("the CLI's bitmap file", -EIO);
		fclose(f);
		validate("iommu-dirtyctl dump --format raw");
	}
	return ms;
}

/*
 * One clearing read of every @every-th page by contender @c, named @who;
 * returns its ms.
 */
static double clearing_read(unsigned int c, const char *who, uint64_t every)
{
	uint64_t pages, bytes;
	double ms;

	mark(every);
	if (c == BY_CLI || c == BY_CLI_START)
		/* The start: a dump of one page, the rest left for the next */
		return cli_dump_ms(c == BY_CLI ? size : mock_page, c == BY_CLI);
	if (c == BY_IOCTL) {
		tracking(true);
		ms = ioctl_harvest_ms();
		tracking(false);
	} else {
		ms = observer_read_ms("bench", format_of[c], false, &pages, &bytes);
	}
	validate(who);
	return ms;
}

/*
 * The owner's harvest beside @observers leases in their steady state: an
 * unmeasured harvest allocates their pending pages, then the measured one;
 * their reads afterwards empty what they were handed.
 */
static double owner_harvest(unsigned int observers)
{
	uint64_t pages, bytes;
	double ms;

	tracking(true);
	if (observers) {
		leases(observers, true);
		mark(3);
		ioctl_harvest_ms();
	}
	mark(3);
	ms = ioctl_harvest_ms();
	validate(observers ? "the owner's harvest beside observers" : "the owner's harvest");
	tracking(false);
	for (unsigned int i = 0; i < observers; i++)
		observer_read_ms(lease_names[i], IOMMUDIRTY_FORMAT_ADAPTIVE, false, &pages, &bytes);
	leases(observers, false);
	return ms;
}

/* Figure 5's domains: the largest the mock's aperture takes, and one chunk */
#define MEM_BIG (1984ULL << 20)
#define MEM_SMALL (64ULL << 20)
/*
 * Peak RSS differs by up to ~170 KiB between runs and domains even with
 * ASLR off (which library pages a path faults in): the figure resolves a
 * byte a page (960 KiB), not a bit.
 */
#define MEM_NOISE_KIB 256

/*
 * 5: the CLI's peak RSS on a 1984 MiB domain and on a 64 MiB one, both
 * tracking with one page in three dirty before each run, the least of
 * three runs each. A tool that keeps @bits_per_page may grow by that much
 * per page of the difference; beyond it only by the noise of peak RSS.
 * One bit for each of the ~1 Mi pages more is 120 KiB.
 */
static void memory_figure(void)
{
	static const struct {
		const char *name, *args[8];
		unsigned int bits_per_page;
	} tools[] = {
		{ "dump --format raw", { "dump", "%d", "--name", "bench", "--format", "raw",
					 "--iova", "%i" }, 0 },
		{ "dump (extents)", { "dump", "%d", "--name", "bench" }, 0 },
		{ "rate -c 1", { "rate", "%d", "-c", "1", "-i", "1" }, 1 },
		{ "top --observe", { "top", "-b", "-n", "2", "-d", "0.2", "--observe", "%d" }, 0 },
	};
	static const uint64_t sizes[2] = { MEM_BIG, MEM_SMALL };
	struct mock_dirty_domain dom[2];
	uint64_t id[2], pages = (MEM_BIG - MEM_SMALL) / mock_page;
	uint64_t *bits = calloc(BITMAP_WORDS(MEM_BIG / mock_page), 8);
	char ids[2][24], lens[2][24];
	const char *step;
	int rc;

	if (!bits)
		die("calloc", -ENOMEM);
	for (unsigned int w = 0; w < 2; w++) {
		rc = mock_dirty_domain_create(fd, mmap_buf, sizes[w], chunk, true, &dom[w], &step);
		if (rc)
			die(step, rc);
		rc = dirty_nl_find_domain(&nl, getpid(), dom[w].hwpt, &id[w]);
		if (rc)
			die("iommu-dirty", rc);
		rc = dirty_nl_tracking_set(&nl, id[w], true, "bench", 3600);
		if (rc)
			die("tracking-set", rc);
		rc = iommufd_set_dirty_tracking(fd, dom[w].hwpt, true);
		if (rc)
			die("IOMMU_HWPT_SET_DIRTY_TRACKING", rc);
		snprintf(ids[w], sizeof(ids[w]), "%llu", (unsigned long long)id[w]);
		snprintf(lens[w], sizeof(lens[w]), "%llu", (unsigned long long)sizes[w]);
	}
	printf("peak RSS of the CLI on a %llu MiB domain against %llu MiB (%llu pages more), least of 3 runs:\n",
	       MEM_BIG >> 20, MEM_SMALL >> 20, (unsigned long long)pages);
	for (unsigned int t = 0; t < sizeof(tools) / sizeof(tools[0]); t++) {
		long kib[2], allowed;

		for (unsigned int w = 0; w < 2; w++) {
			const char *args[12] = { 0 };
			unsigned int n = 0;

			for (unsigned int a = 0; a < 8 && tools[t].args[a]; a++) {
				const char *arg = tools[t].args[a];

				args[n++] = !strcmp(arg, "%d") ? ids[w] :
					    !strcmp(arg, "%i") ? iova_arg : arg;
				if (!strcmp(arg, "%i")) {
					args[n++] = "--length";
					args[n++] = lens[w];
				}
			}
			kib[w] = LONG_MAX;
			for (unsigned int r = 0; r < 3; r++) {
				long k;

				mark_every(dom[w].hwpt, sizes[w], 3, bits);
				run_cli(args, "/dev/null", &k);
				kib[w] = k < kib[w] ? k : kib[w];
			}
		}
		allowed = (long)((pages * tools[t].bits_per_page + 8191) / 8192) + MEM_NOISE_KIB;
		printf("  %-22s %6ld KiB against %6ld KiB: %+5ld KiB, %.2f bits a page (goal <= %ld KiB: %s%d KiB of noise): %s\n",
		       tools[t].name, kib[0], kib[1], kib[0] - kib[1],
		       (double)(kib[0] - kib[1]) * 8192 / (double)pages, allowed,
		       tools[t].bits_per_page ? "its bit a page and " : "", MEM_NOISE_KIB,
		       kib[0] - kib[1] <= allowed ? "met" : "NOT met");
	}
	free(bits);
}

/*
 * A figure's median and spread; against @base (NULL: none) as a speed or a
 * cost. The ratio is the median of the rounds' own ratios: the runs of one
 * round are next to each other in time, so the host's drift, which moves
 * a whole round, cancels out of them.
 */
static void print_figure(const struct figure *f, const struct figure *base, bool speed,
			 const char *goal)
{
	struct figure ratio = { .name = f->name };
	double lo, hi, m;

	for (unsigned int i = 0; base && i < reps; i++)
		ratio.ms[i] = speed ? base->ms[i] / f->ms[i] : f->ms[i] / base->ms[i];
	m = median(f, &lo, &hi);
	printf("  %-22s %8.1f ms (%.1f-%.1f)", f->name, m, lo, hi);
	if (base) {
		m = median(&ratio, &lo, &hi);
		printf("  %.2fx %s (%.2f-%.2f; goal %s)", m,
		       speed ? "the ioctl's throughput" : "the cost of none", lo, hi, goal);
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	struct figure reads[CONTENDERS] = {
		[BY_IOCTL] = { .name = "owner ioctl" },
		[BY_RAW] = { .name = "bitmap-get raw" },
		[BY_EXTENTS] = { .name = "bitmap-get extents" },
		[BY_ADAPTIVE] = { .name = "bitmap-get adaptive" },
		[BY_CLI] = { .name = "CLI dump --format raw" },
		[BY_CLI_START] = { .name = "CLI dump of one page" },
	};
	/* CPU time of the reads of figure 1 (those of the library and the CLI) */
	struct figure cpu[CONTENDERS] = {
		[BY_RAW] = { .name = "library raw read" },
		[BY_CLI] = { .name = "CLI dump --format raw" },
		[BY_CLI_START] = { .name = "CLI dump of one page" },
	};
	struct figure sparse[BY_CLI] = {
		[BY_IOCTL] = { .name = "owner ioctl" },
		[BY_RAW] = { .name = "bitmap-get raw" },
		[BY_EXTENTS] = { .name = "bitmap-get extents" },
		[BY_ADAPTIVE] = { .name = "bitmap-get adaptive" },
	};
	unsigned int contenders;
	static const unsigned int observers[] = { 0, 1, MAX_OBSERVERS };
	struct figure cost[3] = {
		{ .name = "no observer" }, { .name = "one observer" }, { .name = "16 observers" },
	};
	/* Bytes on the wire: [sparse, dense][format] */
	uint64_t pages, wire[2][3];
	double lo, hi;
	const char *step;
	int rc;

	if (argc > 3 && !strcmp(argv[1], "--spawn"))
		return spawn_main(argv + 2);
	if (argc > 3 && !strcmp(argv[1], "--only")) {
		for (unsigned int c = BY_IOCTL; c < BY_CLI; c++)
			if (!strcmp(argv[2], only_names[c]))
				only = c;
		if (only == CONTENDERS || sscanf(argv[3], "%u", &only_every) != 1 ||
		    !only_every) {
			fprintf(stderr, "usage: dirty-bench --only ioctl|raw|extents|adaptive EVERY [SIZE [REPS]]\n");
			return 2;
		}
		argv[3] = argv[0];
		argv += 3;
		argc -= 3;
		if (argc > 3) {
			fprintf(stderr, "dirty-bench: --only takes no CLI\n");
			return 2;
		}
	}
	mock_page = (uint64_t)sysconf(_SC_PAGESIZE) / 2;
	snprintf(lease_names[0], sizeof(lease_names[0]), "bench");
	for (unsigned int i = 1; i < MAX_OBSERVERS; i++)
		snprintf(lease_names[i], sizeof(lease_names[i]), "bench-%u", i);
	if ((argc > 1 && (parse_size(argv[1], &size) || !size || size % chunk)) ||
	    (argc > 2 && (sscanf(argv[2], "%u", &reps) != 1 || reps < 1 || reps > MAX_REPS)) ||
	    argc > 4) {
		fprintf(stderr, "usage: dirty-bench [SIZE, a multiple of 64M [REPS, 1-%d [CLI]]]\n",
			MAX_REPS);
		return 2;
	}
	cli = argc > 3 ? argv[3] : NULL;
	contenders = cli ? CONTENDERS : BY_CLI;
	npages = size / mock_page;
	marks = calloc(BITMAP_WORDS(npages), 8);
	got = calloc(BITMAP_WORDS(npages), 8);
	if (!marks || !got)
		die("calloc", -ENOMEM);
	fd = iommufd_open();
	if (fd < 0)
		die("/dev/iommu", fd);
	mmap_buf = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mmap_buf == MAP_FAILED)
		die("mmap", -errno);
	rc = mock_dirty_domain_create(fd, mmap_buf, size, chunk, true, &d, &step);
	if (rc)
		die(step, rc);
	rc = dirty_nl_open(&nl);
	if (!rc)
		rc = dirty_nl_find_domain(&nl, getpid(), d.hwpt, &domain_id);
	if (rc)
		die("iommu-dirty", rc);
	snprintf(domain_arg, sizeof(domain_arg), "%llu", (unsigned long long)domain_id);
	snprintf(iova_arg, sizeof(iova_arg), "%llu", (unsigned long long)MOCK_APERTURE_START);

	/* 1: the lease exists throughout, so the ioctl harvests beside it too */
	lease(true);
	observer_read_ms("bench", IOMMUDIRTY_FORMAT_RAW, false, &pages, &wire[0][0]);	/* drain */
	if (only != CONTENDERS) {
		for (unsigned int i = 0; i < reps; i++) {
			reads[only].ms[i] = clearing_read(only, reads[only].name, only_every);
			printf("%s, 1 page in %u: %.1f ms\n", reads[only].name, only_every,
			       reads[only].ms[i]);
		}
		print_figure(&reads[only], NULL, true, NULL);
		lease(false);
		return 0;
	}
	for (unsigned int i = 0; i < reps; i++)
		for (unsigned int k = 0; k < contenders; k++) {
			unsigned int c = (i + k) % contenders;

			reads[c].ms[i] = clearing_read(c, reads[c].name, 3);
			cpu[c].ms[i] = last_cpu_ms;
		}
	/* 1 again, sparse (the CLI left out), after draining what it left */
	observer_read_ms("bench", IOMMUDIRTY_FORMAT_RAW, false, &pages, &wire[0][0]);
	for (unsigned int i = 0; i < reps; i++)
		for (unsigned int k = 0; k < BY_CLI; k++) {
			unsigned int c = (i + k) % BY_CLI;

			sparse[c].ms[i] = clearing_read(c, sparse[c].name, 1000);
		}
	lease(false);
	/* 2: rotate which goes first */
	for (unsigned int i = 0; i < reps; i++)
		for (unsigned int k = 0; k < 3; k++)
			cost[(i + k) % 3].ms[i] = owner_harvest(observers[(i + k) % 3]);

	/* 3: what goes on the wire, sparse (1 page in 1000) and dense (1 in 3) */
	lease(true);
	for (unsigned int density = 0; density < 2; density++) {
		mark(density ? 3 : 1000);
		for (unsigned int f = 0; f < 3; f++) {
			observer_read_ms("bench", format_of[BY_RAW + f], f < 2, &pages,
					 &wire[density][f]);
			validate("a bytes-on-the-wire read");
		}
	}
	lease(false);

	printf("mock domain of %llu MiB, %llu pages of %llu bytes; median (min-max) of %u runs each, every read checked\n",
	       (unsigned long long)(size >> 20), (unsigned long long)npages,
	       (unsigned long long)mock_page, reps);
	printf("clearing read, 1 page in 3 dirty (%llu pages), throughput against the owner's ioctl:\n",
	       (unsigned long long)((npages + 2) / 3));
	print_figure(&reads[BY_IOCTL], NULL, true, NULL);
	for (unsigned int c = BY_RAW; c < BY_CLI; c++)
		print_figure(&reads[c], &reads[BY_IOCTL], true, ">= 1.0x");
	printf("clearing read, 1 page in 1000 dirty (%llu pages), throughput against the owner's ioctl:\n",
	       (unsigned long long)((npages + 999) / 1000));
	print_figure(&sparse[BY_IOCTL], NULL, true, NULL);
	for (unsigned int c = BY_RAW; c < BY_CLI; c++)
		print_figure(&sparse[c], &sparse[BY_IOCTL], true, ">= 1.0x");
	if (cli) {
		double raw = median(&reads[BY_RAW], &lo, &hi);
		double whole = median(&reads[BY_CLI], &lo, &hi);
		double start = median(&reads[BY_CLI_START], &lo, &hi);

		printf("the CLI against the library's raw read, process start excluded:\n");
		print_figure(&reads[BY_CLI], NULL, true, NULL);
		print_figure(&reads[BY_CLI_START], NULL, true, NULL);
		printf("  %-22s %8.1f ms  %.2fx the library's throughput (goal >= 0.9x)\n",
		       "CLI minus its start", whole - start, raw / (whole - start));
		raw = median(&cpu[BY_RAW], &lo, &hi);
		whole = median(&cpu[BY_CLI], &lo, &hi);
		start = median(&cpu[BY_CLI_START], &lo, &hi);
		printf("the same in CPU time (user + system), which 9p's loads of the CLI do not reach:\n");
		print_figure(&cpu[BY_RAW], NULL, true, NULL);
		print_figure(&cpu[BY_CLI], NULL, true, NULL);
		print_figure(&cpu[BY_CLI_START], NULL, true, NULL);
		printf("  %-22s %8.1f ms  %.2fx the library's throughput (goal >= 0.9x)\n",
		       "CLI minus its start", whole - start, raw / (whole - start));
	}
	printf("owner harvest cost, observers in their steady state:\n");
	print_figure(&cost[0], NULL, false, NULL);
	print_figure(&cost[1], &cost[0], false, "<= 1.1x");
	print_figure(&cost[2], &cost[0], false, "<= 2x");
	printf("bytes on the wire for the whole domain (raw, extents, adaptive):\n");
	for (unsigned int density = 0; density < 2; density++) {
		uint64_t *w = wire[density];
		uint64_t best = w[0] < w[1] ? w[0] : w[1];

		printf("  %-20s %10llu %10llu %10llu  raw/extents %.1fx%s  adaptive/smaller %.3f (goal <= 1.0)\n",
		       density ? "dense (1 in 3)" : "sparse (1 in 1000)",
		       (unsigned long long)w[0], (unsigned long long)w[1],
		       (unsigned long long)w[2], (double)w[0] / (double)w[1],
		       density ? "" : " (goal >= 10x)", (double)w[2] / (double)best);
	}
	if (cli)
		memory_figure();
	dirty_nl_close(&nl);
	close(fd);
	return 0;
}
