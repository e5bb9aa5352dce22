/* SPDX-License-Identifier: GPL-2.0 */
/*
 * relayx: per-cpu relay channels on page-list buffers.
 *
 * The API follows <linux/relay.h> call for call under the relayx_ prefix;
 * include/relayx/relay_compat.h maps the upstream names onto it.
 */
#ifndef _RELAYX_RELAYX_H
#define _RELAYX_RELAYX_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/wait.h>
#include <linux/irq_work.h>
#include <linux/workqueue.h>
#include <linux/irqflags.h>
#include <linux/string.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/lockdep.h>
#include <linux/atomic.h>
#include <linux/stdarg.h>
#include <asm/local.h>
#include <asm/local64.h>

#include <uapi/linux/relayx.h>

/*
 * The writer packs an offset and a generation into one unsigned long
 * (buf->tail, below): 32 bits leave too few generations for a claim that
 * an interrupt delays to be sure to fail after a switch.
 */
#if BITS_PER_LONG != 64
#error "relayx needs a 64-bit kernel (CONFIG_64BIT); see README.md"
#endif

struct dentry;
struct relayx_buf;

/**
 * struct relayx_buf_counts - the accounting of one buffer
 * @msgs: messages written
 * @bytes: bytes written
 * @full: messages dropped because no sub-buffer was free
 * @bytes_full: bytes of those
 * @big: messages dropped because they were longer than a sub-buffer
 * @bytes_big: bytes of those
 * @overwritten: sub-buffers overwritten before being consumed
 * @produced: sub-buffers finished by the writer
 * @consumed: sub-buffers released by readers
 *
 * The writer keeps the first seven in buf->stats; relayx_buf_stats() adds
 * the sub-buffer counts, which live in buf->subbufs_produced and
 * buf->subbufs_consumed. User space gets the same figures in struct
 * relayx_buf_stats (RELAYX_GET_STATS), whose layout is ABI; this one is
 * not, and may change with relayx.
 */
struct relayx_buf_counts {
	u64 msgs;
	u64 bytes;
	u64 full;
	u64 bytes_full;
	u64 big;
	u64 bytes_big;
	u64 overwritten;
	u64 produced;
	u64 consumed;
};

/**
 * struct relayx_buf_tally - the writer's counters of one buffer
 * @msgs: messages written
 * @bytes: bytes written
 * @full: messages dropped because no sub-buffer could be entered
 * @bytes_full: bytes of those
 * @big: messages dropped because they were longer than a sub-buffer
 * @bytes_big: bytes of those
 * @overwritten: sub-buffers overwritten before being consumed
 *
 * Local counters: writers nested on the buffer's CPU (interrupts, NMIs)
 * update them with single instructions that an interrupt cannot split.
 */
struct relayx_buf_tally {
	local64_t msgs;
	local64_t bytes;
	local64_t full;
	local64_t bytes_full;
	local64_t big;
	local64_t bytes_big;
	local64_t overwritten;
};

/*
 * buf->tail packs the write position: the offset in the current
 * sub-buffer in the low RELAYX_OFF_BITS bits, and above them a generation
 * that moves on whenever a sub-buffer is closed or a switch refused, so
 * that a writer's compare and exchange fails if a nested writer switched
 * sub-buffers meanwhile, even one that left the offset where it was. An offset of subbuf_size + 1
 * (never a valid end) marks a finished sub-buffer whose successor was not
 * entered yet (a refused switch). buf->limit is the packed end of the
 * current sub-buffer, 0 while there is none, and buf->base the address
 * that a packed position is added to, so that the fast path neither
 * masks nor looks at the channel.
 */
#define RELAYX_OFF_BITS		33
#define RELAYX_OFF_MASK		(BIT(RELAYX_OFF_BITS) - 1)
/* The largest sub-buffer: its closed offset, subbuf_size + 1, must fit. */
#define RELAYX_SUBBUF_MAX	(RELAYX_OFF_MASK - 1)
/*
 * In buf->nest, above the count of writers: the switch changed what
 * readers must be given (sub-buffers handed over, or a sub-buffer closed),
 * so the outermost writer's commit takes the slow path.
 */
#define RELAYX_NEST_DIRTY	BIT(30)	/* an immediate operand on x86-64 */

/**
 * struct relayx_buf - one per-cpu (or the global) buffer of a channel
 * @data: linear address of the current sub-buffer
 * @tail: write position, with a generation (RELAYX_OFF_BITS); the offset
 *	is subbuf_size + 1 between a finished sub-buffer and the next
 * @limit: @tail's value at the end of the current sub-buffer, 0 while
 *	the writer is between sub-buffers: claims beyond it fail
 * @base: @data minus the generation bits of @tail: slot = @base + @tail
 * @nest: writers of this buffer running on its CPU, nested in interrupts
 *	and NMIs, and RELAYX_NEST_DIRTY; the outermost one publishes what
 *	all of them wrote
 * @committed: the position, packed as in @tail, up to which readers may
 *	read sub-buffer @subbufs_produced (relayx_buf_committed())
 * @subbufs_produced: sub-buffers published to readers
 * @handed: sub-buffers the writers are done with, published by the
 *	outermost writer once none of them is still writing into them
 * @subbufs_consumed: sub-buffers released by the readers or by
 *	relayx_subbufs_consumed(); moved with cmpxchg only
 * @bytes_consumed: bytes already read from sub-buffer @bytes_seq
 * @bytes_seq: the sub-buffer @bytes_consumed counts in; when
 *	@subbufs_consumed is elsewhere, nothing of that one was read
 * @chan: the channel
 * @vaddr: a vmap() of the whole buffer, or NULL when every sub-buffer is
 *	reached through the direct map (see relayx_subbuf_addr())
 * @padding: unused tail of each finished sub-buffer
 * @prev_padding: padding of the sub-buffer finished last
 * @prev_pending: the sub-buffer finished last is not handed over yet:
 *	it waits for the subbuf_start call that may write its header
 * @switching: a writer on the buffer's CPU is inside the sub-buffer
 *	switch, with interrupts off; an NMI that finds it so drops its message
 * @hdr: the header subbuf_start reserved with relayx_subbuf_start_reserve()
 * @bytes_produced: bytes in the sub-buffers finished so far, padding
 *	left out: the size of the buffer's file
 * @pages: the buffer's pages, in order
 * @page_count: number of @pages
 * @stats: accounting, updated by the writers only
 * @entered: sequence number of the sub-buffer the writer entered last
 * @held: sequence number of the sub-buffer a reader holds, while @gate
 *	has RELAYX_GATE_HELD
 * @gate: RELAYX_GATE_* bits shared by the writer and the readers, so that
 *	a held sub-buffer is never overwritten (relay_consume.c)
 * @holder: the file that holds @held through RELAYX_GET_SUBBUF, if any
 * @read_wait: readers waiting in poll
 * @wakeup_work: defers reader wakeups out of the writer's context
 * @wakeup_task: on PREEMPT_RT, where @wakeup_work runs in hard interrupt
 *	context and cannot take @read_wait's lock, does the wakeup itself
 * @read_mutex: serializes readers of this buffer, and relayx_reset()
 * @resets: relayx_reset() calls, so that a read() that copied before one
 *	does not consume after it
 * @dentry: the buffer's file, if any
 * @kref: held by the channel and by every open file
 * @cpu: the CPU this buffer belongs to
 * @finalized: the channel was closed; no writer will touch it again
 */
struct relayx_buf {
	void *data;
	unsigned long tail;
	unsigned long limit;
	unsigned long base;
	local_t nest;
	unsigned long committed;
	size_t subbufs_produced;
	size_t handed;
	size_t subbufs_consumed;
	size_t bytes_consumed;
	size_t bytes_seq;
	struct relayx_chan *chan;
	void *vaddr;
	u32 *padding;
	size_t prev_padding;
	bool prev_pending;
	bool switching;
	size_t hdr;
	size_t bytes_produced;
	struct page **pages;
	unsigned int page_count;
	struct relayx_buf_tally stats;
	size_t entered;
	size_t held;
	atomic_long_t gate;
	struct file *holder;
	wait_queue_head_t read_wait;
	struct irq_work wakeup_work;
	struct work_struct wakeup_task;
	struct mutex read_mutex;	/* reader state: consumed counts */
	unsigned long resets;
	struct dentry *dentry;
	struct kref kref;
	unsigned int cpu;
	bool finalized;
} ____cacheline_aligned;

/**
 * struct relayx_callbacks - client hooks; any member may be NULL
 * @subbuf_start: called when the writer enters a new sub-buffer; return 0
 *	to refuse (the message is dropped and the call repeats on the next
 *	write or flush), 1 to accept. The default refuses when the buffer is
 *	full. @prev_subbuf is the sub-buffer just finished, handed over once:
 *	readers get it only after this call, so a header written into it is
 *	never seen half-done; NULL at open, after a reset and on repeats.
 * @buf_mapped: a buffer file was mmapped
 * @buf_unmapped: that mapping went away
 * @create_buf_file: create the file of a buffer; set *@is_global to make
 *	one buffer serve every CPU. The default creates a debugfs file.
 * @remove_buf_file: remove a file made by @create_buf_file
 */
struct relayx_callbacks {
	int (*subbuf_start)(struct relayx_buf *buf, void *subbuf,
			    void *prev_subbuf, size_t prev_padding);
	void (*buf_mapped)(struct relayx_buf *buf, struct file *filp);
	void (*buf_unmapped)(struct relayx_buf *buf, struct file *filp);
	struct dentry *(*create_buf_file)(const char *filename,
					  struct dentry *parent, umode_t mode,
					  struct relayx_buf *buf, int *is_global);
	int (*remove_buf_file)(struct dentry *dentry);
};

/**
 * struct relayx_chan - a relay channel
 * @subbuf_size: bytes per sub-buffer
 * @n_subbufs: sub-buffers per buffer
 * @alloc_size: bytes per buffer
 * @cb: the callbacks in use, never NULL: @callbacks, or relayx's own
 *	once the channel is closed
 * @callbacks: the client's callbacks, NULL members filled with defaults
 * @private_data: the client's, untouched by relayx
 * @buf: the buffer of each possible CPU (all the same one in global mode);
 *	published with release, read locklessly with acquire
 * @is_global: one buffer serves all CPUs; settled by the first buffer
 * @has_base_filename: the buffers have files
 * @parent: directory of the files
 * @base_filename: name prefix of the files
 * @stats_dentry: the channel's stats file, if any
 * @hotcpu_list: entry in relay_hotcpu.c's list of channels
 * @up_cpus: CPUs that may run a writer: set when relayx prepares a CPU
 *	coming up, cleared once it is dead; under @lock. Allocated with the
 *	channel, as many bits as there are CPU ids
 * @lock: serializes buffer creation, file setup and teardown, flushes
 * @cb_lock: serializes the buf_mapped/buf_unmapped callbacks, which run
 *	under mmap_lock, with relayx_close() taking the callbacks back
 * @kref: held by the client until relayx_close() and by every buffer
 */
struct relayx_chan {
	size_t subbuf_size;
	size_t n_subbufs;
	size_t alloc_size;
	const struct relayx_callbacks *cb;
	struct relayx_callbacks callbacks;
	void *private_data;
	struct relayx_buf * __percpu *buf;
	bool is_global;
	bool has_base_filename;
	struct dentry *parent;
	char base_filename[NAME_MAX];
	struct dentry *stats_dentry;
	struct list_head hotcpu_list;
	struct mutex lock;		/* buffers and files of the channel */
	struct mutex cb_lock;		/* @cb for the mapping callbacks */
	struct kref kref;
	unsigned long up_cpus[];	/* a cpumask of nr_cpu_ids bits */
};

/* Flags answered by relayx_stats(); the values match upstream's. */
#define RELAYX_STATS_BUF_FULL	BIT(0)
#define RELAYX_STATS_WRT_BIG	BIT(1)

struct relayx_chan *relayx_open_err(const char *base_filename,
				    struct dentry *parent,
				    size_t subbuf_size, size_t n_subbufs,
				    const struct relayx_callbacks *cb,
				    void *private_data);
struct relayx_chan *relayx_open(const char *base_filename,
				struct dentry *parent,
				size_t subbuf_size, size_t n_subbufs,
				const struct relayx_callbacks *cb,
				void *private_data);
int relayx_late_setup_files(struct relayx_chan *chan,
			    const char *base_filename, struct dentry *parent);
void relayx_close(struct relayx_chan *chan);

/* BPF programs name a published channel by a number below this. */
#define RELAYX_BPF_MAX_IDS	64
int relayx_bpf_publish(struct relayx_chan *chan, u32 id);
void relayx_bpf_unpublish(struct relayx_chan *chan);
void relayx_flush(struct relayx_chan *chan);
void relayx_reset(struct relayx_chan *chan);
void relayx_subbufs_consumed(struct relayx_chan *chan, unsigned int cpu,
			     size_t subbufs_consumed);
int relayx_buf_full(struct relayx_buf *buf);
size_t relayx_switch_subbuf(struct relayx_buf *buf, size_t length);
void relayx_subbuf_start_reserve(struct relayx_buf *buf, size_t length);
size_t relayx_stats(struct relayx_chan *chan, int flags);
__printf(2, 0) int relayx_vprintf(struct relayx_chan *chan, const char *fmt,
				  va_list args);
__printf(2, 3) int relayx_printf(struct relayx_chan *chan, const char *fmt, ...);
int relayx_buf_stats(struct relayx_chan *chan, unsigned int cpu,
		     struct relayx_buf_counts *stats);

extern const struct file_operations relayx_file_operations;

/**
 * relayx_subbuf_addr - kernel address of a sub-buffer
 * @buf: the buffer
 * @k: the sub-buffer, below n_subbufs
 *
 * Return: the start of a linear range of subbuf_size bytes.
 */
static inline void *relayx_subbuf_addr(const struct relayx_buf *buf, size_t k)
{
	size_t off = k * buf->chan->subbuf_size;

	if (buf->vaddr)
		return buf->vaddr + off;
	return page_address(buf->pages[off >> PAGE_SHIFT]) + offset_in_page(off);
}

/* The offset in its sub-buffer of a write position packed in buf->tail. */
static __always_inline size_t relayx_pos_off(unsigned long pos)
{
	return pos & RELAYX_OFF_MASK;
}

/**
 * relayx_buf_offset - the write position in the current sub-buffer
 * @buf: the buffer
 *
 * Return: the offset, or subbuf_size + 1 between a finished sub-buffer
 * and the next (a refused switch).
 */
static inline size_t relayx_buf_offset(struct relayx_buf *buf)
{
	return relayx_pos_off(READ_ONCE(buf->tail));
}

/**
 * relayx_buf_committed - what readers may read of sub-buffer subbufs_produced
 * @buf: the buffer
 *
 * Return: the number of bytes from the start of that sub-buffer.
 */
static inline size_t relayx_buf_committed(struct relayx_buf *buf)
{
	/* Pairs with the releases in relayx_buf_commit() and relay_writer.c. */
	return relayx_pos_off(smp_load_acquire(&buf->committed));
}

void *relayx_reserve_slow(struct relayx_buf *buf, size_t length);
void relayx_commit_slow(struct relayx_buf *buf);
void relayx_commit_held_slow(struct relayx_buf *buf, const void *slot,
			     size_t held);

/*
 * Claim @length bytes at the write position of @buf if the current
 * sub-buffer has room, and set *@slot to them and *@claimed to their
 * packed position; false if it has not. The
 * writers of a buffer run on its CPU and may interrupt one another
 * anywhere (task, softirq, hard interrupt, NMI). A claim is one compare
 * and exchange on tail, which fails if a nested writer claimed or
 * switched sub-buffers in between (the generation in tail changes on
 * every switch). limit and base are read between the read of tail and
 * the exchange; a switch zeroes limit before it closes the sub-buffer,
 * and stores the new limit and base before the tail that opens the next:
 * if the exchange succeeds, no switch came in between, and limit and base
 * belong to the sub-buffer the slot is in.
 */
static __always_inline bool relayx_buf_claim_at(struct relayx_buf *buf,
						size_t length, void **slot,
						unsigned long *claimed)
{
	unsigned long pos = READ_ONCE(buf->tail), end, seen, base;

	for (;;) {
		/*
		 * limit and base are read after tail (the exchange is a
		 * barrier too). Only writers of this CPU store them, and one
		 * that interrupts here makes the exchange fail: the reads may
		 * race with it, on purpose (data_race()), and stay plain so
		 * that the compiler compares with memory directly.
		 */
		barrier();
		end = pos + length;
		/* A length so large that the sum wrapped. */
		if (unlikely(end < length))
			return false;
		/* Racy on purpose, as said above. */
		if (unlikely(end > data_race(buf->limit)))
			return false;
		/* Racy on purpose, as said above. */
		base = data_race(buf->base);
		seen = cmpxchg_local(&buf->tail, pos, end);
		if (likely(seen == pos))
			break;
		pos = seen;
	}
	/* An empty message is no message (upstream counts nothing at all). */
	if (likely(length))
		local64_inc(&buf->stats.msgs);
	local64_add(length, &buf->stats.bytes);
	*slot = (void *)(base + pos);
	*claimed = pos;
	return true;
}

/* relayx_buf_claim_at() for a writer that needs only the slot. */
static __always_inline bool relayx_buf_claim(struct relayx_buf *buf,
					     size_t length, void **slot)
{
	unsigned long pos;

	return relayx_buf_claim_at(buf, length, slot, &pos);
}

/*
 * Reserve @length bytes in @buf, moving to the next sub-buffer when the
 * current one has no room. The caller counts itself in buf->nest first,
 * and calls relayx_buf_commit() after, whatever this returns.
 */
static __always_inline void *relayx_buf_reserve(struct relayx_buf *buf,
						size_t length)
{
	void *slot;

	if (likely(relayx_buf_claim(buf, length, &slot)))
		return slot;
	return relayx_reserve_slow(buf, length);
}

/*
 * Leave @buf as a writer. The outermost writer on the CPU publishes
 * everything up to tail. Writers nested in it (interrupts and NMIs of its
 * CPU) ran to their end inside it, so their slots are complete by then;
 * one that is nested leaves publishing to the writer it interrupted,
 * which may still be copying into a slot claimed before its own. tail is
 * read before nest: a switch between the two leaves RELAYX_NEST_DIRTY,
 * and the slow path publishes what it finished. A writer that interrupts
 * after the read of tail, and does not publish because it is nested,
 * changes tail: the outermost one sees that after it has left, and
 * publishes again.
 */
static __always_inline void relayx_buf_commit(struct relayx_buf *buf)
{
	unsigned long pos = READ_ONCE(buf->tail);

	if (likely(local_read(&buf->nest) == 1)) {
		/*
		 * The bytes of the slots are visible before readers learn
		 * of them. Pairs with the acquire in relayx_buf_committed().
		 */
		smp_store_release(&buf->committed, pos);
		local_dec(&buf->nest);
		/* tail is read again, after the decrement. */
		barrier();
		/* Moved by interrupts' writers at any time: racy on purpose. */
		if (likely(data_race(buf->tail) == pos))
			return;
		local_inc(&buf->nest);
	}
	relayx_commit_slow(buf);
}

/*
 * Leave @buf after claiming @slot, @held bytes that the client fills
 * after this returns (relayx_reserve()): publish what lies before the
 * slot, and nothing from it on. A writer that interrupts after the claim
 * (an NMI, which the client cannot mask) may claim after the slot, or
 * finish its sub-buffer: then the bytes before tail are not the slot,
 * and the sub-buffers handed over may include the slot's. So the fast
 * path publishes only when the slot ends at tail in the current
 * sub-buffer (base is that sub-buffer's: a switch changes it, and sets
 * RELAYX_NEST_DIRTY), and stores the slot's start. An interrupt after
 * that test leaves the sub-buffer readers are at, the slot's, to this
 * writer: the store is still right. Nothing after the slot is published
 * here; the next commit does it (its writer took the slow path or moved
 * tail).
 */
static __always_inline void relayx_buf_commit_held(struct relayx_buf *buf,
						   const void *slot,
						   size_t held)
{
	unsigned long pos = READ_ONCE(buf->tail), end;

	if (likely(local_read(&buf->nest) == 1)) {
		/* Racy on purpose, as in relayx_buf_claim(). */
		end = data_race(buf->base) + pos;
		if (likely(end == (unsigned long)slot + held)) {
			/* Pairs with the acquire in relayx_buf_committed(). */
			smp_store_release(&buf->committed, pos - held);
			local_dec(&buf->nest);
			return;
		}
	}
	relayx_commit_held_slow(buf, slot, held);
}

/*
 * relayx_buf_commit_held() right after a claim of this writer's fast
 * path, which claimed @held bytes at @pos (packed) for @slot. The
 * outermost writer with RELAYX_NEST_DIRTY clear knows that no switch ran
 * since its claim (every switch sets DIRTY first, and only an outermost
 * commit clears it): readers are at the slot's sub-buffer, and @pos, the
 * slot's start, is the end of a complete prefix of it (what was claimed
 * before the slot is complete: its writers ran before or are done). A
 * writer that interrupted and claimed after the slot left its message
 * for the next commit, as relayx_buf_commit_held() does. So the fast
 * path needs neither tail nor base; anything else takes the slow path.
 */
static __always_inline void relayx_buf_commit_claim(struct relayx_buf *buf,
						    const void *slot,
						    unsigned long pos,
						    size_t held)
{
	if (likely(local_read(&buf->nest) == 1)) {
		/* Pairs with the acquire in relayx_buf_committed(). */
		smp_store_release(&buf->committed, pos);
		local_dec(&buf->nest);
		return;
	}
	relayx_commit_held_slow(buf, slot, held);
}

/* Copy a message into @buf and publish it; the caller pins the CPU. */
static __always_inline void relayx_buf_write(struct relayx_buf *buf,
					     const void *data, size_t length)
{
	void *slot;

	local_inc(&buf->nest);
	if (unlikely(!relayx_buf_claim(buf, length, &slot))) {
		slot = relayx_reserve_slow(buf, length);
		if (!slot)
			goto out;
	}
	memcpy(slot, data, length);
out:
	relayx_buf_commit(buf);
}

/**
 * relayx_write - write a message to the current CPU's buffer
 * @chan: the channel
 * @data: the message
 * @length: its length in bytes
 *
 * Safe in any context, NMI included, and never masks interrupts: writers
 * that interrupt one another on a CPU each get their own slot, and the
 * data of all of them reaches readers when the outermost one is done. A
 * message that does not fit is dropped and counted, never truncated.
 */
static inline void relayx_write(struct relayx_chan *chan, const void *data,
				size_t length)
{
	preempt_disable();
	relayx_buf_write(this_cpu_read(*chan->buf), data, length);
	preempt_enable();
}

/**
 * __relayx_write - write a message to the current CPU's buffer
 * @chan: the channel
 * @data: the message
 * @length: its length in bytes
 *
 * The same as relayx_write(). Upstream's variant leaves interrupts on and
 * relies on the client to keep interrupt handlers away; relayx's writer
 * needs neither, so the two names are one function.
 */
static inline void __relayx_write(struct relayx_chan *chan, const void *data,
				  size_t length)
{
	relayx_write(chan, data, length);
}

/**
 * relayx_write_begin - reserve a slot and keep it unpublished until filled
 * @chan: the channel
 * @length: bytes to reserve, at most the sub-buffer size
 *
 * Disables preemption and returns a contiguous writable slot of exactly
 * @length bytes; the caller fills it and calls relayx_write_end() on the
 * same CPU. Readers get the slot only after that, whatever other writers
 * of the CPU (interrupts, NMIs) do meanwhile. Safe in any context, NMI
 * included.
 *
 * Return: the slot, or NULL when the message was dropped (and counted);
 * then preemption is enabled again and relayx_write_end() is not called.
 */
static inline void *relayx_write_begin(struct relayx_chan *chan,
				       size_t length)
{
	struct relayx_buf *buf;
	void *slot;

	preempt_disable();
	buf = this_cpu_read(*chan->buf);
	local_inc(&buf->nest);
	slot = relayx_buf_reserve(buf, length);
	if (!slot) {
		relayx_buf_commit(buf);
		preempt_enable();
	}
	return slot;
}

/**
 * relayx_write_end - publish the slot of relayx_write_begin()
 * @chan: the channel
 *
 * Enables preemption again.
 */
static inline void relayx_write_end(struct relayx_chan *chan)
{
	relayx_buf_commit(this_cpu_read(*chan->buf));
	preempt_enable();
}

/**
 * relayx_reserve - reserve a slot in the current CPU's buffer
 * @chan: the channel
 * @length: bytes to reserve, at most the sub-buffer size
 *
 * Upstream's relay_reserve(): returns a contiguous writable slot of
 * exactly @length bytes, or NULL when the message was dropped (and
 * counted). The slot has no commit: readers get it with the next write or
 * reservation on the buffer, which is why the caller keeps preemption
 * disabled, and interrupts too if interrupt handlers write to @chan, until
 * it has filled the slot. Writers that cannot do that use
 * relayx_write_begin().
 */
static inline void *relayx_reserve(struct relayx_chan *chan, size_t length)
{
	struct relayx_buf *buf;
	unsigned long pos;
	void *slot;

	lockdep_assert_preemption_disabled();
	buf = this_cpu_read(*chan->buf);
	local_inc(&buf->nest);
	if (likely(relayx_buf_claim_at(buf, length, &slot, &pos))) {
		if (likely(length)) {
			relayx_buf_commit_claim(buf, slot, pos, length);
			return slot;
		}
	} else {
		slot = relayx_reserve_slow(buf, length);
	}
	if (slot && length)
		relayx_buf_commit_held(buf, slot, length);
	else
		relayx_buf_commit(buf);
	return slot;
}

#endif /* _RELAYX_RELAYX_H */
