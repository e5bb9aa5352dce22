// SPDX-License-Identifier: GPL-2.0
/*
 * Storage: when buffers use the direct map, that whatever the mapping
 * byte k * subbuf_size + j of the page list is byte j of sub-buffer k,
 * and what the metadata costs.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "relayx_test.h"

/* Fill every sub-buffer through its mapping, read back through pages[]. */
static void check_layout(struct kunit *test, struct relayx_buf *buf)
{
	size_t size = buf->chan->subbuf_size, k, j, off;
	u8 *page;

	for (k = 0; k < buf->chan->n_subbufs; k++)
		for (j = 0; j < size; j++)
			((u8 *)relayx_subbuf_addr(buf, k))[j] = (u8)(k * 7 + j);
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

	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = first_buf(chan);
	/* Sub-buffers inside one page never need a mapping. */
	KUNIT_EXPECT_NULL(test, buf->vaddr);
	KUNIT_EXPECT_FALSE(test, is_vmalloc_addr(relayx_subbuf_addr(buf, 7)));
	check_layout(test, buf);
	relayx_close(chan);
}

static void relayx_storage_page_multiple(struct kunit *test)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, 4 * PAGE_SIZE, 4,
					       NULL, NULL);
	struct relayx_buf *buf;
	bool vmapped;

	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = first_buf(chan);
	vmapped = buf->vaddr;
	KUNIT_EXPECT_EQ(test, is_vmalloc_addr(relayx_subbuf_addr(buf, 3)),
			vmapped);
	check_layout(test, buf);
	relayx_close(chan);
	if (vmapped)
		kunit_skip(test,
			   "buffer on vmap: no order-2 block, or relayx.contiguous=0 (layout checked)");
}

/*
 * Sub-buffers of three pages: each run is an order-2 block whose fourth
 * page goes back to the allocator at once (KASAN and kmemleak watch it).
 */
static void relayx_storage_three_pages(struct kunit *test)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, 3 * PAGE_SIZE, 4,
					       NULL, NULL);
	struct relayx_buf *buf;
	bool vmapped;
	size_t k;

	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = first_buf(chan);
	vmapped = buf->vaddr;
	for (k = 0; k < 4 && !vmapped; k++) {
		KUNIT_EXPECT_FALSE(test,
				   is_vmalloc_addr(relayx_subbuf_addr(buf, k)));
		KUNIT_EXPECT_EQ(test, page_to_pfn(buf->pages[3 * k + 2]),
				page_to_pfn(buf->pages[3 * k]) + 2);
	}
	check_layout(test, buf);
	relayx_close(chan);
	if (vmapped)
		kunit_skip(test,
			   "buffer on vmap: no order-2 block, or relayx.contiguous=0 (layout checked)");
}

static void relayx_storage_straddling(struct kunit *test)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, 3000, 5, NULL, NULL);

	KUNIT_ASSERT_NOT_NULL(test, chan);
	/*
	 * Straddlers on unrelated pages force the vmap; pages that happen to
	 * be adjacent may not. Either way the layout must hold.
	 */
	check_layout(test, first_buf(chan));
	relayx_close(chan);
}

/* What an array of @count @size-byte entries really occupies. */
static size_t array_footprint(const void *p, size_t count, size_t size)
{
	if (is_vmalloc_addr(p))
		return PAGE_ALIGN(count * size) + sizeof(struct vm_struct) +
		       sizeof(struct vmap_area);
	return ksize(p);
}

/*
 * Metadata per buffer, as the allocators account it: the struct, the page
 * array, padding[] and, if there is one, the vmap (its areas and one PTE
 * per page).
 */
static size_t buf_metadata(struct relayx_buf *buf)
{
	size_t bytes = ksize(buf);

	bytes += array_footprint(buf->pages, buf->page_count,
				 sizeof(*buf->pages));
	bytes += array_footprint(buf->padding, buf->chan->n_subbufs,
				 sizeof(*buf->padding));
	if (buf->vaddr)
		bytes += sizeof(struct vm_struct) + sizeof(struct vmap_area) +
			 buf->page_count * sizeof(pte_t);
	return bytes;
}

/*
 * The documented bound: metadata within 1% of the buffer plus a page per
 * CPU, the channel included, for sub-buffers of 800 bytes and more (any
 * count) and for up to 512 sub-buffers (any size).
 */
static void relayx_storage_metadata(struct kunit *test)
{
	static const size_t geometry[][2] = {
		{ 800, 8192 }, { 1024, 4096 }, { 3000, 1000 },
		{ 4096, 1024 }, { 5000, 800 }, { 65536, 64 },
		{ 16, 512 }, { 100, 512 }, { 64, 1 },
	};
	size_t g, bytes, bound;
	unsigned int cpu, nbufs;

	for (g = 0; g < ARRAY_SIZE(geometry); g++) {
		struct relayx_chan *chan = relayx_open(NULL, NULL,
						       geometry[g][0],
						       geometry[g][1],
						       NULL, NULL);

		KUNIT_ASSERT_NOT_NULL(test, chan);
		bytes = ksize(chan);
		nbufs = 0;
		for_each_possible_cpu(cpu) {
			struct relayx_buf *buf = *per_cpu_ptr(chan->buf, cpu);

			if (!buf)
				continue;
			bytes += buf_metadata(buf) + sizeof(buf);
			nbufs++;
		}
		bound = nbufs * (chan->alloc_size / 100 + PAGE_SIZE);
		kunit_info(test, "%zu x %zu bytes: %zu of %zu bytes of metadata allowed per buffer\n",
			   geometry[g][1], geometry[g][0], bytes / nbufs,
			   bound / nbufs);
		KUNIT_EXPECT_LE_MSG(test, bytes, bound,
				    "%zu x %zu bytes: %zu bytes of metadata",
				    geometry[g][1], geometry[g][0], bytes);
		relayx_close(chan);
	}
}

static struct kunit_case relayx_storage_cases[] = {
	KUNIT_CASE(relayx_storage_inside_page),
	KUNIT_CASE(relayx_storage_page_multiple),
	KUNIT_CASE(relayx_storage_three_pages),
	KUNIT_CASE(relayx_storage_straddling),
	KUNIT_CASE(relayx_storage_metadata),
	{}
};

struct kunit_suite relayx_storage_suite = {
	.name = "relayx_storage",
	.test_cases = relayx_storage_cases,
};
