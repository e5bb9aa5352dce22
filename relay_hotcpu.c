// SPDX-License-Identifier: GPL-2.0
/*
 * relayx CPU hotplug: every channel is an instance of one dynamic cpuhp
 * state in the prepare stage, so a CPU gets its buffer before it runs
 * anything. Going offline tears nothing down: the buffer stays, with its
 * data and file, and serves the CPU again when it comes back. The
 * channel's up_cpus mask says which CPUs may run a writer (from prepare
 * to dead), so that a flush knows which buffers it may switch from any
 * CPU (relayx_flush()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpuhotplug.h>

#include "relayx_internal.h"

static enum cpuhp_state relayx_cpuhp_state;

static int relayx_cpu_prepare(unsigned int cpu, struct hlist_node *node)
{
	struct relayx_chan *chan = hlist_entry(node, struct relayx_chan, node);
	struct relayx_buf *buf;

	mutex_lock(&chan->lock);
	buf = relayx_buf_create(chan, cpu);
	if (buf)
		cpumask_set_cpu(cpu, chan->up_cpus);
	mutex_unlock(&chan->lock);
	if (buf)
		return 0;
	pr_warn_ratelimited("cpu %u: cannot create its buffer or file; it stays down\n",
			    cpu);
	return -ENOMEM;
}

/* @cpu is dead: nothing runs on it, its buffer has no writer. */
static int relayx_cpu_dead(unsigned int cpu, struct hlist_node *node)
{
	struct relayx_chan *chan = hlist_entry(node, struct relayx_chan, node);

	mutex_lock(&chan->lock);
	cpumask_clear_cpu(cpu, chan->up_cpus);
	mutex_unlock(&chan->lock);
	return 0;
}

/**
 * relayx_hotcpu_add - create @chan's buffers and keep them coming
 * @chan: a new channel
 *
 * Creates a buffer for every CPU that is up (none that relayx_open_err()
 * made already) and arranges for one to be created for each CPU that
 * comes up later. Takes cpus_read_lock(): not for callers that hold it.
 *
 * Return: 0, or the error of a buffer creation (buffers already made are
 * left for relayx_close() to free).
 */
int relayx_hotcpu_add(struct relayx_chan *chan)
{
	return cpuhp_state_add_instance(relayx_cpuhp_state, &chan->node);
}

/**
 * relayx_hotcpu_remove - stop creating buffers for @chan
 * @chan: the channel; may never have been added
 */
void relayx_hotcpu_remove(struct relayx_chan *chan)
{
	if (!hlist_unhashed(&chan->node))
		cpuhp_state_remove_instance_nocalls(relayx_cpuhp_state,
						    &chan->node);
}

int relayx_hotcpu_init(void)
{
	int ret;

	ret = cpuhp_setup_state_multi(CPUHP_BP_PREPARE_DYN, "relayx:prepare",
				      relayx_cpu_prepare, relayx_cpu_dead);
	if (ret < 0)
		return ret;
	relayx_cpuhp_state = ret;
	return 0;
}

void relayx_hotcpu_exit(void)
{
	cpuhp_remove_multi_state(relayx_cpuhp_state);
}
