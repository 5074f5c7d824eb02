// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: sends malformed and random iommu-dirty messages and checks that
 * the kernel answers each one. Messages mix well-formed requests with
 * hostile values (live, destroyed and unknown domain ids, huge and
 * unaligned ranges, page sizes that are not powers of two, long or
 * unterminated names), random commands and attribute types, wrong
 * lengths, deep nesting, truncated genetlink headers and plain noise,
 * while owner helpers create and destroy domains beside it (tests/bats).
 *
 * Every message with a well-formed netlink header must get exactly one
 * final answer (an error or ack, or the end of a dump) within a second;
 * messages whose netlink header itself is broken must be dropped without
 * harming the socket. The kernel must survive all of it: the splat scan
 * of tests/vm/run and kmemleak judge that part.
 *
 * Prints one JSON line: messages sent, answers by errno, dumps, and the
 * messages left unanswered. Exit status: 0 every message was answered, 1
 * one was not (or the socket broke), 2 usage, 3 the family is missing.
 */
#include <argp.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/iommu_dirty.h>

#include "opts.h"
#include "rng.h"

static struct config {
	uint64_t count, seed, seconds;
	bool verbose;
} cfg = { .count = 10000, .seed = 1 };

static const struct argp_option options[] = {
	{ "count", 'c', "N", 0, "Messages to send (default 10000)", 0 },
	{ "seconds", 't', "S", 0, "Stop after S seconds even if N were not sent", 0 },
	{ "seed", 's', "N", 0, "Seed of the random choices (default 1)", 0 },
	{ "verbose", 'v', NULL, 0, "Print every unanswered message in hex", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'c':
		if (parse_u64(arg, &cfg.count) || !cfg.count)
			argp_error(state, "--count takes a positive number, not '%s'", arg);
		return 0;
	case 't':
		if (parse_u64(arg, &cfg.seconds))
			argp_error(state, "--seconds takes a number, not '%s'", arg);
		return 0;
	case 's':
		if (parse_u64(arg, &cfg.seed))
			argp_error(state, "--seed takes a number, not '%s'", arg);
		return 0;
	case 'v':
		cfg.verbose = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* The uapi headers have no attribute walkers (libmnl and the kernel do). */
#define ATTR_OK(a, len) ((len) >= (int)NLA_HDRLEN && (a)->nla_len >= NLA_HDRLEN && \
			 (a)->nla_len <= (len))
#define ATTR_NEXT(a, len) ((len) -= NLA_ALIGN((a)->nla_len), \
			   (struct nlattr *)((char *)(a) + NLA_ALIGN((a)->nla_len)))

#define BUF_SIZE 8192
#define MAX_IDS 256

struct fuzz {
	int fd;
	uint16_t family;
	uint32_t seq;
	uint64_t rng;	/* never 0 */
	/* domain ids alive at the last look, and some that died since */
	uint64_t live[MAX_IDS], stale[MAX_IDS];
	unsigned int n_live, n_stale, next_stale;
	/* tracking-set and bitmap-get meet on this one half the time */
	uint64_t favourite;
	/* what happened */
	uint64_t sent, answered, acks, dumps, dump_parts, dropped, unanswered;
	uint64_t by_errno[256];
	uint64_t ok_by_cmd[256];	/* requests that succeeded, by command */
	uint8_t cmd;			/* of the message in flight */
	unsigned char msg[BUF_SIZE];
	size_t len;
};

/* ---- message building ------------------------------------------------------ */

static void *put(struct fuzz *f, const void *data, size_t len)
{
	void *at = f->msg + f->len;

	if (f->len + len > BUF_SIZE)
		return NULL;
	if (data)
		memcpy(at, data, len);
	else
		memset(at, 0, len);
	f->len += len;
	return at;
}

static void put_attr(struct fuzz *f, uint16_t type, const void *data, size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type };

	if (f->len + NLA_ALIGN(NLA_HDRLEN + len) > BUF_SIZE)
		return;
	put(f, &a, sizeof(a));
	put(f, data, len);
	put(f, NULL, NLA_ALIGN(len) - len);
}

static void put_u64(struct fuzz *f, uint16_t type, uint64_t v)
{
	/* uint attributes take 4 or 8 bytes; sometimes send another size */
	uint32_t v32 = (uint32_t)v;

	switch (rng_below(&f->rng, 8)) {
	case 0: put_attr(f, type, &v32, 4); break;
	case 1: put_attr(f, type, &v, rng_below(&f->rng, 9)); break;
	default: put_attr(f, type, &v, 8);
	}
}

static uint64_t some_id(struct fuzz *f)
{
	switch (rng_below(&f->rng, 6)) {
	case 0: return 0;
	case 1: return UINT64_MAX;
	case 2: return rng_next(&f->rng);
	case 3: if (f->n_stale) return f->stale[rng_below(&f->rng, f->n_stale)];
		/* fall through */
	default: return f->n_live ? f->live[rng_below(&f->rng, f->n_live)] : 1;
	}
}

/*
 * Half the lease names come from a small pool, so a lease one message
 * enables is read and disabled by others: the paths past the lookups.
 */
static const char *const pooled_names[] = { "fz0", "fz1", "fz2", "fz3" };

/* Sizes around the interesting edges: 0, unaligned, pages, huge, wrapping. */
static uint64_t some_size(struct fuzz *f)
{
	static const uint64_t edges[] = {
		0, 1, 2048, 4095, 4096, 12288, 1 << 20, 1 << 24, 1ULL << 31, 1ULL << 32,
		1ULL << 47, 1ULL << 63, UINT64_MAX, UINT64_MAX - 4095,
	};

	if (rng_below(&f->rng, 3))
		return edges[rng_below(&f->rng, sizeof(edges) / sizeof(edges[0]))];
	return rng_next(&f->rng) >> rng_below(&f->rng, 64);
}

static void put_name(struct fuzz *f, uint16_t type)
{
	char name[48];
	size_t len = rng_below(&f->rng, sizeof(name));

	if (rng_below(&f->rng, 2)) {
		const char *pooled = pooled_names[rng_below(&f->rng, 4)];

		put_attr(f, type, pooled, strlen(pooled) + 1);
		return;
	}
	for (size_t i = 0; i < len; i++)
		name[i] = (char)(rng_below(&f->rng, 3) ? 'a' + rng_below(&f->rng, 26) :
				 rng_below(&f->rng, 256));
	/* mostly terminated, sometimes not */
	if (len && rng_below(&f->rng, 4))
		name[len - 1] = '\0';
	put_attr(f, type, name, len);
}

static void put_random_attrs(struct fuzz *f, int depth)
{
	unsigned int n = rng_below(&f->rng, 6);

	for (unsigned int i = 0; i < n; i++) {
		uint16_t type = (uint16_t)rng_below(&f->rng, 32);

		if (depth < 5 && !rng_below(&f->rng, 4)) {
			size_t at = f->len;
			struct nlattr *a = put(f, NULL, NLA_HDRLEN);

			if (!a)
				return;
			put_random_attrs(f, depth + 1);
			a = (struct nlattr *)(f->msg + at);
			a->nla_type = type | NLA_F_NESTED;
			a->nla_len = (uint16_t)(f->len - at);
		} else {
			unsigned char junk[64];
			size_t len = rng_below(&f->rng, sizeof(junk));

			for (size_t k = 0; k < len; k++)
				junk[k] = (unsigned char)rng_next(&f->rng);
			put_attr(f, type, junk, len);
		}
	}
}

/* A request shaped like the real ones, with hostile values. */
static uint8_t put_plausible(struct fuzz *f, uint16_t *flags)
{
	static const uint8_t cmds[] = {
		IOMMU_DIRTY_CMD_DOMAIN_GET, IOMMU_DIRTY_CMD_DEV_GET, IOMMU_DIRTY_CMD_TRACKING_SET,
		IOMMU_DIRTY_CMD_BITMAP_GET, IOMMU_DIRTY_CMD_DOMAIN_ADD_NTF,
	};
	uint8_t cmd = cmds[rng_below(&f->rng, sizeof(cmds))];
	uint8_t v8;
	uint32_t v32;

	switch (cmd) {
	case IOMMU_DIRTY_CMD_DOMAIN_GET:
		if (rng_below(&f->rng, 2))
			*flags |= NLM_F_DUMP;
		if (rng_below(&f->rng, 4))
			put_u64(f, IOMMU_DIRTY_A_DOMAIN_ID, some_id(f));
		break;
	case IOMMU_DIRTY_CMD_DEV_GET:
		if (rng_below(&f->rng, 2))
			*flags |= NLM_F_DUMP;
		if (rng_below(&f->rng, 4))
			put_name(f, IOMMU_DIRTY_A_DEV_NAME);
		break;
	case IOMMU_DIRTY_CMD_TRACKING_SET:
		if (rng_below(&f->rng, 8))
			put_u64(f, IOMMU_DIRTY_A_DOMAIN_ID, rng_below(&f->rng, 2) ? f->favourite :
				some_id(f));
		v8 = (uint8_t)rng_below(&f->rng, 3);
		if (rng_below(&f->rng, 8))
			put_attr(f, IOMMU_DIRTY_A_DOMAIN_ENABLE, &v8, 1);
		if (rng_below(&f->rng, 2))
			put_name(f, IOMMU_DIRTY_A_DOMAIN_OBSERVER_NAME);
		if (rng_below(&f->rng, 3)) {
			/* short leases, so fuzzed ones expire during the run */
			v32 = rng_below(&f->rng, 4) ? (uint32_t)rng_below(&f->rng, 5) :
						      (uint32_t)rng_next(&f->rng);
			put_attr(f, IOMMU_DIRTY_A_DOMAIN_LIFETIME, &v32, 4);
		}
		break;
	case IOMMU_DIRTY_CMD_BITMAP_GET:
		if (rng_below(&f->rng, 4))
			*flags |= NLM_F_DUMP;
		if (rng_below(&f->rng, 8))
			put_u64(f, IOMMU_DIRTY_A_BITMAP_DOMAIN_ID, rng_below(&f->rng, 2) ?
				f->favourite : some_id(f));
		if (rng_below(&f->rng, 3))
			put_name(f, IOMMU_DIRTY_A_BITMAP_OBSERVER_NAME);
		if (rng_below(&f->rng, 2)) {
			put_u64(f, IOMMU_DIRTY_A_BITMAP_IOVA, some_size(f));
			put_u64(f, IOMMU_DIRTY_A_BITMAP_LENGTH, some_size(f));
		}
		if (rng_below(&f->rng, 2))
			put_u64(f, IOMMU_DIRTY_A_BITMAP_PAGE_SIZE, some_size(f));
		if (rng_below(&f->rng, 3)) {
			v8 = (uint8_t)rng_below(&f->rng, 3);
			put_attr(f, IOMMU_DIRTY_A_BITMAP_NO_CLEAR, &v8, 1);
		}
		if (rng_below(&f->rng, 2)) {
			v32 = (uint32_t)rng_below(&f->rng, 4);
			put_attr(f, IOMMU_DIRTY_A_BITMAP_FORMAT, &v32, 4);
		}
		break;
	default:	/* notifications are not requests */
		put_u64(f, IOMMU_DIRTY_A_DOMAIN_ID, some_id(f));
	}
	/* now and then, one attribute too many */
	if (!rng_below(&f->rng, 8))
		put_random_attrs(f, 0);
	return cmd;
}

/*
 * Build one message. Returns whether its netlink header is well formed
 * (so it must be answered).
 */
static bool build(struct fuzz *f)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
	unsigned int kind = rng_below(&f->rng, 16);
	bool answered = true;

	f->len = 0;
	nlh = put(f, NULL, NLMSG_HDRLEN);
	g = put(f, NULL, GENL_HDRLEN);
	g->version = rng_below(&f->rng, 8) ? 1 : (uint8_t)rng_next(&f->rng);
	g->reserved = rng_below(&f->rng, 8) ? 0 : (uint16_t)rng_next(&f->rng);
	if (kind < 10) {
		g->cmd = put_plausible(f, &flags);
	} else if (kind < 13) {
		g->cmd = (uint8_t)rng_below(&f->rng, 12);
		if (rng_below(&f->rng, 2))
			flags |= NLM_F_DUMP;
		put_random_attrs(f, 0);
	} else if (kind == 13) {
		/* noise after the genetlink header */
		g->cmd = (uint8_t)rng_next(&f->rng);
		for (size_t n = rng_below(&f->rng, 256); n; n--)
			put(f, &(uint8_t){ (uint8_t)rng_next(&f->rng) }, 1);
	} else if (kind == 14) {
		/* a genetlink header cut short */
		g->cmd = IOMMU_DIRTY_CMD_DOMAIN_GET;
		f->len = NLMSG_HDRLEN + rng_below(&f->rng, GENL_HDRLEN);
	} else {
		/* the netlink length lies: past the buffer or below the header */
		g->cmd = IOMMU_DIRTY_CMD_BITMAP_GET;
		put_u64(f, IOMMU_DIRTY_A_BITMAP_DOMAIN_ID, some_id(f));
		nlh->nlmsg_len = rng_below(&f->rng, 2) ? (uint32_t)f->len + 1 +
				 (uint32_t)rng_below(&f->rng, 4096) :
				 (uint32_t)rng_below(&f->rng, NLMSG_HDRLEN);
		answered = false;
	}
	/* a length inside the last attribute, so it overruns the message */
	if (kind < 13 && f->len > NLMSG_HDRLEN + GENL_HDRLEN && !rng_below(&f->rng, 16))
		f->len -= rng_below(&f->rng, 4) + 1;
	if (answered)
		nlh->nlmsg_len = (uint32_t)f->len;
	nlh->nlmsg_type = f->family;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = ++f->seq;
	f->cmd = ((struct genlmsghdr *)(f->msg + NLMSG_HDRLEN))->cmd;
	return answered;
}

/* ---- sending and answers ---------------------------------------------------- */

static int recv_some(struct fuzz *f, unsigned char *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = { .fd = f->fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	n = recv(f->fd, buf, len, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == ENOBUFS ? 0 : -errno;
	return (int)n;
}

/* Wait for the final answer to f->seq; false if none came in time. */
static bool await_answer(struct fuzz *f, bool *socket_broke)
{
	static unsigned char buf[1 << 16];
	for (int waited = 0; waited < 4; ) {
		int n = recv_some(f, buf, sizeof(buf), 250);

		if (n < 0) {
			*socket_broke = true;
			return false;
		}
		if (!n) {
			waited++;
			continue;
		}
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (unsigned int)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != f->seq)
				continue;	/* a late part of an earlier dump */
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				int err = -e->error;

				f->by_errno[err >= 0 && err < 256 ? err : 255]++;
				f->acks += !err;
				f->ok_by_cmd[f->cmd] += !err;
				return true;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				int err = h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) ?
					  -*(int *)NLMSG_DATA(h) : 0;

				/* a dump that failed midway ends with its error */
				if (err > 0 && err < 256)
					f->by_errno[err]++;
				else
					f->ok_by_cmd[f->cmd]++;
				f->dumps++;
				return true;
			}
			f->dump_parts++;
		}
	}
	return false;
}

static int resolve_family(struct fuzz *f)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		unsigned char attrs[64];
	} req = {
		.n = { .nlmsg_type = GENL_ID_CTRL, .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1 },
		.g = { .cmd = CTRL_CMD_GETFAMILY, .version = 1 },
	};
	static unsigned char buf[8192];
	struct nlattr *a = (void *)req.attrs;
	int n;

	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + sizeof(IOMMU_DIRTY_FAMILY_NAME);
	memcpy(a + 1, IOMMU_DIRTY_FAMILY_NAME, sizeof(IOMMU_DIRTY_FAMILY_NAME));
	req.n.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + NLA_ALIGN(a->nla_len);
	if (send(f->fd, &req, req.n.nlmsg_len, 0) < 0)
		return -errno;
	n = recv_some(f, buf, sizeof(buf), 2000);
	for (struct nlmsghdr *h = (void *)buf; n > 0 && NLMSG_OK(h, (unsigned int)n);
	     h = NLMSG_NEXT(h, n)) {
		int len = (int)h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

		if (h->nlmsg_type != GENL_ID_CTRL)
			return -ENOENT;
		for (a = (void *)((char *)NLMSG_DATA(h) + GENL_HDRLEN); ATTR_OK(a, len);
		     a = ATTR_NEXT(a, len))
			if (a->nla_type == CTRL_ATTR_FAMILY_ID) {
				f->family = *(uint16_t *)(a + 1);
				return 0;
			}
	}
	return -ENOENT;
}

static bool has_id(const uint64_t *ids, unsigned int n, uint64_t id)
{
	for (unsigned int i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* The live domain ids from a dump; those that died since turn stale. */
static void learn_ids(struct fuzz *f)
{
	static unsigned char buf[1 << 16];
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
	} req = {
		.n = { .nlmsg_len = sizeof(req), .nlmsg_type = f->family,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = ++f->seq },
		.g = { .cmd = IOMMU_DIRTY_CMD_DOMAIN_GET, .version = 1 },
	};
	uint64_t live[MAX_IDS];
	unsigned int n_live = 0;
	bool done = false;
	int n;

	if (send(f->fd, &req, sizeof(req), 0) < 0)
		return;
	while (!done && (n = recv_some(f, buf, sizeof(buf), 1000)) > 0) {
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (unsigned int)n);
		     h = NLMSG_NEXT(h, n)) {
			int len = (int)h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
			struct nlattr *a;

			if (h->nlmsg_seq != f->seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			a = (void *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
			/* a uint attribute: 4 bytes when the value fits */
			if (ATTR_OK(a, len) && a->nla_type == IOMMU_DIRTY_A_DOMAIN_ID &&
			    (a->nla_len == NLA_HDRLEN + 8 || a->nla_len == NLA_HDRLEN + 4) &&
			    n_live < MAX_IDS)
				live[n_live++] = a->nla_len == NLA_HDRLEN + 8 ?
						 *(uint64_t *)(a + 1) : *(uint32_t *)(a + 1);
		}
	}
	if (!done)
		return;
	for (unsigned int i = 0; i < f->n_live; i++) {
		if (has_id(live, n_live, f->live[i]) ||
		    has_id(f->stale, f->n_stale, f->live[i]))
			continue;
		f->stale[f->next_stale] = f->live[i];
		f->next_stale = (f->next_stale + 1) % MAX_IDS;
		if (f->n_stale < MAX_IDS)
			f->n_stale++;
	}
	memcpy(f->live, live, n_live * sizeof(*live));
	f->n_live = n_live;
	if (n_live && !has_id(live, n_live, f->favourite))
		f->favourite = live[rng_below(&f->rng, n_live)];
}

static void report(const struct fuzz *f, double seconds)
{
	bool first = true;

	printf("{\"sent\":%llu,\"answered\":%llu,\"unanswered\":%llu,\"dropped\":%llu,"
	       "\"acks\":%llu,\"dumps\":%llu,\"dump_parts\":%llu,\"ids_live\":%u,\"ids_stale\":%u,"
	       "\"seconds\":%.1f,\"errno\":{",
	       (unsigned long long)f->sent, (unsigned long long)f->answered,
	       (unsigned long long)f->unanswered, (unsigned long long)f->dropped,
	       (unsigned long long)f->acks, (unsigned long long)f->dumps,
	       (unsigned long long)f->dump_parts, f->n_live, f->n_stale, seconds);
	for (int e = 1; e < 256; e++) {
		if (!f->by_errno[e])
			continue;
		printf("%s\"%s\":%llu", first ? "" : ",", e < 255 ? strerrorname_np(e) : "other",
		       (unsigned long long)f->by_errno[e]);
		first = false;
	}
	printf("},\"ok_by_cmd\":{");
	first = true;
	for (int c = 0; c < 256; c++) {
		if (!f->ok_by_cmd[c])
			continue;
		printf("%s\"%d\":%llu", first ? "" : ",", c, (unsigned long long)f->ok_by_cmd[c]);
		first = false;
	}
	printf("}}\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse_opt, NULL,
		"Send malformed and random iommu-dirty messages; every one with a valid "
		"netlink header must be answered.", NULL, NULL, NULL
	};
	struct fuzz *f = calloc(1, sizeof(*f));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	bool broke = false;
	double start;

	if (!f || argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	f->rng = cfg.seed * 0x9e3779b97f4a7c15ULL | 1;
	f->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("nlfuzz: netlink socket");
		return 3;
	}
	setsockopt(f->fd, SOL_NETLINK, NETLINK_EXT_ACK, &(int){ 1 }, sizeof(int));
	if (resolve_family(f)) {
		fprintf(stderr, "nlfuzz: no %s family\n", IOMMU_DIRTY_FAMILY_NAME);
		return 3;
	}
	start = now_s();
	while (f->sent < cfg.count && !broke) {
		bool must_answer;

		if (cfg.seconds && now_s() - start > (double)cfg.seconds)
			break;
		if (!(f->sent % 200))
			learn_ids(f);
		must_answer = build(f);
		if (send(f->fd, f->msg, f->len, 0) < 0 && errno != EINVAL) {
			/* the kernel may refuse a message outright; anything else is news */
			if (errno != ENOBUFS && errno != EMSGSIZE) {
				perror("nlfuzz: send");
				broke = true;
			}
		}
		f->sent++;
		if (!must_answer) {
			f->dropped++;
			continue;
		}
		if (await_answer(f, &broke)) {
			f->answered++;
			continue;
		}
		f->unanswered++;
		if (cfg.verbose || f->unanswered <= 5) {
			fprintf(stderr, "nlfuzz: no answer to message %llu (seq %u, %zu bytes):",
				(unsigned long long)f->sent, f->seq, f->len);
			for (size_t i = 0; i < f->len && i < 96; i++)
				fprintf(stderr, " %02x", f->msg[i]);
			fprintf(stderr, "\n");
		}
	}
	report(f, now_s() - start);
	broke |= f->unanswered > 0;
	close(f->fd);
	free(f);
	return broke ? 1 : 0;
}
