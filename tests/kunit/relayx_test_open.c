// SPDX-License-Identifier: GPL-2.0
/*
 * relayx_open() argument checking: every bad call fails and leaks nothing;
 * what the files of a new channel show.
 */
#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/string.h>

#include "relayx_test.h"

static void expect_open_error(struct kunit *test, const char *name,
			      size_t subbuf_size, size_t n_subbufs, int err)
{
	struct relayx_chan *chan;

	chan = relayx_open_err(name, NULL, subbuf_size, n_subbufs, NULL, NULL);
	KUNIT_EXPECT_TRUE(test, IS_ERR(chan));
	if (!IS_ERR(chan)) {
		relayx_close(chan);
		return;
	}
	KUNIT_EXPECT_EQ(test, PTR_ERR(chan), (long)err);
	/* The upstream-style entry point reports the same failure as NULL. */
	KUNIT_EXPECT_NULL(test, relayx_open(name, NULL, subbuf_size, n_subbufs,
					    NULL, NULL));
}

static void relayx_open_zero_sizes(struct kunit *test)
{
	expect_open_error(test, NULL, 0, 4, -EINVAL);
	expect_open_error(test, NULL, 4096, 0, -EINVAL);
}

static void relayx_open_overflow(struct kunit *test)
{
	expect_open_error(test, NULL, SIZE_MAX / 2, 3, -EOVERFLOW);
	/* A 4 GiB + 1 sub-buffer: its padding would not fit in a u32. */
	expect_open_error(test, NULL, (size_t)U32_MAX + 1, 1, -EOVERFLOW);
}

static void relayx_open_too_much_memory(struct kunit *test)
{
	/* 1 TiB per CPU: no test machine has it, the check must say so. */
	expect_open_error(test, NULL, 1UL << 30, 1UL << 10, -ENOMEM);
}

static void relayx_open_bad_names(struct kunit *test)
{
	char *long_name;

	expect_open_error(test, "a/b", 4096, 4, -EINVAL);
	expect_open_error(test, "", 4096, 4, -EINVAL);
	long_name = kunit_kzalloc(test, NAME_MAX + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, long_name);
	memset(long_name, 'x', NAME_MAX);
	expect_open_error(test, long_name, 4096, 4, -ENAMETOOLONG);
}

static void relayx_open_buffer_only(struct kunit *test)
{
	struct relayx_chan *chan;
	unsigned int cpu;

	chan = relayx_open(NULL, NULL, 4096, 4, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	KUNIT_EXPECT_FALSE(test, chan->has_base_filename);
	KUNIT_EXPECT_EQ(test, chan->alloc_size, (size_t)4 * 4096);
	for_each_online_cpu(cpu) {
		struct relayx_buf *buf = *per_cpu_ptr(chan->buf, cpu);

		KUNIT_ASSERT_NOT_NULL(test, buf);
		KUNIT_EXPECT_EQ(test, buf->cpu, cpu);
		KUNIT_EXPECT_NULL(test, buf->dentry);
		KUNIT_EXPECT_EQ(test, buf->page_count, 4U);
	}
	relayx_close(chan);
}

/* As upstream's: whole pages, which clients size their reads by. */
static void relayx_open_alloc_size_page_aligned(struct kunit *test)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, 1000, 5, NULL, NULL);

	KUNIT_ASSERT_NOT_NULL(test, chan);
	KUNIT_EXPECT_EQ(test, chan->alloc_size, (size_t)PAGE_ALIGN(5000));
	relayx_close(chan);
}

/*
 * What the files of a channel being opened show the moment they can be
 * opened (RELAYX_HOOK_FILE_VISIBLE): how many appeared, and how many of
 * their buffers were not reset yet (no sub-buffer entered, no limit).
 */
#define VISIBLE_NAME	"relayx_kunit_visible"
static atomic_t visible_files, visible_unreset;

static void relayx_visible_hook(struct relayx_buf *buf,
				enum relayx_hook_point where)
{
	if (where != RELAYX_HOOK_FILE_VISIBLE ||
	    strcmp(buf->chan->base_filename, VISIBLE_NAME))
		return;
	atomic_inc(&visible_files);
	if (!buf->data || buf->limit != buf->chan->subbuf_size)
		atomic_inc(&visible_unreset);
}

/*
 * A buffer file can be opened and read as soon as it exists: its buffer
 * must be reset by then, or a reader of a CPU coming up would see a
 * buffer with no sub-buffer entered.
 */
static void relayx_open_file_after_reset(struct kunit *test)
{
	struct relayx_chan *chan;

	atomic_set(&visible_files, 0);
	atomic_set(&visible_unreset, 0);
	WRITE_ONCE(relayx_test_hook, relayx_visible_hook);
	chan = relayx_open(VISIBLE_NAME, NULL, 4096, 2, NULL, NULL);
	WRITE_ONCE(relayx_test_hook, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	relayx_close(chan);
	KUNIT_EXPECT_GE(test, atomic_read(&visible_files), (int)num_online_cpus());
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&visible_unreset), 0,
			    "%d of %d files visible before their buffer was reset",
			    atomic_read(&visible_unreset),
			    atomic_read(&visible_files));
}

static struct kunit_case relayx_open_cases[] = {
	KUNIT_CASE(relayx_open_zero_sizes),
	KUNIT_CASE(relayx_open_overflow),
	KUNIT_CASE(relayx_open_too_much_memory),
	KUNIT_CASE(relayx_open_bad_names),
	KUNIT_CASE(relayx_open_buffer_only),
	KUNIT_CASE(relayx_open_alloc_size_page_aligned),
	KUNIT_CASE(relayx_open_file_after_reset),
	{}
};

struct kunit_suite relayx_open_suite = {
	.name = "relayx_open",
	.test_cases = relayx_open_cases,
};
