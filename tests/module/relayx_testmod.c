// SPDX-License-Identifier: GPL-2.0
/*
 * The client the user-space tests drive: channels "a" and "b" in
 * /sys/kernel/debug/relayx_test/, both fed the same numbered records
 * (samples/relayx_sample.h), and a "ctl" file taking one command per
 * write:
 *
 *   write N   N records from the writing task's CPU
 *   run       from a kthread on every online CPU, as many records as
 *             the records parameter says, then close; returns when done
 *   start     a writer kthread per online CPU, not bound to it, writing
 *             until "stop", which then closes (for CPU hotplug)
 *   setup     relayx_late_setup_files() (module loaded with early=1, the
 *             channels then start without files)
 *   flush     relayx_flush() both channels
 *   pause     stop the "start" writers, keep the channels
 *   reset     pause, then relayx_reset() both channels and start the
 *             records of every CPU from 0 again
 *   close     relayx_close() both channels
 *   open      open both channels again after "close", as at load time;
 *             fails with relayx_open_err()'s errno
 *
 * "mapped" shows the buf_mapped/buf_unmapped calls the client received,
 * "seqs" how many records each CPU was handed ("cpu count" lines).
 *
 * With global=1, channel "b" is a global channel: one buffer, one file
 * "b0", whose writers (and flushes) the client serializes with a raw
 * spinlock as global mode wants (they run with preemption off, where a
 * spinlock_t would sleep on PREEMPT_RT); "a" stays per-CPU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <relayx/relayx.h>

#include "relayx_sample.h"

static unsigned int subbuf_size = 4096;
module_param(subbuf_size, uint, 0444);
MODULE_PARM_DESC(subbuf_size, "bytes per sub-buffer");

static unsigned int n_subbufs = 8;
module_param(n_subbufs, uint, 0444);
MODULE_PARM_DESC(n_subbufs, "sub-buffers per CPU");

static bool overwrite;
module_param(overwrite, bool, 0444);
MODULE_PARM_DESC(overwrite, "flight-recorder mode instead of no-overwrite");

static unsigned int records = 10000;
module_param(records, uint, 0444);
MODULE_PARM_DESC(records, "records each CPU writes on \"run\"");

static bool early;
module_param(early, bool, 0444);
MODULE_PARM_DESC(early, "open buffer-only channels; \"setup\" adds the files");

static bool global;
module_param(global, bool, 0444);
MODULE_PARM_DESC(global, "channel b has one global buffer instead of one per CPU");

static struct dentry *dir;
static struct relayx_chan *chans[2];
static DEFINE_MUTEX(ctl_lock);		/* commands, and closing the channels */
static DEFINE_PER_CPU(u64, next_seq);
static DEFINE_RAW_SPINLOCK(global_lock);	/* the writers of a global "b" */
static struct task_struct **free_writers;	/* "start" */
static atomic_t mapped, unmapped;

static int testmod_subbuf_start(struct relayx_buf *buf, void *subbuf,
				void *prev_subbuf, size_t prev_padding)
{
	return overwrite || !relayx_buf_full(buf);
}

static void testmod_buf_mapped(struct relayx_buf *buf, struct file *filp)
{
	atomic_inc(&mapped);
}

static void testmod_buf_unmapped(struct relayx_buf *buf, struct file *filp)
{
	atomic_inc(&unmapped);
}

static const struct relayx_callbacks testmod_cb = {
	.subbuf_start = testmod_subbuf_start,
	.buf_mapped = testmod_buf_mapped,
	.buf_unmapped = testmod_buf_unmapped,
};

/* Channel b with global=1: the default file, and one buffer for all CPUs. */
static struct dentry *testmod_create_global_file(const char *filename,
						 struct dentry *parent,
						 umode_t mode,
						 struct relayx_buf *buf,
						 int *is_global)
{
	*is_global = 1;
	if (!filename)
		return NULL;
	return debugfs_create_file_unsafe(filename, mode, parent, buf,
					  &relayx_file_operations);
}

static const struct relayx_callbacks testmod_global_cb = {
	.subbuf_start = testmod_subbuf_start,
	.buf_mapped = testmod_buf_mapped,
	.buf_unmapped = testmod_buf_unmapped,
	.create_buf_file = testmod_create_global_file,
};

/* One record, to both channels, from the current CPU. */
static void testmod_write_one(void)
{
	struct relayx_sample_record rec = { .magic = RELAYX_SAMPLE_MAGIC };

	preempt_disable();
	rec.cpu = smp_processor_id();
	rec.seq = this_cpu_inc_return(next_seq) - 1;
	relayx_sample_fill(&rec);
	relayx_write(chans[0], &rec, sizeof(rec));
	if (global) {
		raw_spin_lock(&global_lock);
		relayx_write(chans[1], &rec, sizeof(rec));
		raw_spin_unlock(&global_lock);
	} else {
		relayx_write(chans[1], &rec, sizeof(rec));
	}
	preempt_enable();
}

/* "run": writers still writing, and the completion of the last one. */
static atomic_t run_left;
static DECLARE_COMPLETION(run_done);

static int testmod_writer(void *unused)
{
	unsigned int i;

	for (i = 0; i < records; i++) {
		testmod_write_one();
		/* Give the consumers a chance, so that not everything drops. */
		if (i % 64 == 63)
			usleep_range(50, 100);
	}
	if (atomic_dec_and_test(&run_left))
		complete(&run_done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static int testmod_free_writer(void *unused)
{
	unsigned int i = 0;

	/* Lighter than "run": CPU hotplug needs the vCPUs too. */
	while (!kthread_should_stop()) {
		testmod_write_one();
		if (++i % 8 == 0)
			usleep_range(1000, 2000);
	}
	return 0;
}

static int testmod_start(void)
{
	unsigned int i;

	if (free_writers)
		return -EBUSY;
	free_writers = kcalloc(nr_cpu_ids, sizeof(*free_writers), GFP_KERNEL);
	if (!free_writers)
		return -ENOMEM;
	for (i = 0; i < num_online_cpus(); i++)
		free_writers[i] = kthread_run(testmod_free_writer, NULL,
					      "relayx_free/%u", i);
	return 0;
}

static void testmod_stop(void)
{
	unsigned int i;

	if (!free_writers)
		return;
	for (i = 0; i < nr_cpu_ids; i++)
		if (!IS_ERR_OR_NULL(free_writers[i]))
			kthread_stop(free_writers[i]);
	kfree(free_writers);
	free_writers = NULL;
}

static int testmod_run(void)
{
	struct task_struct **tasks;
	unsigned int cpu;

	tasks = kcalloc(nr_cpu_ids, sizeof(*tasks), GFP_KERNEL);
	if (!tasks)
		return -ENOMEM;
	/*
	 * Each writer writes all its records before it may be stopped: a
	 * kthread stopped before it first runs never runs at all.
	 */
	reinit_completion(&run_done);
	atomic_set(&run_left, 1);
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		tasks[cpu] = kthread_create_on_cpu(testmod_writer, NULL, cpu,
						   "relayx_test/%u");
		if (!IS_ERR(tasks[cpu])) {
			atomic_inc(&run_left);
			wake_up_process(tasks[cpu]);
		}
	}
	if (atomic_dec_and_test(&run_left))
		complete(&run_done);
	wait_for_completion(&run_done);
	for_each_online_cpu(cpu)
		if (!IS_ERR_OR_NULL(tasks[cpu]))
			kthread_stop(tasks[cpu]);
	cpus_read_unlock();
	kfree(tasks);
	return 0;
}

/* Writers stopped: both channels and the record numbers start afresh. */
static void testmod_reset(void)
{
	unsigned int cpu;

	testmod_stop();
	relayx_reset(chans[0]);
	relayx_reset(chans[1]);
	for_each_possible_cpu(cpu)
		per_cpu(next_seq, cpu) = 0;
}

static void testmod_close(void)
{
	testmod_stop();
	relayx_close(chans[0]);
	relayx_close(chans[1]);
	chans[0] = NULL;
	chans[1] = NULL;
}

/* Both channels or neither. */
static int testmod_open(void)
{
	struct relayx_chan *c[2];
	int i;

	for (i = 0; i < 2; i++) {
		c[i] = relayx_open_err(early ? NULL : i ? "b" : "a",
				       early ? NULL : dir, subbuf_size,
				       n_subbufs,
				       global && i ? &testmod_global_cb : &testmod_cb,
				       NULL);
		if (IS_ERR(c[i])) {
			if (i)
				relayx_close(c[0]);
			return PTR_ERR(c[i]);
		}
	}
	chans[0] = c[0];
	chans[1] = c[1];
	return 0;
}

/* A global channel is flushed with its writers kept out. */
static void testmod_flush_b(void)
{
	if (!global) {
		relayx_flush(chans[1]);
		return;
	}
	raw_spin_lock(&global_lock);
	relayx_flush(chans[1]);
	raw_spin_unlock(&global_lock);
}

static ssize_t ctl_write(struct file *filp, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	unsigned int n, i;
	char cmd[32];
	int ret = 0;

	if (count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = '\0';
	strim(cmd);

	mutex_lock(&ctl_lock);
	if (!strcmp(cmd, "open")) {
		ret = chans[0] ? -EBUSY : testmod_open();
	} else if (!chans[0]) {
		ret = -ENODEV;
	} else if (sscanf(cmd, "write %u", &n) == 1) {
		for (i = 0; i < n; i++)
			testmod_write_one();
	} else if (!strcmp(cmd, "run")) {
		ret = testmod_run();
	} else if (!strcmp(cmd, "start")) {
		ret = testmod_start();
	} else if (!strcmp(cmd, "stop")) {
		testmod_close();
	} else if (!strcmp(cmd, "setup")) {
		ret = relayx_late_setup_files(chans[0], "a", dir) ?:
		      relayx_late_setup_files(chans[1], "b", dir);
	} else if (!strcmp(cmd, "pause")) {
		testmod_stop();
	} else if (!strcmp(cmd, "reset")) {
		testmod_reset();
	} else if (!strcmp(cmd, "flush")) {
		relayx_flush(chans[0]);
		testmod_flush_b();
	} else if (!strcmp(cmd, "close")) {
		testmod_close();
	} else {
		ret = -EINVAL;
	}
	if (!ret && !strcmp(cmd, "run"))
		testmod_close();
	mutex_unlock(&ctl_lock);
	return ret ? ret : count;
}

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
	.llseek = noop_llseek,
};

static int mapped_show(struct seq_file *m, void *v)
{
	seq_printf(m, "mapped %d unmapped %d\n", atomic_read(&mapped),
		   atomic_read(&unmapped));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mapped);

static int seqs_show(struct seq_file *m, void *v)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		seq_printf(m, "%u %llu\n", cpu, per_cpu(next_seq, cpu));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(seqs);

static int __init testmod_init(void)
{
	int err;

	dir = debugfs_create_dir("relayx_test", NULL);
	err = testmod_open();
	if (err) {
		debugfs_remove(dir);
		return err;
	}
	debugfs_create_file("ctl", 0200, dir, NULL, &ctl_fops);
	debugfs_create_file("mapped", 0400, dir, NULL, &mapped_fops);
	debugfs_create_file("seqs", 0400, dir, NULL, &seqs_fops);
	return 0;
}

static void __exit testmod_exit(void)
{
	mutex_lock(&ctl_lock);
	if (chans[0])
		testmod_close();
	mutex_unlock(&ctl_lock);
	debugfs_remove(dir);
}

module_init(testmod_init);
module_exit(testmod_exit);
MODULE_DESCRIPTION("relayx test client driven from user space");
MODULE_LICENSE("GPL");
