// SPDX-License-Identifier: GPL-2.0
/*
 * Reader of samples/relayx_sample.c: drains every per-cpu file, checks each
 * record and prints a per-cpu report. Exits 1 when a record is corrupt,
 * out of order, or missing without being counted as dropped.
 *
 * usage: relayx_sample_report [DIR]   (default /sys/kernel/debug/relayx_sample)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relayx_sample.h"

#define MAX_CPUS 256

struct cpu_report {
	int present;
	unsigned long long records, bytes, bad, gaps;
	long long next_seq;
	unsigned long long written, dropped_full, dropped_big;
};

static struct cpu_report rep[MAX_CPUS];

static int drain(const char *dir, int cpu)
{
	struct relayx_sample_record rec;
	struct cpu_report *r = &rep[cpu];
	char path[512];
	size_t have = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/cpu%d", dir, cpu);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	r->present = 1;
	for (;;) {
		n = read(fd, (char *)&rec + have, sizeof(rec) - have);
		if (n < 0) {
			perror(path);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		r->bytes += n;
		have += n;
		if (have < sizeof(rec))
			continue;
		have = 0;
		if (rec.magic != RELAYX_SAMPLE_MAGIC || rec.cpu != (unsigned int)cpu ||
		    (long long)rec.seq < r->next_seq) {
			r->bad++;
			continue;
		}
		r->gaps += rec.seq - r->next_seq;
		r->next_seq = rec.seq + 1;
		r->records++;
	}
	if (have)
		r->bad++;
	close(fd);
	return 0;
}

static int read_stats(const char *dir)
{
	unsigned long long w, b, f, g;
	char path[512], line[256];
	unsigned int cpu;
	FILE *f_stats;

	snprintf(path, sizeof(path), "%s/stats", dir);
	f_stats = fopen(path, "r");
	if (!f_stats) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f_stats)) {
		if (sscanf(line, "%u %llu %llu %llu %llu", &cpu, &w, &b, &f,
			   &g) != 5 || cpu >= MAX_CPUS)
			continue;
		rep[cpu].written = w;
		rep[cpu].dropped_full = f;
		rep[cpu].dropped_big = g;
	}
	fclose(f_stats);
	return 0;
}

/* The records the module was asked to write on each CPU. */
static unsigned long long read_param(const char *name)
{
	unsigned long long v = 0;
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/module/relayx_sample/parameters/%s", name);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &v) != 1)
		fprintf(stderr, "cannot read %s\n", path);
	if (f)
		fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/sys/kernel/debug/relayx_sample";
	unsigned long long total = 0, dropped = 0, attempts;
	int cpu, failed = 0;

	for (cpu = 0; cpu < MAX_CPUS; cpu++)
		if (drain(dir, cpu))
			return 1;
	if (read_stats(dir))
		return 1;
	attempts = read_param("nr_records");

	printf("%-4s %10s %10s %10s %10s %8s  %s\n", "cpu", "records",
	       "bytes", "dropped", "too-big", "corrupt", "verdict");
	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		struct cpu_report *r = &rep[cpu];
		int ok;

		if (!r->present)
			continue;
		/*
		 * Records are written in order, so drops can only be a tail
		 * or gaps; their number must be what relayx counted, and
		 * everything relayx says it wrote must have been read.
		 */
		ok = !r->bad && r->gaps == 0 && r->records == r->written &&
		     r->records + r->dropped_full + r->dropped_big == attempts;
		printf("%-4d %10llu %10llu %10llu %10llu %8llu  %s\n", cpu,
		       r->records, r->bytes, r->dropped_full, r->dropped_big,
		       r->bad, ok ? "ok" : "MISMATCH");
		total += r->records;
		dropped += r->dropped_full + r->dropped_big;
		failed |= !ok;
	}
	printf("total: %llu records read, %llu dropped and counted\n", total,
	       dropped);
	return failed;
}
