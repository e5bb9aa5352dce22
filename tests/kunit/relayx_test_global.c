// SPDX-License-Identifier: GPL-2.0
/*
 * Global mode: a create_buf_file hook that sets *is_global makes one
 * buffer, with one file, serve every CPU.
 */
#include <linux/debugfs.h>
#include <linux/mutex.h>

#include "relayx_test.h"

static int files_created;

static struct dentry *global_create(const char *filename,
				    struct dentry *parent, umode_t mode,
				    struct relayx_buf *buf, int *is_global)
{
	files_created++;
	*is_global = 1;
	return debugfs_create_file(filename, mode, parent, buf,
				   &relayx_file_operations);
}

static const struct relayx_callbacks global_cb = {
	.create_buf_file = global_create,
};

static void relayx_global_one_buffer(struct kunit *test)
{
	static DEFINE_MUTEX(writers);	/* global mode: the client serializes */
	struct relayx_buf *first = NULL, *buf;
	struct relayx_chan *chan;
	unsigned int cpu;

	files_created = 0;
	chan = relayx_open("relayx_kunit_global", NULL, 256, 4, &global_cb,
			   NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	KUNIT_EXPECT_TRUE(test, chan->is_global);
	KUNIT_EXPECT_EQ(test, files_created, 1);
	for_each_online_cpu(cpu) {
		buf = *per_cpu_ptr(chan->buf, cpu);
		if (!first)
			first = buf;
		KUNIT_EXPECT_PTR_EQ(test, buf, first);
	}
	KUNIT_ASSERT_NOT_NULL(test, first);

	mutex_lock(&writers);
	__relayx_write(chan, "0123456789", 10);
	mutex_unlock(&writers);
	relayx_flush(chan);
	KUNIT_EXPECT_EQ(test, first->subbufs_produced, (size_t)1);
	KUNIT_EXPECT_EQ(test, first->padding[0], (u32)246);
	KUNIT_EXPECT_EQ(test, relayx_stats(chan, RELAYX_STATS_BUF_FULL |
					   RELAYX_STATS_WRT_BIG), (size_t)0);
	relayx_close(chan);
}

static struct kunit_case relayx_global_cases[] = {
	KUNIT_CASE(relayx_global_one_buffer),
	{}
};

struct kunit_suite relayx_global_suite = {
	.name = "relayx_global",
	.test_cases = relayx_global_cases,
};
