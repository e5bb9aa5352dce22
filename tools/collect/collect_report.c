// SPDX-License-Identifier: GPL-2.0
/*
 * relayx-collect: the report. The drop counts of a buffer cover the
 * channel's whole life; the progress, the summary and the closing warning
 * give this run's, the differences from the counts when the run found
 * the file. The JSON has both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include "collect.h"

const char * const stop_names[] = {
	"running", "closed", "signal", "duration", "size", "pipe closed",
	"error"
};

/* Buffers that do not answer RELAYX_GET_STATS: the stats file, if any. */
void refresh_stats(struct collect *c)
{
	unsigned long long v[9];
	char path[PATH_MAX], line[512];
	struct cbuf *b;
	int i, cpu, need = 0;
	FILE *f;

	for (i = 0; i < c->nbufs; i++) {
		b = c->bufs[i];
		/* Fails with EIO once a proxied file was removed: keep the last. */
		if (b->stats_ioctl)
			ioctl(b->fd, RELAYX_GET_STATS, &b->st);
		else
			need = 1;
	}
	if (!need)
		return;
	snprintf(path, sizeof(path), "%s/%sstats", c->chan_dir, c->prefix);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &cpu, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			   &v[6], &v[7], &v[8]) != 10)
			continue;
		b = find_buf(c, cpu);
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
		if (!b->have_st0) {
			b->st0 = b->st;
			b->have_st0 = 1;
		}
	}
	fclose(f);
}

/* This run's counts: now less when it found the file. */
static unsigned long long run_msgs(const struct cbuf *b)
{
	return b->st.msgs - b->st0.msgs;
}

static unsigned long long run_full(const struct cbuf *b)
{
	return b->st.full - b->st0.full;
}

static unsigned long long run_big(const struct cbuf *b)
{
	return b->st.big - b->st0.big;
}

static unsigned long long run_over(const struct cbuf *b)
{
	return b->st.overwritten - b->st0.overwritten;
}

static unsigned long long run_drops(const struct cbuf *b)
{
	return run_full(b) + run_big(b) + run_over(b);
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

static int term_rows(void)
{
	struct winsize ws;

	if (!ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) && ws.ws_row > 3)
		return ws.ws_row;
	return 24;
}

/*
 * A line per CPU and a total, redrawn in place about once a second. With
 * more CPUs than the terminal has rows, the busy ones only (data or drops
 * since the last redraw), as many as fit, and a line for the rest.
 */
void show_progress(struct collect *c, double dt)
{
	unsigned long long tdrops = 0, tchunks = 0, delta = 0, d;
	int i, lines = 0, room, quiet_ones = 0;
	char r[32], w[32], dr[24];
	struct cbuf *b;

	refresh_stats(c);
	room = term_rows() - 2;
	if (c->progress_lines)
		fprintf(stderr, "\033[%dA", c->progress_lines);
	for (i = 0; i < c->nbufs; i++) {
		b = c->bufs[i];
		d = b->bytes - b->shown;
		delta += d;
		tdrops += run_drops(b);
		tchunks += b->chunks;
		if (c->nbufs > room && (lines >= room - 1 ||
					(!d && !run_drops(b)))) {
			quiet_ones++;
			b->shown = b->bytes;
			continue;
		}
		snprintf(dr, sizeof(dr), b->have_stats ? "%llu" : "n/a",
			 run_drops(b));
		fprintf(stderr, "cpu%-4d %-4s %12s/s %10llu chunks  dropped %s\033[K\n",
			b->cpu, b->use_mmap ? "mmap" : "read",
			human(d / dt, r, sizeof(r)), b->chunks, dr);
		b->shown = b->bytes;
		lines++;
	}
	if (quiet_ones) {
		fprintf(stderr, "(%d more CPUs, not shown)\033[K\n", quiet_ones);
		lines++;
	}
	fprintf(stderr, "total   %-4s %12s/s %10llu chunks  dropped %llu  (%s written)\033[K\n",
		"", human(delta / dt, r, sizeof(r)), tchunks, tdrops,
		human(c->total, w, sizeof(w)));
	lines++;
	/* Lines of a longer redraw before stay below: clear them. */
	for (i = lines; i < c->progress_lines; i++)
		fprintf(stderr, "\033[K\n");
	if (c->progress_lines > lines)
		fprintf(stderr, "\033[%dA", c->progress_lines - lines);
	c->progress_lines = lines;
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD. */
static void json_str(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int i, more;

	fputc('"', f);
	while (*s) {
		if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
			continue;
		}
		if (*s < 0x20) {
			fprintf(f, "\\u%04x", *s++);
			continue;
		}
		if (*s < 0x80) {
			fputc(*s++, f);
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf)
			more = 1;
		else if (*s >= 0xe0 && *s <= 0xef)
			more = 2;
		else if (*s >= 0xf0 && *s <= 0xf4)
			more = 3;
		else
			more = -1;
		for (i = 1; i <= more; i++)
			if ((s[i] & 0xc0) != 0x80)
				more = -1;
		/* Overlong, surrogates, past U+10FFFF: not UTF-8 either. */
		if ((s[0] == 0xe0 && s[1] < 0xa0) ||
		    (s[0] == 0xed && s[1] > 0x9f) ||
		    (s[0] == 0xf0 && s[1] < 0x90) ||
		    (s[0] == 0xf4 && s[1] > 0x8f))
			more = -1;
		if (more < 0) {
			fputs("\\ufffd", f);
			s++;
			continue;
		}
		fwrite(s, 1, more + 1, f);
		s += more + 1;
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

/* User and system CPU time of the process so far. */
static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* One CPU per line: easy to pick apart with grep as well. */
int write_json(struct collect *c, double secs)
{
	struct relayx_buf_stats t, r;
	FILE *f = c->json;
	struct cbuf *b;
	int i, all = 1;

	if (!f)
		return 0;
	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	fprintf(f, "{\"channel\": ");
	json_str(f, c->chan_dir);
	fprintf(f, ", \"stop\": \"%s\", \"exit\": %d, \"seconds\": %.3f",
		stop_names[c->stop], c->status, secs);
	fprintf(f, ", \"bytes\": %llu, \"calls\": %llu, \"cpu_seconds\": %.3f",
		c->total, c->calls, cpu_seconds());
	fprintf(f, ",\n \"cpus\": [\n");
	for (i = 0; i < c->nbufs; i++) {
		b = c->bufs[i];
		fprintf(f, "  {\"cpu\": %d, \"mode\": \"%s\", \"bytes\": %llu",
			b->cpu, b->use_mmap ? "mmap" : "read", b->bytes);
		fprintf(f, ", \"chunks\": %llu, \"partial\": %llu, \"cut\": %llu",
			b->chunks, b->partial, b->cut);
		fprintf(f, ", \"eof\": %s, \"removed\": %s, \"output\": ",
			b->eof ? "true" : "false", b->gone ? "true" : "false");
		json_str(f, b->out && b->out->path ? b->out->path : "");
		json_stat(f, "msgs", b->have_stats, b->st.msgs);
		json_stat(f, "full", b->have_stats, b->st.full);
		json_stat(f, "big", b->have_stats, b->st.big);
		json_stat(f, "overwritten", b->have_stats, b->st.overwritten);
		json_stat(f, "run_msgs", b->have_stats, run_msgs(b));
		json_stat(f, "run_full", b->have_stats, run_full(b));
		json_stat(f, "run_big", b->have_stats, run_big(b));
		json_stat(f, "run_overwritten", b->have_stats, run_over(b));
		fprintf(f, "}%s\n", i + 1 < c->nbufs ? "," : "");
		all &= b->have_stats;
		t.msgs += b->st.msgs;
		t.full += b->st.full;
		t.big += b->st.big;
		t.overwritten += b->st.overwritten;
		r.msgs += run_msgs(b);
		r.full += run_full(b);
		r.big += run_big(b);
		r.overwritten += run_over(b);
	}
	fprintf(f, " ],\n \"total\": {\"bytes\": %llu", c->total);
	json_stat(f, "msgs", all, t.msgs);
	json_stat(f, "full", all, t.full);
	json_stat(f, "big", all, t.big);
	json_stat(f, "overwritten", all, t.overwritten);
	json_stat(f, "run_msgs", all, r.msgs);
	json_stat(f, "run_full", all, r.full);
	json_stat(f, "run_big", all, r.big);
	json_stat(f, "run_overwritten", all, r.overwritten);
	fprintf(f, "}}\n");
	if (f == stdout ? fflush(f) : fclose(f)) {
		msg("%s: %s\n", c->json_path, strerror(errno));
		c->json = NULL;
		return -1;
	}
	c->json = NULL;
	return 0;
}

static void print_num(unsigned long long v, int known)
{
	if (known)
		fprintf(stderr, " %12llu", v);
	else
		fprintf(stderr, " %12s", "n/a");
}

void summary(struct collect *c, double secs)
{
	unsigned long long tb = 0, tc = 0, cut = 0, part = 0;
	struct cbuf *b;
	int i;

	msg("%s: stopped (%s) after %.1f s, %llu bytes\n",
	    c->chan_dir, stop_names[c->stop], secs, c->total);
	fprintf(stderr, "%-6s %-4s %12s %12s %12s %12s %12s  %s\n", "cpu",
		"mode", "bytes", "chunks", "full", "too-big", "overwritten",
		"output");
	for (i = 0; i < c->nbufs; i++) {
		b = c->bufs[i];
		fprintf(stderr, "%-6d %-4s %12llu %12llu", b->cpu,
			b->use_mmap ? "mmap" : "read", b->bytes, b->chunks);
		print_num(run_full(b), b->have_stats);
		print_num(run_big(b), b->have_stats);
		print_num(run_over(b), b->have_stats);
		fprintf(stderr, "  %s%s%s%s\n",
			b->out && b->out->path ? b->out->path : "-",
			b->use_mmap ? "" : " (read: ",
			b->use_mmap ? "" : b->why_read,
			b->use_mmap ? "" : ")");
		if (b->gone)
			fprintf(stderr, "       removed by the close: what was unread is lost\n");
		tb += b->bytes;
		tc += b->chunks;
		cut += b->cut;
		part += b->partial;
	}
	fprintf(stderr, "%-6s %-4s %12llu %12llu\n", "total", "", tb, tc);
	fprintf(stderr,
		"(chunks: sub-buffers (mmap) or reads (read); full, too-big, overwritten:\n"
		" dropped by relayx during this run; n/a: no drop counts)\n");
	if (part)
		fprintf(stderr,
			"(%llu bytes of sub-buffers still being written were saved at the stop)\n",
			part);
	if (cut)
		fprintf(stderr,
			"relayx-collect: warning: %llu merged chunks saved full (64 MiB): a message may be cut\n",
			cut);
}

/* The closing warning, even with -q: what was lost, and what to do. */
void warn_drops(struct collect *c)
{
	unsigned long long full = 0, big = 0, over = 0;
	int i;

	for (i = 0; i < c->nbufs; i++) {
		full += run_full(c->bufs[i]);
		big += run_big(c->bufs[i]);
		over += run_over(c->bufs[i]);
	}
	if (!(full + big + over))
		return;
	fprintf(stderr,
		"relayx-collect: warning: %llu drops in this run: %llu messages dropped (buffer full),\n"
		"  %llu too big for a sub-buffer, %llu sub-buffers overwritten\n",
		full + big + over, full, big, over);
	if (full || over)
		fprintf(stderr,
			"  the collector fell behind the writers: give the channel more or bigger\n"
			"  sub-buffers (n_subbufs, subbuf_size), or write to a faster disk\n");
	if (big)
		fprintf(stderr,
			"  messages longer than a sub-buffer are never written: give the channel\n"
			"  bigger sub-buffers (subbuf_size)\n");
}
