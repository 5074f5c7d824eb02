// SPDX-License-Identifier: GPL-2.0
/*
 * vfio-owner: plays a VMM that passes a real PCI device through with
 * iommufd: binds it to vfio-pci, opens its cdev under /dev/vfio/devices,
 * binds it to an iommufd, reads IOMMU_GET_HW_INFO, attaches it to an IOAS
 * (the kernel allocates a paging domain of the vendor driver), maps memory,
 * and tries to allocate a domain with IOMMU_HWPT_ALLOC_DIRTY_TRACKING.
 *
 * It prints what it found (text or JSON) and, with --hold, keeps the domain
 * until SIGTERM/SIGINT. Exit status: 0 done, 2 bad usage, 3 a step failed.
 */
#include <argp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "iommufd.h"
#include "opts.h"

static struct config {
	const char *bdf;
	uint64_t size, iova;
	bool bind, hold, json;
} cfg = { .bdf = "0000:00:05.0", .size = 1 << 20, .iova = 1 << 20 };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const struct argp_option options[] = {
	{ "device", 'd', "BDF", 0, "PCI device (default 0000:00:05.0)", 0 },
	{ "bind", 'b', NULL, 0, "First bind the device to vfio-pci (driver_override)", 0 },
	{ "size", 's', "SIZE", 0, "Bytes to map (default 1M)", 0 },
	{ "iova", 'a', "IOVA", 0, "Where to map them (default 0x100000)", 0 },
	{ "hold", 'H', NULL, 0, "Keep the domain until SIGTERM/SIGINT", 0 },
	{ "json", 'j', NULL, 0, "Print one JSON object", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'd': cfg.bdf = arg; break;
	case 'b': cfg.bind = true; break;
	case 's':
		if (parse_size(arg, &cfg.size) || !cfg.size || cfg.size % 4096)
			argp_error(state, "invalid size '%s' (a multiple of 4K)", arg);
		break;
	case 'a':
		if (parse_u64(arg, &cfg.iova) || cfg.iova % 4096)
			argp_error(state, "invalid IOVA '%s' (4K aligned)", arg);
		break;
	case 'H': cfg.hold = true; break;
	case 'j': cfg.json = true; break;
	case ARGP_KEY_ARG: argp_error(state, "unexpected argument '%s'", arg); break;
	default: return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "vfio-owner: %s: %s\n", what, strerror(err));
	exit(3);
}

static void sysfs_write(const char *path, const char *val, bool may_fail)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, val, strlen(val)) < 0) {
		if (!may_fail)
			die(path, errno);
	}
	if (fd >= 0)
		close(fd);
}

static void bind_vfio_pci(void)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", cfg.bdf);
	sysfs_write(path, "vfio-pci", false);
	/* Unbinding fails harmlessly when no driver holds the device. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", cfg.bdf);
	sysfs_write(path, cfg.bdf, true);
	sysfs_write("/sys/bus/pci/drivers_probe", cfg.bdf, false);
}

/* /sys/bus/pci/devices/BDF/vfio-dev/vfioN -> /dev/vfio/devices/vfioN */
static int open_cdev(char *name, size_t len)
{
	char path[256];
	struct dirent *de;
	DIR *dir;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", cfg.bdf);
	dir = opendir(path);
	if (!dir) {
		fprintf(stderr, "vfio-owner: %s is not bound to vfio-pci (try --bind): %s\n",
			cfg.bdf, strerror(errno));
		exit(3);
	}
	name[0] = '\0';
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "vfio", 4))
			snprintf(name, len, "/dev/vfio/devices/%s", de->d_name);
	closedir(dir);
	if (!name[0])
		die(path, ENOENT);
	fd = open(name, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die(name, errno);
	return fd;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse_opt, NULL,
		"Own a real IOMMU domain through vfio-pci and iommufd.", NULL, NULL, NULL
	};
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_hw_info_vtd vtd = { 0 };
	uint32_t ioas, type, dirty_hwpt;
	char cdev[300];
	uint64_t caps;
	int iommufd, devfd, rc, dirty_rc;
	void *buf;

	setvbuf(stdout, NULL, _IOLBF, 0);
	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (cfg.bind)
		bind_vfio_pci();
	devfd = open_cdev(cdev, sizeof(cdev));
	iommufd = iommufd_open();
	if (iommufd < 0)
		die("/dev/iommu", -iommufd);
	bind.iommufd = iommufd;
	if (ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		die("VFIO_DEVICE_BIND_IOMMUFD", errno);
	rc = iommufd_hw_info(iommufd, bind.out_devid, &vtd, sizeof(vtd), &type, &caps);
	if (rc)
		die("IOMMU_GET_HW_INFO", -rc);
	rc = iommufd_ioas_alloc(iommufd, &ioas);
	if (rc)
		die("IOMMU_IOAS_ALLOC", -rc);
	attach.pt_id = ioas;
	if (ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		die("VFIO_DEVICE_ATTACH_IOMMUFD_PT", errno);
	buf = mmap(NULL, cfg.size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap", errno);
	rc = iommufd_ioas_map_fixed(iommufd, ioas, buf, cfg.size, cfg.iova);
	if (rc)
		die("IOMMU_IOAS_MAP", -rc);
	/* The answer we report, not a failure of ours: EOPNOTSUPP without SSADS. */
	dirty_rc = iommufd_hwpt_alloc(iommufd, bind.out_devid, ioas,
				      IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &dirty_hwpt);
	if (!dirty_rc)
		iommufd_destroy(iommufd, dirty_hwpt);

	if (cfg.json) {
		printf("{\"pid\":%d,\"device\":\"%s\",\"cdev\":\"%s\",\"dev_id\":%u,"
		       "\"ioas\":%u,\"hwpt\":%u,\"iova\":%llu,\"length\":%llu,"
		       "\"hw_info_type\":%u,\"capabilities\":%llu,"
		       "\"dirty_tracking_cap\":%s,\"vtd_cap\":%llu,\"vtd_ecap\":%llu,"
		       "\"vtd_slads\":%s,\"vtd_smts\":%s,\"dirty_alloc\":\"%s\"}\n",
		       (int)getpid(), cfg.bdf, cdev, bind.out_devid, ioas, attach.pt_id,
		       (unsigned long long)cfg.iova, (unsigned long long)cfg.size, type,
		       (unsigned long long)caps,
		       caps & IOMMU_HW_CAP_DIRTY_TRACKING ? "true" : "false",
		       (unsigned long long)vtd.cap_reg, (unsigned long long)vtd.ecap_reg,
		       vtd.ecap_reg >> 45 & 1 ? "true" : "false",
		       vtd.ecap_reg >> 43 & 1 ? "true" : "false",
		       dirty_rc ? strerrorname_np(-dirty_rc) : "ok");
	} else {
		printf("device %s (%s) dev_id %u ioas %u hwpt %u\n", cfg.bdf, cdev,
		       bind.out_devid, ioas, attach.pt_id);
		printf("hw_info type %u capabilities 0x%llx (dirty tracking: %s)\n", type,
		       (unsigned long long)caps,
		       caps & IOMMU_HW_CAP_DIRTY_TRACKING ? "yes" : "no");
		printf("vt-d cap 0x%llx ecap 0x%llx slads %d smts %d\n",
		       (unsigned long long)vtd.cap_reg, (unsigned long long)vtd.ecap_reg,
		       (int)(vtd.ecap_reg >> 45 & 1), (int)(vtd.ecap_reg >> 43 & 1));
		printf("dirty-tracking domain: %s\n",
		       dirty_rc ? strerror(-dirty_rc) : "allocated");
	}
	while (cfg.hold && !stop)
		pause();
	close(iommufd);
	close(devfd);
	munmap(buf, cfg.size);
	return 0;
}
