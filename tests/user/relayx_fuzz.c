// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded fuzzer of relayx's user interface. Worker processes, each
 * with several threads, do random sequences of open, read (sizes 0, 1,
 * odd and huge, into NULL, unmapped, read-only and half-mapped buffers),
 * lseek, poll, epoll, mmap (every length, offset, prot and flag),
 * munmap, mremap, fork, ioctls (random commands, bad pointers, stale and
 * huge sequence numbers, two holders), close and kill while holding, on
 * the files of the test client (tests/module/relayx_testmod.c). Meanwhile
 * a controller flushes, pauses and resets the channels, checks their
 * accounting, takes CPUs down and up, and closes the channels, unloads
 * and reloads the client.
 *
 * The same seed gives the same sequence of decisions to every thread
 * (what the kernel answers differs, so a failure is reproduced by luck
 * of timing too, but its operations are the same). It fails when the
 * kernel answers something it must never answer (a read longer than
 * asked, a writable or executable mapping, a sub-buffer outside the
 * mapping, consumed past produced, a lost record); the harness also fails
 * a run whose guest log shows a splat, or that hangs.
 *
 * usage: relayx_fuzz [-s SEED] [-n OPS | -t SECONDS] [-p PROCS] [-T THREADS]
 *                    [-c] [-m MODULE.ko]
 *   -n  at least OPS operations, and each change of the controller
 *       (flush, accounting check, reset, CPU down, reload) 3 times
 *   -t  for SECONDS instead
 *   -c  also take CPUs down and up;  -m  unload and reload this client
 * Prints "fuzz: N operations, seed S" and exits 0, or 1 on a failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/relayx.h>

#define DIR		"/sys/kernel/debug/relayx_test"
#define MAX_CPUS	64
#define FDS		6
#define MAPS		4
#define HUGE_READ	(1024 * 1024)

static unsigned long long seed;
static int procs = 2, threads = 2, hotplug;
static const char *module;
static long ops_wanted = 2000, seconds;
static int ncpus;
static long page;

/* Shared between every process: the operation budget and the verdict. */
static struct shared {
	long ops;
	int failed;
	int stop;
} *sh;

/* xorshift64*: reproducible from the seed, independent per thread. */
static unsigned long long next_rand(unsigned long long *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static unsigned int pick(unsigned long long *s, unsigned int n)
{
	return next_rand(s) % n;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "FAIL (seed %llu): ", seed);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	__atomic_store_n(&sh->failed, 1, __ATOMIC_SEQ_CST);
}

struct map {
	void *addr;
	size_t len;
	int readable;
};

struct worker {
	unsigned long long rng;
	int fd[FDS];
	int epfd;
	struct map map[MAPS];
	char *buf;		/* HUGE_READ bytes */
	char *ro;		/* a read-only page */
	char *half;		/* two pages, the second PROT_NONE */
};

static void file_name(struct worker *w, char *path, size_t len)
{
	snprintf(path, len, DIR "/%c%u", pick(&w->rng, 2) ? 'a' : 'b',
		 pick(&w->rng, ncpus + 1));
}

static int any_fd(struct worker *w)
{
	return w->fd[pick(&w->rng, FDS)];
}

static void op_open(struct worker *w)
{
	static const int flags[] = { O_RDONLY, O_RDONLY | O_NONBLOCK, O_RDWR,
				     O_WRONLY };
	unsigned int slot = pick(&w->rng, FDS);
	char path[128];

	file_name(w, path, sizeof(path));
	if (w->fd[slot] >= 0)
		close(w->fd[slot]);
	w->fd[slot] = open(path, flags[pick(&w->rng, 4)]);
}

static void op_close(struct worker *w)
{
	unsigned int slot = pick(&w->rng, FDS);

	if (w->fd[slot] >= 0)
		close(w->fd[slot]);
	w->fd[slot] = -1;
}

static void op_read(struct worker *w)
{
	static const size_t sizes[] = { 0, 1, 63, 4095, 4097, HUGE_READ };
	size_t len = sizes[pick(&w->rng, 6)];
	int fd = any_fd(w);
	void *to;
	ssize_t n;

	switch (pick(&w->rng, 5)) {
	case 0:
		to = NULL;
		break;
	case 1:
		to = (void *)16;	/* never mapped */
		break;
	case 2:
		to = w->ro;
		len = len > (size_t)page ? (size_t)page : len;
		break;
	case 3:		/* the copy faults half way */
		to = w->half + page - 32;
		len = len < 64 ? 64 : len;
		len = len > (size_t)page ? (size_t)page : len;
		break;
	default:
		to = w->buf;
		break;
	}
	n = read(fd, to, len);
	if (n > (ssize_t)len)
		fail("read of %zu returned %zd", len, n);
	if (n > 0 && to != w->buf && to != w->half + page - 32)
		fail("read into a bad buffer returned %zd", n);
	if (n > 32 && to == w->half + page - 32)
		fail("read past a PROT_NONE page returned %zd", n);
}

static void op_seek_poll(struct worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct pollfd p = { .fd = any_fd(w), .events = POLLIN };
	int fd = p.fd;

	switch (pick(&w->rng, 4)) {
	case 0:
		if (fd >= 0 && lseek(fd, pick(&w->rng, 3) * 100, SEEK_SET) != -1)
			fail("lseek on a buffer file succeeded");
		break;
	case 1:
		poll(&p, 1, pick(&w->rng, 3) * 10);
		break;
	case 2:
		epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
		epoll_wait(w->epfd, &ev, 1, pick(&w->rng, 3) * 10);
		break;
	default:
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL);
		break;
	}
}

static void check_mapping(struct worker *w, int fd, void *addr, size_t len,
			  int prot)
{
	struct relayx_geometry geo;

	if (prot & (PROT_WRITE | PROT_EXEC))
		fail("mmap with prot %#x succeeded", prot);
	if (ioctl(fd, RELAYX_GET_GEOMETRY, &geo) == 0 && len != geo.mmap_len)
		fail("mmap of %zu bytes, buffer is %llu", len,
		     (unsigned long long)geo.mmap_len);
	/* Touch every page: the mapping must be readable throughout. */
	for (size_t off = 0; off < len; off += page)
		__atomic_load_n((char *)addr + off, __ATOMIC_RELAXED);
	(void)w;
}

static void op_mmap(struct worker *w)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE,
				     PROT_READ | PROT_EXEC, PROT_NONE };
	struct relayx_geometry geo = { .mmap_len = page };
	unsigned int slot = pick(&w->rng, MAPS);
	int fd = any_fd(w), prot = prots[pick(&w->rng, 4)];
	size_t len;
	off_t off;
	void *addr;

	if (ioctl(fd, RELAYX_GET_GEOMETRY, &geo))
		geo.mmap_len = page;
	len = geo.mmap_len;
	switch (pick(&w->rng, 4)) {
	case 1:
		len -= page;
		break;
	case 2:
		len += page;
		break;
	default:
		break;
	}
	off = pick(&w->rng, 4) ? 0 : page;
	addr = mmap(NULL, len, prot,
		    pick(&w->rng, 2) ? MAP_SHARED : MAP_PRIVATE, fd, off);
	if (addr == MAP_FAILED)
		return;
	if (off || len != geo.mmap_len)
		fail("mmap of %zu bytes at %ld succeeded", len, (long)off);
	if (prot != PROT_NONE)
		check_mapping(w, fd, addr, len, prot);
	if (w->map[slot].addr)
		munmap(w->map[slot].addr, w->map[slot].len);
	w->map[slot].addr = addr;
	w->map[slot].len = len;
	w->map[slot].readable = prot != PROT_NONE;
}

static void op_unmap(struct worker *w)
{
	struct map *m = &w->map[pick(&w->rng, MAPS)];
	void *to;

	if (!m->addr)
		return;
	switch (pick(&w->rng, 4)) {
	case 0:		/* partial: refused, the mapping stays whole */
		if (m->len > (size_t)page && munmap(m->addr, page) == 0)
			fail("partial munmap succeeded");
		return;
	case 1:
		to = mremap(m->addr, m->len, m->len + page, MREMAP_MAYMOVE);
		if (to != MAP_FAILED)
			fail("mremap growing a mapping succeeded");
		return;
	case 2:		/* moving it whole is fine */
		to = mremap(m->addr, m->len, m->len, MREMAP_MAYMOVE);
		if (to != MAP_FAILED)
			m->addr = to;
		return;
	default:
		munmap(m->addr, m->len);
		m->addr = NULL;
	}
}

static void check_subbuf(int fd, const struct relayx_subbuf *sb)
{
	struct relayx_geometry geo;

	if (ioctl(fd, RELAYX_GET_GEOMETRY, &geo))
		return;
	if (sb->len > geo.subbuf_size || sb->offset + sb->len > geo.mmap_len)
		fail("sub-buffer %llu at %llu + %llu outside %llu x %llu",
		     (unsigned long long)sb->seq,
		     (unsigned long long)sb->offset,
		     (unsigned long long)sb->len,
		     (unsigned long long)geo.n_subbufs,
		     (unsigned long long)geo.subbuf_size);
}

/* The uapi's extension rule: the getters answer any size, put only its own. */
#define SIZELESS(cmd)	((cmd) & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT))

static int known_cmd(unsigned long cmd)
{
	return cmd == RELAYX_PUT_SUBBUF ||
	       SIZELESS(cmd) == SIZELESS(RELAYX_GET_GEOMETRY) ||
	       SIZELESS(cmd) == SIZELESS(RELAYX_GET_SUBBUF) ||
	       SIZELESS(cmd) == SIZELESS(RELAYX_GET_STATS);
}

static void op_ioctl(struct worker *w)
{
	struct relayx_buf_stats st;
	struct relayx_subbuf sb;
	int fd = any_fd(w);
	unsigned long cmd;
	void *arg = &sb;
	__u64 seq;

	memset(&sb, 0, sizeof(sb));
	switch (pick(&w->rng, 4)) {
	case 0:
		arg = NULL;
		break;
	case 1:
		arg = w->ro;
		break;
	case 2:
		arg = (void *)16;
		break;
	default:
		break;
	}
	switch (pick(&w->rng, 6)) {
	case 0:
		if (ioctl(fd, RELAYX_GET_SUBBUF, arg) == 0) {
			if (arg != &sb)
				fail("GET_SUBBUF into a bad pointer succeeded");
			else
				check_subbuf(fd, &sb);
		}
		break;
	case 1:
		seq = pick(&w->rng, 2) ? sb.seq : next_rand(&w->rng);
		ioctl(fd, RELAYX_PUT_SUBBUF, pick(&w->rng, 4) ? (void *)&seq : arg);
		break;
	case 2:
		if (ioctl(fd, RELAYX_GET_STATS, &st) == 0 &&
		    st.consumed > st.produced)
			fail("consumed %llu past produced %llu",
			     (unsigned long long)st.consumed,
			     (unsigned long long)st.produced);
		break;
	case 3:
		ioctl(fd, RELAYX_GET_GEOMETRY, arg);
		break;
	default:	/* anything at all, or ours garbled: never taken */
		cmd = (unsigned int)next_rand(&w->rng);
		if (pick(&w->rng, 2))
			cmd = (cmd & ~0xff00UL) | (RELAYX_IOC_MAGIC << 8);
		/* A known command of any size may fill that many bytes. */
		if (arg == &sb)
			arg = w->buf;
		if (ioctl(fd, cmd, arg) == 0 && !known_cmd(cmd))
			fail("unknown ioctl %#lx succeeded", cmd);
	}
}

/* A child that holds a sub-buffer (or not) and dies: kill or exit. */
static void op_fork(struct worker *w)
{
	struct relayx_subbuf sb;
	int fd = any_fd(w), fds[2];
	char c = 0;
	pid_t pid;

	if (pipe(fds))
		return;
	pid = fork();
	if (pid == 0) {
		if (ioctl(fd, RELAYX_GET_SUBBUF, &sb) == 0)
			check_subbuf(fd, &sb);
		/* Maps inherited from the parent are read in the child too. */
		for (int i = 0; i < MAPS; i++)
			if (w->map[i].addr && w->map[i].readable)
				__atomic_load_n((char *)w->map[i].addr,
						__ATOMIC_RELAXED);
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	if (pid > 0) {
		if (read(fds[0], &c, 1) != 1)
			fail("forked child died early");
		kill(pid, pick(&w->rng, 2) ? SIGKILL : SIGTERM);
		waitpid(pid, NULL, 0);
	}
	close(fds[0]);
}

static void run_op(struct worker *w)
{
	switch (pick(&w->rng, 12)) {
	case 0:
	case 1:
		op_open(w);
		break;
	case 2:
		op_close(w);
		break;
	case 3:
	case 4:
		op_read(w);
		break;
	case 5:
		op_seek_poll(w);
		break;
	case 6:
	case 7:
		op_mmap(w);
		break;
	case 8:
		op_unmap(w);
		break;
	case 9:
	case 10:
		op_ioctl(w);
		break;
	default:
		if (!pick(&w->rng, 4))
			op_fork(w);
		else
			op_ioctl(w);
	}
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < FDS; i++)
		w->fd[i] = -1;
	w->epfd = epoll_create1(0);
	w->buf = malloc(HUGE_READ);
	w->ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	w->half = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!w->buf || w->ro == MAP_FAILED || w->half == MAP_FAILED ||
	    mprotect(w->half + page, page, PROT_NONE)) {
		fail("worker setup");
		return NULL;
	}
	/* The controller says when to stop (see done()). */
	while (!__atomic_load_n(&sh->stop, __ATOMIC_SEQ_CST) &&
	       !__atomic_load_n(&sh->failed, __ATOMIC_SEQ_CST)) {
		__atomic_fetch_add(&sh->ops, 1, __ATOMIC_SEQ_CST);
		run_op(w);
	}
	for (i = 0; i < FDS; i++)
		if (w->fd[i] >= 0)
			close(w->fd[i]);
	for (i = 0; i < MAPS; i++)
		if (w->map[i].addr)
			munmap(w->map[i].addr, w->map[i].len);
	return NULL;
}

static void worker_process(int id)
{
	pthread_t tid[16];
	struct worker *w;
	int i;

	w = calloc(threads, sizeof(*w));
	for (i = 0; i < threads; i++) {
		w[i].rng = seed * 1000003ULL + id * 131ULL + i + 1;
		pthread_create(&tid[i], NULL, worker_thread, &w[i]);
	}
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	_exit(0);
}

/* ---- the controller: channels and CPUs change under the workers ---- */

static int ctl_cmd(const char *cmd)
{
	int fd = open(DIR "/ctl", O_WRONLY), ret = 0;

	if (fd < 0)
		return -1;
	if (write(fd, cmd, strlen(cmd)) < 0)
		ret = -1;
	close(fd);
	return ret;
}

/* Per CPU: records handed to the client (seqs) and each channel's counts. */
static int check_accounting(void)
{
	unsigned long long seqs[MAX_CPUS] = { 0 }, v[10];
	unsigned int cpu;
	char path[128], line[512];
	int ch, bad = 0;
	FILE *f;

	f = fopen(DIR "/seqs", "r");
	if (!f)
		return 0;	/* the client is being reloaded */
	while (fscanf(f, "%u %llu", &cpu, &v[0]) == 2)
		if (cpu < MAX_CPUS)
			seqs[cpu] = v[0];
	fclose(f);
	for (ch = 0; ch < 2; ch++) {
		snprintf(path, sizeof(path), DIR "/%cstats", "ab"[ch]);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "%u %llu %llu %llu %llu %llu %llu %llu %llu %llu",
				   &cpu, &v[0], &v[1], &v[2], &v[3], &v[4],
				   &v[5], &v[6], &v[7], &v[8]) != 10 ||
			    cpu >= MAX_CPUS)
				continue;
			if (v[0] + v[2] + v[4] != seqs[cpu]) {
				fail("%cstats cpu %u: %llu written + %llu full + %llu big != %llu",
				     "ab"[ch], cpu, v[0], v[2], v[4],
				     seqs[cpu]);
				bad = 1;
			}
			if (v[8] > v[7]) {
				fail("%cstats cpu %u: consumed %llu > produced %llu",
				     "ab"[ch], cpu, v[8], v[7]);
				bad = 1;
			}
		}
		fclose(f);
	}
	return bad;
}

static void cpu_set_online(int cpu, int on)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return;
	if (write(fd, on ? "1" : "0", 1) < 0 && on)
		fail("cpu %d does not come back online: %s", cpu, strerror(errno));
	close(fd);
}

static void reload_client(void)
{
	char cmd[256];

	ctl_cmd("stop");
	if (system("rmmod relayx_testmod"))
		fail("rmmod relayx_testmod failed");
	snprintf(cmd, sizeof(cmd), "insmod %s", module);
	if (system(cmd))
		fail("insmod %s failed", module);
	ctl_cmd("start");
}

/* What the controller did, printed at the end as evidence of overlap. */
static unsigned int flushes, checks, resets, hotplugs, reloads;

/* Each change the controller makes happens this often at least. */
#define MIN_EACH	3

/*
 * A bounded run ends once the workers did their operations and every
 * kind of change happened MIN_EACH times under them; a timed run when
 * its time is up.
 */
static int done(time_t end)
{
	if (seconds)
		return time(NULL) >= end;
	return __atomic_load_n(&sh->ops, __ATOMIC_SEQ_CST) >= ops_wanted &&
	       flushes >= MIN_EACH && checks >= MIN_EACH &&
	       resets >= MIN_EACH && (!hotplug || hotplugs >= MIN_EACH) &&
	       (!module || reloads >= MIN_EACH);
}

static void controller(unsigned long long *rng, time_t end)
{
	int down = -1;

	ctl_cmd("start");
	while (!__atomic_load_n(&sh->failed, __ATOMIC_SEQ_CST) && !done(end)) {
		usleep(20000 + pick(rng, 80000));
		switch (pick(rng, 8)) {
		case 0:
		case 1:
			flushes += !ctl_cmd("flush");
			break;
		case 2:		/* writers stopped: the counts must add up */
			if (!ctl_cmd("pause")) {
				ctl_cmd("flush");
				check_accounting();
				checks++;
			}
			ctl_cmd("start");
			break;
		case 3:
			if (!ctl_cmd("reset")) {
				check_accounting();
				resets++;
			}
			ctl_cmd("start");
			break;
		case 4:
		case 5:
			if (!hotplug || ncpus < 2)
				break;
			if (down < 0) {
				down = 1 + pick(rng, ncpus - 1);
				cpu_set_online(down, 0);
				hotplugs++;
			} else {
				cpu_set_online(down, 1);
				down = -1;
			}
			break;
		default:
			if (module && !pick(rng, 3)) {
				reload_client();
				reloads++;
			}
		}
	}
	if (down >= 0)
		cpu_set_online(down, 1);
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	if (!ctl_cmd("pause")) {
		ctl_cmd("flush");
		check_accounting();
	}
}

int main(int argc, char **argv)
{
	unsigned long long rng;
	pid_t pids[64];
	int opt, i, status;
	time_t end;

	seed = (unsigned long long)time(NULL) ^ getpid();
	while ((opt = getopt(argc, argv, "s:n:t:p:T:cm:")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			ops_wanted = strtol(optarg, NULL, 0);
			break;
		case 't':
			seconds = strtol(optarg, NULL, 0);
			break;
		case 'p':
			procs = atoi(optarg);
			break;
		case 'T':
			threads = atoi(optarg);
			break;
		case 'c':
			hotplug = 1;
			break;
		case 'm':
			module = optarg;
			break;
		default:
			return 2;
		}
	}
	if (procs < 1 || procs > 64 || threads < 1 || threads > 16)
		return 2;
	/* Printed first, so that a run that dies can still be reproduced. */
	printf("fuzz: seed %llu\n", seed);
	fflush(stdout);
	page = sysconf(_SC_PAGESIZE);
	ncpus = sysconf(_SC_NPROCESSORS_CONF);
	if (ncpus > MAX_CPUS)
		ncpus = MAX_CPUS;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			worker_process(i);
	}
	rng = seed ^ 0x9E3779B97F4A7C15ULL;
	end = time(NULL) + seconds;
	controller(&rng, end);
	for (i = 0; i < procs; i++)
		if (pids[i] > 0 && (waitpid(pids[i], &status, 0) < 0 ||
				    !WIFEXITED(status) || WEXITSTATUS(status)))
			fail("worker %d did not exit cleanly (status %#x)", i,
			     status);
	printf("fuzz: %u flushes, %u accounting checks, %u resets, ",
	       flushes, checks, resets);
	printf("%u CPUs taken down, %u client reloads\n", hotplugs, reloads);
	printf("fuzz: %ld operations, seed %llu\n", sh->ops, seed);
	return sh->failed;
}
