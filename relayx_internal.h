/* SPDX-License-Identifier: GPL-2.0 */
/* relayx internals shared between the storage, protocol and file layers. */
#ifndef _RELAYX_INTERNAL_H
#define _RELAYX_INTERNAL_H

#include <relayx/relayx.h>

#include "relayx_hooks.h"
#include "relayx_kcompat.h"

/* relay_buf.c: storage */
struct relayx_buf *relayx_buf_alloc(struct relayx_chan *chan, unsigned int cpu);
void relayx_buf_free(struct relayx_buf *buf);
unsigned long relayx_buf_pages_needed(size_t alloc_size, size_t n_subbufs);

/* The buffer of @cpu, for readers that do not hold chan->lock. */
static inline struct relayx_buf *relayx_chan_buf(struct relayx_chan *chan,
						 unsigned int cpu)
{
	/*
	 * Pairs with the release in relayx_buf_publish(): the buffer's
	 * fields are seen initialised.
	 */
	return smp_load_acquire(per_cpu_ptr(chan->buf, cpu));
}

/* relay_chan.c: the channel's life */
struct relayx_buf *relayx_buf_create(struct relayx_chan *chan, unsigned int cpu);
void relayx_chan_set_global(struct relayx_chan *chan, bool is_global);
void relayx_buf_put(struct relayx_buf *buf);
void relayx_buf_get(struct relayx_buf *buf);
void relayx_buf_read_stats(struct relayx_buf *buf,
			   struct relayx_buf_counts *stats);
void relayx_buf_retry(struct relayx_buf *buf);

/*
 * buf->gate: the writer is deciding whether to enter a sub-buffer; a
 * reader holds sub-buffer buf->held; the writer gave up a switch because
 * of that hold, and the reader that lets go must have it tried again.
 */
#define RELAYX_GATE_ENTERING	BIT(0)
#define RELAYX_GATE_HELD	BIT(1)
#define RELAYX_GATE_DEFERRED	BIT(2)

/* relay_writer.c: the writer's slow path */
void relayx_writer_close(struct relayx_buf *buf);
void relayx_writer_retry(struct relayx_buf *buf);

/* relay_printf.c: relayx_printf() */
int relayx_printf_init(void);
void relayx_printf_exit(void);

/* relay_consume.c: the consumer side of the protocol */
/* Where the bytes read() copied came from; see relayx_read_commit(). */
struct relayx_read_pos {
	size_t seq;
	size_t off;
	unsigned long resets;
	bool retry;	/* the copy's hold deferred a switch: relayx_buf_retry() */
};

ssize_t relayx_read_find(struct relayx_buf *buf, size_t max,
			 struct relayx_read_pos *pos, const void **src);
bool relayx_read_intact(struct relayx_buf *buf,
			const struct relayx_read_pos *pos);
bool relayx_read_commit(struct relayx_buf *buf,
			const struct relayx_read_pos *pos, size_t bytes);
bool relayx_buf_done(struct relayx_buf *buf);
int relayx_get_subbuf(struct relayx_buf *buf, struct file *filp,
		      struct relayx_subbuf *sb);
int relayx_put_subbuf(struct relayx_buf *buf, struct file *filp, u64 seq,
		      bool consume);
void relayx_forget_holder(struct relayx_buf *buf, struct file *filp);

/* relay_debugfs.c: default callbacks, buffer and stats files */
int relayx_buf_create_file(struct relayx_buf *buf);
void relayx_buf_remove_file(struct relayx_buf *buf, bool writers);
void relayx_ask_global(struct relayx_chan *chan, struct relayx_buf *buf);
bool relayx_buf_file_is_relayx(const struct relayx_buf *buf);
void relayx_buf_update_size(struct relayx_buf *buf);
void relayx_chan_create_stats(struct relayx_chan *chan);
void relayx_chan_remove_stats(struct relayx_chan *chan);
extern const struct relayx_callbacks relayx_default_callbacks;

/* relay_file.c: the buffer files */
struct file *relayx_buf_anon_file(struct relayx_buf *buf);

/*
 * A command without its size: what the uapi's extension rule matches on
 * (relay_file.c, relay_dev.c); _IOC_SIZE(cmd) is the caller's version.
 */
#define RELAYX_IOC_SIZELESS(cmd)	((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

/* relay_hotcpu.c: CPU hotplug, and the list of live channels */
int relayx_hotcpu_init(void);
void relayx_hotcpu_exit(void);
int relayx_hotcpu_add(struct relayx_chan *chan);
void relayx_hotcpu_remove(struct relayx_chan *chan);
struct relayx_buf *relayx_buf_get_by_dentry(const struct dentry *dentry);

/* relay_dev.c: /dev/relayx */
int relayx_dev_init(void);
void relayx_dev_exit(void);

/* relay_bpf.c: the kfuncs BPF programs call */
void relayx_bpf_init(void);
int relayx_bpf_output(u32 id, void *data, u32 data__sz, u64 flags);

#endif /* _RELAYX_INTERNAL_H */
