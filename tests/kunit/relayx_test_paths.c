// SPDX-License-Identifier: GPL-2.0
/*
 * Paths that only a race reaches, each made to happen by parking a thread
 * at a test hook (relayx_test_park.c):
 *
 * - a CPU between relayx's prepare callback and online (the hotplug
 *   thread parked at RELAYX_HOOK_CPU_PREPARED): a flush must switch its
 *   buffer from the caller, the IPI having nowhere to go; a channel opened
 *   then gives it a buffer through relayx_hotcpu_add(), or fails whole
 *   when it cannot;
 * - a read() or a splice() that copied, then lost its commit to another
 *   reader (parked at RELAYX_HOOK_READ_COPIED): it must neither return
 *   nor consume the bytes the other reader took.
 */
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "relayx_test.h"
#include "../../relayx_internal.h"

#define SB	256
#define NSB	4
#define MSG	64
/* Longer than a park may last: a thread that never ends is a failure. */
#define THREAD_END_MS	20000

static bool all_bytes(const u8 *p, size_t len, u8 byte)
{
	while (len--)
		if (*p++ != byte)
			return false;
	return true;
}

/* --- a CPU between prepare and online -------------------------------------- */

/* A second online CPU, which the tests take down and up, or a skip. */
static void need_second_cpu(struct kunit *test)
{
	if (num_online_cpus() < 2 || !cpumask_last(cpu_online_mask))
		kunit_skip(test, "needs a second online CPU to take down");
}

/*
 * The highest online CPU, taken down, then brought up by a thread parked
 * once relayx's prepare callback ran for it: on return the CPU is
 * prepared and not online. Skips when there is no second CPU.
 */
static unsigned int cpu_park_prepared(struct kunit *test,
				      struct relayx_park *park,
				      struct relayx_cpu_up *up)
{
	unsigned int cpu = cpumask_last(cpu_online_mask);
	struct task_struct *t;

	KUNIT_ASSERT_EQ(test, remove_cpu(cpu), 0);
	up->cpu = cpu;
	init_completion(&up->done);
	relayx_park_arm(park, NULL, RELAYX_HOOK_CPU_PREPARED);
	t = kthread_run(relayx_cpu_up_thread, up, "relayx_cpu_up");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	KUNIT_ASSERT_TRUE_MSG(test, relayx_park_wait(park),
			      "cpu %u's bring-up never reached relayx's prepare",
			      cpu);
	KUNIT_EXPECT_FALSE(test, cpu_online(cpu));
	return cpu;
}

/* Let the bring-up go on: the CPU must come online. */
static void cpu_unpark(struct kunit *test, struct relayx_park *park,
		       struct relayx_cpu_up *up)
{
	KUNIT_EXPECT_TRUE_MSG(test, relayx_park_release(park),
			      "the bring-up was not parked while the test ran");
	KUNIT_ASSERT_TRUE_MSG(test,
			      wait_for_completion_timeout(&up->done,
							  msecs_to_jiffies(THREAD_END_MS)),
			      "add_cpu(%u) never returned", up->cpu);
	KUNIT_EXPECT_EQ(test, up->err, 0);
	KUNIT_EXPECT_TRUE(test, cpu_online(up->cpu));
}

/* MSG bytes of 0x3c, written from an IPI on the buffer's CPU. */
static void write_msg_ipi(void *info)
{
	u8 msg[MSG];

	memset(msg, 0x3c, sizeof(msg));
	relayx_write(info, msg, sizeof(msg));
}

/*
 * A flush while a CPU is between prepare and online: its bit is set in
 * up_cpus but the IPI cannot reach it (smp_call_function_single() fails),
 * so the flush switches its buffer from the caller. What the CPU wrote
 * before it went down is then a complete sub-buffer.
 */
static void relayx_paths_flush_cpu_prepared(struct kunit *test)
{
	struct relayx_park park;
	struct relayx_cpu_up up;
	struct relayx_chan *chan;
	struct relayx_buf *buf;
	unsigned int cpu;

	need_second_cpu(test);
	cpu = cpumask_last(cpu_online_mask);
	chan = relayx_open(NULL, NULL, SB, NSB, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	KUNIT_ASSERT_EQ(test, smp_call_function_single(cpu, write_msg_ipi,
						       chan, 1), 0);
	cpu = cpu_park_prepared(test, &park, &up);
	buf = relayx_chan_buf(chan, cpu);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_TRUE_MSG(test, cpumask_test_cpu(cpu, to_cpumask(chan->up_cpus)),
			      "prepare did not mark cpu %u as running a writer", cpu);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)0);
	relayx_flush(chan);
	KUNIT_EXPECT_EQ_MSG(test, buf->subbufs_produced, (size_t)1,
			    "the flush left cpu %u's sub-buffer unfinished", cpu);
	KUNIT_EXPECT_EQ(test, buf->padding[0], (u32)(SB - MSG));
	KUNIT_EXPECT_TRUE(test, all_bytes(relayx_subbuf_addr(buf, 0), MSG, 0x3c));
	cpu_unpark(test, &park, &up);
	/* Online: the IPI path again, for the next sub-buffer. */
	KUNIT_EXPECT_EQ(test, smp_call_function_single(cpu, write_msg_ipi,
						       chan, 1), 0);
	relayx_flush(chan);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)2);
	relayx_close(chan);
}

/* A client whose create_buf_file fails for one CPU's buffer. */
static unsigned int paths_fail_cpu;
static atomic_t paths_created, paths_removed;

static struct dentry *paths_create(const char *filename, struct dentry *parent,
				   umode_t mode, struct relayx_buf *buf,
				   int *is_global)
{
	struct dentry *d;

	if (buf->cpu == READ_ONCE(paths_fail_cpu))
		return NULL;
	d = debugfs_create_file(filename, mode, parent, buf,
				&relayx_file_operations);
	if (!IS_ERR(d))
		atomic_inc(&paths_created);
	return d;
}

static int paths_remove(struct dentry *dentry)
{
	atomic_inc(&paths_removed);
	debugfs_remove(dentry);
	return 0;
}

static const struct relayx_callbacks paths_cb = {
	.create_buf_file = paths_create,
	.remove_buf_file = paths_remove,
};

/*
 * A channel opened while a CPU is between prepare and online: the open
 * gives the online CPUs their buffers, and relayx_hotcpu_add() the
 * prepared one. When that CPU's buffer cannot be made (its file is
 * refused), the open fails whole, every file made is removed, and the
 * CPU still comes up; a second open, which can make it, gives the CPU a
 * buffer that works once it is online.
 */
static void relayx_paths_open_cpu_prepared(struct kunit *test)
{
	struct relayx_park park;
	struct relayx_cpu_up up;
	struct relayx_chan *chan;
	struct relayx_buf *buf;
	unsigned int cpu, online;

	need_second_cpu(test);
	atomic_set(&paths_created, 0);
	atomic_set(&paths_removed, 0);
	cpu = cpu_park_prepared(test, &park, &up);
	online = num_online_cpus();

	WRITE_ONCE(paths_fail_cpu, cpu);
	chan = relayx_open_err("relayx_paths", NULL, SB, NSB, &paths_cb, NULL);
	KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(chan), -ENOMEM,
			    "open with cpu %u's file refused", cpu);
	if (!IS_ERR(chan))
		relayx_close(chan);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&paths_created), (int)online,
			    "the online CPUs' files were not all made first");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&paths_removed),
			    atomic_read(&paths_created),
			    "the failed open left files behind");

	WRITE_ONCE(paths_fail_cpu, UINT_MAX);
	chan = relayx_open_err("relayx_paths", NULL, SB, NSB, &paths_cb, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(chan));
	buf = relayx_chan_buf(chan, cpu);
	KUNIT_EXPECT_NOT_NULL_MSG(test, buf,
				  "no buffer for cpu %u, prepared at open", cpu);
	KUNIT_EXPECT_TRUE(test, cpumask_test_cpu(cpu, to_cpumask(chan->up_cpus)));
	cpu_unpark(test, &park, &up);
	if (buf) {
		KUNIT_EXPECT_EQ(test, smp_call_function_single(cpu, write_msg_ipi,
							       chan, 1), 0);
		relayx_flush(chan);
		KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)1);
		KUNIT_EXPECT_TRUE(test, all_bytes(relayx_subbuf_addr(buf, 0),
						  MSG, 0x3c));
	}
	relayx_close(chan);
	KUNIT_EXPECT_EQ(test, atomic_read(&paths_removed),
			atomic_read(&paths_created));
}

/* --- a reader that loses its commit ------------------------------------------ */

/* One read() or splice() into its own buffer, from a thread of its own. */
struct reader_call {
	struct file *file;
	bool splice;
	u8 data[SB];
	ssize_t ret;
	struct completion done;
};

/* read() into a kernel buffer, as read(2) into user memory. */
static ssize_t read_into(struct file *file, u8 *dst, size_t len)
{
	struct kvec kv = { .iov_base = dst, .iov_len = len };
	struct kiocb kiocb;
	struct iov_iter to;

	init_sync_kiocb(&kiocb, file);
	iov_iter_kvec(&to, READ, &kv, 1, len);
	return relayx_file_operations.read_iter(&kiocb, &to);
}

/*
 * splice() through the internal pipe of do_splice_direct() (what
 * sendfile() does) into a shmem file, read back into @dst.
 */
static ssize_t splice_into(struct file *file, u8 *dst, size_t len)
{
	loff_t in = 0, out = 0, back = 0;
	struct file *sink;
	ssize_t ret, got;

	sink = shmem_file_setup("relayx_paths", 0, VM_NORESERVE);
	if (IS_ERR(sink))
		return PTR_ERR(sink);
	ret = do_splice_direct(file, &in, sink, &out, len, 0);
	if (ret > 0) {
		got = kernel_read(sink, dst, len, &back);
		if (got != ret)
			ret = -EIO;
	}
	fput(sink);
	return ret;
}

static int reader_thread(void *data)
{
	struct reader_call *c = data;

	memset(c->data, 0, sizeof(c->data));
	c->ret = c->splice ? splice_into(c->file, c->data, sizeof(c->data)) :
			     read_into(c->file, c->data, sizeof(c->data));
	complete(&c->done);
	return 0;
}

/*
 * A first reader copies three messages and is parked before it commits;
 * a second reads the same three meanwhile, and a fourth message is
 * written. The first must lose its commit and return the fourth message
 * only: no byte twice, none lost, and nothing more is left to read.
 */
static void lose_commit(struct kunit *test, bool splice)
{
	struct relayx_park park;
	struct relayx_chan *chan;
	struct relayx_buf *buf;
	struct reader_call *first;
	struct file *file;
	u8 msg[MSG], second[SB];
	ssize_t ret;

	first = kunit_kzalloc(test, sizeof(*first), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, first);
	chan = relayx_open(NULL, NULL, SB, NSB, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = relayx_test_pin(chan);
	memset(msg, 0x11, sizeof(msg));
	relayx_write(chan, msg, sizeof(msg));
	relayx_write(chan, msg, sizeof(msg));
	relayx_write(chan, msg, sizeof(msg));
	/* A real file: splice() wants one; both readers share it. */
	file = relayx_buf_anon_file(buf);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));

	first->file = file;
	first->splice = splice;
	init_completion(&first->done);
	relayx_park_arm(&park, buf, RELAYX_HOOK_READ_COPIED);
	KUNIT_ASSERT_FALSE(test, IS_ERR(kthread_run(reader_thread, first,
						    "relayx_reader")));
	KUNIT_EXPECT_TRUE(test, relayx_park_wait(&park));

	ret = read_into(file, second, sizeof(second));
	KUNIT_EXPECT_EQ(test, ret, (ssize_t)(3 * MSG));
	KUNIT_EXPECT_TRUE(test, all_bytes(second, 3 * MSG, 0x11));
	memset(msg, 0x22, sizeof(msg));
	relayx_write(chan, msg, sizeof(msg));

	KUNIT_EXPECT_TRUE_MSG(test, relayx_park_release(&park),
			      "the second reader did not overlap the first's copy");
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&first->done,
							    msecs_to_jiffies(THREAD_END_MS)));
	KUNIT_EXPECT_EQ_MSG(test, first->ret, (ssize_t)MSG,
			    "%s after losing its commit", splice ? "splice()" : "read()");
	KUNIT_EXPECT_TRUE_MSG(test, all_bytes(first->data, MSG, 0x22),
			      "%s returned bytes the other reader took: %*ph",
			      splice ? "splice()" : "read()", 16, first->data);
	/*
	 * Beyond what read() returned, its buffer may still hold the copy it
	 * took back (read(2) leaves those bytes unspecified); a pipe holds
	 * only what splice() returned, which the shmem file shows.
	 */
	KUNIT_EXPECT_EQ_MSG(test, read_into(file, second, sizeof(second)),
			    (ssize_t)0, "bytes left unconsumed");
	migrate_enable();
	fput(file);
	relayx_close(chan);
}

static void relayx_paths_read_loses_commit(struct kunit *test)
{
	lose_commit(test, false);
}

static void relayx_paths_splice_loses_commit(struct kunit *test)
{
	lose_commit(test, true);
}

static struct kunit_case relayx_paths_cases[] = {
	KUNIT_CASE(relayx_paths_flush_cpu_prepared),
	KUNIT_CASE(relayx_paths_open_cpu_prepared),
	KUNIT_CASE(relayx_paths_read_loses_commit),
	KUNIT_CASE(relayx_paths_splice_loses_commit),
	{}
};

struct kunit_suite relayx_paths_suite = {
	.name = "relayx_paths",
	.test_cases = relayx_paths_cases,
};
