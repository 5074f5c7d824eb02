// SPDX-License-Identifier: GPL-2.0
/*
 * stats: the domains' gauges and counters in the Prometheus text exposition
 * format, for node_exporter's textfile collector; -o writes a file
 * atomically (a temporary file renamed over it).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* What one domain contributes: its labels and values. */
struct sample {
	uint64_t id;
	uint32_t pid;
	char comm[64];
	const char *mechanism;
	uint64_t value[9];
};

struct metric {
	const char *name, *type, *help;
};

/* In the order of struct sample's values */
static const struct metric metrics[] = {
	{ "iommu_dirty_domain_mapped_bytes", "gauge", "Bytes of IOVA space the domain maps." },
	{ "iommu_dirty_domain_tracking", "gauge", "1 while the IOMMU tracks dirty pages for the domain." },
	{ "iommu_dirty_domain_owner_tracking", "gauge", "1 while the owning VMM has dirty tracking on." },
	{ "iommu_dirty_domain_consumers", "gauge", "Consumers wanting dirty tracking: the owner and observers." },
	{ "iommu_dirty_domain_observers", "gauge", "Observers of the domain (leases and sockets)." },
	{ "iommu_dirty_domain_harvests_total", "counter", "Dirty bitmap harvests by the owner." },
	{ "iommu_dirty_domain_dirty_pages_total", "counter", "Pages the owner's harvests reported dirty." },
	{ "iommu_dirty_domain_observer_reads_total", "counter", "Chunks of bitmap read by observers." },
	{ "iommu_dirty_domain_last_harvest_timestamp_seconds", "gauge",
	  "When the owner last harvested, in seconds since the epoch (0: never)." },
};

#define N_METRICS (sizeof(metrics) / sizeof(metrics[0]))

struct samples {
	struct sample *s;
	size_t n, cap;
};

static int collect(const struct iommudirty_domain *d, void *arg)
{
	struct samples *all = arg;
	struct sample *s;

	if (all->n == all->cap) {
		size_t cap = all->cap ? 2 * all->cap : 64;
		struct sample *p = realloc(all->s, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		all->s = p;
		all->cap = cap;
	}
	s = &all->s[all->n++];
	s->id = d->id;
	s->pid = d->owner_pid;
	snprintf(s->comm, sizeof(s->comm), "%s", d->owner_comm);
	s->mechanism = iommudirty_mechanism_name(d->mechanism);
	s->value[0] = d->mapped_bytes;
	s->value[1] = d->tracking;
	s->value[2] = d->owner_tracking;
	s->value[3] = d->consumers;
	s->value[4] = d->n_observers;
	s->value[5] = d->harvests;
	s->value[6] = d->dirty_pages;
	s->value[7] = d->observer_reads;
	s->value[8] = d->last_harvest_ns / 1000000000u;
	return 0;
}

/* A label value: backslash, double quote and newline escaped. */
static void put_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static int write_metrics(FILE *f, const struct samples *all)
{
	for (size_t m = 0; m < N_METRICS; m++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", metrics[m].name, metrics[m].help,
			metrics[m].name, metrics[m].type);
		for (size_t i = 0; i < all->n; i++) {
			const struct sample *s = &all->s[i];

			fprintf(f, "%s{domain=\"%llu\",pid=\"%u\",comm=\"", metrics[m].name,
				(unsigned long long)s->id, s->pid);
			put_label(f, s->comm);
			fprintf(f, "\",mechanism=\"%s\"} %llu\n", s->mechanism,
				(unsigned long long)s->value[m]);
		}
	}
	return fflush(f) || ferror(f) ? -EIO : 0;
}

/* A file we cannot write is a failed operation (1), whatever its errno. */
static int file_error(struct cli *c, const char *path, int rc)
{
	fprintf(stderr, "iommu-dirtyctl %s: cannot write %s: %s\n", c->cmd, path, strerror(-rc));
	return EXIT_FAILED;
}

/* FILE.tmp.PID in FILE's directory, then rename: readers never see half a file. */
static int write_file(struct cli *c, const char *path, const struct samples *all)
{
	char tmp[4096];
	FILE *f;
	int rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return file_error(c, tmp, -errno);
	rc = write_metrics(f, all);
	if (fclose(f) && !rc)
		rc = -EIO;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return file_error(c, path, rc);
	}
	return EXIT_OK;
}

struct stats_args {
	struct cli_args a;
	const char *output;
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct stats_args *s = state->input;

	switch (key) {
	case 'o':
		s->output = arg;
		return 0;
	case 'P':
		return 0; /* the only format so far */
	default:
		return cli_collect(key, arg, state);
	}
}

int cmd_stats(struct cli *c, int argc, char **argv)
{
	static const struct argp_option options[] = {
		{ "prometheus", 'P', NULL, 0, "The Prometheus text exposition format (the default)", 0 },
		{ "output", 'o', "FILE", 0,
		  "Write FILE atomically (e.g. for node_exporter's textfile collector)", 0 },
		{ 0 }
	};
	static const struct argp argp = {
		options, parse_opt, "",
		"Every domain's gauges and counters as Prometheus metrics, labelled with the "
		"domain id, the owner's pid and command and the mechanism.", NULL, NULL, NULL
	};
	struct stats_args s = { 0 };
	struct samples all = { 0 };
	int rc = cli_parse(c, &argp, argc, argv, &s);

	if (rc)
		return rc;
	if (s.a.argc)
		return cli_usage(c, "unexpected argument '%s'", s.a.argv[0]);
	if (c->json)
		return cli_usage(c, "stats prints Prometheus metrics; use `list -j` for JSON");
	rc = cli_need_caps(c, false) ?: cli_connect(c);
	if (rc)
		return rc;
	rc = iommudirty_domains(c->h, collect, &all);
	if (rc)
		rc = cli_fail(c, rc, "cannot list domains");
	else if (s.output)
		rc = write_file(c, s.output, &all);
	else if (write_metrics(stdout, &all))
		rc = cli_fail(c, -EIO, "cannot write the metrics");
	free(all.s);
	return rc;
}
