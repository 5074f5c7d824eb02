// SPDX-License-Identifier: GPL-2.0
/*
 * observe: run iommu-dirty observer operations on one netlink socket, in
 * order, for the Bats suites (a socket-bound observer lives as long as the
 * socket, so a test needs several operations in one process).
 *
 *   observe DOMAIN OP...
 *
 * DOMAIN is a registry id. Each OP prints one JSON line:
 *   enable[=NAME[:SECONDS]]   tracking-set enable (socket-bound without NAME)
 *   disable[=NAME]            tracking-set disable
 *   read[=NAME][,no-clear][,extents|adaptive][,iova=A][,length=L][,page-size=S][,quiet]
 *       [,every=N:K]          bitmap-get; prints the dirty pages' IOVAs
 *                             (unless quiet), how many, the runs received
 *                             and the bytes on the wire; with every=N:K,
 *                             also "misplaced": the pages that are not, in
 *                             order, pages K, K+N, K+2N... counted from
 *                             the start of the mock aperture
 *   sleep=MS                  pause
 *   touch=FILE, wait=FILE     create FILE; wait until FILE exists
 *
 *   observe find PID HWPT
 *
 * prints the registry id of the domain PID allocated as HWPT.
 *
 * Exit status: 0 every operation succeeded; otherwise the errno of the first
 * that failed (after printing its line, with the extack message); 64 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dirty_nl.h"
#include "iommufd_test.h"
#include "opts.h"

struct pages {
	uint64_t count, runs, page_size;
	const char *sep;
	bool quiet;
	/* every=N:K: the next page expected, in pages from MOCK_APERTURE_START */
	uint64_t every, next, misplaced;
};

/* Pages must come in order and exactly every p->every pages. */
static void check_placed(struct pages *p, uint64_t iova, uint64_t pages, uint64_t page_size)
{
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t at = (iova + i * page_size - MOCK_APERTURE_START) / page_size;

		if (at != p->next)
			p->misplaced++;
		p->next = at + p->every;
	}
}

static void print_run(void *arg, uint64_t iova, uint64_t pages, uint64_t page_size)
{
	struct pages *p = arg;

	p->runs++;
	p->page_size = page_size;
	if (p->every)
		check_placed(p, iova, pages, page_size);
	if (p->quiet) {
		p->count += pages;
		return;
	}
	for (uint64_t i = 0; i < pages; i++, p->count++) {
		printf("%s%llu", p->sep, (unsigned long long)(iova + i * page_size));
		p->sep = ",";
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: observe DOMAIN enable[=NAME[:SECONDS]] | disable[=NAME] |\n"
		"       read[=NAME][,no-clear][,extents|adaptive][,iova=A][,length=L][,page-size=S] |\n"
		"       sleep=MS | touch=FILE | wait=FILE ...\n"
		"       observe find PID HWPT\n");
	exit(64);
}

static uint64_t size_arg(const char *s)
{
	uint64_t v;

	if (parse_size(s, &v))
		usage();
	return v;
}

/* read[=NAME][,flag...]: @spec is what follows "read". */
static void parse_read(char *spec, struct dirty_read *req, struct pages *p)
{
	char *tok, *save = NULL;

	if (*spec == '=') {
		spec++;
		req->name = strtok_r(spec, ",", &save);
		spec = NULL;
	} else if (*spec == ',') {
		spec++;
	} else if (*spec) {
		usage();
	}
	while ((tok = strtok_r(spec, ",", &save))) {
		spec = NULL;
		if (!strcmp(tok, "no-clear"))
			req->no_clear = true;
		else if (!strcmp(tok, "quiet"))
			p->quiet = true;
		else if (!strcmp(tok, "extents"))
			req->format = IOMMUDIRTY_FORMAT_EXTENTS;
		else if (!strcmp(tok, "adaptive"))
			req->format = IOMMUDIRTY_FORMAT_ADAPTIVE;
		else if (!strncmp(tok, "iova=", 5))
			req->iova = size_arg(tok + 5);
		else if (!strncmp(tok, "length=", 7))
			req->length = size_arg(tok + 7);
		else if (!strncmp(tok, "page-size=", 10))
			req->page_size = size_arg(tok + 10);
		else if (sscanf(tok, "every=%" SCNu64 ":%" SCNu64, &p->every, &p->next) != 2 ||
			 !p->every)
			usage();
	}
}

static int run_op(struct dirty_nl *n, uint64_t domain, char *op)
{
	struct dirty_read req = { .domain = domain };
	struct pages p = { .sep = "" };
	uint32_t lifetime = 0;
	char *name = NULL, *colon;
	int rc;

	if (!strncmp(op, "enable", 6) || !strncmp(op, "disable", 7)) {
		bool enable = op[0] == 'e';
		char *rest = op + (enable ? 6 : 7);

		if (*rest == '=')
			name = rest + 1;
		else if (*rest)
			usage();
		if (name && enable && (colon = strchr(name, ':'))) {
			*colon = '\0';
			lifetime = (uint32_t)strtoul(colon + 1, NULL, 10);
		}
		rc = dirty_nl_tracking_set(n, domain, enable, name, lifetime);
		printf("{\"op\":\"%s\",\"rc\":%d", enable ? "enable" : "disable", rc);
	} else if (!strncmp(op, "read", 4)) {
		parse_read(op + 4, &req, &p);
		n->rx_bytes = 0;
		printf("{\"op\":\"read\",\"dirty\":[");
		rc = dirty_nl_read(n, &req, print_run, &p);
		printf("],\"rc\":%d,\"pages\":%llu,\"runs\":%llu,\"page_size\":%llu,\"bytes\":%llu",
		       rc, (unsigned long long)p.count, (unsigned long long)p.runs,
		       (unsigned long long)p.page_size, (unsigned long long)n->rx_bytes);
		if (p.every)
			printf(",\"misplaced\":%llu", (unsigned long long)p.misplaced);
	} else if (!strncmp(op, "sleep=", 6)) {
		uint64_t ms = size_arg(op + 6);
		struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
				       .tv_nsec = (long)(ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
		return 0;
	} else if (!strncmp(op, "touch=", 6)) {
		FILE *f = fopen(op + 6, "w");

		return f && !fclose(f) ? 0 : -errno;
	} else if (!strncmp(op, "wait=", 5)) {
		struct timespec ts = { .tv_nsec = 10000000 };

		while (access(op + 5, F_OK))
			nanosleep(&ts, NULL);
		return 0;
	} else {
		usage();
		return 0;
	}
	if (rc)
		printf(",\"error\":\"%s\",\"extack\":\"%s\"", strerror(-rc), n->errmsg);
	printf("}\n");
	fflush(stdout);
	return rc;
}

int main(int argc, char **argv)
{
	struct dirty_nl n;
	uint64_t domain;
	int rc;

	if (argc < 3)
		usage();
	rc = dirty_nl_open(&n);
	if (rc) {
		fprintf(stderr, "observe: iommu-dirty: %s\n", strerror(-rc));
		return -rc;
	}
	if (!strcmp(argv[1], "find")) {
		uint64_t pid, hwpt;

		if (argc != 4 || parse_u64(argv[2], &pid) || parse_u64(argv[3], &hwpt))
			usage();
		rc = dirty_nl_find_domain(&n, (pid_t)pid, (uint32_t)hwpt, &domain);
		if (!rc)
			printf("%llu\n", (unsigned long long)domain);
		dirty_nl_close(&n);
		return -rc;
	}
	if (parse_u64(argv[1], &domain))
		usage();
	for (int i = 2; i < argc; i++) {
		rc = run_op(&n, domain, argv[i]);
		if (rc)
			break;
	}
	dirty_nl_close(&n);
	return -rc;
}
