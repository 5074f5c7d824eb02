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

/*
 * kselftest_harness.h gives every case 30 s (TEST_TIMEOUT_DEFAULT, not
 * overridable) before it kills it as hung: a speed assumption that the
 * debug kernel under TCG breaks (iommufd_fail_nth's map_domain, device).
 * A hang guard of 10 minutes a case keeps the guard without the
 * assumption; tests/vm/run's timeout bounds the whole run.
 */
#include <unistd.h>
#define alarm(seconds) alarm((seconds) ? 600 : 0)
