/* SPDX-License-Identifier: GPL-2.0 */
/* relayx_guc.ko: what its relayx half (relayx_guc_compat.c) gives. */
#ifndef _RELAYX_GUC_H
#define _RELAYX_GUC_H

#include <linux/types.h>

struct dentry;
struct mutex;
struct relayx_chan;

struct relayx_chan *relayx_guc_compat_open(struct dentry *dir, size_t size,
					   size_t n);
bool relayx_guc_compat_snapshot(struct relayx_chan *chan, struct mutex *lock,
				const void *snap, size_t size);
void relayx_guc_compat_close(struct relayx_chan *chan);

#endif /* _RELAYX_GUC_H */
