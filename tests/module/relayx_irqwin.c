// SPDX-License-Identifier: GPL-2.0
/*
 * A client that writes from hard interrupt context on a CPU while it goes
 * down, for the PREEMPT_RT reader wakeup test (run-tests irq_window,
 * design.rst "PREEMPT_RT"). Channel "w" in /sys/kernel/debug/relayx_irqwin/,
 * in overwrite mode, with sub-buffers of one record, so that every write
 * after the first finishes one. A pinned hard hrtimer on CPU @cpu fires
 * every millisecond, and every 10 us while @cpu is online but no longer
 * active, that is going down; each of those firings writes one record on
 * @cpu. The "state" file shows:
 *
 *   thread N    1 when @cpu has an irq_work thread (PREEMPT_RT)
 *   writes N    records written on @cpu while it was going down
 *   parked N    of them, written while that thread was parked
 *   pending N   1 when the reader wakeup of @cpu's buffer is queued and
 *               has not run
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/hrtimer.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>

#include <relayx/relayx.h>

#define IRQWIN_REC	64

static unsigned int cpu = 1;
module_param(cpu, uint, 0444);
MODULE_PARM_DESC(cpu, "the CPU whose hrtimer writes");

static struct dentry *dir;
static struct relayx_chan *chan;
static struct relayx_buf *target_buf;	/* @cpu's, seen by subbuf_start */
static struct task_struct *irq_thread;	/* irq_work/@cpu, if any */
static struct hrtimer timer;
static bool stopping;
static atomic_t writes, parked;

static int irqwin_subbuf_start(struct relayx_buf *buf, void *subbuf,
			       void *prev_subbuf, size_t prev_padding)
{
	if (buf->cpu == cpu)
		WRITE_ONCE(target_buf, buf);
	return 1;
}

static const struct relayx_callbacks irqwin_cb = {
	.subbuf_start = irqwin_subbuf_start,
};

static enum hrtimer_restart irqwin_fire(struct hrtimer *t)
{
	bool going_down = !cpu_active(cpu);
	char rec[IRQWIN_REC];

	if (smp_processor_id() == cpu && going_down) {
		memset(rec, 'w', sizeof(rec));
		relayx_write(chan, rec, sizeof(rec));
		atomic_inc(&writes);
		if (irq_thread && READ_ONCE(irq_thread->__state) == TASK_PARKED)
			atomic_inc(&parked);
	}
	if (READ_ONCE(stopping))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, going_down ? ns_to_ktime(10 * NSEC_PER_USEC) :
			    ms_to_ktime(1));
	return HRTIMER_RESTART;
}

static void irqwin_arm(void *unused)
{
	hrtimer_start(&timer, ms_to_ktime(1), HRTIMER_MODE_REL_PINNED_HARD);
}

static int state_show(struct seq_file *m, void *v)
{
	struct relayx_buf *buf = READ_ONCE(target_buf);

	seq_printf(m, "thread %d\n", !!irq_thread);
	seq_printf(m, "writes %d\n", atomic_read(&writes));
	seq_printf(m, "parked %d\n", atomic_read(&parked));
	seq_printf(m, "pending %d\n",
		   buf && irq_work_is_pending(&buf->wakeup_work));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(state);

/* PREEMPT_RT's per-CPU irq_work thread, "irq_work/N"; NULL elsewhere. */
static struct task_struct *irqwin_find_thread(void)
{
	struct task_struct *p, *found = NULL;
	char name[TASK_COMM_LEN];

	snprintf(name, sizeof(name), "irq_work/%u", cpu);
	rcu_read_lock();
	for_each_process(p) {
		if ((p->flags & PF_KTHREAD) && !strcmp(p->comm, name)) {
			found = get_task_struct(p);
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

static int __init irqwin_init(void)
{
	int ret;

	if (cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -EINVAL;
	dir = debugfs_create_dir("relayx_irqwin", NULL);
	chan = relayx_open("w", dir, IRQWIN_REC, 4, &irqwin_cb, NULL);
	if (!chan) {
		debugfs_remove(dir);
		return -ENOMEM;
	}
	debugfs_create_file("state", 0400, dir, NULL, &state_fops);
	irq_thread = irqwin_find_thread();
	hrtimer_init(&timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	timer.function = irqwin_fire;
	ret = smp_call_function_single(cpu, irqwin_arm, NULL, 1);
	if (ret) {
		relayx_close(chan);
		debugfs_remove(dir);
		if (irq_thread)
			put_task_struct(irq_thread);
	}
	return ret;
}

static void __exit irqwin_exit(void)
{
	WRITE_ONCE(stopping, true);
	hrtimer_cancel(&timer);
	relayx_close(chan);
	debugfs_remove(dir);
	if (irq_thread)
		put_task_struct(irq_thread);
}

module_init(irqwin_init);
module_exit(irqwin_exit);
MODULE_DESCRIPTION("relayx test client writing from a hard hrtimer on a CPU going down");
MODULE_LICENSE("GPL");
