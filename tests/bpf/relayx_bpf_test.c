// SPDX-License-Identifier: GPL-2.0
/*
 * Loader of the BPF tests, linked statically with libbpf (the guests are
 * a busybox initramfs):
 *
 *   relayx_bpf_test bad OBJ PROG      PROG of OBJ must be refused by the
 *                                     verifier; prints its log
 *   relayx_bpf_test write OBJ N CPUS  attach on_switch and on_getppid,
 *                                     call getppid() N times on each CPU
 *                                     from 0 to CPUS-1, detach;
 *                                     "cpu count" lines of each channel's
 *                                     records into /tmp/bpf.seqs.{a,b}
 *   relayx_bpf_test hold OBJ FILE     attach both until FILE exists
 *
 * Each prints the outcome counts of relayx_bpf_output() per channel.
 * Exit status: 0, or 1 on a failure, with the reason.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static char vlog[1 << 20];

/* @log: keep the verifier's log of a load that succeeds too. */
static struct bpf_object *open_obj(const char *path, int log)
{
	LIBBPF_OPTS(bpf_object_open_opts, o, .kernel_log_buf = vlog,
		    .kernel_log_size = sizeof(vlog), .kernel_log_level = log);
	struct bpf_object *obj = bpf_object__open_file(path, log ? &o : NULL);

	if (!obj) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return obj;
}

static int bad(const char *path, const char *name)
{
	struct bpf_object *obj = open_obj(path, 1);
	struct bpf_program *p;
	int err;

	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), name));
	err = bpf_object__load(obj);
	printf("%s: load %s (%d)\n%s", name, err ? "refused" : "ACCEPTED",
	       err, vlog);
	bpf_object__close(obj);
	/* Refused by the verifier (its log says why), not for another reason. */
	return err == -EACCES || err == -EINVAL ? (vlog[0] ? 0 : 1) : 1;
}

static void print_stats(struct bpf_object *obj, FILE *out)
{
	int fd = bpf_object__find_map_fd_by_name(obj, "stats");
	int ncpu = libbpf_num_possible_cpus();
	static const char *const what[] = { "written", "enoent", "enospc", "other" };
	__u64 v[1024];
	__u32 k;
	int c;

	for (k = 0; k < 8; k++) {
		__u64 sum = 0;

		if (bpf_map_lookup_elem(fd, &k, v))
			continue;
		for (c = 0; c < ncpu; c++)
			sum += v[c];
		fprintf(out, "channel %c %s %llu\n", k < 4 ? 'a' : 'b',
			what[k % 4], (unsigned long long)sum);
	}
}

static int load(struct bpf_object *obj)
{
	int err = bpf_object__load(obj);

	if (err)
		fprintf(stderr, "%s: bpf_object__load: %d\n", __func__, err);
	return err;
}

/* N getppid() calls from CPU @cpu: on_getppid writes one record each. */
static int run_on(int cpu, unsigned int n)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		return 1;
	}
	while (n--) {
		syscall(SYS_getppid);
		/* Other tasks run: sched_switch writes in between. */
		if (!(n % 1000))
			sched_yield();
	}
	return 0;
}

static int write_seqs(struct bpf_object *obj)
{
	int fd = bpf_object__find_map_fd_by_name(obj, "seqs");
	int ncpu = libbpf_num_possible_cpus();
	__u64 v[1024];
	__u32 k;
	int c;

	for (k = 0; k < 2; k++) {
		char path[32];
		FILE *f;

		snprintf(path, sizeof(path), "/tmp/bpf.seqs.%c", 'a' + k);
		f = fopen(path, "w");
		if (!f || bpf_map_lookup_elem(fd, &k, v))
			return 1;
		for (c = 0; c < ncpu; c++)
			fprintf(f, "%d %llu\n", c, (unsigned long long)v[c]);
		fclose(f);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_link *link, *link2;
	int err = 0;

	if (argc == 4 && !strcmp(argv[1], "bad"))
		return bad(argv[2], argv[3]);
	if (argc < 4 || (strcmp(argv[1], "write") && strcmp(argv[1], "hold"))) {
		fprintf(stderr, "usage: see the head of relayx_bpf_test.c\n");
		return 2;
	}
	obj = open_obj(argv[2], 0);
	if (load(obj))
		return 1;
	link = bpf_program__attach(bpf_object__find_program_by_name(obj, "on_switch"));
	link2 = bpf_program__attach(bpf_object__find_program_by_name(obj, "on_getppid"));
	if (!link || !link2) {
		fprintf(stderr, "cannot attach: %s\n", strerror(errno));
		return 1;
	}
	if (!strcmp(argv[1], "hold")) {
		struct stat st;

		while (stat(argv[3], &st))
			usleep(10000);
	} else {
		unsigned int n = strtoul(argv[3], NULL, 0);
		int c, cpus = argc > 4 ? atoi(argv[4]) : 1, st;

		for (c = 0; c < cpus; c++)
			if (fork() == 0)
				_exit(run_on(c, n));
		for (c = 0; c < cpus; c++)
			if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
				err = 1;
	}
	bpf_link__destroy(link2);
	bpf_link__destroy(link);
	print_stats(obj, stdout);
	if (!strcmp(argv[1], "write") && write_seqs(obj))
		err = 1;
	bpf_object__close(obj);
	return err;
}
