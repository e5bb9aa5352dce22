// SPDX-License-Identifier: GPL-2.0
/*
 * A client written for <linux/relay.h>, the way in-tree users such as
 * blktrace write one, except for its include line. It proves that
 * relay_compat.h covers the upstream API: it must compile and link against
 * relayx unchanged. On load it writes "compat" records through every
 * write call and leaves them in /sys/kernel/debug/relayx_compat/cpuN.
 */
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/string.h>

#include <relayx/relay_compat.h>	/* was: #include <linux/relay.h> */

#define HDR_LEN 8

static struct dentry *dir;
static struct rchan *chan;

static int compat_subbuf_start(struct rchan_buf *buf, void *subbuf,
			       void *prev_subbuf, size_t prev_padding)
{
	if (relay_buf_full(buf))
		return 0;
	memcpy(subbuf, "COMPAT\n\n", HDR_LEN);
	subbuf_start_reserve(buf, HDR_LEN);
	return 1;
}

static struct dentry *compat_create_buf_file(const char *filename,
					     struct dentry *parent,
					     umode_t mode,
					     struct rchan_buf *buf,
					     int *is_global)
{
	/* A buffer-only channel asks for is_global alone, as upstream does. */
	if (!filename)
		return NULL;
	return debugfs_create_file(filename, mode, parent, buf,
				   &relay_file_operations);
}

static int compat_remove_buf_file(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct rchan_callbacks compat_callbacks = {
	.subbuf_start = compat_subbuf_start,
	.create_buf_file = compat_create_buf_file,
	.remove_buf_file = compat_remove_buf_file,
};

static int __init compat_init(void)
{
	static const char rec[] = "relay_write\n";
	static const char rec2[] = "__relay_write\n";
	char *slot;

	dir = debugfs_create_dir("relayx_compat", NULL);
	chan = relay_open(NULL, NULL, 4096, 4, &compat_callbacks, NULL);
	if (!chan) {
		debugfs_remove(dir);
		return -ENOMEM;
	}
	relay_write(chan, rec, sizeof(rec) - 1);
	preempt_disable();
	__relay_write(chan, rec2, sizeof(rec2) - 1);
	slot = relay_reserve(chan, 13);
	if (slot)
		memcpy(slot, "relay_reserve", 13);
	preempt_enable();
	if (relay_late_setup_files(chan, "cpu", dir)) {
		relay_close(chan);
		debugfs_remove(dir);
		return -EIO;
	}
	relay_flush(chan);
	pr_info("relayx_compat: %zu dropped\n",
		relay_stats(chan, RELAY_STATS_BUF_FULL | RELAY_STATS_WRT_BIG));
	return 0;
}

static void __exit compat_exit(void)
{
	relay_subbufs_consumed(chan, 0, 1);
	relay_reset(chan);
	relay_close(chan);
	debugfs_remove(dir);
}

module_init(compat_init);
module_exit(compat_exit);
MODULE_DESCRIPTION("relayx test: an upstream relay client built on relay_compat.h");
MODULE_LICENSE("GPL");
