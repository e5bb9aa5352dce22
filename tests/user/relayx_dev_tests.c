// SPDX-License-Identifier: GPL-2.0
/*
 * What /dev/relayx must refuse. Each mode takes a buffer file, opens it
 * with O_PATH and hands that to RELAYX_OPEN_BUF:
 *
 *   relayx_dev_tests landlock FILE      under a Landlock ruleset that
 *       handles reading files and allows it beneath /dev only: open()
 *       of FILE is refused (EACCES), so must the ioctl be (EACCES).
 *   relayx_dev_tests foreign FILE       FILE is a client's own file
 *       (tests/module/relayx_foreign.ko: its own read, no mmap): the
 *       ioctl refuses it (EINVAL) instead of serving relayx's operations.
 *   relayx_dev_tests confidential FILE  lockdown is at confidentiality:
 *       the ioctl refuses (EPERM).
 *   relayx_dev_tests emfile FILE        the descriptor table is full
 *       (RLIMIT_NOFILE): the ioctl fails with EMFILE and holds nothing;
 *       with room again, it gives a descriptor that reads FILE's geometry.
 *   relayx_dev_tests struct-size FILE   the argument's size is the one
 *       the command encodes: a larger struct works when its tail is zero,
 *       gets E2BIG when it is not; a bad pointer gets EFAULT, a struct
 *       smaller than the first version EINVAL.
 *   relayx_dev_tests harness-failures N  N planted failed checks, no
 *       kernel needed (tests/harness/selftest: the exit status).
 *
 * Prints one "ok:"/"FAILED:" line per check; exits 0 when all passed, 1
 * when one failed, 77 (skip) after saying why when the kernel lacks what
 * the mode needs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <linux/landlock.h>
#include <linux/relayx.h>

#include "relayx_check.h"

#define DEV	"/dev/" RELAYX_DEV_NAME

/*
 * RELAYX_OPEN_BUF on an O_PATH descriptor of @file; 0, the errno, or -1
 * when the call could not be made. What a descriptor it gave can do is
 * printed: that is what leaked when the call should have failed. Nothing
 * is read, so that no record is consumed for the tests that follow.
 */
static int open_buf_errno(const char *file)
{
	struct relayx_open_buf arg = { .flags = 0 };
	struct relayx_geometry geo = { .size = 0 };
	int dev, fd, err = 0;
	void *map;

	dev = open(DEV, O_RDONLY);
	if (dev < 0) {
		printf("open %s: %s\n", DEV, strerror(errno));
		return -1;
	}
	arg.fd = open(file, O_PATH);
	if (arg.fd < 0) {
		printf("open %s with O_PATH: %s\n", file, strerror(errno));
		close(dev);
		return -1;
	}
	fd = ioctl(dev, RELAYX_OPEN_BUF, &arg);
	if (fd < 0) {
		err = errno;
	} else {
		printf("RELAYX_OPEN_BUF gave descriptor %d\n", fd);
		if (!ioctl(fd, RELAYX_GET_GEOMETRY, &geo)) {
			printf("  RELAYX_GET_GEOMETRY: %llu x %llu\n",
			       (unsigned long long)geo.n_subbufs,
			       (unsigned long long)geo.subbuf_size);
			map = mmap(NULL, geo.mmap_len, PROT_READ, MAP_SHARED,
				   fd, 0);
			printf("  mmap: %s\n", map == MAP_FAILED ?
			       strerror(errno) : "mapped");
			if (map != MAP_FAILED)
				munmap(map, geo.mmap_len);
		}
		close(fd);
	}
	close(arg.fd);
	close(dev);
	return err;
}

/* The Landlock system calls, which libc does not wrap. */
static int ll_create_ruleset(const struct landlock_ruleset_attr *attr,
			     size_t size, __u32 flags)
{
	return syscall(__NR_landlock_create_ruleset, attr, size, flags);
}

static int ll_add_rule(int ruleset, enum landlock_rule_type type,
		       const void *attr, __u32 flags)
{
	return syscall(__NR_landlock_add_rule, ruleset, type, attr, flags);
}

static int ll_restrict_self(int ruleset, __u32 flags)
{
	return syscall(__NR_landlock_restrict_self, ruleset, flags);
}

/*
 * This process may read files beneath /dev only. Returns 0, 77 when the
 * kernel has no Landlock, 1 on another failure.
 */
static int landlock_dev_only(void)
{
	/* Only the first member: every Landlock ABI accepts this size. */
	struct landlock_ruleset_attr attr = {
		.handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE,
	};
	struct landlock_path_beneath_attr dev = {
		.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE,
	};
	int ruleset, abi;

	abi = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		printf("skipped: no Landlock in this kernel (%s)\n",
		       strerror(errno));
		return TEST_SKIPPED;
	}
	printf("Landlock ABI %d\n", abi);
	ruleset = ll_create_ruleset(&attr, sizeof(attr.handled_access_fs), 0);
	dev.parent_fd = open("/dev", O_PATH | O_DIRECTORY);
	if (ruleset < 0 || dev.parent_fd < 0 ||
	    ll_add_rule(ruleset, LANDLOCK_RULE_PATH_BENEATH, &dev, 0) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    ll_restrict_self(ruleset, 0)) {
		check(0, "setting up the ruleset: %s", strerror(errno));
		return TEST_FAILED;
	}
	close(dev.parent_fd);
	close(ruleset);
	return 0;
}

static int landlock(const char *file)
{
	int fd, err, ret;

	ret = landlock_dev_only();
	if (ret)
		return ret;
	fd = open(file, O_RDONLY);
	err = errno;
	check(fd < 0 && err == EACCES, "open(%s) under the ruleset: EACCES (%s)",
	      file, fd < 0 ? strerror(err) : "opened");
	if (fd >= 0)
		close(fd);
	fd = open(DEV, O_RDONLY);
	check(fd >= 0, "open(%s) under the ruleset, which allows /dev", DEV);
	if (fd >= 0)
		close(fd);
	err = open_buf_errno(file);
	check(err == EACCES,
	      "RELAYX_OPEN_BUF under the ruleset: EACCES, as open() (%s)",
	      err > 0 ? strerror(err) : err ? "no setup" : "succeeded");
	return verdict();
}

static int expect(const char *file, int want, const char *what)
{
	int err = open_buf_errno(file);

	check(err == want, "RELAYX_OPEN_BUF on %s, %s: %s (%s)", file, what,
	      want ? strerror(want) : "a descriptor",
	      err > 0 ? strerror(err) : err ? "no setup" : "succeeded");
	return verdict();
}

/*
 * No free descriptor: RELAYX_OPEN_BUF fails where get_unused_fd_flags()
 * does, after the lookup took a reference on the buffer, which it must
 * drop (the client's unload in run-tests shows it did).
 */
static int emfile(const char *file)
{
	struct relayx_open_buf arg = { .flags = 0 };
	struct relayx_geometry geo = { .size = 0 };
	struct rlimit lim, full;
	int dev, fd, err;

	dev = open(DEV, O_RDONLY);
	arg.fd = open(file, O_PATH);
	if (dev < 0 || arg.fd < 0 || getrlimit(RLIMIT_NOFILE, &lim)) {
		printf("FAILED: setup: %s\n", strerror(errno));
		return 1;
	}
	/* The lowest free descriptor is the limit: none is left. */
	full = lim;
	full.rlim_cur = (dev > arg.fd ? dev : arg.fd) + 1;
	if (setrlimit(RLIMIT_NOFILE, &full)) {
		printf("FAILED: setrlimit: %s\n", strerror(errno));
		return 1;
	}
	fd = ioctl(dev, RELAYX_OPEN_BUF, &arg);
	err = errno;
	check(fd < 0 && err == EMFILE,
	      "RELAYX_OPEN_BUF with no free descriptor: EMFILE (%s)",
	      fd < 0 ? strerror(err) : "succeeded");
	if (fd >= 0)
		close(fd);
	setrlimit(RLIMIT_NOFILE, &lim);
	fd = ioctl(dev, RELAYX_OPEN_BUF, &arg);
	/* The calls before check(): its arguments have no set order. */
	err = fd >= 0 ? ioctl(fd, RELAYX_GET_GEOMETRY, &geo) : -1;
	check(fd >= 0 && !err && geo.n_subbufs > 0,
	      "with room again: a descriptor, geometry %llu x %llu",
	      (unsigned long long)geo.n_subbufs,
	      (unsigned long long)geo.subbuf_size);
	if (fd >= 0)
		close(fd);
	close(arg.fd);
	close(dev);
	return verdict();
}

/* RELAYX_OPEN_BUF with the size field of the command set to @size. */
#define OPEN_BUF_SIZED(size) \
	_IOC(_IOC_WRITE, RELAYX_IOC_MAGIC, _IOC_NR(RELAYX_OPEN_BUF), (size))

/* ioctl @cmd on @dev must fail with @want; what it gave is closed. */
static void expect_refused(int dev, unsigned long cmd, void *arg, int want,
			   const char *what)
{
	int fd = ioctl(dev, cmd, arg);
	int err = errno;

	check(fd < 0 && err == want, "%s (%s)", what,
	      fd < 0 ? strerror(err) : "succeeded");
	if (fd >= 0)
		close(fd);
}

static int struct_size(const char *file)
{
	struct {
		struct relayx_open_buf arg;
		__u32 tail[2];
	} big = { .tail = { 0, 0 } };
	int dev, fd, err;

	dev = open(DEV, O_RDONLY);
	big.arg.fd = open(file, O_PATH);
	big.arg.flags = 0;
	if (dev < 0 || big.arg.fd < 0) {
		printf("FAILED: setup: %s\n", strerror(errno));
		return 1;
	}
	fd = ioctl(dev, OPEN_BUF_SIZED(sizeof(big)), &big);
	err = errno;
	check(fd >= 0, "a struct of %zu bytes, zero past the known ones: a descriptor (%s)",
	      sizeof(big), fd >= 0 ? "given" : strerror(err));
	if (fd >= 0)
		close(fd);
	big.tail[1] = 1;
	expect_refused(dev, OPEN_BUF_SIZED(sizeof(big)), &big, E2BIG,
		       "a byte set past the known ones: E2BIG");
	expect_refused(dev, RELAYX_OPEN_BUF, (void *)8, EFAULT,
		       "a bad pointer: EFAULT");
	expect_refused(dev, OPEN_BUF_SIZED(sizeof(__s32)), &big, EINVAL,
		       "a struct smaller than the first version: EINVAL");
	close(big.arg.fd);
	close(dev);
	return verdict();
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3)
		return TEST_FAILED;
	if (!strcmp(argv[1], "harness-failures"))
		return harness_failures(atoi(argv[2]));
	if (!strcmp(argv[1], "landlock"))
		return landlock(argv[2]);
	if (!strcmp(argv[1], "foreign"))
		return expect(argv[2], EINVAL, "a client's own file");
	if (!strcmp(argv[1], "emfile"))
		return emfile(argv[2]);
	if (!strcmp(argv[1], "struct-size"))
		return struct_size(argv[2]);
	if (!strcmp(argv[1], "confidential"))
		return expect(argv[2], EPERM, "lockdown at confidentiality");
	return TEST_FAILED;
}
