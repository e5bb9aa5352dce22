// SPDX-License-Identifier: GPL-2.0
/*
 * relayx storage: a buffer is a list of order-0 pages on its CPU's NUMA
 * node. Sub-buffer k covers bytes [k * subbuf_size, (k + 1) * subbuf_size)
 * of the page list, whatever subbuf_size is. Writers need each sub-buffer
 * as one linear kernel range, so that a write or a reservation is always
 * a single contiguous copy:
 *
 * - when every sub-buffer lies on physically contiguous pages, the direct
 *   map is that range and nothing gets mapped. A sub-buffer inside one
 *   page always does; page-multiple sub-buffers are allocated as one
 *   high-order block each (split into order-0 pages) to get there;
 * - otherwise (a sub-buffer straddling two unrelated pages, or no
 *   high-order block to be had) the page list gets one vmap() as a whole.
 *
 * Sub-buffer addresses are computed (relayx_subbuf_addr()), never stored:
 * the metadata of a buffer is its page array, one padding word per
 * sub-buffer and struct relayx_buf.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>

#include "relayx_internal.h"

static bool contiguous = true;
module_param(contiguous, bool, 0444);
MODULE_PARM_DESC(contiguous,
		 "direct-map sub-buffers on contiguous page runs; 0: vmap buffers whose sub-buffers span pages (default: 1)");

static bool relayx_pages_contiguous(struct page **pages, size_t count)
{
	size_t i;

	if (PageHighMem(pages[0]))
		return false;
	for (i = 1; i < count; i++)
		if (page_to_pfn(pages[i]) != page_to_pfn(pages[0]) + i)
			return false;
	return true;
}

/* Can sub-buffer @k be reached through the direct map? */
static bool relayx_subbuf_direct(struct relayx_buf *buf, size_t k)
{
	size_t size = buf->chan->subbuf_size;
	size_t start = k * size;
	size_t first = start >> PAGE_SHIFT;
	size_t count = ((start + size - 1) >> PAGE_SHIFT) - first + 1;

	return (count == 1 || contiguous) &&
	       relayx_pages_contiguous(&buf->pages[first], count);
}

static int relayx_buf_map(struct relayx_buf *buf)
{
	size_t k;

	for (k = 0; k < buf->chan->n_subbufs; k++) {
		if (relayx_subbuf_direct(buf, k))
			continue;
		buf->vaddr = vmap(buf->pages, buf->page_count, VM_MAP,
				  PAGE_KERNEL);
		return relayx_alloc_seen(RELAYX_ALLOC_VMAP, buf->vaddr) ?
		       0 : -ENOMEM;
	}
	return 0;
}

/*
 * Try to give @count pages from @first on one physically contiguous run.
 * The block is split so that every page is freed alike; its unused tail
 * goes back at once. Failure is fine: the pages come one by one instead.
 * Only a cheap try: no reclaim retries, and no direct reclaim or
 * compaction at all for costly orders.
 *
 * Return: whether the run was had.
 */
static bool relayx_buf_alloc_run(struct relayx_buf *buf, size_t first,
				 size_t count, int node)
{
	unsigned int order = get_order(count << PAGE_SHIFT);
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN | __GFP_NORETRY;
	struct page *block;
	size_t i;

	if (order > RELAYX_MAX_PAGE_ORDER)
		return false;
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		gfp &= ~__GFP_DIRECT_RECLAIM;
	block = alloc_pages_node(node, gfp, order);
	if (!relayx_alloc_seen(RELAYX_ALLOC_PAGE_RUN, block))
		return false;
	split_page(block, order);
	for (i = 0; i < (1UL << order); i++) {
		if (i < count)
			buf->pages[first + i] = block + i;
		else
			__free_page(block + i);
	}
	return true;
}

static void relayx_buf_free_pages(struct relayx_buf *buf)
{
	unsigned int i;

	for (i = 0; i < buf->page_count; i++)
		if (buf->pages[i])
			__free_page(buf->pages[i]);
}

/**
 * relayx_buf_pages_needed - memory one buffer takes, in pages
 * @alloc_size: bytes of data, page aligned
 * @n_subbufs: sub-buffers, each with a padding word
 *
 * Return: the data pages plus the page array, padding words and buffer
 * struct, rounded up; saturates rather than overflow.
 */
unsigned long relayx_buf_pages_needed(size_t alloc_size, size_t n_subbufs)
{
	size_t pages = alloc_size >> PAGE_SHIFT;
	size_t meta;

	meta = size_add(array_size(pages, sizeof(struct page *)),
			array_size(n_subbufs, sizeof(u32)));
	meta = size_add(meta, sizeof(struct relayx_buf) + PAGE_SIZE - 1);
	return pages + (meta >> PAGE_SHIFT);
}

/**
 * relayx_buf_alloc - allocate the storage of one buffer
 * @chan: the channel, whose geometry is already set
 * @cpu: the CPU whose node the pages come from
 *
 * Return: the buffer with its pages mapped, or NULL.
 */
struct relayx_buf *relayx_buf_alloc(struct relayx_chan *chan, unsigned int cpu)
{
	int node = cpu_to_node(cpu);
	struct relayx_buf *buf;
	unsigned int i;

	buf = kzalloc_node(sizeof(*buf), GFP_KERNEL, node);
	if (!relayx_alloc_seen(RELAYX_ALLOC_BUF, buf))
		return NULL;
	buf->chan = chan;
	buf->cpu = cpu;
	buf->page_count = chan->alloc_size >> PAGE_SHIFT;
	buf->pages = kvzalloc_node(array_size(buf->page_count,
					      sizeof(*buf->pages)),
				   GFP_KERNEL, node);
	buf->padding = kvzalloc_node(array_size(chan->n_subbufs,
						sizeof(*buf->padding)),
				     GFP_KERNEL, node);
	if (!relayx_alloc_seen(RELAYX_ALLOC_PAGE_ARRAY, buf->pages) ||
	    !relayx_alloc_seen(RELAYX_ALLOC_PADDING, buf->padding))
		goto fail;

	if (contiguous && PAGE_ALIGNED(chan->subbuf_size) &&
	    chan->subbuf_size > PAGE_SIZE) {
		size_t per = chan->subbuf_size >> PAGE_SHIFT;
		size_t k;

		/* One run missing means a vmap anyway: stop trying. */
		for (k = 0; k < chan->n_subbufs; k++)
			if (!relayx_buf_alloc_run(buf, k * per, per, node))
				break;
	}
	for (i = 0; i < buf->page_count; i++) {
		if (buf->pages[i])
			continue;
		buf->pages[i] = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO |
						 __GFP_NOWARN, 0);
		if (!relayx_alloc_seen(RELAYX_ALLOC_PAGE, buf->pages[i]))
			goto fail;
	}
	if (relayx_buf_map(buf))
		goto fail;
	return buf;

fail:
	relayx_buf_free(buf);
	return NULL;
}

/**
 * relayx_buf_free - free what relayx_buf_alloc() allocated
 * @buf: the buffer, possibly half built
 */
void relayx_buf_free(struct relayx_buf *buf)
{
	if (buf->vaddr)
		vunmap(buf->vaddr);
	if (buf->pages)
		relayx_buf_free_pages(buf);
	kvfree(buf->padding);
	kvfree(buf->pages);
	kfree(buf);
}
