// SPDX-License-Identifier: GPL-2.0
/*
 * relayx-collect: the command line. Every value is checked here, before
 * anything is opened; a bad one exits with 2 and says why.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"

/* --duration's largest value: a year, in seconds. */
#define MAX_DURATION (366.0 * 24 * 3600)

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [options] CHANNEL_DIR\n"
		"  -o, --output DIR     output directory (default .); - for stdout\n"
		"  -b, --base NAME      output name (default: CHANNEL_DIR's name)\n"
		"  -m, --merge          one file NAME instead of NAME.cpuN\n"
		"  -p, --prefix P       buffer files are PN (default cpu)\n"
		"  -B, --blktrace       name them NAME.blktrace.N, as blkparse reads them\n"
		"  -d, --duration SEC   stop after SEC seconds\n"
		"  -s, --size BYTES     stop once BYTES (k, M, G) were written\n"
		"  -f, --force          replace output files that exist\n"
		"  -r, --read           read() even where mmap works\n"
		"  -q, --quiet          no progress, no summary\n"
		"  -P, --progress       progress even when stderr is no terminal\n"
		"      --json FILE      the summary as JSON too (- for stdout)\n"
		"      --ready FILE     create FILE once the files are open\n"
		"  -h, --help\n");
}

static void refuse(const char *what, const char *arg, const char *why)
{
	msg("bad %s '%s': %s\n", what, arg, why);
	exit(2);
}

/*
 * Decimal digits and at most one of the suffixes k, M, G, T (powers of
 * 1024); no sign, no other base, nothing after, not zero, no overflow.
 */
static unsigned long long parse_size(const char *s)
{
	unsigned long long v = 0;
	const char *p = s;
	int shift = 0;

	if (!isdigit((unsigned char)*p))
		refuse("size", s, "give a decimal number of bytes, k, M, G or T after it");
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (ULLONG_MAX - (*p - '0')) / 10)
			refuse("size", s, "too large");
		v = v * 10 + (*p - '0');
	}
	switch (*p) {
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	case '\0':
		break;
	default:
		refuse("size", s, "give a decimal number of bytes, k, M, G or T after it");
	}
	if (shift && p[1])
		refuse("size", s, "nothing may follow the suffix (k, M, G, T)");
	if (v > ULLONG_MAX >> shift)
		refuse("size", s, "too large");
	if (!v)
		refuse("size", s, "give more than 0 (without -s there is no limit)");
	return v << shift;
}

static double parse_duration(const char *s)
{
	char *end;
	double v;

	v = strtod(s, &end);
	if (end == s || *end || !isfinite(v))
		refuse("duration", s, "give a number of seconds");
	if (v <= 0 || v > MAX_DURATION)
		refuse("duration", s, "give more than 0 seconds and at most a year");
	return v;
}

void collect_init(struct collect *c)
{
	memset(c, 0, sizeof(*c));
	c->out_dir = ".";
	c->prefix = "cpu";
	c->cpu_sep = ".cpu";
	c->dir_fd = -1;
	c->ready_dir_fd = -1;
	c->merged.fd = -1;
}

void parse_args(struct collect *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "base", required_argument, NULL, 'b' },
		{ "merge", no_argument, NULL, 'm' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "blktrace", no_argument, NULL, 'B' },
		{ "duration", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "read", no_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "progress", no_argument, NULL, 'P' },
		{ "json", required_argument, NULL, 'J' },
		{ "ready", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "o:b:mp:Bd:s:frqPh", opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'o':
			c->out_dir = optarg;
			break;
		case 'b':
			c->base = optarg;
			if (!*optarg || strchr(optarg, '/') ||
			    !strcmp(optarg, ".") || !strcmp(optarg, ".."))
				refuse("name", optarg, "a file name, without '/'");
			break;
		case 'm':
			c->merge = 1;
			break;
		case 'p':
			c->prefix = optarg;
			break;
		case 'B':
			c->cpu_sep = ".blktrace.";
			break;
		case 'd':
			c->duration = parse_duration(optarg);
			break;
		case 's':
			c->size_limit = parse_size(optarg);
			break;
		case 'f':
			c->force = 1;
			break;
		case 'r':
			c->force_read = 1;
			break;
		case 'q':
			c->quiet = 1;
			break;
		case 'P':
			c->progress = 1;
			break;
		case 'J':
			c->json_path = optarg;
			break;
		case 'R':
			c->ready_path = optarg;
			break;
		case 'h':
			print_usage(stdout);
			exit(0);
		default:
			print_usage(stderr);
			exit(2);
		}
	}
	if (optind == argc) {
		msg("no CHANNEL_DIR given: the channel's directory, with its %s0, %s1, ...\n",
		    c->prefix, c->prefix);
		print_usage(stderr);
		exit(2);
	}
	if (optind + 1 != argc) {
		msg("one CHANNEL_DIR only ('%s' is one too many)\n",
		    argv[optind + 1]);
		exit(2);
	}
	c->chan_dir = argv[optind];
	if (!strcmp(c->out_dir, "-"))
		c->merge = 1;
	if (c->json_path && !strcmp(c->json_path, "-") &&
	    !strcmp(c->out_dir, "-")) {
		msg("--json - and -o - both want stdout\n");
		exit(2);
	}
}
