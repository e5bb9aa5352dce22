// SPDX-License-Identifier: GPL-2.0
/*
 * Planted undefined behaviour for the harness: a shift by more than the
 * type's width and an index past an array's end, the two checks the
 * debug kernels' UBSAN makes (UBSAN_SHIFT, UBSAN_BOUNDS). Each must be
 * reported in the debug guest ("UBSAN: shift-out-of-bounds in
 * ...relayx_harness_ubsan.c", "UBSAN: array-index-out-of-bounds in
 * ...relayx_harness_ubsan.c"). The array sits in a larger struct, so that
 * the index stays inside the object and KASAN has nothing to say. The
 * shift and index are parameters, so that no compiler sees the bug.
 */
#include <linux/module.h>

static unsigned int shift = 40;
module_param(shift, uint, 0444);
MODULE_PARM_DESC(shift, "shift applied to a 32-bit int (default: 40)");

static unsigned int index = 4;
module_param(index, uint, 0444);
MODULE_PARM_DESC(index, "index into an array of 4 ints (default: 4)");

static struct {
	int four[4];
	int after;
} relayx_harness_ubsan_data;

static int __init relayx_harness_ubsan_init(void)
{
	int one = 1, shifted, got;

	shifted = one << READ_ONCE(shift);
	/* A plain access: READ_ONCE() of the element would take &four[4]. */
	got = relayx_harness_ubsan_data.four[READ_ONCE(index)];
	pr_info("relayx_harness_ubsan: 1 << %u = %d; four[%u] = %d\n",
		shift, shifted, index, got);
	return 0;
}

static void __exit relayx_harness_ubsan_exit(void)
{
}

module_init(relayx_harness_ubsan_init);
module_exit(relayx_harness_ubsan_exit);
MODULE_DESCRIPTION("relayx harness self-test: planted UBSAN reports");
MODULE_LICENSE("GPL");
