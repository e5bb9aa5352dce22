// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded fuzzer of relayx's user interface, driving the files of the
 * test client (tests/module/relayx_testmod.c) while its channels and the
 * CPUs change underneath.
 *
 * Workers: processes of several threads. Each process has a small table
 * of descriptors of buffer files (debugfs opens and RELAYX_OPEN_BUF ones
 * from /dev/relayx) that all its threads use at once; a slot is swapped
 * for a new open only under its write lock, so operations almost always
 * hit an open file, and a small share of them is aimed at closed
 * descriptors on purpose. The operations: open, RELAYX_OPEN_BUF (good and
 * bad), close; read, readv, splice and sendfile (sizes 0, 1, odd, a
 * sub-buffer and 1 MiB, into bad, read-only and half-mapped buffers);
 * lseek, poll, epoll; mmap, partial and whole munmap, mremap (grow,
 * shrink, move), madvise, mprotect; the consumer protocol (GET_SUBBUF,
 * then PUT_SUBBUF with the seq it returned, often, or with a wrong one,
 * from the same thread, another thread or a forked child sharing the
 * file); GET_STATS, GET_GEOMETRY, random commands; fork.
 *
 * Actors, one thread each, overlapping freely: a flusher; a CPU hotplug
 * actor (-c); a resetter, which checks the accounting of the paused
 * channels, and resets them, checks that the counts are zero, writes a
 * known number of records and checks that each is counted once; a
 * reloader of the client (-m). Flushes, resets and reloads that overlap a
 * CPU transition are counted, and a bounded run goes on until each kind
 * of overlap happened.
 *
 * It fails when the kernel answers what it must never answer: a read
 * longer than asked or into a bad buffer, a writable, executable, partial
 * or grown mapping, an unknown ioctl taken, a sub-buffer outside the
 * mapping or not the one its seq names, records in it that are not the
 * client's, a second GET on a holding file, EBUSY when no file holds,
 * PUT_SUBBUF with the seq GET returned refused (no reset between) or a
 * wrong seq taken, a consumed count that does not pass a PUT sub-buffer,
 * a GET that goes back, consumed past produced, an accounting mismatch,
 * EBADF on an open descriptor, unbalanced buf_mapped/buf_unmapped calls,
 * a kind of operation that never reached relayx. The harness also fails
 * a run whose guest log shows a splat, or that hangs.
 *
 * An operation "reaches relayx" when it was made on a descriptor open on
 * a relayx file (or on a relayx mapping) and did not fail with EBADF, or
 * with an error the VFS or the mm gives before relayx is called (mmap:
 * EACCES, a zero length; sendfile with an offset: ESPIPE).
 *
 * usage: relayx_fuzz [-s SEED] [-n OPS | -t SECONDS] [-p PROCS]
 *                    [-T THREADS] [-c] [-m "MODULE.ko PARAMS"] [-o] [-g]
 *   -n  until at least OPS operations reached relayx, and each actor and
 *       each overlap happened MIN_EACH times;  -t  for SECONDS instead
 *   -c  take CPUs down and up;  -m  unload and reload this client
 *   -o  the client is in overwrite mode;  -g  its channel b is global
 * Prints the operations that reached relayx, in all and per kind, then
 * "fuzz: N operations reached relayx, seed S"; exits 0, or 1 on a
 * failure after printing the command that repeats the run.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
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
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <linux/relayx.h>

#include "relayx_sample.h"

#ifndef MADV_COLD
#define MADV_COLD	20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

#define DIR		"/sys/kernel/debug/relayx_test"
#define DEV		"/dev/" RELAYX_DEV_NAME
#define MAX_CPUS	64
#define FDS		4		/* descriptors per process */
#define HUGE_READ	(1024 * 1024)
#define REC		sizeof(struct relayx_sample_record)
#define STALE_FD	900		/* 900..999: never open */
#define MIN_EACH	3
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define RESET_RECORDS	100		/* written after each reset */

static unsigned long long seed;
static int procs = 2, threads = 2, hotplug, overwrite, global_b;
static const char *module;
static long ops_wanted = 20000, seconds;
static int ncpus;
static long page;
static char replay[1024];
static long long start_ns, ops_reached_ns;

enum kind {
	K_OPEN, K_OPEN_BUF, K_CLOSE, K_READ, K_READV, K_SPLICE, K_SENDFILE,
	K_LSEEK, K_POLL, K_EPOLL, K_MMAP, K_MUNMAP, K_MREMAP, K_MADVISE,
	K_MPROTECT, K_GET, K_PUT, K_STATS, K_GEOMETRY, K_IOCTL, K_FORK, NKINDS
};

static const char *const kind_name[NKINDS] = {
	"open", "open_buf", "close", "read", "readv", "splice", "sendfile",
	"lseek", "poll", "epoll", "mmap", "munmap", "mremap", "madvise",
	"mprotect", "get_subbuf", "put_subbuf", "get_stats", "get_geometry",
	"ioctl_other", "fork",
};

/* Buffers, for the holders' count: channel * MAX_CPUS + file index. */
#define KEYS		(2 * MAX_CPUS)

/* Shared between every process. */
static struct shared {
	long ops[NKINDS], reached[NKINDS], closed[NKINDS];
	long reached_all;
	/* Held sub-buffers (and GETs under way) per buffer, as we know them. */
	int holders[KEYS];
	long released[KEYS];	/* decrements of holders[] */
	/* Odd while a reset runs; changes with each: holds may be gone. */
	unsigned long gen;
	/*
	 * Forked children alive, and ever forked: a child's copies of the
	 * descriptors and mappings keep files open after the parent let go.
	 */
	long forks_live, forks_started;
	long gets, puts, wrong_puts, ebusy, dropped_by_reset, child_puts;
	/* Sub-buffers a child put back that changed before its parent looked. */
	long changed_after_put;
	/* Where the time goes: per operation function, per actor. */
	long long op_ns[32];
	long op_calls[32];
	int failed;
	int stop;
} *sh;

#define ADD(field, n)	__atomic_add_fetch(&(field), (n), __ATOMIC_SEQ_CST)
#define LOAD(field)	__atomic_load_n(&(field), __ATOMIC_SEQ_CST)

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

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
	if (!__atomic_exchange_n(&sh->failed, 1, __ATOMIC_SEQ_CST))
		fprintf(stderr, "replay in the guest: %s\n", replay);
}

/* ---- the workers' descriptors ---- */

struct map {
	char *addr;
	size_t len;
	int prot;
	int dontfork;
};

struct slot {
	pthread_rwlock_t lock;	/* read: use fd and map; write: change them */
	pthread_mutex_t hold;	/* GET, PUT and the fields below */
	int fd;
	int readable;
	int key;		/* which buffer, for sh->holders */
	int cpu;		/* the file's CPU, -1 for the global buffer */
	struct map map;
	int held;
	unsigned long long held_seq;
	unsigned long held_gen;
	int put_known;
	unsigned long long put_seq;
	unsigned long put_gen;
};

static struct slot slots[FDS];	/* per process, shared by its threads */
static int devfd = -1;		/* /dev/relayx, per process */
/*
 * This process's epoll calls under way (epoll_wait, and the EPOLL_CTL_DEL
 * made after the slot was let go). Each may hold a reference to a file of
 * a slot for a moment, without the slot's lock: epoll_wait() on every file
 * it polls, epoll_ctl() on the one its descriptor names. When a close()
 * drops the slot's reference meanwhile, the epoll call's is the last, and
 * the file's release, with its hold, runs when that call returns. A
 * forked child, alive, keeps every slot's file open (children): an epoll
 * call may then take the file after the slot's close.
 */
static long epoll_calls, children;

struct worker {
	unsigned long long rng;
	int id;
	int want;		/* the slot the next use() takes, or -1 */
	int epfd;
	int pipe[2];
	int devnull;
	char *buf;		/* HUGE_READ bytes */
	char *ro;		/* a read-only page */
	char *half;		/* two pages, the second PROT_NONE */
};

/* What an operation was aimed at. */
struct target {
	struct slot *s;		/* NULL: a closed descriptor, on purpose */
	int fd;
};

static void count(enum kind k, const struct target *t, int reached)
{
	ADD(sh->ops[k], 1);
	if (!t->s) {
		ADD(sh->closed[k], 1);
		return;
	}
	if (reached) {
		ADD(sh->reached[k], 1);
		ADD(sh->reached_all, 1);
	}
}

/*
 * The answer of a call on @t: @ret and errno. On an open descriptor,
 * EBADF is only right where @ebadf_ok says so (reading from a file open
 * for writing only); on a closed one it is the only right answer.
 */
static void answered(enum kind k, const struct target *t, long ret, int err,
		     int ebadf_ok, int vfs_refused)
{
	if (!t->s) {
		if (ret >= 0 || err != EBADF)
			fail("%s on closed descriptor %d: %ld, %s", kind_name[k],
			     t->fd, ret, strerror(err));
		count(k, t, 0);
		return;
	}
	if (ret < 0 && err == EBADF && !ebadf_ok)
		fail("%s on open descriptor %d: EBADF", kind_name[k], t->fd);
	count(k, t, !(ret < 0 && err == EBADF) && !vfs_refused);
}

static int file_key(char ch, int idx)
{
	return (ch == 'b') * MAX_CPUS + idx;
}

/* A random buffer file of the client; its key and CPU. */
static void file_name(struct worker *w, char *path, size_t len, int *key,
		      int *cpu)
{
	char ch = pick(&w->rng, 2) ? 'a' : 'b';
	int idx = ch == 'b' && global_b ? 0 : (int)pick(&w->rng, ncpus);

	snprintf(path, len, DIR "/%c%d", ch, idx);
	*key = file_key(ch, idx);
	*cpu = ch == 'b' && global_b ? -1 : idx;
}

static int use(struct worker *w, struct target *t, int stale_ok)
{
	if (w->want >= 0) {
		t->s = &slots[w->want];
		w->want = -1;
		pthread_rwlock_rdlock(&t->s->lock);
		t->fd = t->s->fd;
		return 0;
	}
	if (stale_ok && !pick(&w->rng, 50)) {
		t->s = NULL;
		t->fd = STALE_FD + pick(&w->rng, 100);
		return 0;
	}
	t->s = &slots[pick(&w->rng, FDS)];
	pthread_rwlock_rdlock(&t->s->lock);
	t->fd = t->s->fd;
	return 0;
}

static void done_with(struct target *t)
{
	if (t->s)
		pthread_rwlock_unlock(&t->s->lock);
}

/*
 * One hold (or GET under way) less on buffer @key, after the kernel let go
 * of it: released[] tells an EBUSY seen meanwhile that it may have been
 * this one's.
 */
static void drop_holder(int key)
{
	ADD(sh->released[key], 1);
	ADD(sh->holders[key], -1);
}

/* What slot @s held is no longer held (hold locked). */
static void forget_hold(struct slot *s)
{
	if (s->held)
		drop_holder(s->key);
	s->held = 0;
}

static void unmap(struct slot *s)
{
	if (s->map.addr)
		munmap(s->map.addr, s->map.len);
	memset(&s->map, 0, sizeof(s->map));
}

/*
 * Put @fd (open on buffer @key) in slot @s, write-locked, closing what was
 * there; the mapping goes before or after the close (the last reference
 * to the file is then the mapping's). @fd < 0 leaves the slot as it is.
 */
static void install(struct worker *w, struct slot *s, int fd, int readable,
		    int key, int cpu)
{
	int unmap_first = pick(&w->rng, 2);

	pthread_mutex_lock(&s->hold);
	if (unmap_first)
		unmap(s);
	close(s->fd);
	if (!unmap_first)
		unmap(s);
	/*
	 * An epoll call of another thread may have had the last reference
	 * (see epoll_calls): the hold is then dropped when that call
	 * returns, and until then a GET or a read() of the buffer rightly
	 * answers EBUSY. The hold stays in the books as long. With no
	 * child and no epoll call left, the file is released: no new epoll
	 * call can take it.
	 */
	if (s->held)
		while (LOAD(children) || LOAD(epoll_calls))
			usleep(100);
	/* The file is gone, and what it held with it. */
	forget_hold(s);
	s->put_known = 0;
	s->fd = fd;
	s->readable = readable;
	s->key = key;
	s->cpu = cpu;
	pthread_mutex_unlock(&s->hold);
}

static int open_flags(struct worker *w, int *readable)
{
	static const int flags[] = { O_RDONLY, O_RDONLY | O_NONBLOCK, O_RDONLY,
				     O_RDONLY | O_NONBLOCK, O_RDONLY, O_RDONLY,
				     O_RDWR, O_WRONLY };
	int f = flags[pick(&w->rng, 8)];

	*readable = (f & O_ACCMODE) != O_WRONLY;
	return f;
}

static void op_open(struct worker *w)
{
	struct target t = { .s = &slots[pick(&w->rng, FDS)] };
	int key, cpu, readable, fd, flags = open_flags(w, &readable);
	char path[128];

	file_name(w, path, sizeof(path), &key, &cpu);
	fd = open(path, flags);
	/* Absent (the client reloading): not relayx's answer. */
	count(K_OPEN, &t, fd >= 0 || errno != ENOENT);
	if (fd < 0)
		return;
	pthread_rwlock_wrlock(&t.s->lock);
	install(w, t.s, fd, readable, key, cpu);
	pthread_rwlock_unlock(&t.s->lock);
}

/* A new descriptor of a buffer from an O_PATH one, through /dev/relayx. */
static void op_open_buf(struct worker *w)
{
	struct relayx_open_buf arg = { .fd = -1 };
	struct target t = { .s = &slots[pick(&w->rng, FDS)], .fd = devfd };
	unsigned char big[24];
	int key, cpu, fd, err, variant = pick(&w->rng, 10), must_fail = 1;
	unsigned long cmd = RELAYX_OPEN_BUF;
	char path[128];
	void *p = &arg;

	file_name(w, path, sizeof(path), &key, &cpu);
	switch (variant) {
	case 0:		/* not a buffer file */
		arg.fd = open(DIR "/ctl", O_PATH);
		break;
	case 1:		/* closed */
		arg.fd = STALE_FD + pick(&w->rng, 100);
		break;
	case 2:		/* a flag nobody defined */
		arg.fd = open(path, O_PATH);
		arg.flags = 1U << pick(&w->rng, 32);
		break;
	case 3:		/* a longer struct: zeroes are fine, the rest is not */
		arg.fd = open(path, O_PATH);
		memset(big, 0, sizeof(big));
		memcpy(big, &arg, sizeof(arg));
		must_fail = pick(&w->rng, 2);
		if (must_fail)
			big[sizeof(arg) + pick(&w->rng, sizeof(big) - sizeof(arg))] = 1;
		cmd = _IOW(RELAYX_IOC_MAGIC, 0x10, big);
		p = big;
		break;
	case 4:
		p = pick(&w->rng, 2) ? NULL : (void *)16;
		break;
	default:
		arg.fd = open(path, pick(&w->rng, 2) ? O_PATH : O_RDONLY);
		must_fail = 0;
	}
	if (variant != 1 && variant != 4 && arg.fd < 0) {
		count(K_OPEN_BUF, &t, 0);	/* nothing to ask about */
		return;
	}
	fd = ioctl(devfd, cmd, p);
	err = errno;
	if (fd >= 0 && must_fail)
		fail("RELAYX_OPEN_BUF variant %d succeeded", variant);
	if (fd < 0 && !must_fail && err != ENOENT && err != EINVAL)
		fail("RELAYX_OPEN_BUF of %s: %s", path, strerror(err));
	/* EBADF for the closed descriptor inside is relayx's answer. */
	answered(K_OPEN_BUF, &t, fd, err, variant == 1, 0);
	if (arg.fd >= 0 && arg.fd < STALE_FD)
		close(arg.fd);
	if (fd < 0)
		return;
	if (fcntl(fd, F_GETFD) != FD_CLOEXEC)
		fail("RELAYX_OPEN_BUF descriptor without FD_CLOEXEC");
	pthread_rwlock_wrlock(&t.s->lock);
	install(w, t.s, fd, 1, key, cpu);
	pthread_rwlock_unlock(&t.s->lock);
}

/* Close a slot and open another file in it: slots are rarely empty. */
static void op_close(struct worker *w)
{
	struct target t = { .s = &slots[pick(&w->rng, FDS)] };
	int key, cpu, readable, fd, flags = open_flags(w, &readable);
	char path[128];

	file_name(w, path, sizeof(path), &key, &cpu);
	pthread_rwlock_wrlock(&t.s->lock);
	t.fd = t.s->fd;
	/* The new one first: on failure the slot keeps its file. */
	fd = open(path, flags);
	count(K_CLOSE, &t, fd >= 0);
	if (fd >= 0)
		install(w, t.s, fd, readable, key, cpu);
	pthread_rwlock_unlock(&t.s->lock);
}

/* ---- reading ---- */

/* Before a call that may see EBUSY: the holds released and the children. */
struct busy_window {
	long released, forks_live, forks_started;
};

static void busy_open(const struct target *t, struct busy_window *b)
{
	b->forks_live = LOAD(sh->forks_live);
	b->forks_started = LOAD(sh->forks_started);
	b->released = t->s ? LOAD(sh->released[t->s->key]) : 0;
}

/* Print @pid's relayx descriptors and mappings, if it has any. */
static void relayx_refs(const char *pid)
{
	char path[320], link[256], line[512];
	struct dirent *d;
	ssize_t n;
	struct __dirstream *fds;	/* DIR: the name is the client's path here */
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	fds = opendir(path);
	while (fds && (d = readdir(fds))) {
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (strstr(link, "relayx"))
			fprintf(stderr, "fuzz: pid %s fd %s: %s\n", pid,
				d->d_name, link);
	}
	if (fds)
		closedir(fds);
	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "relayx"))
			fprintf(stderr, "fuzz: pid %s maps %s", pid, line);
	if (f)
		fclose(f);
}

/*
 * What may hold a buffer behind the books, printed with the failure: this
 * process's slots, and every process with a relayx file open or mapped.
 */
static void busy_evidence(int key)
{
	struct dirent *d;
	struct __dirstream *proc;

	fprintf(stderr, "fuzz: buffer %d: holders %d, released %ld,", key,
		LOAD(sh->holders[key]), LOAD(sh->released[key]));
	fprintf(stderr, " forks live %ld, started %ld\n",
		LOAD(sh->forks_live), LOAD(sh->forks_started));
	for (int i = 0; i < FDS; i++)
		fprintf(stderr,
			"fuzz: pid %d slot %d: fd %d, buffer %d, held %d (%llu), mapped %d\n",
			(int)getpid(), i, slots[i].fd, slots[i].key,
			slots[i].held, slots[i].held_seq, !!slots[i].map.addr);
	proc = opendir("/proc");
	while (proc && (d = readdir(proc)))
		if (d->d_name[0] >= '0' && d->d_name[0] <= '9')
			relayx_refs(d->d_name);
	if (proc)
		closedir(proc);
}

/*
 * EBUSY says some file holds a sub-buffer of the buffer: one of ours, then,
 * unless it was released after the call began, or a forked child that may
 * still have had the file open existed meanwhile.
 */
static void check_busy(const struct target *t, const struct busy_window *b,
		       long ret, int err)
{
	if (t->s && ret < 0 && err == EBUSY) {
		ADD(sh->ebusy, 1);
		if (LOAD(sh->holders[t->s->key]) <= 0 &&
		    LOAD(sh->released[t->s->key]) == b->released &&
		    !b->forks_live &&
		    LOAD(sh->forks_started) == b->forks_started) {
			fail("EBUSY from buffer %d, which no file holds",
			     t->s->key);
			busy_evidence(t->s->key);
		}
	}
}

static size_t read_size(struct worker *w)
{
	static const size_t sizes[] = { 0, 1, 63, REC, 4095, 4096, 4097,
					3 * REC + 5, 65536, HUGE_READ };

	return sizes[pick(&w->rng, 10)];
}

static void op_read(struct worker *w)
{
	size_t len = read_size(w);
	struct target t;
	struct busy_window before;
	void *to;
	ssize_t n;
	int err;

	use(w, &t, 1);
	switch (pick(&w->rng, 10)) {
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
	busy_open(&t, &before);
	n = read(t.fd, to, len);
	err = errno;
	answered(K_READ, &t, n, err, t.s && !t.s->readable, 0);
	check_busy(&t, &before, n, err);
	done_with(&t);
	if (n > (ssize_t)len)
		fail("read of %zu returned %zd", len, n);
	if (n > 0 && to != w->buf && to != w->half + page - 32)
		fail("read into a bad buffer returned %zd", n);
	if (n > 32 && to == w->half + page - 32)
		fail("read past a PROT_NONE page returned %zd", n);
}

static void op_readv(struct worker *w)
{
	struct iovec iov[3];
	size_t total = 0;
	struct target t;
	int i, bad = -1, err;
	struct busy_window before;
	ssize_t n;

	for (i = 0; i < 3; i++) {
		iov[i].iov_base = w->buf + i * (HUGE_READ / 4);
		iov[i].iov_len = read_size(w) / 4 + pick(&w->rng, 3);
		total += iov[i].iov_len;
	}
	if (!pick(&w->rng, 4)) {
		bad = pick(&w->rng, 3);
		iov[bad].iov_base = pick(&w->rng, 2) ? (void *)w->ro : NULL;
	}
	use(w, &t, 1);
	busy_open(&t, &before);
	n = readv(t.fd, iov, 3);
	err = errno;
	answered(K_READV, &t, n, err, t.s && !t.s->readable, 0);
	check_busy(&t, &before, n, err);
	done_with(&t);
	if (n > (ssize_t)total)
		fail("readv of %zu returned %zd", total, n);
	if (bad >= 0 && n > 0) {
		size_t before = 0;

		for (i = 0; i < bad; i++)
			before += iov[i].iov_len;
		if (iov[bad].iov_len && (size_t)n > before)
			fail("readv wrote %zd bytes, a bad segment at %zu", n,
			     before);
	}
}

static void drain_pipe(struct worker *w)
{
	while (read(w->pipe[0], w->buf, 65536) > 0)
		;
}

static void op_splice(struct worker *w)
{
	static const unsigned int flags[] = { 0, SPLICE_F_NONBLOCK,
					      SPLICE_F_MOVE, SPLICE_F_MORE };
	size_t len = read_size(w);
	struct target t;
	struct busy_window before;
	ssize_t n;
	int err;

	use(w, &t, 1);
	/* Nothing to move: splice() answers 0 before it looks at the file. */
	if (!t.s && !len)
		len = 1;
	busy_open(&t, &before);
	n = splice(t.fd, NULL, w->pipe[1], NULL, len, flags[pick(&w->rng, 4)]);
	err = errno;
	answered(K_SPLICE, &t, n, err, t.s && !t.s->readable, 0);
	check_busy(&t, &before, n, err);
	done_with(&t);
	if (n > (ssize_t)len)
		fail("splice of %zu returned %zd", len, n);
	drain_pipe(w);
}

static void op_sendfile(struct worker *w)
{
	size_t len = read_size(w);
	off_t off = 0;
	int with_off = !pick(&w->rng, 8), err;
	struct target t;
	struct busy_window before;
	ssize_t n;

	use(w, &t, 1);
	busy_open(&t, &before);
	n = sendfile(w->devnull, t.fd, with_off ? &off : NULL, len);
	err = errno;
	/* A stream: no offset (the VFS says so, relayx never sees it). */
	if (with_off && t.s && t.s->readable && (n >= 0 || err != ESPIPE))
		fail("sendfile with an offset: %zd, %s", n, strerror(err));
	answered(K_SENDFILE, &t, n, err, t.s && !t.s->readable, with_off);
	check_busy(&t, &before, n, err);
	done_with(&t);
	if (n > (ssize_t)len)
		fail("sendfile of %zu returned %zd", len, n);
}

static void op_lseek(struct worker *w)
{
	struct target t;
	off_t r;
	int err;

	use(w, &t, 1);
	r = lseek(t.fd, pick(&w->rng, 3) * 100, pick(&w->rng, 3));
	err = errno;
	answered(K_LSEEK, &t, r, err, 0, 0);
	if (t.s && (r != -1 || err != ESPIPE))
		fail("lseek on a buffer file: %ld, %s", (long)r, strerror(err));
	done_with(&t);
}

static void op_poll(struct worker *w)
{
	struct pollfd p = { .events = POLLIN };
	struct target t;
	int r, err;

	use(w, &t, 0);
	p.fd = t.fd;
	r = poll(&p, 1, pick(&w->rng, 3) * 5);
	err = errno;
	answered(K_POLL, &t, r, err, 0, 0);
	if (r > 0 && (p.revents & POLLNVAL))
		fail("poll: POLLNVAL on an open descriptor");
	done_with(&t);
}

static void op_epoll(struct worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct target t;
	int r, err;

	use(w, &t, 1);
	r = epoll_ctl(w->epfd, EPOLL_CTL_ADD, t.fd, &ev);
	err = errno;
	if (r < 0 && err == EEXIST)
		r = 0;
	answered(K_EPOLL, &t, r, err, 0, 0);
	done_with(&t);
	/* Without the slot's lock: see epoll_calls. */
	ADD(epoll_calls, 1);
	epoll_wait(w->epfd, &ev, 1, pick(&w->rng, 3) * 5);
	if (pick(&w->rng, 2))
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, t.fd, NULL);
	ADD(epoll_calls, -1);
}

/* ---- mappings ---- */

static int geometry(int fd, struct relayx_geometry *geo)
{
	memset(geo, 0, sizeof(*geo));
	return ioctl(fd, RELAYX_GET_GEOMETRY, geo);
}

/* Touch every page: the mapping must be readable throughout. */
static void touch(const struct map *m)
{
	for (size_t off = 0; off < m->len; off += page)
		__atomic_load_n(m->addr + off, __ATOMIC_RELAXED);
}

static void op_mmap(struct worker *w)
{
	static const int prots[] = { PROT_READ, PROT_READ, PROT_READ,
				     PROT_READ | PROT_WRITE,
				     PROT_READ | PROT_EXEC, PROT_NONE };
	struct relayx_geometry geo;
	int prot = prots[pick(&w->rng, 6)], flags, err, stale;
	struct target t;
	size_t len;
	off_t off;
	char *addr;

	stale = !pick(&w->rng, 50);
	t.s = stale ? NULL : &slots[pick(&w->rng, FDS)];
	if (t.s) {
		pthread_rwlock_wrlock(&t.s->lock);
		t.fd = t.s->fd;
	} else {
		t.fd = STALE_FD + pick(&w->rng, 100);
	}
	if (!t.s || geometry(t.fd, &geo))
		geo.mmap_len = page;
	len = geo.mmap_len;
	switch (pick(&w->rng, 6)) {
	case 0:
		len -= page;
		break;
	case 1:
		len += page;
		break;
	default:
		break;
	}
	off = pick(&w->rng, 6) ? 0 : page;
	flags = pick(&w->rng, 3) ? MAP_SHARED : MAP_PRIVATE;
	addr = mmap(NULL, len, prot, flags, t.fd, off);
	err = errno;
	/* EACCES and an empty length are the mm's answers, not relayx's. */
	answered(K_MMAP, &t, addr == MAP_FAILED ? -1 : 0, err, 0,
		 addr == MAP_FAILED && (err == EACCES || !len));
	if (addr == MAP_FAILED)
		goto out;
	if (off || len != geo.mmap_len)
		fail("mmap of %zu bytes at %ld succeeded", len, (long)off);
	if (prot & (PROT_WRITE | PROT_EXEC))
		fail("mmap with prot %#x succeeded", prot);
	if (!t.s) {
		munmap(addr, len);
		goto out;
	}
	/* The old mapping goes now or stays until the slot closes. */
	if (t.s->map.addr && pick(&w->rng, 4))
		unmap(t.s);
	if (t.s->map.addr) {
		munmap(addr, len);
		goto out;
	}
	t.s->map = (struct map){ .addr = addr, .len = len, .prot = prot };
	if (prot != PROT_NONE)
		touch(&t.s->map);
out:
	if (t.s)
		pthread_rwlock_unlock(&t.s->lock);
}

/* A slot with a mapping, write-locked; NULL when it has none. */
static struct slot *mapped_slot(struct worker *w)
{
	struct slot *s = &slots[pick(&w->rng, FDS)];

	pthread_rwlock_wrlock(&s->lock);
	if (s->map.addr)
		return s;
	pthread_rwlock_unlock(&s->lock);
	return NULL;
}

static void op_munmap(struct worker *w)
{
	struct slot *s = mapped_slot(w);
	struct target t = { .s = s };

	if (!s) {
		ADD(sh->ops[K_MUNMAP], 1);
		return;
	}
	t.fd = s->fd;
	if (s->map.len > (size_t)page && pick(&w->rng, 2)) {
		/* Partial: refused, the mapping stays whole. */
		size_t at = pick(&w->rng, s->map.len / page) * page;

		if (munmap(s->map.addr + at, page) == 0)
			fail("partial munmap at %zu succeeded", at);
		count(K_MUNMAP, &t, 1);
		if (s->map.prot != PROT_NONE)
			touch(&s->map);
	} else {
		unmap(s);
		count(K_MUNMAP, &t, 1);
	}
	pthread_rwlock_unlock(&s->lock);
}

static void op_mremap(struct worker *w)
{
	struct slot *s = mapped_slot(w);
	struct target t = { .s = s };
	void *to;

	if (!s) {
		ADD(sh->ops[K_MREMAP], 1);
		return;
	}
	t.fd = s->fd;
	switch (pick(&w->rng, 3)) {
	case 0:
		to = mremap(s->map.addr, s->map.len, s->map.len + page,
			    MREMAP_MAYMOVE);
		if (to != MAP_FAILED)
			fail("mremap growing a mapping succeeded");
		break;
	case 1:
		if (s->map.len > (size_t)page &&
		    mremap(s->map.addr, s->map.len, s->map.len - page, 0) !=
		    MAP_FAILED)
			fail("mremap shrinking a mapping succeeded");
		break;
	default:	/* moving it whole is fine */
		to = mremap(s->map.addr, s->map.len, s->map.len, MREMAP_MAYMOVE);
		if (to != MAP_FAILED)
			s->map.addr = to;
	}
	count(K_MREMAP, &t, 1);
	if (s->map.prot != PROT_NONE)
		touch(&s->map);
	pthread_rwlock_unlock(&s->lock);
}

static void op_madvise(struct worker *w)
{
	static const int advice[] = { MADV_DONTNEED, MADV_DONTNEED,
				      MADV_WILLNEED, MADV_RANDOM,
				      MADV_SEQUENTIAL, MADV_DONTFORK,
				      MADV_DOFORK, MADV_COLD, MADV_PAGEOUT,
				      MADV_REMOVE, MADV_FREE, MADV_NORMAL };
	struct slot *s = mapped_slot(w);
	struct target t = { .s = s };
	int a = advice[pick(&w->rng, 12)], part, r;

	if (!s) {
		ADD(sh->ops[K_MADVISE], 1);
		return;
	}
	t.fd = s->fd;
	part = s->map.len > (size_t)page && !pick(&w->rng, 3);
	r = madvise(s->map.addr, part ? (size_t)page : s->map.len, a);
	/* A change to only part of it would split the mapping: refused. */
	if (r == 0 && part && ((a == MADV_DONTFORK && !s->map.dontfork) ||
			       (a == MADV_DOFORK && s->map.dontfork)))
		fail("madvise %d of one page of the mapping succeeded", a);
	if (r == 0 && !part && a == MADV_DONTFORK)
		s->map.dontfork = 1;
	if (r == 0 && !part && a == MADV_DOFORK)
		s->map.dontfork = 0;
	count(K_MADVISE, &t, 1);
	/* Zapped pages come back from relayx's fault handler. */
	if (s->map.prot != PROT_NONE)
		touch(&s->map);
	pthread_rwlock_unlock(&s->lock);
}

static void op_mprotect(struct worker *w)
{
	static const int prots[] = { PROT_READ | PROT_WRITE, PROT_EXEC,
				     PROT_READ | PROT_EXEC, PROT_NONE,
				     PROT_READ, PROT_READ };
	struct slot *s = mapped_slot(w);
	struct target t = { .s = s };
	int prot = prots[pick(&w->rng, 6)], part, r;

	if (!s) {
		ADD(sh->ops[K_MPROTECT], 1);
		return;
	}
	t.fd = s->fd;
	part = s->map.len > (size_t)page && !pick(&w->rng, 4);
	r = mprotect(s->map.addr, part ? (size_t)page : s->map.len, prot);
	if (r == 0 && (prot & (PROT_WRITE | PROT_EXEC)))
		fail("mprotect to %#x succeeded", prot);
	if (r == 0 && part && prot != s->map.prot)
		fail("mprotect of one page of the mapping succeeded");
	if (r == 0 && !part)
		s->map.prot = prot;
	count(K_MPROTECT, &t, 1);
	if (s->map.prot != PROT_NONE)
		touch(&s->map);
	pthread_rwlock_unlock(&s->lock);
}

/* ---- the consumer protocol ---- */

static unsigned long gen_now(void)
{
	return LOAD(sh->gen);
}

/* No reset started or ran since @g was read. */
static int no_reset_since(unsigned long g)
{
	return !(g & 1) && gen_now() == g;
}

/*
 * A sub-buffer handed over: inside the mapping, where its seq says.
 * Return: the offsets of its first record and of its end, 0 on success.
 */
static int check_place(struct slot *s, const struct relayx_subbuf *sb,
		       unsigned long long *at, unsigned long long *end)
{
	struct relayx_geometry geo;
	unsigned long long start;

	if (geometry(s->fd, &geo) || !geo.n_subbufs)
		return -1;
	start = (sb->seq % geo.n_subbufs) * geo.subbuf_size;
	*end = sb->offset + sb->len;
	if (sb->len > geo.subbuf_size || *end > geo.mmap_len ||
	    sb->offset < start || *end > start + geo.subbuf_size) {
		fail("sub-buffer %llu at %llu + %llu, not in [%llu, %llu)",
		     (unsigned long long)sb->seq,
		     (unsigned long long)sb->offset,
		     (unsigned long long)sb->len, start,
		     start + geo.subbuf_size);
		return -1;
	}
	/* Records from the sub-buffer's start; a read may have taken some. */
	if ((*end - start) % REC)
		fail("sub-buffer %llu ends inside a record (%llu bytes)",
		     (unsigned long long)sb->seq, *end - start);
	*at = start + (sb->offset - start + REC - 1) / REC * REC;
	return 0;
}

/*
 * The client's records in sub-buffer @sb, through the slot's mapping: what
 * is wrong with them goes to @why. Only a held sub-buffer is bound not to
 * change (userspace.rst, "What a held sub-buffer guarantees"): once it is
 * put back, or a reset dropped the hold, the writer may be rewriting it.
 * Return: 0 when they are whole and in order (or cannot be seen).
 */
static int check_records(struct slot *s, const struct relayx_subbuf *sb,
			 char *why, size_t len)
{
	unsigned long long at, end, prev = 0;
	const struct relayx_sample_record *r;
	int first = 1;

	if (check_place(s, sb, &at, &end) || !s->map.addr ||
	    s->map.prot == PROT_NONE)
		return 0;
	for (; at + REC <= end; at += REC) {
		r = (const void *)(s->map.addr + at);
		if (r->magic != RELAYX_SAMPLE_MAGIC) {
			snprintf(why, len, "sub-buffer %llu: no record at %llu",
				 (unsigned long long)sb->seq, at);
			return 1;
		}
		for (size_t i = 0; i < sizeof(r->payload); i++)
			if (r->payload[i] != (char)(r->seq + i)) {
				snprintf(why, len, "record %u/%llu damaged",
					 r->cpu, (unsigned long long)r->seq);
				return 1;
			}
		if (r->cpu >= (unsigned int)ncpus) {
			snprintf(why, len, "record of CPU %u", r->cpu);
			return 1;
		}
		if (s->cpu >= 0 && r->cpu != (unsigned int)s->cpu) {
			snprintf(why, len, "record of CPU %u in CPU %d's buffer",
				 r->cpu, s->cpu);
			return 1;
		}
		/* Per CPU, one sub-buffer holds consecutive records. */
		if (s->cpu >= 0 && !first && r->seq != prev + 1) {
			snprintf(why, len,
				 "CPU %d sub-buffer %llu: record %llu after %llu",
				 s->cpu, (unsigned long long)sb->seq,
				 (unsigned long long)r->seq, prev);
			return 1;
		}
		prev = r->seq;
		first = 0;
	}
	return 0;
}

/*
 * The records of sub-buffer @sb, held since before generation @g: wrong
 * ones fail the run unless a reset came meanwhile (it drops the hold, and
 * the writers start again in that sub-buffer).
 */
static void check_held(struct slot *s, const struct relayx_subbuf *sb,
		       unsigned long g)
{
	char why[128];

	if (check_records(s, sb, why, sizeof(why)) && no_reset_since(g))
		fail("%s", why);
}

/*
 * A GET that succeeded on slot @s (hold locked), whether ours or a child's;
 * @put_back: the child put the sub-buffer back already, and checked its
 * records while it held it.
 */
static void got(struct slot *s, const struct relayx_subbuf *sb,
		unsigned long g, int put_back)
{
	char why[128];

	ADD(sh->gets, 1);
	if (s->held) {
		if (no_reset_since(s->held_gen))
			fail("GET_SUBBUF succeeded on a file holding %llu",
			     s->held_seq);
		/* The reset let go of the old one: one hold, not two. */
		drop_holder(s->key);
		ADD(sh->dropped_by_reset, 1);
	}
	if (s->put_known && s->put_gen == g && no_reset_since(g) &&
	    sb->seq <= s->put_seq)
		fail("GET_SUBBUF gave %llu after PUT_SUBBUF of %llu",
		     (unsigned long long)sb->seq, s->put_seq);
	s->held = 1;
	s->held_seq = sb->seq;
	s->held_gen = g;
	if (!put_back) {
		check_held(s, sb, g);
		return;
	}
	/*
	 * Where it is still says something; what it holds no longer does.
	 * Counted: how often the old check, made here, would have failed.
	 */
	if (check_records(s, sb, why, sizeof(why)))
		ADD(sh->changed_after_put, 1);
}

static void op_get(struct worker *w)
{
	struct relayx_subbuf sb;
	unsigned char big[48];
	unsigned long cmd = RELAYX_GET_SUBBUF, g;
	struct target t;
	void *arg = &sb;
	struct busy_window before;
	int r, err;

	memset(&sb, 0, sizeof(sb));
	use(w, &t, 1);
	switch (pick(&w->rng, 12)) {
	case 0:
		arg = NULL;
		break;
	case 1:
		arg = w->ro;
		break;
	case 2:
		arg = (void *)16;
		break;
	case 3:		/* a newer, longer struct: the rest zeroed */
		memset(big, 0xa5, sizeof(big));
		cmd = _IOR(RELAYX_IOC_MAGIC, 0x02, big);
		arg = big;
		break;
	case 4:		/* shorter than the first version: refused */
		cmd = _IOR(RELAYX_IOC_MAGIC, 0x02, char[16]);
		break;
	default:
		break;
	}
	if (!t.s) {
		r = ioctl(t.fd, cmd, arg);
		answered(K_GET, &t, r, errno, 0, 0);
		return;
	}
	pthread_mutex_lock(&t.s->hold);
	/* Counted before the call: an EBUSY elsewhere sees it. */
	ADD(sh->holders[t.s->key], 1);
	g = gen_now();
	busy_open(&t, &before);
	r = ioctl(t.fd, cmd, arg);
	err = errno;
	answered(K_GET, &t, r, err, 0, 0);
	if (r == 0 && arg != &sb && arg != big)
		fail("GET_SUBBUF into a bad pointer or size succeeded");
	if (r == 0 && arg == big) {
		memcpy(&sb, big, sizeof(sb));
		for (size_t i = sizeof(sb); i < sizeof(big); i++)
			if (big[i])
				fail("GET_SUBBUF left byte %zu of a longer struct", i);
	}
	if (r == 0 && (arg == &sb || arg == big)) {
		got(t.s, &sb, g, 0);
	} else {
		drop_holder(t.s->key);
		check_busy(&t, &before, r, err);
	}
	pthread_mutex_unlock(&t.s->hold);
	done_with(&t);
}

/* The consumed count passed sub-buffer @seq, unless a reset came. */
static void check_consumed(struct slot *s, unsigned long long seq,
			   unsigned long g)
{
	struct relayx_buf_stats st;

	memset(&st, 0, sizeof(st));
	if (ioctl(s->fd, RELAYX_GET_STATS, &st))
		return;
	if (st.consumed <= seq && no_reset_since(g))
		fail("PUT_SUBBUF of %llu: consumed is %llu", seq,
		     (unsigned long long)st.consumed);
}

static void op_put(struct worker *w)
{
	unsigned long long seq, wrong[] = { 1, ~0ULL, 4, 1ULL << 40 };
	struct target t;
	void *arg = &seq;
	int r, err, right;

	use(w, &t, 1);
	if (!t.s) {
		seq = 0;
		r = ioctl(t.fd, RELAYX_PUT_SUBBUF, &seq);
		answered(K_PUT, &t, r, errno, 0, 0);
		return;
	}
	pthread_mutex_lock(&t.s->hold);
	right = t.s->held && pick(&w->rng, 5);
	seq = t.s->held_seq;
	if (!right) {
		seq += wrong[pick(&w->rng, 4)];
		if (!t.s->held && pick(&w->rng, 2))
			seq = t.s->put_seq;	/* put twice */
	}
	if (!pick(&w->rng, 12))
		arg = pick(&w->rng, 2) ? NULL : (void *)16;
	r = ioctl(t.fd, RELAYX_PUT_SUBBUF, arg);
	err = errno;
	answered(K_PUT, &t, r, err, 0, 0);
	if (arg != &seq) {
		if (r == 0)
			fail("PUT_SUBBUF from a bad pointer succeeded");
	} else if (right) {
		if (r == 0) {
			ADD(sh->puts, 1);
			check_consumed(t.s, seq, t.s->held_gen);
			t.s->put_known = 1;
			t.s->put_seq = seq;
			t.s->put_gen = t.s->held_gen;
			forget_hold(t.s);
		} else if (no_reset_since(t.s->held_gen)) {
			fail("PUT_SUBBUF of %llu, which GET_SUBBUF gave: %s",
			     seq, strerror(err));
		} else {
			/* A reset let go of it. */
			ADD(sh->dropped_by_reset, 1);
			forget_hold(t.s);
		}
	} else {
		ADD(sh->wrong_puts, 1);
		if (r == 0)
			fail("PUT_SUBBUF of %llu succeeded, %s", seq,
			     t.s->held ? "another sub-buffer is held" :
			     "nothing is held");
		else if (err != EINVAL)
			fail("PUT_SUBBUF of a wrong seq: %s", strerror(err));
	}
	pthread_mutex_unlock(&t.s->hold);
	done_with(&t);
}

/*
 * Writers that may be between counting a message and counting its bytes,
 * at once: one per context a CPU nests (task, softirq, hardirq, NMI), on
 * every CPU (a global buffer).
 */
#define MAX_IN_FLIGHT	(4 * ncpus)

/*
 * RELAYX_GET_STATS reads the counters one after the other while writers
 * run (relayx_buf_read_stats(): "a few messages apart"): msgs, then
 * bytes. A writer counts its message, then its bytes. So the bytes may
 * lack those of the writers that were between the two throughout (at most
 * MAX_IN_FLIGHT), and may hold any number of messages that came whole
 * between the two reads; a reset between them makes them unrelated.
 */
static void op_stats(struct worker *w)
{
	struct relayx_buf_stats st;
	unsigned long long lack;
	unsigned long g;
	struct target t;
	int r;

	memset(&st, 0, sizeof(st));
	use(w, &t, 1);
	g = gen_now();
	r = ioctl(t.fd, RELAYX_GET_STATS, pick(&w->rng, 8) ? (void *)&st : NULL);
	answered(K_STATS, &t, r, errno, 0, 0);
	if (r || !no_reset_since(g)) {
		done_with(&t);
		return;
	}
	if (st.consumed > st.produced)
		fail("consumed %llu past produced %llu",
		     (unsigned long long)st.consumed,
		     (unsigned long long)st.produced);
	lack = st.msgs * REC > st.bytes ? (st.msgs * REC - st.bytes) / REC : 0;
	if (st.bytes % REC || lack > (unsigned long long)MAX_IN_FLIGHT)
		fail("%llu bytes in %llu records",
		     (unsigned long long)st.bytes, (unsigned long long)st.msgs);
	done_with(&t);
}

static void op_geometry(struct worker *w)
{
	struct relayx_geometry geo;
	struct target t;
	int r;

	use(w, &t, 1);
	r = ioctl(t.fd, RELAYX_GET_GEOMETRY, pick(&w->rng, 6) ? (void *)&geo :
		  (void *)w->ro);
	answered(K_GEOMETRY, &t, r, errno, 0, 0);
	if (r == 0 && (geo.mmap_len < geo.subbuf_size * geo.n_subbufs ||
		       geo.mmap_len % page))
		fail("geometry %llu x %llu in %llu bytes",
		     (unsigned long long)geo.n_subbufs,
		     (unsigned long long)geo.subbuf_size,
		     (unsigned long long)geo.mmap_len);
	done_with(&t);
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
	unsigned long cmd = (unsigned int)next_rand(&w->rng);
	struct target t;
	int r;

	if (pick(&w->rng, 2))
		cmd = (cmd & ~0xff00UL) | (RELAYX_IOC_MAGIC << 8);
	/* Never a GET or a PUT: they would change holds behind our books. */
	if (SIZELESS(cmd) == SIZELESS(RELAYX_GET_SUBBUF) ||
	    SIZELESS(cmd) == SIZELESS(RELAYX_PUT_SUBBUF))
		cmd = (cmd & ~0xffUL) | 0x20;
	use(w, &t, 1);
	/* A known command of any size may fill that many bytes. */
	r = ioctl(t.fd, cmd, w->buf);
	answered(K_IOCTL, &t, r, errno, 0, 0);
	if (r == 0 && !known_cmd(cmd))
		fail("unknown ioctl %#lx succeeded", cmd);
	done_with(&t);
}

/* ---- fork: a child shares the file, its hold and the mappings ---- */

struct child_report {
	int got, get_errno;
	struct relayx_subbuf sb;
	int put, put_errno;
};

static void child(struct worker *w, struct slot *s, int fd, int report,
		  unsigned long g)
{
	struct child_report rep = { 0 };
	unsigned long long seq = s->held_seq;

	if (s->held) {
		/* The parent's hold is the file's: the child may put it. */
		rep.put = ioctl(fd, RELAYX_PUT_SUBBUF, &seq) == 0;
		rep.put_errno = errno;
	} else {
		rep.got = ioctl(fd, RELAYX_GET_SUBBUF, &rep.sb) == 0;
		rep.get_errno = errno;
		/* Its records while it holds it: a put lets the writer in. */
		if (rep.got && !s->map.dontfork)
			check_held(s, &rep.sb, g);
		if (rep.got && pick(&w->rng, 2)) {
			seq = rep.sb.seq;
			rep.put = ioctl(fd, RELAYX_PUT_SUBBUF, &seq) == 0;
			rep.put_errno = errno;
		}
	}
	/* The inherited mapping is read in the child too. */
	if (s->map.addr && s->map.prot != PROT_NONE && !s->map.dontfork)
		touch(&s->map);
	if (write(report, &rep, sizeof(rep)) != sizeof(rep))
		_exit(1);
	pause();
	_exit(0);
}

static void op_fork(struct worker *w)
{
	struct child_report rep;
	struct target t;
	int fds[2], held;
	unsigned long g;
	struct busy_window before;
	pid_t pid;

	if (pipe(fds)) {
		ADD(sh->ops[K_FORK], 1);
		return;
	}
	use(w, &t, 0);
	pthread_mutex_lock(&t.s->hold);
	held = t.s->held;
	if (!held)
		ADD(sh->holders[t.s->key], 1);
	g = gen_now();
	busy_open(&t, &before);
	ADD(sh->forks_started, 1);
	ADD(sh->forks_live, 1);
	ADD(children, 1);
	pid = fork();
	if (pid == 0)
		child(w, t.s, t.fd, fds[1], g);
	close(fds[1]);
	if (pid < 0 || read(fds[0], &rep, sizeof(rep)) != sizeof(rep)) {
		if (pid > 0) {
			fail("forked child died early");
			waitpid(pid, NULL, 0);
		}
		ADD(sh->forks_live, -1);
		ADD(children, -1);
		if (!held)
			drop_holder(t.s->key);
		count(K_FORK, &t, 0);
		goto out;
	}
	count(K_FORK, &t, 1);
	if (held) {
		if (rep.put) {
			ADD(sh->child_puts, 1);
			forget_hold(t.s);
		} else if (no_reset_since(t.s->held_gen)) {
			fail("child's PUT_SUBBUF of its parent's %llu: %s",
			     t.s->held_seq, strerror(rep.put_errno));
		}
	} else if (rep.got) {
		got(t.s, &rep.sb, g, rep.put);
		if (rep.put) {
			ADD(sh->child_puts, 1);
			forget_hold(t.s);
		}
	} else {
		drop_holder(t.s->key);
		check_busy(&t, &before, -1, rep.get_errno);
	}
	kill(pid, pick(&w->rng, 2) ? SIGKILL : SIGTERM);
	waitpid(pid, NULL, 0);
	ADD(sh->forks_live, -1);
	ADD(children, -1);
out:
	close(fds[0]);
	pthread_mutex_unlock(&t.s->hold);
	done_with(&t);
}

/*
 * The consumer protocol as a consumer runs it, mostly: a GET where the
 * slot holds nothing, then a PUT of what it got; now and then the wrong
 * call (a PUT with nothing held, a second GET).
 */
static void op_protocol(struct worker *w)
{
	int held;

	w->want = pick(&w->rng, FDS);
	held = __atomic_load_n(&slots[w->want].held, __ATOMIC_RELAXED);
	if (held == !!pick(&w->rng, 8))
		op_put(w);
	else
		op_get(w);
}

static void run_op(struct worker *w)
{
	static const struct {
		void (*fn)(struct worker *w);
		unsigned int weight;
		const char *name;
	} ops[] = {
		/*
		 * A fork costs a hundred other operations' time under
		 * emulation (3 s each in the debug guest on a busy host, a
		 * third of the workers' time at the weight of the rarest
		 * other kind), and holds its slot meanwhile: it is the
		 * rarest, one in 381, still dozens in every run.
		 */
		{ op_get, 16, "get" },
		{ op_put, 16, "put" },
		{ op_protocol, 80, "protocol" },
		{ op_read, 40, "read" },
		{ op_readv, 16, "readv" },
		{ op_splice, 16, "splice" },
		{ op_sendfile, 12, "sendfile" },
		{ op_stats, 20, "stats" },
		{ op_geometry, 12, "geometry" },
		{ op_ioctl, 12, "ioctl" },
		{ op_poll, 12, "poll" },
		{ op_epoll, 8, "epoll" },
		{ op_lseek, 8, "lseek" },
		{ op_mmap, 24, "mmap" },
		{ op_munmap, 8, "munmap" },
		{ op_mremap, 8, "mremap" },
		{ op_madvise, 16, "madvise" },
		{ op_mprotect, 12, "mprotect" },
		{ op_open, 16, "open" },
		{ op_open_buf, 16, "open_buf" },
		{ op_close, 12, "close" },
		{ op_fork, 1, "fork" },
	};
	unsigned int total = 0, i, r;
	long long t0;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		total += ops[i].weight;
	if (!w) {
		/* The report: the workers' time per operation function. */
		for (i = 0; i < ARRAY_SIZE(ops); i++)
			if (sh->op_calls[i])
				printf("fuzz: time: %-12s %8ld calls, %7.1f s, %7.0f us each\n",
				       ops[i].name, sh->op_calls[i],
				       sh->op_ns[i] / 1e9,
				       sh->op_ns[i] / 1e3 / sh->op_calls[i]);
		return;
	}
	r = pick(&w->rng, total);
	for (i = 0; r >= ops[i].weight; i++)
		r -= ops[i].weight;
	t0 = now_ns();
	ops[i].fn(w);
	ADD(sh->op_ns[i], now_ns() - t0);
	ADD(sh->op_calls[i], 1);
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;

	w->epfd = epoll_create1(0);
	w->devnull = open("/dev/null", O_WRONLY);
	w->buf = malloc(HUGE_READ);
	w->ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	w->half = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->epfd < 0 || w->devnull < 0 || !w->buf || w->ro == MAP_FAILED ||
	    w->half == MAP_FAILED || mprotect(w->half + page, page, PROT_NONE) ||
	    pipe2(w->pipe, O_NONBLOCK)) {
		fail("worker setup: %s", strerror(errno));
		return NULL;
	}
	/* The controller says when to stop. */
	while (!LOAD(sh->stop) && !LOAD(sh->failed))
		run_op(w);
	return NULL;
}

static void worker_process(int id)
{
	pthread_t tid[16];
	struct worker *w;
	int i, key, cpu, tries;
	char path[128];

	devfd = open(DEV, O_RDWR);
	if (devfd < 0)
		fail("%s: %s", DEV, strerror(errno));
	w = calloc(threads, sizeof(*w));
	for (i = 0; i < threads; i++)
		w[i].rng = seed * 1000003ULL + id * 131ULL + i + 1;
	/* Every slot starts open; the client may be reloading meanwhile. */
	for (i = 0; i < FDS; i++) {
		pthread_rwlock_init(&slots[i].lock, NULL);
		pthread_mutex_init(&slots[i].hold, NULL);
		for (tries = 0; tries < 1000; tries++) {
			file_name(&w[0], path, sizeof(path), &key, &cpu);
			slots[i].fd = open(path, O_RDONLY);
			if (slots[i].fd >= 0)
				break;
			usleep(10000);
		}
		if (slots[i].fd < 0)
			fail("no buffer file opens: %s", strerror(errno));
		slots[i].readable = 1;
		slots[i].key = key;
		slots[i].cpu = cpu;
	}
	for (i = 0; i < threads; i++) {
		w[i].id = i;
		w[i].want = -1;
		pthread_create(&tid[i], NULL, worker_thread, &w[i]);
	}
	for (i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	_exit(0);
}

/* ---- the actors: channels and CPUs change under the workers ---- */

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

/* What the actors did, and how often it overlapped a CPU transition. */
static struct {
	long flushes, checks, resets, hotplugs, reloads;
	long flush_x_cpu, reset_x_cpu, reload_x_cpu;
	long cpu_begun, cpu_ended;
	/* Time spent in each actor's work, naps excluded. */
	long long flush_ns, check_ns, reset_ns, down_ns, up_ns, reload_ns;
} act;
static pthread_mutex_t chan_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long actor_seed;

struct window {
	long begun, ended;
};

static void window_open(struct window *win)
{
	win->ended = LOAD(act.cpu_ended);
	win->begun = LOAD(act.cpu_begun);
}

/* A transition ran during the window: under way at its start, or begun. */
static int window_overlapped(const struct window *win)
{
	return win->begun != win->ended || LOAD(act.cpu_begun) != win->begun;
}

static int stopping(void)
{
	return LOAD(sh->stop) || LOAD(sh->failed);
}

static void nap(unsigned long long *rng, unsigned int max_us)
{
	usleep(1000 + pick(rng, max_us));
}

static void *flusher(void *arg)
{
	unsigned long long rng = actor_seed ^ 1;
	struct window win;
	long long t0;

	/*
	 * Each flush interrupts every CPU; one every 1 to 100 ms still
	 * overlaps nearly every CPU transition.
	 */
	while (!stopping()) {
		nap(&rng, 100000);
		window_open(&win);
		t0 = now_ns();
		if (ctl_cmd("flush"))
			continue;
		ADD(act.flush_ns, now_ns() - t0);
		ADD(act.flushes, 1);
		if (window_overlapped(&win))
			ADD(act.flush_x_cpu, 1);
	}
	return arg;
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

static void *hotplugger(void *arg)
{
	unsigned long long rng = actor_seed ^ 2;
	int cpu;
	long long t0;

	/*
	 * A pause of up to 3 s between transitions: under emulation a
	 * transition takes seconds and starves the workers (with pauses of
	 * at most 0.5 s a CPU was going down or up for 624 of 669 s);
	 * flushes, resets and reloads still overlap plenty.
	 */
	while (!stopping()) {
		nap(&rng, 3000000);
		cpu = 1 + pick(&rng, ncpus - 1);
		ADD(act.cpu_begun, 1);
		t0 = now_ns();
		cpu_set_online(cpu, 0);
		ADD(act.down_ns, now_ns() - t0);
		ADD(act.cpu_ended, 1);
		ADD(act.hotplugs, 1);
		nap(&rng, 3000000);
		ADD(act.cpu_begun, 1);
		t0 = now_ns();
		cpu_set_online(cpu, 1);
		ADD(act.up_ns, now_ns() - t0);
		ADD(act.cpu_ended, 1);
	}
	return arg;
}

struct counts {
	unsigned long long v[9];	/* as in the stats file */
};

/* Records handed to the client per CPU (seqs), and the channels' counts. */
static int read_seqs(unsigned long long *seqs, unsigned long long *sum)
{
	unsigned long long n;
	unsigned int cpu;
	FILE *f = fopen(DIR "/seqs", "r");

	memset(seqs, 0, MAX_CPUS * sizeof(*seqs));
	*sum = 0;
	if (!f)
		return -1;
	while (fscanf(f, "%u %llu", &cpu, &n) == 2) {
		if (cpu < MAX_CPUS)
			seqs[cpu] = n;
		*sum += n;
	}
	fclose(f);
	return 0;
}

/*
 * Writers stopped, channels flushed: each buffer counted each record it
 * was handed once, as written or dropped, its bytes too, and consumed no
 * more than it produced; in no-overwrite mode nothing was overwritten and
 * no more than n_subbufs are unconsumed. After a reset (@zero), the
 * counts of records and bytes are zero (flushes meanwhile may still
 * finish empty sub-buffers). Returns the records the counts account for.
 */
static unsigned long long check_accounting(const char *when, int zero)
{
	unsigned long long seqs[MAX_CPUS], sum, want, total = 0, *v;
	struct relayx_geometry geo = { .n_subbufs = ~0ULL };
	char path[128], line[512], who[16];
	struct counts c;
	int ch, fd;
	FILE *f;

	if (read_seqs(seqs, &sum))
		return 0;
	fd = open(DIR "/a0", O_RDONLY);
	if (fd >= 0) {
		geometry(fd, &geo);
		close(fd);
	}
	if (zero && sum)
		fail("%s: %llu records handed out after a reset", when, sum);
	for (ch = 0; ch < 2; ch++) {
		unsigned long long counted = 0;

		snprintf(path, sizeof(path), DIR "/%cstats", "ab"[ch]);
		f = fopen(path, "r");
		if (!f)
			return 0;	/* the client is going */
		while (fgets(line, sizeof(line), f)) {
			v = c.v;
			if (sscanf(line, "%15s %llu %llu %llu %llu %llu %llu %llu %llu %llu",
				   who, &v[0], &v[1], &v[2], &v[3], &v[4],
				   &v[5], &v[6], &v[7], &v[8]) != 10 ||
			    !strcmp(who, "total"))
				continue;
			if (!strcmp(who, "global"))
				want = sum;
			else if (atoi(who) < MAX_CPUS)
				want = seqs[atoi(who)];
			else
				continue;
			counted += v[0] + v[2] + v[4];
			if (v[0] + v[2] + v[4] != want)
				fail("%s: %cstats %s: %llu + %llu full + %llu big, %llu handed",
				     when, "ab"[ch], who, v[0], v[2], v[4], want);
			if (v[1] != v[0] * REC || v[3] != v[2] * REC ||
			    v[5] != v[4] * REC)
				fail("%s: %cstats %s: %llu/%llu/%llu B, %llu/%llu/%llu records",
				     when, "ab"[ch], who, v[1], v[3], v[5], v[0],
				     v[2], v[4]);
			if (v[8] > v[7])
				fail("%s: %cstats %s: consumed %llu > produced %llu",
				     when, "ab"[ch], who, v[8], v[7]);
			if (zero && (v[0] || v[1] || v[2] || v[4]))
				fail("%s: %cstats %s not zero after a reset: %s",
				     when, "ab"[ch], who, line);
			if (!overwrite && (v[6] || v[7] - v[8] > geo.n_subbufs))
				fail("%s: %cstats %s: %llu overwritten, %llu/%llu consumed",
				     when, "ab"[ch], who, v[6], v[8], v[7]);
		}
		fclose(f);
		if (counted != sum)
			fail("%s: %cstats count %llu records, %llu handed",
			     when, "ab"[ch], counted, sum);
		total += counted;
	}
	return total;
}

static void *resetter(void *arg)
{
	unsigned long long rng = actor_seed ^ 3, seqs[MAX_CPUS], sum;
	struct window win;
	char cmd[32];
	long long t0;
	int checking;

	while (!stopping()) {
		nap(&rng, 150000);
		pthread_mutex_lock(&chan_lock);
		window_open(&win);
		t0 = now_ns();
		checking = pick(&rng, 2);
		if (checking) {
			/* Writers stopped: the counts must add up. */
			if (!ctl_cmd("pause") && !ctl_cmd("flush")) {
				check_accounting("paused", 0);
				ADD(act.checks, 1);
			}
		} else {
			ADD(sh->gen, 1);
			if (!ctl_cmd("reset")) {
				ADD(sh->gen, 1);
				check_accounting("reset", 1);
				/* Then a known number, each counted once. */
				snprintf(cmd, sizeof(cmd), "write %d",
					 RESET_RECORDS);
				if (!ctl_cmd(cmd) && !ctl_cmd("flush") &&
				    !read_seqs(seqs, &sum)) {
					if (sum != RESET_RECORDS)
						fail("%llu records after a reset and %d written",
						     sum, RESET_RECORDS);
					if (check_accounting("reset+write", 0) !=
					    2 * sum)
						fail("reset+write: not every record counted");
				}
				ADD(act.resets, 1);
				if (window_overlapped(&win))
					ADD(act.reset_x_cpu, 1);
			} else {
				ADD(sh->gen, 1);
			}
		}
		ctl_cmd("start");
		if (checking)
			ADD(act.check_ns, now_ns() - t0);
		else
			ADD(act.reset_ns, now_ns() - t0);
		pthread_mutex_unlock(&chan_lock);
	}
	return arg;
}

static void *reloader(void *arg)
{
	unsigned long long rng = actor_seed ^ 4;
	struct window win;
	char cmd[256];
	int tries;
	long long t0;

	/*
	 * Up to 3 s between reloads: a reload of the KASAN build took 28 s
	 * on a busy host, and while the client is gone opens find no file.
	 */
	while (!stopping()) {
		nap(&rng, 3000000);
		pthread_mutex_lock(&chan_lock);
		window_open(&win);
		t0 = now_ns();
		ctl_cmd("stop");
		/* A flush in ctl holds the module for its duration: wait. */
		for (tries = 0; system("rmmod relayx_testmod 2>/dev/null"); tries++) {
			if (tries == 600) {
				fail("rmmod relayx_testmod failed for a minute");
				break;
			}
			usleep(100000);
		}
		snprintf(cmd, sizeof(cmd), "insmod %s", module);
		if (system(cmd))
			fail("insmod %s failed", module);
		ctl_cmd("start");
		ADD(act.reload_ns, now_ns() - t0);
		ADD(act.reloads, 1);
		if (window_overlapped(&win))
			ADD(act.reload_x_cpu, 1);
		pthread_mutex_unlock(&chan_lock);
	}
	return arg;
}

static long missing_kinds(void)
{
	long missing = 0;

	for (int k = 0; k < NKINDS; k++)
		missing += !LOAD(sh->reached[k]);
	return missing;
}

/*
 * A bounded run ends once the workers' operations reached relayx often
 * enough, every kind among them, and every actor acted, and overlapped a
 * CPU transition, MIN_EACH times; a timed run when its time is up.
 */
static int done(time_t end)
{
	if (seconds)
		return time(NULL) >= end;
	return LOAD(sh->reached_all) >= ops_wanted && !missing_kinds() &&
	       LOAD(act.flushes) >= MIN_EACH && LOAD(act.checks) >= MIN_EACH &&
	       LOAD(act.resets) >= MIN_EACH &&
	       (!hotplug || (LOAD(act.hotplugs) >= MIN_EACH &&
			     LOAD(act.flush_x_cpu) >= MIN_EACH &&
			     LOAD(act.reset_x_cpu) >= MIN_EACH &&
			     (!module || LOAD(act.reload_x_cpu) >= MIN_EACH))) &&
	       (!module || LOAD(act.reloads) >= MIN_EACH);
}

static void report(void)
{
	long ops = 0, closed = 0;

	for (int k = 0; k < NKINDS; k++) {
		ops += sh->ops[k];
		closed += sh->closed[k];
		printf("fuzz: %-12s %8ld operations, %8ld reached relayx, %6ld closed\n",
		       kind_name[k], sh->ops[k], sh->reached[k], sh->closed[k]);
	}
	printf("fuzz: protocol: %ld GET_SUBBUF, %ld PUT_SUBBUF of the seq GET gave",
	       sh->gets, sh->puts + sh->child_puts);
	printf(" (%ld by a forked child), %ld wrong seqs refused, %ld EBUSY,",
	       sh->child_puts, sh->wrong_puts, sh->ebusy);
	printf(" %ld holds dropped by a reset,", sh->dropped_by_reset);
	printf(" %ld sub-buffers a child put back changed before its parent looked\n",
	       sh->changed_after_put);
	printf("fuzz: actors: %ld flushes (%ld during a CPU transition),",
	       act.flushes, act.flush_x_cpu);
	printf(" %ld accounting checks, %ld resets (%ld during a CPU transition),",
	       act.checks, act.resets, act.reset_x_cpu);
	printf(" %ld CPUs taken down, %ld client reloads (%ld during a CPU transition)\n",
	       act.hotplugs, act.reloads, act.reload_x_cpu);
	run_op(NULL);
	printf("fuzz: time: actors: flush %.1f s, accounting checks %.1f s,",
	       act.flush_ns / 1e9, act.check_ns / 1e9);
	printf(" resets %.1f s, CPU down %.1f s, CPU up %.1f s, reloads %.1f s\n",
	       act.reset_ns / 1e9, act.down_ns / 1e9, act.up_ns / 1e9,
	       act.reload_ns / 1e9);
	printf("fuzz: time: %.1f s in all, %ld operations reached relayx after %.1f s\n",
	       (now_ns() - start_ns) / 1e9, ops_wanted,
	       ops_reached_ns ? (ops_reached_ns - start_ns) / 1e9 : -1.0);
	printf("fuzz: %ld operations, %ld on closed descriptors (%.1f%%)\n",
	       ops, closed, ops ? 100.0 * closed / ops : 0.0);
	printf("fuzz: %ld operations reached relayx, seed %llu\n",
	       sh->reached_all, seed);
}

/* The client's buf_mapped and buf_unmapped calls balance once all is gone. */
static void check_mapped(void)
{
	int mapped, unmapped;
	FILE *f = fopen(DIR "/mapped", "r");

	if (!f) {
		fail("no %s/mapped", DIR);
		return;
	}
	if (fscanf(f, "mapped %d unmapped %d", &mapped, &unmapped) != 2)
		fail("%s/mapped unreadable", DIR);
	else if (mapped != unmapped)
		fail("buf_mapped called %d times, buf_unmapped %d", mapped,
		     unmapped);
	else
		printf("fuzz: buf_mapped and buf_unmapped called %d times each\n",
		       mapped);
	fclose(f);
}

int main(int argc, char **argv)
{
	pthread_t actors[4];
	int opt, i, status, nactors = 0;
	pid_t pids[64];
	size_t at = 0;
	time_t end;

	seed = (unsigned long long)time(NULL) ^ getpid();
	while ((opt = getopt(argc, argv, "s:n:t:p:T:cm:og")) != -1) {
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
		case 'o':
			overwrite = 1;
			break;
		case 'g':
			global_b = 1;
			break;
		default:
			return 2;
		}
	}
	if (procs < 1 || procs > 64 || threads < 1 || threads > 16)
		return 2;
	/* The command that repeats this run, seed included. */
	at += snprintf(replay + at, sizeof(replay) - at, "%s -s %llu", argv[0],
		       seed);
	for (i = 1; i < argc && at < sizeof(replay); i++) {
		if (!strcmp(argv[i], "-s")) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "-s", 2))
			continue;
		at += snprintf(replay + at, sizeof(replay) - at,
			       strchr(argv[i], ' ') ? " '%s'" : " %s", argv[i]);
	}
	/* Printed first, so that a run that dies can still be repeated. */
	printf("fuzz: seed %llu: %s\n", seed, replay);
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
	actor_seed = seed ^ 0x9E3779B97F4A7C15ULL;
	ctl_cmd("start");
	start_ns = now_ns();
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			worker_process(i);
	}
	pthread_create(&actors[nactors++], NULL, flusher, NULL);
	pthread_create(&actors[nactors++], NULL, resetter, NULL);
	if (hotplug && ncpus > 1)
		pthread_create(&actors[nactors++], NULL, hotplugger, NULL);
	if (module)
		pthread_create(&actors[nactors++], NULL, reloader, NULL);
	end = time(NULL) + seconds;
	while (!LOAD(sh->failed) && !done(end)) {
		usleep(100000);
		if (!ops_reached_ns && LOAD(sh->reached_all) >= ops_wanted)
			ops_reached_ns = now_ns();
	}
	__atomic_store_n(&sh->stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < nactors; i++)
		pthread_join(actors[i], NULL);
	for (i = 0; i < procs; i++)
		if (pids[i] > 0 && (waitpid(pids[i], &status, 0) < 0 ||
				    !WIFEXITED(status) || WEXITSTATUS(status)))
			fail("worker %d did not exit cleanly (status %#x)", i,
			     status);
	if (!ctl_cmd("pause") && !ctl_cmd("flush"))
		check_accounting("at the end", 0);
	check_mapped();
	report();
	for (int k = 0; k < NKINDS; k++)
		if (!sh->reached[k])
			fail("no %s operation reached relayx", kind_name[k]);
	if (!sh->puts)
		fail("no PUT_SUBBUF of the seq GET_SUBBUF gave succeeded");
	if (sh->failed)
		fprintf(stderr, "replay in the guest: %s\n", replay);
	return sh->failed;
}
