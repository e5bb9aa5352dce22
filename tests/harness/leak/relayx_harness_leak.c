// SPDX-License-Identifier: GPL-2.0
/*
 * A planted leak for the harness self-test: objects that are not all
 * zeroes (kmemleak holds those back on its first scan) are allocated and
 * forgotten at load. The guest's final kmemleak scans must report them;
 * the harness finds them by their contents, 'Z' (0x5a) throughout, since
 * the init code in their backtrace is gone by then.
 *
 * One more object, filled with 'G' (0x47), stays reachable from a global
 * of the module until it is unloaded, and its exit forgets to free it:
 * kmemleak can report it only if the guest unloads the module before its
 * scans, as it does with every module at the end of a boot.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#define LEAKED	4

/* Where each object escapes to, so that the compiler keeps it. */
static void *last;

/* Held by the module, never freed: a leak once the module is gone. */
static void *held;

static int __init harness_leak_init(void)
{
	void *p;
	int i;

	for (i = 0; i < LEAKED; i++) {
		p = kmalloc(128, GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		memset(p, 0x5a, 128);
		/* Forget the one before: no pointer to it is left anywhere. */
		WRITE_ONCE(last, p);
	}
	WRITE_ONCE(last, NULL);
	p = kmalloc(128, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	memset(p, 0x47, 128);
	/* A store the compiler keeps: nothing ever reads held. */
	WRITE_ONCE(held, p);
	pr_info("relayx_harness_leak: %d objects leaked, one held until unload\n",
		LEAKED);
	return 0;
}

static void __exit harness_leak_exit(void)
{
}

module_init(harness_leak_init);
module_exit(harness_leak_exit);
MODULE_DESCRIPTION("relayx harness self-test: a planted memory leak");
MODULE_LICENSE("GPL");
