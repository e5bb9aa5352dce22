// SPDX-License-Identifier: GPL-2.0
/*
 * relayx-collect: save everything a relayx (or upstream relay) channel
 * produces, per CPU or merged, until the channel closes or we are told
 * to stop. Documentation/userspace.rst ("relayx-collect") is its manual.
 *
 * Each buffer file is drained without copying when it can be: mmap() plus
 * RELAYX_GET_SUBBUF/RELAYX_PUT_SUBBUF. A sub-buffer is put back only once
 * it is saved, so a failed write leaves it in the channel. Files that do
 * not answer RELAYX_GET_GEOMETRY (upstream relay), or cannot be mapped
 * (debugfs' proxy), are drained with read() and poll().
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <linux/relayx.h>

#define PROG "relayx-collect"
/* Every message starts with our name; the formats stay checked by gcc. */
#define msg(...) fprintf(stderr, PROG ": " __VA_ARGS__)
#define RESCAN_MS 200
#define READ_CHUNK (1024 * 1024)

struct output {
	int fd;
	char *path;
	unsigned long long base;	/* offset at which we started */
	unsigned long long len;		/* bytes written: whole chunks only */
};

struct cbuf {
	int cpu, fd, use_mmap, eof, gone, hup, overwrite;
	char path[PATH_MAX];
	char why_read[64];		/* why not mmap, for the summary */
	char *map;
	struct relayx_geometry geo;
	char *rbuf;			/* read mode */
	size_t rcap;
	struct output *out;
	unsigned long long bytes, chunks, shown;
	int stats_ioctl;		/* RELAYX_GET_STATS answers */
	int have_stats;
	struct relayx_buf_stats st;
};

enum stop_reason { RUNNING, CLOSED, SIGNALLED, DURATION, SIZE, FAILED };
static const char * const stop_names[] = {
	"running", "closed", "signal", "duration", "size", "error"
};

static struct cbuf **bufs;
static int nbufs;
static struct output merged;
static const char *chan_dir, *out_dir = ".", *base, *prefix = "cpu";
static const char *json_path, *ready_path;
static int merge, quiet, force_read, progress, progress_lines;
static double duration;
static unsigned long long size_limit, total;
static enum stop_reason stop;
static int got_signal;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_signal(int sig)
{
	__atomic_store_n(&got_signal, sig, __ATOMIC_RELAXED);
}

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options] CHANNEL_DIR\n"
		"  -o, --output DIR     output directory (default .); - for stdout\n"
		"  -b, --base NAME      output name (default: CHANNEL_DIR's name)\n"
		"  -m, --merge          one file NAME instead of NAME.cpuN\n"
		"  -p, --prefix P       buffer files are PN (default cpu)\n"
		"  -d, --duration SEC   stop after SEC seconds\n"
		"  -s, --size BYTES     stop once BYTES (k, M, G) were written\n"
		"  -r, --read           read() even where mmap works\n"
		"  -q, --quiet          no progress, no summary\n"
		"  -P, --progress       progress even when stderr is no terminal\n"
		"      --json FILE      the summary as JSON too (- for stdout)\n"
		"      --ready FILE     create FILE once the files are open\n"
		"  -h, --help\n");
}

/* The path of an output, "-" for stdout. */
static int open_output(struct output *o, const char *name)
{
	off_t pos;

	if (!strcmp(out_dir, "-")) {
		o->fd = STDOUT_FILENO;
		o->path = strdup("<stdout>");
		pos = lseek(o->fd, 0, SEEK_CUR);
		o->base = pos > 0 ? pos : 0;
		return 0;
	}
	if (asprintf(&o->path, "%s/%s", out_dir, name) < 0)
		return -1;
	o->fd = open(o->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o->fd < 0) {
		msg("%s: %s\n", o->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Everything written so far is whole chunks: say where it went. */
static void report_written(void)
{
	int i;

	if (merge) {
		msg("%s: %llu bytes written\n", merged.path,
		    merged.len);
		return;
	}
	for (i = 0; i < nbufs; i++)
		msg("%s: %llu bytes written\n",
		    bufs[i]->out->path, bufs[i]->out->len);
}

/*
 * Append one chunk. A chunk that could not be written whole is cut off
 * again, so that the output ends on the last complete chunk; the caller
 * then keeps (mmap) or reports lost (read) what was not saved.
 */
static int save_chunk(struct cbuf *b, const char *data, size_t len)
{
	struct output *o = b->out;
	size_t done = 0;
	ssize_t n;
	int err;

	while (done < len) {
		n = write(o->fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : ENOSPC;
			msg("writing %s: %s\n", o->path,
			    strerror(err));
			if (done && ftruncate(o->fd, o->base + o->len))
				msg("%s: cannot cut it (%s): %zu bytes of a partial chunk\n",
				    o->path, strerror(errno), done);
			else if (done)
				msg("%s: cut back to %llu bytes, its last whole chunk\n",
				    o->path, o->len);
			errno = err;
			return -1;
		}
		done += n;
	}
	o->len += len;
	b->bytes += len;
	b->chunks++;
	total += len;
	if (size_limit && total >= size_limit && stop == RUNNING)
		stop = SIZE;
	return 0;
}

/*
 * Mmap mode: at most @max sub-buffers, so that one busy CPU cannot
 * starve the others. Returns -1 on a failure that ends the run.
 */
static int drain_mmap(struct cbuf *b, int max)
{
	struct relayx_subbuf sb;

	while (max-- > 0 && stop != SIZE) {
		memset(&sb, 0, sizeof(sb));
		if (ioctl(b->fd, RELAYX_GET_SUBBUF, &sb)) {
			if (errno == ENODATA)
				b->eof = 1;
			if (errno == EAGAIN || errno == ENODATA)
				return 0;
			msg("%s: RELAYX_GET_SUBBUF: %s%s\n",
			    b->path, strerror(errno), errno == EBUSY ?
				" (another consumer is draining this file)" : "");
			return -1;
		}
		if (save_chunk(b, b->map + sb.offset, sb.len)) {
			/* Not put back: it stays in the channel for later. */
			msg("%s: sub-buffer %llu (%llu bytes) not saved: it stays in the channel\n",
			    b->path, (unsigned long long)sb.seq,
				(unsigned long long)sb.len);
			return -1;
		}
		/* EINVAL: the client reset the channel meanwhile; saved anyway. */
		if (ioctl(b->fd, RELAYX_PUT_SUBBUF, &sb.seq) && errno != EINVAL) {
			msg("%s: RELAYX_PUT_SUBBUF: %s\n",
			    b->path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * Read mode. A read() that returns less than asked stopped at the end of
 * what the writers had finished, a message boundary; one that fills the
 * buffer may have cut a message. So a chunk is saved only after a short
 * read, the buffer growing until one comes: in a merged file, chunks of
 * different CPUs then never cut into each other's messages.
 */
static int drain_read(struct cbuf *b, int max)
{
	size_t have = 0;
	ssize_t n;
	char *p;

	while (stop != SIZE) {
		if (have == b->rcap) {
			p = realloc(b->rbuf, b->rcap ? 2 * b->rcap : READ_CHUNK);
			if (!p) {
				msg("out of memory\n");
				return -1;
			}
			b->rbuf = p;
			b->rcap = b->rcap ? 2 * b->rcap : READ_CHUNK;
		}
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
			msg("%s: read: %s%s\n", b->path,
			    strerror(errno), errno == EBUSY ?
				" (an mmap consumer holds a sub-buffer)" : "");
			return -1;
		}
		have += n;
		if (have == b->rcap)
			continue;
		if (have && save_chunk(b, b->rbuf, have)) {
			msg("%s: %zu bytes taken by read() were not saved: they are lost\n",
			    b->path, have);
			return -1;
		}
		if (n == 0) {
			/* POLLERR (end of stream) came before this: all read. */
			if (b->hup)
				b->eof = 1;
			return 0;
		}
		if (--max <= 0)
			return 0;
		have = 0;
	}
	return 0;
}

static int drain(struct cbuf *b, int max)
{
	if (b->eof)
		return 0;
	return b->use_mmap ? drain_mmap(b, max) : drain_read(b, max);
}

/*
 * Opening a buffer file under kernel lockdown: debugfs refuses files
 * with ioctl or mmap (EPERM). relayx's /dev/relayx reopens one we can
 * only name (O_PATH).
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

/* A new buffer file: how to drain it, and where it goes. */
static int add_buf(int cpu, const char *path)
{
	struct cbuf *b, **nb;
	char name[PATH_MAX];

	b = calloc(1, sizeof(*b));
	nb = realloc(bufs, (nbufs + 1) * sizeof(*bufs));
	if (!b || !nb) {
		free(b);
		msg("out of memory\n");
		return -1;
	}
	bufs = nb;
	b->cpu = cpu;
	snprintf(b->path, sizeof(b->path), "%s", path);
	b->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (b->fd < 0 && errno == EPERM)
		b->fd = open_locked_down(path);
	if (b->fd < 0) {
		int err = errno;

		free(b);
		/* Gone between readdir() and open(): a channel closing. */
		if (err == ENOENT)
			return 0;
		if (err == EACCES)
			msg("%s: permission denied: buffer files are root-only, run as root\n",
			    path);
		else if (err != EPERM)
			msg("%s: %s\n", path, strerror(err));
		return -1;
	}
	memset(&b->geo, 0, sizeof(b->geo));
	if (ioctl(b->fd, RELAYX_GET_GEOMETRY, &b->geo)) {
		snprintf(b->why_read, sizeof(b->why_read),
			 "no RELAYX_GET_GEOMETRY: %s", strerror(errno));
	} else if (force_read) {
		snprintf(b->why_read, sizeof(b->why_read), "--read");
	} else {
		b->map = mmap(NULL, b->geo.mmap_len, PROT_READ, MAP_SHARED,
			      b->fd, 0);
		if (b->map == MAP_FAILED) {
			b->map = NULL;
			snprintf(b->why_read, sizeof(b->why_read),
				 "mmap: %s", strerror(errno));
		} else {
			b->use_mmap = 1;
		}
	}
#ifdef RELAYX_GEOMETRY_OVERWRITE
	/* Flight-recorder channels: losses are overwritten sub-buffers. */
	b->overwrite = !!(b->geo.flags & RELAYX_GEOMETRY_OVERWRITE);
#endif
	memset(&b->st, 0, sizeof(b->st));
	b->stats_ioctl = !ioctl(b->fd, RELAYX_GET_STATS, &b->st);
	b->have_stats = b->stats_ioctl;
	if (merge) {
		b->out = &merged;
	} else {
		b->out = calloc(1, sizeof(*b->out));
		snprintf(name, sizeof(name), "%s.cpu%d", base, cpu);
		if (!b->out || open_output(b->out, name)) {
			free(b->out);
			free(b);
			return -1;
		}
	}
	bufs[nbufs++] = b;
	return 0;
}

static struct cbuf *find_buf(int cpu)
{
	int i;

	for (i = 0; i < nbufs; i++)
		if (bufs[i]->cpu == cpu)
			return bufs[i];
	return NULL;
}

static int by_cpu(const void *a, const void *b)
{
	return (*(struct cbuf * const *)a)->cpu - (*(struct cbuf * const *)b)->cpu;
}

/*
 * Every PREFIX<number> file not open yet: at the start, and again on
 * every poll timeout, for the files of CPUs that come online.
 * Returns the number of buffer files seen, or -1.
 */
static int scan_dir(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t plen = strlen(prefix);
	int seen = 0, cpu, ret = 0;
	char *end;
	DIR *d;

	d = opendir(chan_dir);
	if (!d) {
		/* The client removed its directory: the files we hold stay. */
		if (errno == ENOENT && nbufs)
			return nbufs;
		if (errno == EACCES)
			msg("%s: permission denied: debugfs is root-only, run as root\n",
			    chan_dir);
		else
			msg("%s: %s\n", chan_dir,
			    strerror(errno));
		return -1;
	}
	while (ret == 0 && (de = readdir(d))) {
		if (strncmp(de->d_name, prefix, plen) ||
		    !isdigit((unsigned char)de->d_name[plen]))
			continue;
		cpu = strtol(de->d_name + plen, &end, 10);
		if (*end)
			continue;
		seen++;
		if (find_buf(cpu))
			continue;
		snprintf(path, sizeof(path), "%s/%s", chan_dir, de->d_name);
		ret = add_buf(cpu, path);
	}
	closedir(d);
	/* CPU order for the progress lines and the summary. */
	qsort(bufs, nbufs, sizeof(*bufs), by_cpu);
	return ret ? ret : seen;
}

/* Buffers that do not answer RELAYX_GET_STATS: the stats file, if any. */
static void refresh_stats(void)
{
	unsigned long long v[9];
	char path[PATH_MAX], line[512];
	struct cbuf *b;
	int i, cpu, need = 0;
	FILE *f;

	for (i = 0; i < nbufs; i++) {
		b = bufs[i];
		/* Fails with EIO once a proxied file was removed: keep the last. */
		if (b->stats_ioctl)
			ioctl(b->fd, RELAYX_GET_STATS, &b->st);
		else
			need = 1;
	}
	if (!need)
		return;
	snprintf(path, sizeof(path), "%s/%sstats", chan_dir, prefix);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &cpu, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			   &v[6], &v[7], &v[8]) != 10)
			continue;
		b = find_buf(cpu);
		if (!b || b->stats_ioctl)
			continue;
		b->st.msgs = v[0];
		b->st.bytes = v[1];
		b->st.full = v[2];
		b->st.bytes_full = v[3];
		b->st.big = v[4];
		b->st.bytes_big = v[5];
		b->st.overwritten = v[6];
		b->st.produced = v[7];
		b->st.consumed = v[8];
		b->have_stats = 1;
	}
	fclose(f);
}

static const char *human(double v, char *s, size_t n)
{
	const char *unit = "KMGT";
	int u = -1;

	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(s, n, "%.0f B", v);
	else
		snprintf(s, n, "%.1f %ciB", v, unit[u]);
	return s;
}

/* One line per CPU and a total, redrawn in place about once a second. */
static void show_progress(double dt)
{
	unsigned long long drops, tdrops = 0, tchunks = 0, delta = 0;
	char r[32], w[32], dr[24];
	int i;

	refresh_stats();
	if (progress_lines)
		fprintf(stderr, "\033[%dA", progress_lines);
	for (i = 0; i < nbufs; i++) {
		struct cbuf *b = bufs[i];

		drops = b->st.full + b->st.big + b->st.overwritten;
		snprintf(dr, sizeof(dr), b->have_stats ? "%llu" : "n/a", drops);
		fprintf(stderr, "cpu%-4d %-4s %12s/s %10llu chunks  dropped %s\033[K\n",
			b->cpu, b->use_mmap ? "mmap" : "read",
			human((b->bytes - b->shown) / dt, r, sizeof(r)),
			b->chunks, dr);
		delta += b->bytes - b->shown;
		b->shown = b->bytes;
		tdrops += drops;
		tchunks += b->chunks;
	}
	fprintf(stderr, "total   %-4s %12s/s %10llu chunks  dropped %llu  (%s written)\033[K\n",
		"", human(delta / dt, r, sizeof(r)), tchunks, tdrops,
		human(total, w, sizeof(w)));
	progress_lines = nbufs + 1;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_stat(FILE *f, const char *key, int known,
		      unsigned long long v)
{
	if (known)
		fprintf(f, ", \"%s\": %llu", key, v);
	else
		fprintf(f, ", \"%s\": null", key);
}

/* One CPU per line: easy to pick apart with grep as well. */
static int write_json(double secs, int status)
{
	struct relayx_buf_stats t;
	int i, all = 1;
	FILE *f;

	f = strcmp(json_path, "-") ? fopen(json_path, "w") : stdout;
	if (!f) {
		msg("%s: %s\n", json_path, strerror(errno));
		return -1;
	}
	memset(&t, 0, sizeof(t));
	fprintf(f, "{\"channel\": ");
	json_str(f, chan_dir);
	fprintf(f, ", \"stop\": \"%s\", \"exit\": %d, \"seconds\": %.3f",
		stop_names[stop], status, secs);
	fprintf(f, ", \"bytes\": %llu,\n \"cpus\": [\n", total);
	for (i = 0; i < nbufs; i++) {
		struct cbuf *b = bufs[i];

		fprintf(f, "  {\"cpu\": %d, \"mode\": \"%s\", \"bytes\": %llu",
			b->cpu, b->use_mmap ? "mmap" : "read", b->bytes);
		fprintf(f, ", \"chunks\": %llu, \"eof\": %s, \"removed\": %s",
			b->chunks, b->eof ? "true" : "false",
			b->gone ? "true" : "false");
		fprintf(f, ", \"overwrite\": %s, \"output\": ",
			b->overwrite ? "true" : "false");
		json_str(f, b->out->path);
		json_stat(f, "msgs", b->have_stats, b->st.msgs);
		json_stat(f, "full", b->have_stats, b->st.full);
		json_stat(f, "big", b->have_stats, b->st.big);
		json_stat(f, "overwritten", b->have_stats, b->st.overwritten);
		fprintf(f, "}%s\n", i + 1 < nbufs ? "," : "");
		all &= b->have_stats;
		t.msgs += b->st.msgs;
		t.full += b->st.full;
		t.big += b->st.big;
		t.overwritten += b->st.overwritten;
	}
	fprintf(f, " ],\n \"total\": {\"bytes\": %llu", total);
	json_stat(f, "msgs", all, t.msgs);
	json_stat(f, "full", all, t.full);
	json_stat(f, "big", all, t.big);
	json_stat(f, "overwritten", all, t.overwritten);
	fprintf(f, "}}\n");
	if (f == stdout ? fflush(f) : fclose(f)) {
		msg("%s: %s\n", json_path, strerror(errno));
		return -1;
	}
	return 0;
}

static void print_num(unsigned long long v, int known)
{
	if (known)
		fprintf(stderr, " %12llu", v);
	else
		fprintf(stderr, " %12s", "n/a");
}

static void summary(double secs)
{
	unsigned long long tb = 0, tc = 0;
	int i;

	msg("%s: stopped (%s) after %.1f s, %llu bytes\n",
	    chan_dir, stop_names[stop], secs, total);
	fprintf(stderr, "%-6s %-4s %12s %12s %12s %12s %12s  %s\n", "cpu",
		"mode", "bytes", "chunks", "dropped", "too-big", "overwritten",
		"output");
	for (i = 0; i < nbufs; i++) {
		struct cbuf *b = bufs[i];

		fprintf(stderr, "%-6d %-4s %12llu %12llu", b->cpu,
			b->use_mmap ? "mmap" : "read", b->bytes, b->chunks);
		print_num(b->st.full, b->have_stats);
		print_num(b->st.big, b->have_stats);
		print_num(b->st.overwritten, b->have_stats);
		fprintf(stderr, "  %s%s%s%s\n", b->out->path,
			b->use_mmap ? "" : " (read: ",
			b->use_mmap ? "" : b->why_read,
			b->use_mmap ? "" : ")");
		if (b->gone)
			fprintf(stderr, "       removed by the close: what was unread is lost\n");
		tb += b->bytes;
		tc += b->chunks;
	}
	fprintf(stderr, "%-6s %-4s %12llu %12llu\n", "total", "", tb, tc);
	fprintf(stderr, "(chunks: sub-buffers (mmap) or reads (read); n/a: no drop counts)\n");
}

static unsigned long long parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'k': case 'K':
		return v << 10;
	case 'm': case 'M':
		return v << 20;
	case 'g': case 'G':
		return v << 30;
	case '\0':
		return v;
	}
	msg("bad size '%s'\n", s);
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "base", required_argument, NULL, 'b' },
		{ "merge", no_argument, NULL, 'm' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "read", no_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "progress", no_argument, NULL, 'P' },
		{ "json", required_argument, NULL, 'J' },
		{ "ready", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "o:b:mp:d:s:rqPh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out_dir = optarg;
			break;
		case 'b':
			base = optarg;
			break;
		case 'm':
			merge = 1;
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'd':
			duration = strtod(optarg, &end);
			if (*end || duration <= 0) {
				msg("bad duration '%s'\n", optarg);
				exit(2);
			}
			break;
		case 's':
			size_limit = parse_size(optarg);
			break;
		case 'r':
			force_read = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'P':
			progress = 1;
			break;
		case 'J':
			json_path = optarg;
			break;
		case 'R':
			ready_path = optarg;
			break;
		case 'h':
			print_usage(stdout);
			exit(0);
		default:
			print_usage(stderr);
			exit(2);
		}
	}
	if (optind + 1 != argc) {
		print_usage(stderr);
		exit(2);
	}
	chan_dir = argv[optind];
	if (!strcmp(out_dir, "-"))
		merge = 1;
	if (json_path && !strcmp(json_path, "-") && !strcmp(out_dir, "-")) {
		msg("--json - and -o - both want stdout\n");
		exit(2);
	}
}

/* Is CHANNEL_DIR one? Says why not. */
static int check_channel_dir(void)
{
	struct stat st;
	char *copy, *slash;

	if (stat(chan_dir, &st)) {
		msg("%s: %s%s\n", chan_dir, strerror(errno),
		    errno == EACCES ? " (debugfs is root-only: run as root)" : "");
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		msg("%s is not a directory: give the channel's directory (with %s0, ...)\n",
		    chan_dir, prefix);
		return -1;
	}
	if (!base) {
		copy = strdup(chan_dir);
		while ((slash = strrchr(copy, '/')) && slash != copy && !slash[1])
			*slash = '\0';
		slash = strrchr(copy, '/');
		base = slash ? slash + 1 : copy;
		if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
			base = "relayx";
	}
	return 0;
}

/* The last pass of a stop: what is complete now, not what comes after. */
static int final_drain(void)
{
	int i;

	for (i = 0; i < nbufs; i++) {
		struct cbuf *b = bufs[i];

		if (drain(b, b->use_mmap ? (int)b->geo.n_subbufs : 2))
			return -1;
	}
	return 0;
}

static int run(void)
{
	double start = now(), last_scan = start, last_show = start, t;
	struct pollfd *pfd = NULL;
	struct cbuf **polled = NULL;
	int i, n, timeout, sig;

	for (;;) {
		for (i = 0; i < nbufs && stop != SIZE; i++)
			if (drain(bufs[i], bufs[i]->use_mmap ?
				  (int)bufs[i]->geo.n_subbufs : 4))
				return -1;
		if (stop == SIZE)
			return 0;
		t = now();
		sig = __atomic_load_n(&got_signal, __ATOMIC_RELAXED);
		if (sig || (duration && t - start >= duration)) {
			stop = sig ? SIGNALLED : DURATION;
			return final_drain();
		}
		if (progress && t - last_show >= 1) {
			show_progress(t - last_show);
			last_show = t;
		}
		pfd = realloc(pfd, (nbufs + 1) * sizeof(*pfd));
		polled = realloc(polled, (nbufs + 1) * sizeof(*polled));
		if (!pfd || !polled) {
			msg("out of memory\n");
			return -1;
		}
		for (i = n = 0; i < nbufs; i++) {
			if (bufs[i]->eof)
				continue;
			pfd[n].fd = bufs[i]->fd;
			pfd[n].events = POLLIN;
			polled[n++] = bufs[i];
		}
		if (!n) {
			stop = CLOSED;
			free(pfd);
			free(polled);
			return 0;
		}
		timeout = RESCAN_MS;
		if (duration && (duration - (t - start)) * 1000 < timeout)
			timeout = (duration - (t - start)) * 1000 + 1;
		n = poll(pfd, n, timeout);
		if (n < 0 && errno != EINTR) {
			msg("poll: %s\n", strerror(errno));
			return -1;
		}
		/*
		 * POLLERR: closed and, for relayx, drained; upstream relay
		 * says it as soon as the channel is closed, so read() goes
		 * on until it returns 0. POLLHUP: debugfs' proxy lost the file.
		 */
		for (i = 0; i < n; i++)
			if (pfd[i].revents & (POLLERR | POLLHUP))
				polled[i]->hup = 1;
		if (n == 0 || now() - last_scan >= RESCAN_MS / 1000.0) {
			last_scan = now();
			if (scan_dir() < 0)
				return -1;
		}
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	double start;
	int status = 0, fd, i;

	parse_args(argc, argv);
	if (check_channel_dir())
		return 1;
	if (!strcmp(out_dir, "-") || mkdir(out_dir, 0755) == 0 || errno == EEXIST) {
		if (merge && open_output(&merged, base))
			return 1;
	} else {
		msg("%s: %s\n", out_dir, strerror(errno));
		return 1;
	}
	i = scan_dir();
	if (i < 0)
		return 1;
	if (i == 0) {
		msg("%s is not a channel directory: no %sN buffer files in it\n",
		    chan_dir, prefix);
		if (merge && strcmp(out_dir, "-"))
			unlink(merged.path);
		return 1;
	}
	/* SA_RESETHAND: a second Ctrl-C ends a drain that takes too long. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed stdout pipe is a write error to report, not a kill. */
	signal(SIGPIPE, SIG_IGN);
	if (ready_path) {
		fd = open(ready_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	/* -P: for a terminal at the far end of a pipe or a serial line. */
	progress = !quiet && (progress || isatty(STDERR_FILENO));
	start = now();
	if (run()) {
		stop = FAILED;
		status = 1;
		report_written();
	}
	refresh_stats();
	if (!quiet)
		summary(now() - start);
	if (json_path && write_json(now() - start, status))
		status = 1;
	for (i = 0; i < nbufs; i++) {
		if (bufs[i]->map)
			munmap(bufs[i]->map, bufs[i]->geo.mmap_len);
		close(bufs[i]->fd);
		if (!merge && bufs[i]->out->fd != STDOUT_FILENO &&
		    close(bufs[i]->out->fd)) {
			msg("%s: %s\n", bufs[i]->out->path,
			    strerror(errno));
			status = 1;
		}
	}
	if (merge && merged.fd != STDOUT_FILENO && close(merged.fd)) {
		msg("%s: %s\n", merged.path, strerror(errno));
		status = 1;
	}
	return status;
}
