// SPDX-License-Identifier: GPL-2.0
/*
 * relayx in debugfs: the default file callbacks, the creation of buffer
 * files through the client's callbacks, and the per-channel stats file.
 * What the buffer files do is in relay_file.c.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "relayx_internal.h"

static int relayx_default_subbuf_start(struct relayx_buf *buf, void *subbuf,
				       void *prev_subbuf, size_t prev_padding)
{
	return !relayx_buf_full(buf);
}

static void relayx_default_buf_mapped(struct relayx_buf *buf,
				      struct file *filp)
{
}

static void relayx_default_buf_unmapped(struct relayx_buf *buf,
					struct file *filp)
{
}

static struct dentry *relayx_default_create_buf_file(const char *filename,
						     struct dentry *parent,
						     umode_t mode,
						     struct relayx_buf *buf,
						     int *is_global)
{
	/* Asked for is_global only (buffer-only channel): no file. */
	if (!filename)
		return NULL;
	/*
	 * No debugfs proxy: it would fail reads with -EIO once the file is
	 * removed, while relayx keeps a closed channel's buffers readable
	 * (each open file holds a buffer reference, and the module).
	 */
	return debugfs_create_file_unsafe(filename, mode, parent, buf,
					  &relayx_file_operations);
}

static int relayx_default_remove_buf_file(struct dentry *dentry)
{
	/* Unless the client removed it already, with its directory. */
	if (simple_positive(dentry))
		debugfs_remove(dentry);
	return 0;
}

/* What relayx does for each callback a client leaves NULL. */
const struct relayx_callbacks relayx_default_callbacks = {
	.subbuf_start = relayx_default_subbuf_start,
	.buf_mapped = relayx_default_buf_mapped,
	.buf_unmapped = relayx_default_buf_unmapped,
	.create_buf_file = relayx_default_create_buf_file,
	.remove_buf_file = relayx_default_remove_buf_file,
};

/**
 * relayx_buf_create_file - create the file of @buf with the client's hook
 * @buf: the buffer; its channel has a base filename, chan->lock is held
 *
 * Return: 0, or a negative errno when the hook failed.
 */
int relayx_buf_create_file(struct relayx_buf *buf)
{
	struct relayx_chan *chan = buf->chan;
	struct dentry *dentry;
	int is_global = 0;
	char *name;

	name = kasprintf(GFP_KERNEL, "%s%u", chan->base_filename, buf->cpu);
	if (!relayx_alloc_seen(RELAYX_ALLOC_FILE_NAME, name))
		return -ENOMEM;
	dentry = chan->cb->create_buf_file(name, chan->parent, 0400, buf,
					   &is_global);
	kfree(name);
	if (!relayx_alloc_seen(RELAYX_ALLOC_FILE, !IS_ERR_OR_NULL(dentry)))
		return dentry ? PTR_ERR(dentry) : -ENOMEM;
	relayx_hook(buf, RELAYX_HOOK_FILE_VISIBLE);
	relayx_chan_set_global(chan, is_global);
	/*
	 * A reference of relayx's own, dropped once the file is removed: the
	 * client may remove its directory recursively before the close, and
	 * writers still set the file's size until then.
	 */
	WRITE_ONCE(buf->dentry, dget(dentry));
	relayx_buf_update_size(buf);
	return 0;
}

/**
 * relayx_buf_file_is_relayx - whether relayx made @buf's file itself
 * @buf: a buffer with a file
 *
 * Files made by relayx's default create_buf_file have relayx's file
 * operations behind debugfs' open proxy and the buffer as i_private. A
 * client's own callback may give its file any operations, or debugfs'
 * full proxy, which the proxy hides until the file is opened.
 *
 * Return: true for a file of relayx's default callback.
 */
bool relayx_buf_file_is_relayx(const struct relayx_buf *buf)
{
	return buf->chan->callbacks.create_buf_file ==
	       relayx_default_create_buf_file;
}

/**
 * relayx_ask_global - learn whether a buffer-only channel is global
 * @chan: a channel without base filename, chan->lock held
 * @buf: its first buffer
 *
 * As upstream does, create_buf_file is called with a NULL name: it only
 * sets *is_global. Whatever it returns is ignored (upstream 6.1 fails the
 * open when it is NULL, so buffer-only channels only work there with a
 * callback that returns something else).
 */
void relayx_ask_global(struct relayx_chan *chan, struct relayx_buf *buf)
{
	int is_global = 0;

	chan->cb->create_buf_file(NULL, NULL, 0400, buf, &is_global);
	relayx_chan_set_global(chan, is_global);
}

/**
 * relayx_buf_update_size - make the file size say what was produced
 * @buf: the buffer, from its writer or from file creation
 *
 * Both may run at once (late file setup racing a writer); the loop makes
 * the last size written the current one. The dentry is used inside an RCU
 * read-side section (the writer's disabled preemption is one already):
 * relayx_buf_remove_file() waits for it before removing a file that
 * writers may still reach.
 */
void relayx_buf_update_size(struct relayx_buf *buf)
{
	struct dentry *dentry;
	size_t size;

	/* Orders the caller's store (size or dentry) before these loads. */
	smp_mb();
	rcu_read_lock();
	dentry = READ_ONCE(buf->dentry);
	if (!dentry)
		goto out;
	relayx_hook(buf, RELAYX_HOOK_UPDATE_SIZE);
	do {
		size = READ_ONCE(buf->bytes_produced);
		i_size_write(d_inode(dentry), size);
		/* The size written is visible before it is checked again. */
		smp_mb();
	} while (READ_ONCE(buf->bytes_produced) != size);
out:
	rcu_read_unlock();
}

/**
 * relayx_buf_remove_file - remove the file of @buf with the client's hook
 * @buf: the buffer, which has a file
 * @writers: writers of @buf may still run
 *
 * The file is unhooked from @buf first. Writers read buf->dentry at a
 * sub-buffer switch with preemption or interrupts off; with @writers, a
 * grace period lets those that read the old one finish before it goes.
 * relayx's reference goes last: the hook gets the dentry alive even when
 * the client removed it already.
 */
void relayx_buf_remove_file(struct relayx_buf *buf, bool writers)
{
	struct dentry *dentry = buf->dentry;

	WRITE_ONCE(buf->dentry, NULL);
	if (writers)
		synchronize_rcu();
	buf->chan->cb->remove_buf_file(dentry);
	dput(dentry);
}

static void relayx_stats_add(struct relayx_buf_counts *sum,
			     const struct relayx_buf_counts *st)
{
	sum->msgs += st->msgs;
	sum->bytes += st->bytes;
	sum->full += st->full;
	sum->bytes_full += st->bytes_full;
	sum->big += st->big;
	sum->bytes_big += st->bytes_big;
	sum->overwritten += st->overwritten;
	sum->produced += st->produced;
	sum->consumed += st->consumed;
}

static void relayx_stats_line(struct seq_file *m, const char *who,
			      const struct relayx_buf_counts *st)
{
	seq_printf(m, "%-6s %10llu %12llu %10llu %12llu %8llu %10llu %11llu %10llu %10llu\n",
		   who, st->msgs, st->bytes, st->full, st->bytes_full, st->big,
		   st->bytes_big, st->overwritten, st->produced,
		   st->consumed);
}

/*
 * No chan->lock here: relayx_close() removes this file before it frees
 * anything, and the debugfs proxy makes the removal wait for readers.
 */
static int relayx_stats_show(struct seq_file *m, void *unused)
{
	struct relayx_chan *chan = m->private;
	struct relayx_buf_counts st, sum = {};
	unsigned int cpu;
	char who[12];

	seq_printf(m, "%-6s %10s %12s %10s %12s %8s %10s %11s %10s %10s\n",
		   "cpu", "msgs", "bytes", "full", "bytes_full", "big",
		   "bytes_big", "overwritten", "produced", "consumed");
	for_each_possible_cpu(cpu) {
		if (relayx_buf_stats(chan, cpu, &st))
			continue;
		if (chan->is_global) {
			relayx_stats_line(m, "global", &st);
			sum = st;
			break;
		}
		snprintf(who, sizeof(who), "%u", cpu);
		relayx_stats_line(m, who, &st);
		relayx_stats_add(&sum, &st);
	}
	relayx_stats_line(m, "total", &sum);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(relayx_stats);

/**
 * relayx_chan_create_stats - create the stats file of @chan, if it can be
 * @chan: a channel with a base filename, beside whose files it goes
 *
 * Only in debugfs, where the default files go; a client that puts its
 * files elsewhere gets none. Best effort: the file is relayx's, not the
 * client's, so a channel goes without it when it cannot be made (a file
 * of the client's has the name already, debugfs is disabled, no memory),
 * and the first such failure is logged. The file is held by a reference
 * of its own: a client may remove its directory, recursively, before it
 * closes the channel, as upstream allows.
 */
void relayx_chan_create_stats(struct relayx_chan *chan)
{
	struct dentry *parent = chan->parent, *dentry;
	char *name;
	int err;

	if (parent && parent->d_sb->s_magic != DEBUGFS_MAGIC)
		return;
	name = kasprintf(GFP_KERNEL, "%sstats", chan->base_filename);
	if (!relayx_alloc_seen(RELAYX_ALLOC_STATS_NAME, name)) {
		err = -ENOMEM;
		goto fail;
	}
	dentry = debugfs_create_file(name, 0400, parent, chan,
				     &relayx_stats_fops);
	kfree(name);
	if (!relayx_alloc_seen(RELAYX_ALLOC_STATS_FILE, !IS_ERR(dentry))) {
		err = IS_ERR(dentry) ? PTR_ERR(dentry) : -ENOMEM;
		goto fail;
	}
	chan->stats_dentry = dget(dentry);
	return;
fail:
	pr_warn_once("channel %s: no stats file (%d); the channel works without it\n",
		     chan->base_filename, err);
}

/**
 * relayx_chan_remove_stats - remove the stats file of @chan, if any
 * @chan: the channel; chan->lock is not held
 *
 * Unless the client removed it already, with its directory: then only
 * the reference is dropped.
 */
void relayx_chan_remove_stats(struct relayx_chan *chan)
{
	struct dentry *dentry = chan->stats_dentry;

	if (!dentry)
		return;
	chan->stats_dentry = NULL;
	if (simple_positive(dentry))
		debugfs_remove(dentry);
	dput(dentry);
}
