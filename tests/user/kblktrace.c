// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's own blktrace, driven the way the blktrace tool drives it,
 * to compare with relayx_blktrace on the same workload:
 *
 *   kblktrace DISK OUTDIR COMMAND [ARGS...]
 *
 * sets up and starts a trace of /dev/DISK (BLKTRACESETUP, BLKTRACESTART),
 * runs COMMAND, stops the trace and copies the relay files of
 * /sys/kernel/debug/block/DISK/traceN into OUTDIR/DISK.blktrace.N with
 * read(), then tears it down. The buffers are large enough for a short
 * command: the kernel's "dropped" count is printed, and a drop fails.
 * Exit status: 0, 1 on an error, 3 when debugfs refuses to open the
 * relay files (kernel lockdown), COMMAND's status when it failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/blktrace_api.h>
#include <linux/fs.h>

static int copy_file(const char *from, const char *to, long long *bytes)
{
	char buf[65536];
	int in, out;
	ssize_t n;

	in = open(from, O_RDONLY);
	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (out < 0) {
		close(in);
		return -errno;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, n) != n) {
			n = -1;
			break;
		}
		*bytes += n;
	}
	n = n < 0 ? -errno : 0;
	close(in);
	close(out);
	return n;
}

int main(int argc, char **argv)
{
	struct blk_user_trace_setup setup;
	char path[512], to[512], dropped[32] = "?";
	int fd, cpu, ncpus, st, rc = 0, err;
	long long bytes = 0;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: kblktrace DISK OUTDIR COMMAND [ARGS...]\n");
		return 1;
	}
	snprintf(path, sizeof(path), "/dev/%s", argv[1]);
	fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	memset(&setup, 0, sizeof(setup));
	setup.act_mask = 0xffff;
	setup.buf_size = 512 * 1024;
	setup.buf_nr = 4;
	if (ioctl(fd, BLKTRACESETUP, &setup)) {
		perror("BLKTRACESETUP");
		return 1;
	}
	if (ioctl(fd, BLKTRACESTART)) {
		perror("BLKTRACESTART");
		ioctl(fd, BLKTRACETEARDOWN);
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		execv(argv[3], argv + 3);
		perror(argv[3]);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		perror("command");
		st = 1 << 8;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		rc = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	if (ioctl(fd, BLKTRACESTOP))
		perror("BLKTRACESTOP");
	ncpus = sysconf(_SC_NPROCESSORS_CONF);
	for (cpu = 0; cpu < ncpus && !rc; cpu++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/block/%s/trace%d",
			 setup.name, cpu);
		snprintf(to, sizeof(to), "%s/%s.blktrace.%d", argv[2], argv[1],
			 cpu);
		err = copy_file(path, to, &bytes);
		if (err) {
			fprintf(stderr, "kblktrace: %s: %s\n", path,
				strerror(-err));
			rc = err == -EPERM ? 3 : 1;
		}
	}
	snprintf(path, sizeof(path), "/sys/kernel/debug/block/%s/dropped",
		 setup.name);
	st = open(path, O_RDONLY);
	if (st >= 0) {
		ssize_t n = read(st, dropped, sizeof(dropped) - 1);

		dropped[n > 0 ? n : 0] = 0;
		dropped[strcspn(dropped, "\n")] = 0;
		close(st);
	}
	printf("kblktrace: %s: %lld bytes from %d CPUs, dropped %s\n",
	       setup.name, bytes, ncpus, dropped);
	if (!rc && strcmp(dropped, "0"))
		rc = 1;
	if (ioctl(fd, BLKTRACETEARDOWN))
		perror("BLKTRACETEARDOWN");
	return rc;
}
