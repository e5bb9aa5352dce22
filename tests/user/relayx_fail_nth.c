// SPDX-License-Identifier: GPL-2.0
/*
 * One system call with its Nth fault-injection point failed: the helper
 * of the allocation-fault sweep (tests/user/run-tests, alloc_faults).
 *
 * The kernel's fail-nth makes the Nth allocation (slab or page, once
 * failslab and fail_page_alloc accept GFP_KERNEL and order 0) made by
 * this thread fail, counting from when N is written; reading it back
 * afterwards gives 0 when that allocation happened. Files are opened
 * before N is written, so that only the call under test counts.
 *
 * usage: relayx_fail_nth N write FILE STRING   write(2) STRING to FILE
 *        relayx_fail_nth N read FILE            one read(2) of 64 KiB;
 *                                               prints the bytes read
 *        relayx_fail_nth N open FILE            open(2) FILE, read-only
 *        relayx_fail_nth N mmap FILE LENGTH     mmap(2), then munmap(2)
 *        relayx_fail_nth N open-buf DEV FILE    RELAYX_OPEN_BUF on DEV
 *                                               (/dev/relayx) with an
 *                                               O_PATH descriptor of FILE
 *
 * Exit status: 0 the call succeeded and no fault was injected (the
 * sweep is over); 1 it succeeded although a fault was injected; 2 it
 * failed after a fault was injected (its errno is printed); 3 it failed
 * with no fault injected; 4 the helper itself failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/relayx.h>

static int nth_fd = -1;

static int helper_failed(const char *what)
{
	fprintf(stderr, "relayx_fail_nth: %s: %s\n", what, strerror(errno));
	return 4;
}

static int arm(unsigned int n)
{
	char num[16];
	int len = snprintf(num, sizeof(num), "%u", n);

	return pwrite(nth_fd, num, len, 0) == len ? 0 : -1;
}

/* Was the fault injected? Disarms either way. */
static int injected(void)
{
	char num[16] = "";
	ssize_t len = pread(nth_fd, num, sizeof(num) - 1, 0);

	if (len <= 0 || arm(0))
		return -1;
	return atoi(num) == 0;
}

static int open_target(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0)
		fprintf(stderr, "relayx_fail_nth: %s: %s\n", path,
			strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	static char data[65536];
	unsigned int n;
	const char *op;
	long ret = 0;
	struct relayx_open_buf arg = { .fd = -1 };
	int fd = -1, err, hit;
	size_t len = 0;
	void *map;

	if (argc < 4)
		return 4;
	n = strtoul(argv[1], NULL, 0);
	op = argv[2];
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0)
		return helper_failed("/proc/thread-self/fail-nth");
	if (!strcmp(op, "write") && argc == 5)
		fd = open_target(argv[3], O_WRONLY);
	else if (!strcmp(op, "open-buf") && argc == 5)
		fd = open_target(argv[3], O_RDONLY);
	else if ((!strcmp(op, "read") && argc == 4) ||
		 (!strcmp(op, "mmap") && argc == 5))
		fd = open_target(argv[3], O_RDONLY);
	else if (strcmp(op, "open") || argc != 4)
		return 4;
	if (fd < 0 && strcmp(op, "open"))
		return 4;
	if (!strcmp(op, "mmap"))
		len = strtoul(argv[4], NULL, 0);
	if (!strcmp(op, "open-buf")) {
		arg.fd = open(argv[4], O_PATH);
		if (arg.fd < 0)
			return helper_failed(argv[4]);
	}

	if (arm(n))
		return helper_failed("arming fail-nth");
	errno = 0;
	if (!strcmp(op, "write")) {
		ret = write(fd, argv[4], strlen(argv[4]));
	} else if (!strcmp(op, "read")) {
		ret = read(fd, data, sizeof(data));
	} else if (!strcmp(op, "open")) {
		fd = open(argv[3], O_RDONLY);
		ret = fd;
	} else if (!strcmp(op, "open-buf")) {
		ret = ioctl(fd, RELAYX_OPEN_BUF, &arg);
	} else {
		map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		ret = map == MAP_FAILED ? -1 : 0;
		if (!ret && munmap(map, len))
			ret = -1;
	}
	err = errno;
	hit = injected();
	if (hit < 0)
		return helper_failed("reading fail-nth back");
	if (ret < 0) {
		printf("fault %d: %s failed: %s\n", hit, op, strerror(err));
		return hit ? 2 : 3;
	}
	if (!strcmp(op, "read"))
		printf("%ld\n", ret);
	return hit ? 1 : 0;
}
