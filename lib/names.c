// SPDX-License-Identifier: LGPL-2.1-or-later
/* Names of the family's enums, as the spec spells them, and the version. */
#include <linux/iommu_dirty.h>

#include "iommudirty.h"

#define NAME(table, i) ((i) < sizeof(table) / sizeof(table[0]) && table[i] ? table[i] : "?")

IOMMUDIRTY_API const char *iommudirty_mechanism_name(uint32_t mechanism)
{
	static const char *const names[] = {
		[IOMMU_DIRTY_MECHANISM_NONE] = "none",
		[IOMMU_DIRTY_MECHANISM_MOCK] = "mock",
		[IOMMU_DIRTY_MECHANISM_INTEL_SSADS] = "intel-ssads",
		[IOMMU_DIRTY_MECHANISM_AMD_HD] = "amd-hd",
		[IOMMU_DIRTY_MECHANISM_ARM_SMMUV3_HTTU] = "arm-smmuv3-httu",
	};

	return NAME(names, mechanism);
}

IOMMUDIRTY_API const char *iommudirty_iommu_type_name(uint32_t type)
{
	static const char *const names[] = {
		[IOMMU_DIRTY_IOMMU_TYPE_UNKNOWN] = "unknown",
		[IOMMU_DIRTY_IOMMU_TYPE_MOCK] = "mock",
		[IOMMU_DIRTY_IOMMU_TYPE_INTEL_VTD] = "intel-vtd",
		[IOMMU_DIRTY_IOMMU_TYPE_AMD] = "amd",
		[IOMMU_DIRTY_IOMMU_TYPE_ARM_SMMUV3] = "arm-smmuv3",
	};

	return NAME(names, type);
}

IOMMUDIRTY_API const char *iommudirty_event_name(enum iommudirty_event ev)
{
	static const char *const names[] = {
		[IOMMUDIRTY_EVENT_DOMAIN_ADD] = "domain-add",
		[IOMMUDIRTY_EVENT_DOMAIN_DEL] = "domain-del",
		[IOMMUDIRTY_EVENT_DOMAIN_CHANGE] = "domain-change",
	};

	return NAME(names, (unsigned int)ev);
}

IOMMUDIRTY_API const char *iommudirty_version(void)
{
	return IOMMUDIRTY_VERSION;
}
