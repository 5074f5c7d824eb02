// SPDX-License-Identifier: GPL-2.0
/* list, show, enable, disable: domains and the leases that observe them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opts.h"

/* The columns of `list`: widths (negative: left-aligned) and the space before each */
static const int list_widths[] = { -6, -22, 5, -16, -4, 5, 9, 12, 9, 0 };
static const char *const list_gaps[] = { "", " ", " ", "  ", " ", " ", "  ", " ", " ", "  " };
#define LIST_COLUMNS (sizeof(list_widths) / sizeof(list_widths[0]))

/* One line of `list`, padded by what a terminal shows (colour takes none). */
static void list_cells(const char *const cells[LIST_COLUMNS])
{
	char cell[256];

	for (size_t i = 0; i < LIST_COLUMNS; i++)
		printf("%s%s", list_gaps[i],
		       text_pad(cell, sizeof(cell), cells[i], list_widths[i], false));
	printf("\n");
}

/* Where the last column (the devices) starts, for a domain's further devices */
static int list_devices_column(void)
{
	int col = 0;

	for (size_t i = 0; i + 1 < LIST_COLUMNS; i++)
		col += (int)strlen(list_gaps[i]) + abs(list_widths[i]);
	return col + (int)strlen(list_gaps[LIST_COLUMNS - 1]);
}

static int list_row(const struct iommudirty_domain *d, void *arg)
{
	struct cli *c = arg;
	char id[24], owner[24 + TEXT_ESCAPED_SIZE(64)], comm[TEXT_ESCAPED_SIZE(64)], hwpt[16];
	char cons[16], mapped[32], dirty[24], harvests[24], dev[TEXT_ESCAPED_SIZE(64)], mech[24];
	const char *cells[] = { id, owner, hwpt, cli_mechanism(mech, sizeof(mech), d->mechanism),
				cli_on(c, d->tracking), cons, mapped, dirty, harvests, dev };

	if (c->json) {
		cli_json_domain(&c->j, NULL, d);
		return 0;
	}
	snprintf(id, sizeof(id), "%llu", (unsigned long long)d->id);
	snprintf(owner, sizeof(owner), "%u/%s", d->owner_pid,
		 text_escape(comm, sizeof(comm), d->owner_comm));
	snprintf(hwpt, sizeof(hwpt), "%u", d->hwpt_id);
	snprintf(cons, sizeof(cons), "%u", d->consumers);
	cli_size(c, mapped, sizeof(mapped), d->mapped_bytes);
	snprintf(dirty, sizeof(dirty), "%llu", (unsigned long long)d->dirty_pages);
	snprintf(harvests, sizeof(harvests), "%llu", (unsigned long long)d->harvests);
	text_escape(dev, sizeof(dev), d->n_devs ? d->devs[0] : "-");
	list_cells(cells);
	for (unsigned int i = 1; i < d->n_devs; i++)
		printf("%*s%s\n", list_devices_column(), "", text_escape(dev, sizeof(dev), d->devs[i]));
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
		list_cells((const char *const[LIST_COLUMNS]){ "ID", "OWNER", "HWPT", "MECHANISM",
			"TRK", "CONS", "MAPPED", "DIRTY-PAGES", "HARVESTS", "DEVICES" });
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
	return rc ? cli_fail_domain(c, rc, id, "domain %llu", (unsigned long long)id) : EXIT_OK;
}

enum { OPT_NAME = 'n', OPT_LEASE = 'l', OPT_PRECISE = 0x100 };

/* disable takes the name only: a lifetime would be ignored, so it is refused */
#define NAME_OPTION \
	{ "name", OPT_NAME, "NAME", 0, "Lease name (default " CLI_DEFAULT_LEASE_NAME ")", 0 }

static const struct argp_option name_options[] = { NAME_OPTION, { 0 } };

static const struct argp_option lease_options[] = {
	NAME_OPTION,
	{ "lease", OPT_LEASE, "DURATION", 0,
	  "How long the lease lives unless renewed: 90s, 15m, 2h, 1d (default 1h)", 0 },
	{ "precise", OPT_PRECISE, NULL, 0,
	  "Track precisely: split the domain's huge IOPTEs while the lease lives, so a "
	  "written page reads as that page, not as its whole IOPTE", 0 },
	{ 0 }
};

static error_t lease_opt(int key, char *arg, struct argp_state *state)
{
	struct cli_args *a = state->input;

	switch (key) {
	case OPT_NAME:
		a->name = cli_arg_lease_name(state, arg);
		return 0;
	case OPT_LEASE:
		if (parse_duration(arg, &a->lease) || !a->lease || a->lease > 604800)
			argp_error(state, "--lease takes a duration from 1s to 7d, not '%s'", arg);
		return 0;
	case OPT_PRECISE:
		a->precise = true;
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
		printf("domain %llu: tracking %s, %u consumer%s, %u observer%s%s\n",
		       (unsigned long long)d->id, cli_on(c, d->tracking), d->consumers,
		       d->consumers == 1 ? "" : "s", d->n_observers, d->n_observers == 1 ? "" : "s",
		       d->precise ? ", precise" : "");
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
	struct iommudirty_observe_opts opts = { .sz = sizeof(opts) };
	uint64_t id;
	int rc = cli_domain_args(c, &argp, argc, argv, &a, true, &id);

	if (rc)
		return rc;
	opts.name = a.name;
	opts.lifetime = (uint32_t)a.lease;
	opts.flags = a.precise ? IOMMUDIRTY_OBSERVE_PRECISE : 0;
	rc = iommudirty_observe_opts(c->h, id, &opts, changed, c);
	/* a kernel older than precise tracking refuses the attribute it does not know */
	if (rc == -EINVAL && a.precise && strstr(iommudirty_errmsg(c->h), "Unknown attribute"))
		return cli_fail_domain(c, -EOPNOTSUPP, id, "cannot track domain %llu precisely: "
				       "this kernel has no precise tracking", (unsigned long long)id);
	if (rc == -EPROTO)
		return cli_fail_domain(c, rc, id, "domain %llu: the kernel accepted --precise "
				       "but the domain is not precise", (unsigned long long)id);
	return rc ? cli_fail_domain(c, rc, id, "cannot observe domain %llu", (unsigned long long)id) :
		    EXIT_OK;
}

int cmd_disable(struct cli *c, int argc, char **argv)
{
	static const struct argp argp = {
		name_options, lease_opt, "DOMAIN",
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
	return rc ? cli_fail_lease(c, rc, a.name, id) : EXIT_OK;
}
