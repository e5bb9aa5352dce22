// SPDX-License-Identifier: GPL-2.0
/*
 * Storage benchmark: the cost of relayx_write() per message, on whatever
 * storage relayx.ko was loaded with (relayx.contiguous=1: direct-mapped
 * sub-buffers, 0: one vmap of the buffer), next to the floor, a memcpy
 * into a preallocated buffer with interrupts off. Loading the module runs
 * it and prints one line per size.
 * Timings only mean something against each other, within one boot.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include <relayx/relayx.h>

#define SUBBUF	(16 * PAGE_SIZE)
#define NSUB	8
#define RUNS	7

static unsigned int iters = 20000;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "messages per run");

static const unsigned int sizes[] = { 16, 64, 256, 1024, 4096 };

static int overwrite(struct relayx_buf *buf, void *subbuf, void *prev,
		     size_t prev_padding)
{
	return 1;
}

static const struct relayx_callbacks bench_cb = { .subbuf_start = overwrite };

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *v)
{
	sort(v, RUNS, sizeof(*v), cmp_u64, NULL);
	return v[RUNS / 2];
}

/* Picoseconds per message, so that small costs keep their digits. */
static u64 time_relayx(struct relayx_chan *chan, const void *msg,
		       unsigned int len)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < iters; i++)
		relayx_write(chan, msg, len);
	return (ktime_get_ns() - t0) * 1000 / iters;
}

static u64 time_floor(void *area, const void *msg, unsigned int len)
{
	u64 t0 = ktime_get_ns();
	unsigned long flags;
	size_t off = 0;
	unsigned int i;

	for (i = 0; i < iters; i++) {
		local_irq_save(flags);
		if (off + len > SUBBUF * NSUB)
			off = 0;
		memcpy(area + off, msg, len);
		off += len;
		local_irq_restore(flags);
	}
	return (ktime_get_ns() - t0) * 1000 / iters;
}

static int __init bench_init(void)
{
	u64 rx[RUNS], fl[RUNS];
	struct relayx_chan *chan;
	void *msg, *area;
	unsigned int s, r;
	int ret = 0;

	msg = kmalloc(4096, GFP_KERNEL);
	area = vzalloc(SUBBUF * NSUB);
	chan = relayx_open(NULL, NULL, SUBBUF, NSUB, &bench_cb, NULL);
	if (!msg || !area || !chan) {
		ret = -ENOMEM;
		goto out;
	}
	memset(msg, 0x42, 4096);
	migrate_disable();
	pr_info("storage: %s\n", is_vmalloc_addr((*this_cpu_ptr(chan->buf))->data) ?
		"vmap" : "direct");
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		/* Warm up: touch every page of both buffers once. */
		time_relayx(chan, msg, sizes[s]);
		time_floor(area, msg, sizes[s]);
		for (r = 0; r < RUNS; r++) {
			rx[r] = time_relayx(chan, msg, sizes[s]);
			fl[r] = time_floor(area, msg, sizes[s]);
		}
		pr_info("size %u relayx_write_ps %llu floor_ps %llu\n", sizes[s],
			median(rx), median(fl));
	}
	migrate_enable();
out:
	relayx_close(chan);
	vfree(area);
	kfree(msg);
	return ret;
}

static void __exit bench_exit(void)
{
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_DESCRIPTION("relayx storage benchmark: direct map against vmap");
MODULE_LICENSE("GPL");
