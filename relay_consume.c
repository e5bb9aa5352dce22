// SPDX-License-Identifier: GPL-2.0
/*
 * relayx consumer side of the protocol: where the unread data of a
 * buffer is, holding a sub-buffer while it is read, and consuming it.
 * read() and the mmap consumer ioctls (relay_file.c) are built on this.
 *
 * Readers of a buffer are serialized by read_mutex, and own
 * bytes_consumed, bytes_seq and holder. subbufs_consumed is shared with
 * relayx_subbufs_consumed(), which clients call from any context, their
 * subbuf_start callback included: it takes no lock, so everybody
 * advances the count with a compare and exchange, and bytes_consumed
 * counts only while the count is still at bytes_seq. Readers never block
 * the writer. To keep a sub-buffer from being overwritten while it is read
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

/*
 * Let go of the held sub-buffer. Return: whether the writer gave up a
 * switch because of the hold (RELAYX_GATE_DEFERRED): the caller then has
 * it tried again with relayx_buf_retry(), once it holds no reader lock.
 */
static bool relayx_unhold(struct relayx_buf *buf)
{
	/*
	 * Fully ordered, not only a release: the reads of the sub-buffer
	 * are done before the writer may reuse it, and the next hold's
	 * store to held cannot pass this clear. With a release only, the
	 * writer's fetch_or in relayx_gate_enter() could see the old HELD
	 * bit together with the new held, and enter the sub-buffer that
	 * is still being read.
	 */
	return atomic_long_fetch_andnot(RELAYX_GATE_HELD |
					RELAYX_GATE_DEFERRED, &buf->gate) &
	       RELAYX_GATE_DEFERRED;
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
	/*
	 * Nothing deferred: the writer refuses only to enter seq +
	 * n_subbufs, and entered is past it already.
	 */
	relayx_unhold(buf);
	return false;
}

/*
 * Move subbufs_consumed from @from to @to, unless someone else moved it
 * meanwhile (another path of the reader, or relayx_subbufs_consumed()).
 */
static void relayx_advance(struct relayx_buf *buf, size_t from, size_t to)
{
	relayx_hook(buf, RELAYX_HOOK_CONSUME);
	/* Fully ordered: the reads of the sub-buffers are done before reuse. */
	try_cmpxchg(&buf->subbufs_consumed, &from, to);
}

/* Bytes read of sub-buffer @seq: none if the count moved on to it. */
static size_t relayx_bytes_read(struct relayx_buf *buf, size_t seq)
{
	return buf->bytes_seq == seq ? buf->bytes_consumed : 0;
}

/*
 * Hold the oldest unread data of @buf: in a finished sub-buffer only
 * (@complete, mmap consumers) or also in the one being written (read()).
 * Skips what can no longer be read: sub-buffers the writer lapped (it
 * counted them as overwritten) and consumed padding. On success @len
 * bytes are at offset @off of sub-buffer @seq, held until
 * relayx_unhold(). Returns 0, or -EAGAIN when there is nothing to read.
 */
static int relayx_hold_unread(struct relayx_buf *buf, bool complete,
			      size_t *seqp, size_t *offp, size_t *len)
{
	size_t n = buf->chan->n_subbufs;
	size_t produced, seq, off, limit, to;

	lockdep_assert_held(&buf->read_mutex);
	for (;;) {
		/*
		 * The count first: whoever moved it had seen that much
		 * produced, and the acquire keeps the produced read below
		 * from being older. Pairs with the fully ordered advances.
		 */
		seq = smp_load_acquire(&buf->subbufs_consumed);
		/* Pairs with the release in relayx_publish_subbuf(). */
		produced = smp_load_acquire(&buf->subbufs_produced);
		if (relayx_lapped(buf, seq)) {
			/*
			 * Skip what the writer overwrote, but never past
			 * what it published: between entering a sub-buffer
			 * and publishing the ones before (the outermost
			 * writer does that last), entered runs ahead of
			 * subbufs_produced, and with one sub-buffer the one
			 * being published is lapped already. Nothing can
			 * be read until it is published.
			 */
			to = min(READ_ONCE(buf->entered) - n + 1, produced);
			if (to == seq)
				return -EAGAIN;
			relayx_advance(buf, seq, to);
			continue;
		}
		off = relayx_bytes_read(buf, seq);
		if (seq == produced) {
			if (complete)
				return -EAGAIN;
			/* The complete part of the sub-buffer being written. */
			limit = relayx_buf_committed(buf);
			/* Moved on meanwhile? Then limit is the next one's. */
			if (smp_load_acquire(&buf->subbufs_produced) != produced)
				continue;
			if (limit <= off)
				return -EAGAIN;
		} else {
			limit = buf->chan->subbuf_size - buf->padding[seq % n];
			if (limit <= off) {
				relayx_advance(buf, seq, seq + 1);
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
	*seqp = seq;
	*offp = off;
	*len = limit - off;
	return 0;
}

/**
 * relayx_read_find - find the next bytes read() returns
 * @buf: the buffer, read_mutex held
 * @max: how many at most
 * @pos: set to where they are, for relayx_read_intact() and
 *	relayx_read_commit()
 * @src: set to their address in the buffer
 *
 * Nothing is held once this returns: read() copies straight from the
 * buffer to user space with no lock and no hold, so that neither the
 * writer nor the other readers ever wait for a user copy. The writer may
 * lap the bytes meanwhile (overwrite mode); relayx_read_intact() tells
 * afterwards whether it did. Nothing is consumed yet.
 *
 * Return: how many bytes are at @src; -EAGAIN when there is nothing to
 * read; -EBUSY while an mmap consumer holds a sub-buffer.
 */
ssize_t relayx_read_find(struct relayx_buf *buf, size_t max,
			 struct relayx_read_pos *pos, const void **src)
{
	size_t seq, off, len;
	int ret;

	lockdep_assert_held(&buf->read_mutex);
	if (buf->holder)
		return -EBUSY;
	/* The hold makes sure seq was not lapped when limit was read. */
	ret = relayx_hold_unread(buf, false, &seq, &off, &len);
	if (ret)
		return ret;
	pos->retry = relayx_unhold(buf);
	pos->seq = seq;
	pos->off = off;
	pos->resets = buf->resets;
	*src = relayx_subbuf_addr(buf, seq % buf->chan->n_subbufs) + off;
	return min(len, max);
}

/**
 * relayx_read_intact - tell whether bytes read() copied are whole
 * @buf: the buffer
 * @pos: where relayx_read_find() found them
 *
 * Call it after the copy. The bytes were whole unless the writer started
 * to overwrite sub-buffer @pos->seq before the copy ended: it then
 * entered @pos->seq + n_subbufs, or is entering a sub-buffer right now
 * (its subbuf_start callback may be writing a header there before
 * entered moves). Both are seen here if the copy saw any byte of it, as
 * in a seqcount: the writer raises ENTERING with a fully ordered atomic
 * before the callback writes, stores entered before it drops ENTERING
 * (a full barrier) and before any message is claimed in the sub-buffer;
 * this reads the gate, then entered, after the copy's loads. A false
 * answer may also come from a switch into another sub-buffer: read()
 * then only copies again.
 *
 * Return: true when no byte of the copy can be the writer's newer data.
 */
bool relayx_read_intact(struct relayx_buf *buf,
			const struct relayx_read_pos *pos)
{
	/* The copy's loads, then the gate: pairs with relayx_gate_enter(). */
	smp_rmb();
	if (atomic_long_read(&buf->gate) & RELAYX_GATE_ENTERING)
		return false;
	/* The gate, then entered: pairs with relayx_gate_leave(). */
	smp_rmb();
	return !relayx_lapped(buf, pos->seq);
}

/**
 * relayx_read_commit - consume what read() passed on to user space
 * @buf: the buffer, read_mutex held
 * @pos: where relayx_read_copy() took the bytes from
 * @bytes: how many of them reached user space
 *
 * Like a seqcount reader, read() let go of everything while it copied to
 * user space: the commit only counts if nothing consumed those bytes
 * meanwhile (another reader, relayx_subbufs_consumed(), an mmap consumer,
 * relayx_reset()). Whether the writer lapped them is relayx_read_intact()'s
 * to tell, before this.
 *
 * Return: true when the bytes are consumed; false when read() must
 * neither count them nor consume them, and look again.
 */
bool relayx_read_commit(struct relayx_buf *buf,
			const struct relayx_read_pos *pos, size_t bytes)
{
	lockdep_assert_held(&buf->read_mutex);
	if (buf->holder || buf->resets != pos->resets ||
	    READ_ONCE(buf->subbufs_consumed) != pos->seq ||
	    relayx_bytes_read(buf, pos->seq) != pos->off)
		return false;
	buf->bytes_seq = pos->seq;
	buf->bytes_consumed = pos->off + bytes;
	/*
	 * Read to the end of a finished sub-buffer: it is consumed now, not
	 * at the next read, or poll() would report it unread and that read
	 * would find nothing. Its padding is final once it is published
	 * (pairs with the release in relayx_publish_subbuf()); if the writer
	 * lapped it meanwhile, the next read skips it anyway.
	 */
	if (pos->seq != smp_load_acquire(&buf->subbufs_produced) &&
	    buf->bytes_consumed >= buf->chan->subbuf_size -
				   buf->padding[pos->seq % buf->chan->n_subbufs])
		relayx_advance(buf, pos->seq, pos->seq + 1);
	return true;
}

/**
 * relayx_buf_done - tell whether a closed buffer has nothing left to read
 * @buf: the buffer, read_mutex held
 *
 * Return: true when the channel is closed and every byte was read.
 */
bool relayx_buf_done(struct relayx_buf *buf)
{
	size_t seq, off, len;

	lockdep_assert_held(&buf->read_mutex);
	/*
	 * Closed first, nothing left second: the close finished the last
	 * sub-buffer before it said so. Pairs with the release in
	 * relayx_buf_close().
	 */
	if (!smp_load_acquire(&buf->finalized) || buf->holder)
		return false;
	if (relayx_hold_unread(buf, false, &seq, &off, &len))
		return true;
	/* Closed: the close handed every finished sub-buffer over. */
	relayx_unhold(buf);
	return false;
}

/**
 * relayx_subbufs_consumed - release sub-buffers read through mmap
 * @chan: the channel
 * @cpu: whose buffer
 * @subbufs_consumed: how many sub-buffers were read
 *
 * For clients with their own mmap protocol, as upstream's. A count larger
 * than what is unread is clamped to it; as upstream, a count larger than
 * n_subbufs, which no reader can have read, and a CPU without a buffer
 * are ignored.
 * Takes no lock and never sleeps: callable from any context, a
 * subbuf_start callback with interrupts off included. A sub-buffer an
 * mmap consumer holds stays held (the writer still never enters it); its
 * RELAYX_PUT_SUBBUF then consumes nothing more.
 */
void relayx_subbufs_consumed(struct relayx_chan *chan, unsigned int cpu,
			     size_t subbufs_consumed)
{
	struct relayx_buf *buf;
	size_t seq, unread;

	if (!chan || cpu >= nr_cpu_ids || !subbufs_consumed ||
	    subbufs_consumed > chan->n_subbufs)
		return;
	buf = relayx_chan_buf(chan, cpu);
	if (!buf)
		return;
	for (;;) {
		/* The count before produced: see relayx_hold_unread(). */
		seq = smp_load_acquire(&buf->subbufs_consumed);
		/* Pairs with the release in relayx_publish_subbuf(). */
		unread = smp_load_acquire(&buf->subbufs_produced) - seq;
		if ((ssize_t)unread <= 0)
			return;
		/*
		 * Fully ordered: the client's reads are done before the
		 * writer may reuse the sub-buffers. A reader that moved the
		 * count meanwhile makes this try again from its value.
		 */
		if (try_cmpxchg(&buf->subbufs_consumed, &seq,
				seq + min(subbufs_consumed, unread)))
			return;
	}
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
	size_t seq, off, len;
	bool finalized;
	int ret = -EBUSY;

	mutex_lock(&buf->read_mutex);
	if (buf->holder)
		goto out;
	/*
	 * Closed or not is read before looking for data: relayx_close()
	 * finishes the last sub-buffer, then says so. Finding nothing after
	 * seeing it closed is the end; finding nothing before is "not yet",
	 * even if the close came in between. Pairs with the release in
	 * relayx_buf_close().
	 */
	finalized = smp_load_acquire(&buf->finalized);
	ret = relayx_hold_unread(buf, true, &seq, &off, &len);
	if (ret) {
		relayx_hook(buf, RELAYX_HOOK_GET_SUBBUF_EMPTY);
		if (finalized)
			ret = -ENODATA;
		goto out;
	}
	buf->holder = filp;
	sb->seq = seq;
	sb->offset = (seq % buf->chan->n_subbufs) * buf->chan->subbuf_size +
		     off;
	sb->len = len;
out:
	mutex_unlock(&buf->read_mutex);
	return ret;
}
EXPORT_SYMBOL_IF_RELAYX_TESTS(relayx_get_subbuf);

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
	bool retry = false;
	int ret = -EINVAL;

	mutex_lock(&buf->read_mutex);
	if (buf->holder == filp && READ_ONCE(buf->held) == seq) {
		buf->holder = NULL;
		/* Unless relayx_subbufs_consumed() moved past it already. */
		if (consume)
			relayx_advance(buf, seq, seq + 1);
		retry = relayx_unhold(buf);
		ret = 0;
	}
	mutex_unlock(&buf->read_mutex);
	if (retry)
		relayx_buf_retry(buf);
	return ret;
}
EXPORT_SYMBOL_IF_RELAYX_TESTS(relayx_put_subbuf);

/**
 * relayx_forget_holder - let go of what @filp holds, consuming nothing
 * @buf: the buffer
 * @filp: a file being released
 */
void relayx_forget_holder(struct relayx_buf *buf, struct file *filp)
{
	bool retry = false;

	mutex_lock(&buf->read_mutex);
	if (buf->holder == filp) {
		buf->holder = NULL;
		retry = relayx_unhold(buf);
	}
	mutex_unlock(&buf->read_mutex);
	if (retry)
		relayx_buf_retry(buf);
}
