/* SPDX-License-Identifier: GPL-2.0 */
/* relayx internals shared between the storage, protocol and file layers. */
#ifndef _RELAYX_INTERNAL_H
#define _RELAYX_INTERNAL_H

#include <relayx/relayx.h>

/* relay_buf.c: storage */
struct relayx_buf *relayx_buf_alloc(struct relayx_chan *chan, unsigned int cpu);
void relayx_buf_free(struct relayx_buf *buf);

/* relay_core.c: protocol */
struct relayx_buf *relayx_buf_create(struct relayx_chan *chan, unsigned int cpu);
void relayx_buf_put(struct relayx_buf *buf);
void relayx_buf_get(struct relayx_buf *buf);
size_t relayx_read_avail(struct relayx_buf *buf, void **addr);
void relayx_read_consume(struct relayx_buf *buf, size_t bytes);
bool relayx_buf_done(struct relayx_buf *buf);

/* relay_debugfs.c: files */
int relayx_buf_create_file(struct relayx_buf *buf);
void relayx_buf_remove_file(struct relayx_buf *buf);
extern const struct relayx_callbacks relayx_default_callbacks;

/* relay_hotcpu.c: CPU hotplug */
int relayx_hotcpu_init(void);
void relayx_hotcpu_exit(void);
int relayx_hotcpu_add(struct relayx_chan *chan);
void relayx_hotcpu_remove(struct relayx_chan *chan);

#endif /* _RELAYX_INTERNAL_H */
