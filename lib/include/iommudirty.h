/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libiommudirty: a thin client of the "iommu-dirty" generic netlink family
 * (Documentation/netlink/specs/iommu-dirty.yaml in the kernel series).
 *
 * Conventions: functions return 0 or a negative errno; after a failure the
 * kernel's extended-ACK message, if any, is iommudirty_errmsg(). Objects
 * handed to callbacks live until the callback returns; copy what you keep.
 * Iterations stream: memory does not grow with what is dumped. A callback
 * that returns non-zero stops the calls (the dump is still drained) and
 * that value is returned. The library never prints.
 *
 * ABI: the structs the library hands out (domains, observers, devices,
 * chunks) may grow at their end in a later release: read them through the
 * pointers given, never allocate, copy or index arrays of them yourself
 * (observers: iommudirty_domain_observer()). The structs a caller passes
 * in (struct iommudirty_read_opts, struct iommudirty_read_cbs) start with
 * their size, sz = sizeof(the struct): a library older than the caller's
 * header refuses one that sets fields it does not know (-EINVAL), as
 * libbpf's OPTS_VALID does; a newer one treats the fields the caller's
 * struct lacks as 0.
 *
 * Threads and reentrancy: the library has no global state, and distinct
 * handles may be used from distinct threads at once. A handle is used by
 * one thread at a time (serialise it yourself). A request on a handle from
 * inside one of its own callbacks (or monitor dispatch) is refused with
 * -EBUSY; use a second handle. Never close a handle from its callback.
 */
#ifndef IOMMUDIRTY_H
#define IOMMUDIRTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IOMMUDIRTY_API __attribute__((visibility("default")))

/* The version of this header; iommudirty_version() is the library's. */
#define IOMMUDIRTY_VERSION "0.1.0"

IOMMUDIRTY_API const char *iommudirty_version(void);

struct iommudirty;

/*
 * Open a socket to the family: -ENOENT when the kernel lacks it. The
 * receive buffer is raised to 1 MiB, past net.core.rmem_max with
 * CAP_NET_ADMIN (SO_RCVBUFFORCE); requests work with less.
 */
IOMMUDIRTY_API int iommudirty_open(struct iommudirty **handle);
IOMMUDIRTY_API void iommudirty_close(struct iommudirty *h);
/* The kernel's message for the last failed request, or "". */
IOMMUDIRTY_API const char *iommudirty_errmsg(const struct iommudirty *h);
/* Bytes of netlink messages received so far on this handle. */
IOMMUDIRTY_API uint64_t iommudirty_rx_bytes(const struct iommudirty *h);

/* Names of the spec's enums ("intel-ssads", "arm-smmuv3", ...); "?" if unknown. */
IOMMUDIRTY_API const char *iommudirty_mechanism_name(uint32_t mechanism);
IOMMUDIRTY_API const char *iommudirty_iommu_type_name(uint32_t type);

/*
 * One observer of a domain: see iommudirty_domain_observer(). Like every
 * struct the library hands out (domains, devices, observers, struct
 * iommudirty_gran, struct iommudirty_map), it may grow at its end.
 */
struct iommudirty_observer {
	const char *name;		/* lease name; NULL if bound to a socket */
	uint32_t pid;
	const char *comm;
	uint64_t since_ns;		/* ns since the epoch */
	uint64_t expires_ns;		/* 0 for a socket-bound observer */
	uint64_t reads;
	uint64_t dirty_pages;
	uint64_t pending_bytes;
	bool overflow;
	bool precise;			/* it asked for precise tracking */
};

/* Dirty records of one IOPTE size: see iommudirty_domain_gran(). */
struct iommudirty_gran {
	uint64_t page_size;		/* bytes of the IOPTE */
	uint64_t owner_records, owner_bytes;		/* the owner's clearing harvests */
	uint64_t observer_records, observer_bytes;	/* observers' clearing reads */
};

struct iommudirty_domain {
	uint64_t id;
	uint32_t owner_pid;
	const char *owner_comm;
	uint32_t hwpt_id;
	uint32_t ioas_id;
	const char *const *devs;
	unsigned int n_devs;
	uint64_t mapped_bytes;
	uint64_t pgsize_bitmap;
	bool dirty_alloc;
	bool tracking;			/* the hardware tracks */
	bool owner_tracking;
	uint32_t mechanism;
	uint32_t consumers;
	uint64_t harvests;
	uint64_t dirty_pages;
	uint64_t last_harvest_ns;	/* 0: never */
	uint64_t created_ns;
	uint64_t observer_reads;
	uint64_t aperture_start;
	uint64_t aperture_end;
	unsigned int n_observers;	/* iommudirty_domain_observer(d, 0 .. n - 1) */
	const void *observers_priv;	/* private to the library */
	/* has_precise: the kernel reports precise tracking and granularity (else all 0) */
	bool has_precise;
	bool precise;			/* huge IOPTEs split for an observer that asked */
	bool precise_cap;		/* its driver can track it precisely */
	unsigned int n_gran;		/* iommudirty_domain_gran(d, 0 .. n - 1) */
	const void *gran_priv;		/* private to the library */
};

/* Observer @i of @d, or NULL when @i >= d->n_observers. */
IOMMUDIRTY_API const struct iommudirty_observer *
iommudirty_domain_observer(const struct iommudirty_domain *d, unsigned int i);
/* The records of the @i-th IOPTE size seen (ascending), or NULL when @i >= d->n_gran. */
IOMMUDIRTY_API const struct iommudirty_gran *
iommudirty_domain_gran(const struct iommudirty_domain *d, unsigned int i);
/*
 * A deep copy of @d, for a caller that keeps a domain past its callback:
 * one allocation, released with free(). NULL when out of memory.
 */
IOMMUDIRTY_API struct iommudirty_domain *
iommudirty_domain_dup(const struct iommudirty_domain *d);

struct iommudirty_dev {
	const char *name;
	uint32_t dev_id;
	uint32_t owner_pid;
	const char *owner_comm;
	uint64_t domain_id;		/* 0: not attached to a paging domain */
	uint32_t iommu_type;
	bool dirty_cap;
	uint32_t mechanism;
	uint32_t hw_info_type;
	const void *hw_info;
	uint32_t hw_info_len;
	/* Decoded vendor registers, each group valid if its has_* is set */
	bool has_vtd;
	uint64_t vtd_cap, vtd_ecap;
	bool vtd_slads, vtd_smts;
	bool has_amd;
	uint64_t amd_efr, amd_efr2;
	bool amd_hdsup, amd_hasup;
	bool has_smmu;
	uint32_t smmu_idr0, smmu_httu;
	bool smmu_s1p, smmu_s2p, smmu_coherent;
	bool has_precise_cap;		/* the kernel reports precise_cap (else unknown) */
	bool precise_cap;		/* its IOMMU can track precisely (split IOPTEs) */
};

typedef int (*iommudirty_domain_fn)(const struct iommudirty_domain *d, void *arg);
typedef int (*iommudirty_dev_fn)(const struct iommudirty_dev *dev, void *arg);

/* Every domain, or the one with @id (-ENOENT if none). */
IOMMUDIRTY_API int iommudirty_domains(struct iommudirty *h, iommudirty_domain_fn fn,
				      void *arg);
IOMMUDIRTY_API int iommudirty_domain_get(struct iommudirty *h, uint64_t id,
					 iommudirty_domain_fn fn, void *arg);
/* Every device bound to iommufd, or the one named @name (-ENODEV if none). */
IOMMUDIRTY_API int iommudirty_devs(struct iommudirty *h, iommudirty_dev_fn fn, void *arg);
IOMMUDIRTY_API int iommudirty_dev_get(struct iommudirty *h, const char *name,
				      iommudirty_dev_fn fn, void *arg);

/* One area mapped in the IOAS of a domain (map-get). */
struct iommudirty_map {
	uint64_t iova;
	uint64_t length;		/* bytes */
	bool writable;			/* only writable areas can be dirtied */
};

typedef int (*iommudirty_map_fn)(const struct iommudirty_map *m, void *arg);

/*
 * Every area mapped in domain @id's IOAS, in IOVA order, adjacent areas
 * apart as they were mapped (-ENOENT if no such domain). A domain whose
 * owner maps or unmaps meanwhile is listed as the kernel finds it.
 */
IOMMUDIRTY_API int iommudirty_maps(struct iommudirty *h, uint64_t id, iommudirty_map_fn fn,
				   void *arg);

/* The longest lease name, in bytes (the kernel's IOMMU_DIRTY_LEASE_NAME_MAX_LEN). */
#define IOMMUDIRTY_LEASE_NAME_MAX 31

/*
 * Start (or renew) observing domain @id: as lease @name for @lifetime
 * seconds (0: the kernel's default, an hour), or, with @name NULL, bound
 * to this handle's socket until iommudirty_close(). @fn, if not NULL, gets
 * the domain as it is afterwards. Needs CAP_SYS_ADMIN.
 */
IOMMUDIRTY_API int iommudirty_observe(struct iommudirty *h, uint64_t id, const char *name,
				      uint32_t lifetime, iommudirty_domain_fn fn, void *arg);

struct iommudirty_observe_opts {
	size_t sz;			/* sizeof(struct iommudirty_observe_opts) */
	const char *name;		/* lease name; NULL: bound to this handle's socket */
	uint32_t lifetime;		/* a lease's seconds; 0: the kernel's default */
	uint32_t flags;			/* IOMMUDIRTY_OBSERVE_* */
};

/*
 * Ask for precise tracking: the domain's huge IOPTEs are split while any
 * observer that asked remains. -EOPNOTSUPP (and why in errmsg) when the
 * domain's driver cannot; the observer is then not started. -EPROTO when
 * the kernel's reply says the domain is not precise after all.
 */
#define IOMMUDIRTY_OBSERVE_PRECISE (1u << 0)

/* iommudirty_observe() with options; @opts NULL: as iommudirty_observe(h, id, NULL, 0, ...) */
IOMMUDIRTY_API int iommudirty_observe_opts(struct iommudirty *h, uint64_t id,
					   const struct iommudirty_observe_opts *opts,
					   iommudirty_domain_fn fn, void *arg);
IOMMUDIRTY_API int iommudirty_unobserve(struct iommudirty *h, uint64_t id, const char *name,
					iommudirty_domain_fn fn, void *arg);

/* How bitmap-get sends the pages (the family's bitmap-format) */
enum iommudirty_format {
	IOMMUDIRTY_FORMAT_RAW,		/* bitmap chunks, clean pages too (the default) */
	IOMMUDIRTY_FORMAT_EXTENTS,	/* runs of dirty pages only */
	IOMMUDIRTY_FORMAT_ADAPTIVE,	/* each chunk as either, whichever is smaller */
};

struct iommudirty_read_opts {
	size_t sz;			/* sizeof(struct iommudirty_read_opts) */
	const char *name;		/* lease to read as; NULL: this socket's observer */
	uint64_t iova, length;		/* length 0: the whole domain */
	uint64_t page_size;		/* 0: the domain's smallest page */
	bool no_clear;			/* peek */
	uint32_t format;		/* enum iommudirty_format */
};

/* A raw chunk: bit n of @bits (64-bit words, host order) is page @iova + n * page_size. */
struct iommudirty_chunk {
	uint64_t iova;
	uint64_t page_size;
	uint32_t pages;
	const uint64_t *bits;
};

struct iommudirty_read_cbs {
	size_t sz;			/* sizeof(struct iommudirty_read_cbs) */
	/*
	 * Each chunk sent as bits: all of them in the raw format, the dense
	 * ones in adaptive, none in extents; may be NULL
	 */
	int (*chunk)(const struct iommudirty_chunk *c, void *arg);
	/*
	 * Each run of dirty pages not handed to chunk: with chunk NULL, every
	 * dirty page in every format. In IOVA order, interleaved with the
	 * chunks; a run may end where the next chunk begins, but never where
	 * the next run begins. May be NULL.
	 */
	int (*run)(uint64_t iova, uint64_t pages, uint64_t page_size, void *arg);
};

/*
 * Read domain @id's dirty pages as an observer (bitmap-get). @opts and
 * @cbs may be NULL (defaults; no callbacks: the pages are only cleared).
 * -EINVAL if either's sz is smaller than a size_t or it sets bytes past
 * the fields this library knows.
 */
IOMMUDIRTY_API int iommudirty_read(struct iommudirty *h, uint64_t id,
				   const struct iommudirty_read_opts *opts,
				   const struct iommudirty_read_cbs *cbs, void *arg);

enum iommudirty_event {
	IOMMUDIRTY_EVENT_DOMAIN_ADD = 1,
	IOMMUDIRTY_EVENT_DOMAIN_DEL,
	IOMMUDIRTY_EVENT_DOMAIN_CHANGE,
};

IOMMUDIRTY_API const char *iommudirty_event_name(enum iommudirty_event ev);

typedef int (*iommudirty_event_fn)(enum iommudirty_event ev, const struct iommudirty_domain *d,
				   void *arg);

/*
 * Join the monitor group on this handle (use a handle for monitoring
 * only), then poll iommudirty_monitor_fd() and call
 * iommudirty_monitor_dispatch(), which hands every queued notification to
 * @fn without blocking and returns 0 once none is left, or -errno.
 * -ENOBUFS from dispatch: notifications were lost (the socket overran);
 * dump again to resynchronise. @fn returns 0 to go on; non-zero stops the
 * dispatch, which returns a negative value as it is and 0 for a positive
 * one (the notifications not yet read stay queued).
 *
 * monitor_start raises the receive buffer to 4 MiB with SO_RCVBUFFORCE
 * (CAP_NET_ADMIN, which joining the group needs anyway), or SO_RCVBUF up
 * to net.core.rmem_max without it, and fails with -ENOBUFS if the kernel
 * granted less.
 */
IOMMUDIRTY_API int iommudirty_monitor_start(struct iommudirty *h);
/*
 * Set the handle's receive buffer to @bytes (at least 1) instead, like
 * iproute2's -rcvbuf: a monitor that must hold more than 4 MiB of bursts,
 * or less to see an overrun sooner. The same rules as monitor_start:
 * -ENOBUFS if the kernel granted less than asked, -EINVAL for @bytes < 1.
 */
IOMMUDIRTY_API int iommudirty_set_rcvbuf(struct iommudirty *h, int bytes);
IOMMUDIRTY_API int iommudirty_monitor_fd(const struct iommudirty *h);
IOMMUDIRTY_API int iommudirty_monitor_dispatch(struct iommudirty *h, iommudirty_event_fn fn,
					       void *arg);

#ifdef __cplusplus
}
#endif

#endif
