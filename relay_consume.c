// SPDX-License-Identifier: GPL-2.0
/*
 * relayx consumer side of the protocol: where the unread data of a
 * buffer is, holding a sub-buffer while it is read, and consuming it.
 * read() and the mmap consumer ioctls (relay_file.c) are built on this.
 *
 * Readers of a buffer are serialized by read_mutex, and own
 * subbufs_consumed, bytes_consumed and holder. They never block the
 * writer. To keep a sub-buffer from being overwritten while it is read
 * (overwrite mode), a reader holds it through buf->gate:
 *
 * - the reader stores the sequence number in buf->held, then sets
 *   RELAYX_GATE_HELD, waiting while the writer has RELAYX_GATE_ENTERING
 *   raised (a few instructions, with the writer's interrupts or
 *   preemption off); if buf->entered shows that the writer had lapped
 *   the sub-buffer already, it gives the hold up and moves on;
 * - the writer raises ENTERING before it enters a sub-buffer, and
 *   refuses to (counting the message as dropped) when that would
 *   overwrite the held one.
 *
 * Either the writer sees the hold, or the reader sees that it was lapped:
 * both sides use fully ordered atomics on the same word.
 */
#include <linux/processor.h>

#include "relayx_internal.h"

/* Has the writer entered @seq + n_subbufs, overwriting @seq? */
static bool relayx_lapped(struct relayx_buf *buf, size_t seq)
{
	return (ssize_t)(READ_ONCE(buf->entered) - seq) >=
	       (ssize_t)buf->chan->n_subbufs;
}

static void relayx_unhold(struct relayx_buf *buf)
{
	/* The reads of the sub-buffer are done before the writer may reuse it. */
	atomic_long_fetch_andnot_release(RELAYX_GATE_HELD, &buf->gate);
}

/* Hold sub-buffer @seq against the writer; false when it was lapped. */
static bool relayx_hold(struct relayx_buf *buf, size_t seq)
{
	long gate;

	WRITE_ONCE(buf->held, seq);
	gate = atomic_long_read(&buf->gate);
	for (;;) {
		if (gate & RELAYX_GATE_ENTERING) {
			cpu_relax();
			gate = atomic_long_read(&buf->gate);
			continue;
		}
		/* Fully ordered: held is set first, entered is read after. */
		if (atomic_long_try_cmpxchg(&buf->gate, &gate,
					    gate | RELAYX_GATE_HELD))
			break;
	}
	if (!relayx_lapped(buf, seq))
		return true;
	relayx_unhold(buf);
	return false;
}

/* Done with sub-buffer subbufs_consumed: let the writer have it. */
static void relayx_consume_subbuf(struct relayx_buf *buf)
{
	buf->bytes_consumed = 0;
	/* Reads of the sub-buffer are complete before it is reused. */
	smp_store_release(&buf->subbufs_consumed, buf->subbufs_consumed + 1);
}

/*
 * Hold the oldest unread data of @buf: in a finished sub-buffer only
 * (@complete, mmap consumers) or also in the one being written (read()).
 * Skips what can no longer be read: sub-buffers the writer lapped (it
 * counted them as overwritten) and consumed padding. On success @len
 * bytes are at offset bytes_consumed of sub-buffer subbufs_consumed, held
 * until relayx_release_unread(). Returns 0, or -EAGAIN when there is
 * nothing to read.
 */
static int relayx_hold_unread(struct relayx_buf *buf, bool complete,
			      size_t *len)
{
	size_t n = buf->chan->n_subbufs;
	size_t produced, seq, limit;

	lockdep_assert_held(&buf->read_mutex);
	for (;;) {
		/* Pairs with the release in relayx_finish_subbuf(). */
		produced = smp_load_acquire(&buf->subbufs_produced);
		seq = buf->subbufs_consumed;
		if (relayx_lapped(buf, seq)) {
			buf->bytes_consumed = 0;
			WRITE_ONCE(buf->subbufs_consumed,
				   READ_ONCE(buf->entered) - n + 1);
			continue;
		}
		if (seq == produced) {
			if (complete)
				return -EAGAIN;
			/* Pairs with the release in relayx_buf_reserve(). */
			limit = smp_load_acquire(&buf->committed);
			/* Moved on meanwhile? Then limit is the next one's. */
			if (smp_load_acquire(&buf->subbufs_produced) != produced)
				continue;
			if (limit <= buf->bytes_consumed)
				return -EAGAIN;
		} else {
			limit = buf->chan->subbuf_size - buf->padding[seq % n];
			if (limit <= buf->bytes_consumed) {
				relayx_consume_subbuf(buf);
				continue;
			}
		}
		/*
		 * limit was read before the hold: it is still right unless
		 * the writer lapped seq meanwhile, which the hold tells.
		 */
		if (relayx_hold(buf, seq))
			break;
	}
	*len = limit - buf->bytes_consumed;
	return 0;
}

static void relayx_release_unread(struct relayx_buf *buf, size_t bytes,
				  bool subbuf_done)
{
	buf->bytes_consumed += bytes;
	if (subbuf_done)
		relayx_consume_subbuf(buf);
	relayx_unhold(buf);
}

/**
 * relayx_read_start - hold the next bytes read() returns
 * @buf: the buffer, read_mutex held
 * @addr: set to their kernel address
 * @len: set to how many there are
 *
 * Return: 0, and relayx_read_end() must follow; -EAGAIN when there is
 * nothing to read; -EBUSY while an mmap consumer holds a sub-buffer.
 */
int relayx_read_start(struct relayx_buf *buf, void **addr, size_t *len)
{
	size_t idx;
	int ret;

	lockdep_assert_held(&buf->read_mutex);
	if (buf->holder)
		return -EBUSY;
	ret = relayx_hold_unread(buf, false, len);
	if (ret)
		return ret;
	idx = buf->subbufs_consumed % buf->chan->n_subbufs;
	*addr = relayx_subbuf_addr(buf, idx) + buf->bytes_consumed;
	return 0;
}

/**
 * relayx_read_end - consume what read() copied, and drop the hold
 * @buf: the buffer, read_mutex held
 * @bytes: how many of the held bytes reached user space
 */
void relayx_read_end(struct relayx_buf *buf, size_t bytes)
{
	lockdep_assert_held(&buf->read_mutex);
	relayx_release_unread(buf, bytes, false);
}

/**
 * relayx_buf_done - tell whether a closed buffer has nothing left to read
 * @buf: the buffer, read_mutex held
 *
 * Return: true when the channel is closed and every byte was read.
 */
bool relayx_buf_done(struct relayx_buf *buf)
{
	size_t len;

	if (!READ_ONCE(buf->finalized) || buf->holder)
		return false;
	if (relayx_hold_unread(buf, false, &len))
		return true;
	relayx_release_unread(buf, 0, false);
	return false;
}

/**
 * relayx_subbufs_consumed - release sub-buffers read through mmap
 * @chan: the channel
 * @cpu: whose buffer
 * @subbufs_consumed: how many sub-buffers were read
 *
 * For clients with their own mmap protocol, as upstream's. A count larger
 * than what is unread, or a CPU without a buffer, is clamped or ignored.
 * May sleep.
 */
void relayx_subbufs_consumed(struct relayx_chan *chan, unsigned int cpu,
			     size_t subbufs_consumed)
{
	struct relayx_buf *buf;
	size_t unread;

	if (!chan || cpu >= nr_cpu_ids || !subbufs_consumed)
		return;
	buf = relayx_chan_buf(chan, cpu);
	if (!buf)
		return;
	mutex_lock(&buf->read_mutex);
	/* Pairs with the release in relayx_finish_subbuf(). */
	unread = smp_load_acquire(&buf->subbufs_produced) -
		 buf->subbufs_consumed;
	if (subbufs_consumed > unread)
		subbufs_consumed = unread;
	if (subbufs_consumed)
		buf->bytes_consumed = 0;
	/* The reader is done with those bytes before the writer reuses them. */
	smp_store_release(&buf->subbufs_consumed,
			  buf->subbufs_consumed + subbufs_consumed);
	mutex_unlock(&buf->read_mutex);
}
EXPORT_SYMBOL_GPL(relayx_subbufs_consumed);

/**
 * relayx_get_subbuf - hand the oldest complete sub-buffer to a consumer
 * @buf: the buffer
 * @filp: the consumer's file, which holds the sub-buffer until
 *	relayx_put_subbuf() or its release
 * @sb: set to the sub-buffer, offsets relative to the mmap of @buf
 *
 * Return: 0; -EBUSY when a sub-buffer is held already, -EAGAIN when none
 * is complete, -ENODATA when the channel is closed and all was consumed.
 */
int relayx_get_subbuf(struct relayx_buf *buf, struct file *filp,
		      struct relayx_subbuf *sb)
{
	size_t len;
	int ret = -EBUSY;

	mutex_lock(&buf->read_mutex);
	if (buf->holder)
		goto out;
	ret = relayx_hold_unread(buf, true, &len);
	if (ret) {
		if (READ_ONCE(buf->finalized))
			ret = -ENODATA;
		goto out;
	}
	buf->holder = filp;
	sb->seq = buf->subbufs_consumed;
	sb->offset = (buf->subbufs_consumed % buf->chan->n_subbufs) *
		     buf->chan->subbuf_size + buf->bytes_consumed;
	sb->len = len;
out:
	mutex_unlock(&buf->read_mutex);
	return ret;
}

/**
 * relayx_put_subbuf - consume the sub-buffer @filp holds
 * @buf: the buffer
 * @filp: the consumer's file
 * @seq: the sequence number relayx_get_subbuf() gave
 * @consume: consume it, or only let go of it (an error on the way to
 *	user space, or the file's release)
 *
 * Return: 0, or -EINVAL when @filp does not hold sub-buffer @seq.
 */
int relayx_put_subbuf(struct relayx_buf *buf, struct file *filp, u64 seq,
		      bool consume)
{
	int ret = -EINVAL;

	mutex_lock(&buf->read_mutex);
	if (buf->holder == filp && READ_ONCE(buf->held) == seq) {
		buf->holder = NULL;
		/* relayx_subbufs_consumed() may have moved past it. */
		relayx_release_unread(buf, 0, consume &&
				      buf->subbufs_consumed == seq);
		ret = 0;
	}
	mutex_unlock(&buf->read_mutex);
	return ret;
}

/**
 * relayx_forget_holder - let go of what @filp holds, consuming nothing
 * @buf: the buffer
 * @filp: a file being released
 */
void relayx_forget_holder(struct relayx_buf *buf, struct file *filp)
{
	mutex_lock(&buf->read_mutex);
	if (buf->holder == filp) {
		buf->holder = NULL;
		relayx_unhold(buf);
	}
	mutex_unlock(&buf->read_mutex);
}
