// SPDX-License-Identifier: GPL-2.0
/*
 * relayx-collect: save everything a relayx (or upstream relay) channel
 * produces, per CPU or merged, until the channel closes or we are told
 * to stop. Documentation/userspace.rst ("relayx-collect") is its manual.
 *
 * The order of a run: the options (collect_opts.c); the JSON and ready
 * targets, which must fail before anything is taken from the channel; the
 * buffer files (collect_consume.c); only then the outputs (collect_out.c),
 * so that a run that finds no channel creates nothing; the run; the
 * outputs closed; the report (collect_report.c), whose exit status is the
 * process's.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "collect.h"

/* One descriptor per CPU: machines with many CPUs need more than 1024. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static int prepare(struct collect *c)
{
	int found;

	if (check_channel_dir(c) || open_early_targets(c))
		return -1;
	raise_nofile();
	found = scan_dir(c);
	if (found < 0)
		return -1;
	if (found == 0) {
		msg("%s is not a channel directory: no %sN buffer files in it\n",
		    c->chan_dir, c->prefix);
		return -1;
	}
	if (open_out_dir(c) || check_existing(c) || create_outputs(c))
		return -1;
	return make_ready(c);
}

int main(int argc, char **argv)
{
	struct collect c;
	double secs;

	collect_init(&c);
	parse_args(&c, argc, argv);
	setup_signals();
	if (prepare(&c))
		return 1;
	/* -P: for a terminal at the far end of a pipe or a serial line. */
	c.progress = !c.quiet && (c.progress || isatty(STDERR_FILENO));
	/* The counts of the stats file as the run starts, for its drops. */
	refresh_stats(&c);
	c.start = now();
	if (run(&c)) {
		if (c.stop == PIPE_CLOSED) {
			msg("%s: pipe closed by its reader after %llu bytes\n",
			    c.merged.path, c.merged.len);
		} else {
			c.stop = FAILED;
			c.status = 1;
			report_written(&c);
		}
	}
	secs = now() - c.start;
	refresh_stats(&c);
	if (close_outputs(&c))
		c.status = 1;
	warn_stale(&c);
	if (!c.quiet)
		summary(&c, secs);
	warn_drops(&c);
	if (write_json(&c, secs))
		c.status = 1;
	release_bufs(&c);
	return c.status;
}
