// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal relayx client: on load it writes nr_records numbered records
 * on every online CPU into /sys/kernel/debug/relayx_sample/cpuN and
 * flushes. relayx's accounting is in cpustats beside them, and on each
 * file through RELAYX_GET_STATS, so that a reader can check that every
 * record is either read or counted.
 *
 * With rate=N it writes N records per second on each CPU instead, in
 * batches ten times a second, from work items bound to the CPUs that were
 * online at load, so that a collector has something to follow (make
 * demo); done turns 1 once every CPU has written all and flushed.
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

static unsigned int rate;
module_param(rate, uint, 0444);
MODULE_PARM_DESC(rate, "records per second on each CPU; 0: all at load");

static bool done;
module_param(done, bool, 0444);
MODULE_PARM_DESC(done, "every record written and flushed");

static struct dentry *dir;
static struct relayx_chan *chan;

/* rate mode: one work item per CPU, and how many CPUs still write. */
struct sample_cpu {
	struct delayed_work work;
	unsigned int next;	/* sequence number of the next record */
};

static DEFINE_PER_CPU(struct sample_cpu, sample_cpus);
static atomic_t cpus_writing;

/* Records @from to @to - 1 of this CPU; runs bound to it. */
static void sample_write_range(unsigned int from, unsigned int to)
{
	struct relayx_sample_record rec = {
		.magic = RELAYX_SAMPLE_MAGIC,
		.cpu = smp_processor_id(),
	};

	for (rec.seq = from; rec.seq < to; rec.seq++) {
		relayx_sample_fill(&rec);
		relayx_write(chan, &rec, sizeof(rec));
	}
}

static long sample_write_records(void *unused)
{
	sample_write_range(0, nr_records);
	return 0;
}

/* One tenth of a second's records, then again in a tenth of a second. */
static void sample_batch(struct work_struct *work)
{
	struct sample_cpu *sc = container_of(to_delayed_work(work),
					     struct sample_cpu, work);
	unsigned int to = min(nr_records, sc->next + max(rate / 10, 1U));

	sample_write_range(sc->next, to);
	sc->next = to;
	if (to < nr_records) {
		schedule_delayed_work_on(smp_processor_id(), &sc->work, HZ / 10);
		return;
	}
	if (atomic_dec_and_test(&cpus_writing)) {
		relayx_flush(chan);
		WRITE_ONCE(done, true);
	}
}

static void sample_start_rate(void)
{
	unsigned int cpu;

	cpus_read_lock();
	atomic_set(&cpus_writing, num_online_cpus());
	for_each_online_cpu(cpu) {
		INIT_DELAYED_WORK(&per_cpu(sample_cpus, cpu).work, sample_batch);
		schedule_delayed_work_on(cpu, &per_cpu(sample_cpus, cpu).work, 0);
	}
	cpus_read_unlock();
}

static void sample_stop_rate(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		if (per_cpu(sample_cpus, cpu).work.work.func)
			cancel_delayed_work_sync(&per_cpu(sample_cpus, cpu).work);
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

	if (rate) {
		sample_start_rate();
		return 0;
	}
	cpus_read_lock();
	for_each_online_cpu(cpu)
		work_on_cpu(cpu, sample_write_records, NULL);
	cpus_read_unlock();
	relayx_flush(chan);
	done = true;
	return 0;
}

static void __exit sample_exit(void)
{
	sample_stop_rate();
	relayx_close(chan);
	debugfs_remove(dir);
}

module_init(sample_init);
module_exit(sample_exit);
MODULE_DESCRIPTION("relayx sample client: numbered records on every CPU");
MODULE_LICENSE("GPL");
