// SPDX-License-Identifier: GPL-2.0
#include "iommufd.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommufd_test.h"

static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

int iommufd_open(void)
{
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int iommufd_ioas_alloc(int fd, uint32_t *ioas_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc = xioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	if (!rc)
		*ioas_id = cmd.out_ioas_id;
	return rc;
}

int iommufd_ioas_map_fixed(int fd, uint32_t ioas_id, void *buf, uint64_t len,
			   uint64_t iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = iova,
	};

	return xioctl(fd, IOMMU_IOAS_MAP, &cmd);
}

int iommufd_ioas_unmap(int fd, uint32_t ioas_id, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd), .ioas_id = ioas_id, .iova = iova,
		.length = len,
	};

	return xioctl(fd, IOMMU_IOAS_UNMAP, &cmd);
}

int iommufd_hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags,
		       uint32_t *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = flags, .dev_id = dev_id,
		.pt_id = pt_id,
	};
	int rc = xioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!rc)
		*hwpt_id = cmd.out_hwpt_id;
	return rc;
}

int iommufd_set_dirty_tracking(int fd, uint32_t hwpt_id, int enable)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = enable ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = hwpt_id,
	};

	return xioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

int iommufd_get_dirty_bitmap(int fd, uint32_t hwpt_id, uint64_t iova,
			     uint64_t len, uint64_t page_size, uint64_t *bitmap,
			     uint32_t flags)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd), .hwpt_id = hwpt_id, .flags = flags,
		.iova = iova, .length = len, .page_size = page_size,
		.data = (uintptr_t)bitmap,
	};

	return xioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

int iommufd_destroy(int fd, uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return xioctl(fd, IOMMU_DESTROY, &cmd);
}

int iommufd_hw_info(int fd, uint32_t dev_id, void *data, uint32_t data_len,
		    uint32_t *type, uint64_t *caps)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd), .dev_id = dev_id, .data_len = data_len,
		.data_uptr = (uintptr_t)data,
	};
	int rc = xioctl(fd, IOMMU_GET_HW_INFO, &cmd);

	if (!rc) {
		*type = cmd.out_data_type;
		*caps = cmd.out_capabilities;
	}
	return rc;
}

int mock_domain(int fd, uint32_t pt_id, uint32_t *stdev_id, uint32_t *hwpt_id,
		uint32_t *idev_id)
{
	return mock_domain_flags(fd, pt_id, 0, stdev_id, hwpt_id, idev_id);
}

int mock_domain_flags(int fd, uint32_t pt_id, uint32_t dev_flags, uint32_t *stdev_id,
		      uint32_t *hwpt_id, uint32_t *idev_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .id = pt_id,
		.op = dev_flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS : IOMMU_TEST_OP_MOCK_DOMAIN,
		.mock_domain_flags = { .dev_flags = dev_flags },
	};
	int rc = xioctl(fd, IOMMU_TEST_CMD, &cmd);

	if (!rc) {
		*stdev_id = cmd.mock_domain_flags.out_stdev_id;
		*hwpt_id = cmd.mock_domain_flags.out_hwpt_id;
		*idev_id = cmd.mock_domain_flags.out_idev_id;
	}
	return rc;
}

int mock_domain_replace(int fd, uint32_t stdev_id, uint32_t pt_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev_id, .mock_domain_replace = { .pt_id = pt_id },
	};

	return xioctl(fd, IOMMU_TEST_CMD, &cmd);
}

int mock_set_dirty(int fd, uint32_t hwpt_id, uint64_t iova, uint64_t len,
		   uint64_t page_size, const uint64_t *bitmap, uint64_t *nr_dirty)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd), .op = IOMMU_TEST_OP_DIRTY, .id = hwpt_id,
		.dirty = { .iova = iova, .length = len, .page_size = page_size,
			   .uptr = (uintptr_t)bitmap },
	};
	int rc = xioctl(fd, IOMMU_TEST_CMD, &cmd);

	if (!rc && nr_dirty)
		*nr_dirty = cmd.dirty.out_nr_dirty;
	return rc;
}

void *mock_buffer(uint64_t size, bool huge, const char **step)
{
	void *buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | (huge ? MAP_HUGETLB : 0),
			 -1, 0);

	*step = huge ? "mmap(MAP_HUGETLB) (see /proc/sys/vm/nr_hugepages)" : "mmap";
	return buf == MAP_FAILED ? NULL : buf;
}

bool mock_size_fits(uint64_t size, uint64_t unit)
{
	return size && !(size % unit) &&
	       size <= (uint64_t)MOCK_APERTURE_LAST + 1 - MOCK_APERTURE_START;
}

int mock_dirty_domain_create(int fd, void *buf, uint64_t size, uint64_t chunk,
			     bool dirty_alloc, struct mock_dirty_domain *d,
			     const char **step)
{
	return mock_dirty_domain_create_flags(fd, buf, size, chunk, dirty_alloc, 0, d, step);
}

int mock_dirty_domain_create_flags(int fd, void *buf, uint64_t size, uint64_t chunk,
				   bool dirty_alloc, uint32_t dev_flags,
				   struct mock_dirty_domain *d, const char **step)
{
	uint32_t first_hwpt;
	int rc;

	*step = "IOMMU_IOAS_ALLOC";
	rc = iommufd_ioas_alloc(fd, &d->ioas);
	if (rc)
		return rc;
	*step = "IOMMU_TEST_OP_MOCK_DOMAIN (is the Intel IOMMU on? mock domains need --iommu none)";
	rc = mock_domain_flags(fd, d->ioas, dev_flags, &d->stdev, &first_hwpt, &d->idev);
	if (rc)
		return rc;
	*step = "IOMMU_HWPT_ALLOC";
	rc = iommufd_hwpt_alloc(fd, d->idev, d->ioas,
				dirty_alloc ? IOMMU_HWPT_ALLOC_DIRTY_TRACKING : 0,
				&d->hwpt);
	if (rc)
		return rc;
	*step = "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE";
	rc = mock_domain_replace(fd, d->stdev, d->hwpt);
	if (rc)
		return rc;
	*step = "IOMMU_IOAS_MAP";
	for (uint64_t off = 0; off < size && !rc; off += chunk)
		rc = iommufd_ioas_map_fixed(fd, d->ioas, buf, chunk,
					    MOCK_APERTURE_START + off);
	return rc;
}
