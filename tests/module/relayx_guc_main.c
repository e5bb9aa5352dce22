// SPDX-License-Identifier: GPL-2.0
/*
 * The GPU firmware-log pattern of i915's and xe's GuC log relay
 * (tests/kunit/relayx_test_guc.h), on upstream relay and on relayx at
 * once, for user space to read with read(). /sys/kernel/debug/relayx_guc/
 * holds the global channels' files upstream0 and relayx0 (through
 * debugfs' proxy, as those drivers make them), "ctl" and "result":
 *
 *   snap N   N snapshots on each channel, one after the other, each a
 *            sub-buffer of the snapshot's number
 *
 * "result" shows what the last "snap" got on each: 'A' for a snapshot
 * taken, '-' for one refused (relay_reserve(chan, 0) returned NULL).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/relay.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "relayx_guc.h"

#define GUC_SNAPSHOT guc_snapshot_upstream
#include "../kunit/relayx_test_guc.h"

static unsigned int subbuf_size = 4096;
module_param(subbuf_size, uint, 0444);
MODULE_PARM_DESC(subbuf_size, "bytes per sub-buffer, one snapshot");

static unsigned int n_subbufs = 4;
module_param(n_subbufs, uint, 0444);
MODULE_PARM_DESC(n_subbufs, "sub-buffers of each channel");

#define GUC_MAX_SNAPS	64

static struct dentry *guc_dir;
static struct rchan *guc_upstream;
static struct relayx_chan *guc_relayx;
/* The client's mutex, around each snapshot; also serializes "ctl". */
static DEFINE_MUTEX(guc_lock);
static DEFINE_MUTEX(guc_ctl_lock);
static char guc_result[2][GUC_MAX_SNAPS + 1];
static unsigned int guc_no;

static struct dentry *guc_upstream_create(const char *filename,
					  struct dentry *parent, umode_t mode,
					  struct rchan_buf *buf, int *is_global)
{
	*is_global = 1;
	return debugfs_create_file(filename, mode, parent, buf,
				   &relay_file_operations);
}

static int guc_upstream_remove(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct rchan_callbacks guc_upstream_cb = {
	.create_buf_file = guc_upstream_create,
	.remove_buf_file = guc_upstream_remove,
};

static int guc_snap(unsigned int n)
{
	u8 *snap = kmalloc(subbuf_size, GFP_KERNEL);
	unsigned int i;

	if (!snap)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		memset(snap, ++guc_no, subbuf_size);
		guc_result[0][i] = guc_snapshot_upstream(guc_upstream, &guc_lock,
							 snap, subbuf_size) ?
				   'A' : '-';
		guc_result[1][i] = relayx_guc_compat_snapshot(guc_relayx,
							      &guc_lock, snap,
							      subbuf_size) ?
				   'A' : '-';
	}
	guc_result[0][n] = '\0';
	guc_result[1][n] = '\0';
	kfree(snap);
	return 0;
}

static ssize_t guc_ctl_write(struct file *filp, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	unsigned int n;
	char cmd[32];
	int ret;

	if (count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = '\0';
	if (sscanf(cmd, "snap %u", &n) != 1 || !n || n > GUC_MAX_SNAPS)
		return -EINVAL;
	mutex_lock(&guc_ctl_lock);
	ret = guc_snap(n);
	mutex_unlock(&guc_ctl_lock);
	return ret ? ret : count;
}

static const struct file_operations guc_ctl_fops = {
	.owner = THIS_MODULE,
	.write = guc_ctl_write,
	.llseek = noop_llseek,
};

static int guc_result_show(struct seq_file *m, void *unused)
{
	mutex_lock(&guc_ctl_lock);
	seq_printf(m, "upstream %s\nrelayx %s\n", guc_result[0],
		   guc_result[1]);
	mutex_unlock(&guc_ctl_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(guc_result);

static int __init relayx_guc_init(void)
{
	if (!subbuf_size || !n_subbufs)
		return -EINVAL;
	guc_dir = debugfs_create_dir("relayx_guc", NULL);
	guc_upstream = relay_open("upstream", guc_dir, subbuf_size, n_subbufs,
				  &guc_upstream_cb, NULL);
	guc_relayx = relayx_guc_compat_open(guc_dir, subbuf_size, n_subbufs);
	if (!guc_upstream || !guc_relayx) {
		if (guc_upstream)
			relay_close(guc_upstream);
		if (guc_relayx)
			relayx_guc_compat_close(guc_relayx);
		debugfs_remove(guc_dir);
		return -ENOMEM;
	}
	debugfs_create_file("ctl", 0200, guc_dir, NULL, &guc_ctl_fops);
	debugfs_create_file("result", 0400, guc_dir, NULL, &guc_result_fops);
	return 0;
}

static void __exit relayx_guc_exit(void)
{
	relay_close(guc_upstream);
	relayx_guc_compat_close(guc_relayx);
	debugfs_remove(guc_dir);
}

module_init(relayx_guc_init);
module_exit(relayx_guc_exit);
MODULE_DESCRIPTION("the GPU firmware-log relay pattern on upstream relay and relayx");
MODULE_LICENSE("GPL");
