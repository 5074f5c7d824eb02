/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Thin wrappers over the iommufd ioctls the test owners use. Each returns 0
 * or -errno, so callers can both assert success and expect a refusal.
 */
#ifndef TESTS_TOOLS_IOMMUFD_H
#define TESTS_TOOLS_IOMMUFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/iommufd.h>

int iommufd_open(void);
int iommufd_ioas_alloc(int fd, uint32_t *ioas_id);
int iommufd_ioas_map_fixed(int fd, uint32_t ioas_id, void *buf, uint64_t len,
			   uint64_t iova);
int iommufd_ioas_unmap(int fd, uint32_t ioas_id, uint64_t iova, uint64_t len);
int iommufd_hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags,
		       uint32_t *hwpt_id);
int iommufd_set_dirty_tracking(int fd, uint32_t hwpt_id, int enable);
int iommufd_get_dirty_bitmap(int fd, uint32_t hwpt_id, uint64_t iova,
			     uint64_t len, uint64_t page_size, uint64_t *bitmap,
			     uint32_t flags);
int iommufd_destroy(int fd, uint32_t id);
int iommufd_hw_info(int fd, uint32_t dev_id, void *data, uint32_t data_len,
		    uint32_t *type, uint64_t *caps);

/* CONFIG_IOMMUFD_TEST mock objects (drivers/iommu/iommufd/iommufd_test.h) */
int mock_domain(int fd, uint32_t pt_id, uint32_t *stdev_id, uint32_t *hwpt_id,
		uint32_t *idev_id);
/* With @dev_flags (MOCK_FLAGS_DEVICE_*) the device asks for more of the mock */
int mock_domain_flags(int fd, uint32_t pt_id, uint32_t dev_flags, uint32_t *stdev_id,
		      uint32_t *hwpt_id, uint32_t *idev_id);
int mock_domain_replace(int fd, uint32_t stdev_id, uint32_t pt_id);
int mock_set_dirty(int fd, uint32_t hwpt_id, uint64_t iova, uint64_t len,
		   uint64_t page_size, const uint64_t *bitmap, uint64_t *nr_dirty);

/*
 * A populated buffer of @size bytes to map, from hugetlb pages if @huge
 * (for MOCK_FLAGS_DEVICE_HUGE_IOVA). NULL with errno set on failure, and
 * *@step naming what failed.
 */
void *mock_buffer(uint64_t size, bool huge, const char **step);

/* @size bytes, a multiple of @unit, fit the mock's aperture. */
bool mock_size_fits(uint64_t size, uint64_t unit);

/* The objects of one mock domain set up by mock_dirty_domain_create(). */
/* The mock's huge IOPTE: 512 of its pages (MOCK_HUGE_PAGE_SIZE) */
#define MOCK_HUGE_PAGES 512

struct mock_dirty_domain {
	uint32_t ioas, stdev, idev, hwpt;
};

/*
 * An IOAS, a mock device, and a paging domain (allocated with
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING if @dirty_alloc) the device is moved to,
 * with [MOCK_APERTURE_START, + @size) mapped by @buf of @chunk bytes again
 * and again. Returns 0 or -errno with *@step naming the failed ioctl.
 */
int mock_dirty_domain_create(int fd, void *buf, uint64_t size, uint64_t chunk,
			     bool dirty_alloc, struct mock_dirty_domain *d,
			     const char **step);
/*
 * The same with a device of @dev_flags: MOCK_FLAGS_DEVICE_HUGE_IOVA makes
 * the domain map 1 MiB IOPTEs where @buf is hugetlb-backed and the IOVA
 * 1 MiB aligned (MOCK_APERTURE_START is).
 */
int mock_dirty_domain_create_flags(int fd, void *buf, uint64_t size, uint64_t chunk,
				   bool dirty_alloc, uint32_t dev_flags,
				   struct mock_dirty_domain *d, const char **step);

#endif
