// SPDX-License-Identifier: GPL-2.0
/*
 * A module that cannot be unloaded (it has no exit function) for the
 * harness: the guest's unloading of every module at the end of a boot
 * must fail on it, and the log scan must report that.
 */
#include <linux/module.h>

static int __init relayx_harness_pinned_init(void)
{
	pr_info("relayx_harness_pinned: loaded, and cannot be unloaded\n");
	return 0;
}

module_init(relayx_harness_pinned_init);
MODULE_DESCRIPTION("relayx harness self-test: a module that cannot be unloaded");
MODULE_LICENSE("GPL");
