/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The iommufd selftest shipped in linux-source 6.12.117 uses a few uapi and
 * mock names that stable backports brought to the test but not to the
 * headers (stable-tree skew). These defines let it build unchanged; the
 * cases that need the missing kernel behaviour fail and are left out of
 * tests/selftest/expected-pass.txt.
 */
#define IOMMU_HW_INFO_TYPE_DEFAULT 0
#define IOMMU_HW_INFO_FLAG_INPUT_TYPE (1 << 0)
#define MOCK_FLAGS_DEVICE_PASID (1 << 2)
#define MOCK_PASID_WIDTH 20
#define in_data_type out_data_type
