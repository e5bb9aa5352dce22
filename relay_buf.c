// SPDX-License-Identifier: GPL-2.0
/*
 * relayx storage: a buffer is a list of pages allocated one by one on its
 * CPU's NUMA node. Each sub-buffer gets a linear kernel mapping of just the
 * pages it covers, so that a write or a reservation inside a sub-buffer is
 * always one contiguous range, while no mapping ever spans the whole
 * buffer. Sub-buffer k covers bytes [k * subbuf_size, (k + 1) * subbuf_size)
 * of the page list, whatever subbuf_size is; when it is not a page
 * multiple, neighbouring sub-buffers share a page and both map it.
 */
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>

#include "relayx_internal.h"

static void relayx_buf_unmap(struct relayx_buf *buf, size_t n_subbufs)
{
	size_t i;

	for (i = 0; i < n_subbufs; i++)
		if (buf->subbuf_addr[i])
			vunmap((void *)PAGE_ALIGN_DOWN((unsigned long)buf->subbuf_addr[i]));
}

static int relayx_buf_map(struct relayx_buf *buf)
{
	size_t size = buf->chan->subbuf_size;
	size_t i;

	for (i = 0; i < buf->chan->n_subbufs; i++) {
		size_t start = i * size;
		size_t first = start >> PAGE_SHIFT;
		size_t last = (start + size - 1) >> PAGE_SHIFT;
		void *base;

		base = vmap(&buf->pages[first], last - first + 1, VM_MAP,
			    PAGE_KERNEL);
		if (!base)
			return -ENOMEM;
		buf->subbuf_addr[i] = base + offset_in_page(start);
	}
	return 0;
}

static void relayx_buf_free_pages(struct relayx_buf *buf)
{
	unsigned int i;

	for (i = 0; i < buf->page_count; i++)
		if (buf->pages[i])
			__free_page(buf->pages[i]);
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
	if (!buf)
		return NULL;
	buf->chan = chan;
	buf->cpu = cpu;
	buf->page_count = PAGE_ALIGN(chan->alloc_size) >> PAGE_SHIFT;
	buf->pages = kvzalloc_node(array_size(buf->page_count,
					      sizeof(*buf->pages)),
				   GFP_KERNEL, node);
	buf->subbuf_addr = kvzalloc_node(array_size(chan->n_subbufs,
						    sizeof(*buf->subbuf_addr)),
					 GFP_KERNEL, node);
	buf->padding = kvzalloc_node(array_size(chan->n_subbufs,
						sizeof(*buf->padding)),
				     GFP_KERNEL, node);
	if (!buf->pages || !buf->subbuf_addr || !buf->padding)
		goto fail;

	for (i = 0; i < buf->page_count; i++) {
		buf->pages[i] = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO |
						 __GFP_NOWARN, 0);
		if (!buf->pages[i])
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
	if (buf->subbuf_addr)
		relayx_buf_unmap(buf, buf->chan->n_subbufs);
	if (buf->pages)
		relayx_buf_free_pages(buf);
	kvfree(buf->padding);
	kvfree(buf->subbuf_addr);
	kvfree(buf->pages);
	kfree(buf);
}
