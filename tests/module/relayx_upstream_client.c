// SPDX-License-Identifier: GPL-2.0
/*
 * A client of the kernel's own relay (kernel/relay.c, <linux/relay.h>),
 * not of relayx: relayx-collect must also drain channels it did not make.
 * Its files come from debugfs_create_file(), as in-tree relay clients
 * make them, so user space reaches them through debugfs' proxy (no mmap,
 * no relayx ioctls): the collector has to fall back to read() and poll().
 *
 * /sys/kernel/debug/relayx_upstream/ holds cpuN and a "ctl" file taking
 * one command per write:
 *
 *   run     on every online CPU in turn, "records" numbered records
 *           (samples/relayx_sample.h), then relay_flush()
 *   close   relay_close(): readers see the end of the stream. Upstream
 *           relay removes the files right away, and debugfs' proxy then
 *           fails their reads with EIO: what a reader had not read yet is
 *           lost, so the tests close once the collector has it all.
 *
 * The buffers are large enough for every record of a run, so nothing is
 * dropped whether a reader keeps up or not: upstream relay counts no drops
 * a reader could check against.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/relay.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "relayx_sample.h"

static unsigned int records = 2000;
module_param(records, uint, 0444);
MODULE_PARM_DESC(records, "records each CPU writes on \"run\"");

static unsigned int subbuf_size = 4096;
module_param(subbuf_size, uint, 0444);
MODULE_PARM_DESC(subbuf_size, "bytes per sub-buffer");

static unsigned int n_subbufs = 64;
module_param(n_subbufs, uint, 0444);
MODULE_PARM_DESC(n_subbufs, "sub-buffers per CPU");

static struct dentry *relayx_upstream_client_dir;
static struct rchan *relayx_upstream_client_chan;
static DEFINE_MUTEX(relayx_upstream_client_lock);

static struct dentry *
relayx_upstream_client_create(const char *filename, struct dentry *parent,
			      umode_t mode, struct rchan_buf *buf,
			      int *is_global)
{
	/* The proxied variant on purpose: that is what upstream clients get. */
	return debugfs_create_file(filename, mode, parent, buf,
				   &relay_file_operations);
}

static int relayx_upstream_client_remove(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct rchan_callbacks relayx_upstream_client_cb = {
	.create_buf_file = relayx_upstream_client_create,
	.remove_buf_file = relayx_upstream_client_remove,
};

static long relayx_upstream_client_write_cpu(void *unused)
{
	struct relayx_sample_record rec = {
		.magic = RELAYX_SAMPLE_MAGIC,
		.cpu = raw_smp_processor_id(),
	};
	unsigned int i;

	for (i = 0; i < records; i++) {
		rec.seq = i;
		relayx_sample_fill(&rec);
		relay_write(relayx_upstream_client_chan, &rec, sizeof(rec));
		/* Spread the run out so that the reader drains while it goes. */
		if (i % 64 == 63)
			usleep_range(50, 100);
	}
	return 0;
}

static int relayx_upstream_client_run(void)
{
	unsigned int cpu;

	if (!relayx_upstream_client_chan)
		return -ENODEV;
	cpus_read_lock();
	for_each_online_cpu(cpu)
		work_on_cpu(cpu, relayx_upstream_client_write_cpu, NULL);
	cpus_read_unlock();
	relay_flush(relayx_upstream_client_chan);
	return 0;
}

static ssize_t relayx_upstream_client_ctl(struct file *filp,
					  const char __user *ubuf,
					  size_t count, loff_t *ppos)
{
	char cmd[16];
	int ret;

	if (count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = '\0';
	mutex_lock(&relayx_upstream_client_lock);
	if (!strcmp(strim(cmd), "run")) {
		ret = relayx_upstream_client_run();
	} else if (!strcmp(cmd, "close") && relayx_upstream_client_chan) {
		relay_close(relayx_upstream_client_chan);
		relayx_upstream_client_chan = NULL;
		ret = 0;
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&relayx_upstream_client_lock);
	return ret ? ret : count;
}

static const struct file_operations relayx_upstream_client_ctl_fops = {
	.owner = THIS_MODULE,
	.write = relayx_upstream_client_ctl,
	.llseek = noop_llseek,
};

static int __init relayx_upstream_client_init(void)
{
	struct dentry *dir = debugfs_create_dir("relayx_upstream", NULL);

	relayx_upstream_client_dir = dir;
	relayx_upstream_client_chan = relay_open("cpu", dir, subbuf_size,
						 n_subbufs,
						 &relayx_upstream_client_cb,
						 NULL);
	if (!relayx_upstream_client_chan) {
		debugfs_remove(dir);
		return -ENOMEM;
	}
	debugfs_create_file("ctl", 0200, dir, NULL,
			    &relayx_upstream_client_ctl_fops);
	return 0;
}

static void __exit relayx_upstream_client_exit(void)
{
	mutex_lock(&relayx_upstream_client_lock);
	if (relayx_upstream_client_chan)
		relay_close(relayx_upstream_client_chan);
	relayx_upstream_client_chan = NULL;
	mutex_unlock(&relayx_upstream_client_lock);
	debugfs_remove(relayx_upstream_client_dir);
}

module_init(relayx_upstream_client_init);
module_exit(relayx_upstream_client_exit);
MODULE_DESCRIPTION("upstream relay client for the relayx-collect tests");
MODULE_LICENSE("GPL");
