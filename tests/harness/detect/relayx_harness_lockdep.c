// SPDX-License-Identifier: GPL-2.0
/*
 * A planted lock inversion for the harness: A then B, later B then A,
 * one after the other, so that nothing deadlocks but lockdep must report
 * "possible circular locking dependency detected" naming both locks
 * (relayx_harness_lock_a, relayx_harness_lock_b).
 */
#include <linux/module.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(relayx_harness_lock_a);
static DEFINE_MUTEX(relayx_harness_lock_b);

static int __init relayx_harness_lockdep_init(void)
{
	mutex_lock(&relayx_harness_lock_a);
	mutex_lock(&relayx_harness_lock_b);
	mutex_unlock(&relayx_harness_lock_b);
	mutex_unlock(&relayx_harness_lock_a);

	mutex_lock(&relayx_harness_lock_b);
	mutex_lock(&relayx_harness_lock_a);
	mutex_unlock(&relayx_harness_lock_a);
	mutex_unlock(&relayx_harness_lock_b);
	pr_info("relayx_harness_lockdep: took A then B, then B then A\n");
	return 0;
}

static void __exit relayx_harness_lockdep_exit(void)
{
}

module_init(relayx_harness_lockdep_init);
module_exit(relayx_harness_lockdep_exit);
MODULE_DESCRIPTION("relayx harness self-test: a planted lock inversion");
MODULE_LICENSE("GPL");
