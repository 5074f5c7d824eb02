// SPDX-License-Identifier: GPL-2.0
/* devices and caps: what the IOMMU behind each device offers for dirty tracking. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "opts.h"

static void json_dev(struct json *j, const struct iommudirty_dev *d)
{
	char hex[2 * 256 + 1];
	const unsigned char *p = d->hw_info;

	json_obj_open(j, NULL);
	json_str(j, "name", d->name);
	json_u64(j, "dev_id", d->dev_id);
	json_u64(j, "owner_pid", d->owner_pid);
	json_str(j, "owner_comm", d->owner_comm);
	if (d->domain_id)
		json_u64(j, "domain_id", d->domain_id);
	cli_json_enum(j, "iommu_type", iommudirty_iommu_type_name(d->iommu_type), d->iommu_type);
	json_bool(j, "dirty_cap", d->dirty_cap);
	cli_json_enum(j, "mechanism", iommudirty_mechanism_name(d->mechanism), d->mechanism);
	if (d->has_precise_cap)
		json_bool(j, "precise_cap", d->precise_cap);
	json_u64(j, "hw_info_type", d->hw_info_type);
	if (d->hw_info_len && d->hw_info_len <= 256) {
		for (uint32_t i = 0; i < d->hw_info_len; i++)
			snprintf(hex + 2 * i, 3, "%02x", p[i]);
		json_str(j, "hw_info", hex);
	}
	if (d->has_vtd) {
		json_u64(j, "vtd_cap", d->vtd_cap);
		json_u64(j, "vtd_ecap", d->vtd_ecap);
		json_bool(j, "vtd_slads", d->vtd_slads);
		json_bool(j, "vtd_smts", d->vtd_smts);
	}
	if (d->has_amd) {
		json_u64(j, "amd_efr", d->amd_efr);
		json_u64(j, "amd_efr2", d->amd_efr2);
		json_bool(j, "amd_hdsup", d->amd_hdsup);
		json_bool(j, "amd_hasup", d->amd_hasup);
	}
	if (d->has_smmu) {
		json_u64(j, "smmu_idr0", d->smmu_idr0);
		json_u64(j, "smmu_httu", d->smmu_httu);
		json_bool(j, "smmu_s1p", d->smmu_s1p);
		json_bool(j, "smmu_s2p", d->smmu_s2p);
		json_bool(j, "smmu_coherent", d->smmu_coherent);
	}
	json_obj_close(j);
}

static int dev_row(const struct iommudirty_dev *d, void *arg)
{
	struct cli *c = arg;
	char name[TEXT_ESCAPED_SIZE(64)], comm[TEXT_ESCAPED_SIZE(64)], owner[24 + sizeof(comm)];
	char dom[24], type[24], mech[24], cell[2][sizeof(owner) + 24];

	if (c->json) {
		json_dev(&c->j, d);
		return 0;
	}
	snprintf(owner, sizeof(owner), "%u/%s", d->owner_pid,
		 text_escape(comm, sizeof(comm), d->owner_comm));
	snprintf(dom, sizeof(dom), d->domain_id ? "%llu" : "-", (unsigned long long)d->domain_id);
	text_escape(name, sizeof(name), d->name);
	printf("%s %6u  %s %6s  %-11s %-5s %s\n", text_pad(cell[0], sizeof(cell[0]), name, -20, false),
	       d->dev_id, text_pad(cell[1], sizeof(cell[1]), owner, -22, false), dom,
	       cli_iommu_type(type, sizeof(type), d->iommu_type), d->dirty_cap ? "yes" : "no",
	       cli_mechanism(mech, sizeof(mech), d->mechanism));
	return 0;
}

static int list_devices(struct cli *c, iommudirty_dev_fn fn, const char *header)
{
	int rc;

	if (c->json)
		json_arr_open(&c->j, NULL);
	else if (header)
		fputs(header, stdout);
	rc = iommudirty_devs(c->h, fn, c);
	if (c->json) {
		json_arr_close(&c->j);
		json_end(&c->j);
	}
	return rc ? cli_fail(c, rc, "cannot list devices") : EXIT_OK;
}

int cmd_devices(struct cli *c, int argc, char **argv)
{
	static const struct argp argp = {
		NULL, cli_collect, "",
		"Devices bound to iommufd: who bound them, the domain they are attached "
		"to, their IOMMU and whether it can track dirty pages for them.",
		NULL, NULL, NULL
	};
	struct cli_args a = { 0 };
	char header[128];
	int rc = cli_parse(c, &argp, argc, argv, &a);

	if (rc)
		return rc;
	if (a.argc)
		return cli_usage(c, "unexpected argument '%s'", a.argv[0]);
	rc = cli_need_caps(c, false) ?: cli_connect(c);
	if (rc)
		return rc;
	snprintf(header, sizeof(header), "%-20s %6s  %-22s %6s  %-11s %-5s %s\n", "DEVICE", "DEV-ID",
		 "OWNER", "DOMAIN", "IOMMU", "DIRTY", "MECHANISM");
	return list_devices(c, dev_row, header);
}

/*
 * Whether `enable --precise` can work for the device, and if not why: the
 * kernel says whether its IOMMU offers it (IOMMU_CAP_DIRTY_PRECISE); the
 * reasons are what each IOMMU would need.
 */
static const char *precise_why(const struct iommudirty_dev *d)
{
	const char *type;

	if (!d->has_precise_cap)
		return "unknown: this kernel does not report it";
	if (d->precise_cap)
		return "possible";
	if (!d->dirty_cap)
		return "no: the IOMMU cannot track dirty pages for it at all";
	type = iommudirty_iommu_type_name(d->iommu_type);
	if (!strcmp(type, "arm-smmuv3"))
		return "no: its SMMU does not promise to change a live block's size without "
		       "break-before-make (SMMU_IDR3.BBML level 2)";
	if (!strcmp(type, "intel-vtd") || !strcmp(type, "amd"))
		return "no: its driver cannot change an IOPTE's size under DMA without a "
		       "window that loses dirty bits";
	return "no: its driver does not offer it";
}

/* The evidence behind a device's dirty capability, in words. */
static int caps_text(const struct iommudirty_dev *d, void *arg)
{
	struct cli *c = arg;
	char name[TEXT_ESCAPED_SIZE(64)], type[24], mech[24];

	if (c->json) {
		json_dev(&c->j, d);
		return 0;
	}
	printf("%s: %s IOMMU, dirty tracking %s", text_escape(name, sizeof(name), d->name),
	       cli_iommu_type(type, sizeof(type), d->iommu_type),
	       d->dirty_cap ? "supported" : "not supported");
	printf(d->dirty_cap ? " (%s)\n" : "\n", cli_mechanism(mech, sizeof(mech), d->mechanism));
	if (d->has_vtd)
		printf("  VT-d ecap.SLADS %d (second-stage accessed/dirty bits), ecap.SMTS %d "
		       "(scalable mode); cap 0x%llx ecap 0x%llx\n", d->vtd_slads, d->vtd_smts,
		       (unsigned long long)d->vtd_cap, (unsigned long long)d->vtd_ecap);
	if (d->has_amd)
		printf("  AMD EFR.HDSup %d (host dirty), EFR.HASup %d (host access); "
		       "EFR 0x%llx EFR2 0x%llx\n", d->amd_hdsup, d->amd_hasup,
		       (unsigned long long)d->amd_efr, (unsigned long long)d->amd_efr2);
	if (d->has_smmu)
		printf("  SMMUv3 IDR0.HTTU %u (2: access and dirty), S1P %d, S2P %d, COHACC %d; "
		       "IDR0 0x%x\n", d->smmu_httu, d->smmu_s1p, d->smmu_s2p, d->smmu_coherent,
		       d->smmu_idr0);
	printf("  precise tracking (huge IOPTEs split while asked for): %s\n", precise_why(d));
	return 0;
}

struct domain_devs {
	struct cli *c;
	uint64_t id;
};

static int caps_of_domain_dev(const struct iommudirty_dev *d, void *arg)
{
	struct domain_devs *dd = arg;

	return d->domain_id == dd->id ? caps_text(d, dd->c) : 0;
}

static int domain_caps(const struct iommudirty_domain *d, void *arg)
{
	struct cli *c = arg;
	char mech[24];

	/* JSON: the devices alone, an array as for every other caps; `show -j` has the domain */
	if (c->json)
		return 0;
	printf("domain %llu: %s, %s\n", (unsigned long long)d->id,
	       cli_mechanism(mech, sizeof(mech), d->mechanism),
	       d->dirty_alloc ? "allocated for dirty tracking" :
	       "not allocated for dirty tracking: it cannot track, whatever its devices offer");
	return 0;
}

int cmd_caps(struct cli *c, int argc, char **argv)
{
	static const struct argp argp = {
		NULL, cli_collect, "[DOMAIN | DEVICE]",
		"Whether dirty tracking is possible, and the hardware evidence (VT-d "
		"SLADS, AMD HDSup, SMMUv3 HTTU): for every device, one device, or a "
		"domain and its devices.\v"
		"DOMAIN := " CLI_DOMAIN_SYNTAX "; anything else names a device.",
		NULL, NULL, NULL
	};
	struct cli_args a = { 0 };
	struct domain_devs dd = { .c = c };
	uint64_t v;
	int i = 0, rc = cli_parse(c, &argp, argc, argv, &a);

	if (rc)
		return rc;
	rc = cli_need_caps(c, false) ?: cli_connect(c);
	if (rc)
		return rc;
	if (!a.argc)
		return list_devices(c, caps_text, NULL);
	if (parse_u64(a.argv[0], &v) && strcmp(a.argv[0], "pid") && strcmp(a.argv[0], "dev")) {
		if (a.argc > 1)
			return cli_usage(c, "unexpected argument '%s'", a.argv[1]);
		if (c->json)
			json_arr_open(&c->j, NULL);
		rc = iommudirty_dev_get(c->h, a.argv[0], caps_text, c);
		if (c->json) {
			json_arr_close(&c->j);
			json_end(&c->j);
		}
		if (rc == -ENODEV || rc == -ENOENT) {
			char name[TEXT_ESCAPED_SIZE(64)];

			fprintf(stderr, "iommu-dirtyctl %s: no such device %s\n", c->cmd,
				text_escape(name, sizeof(name), a.argv[0]));
			return EXIT_NO_ENTRY;
		}
		return rc ? cli_fail(c, rc, "device %s", a.argv[0]) : EXIT_OK;
	}
	rc = cli_select_domain(c, a.argc, a.argv, &i, &dd.id);
	if (rc)
		return rc;
	if (i < a.argc)
		return cli_usage(c, "unexpected argument '%s'", a.argv[i]);
	rc = iommudirty_domain_get(c->h, dd.id, domain_caps, c);
	if (rc)
		return cli_fail_domain(c, rc, dd.id, "domain %llu", (unsigned long long)dd.id);
	if (c->json)
		json_arr_open(&c->j, NULL);
	rc = iommudirty_devs(c->h, caps_of_domain_dev, &dd);
	if (c->json) {
		json_arr_close(&c->j);
		json_end(&c->j);
	}
	return rc ? cli_fail(c, rc, "cannot list the devices of domain %llu",
			     (unsigned long long)dd.id) : EXIT_OK;
}
