// SPDX-License-Identifier: GPL-2.0
/*
 * The relayx half of relayx_guc.ko: the GPU firmware-log client of
 * tests/kunit/relayx_test_guc.h built on <relayx/relay_compat.h>, with
 * its file in debugfs as such a client makes it (relayx_guc_main.c has
 * the upstream half; a file cannot include both headers).
 */
#include <linux/debugfs.h>
#include <linux/mutex.h>
#include <relayx/relay_compat.h>

#include "relayx_guc.h"

#define GUC_SNAPSHOT guc_snapshot_compat
#include "../kunit/relayx_test_guc.h"

static struct dentry *guc_compat_create(const char *filename,
					struct dentry *parent, umode_t mode,
					struct rchan_buf *buf, int *is_global)
{
	*is_global = 1;
	return debugfs_create_file(filename, mode, parent, buf,
				   &relay_file_operations);
}

static int guc_compat_remove(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct rchan_callbacks guc_compat_cb = {
	.create_buf_file = guc_compat_create,
	.remove_buf_file = guc_compat_remove,
};

struct relayx_chan *relayx_guc_compat_open(struct dentry *dir, size_t size,
					   size_t n)
{
	return relay_open("relayx", dir, size, n, &guc_compat_cb, NULL);
}

bool relayx_guc_compat_snapshot(struct relayx_chan *chan, struct mutex *lock,
				const void *snap, size_t size)
{
	return guc_snapshot_compat(chan, lock, snap, size);
}

void relayx_guc_compat_close(struct relayx_chan *chan)
{
	relay_close(chan);
}
