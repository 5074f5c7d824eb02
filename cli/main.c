// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-dirtyctl: see and observe IOMMU dirty tracking through the
 * iommu-dirty generic netlink family.
 *
 *   iommu-dirtyctl [GLOBAL OPTIONS] COMMAND [ARGS] [OPTIONS]
 *
 * Commands match by unique prefix, like ip(8) and bpftool(8); every level
 * answers `help`. This file holds the dispatch, the global options, the
 * messages and exit status, the privilege check and the domain selector.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include "cli.h"
#include "opts.h"
#include "text.h"

#define PROG "iommu-dirtyctl"

/* One version: the library's (iommudirty_version()) */
static void print_version(FILE *f, struct argp_state *state)
{
	(void)state;
	fprintf(f, "%s %s\n", PROG, iommudirty_version());
}

void (*argp_program_version_hook)(FILE *, struct argp_state *) = print_version;

static struct cli *current;

enum { OPT_BYTES = 256, OPT_COLOR };

static const struct argp_option global_options[] = {
	{ "json", 'j', NULL, 0, "JSON output: one document, or one object per line for streams", -1 },
	{ "pretty", 'p', NULL, 0, "Indent JSON output", -1 },
	{ "human", 'H', NULL, 0, "Sizes with binary units, e.g. 1.5G (the default)", -1 },
	{ "bytes", OPT_BYTES, NULL, 0, "Sizes in exact bytes", -1 },
	{ "color", OPT_COLOR, "WHEN", OPTION_ARG_OPTIONAL,
	  "Colour: auto (the default: on a terminal whose TERM is not dumb, unless "
	  "NO_COLOR is set), always or never", -1 },
	{ 0 }
};

/* --color=auto: a terminal that shows colour, and nobody asked for none (no-color.org) */
static bool color_auto(void)
{
	const char *term = getenv("TERM"), *no_color = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && term && *term && strcmp(term, "dumb") &&
	       !(no_color && *no_color);
}

static error_t global_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'j': current->json = true; break;
	case 'p': current->pretty = current->json = true; break;
	case 'H': current->bytes = false; break;
	case OPT_BYTES: current->bytes = true; break;
	case OPT_COLOR:
		if (!arg || !strcmp(arg, "always"))
			current->color = true;
		else if (!strcmp(arg, "never"))
			current->color = false;
		else if (!strcmp(arg, "auto"))
			current->color = color_auto();
		else
			argp_error(state, "--color takes auto, always or never, not '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp cli_global_argp = { global_options, global_opt, NULL, NULL, NULL, NULL, NULL };

int cli_parse(struct cli *c, const struct argp *argp, int argc, char **argv, void *input)
{
	static const struct argp_child children[] = {
		{ &cli_global_argp, 0, "Global options:", 1 },
		{ 0 }
	};
	struct argp full = *argp;

	current = c;
	full.children = children;
	if (argp_parse(&full, argc, argv, 0, NULL, input))
		return EXIT_USAGE;
	json_init(&c->j, stdout, c->pretty);
	return 0;
}

static void vsay(const struct cli *c, const char *fmt, va_list ap)
{
	fprintf(stderr, PROG "%s%s: ", c->cmd ? " " : "", c->cmd ? c->cmd : "");
	vfprintf(stderr, fmt, ap);
}

int cli_usage(struct cli *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(c, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG "%s%s help'.\n", c->cmd ? " " : "", c->cmd ? c->cmd : "");
	return EXIT_USAGE;
}

static int vfail(struct cli *c, int rc, const char *fmt, va_list ap)
{
	const char *msg = c->h ? iommudirty_errmsg(c->h) : "";
	char why[TEXT_ESCAPED_SIZE(256)];

	vsay(c, fmt, ap);
	text_escape(why, sizeof(why), msg);
	fprintf(stderr, ": %s%s%s\n", strerror(-rc), *why ? ": " : "", why);
	return cli_exit_for(rc);
}

int cli_fail(struct cli *c, int rc, const char *fmt, ...)
{
	va_list ap;
	int status;

	va_start(ap, fmt);
	status = vfail(c, rc, fmt, ap);
	va_end(ap);
	return status;
}

int cli_fail_domain(struct cli *c, int rc, uint64_t id, const char *fmt, ...)
{
	const char *msg = c->h ? iommudirty_errmsg(c->h) : "";
	va_list ap;
	int status;

	/* ENOENT is about the domain unless the kernel said what else is missing */
	if (rc == -ENOENT && (!*msg || !strcmp(msg, "no such domain"))) {
		fprintf(stderr, PROG " %s: no such domain %llu\n", c->cmd, (unsigned long long)id);
		return EXIT_NO_ENTRY;
	}
	va_start(ap, fmt);
	status = vfail(c, rc, fmt, ap);
	va_end(ap);
	return status;
}

int cli_fail_lease(struct cli *c, int rc, const char *name, uint64_t id)
{
	const char *msg = c->h ? iommudirty_errmsg(c->h) : "";
	char text[TEXT_ESCAPED_SIZE(32)];

	text_escape(text, sizeof(text), name);
	if (rc == -ENOENT && !strcmp(msg, "no lease of that name on the domain")) {
		fprintf(stderr, PROG " %s: no lease '%s' on domain %llu (start one with `" PROG
			" enable`)\n", c->cmd, text, (unsigned long long)id);
		return EXIT_NO_ENTRY;
	}
	return cli_fail_domain(c, rc, id, "lease '%s' of domain %llu", text, (unsigned long long)id);
}

bool cli_output_ok(struct cli *c)
{
	/* the errno of the first failure if a JSON line's flush saw it, else of this one */
	int err = fflush(stdout) ? errno : ferror(stdout) ? (c->j.error ?: EIO) : 0;

	if (err && c->j.error)
		err = c->j.error;

	if (!err)
		return true;
	if (!c->output_failed)
		fprintf(stderr, PROG "%s%s: cannot write the output: %s\n", c->cmd ? " " : "",
			c->cmd ? c->cmd : "", strerror(err));
	c->output_failed = true;
	return false;
}

int cli_need_caps(struct cli *c, bool sys_admin)
{
	cap_flag_value_t net = CAP_CLEAR, sys = CAP_CLEAR;
	cap_t caps = cap_get_proc();
	const char *missing;

	if (!caps)
		return 0; /* let the kernel decide */
	cap_get_flag(caps, CAP_NET_ADMIN, CAP_EFFECTIVE, &net);
	cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &sys);
	cap_free(caps);
	if (net == CAP_SET && (!sys_admin || sys == CAP_SET))
		return 0;
	missing = net != CAP_SET && sys_admin && sys != CAP_SET ? "CAP_NET_ADMIN and CAP_SYS_ADMIN" :
		  net != CAP_SET ? "CAP_NET_ADMIN" : "CAP_SYS_ADMIN";
	fprintf(stderr, PROG " %s: this process lacks %s, which %s needs%s.\n"
		"Run it as root (sudo " PROG " ...), or grant the capabilities, e.g.\n"
		"  sudo setpriv --inh-caps=+net_admin%s --ambient-caps=+net_admin%s -- " PROG " ...\n",
		c->cmd, missing, c->cmd, sys_admin ? " (it reads another process's DMA state)" : "",
		sys_admin ? ",+sys_admin" : "", sys_admin ? ",+sys_admin" : "");
	return EXIT_PERM;
}

int cli_connect(struct cli *c)
{
	int rc = iommudirty_open(&c->h);

	if (rc == -ENOENT) {
		fprintf(stderr, PROG " %s: the running kernel has no iommu-dirty netlink family.\n"
			"It needs the iommu-dirtyctl kernel series with CONFIG_IOMMUFD_DIRTY_NETLINK=y;\n"
			"see \"Installing on a real host\" in the README.\n", c->cmd);
		return EXIT_NO_FAMILY;
	}
	if (rc)
		return cli_fail(c, rc, "cannot connect to generic netlink (family iommu-dirty)");
	return 0;
}

int cli_join_monitor(struct cli *c, struct iommudirty *h)
{
	int rc = iommudirty_monitor_start(h);

	if (!rc)
		return 0;
	/* not a missing domain: the family lacks the group, or we may not join it */
	fprintf(stderr, PROG " %s: cannot join the iommu-dirty multicast group 'monitor': %s\n",
		c->cmd, rc == -ENOENT ? "the kernel's family has no such group" : strerror(-rc));
	return rc == -EPERM || rc == -EACCES ? EXIT_PERM : EXIT_FAILED;
}

/* Selector results: the domains a selector matched. */
struct matches {
	uint32_t pid;
	const char *dev;
	uint64_t ids[8];
	uint32_t hwpts[8];
	unsigned int n;
};

static int match_domain(const struct iommudirty_domain *d, void *arg)
{
	struct matches *m = arg;
	bool hit = false;

	if (m->dev) {
		for (unsigned int i = 0; i < d->n_devs; i++)
			hit |= !strcmp(d->devs[i], m->dev);
	} else {
		hit = d->owner_pid == m->pid;
	}
	if (hit) {
		if (m->n < sizeof(m->ids) / sizeof(m->ids[0])) {
			m->ids[m->n] = d->id;
			m->hwpts[m->n] = d->hwpt_id;
		}
		m->n++;
	}
	return 0;
}

int cli_select_domain(struct cli *c, int argc, char **argv, int *i, uint64_t *id)
{
	struct matches m = { 0 };
	const char *what = argv[*i];
	uint64_t v;
	int rc;

	if (*i >= argc)
		return cli_usage(c, "which domain? (" CLI_DOMAIN_SYNTAX ")");
	what = argv[*i];
	if (!parse_u64(what, &v)) {
		if (!v)
			return cli_usage(c, "domain ids start at 1");
		*id = v;
		(*i)++;
		return 0;
	}
	if (strcmp(what, "pid") && strcmp(what, "dev"))
		return cli_usage(c, "'%s' is not a domain (" CLI_DOMAIN_SYNTAX ")", what);
	if (*i + 1 >= argc)
		return cli_usage(c, "'%s' needs a value", what);
	if (!strcmp(what, "pid")) {
		if (parse_u64(argv[*i + 1], &v) || !v || v > UINT32_MAX)
			return cli_usage(c, "'%s' is not a pid", argv[*i + 1]);
		m.pid = (uint32_t)v;
	} else {
		m.dev = argv[*i + 1];
	}
	rc = iommudirty_domains(c->h, match_domain, &m);
	if (rc)
		return cli_fail(c, rc, "cannot list domains");
	if (!m.n) {
		fprintf(stderr, PROG " %s: no domain matches %s %s\n", c->cmd, what, argv[*i + 1]);
		return EXIT_NO_ENTRY;
	}
	if (m.n > 1) {
		fprintf(stderr, PROG " %s: %s %s matches %u domains; pick one by id:\n",
			c->cmd, what, argv[*i + 1], m.n);
		for (unsigned int k = 0; k < m.n && k < sizeof(m.ids) / sizeof(m.ids[0]); k++)
			fprintf(stderr, "  %llu (hwpt %u)\n", (unsigned long long)m.ids[k],
				m.hwpts[k]);
		return EXIT_USAGE;
	}
	*id = m.ids[0];
	*i += 2;
	return 0;
}

uint64_t cli_arg_interval_ms(struct argp_state *state, const char *arg, uint64_t max_s)
{
	uint64_t v;

	if (parse_u64(arg, &v) || !v || v > max_s)
		argp_error(state, "--interval takes 1 to %llu seconds, not '%s'",
			   (unsigned long long)max_s, arg);
	return v * 1000;
}

/* "10G" is 10 GiB/s to some and 10 Gbit/s to others: the unit is always spelled out */
uint64_t cli_arg_rate(struct argp_state *state, const char *opt, const char *arg, bool zero_ok)
{
	uint64_t v;

	if (parse_rate(arg, &v) || (!v && !zero_ok))
		argp_error(state, "%s takes a rate with its unit, bits per second (10gbit, "
			   "100mbit) or bytes per second (1.25GB/s, 300MiB/s), not '%s'", opt, arg);
	return v;
}

uint64_t cli_arg_downtime_ms(struct argp_state *state, const char *arg)
{
	uint64_t v;

	if (parse_u64(arg, &v) || !v || v > 3600000)
		argp_error(state, "--downtime takes 1 to 3600000 ms, not '%s'", arg);
	return v;
}

const char *cli_arg_lease_name(struct argp_state *state, const char *arg)
{
	if (!*arg || strlen(arg) > IOMMUDIRTY_LEASE_NAME_MAX)
		argp_error(state, "a lease name has 1 to %d bytes, not %zu", IOMMUDIRTY_LEASE_NAME_MAX,
			   strlen(arg));
	return arg;
}

error_t cli_collect(int key, char *arg, struct argp_state *state)
{
	struct cli_args *a = state->input;

	if (key != ARGP_KEY_ARG)
		return ARGP_ERR_UNKNOWN;
	if (a->argc == CLI_MAX_ARGS)
		argp_error(state, "too many arguments");
	a->argv[a->argc++] = arg;
	return 0;
}

int cli_domain_args(struct cli *c, const struct argp *argp, int argc, char **argv,
		    struct cli_args *a, bool sys_admin, uint64_t *id)
{
	int i = 0, rc = cli_parse(c, argp, argc, argv, a);

	if (rc)
		return rc;
	if (!a->argc)
		return cli_usage(c, "which domain? (" CLI_DOMAIN_SYNTAX ")");
	rc = cli_need_caps(c, sys_admin) ?: cli_connect(c) ?:
	     cli_select_domain(c, a->argc, a->argv, &i, id);
	if (rc)
		return rc;
	if (i < a->argc)
		return cli_usage(c, "unexpected argument '%s'", a->argv[i]);
	return 0;
}

struct command {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "list", cmd_list, "every iommufd paging domain on the host" },
	{ "show", cmd_show, "one domain in detail: DOMAIN" },
	{ "devices", cmd_devices, "devices bound to iommufd" },
	{ "caps", cmd_caps, "dirty tracking capability: [DOMAIN | DEVICE]" },
	{ "enable", cmd_enable, "start observing a domain as a named lease: DOMAIN" },
	{ "disable", cmd_disable, "end a lease: DOMAIN" },
	{ "dump", cmd_dump, "read a lease's dirty pages: DOMAIN" },
	{ "watch", cmd_watch, "dirty pages per interval while it runs: DOMAIN" },
	{ "monitor", cmd_monitor, "print notifications as they arrive" },
	{ "rate", cmd_rate, "DMA dirty rate, working set, migration estimate: DOMAIN" },
	{ "stats", cmd_stats, "every domain's metrics in the Prometheus format" },
	{ "top", cmd_top, "every domain's DMA dirty rate, live (or -b for snapshots)" },
	{ "record", cmd_record, "record domains' dirty pages per interval to a file: DOMAIN... | all" },
	{ "report", cmd_report, "summarise a recording: FILE" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: " PROG " [-j] [-p] [--bytes] COMMAND [ARGS] [OPTIONS]\n"
		"       " PROG " help | COMMAND help\n\n"
		"DOMAIN := " CLI_DOMAIN_SYNTAX "\n\nCommands (unique prefixes work):\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nSee iommu-dirtyctl(8) and iommu-dirty(7).\n");
}

static const struct command *find_command(struct cli *c, const char *name, int *status)
{
	const struct command *found = NULL;
	size_t len = strlen(name), n = 0;

	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
		if (!strncmp(commands[i].name, name, len)) {
			found = &commands[i];
			n++;
		}
	}
	if (n == 1)
		return found;
	if (!n) {
		*status = cli_usage(c, "unknown command '%s'", name);
	} else {
		fprintf(stderr, PROG ": '%s' is ambiguous:", name);
		for (size_t i = 0; i < N_COMMANDS; i++)
			if (!strncmp(commands[i].name, name, len))
				fprintf(stderr, " %s", commands[i].name);
		fprintf(stderr, "\n");
		*status = EXIT_USAGE;
	}
	return NULL;
}

/* Global options before the command; stop at the command word. */
static error_t top_opt(int key, char *arg, struct argp_state *state)
{
	int *cmd_index = state->input;

	if (key == ARGP_KEY_ARG) {
		*cmd_index = state->next - 1;
		state->next = state->argc;
		return 0;
	}
	(void)arg;
	return ARGP_ERR_UNKNOWN;
}

static int run_help(struct cli *c, const struct command *cmd)
{
	char name[64], help[] = "--help";
	char *help_argv[] = { name, help, NULL };

	snprintf(name, sizeof(name), PROG " %s", cmd->name);
	c->cmd = cmd->name;
	return cmd->fn(c, 2, help_argv);
}

int main(int argc, char **argv)
{
	static const struct argp_child children[] = { { &cli_global_argp, 0, NULL, 0 }, { 0 } };
	static const struct argp top = {
		NULL, top_opt, "COMMAND [ARGS...]",
		"See and observe IOMMU dirty tracking (iommu-dirty netlink family).\v"
		"Commands: list, show, devices, caps, enable, disable, dump, watch, monitor, "
		"rate, record, report, stats, top; "
		"'" PROG " help' describes them.",
		children, NULL, NULL
	};
	struct cli c = { .color = color_auto() };
	const struct command *cmd;
	int cmd_index = 0, status = EXIT_USAGE;

	argp_err_exit_status = EXIT_USAGE;
	current = &c;
	if (argp_parse(&top, argc, argv, ARGP_IN_ORDER, NULL, &cmd_index))
		return EXIT_USAGE;
	if (!cmd_index) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[cmd_index], "help")) {
		if (cmd_index + 1 < argc) {
			cmd = find_command(&c, argv[cmd_index + 1], &status);
			if (!cmd)
				return status;
			return run_help(&c, cmd);
		}
		usage(stdout);
		return EXIT_OK;
	}
	cmd = find_command(&c, argv[cmd_index], &status);
	if (!cmd)
		return status;
	c.cmd = cmd->name;
	/* argv[0] of the subcommand: "iommu-dirtyctl list", for argp's messages */
	char name[64];

	snprintf(name, sizeof(name), PROG " %s", cmd->name);
	argv[cmd_index] = name;
	/* `COMMAND help` is the command's --help */
	if (cmd_index + 1 < argc && !strcmp(argv[cmd_index + 1], "help"))
		argv[cmd_index + 1] = "--help";
	status = cmd->fn(&c, argc - cmd_index, argv + cmd_index);
	iommudirty_close(c.h);
	/* what could not be written is a failed command, as in coreutils' close_stdout */
	if ((!cli_output_ok(&c) || fclose(stdout)) && status == EXIT_OK) {
		if (!c.output_failed)
			fprintf(stderr, PROG " %s: cannot write the output: %s\n", c.cmd,
				strerror(errno));
		status = EXIT_FAILED;
	}
	return status;
}
