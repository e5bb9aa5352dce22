// SPDX-License-Identifier: GPL-2.0
/*
 * relayx files: the default debugfs file callbacks and the file operations
 * through which user space reads a buffer.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

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
	if (!name)
		return -ENOMEM;
	dentry = chan->cb->create_buf_file(name, chan->parent, 0400, buf,
					   &is_global);
	kfree(name);
	if (IS_ERR_OR_NULL(dentry))
		return dentry ? PTR_ERR(dentry) : -ENOMEM;
	if (is_global)
		chan->is_global = true;
	buf->dentry = dentry;
	return 0;
}

/**
 * relayx_buf_remove_file - remove the file of @buf with the client's hook
 * @buf: the buffer, which has a file
 */
void relayx_buf_remove_file(struct relayx_buf *buf)
{
	buf->chan->cb->remove_buf_file(buf->dentry);
	buf->dentry = NULL;
}

static int relayx_file_open(struct inode *inode, struct file *filp)
{
	struct relayx_buf *buf = inode->i_private;

	relayx_buf_get(buf);
	filp->private_data = buf;
	return nonseekable_open(inode, filp);
}

static int relayx_file_release(struct inode *inode, struct file *filp)
{
	relayx_buf_put(filp->private_data);
	return 0;
}

/*
 * A consuming read of the byte stream, padding left out. Bytes that
 * reach user space are consumed; a fault stops the read there, and fails
 * it with -EFAULT when nothing was copied. Never blocks: poll() says when
 * there is something to read.
 *
 * .read, not .read_iter: clients create the files with debugfs_create_file()
 * as upstream clients do, and the debugfs proxy passes on .read only.
 */
static ssize_t relayx_file_read(struct file *filp, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct relayx_buf *buf = filp->private_data;
	size_t done = 0, avail, missed = 0;
	void *from;

	if (mutex_lock_interruptible(&buf->read_mutex))
		return -ERESTARTSYS;
	while (done < count) {
		avail = relayx_read_avail(buf, &from);
		if (!avail)
			break;
		avail = min(avail, count - done);
		missed = copy_to_user(ubuf + done, from, avail);
		relayx_read_consume(buf, avail - missed);
		done += avail - missed;
		if (missed)
			break;
	}
	mutex_unlock(&buf->read_mutex);
	return done || !missed ? done : -EFAULT;
}

static __poll_t relayx_file_poll(struct file *filp, poll_table *wait)
{
	struct relayx_buf *buf = filp->private_data;
	__poll_t mask = 0;

	poll_wait(filp, &buf->read_wait, wait);
	/* Pairs with the release in relayx_finish_subbuf(). */
	if (smp_load_acquire(&buf->subbufs_produced) !=
	    READ_ONCE(buf->subbufs_consumed))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(buf->finalized)) {
		mutex_lock(&buf->read_mutex);
		if (relayx_buf_done(buf))
			mask |= EPOLLERR;
		mutex_unlock(&buf->read_mutex);
	}
	return mask;
}

/* The file operations of a buffer file; i_private is the buffer. */
const struct file_operations relayx_file_operations = {
	.owner = THIS_MODULE,
	.open = relayx_file_open,
	.release = relayx_file_release,
	.read = relayx_file_read,
	.poll = relayx_file_poll,
	.llseek = no_llseek,
};
EXPORT_SYMBOL_GPL(relayx_file_operations);
