// SPDX-License-Identifier: GPL-2.0
/*
 * relayx writer, slow path: the sub-buffer switch, the slow commit and
 * the publication of finished sub-buffers, the writer's half of the gate
 * readers hold sub-buffers with, and the writer's part of close. The fast
 * path (claim and commit) is inline in include/relayx/relayx.h; the
 * channel's life is in relay_chan.c, the readers' half in relay_consume.c.
 *
 * The writers of a buffer run on the CPU it belongs to, with preemption
 * disabled, and may interrupt one another: task, softirq, hard interrupt
 * and NMI writers nest (global buffers: one writer at a time, under
 * whatever lock the client uses). They claim space with a compare and
 * exchange on tail, and move to the next sub-buffer in the switch below,
 * with interrupts off. The outermost writer publishes finished sub-buffers
 * through subbufs_produced and the complete part of the current one
 * through committed. Documentation/design.rst ("Write path") has the
 * proof; nothing else in relayx writes these fields, except reset and
 * close, which run with no writer.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/irq_work.h>
#include <linux/module.h>

#include "relayx_internal.h"

/*
 * Finish the current sub-buffer, which the writer left at offset @off:
 * its unused tail becomes its padding. Readers do not get it yet: the
 * subbuf_start call of the switch may still write into it (a header that
 * records prev_padding), and a sub-buffer readers have must never change.
 */
static void relayx_finish_subbuf(struct relayx_buf *buf, size_t off)
{
	size_t old = buf->entered % buf->chan->n_subbufs;

	buf->prev_padding = buf->chan->subbuf_size - off;
	buf->padding[old] = buf->prev_padding;
	buf->prev_pending = true;
}

/*
 * Hand the oldest handed-over sub-buffer to readers. committed is reset
 * before the sub-buffer count moves, so a reader that sees the new count
 * never pairs the next sub-buffer with the old committed length; readers
 * check the count again after reading committed for the converse.
 */
static void relayx_publish_subbuf(struct relayx_buf *buf)
{
	size_t old = buf->subbufs_produced % buf->chan->n_subbufs;

	WRITE_ONCE(buf->bytes_produced, buf->bytes_produced +
		   buf->chan->subbuf_size - buf->padding[old]);
	WRITE_ONCE(buf->committed, 0);
	/* Pairs with the acquire in relayx_hold_unread(). */
	smp_store_release(&buf->subbufs_produced, buf->subbufs_produced + 1);
	relayx_buf_update_size(buf);
	/* irq_work: the publisher may be an NMI. */
	if (wq_has_sleeper(&buf->read_wait))
		irq_work_queue(&buf->wakeup_work);
}

/*
 * RELAYX_NEST_DIRTY is set by the switch, in any writer, and by the
 * outermost writer while tail is closed; only the outermost one clears
 * it, before it publishes. Setting is a compare and exchange: two setters
 * may interrupt each other (a switch in an interrupt of the outermost
 * writer's slow commit), and the bit must not be added twice. Clearing
 * is a test and a subtraction, which a setter may interrupt, never the
 * other way round; it then finds the bit set and leaves it, and the
 * outermost writer, which reads handed and tail after clearing, publishes
 * that switch's work anyway.
 */
static void relayx_nest_set_dirty(struct relayx_buf *buf)
{
	long nest = local_read(&buf->nest), seen;

	while (!(nest & RELAYX_NEST_DIRTY)) {
		seen = local_cmpxchg(&buf->nest, nest, nest | RELAYX_NEST_DIRTY);
		if (seen == nest)
			return;
		nest = seen;
	}
}

static void relayx_nest_clear_dirty(struct relayx_buf *buf)
{
	if (local_read(&buf->nest) & RELAYX_NEST_DIRTY)
		local_sub(RELAYX_NEST_DIRTY, &buf->nest);
}

/*
 * Give readers the current sub-buffer up to @pos, a write position read
 * while every finished sub-buffer was published. Between a finished
 * sub-buffer and the next (@pos closed), that is all of the finished one
 * if it is still pending, nothing otherwise; and commits stay slow.
 *
 * This runs with interrupts on. A writer that interrupts between the
 * test of prev_pending and the reads of entered and padding may enter
 * the next sub-buffer, and they would then give the new sub-buffer's
 * padding (0) as the length of the pending one. Every switch moves tail
 * (entering opens it, a refusal moves its generation), and tail never
 * takes a value twice: if it still holds @pos after the reads, they saw
 * one state. If not, nothing is stored, and the caller, which finds tail
 * moved, goes round again. A writer that interrupts after the check
 * leaves subbufs_produced alone (it is nested), so the length stored is
 * still that of sub-buffer subbufs_produced.
 */
static void relayx_publish_pos(struct relayx_buf *buf, unsigned long pos)
{
	struct relayx_chan *chan = buf->chan;
	size_t len;

	if (relayx_pos_off(pos) <= chan->subbuf_size) {
		/* Pairs with the acquire in relayx_buf_committed(). */
		smp_store_release(&buf->committed, pos);
		return;
	}
	relayx_nest_set_dirty(buf);
	if (!buf->prev_pending)
		return;
	len = chan->subbuf_size - buf->padding[buf->entered % chan->n_subbufs];
	/* tail again, after prev_pending, entered and padding. */
	barrier();
	if (READ_ONCE(buf->tail) != pos)
		return;
	/* Pairs with the acquire in relayx_buf_committed(). */
	smp_store_release(&buf->committed, len);
}

/**
 * relayx_commit_slow - leave a buffer as a writer, the slow way
 * @buf: the buffer
 *
 * The slow half of relayx_buf_commit(); clients do not call it. A nested
 * writer only leaves. The outermost one publishes the sub-buffers the
 * switch handed over since the last commit, then the complete part of
 * the current one, and does it again if a writer that interrupted it
 * moved tail meanwhile.
 */
void relayx_commit_slow(struct relayx_buf *buf)
{
	unsigned long pos;

	if ((local_read(&buf->nest) & ~RELAYX_NEST_DIRTY) != 1) {
		local_dec(&buf->nest);
		return;
	}
	for (;;) {
		relayx_nest_clear_dirty(buf);
		while (buf->subbufs_produced != READ_ONCE(buf->handed))
			relayx_publish_subbuf(buf);
		pos = READ_ONCE(buf->tail);
		/* A switch after the loop: pos may be past the next one. */
		if (READ_ONCE(buf->handed) != buf->subbufs_produced)
			continue;
		relayx_publish_pos(buf, pos);
		local_dec(&buf->nest);
		if (READ_ONCE(buf->tail) == pos)
			return;
		local_inc(&buf->nest);
	}
}
EXPORT_SYMBOL_GPL(relayx_commit_slow);

/**
 * relayx_commit_held_slow - leave a buffer after a reservation, the slow way
 * @buf: the buffer
 * @slot: the slot relayx_reserve() claimed, which the client fills after
 * @held: its length
 *
 * The slow half of relayx_buf_commit_held(); clients do not call it. A
 * nested writer only leaves. The outermost one publishes what lies before
 * @slot, if @slot still ends at tail: then every sub-buffer handed over
 * before that test of tail comes before the slot's (a switch in between
 * moves tail). If a writer that interrupted claimed after the slot or
 * finished its sub-buffer, nothing is published: what lies before the slot
 * waits, with what came after it, for the next commit, which DIRTY sends
 * down the slow path.
 */
void relayx_commit_held_slow(struct relayx_buf *buf, const void *slot,
			     size_t held)
{
	unsigned long pos;
	size_t handed;

	if ((local_read(&buf->nest) & ~RELAYX_NEST_DIRTY) != 1) {
		local_dec(&buf->nest);
		return;
	}
	/*
	 * Cleared first: a switch from here on sets it again, and the next
	 * commit publishes what that switch handed over (the slot's
	 * sub-buffer among them).
	 */
	relayx_nest_clear_dirty(buf);
	handed = READ_ONCE(buf->handed);
	/* tail after handed: a switch in between moves it. */
	barrier();
	pos = READ_ONCE(buf->tail);
	if (READ_ONCE(buf->base) + pos != (unsigned long)slot + held) {
		relayx_nest_set_dirty(buf);
		local_dec(&buf->nest);
		return;
	}
	while (buf->subbufs_produced != handed)
		relayx_publish_subbuf(buf);
	/*
	 * An interrupt's switch after the test of tail hands the slot's
	 * sub-buffer over, but only this writer publishes: readers are
	 * still at that sub-buffer, and this is its length before the slot.
	 * Pairs with the acquire in relayx_buf_committed().
	 */
	smp_store_release(&buf->committed, pos - held);
	local_dec(&buf->nest);
}
EXPORT_SYMBOL_GPL(relayx_commit_held_slow);

static void relayx_gate_leave(struct relayx_buf *buf)
{
	/* entered is published before readers may take a hold again. */
	smp_mb__before_atomic();
	atomic_long_andnot(RELAYX_GATE_ENTERING, &buf->gate);
}

/*
 * The writer's side of the gate (the reader's is in relay_consume.c):
 * before it enters sub-buffer @seq, which overwrites @seq - n_subbufs, the
 * writer raises ENTERING, which keeps new holds out until it has decided,
 * and gives up if a reader holds the sub-buffer it would overwrite. It
 * never waits for a reader. Giving up, it lowers ENTERING and raises
 * DEFERRED in one exchange that succeeds only while the hold lasts, so
 * the reader that drops the hold (relayx_unhold(), which clears both)
 * learns that a switch waits and has it tried again
 * (relayx_writer_retry()); a hold dropped first lets the writer enter.
 * While ENTERING is up, only that drop can change the gate, and held
 * stays as it is.
 */
static bool relayx_gate_enter(struct relayx_buf *buf, size_t seq)
{
	long gate;

	/* Fully ordered: a hold seen here is current, or already dropped. */
	gate = atomic_long_fetch_or(RELAYX_GATE_ENTERING, &buf->gate) |
	       RELAYX_GATE_ENTERING;
	while ((gate & RELAYX_GATE_HELD) &&
	       READ_ONCE(buf->held) == seq - buf->chan->n_subbufs) {
		if (atomic_long_try_cmpxchg(&buf->gate, &gate,
					    (gate & ~RELAYX_GATE_ENTERING) |
					    RELAYX_GATE_DEFERRED))
			return false;
	}
	return true;
}

/* The next write position: @off in a new generation. */
static unsigned long relayx_pos_next(unsigned long pos, size_t off)
{
	return ((pos & ~RELAYX_OFF_MASK) + BIT(RELAYX_OFF_BITS)) | off;
}

/* Move tail on to @off in a new generation: something changed. */
static void relayx_tail_move(struct relayx_buf *buf, size_t off)
{
	WRITE_ONCE(buf->tail, relayx_pos_next(READ_ONCE(buf->tail), off));
}

static void relayx_count_full(struct relayx_buf *buf, size_t length)
{
	if (length) {
		local64_inc(&buf->stats.full);
		local64_add(length, &buf->stats.bytes_full);
	}
}

static void relayx_count_big(struct relayx_buf *buf, size_t length)
{
	local64_inc(&buf->stats.big);
	local64_add(length, &buf->stats.bytes_big);
}

/*
 * Would entering sub-buffer @seq overwrite one that a writer this one
 * interrupted may still be writing into? Such a writer's slot lies in a
 * sub-buffer not published yet (only the outermost writer publishes, once
 * every slot before tail is complete). Entering @seq overwrites @seq -
 * n_subbufs; while this writer is nested, that must be published already.
 * The outermost writer has nobody to overwrite: the writers are counted
 * without RELAYX_NEST_DIRTY, which this switch (or an interrupt's) has
 * set already, so that the outermost one is never taken for nested.
 */
static bool relayx_overwrites_writer(struct relayx_buf *buf, size_t seq)
{
	return (local_read(&buf->nest) & ~RELAYX_NEST_DIRTY) > 1 &&
	       seq - buf->subbufs_produced >= buf->chan->n_subbufs;
}

/*
 * Move the writer of @buf to its next sub-buffer, interrupts off and
 * buf->switching set: only an NMI can interrupt, and it then claims from
 * the current sub-buffer or drops its message. Unless @force, a
 * sub-buffer with room for @length (an interrupt's writer may have
 * switched since this one's claim failed) is kept. A message that is dropped is counted here.
 *
 * Return: true when @length bytes may now be claimed.
 */
static bool relayx_switch(struct relayx_buf *buf, size_t length, bool force)
{
	struct relayx_chan *chan = buf->chan;
	unsigned long pos = READ_ONCE(buf->tail), seen, gen;
	size_t off = relayx_pos_off(pos), seq;
	void *next_data, *prev;
	int accepted;

	/* An interrupt's writer may have switched since the claim failed. */
	if (!force && off + length <= chan->subbuf_size)
		return true;
	relayx_nest_set_dirty(buf);
	/*
	 * Close the current sub-buffer, unless a refused switch did. From
	 * the zero limit on, claims fail (an NMI's message is dropped); one
	 * that came before it moves tail, and the exchange tries again. It
	 * settles where the sub-buffer ends.
	 */
	WRITE_ONCE(buf->limit, 0);
	barrier();
	pos = READ_ONCE(buf->tail);
	for (;;) {
		off = relayx_pos_off(pos);
		if (off > chan->subbuf_size)
			break;
		seen = cmpxchg_local(&buf->tail, pos,
				     relayx_pos_next(pos, chan->subbuf_size + 1));
		if (seen == pos) {
			relayx_finish_subbuf(buf, off);
			break;
		}
		pos = seen;
	}

	seq = buf->entered + 1;
	next_data = relayx_subbuf_addr(buf, seq % chan->n_subbufs);
	/*
	 * Refused here, the finished sub-buffer stays pending: the callback
	 * has not seen it, and the next try (write, flush or close) hands it
	 * over. Its data waits no longer than the held sub-buffer does.
	 */
	if (relayx_overwrites_writer(buf, seq) || !relayx_gate_enter(buf, seq))
		goto refused;
	/* The callback may reserve a header, at offset 0. */
	buf->hdr = 0;
	prev = buf->prev_pending ? buf->data : NULL;
	accepted = chan->cb->subbuf_start(buf, next_data, prev,
					  buf->prev_padding);
	/* Whatever it answered, it is done with prev: readers may have it. */
	if (buf->prev_pending) {
		buf->prev_pending = false;
		WRITE_ONCE(buf->handed, buf->handed + 1);
	}
	if (!accepted) {
		relayx_gate_leave(buf);
		goto refused;
	}
	WRITE_ONCE(buf->entered, seq);
	relayx_gate_leave(buf);
	/* Accepting a sub-buffer that was never read overwrites it. */
	if (seq - READ_ONCE(buf->subbufs_consumed) >= chan->n_subbufs)
		local64_inc(&buf->stats.overwritten);
	buf->padding[seq % chan->n_subbufs] = 0;
	buf->data = next_data;
	/*
	 * The generation of the closed tail, which a claim from it can never
	 * pass: closed + 0 is above gen | subbuf_size. Closing, and every
	 * refusal, move to a new one; entering stays in it.
	 */
	gen = READ_ONCE(buf->tail) & ~RELAYX_OFF_MASK;
	pos = gen | buf->hdr;
	WRITE_ONCE(buf->base, (unsigned long)next_data - gen);
	WRITE_ONCE(buf->limit, gen | chan->subbuf_size);
	/* base and limit first: a claim from the new tail must find them. */
	barrier();
	WRITE_ONCE(buf->tail, pos);
	if (unlikely(buf->hdr + length > chan->subbuf_size)) {
		relayx_count_big(buf, length);
		return false;
	}
	return true;

refused:
	/* A new generation: an outermost writer publishing looks again. */
	relayx_tail_move(buf, chan->subbuf_size + 1);
	relayx_count_full(buf, length);
	return false;
}

/*
 * Enter the switch, interrupts off, unless this is an NMI that interrupted
 * one: then the switch's state is half made, and the message is dropped.
 * Return: whether the switch may run; if so, relayx_switch_leave() after.
 */
static bool relayx_switch_enter(struct relayx_buf *buf, unsigned long *flags,
				size_t length)
{
	local_irq_save(*flags);
	if (unlikely(READ_ONCE(buf->switching))) {
		relayx_count_full(buf, length);
		local_irq_restore(*flags);
		return false;
	}
	WRITE_ONCE(buf->switching, true);
	barrier();
	return true;
}

static void relayx_switch_leave(struct relayx_buf *buf, unsigned long flags)
{
	barrier();
	WRITE_ONCE(buf->switching, false);
	local_irq_restore(flags);
}

/**
 * relayx_reserve_slow - reserve where the current sub-buffer has no room
 * @buf: the buffer; the caller counts itself in buf->nest
 * @length: size of the message
 *
 * The slow path of every write; clients do not call it. Moves to the next
 * sub-buffer, with interrupts off for the subbuf_start callback, and
 * claims the slot there. A message that is dropped is counted here.
 *
 * Return: the slot, or NULL when the message was dropped.
 */
void *relayx_reserve_slow(struct relayx_buf *buf, size_t length)
{
	unsigned long flags;
	void *slot = NULL;

	if (unlikely(length > buf->chan->subbuf_size)) {
		relayx_count_big(buf, length);
		return NULL;
	}
	if (!relayx_switch_enter(buf, &flags, length))
		return NULL;
	/*
	 * Only an NMI can claim between the switch and this claim; if it
	 * filled the new sub-buffer, the message is dropped as full.
	 */
	if (relayx_switch(buf, length, false) &&
	    !relayx_buf_claim(buf, length, &slot))
		relayx_count_full(buf, length);
	relayx_switch_leave(buf, flags);
	return slot;
}
EXPORT_SYMBOL_GPL(relayx_reserve_slow);

/**
 * relayx_switch_subbuf - move the writer of @buf to its next sub-buffer
 * @buf: the buffer, of the current CPU (preemption disabled) or of a CPU
 *	that runs no writer
 * @length: size of the message the caller will write next, 0 for none
 *
 * Finishes the current sub-buffer even if it has room, as upstream's;
 * relayx_flush() is built on it. The next message is not reserved: a
 * write after this one claims from the new sub-buffer.
 *
 * Return: @length when a message of @length bytes fits in the new
 * sub-buffer, 0 when it does not (the switch was refused, or the header
 * left too little room: the message counts as dropped).
 */
size_t relayx_switch_subbuf(struct relayx_buf *buf, size_t length)
{
	unsigned long flags;
	bool fits = false;

	if (unlikely(length > buf->chan->subbuf_size)) {
		relayx_count_big(buf, length);
		return 0;
	}
	local_inc(&buf->nest);
	if (relayx_switch_enter(buf, &flags, length)) {
		fits = relayx_switch(buf, length, true);
		relayx_switch_leave(buf, flags);
	}
	relayx_buf_commit(buf);
	return fits ? length : 0;
}
EXPORT_SYMBOL_GPL(relayx_switch_subbuf);

/**
 * relayx_subbuf_start_reserve - reserve a header at the start of a sub-buffer
 * @buf: the buffer passed to subbuf_start
 * @length: header bytes
 *
 * Call it only from a subbuf_start callback that then returns 1. As
 * upstream's subbuf_start_reserve(), it sets the header length (a second
 * call replaces the first). A header that would leave fewer than two
 * bytes of the sub-buffer (SIZE_MAX included), where upstream BUG()s, is
 * refused instead: the sub-buffer gets no header and the client's error
 * is logged, once per boot. No message was dropped, so no drop counter
 * moves.
 */
void relayx_subbuf_start_reserve(struct relayx_buf *buf, size_t length)
{
	size_t size = buf->chan->subbuf_size;

	/* length + 2 > size, without the sum that wraps for huge lengths. */
	if (unlikely(length && (size < 2 || length > size - 2))) {
		pr_warn_once("subbuf_start_reserve: header of %zu bytes in sub-buffers of %zu refused\n",
			     length, size);
		buf->hdr = 0;
		return;
	}
	buf->hdr = length;
}
EXPORT_SYMBOL_GPL(relayx_subbuf_start_reserve);

/**
 * relayx_buf_full - tell whether every sub-buffer of @buf is unread
 * @buf: the buffer
 *
 * Return: 1 when the writer has no free sub-buffer to move to, else 0.
 */
int relayx_buf_full(struct relayx_buf *buf)
{
	/*
	 * Finished sub-buffers not published yet (pending for subbuf_start,
	 * or handed over while a writer is still nested) are unread too.
	 */
	size_t ready = READ_ONCE(buf->handed) +
		       READ_ONCE(buf->prev_pending) -
		       READ_ONCE(buf->subbufs_consumed);

	return ready >= buf->chan->n_subbufs;
}
EXPORT_SYMBOL_GPL(relayx_buf_full);

/**
 * relayx_writer_retry - try again a switch that a reader's hold refused
 * @buf: the buffer, on its CPU with interrupts off (an IPI there), or
 *	where no writer of it runs; the channel is not closed
 *
 * The gate refused a switch (a flush's, or a write's) because a reader
 * held the sub-buffer it would overwrite; the finished sub-buffer waits,
 * pending, for the subbuf_start call that hands it over. The reader has
 * let go: make the switch the next write would make, as a writer of no
 * bytes, so that readers get that sub-buffer now. Nothing happens if a
 * write entered a sub-buffer meanwhile.
 */
void relayx_writer_retry(struct relayx_buf *buf)
{
	unsigned long flags;

	local_inc(&buf->nest);
	if (relayx_switch_enter(buf, &flags, 0)) {
		relayx_switch(buf, 0, false);
		relayx_switch_leave(buf, flags);
	}
	relayx_buf_commit(buf);
}

/**
 * relayx_writer_close - finish the writer's state of a buffer at close
 * @buf: the buffer, which no writer enters any more
 *
 * Finishes the sub-buffer the writer was in, if anything was written
 * into it, and publishes every finished one, so that readers and mmap
 * consumers see all of it as complete sub-buffers. No subbuf_start runs,
 * as upstream's close. A sub-buffer that holds only the header its
 * subbuf_start reserved (buf->hdr: a flush right before the close, or no
 * write since the open) stays unfinished, as upstream leaves it: finished,
 * its header would claim a record that subbuf_start(prev) never wrote.
 */
void relayx_writer_close(struct relayx_buf *buf)
{
	size_t off = relayx_buf_offset(buf);

	if (off > buf->hdr && off <= buf->chan->subbuf_size) {
		relayx_finish_subbuf(buf, off);
		relayx_tail_move(buf, buf->chan->subbuf_size + 1);
	}
	if (buf->prev_pending) {
		buf->prev_pending = false;
		buf->handed++;
	}
	while (buf->subbufs_produced != buf->handed)
		relayx_publish_subbuf(buf);
}
