// SPDX-License-Identifier: GPL-2.0
/*
 * BPF programs writing into relayx channels. A client publishes one of
 * its channels under a small number (relayx_bpf_publish()); programs name
 * the channel by that number when they call the relayx_bpf_output()
 * kfunc. The numbers index a fixed table of RCU-protected pointers, so an
 * event costs one array load under rcu_read_lock() and then the ordinary
 * lockless write: no lookup by name, no reference count bumped per event.
 * Unpublishing (and relayx_close(), which unpublishes first) clears the
 * pointer and waits for a grace period, after which no program can reach
 * the channel's buffers any more.
 *
 * The kfuncs need relayx.ko to carry BTF with resolved IDs (kbuild's
 * module BTF, or the route of README.md for Debian's headers). Without
 * it relayx still loads and works; it says once that BPF writes are
 * unavailable and publishing answers -EOPNOTSUPP.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>

#include <relayx/relayx.h>

#include "relayx_internal.h"
#include "relayx_kcompat.h"

static struct relayx_chan __rcu *relayx_bpf_chans[RELAYX_BPF_MAX_IDS];
static DEFINE_MUTEX(relayx_bpf_lock);	/* publishers of relayx_bpf_chans */
static bool relayx_bpf_ready;

/* Calls refused: no channel published under the id, bad flags, no data. */
static atomic_long_t relayx_bpf_refused = ATOMIC_LONG_INIT(0);

static int relayx_bpf_refused_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%ld\n", atomic_long_read(&relayx_bpf_refused));
}

static const struct kernel_param_ops relayx_bpf_refused_ops = {
	.get = relayx_bpf_refused_get,
};

module_param_cb(bpf_refused, &relayx_bpf_refused_ops, NULL, 0444);
MODULE_PARM_DESC(bpf_refused,
		 "relayx_bpf_output() calls refused: no channel under the id, bad flags or no data");
module_param_named(bpf_available, relayx_bpf_ready, bool, 0444);
MODULE_PARM_DESC(bpf_available,
		 "whether BPF programs can call relayx's kfuncs (relayx.ko carries BTF)");

/**
 * relayx_bpf_publish - let BPF programs write into a channel
 * @chan: the channel
 * @id: the number programs will name it by, below RELAYX_BPF_MAX_IDS
 *
 * One channel per number; a channel may have several numbers. The
 * channel stays published until relayx_bpf_unpublish() or relayx_close().
 *
 * Return: 0; -EINVAL for a bad @id or no @chan, -EBUSY when @id is taken,
 * -EOPNOTSUPP when relayx.ko carries no BTF (BPF writes are unavailable).
 */
int relayx_bpf_publish(struct relayx_chan *chan, u32 id)
{
	int err = 0;

	if (!chan || id >= RELAYX_BPF_MAX_IDS)
		return -EINVAL;
	if (!relayx_bpf_ready)
		return -EOPNOTSUPP;
	mutex_lock(&relayx_bpf_lock);
	if (rcu_access_pointer(relayx_bpf_chans[id]))
		err = -EBUSY;
	else
		rcu_assign_pointer(relayx_bpf_chans[id], chan);
	mutex_unlock(&relayx_bpf_lock);
	return err;
}
EXPORT_SYMBOL_GPL(relayx_bpf_publish);

/**
 * relayx_bpf_unpublish - stop BPF writes into a channel
 * @chan: the channel
 *
 * Clears every number @chan is published under and waits until no
 * program can be writing into it any more; programs that name those
 * numbers from then on get -ENOENT. May sleep. relayx_close() does it
 * too.
 */
void relayx_bpf_unpublish(struct relayx_chan *chan)
{
	bool found = false;
	unsigned int id;

	mutex_lock(&relayx_bpf_lock);
	for (id = 0; id < RELAYX_BPF_MAX_IDS; id++) {
		if (rcu_access_pointer(relayx_bpf_chans[id]) != chan)
			continue;
		RCU_INIT_POINTER(relayx_bpf_chans[id], NULL);
		found = true;
	}
	mutex_unlock(&relayx_bpf_lock);
	/* Writers hold rcu_read_lock() from the lookup to the commit. */
	if (found)
		synchronize_rcu();
}
EXPORT_SYMBOL_GPL(relayx_bpf_unpublish);

/*
 * The kfuncs: global, not static and not inlined, so that they have BTF
 * and IDs; called only by BPF programs (prototypes in relayx_internal.h).
 */
/*
 * Copy @size bytes at @data into the current CPU's buffer of the channel
 * published under @id. The verifier proves @data holds @size readable
 * bytes (the __sz suffix). Returns 0, -ENOENT (no channel under @id),
 * -EINVAL (flags, or no @data) or -ENOSPC (the channel dropped the record, and counted
 * it in its own stats).
 */
__bpf_kfunc noinline int relayx_bpf_output(u32 id, void *data, u32 data__sz, u64 flags)
{
	struct relayx_chan *chan;
	void *slot;
	int ret = 0;

	/*
	 * 6.1's verifier lets a map value that may be NULL through as the
	 * buffer (checked: a program passing an unchecked lookup loads).
	 */
	if (unlikely(flags || (!data && data__sz))) {
		atomic_long_inc(&relayx_bpf_refused);
		return -EINVAL;
	}
	rcu_read_lock();
	chan = id < RELAYX_BPF_MAX_IDS ?
		rcu_dereference(relayx_bpf_chans[id]) : NULL;
	if (unlikely(!chan)) {
		atomic_long_inc(&relayx_bpf_refused);
		ret = -ENOENT;
		goto out;
	}
	slot = relayx_write_begin(chan, data__sz);
	if (unlikely(!slot)) {
		ret = -ENOSPC;
		goto out;
	}
	memcpy(slot, data, data__sz);
	relayx_write_end(chan);
out:
	rcu_read_unlock();
	return ret;
}

RELAYX_KFUNCS_START(relayx_bpf_kfunc_ids)
BTF_ID_FLAGS(func, relayx_bpf_output)
RELAYX_KFUNCS_END(relayx_bpf_kfunc_ids)

static const struct btf_kfunc_id_set relayx_bpf_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &relayx_bpf_kfunc_ids,
};

void relayx_bpf_init(void)
{
	unsigned int i;
	int err;

	/*
	 * kbuild fills the set (resolve_btfids writes its count and IDs)
	 * only when it gives the module BTF; the kernel drops kfuncs with no
	 * BTF behind them.
	 */
	if (!relayx_module_has_btf(THIS_MODULE) || !relayx_bpf_kfunc_ids.cnt) {
		pr_info("relayx.ko carries no BTF: BPF writes are unavailable (README.md, \"BPF programs\")\n");
		return;
	}
	for (i = 0; relayx_bpf_prog_type(i) != BPF_PROG_TYPE_UNSPEC; i++) {
		err = register_btf_kfunc_id_set(relayx_bpf_prog_type(i),
						&relayx_bpf_kfunc_set);
		if (err) {
			pr_warn("BPF writes are unavailable: kfunc registration failed: %d\n",
				err);
			return;
		}
	}
	relayx_bpf_ready = true;
}
