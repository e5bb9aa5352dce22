// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF benchmark's loader, linked statically with libbpf (the guests
 * are a busybox initramfs):
 *
 *   relayx_bpf_bench OBJ EVENTS RUNS DIR
 *
 * loads relayx_bpf_bench.bpf.o, and for each size and output path
 * attaches that one program at getppid()'s entry and times EVENTS
 * getppid() calls of this process, pinned to CPU 0. The consumers are
 * drained between batches, outside the timed part, and each batch fits
 * its buffer, so no write is timed failing for room. DIR holds the
 * relayx channel's files (samples/relayx_bpf_chan.ko's channel "a",
 * published under id 1). Prints, per run,
 *
 *   bpf PATH SIZE NS-PER-EVENT
 *
 * where PATH "base" is the program that writes nothing. Under QEMU's
 * -icount shift=0 a nanosecond is an instruction. Exit status 0, or 1
 * when a write failed or a record did not arrive.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define BATCH_BYTES (1024 * 1024)	/* per batch: half of the smallest buffer */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const unsigned int sizes[] = { 16, 64, 256, 1024, 4096 };
static const char *const paths[] = { "base", "relayx", "rb_output",
				     "rb_reserve", "perf" };

static unsigned long long received;	/* records the consumers saw */
static unsigned long long received_bytes;
static unsigned long long lost;
static char drain_buf[1 << 16];

static int on_ringbuf(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	received++;
	received_bytes += size;
	return 0;
}

/* perf pads a record to 8 bytes with its 4-byte size: size - 4 is ours. */
static void on_perf(void *ctx, int cpu, void *data, __u32 size)
{
	(void)ctx;
	(void)cpu;
	(void)data;
	received++;
	received_bytes += size;
}

static void on_perf_lost(void *ctx, int cpu, __u64 n)
{
	(void)ctx;
	(void)cpu;
	lost += n;
}

/* Everything the channel holds, on every CPU: read() consumes it. */
static unsigned long long drain_relayx(const char *dir)
{
	unsigned long long bytes = 0;
	struct dirent *e;
	DIR *d = opendir(dir);
	ssize_t n;

	if (!d) {
		perror(dir);
		exit(1);
	}
	while ((e = readdir(d))) {
		char path[512];
		int fd;

		/* cpuN, not the stats file beside them */
		if (strncmp(e->d_name, "cpu", 3) ||
		    strspn(e->d_name + 3, "0123456789") != strlen(e->d_name + 3))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			perror(path);
			exit(1);
		}
		while ((n = read(fd, drain_buf, sizeof(drain_buf))) > 0)
			bytes += n;
		close(fd);
	}
	closedir(d);
	return bytes;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

struct consumers {
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	const char *dir;
	unsigned long long relayx_bytes;
};

static void drain(struct consumers *c)
{
	ring_buffer__consume(c->rb);
	perf_buffer__consume(c->pb);
	c->relayx_bytes += drain_relayx(c->dir);
}

/* EVENTS getppid() calls with PROG attached; returns ns per event. */
static double measure(struct bpf_program *prog, struct consumers *c,
		      unsigned int size, unsigned long events)
{
	unsigned long batch = BATCH_BYTES / (size + 64), done = 0;
	unsigned long long ns = 0, t;
	struct bpf_link *link = bpf_program__attach(prog);
	unsigned long i;

	if (!link) {
		fprintf(stderr, "cannot attach %s: %s\n",
			bpf_program__name(prog), strerror(errno));
		exit(1);
	}
	/* A warm-up batch, not timed. */
	for (i = 0; i < batch && i < events; i++)
		syscall(SYS_getppid);
	while (done < events) {
		unsigned long n = events - done < batch ? events - done : batch;

		drain(c);
		t = now_ns();
		for (i = 0; i < n; i++)
			syscall(SYS_getppid);
		ns += now_ns() - t;
		done += n;
	}
	bpf_link__destroy(link);
	drain(c);
	return (double)ns / events;
}

static __u64 fails_sum(int fd)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 v[1024], sum = 0;
	__u32 k;
	int cpu;

	for (k = 0; k < 4; k++) {
		if (bpf_map_lookup_elem(fd, &k, v))
			continue;
		for (cpu = 0; cpu < ncpu; cpu++)
			sum += v[cpu];
	}
	return sum;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_map *map;
	struct consumers c = { 0 };
	unsigned long events, expected = 0, relayx_expected = 0;
	unsigned int runs, r, s, p;
	__u64 failures;
	cpu_set_t set;
	int err = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: %s OBJ EVENTS RUNS DIR\n", argv[0]);
		return 2;
	}
	events = strtoul(argv[2], NULL, 0);
	runs = strtoul(argv[3], NULL, 0);
	c.dir = argv[4];
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		return 1;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* .bss holds bench_pid alone: the programs' filter. */
	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		__u32 pid = getpid();

		if (strlen(name) < 4 || strcmp(name + strlen(name) - 4, ".bss"))
			continue;
		if (bpf_map__set_initial_value(map, &pid, sizeof(pid))) {
			fprintf(stderr, "cannot set the pid filter\n");
			return 1;
		}
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "cannot load %s\n", argv[1]);
		return 1;
	}
	c.rb = ring_buffer__new(bpf_object__find_map_fd_by_name(obj, "rb"),
				on_ringbuf, NULL, NULL);
	c.pb = perf_buffer__new(bpf_object__find_map_fd_by_name(obj, "pb"),
				512, on_perf, on_perf_lost, NULL, NULL);
	if (!c.rb || !c.pb) {
		fprintf(stderr, "cannot set up the ring and perf buffers\n");
		return 1;
	}
	drain(&c);
	c.relayx_bytes = 0;
	for (r = 0; r < runs; r++) {
		for (s = 0; s < ARRAY_SIZE(sizes); s++) {
			for (p = 0; p < ARRAY_SIZE(paths); p++) {
				char name[32];
				struct bpf_program *prog;
				unsigned long warm;
				double ns;

				if (p)
					snprintf(name, sizeof(name), "%s_%u",
						 paths[p], sizes[s]);
				else
					snprintf(name, sizeof(name), "base");
				prog = bpf_object__find_program_by_name(obj, name);
				if (!prog) {
					fprintf(stderr, "no program %s\n", name);
					return 1;
				}
				ns = measure(prog, &c, sizes[s], events);
				warm = BATCH_BYTES / (sizes[s] + 64);
				if (warm > events)
					warm = events;
				/* ring buffer and perf records, counted */
				if (p >= 2)
					expected += events + warm;
				/* relayx's bytes, read back */
				if (p == 1)
					relayx_expected += (events + warm) * sizes[s];
				printf("bpf %s %u %.1f\n", paths[p], sizes[s], ns);
				fflush(stdout);
			}
		}
	}
	failures = fails_sum(bpf_object__find_map_fd_by_name(obj, "fails"));
	if (failures) {
		fprintf(stderr, "some writes failed: %llu\n",
			(unsigned long long)failures);
		err = 1;
	}
	if (c.relayx_bytes != relayx_expected) {
		fprintf(stderr, "relayx: %llu bytes read, %lu written\n",
			c.relayx_bytes, relayx_expected);
		err = 1;
	}
	if (received != expected || lost) {
		fprintf(stderr, "records: %llu received, %lu expected, %llu lost\n",
			received, expected, lost);
		err = 1;
	}
	printf("bpf-check relayx %llu B, records %llu (%llu B) of %lu, lost %llu\n",
	       c.relayx_bytes, received, received_bytes, expected, lost);
	ring_buffer__free(c.rb);
	perf_buffer__free(c.pb);
	bpf_object__close(obj);
	return err;
}
