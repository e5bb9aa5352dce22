// SPDX-License-Identifier: GPL-2.0
/*
 * relayx buffer files: what user space can do with one, read() (and
 * splice() and sendfile(), which go through it), poll(),
 * a read-only mmap() of the whole buffer and the consumer ioctls of
 * <uapi/linux/relayx.h>. Files are made by the create_buf_file callback
 * (relay_debugfs.c), i_private is the buffer; or by relayx_buf_anon_file()
 * for /dev/relayx (relay_dev.c), where no path leads and private_data is
 * the buffer from the start. Either way one set of file operations.
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
#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/uio.h>
#include <linux/uaccess.h>

#include "relayx_internal.h"

/*
 * What every open file of @buf gets, from open() or relayx_buf_anon_file().
 * A stream: no pread() and no lseek(). FMODE_LSEEK stays, though, with an
 * llseek that always fails, because sendfile() reads only from files that
 * have it (splice_direct_to_actor()); nonseekable_open() would clear it.
 */
static void relayx_file_attach(struct file *filp, struct relayx_buf *buf)
{
	relayx_buf_get(buf);
	filp->private_data = buf;
	filp->f_mode &= ~(FMODE_PREAD | FMODE_PWRITE);
}

static int relayx_file_open(struct inode *inode, struct file *filp)
{
	relayx_file_attach(filp, inode->i_private);
	return 0;
}

static loff_t relayx_file_llseek(struct file *filp, loff_t offset, int whence)
{
	return -ESPIPE;
}

static int relayx_file_release(struct inode *inode, struct file *filp)
{
	struct relayx_buf *buf = filp->private_data;

	relayx_forget_holder(buf, filp);
	relayx_buf_put(buf);
	return 0;
}

/*
 * Copy @len bytes at @src, in @buf, to @to: in one go, or in test builds
 * a page at a time, so that a test can stop the copy between two pages,
 * where a writer can lap what is being copied. The writer may be writing these bytes meanwhile in
 * overwrite mode, which is why the copy is validated afterwards; KCSAN
 * is told that the race is known.
 *
 * Return: how many bytes reached @to.
 */
static size_t relayx_read_out(struct relayx_buf *buf, const void *src,
			      size_t len, struct iov_iter *to)
{
	size_t done = 0, part, got;

	while (done < len) {
		part = len - done;
		if (RELAYX_HOOKS_BUILT)
			part = min_t(size_t, part,
				     PAGE_SIZE - offset_in_page(src + done));
		/* Races with the writer on purpose; see above. */
		got = data_race(copy_to_iter(src + done, part, to));
		done += got;
		if (got < part || done == len)
			break;
		relayx_hook(buf, RELAYX_HOOK_READ_PAGE);
	}
	return done;
}

/*
 * A consuming read of the byte stream into @to, padding left out. Bytes
 * that reach @to are consumed; a fault (or a full pipe) stops the read
 * there, and fails it with -EFAULT when nothing was copied. Never blocks:
 * poll() says when there is something to read.
 *
 * One copy, from the buffer's pages to @to, with no lock and no hold:
 * the copy may fault and take long, and the writer (overwrite mode), poll
 * and the ioctls never wait for it. read_mutex is taken to find the bytes
 * and again to consume them, which counts only if the writer did not lap
 * them during the copy (relayx_read_intact()) and nobody consumed them
 * meanwhile (relayx_read_commit()). Otherwise what went to @to is taken
 * back and the next unread bytes are copied over it.
 */
static ssize_t relayx_read_to_iter(struct relayx_buf *buf, struct iov_iter *to)
{
	size_t count = iov_iter_count(to), done = 0, got;
	struct relayx_read_pos pos;
	bool taken, faulted = false;
	ssize_t found = 0;
	const void *src;

	while (done < count) {
		if (mutex_lock_interruptible(&buf->read_mutex)) {
			found = -ERESTARTSYS;
			break;
		}
		found = relayx_read_find(buf, count - done, &pos, &src);
		mutex_unlock(&buf->read_mutex);
		if (found > 0 && pos.retry)
			relayx_buf_retry(buf);
		if (found < 0)
			break;
		relayx_hook(buf, RELAYX_HOOK_READ_COPY);
		got = relayx_read_out(buf, src, found, to);
		relayx_hook(buf, RELAYX_HOOK_READ_COPIED);
		mutex_lock(&buf->read_mutex);
		taken = relayx_read_intact(buf, &pos) &&
			relayx_read_commit(buf, &pos, got);
		mutex_unlock(&buf->read_mutex);
		if (!taken) {
			/* Copy what is next instead, over what went to @to. */
			iov_iter_revert(to, got);
			continue;
		}
		done += got;
		if (got < found) {
			faulted = true;
			break;
		}
	}
	if (done)
		return done;
	if (faulted)
		return -EFAULT;
	if (found == -ERESTARTSYS || found == -EBUSY)
		return found;
	return 0;
}

/*
 * .read as well as .read_iter: clients create the files with
 * debugfs_create_file() as upstream clients do, and the debugfs proxy
 * passes on .read only.
 */
static ssize_t relayx_file_read(struct file *filp, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct iovec iov = { .iov_base = ubuf, .iov_len = count };
	struct iov_iter to;

	iov_iter_init(&to, READ, &iov, 1, count);
	return relayx_read_to_iter(filp->private_data, &to);
}

static ssize_t relayx_file_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return relayx_read_to_iter(iocb->ki_filp->private_data, to);
}

/*
 * splice() and sendfile(): the byte stream of read(), copied into pages
 * the pipe owns. Unlike upstream (6.1; 6.12 has no splice_read for relay
 * files), which lends the buffer's own pages to the pipe and consumes
 * them when the pipe lets go, what is in the pipe is consumed at once and
 * can no longer change: a writer in overwrite mode may reuse the
 * sub-buffer right away. With nothing to read, 0, or -EAGAIN under
 * SPLICE_F_NONBLOCK, as upstream.
 */
static ssize_t relayx_file_splice_read(struct file *in, loff_t *ppos,
				       struct pipe_inode_info *pipe,
				       size_t len, unsigned int flags)
{
	ssize_t ret = relayx_splice_read_copy(in, ppos, pipe, len, flags);

	if (!ret && len && (flags & SPLICE_F_NONBLOCK))
		return -EAGAIN;
	return ret;
}

static __poll_t relayx_file_poll(struct file *filp, poll_table *wait)
{
	struct relayx_buf *buf = filp->private_data;
	__poll_t mask = 0;

	poll_wait(filp, &buf->read_wait, wait);
	/*
	 * Our entry on read_wait is visible before the state is read, or the
	 * writer, which publishes subbufs_produced and then looks for
	 * sleepers, and we could both miss the other's store: we would sleep
	 * with a complete sub-buffer. Pairs with the smp_mb() in
	 * wq_has_sleeper() (relayx_publish_subbuf()).
	 */
	smp_mb();
	/* Pairs with the release in relayx_publish_subbuf(). */
	if (smp_load_acquire(&buf->subbufs_produced) !=
	    READ_ONCE(buf->subbufs_consumed))
		mask |= EPOLLIN | EPOLLRDNORM;
	/* Pairs with the release in relayx_buf_close(). */
	if (smp_load_acquire(&buf->finalized)) {
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
 * The whole buffer, read-only and never executable: user space must never
 * change what the kernel wrote, nor run what clients wrote, so VM_MAYWRITE
 * and VM_MAYEXEC go too (no mprotect() to writable or executable), and
 * VM_DONTEXPAND keeps mremap() from growing it.
 */
static int relayx_file_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct relayx_buf *buf = filp->private_data;
	unsigned long len = vma->vm_end - vma->vm_start;

	if (vma->vm_pgoff || len != (unsigned long)buf->page_count << PAGE_SHIFT)
		return -EINVAL;
	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EPERM;
	relayx_vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP,
			    VM_MAYWRITE | VM_MAYEXEC);
	vma->vm_ops = &relayx_vm_ops;
	vma->vm_private_data = buf;
	relayx_buf_mapped(buf, filp);
	return 0;
}

/*
 * Hand a struct of the uapi to user space, which may have been built with
 * an older, shorter one or a newer, longer one: _IOC_SIZE(@cmd) is its
 * size. @kstruct starts with the __u32 size that says how much was filled.
 */
static long relayx_copy_out(unsigned int cmd, void __user *uarg,
			    void *kstruct, size_t ksize, size_t ver0)
{
	size_t usize = _IOC_SIZE(cmd), filled = min(usize, ksize);

	if (usize < ver0)
		return -EINVAL;
	*(u32 *)kstruct = filled;
	if (copy_to_user(uarg, kstruct, filled))
		return -EFAULT;
	if (usize > filled && clear_user(uarg + filled, usize - filled))
		return -EFAULT;
	return 0;
}

static long relayx_ioctl_geometry(struct relayx_buf *buf, unsigned int cmd,
				  void __user *uarg)
{
	struct relayx_geometry geo = {
		.subbuf_size = buf->chan->subbuf_size,
		.n_subbufs = buf->chan->n_subbufs,
		.mmap_len = (u64)buf->page_count << PAGE_SHIFT,
	};

	return relayx_copy_out(cmd, uarg, &geo, sizeof(geo),
			       RELAYX_GEOMETRY_SIZE_VER0);
}

static long relayx_ioctl_get_subbuf(struct relayx_buf *buf, struct file *filp,
				    unsigned int cmd, void __user *uarg)
{
	struct relayx_subbuf sb = {};
	long ret;

	/* Refused before anything is held: a bad size consumes nothing. */
	if (_IOC_SIZE(cmd) < RELAYX_SUBBUF_SIZE_VER0)
		return -EINVAL;
	ret = relayx_get_subbuf(buf, filp, &sb);
	if (ret)
		return ret;
	ret = relayx_copy_out(cmd, uarg, &sb, sizeof(sb),
			      RELAYX_SUBBUF_SIZE_VER0);
	if (ret)
		/* The consumer never learnt of it: keep it unconsumed. */
		relayx_put_subbuf(buf, filp, sb.seq, false);
	return ret;
}

static long relayx_ioctl_stats(struct relayx_buf *buf, unsigned int cmd,
			       void __user *uarg)
{
	struct relayx_buf_counts c;
	struct relayx_buf_stats st = {};

	relayx_buf_read_stats(buf, &c);
	st.msgs = c.msgs;
	st.bytes = c.bytes;
	st.full = c.full;
	st.bytes_full = c.bytes_full;
	st.big = c.big;
	st.bytes_big = c.bytes_big;
	st.overwritten = c.overwritten;
	st.produced = c.produced;
	st.consumed = c.consumed;
	return relayx_copy_out(cmd, uarg, &st, sizeof(st),
			       RELAYX_BUF_STATS_SIZE_VER0);
}

static long relayx_file_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	struct relayx_buf *buf = filp->private_data;
	void __user *uarg = (void __user *)arg;
	u64 seq;

	switch (RELAYX_IOC_SIZELESS(cmd)) {
	case RELAYX_IOC_SIZELESS(RELAYX_GET_GEOMETRY):
		return relayx_ioctl_geometry(buf, cmd, uarg);
	case RELAYX_IOC_SIZELESS(RELAYX_GET_SUBBUF):
		return relayx_ioctl_get_subbuf(buf, filp, cmd, uarg);
	case RELAYX_IOC_SIZELESS(RELAYX_PUT_SUBBUF):
		/* A sequence number, and nothing else, ever. */
		if (cmd != RELAYX_PUT_SUBBUF)
			return -EINVAL;
		if (get_user(seq, (u64 __user *)uarg))
			return -EFAULT;
		return relayx_put_subbuf(buf, filp, seq, true);
	case RELAYX_IOC_SIZELESS(RELAYX_GET_STATS):
		return relayx_ioctl_stats(buf, cmd, uarg);
	default:
		return -ENOTTY;
	}
}

/*
 * The file operations of a buffer file: i_private is the buffer, or for
 * an anonymous file (relayx_buf_anon_file()) private_data already.
 */
const struct file_operations relayx_file_operations = {
	.owner = THIS_MODULE,
	.open = relayx_file_open,
	.release = relayx_file_release,
	.read = relayx_file_read,
	.read_iter = relayx_file_read_iter,
	.splice_read = relayx_file_splice_read,
	.poll = relayx_file_poll,
	.mmap = relayx_file_mmap,
	.unlocked_ioctl = relayx_file_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = relayx_file_llseek,
};
EXPORT_SYMBOL_GPL(relayx_file_operations);

/**
 * relayx_buf_anon_file - open @buf without its file
 * @buf: the buffer; the caller keeps it alive during the call
 *
 * What an open() of the buffer's file gives, on an anonymous inode:
 * the same file operations, read-only, a stream (sendfile() and splice()
 * work, lseek() and pread() fail), a buffer reference of its own,
 * dropped when the file is released, and a holder identity of its own
 * for RELAYX_GET_SUBBUF. The buffer's file is not involved, so this
 * works whether it was removed or not, and under kernel lockdown, where
 * debugfs refuses to open it.
 * anon_inode_getfile() takes a reference on relayx.ko (fops->owner), as
 * the open of a buffer file does: relayx stays while the file does.
 *
 * Return: the file, or an ERR_PTR.
 */
struct file *relayx_buf_anon_file(struct relayx_buf *buf)
{
	struct file *filp;

	filp = anon_inode_getfile("[relayx]", &relayx_file_operations, buf,
				  O_RDONLY);
	if (!relayx_alloc_seen(RELAYX_ALLOC_DEV_FILE, !IS_ERR(filp)))
		return filp;
	/* No ->open ran: what relayx_file_open() would have done. */
	relayx_file_attach(filp, buf);
	return filp;
}
EXPORT_SYMBOL_IF_RELAYX_TESTS(relayx_buf_anon_file);
