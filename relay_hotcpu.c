// SPDX-License-Identifier: GPL-2.0
/*
 * relayx CPU hotplug: one cpuhp state in the prepare stage, so that a CPU
 * gets its buffers before it runs anything. Going offline tears nothing
 * down: a buffer stays, with its data and file, and serves its CPU again
 * when it comes back. A channel's up_cpus mask says which CPUs may run a
 * writer (from prepare to dead), so that a flush knows which buffers it
 * may switch from any CPU (relayx_flush()).
 *
 * Channels are on a list under relayx_chans_lock rather than instances
 * of a multi-instance state: joining or leaving an instance takes
 * cpus_read_lock(), and upstream's relay_open() and relay_close() take no
 * such lock, so their clients may call them under it or from a hotplug
 * callback. relayx_prepared, under the same lock, holds the CPUs whose
 * prepare callback ran and whose dead callback did not: a channel that
 * opens while a CPU is between prepare and online gives it a buffer too.
 *
 * The list is also the registry of live buffers that /dev/relayx looks
 * a buffer file up in (relayx_buf_get_by_dentry()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpuhotplug.h>

#include "relayx_internal.h"

static enum cpuhp_state relayx_cpuhp_state;
static DEFINE_MUTEX(relayx_chans_lock);	/* the list and relayx_prepared */
static LIST_HEAD(relayx_chans);
static struct cpumask relayx_prepared;

/* @cpu may run @chan's writer from now on: it gets its buffer first. */
static bool relayx_chan_cpu_up(struct relayx_chan *chan, unsigned int cpu)
{
	struct relayx_buf *buf;

	relayx_hook(NULL, RELAYX_HOOK_CPU_PREPARE);
	mutex_lock(&chan->lock);
	buf = relayx_buf_create(chan, cpu);
	if (buf)
		cpumask_set_cpu(cpu, to_cpumask(chan->up_cpus));
	mutex_unlock(&chan->lock);
	return buf;
}

static void relayx_chan_cpu_down(struct relayx_chan *chan, unsigned int cpu)
{
	mutex_lock(&chan->lock);
	cpumask_clear_cpu(cpu, to_cpumask(chan->up_cpus));
	mutex_unlock(&chan->lock);
}

static int relayx_cpu_prepare(unsigned int cpu)
{
	struct relayx_chan *chan;
	int err = 0;

	mutex_lock(&relayx_chans_lock);
	list_for_each_entry(chan, &relayx_chans, hotcpu_list) {
		if (!relayx_chan_cpu_up(chan, cpu)) {
			err = -ENOMEM;
			break;
		}
	}
	if (err) {
		/* The CPU stays down: no channel may count on its writer. */
		list_for_each_entry(chan, &relayx_chans, hotcpu_list)
			relayx_chan_cpu_down(chan, cpu);
		pr_warn_ratelimited("cpu %u: cannot create its buffer or file; it stays down\n",
				    cpu);
	} else {
		cpumask_set_cpu(cpu, &relayx_prepared);
	}
	mutex_unlock(&relayx_chans_lock);
	if (!err)
		relayx_hook(NULL, RELAYX_HOOK_CPU_PREPARED);
	return err;
}

/* @cpu is dead: nothing runs on it, its buffers have no writer. */
static int relayx_cpu_dead(unsigned int cpu)
{
	struct relayx_chan *chan;

	mutex_lock(&relayx_chans_lock);
	list_for_each_entry(chan, &relayx_chans, hotcpu_list)
		relayx_chan_cpu_down(chan, cpu);
	cpumask_clear_cpu(cpu, &relayx_prepared);
	mutex_unlock(&relayx_chans_lock);
	return 0;
}

/**
 * relayx_hotcpu_add - give @chan a buffer per CPU, now and later
 * @chan: a new channel
 *
 * Creates a buffer for every CPU that is up or coming up (none that
 * relayx_open_err() made already), and arranges for one to be created
 * for each CPU that comes up later. Takes no hotplug lock: callers may
 * hold cpus_read_lock() or run in a hotplug callback.
 *
 * Return: 0, or -ENOMEM (buffers already made are left for
 * relayx_close() to free).
 */
int relayx_hotcpu_add(struct relayx_chan *chan)
{
	unsigned int cpu;
	int err = 0;

	mutex_lock(&relayx_chans_lock);
	for_each_cpu(cpu, &relayx_prepared) {
		if (!relayx_chan_cpu_up(chan, cpu)) {
			err = -ENOMEM;
			break;
		}
	}
	if (!err)
		list_add(&chan->hotcpu_list, &relayx_chans);
	mutex_unlock(&relayx_chans_lock);
	return err;
}

/**
 * relayx_hotcpu_remove - stop creating buffers for @chan
 * @chan: the channel; may never have been added
 */
void relayx_hotcpu_remove(struct relayx_chan *chan)
{
	mutex_lock(&relayx_chans_lock);
	list_del_init(&chan->hotcpu_list);
	mutex_unlock(&relayx_chans_lock);
}

/**
 * relayx_buf_get_by_dentry - the live buffer whose file is @dentry
 * @dentry: any dentry, which the caller holds; only compared, never read
 *
 * Looks among the buffers of the channels on the list only. A channel
 * joins it once its buffers exist and leaves it first thing in
 * relayx_close(), before it drops the channel's references on them: under
 * relayx_chans_lock every buffer found has one, and taking another here
 * is safe. Its slots do not change meanwhile either (new buffers come in
 * under this lock). buf->dentry, set and cleared under chan->lock only,
 * is read once: it is cleared before its file is removed, so a dentry
 * it matches is still that buffer's file, or one being removed right
 * now, which an open() could have won too. CPU hotplug leaves buffers
 * and files alone. Files of channels being opened, not yet on the list,
 * are not found.
 *
 * Return: the buffer, with a reference for the caller to put, or NULL
 * when @dentry is no live buffer's file.
 */
struct relayx_buf *relayx_buf_get_by_dentry(const struct dentry *dentry)
{
	struct relayx_buf *found = NULL, *buf;
	struct relayx_chan *chan;
	unsigned int cpu;

	mutex_lock(&relayx_chans_lock);
	list_for_each_entry(chan, &relayx_chans, hotcpu_list) {
		for_each_possible_cpu(cpu) {
			buf = relayx_chan_buf(chan, cpu);
			if (buf && READ_ONCE(buf->dentry) == dentry) {
				found = buf;
				relayx_buf_get(buf);
				goto out;
			}
		}
	}
out:
	mutex_unlock(&relayx_chans_lock);
	return found;
}

int relayx_hotcpu_init(void)
{
	int ret;

	ret = relayx_cpuhp_setup_state(CPUHP_BP_PREPARE_DYN, "relayx:prepare",
				       relayx_cpu_prepare, relayx_cpu_dead);
	if (ret < 0)
		return ret;
	relayx_cpuhp_state = ret;
	return 0;
}

void relayx_hotcpu_exit(void)
{
	cpuhp_remove_state(relayx_cpuhp_state);
}
