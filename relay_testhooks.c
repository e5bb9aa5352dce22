// SPDX-License-Identifier: GPL-2.0
/*
 * What relayx_hooks.h declares for test builds only (RELAYX_TEST_HOOKS):
 * the hook KUnit sets, and the allocation-site counters, which
 * /sys/kernel/debug/relayx_alloc_sites shows ("site reached failed") and
 * a write to clears. The fault-injection sweep fails allocations with
 * fail-nth and reads this file to learn which of relayx's own sites it
 * failed; a site that never failed means the sweep missed a path.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/seq_file.h>

#include "relayx_internal.h"

/*
 * A module with these hooks is test code: the kernel taints itself with
 * N (TAINT_TEST) when it loads, as for KUnit modules, and modinfo shows
 * "test: Y". A production build has neither the hooks nor the mark.
 */
MODULE_INFO(test, "Y");

/* Set by the KUnit module only. */
relayx_hook_fn relayx_test_hook;
EXPORT_SYMBOL_GPL(relayx_test_hook);

static const char *const relayx_alloc_names[RELAYX_ALLOC_NR] = {
	[RELAYX_ALLOC_CHAN] = "chan",
	[RELAYX_ALLOC_BUF_PTRS] = "buf_ptrs",
	[RELAYX_ALLOC_BUF] = "buf",
	[RELAYX_ALLOC_PAGE_ARRAY] = "page_array",
	[RELAYX_ALLOC_PADDING] = "padding",
	[RELAYX_ALLOC_PAGE_RUN] = "page_run",
	[RELAYX_ALLOC_PAGE] = "page",
	[RELAYX_ALLOC_VMAP] = "vmap",
	[RELAYX_ALLOC_FILE_NAME] = "file_name",
	[RELAYX_ALLOC_FILE] = "file",
	[RELAYX_ALLOC_STATS_NAME] = "stats_name",
	[RELAYX_ALLOC_STATS_FILE] = "stats_file",
	[RELAYX_ALLOC_DEV_FD] = "dev_fd",
	[RELAYX_ALLOC_DEV_FILE] = "dev_file",
};

/*
 * The insmod sweep (tests/user/run-tests, insmod_faults): with
 * init_fail_step=S init_fail_nth=K, relayx sets the loading task's
 * fail-nth countdown to K as init step S begins (relayx_init_mark() of
 * step S - 1) and clears it as step S ends, so that the Kth fault-injection
 * point of step S fails, and none other. A countdown set from user space
 * before the insmod cannot aim at one step: the module loader reaches
 * 350 to 400 points before init, and kmemleak's and KASAN's own
 * allocations make that number, and each step's, vary by a few points
 * from one load to the next (measured on debug 6.1), which made a sweep
 * aimed that way skip the one point of a step as short as the hotplug
 * state's.
 *
 * init_faults holds the countdown as each step ended: 0 for step S when
 * its Kth point was reached (the load failed, or the step absorbed the
 * failure), K - N for a step S of N < K points (the sweep of S is over).
 */
static unsigned int relayx_init_fail_step;
module_param_named(init_fail_step, relayx_init_fail_step, uint, 0444);
MODULE_PARM_DESC(init_fail_step,
		 "test builds: the init step (1 = first) whose fault point init_fail_nth fails");
static unsigned int relayx_init_fail_nth;
module_param_named(init_fail_nth, relayx_init_fail_nth, uint, 0444);
MODULE_PARM_DESC(init_fail_nth,
		 "test builds: which fault point of step init_fail_step fails (1 = first; 0 = none)");
static unsigned int relayx_init_faults[RELAYX_INIT_NR];
static unsigned int relayx_init_faults_nr = RELAYX_INIT_NR;
module_param_array_named(init_faults, relayx_init_faults, uint,
			 &relayx_init_faults_nr, 0444);
MODULE_PARM_DESC(init_faults,
		 "test builds: fail-nth's countdown as each init step ended");

static atomic_long_t relayx_alloc_reached[RELAYX_ALLOC_NR];
static atomic_long_t relayx_alloc_failed[RELAYX_ALLOC_NR];
static struct dentry *relayx_alloc_dentry;

#ifdef CONFIG_FAULT_INJECTION
/* Never fails by itself (probability 0): only fail-nth makes it fail. */
static struct fault_attr relayx_fault_attr = FAULT_ATTR_INITIALIZER;
#endif

/**
 * relayx_fault_point - a fault-injection point where the kernel has none
 *
 * Counts as one allocation for fail-nth (/proc/thread-self/fail-nth).
 *
 * Return: whether the allocation that follows must fail.
 */
bool relayx_fault_point(void)
{
#ifdef CONFIG_FAULT_INJECTION
	return should_fail(&relayx_fault_attr, 1);
#else
	return false;
#endif
}

/**
 * relayx_alloc_seen - count one allocation at @site
 * @site: where relayx allocated
 * @ok: whether it got its memory
 *
 * Return: @ok.
 */
bool relayx_alloc_seen(enum relayx_alloc_site site, bool ok)
{
	atomic_long_inc(&relayx_alloc_reached[site]);
	if (!ok)
		atomic_long_inc(&relayx_alloc_failed[site]);
	return ok;
}

/**
 * relayx_init_mark - note fail-nth's countdown as init step @step ends
 * @step: the init step just done
 *
 * Arms the countdown for the next step, or clears it after the step
 * init_fail_step names. fail-nth counts the points of one task, the one
 * loading relayx: every step runs in it (the hotplug state's prepare
 * callback too, with no channel to give buffers to).
 */
void relayx_init_mark(enum relayx_init_step step)
{
#ifdef CONFIG_FAULT_INJECTION
	relayx_init_faults[step] = READ_ONCE(current->fail_nth);
	if (!relayx_init_fail_nth)
		return;
	if (step + 1 == relayx_init_fail_step)
		WRITE_ONCE(current->fail_nth, relayx_init_fail_nth);
	else if (step == relayx_init_fail_step)
		WRITE_ONCE(current->fail_nth, 0);
#endif
}

/**
 * relayx_init_disarm - clear a countdown init_fail_nth set, init failed
 *
 * A step that failed with its countdown still running (a failure no
 * injected fault caused) must not leave it to the module loader.
 */
void relayx_init_disarm(void)
{
#ifdef CONFIG_FAULT_INJECTION
	if (relayx_init_fail_nth)
		WRITE_ONCE(current->fail_nth, 0);
#endif
}

static int relayx_alloc_sites_show(struct seq_file *m, void *unused)
{
	int i;

	for (i = 0; i < RELAYX_ALLOC_NR; i++)
		seq_printf(m, "%s %ld %ld\n", relayx_alloc_names[i],
			   atomic_long_read(&relayx_alloc_reached[i]),
			   atomic_long_read(&relayx_alloc_failed[i]));
	return 0;
}

static int relayx_alloc_sites_open(struct inode *inode, struct file *filp)
{
	return single_open(filp, relayx_alloc_sites_show, NULL);
}

static ssize_t relayx_alloc_sites_clear(struct file *filp,
					const char __user *ubuf,
					size_t count, loff_t *ppos)
{
	int i;

	for (i = 0; i < RELAYX_ALLOC_NR; i++) {
		atomic_long_set(&relayx_alloc_reached[i], 0);
		atomic_long_set(&relayx_alloc_failed[i], 0);
	}
	return count;
}

static const struct file_operations relayx_alloc_sites_fops = {
	.owner = THIS_MODULE,
	.open = relayx_alloc_sites_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = relayx_alloc_sites_clear,
	.release = single_release,
};

int relayx_testhooks_init(void)
{
#ifdef CONFIG_FAULT_INJECTION
	relayx_fault_attr.verbose = 0;	/* no stack dump per failure */
#endif
	relayx_alloc_dentry = debugfs_create_file("relayx_alloc_sites", 0600,
						  NULL, NULL,
						  &relayx_alloc_sites_fops);
	return PTR_ERR_OR_ZERO(relayx_alloc_dentry);
}

void relayx_testhooks_exit(void)
{
	debugfs_remove(relayx_alloc_dentry);
}
