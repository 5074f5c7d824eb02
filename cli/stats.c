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
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* What one domain contributes: its labels and values. */
struct sample {
	uint64_t id;
	uint32_t pid;
	char comm[TEXT_ESCAPED_SIZE(64)];	/* as text shows it: no control byte */
	char mechanism[24];
	uint64_t value[10];
	/* dirty record bytes by IOPTE size: the owner's, the observers' */
	struct {
		uint64_t pgsize, bytes[2];
	} gran[64];		/* one per IOPTE size: at most 64 */
	unsigned int n_gran;
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
	{ "iommu_dirty_domain_precise", "gauge",
	  "1 while the domain's huge IOPTEs are split for precise tracking." },
};

/* One series per IOPTE size and consumer, after the per-domain metrics */
static const struct metric gran_metric = {
	"iommu_dirty_domain_dirty_record_bytes_total", "counter",
	"Bytes of the dirty records clearing reads took, by IOPTE size (pgsize) and by "
	"consumer (owner: its harvests; observer: the observers' reads)."
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
	text_escape(s->comm, sizeof(s->comm), d->owner_comm);
	cli_mechanism(s->mechanism, sizeof(s->mechanism), d->mechanism);
	s->value[0] = d->mapped_bytes;
	s->value[1] = d->tracking;
	s->value[2] = d->owner_tracking;
	s->value[3] = d->consumers;
	s->value[4] = d->n_observers;
	s->value[5] = d->harvests;
	s->value[6] = d->dirty_pages;
	s->value[7] = d->observer_reads;
	s->value[8] = d->last_harvest_ns / 1000000000u;
	s->value[9] = d->precise;
	s->n_gran = 0;
	for (unsigned int i = 0; i < d->n_gran && s->n_gran < 64; i++) {
		const struct iommudirty_gran *g = iommudirty_domain_gran(d, i);

		s->gran[s->n_gran].pgsize = g->page_size;
		s->gran[s->n_gran].bytes[0] = g->owner_bytes;
		s->gran[s->n_gran++].bytes[1] = g->observer_bytes;
	}
	return 0;
}

/*
 * A label value: the text escaping of text.h (valid UTF-8, no control
 * byte, so no newline either), then the exposition format's: backslash and
 * double quote escaped.
 */
static void put_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else
			fputc(*v, f);
	}
}

static void put_labels(FILE *f, const struct metric *m, const struct sample *s)
{
	fprintf(f, "%s{domain=\"%llu\",pid=\"%u\",comm=\"", m->name, (unsigned long long)s->id,
		s->pid);
	put_label(f, s->comm);
	fprintf(f, "\",mechanism=\"%s\"", s->mechanism);
}

static void put_help(FILE *f, const struct metric *m)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name, m->type);
}

static int write_metrics(FILE *f, const struct samples *all)
{
	static const char *const consumer[] = { "owner", "observer" };

	for (size_t m = 0; m < N_METRICS; m++) {
		put_help(f, &metrics[m]);
		for (size_t i = 0; i < all->n; i++) {
			put_labels(f, &metrics[m], &all->s[i]);
			fprintf(f, "} %llu\n", (unsigned long long)all->s[i].value[m]);
		}
	}
	put_help(f, &gran_metric);
	for (size_t i = 0; i < all->n; i++) {
		const struct sample *s = &all->s[i];

		for (unsigned int g = 0; g < s->n_gran; g++) {
			for (int k = 0; k < 2; k++) {
				put_labels(f, &gran_metric, s);
				fprintf(f, ",pgsize=\"%llu\",consumer=\"%s\"} %llu\n",
					(unsigned long long)s->gran[g].pgsize, consumer[k],
					(unsigned long long)s->gran[g].bytes[k]);
			}
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

/*
 * A temporary file made by mkstemp() in FILE's directory, then renamed
 * over FILE: readers never see half a file, and nobody can plant the name.
 */
static int write_file(struct cli *c, const char *path, const struct samples *all)
{
	const char *slash = strrchr(path, '/');
	int dir_len = slash ? (int)(slash - path + 1) : 0;
	char tmp[4096];
	mode_t mask;
	FILE *f;
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", dir_len, path,
		     slash ? slash + 1 : path) >= (int)sizeof(tmp))
		return file_error(c, path, -ENAMETOOLONG);
	fd = mkstemp(tmp);
	if (fd < 0)
		return file_error(c, path, -errno);
	/* mkstemp's 0600, widened to what a plain create would give: collectors read it */
	mask = umask(0);
	umask(mask);
	f = fchmod(fd, 0666 & ~mask) ? NULL : fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return file_error(c, path, rc);
	}
	rc = write_metrics(f, all);
	if (!rc && fsync(fileno(f)))
		rc = -errno;
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
	else if (write_metrics(stdout, &all) && !cli_output_ok(c))
		rc = EXIT_FAILED;
	free(all.s);
	return rc;
}
