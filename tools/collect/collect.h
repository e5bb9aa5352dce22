/* SPDX-License-Identifier: GPL-2.0 */
/*
 * relayx-collect: what its parts share. The options (collect_opts.c) fill
 * a struct collect; the outputs (collect_out.c) take whole chunks; the
 * consumer (collect_consume.c) drains the buffer files into them; the
 * report (collect_report.c) says what happened. No part keeps state of
 * its own but the signal that arrived (collect_consume.c).
 */
#ifndef RELAYX_COLLECT_H
#define RELAYX_COLLECT_H

#include <limits.h>
#include <poll.h>
#include <stdio.h>

#include <linux/relayx.h>

#define PROG "relayx-collect"
/* Every message starts with our name; the formats stay checked by gcc. */
#define msg(...) fprintf(stderr, PROG ": " __VA_ARGS__)

/* An output file, or standard output. */
struct output {
	int fd;
	char *path;			/* for messages */
	int is_reg;			/* a regular file: can be cut back */
	int pipe_closed;		/* its reader went away (EPIPE) */
	unsigned long long base;	/* its size when we started */
	unsigned long long len;		/* bytes written: whole chunks only */
};

/* One buffer file. */
struct cbuf {
	int cpu, fd, use_mmap, eof, gone, hup;
	short revents;			/* what the last poll said */
	char path[PATH_MAX];
	char why_read[64];		/* why not mmap, for the summary */
	char *map;
	struct relayx_geometry geo;
	char *rbuf;			/* read(): mode read, or a stop's partial */
	size_t rcap;
	struct output *out;
	unsigned long long bytes, chunks, shown, partial, cut;
	int stats_ioctl;		/* RELAYX_GET_STATS answers */
	int have_stats, have_st0;
	struct relayx_buf_stats st;	/* the channel's counts, now */
	struct relayx_buf_stats st0;	/* and when this run found the file */
};

enum stop_reason {
	RUNNING, CLOSED, SIGNALLED, DURATION, SIZE, PIPE_CLOSED, FAILED
};

struct collect {
	/* options */
	const char *chan_dir, *out_dir, *base, *prefix;
	const char *cpu_sep;		/* NAME<sep>N: ".cpu", or blkparse's */
	const char *json_path, *ready_path;
	int merge, quiet, force_read, force, progress;
	double duration;
	unsigned long long size_limit;

	/* outputs */
	int dir_fd;			/* the output directory; -1: stdout */
	int outputs_open;		/* outputs are made as files are found */
	struct output merged;
	FILE *json;			/* opened before the run */
	int ready_dir_fd;
	const char *ready_name;

	/* the buffer files, in CPU order */
	struct cbuf **bufs;
	int nbufs;
	struct pollfd *pfd;
	struct cbuf **polled;

	/* how it went */
	unsigned long long total;
	unsigned long long calls;	/* ppoll, read, ioctl, write of the drain */
	enum stop_reason stop;
	double start;
	int progress_lines;
	int status;
};

/* collect_opts.c */
void collect_init(struct collect *c);
void parse_args(struct collect *c, int argc, char **argv);

/* collect_out.c */
int open_out_dir(struct collect *c);
int check_existing(struct collect *c);
int create_output(struct collect *c, struct output *o, const char *name);
int create_outputs(struct collect *c);
int save_chunk(struct collect *c, struct cbuf *b, const char *data,
	       size_t len);
int close_outputs(struct collect *c);
void report_written(struct collect *c);
void warn_stale(struct collect *c);
int open_early_targets(struct collect *c);
int make_ready(struct collect *c);

/* collect_consume.c */
double now(void);
int check_channel_dir(struct collect *c);
int scan_dir(struct collect *c);
struct cbuf *find_buf(struct collect *c, int cpu);
int run(struct collect *c);
void release_bufs(struct collect *c);
void setup_signals(void);
int collect_ppoll(struct pollfd *p, int n, int timeout_ms);

/* collect_report.c */
extern const char * const stop_names[];
void refresh_stats(struct collect *c);
void show_progress(struct collect *c, double dt);
void summary(struct collect *c, double secs);
void warn_drops(struct collect *c);
int write_json(struct collect *c, double secs);

#endif /* RELAYX_COLLECT_H */
