// SPDX-License-Identifier: GPL-2.0
/* list, show, enable, disable: domains and the leases that observe them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "opts.h"

static int list_row(const struct iommudirty_domain *d, void *arg)
{
	struct cli *c = arg;
	char mapped[32], owner[40];

	if (c->json) {
		cli_json_domain(&c->j, NULL, d);
		return 0;
	}
	cli_size(c, mapped, sizeof(mapped), d->mapped_bytes);
	snprintf(owner, sizeof(owner), "%u/%s", d->owner_pid, d->owner_comm);
	printf("%-6llu %-22s %5u  %-16s %-4s %5u  %9s %12llu %9llu  %s\n",
	       (unsigned long long)d->id, owner, d->hwpt_id,
	       iommudirty_mechanism_name(d->mechanism), cli_on(c, d->tracking), d->consumers,
	       mapped, (unsigned long long)d->dirty_pages, (unsigned long long)d->harvests,
	       d->n_devs ? d->devs[0] : "-");
	for (unsigned int i = 1; i < d->n_devs; i++)
		printf("%*s%s\n", 104, "", d->devs[i]);
	return 0;
}

int cmd_list(struct cli *c, int argc, char **argv)
{
	static const struct argp argp = {
		NULL, cli_collect, "",
		"Every iommufd paging domain on the host: owner, devices, mechanism, "
		"whether the hardware tracks and for how many consumers, mapped memory, "
		"and the owner's harvests.", NULL, NULL, NULL
	};
	struct cli_args a = { 0 };
	int rc = cli_parse(c, &argp, argc, argv, &a);

	if (rc)
		return rc;
	if (a.argc)
		return cli_usage(c, "unexpected argument '%s'", a.argv[0]);
	rc = cli_need_caps(c, false) ?: cli_connect(c);
	if (rc)
		return rc;
	if (c->json)
		json_arr_open(&c->j, NULL);
	else
		printf("%-6s %-22s %5s  %-16s %-4s %5s  %9s %12s %9s  %s\n", "ID", "OWNER", "HWPT",
		       "MECHANISM", "TRK", "CONS", "MAPPED", "DIRTY-PAGES", "HARVESTS", "DEVICES");
	rc = iommudirty_domains(c->h, list_row, c);
	if (c->json) {
		json_arr_close(&c->j);
		json_end(&c->j);
	}
	return rc ? cli_fail(c, rc, "cannot list domains") : EXIT_OK;
}

static int show_one(const struct iommudirty_domain *d, void *arg)
{
	struct cli *c = arg;

	if (c->json) {
		cli_json_domain(&c->j, NULL, d);
		json_end(&c->j);
	} else {
		cli_text_domain(c, d);
	}
	return 0;
}

int cmd_show(struct cli *c, int argc, char **argv)
{
	static const struct argp argp = {
		NULL, cli_collect, "DOMAIN",
		"One domain in detail, with its observers.\v"
		"DOMAIN := " CLI_DOMAIN_SYNTAX, NULL, NULL, NULL
	};
	struct cli_args a = { 0 };
	uint64_t id;
	int rc = cli_domain_args(c, &argp, argc, argv, &a, false, &id);

	if (rc)
		return rc;
	rc = iommudirty_domain_get(c->h, id, show_one, c);
	return rc ? cli_fail(c, rc, "domain %llu", (unsigned long long)id) : EXIT_OK;
}

enum { OPT_NAME = 'n', OPT_LEASE = 'l' };

static const struct argp_option lease_options[] = {
	{ "name", OPT_NAME, "NAME", 0, "Lease name (default " CLI_DEFAULT_LEASE_NAME ")", 0 },
	{ "lease", OPT_LEASE, "DURATION", 0,
	  "How long the lease lives unless renewed: 90s, 15m, 2h, 1d (default 1h)", 0 },
	{ 0 }
};

static error_t lease_opt(int key, char *arg, struct argp_state *state)
{
	struct cli_args *a = state->input;

	switch (key) {
	case OPT_NAME:
		if (!*arg || strlen(arg) > 31)
			argp_error(state, "a lease name has 1 to 31 characters");
		a->name = arg;
		return 0;
	case OPT_LEASE:
		if (parse_duration(arg, &a->lease) || !a->lease || a->lease > 604800)
			argp_error(state, "--lease takes a duration from 1s to 7d, not '%s'", arg);
		return 0;
	default:
		return cli_collect(key, arg, state);
	}
}

static int changed(const struct iommudirty_domain *d, void *arg)
{
	struct cli *c = arg;

	if (c->json) {
		cli_json_domain(&c->j, NULL, d);
		json_end(&c->j);
	} else {
		printf("domain %llu: tracking %s, %u consumer%s, %u observer%s\n",
		       (unsigned long long)d->id, cli_on(c, d->tracking), d->consumers,
		       d->consumers == 1 ? "" : "s", d->n_observers, d->n_observers == 1 ? "" : "s");
	}
	return 0;
}

int cmd_enable(struct cli *c, int argc, char **argv)
{
	static const struct argp argp = {
		lease_options, lease_opt, "DOMAIN",
		"Start observing a domain as a named lease, or renew the lease. The "
		"hardware tracks from now on without taking anything from the owner; "
		"`dump` reads the pages dirtied since, `disable` ends the lease, and it "
		"ends by itself when its time is up.\v"
		"DOMAIN := " CLI_DOMAIN_SYNTAX, NULL, NULL, NULL
	};
	struct cli_args a = { .name = CLI_DEFAULT_LEASE_NAME,
			  .lease = CLI_DEFAULT_LEASE_SECONDS };
	uint64_t id;
	int rc = cli_domain_args(c, &argp, argc, argv, &a, true, &id);

	if (rc)
		return rc;
	rc = iommudirty_observe(c->h, id, a.name, (uint32_t)a.lease, changed, c);
	return rc ? cli_fail(c, rc, "cannot observe domain %llu", (unsigned long long)id) : EXIT_OK;
}

int cmd_disable(struct cli *c, int argc, char **argv)
{
	static const struct argp argp = {
		lease_options, lease_opt, "DOMAIN",
		"End a lease. The hardware keeps tracking while the owner or another "
		"observer wants it.\v"
		"DOMAIN := " CLI_DOMAIN_SYNTAX, NULL, NULL, NULL
	};
	struct cli_args a = { .name = CLI_DEFAULT_LEASE_NAME };
	uint64_t id;
	int rc = cli_domain_args(c, &argp, argc, argv, &a, true, &id);

	if (rc)
		return rc;
	rc = iommudirty_unobserve(c->h, id, a.name, changed, c);
	return rc ? cli_fail(c, rc, "cannot end lease '%s' of domain %llu", a.name,
			     (unsigned long long)id) : EXIT_OK;
}
