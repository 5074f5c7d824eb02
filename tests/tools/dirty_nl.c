// SPDX-License-Identifier: GPL-2.0
/*
 * iommu-dirty requests for the test tools (see dirty_nl.h). Each request
 * runs its own libnl callback set, so a failed request reports the errno
 * and extack message of its own NLMSG_ERROR or NLMSG_DONE.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/iommu_dirty.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "dirty_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct xact {
	struct dirty_nl *n;
	int (*valid)(struct nlmsghdr *nlh, struct nlattr **tb, void *arg);
	int maxattr;
	void *arg;
	int err;
	bool done;
};

/* Keep the extack message that follows an error's payload at @off. */
static void keep_extack(struct dirty_nl *n, struct nlmsghdr *nlh, size_t off)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)off;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || len <= 0)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlmsg_data(nlh) + off), len, NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(n->errmsg, sizeof(n->errmsg), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
}

static int on_valid(struct nl_msg *msg, void *p)
{
	struct xact *x = p;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[64];

	x->n->rx_bytes += nlh->nlmsg_len;
	if (!x->valid)
		return NL_OK;
	if (genlmsg_parse(nlh, 0, tb, x->maxattr, NULL))
		return NL_SKIP;
	return x->valid(nlh, tb, x->arg);
}

static int on_error(struct sockaddr_nl *sa, struct nlmsgerr *err, void *p)
{
	struct xact *x = p;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)err - NLMSG_HDRLEN);
	size_t off = sizeof(*err);

	(void)sa;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - NLMSG_HDRLEN;
	x->err = err->error;
	keep_extack(x->n, nlh, off);
	x->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *p)
{
	struct xact *x = p;

	(void)msg;
	x->done = true;
	return NL_STOP;
}

/* NLMSG_DONE carries a dump's error, if any, and its extack. */
static int on_finish(struct nl_msg *msg, void *p)
{
	struct xact *x = p;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int err;

	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
		memcpy(&err, nlmsg_data(nlh), sizeof(err));
		if (err < 0) {
			x->err = err;
			keep_extack(x->n, nlh, sizeof(int));
		}
	}
	x->done = true;
	return NL_STOP;
}

/* Send @msg (consumed) and receive until its ACK, error or NLMSG_DONE. */
static int transact(struct dirty_nl *n, struct nl_msg *msg, int maxattr,
		    int (*valid)(struct nlmsghdr *nlh, struct nlattr **tb, void *arg),
		    void *arg)
{
	struct xact x = { .n = n, .valid = valid, .maxattr = maxattr, .arg = arg };
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int rc;

	n->errmsg[0] = '\0';
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &x);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &x);
	rc = nl_send_auto(n->sk, msg);
	nlmsg_free(msg);
	while (rc >= 0 && !x.done)
		rc = nl_recvmsgs(n->sk, cb);
	nl_cb_put(cb);
	if (rc < 0 && !x.err)
		return -EIO;
	return x.err;
}

static struct nl_msg *request(struct dirty_nl *n, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, n->family, 0,
				flags | NLM_F_ACK, cmd, IOMMU_DIRTY_FAMILY_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

int dirty_nl_open(struct dirty_nl *n)
{
	int one = 1;

	memset(n, 0, sizeof(*n));
	n->sk = nl_socket_alloc();
	if (!n->sk)
		return -ENOMEM;
	if (genl_connect(n->sk)) {
		nl_socket_free(n->sk);
		return -EIO;
	}
	setsockopt(nl_socket_get_fd(n->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(n->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl_socket_set_buffer_size(n->sk, 1 << 20, 0);
	n->family = genl_ctrl_resolve(n->sk, IOMMU_DIRTY_FAMILY_NAME);
	if (n->family < 0) {
		nl_socket_free(n->sk);
		return -ENOENT;
	}
	return 0;
}

void dirty_nl_close(struct dirty_nl *n)
{
	if (n->sk)
		nl_socket_free(n->sk);
	n->sk = NULL;
}

int dirty_nl_tracking_set(struct dirty_nl *n, uint64_t domain, bool enable,
			  const char *name, uint32_t lifetime)
{
	struct nl_msg *msg = request(n, IOMMU_DIRTY_CMD_TRACKING_SET, 0);

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, IOMMU_DIRTY_A_DOMAIN_ID, domain) ||
	    nla_put_u8(msg, IOMMU_DIRTY_A_DOMAIN_ENABLE, enable) ||
	    (name && nla_put_string(msg, IOMMU_DIRTY_A_DOMAIN_OBSERVER_NAME, name)) ||
	    (lifetime && nla_put_u32(msg, IOMMU_DIRTY_A_DOMAIN_LIFETIME, lifetime))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return transact(n, msg, IOMMU_DIRTY_A_DOMAIN_MAX, NULL, NULL);
}

/* NLA_UINT: 4 or 8 bytes. */
static uint64_t get_uint(const struct nlattr *a)
{
	return nla_len(a) == 4 ? nla_get_u32(a) : nla_get_u64(a);
}

struct find {
	pid_t owner;
	uint32_t hwpt;
	uint64_t domain;
};

static int find_one(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct find *f = arg;

	(void)nlh;
	if (tb[IOMMU_DIRTY_A_DOMAIN_ID] && tb[IOMMU_DIRTY_A_DOMAIN_OWNER_PID] &&
	    tb[IOMMU_DIRTY_A_DOMAIN_HWPT_ID] &&
	    (pid_t)nla_get_u32(tb[IOMMU_DIRTY_A_DOMAIN_OWNER_PID]) == f->owner &&
	    nla_get_u32(tb[IOMMU_DIRTY_A_DOMAIN_HWPT_ID]) == f->hwpt)
		f->domain = get_uint(tb[IOMMU_DIRTY_A_DOMAIN_ID]);
	return NL_OK;
}

int dirty_nl_find_domain(struct dirty_nl *n, pid_t owner, uint32_t hwpt,
			 uint64_t *domain)
{
	struct nl_msg *msg = request(n, IOMMU_DIRTY_CMD_DOMAIN_GET, NLM_F_DUMP);
	struct find f = { .owner = owner, .hwpt = hwpt };
	int rc;

	if (!msg)
		return -ENOMEM;
	rc = transact(n, msg, IOMMU_DIRTY_A_DOMAIN_MAX, find_one, &f);
	if (rc)
		return rc;
	if (!f.domain)
		return -ENOENT;
	*domain = f.domain;
	return 0;
}

struct runs {
	dirty_run_fn fn;
	void *arg;
};

/* Hand the runs of set bits of a raw chunk to the caller. */
static void raw_runs(struct runs *r, uint64_t iova, uint64_t page_size,
		     const uint64_t *words, uint64_t pages)
{
	uint64_t i = 0, start;

	while (i < pages) {
		if (!(words[i / 64] >> (i % 64) & 1)) {
			i++;
			continue;
		}
		start = i;
		while (i < pages && words[i / 64] >> (i % 64) & 1)
			i++;
		r->fn(r->arg, iova + start * page_size, i - start, page_size);
	}
}

static int read_one(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct nlattr *ex[IOMMU_DIRTY_A_EXTENT_MAX + 1];
	struct genlmsghdr *gnlh = nlmsg_data(nlh);
	struct runs *r = arg;
	uint64_t page_size, pages;
	struct nlattr *a;
	int rem;

	if (!tb[IOMMU_DIRTY_A_BITMAP_PAGE_SIZE])
		return NL_SKIP;
	page_size = get_uint(tb[IOMMU_DIRTY_A_BITMAP_PAGE_SIZE]);
	if (tb[IOMMU_DIRTY_A_BITMAP_BITS] && tb[IOMMU_DIRTY_A_BITMAP_IOVA] &&
	    tb[IOMMU_DIRTY_A_BITMAP_PAGES]) {
		pages = nla_get_u32(tb[IOMMU_DIRTY_A_BITMAP_PAGES]);
		if ((uint64_t)nla_len(tb[IOMMU_DIRTY_A_BITMAP_BITS]) * 8 < pages)
			return NL_SKIP;
		raw_runs(r, get_uint(tb[IOMMU_DIRTY_A_BITMAP_IOVA]), page_size,
			 nla_data(tb[IOMMU_DIRTY_A_BITMAP_BITS]), pages);
		return NL_OK;
	}
	/* Extents: every extent attribute of the message, in order. */
	nla_for_each_attr(a, genlmsg_attrdata(gnlh, 0), genlmsg_attrlen(gnlh, 0), rem) {
		if (nla_type(a) != IOMMU_DIRTY_A_BITMAP_EXTENT ||
		    nla_parse_nested(ex, IOMMU_DIRTY_A_EXTENT_MAX, a, NULL) ||
		    !ex[IOMMU_DIRTY_A_EXTENT_IOVA] || !ex[IOMMU_DIRTY_A_EXTENT_PAGES])
			continue;
		r->fn(r->arg, get_uint(ex[IOMMU_DIRTY_A_EXTENT_IOVA]),
		      get_uint(ex[IOMMU_DIRTY_A_EXTENT_PAGES]), page_size);
	}
	return NL_OK;
}

int dirty_nl_read(struct dirty_nl *n, const struct dirty_read *req,
		  dirty_run_fn fn, void *arg)
{
	struct nl_msg *msg = request(n, IOMMU_DIRTY_CMD_BITMAP_GET, NLM_F_DUMP);
	struct runs r = { .fn = fn, .arg = arg };

	if (!msg)
		return -ENOMEM;
	if (nla_put_u64(msg, IOMMU_DIRTY_A_BITMAP_DOMAIN_ID, req->domain) ||
	    (req->name && nla_put_string(msg, IOMMU_DIRTY_A_BITMAP_OBSERVER_NAME, req->name)) ||
	    (req->no_clear && nla_put_flag(msg, IOMMU_DIRTY_A_BITMAP_NO_CLEAR)) ||
	    (req->extents && nla_put_u32(msg, IOMMU_DIRTY_A_BITMAP_FORMAT,
					 IOMMU_DIRTY_BITMAP_FORMAT_EXTENTS)) ||
	    (req->page_size && nla_put_u64(msg, IOMMU_DIRTY_A_BITMAP_PAGE_SIZE, req->page_size)) ||
	    (req->length && (nla_put_u64(msg, IOMMU_DIRTY_A_BITMAP_IOVA, req->iova) ||
			     nla_put_u64(msg, IOMMU_DIRTY_A_BITMAP_LENGTH, req->length)))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return transact(n, msg, IOMMU_DIRTY_A_BITMAP_MAX, read_one, &r);
}
