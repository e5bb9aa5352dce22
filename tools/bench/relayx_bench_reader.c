// SPDX-License-Identifier: GPL-2.0
/*
 * Reader benchmark, with tools/bench/relayx_bench.ko loaded: fills CPU 0's
 * buffers of its reader channels (1 MiB each), then times draining a full
 * buffer from user space, RUNS times each:
 *
 *   relayx_read  read() of x0, 64 KiB at a time
 *   relayx_mmap  x0 mapped, RELAYX_GET_SUBBUF / RELAYX_PUT_SUBBUF, every
 *                64-byte line of each sub-buffer read once
 *   relay_read   read() of u0 (upstream relay), 64 KiB at a time
 *
 * Prints "reader IMPL MB_PER_S" per run.
 *
 * usage: relayx_bench_reader [RUNS]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/relayx.h>

#define DIR	"/sys/kernel/debug/relayx_bench"

static char chunk[64 * 1024];
/* Where the mmap drain leaves its sum, so that the reads are not elided. */
unsigned long relayx_bench_sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill(void)
{
	int fd = open(DIR "/ctl", O_WRONLY);

	if (fd < 0 || write(fd, "fill", 4) != 4) {
		perror("fill");
		exit(1);
	}
	close(fd);
}

static size_t drain_read(int fd)
{
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		total += n;
	return total;
}

static size_t drain_mmap(int fd, const char *map)
{
	struct relayx_subbuf sb;
	unsigned long sum = 0;
	size_t total = 0, off;

	while (ioctl(fd, RELAYX_GET_SUBBUF, &sb) == 0) {
		for (off = 0; off < sb.len; off += 64)
			sum += *(const unsigned long *)(map + sb.offset + off);
		total += sb.len;
		if (ioctl(fd, RELAYX_PUT_SUBBUF, &sb.seq))
			break;
	}
	relayx_bench_sink = sum;
	return total;
}

/* One timed drain, after a fill; prints MB/s. */
static int run(const char *name, int fd, const char *map)
{
	double t0, t;
	size_t bytes;

	fill();
	t0 = now();
	bytes = map ? drain_mmap(fd, map) : drain_read(fd);
	t = now() - t0;
	if (!bytes) {
		fprintf(stderr, "%s: nothing to drain\n", name);
		return 1;
	}
	printf("reader %s %.0f bytes=%zu\n", name, bytes / t / 1e6, bytes);
	return 0;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 5, i, x, u, failed = 0;
	struct relayx_geometry geo;
	cpu_set_t cpu0;
	char *map;

	/* "fill" fills the buffers of the CPU that writes it. */
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(0, sizeof(cpu0), &cpu0))
		return 1;
	x = open(DIR "/x0", O_RDONLY);
	u = open(DIR "/u0", O_RDONLY);
	if (x < 0 || u < 0 || ioctl(x, RELAYX_GET_GEOMETRY, &geo)) {
		perror(DIR);
		return 1;
	}
	map = mmap(NULL, geo.mmap_len, PROT_READ, MAP_SHARED, x, 0);
	if (map == MAP_FAILED)
		return 1;
	for (i = 0; i < runs; i++) {
		failed |= run("relayx_read", x, NULL);
		failed |= run("relayx_mmap", x, map);
		failed |= run("relay_read", u, NULL);
	}
	munmap(map, geo.mmap_len);
	close(x);
	close(u);
	return failed;
}
