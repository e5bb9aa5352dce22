// SPDX-License-Identifier: GPL-2.0
/*
 * A channel's life against what surrounds it: the client's own files in
 * the directory of its channel, and the client removing that directory.
 */
#include <linux/debugfs.h>
#include <linux/err.h>

#include "relayx_test.h"

#define SB	256
#define NSB	4

static void write_msgs(struct relayx_chan *chan, int times)
{
	u8 msg[100];

	memset(msg, 0x6b, sizeof(msg));
	while (times--)
		relayx_write(chan, msg, sizeof(msg));
}

/*
 * The stats file is relayx's, not the client's: a client file that has
 * its name already must not fail the open, nor be removed at close.
 */
static void relayx_lifecycle_stats_name_taken(struct kunit *test)
{
	struct dentry *dir, *mine, *found;
	struct relayx_chan *chan;
	unsigned int cpu;

	dir = debugfs_create_dir("relayx_lifecycle_taken", NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(dir));
	mine = debugfs_create_file("xstats", 0400, dir, NULL, NULL);
	KUNIT_EXPECT_FALSE(test, IS_ERR_OR_NULL(mine));
	chan = relayx_open_err("x", dir, SB, NSB, NULL, NULL);
	KUNIT_EXPECT_FALSE_MSG(test, IS_ERR(chan),
			       "open failed with %ld: a client file is named xstats",
			       PTR_ERR(chan));
	if (!IS_ERR(chan)) {
		for_each_online_cpu(cpu)
			KUNIT_EXPECT_NOT_NULL_MSG(test,
						  (*per_cpu_ptr(chan->buf, cpu))->dentry,
						  "cpu %u has no file", cpu);
		relayx_close(chan);
	}
	found = debugfs_lookup("xstats", dir);
	KUNIT_EXPECT_PTR_EQ_MSG(test, found, mine,
				"the client's xstats after the close");
	dput(found);
	debugfs_remove(dir);
}

/*
 * The client removes its directory, recursively, before it closes the
 * channel (upstream allows it): the files go with it, and neither the
 * writers (a switch sets the file size) nor the close may touch the
 * freed dentries (KASAN).
 */
static void relayx_lifecycle_dir_removed_before_close(struct kunit *test)
{
	struct dentry *dir, *found;
	struct relayx_chan *chan;
	struct relayx_buf *buf;
	unsigned int cpu;

	dir = debugfs_create_dir("relayx_lifecycle_removed", NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(dir));
	chan = relayx_open("x", dir, SB, NSB, NULL, NULL);
	if (!chan)
		debugfs_remove(dir);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	/*
	 * Before the removal: relayx must hold a reference of its own on
	 * every file it keeps (its creation's is the one removal drops).
	 */
	KUNIT_EXPECT_NOT_NULL(test, chan->stats_dentry);
	if (chan->stats_dentry)
		KUNIT_EXPECT_GE_MSG(test, d_count(chan->stats_dentry), 2U,
				    "the stats file is kept without a reference");
	for_each_online_cpu(cpu) {
		buf = *per_cpu_ptr(chan->buf, cpu);
		KUNIT_EXPECT_GE_MSG(test, d_count(buf->dentry), 2U,
				    "the file of cpu %u is kept without a reference",
				    cpu);
	}
	migrate_disable();
	write_msgs(chan, 1);
	debugfs_remove(dir);
	/* Past a switch: the buffer's file size is set again. */
	write_msgs(chan, 4);
	migrate_enable();
	relayx_flush(chan);
	relayx_close(chan);
	found = debugfs_lookup("relayx_lifecycle_removed", NULL);
	KUNIT_EXPECT_NULL(test, found);
	dput(found);
}

static struct kunit_case relayx_lifecycle_cases[] = {
	KUNIT_CASE(relayx_lifecycle_stats_name_taken),
	KUNIT_CASE(relayx_lifecycle_dir_removed_before_close),
	{}
};

struct kunit_suite relayx_lifecycle_suite = {
	.name = "relayx_lifecycle",
	.test_cases = relayx_lifecycle_cases,
};
