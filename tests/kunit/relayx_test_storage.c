// SPDX-License-Identifier: GPL-2.0
/*
 * Storage: which sub-buffers use the direct map, and that whatever the
 * mapping, byte k * subbuf_size + j of the page list is byte j of
 * sub-buffer k.
 */
#include <linux/highmem.h>
#include <linux/mm.h>

#include "relayx_test.h"

/* Fill every sub-buffer through its mapping, read back through pages[]. */
static void check_layout(struct kunit *test, struct relayx_buf *buf)
{
	size_t size = buf->chan->subbuf_size, k, j, off;
	u8 *page;

	for (k = 0; k < buf->chan->n_subbufs; k++)
		for (j = 0; j < size; j++)
			((u8 *)buf->subbuf_addr[k])[j] = (u8)(k * 7 + j);
	for (k = 0; k < buf->chan->n_subbufs; k++) {
		for (j = 0; j < size; j += 97) {
			off = k * size + j;
			page = kmap_local_page(buf->pages[off >> PAGE_SHIFT]);
			KUNIT_EXPECT_EQ_MSG(test, page[offset_in_page(off)],
					    (u8)(k * 7 + j),
					    "sub-buffer %zu byte %zu", k, j);
			kunmap_local(page);
		}
	}
}

static struct relayx_buf *first_buf(struct relayx_chan *chan)
{
	return *per_cpu_ptr(chan->buf, cpumask_first(cpu_online_mask));
}

static void relayx_storage_inside_page(struct kunit *test)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, 1024, 8, NULL, NULL);
	struct relayx_buf *buf;
	size_t k;

	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = first_buf(chan);
	/* A sub-buffer inside one page never needs a mapping of its own. */
	for (k = 0; k < 8; k++)
		KUNIT_EXPECT_FALSE(test, is_vmalloc_addr(buf->subbuf_addr[k]));
	check_layout(test, buf);
	relayx_close(chan);
}

static void relayx_storage_page_multiple(struct kunit *test)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, 4 * PAGE_SIZE, 4,
					       NULL, NULL);
	struct relayx_buf *buf;
	size_t k, vmapped = 0;

	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = first_buf(chan);
	for (k = 0; k < 4; k++)
		vmapped += is_vmalloc_addr(buf->subbuf_addr[k]);
	check_layout(test, buf);
	relayx_close(chan);
	if (vmapped)
		kunit_skip(test,
			   "%zu of 4 sub-buffers on vmap: no order-2 block, or relayx.contiguous=0 (layout checked)",
			   vmapped);
}

static void relayx_storage_straddling(struct kunit *test)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, 3000, 5, NULL, NULL);

	KUNIT_ASSERT_NOT_NULL(test, chan);
	check_layout(test, first_buf(chan));
	relayx_close(chan);
}

static struct kunit_case relayx_storage_cases[] = {
	KUNIT_CASE(relayx_storage_inside_page),
	KUNIT_CASE(relayx_storage_page_multiple),
	KUNIT_CASE(relayx_storage_straddling),
	{}
};

struct kunit_suite relayx_storage_suite = {
	.name = "relayx_storage",
	.test_cases = relayx_storage_cases,
};
