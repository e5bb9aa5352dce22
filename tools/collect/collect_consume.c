// SPDX-License-Identifier: GPL-2.0
/*
 * relayx-collect: the consumer. Each buffer file is drained without a copy
 * to user space when it can be: mmap() plus RELAYX_GET_SUBBUF and
 * RELAYX_PUT_SUBBUF. A sub-buffer is put back only once it is saved, so a
 * failed write leaves it in the channel. Files that do not answer
 * RELAYX_GET_GEOMETRY (upstream relay), or cannot be mapped (debugfs'
 * proxy), are drained with read().
 *
 * It sleeps in ppoll() and drains only the files it reported, plus the
 * read() files on every rescan (upstream relay says POLLIN only for
 * complete sub-buffers). The stop signals are blocked except inside
 * ppoll(), so that one cannot arrive just before it and wait out its
 * timeout. A ppoll() that finds a file ready returns with the signals
 * blocked again before they are delivered, so a busy channel would keep
 * them pending for ever: each ppoll() is followed by a look at what is
 * pending. After the first, a second one kills, unless it comes within
 * SIGNAL_TWIN_S of it: timeout(1) sends its signal to the command and
 * then to the process group, and a shell's kill of a job does the same:
 * one stop, delivered twice.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "collect.h"

#define RESCAN_MS 200
/* read(): a per-CPU file takes chunks of this size. */
#define READ_CHUNK (1024 * 1024)
/*
 * A merged file takes a read() chunk only after a short read (a message
 * boundary), the buffer growing until one comes, up to this; a chunk
 * saved full at this size may end inside a message (counted as cut).
 */
#define READ_CAP (64 * 1024 * 1024)
/* A stop signal this soon after the first one is the same stop. */
#define SIGNAL_TWIN_S 1.0

static int got_signal;
static double stop_time;	/* when the first stop signal came */
static sigset_t run_mask;	/* the mask ppoll() waits with */
static sigset_t stop_signals;	/* SIGINT, SIGTERM, SIGHUP */

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The first stop signal stops; a second one, a second later, kills. */
static void on_signal(int sig)
{
	struct sigaction dfl;
	double t = now();

	if (!__atomic_load_n(&got_signal, __ATOMIC_ACQUIRE)) {
		stop_time = t;
		__atomic_store_n(&got_signal, sig, __ATOMIC_RELEASE);
		return;
	}
	if (t - stop_time < SIGNAL_TWIN_S)
		return;
	/* Blocked while this runs: delivered, and fatal, as it returns. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(sig, &dfl, NULL);
	raise(sig);
}

void setup_signals(void)
{
	struct sigaction sa;

	/*
	 * The handler stays: a second signal ends a drain that takes too
	 * long (on_signal()). Each one blocks the others while it runs.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A closed stdout pipe is an EPIPE to handle, not a kill. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop_signals, &run_mask);
}

/*
 * Stopping: the stop signals are let in from now on, so that a second one
 * (on_signal()) can end the drains that follow. Called with them blocked.
 */
static void stopping(int sig)
{
	static int done;

	if (done++)
		return;
	if (!__atomic_load_n(&got_signal, __ATOMIC_ACQUIRE)) {
		stop_time = now();
		__atomic_store_n(&got_signal, sig, __ATOMIC_RELEASE);
	}
	sigprocmask(SIG_SETMASK, &run_mask, NULL);
}

/* ppoll() with the stop signals let in; -1: no timeout. */
int collect_ppoll(struct pollfd *p, int n, int timeout_ms)
{
	struct timespec ts, *tsp = NULL, zero = { 0, 0 };
	int ret, err, sig;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}

	ret = ppoll(p, n, tsp, &run_mask);
	err = errno;
	sig = __atomic_load_n(&got_signal, __ATOMIC_RELAXED);
	/* Pending because ppoll() found a file ready: take it now. */
	if (!sig && ret > 0) {
		sig = sigtimedwait(&stop_signals, NULL, &zero);
		if (sig < 0)
			sig = 0;
	}
	if (sig)
		stopping(sig);
	errno = err;
	return ret;
}

static int size_reached(struct collect *c)
{
	if (c->stop == SIZE)
		return 1;
	if (c->size_limit && c->total >= c->size_limit && c->stop == RUNNING) {
		c->stop = SIZE;
		return 1;
	}
	return 0;
}

/* Not put back: it stays in the channel for later. */
static int not_saved(struct collect *c, struct cbuf *b,
		     const struct relayx_subbuf *sb)
{
	if (c->stop != PIPE_CLOSED)
		msg("%s: sub-buffer %llu (%llu bytes) not saved: it stays in the channel\n",
		    b->path, (unsigned long long)sb->seq,
		    (unsigned long long)sb->len);
	return -1;
}

/*
 * Mmap mode: at most @max sub-buffers, so that one busy CPU cannot starve
 * the others. Returns -1 on a failure that ends the run.
 */
static int drain_mmap(struct collect *c, struct cbuf *b, int max)
{
	struct relayx_subbuf sb;

	while (max-- > 0 && !size_reached(c)) {
		memset(&sb, 0, sizeof(sb));
		c->calls++;
		if (ioctl(b->fd, RELAYX_GET_SUBBUF, &sb)) {
			if (errno == ENODATA)
				b->eof = 1;
			if (errno == EAGAIN || errno == ENODATA)
				return 0;
			msg("%s: RELAYX_GET_SUBBUF: %s%s\n", b->path,
			    strerror(errno), errno == EBUSY ?
			    " (another consumer is draining this file)" : "");
			return -1;
		}
		if (sb.len > b->geo.mmap_len ||
		    sb.offset > b->geo.mmap_len - sb.len) {
			msg("%s: RELAYX_GET_SUBBUF: %llu bytes at %llu, out of the %llu mapped\n",
			    b->path, (unsigned long long)sb.len,
			    (unsigned long long)sb.offset,
			    (unsigned long long)b->geo.mmap_len);
			return -1;
		}
		if (save_chunk(c, b, b->map + sb.offset, sb.len))
			return not_saved(c, b, &sb);
		/* EINVAL: the client reset the channel meanwhile; saved anyway. */
		c->calls++;
		if (ioctl(b->fd, RELAYX_PUT_SUBBUF, &sb.seq) &&
		    errno != EINVAL) {
			msg("%s: RELAYX_PUT_SUBBUF: %s\n", b->path,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* What read() took is consumed: saved now, or counted as lost. */
static int save_read(struct collect *c, struct cbuf *b, size_t have,
		     int partial)
{
	if (save_chunk(c, b, b->rbuf, have)) {
		if (c->stop != PIPE_CLOSED)
			msg("%s: %zu bytes taken by read() were not saved: they are lost\n",
			    b->path, have);
		return -1;
	}
	if (partial)
		b->partial += have;
	return 0;
}

/*
 * read(), for read mode, and for the part of the sub-buffer being written
 * that an mmap file still holds at a stop (@partial): relayx's read()
 * returns what is committed, and RELAYX_GET_SUBBUF later goes on after it.
 *
 * A read() that returns less than asked stopped at the end of what the
 * writers had finished, a message boundary; one that fills the buffer may
 * have cut a message. A per-CPU file does not mind: the next chunk goes
 * on where this one ended. A merged file takes a chunk only after a short
 * read, the buffer growing up to READ_CAP, so that chunks of different
 * CPUs do not cut into each other's messages.
 */
static int drain_read(struct collect *c, struct cbuf *b, int max,
		      int partial)
{
	size_t cap = c->merge ? READ_CAP : READ_CHUNK;
	size_t have = 0, grow;
	ssize_t n;
	int err;
	char *p;

	while (!size_reached(c)) {
		if (have == b->rcap && b->rcap >= cap) {
			/* Full at the cap: saved as it is. */
			if (save_read(c, b, have, partial))
				return -1;
			if (c->merge)
				b->cut++;
			have = 0;
			if (--max <= 0)
				return 0;
			continue;
		}
		if (have == b->rcap) {
			grow = b->rcap ? 2 * b->rcap : READ_CHUNK;
			if (grow > cap)
				grow = cap;
			p = realloc(b->rbuf, grow);
			if (!p && !b->rcap) {
				msg("out of memory\n");
				return -1;
			}
			if (!p) {
				/* No more memory: this size is the cap. */
				cap = b->rcap;
				continue;
			}
			b->rbuf = p;
			b->rcap = grow;
		}
		c->calls++;
		n = read(b->fd, b->rbuf + have, b->rcap - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EIO && access(b->path, F_OK)) {
			/*
			 * debugfs' proxy fails every call once the file is
			 * removed: for upstream relay that is the close, and
			 * what was not read yet is lost.
			 */
			b->gone = 1;
			b->eof = 1;
			n = 0;
		} else if (n < 0) {
			err = errno;
			/* What was read is consumed: save it first. */
			if (have && save_read(c, b, have, partial))
				return -1;
			msg("%s: read: %s%s\n", b->path, strerror(err),
			    err == EBUSY ?
			    " (an mmap consumer holds a sub-buffer)" : "");
			if (have)
				msg("%s: the %zu bytes read before it were saved\n",
				    b->path, have);
			return -1;
		}
		have += n;
		if (have == b->rcap)
			continue;
		if (have && save_read(c, b, have, partial))
			return -1;
		/* POLLERR (end of stream) came before this: all read. */
		if (n == 0 && b->hup)
			b->eof = 1;
		/* A short read took all there was: no second one to learn it. */
		return 0;
	}
	return 0;
}

static int drain(struct collect *c, struct cbuf *b)
{
	if (b->eof)
		return 0;
	return b->use_mmap ? drain_mmap(c, b, (int)b->geo.n_subbufs) :
			     drain_read(c, b, 4, 0);
}

/*
 * Opening a buffer file under kernel lockdown: debugfs refuses files with
 * ioctl or mmap (EPERM). relayx's /dev/relayx reopens one we can only name
 * (O_PATH).
 */
static int open_locked_down(const char *path)
{
#ifdef RELAYX_OPEN_BUF
	struct relayx_open_buf a;
	int p, d, fd, err;

	p = open(path, O_PATH | O_CLOEXEC);
	if (p < 0)
		return -1;
	d = open("/dev/relayx", O_RDONLY | O_CLOEXEC);
	if (d < 0) {
		err = errno;
		close(p);
		msg("kernel lockdown: debugfs refuses %s; /dev/relayx: %s\n",
		    path, strerror(err));
		msg("kernel lockdown: load relayx with /dev/relayx\n");
		errno = EPERM;
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.fd = p;
	fd = ioctl(d, RELAYX_OPEN_BUF, &a);
	err = errno;
	close(d);
	close(p);
	if (fd < 0) {
		msg("kernel lockdown: debugfs refuses %s; RELAYX_OPEN_BUF: %s\n",
		    path, strerror(err));
		msg("kernel lockdown: load relayx with /dev/relayx\n");
	}
	errno = err;
	return fd;
#else
	msg("kernel lockdown: debugfs refuses %s\n", path);
	msg("kernel lockdown: load relayx with /dev/relayx\n");
	msg("(and build this tool with its uapi header: no RELAYX_OPEN_BUF)\n");
	errno = EPERM;
	return -1;
#endif
}

/*
 * A geometry we can map and count sub-buffers of with an int: the
 * sub-buffers fit in the mapping (which may be longer: whole pages).
 */
static int geometry_sane(const struct relayx_geometry *g)
{
	return g->subbuf_size && g->n_subbufs && g->n_subbufs <= INT_MAX &&
	       g->mmap_len && g->mmap_len <= SIZE_MAX &&
	       g->subbuf_size <= g->mmap_len / g->n_subbufs;
}

static void choose_mode(struct collect *c, struct cbuf *b)
{
	memset(&b->geo, 0, sizeof(b->geo));
	if (ioctl(b->fd, RELAYX_GET_GEOMETRY, &b->geo)) {
		snprintf(b->why_read, sizeof(b->why_read),
			 "no RELAYX_GET_GEOMETRY: %s", strerror(errno));
		return;
	}
	if (!geometry_sane(&b->geo)) {
		snprintf(b->why_read, sizeof(b->why_read),
			 "geometry out of range");
		return;
	}
	if (c->force_read) {
		snprintf(b->why_read, sizeof(b->why_read), "--read");
		return;
	}
	b->map = mmap(NULL, b->geo.mmap_len, PROT_READ, MAP_SHARED, b->fd, 0);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		snprintf(b->why_read, sizeof(b->why_read), "mmap: %s",
			 strerror(errno));
		return;
	}
	b->use_mmap = 1;
}

/* A new buffer file: how to drain it, and, once outputs are made, where. */
static int add_buf(struct collect *c, int cpu, const char *path)
{
	struct cbuf *b, **nb;
	char name[PATH_MAX];
	int err;

	b = calloc(1, sizeof(*b));
	nb = realloc(c->bufs, (c->nbufs + 1) * sizeof(*c->bufs));
	if (nb)
		c->bufs = nb;
	if (!b || !nb) {
		free(b);
		msg("out of memory\n");
		return -1;
	}
	b->cpu = cpu;
	snprintf(b->path, sizeof(b->path), "%s", path);
	b->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (b->fd < 0 && errno == EPERM)
		b->fd = open_locked_down(path);
	if (b->fd < 0) {
		err = errno;
		free(b);
		/* Gone between readdir() and open(): a channel closing. */
		if (err == ENOENT)
			return 0;
		if (err == EACCES)
			msg("%s: permission denied: buffer files are root-only, run as root\n",
			    path);
		else if (err == EMFILE || err == ENFILE)
			msg("%s: %s: raise the limit of open files (ulimit -n)\n",
			    path, strerror(err));
		else if (err != EPERM)
			msg("%s: %s\n", path, strerror(err));
		return -1;
	}
	choose_mode(c, b);
	memset(&b->st, 0, sizeof(b->st));
	b->stats_ioctl = !ioctl(b->fd, RELAYX_GET_STATS, &b->st);
	if (b->stats_ioctl) {
		b->have_stats = 1;
		b->have_st0 = 1;
		b->st0 = b->st;
	}
	/* Found now: drained at once. */
	b->revents = POLLIN;
	if (c->merge) {
		b->out = &c->merged;
	} else if (c->outputs_open) {
		b->out = calloc(1, sizeof(*b->out));
		snprintf(name, sizeof(name), "%s%s%d", c->base, c->cpu_sep,
			 cpu);
		if (!b->out || create_output(c, b->out, name)) {
			if (b->map)
				munmap(b->map, b->geo.mmap_len);
			close(b->fd);
			free(b->out);
			free(b);
			return -1;
		}
	}
	c->bufs[c->nbufs++] = b;
	return 0;
}

struct cbuf *find_buf(struct collect *c, int cpu)
{
	int i;

	for (i = 0; i < c->nbufs; i++)
		if (c->bufs[i]->cpu == cpu)
			return c->bufs[i];
	return NULL;
}

static int by_cpu(const void *a, const void *b)
{
	return (*(struct cbuf * const *)a)->cpu -
	       (*(struct cbuf * const *)b)->cpu;
}

/*
 * Every PREFIX<number> file not open yet: at the start, and again every
 * RESCAN_MS, for the files of CPUs that come online. Returns the number
 * of buffer files seen, or -1.
 */
int scan_dir(struct collect *c)
{
	size_t plen = strlen(c->prefix);
	int seen = 0, ret = 0;
	char path[PATH_MAX];
	struct dirent *de;
	char *end;
	long cpu;
	DIR *d;

	d = opendir(c->chan_dir);
	if (!d) {
		/* The client removed its directory: the files we hold stay. */
		if (errno == ENOENT && c->nbufs)
			return c->nbufs;
		if (errno == EACCES)
			msg("%s: permission denied: debugfs is root-only, run as root\n",
			    c->chan_dir);
		else
			msg("%s: %s\n", c->chan_dir, strerror(errno));
		return -1;
	}
	while (ret == 0 && (de = readdir(d))) {
		if (strncmp(de->d_name, c->prefix, plen) ||
		    !isdigit((unsigned char)de->d_name[plen]))
			continue;
		errno = 0;
		cpu = strtol(de->d_name + plen, &end, 10);
		if (*end || errno || cpu > INT_MAX)
			continue;
		seen++;
		if (find_buf(c, cpu))
			continue;
		snprintf(path, sizeof(path), "%s/%s", c->chan_dir, de->d_name);
		ret = add_buf(c, cpu, path);
	}
	closedir(d);
	/* CPU order for the progress lines and the summary. */
	qsort(c->bufs, c->nbufs, sizeof(*c->bufs), by_cpu);
	return ret ? ret : seen;
}

/* Is CHANNEL_DIR one? Says why not. Names the outputs after it. */
int check_channel_dir(struct collect *c)
{
	struct stat st;
	char *copy, *slash;

	if (stat(c->chan_dir, &st)) {
		msg("%s: %s%s\n", c->chan_dir, strerror(errno),
		    errno == EACCES ? " (debugfs is root-only: run as root)" : "");
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		msg("%s is not a directory: give the channel's directory (with %s0, ...)\n",
		    c->chan_dir, c->prefix);
		return -1;
	}
	if (c->base)
		return 0;
	copy = strdup(c->chan_dir);
	if (!copy) {
		msg("out of memory\n");
		return -1;
	}
	while ((slash = strrchr(copy, '/')) && slash != copy && !slash[1])
		*slash = '\0';
	slash = strrchr(copy, '/');
	c->base = slash ? slash + 1 : copy;
	if (!*c->base || !strcmp(c->base, ".") || !strcmp(c->base, ".."))
		c->base = "relayx";
	return 0;
}

/*
 * The last pass of a stop (a signal, --duration): what is complete now,
 * then in mmap mode the committed part of the sub-buffer being written,
 * which RELAYX_GET_SUBBUF would hand out only once it is full.
 */
static int final_drain(struct collect *c)
{
	struct cbuf *b;
	int i;

	for (i = 0; i < c->nbufs; i++) {
		b = c->bufs[i];
		if (drain(c, b))
			return -1;
		if (b->use_mmap && !b->eof && !size_reached(c) &&
		    drain_read(c, b, 2, 1))
			return -1;
	}
	return 0;
}

/* The poll set: every file not at its end. Returns how many. */
static int poll_set(struct collect *c)
{
	struct pollfd *pfd;
	struct cbuf **polled;
	int i, n;

	pfd = realloc(c->pfd, (c->nbufs + 1) * sizeof(*pfd));
	if (pfd)
		c->pfd = pfd;
	polled = realloc(c->polled, (c->nbufs + 1) * sizeof(*polled));
	if (polled)
		c->polled = polled;
	if (!pfd || !polled) {
		msg("out of memory\n");
		return -1;
	}
	for (i = n = 0; i < c->nbufs; i++) {
		if (c->bufs[i]->eof)
			continue;
		pfd[n].fd = c->bufs[i]->fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		polled[n++] = c->bufs[i];
	}
	return n;
}

int run(struct collect *c)
{
	double last_scan = c->start, last_show = c->start, t;
	int i, n, ret, timeout, sig;
	struct cbuf *b;

	for (;;) {
		for (i = 0; i < c->nbufs && !size_reached(c); i++) {
			b = c->bufs[i];
			if (!b->revents)
				continue;
			b->revents = 0;
			if (drain(c, b))
				return -1;
		}
		if (size_reached(c))
			return 0;
		t = now();
		sig = __atomic_load_n(&got_signal, __ATOMIC_RELAXED);
		if (sig || (c->duration && t - c->start >= c->duration)) {
			c->stop = sig ? SIGNALLED : DURATION;
			return final_drain(c);
		}
		if (c->progress && t - last_show >= 1) {
			show_progress(c, t - last_show);
			last_show = t;
		}
		n = poll_set(c);
		if (n < 0)
			return -1;
		if (!n) {
			c->stop = CLOSED;
			return 0;
		}
		timeout = RESCAN_MS;
		if (c->duration && (c->duration - (t - c->start)) * 1000 < timeout)
			timeout = (c->duration - (t - c->start)) * 1000 + 1;
		c->calls++;
		ret = collect_ppoll(c->pfd, n, timeout);
		if (ret < 0 && errno != EINTR) {
			msg("ppoll: %s\n", strerror(errno));
			return -1;
		}
		/*
		 * Every entry, not the first ret: ret counts the entries with
		 * events, wherever they are. POLLERR: closed and, for relayx,
		 * drained; upstream relay says it as soon as the channel is
		 * closed, so read() goes on until it returns 0. POLLHUP:
		 * debugfs' proxy lost the file.
		 */
		for (i = 0; ret > 0 && i < n; i++) {
			c->polled[i]->revents = c->pfd[i].revents;
			if (c->pfd[i].revents & (POLLERR | POLLHUP))
				c->polled[i]->hup = 1;
		}
		if (ret == 0 || now() - last_scan >= RESCAN_MS / 1000.0) {
			last_scan = now();
			for (i = 0; i < c->nbufs; i++)
				if (!c->bufs[i]->use_mmap)
					c->bufs[i]->revents |= POLLIN;
			if (scan_dir(c) < 0)
				return -1;
		}
	}
}

void release_bufs(struct collect *c)
{
	struct cbuf *b;
	int i;

	for (i = 0; i < c->nbufs; i++) {
		b = c->bufs[i];
		if (b->map)
			munmap(b->map, b->geo.mmap_len);
		close(b->fd);
		free(b->rbuf);
	}
	free(c->pfd);
	free(c->polled);
}
