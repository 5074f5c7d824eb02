// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * From iommu-dirty attributes to the structs of iommudirty.h. Kept apart
 * from the socket code so unit tests can feed it messages built on the
 * host.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/iommu_dirty.h>

#include "internal.h"

uint64_t iommudirty_get_uint(const struct nlattr *a)
{
	return nla_len(a) == 4 ? nla_get_u32(a) : nla_get_u64(a);
}

void iommudirty_scratch_free(struct iommudirty_scratch *s)
{
	free(s->devs);
	free(s->obs);
	free(s->gran);
	memset(s, 0, sizeof(*s));
}

/* Room for one more element in *@array of *@cap elements of @size bytes. */
static int grow(void *array, unsigned int *cap, unsigned int used, size_t size)
{
	void **p = array;
	unsigned int n = *cap ? *cap * 2 : 8;
	void *q;

	if (used < *cap)
		return 0;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* A string attribute must hold its NUL within its payload. */
static const char *get_str(const struct nlattr *a)
{
	int len = nla_len(a);

	if (len <= 0 || ((const char *)nla_data(a))[len - 1])
		return NULL;
	return nla_data(a);
}

/* An optional string: "" when absent, NULL when malformed. */
static const char *opt_str(struct nlattr **tb, int type)
{
	return tb[type] ? get_str(tb[type]) : "";
}

static uint64_t opt_uint(struct nlattr **tb, int type)
{
	return tb[type] ? iommudirty_get_uint(tb[type]) : 0;
}

static uint32_t opt_u32(struct nlattr **tb, int type)
{
	return tb[type] && nla_len(tb[type]) >= 4 ? nla_get_u32(tb[type]) : 0;
}

static bool opt_u8(struct nlattr **tb, int type)
{
	return tb[type] && nla_len(tb[type]) >= 1 && nla_get_u8(tb[type]);
}

static int parse_observer(struct nlattr *nest, struct iommudirty_observer *o)
{
	struct nlattr *tb[IOMMU_DIRTY_A_OBSERVER_MAX + 1];

	if (nla_parse_nested(tb, IOMMU_DIRTY_A_OBSERVER_MAX, nest, NULL))
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	o->name = tb[IOMMU_DIRTY_A_OBSERVER_NAME] ? get_str(tb[IOMMU_DIRTY_A_OBSERVER_NAME]) : NULL;
	o->comm = opt_str(tb, IOMMU_DIRTY_A_OBSERVER_COMM);
	if (!o->comm)
		return -EINVAL;
	o->pid = opt_u32(tb, IOMMU_DIRTY_A_OBSERVER_PID);
	o->since_ns = opt_uint(tb, IOMMU_DIRTY_A_OBSERVER_SINCE);
	o->expires_ns = opt_uint(tb, IOMMU_DIRTY_A_OBSERVER_EXPIRES);
	o->reads = opt_uint(tb, IOMMU_DIRTY_A_OBSERVER_READS);
	o->dirty_pages = opt_uint(tb, IOMMU_DIRTY_A_OBSERVER_DIRTY_PAGES);
	o->pending_bytes = opt_uint(tb, IOMMU_DIRTY_A_OBSERVER_PENDING_BYTES);
	o->overflow = opt_u8(tb, IOMMU_DIRTY_A_OBSERVER_OVERFLOW);
	o->precise = opt_u8(tb, IOMMU_DIRTY_A_OBSERVER_PRECISE);
	return 0;
}

static int parse_gran(struct nlattr *nest, struct iommudirty_gran *g)
{
	struct nlattr *tb[IOMMU_DIRTY_A_GRAN_MAX + 1];

	if (nla_parse_nested(tb, IOMMU_DIRTY_A_GRAN_MAX, nest, NULL) ||
	    !tb[IOMMU_DIRTY_A_GRAN_PAGE_SIZE])
		return -EINVAL;
	g->page_size = iommudirty_get_uint(tb[IOMMU_DIRTY_A_GRAN_PAGE_SIZE]);
	g->owner_records = opt_uint(tb, IOMMU_DIRTY_A_GRAN_OWNER_RECORDS);
	g->owner_bytes = opt_uint(tb, IOMMU_DIRTY_A_GRAN_OWNER_BYTES);
	g->observer_records = opt_uint(tb, IOMMU_DIRTY_A_GRAN_OBSERVER_RECORDS);
	g->observer_bytes = opt_uint(tb, IOMMU_DIRTY_A_GRAN_OBSERVER_BYTES);
	return 0;
}

/* The multi-attrs: every dev and observer, in order. */
static int parse_domain_lists(struct nlattr *head, int len, struct iommudirty_domain *d,
			      struct iommudirty_scratch *s)
{
	unsigned int ndev = 0, nobs = 0, ngran = 0;
	struct nlattr *a;
	int rem, rc;

	nla_for_each_attr(a, head, len, rem) {
		if (nla_type(a) == IOMMU_DIRTY_A_DOMAIN_DEV) {
			rc = grow(&s->devs, &s->devs_cap, ndev, sizeof(*s->devs));
			if (rc)
				return rc;
			s->devs[ndev] = get_str(a);
			if (!s->devs[ndev++])
				return -EINVAL;
		} else if (nla_type(a) == IOMMU_DIRTY_A_DOMAIN_OBSERVER) {
			rc = grow(&s->obs, &s->obs_cap, nobs, sizeof(*s->obs));
			if (rc)
				return rc;
			rc = parse_observer(a, &s->obs[nobs++]);
			if (rc)
				return rc;
		} else if (nla_type(a) == IOMMU_DIRTY_A_DOMAIN_GRANULARITY) {
			rc = grow(&s->gran, &s->gran_cap, ngran, sizeof(*s->gran));
			if (rc)
				return rc;
			rc = parse_gran(a, &s->gran[ngran++]);
			if (rc)
				return rc;
		}
	}
	d->gran_priv = s->gran;
	d->n_gran = ngran;
	d->devs = s->devs;
	d->n_devs = ndev;
	d->observers_priv = s->obs;
	d->n_observers = nobs;
	return 0;
}

int iommudirty_parse_domain(struct nlattr *head, int len, struct iommudirty_domain *d,
			    struct iommudirty_scratch *s)
{
	struct nlattr *tb[IOMMU_DIRTY_A_DOMAIN_MAX + 1];

	memset(d, 0, sizeof(*d));
	if (nla_parse(tb, IOMMU_DIRTY_A_DOMAIN_MAX, head, len, NULL) ||
	    !tb[IOMMU_DIRTY_A_DOMAIN_ID])
		return -EINVAL;
	d->id = iommudirty_get_uint(tb[IOMMU_DIRTY_A_DOMAIN_ID]);
	d->owner_comm = opt_str(tb, IOMMU_DIRTY_A_DOMAIN_OWNER_COMM);
	if (!d->owner_comm)
		return -EINVAL;
	d->owner_pid = opt_u32(tb, IOMMU_DIRTY_A_DOMAIN_OWNER_PID);
	d->hwpt_id = opt_u32(tb, IOMMU_DIRTY_A_DOMAIN_HWPT_ID);
	d->ioas_id = opt_u32(tb, IOMMU_DIRTY_A_DOMAIN_IOAS_ID);
	d->mapped_bytes = opt_uint(tb, IOMMU_DIRTY_A_DOMAIN_MAPPED_BYTES);
	d->pgsize_bitmap = opt_uint(tb, IOMMU_DIRTY_A_DOMAIN_PGSIZE_BITMAP);
	d->dirty_alloc = opt_u8(tb, IOMMU_DIRTY_A_DOMAIN_DIRTY_ALLOC);
	d->tracking = opt_u8(tb, IOMMU_DIRTY_A_DOMAIN_TRACKING);
	d->owner_tracking = opt_u8(tb, IOMMU_DIRTY_A_DOMAIN_OWNER_TRACKING);
	d->mechanism = opt_u32(tb, IOMMU_DIRTY_A_DOMAIN_MECHANISM);
	d->consumers = opt_u32(tb, IOMMU_DIRTY_A_DOMAIN_CONSUMERS);
	d->harvests = opt_uint(tb, IOMMU_DIRTY_A_DOMAIN_HARVESTS);
	d->dirty_pages = opt_uint(tb, IOMMU_DIRTY_A_DOMAIN_DIRTY_PAGES);
	d->last_harvest_ns = opt_uint(tb, IOMMU_DIRTY_A_DOMAIN_LAST_HARVEST);
	d->created_ns = opt_uint(tb, IOMMU_DIRTY_A_DOMAIN_CREATED);
	d->observer_reads = opt_uint(tb, IOMMU_DIRTY_A_DOMAIN_OBSERVER_READS);
	d->aperture_start = opt_uint(tb, IOMMU_DIRTY_A_DOMAIN_APERTURE_START);
	d->aperture_end = opt_uint(tb, IOMMU_DIRTY_A_DOMAIN_APERTURE_END);
	d->has_precise = tb[IOMMU_DIRTY_A_DOMAIN_PRECISE] != NULL;
	d->precise = opt_u8(tb, IOMMU_DIRTY_A_DOMAIN_PRECISE);
	d->precise_cap = opt_u8(tb, IOMMU_DIRTY_A_DOMAIN_PRECISE_CAP);
	return parse_domain_lists(head, len, d, s);
}

IOMMUDIRTY_API const struct iommudirty_observer *
iommudirty_domain_observer(const struct iommudirty_domain *d, unsigned int i)
{
	const struct iommudirty_observer *obs = d->observers_priv;

	return i < d->n_observers ? &obs[i] : NULL;
}

IOMMUDIRTY_API const struct iommudirty_gran *
iommudirty_domain_gran(const struct iommudirty_domain *d, unsigned int i)
{
	const struct iommudirty_gran *gran = d->gran_priv;

	return i < d->n_gran ? &gran[i] : NULL;
}

/* Room for a copy of @s at *p, which moves past it; "" for NULL. */
static const char *copy_string(char **p, const char *s)
{
	size_t n = strlen(s ? s : "") + 1;
	char *to = *p;

	memcpy(to, s ? s : "", n);
	*p += n;
	return to;
}

IOMMUDIRTY_API struct iommudirty_domain *iommudirty_domain_dup(const struct iommudirty_domain *d)
{
	const struct iommudirty_observer *from = d->observers_priv;
	struct iommudirty_gran *gran;
	size_t size = sizeof(*d) + d->n_gran * sizeof(struct iommudirty_gran) +
		      d->n_devs * sizeof(char *) + d->n_observers * sizeof(*from) +
		      strlen(d->owner_comm ? d->owner_comm : "") + 1;
	struct iommudirty_observer *obs;
	struct iommudirty_domain *copy;
	const char **devs;
	char *p;

	for (unsigned int i = 0; i < d->n_devs; i++)
		size += strlen(d->devs[i]) + 1;
	for (unsigned int i = 0; i < d->n_observers; i++)
		size += strlen(from[i].name ? from[i].name : "") + 1 +
			strlen(from[i].comm ? from[i].comm : "") + 1;
	copy = malloc(size);
	if (!copy)
		return NULL;
	*copy = *d;
	/* the arrays first, for their alignment; the strings after them */
	gran = (struct iommudirty_gran *)(copy + 1);
	if (d->n_gran)
		memcpy(gran, d->gran_priv, d->n_gran * sizeof(*gran));
	obs = (struct iommudirty_observer *)(gran + d->n_gran);
	devs = (const char **)(obs + d->n_observers);
	p = (char *)(devs + d->n_devs);
	copy->owner_comm = copy_string(&p, d->owner_comm);
	for (unsigned int i = 0; i < d->n_devs; i++)
		devs[i] = copy_string(&p, d->devs[i]);
	for (unsigned int i = 0; i < d->n_observers; i++) {
		obs[i] = from[i];
		obs[i].name = from[i].name ? copy_string(&p, from[i].name) : NULL;
		obs[i].comm = copy_string(&p, from[i].comm);
	}
	copy->devs = devs;
	copy->observers_priv = obs;
	copy->gran_priv = gran;
	return copy;
}

int iommudirty_opts_copy(void *dst, size_t known, const void *src)
{
	size_t user;

	memset(dst, 0, known);
	if (!src)
		return 0;
	memcpy(&user, src, sizeof(user));
	if (user < sizeof(size_t))
		return -EINVAL;
	for (size_t i = known; i < user; i++)
		if (((const unsigned char *)src)[i])
			return -EINVAL;
	memcpy(dst, src, user < known ? user : known);
	return 0;
}

int iommudirty_parse_dev(struct nlattr *head, int len, struct iommudirty_dev *dev)
{
	struct nlattr *tb[IOMMU_DIRTY_A_DEV_MAX + 1];

	memset(dev, 0, sizeof(*dev));
	if (nla_parse(tb, IOMMU_DIRTY_A_DEV_MAX, head, len, NULL) || !tb[IOMMU_DIRTY_A_DEV_NAME])
		return -EINVAL;
	dev->name = get_str(tb[IOMMU_DIRTY_A_DEV_NAME]);
	dev->owner_comm = opt_str(tb, IOMMU_DIRTY_A_DEV_OWNER_COMM);
	if (!dev->name || !dev->owner_comm)
		return -EINVAL;
	dev->dev_id = opt_u32(tb, IOMMU_DIRTY_A_DEV_DEV_ID);
	dev->owner_pid = opt_u32(tb, IOMMU_DIRTY_A_DEV_OWNER_PID);
	dev->domain_id = opt_uint(tb, IOMMU_DIRTY_A_DEV_DOMAIN_ID);
	dev->iommu_type = opt_u32(tb, IOMMU_DIRTY_A_DEV_IOMMU_TYPE);
	dev->dirty_cap = opt_u8(tb, IOMMU_DIRTY_A_DEV_DIRTY_CAP);
	dev->mechanism = opt_u32(tb, IOMMU_DIRTY_A_DEV_MECHANISM);
	dev->hw_info_type = opt_u32(tb, IOMMU_DIRTY_A_DEV_HW_INFO_TYPE);
	if (tb[IOMMU_DIRTY_A_DEV_HW_INFO]) {
		dev->hw_info = nla_data(tb[IOMMU_DIRTY_A_DEV_HW_INFO]);
		dev->hw_info_len = (uint32_t)nla_len(tb[IOMMU_DIRTY_A_DEV_HW_INFO]);
	}
	dev->has_vtd = tb[IOMMU_DIRTY_A_DEV_VTD_CAP] && tb[IOMMU_DIRTY_A_DEV_VTD_ECAP];
	dev->vtd_cap = opt_uint(tb, IOMMU_DIRTY_A_DEV_VTD_CAP);
	dev->vtd_ecap = opt_uint(tb, IOMMU_DIRTY_A_DEV_VTD_ECAP);
	dev->vtd_slads = opt_u8(tb, IOMMU_DIRTY_A_DEV_VTD_SLADS);
	dev->vtd_smts = opt_u8(tb, IOMMU_DIRTY_A_DEV_VTD_SMTS);
	dev->has_amd = tb[IOMMU_DIRTY_A_DEV_AMD_EFR] != NULL;
	dev->amd_efr = opt_uint(tb, IOMMU_DIRTY_A_DEV_AMD_EFR);
	dev->amd_efr2 = opt_uint(tb, IOMMU_DIRTY_A_DEV_AMD_EFR2);
	dev->amd_hdsup = opt_u8(tb, IOMMU_DIRTY_A_DEV_AMD_HDSUP);
	dev->amd_hasup = opt_u8(tb, IOMMU_DIRTY_A_DEV_AMD_HASUP);
	dev->has_smmu = tb[IOMMU_DIRTY_A_DEV_SMMU_IDR0] != NULL;
	dev->smmu_idr0 = opt_u32(tb, IOMMU_DIRTY_A_DEV_SMMU_IDR0);
	dev->smmu_httu = opt_u32(tb, IOMMU_DIRTY_A_DEV_SMMU_HTTU);
	dev->smmu_s1p = opt_u8(tb, IOMMU_DIRTY_A_DEV_SMMU_S1P);
	dev->smmu_s2p = opt_u8(tb, IOMMU_DIRTY_A_DEV_SMMU_S2P);
	dev->smmu_coherent = opt_u8(tb, IOMMU_DIRTY_A_DEV_SMMU_COHERENT);
	dev->has_precise_cap = tb[IOMMU_DIRTY_A_DEV_PRECISE_CAP] != NULL;
	dev->precise_cap = opt_u8(tb, IOMMU_DIRTY_A_DEV_PRECISE_CAP);
	return 0;
}

int iommudirty_parse_map(struct nlattr *head, int len, struct iommudirty_map *m)
{
	struct nlattr *tb[IOMMU_DIRTY_A_MAP_MAX + 1];

	memset(m, 0, sizeof(*m));
	if (nla_parse(tb, IOMMU_DIRTY_A_MAP_MAX, head, len, NULL) || !tb[IOMMU_DIRTY_A_MAP_IOVA] ||
	    !tb[IOMMU_DIRTY_A_MAP_LENGTH])
		return -EINVAL;
	m->iova = iommudirty_get_uint(tb[IOMMU_DIRTY_A_MAP_IOVA]);
	m->length = iommudirty_get_uint(tb[IOMMU_DIRTY_A_MAP_LENGTH]);
	m->writable = opt_u8(tb, IOMMU_DIRTY_A_MAP_WRITABLE);
	/* An area is never empty and never wraps */
	if (!m->length || m->iova + (m->length - 1) < m->iova)
		return -EINVAL;
	return 0;
}
