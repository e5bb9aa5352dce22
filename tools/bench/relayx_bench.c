// SPDX-License-Identifier: GPL-2.0
/*
 * Writer benchmark: relayx against upstream relay, ftrace's ring buffer
 * and the memcpy floor, in one boot. Loading the module measures, for
 * each message size, the cost of a message on one CPU and on all online
 * CPUs at once (a pinned kthread each, released together), and prints
 * one line per implementation, size and mode:
 *
 *   writer IMPL SIZE CPUS ns_per_msg=N mb_per_s=N
 *
 * N is the median of @runs runs after a warm-up run; a run writes
 * @run_kib KiB per CPU, and the runs go round the implementations. relayx
 * and relay use the same geometry in
 * overwrite mode, so that no message is dropped; the producer/consumer
 * ring buffer is reset before each run and large enough not to fill.
 *
 * It also leaves two channels with files for the reader benchmark
 * (tools/bench/relayx_bench_reader.c) in /sys/kernel/debug/relayx_bench:
 * x<cpu> (relayx) and u<cpu> (relay), no-overwrite, and "ctl", where
 * "fill" fills both buffers of the writing CPU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/relay.h>
#include <linux/ring_buffer.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include <relayx/relayx.h>

#define SUBBUF		(64 * 1024)
#define NSUB		8
#define READ_NSUB	16
#define MAX_RUNS	15

static unsigned int runs = 5;
module_param(runs, uint, 0444);
MODULE_PARM_DESC(runs, "timed runs per measurement (median taken), at most 15");

static unsigned int run_kib = 1024;
module_param(run_kib, uint, 0444);
MODULE_PARM_DESC(run_kib, "KiB each CPU writes per run");

static const unsigned int sizes[] = { 16, 64, 256, 1024, 4096 };

enum impl {
	RELAYX_WRITE, RELAYX_UWRITE, RELAYX_RESERVE, RELAY_WRITE,
	RB_OVERWRITE, RB_PRODCONS, FLOOR, RELAYX_PRINTF, SNPRINTF_WRITE,
	NR_IMPLS
};

static const char * const impl_names[NR_IMPLS] = {
	"relayx_write", "__relayx_write", "relayx_reserve", "relay_write",
	"rb_overwrite", "rb_prodcons", "floor", "relayx_printf",
	"snprintf_write",
};

static struct relayx_chan *relayx_wr;
static struct rchan *relay_wr;
static struct trace_buffer *rb_over, *rb_pc;
static DEFINE_PER_CPU(void *, floor_page);
static void *msg;
static char *text;		/* 4095 'x' and a NUL, for the printf lines */

/* Lockstep between the per-CPU threads of one all-CPU measurement. */
static atomic_t arrived;
static atomic_t generation;
static unsigned int nr_threads;

struct bench_thread {
	struct task_struct *task;
	enum impl impl;
	unsigned int len;
	u64 ns;
	struct completion done;
};

static int keep_going(struct relayx_buf *buf, void *subbuf, void *prev,
		      size_t prev_padding)
{
	return 1;
}

static const struct relayx_callbacks rx_cb = { .subbuf_start = keep_going };

static int relay_keep_going(struct rchan_buf *buf, void *subbuf, void *prev,
			    size_t prev_padding)
{
	return 1;
}

static struct dentry *relay_create(const char *filename, struct dentry *parent,
				   umode_t mode, struct rchan_buf *buf,
				   int *is_global)
{
	return debugfs_create_file(filename, mode, parent, buf,
				   &relay_file_operations);
}

static int relay_remove(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static struct rchan_callbacks up_cb = {
	.subbuf_start = relay_keep_going,
	.create_buf_file = relay_create,
	.remove_buf_file = relay_remove,
};

static struct rchan_callbacks up_read_cb = {
	.create_buf_file = relay_create,
	.remove_buf_file = relay_remove,
};

static void floor_copy(unsigned int len, size_t *off)
{
	unsigned long flags;
	void *page;

	local_irq_save(flags);
	page = this_cpu_read(floor_page);
	if (*off + len > PAGE_SIZE)
		*off = 0;
	memcpy(page + *off, msg, len);
	*off += len;
	local_irq_restore(flags);
}

static void reserve_copy(unsigned int len)
{
	void *slot;

	preempt_disable();
	slot = relayx_reserve(relayx_wr, len);
	if (slot)
		memcpy(slot, msg, len);
	preempt_enable();
}

/*
 * The printf lines format @len - 1 characters of text, @len bytes with
 * the NUL: relayx_printf() in place, or snprintf() into a per-cpu page
 * and relayx_write() of that, as a client without relayx_printf() would.
 */
static void snprintf_write(unsigned int len)
{
	unsigned long flags;
	char *scratch;

	local_irq_save(flags);
	scratch = this_cpu_read(floor_page);
	snprintf(scratch, len, "%.*s", len - 1, text);
	relayx_write(relayx_wr, scratch, len);
	local_irq_restore(flags);
}

/* Nanoseconds for @n messages of @len bytes; the loop is per impl. */
static u64 time_impl(enum impl impl, unsigned int len, unsigned int n)
{
	size_t off = 0;
	unsigned int i;
	u64 t0 = ktime_get_ns();

	switch (impl) {
	case RELAYX_WRITE:
		for (i = 0; i < n; i++)
			relayx_write(relayx_wr, msg, len);
		break;
	case RELAYX_UWRITE:
		for (i = 0; i < n; i++)
			__relayx_write(relayx_wr, msg, len);
		break;
	case RELAYX_RESERVE:
		for (i = 0; i < n; i++)
			reserve_copy(len);
		break;
	case RELAY_WRITE:
		for (i = 0; i < n; i++)
			relay_write(relay_wr, msg, len);
		break;
	case RB_OVERWRITE:
		for (i = 0; i < n; i++)
			ring_buffer_write(rb_over, len, msg);
		break;
	case RB_PRODCONS:
		for (i = 0; i < n; i++)
			ring_buffer_write(rb_pc, len, msg);
		break;
	case RELAYX_PRINTF:
		for (i = 0; i < n; i++)
			relayx_printf(relayx_wr, "%.*s", len - 1, text);
		break;
	case SNPRINTF_WRITE:
		for (i = 0; i < n; i++)
			snprintf_write(len);
		break;
	default:
		for (i = 0; i < n; i++)
			floor_copy(len, &off);
		break;
	}
	return ktime_get_ns() - t0;
}

/* Every thread waits here until all have arrived; the last one resets. */
static void lockstep(enum impl impl)
{
	int gen = atomic_read(&generation);

	if (atomic_inc_return(&arrived) == nr_threads) {
		atomic_set(&arrived, 0);
		if (impl == RB_PRODCONS)
			ring_buffer_reset(rb_pc);
		atomic_inc(&generation);
		return;
	}
	/* Not cpu_relax(): the reset waits for an RCU grace period. */
	while (atomic_read(&generation) == gen)
		cond_resched();
}

static int bench_thread_fn(void *data)
{
	struct bench_thread *t = data;

	lockstep(t->impl);
	t->ns = time_impl(t->impl, t->len, run_kib * 1024 / t->len);
	complete(&t->done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static bool impl_fits(enum impl impl, unsigned int len)
{
	/* ftrace's events stop short of a page: 4096 bytes do not fit. */
	if (impl == RB_OVERWRITE)
		return !ring_buffer_write(rb_over, len, msg);
	if (impl == RB_PRODCONS)
		return !ring_buffer_write(rb_pc, len, msg);
	return true;
}

/*
 * One run on @cpus (one CPU, or all online ones), a pinned thread each,
 * released together: the mean of their times gives picoseconds per
 * message, the slowest one the bandwidth of all of them together.
 */
static int run_once(struct bench_thread *t, const struct cpumask *cpus,
		    enum impl impl, unsigned int len, u64 *ps, u64 *mbps)
{
	unsigned int n = run_kib * 1024 / len, cpu, k = 0;
	u64 sum = 0, slowest = 1;

	nr_threads = cpumask_weight(cpus);
	atomic_set(&arrived, 0);
	for_each_cpu(cpu, cpus) {
		t[k].impl = impl;
		t[k].len = len;
		init_completion(&t[k].done);
		t[k].task = kthread_create_on_cpu(bench_thread_fn, &t[k], cpu,
						  "relayx_bench/%u");
		if (IS_ERR(t[k].task))
			break;
		k++;
	}
	if (k < nr_threads) {
		while (k--)
			kthread_stop(t[k].task);
		return -ENOMEM;
	}
	for (k = 0; k < nr_threads; k++)
		wake_up_process(t[k].task);
	for (k = 0; k < nr_threads; k++) {
		wait_for_completion(&t[k].done);
		kthread_stop(t[k].task);
		sum += t[k].ns;
		slowest = max(slowest, t[k].ns);
	}
	*ps = div_u64(sum * 1000, nr_threads * n);
	*mbps = div64_u64((u64)nr_threads * n * len * 1000, slowest);
	return 0;
}

/*
 * Every implementation at one size and mode. The runs go round the
 * implementations, so that none gains from running first or last; run 0
 * warms up and is not counted.
 */
static void measure_size(struct bench_thread *t, const struct cpumask *cpus,
			 unsigned int len)
{
	static u64 ps[NR_IMPLS][MAX_RUNS], mbps[NR_IMPLS][MAX_RUNS];
	bool fits[NR_IMPLS];
	unsigned int i, r;

	for (i = 0; i < NR_IMPLS; i++)
		fits[i] = impl_fits(i, len);
	for (r = 0; r <= runs; r++)
		for (i = 0; i < NR_IMPLS; i++)
			if (fits[i] && run_once(t, cpus, i, len,
						&ps[i][r ? r - 1 : 0],
						&mbps[i][r ? r - 1 : 0]))
				return;
	for (i = 0; i < NR_IMPLS; i++) {
		if (!fits[i]) {
			pr_info("writer %s %u %u unsupported\n", impl_names[i],
				len, cpumask_weight(cpus));
			continue;
		}
		sort(ps[i], runs, sizeof(u64), cmp_u64, NULL);
		sort(mbps[i], runs, sizeof(u64), cmp_u64, NULL);
		pr_info("writer %s %u %u ns_per_msg=%llu.%03llu mb_per_s=%llu\n",
			impl_names[i], len, cpumask_weight(cpus),
			ps[i][runs / 2] / 1000, ps[i][runs / 2] % 1000,
			mbps[i][runs / 2]);
	}
}

static void bench_writers(void)
{
	struct bench_thread *t;
	unsigned int s;

	t = kcalloc(num_online_cpus(), sizeof(*t), GFP_KERNEL);
	if (!t)
		return;
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		measure_size(t, cpumask_of(cpumask_first(cpu_online_mask)),
			     sizes[s]);
		measure_size(t, cpu_online_mask, sizes[s]);
	}
	kfree(t);
}

/* --- reader benchmark: filled channels with files ------------------------ */

static struct dentry *dir;
static struct relayx_chan *relayx_rd;
static struct rchan *relay_rd;

/* Fill this CPU's buffers of both reader channels with 1 KiB messages. */
static void fill_this_cpu(void)
{
	preempt_disable();
	while (!relayx_buf_full(*this_cpu_ptr(relayx_rd->buf)))
		relayx_write(relayx_rd, msg, 1024);
	while (!relay_buf_full(*this_cpu_ptr(relay_rd->buf)))
		relay_write(relay_rd, msg, 1024);
	preempt_enable();
}

static ssize_t ctl_write(struct file *filp, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	char cmd[8] = {};

	if (copy_from_user(cmd, ubuf, min(count, sizeof(cmd) - 1)))
		return -EFAULT;
	if (strncmp(cmd, "fill", 4))
		return -EINVAL;
	fill_this_cpu();
	return count;
}

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
	.llseek = noop_llseek,
};

static void bench_free(void)
{
	unsigned int cpu;

	/* Channels first: their files, relayx's stats file too, are in dir. */
	relayx_close(relayx_rd);
	if (relay_rd)
		relay_close(relay_rd);
	relayx_close(relayx_wr);
	if (relay_wr)
		relay_close(relay_wr);
	debugfs_remove(dir);
	if (rb_over)
		ring_buffer_free(rb_over);
	if (rb_pc)
		ring_buffer_free(rb_pc);
	for_each_possible_cpu(cpu)
		free_page((unsigned long)per_cpu(floor_page, cpu));
	kfree(msg);
	kfree(text);
}

static int __init bench_init(void)
{
	unsigned long rb_size = 3 * run_kib * 1024UL;
	unsigned int cpu;

	if (!runs || runs > MAX_RUNS || !run_kib)
		return -EINVAL;
	msg = kmalloc(4096, GFP_KERNEL);
	text = kmalloc(4096, GFP_KERNEL);
	dir = debugfs_create_dir("relayx_bench", NULL);
	relayx_wr = relayx_open("wx", dir, SUBBUF, NSUB, &rx_cb, NULL);
	relay_wr = relay_open("wu", dir, SUBBUF, NSUB, &up_cb, NULL);
	/* Producer/consumer: room for a run plus the event headers. */
	rb_over = ring_buffer_alloc(rb_size, RB_FL_OVERWRITE);
	rb_pc = ring_buffer_alloc(rb_size, 0);
	relayx_rd = relayx_open("x", dir, SUBBUF, READ_NSUB, NULL, NULL);
	relay_rd = relay_open("u", dir, SUBBUF, READ_NSUB, &up_read_cb, NULL);
	for_each_possible_cpu(cpu)
		per_cpu(floor_page, cpu) = (void *)get_zeroed_page(GFP_KERNEL);
	if (!msg || !text || !relayx_wr || !relay_wr || !rb_over || !rb_pc ||
	    !relayx_rd || !relay_rd)
		goto fail;
	for_each_possible_cpu(cpu)
		if (!per_cpu(floor_page, cpu))
			goto fail;
	memset(msg, 0x5a, 4096);
	memset(text, 'x', 4095);
	text[4095] = '\0';
	debugfs_create_file("ctl", 0200, dir, NULL, &ctl_fops);

	pr_info("start: %u runs of %u KiB per CPU, %u CPUs\n", runs, run_kib,
		num_online_cpus());
	bench_writers();
	pr_info("writers done\n");
	return 0;

fail:
	bench_free();
	return -ENOMEM;
}

static void __exit bench_exit(void)
{
	bench_free();
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_DESCRIPTION("relayx benchmark: relayx, relay, ftrace ring buffer, memcpy");
MODULE_LICENSE("GPL");
