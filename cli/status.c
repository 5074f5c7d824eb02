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
	/*
	 * Anything else the kernel refused, EINVAL and ERANGE too, or a reply
	 * we could not parse, is a failed operation: 2 is for input the tool
	 * itself refused before asking.
	 */
	default: return EXIT_FAILED;
	}
}
