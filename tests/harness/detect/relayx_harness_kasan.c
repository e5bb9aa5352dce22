// SPDX-License-Identifier: GPL-2.0
/*
 * A planted out-of-bounds read for the harness: KASAN must report it in
 * the debug guest ("BUG: KASAN: slab-out-of-bounds in
 * relayx_harness_kasan_init"). The index is a parameter, so that no
 * compiler sees the bug and drops or warns about it.
 */
#include <linux/module.h>
#include <linux/slab.h>

static unsigned int past = 16;
module_param(past, uint, 0444);
MODULE_PARM_DESC(past, "byte read from a 16-byte object (default: 16, one past its end)");

static int __init relayx_harness_kasan_init(void)
{
	char *obj = kzalloc(16, GFP_KERNEL);
	char seen;

	if (!obj)
		return -ENOMEM;
	seen = READ_ONCE(obj[READ_ONCE(past)]);
	kfree(obj);
	pr_info("relayx_harness_kasan: read byte %u of 16: %d\n", past, seen);
	return 0;
}

static void __exit relayx_harness_kasan_exit(void)
{
}

module_init(relayx_harness_kasan_init);
module_exit(relayx_harness_kasan_exit);
MODULE_DESCRIPTION("relayx harness self-test: a planted KASAN report");
MODULE_LICENSE("GPL");
