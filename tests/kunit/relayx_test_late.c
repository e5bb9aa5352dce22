// SPDX-License-Identifier: GPL-2.0
/*
 * Buffer-only channels and relayx_late_setup_files(): every buffer gets its
 * file and keeps what was written before, including the buffer of a CPU
 * that went offline meanwhile; setup racing writers on every CPU, and
 * racing CPU hotplug; the file size; global mode without files.
 */
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/wait.h>
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

/* Woken as writers make progress: the test waits on it, never sleeps. */
static DECLARE_WAIT_QUEUE_HEAD(late_progress);

/* Under TCG on a loaded host a vCPU may stall for seconds. */
#define LATE_WAIT	(30 * HZ)
#define LATE_STEP	256

static int late_writer_fn(void *data)
{
	struct late_writer *w = data;

	while (!kthread_should_stop()) {
		relayx_write(w->chan, &w->attempts, sizeof(w->attempts));
		WRITE_ONCE(w->attempts, w->attempts + 1);
		if (!(w->attempts % LATE_STEP)) {
			wake_up(&late_progress);
			cond_resched();
		}
	}
	return 0;
}

/* Every writer that runs has made LATE_STEP attempts past @since. */
static bool late_writers_past(struct late_writer *w, const u64 *since)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		if (!IS_ERR_OR_NULL(w[cpu].task) &&
		    READ_ONCE(w[cpu].attempts) < since[cpu] + LATE_STEP)
			return false;
	return true;
}

struct late_setup {
	struct relayx_chan *chan;
	int ret;
	struct completion done;
};

static int late_setup_fn(void *data)
{
	struct late_setup *ls = data;

	ls->ret = relayx_late_setup_files(ls->chan, LATE_NAME, NULL);
	complete(&ls->done);
	return 0;
}

/* Run relayx_late_setup_files() in a thread of its own, to be parked. */
static void late_setup_start(struct kunit *test, struct late_setup *ls,
			     struct relayx_chan *chan)
{
	struct task_struct *task;

	ls->chan = chan;
	ls->ret = -EINPROGRESS;
	init_completion(&ls->done);
	task = kthread_run(late_setup_fn, ls, "relayx_late_setup");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
}

/*
 * Writers on every online CPU while the files are set up: each buffer
 * gets its file, and every message is written or counted as dropped.
 * The setup is parked after the first CPU's file, the others still
 * without one, until every writer made LATE_STEP more attempts: the
 * writes provably ran in the middle of the setup.
 */
static void relayx_late_racing_writers(struct kunit *test)
{
	struct relayx_buf_counts st;
	struct late_setup ls;
	struct relayx_park park;
	struct late_writer *w;
	struct relayx_chan *chan;
	unsigned int cpu, first;
	u64 *since;
	long moved;

	w = kunit_kcalloc(test, nr_cpu_ids, sizeof(*w), GFP_KERNEL);
	since = kunit_kcalloc(test, nr_cpu_ids, sizeof(*since), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_ASSERT_NOT_NULL(test, since);
	chan = relayx_open(NULL, NULL, 1024, 16, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	first = cpumask_first(cpu_possible_mask);
	KUNIT_ASSERT_NOT_NULL(test, *per_cpu_ptr(chan->buf, first));

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		w[cpu].chan = chan;
		w[cpu].task = kthread_create_on_cpu(late_writer_fn, &w[cpu],
						    cpu, "relayx_late/%u");
		if (!IS_ERR(w[cpu].task))
			wake_up_process(w[cpu].task);
	}
	cpus_read_unlock();

	/* Every writer is writing before the setup starts. */
	moved = wait_event_timeout(late_progress, late_writers_past(w, since),
				   LATE_WAIT);
	KUNIT_EXPECT_TRUE_MSG(test, moved,
			      "the writers did not start within %d s",
			      LATE_WAIT / HZ);
	relayx_park_arm(&park, *per_cpu_ptr(chan->buf, first),
			RELAYX_HOOK_FILE_VISIBLE);
	late_setup_start(test, &ls, chan);
	KUNIT_EXPECT_TRUE(test, relayx_park_wait(&park));
	for_each_possible_cpu(cpu)
		since[cpu] = READ_ONCE(w[cpu].attempts);
	moved = wait_event_timeout(late_progress, late_writers_past(w, since),
				   LATE_WAIT);
	KUNIT_EXPECT_TRUE_MSG(test, moved,
			      "the writers made no progress while the setup was parked");
	/* The overlap: each writer's attempts while the setup was held. */
	for_each_possible_cpu(cpu)
		if (!IS_ERR_OR_NULL(w[cpu].task))
			kunit_info(test, "cpu %u: %llu attempts during the setup",
				   cpu, READ_ONCE(w[cpu].attempts) - since[cpu]);
	KUNIT_EXPECT_TRUE(test, relayx_park_release(&park));
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&ls.done,
							    LATE_WAIT));
	KUNIT_EXPECT_EQ(test, ls.ret, 0);

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

/*
 * Late setup while a CPU comes up: the setup is parked after the first
 * CPU's file, holding the channel's lock, and the CPU is brought up; its
 * bring-up must reach relayx's prepare step (the CPU_PREPARE hook) while
 * the setup is held, so that it waits for the lock between prepare and
 * online. Afterwards the CPU has its buffer and file, and so has every
 * other buffer.
 */
static void relayx_late_racing_hotplug(struct kunit *test)
{
	struct relayx_cpu_up up = { .err = -EINPROGRESS };
	struct relayx_park park;
	struct late_setup ls;
	struct task_struct *task;
	struct relayx_chan *chan;
	unsigned int cpu, first;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second CPU to take down");
	first = cpumask_first(cpu_online_mask);
	up.cpu = cpumask_last(cpu_online_mask);
	init_completion(&up.done);
	KUNIT_ASSERT_EQ(test, remove_cpu(up.cpu), 0);
	chan = relayx_open(NULL, NULL, 256, 4, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	KUNIT_EXPECT_NULL(test, *per_cpu_ptr(chan->buf, up.cpu));

	relayx_park_arm(&park, *per_cpu_ptr(chan->buf, first),
			RELAYX_HOOK_FILE_VISIBLE);
	relayx_park_watch(&park, RELAYX_HOOK_CPU_PREPARE);
	late_setup_start(test, &ls, chan);
	KUNIT_EXPECT_TRUE(test, relayx_park_wait(&park));
	task = kthread_run(relayx_cpu_up_thread, &up, "relayx_cpu_up");
	KUNIT_EXPECT_FALSE(test, IS_ERR(task));
	/* The bring-up reached relayx while the setup held the lock. */
	KUNIT_EXPECT_TRUE_MSG(test, relayx_park_watch_wait(&park),
			      "cpu %u's bring-up never reached relayx", up.cpu);
	KUNIT_EXPECT_EQ(test, atomic_read(&park.watch_hits), 1);
	KUNIT_EXPECT_FALSE(test, completion_done(&up.done));
	KUNIT_EXPECT_TRUE(test, relayx_park_release(&park));
	KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&ls.done,
							    LATE_WAIT));
	KUNIT_EXPECT_EQ(test, ls.ret, 0);
	if (!IS_ERR(task))
		KUNIT_EXPECT_TRUE(test, wait_for_completion_timeout(&up.done,
								    LATE_WAIT));
	KUNIT_EXPECT_EQ(test, up.err, 0);

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
	if (!cpu_online(up.cpu))
		add_cpu(up.cpu);
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
