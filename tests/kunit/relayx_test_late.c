// SPDX-License-Identifier: GPL-2.0
/*
 * Buffer-only channels and relayx_late_setup_files(): every buffer gets its
 * file and keeps what was written before, including the buffer of a CPU
 * that went offline meanwhile; setup racing writers on every CPU, and
 * racing CPU hotplug; the file size; global mode without files.
 */
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "relayx_test.h"

#define LATE_NAME	"relayx_kunit_late"

static long write_cpu_number(void *chan)
{
	u32 cpu = smp_processor_id();

	relayx_write(chan, &cpu, sizeof(cpu));
	return 0;
}

/* @cpu has its file, and its buffer holds the one record it wrote. */
static void expect_file_and_record(struct kunit *test,
				   struct relayx_chan *chan, unsigned int cpu)
{
	struct relayx_buf *buf = *per_cpu_ptr(chan->buf, cpu);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(test, buf->dentry, "cpu %u", cpu);
	KUNIT_EXPECT_EQ_MSG(test, buf->padding[0], (u32)(256 - sizeof(u32)),
			    "cpu %u", cpu);
	KUNIT_EXPECT_EQ_MSG(test, *(u32 *)relayx_subbuf_addr(buf, 0), (u32)cpu,
			    "cpu %u", cpu);
}

/* The file of @buf says how many bytes its finished sub-buffers hold. */
static void expect_size(struct kunit *test, struct relayx_buf *buf)
{
	KUNIT_EXPECT_EQ_MSG(test, (size_t)i_size_read(d_inode(buf->dentry)),
			    buf->bytes_produced, "cpu %u", buf->cpu);
}

struct late_writer {
	struct relayx_chan *chan;
	u64 attempts;
	struct task_struct *task;
};

static int late_writer_fn(void *data)
{
	struct late_writer *w = data;

	while (!kthread_should_stop()) {
		relayx_write(w->chan, &w->attempts, sizeof(w->attempts));
		w->attempts++;
		if (!(w->attempts % 256))
			cond_resched();
	}
	return 0;
}

/*
 * Writers on every online CPU while the files are set up: each buffer
 * gets its file, and every message is written or counted as dropped.
 */
static void relayx_late_racing_writers(struct kunit *test)
{
	struct relayx_buf_counts st;
	struct late_writer *w;
	struct relayx_chan *chan;
	unsigned int cpu;

	w = kunit_kcalloc(test, nr_cpu_ids, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	chan = relayx_open(NULL, NULL, 1024, 16, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		w[cpu].chan = chan;
		w[cpu].task = kthread_create_on_cpu(late_writer_fn, &w[cpu],
						    cpu, "relayx_late/%u");
		if (!IS_ERR(w[cpu].task))
			wake_up_process(w[cpu].task);
	}
	cpus_read_unlock();

	msleep(20);
	KUNIT_EXPECT_EQ(test, relayx_late_setup_files(chan, LATE_NAME, NULL), 0);
	msleep(20);

	for_each_possible_cpu(cpu)
		if (!IS_ERR_OR_NULL(w[cpu].task))
			kthread_stop(w[cpu].task);
	relayx_flush(chan);
	for_each_possible_cpu(cpu) {
		struct relayx_buf *buf = *per_cpu_ptr(chan->buf, cpu);

		if (!buf)
			continue;
		KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(test, buf->dentry, "cpu %u",
						 cpu);
		KUNIT_ASSERT_EQ(test, relayx_buf_stats(chan, cpu, &st), 0);
		if (!IS_ERR_OR_NULL(w[cpu].task)) {
			KUNIT_EXPECT_GT(test, w[cpu].attempts, 0);
			KUNIT_EXPECT_EQ_MSG(test, st.msgs + st.full,
					    w[cpu].attempts, "cpu %u", cpu);
		}
		/* Flushed: everything written is in finished sub-buffers. */
		KUNIT_EXPECT_EQ_MSG(test, (u64)buf->bytes_produced, st.bytes,
				    "cpu %u", cpu);
		if (buf->dentry)
			expect_size(test, buf);
	}
	relayx_close(chan);
}

struct hotplug_loop {
	unsigned int cycles;
	int err;
};

/* Take CPUs other than the first down and up again. */
static int hotplug_fn(void *data)
{
	struct hotplug_loop *h = data;
	unsigned int i, cpu = 0;

	for (i = 0; i < h->cycles && !h->err; i++) {
		cpu = cpumask_next(cpu, cpu_possible_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_next(0, cpu_possible_mask);
		h->err = remove_cpu(cpu);
		if (!h->err)
			h->err = add_cpu(cpu);
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/*
 * Late setup while CPUs come and go: afterwards every buffer has its
 * file, and every online CPU has a buffer.
 */
static void relayx_late_racing_hotplug(struct kunit *test)
{
	struct hotplug_loop h = { .cycles = 20 };
	struct task_struct *task;
	struct relayx_chan *chan;
	unsigned int cpu;

	if (num_possible_cpus() < 2)
		kunit_skip(test, "needs a second CPU to take down");
	chan = relayx_open(NULL, NULL, 256, 4, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	task = kthread_run(hotplug_fn, &h, "relayx_hotplug");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	msleep(50);
	KUNIT_EXPECT_EQ(test, relayx_late_setup_files(chan, LATE_NAME, NULL), 0);
	kthread_stop(task);
	KUNIT_EXPECT_EQ(test, h.err, 0);

	cpus_read_lock();
	for_each_online_cpu(cpu)
		KUNIT_EXPECT_NOT_NULL_MSG(test, *per_cpu_ptr(chan->buf, cpu),
					  "cpu %u", cpu);
	cpus_read_unlock();
	for_each_possible_cpu(cpu) {
		struct relayx_buf *buf = *per_cpu_ptr(chan->buf, cpu);

		if (buf)
			KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(test, buf->dentry,
							 "cpu %u", cpu);
	}
	relayx_close(chan);
}

/* Global on request, with or without a name: upstream's contract. */
static struct dentry *global_create(const char *filename,
				    struct dentry *parent, umode_t mode,
				    struct relayx_buf *buf, int *is_global)
{
	*is_global = 1;
	if (!filename)
		return NULL;
	return debugfs_create_file(filename, mode, parent, buf,
				   &relayx_file_operations);
}

static int global_remove(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct relayx_callbacks global_cb = {
	.create_buf_file = global_create,
	.remove_buf_file = global_remove,
};

/* A buffer-only channel learns it is global before it has files. */
static void relayx_late_global(struct kunit *test)
{
	struct relayx_chan *chan;
	struct relayx_buf *buf;
	unsigned int cpu, others = 0;

	chan = relayx_open(NULL, NULL, 256, 4, &global_cb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	KUNIT_EXPECT_TRUE(test, chan->is_global);
	buf = *per_cpu_ptr(chan->buf, cpumask_first(cpu_online_mask));
	cpus_read_lock();
	for_each_online_cpu(cpu)
		KUNIT_EXPECT_PTR_EQ(test, *per_cpu_ptr(chan->buf, cpu), buf);
	cpus_read_unlock();
	KUNIT_EXPECT_EQ(test, relayx_late_setup_files(chan, LATE_NAME, NULL), 0);
	for_each_possible_cpu(cpu) {
		struct relayx_buf *b = *per_cpu_ptr(chan->buf, cpu);

		if (b && b != buf)
			others++;
	}
	KUNIT_EXPECT_EQ(test, others, 0U);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, buf->dentry);
	relayx_close(chan);
}

static void relayx_late_offline_cpu_keeps_data(struct kunit *test)
{
	struct relayx_chan *chan;
	unsigned int cpu, victim;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs to take one down");
	victim = cpumask_last(cpu_online_mask);
	chan = relayx_open(NULL, NULL, 256, 4, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);

	cpus_read_lock();
	for_each_online_cpu(cpu)
		work_on_cpu(cpu, write_cpu_number, chan);
	cpus_read_unlock();

	KUNIT_ASSERT_EQ(test, remove_cpu(victim), 0);
	/* Finished sub-buffers, so that the files have a size. */
	relayx_flush(chan);
	KUNIT_EXPECT_EQ(test, relayx_late_setup_files(chan, LATE_NAME, NULL), 0);
	/* The offline CPU has its file, with what it wrote. */
	expect_file_and_record(test, chan, victim);
	expect_size(test, *per_cpu_ptr(chan->buf, victim));
	KUNIT_EXPECT_EQ(test, (size_t)(*per_cpu_ptr(chan->buf, victim))->bytes_produced,
			sizeof(u32));
	KUNIT_EXPECT_EQ(test, add_cpu(victim), 0);

	for_each_online_cpu(cpu)
		expect_file_and_record(test, chan, cpu);
	relayx_close(chan);
}

static void relayx_late_bad_calls(struct kunit *test)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, 256, 4, NULL, NULL);

	KUNIT_ASSERT_NOT_NULL(test, chan);
	KUNIT_EXPECT_EQ(test, relayx_late_setup_files(NULL, LATE_NAME, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, relayx_late_setup_files(chan, NULL, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, relayx_late_setup_files(chan, "a/b", NULL), -EINVAL);
	/* A failed call leaves the channel without files... */
	KUNIT_EXPECT_FALSE(test, chan->has_base_filename);
	KUNIT_EXPECT_EQ(test, relayx_late_setup_files(chan, LATE_NAME, NULL), 0);
	/* ...and a second setup is refused. */
	KUNIT_EXPECT_EQ(test, relayx_late_setup_files(chan, LATE_NAME, NULL),
			-EEXIST);
	relayx_close(chan);
}

static struct kunit_case relayx_late_cases[] = {
	KUNIT_CASE(relayx_late_bad_calls),
	KUNIT_CASE(relayx_late_offline_cpu_keeps_data),
	KUNIT_CASE(relayx_late_racing_writers),
	KUNIT_CASE(relayx_late_racing_hotplug),
	KUNIT_CASE(relayx_late_global),
	{}
};

struct kunit_suite relayx_late_suite = {
	.name = "relayx_late_setup",
	.test_cases = relayx_late_cases,
};
