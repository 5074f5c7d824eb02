// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libiommudirty: requests to the iommu-dirty family over libnl-genl-3.
 * The family is resolved once per handle and the socket reused. Each
 * request runs its own callback set, so its errno and extended-ACK message
 * come from its own NLMSG_ERROR or NLMSG_DONE, and takes only the messages
 * that carry its own sequence number and our port, as iproute2's
 * rtnl_talk() does: the answer of an earlier request whose end was lost
 * (ENOBUFS) is skipped, never taken for this one's. libnl's own sequence
 * check, which expects the next number only after a DONE or an ERROR,
 * is never used: a lost ACK would leave it one behind for good.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/iommu_dirty.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* The public header spells the kernel's limit without including uapi */
_Static_assert(IOMMUDIRTY_LEASE_NAME_MAX == IOMMU_DIRTY_LEASE_NAME_MAX_LEN,
	       "IOMMUDIRTY_LEASE_NAME_MAX is not the kernel's lease name limit");

struct iommudirty {
	struct nl_sock *sk;
	int family;
	int monitor_grp;	/* 0: the kernel has no monitor group */
	uint64_t rx_bytes;
	struct iommudirty_scratch scratch;
	bool busy;		/* in a request or a dispatch: its callbacks run */
	char errmsg[256];
};

/* One request in flight: what to do with each reply message. */
struct xact {
	struct iommudirty *h;
	int (*valid)(struct xact *x, struct nlmsghdr *nlh);
	/* After the last reply, still busy: a reader hands over what it kept */
	int (*finish)(struct xact *x);
	void *fn;
	void *arg;
	int cb_rc;	/* a caller's callback asked to stop with this */
	int err;	/* the kernel's, or a parse error */
	bool done;
	unsigned int replies;	/* messages of the answer received */
	bool dump;
	uint32_t seq, port;	/* of the request: what its answer carries */
};

/* The errno of a libnl error outside a receive (connect, setsockopt). */
static int errno_of(int nlerr)
{
	switch (-nlerr) {
	case NLE_PERM: return -EPERM;
	case NLE_NOACCESS: return -EACCES;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_BAD_SOCK: return -EBADF;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
	case NLE_INVAL: return -EINVAL;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_INTR: return -EINTR;
	default: return -EIO;
	}
}

IOMMUDIRTY_API const char *iommudirty_errmsg(const struct iommudirty *h)
{
	return h->errmsg;
}

IOMMUDIRTY_API uint64_t iommudirty_rx_bytes(const struct iommudirty *h)
{
	return h->rx_bytes;
}

/* Keep the extack message that follows an error's payload at @off. */
static void keep_extack(struct iommudirty *h, struct nlmsghdr *nlh, size_t off)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)off;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || len <= 0)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlmsg_data(nlh) + off),
		      len, NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(h->errmsg, sizeof(h->errmsg), "%s", nla_get_string(tb[NLMSGERR_ATTR_MSG]));
}

/* Only the answer to this request: same sequence number, sent to our port. */
static int on_seq(struct nl_msg *msg, void *p)
{
	struct xact *x = p;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	return nlh->nlmsg_seq == x->seq && nlh->nlmsg_pid == x->port ? NL_OK : NL_SKIP;
}

static int on_valid(struct nl_msg *msg, void *p)
{
	struct xact *x = p;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int rc;

	x->h->rx_bytes += nlh->nlmsg_len;
	x->replies++;
	if (!x->valid || x->cb_rc || x->err)
		return NL_OK;	/* drain the rest of a dump */
	rc = x->valid(x, nlh);
	if (rc < 0)
		x->err = rc;
	else
		x->cb_rc = rc;
	return NL_OK;
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
	keep_extack(x->h, nlh, off);
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
			keep_extack(x->h, nlh, sizeof(int));
		}
	}
	x->done = true;
	return NL_STOP;
}

static void set_blocking(struct nl_sock *sk)
{
	int fd = nl_socket_get_fd(sk);
	int flags = fcntl(fd, F_GETFL);

	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

/*
 * The socket reported ENOBUFS: the kernel could not queue a message for
 * us (memory, or a full buffer), and the error came before what was
 * queued. A dump resumes at the next receive and a reply may be waiting,
 * so keep receiving while messages come. An answer whose reply arrived
 * but whose ACK was lost succeeded (0); should the ACK come after all, it
 * is a stale message the next request skips. Otherwise the outcome is
 * unknown: -NLE_NOMEM, which the caller reports as -ENOBUFS.
 */
static int after_loss(struct xact *x, struct nl_cb *cb)
{
	struct pollfd pfd = { .fd = nl_socket_get_fd(x->h->sk), .events = POLLIN };
	int rc = 0;

	/* non-blocking: an answer that stops halfway must not hang us */
	nl_socket_set_nonblocking(x->h->sk);
	for (int losses = 1; !x->done && !(x->replies && !x->dump) && losses < 16; ) {
		if (poll(&pfd, 1, 1000) <= 0)
			break;
		rc = nl_recvmsgs(x->h->sk, cb);
		if (rc == -NLE_NOMEM)
			losses++;
		else if (rc < 0 && rc != -NLE_AGAIN)
			break;
	}
	set_blocking(x->h->sk);
	if (rc < 0 && rc != -NLE_AGAIN && rc != -NLE_NOMEM)
		return rc;
	/* one reply answers a do request: only its ACK can be missing */
	if (x->done || (x->replies && !x->dump))
		return 0;
	snprintf(x->h->errmsg, sizeof(x->h->errmsg), "the kernel's answer was lost (it ran "
		 "out of memory or the socket overran); the request may have taken effect");
	return -NLE_NOMEM;
}

/*
 * Send @msg (consumed) and receive until its ACK, error or NLMSG_DONE.
 * -EBUSY from inside a callback of the same handle.
 */
static int transact(struct xact *x, struct nl_msg *msg)
{
	struct nl_cb *cb;
	int rc;

	if (x->h->busy) {
		nlmsg_free(msg);
		return -EBUSY;
	}
	x->h->errmsg[0] = '\0';
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_complete_msg(x->h->sk, msg);
	x->seq = nlmsg_hdr(msg)->nlmsg_seq;
	x->port = nl_socket_get_local_port(x->h->sk);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, on_seq, x);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, x);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, x);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, x);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, x);
	x->dump = nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP;
	x->h->busy = true;
	rc = nl_send(x->h->sk, msg);
	nlmsg_free(msg);
	while (rc >= 0 && !x->done) {
		rc = nl_recvmsgs(x->h->sk, cb);
		if (rc == -NLE_NOMEM && !x->done) {
			rc = after_loss(x, cb);
			break;
		}
	}
	if (x->finish) {
		int frc = x->finish(x);

		if (frc < 0 && !x->err)
			x->err = frc;
		else if (frc > 0 && !x->cb_rc)
			x->cb_rc = frc;
	}
	x->h->busy = false;
	nl_cb_put(cb);
	if (x->err)
		return x->err;
	if (rc < 0)
		return rc == -NLE_NOMEM ? -ENOBUFS : -EIO;
	return x->cb_rc;
}

/*
 * Room in a request for its numbers and flags (bitmap-get's, the most,
 * take 60 bytes); the one string a request may carry adds its own. Sized,
 * where libnl's default is a page that calloc zeroes for every request: a
 * third of a small read's cost.
 */
#define REQUEST_FIXED_ROOM 128

static struct nl_msg *request_to(int family, uint8_t cmd, int flags, uint8_t version,
				 const char *text)
{
	size_t room = NLMSG_HDRLEN + GENL_HDRLEN + REQUEST_FIXED_ROOM +
		      (text ? NLA_HDRLEN + NLA_ALIGN(strlen(text) + 1) : 0);
	struct nl_msg *msg = nlmsg_alloc_size(room);

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags | NLM_F_ACK,
				cmd, version)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

/* A request of ours; @text: its string attribute's value, NULL if none */
static struct nl_msg *request(struct iommudirty *h, uint8_t cmd, int flags, const char *text)
{
	return request_to(h->family, cmd, flags, IOMMU_DIRTY_FAMILY_VERSION, text);
}

/*
 * Run @msg from request(), NULL if it could not be allocated, unless
 * putting its attributes failed (@put_failed): then it is only freed.
 */
static int send_request(struct xact *x, struct nl_msg *msg, bool put_failed)
{
	if (!msg)
		return -ENOMEM;
	if (put_failed) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return transact(x, msg);
}

/* The family's id and its monitor group's, from the controller's reply. */
static int family_reply(struct xact *x, struct nlmsghdr *nlh)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1], *grp[CTRL_ATTR_MCAST_GRP_MAX + 1], *a;
	struct genlmsghdr *g = nlmsg_data(nlh);
	int rem;

	if (nla_parse(tb, CTRL_ATTR_MAX, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), NULL) ||
	    !tb[CTRL_ATTR_FAMILY_ID])
		return -EINVAL;
	x->h->family = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return 0;
	nla_for_each_nested(a, tb[CTRL_ATTR_MCAST_GROUPS], rem) {
		if (nla_parse_nested(grp, CTRL_ATTR_MCAST_GRP_MAX, a, NULL) ||
		    !grp[CTRL_ATTR_MCAST_GRP_NAME] || !grp[CTRL_ATTR_MCAST_GRP_ID])
			return -EINVAL;
		if (!strcmp(nla_get_string(grp[CTRL_ATTR_MCAST_GRP_NAME]),
			    IOMMU_DIRTY_MCGRP_MONITOR))
			x->h->monitor_grp = (int)nla_get_u32(grp[CTRL_ATTR_MCAST_GRP_ID]);
	}
	return 0;
}

static int resolve_family(struct iommudirty *h)
{
	struct xact x = { .h = h, .valid = family_reply };
	struct nl_msg *msg = request_to(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, 1,
					      IOMMU_DIRTY_FAMILY_NAME);

	return send_request(&x, msg, msg && nla_put_string(msg, CTRL_ATTR_FAMILY_NAME,
							   IOMMU_DIRTY_FAMILY_NAME));
}

/*
 * A receive buffer of @bytes: past net.core.rmem_max with CAP_NET_ADMIN,
 * up to it without. -ENOBUFS (and why in errmsg) when the kernel granted
 * less; it reports twice what it grants, for its bookkeeping.
 */
static int set_rcvbuf(struct iommudirty *h, int bytes)
{
	int fd = nl_socket_get_fd(h->sk), got = 0;
	socklen_t len = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) &&
	    (errno != EPERM || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes))))
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len))
		return -errno;
	if ((int64_t)got < 2 * (int64_t)bytes) {
		snprintf(h->errmsg, sizeof(h->errmsg), "the receive buffer is %d bytes, not %d: "
			 "without CAP_NET_ADMIN net.core.rmem_max caps it", got / 2, bytes);
		return -ENOBUFS;
	}
	return 0;
}

IOMMUDIRTY_API int iommudirty_open(struct iommudirty **handle)
{
	struct iommudirty *h = calloc(1, sizeof(*h));
	int one = 1, rc = -ENOMEM;

	*handle = NULL;
	if (!h)
		return -ENOMEM;
	h->sk = nl_socket_alloc();
	if (!h->sk)
		goto err_free;
	rc = genl_connect(h->sk);
	if (rc) {
		rc = errno_of(rc);
		goto err_free;
	}
	setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* requests work with less: a dump is paced by our reads */
	rc = set_rcvbuf(h, 1 << 20);
	if (rc && rc != -ENOBUFS)
		goto err_free;
	/*
	 * The kernel sizes a dump's messages by the largest read the socket
	 * made (up to 32 KiB); libnl's 16 KiB default would halve them. Peek
	 * stays on, so a larger reply still arrives whole.
	 */
	nl_socket_set_msg_buf_size(h->sk, 64 << 10);
	nl_socket_enable_msg_peek(h->sk);
	rc = resolve_family(h);
	if (rc)
		goto err_free;
	*handle = h;
	return 0;

err_free:
	iommudirty_close(h);
	return rc;
}

IOMMUDIRTY_API void iommudirty_close(struct iommudirty *h)
{
	if (!h)
		return;
	if (h->sk)
		nl_socket_free(h->sk);
	iommudirty_scratch_free(&h->scratch);
	free(h);
}

static int domain_reply(struct xact *x, struct nlmsghdr *nlh)
{
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct iommudirty_domain d;
	int rc;

	rc = iommudirty_parse_domain(genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), &d,
				     &x->h->scratch);
	if (rc)
		return rc;
	return x->fn ? ((iommudirty_domain_fn)x->fn)(&d, x->arg) : 0;
}

static int dev_reply(struct xact *x, struct nlmsghdr *nlh)
{
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct iommudirty_dev dev;
	int rc;

	rc = iommudirty_parse_dev(genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), &dev);
	if (rc)
		return rc;
	return ((iommudirty_dev_fn)x->fn)(&dev, x->arg);
}

IOMMUDIRTY_API int iommudirty_domains(struct iommudirty *h, iommudirty_domain_fn fn, void *arg)
{
	struct xact x = { .h = h, .valid = domain_reply, .fn = (void *)fn, .arg = arg };
	struct nl_msg *msg = request(h, IOMMU_DIRTY_CMD_DOMAIN_GET, NLM_F_DUMP, NULL);

	return send_request(&x, msg, false);
}

IOMMUDIRTY_API int iommudirty_domain_get(struct iommudirty *h, uint64_t id,
					 iommudirty_domain_fn fn, void *arg)
{
	struct xact x = { .h = h, .valid = domain_reply, .fn = (void *)fn, .arg = arg };
	struct nl_msg *msg = request(h, IOMMU_DIRTY_CMD_DOMAIN_GET, 0, NULL);

	return send_request(&x, msg, msg && nla_put_u64(msg, IOMMU_DIRTY_A_DOMAIN_ID, id));
}

IOMMUDIRTY_API int iommudirty_devs(struct iommudirty *h, iommudirty_dev_fn fn, void *arg)
{
	struct xact x = { .h = h, .valid = dev_reply, .fn = (void *)fn, .arg = arg };
	struct nl_msg *msg = request(h, IOMMU_DIRTY_CMD_DEV_GET, NLM_F_DUMP, NULL);

	return send_request(&x, msg, false);
}

IOMMUDIRTY_API int iommudirty_dev_get(struct iommudirty *h, const char *name,
				      iommudirty_dev_fn fn, void *arg)
{
	struct xact x = { .h = h, .valid = dev_reply, .fn = (void *)fn, .arg = arg };
	struct nl_msg *msg = request(h, IOMMU_DIRTY_CMD_DEV_GET, 0, name);

	return send_request(&x, msg, msg && nla_put_string(msg, IOMMU_DIRTY_A_DEV_NAME, name));
}

static int map_reply(struct xact *x, struct nlmsghdr *nlh)
{
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct iommudirty_map m;
	int rc;

	rc = iommudirty_parse_map(genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), &m);
	if (rc)
		return rc;
	return ((iommudirty_map_fn)x->fn)(&m, x->arg);
}

IOMMUDIRTY_API int iommudirty_maps(struct iommudirty *h, uint64_t id, iommudirty_map_fn fn,
				   void *arg)
{
	struct xact x = { .h = h, .valid = map_reply, .fn = (void *)fn, .arg = arg };
	struct nl_msg *msg = request(h, IOMMU_DIRTY_CMD_MAP_GET, NLM_F_DUMP, NULL);

	return send_request(&x, msg, msg && nla_put_u64(msg, IOMMU_DIRTY_A_MAP_DOMAIN_ID, id));
}

static int tracking_set(struct iommudirty *h, uint64_t id, bool enable, const char *name,
			uint32_t lifetime, bool precise, iommudirty_domain_fn fn, void *arg)
{
	struct xact x = { .h = h, .valid = domain_reply, .fn = (void *)fn, .arg = arg };
	struct nl_msg *msg = request(h, IOMMU_DIRTY_CMD_TRACKING_SET, 0, name);
	int rc;

	rc = send_request(&x, msg, msg &&
			  (nla_put_u64(msg, IOMMU_DIRTY_A_DOMAIN_ID, id) ||
			   nla_put_u8(msg, IOMMU_DIRTY_A_DOMAIN_ENABLE, enable) ||
			   (name && nla_put_string(msg, IOMMU_DIRTY_A_DOMAIN_OBSERVER_NAME, name)) ||
			   (lifetime && nla_put_u32(msg, IOMMU_DIRTY_A_DOMAIN_LIFETIME, lifetime)) ||
			   (precise && nla_put_u8(msg, IOMMU_DIRTY_A_DOMAIN_PRECISE, 1))));
	/*
	 * The kernel ACKs a change it made without the domain when it had no
	 * memory for the reply: the change holds, so read the domain instead.
	 */
	if (!rc && !x.replies && fn)
		rc = iommudirty_domain_get(h, id, fn, arg);
	return rc;
}

IOMMUDIRTY_API int iommudirty_observe(struct iommudirty *h, uint64_t id, const char *name,
				      uint32_t lifetime, iommudirty_domain_fn fn, void *arg)
{
	return tracking_set(h, id, true, name, lifetime, false, fn, arg);
}

/* The caller's callback, behind the check that a precise enable took */
struct precise_reply {
	iommudirty_domain_fn fn;
	void *arg;
};

static int precise_reply(const struct iommudirty_domain *d, void *arg)
{
	const struct precise_reply *p = arg;

	if (!d->has_precise || !d->precise)
		return -EPROTO;
	return p->fn ? p->fn(d, p->arg) : 0;
}

IOMMUDIRTY_API int iommudirty_observe_opts(struct iommudirty *h, uint64_t id,
					   const struct iommudirty_observe_opts *opts,
					   iommudirty_domain_fn fn, void *arg)
{
	struct iommudirty_observe_opts o;
	struct precise_reply p = { fn, arg };
	int rc = iommudirty_opts_copy(&o, sizeof(o), opts);

	if (rc)
		return rc;
	if (o.flags & ~IOMMUDIRTY_OBSERVE_PRECISE)
		return -EINVAL;
	if (!(o.flags & IOMMUDIRTY_OBSERVE_PRECISE))
		return tracking_set(h, id, true, o.name, o.lifetime, false, fn, arg);
	return tracking_set(h, id, true, o.name, o.lifetime, true, precise_reply, &p);
}

IOMMUDIRTY_API int iommudirty_unobserve(struct iommudirty *h, uint64_t id, const char *name,
					iommudirty_domain_fn fn, void *arg)
{
	return tracking_set(h, id, false, name, 0, false, fn, arg);
}

/* The last run, unless a callback asked to stop: after a failed read too */
static int read_finish(struct xact *x)
{
	struct iommudirty_reader *r = x->arg;

	return r->stopped ? 0 : iommudirty_reader_flush(r);
}

static int read_reply(struct xact *x, struct nlmsghdr *nlh)
{
	struct genlmsghdr *g = nlmsg_data(nlh);

	return iommudirty_reader_msg(x->arg, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0));
}

IOMMUDIRTY_API int iommudirty_read(struct iommudirty *h, uint64_t id,
				   const struct iommudirty_read_opts *opts,
				   const struct iommudirty_read_cbs *cbs, void *arg)
{
	struct iommudirty_read_opts o;
	struct iommudirty_read_cbs c;
	struct iommudirty_reader r = { .cbs = &c, .arg = arg };
	struct xact x = { .h = h, .valid = read_reply, .finish = read_finish, .arg = &r };
	struct nl_msg *msg;
	bool put_failed;

	if (iommudirty_opts_copy(&o, sizeof(o), opts) || iommudirty_opts_copy(&c, sizeof(c), cbs))
		return -EINVAL;
	if (o.format > IOMMUDIRTY_FORMAT_ADAPTIVE) {
		snprintf(h->errmsg, sizeof(h->errmsg), "unknown read format %u", o.format);
		return -EINVAL;
	}
	msg = request(h, IOMMU_DIRTY_CMD_BITMAP_GET, NLM_F_DUMP, o.name);
	put_failed = msg &&
		(nla_put_u64(msg, IOMMU_DIRTY_A_BITMAP_DOMAIN_ID, id) ||
		 (o.name && nla_put_string(msg, IOMMU_DIRTY_A_BITMAP_OBSERVER_NAME, o.name)) ||
		 (o.no_clear && nla_put_flag(msg, IOMMU_DIRTY_A_BITMAP_NO_CLEAR)) ||
		 (o.format && nla_put_u32(msg, IOMMU_DIRTY_A_BITMAP_FORMAT, o.format)) ||
		 (o.page_size && nla_put_u64(msg, IOMMU_DIRTY_A_BITMAP_PAGE_SIZE, o.page_size)) ||
		 (o.length && (nla_put_u64(msg, IOMMU_DIRTY_A_BITMAP_IOVA, o.iova) ||
			       nla_put_u64(msg, IOMMU_DIRTY_A_BITMAP_LENGTH, o.length))));
	return send_request(&x, msg, put_failed);
}

IOMMUDIRTY_API int iommudirty_monitor_start(struct iommudirty *h)
{
	int rc;

	if (h->busy)
		return -EBUSY;
	h->errmsg[0] = '\0';
	if (!h->monitor_grp) {
		snprintf(h->errmsg, sizeof(h->errmsg), "the family has no \"%s\" group",
			 IOMMU_DIRTY_MCGRP_MONITOR);
		return -ENOENT;
	}
	if (setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &h->monitor_grp, sizeof(h->monitor_grp)))
		return -errno;
	rc = set_rcvbuf(h, 4 << 20);
	if (rc)
		return rc;
	rc = nl_socket_set_nonblocking(h->sk);
	return rc ? errno_of(rc) : 0;
}

IOMMUDIRTY_API int iommudirty_set_rcvbuf(struct iommudirty *h, int bytes)
{
	if (h->busy)
		return -EBUSY;
	h->errmsg[0] = '\0';
	if (bytes < 1) {
		snprintf(h->errmsg, sizeof(h->errmsg), "a receive buffer of %d bytes", bytes);
		return -EINVAL;
	}
	return set_rcvbuf(h, bytes);
}

IOMMUDIRTY_API int iommudirty_monitor_fd(const struct iommudirty *h)
{
	return nl_socket_get_fd(h->sk);
}

struct event_ctx {
	iommudirty_event_fn fn;
	void *arg;
};

static int event_reply(struct xact *x, struct nlmsghdr *nlh)
{
	struct event_ctx *e = x->arg;
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct iommudirty_domain d;
	enum iommudirty_event ev;
	int rc;

	if (nlh->nlmsg_type != x->h->family)
		return 0;
	switch (g->cmd) {
	case IOMMU_DIRTY_CMD_DOMAIN_ADD_NTF: ev = IOMMUDIRTY_EVENT_DOMAIN_ADD; break;
	case IOMMU_DIRTY_CMD_DOMAIN_DEL_NTF: ev = IOMMUDIRTY_EVENT_DOMAIN_DEL; break;
	case IOMMU_DIRTY_CMD_DOMAIN_CHANGE_NTF: ev = IOMMUDIRTY_EVENT_DOMAIN_CHANGE; break;
	default: return 0;
	}
	rc = iommudirty_parse_domain(genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), &d,
				     &x->h->scratch);
	if (rc)
		return rc;
	return e->fn(ev, &d, e->arg);
}

static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg, (void)arg;
	return NL_OK;
}

IOMMUDIRTY_API int iommudirty_monitor_dispatch(struct iommudirty *h, iommudirty_event_fn fn,
					       void *arg)
{
	struct event_ctx e = { .fn = fn, .arg = arg };
	struct xact x = { .h = h, .valid = event_reply, .arg = &e };
	struct nl_cb *cb;
	int rc;

	if (h->busy)
		return -EBUSY;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return -ENOMEM;
	/* Notifications carry no sequence number to check */
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &x);
	h->busy = true;
	do {
		rc = nl_recvmsgs(h->sk, cb);
	} while (rc >= 0 && !x.err && !x.cb_rc);
	h->busy = false;
	nl_cb_put(cb);
	if (x.err)
		return x.err;
	if (x.cb_rc)
		return x.cb_rc < 0 ? x.cb_rc : 0;	/* the caller's stop */
	if (rc == -NLE_NOMEM)
		return -ENOBUFS;
	return rc == -NLE_AGAIN ? 0 : errno_of(rc);
}
