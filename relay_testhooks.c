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
 * The fail-nth countdown of the task loading relayx as each init step
 * ended (relayx_init_mark()): after "insmod" with fail-nth set to a
 * large N, the points of step k are numbered N - init_faults[k - 1] + 1
 * to N - init_faults[k]. Read-only, 0 where fail-nth was not set.
 */
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
 * relayx_init_mark - note where fail-nth's countdown is as @step ends
 * @step: the init step just done
 */
void relayx_init_mark(enum relayx_init_step step)
{
#ifdef CONFIG_FAULT_INJECTION
	relayx_init_faults[step] = READ_ONCE(current->fail_nth);
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
