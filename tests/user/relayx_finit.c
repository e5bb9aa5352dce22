// SPDX-License-Identifier: GPL-2.0
/*
 * Load a module with one finit_module(2) call: the loader of the insmod
 * fault sweep (tests/user/run-tests, insmod_faults). Busybox's insmod
 * tries init_module(2) after any failed finit_module(2), which runs a
 * failing init twice and logs its failure twice.
 *
 * usage: relayx_finit FILE.ko [PARAMS]
 *
 * Exit status: 0 loaded; 1 the call failed (its errno is printed);
 * 2 bad usage or FILE cannot be opened.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: relayx_finit FILE.ko [PARAMS]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "relayx_finit: %s: %s\n", argv[1],
			strerror(errno));
		return 2;
	}
	if (syscall(SYS_finit_module, fd, argc == 3 ? argv[2] : "", 0)) {
		printf("finit_module: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
