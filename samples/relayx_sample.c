// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal relayx client: on load it writes nr_records numbered records
 * on every online CPU into /sys/kernel/debug/relayx_sample/cpuN and
 * flushes. relayx's accounting is in cpustats beside them, and on each
 * file through RELAYX_GET_STATS, so that a reader can check that every
 * record is either read or counted.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/workqueue.h>

#include <relayx/relayx.h>

#include "relayx_sample.h"

static unsigned int nr_records = 1000;
module_param(nr_records, uint, 0444);
MODULE_PARM_DESC(nr_records, "records written on each CPU");

static unsigned int subbuf_size = 4096;
module_param(subbuf_size, uint, 0444);
MODULE_PARM_DESC(subbuf_size, "bytes per sub-buffer");

static unsigned int n_subbufs = 8;
module_param(n_subbufs, uint, 0444);
MODULE_PARM_DESC(n_subbufs, "sub-buffers per CPU");

static struct dentry *dir;
static struct relayx_chan *chan;

static long sample_write_records(void *unused)
{
	struct relayx_sample_record rec = {
		.magic = RELAYX_SAMPLE_MAGIC,
		.cpu = smp_processor_id(),
	};
	unsigned int i;

	for (i = 0; i < nr_records; i++) {
		rec.seq = i;
		relayx_sample_fill(&rec);
		relayx_write(chan, &rec, sizeof(rec));
	}
	return 0;
}

static int __init sample_init(void)
{
	unsigned int cpu;

	dir = debugfs_create_dir("relayx_sample", NULL);
	chan = relayx_open("cpu", dir, subbuf_size, n_subbufs, NULL, NULL);
	if (!chan) {
		debugfs_remove(dir);
		return -ENOMEM;
	}

	cpus_read_lock();
	for_each_online_cpu(cpu)
		work_on_cpu(cpu, sample_write_records, NULL);
	cpus_read_unlock();
	relayx_flush(chan);
	return 0;
}

static void __exit sample_exit(void)
{
	relayx_close(chan);
	debugfs_remove(dir);
}

module_init(sample_init);
module_exit(sample_exit);
MODULE_DESCRIPTION("relayx sample client: numbered records on every CPU");
MODULE_LICENSE("GPL");
