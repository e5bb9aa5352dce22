/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The GPU firmware-log client pattern, as i915's and xe's GuC log relay
 * use it, written once with upstream relay's names and compiled twice:
 * against <linux/relay.h> (relayx_test_oracle.c) and against
 * <relayx/relay_compat.h> (relayx_test_guc.c). The channel is global and
 * in no-overwrite mode, and one snapshot fills one sub-buffer: a worker,
 * under the client's mutex, asks for the write position with
 * relay_reserve(chan, 0), copies the snapshot there, then reserves its
 * size and flushes, which moves to the next sub-buffer.
 *
 * GUC_SNAPSHOT names the function; it returns whether the snapshot was
 * taken (relay_reserve(chan, 0) gave a place for it).
 */
static bool GUC_SNAPSHOT(struct rchan *chan, struct mutex *lock,
			 const void *snap, size_t size)
{
	void *dst;

	mutex_lock(lock);
	dst = relay_reserve(chan, 0);
	if (!dst) {
		mutex_unlock(lock);
		return false;
	}
	memcpy(dst, snap, size);
	/* The snapshot is in place before the offset moves past it. */
	smp_wmb();
	relay_reserve(chan, size);
	relay_flush(chan);
	mutex_unlock(lock);
	return true;
}
