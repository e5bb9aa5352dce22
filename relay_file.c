// SPDX-License-Identifier: GPL-2.0
/*
 * relayx buffer files: what user space can do with one, read(), poll(),
 * a read-only mmap() of the whole buffer and the consumer ioctls of
 * <uapi/linux/relayx.h>. Files are made by the create_buf_file callback
 * (relay_debugfs.c); i_private is the buffer.
 *
 * An open file holds a reference on its buffer, and a mapping holds its
 * file, so a buffer outlives relayx_close() for as long as user space
 * uses it. Client callbacks (buf_mapped, buf_unmapped) are called under
 * chan->cb_lock, which relayx_close() takes to replace them with relayx's
 * own: none runs once relayx_close() has returned. They run under
 * mmap_lock, so not under chan->lock: that one is held while files are
 * created and removed (directory i_rwsem), which getdents() takes before
 * mmap_lock.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/uaccess.h>

#include "relayx_internal.h"

static int relayx_file_open(struct inode *inode, struct file *filp)
{
	struct relayx_buf *buf = inode->i_private;

	relayx_buf_get(buf);
	filp->private_data = buf;
	return nonseekable_open(inode, filp);
}

static int relayx_file_release(struct inode *inode, struct file *filp)
{
	struct relayx_buf *buf = filp->private_data;

	relayx_forget_holder(buf, filp);
	relayx_buf_put(buf);
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
	int ret = 0;

	if (mutex_lock_interruptible(&buf->read_mutex))
		return -ERESTARTSYS;
	while (done < count) {
		ret = relayx_read_start(buf, &from, &avail);
		if (ret)
			break;
		avail = min(avail, count - done);
		/* The sub-buffer is held: the writer cannot lap it meanwhile. */
		missed = copy_to_user(ubuf + done, from, avail);
		relayx_read_end(buf, avail - missed);
		done += avail - missed;
		if (missed)
			break;
	}
	mutex_unlock(&buf->read_mutex);
	if (done)
		return done;
	if (missed)
		return -EFAULT;
	return ret == -EBUSY ? -EBUSY : 0;
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

static void relayx_buf_mapped(struct relayx_buf *buf, struct file *filp)
{
	struct relayx_chan *chan = buf->chan;

	mutex_lock(&chan->cb_lock);
	chan->cb->buf_mapped(buf, filp);
	mutex_unlock(&chan->cb_lock);
}

static void relayx_vma_open(struct vm_area_struct *vma)
{
	/* fork(): the child's copy is one more mapping. */
	relayx_buf_mapped(vma->vm_private_data, vma->vm_file);
}

static void relayx_vma_close(struct vm_area_struct *vma)
{
	struct relayx_buf *buf = vma->vm_private_data;
	struct relayx_chan *chan = buf->chan;

	mutex_lock(&chan->cb_lock);
	chan->cb->buf_unmapped(buf, vma->vm_file);
	mutex_unlock(&chan->cb_lock);
}

/* The mapping is the whole buffer or nothing: no partial munmap. */
static int relayx_vma_may_split(struct vm_area_struct *vma,
				unsigned long addr)
{
	return -EINVAL;
}

static vm_fault_t relayx_vma_fault(struct vm_fault *vmf)
{
	struct relayx_buf *buf = vmf->vma->vm_private_data;
	struct page *page;

	if (vmf->pgoff >= buf->page_count)
		return VM_FAULT_SIGBUS;
	page = buf->pages[vmf->pgoff];
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct relayx_vm_ops = {
	.open = relayx_vma_open,
	.close = relayx_vma_close,
	.may_split = relayx_vma_may_split,
	.fault = relayx_vma_fault,
};

/*
 * The whole buffer, read-only: user space must never change what the
 * kernel wrote, so VM_MAYWRITE goes too (no mprotect() to writable), and
 * VM_DONTEXPAND keeps mremap() from growing it.
 */
static int relayx_file_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct relayx_buf *buf = filp->private_data;
	unsigned long len = vma->vm_end - vma->vm_start;

	if (vma->vm_pgoff || len != (unsigned long)buf->page_count << PAGE_SHIFT)
		return -EINVAL;
	if (vma->vm_flags & VM_WRITE)
		return -EPERM;
	vma->vm_flags &= ~VM_MAYWRITE;
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_ops = &relayx_vm_ops;
	vma->vm_private_data = buf;
	relayx_buf_mapped(buf, filp);
	return 0;
}

static long relayx_ioctl_get_subbuf(struct relayx_buf *buf,
				    struct file *filp, void __user *arg)
{
	struct relayx_subbuf sb;
	int ret;

	ret = relayx_get_subbuf(buf, filp, &sb);
	if (ret)
		return ret;
	if (copy_to_user(arg, &sb, sizeof(sb))) {
		/* The consumer never learnt of it: keep it unconsumed. */
		relayx_put_subbuf(buf, filp, sb.seq, false);
		return -EFAULT;
	}
	return 0;
}

static long relayx_file_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	struct relayx_buf *buf = filp->private_data;
	void __user *uarg = (void __user *)arg;
	struct relayx_geometry geo;
	struct relayx_buf_stats st;
	u64 seq;

	switch (cmd) {
	case RELAYX_GET_GEOMETRY:
		geo.subbuf_size = buf->chan->subbuf_size;
		geo.n_subbufs = buf->chan->n_subbufs;
		geo.mmap_len = (u64)buf->page_count << PAGE_SHIFT;
		return copy_to_user(uarg, &geo, sizeof(geo)) ? -EFAULT : 0;
	case RELAYX_GET_SUBBUF:
		return relayx_ioctl_get_subbuf(buf, filp, uarg);
	case RELAYX_PUT_SUBBUF:
		if (get_user(seq, (u64 __user *)uarg))
			return -EFAULT;
		return relayx_put_subbuf(buf, filp, seq, true);
	case RELAYX_GET_STATS:
		relayx_buf_read_stats(buf, &st);
		return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
	default:
		return -ENOTTY;
	}
}

/* The file operations of a buffer file; i_private is the buffer. */
const struct file_operations relayx_file_operations = {
	.owner = THIS_MODULE,
	.open = relayx_file_open,
	.release = relayx_file_release,
	.read = relayx_file_read,
	.poll = relayx_file_poll,
	.mmap = relayx_file_mmap,
	.unlocked_ioctl = relayx_file_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};
EXPORT_SYMBOL_GPL(relayx_file_operations);
