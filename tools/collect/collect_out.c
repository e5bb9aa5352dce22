// SPDX-License-Identifier: GPL-2.0
/*
 * relayx-collect: the outputs. It runs as root, often in a directory
 * another user can write to (/var/tmp): the output directory is opened
 * once, without following a link, and every output is created in it
 * (openat()) without following a link, exclusively and 0600, so that no
 * file of an earlier run, no planted link and no file of another user is
 * written through. An output that exists is refused unless --force.
 * Nothing is ever removed.
 *
 * Chunks are written whole or not at all: a chunk cut short by a write
 * error is cut off again in a regular file (its size when we started plus
 * the whole chunks), and a closed pipe ends the run without an error.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "collect.h"

/* Is @name an output of ours: NAME.cpuN (NAME.blktrace.N), or NAME when merged? */
static int our_name(const struct collect *c, const char *name, int *cpu)
{
	size_t blen = strlen(c->base);
	const char *p;

	*cpu = -1;
	if (strncmp(name, c->base, blen))
		return 0;
	if (c->merge)
		return !name[blen];
	if (strncmp(name + blen, c->cpu_sep, strlen(c->cpu_sep)))
		return 0;
	p = name + blen + strlen(c->cpu_sep);
	if (!isdigit((unsigned char)*p))
		return 0;
	*cpu = atoi(p);
	while (isdigit((unsigned char)*p))
		p++;
	return !*p;
}

/*
 * The output directory, created if missing (0755: the files in it are
 * 0600), opened without following a link.
 */
int open_out_dir(struct collect *c)
{
	struct stat st;

	if (!strcmp(c->out_dir, "-"))
		return 0;
	if (mkdir(c->out_dir, 0755) && errno != EEXIST) {
		msg("%s: %s\n", c->out_dir, strerror(errno));
		return -1;
	}
	c->dir_fd = open(c->out_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			 O_CLOEXEC);
	if (c->dir_fd >= 0)
		return 0;
	if (!lstat(c->out_dir, &st) && S_ISLNK(st.st_mode))
		msg("%s is a symbolic link: refused, give the directory itself\n",
		    c->out_dir);
	else
		msg("%s: %s\n", c->out_dir, strerror(errno));
	return -1;
}

/*
 * Outputs of an earlier run: refused without --force, even those this run
 * would not write (NAME.cpu5 of a machine with more CPUs would mix into
 * NAME.cpu*).
 */
int check_existing(struct collect *c)
{
	struct dirent *de;
	int fd, found = 0, cpu;
	DIR *d;

	if (c->dir_fd < 0 || c->force)
		return 0;
	fd = dup(c->dir_fd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		msg("%s: %s\n", c->out_dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		if (!our_name(c, de->d_name, &cpu))
			continue;
		msg("%s/%s exists: move it away, or give --force to replace it\n",
		    c->out_dir, de->d_name);
		found = 1;
	}
	closedir(d);
	return found ? -1 : 0;
}

/* With --force: NAME.cpuN that this run did not write stay as they were. */
void warn_stale(struct collect *c)
{
	struct dirent *de;
	int fd, cpu;
	DIR *d;

	if (c->dir_fd < 0 || !c->force || c->merge)
		return;
	fd = dup(c->dir_fd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (our_name(c, de->d_name, &cpu) && !find_buf(c, cpu))
			msg("warning: %s/%s is from an earlier run (not written now)\n",
			    c->out_dir, de->d_name);
	closedir(d);
}

/* --force: an existing regular file, opened without following a link. */
static int replace_output(struct collect *c, const char *name)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO planted there must not block the open. */
	fd = openat(c->dir_fd, name, O_WRONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EEXIST;
		return -1;
	}
	if (ftruncate(fd, 0) || fchmod(fd, 0600) ||
	    fcntl(fd, F_SETFL, 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

int create_output(struct collect *c, struct output *o, const char *name)
{
	struct stat st;
	off_t pos;
	int fl;

	if (c->dir_fd < 0) {
		o->fd = STDOUT_FILENO;
		o->path = strdup("<stdout>");
		if (!o->path)
			return -1;
		/*
		 * Where our data starts, to cut back to: with >> (O_APPEND)
		 * the end of the file, whatever the offset says.
		 */
		if (fstat(o->fd, &st)) {
			msg("standard output: %s\n", strerror(errno));
			return -1;
		}
		o->is_reg = S_ISREG(st.st_mode);
		fl = fcntl(o->fd, F_GETFL);
		pos = lseek(o->fd, 0, SEEK_CUR);
		if (o->is_reg)
			o->base = (fl >= 0 && (fl & O_APPEND)) || pos < 0 ?
				  st.st_size : pos;
		return 0;
	}
	if (asprintf(&o->path, "%s/%s", c->out_dir, name) < 0) {
		o->path = NULL;
		msg("out of memory\n");
		return -1;
	}
	o->fd = openat(c->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL |
		       O_NOFOLLOW | O_CLOEXEC, 0600);
	if (o->fd < 0 && errno == EEXIST && c->force)
		o->fd = replace_output(c, name);
	if (o->fd < 0) {
		if (errno == EEXIST && !fstatat(c->dir_fd, name, &st,
						AT_SYMLINK_NOFOLLOW) &&
		    S_ISLNK(st.st_mode))
			msg("%s is a symbolic link: refused, never followed\n",
			    o->path);
		else if (errno == ELOOP)
			msg("%s is a symbolic link: refused, never followed\n",
			    o->path);
		else if (errno == EEXIST && c->force)
			msg("%s exists and is not a regular file: refused\n",
			    o->path);
		else if (errno == EEXIST)
			msg("%s exists: move it away, or give --force to replace it\n",
			    o->path);
		else
			msg("%s: %s\n", o->path, strerror(errno));
		return -1;
	}
	o->is_reg = 1;
	return 0;
}

/* Once the channel was found: an output per buffer file, or the merged. */
int create_outputs(struct collect *c)
{
	char name[PATH_MAX];
	int i;

	c->outputs_open = 1;
	if (c->merge)
		return create_output(c, &c->merged, c->base);
	for (i = 0; i < c->nbufs; i++) {
		struct cbuf *b = c->bufs[i];

		b->out = calloc(1, sizeof(*b->out));
		if (!b->out) {
			msg("out of memory\n");
			return -1;
		}
		b->out->fd = -1;
		snprintf(name, sizeof(name), "%s%s%d", c->base, c->cpu_sep,
			 b->cpu);
		if (create_output(c, b->out, name))
			return -1;
	}
	return 0;
}

/*
 * A write that would block (an O_NONBLOCK standard output): wait. A
 * signal (a stop) does not end the wait: the chunk goes out whole; a
 * second one kills.
 */
static void wait_writable(struct collect *c, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	do
		c->calls++;
	while (collect_ppoll(&p, 1, -1) < 0 && errno == EINTR);
}

/*
 * Append one chunk. A chunk that could not be written whole is cut off
 * again in a regular file, so that it ends on the last complete chunk;
 * the caller then keeps (mmap) or reports lost (read) what was not saved.
 * A closed pipe is the reader's choice: no error, the run stops.
 */
int save_chunk(struct collect *c, struct cbuf *b, const char *data,
	       size_t len)
{
	struct output *o = b->out;
	size_t done = 0;
	ssize_t n;
	int err;

	while (done < len) {
		c->calls++;
		n = write(o->fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			wait_writable(c, o->fd);
			continue;
		}
		if (n > 0) {
			done += n;
			continue;
		}
		err = n < 0 ? errno : ENOSPC;
		if (err == EPIPE) {
			o->pipe_closed = 1;
			c->stop = PIPE_CLOSED;
			errno = err;
			return -1;
		}
		msg("writing %s: %s\n", o->path, strerror(err));
		if (done && o->is_reg) {
			if (ftruncate(o->fd, o->base + o->len))
				msg("%s: cannot cut it (%s): %zu bytes of a partial chunk\n",
				    o->path, strerror(errno), done);
			else
				msg("%s: cut back to %llu bytes, its last whole chunk\n",
				    o->path, o->base + o->len);
		} else if (done) {
			msg("%s: %zu bytes of a partial chunk went out (cannot cut it)\n",
			    o->path, done);
		}
		errno = err;
		return -1;
	}
	o->len += len;
	b->bytes += len;
	b->chunks++;
	c->total += len;
	return 0;
}

static int close_output(struct output *o)
{
	int ret = 0;

	if (o->fd < 0 || o->fd == STDOUT_FILENO)
		return 0;
	if (close(o->fd)) {
		msg("%s: %s\n", o->path, strerror(errno));
		ret = -1;
	}
	o->fd = -1;
	return ret;
}

int close_outputs(struct collect *c)
{
	int i, ret = 0;

	if (c->merge)
		return close_output(&c->merged);
	for (i = 0; i < c->nbufs; i++)
		if (c->bufs[i]->out && close_output(c->bufs[i]->out))
			ret = -1;
	return ret;
}

/* After an error: everything written so far is whole chunks. */
void report_written(struct collect *c)
{
	int i;

	if (c->merge) {
		if (c->merged.path)
			msg("%s: %llu bytes written\n", c->merged.path,
			    c->merged.len);
		return;
	}
	for (i = 0; i < c->nbufs; i++)
		if (c->bufs[i]->out && c->bufs[i]->out->path)
			msg("%s: %llu bytes written\n", c->bufs[i]->out->path,
			    c->bufs[i]->out->len);
}

/*
 * --json and --ready fail before the run, not after it: the JSON file is
 * opened now, the directory of the ready file too.
 */
int open_early_targets(struct collect *c)
{
	char *copy, *dir;

	if (c->json_path && strcmp(c->json_path, "-")) {
		c->json = fopen(c->json_path, "we");
		if (!c->json) {
			msg("--json %s: %s\n", c->json_path, strerror(errno));
			return -1;
		}
	} else if (c->json_path) {
		c->json = stdout;
	}
	if (!c->ready_path)
		return 0;
	copy = strdup(c->ready_path);
	if (!copy) {
		msg("out of memory\n");
		return -1;
	}
	dir = dirname(copy);
	c->ready_dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->ready_dir_fd < 0 || faccessat(c->ready_dir_fd, ".", W_OK,
					     AT_EACCESS)) {
		msg("--ready %s: %s: %s\n", c->ready_path, dir,
		    strerror(errno));
		free(copy);
		return -1;
	}
	free(copy);
	copy = strdup(c->ready_path);
	c->ready_name = copy ? strdup(basename(copy)) : NULL;
	free(copy);
	if (!c->ready_name) {
		msg("out of memory\n");
		return -1;
	}
	return 0;
}

int make_ready(struct collect *c)
{
	int fd;

	if (c->ready_dir_fd < 0)
		return 0;
	fd = openat(c->ready_dir_fd, c->ready_name, O_WRONLY | O_CREAT |
		    O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		msg("--ready %s: %s\n", c->ready_path, strerror(errno));
		return -1;
	}
	close(fd);
	close(c->ready_dir_fd);
	c->ready_dir_fd = -1;
	return 0;
}
