// SPDX-License-Identifier: GPL-2.0
/*
 * The block tracer's known workload: direct and buffered reads and writes
 * of known sizes at known offsets of a disk. Prints each I/O it expects
 * the block layer to send, one per line: "R|W SECTOR SECTORS", which the
 * test looks for in blkparse's output.
 *
 *   blktrace_workload /dev/vda
 *   blktrace_workload -n COUNT /dev/vda
 *
 * With -n, COUNT direct reads of 4 KiB instead, one after the other, and
 * the nanoseconds they took on the monotonic clock: under QEMU's
 * -icount, instructions (the tracer's cost per I/O, make bench).
 *
 * The disk must hold at least 24 MiB; what it held there is overwritten.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#define KIB 1024L
#define MIB (1024L * 1024)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct io {
	char dir;		/* R or W */
	int direct;		/* O_DIRECT, else through the page cache */
	long off, len;
};

/*
 * Single pages through the page cache, so that each is one I/O; the
 * direct ones include an offset that is no page multiple.
 */
static const struct io ios[] = {
	{ 'W', 1, 1 * MIB, 4 * KIB },
	{ 'W', 1, 4 * MIB, 64 * KIB },
	{ 'W', 1, 8 * MIB + 512, 16 * KIB },
	{ 'R', 1, 1 * MIB, 4 * KIB },
	{ 'R', 1, 4 * MIB, 64 * KIB },
	{ 'R', 1, 8 * MIB + 512, 16 * KIB },
	{ 'W', 0, 12 * MIB, 4 * KIB },
	{ 'R', 0, 16 * MIB, 8 * KIB },
	{ 'R', 0, 20 * MIB, 4 * KIB },
};

static void die(const char *what)
{
	fprintf(stderr, "blktrace_workload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* COUNT direct 4 KiB reads over the first MiB; the time they took. */
static int loop(const char *disk, long count, char *buf)
{
	long long t0;
	long i;
	int fd;

	fd = open(disk, O_RDONLY | O_DIRECT);
	if (fd < 0)
		die(disk);
	t0 = now_ns();
	for (i = 0; i < count; i++)
		if (pread(fd, buf, 4 * KIB, (i % 256) * 4 * KIB) != 4 * KIB)
			die("read");
	printf("reads %ld ns %lld\n", count, now_ns() - t0);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int dfd, bfd;
	char *buf;
	size_t i;

	long count = argc == 4 && !strcmp(argv[1], "-n") ? atol(argv[2]) : 0;

	if ((argc != 2 && !count) || count < 0) {
		fprintf(stderr, "usage: blktrace_workload [-n COUNT] DISK\n");
		return 2;
	}
	if (posix_memalign((void **)&buf, 4096, 64 * KIB))
		die("memory");
	if (count)
		return loop(argv[3], count, buf);
	memset(buf, 0x5a, 64 * KIB);
	dfd = open(argv[1], O_RDWR | O_DIRECT);
	bfd = open(argv[1], O_RDWR);
	if (dfd < 0 || bfd < 0)
		die(argv[1]);
	/* Nothing of the disk cached from before: the reads go to it. */
	if (ioctl(bfd, BLKFLSBUF, 0))
		die("BLKFLSBUF");
	/* No readahead: a buffered read asks for its own pages only. */
	errno = posix_fadvise(bfd, 0, 0, POSIX_FADV_RANDOM);
	if (errno)
		die("posix_fadvise");
	for (i = 0; i < ARRAY_SIZE(ios); i++) {
		const struct io *io = &ios[i];
		int fd = io->direct ? dfd : bfd;
		ssize_t n;

		if (io->dir == 'W')
			n = pwrite(fd, buf, io->len, io->off);
		else
			n = pread(fd, buf, io->len, io->off);
		if (n != io->len)
			die(io->dir == 'W' ? "write" : "read");
		if (io->dir == 'W' && !io->direct && fdatasync(fd))
			die("fdatasync");
		printf("%c %ld %ld %s\n", io->dir, io->off / 512, io->len / 512,
		       io->direct ? "direct" : "buffered");
	}
	close(dfd);
	close(bfd);
	return 0;
}
