// SPDX-License-Identifier: GPL-2.0
/*
 * Loader of samples/relayx_bpf_sched.bpf.c, and reader of what
 * relayx-collect saved of its channel:
 *
 *   relayx_bpf_sample run OBJ SECONDS [ID]   trace context switches into
 *                                            the channel published under
 *                                            ID (1) for SECONDS, or until
 *                                            SIGINT/SIGTERM; prints the
 *                                            counts of the writes
 *   relayx_bpf_sample print FILE...          print the records
 *   relayx_bpf_sample check WRITTEN FILE...  every record whole, each
 *                                            file's from one CPU in time
 *                                            order, WRITTEN in all
 *
 * FILEs are relayx-collect's per-CPU files (NAME.cpuN). Exit status 0,
 * 1 on a failure, with the reason, 2 on bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "relayx_bpf_sched.h"

static void sigwaitinfo_timeout(unsigned int seconds)
{
	struct timespec ts = { .tv_sec = seconds };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	/* Blocked, they wait for sigtimedwait() instead of ending us. */
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigtimedwait(&set, NULL, &ts);
}

static int run(const char *path, unsigned int seconds, __u32 id)
{
	static const char *const what[] = { "written", "dropped", "refused" };
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	int ncpu = libbpf_num_possible_cpus();
	struct bpf_program *prog;
	struct bpf_link *link;
	__u64 v[1024];
	__u32 k;
	int fd, c;

	if (!obj) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "cannot load %s (is relayx loaded, with BTF?)\n", path);
		return 1;
	}
	k = 0;
	if (bpf_map_update_elem(bpf_object__find_map_fd_by_name(obj, "chan_id"),
				&k, &id, BPF_ANY)) {
		perror("chan_id");
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "on_switch");
	link = prog ? bpf_program__attach(prog) : NULL;
	if (!link) {
		fprintf(stderr, "cannot attach on_switch: %s\n", strerror(errno));
		return 1;
	}
	/* SECONDS, or until a stop signal, whichever comes first. */
	sigwaitinfo_timeout(seconds);
	bpf_link__destroy(link);
	fd = bpf_object__find_map_fd_by_name(obj, "counts");
	for (k = 0; k < 3; k++) {
		__u64 sum = 0;

		if (bpf_map_lookup_elem(fd, &k, v)) {
			perror("counts");
			return 1;
		}
		for (c = 0; c < ncpu; c++)
			sum += v[c];
		printf("%s %llu\n", what[k], (unsigned long long)sum);
	}
	bpf_object__close(obj);
	return 0;
}

/*
 * Each record of @path: printed (@print), or checked: whole, of the
 * file's CPU, in time order. Returns the records, or -1 on damage.
 */
static long long read_file(const char *path, int print)
{
	const char *dot = strrchr(path, '.');
	struct relayx_bpf_switch rec;
	long long n = 0;
	__u64 last = 0;
	int cpu = -1;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		return -1;
	}
	if (dot && !strncmp(dot, ".cpu", 4))
		cpu = atoi(dot + 4);
	while (fread(&rec, sizeof(rec), 1, f) == 1) {
		rec.prev_comm[15] = 0;
		rec.next_comm[15] = 0;
		if (print) {
			printf("%u %llu.%09llu %s[%u] -> %s[%u] state %u\n",
			       rec.cpu, (unsigned long long)rec.time_ns / 1000000000,
			       (unsigned long long)rec.time_ns % 1000000000,
			       rec.prev_comm, rec.prev_pid, rec.next_comm,
			       rec.next_pid, rec.prev_state);
		} else if (rec.magic != RELAYX_BPF_SCHED_MAGIC ||
			   (cpu >= 0 && rec.cpu != (__u32)cpu) ||
			   rec.time_ns < last) {
			fprintf(stderr, "%s: bad record %lld: magic %#x cpu %u time %llu\n",
				path, n, rec.magic, rec.cpu,
				(unsigned long long)rec.time_ns);
			fclose(f);
			return -1;
		}
		last = rec.time_ns;
		n++;
	}
	/* A short tail is a torn record: relayx never splits one. */
	if (!feof(f) || ftell(f) % sizeof(rec)) {
		fprintf(stderr, "%s: a partial record at the end\n", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	long long total = 0, n;
	int i, first;

	if (argc >= 4 && !strcmp(argv[1], "run"))
		return run(argv[2], strtoul(argv[3], NULL, 0),
			   argc > 4 ? strtoul(argv[4], NULL, 0) : 1);
	if (argc >= 3 && !strcmp(argv[1], "print")) {
		first = 2;
	} else if (argc >= 4 && !strcmp(argv[1], "check")) {
		first = 3;
	} else {
		fprintf(stderr, "usage: see the head of relayx_bpf_sample.c\n");
		return 2;
	}
	for (i = first; i < argc; i++) {
		n = read_file(argv[i], first == 2);
		if (n < 0)
			return 1;
		total += n;
	}
	if (first == 3) {
		printf("%lld records checked, %s written\n", total, argv[2]);
		if (total != strtoll(argv[2], NULL, 0))
			return 1;
	}
	return 0;
}
