// SPDX-License-Identifier: GPL-2.0
/* What an errno from the kernel or the library means for the exit status. */
#include <errno.h>

#include "cli.h"

int cli_exit_for(int rc)
{
	switch (-rc) {
	case 0: return EXIT_OK;
	case EPERM: case EACCES: return EXIT_PERM;
	case ENOENT: case ENODEV: return EXIT_NO_ENTRY;
	/* the kernel refused the request's values (window, page size) */
	case EINVAL: case ERANGE: return EXIT_USAGE;
	default: return EXIT_FAILED;
	}
}
