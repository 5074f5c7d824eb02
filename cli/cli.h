/* SPDX-License-Identifier: GPL-2.0 */
/* What the subcommands of iommu-dirtyctl share. */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <argp.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "clock_ns.h"
#include "iommudirty.h"
#include "json.h"
#include "text.h"

/* Exit status; one table in iommu-dirtyctl(8). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* the operation failed */
	EXIT_USAGE = 2,		/* bad usage or bad input */
	EXIT_NO_CONVERGE = 3,	/* rate --bandwidth: the migration does not converge */
	EXIT_PERM = 4,		/* permission denied */
	EXIT_NO_ENTRY = 5,	/* no such domain or device */
	EXIT_NO_FAMILY = 6,	/* the kernel lacks the iommu-dirty family */
};

struct cli {
	const char *cmd;	/* the subcommand running, for messages */
	struct iommudirty *h;
	struct json j;
	bool json;
	bool pretty;
	bool bytes;		/* exact byte counts instead of K/M/G */
	bool color;
	bool output_failed;	/* stdout could not be written; said once */
};

/* Options every subcommand takes (-j, -p, -H, --bytes, --color). */
extern const struct argp cli_global_argp;

/*
 * Parse a subcommand's arguments with @argp plus the global options.
 * Returns 0, or the exit status after argp reported an error.
 */
int cli_parse(struct cli *c, const struct argp *argp, int argc, char **argv, void *input);

/* Messages: "iommu-dirtyctl CMD: ..." on stderr; each returns an exit status. */
int cli_usage(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * @rc is a negative errno from libiommudirty; the kernel's message follows.
 * The message names the object: "cannot observe domain 5", "device NAME".
 */
int cli_fail(struct cli *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same about domain @id: "no such domain ID" (exit 5) when it is not there. */
int cli_fail_domain(struct cli *c, int rc, uint64_t id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Flush stdout; false, having said so once, if the output cannot be written. */
bool cli_output_ok(struct cli *c);

/* Positional arguments and the lease options, filled by argp. */
#define CLI_MAX_ARGS 8
struct cli_args {
	int argc;
	char *argv[CLI_MAX_ARGS];
	const char *name;
	uint64_t lease;
	bool precise;		/* enable --precise */
};

/*
 * An argp parser function keeping positional arguments in a cli_args: the
 * parser's input is a cli_args, or a struct whose first member is one, so a
 * command's own parser hands it the keys it does not know.
 */
error_t cli_collect(int key, char *arg, struct argp_state *state);

/*
 * The start of every command on one domain: parse, check privileges,
 * connect, resolve DOMAIN (the only positional argument). Exit status.
 */
int cli_domain_args(struct cli *c, const struct argp *argp, int argc, char **argv,
		    struct cli_args *a, bool sys_admin, uint64_t *id);

/*
 * Option values several commands take, with one wording for their errors
 * (argp_error() exits on bad input): an interval of 1 to @max_s whole
 * seconds, in ms; a rate with its unit (--bandwidth, --cpu-dirty-rate),
 * in bytes/s, 0 allowed only if @zero_ok; --downtime, 1 to 3600000 ms;
 * a lease name (--name), 1 to IOMMUDIRTY_LEASE_NAME_MAX bytes.
 */
uint64_t cli_arg_interval_ms(struct argp_state *state, const char *arg, uint64_t max_s);
uint64_t cli_arg_rate(struct argp_state *state, const char *opt, const char *arg, bool zero_ok);
uint64_t cli_arg_downtime_ms(struct argp_state *state, const char *arg);
const char *cli_arg_lease_name(struct argp_state *state, const char *arg);

/* The exit status for a negative errno (0 for 0). */
int cli_exit_for(int rc);

/* Say which capability is missing before trying; EXIT_PERM if one is. */
int cli_need_caps(struct cli *c, bool sys_admin);
/* Open the family; EXIT_NO_FAMILY with advice when the kernel lacks it. */
int cli_connect(struct cli *c);
/* Join the monitor group on @h; an exit status naming the group on failure. */
int cli_join_monitor(struct cli *c, struct iommudirty *h);

/*
 * DOMAIN := ID | pid PID | dev NAME, taken from argv[*i] on. A selector
 * matching several domains is bad input listing them. Returns an exit
 * status; on success *id is set and *i moved past the selector.
 */
int cli_select_domain(struct cli *c, int argc, char **argv, int *i, uint64_t *id);
/* The words a selector starts with, for help texts. */
#define CLI_DOMAIN_SYNTAX "ID | pid PID | dev NAME"

/* Output helpers shared by the subcommands (print.c) */
/*
 * Numbers exactly as snprintf's "%llu" and "%.*f" (0 to 3 decimals) print
 * them, without its cost: top formats thousands of them a second.
 */
char *cli_u64(char *buf, size_t len, uint64_t v);
char *cli_fixed(char *buf, size_t len, double v, unsigned int decimals);
void cli_size(const struct cli *c, char *buf, size_t len, uint64_t bytes);
void cli_time(char *buf, size_t len, uint64_t ns);
/* A domain as every command's JSON describes it (schemas/defs.json#/$defs/domain) */
void cli_json_domain(struct json *j, const char *key, const struct iommudirty_domain *d);
/* Its members alone, for an object that says more about the domain (top's rows) */
void cli_json_domain_members(struct json *j, const struct iommudirty_domain *d);
/*
 * The dirty record bytes of @d's clearing reads so far: @all of them, @huge
 * those of IOPTEs larger than its smallest page (whole huge IOPTEs).
 */
void cli_gran_bytes(const struct iommudirty_domain *d, uint64_t *all, uint64_t *huge);
void cli_text_domain(const struct cli *c, const struct iommudirty_domain *d);
/* A run of dirty pages as dump and report print it in JSON: {"iova", "pages"} */
void cli_json_extent(struct json *j, uint64_t iova, uint64_t pages);
/* "on"/"off", coloured when c->color; pad it with text_pad(), which sees its width. */
const char *cli_on(const struct cli *c, bool on);
/* An enum's name in @buf, or its number when the library does not know the value. */
const char *cli_mechanism(char *buf, size_t len, uint32_t mechanism);
const char *cli_iommu_type(char *buf, size_t len, uint32_t type);
void cli_json_enum(struct json *j, const char *key, const char *name, uint32_t v);
/* A request as lease @name failed: "no lease 'NAME' on domain ID" (exit 5) if so. */
int cli_fail_lease(struct cli *c, int rc, const char *name, uint64_t id);

/* What an observer's reads returned: iommudirty_read()'s run callback adds up. */
struct cli_tally {
	uint64_t pages, bytes;
};

static inline int cli_tally_run(uint64_t iova, uint64_t pages, uint64_t page_size, void *arg)
{
	struct cli_tally *t = arg;

	(void)iova;
	t->pages += pages;
	t->bytes += pages * page_size;
	return 0;
}

/*
 * Start this socket's observer of domain @id and read once, clearing, what
 * it took over: pages dirtied before it started while another consumer
 * tracked. Its later reads then hold exactly what was dirtied since
 * (sampler.c). 0 or a negative errno.
 */
int cli_observe_from_now(struct iommudirty *h, uint64_t id);

/*
 * Commands that run until SIGINT/SIGTERM (clock.c). cli_catch_signals()
 * blocks SIGINT, SIGTERM and SIGWINCH but inside cli_wait(), so none is
 * lost between a check of cli_stop and the wait.
 */
extern volatile sig_atomic_t cli_stop;
void cli_catch_signals(void);
/*
 * Wait for @fds (may be NULL, @n 0) until @deadline (CLOCK_MONOTONIC ns,
 * UINT64_MAX: none): ppoll's count of ready fds, 0 at the deadline or
 * when cli_stop is set, CLI_WAIT_SIGNAL after a signal (SIGWINCH too), or
 * a negative errno.
 */
#define CLI_WAIT_SIGNAL (-EINTR)
int cli_wait(struct pollfd *fds, nfds_t n, uint64_t deadline);
/* Sleep until @deadline on CLOCK_MONOTONIC, or until a signal stops us. */
void cli_sleep_until(uint64_t deadline);
/*
 * The deadline one period after @tick; @now if that is a whole period or
 * more before @now: a command that falls behind skips the ticks it missed
 * instead of running them back to back (a slow refresh of top must not turn
 * `-n 30` into 30 refreshes in a few seconds).
 */
uint64_t cli_tick_after(uint64_t tick, uint64_t period_ns, uint64_t now);
/* cli_tick_after() at CLOCK_MONOTONIC's now */
uint64_t cli_next_tick(uint64_t tick, uint64_t period_ns);

/* The subcommands */
int cmd_list(struct cli *c, int argc, char **argv);
int cmd_show(struct cli *c, int argc, char **argv);
int cmd_devices(struct cli *c, int argc, char **argv);
int cmd_caps(struct cli *c, int argc, char **argv);
int cmd_enable(struct cli *c, int argc, char **argv);
int cmd_disable(struct cli *c, int argc, char **argv);
int cmd_dump(struct cli *c, int argc, char **argv);
int cmd_watch(struct cli *c, int argc, char **argv);
int cmd_monitor(struct cli *c, int argc, char **argv);
int cmd_rate(struct cli *c, int argc, char **argv);
int cmd_stats(struct cli *c, int argc, char **argv);
int cmd_top(struct cli *c, int argc, char **argv);
int cmd_record(struct cli *c, int argc, char **argv);
int cmd_report(struct cli *c, int argc, char **argv);

/* Default lease of enable/disable/dump */
#define CLI_DEFAULT_LEASE_NAME "iommu-dirtyctl"
#define CLI_DEFAULT_LEASE_SECONDS 3600

#endif
