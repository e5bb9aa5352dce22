// SPDX-License-Identifier: GPL-2.0
/*
 * The code under test, unchanged: relayx's writer (slow path and the inline
 * fast path of include/relayx/relayx.h) and the reader's protocol, built
 * against tests/model/shim with every access instrumented (see
 * model_shim.h). The wrappers below are what a client or a file operation
 * does around them; model.c calls them.
 */
#include "../../relay_writer.c"
#include "../../relay_consume.c"

#include "model.h"

/* relay_debugfs.c's: the file size is not modelled. */
void relayx_buf_update_size(struct relayx_buf *buf)
{
}

/*
 * relay_chan.c's: a switch a reader's hold refused, made again on the
 * buffer's CPU once the reader let go. Not modelled: it would be a
 * writer of no bytes nested on the writer's CPU; the checker's scenarios
 * count what a refused switch leaves pending as allowed.
 */
void relayx_buf_retry(struct relayx_buf *buf)
{
}

/* The checker learns the slot from the exchange on tail that claimed it. */
void mc_write(struct relayx_chan *chan, const void *data, size_t len)
{
	relayx_write(chan, data, len);
}

void *mc_write_begin(struct relayx_chan *chan, size_t len)
{
	return relayx_write_begin(chan, len);
}

void mc_write_end(struct relayx_chan *chan)
{
	relayx_write_end(chan);
}

void *mc_reserve(struct relayx_chan *chan, size_t len)
{
	return relayx_reserve(chan, len);
}

/* relay_chan.c's flush on the buffer's CPU: interrupts off around it. */
void mc_flush(struct relayx_buf *buf)
{
	unsigned long flags;

	local_irq_save(flags);
	relayx_switch_subbuf(buf, 0);
	local_irq_restore(flags);
}

/* relay_chan.c's relayx_buf_close(), its protocol part. */
void mc_close(struct relayx_buf *buf)
{
	relayx_writer_close(buf);
	/* After the last sub-buffer is published, as relayx_buf_close(). */
	smp_store_release(&buf->finalized, true);
}

/* relay_file.c's read(), one round; user space gets every byte. */
long mc_read(struct relayx_buf *buf, void *dst, size_t max, bool *taken,
	     size_t *seq)
{
	struct relayx_read_pos pos;
	const void *src;
	ssize_t found;

	mutex_lock(&buf->read_mutex);
	found = relayx_read_find(buf, max, &pos, &src);
	mutex_unlock(&buf->read_mutex);
	*taken = false;
	if (found <= 0)
		return found;
	*seq = pos.seq;
	/* relay_file.c's one copy, with no lock and no hold. */
	memcpy(dst, src, found);
	mutex_lock(&buf->read_mutex);
	*taken = relayx_read_intact(buf, &pos) &&
		 relayx_read_commit(buf, &pos, found);
	mutex_unlock(&buf->read_mutex);
	return found;
}

/* The mmap consumer: RELAYX_GET_SUBBUF, RELAYX_PUT_SUBBUF. */
static int mc_file;

int mc_get(struct relayx_buf *buf, size_t *seq, size_t *off, size_t *len)
{
	struct relayx_subbuf sb;
	int ret = relayx_get_subbuf(buf, (struct file *)&mc_file, &sb);

	if (ret)
		return ret;
	*seq = sb.seq;
	*off = sb.offset;
	*len = sb.len;
	return 0;
}

int mc_put(struct relayx_buf *buf, size_t seq)
{
	return relayx_put_subbuf(buf, (struct file *)&mc_file, seq, true);
}

/* relay_file.c's poll(): is there data? */
bool mc_poll(struct relayx_buf *buf)
{
	/* The wait queue entry before the counts, as relay_file.c. */
	smp_mb();
	/* Pairs with the release in relayx_publish_subbuf(). */
	return smp_load_acquire(&buf->subbufs_produced) !=
	       READ_ONCE(buf->subbufs_consumed);
}

bool mc_done(struct relayx_buf *buf)
{
	return relayx_buf_done(buf);
}

int mc_buf_full(struct relayx_buf *buf)
{
	return relayx_buf_full(buf);
}

void mc_subbuf_start_reserve(struct relayx_buf *buf, size_t len)
{
	relayx_subbuf_start_reserve(buf, len);
}

size_t mc_off_bits(void)
{
	return RELAYX_OFF_BITS;
}

size_t mc_committed(struct relayx_buf *buf)
{
	return relayx_buf_committed(buf);
}
