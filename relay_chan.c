// SPDX-License-Identifier: GPL-2.0
/*
 * relayx channels: their life from open, late setup and CPU bring-up to
 * flush, reset and close, their stats and module init. The writer's
 * protocol (the switch, the slow commit, publication) is in
 * relay_writer.c and include/relayx/relayx.h, the readers' in
 * relay_consume.c, the storage in relay_buf.c, the files in
 * relay_debugfs.c and relay_file.c, CPU hotplug in relay_hotcpu.c.
 *
 * Flush, reset and close touch a buffer's writer state only where no
 * writer can interleave: flush switches on the buffer's CPU with
 * interrupts off (or where its CPU runs no writer), reset and close run
 * when the client has stopped writing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/workqueue.h>

#include "relayx_internal.h"

static void relayx_chan_release(struct kref *kref)
{
	struct relayx_chan *chan = container_of(kref, struct relayx_chan, kref);

	free_percpu(chan->buf);
	kfree(chan);
}

static void relayx_wakeup_task(struct work_struct *work)
{
	struct relayx_buf *buf = container_of(work, struct relayx_buf,
					      wakeup_task);

	wake_up_interruptible(&buf->read_wait);
}

/*
 * A hard irq_work: it runs from the interrupt the writer raises, on every
 * kernel. PREEMPT_RT would otherwise run it in its CPU's irq_work thread,
 * which is parked while the CPU goes down: a wakeup queued then would stay
 * pending until the CPU came back, every later one would fail to queue,
 * and the last release of the buffer would wait for it in irq_work_sync()
 * (design.rst, "PREEMPT_RT"). A CPU going down runs its pending hard
 * irq_work itself. In hard interrupt context PREEMPT_RT cannot take the
 * wait queue's lock, a sleeping lock there: a work item, which may be
 * queued from there and runs wherever its CPU is, wakes the readers.
 */
static void relayx_wakeup_readers(struct irq_work *work)
{
	struct relayx_buf *buf = container_of(work, struct relayx_buf,
					      wakeup_work);

	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		queue_work(system_unbound_wq, &buf->wakeup_task);
	else
		wake_up_interruptible(&buf->read_wait);
}

/* Put @buf back in the state of a freshly opened buffer. */
static void relayx_buf_reset(struct relayx_buf *buf)
{
	struct relayx_chan *chan = buf->chan;

	buf->subbufs_produced = 0;
	buf->subbufs_consumed = 0;
	buf->bytes_consumed = 0;
	buf->bytes_seq = 0;
	buf->prev_padding = 0;
	buf->bytes_produced = 0;
	buf->committed = 0;
	buf->handed = 0;
	WRITE_ONCE(buf->tail, 0);
	local_set(&buf->nest, 0);
	buf->switching = false;
	buf->hdr = 0;
	buf->entered = 0;
	buf->holder = NULL;
	atomic_long_set(&buf->gate, 0);
	local64_set(&buf->stats.msgs, 0);
	local64_set(&buf->stats.bytes, 0);
	local64_set(&buf->stats.full, 0);
	local64_set(&buf->stats.bytes_full, 0);
	local64_set(&buf->stats.big, 0);
	local64_set(&buf->stats.bytes_big, 0);
	local64_set(&buf->stats.overwritten, 0);
	memset(buf->padding, 0, chan->n_subbufs * sizeof(*buf->padding));
	relayx_buf_update_size(buf);
	buf->prev_pending = false;
	buf->data = relayx_subbuf_addr(buf, 0);
	/*
	 * Upstream ignores what this first call returns: the writer starts
	 * in sub-buffer 0 whatever it says. So does relayx.
	 */
	chan->cb->subbuf_start(buf, buf->data, NULL, 0);
	buf->base = (unsigned long)buf->data;
	buf->limit = chan->subbuf_size;
	WRITE_ONCE(buf->tail, buf->hdr);
	buf->committed = buf->hdr;
}

void relayx_buf_get(struct relayx_buf *buf)
{
	kref_get(&buf->kref);
}
EXPORT_SYMBOL_IF_RELAYX_TESTS(relayx_buf_get);

static void relayx_buf_release(struct kref *kref)
{
	struct relayx_buf *buf = container_of(kref, struct relayx_buf, kref);
	struct relayx_chan *chan = buf->chan;

	irq_work_sync(&buf->wakeup_work);
	cancel_work_sync(&buf->wakeup_task);
	relayx_buf_free(buf);
	kref_put(&chan->kref, relayx_chan_release);
}

void relayx_buf_put(struct relayx_buf *buf)
{
	kref_put(&buf->kref, relayx_buf_release);
}
EXPORT_SYMBOL_IF_RELAYX_TESTS(relayx_buf_put);

/*
 * The buffer every CPU shares in global mode, once it exists. Needs no
 * lock: the global flush calls it under the client's writer lock only.
 */
static struct relayx_buf *relayx_global_buf(struct relayx_chan *chan)
{
	struct relayx_buf *buf;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		buf = relayx_chan_buf(chan, cpu);
		if (buf)
			return buf;
	}
	return NULL;
}

/**
 * relayx_chan_set_global - take the client's word on global mode
 * @chan: the channel, chan->lock held
 * @is_global: what create_buf_file said
 *
 * Settled by the first buffer, before it is published: by then flush,
 * reset and close know how many buffers there are. A later change of
 * mind is ignored.
 */
void relayx_chan_set_global(struct relayx_chan *chan, bool is_global)
{
	lockdep_assert_held(&chan->lock);
	if (!relayx_global_buf(chan))
		chan->is_global = is_global;
	else if (is_global != chan->is_global)
		pr_warn_once("create_buf_file changed is_global after the first buffer; ignored\n");
}

/* Does one more buffer fit in half of the memory available now? */
static bool relayx_buf_fits(struct relayx_chan *chan)
{
	unsigned long need = relayx_buf_pages_needed(chan->alloc_size,
						     chan->n_subbufs);
	unsigned long avail = si_mem_available();

	if (need <= avail / 2)
		return true;
	pr_warn_ratelimited("a buffer of %lu pages wanted, %lu pages available\n",
			    need, avail);
	return false;
}

static void relayx_buf_publish(struct relayx_chan *chan, unsigned int cpu,
			       struct relayx_buf *buf)
{
	/*
	 * Orders the initialisation of @buf before its pointer; pairs with
	 * the acquire in relayx_chan_buf() of lockless readers.
	 */
	smp_store_release(per_cpu_ptr(chan->buf, cpu), buf);
}

/**
 * relayx_buf_create - give @cpu its buffer (and file) in @chan
 * @chan: the channel
 * @cpu: the CPU
 *
 * Called with chan->lock held, before any writer can run on @cpu.
 *
 * Return: the buffer, or NULL when it could not be made.
 */
struct relayx_buf *relayx_buf_create(struct relayx_chan *chan, unsigned int cpu)
{
	struct relayx_buf *buf;

	lockdep_assert_held(&chan->lock);
	buf = *per_cpu_ptr(chan->buf, cpu);
	if (buf)
		return buf;
	if (chan->is_global) {
		buf = relayx_global_buf(chan);
		relayx_buf_publish(chan, cpu, buf);
		return buf;
	}

	if (!relayx_buf_fits(chan))
		return NULL;
	buf = relayx_buf_alloc(chan, cpu);
	if (!buf)
		return NULL;
	init_waitqueue_head(&buf->read_wait);
	buf->wakeup_work = IRQ_WORK_INIT_HARD(relayx_wakeup_readers);
	INIT_WORK(&buf->wakeup_task, relayx_wakeup_task);
	mutex_init(&buf->read_mutex);
	kref_init(&buf->kref);
	kref_get(&chan->kref);

	/*
	 * Reset before the file exists: from then on a reader can open it
	 * and copy what the reset writes (the first sub-buffer's header)
	 * without read_mutex.
	 */
	relayx_buf_reset(buf);
	if (chan->has_base_filename && relayx_buf_create_file(buf)) {
		relayx_buf_put(buf);
		return NULL;
	}
	if (!chan->has_base_filename && !relayx_global_buf(chan))
		relayx_ask_global(chan, buf);
	relayx_buf_publish(chan, cpu, buf);
	return buf;
}

static int relayx_check_name(const char *base_filename)
{
	/* Leave room for the CPU number appended to the name. */
	if (strnlen(base_filename, NAME_MAX) >= NAME_MAX - 10) {
		pr_warn_ratelimited("base filename too long\n");
		return -ENAMETOOLONG;
	}
	if (!*base_filename || strchr(base_filename, '/')) {
		pr_warn_ratelimited("bad base filename '%s'\n", base_filename);
		return -EINVAL;
	}
	return 0;
}

/*
 * Reasons are logged once per failed call, at the point where the cause is
 * known; the caller only sees the errno.
 */
static int relayx_check_args(const char *base_filename, size_t subbuf_size,
			     size_t n_subbufs, size_t *alloc_size)
{
	unsigned long pages, avail;
	size_t bytes;

	if (!subbuf_size || !n_subbufs) {
		pr_warn_ratelimited("open: zero sub-buffer size or count\n");
		return -EINVAL;
	}
	/* padding[] holds u32s: four bytes per sub-buffer, not eight. */
	if (subbuf_size > U32_MAX || subbuf_size > RELAYX_SUBBUF_MAX ||
	    check_mul_overflow(subbuf_size, n_subbufs, &bytes) ||
	    bytes > (size_t)UINT_MAX << PAGE_SHIFT) {
		pr_warn_ratelimited("open: %zu sub-buffers of %zu bytes overflow\n",
				    n_subbufs, subbuf_size);
		return -EOVERFLOW;
	}
	/* Whole pages, as upstream's alloc_size: clients read it. */
	*alloc_size = PAGE_ALIGN(bytes);
	/*
	 * Refuse here rather than let the OOM killer pay for a typo. Whether
	 * the channel is global is only known once its first buffer exists:
	 * this checks one buffer, relayx_open_bufs() the others.
	 */
	pages = relayx_buf_pages_needed(*alloc_size, n_subbufs);
	avail = si_mem_available();
	if (pages > avail / 2) {
		pr_warn_ratelimited("open: %lu pages wanted, %lu available\n",
				    pages, avail);
		return -ENOMEM;
	}
	return base_filename ? relayx_check_name(base_filename) : 0;
}

static void relayx_set_callbacks(struct relayx_chan *chan,
				 const struct relayx_callbacks *cb)
{
	const struct relayx_callbacks *def = &relayx_default_callbacks;

	if (cb)
		chan->callbacks = *cb;
	if (!chan->callbacks.subbuf_start)
		chan->callbacks.subbuf_start = def->subbuf_start;
	if (!chan->callbacks.buf_mapped)
		chan->callbacks.buf_mapped = def->buf_mapped;
	if (!chan->callbacks.buf_unmapped)
		chan->callbacks.buf_unmapped = def->buf_unmapped;
	if (!chan->callbacks.create_buf_file)
		chan->callbacks.create_buf_file = def->create_buf_file;
	if (!chan->callbacks.remove_buf_file)
		chan->callbacks.remove_buf_file = def->remove_buf_file;
	chan->cb = &chan->callbacks;
}

/*
 * The buffers of the CPUs online now, made before the channel joins CPU
 * hotplug, so that they are allocated while no CPU bring-up waits for
 * relayx's lock. CPUs that come or go meanwhile are fine: joining gives
 * a buffer to every CPU up or coming up by then, and an extra buffer is
 * what a CPU going down keeps anyway. The first buffer tells
 * whether the channel is global; a per-cpu channel must fit a buffer per
 * online CPU in half the memory available before the first.
 */
static int relayx_open_bufs(struct relayx_chan *chan)
{
	unsigned long need = relayx_buf_pages_needed(chan->alloc_size,
						     chan->n_subbufs);
	unsigned int cpu, count = num_online_cpus();
	unsigned long avail;
	bool first = true;
	int err = 0;

	mutex_lock(&chan->lock);
	for_each_online_cpu(cpu) {
		if (!relayx_buf_create(chan, cpu)) {
			err = -ENOMEM;
			break;
		}
		if (!first || chan->is_global)
			continue;
		first = false;
		/* What was available before the first buffer took its share. */
		avail = si_mem_available() + need;
		if (count * need > avail / 2) {
			pr_warn_ratelimited("open: %u buffers of %lu pages wanted, %lu pages available\n",
					    count, need, avail);
			err = -ENOMEM;
			break;
		}
	}
	mutex_unlock(&chan->lock);
	return err;
}

/**
 * relayx_open_err - create a channel, reporting why it could not be
 * @base_filename: prefix of the per-cpu file names, NULL for a
 *	buffer-only channel (see relayx_late_setup_files())
 * @parent: directory of the files, NULL for the debugfs root
 * @subbuf_size: bytes per sub-buffer
 * @n_subbufs: sub-buffers per buffer
 * @cb: client callbacks, may be NULL
 * @private_data: stored in the channel for the client
 *
 * Process context, including under cpus_read_lock() and from a CPU
 * hotplug callback, as upstream's relay_open().
 *
 * Return: the channel, or an ERR_PTR: -EINVAL for zero sizes or a bad
 * name, -EOVERFLOW when the buffer size overflows, -ENAMETOOLONG, -ENOMEM
 * when the buffers do not fit in half the available memory or cannot be
 * allocated.
 */
struct relayx_chan *relayx_open_err(const char *base_filename,
				    struct dentry *parent,
				    size_t subbuf_size, size_t n_subbufs,
				    const struct relayx_callbacks *cb,
				    void *private_data)
{
	struct relayx_chan *chan;
	size_t alloc_size;
	int err;

	err = relayx_check_args(base_filename, subbuf_size, n_subbufs,
				&alloc_size);
	if (err)
		return ERR_PTR(err);

	chan = kzalloc(struct_size(chan, up_cpus, BITS_TO_LONGS(nr_cpu_ids)),
		       GFP_KERNEL);
	if (!relayx_alloc_seen(RELAYX_ALLOC_CHAN, chan))
		return ERR_PTR(-ENOMEM);
	chan->buf = relayx_alloc_percpu(struct relayx_buf *);
	if (!relayx_alloc_seen(RELAYX_ALLOC_BUF_PTRS, chan->buf)) {
		kfree(chan);
		return ERR_PTR(-ENOMEM);
	}
	chan->subbuf_size = subbuf_size;
	chan->n_subbufs = n_subbufs;
	chan->alloc_size = alloc_size;
	chan->private_data = private_data;
	chan->parent = parent;
	if (base_filename) {
		chan->has_base_filename = true;
		strscpy(chan->base_filename, base_filename, NAME_MAX);
	}
	relayx_set_callbacks(chan, cb);
	mutex_init(&chan->lock);
	mutex_init(&chan->cb_lock);
	kref_init(&chan->kref);
	INIT_LIST_HEAD(&chan->hotcpu_list);

	err = relayx_open_bufs(chan);
	if (!err)
		err = relayx_hotcpu_add(chan);
	if (err) {
		pr_warn_ratelimited("open: cannot set up the buffers and files: %d\n",
				    err);
		relayx_close(chan);
		return ERR_PTR(err);
	}
	if (chan->has_base_filename)
		relayx_chan_create_stats(chan);
	return chan;
}
EXPORT_SYMBOL_GPL(relayx_open_err);

/**
 * relayx_open - create a channel
 * @base_filename: prefix of the per-cpu file names, NULL for a
 *	buffer-only channel (see relayx_late_setup_files())
 * @parent: directory of the files, NULL for the debugfs root
 * @subbuf_size: bytes per sub-buffer
 * @n_subbufs: sub-buffers per buffer
 * @cb: client callbacks, may be NULL
 * @private_data: stored in the channel for the client
 *
 * Creates a buffer for every online CPU, and one for each CPU that comes
 * online later. Like upstream's relay_open(), failure is reported as
 * NULL; relayx_open_err() gives the reason. Same context rules as
 * relayx_open_err().
 *
 * Return: the channel, or NULL.
 */
struct relayx_chan *relayx_open(const char *base_filename,
				struct dentry *parent,
				size_t subbuf_size, size_t n_subbufs,
				const struct relayx_callbacks *cb,
				void *private_data)
{
	struct relayx_chan *chan;

	chan = relayx_open_err(base_filename, parent, subbuf_size, n_subbufs,
			       cb, private_data);
	return IS_ERR(chan) ? NULL : chan;
}
EXPORT_SYMBOL_GPL(relayx_open);

/**
 * relayx_late_setup_files - give a buffer-only channel its files
 * @chan: a channel opened with a NULL base filename
 * @base_filename: prefix of the per-cpu file names
 * @parent: directory of the files, NULL for the debugfs root
 *
 * Process context, including under cpus_read_lock() and from CPU hotplug
 * callbacks: it takes only chan->lock, which serializes it with buffer
 * creation. Writers may run meanwhile.
 *
 * Return: 0, -EINVAL for bad arguments, -EEXIST when @chan has files
 * already, or the error of the file creation (nothing is left behind).
 */
int relayx_late_setup_files(struct relayx_chan *chan,
			    const char *base_filename, struct dentry *parent)
{
	struct dentry *old_parent;
	struct relayx_buf *buf;
	unsigned int cpu, undo;
	int err;

	if (!chan || !base_filename)
		return -EINVAL;
	err = relayx_check_name(base_filename);
	if (err)
		return err;

	mutex_lock(&chan->lock);
	if (chan->has_base_filename) {
		err = -EEXIST;
		goto out;
	}
	old_parent = chan->parent;
	strscpy(chan->base_filename, base_filename, NAME_MAX);
	chan->parent = parent;
	/* Every CPU that has a buffer, online or not, gets its file. */
	for_each_possible_cpu(cpu) {
		buf = *per_cpu_ptr(chan->buf, cpu);
		if (!buf || buf->dentry)
			continue;
		err = relayx_buf_create_file(buf);
		if (err)
			break;
	}
	if (err) {
		for_each_possible_cpu(undo) {
			buf = *per_cpu_ptr(chan->buf, undo);
			/* Writers may hold the dentry: wait for them. */
			if (buf && buf->dentry)
				relayx_buf_remove_file(buf, true);
		}
		chan->parent = old_parent;
		goto out;
	}
	chan->has_base_filename = true;
	relayx_chan_create_stats(chan);
out:
	mutex_unlock(&chan->lock);
	return err;
}
EXPORT_SYMBOL_GPL(relayx_late_setup_files);

/* Call @fn once for every buffer of @chan (once in global mode). */
static void relayx_apply_bufs(struct relayx_chan *chan,
			      void (*fn)(struct relayx_buf *buf))
{
	struct relayx_buf *buf;
	unsigned int cpu;

	if (chan->is_global) {
		buf = relayx_global_buf(chan);
		if (buf)
			fn(buf);
		return;
	}
	/* Buffers are only added, and kept until relayx_close(). */
	for_each_possible_cpu(cpu) {
		buf = relayx_chan_buf(chan, cpu);
		if (buf)
			fn(buf);
	}
}

/*
 * Finish the current sub-buffer of @buf, on its CPU or where no writer of
 * it runs. Refused before? Then the switch is tried again, as upstream's.
 */
static void relayx_buf_flush(struct relayx_buf *buf)
{
	relayx_switch_subbuf(buf, 0);
}

/* On the buffer's CPU, from the IPI: a writer nested like an interrupt's. */
static void relayx_buf_flush_ipi(void *info)
{
	relayx_buf_flush(info);
}

static void relayx_buf_retry_ipi(void *info)
{
	relayx_writer_retry(info);
}

/*
 * Run @fn(@buf), a switch of @buf's writer state, where no writer of it
 * can interleave, waiting for nothing
 * but an interrupt of its CPU. chan->lock keeps @buf's bit in up_cpus as
 * it is (relay_hotcpu.c changes it under that lock):
 *
 * - bit set, CPU online: an IPI runs the switch there in hard interrupt
 *   context, nested in whatever writer it interrupts as an interrupt's
 *   writer is (or here, interrupts off, when it is this CPU). A thread
 *   that never leaves that CPU (a real-time spinner) does not hold it up.
 * - bit clear: the CPU runs no writer, and gets none meanwhile: here.
 * - bit set, CPU not online: a hotplug operation has it between relayx's
 *   prepare and dead callbacks, or left it parked there (the hotplug
 *   "target" of sysfs). It runs nothing then but, in a transition, its
 *   own starting or dying callbacks, with interrupts off: here too
 *   (api.rst, relayx_flush(): writers in those callbacks).
 *
 * smp_call_function_single() waits for the IPI with preemption disabled
 * and takes no lock: callable with chan->lock held, under
 * cpus_read_lock() and from hotplug callbacks.
 */
static void relayx_buf_run(struct relayx_buf *buf, smp_call_func_t fn)
{
	struct relayx_chan *chan = buf->chan;
	unsigned long flags;

	lockdep_assert_held(&chan->lock);
	if (!cpumask_test_cpu(buf->cpu, to_cpumask(chan->up_cpus)) ||
	    smp_call_function_single(buf->cpu, fn, buf, 1)) {
		local_irq_save(flags);
		fn(buf);
		local_irq_restore(flags);
	}
}

static void relayx_buf_flush_safely(struct relayx_buf *buf)
{
	struct relayx_chan *chan = buf->chan;

	mutex_lock(&chan->lock);
	relayx_buf_run(buf, relayx_buf_flush_ipi);
	mutex_unlock(&chan->lock);
}

/**
 * relayx_buf_retry - try again the switch a reader's hold refused
 * @buf: a buffer whose reader just let go of a sub-buffer the writer
 *	wanted to overwrite (relayx_unhold() said so); no reader lock held
 *
 * The finished sub-buffer of that switch is pending: readers would get
 * it only with the next write or flush. The switch is made now, on the
 * buffer's CPU as a flush makes it (relayx_writer_retry()). Not in
 * global mode, whose writers relayx cannot keep out (the client's lock
 * does): there the next write or flush hands it over. Nothing after the
 * close, which handed everything over. Process context; may sleep.
 */
void relayx_buf_retry(struct relayx_buf *buf)
{
	struct relayx_chan *chan = buf->chan;

	if (chan->is_global)
		return;
	mutex_lock(&chan->lock);
	/* Set under chan->lock by relayx_close(). */
	if (!buf->finalized)
		relayx_buf_run(buf, relayx_buf_retry_ipi);
	mutex_unlock(&chan->lock);
}

/*
 * Global mode: the client keeps its writers out (see relayx_flush()),
 * typically under the spinlock they take, so nothing here may sleep. The
 * one buffer exists from relayx_open() on and stays until close.
 */
static void relayx_global_flush(struct relayx_chan *chan)
{
	struct relayx_buf *buf = relayx_global_buf(chan);
	unsigned long flags;

	if (!buf)
		return;
	local_irq_save(flags);
	relayx_buf_flush(buf);
	local_irq_restore(flags);
}

/**
 * relayx_flush - finish the current sub-buffer of every buffer
 * @chan: the channel
 *
 * Makes everything written so far readable as complete sub-buffers. Safe
 * while other CPUs write: each buffer of an online CPU that may run its
 * writer is switched on that CPU, from an IPI, where it cannot interleave
 * with it; the buffers of CPUs that run no writer are switched from the
 * caller. It waits for no thread, only for each CPU to take the
 * interrupt. In global mode the one buffer is switched in the caller's
 * context: the client must keep its writers out meanwhile (hold the lock
 * they take), as with upstream's relay_flush().
 *
 * Per-cpu channels: any process context, including under cpus_read_lock()
 * and from a CPU hotplug callback. May sleep (the channel's mutex).
 * A writer called from a CPU's own starting or dying hotplug callbacks
 * (interrupts off, the CPU not online) must not race a flush from
 * another CPU: a CPU that is not online is flushed from the caller.
 * Global channels: any context, as upstream's, since it takes no lock
 * and does not sleep (a client's spinlock may be held). @chan is not
 * closed meanwhile.
 */
void relayx_flush(struct relayx_chan *chan)
{
	if (!chan)
		return;
	if (chan->is_global) {
		relayx_global_flush(chan);
		return;
	}
	might_sleep();
	/* No lock needed to walk the buffers (relayx_apply_bufs()). */
	relayx_apply_bufs(chan, relayx_buf_flush_safely);
}
EXPORT_SYMBOL_GPL(relayx_flush);

/*
 * Readers wait for the reset, and one that copied before it does not
 * consume after it. A sub-buffer an mmap consumer held is let go: it is
 * empty now, and its RELAYX_PUT_SUBBUF fails with -EINVAL.
 */
static void relayx_buf_reset_readers(struct relayx_buf *buf)
{
	mutex_lock(&buf->read_mutex);
	buf->resets++;
	relayx_buf_reset(buf);
	mutex_unlock(&buf->read_mutex);
}

/**
 * relayx_reset - empty every buffer of a channel
 * @chan: the channel, which nobody writes meanwhile
 *
 * Returns the buffers to their state right after relayx_open(), counters
 * included, without reallocating anything. Readers (read(), poll(), the
 * ioctls) may run meanwhile: each buffer is reset under its read_mutex,
 * and a sub-buffer held through RELAYX_GET_SUBBUF is dropped. May sleep.
 */
void relayx_reset(struct relayx_chan *chan)
{
	if (!chan)
		return;
	mutex_lock(&chan->lock);
	relayx_apply_bufs(chan, relayx_buf_reset_readers);
	mutex_unlock(&chan->lock);
}
EXPORT_SYMBOL_GPL(relayx_reset);

/*
 * No writer is left: publish what it wrote, then let readers know the
 * buffer is complete.
 */
static void relayx_buf_close(struct relayx_buf *buf)
{
	relayx_writer_close(buf);
	/*
	 * After the last sub-buffer is published: a reader that sees
	 * finalized finds it. Pairs with the acquires in relay_consume.c.
	 */
	smp_store_release(&buf->finalized, true);
	if (buf->dentry)
		relayx_buf_remove_file(buf, false);
	wake_up_interruptible(&buf->read_wait);
	relayx_buf_put(buf);
}

/**
 * relayx_close - detach the client from a channel
 * @chan: the channel; nothing writes to it any more
 *
 * Finishes the current sub-buffers and removes the files; buffers still
 * open or mapped by user space stay readable and are freed with their
 * last user. No client callback runs once this returns, so the client
 * module may go away. Process context, including under cpus_read_lock()
 * and from a CPU hotplug callback, as upstream's relay_close().
 */
void relayx_close(struct relayx_chan *chan)
{
	unsigned int cpu;

	if (!chan)
		return;
	/* First: a BPF program may be writing; it is done after this. */
	relayx_bpf_unpublish(chan);
	relayx_hotcpu_remove(chan);
	/* Outside chan->lock: removal waits for the file's readers. */
	relayx_chan_remove_stats(chan);
	mutex_lock(&chan->lock);
	relayx_apply_bufs(chan, relayx_buf_close);
	for_each_possible_cpu(cpu) {
		struct relayx_buf **slot = per_cpu_ptr(chan->buf, cpu);

		*slot = NULL;
	}
	/*
	 * The client may be unloaded from here on: what still happens to the
	 * buffers (unmaps, last releases) calls relayx's own callbacks.
	 */
	mutex_lock(&chan->cb_lock);
	chan->cb = &relayx_default_callbacks;
	mutex_unlock(&chan->cb_lock);
	mutex_unlock(&chan->lock);
	kref_put(&chan->kref, relayx_chan_release);
}
EXPORT_SYMBOL_GPL(relayx_close);

/**
 * relayx_stats - count the messages a channel dropped
 * @chan: the channel
 * @flags: RELAYX_STATS_BUF_FULL and/or RELAYX_STATS_WRT_BIG
 *
 * Return: the number of messages dropped, over all buffers, for the
 * reasons in @flags.
 */
size_t relayx_stats(struct relayx_chan *chan, int flags)
{
	struct relayx_buf_counts st;
	unsigned int cpu;
	size_t count = 0;

	if (!chan)
		return 0;
	for_each_possible_cpu(cpu) {
		if (relayx_buf_stats(chan, cpu, &st))
			continue;
		if (flags & RELAYX_STATS_BUF_FULL)
			count += st.full;
		if (flags & RELAYX_STATS_WRT_BIG)
			count += st.big;
		if (chan->is_global)
			break;
	}
	return count;
}
EXPORT_SYMBOL_GPL(relayx_stats);

/**
 * relayx_buf_read_stats - copy the accounting of @buf
 * @buf: the buffer, open or closed
 * @stats: where to copy it
 *
 * The counters are read without stopping the writer, so they may be a
 * few messages apart from each other while it runs.
 */
void relayx_buf_read_stats(struct relayx_buf *buf,
			   struct relayx_buf_counts *stats)
{
	stats->msgs = local64_read(&buf->stats.msgs);
	stats->bytes = local64_read(&buf->stats.bytes);
	stats->full = local64_read(&buf->stats.full);
	stats->bytes_full = local64_read(&buf->stats.bytes_full);
	stats->big = local64_read(&buf->stats.big);
	stats->bytes_big = local64_read(&buf->stats.bytes_big);
	stats->overwritten = local64_read(&buf->stats.overwritten);
	/* Pairs with the release in relayx_publish_subbuf(). */
	stats->produced = smp_load_acquire(&buf->subbufs_produced);
	stats->consumed = READ_ONCE(buf->subbufs_consumed);
}

/**
 * relayx_buf_stats - copy the accounting of one buffer
 * @chan: the channel
 * @cpu: whose buffer
 * @stats: where to copy it
 *
 * The counters are read without stopping the writer, so they may be a
 * few messages apart from each other while it runs.
 *
 * Return: 0, or -ENOENT when @cpu has no buffer.
 */
int relayx_buf_stats(struct relayx_chan *chan, unsigned int cpu,
		     struct relayx_buf_counts *stats)
{
	struct relayx_buf *buf;

	if (!chan || cpu >= nr_cpu_ids)
		return -ENOENT;
	buf = relayx_chan_buf(chan, cpu);
	if (!buf)
		return -ENOENT;
	relayx_buf_read_stats(buf, stats);
	return 0;
}
EXPORT_SYMBOL_GPL(relayx_buf_stats);

/*
 * Each step says what failed: a failed insmod otherwise reports only
 * the errno. relayx_init_mark() lets the fault sweep of test builds fail
 * one step's fault-injection points and learn where its countdown stood
 * (relay_testhooks.c); relayx_init_disarm() keeps a countdown a failed
 * step left from reaching the module loader's cleanup.
 */
static int __init relayx_init(void)
{
	int err;

	relayx_init_mark(RELAYX_INIT_START);
	err = relayx_testhooks_init();
	if (err) {
		pr_err("no test hooks file: %d\n", err);
		goto out;
	}
	relayx_init_mark(RELAYX_INIT_HOOKS);
	err = relayx_printf_init();
	if (err) {
		pr_err("no relayx_printf() scratch: %d\n", err);
		goto out_hooks;
	}
	relayx_init_mark(RELAYX_INIT_PRINTF);
	err = relayx_hotcpu_init();
	if (err) {
		pr_err("no CPU hotplug state: %d\n", err);
		goto out_printf;
	}
	relayx_init_mark(RELAYX_INIT_HOTCPU);
	/* Never fails: without BTF, relayx works with no BPF writes. */
	relayx_bpf_init();
	relayx_init_mark(RELAYX_INIT_BPF);
	/* Last: the device may be used as soon as it exists. */
	err = relayx_dev_init();
	if (err) {
		pr_err("no /dev/relayx: %d\n", err);
		goto out_hotcpu;
	}
	relayx_init_mark(RELAYX_INIT_DEV);
	return 0;

out_hotcpu:
	relayx_hotcpu_exit();
out_printf:
	relayx_printf_exit();
out_hooks:
	relayx_testhooks_exit();
out:
	relayx_init_disarm();
	return err;
}

static void __exit relayx_exit(void)
{
	relayx_dev_exit();
	relayx_hotcpu_exit();
	relayx_printf_exit();
	relayx_testhooks_exit();
}

module_init(relayx_init);
module_exit(relayx_exit);
MODULE_DESCRIPTION("relayx: per-cpu relay channels on page-list buffers");
MODULE_LICENSE("GPL");
