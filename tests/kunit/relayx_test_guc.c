// SPDX-License-Identifier: GPL-2.0
/*
 * The GPU firmware-log client of relayx_test_guc.h built on
 * <relayx/relay_compat.h>, for the oracle suite, which runs the same
 * client on upstream relay (a file cannot include both headers).
 */
#include <linux/mutex.h>
#include <relayx/relay_compat.h>

#include "relayx_test.h"

#define GUC_SNAPSHOT guc_snapshot_compat
#include "relayx_test_guc.h"

bool relayx_test_guc_snapshot(struct relayx_chan *chan, struct mutex *lock,
			      const void *snap, size_t size)
{
	return guc_snapshot_compat(chan, lock, snap, size);
}
