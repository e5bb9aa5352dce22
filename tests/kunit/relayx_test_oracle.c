// SPDX-License-Identifier: GPL-2.0
/*
 * kernel/relay.c as the oracle: the same writes into an upstream channel
 * and a relayx channel of the same geometry must leave the same
 * sub-buffers, padding and bytes behind.
 */
#include <linux/dcache.h>
#include <linux/random.h>
#include <linux/relay.h>

#include "relayx_test.h"

static struct dentry oracle_no_file;

static struct dentry *oracle_create_buf_file(const char *filename,
					     struct dentry *parent,
					     umode_t mode,
					     struct rchan_buf *buf,
					     int *is_global)
{
	/*
	 * Upstream asks a buffer-only channel's hook only for is_global,
	 * with a NULL name, and treats NULL as failure; the dentry it gets
	 * is never used.
	 */
	return filename ? NULL : &oracle_no_file;
}

static int oracle_remove_buf_file(struct dentry *dentry)
{
	return 0;
}

static const struct rchan_callbacks oracle_cb = {
	.create_buf_file = oracle_create_buf_file,
	.remove_buf_file = oracle_remove_buf_file,
};

/*
 * @writes messages of random lengths in [1, @max_len], or all of length
 * @max_len when @fixed.
 */
static void compare_with_upstream(struct kunit *test, size_t size, size_t n,
				  u32 max_len, int writes, bool fixed)
{
	struct relayx_chan *x;
	struct relayx_buf *xb;
	struct rchan_buf *ub;
	struct rchan *u;
	unsigned int cpu;
	size_t k, len;
	u8 *msg;
	int i;

	msg = kunit_kmalloc(test, max_len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, msg);
	u = relay_open(NULL, NULL, size, n, &oracle_cb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, u);
	x = relayx_open(NULL, NULL, size, n, NULL, NULL);
	if (!x)
		relay_close(u);
	KUNIT_ASSERT_NOT_NULL(test, x);

	migrate_disable();
	cpu = raw_smp_processor_id();
	for (i = 0; i < writes; i++) {
		len = fixed ? max_len : get_random_u32_below(max_len) + 1;
		memset(msg, i, len);
		relay_write(u, msg, len);
		relayx_write(x, msg, len);
	}
	migrate_enable();

	ub = *per_cpu_ptr(u->buf, cpu);
	xb = *per_cpu_ptr(x->buf, cpu);
	KUNIT_EXPECT_EQ(test, xb->subbufs_produced, ub->subbufs_produced);
	KUNIT_EXPECT_EQ(test, xb->offset, ub->offset);
	for (k = 0; k < n && k < xb->subbufs_produced; k++) {
		KUNIT_EXPECT_EQ_MSG(test, (size_t)xb->padding[k], ub->padding[k],
				    "sub-buffer %zu", k);
		len = size - ub->padding[k];
		KUNIT_EXPECT_EQ_MSG(test, memcmp(relayx_subbuf_addr(xb, k),
						 ub->start + k * size, len), 0,
				    "sub-buffer %zu", k);
	}
	relay_close(u);
	relayx_close(x);
}

static void relayx_oracle_page_multiple(struct kunit *test)
{
	compare_with_upstream(test, 4096, 4, 700, 40, false);
}

static void relayx_oracle_odd_size(struct kunit *test)
{
	compare_with_upstream(test, 1000, 6, 300, 60, false);
}

/* Writes long after the buffer filled: both refuse the same way. */
static void relayx_oracle_full(struct kunit *test)
{
	compare_with_upstream(test, 512, 3, 200, 400, false);
}

/*
 * Every message length around the sub-buffer and page boundaries, for
 * sub-buffers smaller than, equal to, between and above page sizes.
 */
static void relayx_oracle_boundaries(struct kunit *test)
{
	static const size_t sizes[] = { 100, 3000, PAGE_SIZE, 5000,
					2 * PAGE_SIZE };
	size_t i, size;
	u32 len;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size = sizes[i];
		for (len = 1; len <= 3; len++)
			compare_with_upstream(test, size, 3, len, 50, true);
		for (len = size - 2; len <= size + 1; len++)
			compare_with_upstream(test, size, 3, len, 5, true);
		for (len = size / 2 - 1; len <= size / 2 + 1; len++)
			compare_with_upstream(test, size, 3, len, 8, true);
		if (size <= PAGE_SIZE)
			continue;
		for (len = PAGE_SIZE - 1; len <= PAGE_SIZE + 1; len++)
			compare_with_upstream(test, size, 3, len, 6, true);
	}
}

static struct kunit_case relayx_oracle_cases[] = {
	KUNIT_CASE(relayx_oracle_page_multiple),
	KUNIT_CASE(relayx_oracle_odd_size),
	KUNIT_CASE(relayx_oracle_full),
	KUNIT_CASE(relayx_oracle_boundaries),
	{}
};

struct kunit_suite relayx_oracle_suite = {
	.name = "relayx_oracle",
	.test_cases = relayx_oracle_cases,
};
