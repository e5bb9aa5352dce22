// SPDX-License-Identifier: GPL-2.0
/*
 * Locking, lifetime and memory accounting of channels: flush where the
 * caller holds the CPU hotplug lock or runs in a hotplug callback, late
 * setup failing under a writer that is switching sub-buffers, a client
 * that asks for global mode too late, and the memory check of global and
 * padding-heavy channels.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/workqueue.h>

#include "relayx_test.h"

#define LOCKS_NAME	"relayx_kunit_locks"

static long write_u32(void *chan)
{
	u32 v = smp_processor_id();

	relayx_write(chan, &v, sizeof(v));
	return 0;
}

/*
 * relayx_flush() from a caller that holds cpus_read_lock(), as a CPU
 * hotplug callback or a client walking its CPUs does: it must neither
 * take that lock again nor wait for it, and it still flushes every CPU.
 */
static void relayx_locks_flush_under_cpus_read_lock(struct kunit *test)
{
	struct relayx_chan *chan;
	unsigned int cpu;

	chan = relayx_open(NULL, NULL, 256, 4, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	cpus_read_lock();
	for_each_online_cpu(cpu)
		work_on_cpu(cpu, write_u32, chan);
	relayx_flush(chan);
	cpus_read_unlock();
	for_each_online_cpu(cpu) {
		struct relayx_buf *buf = *per_cpu_ptr(chan->buf, cpu);

		KUNIT_EXPECT_EQ_MSG(test, buf->subbufs_produced, (size_t)1,
				    "cpu %u", cpu);
		KUNIT_EXPECT_EQ_MSG(test, buf->padding[0],
				    (u32)(256 - sizeof(u32)), "cpu %u", cpu);
	}
	relayx_close(chan);
}

static struct relayx_chan *hotplug_chan;
static atomic_t hotplug_flushes;

static int flush_on_teardown(unsigned int cpu)
{
	relayx_flush(hotplug_chan);
	atomic_inc(&hotplug_flushes);
	return 0;
}

/*
 * relayx_flush() from a CPU hotplug callback: the teardown of an online
 * state, which runs on the CPU going down while the hotplug lock is held
 * for writing. It flushes every CPU, the one going down included.
 */
static void relayx_locks_flush_from_hotplug_callback(struct kunit *test)
{
	unsigned int cpu, victim;
	int state;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second CPU to take down");
	victim = cpumask_last(cpu_online_mask);
	hotplug_chan = relayx_open(NULL, NULL, 256, 4, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, hotplug_chan);
	cpus_read_lock();
	for_each_online_cpu(cpu)
		work_on_cpu(cpu, write_u32, hotplug_chan);
	cpus_read_unlock();
	atomic_set(&hotplug_flushes, 0);
	state = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN,
					  "relayx_kunit:flush", NULL,
					  flush_on_teardown);
	KUNIT_ASSERT_GE(test, state, 0);
	KUNIT_EXPECT_EQ(test, remove_cpu(victim), 0);
	cpuhp_remove_state_nocalls(state);
	KUNIT_EXPECT_EQ(test, atomic_read(&hotplug_flushes), 1);
	KUNIT_EXPECT_EQ(test, add_cpu(victim), 0);
	for_each_possible_cpu(cpu) {
		struct relayx_buf *buf = *per_cpu_ptr(hotplug_chan->buf, cpu);

		if (buf)
			KUNIT_EXPECT_EQ_MSG(test, buf->subbufs_produced,
					    (size_t)1, "cpu %u", cpu);
	}
	relayx_close(hotplug_chan);
}

/*
 * Open, late setup, reset and close under cpus_read_lock(), which
 * upstream allows for all four (they take their own mutex only): every
 * online CPU gets its buffer and its file.
 */
static void relayx_locks_open_close_under_cpus_read_lock(struct kunit *test)
{
	struct relayx_chan *chan;
	unsigned int cpu;

	cpus_read_lock();
	chan = relayx_open(NULL, NULL, 256, 4, NULL, NULL);
	if (chan) {
		KUNIT_EXPECT_EQ(test, relayx_late_setup_files(chan, LOCKS_NAME,
							      NULL), 0);
		relayx_reset(chan);
		for_each_online_cpu(cpu) {
			struct relayx_buf *buf = *per_cpu_ptr(chan->buf, cpu);

			KUNIT_EXPECT_NOT_NULL_MSG(test, buf, "cpu %u", cpu);
			if (buf)
				KUNIT_EXPECT_NOT_NULL_MSG(test, buf->dentry,
							  "cpu %u", cpu);
		}
	}
	relayx_close(chan);
	cpus_read_unlock();
	KUNIT_EXPECT_NOT_NULL(test, chan);
}

static atomic_t hotplug_opens;

static int open_close_on_teardown(unsigned int cpu)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, 256, 4, NULL, NULL);

	if (chan) {
		atomic_inc(&hotplug_opens);
		relayx_close(chan);
	}
	return 0;
}

/* Open and close from a CPU hotplug callback, as upstream allows. */
static void relayx_locks_open_close_from_hotplug_callback(struct kunit *test)
{
	unsigned int victim;
	int state;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second CPU to take down");
	victim = cpumask_last(cpu_online_mask);
	atomic_set(&hotplug_opens, 0);
	state = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN,
					  "relayx_kunit:open", NULL,
					  open_close_on_teardown);
	KUNIT_ASSERT_GE(test, state, 0);
	KUNIT_EXPECT_EQ(test, remove_cpu(victim), 0);
	cpuhp_remove_state_nocalls(state);
	KUNIT_EXPECT_EQ(test, atomic_read(&hotplug_opens), 1);
	KUNIT_EXPECT_EQ(test, add_cpu(victim), 0);
}

/* --- late setup failing while a writer updates a file's size ---------- */

struct late_fail {
	struct kunit *test;
	struct relayx_chan *chan;
	struct relayx_buf *victim;	/* its file is made, then undone */
	unsigned int fail_cpu;		/* the last CPU with a buffer */
	struct relayx_park park;
	bool parked;
	struct completion writer_parked;
	struct completion setup_done;
	int setup_err;
};

static struct late_fail *late_fail;

/*
 * Fails the file of the last CPU, once the writer of the victim buffer is
 * parked in relayx_buf_update_size() with the victim's new dentry in hand.
 */
static struct dentry *late_fail_create(const char *filename,
				       struct dentry *parent, umode_t mode,
				       struct relayx_buf *buf, int *is_global)
{
	struct late_fail *lf = late_fail;

	if (!filename)
		return NULL;
	if (buf->cpu != lf->fail_cpu)
		return debugfs_create_file(filename, mode, parent, buf,
					   &relayx_file_operations);
	relayx_park_arm(&lf->park, lf->victim, RELAYX_HOOK_UPDATE_SIZE);
	lf->parked = relayx_park_wait(&lf->park);
	complete(&lf->writer_parked);
	return ERR_PTR(-EIO);
}

static int late_fail_remove(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

/* Accept every sub-buffer: each switch updates the file size. */
static int late_fail_subbuf_start(struct relayx_buf *buf, void *subbuf,
				  void *prev_subbuf, size_t prev_padding)
{
	return 1;
}

static const struct relayx_callbacks late_fail_cb = {
	.subbuf_start = late_fail_subbuf_start,
	.create_buf_file = late_fail_create,
	.remove_buf_file = late_fail_remove,
};

/*
 * The only writer of its CPU's buffer. __relayx_write(): preemption off,
 * which holds up RCU grace periods as relayx_write() does, but interrupts
 * on, so that its CPU keeps taking the tick while it is parked there.
 */
static int late_fail_writer(void *data)
{
	struct late_fail *lf = data;
	u64 v = 0;

	while (!kthread_should_stop()) {
		__relayx_write(lf->chan, &v, sizeof(v));
		if (!(++v % 64))
			cond_resched();
	}
	return 0;
}

static int late_fail_setup(void *data)
{
	struct late_fail *lf = data;

	lf->setup_err = relayx_late_setup_files(lf->chan, LOCKS_NAME, NULL);
	complete(&lf->setup_done);
	return 0;
}

/*
 * A failed late setup takes back the files it made. A writer of such a
 * buffer may have read the file's dentry at a sub-buffer switch and not
 * yet written its size: the file must outlive it. The writer is parked
 * right there while the setup fails; the setup must not finish removing
 * the file until the writer has gone on.
 */
static void relayx_locks_late_failure_parked_writer(struct kunit *test)
{
	struct task_struct *writer, *setup;
	struct late_fail lf = { .test = test };
	bool early;
	unsigned int cpu, c;

	if (num_online_cpus() < 3)
		kunit_skip(test, "needs a writer, a setup and a test CPU");
	init_completion(&lf.writer_parked);
	init_completion(&lf.setup_done);
	late_fail = &lf;
	lf.chan = relayx_open(NULL, NULL, 256, 4, &late_fail_cb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, lf.chan);
	cpu = cpumask_first(cpu_online_mask);
	lf.victim = *per_cpu_ptr(lf.chan->buf, cpu);
	for_each_possible_cpu(c)
		if (*per_cpu_ptr(lf.chan->buf, c))
			lf.fail_cpu = c;
	KUNIT_ASSERT_NE(test, lf.fail_cpu, cpu);

	writer = kthread_create_on_cpu(late_fail_writer, &lf, cpu,
				       "relayx_lf/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(writer));
	wake_up_process(writer);
	setup = kthread_run(late_fail_setup, &lf, "relayx_lf_setup");
	KUNIT_ASSERT_FALSE(test, IS_ERR(setup));

	wait_for_completion(&lf.writer_parked);
	KUNIT_EXPECT_TRUE(test, lf.parked);
	/* Give the setup every chance to remove the file under the writer. */
	early = wait_for_completion_timeout(&lf.setup_done,
					    msecs_to_jiffies(2000));
	KUNIT_EXPECT_FALSE_MSG(test, early,
			       "late setup removed a file while its writer held the dentry");
	KUNIT_EXPECT_TRUE(test, relayx_park_release(&lf.park));
	wait_for_completion(&lf.setup_done);
	kthread_stop(writer);

	KUNIT_EXPECT_EQ(test, lf.setup_err, -EIO);
	KUNIT_EXPECT_FALSE(test, lf.chan->has_base_filename);
	for_each_possible_cpu(cpu) {
		struct relayx_buf *buf = *per_cpu_ptr(lf.chan->buf, cpu);

		if (buf)
			KUNIT_EXPECT_NULL_MSG(test, buf->dentry, "cpu %u", cpu);
	}
	relayx_close(lf.chan);
	late_fail = NULL;
}

/* --- global mode asked for too late ----------------------------------- */

static atomic_t late_global_calls;

/* Per-cpu on the first call, global on every later one. */
static struct dentry *late_global_create(const char *filename,
					 struct dentry *parent, umode_t mode,
					 struct relayx_buf *buf, int *is_global)
{
	if (atomic_inc_return(&late_global_calls) > 1)
		*is_global = 1;
	return debugfs_create_file(filename, mode, parent, buf,
				   &relayx_file_operations);
}

static const struct relayx_callbacks late_global_cb = {
	.create_buf_file = late_global_create,
};

/*
 * Whether a channel is global is settled by its first buffer: a later
 * answer is ignored, so that every per-cpu buffer, file and channel
 * reference is still found by flush and close.
 */
static void relayx_locks_global_too_late(struct kunit *test)
{
	struct relayx_chan *chan;
	unsigned int cpu, leaked = 0;
	char name[32];

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs with buffers");
	atomic_set(&late_global_calls, 0);
	chan = relayx_open(LOCKS_NAME, NULL, 256, 4, &late_global_cb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	KUNIT_EXPECT_FALSE(test, chan->is_global);
	relayx_close(chan);
	for_each_possible_cpu(cpu) {
		struct dentry *d;

		snprintf(name, sizeof(name), LOCKS_NAME "%u", cpu);
		d = debugfs_lookup(name, NULL);
		if (!d)
			continue;
		leaked++;
		/* Left by relayx_close(): take it away for the next tests. */
		dput(d);
		debugfs_remove(d);
	}
	KUNIT_EXPECT_EQ(test, leaked, 0U);
}

/* --- memory checks ------------------------------------------------------ */

static struct dentry *global_create(const char *filename,
				    struct dentry *parent, umode_t mode,
				    struct relayx_buf *buf, int *is_global)
{
	*is_global = 1;
	return filename ? debugfs_create_file(filename, mode, parent, buf,
					      &relayx_file_operations) : NULL;
}

static const struct relayx_callbacks global_cb = {
	.create_buf_file = global_create,
};

/*
 * A global channel has one buffer: one that fits in available memory is
 * accepted, even when one per CPU would not.
 */
static void relayx_locks_global_memory_check(struct kunit *test)
{
	unsigned long pages = si_mem_available() * 3 / 8;
	struct relayx_chan *chan;

	if (num_online_cpus() < 2)
		kunit_skip(test, "one buffer per CPU is one buffer");
	chan = relayx_open_err(NULL, NULL, PAGE_SIZE, pages, &global_cb, NULL);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(chan), "%lu pages: error %ld",
			       pages, PTR_ERR(chan));
	KUNIT_EXPECT_TRUE(test, chan->is_global);
	relayx_close(chan);
}

/*
 * The padding words count: one byte sub-buffers need four bytes of
 * padding each, so a channel whose data alone would pass the check but
 * whose padding makes it too big is refused before anything is
 * allocated.
 */
static void relayx_locks_padding_counts(struct kunit *test)
{
	size_t n = (si_mem_available() << PAGE_SHIFT) * 12 / 100 /
		   num_online_cpus();
	struct relayx_chan *chan;

	chan = relayx_open_err(NULL, NULL, 1, n, NULL, NULL);
	KUNIT_EXPECT_TRUE_MSG(test, IS_ERR(chan), "%zu one-byte sub-buffers",
			      n);
	if (IS_ERR(chan))
		KUNIT_EXPECT_EQ(test, PTR_ERR(chan), -ENOMEM);
	else
		relayx_close(chan);
}

static struct kunit_case relayx_locks_cases[] = {
	KUNIT_CASE(relayx_locks_flush_under_cpus_read_lock),
	KUNIT_CASE(relayx_locks_global_too_late),
	KUNIT_CASE(relayx_locks_global_memory_check),
	KUNIT_CASE(relayx_locks_padding_counts),
	KUNIT_CASE(relayx_locks_late_failure_parked_writer),
	KUNIT_CASE(relayx_locks_flush_from_hotplug_callback),
	KUNIT_CASE(relayx_locks_open_close_under_cpus_read_lock),
	KUNIT_CASE(relayx_locks_open_close_from_hotplug_callback),
	{}
};

struct kunit_suite relayx_locks_suite = {
	.name = "relayx_locks",
	.test_cases = relayx_locks_cases,
};
