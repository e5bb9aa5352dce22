// SPDX-License-Identifier: GPL-2.0
/*
 * Reader of samples/relayx_sample.c (and of the test client, which writes
 * the same records): drains every per-cpu file, checks each record and
 * prints a per-cpu report. Exits 1 when a record is corrupt, duplicated,
 * or missing without being counted as dropped, or when a CPU that is
 * online has no file.
 *
 * By default it is a zero-copy consumer: each file is mmap()ed and
 * drained with RELAYX_GET_SUBBUF/RELAYX_PUT_SUBBUF (see
 * Documentation/userspace.rst). -r, -s and -S take the byte stream
 * instead, with read(), splice() or sendfile().
 *
 * usage: relayx_sample_report [-d] [-r | -s | -S] [-f] [-o [-w]] [-z | -Z]
 *                             [-n RECORDS | -N FILE] [-p PREFIX] [-R FILE]
 *                             [DIR]
 *   -d  open each file through /dev/relayx (RELAYX_OPEN_BUF on an O_PATH
 *       descriptor of it), as under kernel lockdown, where debugfs
 *       refuses to open the files
 *   -r  read() instead of mmap
 *   -s  splice() into a pipe (SPLICE_F_NONBLOCK), then read the pipe
 *   -S  sendfile() into a memfd, then read that back
 *   -f  follow: poll until the channel is closed and drained, instead of
 *       stopping when nothing is ready
 *   -o  the channel is in overwrite mode: records may also be lost in
 *       overwritten sub-buffers, which must account for them exactly
 *   -w  some sub-buffer must have been overwritten
 *   -n  records each CPU was asked to write (default: the sample's
 *       nr_records parameter)
 *   -N  a file of "cpu count" lines: the records each CPU was handed
 *   -p  file name prefix (default "cpu")
 *   -z  nothing may have been dropped; -Z  something must have been
 *   -R  create FILE once every file is open (the caller may then let
 *       the client close its channel: open files stay readable)
 *   DIR default /sys/kernel/debug/relayx_sample
 *
 * relayx_sample_report --check [-n RECORDS | -N FILE] [-S JSON] [-M MODE]
 *                              [-P] FILE...
 * checks the files relayx-collect wrote instead (per-CPU or merged, in
 * any order of CPUs; a CPU's files in the order given): per CPU every
 * record intact, in order and once. With its --json summary (-S) and
 * what was written (-n, -N), also that each CPU's records read plus the
 * drops relayx counted make what was written (without drop counts, as
 * from upstream relay: that all of it was read).
 *   -M  every CPU of the summary was drained in MODE (mmap or read)
 *   -P  the collection was stopped early: no accounting (files still
 *       end on whole records)
 */
#define _GNU_SOURCE	/* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>

#include <linux/relayx.h>

#include "relayx_sample.h"

#define MAX_CPUS 256

struct cpu_report {
	int fd, cpu, eof;
	char *map;			/* mmap mode: the whole buffer */
	struct relayx_geometry geo;
	char partial[sizeof(struct relayx_sample_record)];
	size_t have;			/* read mode: bytes in partial */
	int pipe[2];			/* splice mode */
	int sink;			/* sendfile mode: a memfd */
	unsigned long long records, bytes, bad, torn, attempts;
	long long next_seq;
	struct relayx_buf_stats st;
};

static struct cpu_report rep[MAX_CPUS];
static int nrep, overwrite, dev_fd = -1;
static int use_read;		/* 0 (mmap), or 'r', 's' or 'S' */

static const char *const mode_names[128] = {
	[0] = "mmap + ioctl", ['r'] = "read()", ['s'] = "splice()",
	['S'] = "sendfile()",
};

static void check_record(struct cpu_report *r,
			 const struct relayx_sample_record *rec)
{
	struct relayx_sample_record good = { .seq = rec->seq };

	relayx_sample_fill(&good);
	/* Sequence numbers only grow: a smaller one is a duplicate. */
	if (rec->magic != RELAYX_SAMPLE_MAGIC || rec->cpu != (unsigned int)r->cpu ||
	    (long long)rec->seq < r->next_seq ||
	    memcmp(rec->payload, good.payload, sizeof(good.payload))) {
		r->bad++;
		return;
	}
	r->next_seq = rec->seq + 1;
	r->records++;
}

/* All of @len bytes from @fd, which has them. */
static ssize_t read_all(int fd, char *to, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, to + got, len - got);
		if (n <= 0)
			return -1;
		got += n;
	}
	return got;
}

/*
 * The next bytes of the stream, at most @size: 0 when there are none for
 * now. splice() under SPLICE_F_NONBLOCK must say EAGAIN then, not 0.
 */
static ssize_t pull(struct cpu_report *r, char *chunk, size_t size)
{
	ssize_t n;
	off_t at;

	switch (use_read) {
	case 's':
		n = splice(r->fd, NULL, r->pipe[1], NULL, size,
			   SPLICE_F_NONBLOCK);
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n == 0) {
			fprintf(stderr, "splice: 0 under SPLICE_F_NONBLOCK\n");
			errno = EPROTO;
			return -1;
		}
		return n < 0 ? n : read_all(r->pipe[0], chunk, n);
	case 'S':
		at = lseek(r->sink, 0, SEEK_CUR);
		n = sendfile(r->sink, r->fd, NULL, size);
		if (n <= 0)
			return n;
		return pread(r->sink, chunk, n, at) == n ? n : -1;
	default:
		return read(r->fd, chunk, size);
	}
}

/* Byte-stream modes: records may come split over reads. */
static int drain_read(struct cpu_report *r)
{
	char chunk[4096];
	ssize_t n, i;

	for (;;) {
		n = pull(r, chunk, sizeof(chunk));
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		r->bytes += n;
		for (i = 0; i < n; i++) {
			r->partial[r->have++] = chunk[i];
			if (r->have < sizeof(r->partial))
				continue;
			check_record(r, (void *)r->partial);
			r->have = 0;
		}
	}
}

/*
 * Mmap mode: each sub-buffer handed over holds whole records, between
 * offset and offset + len of the mapping, unchanged until it is put back:
 * consecutive records, even in overwrite mode.
 */
static int drain_mmap(struct cpu_report *r)
{
	struct relayx_sample_record rec;
	struct relayx_subbuf sb;
	__u64 off, prev = 0;

	while (ioctl(r->fd, RELAYX_GET_SUBBUF, &sb) == 0) {
		r->bytes += sb.len;
		if (sb.len % sizeof(rec))
			r->bad++;
		for (off = 0; off + sizeof(rec) <= sb.len; off += sizeof(rec)) {
			memcpy(&rec, r->map + sb.offset + off, sizeof(rec));
			if (off && rec.seq != prev + 1)
				r->torn++;
			prev = rec.seq;
			check_record(r, &rec);
		}
		if (ioctl(r->fd, RELAYX_PUT_SUBBUF, &sb.seq))
			return -1;
	}
	if (errno == ENODATA)
		r->eof = 1;
	return errno == EAGAIN || errno == ENODATA ? 0 : -1;
}

/* Is @cpu online? A CPU gets its buffer and file before it comes up. */
static int cpu_online(int cpu)
{
	char path[64], c = '0';
	FILE *f;

	if (cpu == 0)
		return 1;
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fread(&c, 1, 1, f) != 1)
		c = '0';
	fclose(f);
	return c == '1';
}

/*
 * Open @path for reading: with -d, an O_PATH descriptor, which works
 * under lockdown since it does not open the file, turned into an open
 * file of the buffer by /dev/relayx.
 */
static int open_file(const char *path)
{
	struct relayx_open_buf arg = { .flags = 0 };
	int fd, err;

	if (dev_fd < 0)
		return open(path, O_RDONLY);
	arg.fd = open(path, O_PATH);
	if (arg.fd < 0)
		return -1;
	fd = ioctl(dev_fd, RELAYX_OPEN_BUF, &arg);
	err = errno;
	close(arg.fd);
	errno = err;
	return fd;
}

static int open_cpu(const char *dir, const char *prefix, int cpu)
{
	struct cpu_report *r = &rep[nrep];
	char path[512];

	snprintf(path, sizeof(path), "%s/%s%d", dir, prefix, cpu);
	r->fd = open_file(path);
	if (r->fd < 0 && errno == ENOENT && cpu_online(cpu)) {
		fprintf(stderr, "%s: missing, but cpu %d is online\n", path, cpu);
		return -1;
	}
	if (r->fd < 0)
		return errno == ENOENT ? 0 : -1;
	r->cpu = cpu;
	if (ioctl(r->fd, RELAYX_GET_GEOMETRY, &r->geo))
		return -1;
	if (!use_read) {
		r->map = mmap(NULL, r->geo.mmap_len, PROT_READ, MAP_SHARED,
			      r->fd, 0);
		if (r->map == MAP_FAILED)
			return -1;
	}
	if (use_read == 's' && pipe(r->pipe))
		return -1;
	if (use_read == 'S') {
		r->sink = memfd_create("relayx_sendfile", 0);
		if (r->sink < 0)
			return -1;
	}
	nrep++;
	return 0;
}

/* Drain every file; with @follow, until each one is closed and empty. */
static int drain_all(int follow)
{
	struct pollfd pfd[MAX_CPUS];
	int i, open_files;

	do {
		open_files = 0;
		for (i = 0; i < nrep; i++) {
			struct cpu_report *r = &rep[i];

			if (r->eof)
				continue;
			if (use_read ? drain_read(r) : drain_mmap(r)) {
				fprintf(stderr, "cpu %d: %s\n", r->cpu,
					strerror(errno));
				return -1;
			}
			pfd[open_files].fd = r->fd;
			pfd[open_files].events = POLLIN;
			open_files++;
		}
		if (!follow || !open_files)
			break;
		if (poll(pfd, open_files, 1000) < 0)
			return -1;
		/* POLLERR: closed and drained (read mode learns it here). */
		for (i = 0; i < open_files; i++) {
			int k;

			if (!(pfd[i].revents & POLLERR))
				continue;
			for (k = 0; k < nrep; k++)
				if (rep[k].fd == pfd[i].fd)
					rep[k].eof = 1;
		}
	} while (open_files);
	return 0;
}

/*
 * Every record relayx says it wrote was read, once and intact, except in
 * overwrite mode those of the sub-buffers it says were overwritten: a
 * sub-buffer holds subbuf_size / 64 records. read() may have taken part
 * of a sub-buffer before it was lapped, mmap consumers take them whole.
 */
static int verify_losses(const struct cpu_report *r)
{
	unsigned long long lost = r->st.msgs - r->records;
	unsigned long long in_overwritten = r->st.overwritten *
		(r->geo.subbuf_size / sizeof(struct relayx_sample_record));

	if (r->records > r->st.msgs)
		return 0;
	if (!overwrite)
		return lost == 0;
	return use_read ? lost <= in_overwritten : lost == in_overwritten;
}

/* Per-CPU attempts from a "cpu count" file. */
static int read_attempts(const char *path)
{
	unsigned long long count;
	unsigned int cpu;
	FILE *f = fopen(path, "r");
	int i;

	if (!f)
		return -1;
	while (fscanf(f, "%u %llu", &cpu, &count) == 2)
		for (i = 0; i < nrep; i++)
			if (rep[i].cpu == (int)cpu)
				rep[i].attempts = count;
	fclose(f);
	return 0;
}

/* The records the sample module was asked to write on each CPU. */
static unsigned long long sample_nr_records(void)
{
	unsigned long long v = 0;
	const char *path = "/sys/module/relayx_sample/parameters/nr_records";
	FILE *f = fopen(path, "r");

	if (!f || fscanf(f, "%llu", &v) != 1)
		fprintf(stderr, "cannot read %s\n", path);
	if (f)
		fclose(f);
	return v;
}

/* Collected files: what a CPU's records look like so far. */
struct collected {
	unsigned long long records, bad, attempts, msgs, full, big;
	long long next_seq;
	int in_summary, have_stats;
	char mode[8];
};

static struct collected col[MAX_CPUS];

/* A "key": number field of a summary line; 0 when null or absent. */
static int json_u64(const char *line, const char *key,
		    unsigned long long *v)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(line, pat);
	if (!p)
		return 0;
	return sscanf(p + strlen(pat), "%llu", v) == 1;
}

/* The per-CPU lines of relayx-collect --json. */
static int read_summary(const char *path)
{
	unsigned long long cpu;
	char line[1024];
	const char *m;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		struct collected *c;

		if (!strstr(line, "{\"cpu\": ") || !json_u64(line, "cpu", &cpu) ||
		    cpu >= MAX_CPUS)
			continue;
		c = &col[cpu];
		c->in_summary = 1;
		c->have_stats = json_u64(line, "msgs", &c->msgs) &&
				json_u64(line, "full", &c->full) &&
				json_u64(line, "big", &c->big);
		m = strstr(line, "\"mode\": \"");
		if (m)
			sscanf(m + 9, "%7[a-z]", c->mode);
	}
	fclose(f);
	return 0;
}

/*
 * One collected file: whole records, each of the CPU
 * the file is named for (NAME.cpuN) or, merged, of any CPU.
 */
static int check_file(const char *path)
{
	struct relayx_sample_record rec;
	struct cpu_report r = { 0 };
	const char *dot = strrchr(path, '.');
	int want_cpu = -1;
	size_t n;
	FILE *f;

	if (dot && sscanf(dot, ".cpu%d", &want_cpu) != 1)
		want_cpu = -1;
	f = fopen(path, "r");
	if (!f) {
		perror(path);
		return -1;
	}
	while ((n = fread(&rec, 1, sizeof(rec), f)) == sizeof(rec)) {
		struct collected *c;

		if (rec.magic != RELAYX_SAMPLE_MAGIC || rec.cpu >= MAX_CPUS ||
		    (want_cpu >= 0 && rec.cpu != (unsigned int)want_cpu)) {
			printf("%s: a record that is not one\n", path);
			fclose(f);
			return -1;
		}
		c = &col[rec.cpu];
		r.cpu = rec.cpu;
		r.next_seq = c->next_seq;
		check_record(&r, &rec);
		c->next_seq = r.next_seq;
		c->records += r.records;
		c->bad += r.bad;
		r.records = 0;
		r.bad = 0;
	}
	fclose(f);
	if (n) {
		printf("%s: ends in %zu bytes of a record\n", path, n);
		return -1;
	}
	return 0;
}

static int check_main(int argc, char **argv)
{
	const char *summary = NULL, *attempts_file = NULL, *mode = NULL;
	unsigned long long attempts = 0, count, total = 0;
	int opt, partial = 0, failed = 0, i, any = 0;
	unsigned int cpu;
	FILE *f;

	while ((opt = getopt(argc, argv, "n:N:S:M:P")) != -1) {
		switch (opt) {
		case 'n':
			attempts = strtoull(optarg, NULL, 0);
			break;
		case 'N':
			attempts_file = optarg;
			break;
		case 'S':
			summary = optarg;
			break;
		case 'M':
			mode = optarg;
			break;
		case 'P':
			partial = 1;
			break;
		default:
			return 2;
		}
	}
	if (summary && read_summary(summary)) {
		perror(summary);
		return 1;
	}
	for (i = 0; i < MAX_CPUS; i++)
		col[i].attempts = col[i].in_summary ? attempts : 0;
	if (attempts_file) {
		f = fopen(attempts_file, "r");
		if (!f) {
			perror(attempts_file);
			return 1;
		}
		while (fscanf(f, "%u %llu", &cpu, &count) == 2)
			if (cpu < MAX_CPUS)
				col[cpu].attempts = count;
		fclose(f);
	}
	for (i = optind; i < argc; i++)
		failed |= !!check_file(argv[i]);

	printf("%-4s %-4s %10s %10s %10s %10s %10s %8s  %s\n", "cpu", "mode",
	       "records", "written", "msgs", "full", "too-big", "corrupt",
	       "verdict");
	for (i = 0; i < MAX_CPUS; i++) {
		struct collected *c = &col[i];
		int ok = !c->bad;

		if (!c->records && !c->attempts && !c->in_summary)
			continue;
		any = 1;
		if (mode && strcmp(c->mode, mode))
			ok = 0;
		if (!partial && !c->in_summary && c->attempts)
			ok = 0;
		else if (!partial && c->have_stats)
			ok &= c->records == c->msgs &&
			      c->msgs + c->full + c->big == c->attempts;
		else if (!partial && summary)
			ok &= c->records == c->attempts;
		printf("%-4d %-4s %10llu %10llu %10llu %10llu %10llu %8llu  %s\n",
		       i, c->mode, c->records, c->attempts, c->msgs, c->full,
		       c->big, c->bad, ok ? "ok" : "MISMATCH");
		failed |= !ok;
		total += c->records;
	}
	printf("total: %llu records checked\n", total);
	return failed || !any;
}

int main(int argc, char **argv)
{
	const char *dir = "/sys/kernel/debug/relayx_sample", *prefix = "cpu";
	const char *attempts_file = NULL;
	unsigned long long total = 0, dropped = 0, attempts = 0, lapped = 0;
	int cpu, i, opt, follow = 0, failed = 0, want_drops = -1;
	int want_overwrites = 0, ready;
	const char *ready_file = NULL;

	if (argc > 1 && !strcmp(argv[1], "--check"))
		return check_main(argc - 1, argv + 1);

	while ((opt = getopt(argc, argv, "drsSfowzZn:N:p:R:")) != -1) {
		switch (opt) {
		case 'd':
			dev_fd = open("/dev/" RELAYX_DEV_NAME, O_RDONLY);
			if (dev_fd < 0) {
				perror("/dev/" RELAYX_DEV_NAME);
				return 1;
			}
			break;
		case 'z':
			want_drops = 0;
			break;
		case 'Z':
			want_drops = 1;
			break;
		case 'o':
			overwrite = 1;
			break;
		case 'w':
			want_overwrites = 1;
			break;
		case 'R':
			ready_file = optarg;
			break;
		case 'r':
		case 's':
		case 'S':
			use_read = opt;
			break;
		case 'f':
			follow = 1;
			break;
		case 'n':
			attempts = strtoull(optarg, NULL, 0);
			break;
		case 'N':
			attempts_file = optarg;
			break;
		case 'p':
			prefix = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind < argc)
		dir = argv[optind];
	if (!attempts && !attempts_file)
		attempts = sample_nr_records();

	for (cpu = 0; cpu < MAX_CPUS; cpu++)
		if (open_cpu(dir, prefix, cpu)) {
			perror(prefix);
			return 1;
		}
	if (ready_file) {
		ready = open(ready_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (ready < 0) {
			perror(ready_file);
			return 1;
		}
		close(ready);
	}
	if (!nrep || drain_all(follow))
		return 1;
	for (i = 0; i < nrep; i++)
		rep[i].attempts = attempts;
	/* Read once the writers are done: after the drain. */
	if (attempts_file && read_attempts(attempts_file)) {
		perror(attempts_file);
		return 1;
	}

	printf("%s: %s%s\n", prefix, mode_names[use_read],
	       dev_fd < 0 ? "" : ", through /dev/" RELAYX_DEV_NAME);
	printf("%-4s %10s %10s %10s %10s %11s %8s  %s\n", "cpu", "records",
	       "bytes", "dropped", "too-big", "overwritten", "corrupt",
	       "verdict");
	for (i = 0; i < nrep; i++) {
		struct cpu_report *r = &rep[i];
		int ok;

		if (ioctl(r->fd, RELAYX_GET_STATS, &r->st))
			return 1;
		ok = !r->bad && !r->torn && !r->have &&
		     r->st.msgs + r->st.full + r->st.big == r->attempts &&
		     verify_losses(r);
		printf("%-4d %10llu %10llu %10llu %10llu %11llu %8llu  %s\n",
		       r->cpu, r->records, r->bytes,
		       (unsigned long long)r->st.full,
		       (unsigned long long)r->st.big,
		       (unsigned long long)r->st.overwritten, r->bad + r->torn,
		       ok ? "ok" : "MISMATCH");
		total += r->records;
		dropped += r->st.full + r->st.big;
		lapped += r->st.overwritten;
		failed |= !ok;
		if (r->map)
			munmap(r->map, r->geo.mmap_len);
		if (use_read == 's') {
			close(r->pipe[0]);
			close(r->pipe[1]);
		}
		if (use_read == 'S')
			close(r->sink);
		close(r->fd);
	}
	printf("total: %llu records read, %llu dropped and counted\n", total,
	       dropped);
	if (want_drops >= 0 && !!dropped != want_drops) {
		printf("FAIL: %s drops were expected\n", want_drops ? "some" : "no");
		failed = 1;
	}
	if (want_overwrites && !lapped) {
		printf("FAIL: no sub-buffer was overwritten\n");
		failed = 1;
	}
	return failed;
}
