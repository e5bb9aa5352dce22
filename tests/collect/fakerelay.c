// SPDX-License-Identifier: GPL-2.0
/*
 * fakerelay.so: an LD_PRELOAD shim under which FIFOs and plain files of a
 * directory behave enough like relay buffer files for relayx-collect's
 * host tests (tests/collect/run), with no kernel and no guest.
 *
 * Channel descriptors are those whose path starts with $FAKE_CHAN.
 *
 * - read() of an empty FIFO whose writer is still there returns 0, as a
 *   relay file with nothing unread does (not EAGAIN);
 * - $FAKE_READ_EIO_AFTER=N: once N bytes were read from the channel, every
 *   read of it fails with EIO;
 * - $FAKE_ENDLESS: every read of the channel fills the whole buffer;
 * - $FAKE_READ_DELAY="S FILE": each read of the channel creates FILE, then
 *   takes S seconds more (signals do not cut the wait short);
 * - $FAKE_STATS=FILE: RELAYX_GET_STATS answers from FILE, which holds
 *   "msgs full big overwritten" and may change while the tool runs;
 * - $FAKE_GEO="SUBBUF_SIZE N_SUBBUFS MMAP_LEN": RELAYX_GET_GEOMETRY answers
 *   that, and mmap() of the channel gives anonymous memory instead;
 * - $FAKE_SUBBUF="OFFSET LEN": the first RELAYX_GET_SUBBUF hands that out,
 *   the next ones say ENODATA (closed and drained); RELAYX_PUT_SUBBUF
 *   takes it back; "eagain": none is ever complete (EAGAIN), and read()
 *   gives what the FIFO holds, as the committed part of the sub-buffer
 *   being written;
 * - $FAKE_CLOSE_EIO=STRING: close() of a descriptor whose path holds
 *   STRING closes it and fails with EIO;
 * - $FAKE_COUNTS=FILE: at exit, each process that made any of the calls
 *   counted appends them to FILE ("reads N", "chan_reads N" of the channel,
 *   "empty_reads N" of those that returned nothing, "polls N").
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <linux/relayx.h>

static unsigned long long reads, chan_reads, empty_reads, polls, chan_bytes;

static int fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* "S FILE": FILE created, then S seconds, however many signals come. */
static void delay(const char *arg)
{
	struct timespec end;
	char *file;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += strtol(arg, &file, 10);
	fd = open(file + 1, O_CREAT | O_WRONLY, 0644);
	if (*file != ' ' || fd < 0)
		abort();
	close(fd);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, NULL) ==
	       EINTR)
		;
}

static int is_chan(int fd)
{
	const char *chan = getenv("FAKE_CHAN");
	char path[4096];

	if (!chan || fd_path(fd, path, sizeof(path)))
		return 0;
	return !strncmp(path, chan, strlen(chan));
}

ssize_t read(int fd, void *buf, size_t count)
{
	static ssize_t (*real)(int, void *, size_t);
	const char *eio = getenv("FAKE_READ_EIO_AFTER");
	struct stat st;
	ssize_t n;
	int chan;

	if (!real)
		real = dlsym(RTLD_NEXT, "read");
	reads++;
	chan = is_chan(fd);
	if (!chan)
		return real(fd, buf, count);
	chan_reads++;
	if (getenv("FAKE_READ_DELAY"))
		delay(getenv("FAKE_READ_DELAY"));
	if (eio && chan_bytes >= strtoull(eio, NULL, 10)) {
		errno = EIO;
		return -1;
	}
	if (getenv("FAKE_ENDLESS")) {
		memset(buf, 'e', count);
		chan_bytes += count;
		return count;
	}
	n = real(fd, buf, count);
	if (n < 0 && errno == EAGAIN && !fstat(fd, &st) && S_ISFIFO(st.st_mode))
		n = 0;
	if (!n)
		empty_reads++;
	if (n > 0)
		chan_bytes += n;
	return n;
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	static int (*real)(struct pollfd *, nfds_t, int);

	if (!real)
		real = dlsym(RTLD_NEXT, "poll");
	polls++;
	return real(fds, n, timeout);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t,
	  const sigset_t *mask)
{
	static int (*real)(struct pollfd *, nfds_t, const struct timespec *,
			   const sigset_t *);

	if (!real)
		real = dlsym(RTLD_NEXT, "ppoll");
	polls++;
	return real(fds, n, t, mask);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*real)(void *, size_t, int, int, int, off_t);

	if (!real)
		real = dlsym(RTLD_NEXT, "mmap");
	if (fd < 0 || !getenv("FAKE_GEO") || !is_chan(fd))
		return real(addr, len, prot, flags, fd, off);
	return real(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_NORESERVE, -1, 0);
}

/* RELAYX_GET_GEOMETRY, RELAYX_GET_SUBBUF and RELAYX_PUT_SUBBUF. */
static int fake_mmap_ioctl(unsigned long req, void *arg)
{
	const char *geo = getenv("FAKE_GEO"), *sb = getenv("FAKE_SUBBUF");
	static int handed_out;
	struct relayx_geometry *g = arg;
	struct relayx_subbuf *s = arg;

	if (req == RELAYX_GET_GEOMETRY) {
		memset(g, 0, sizeof(*g));
		g->size = sizeof(*g);
		if (sscanf(geo, "%llu %llu %llu",
			   (unsigned long long *)&g->subbuf_size,
			   (unsigned long long *)&g->n_subbufs,
			   (unsigned long long *)&g->mmap_len) != 3)
			abort();
		return 0;
	}
	if (req == RELAYX_PUT_SUBBUF)
		return 0;
	if (sb && !strcmp(sb, "eagain")) {
		errno = EAGAIN;
		return -1;
	}
	if (!sb || handed_out++) {
		errno = ENODATA;
		return -1;
	}
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	if (sscanf(sb, "%llu %llu", (unsigned long long *)&s->offset,
		   (unsigned long long *)&s->len) != 2)
		abort();
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	const char *stats = getenv("FAKE_STATS");
	struct relayx_buf_stats *st;
	unsigned long long v[4];
	va_list ap;
	void *arg;
	FILE *f;
	int ok;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = dlsym(RTLD_NEXT, "ioctl");
	if (getenv("FAKE_GEO") && is_chan(fd) &&
	    (req == RELAYX_GET_GEOMETRY || req == RELAYX_GET_SUBBUF ||
	     req == RELAYX_PUT_SUBBUF))
		return fake_mmap_ioctl(req, arg);
	if (req != RELAYX_GET_STATS || !stats || !is_chan(fd))
		return real(fd, req, arg);
	f = fopen(stats, "r");
	ok = f && fscanf(f, "%llu %llu %llu %llu", &v[0], &v[1], &v[2],
			 &v[3]) == 4;
	if (f)
		fclose(f);
	if (!ok) {
		errno = EIO;
		return -1;
	}
	st = arg;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->msgs = v[0];
	st->full = v[1];
	st->big = v[2];
	st->overwritten = v[3];
	return 0;
}

int close(int fd)
{
	static int (*real)(int);
	const char *what = getenv("FAKE_CLOSE_EIO");
	char path[4096];
	int fail, ret;

	if (!real)
		real = dlsym(RTLD_NEXT, "close");
	fail = what && !fd_path(fd, path, sizeof(path)) && strstr(path, what);
	ret = real(fd);
	if (ret || !fail)
		return ret;
	errno = EIO;
	return -1;
}

__attribute__((destructor)) static void fake_counts(void)
{
	const char *path = getenv("FAKE_COUNTS");
	FILE *f;

	if (!path || !(reads + polls))
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	fprintf(f, "reads %llu\nchan_reads %llu\nempty_reads %llu\npolls %llu\n",
		reads, chan_reads, empty_reads, polls);
	fclose(f);
}
