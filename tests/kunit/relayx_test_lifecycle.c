// SPDX-License-Identifier: GPL-2.0
/*
 * A channel's life against what surrounds it: the client's own files in
 * the directory of its channel, the client removing that directory, and
 * a flush while another CPU runs a thread that never lets go of it.
 */
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/sched.h>

#include "relayx_test.h"

#define SB	256
#define NSB	4
/* How long a call that must not block gets before it counts as blocked. */
#define NOT_BLOCKED_MS	2000
/* A thread that has not ended by then never will: a failure. */
#define THREAD_END_MS	20000

static void write_msgs(struct relayx_chan *chan, int times)
{
	u8 msg[100];

	memset(msg, 0x6b, sizeof(msg));
	while (times--)
		relayx_write(chan, msg, sizeof(msg));
}

/*
 * The stats file is relayx's, not the client's: a client file that has
 * its name already must not fail the open, nor be removed at close.
 */
static void relayx_lifecycle_stats_name_taken(struct kunit *test)
{
	struct dentry *dir, *mine, *found;
	struct relayx_chan *chan;
	unsigned int cpu;

	dir = debugfs_create_dir("relayx_lifecycle_taken", NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(dir));
	mine = debugfs_create_file("xstats", 0400, dir, NULL, NULL);
	KUNIT_EXPECT_FALSE(test, IS_ERR_OR_NULL(mine));
	chan = relayx_open_err("x", dir, SB, NSB, NULL, NULL);
	KUNIT_EXPECT_FALSE_MSG(test, IS_ERR(chan),
			       "open failed with %ld: a client file is named xstats",
			       PTR_ERR(chan));
	if (!IS_ERR(chan)) {
		for_each_online_cpu(cpu)
			KUNIT_EXPECT_NOT_NULL_MSG(test,
						  (*per_cpu_ptr(chan->buf, cpu))->dentry,
						  "cpu %u has no file", cpu);
		relayx_close(chan);
	}
	found = debugfs_lookup("xstats", dir);
	KUNIT_EXPECT_PTR_EQ_MSG(test, found, mine,
				"the client's xstats after the close");
	dput(found);
	debugfs_remove(dir);
}

/*
 * The client removes its directory, recursively, before it closes the
 * channel (upstream allows it): the files go with it, and neither the
 * writers (a switch sets the file size) nor the close may touch the
 * freed dentries (KASAN).
 */
static void relayx_lifecycle_dir_removed_before_close(struct kunit *test)
{
	struct dentry *dir, *found;
	struct relayx_chan *chan;
	struct relayx_buf *buf;
	unsigned int cpu;

	dir = debugfs_create_dir("relayx_lifecycle_removed", NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(dir));
	chan = relayx_open("x", dir, SB, NSB, NULL, NULL);
	if (!chan)
		debugfs_remove(dir);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	/*
	 * Before the removal: relayx must hold a reference of its own on
	 * every file it keeps (its creation's is the one removal drops).
	 */
	KUNIT_EXPECT_NOT_NULL(test, chan->stats_dentry);
	if (chan->stats_dentry)
		KUNIT_EXPECT_GE_MSG(test, d_count(chan->stats_dentry), 2U,
				    "the stats file is kept without a reference");
	for_each_online_cpu(cpu) {
		buf = *per_cpu_ptr(chan->buf, cpu);
		KUNIT_EXPECT_GE_MSG(test, d_count(buf->dentry), 2U,
				    "the file of cpu %u is kept without a reference",
				    cpu);
	}
	migrate_disable();
	write_msgs(chan, 1);
	debugfs_remove(dir);
	/* Past a switch: the buffer's file size is set again. */
	write_msgs(chan, 4);
	migrate_enable();
	relayx_flush(chan);
	relayx_close(chan);
	found = debugfs_lookup("relayx_lifecycle_removed", NULL);
	KUNIT_EXPECT_NULL(test, found);
	dput(found);
}

/* A thread that keeps its CPU until told to stop. */
struct spinner {
	atomic_t stop;
	struct completion running;
};

static int spinner_fn(void *data)
{
	struct spinner *s = data;

	/*
	 * A real-time thread in a section that does not schedule: nothing
	 * else runs on this CPU meanwhile (no real-time throttling, no fair
	 * server), but interrupts do.
	 */
	preempt_disable();
	complete(&s->running);
	while (!atomic_read(&s->stop))
		cpu_relax();
	preempt_enable();
	return 0;
}

/* A call made from a thread of its own: flush, or one write. */
struct lc_call {
	struct relayx_chan *chan;
	void (*fn)(struct relayx_chan *chan);
	struct completion done;
};

static int lc_call_fn(void *data)
{
	struct lc_call *c = data;

	c->fn(c->chan);
	complete_all(&c->done);
	return 0;
}

static void write_one(struct relayx_chan *chan)
{
	write_msgs(chan, 1);
}

/*
 * Start @fn(@data) in a thread bound to @cpu, SCHED_FIFO if @fifo; the
 * caller puts the task. NULL when it cannot be.
 */
static struct task_struct *start_on(int (*fn)(void *), void *data,
				    unsigned int cpu, bool fifo)
{
	struct task_struct *t = kthread_create(fn, data, "relayx_lc/%u", cpu);

	if (IS_ERR(t))
		return NULL;
	kthread_bind(t, cpu);
	if (fifo)
		sched_set_fifo(t);
	get_task_struct(t);
	wake_up_process(t);
	return t;
}

/* Run @fn on @chan from a thread of @cpu; false if it never ended. */
static bool call_on(struct lc_call *c, unsigned int cpu)
{
	struct task_struct *t;
	bool ended;

	init_completion(&c->done);
	t = start_on(lc_call_fn, c, cpu, false);
	if (!t)
		return false;
	ended = wait_for_completion_timeout(&c->done,
					    msecs_to_jiffies(THREAD_END_MS));
	put_task_struct(t);
	return ended;
}

/*
 * relayx_flush() while another CPU is monopolised by a real-time thread
 * that does not schedule: the flush must switch that CPU's buffer and
 * return, not wait for a thread of that CPU (upstream switches from the
 * caller). The flush runs in a thread of its own, so that a flush that
 * waits is seen as a failure, and it ends once the spinner stops; one
 * that never ends is a failure too (its channel is then leaked).
 */
static void relayx_lifecycle_flush_beside_spinner(struct kunit *test)
{
	struct relayx_chan *chan;
	struct task_struct *spin, *flusher;
	unsigned int here, there;
	struct relayx_buf *buf;
	struct lc_call *write, *flush;
	struct spinner *s;
	bool returned, ended = false;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs");
	write = kunit_kzalloc(test, sizeof(*write), GFP_KERNEL);
	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	/* Not kunit's: a flush that never ends may still use it. */
	flush = kzalloc(sizeof(*flush), GFP_KERNEL);
	if (!write || !s || !flush)
		kfree(flush);
	KUNIT_ASSERT_TRUE(test, write && s && flush);
	chan = relayx_open(NULL, NULL, SB, NSB, NULL, NULL);
	if (!chan)
		kfree(flush);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	migrate_disable();
	here = raw_smp_processor_id();
	there = cpumask_any_but(cpu_online_mask, here);
	buf = *per_cpu_ptr(chan->buf, there);

	/* Something to flush in the buffer of @there. */
	write->chan = chan;
	write->fn = write_one;
	KUNIT_EXPECT_TRUE(test, call_on(write, there));
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)100);

	init_completion(&s->running);
	spin = start_on(spinner_fn, s, there, true);
	KUNIT_EXPECT_NOT_NULL(test, spin);
	if (!spin) {
		ended = true;
		goto out;
	}
	wait_for_completion(&s->running);

	flush->chan = chan;
	flush->fn = relayx_flush;
	init_completion(&flush->done);
	flusher = start_on(lc_call_fn, flush, here, false);
	KUNIT_EXPECT_NOT_NULL(test, flusher);
	if (flusher) {
		returned = wait_for_completion_timeout(&flush->done,
						       msecs_to_jiffies(NOT_BLOCKED_MS));
		KUNIT_EXPECT_TRUE_MSG(test, returned,
				      "relayx_flush() waits while cpu %u runs a real-time spinner",
				      there);
		if (returned)
			KUNIT_EXPECT_EQ_MSG(test, buf->subbufs_produced,
					    (size_t)1,
					    "cpu %u's buffer was not switched",
					    there);
	}
	atomic_set(&s->stop, 1);
	kthread_stop(spin);
	put_task_struct(spin);
	if (flusher) {
		ended = wait_for_completion_timeout(&flush->done,
						    msecs_to_jiffies(THREAD_END_MS));
		KUNIT_EXPECT_TRUE_MSG(test, ended, "relayx_flush() never returned");
		put_task_struct(flusher);
	} else {
		ended = true;
	}
out:
	migrate_enable();
	if (ended) {
		relayx_close(chan);
		kfree(flush);
	}
}

static struct kunit_case relayx_lifecycle_cases[] = {
	KUNIT_CASE(relayx_lifecycle_stats_name_taken),
	KUNIT_CASE(relayx_lifecycle_dir_removed_before_close),
	KUNIT_CASE(relayx_lifecycle_flush_beside_spinner),
	{}
};

struct kunit_suite relayx_lifecycle_suite = {
	.name = "relayx_lifecycle",
	.test_cases = relayx_lifecycle_cases,
};
