// SPDX-License-Identifier: GPL-2.0
/*
 * The write path on one CPU's buffer: layout, padding, switching, modes,
 * drops and their accounting. Each case pins itself to one CPU
 * (relayx_test_pin()) for its writes to land in one buffer.
 */
#include <linux/highmem.h>
#include <linux/random.h>

#include "relayx_test.h"

/* Small, not a page multiple: sub-buffers share pages. */
#define SB	100
#define NSB	4

static int always_switch(struct relayx_buf *buf, void *subbuf,
			 void *prev_subbuf, size_t prev_padding)
{
	return 1;
}

static int header_start(struct relayx_buf *buf, void *subbuf,
			void *prev_subbuf, size_t prev_padding)
{
	if (relayx_buf_full(buf))
		return 0;
	memset(subbuf, 0xab, 8);
	relayx_subbuf_start_reserve(buf, 8);
	return 1;
}

static const struct relayx_callbacks overwrite_cb = {
	.subbuf_start = always_switch,
};

static const struct relayx_callbacks header_cb = {
	.subbuf_start = header_start,
};

static struct relayx_chan *open_chan(struct kunit *test, size_t size,
				     size_t n, const struct relayx_callbacks *cb)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, size, n, cb, NULL);

	KUNIT_ASSERT_NOT_NULL(test, chan);
	return chan;
}

static void write_n(struct relayx_chan *chan, size_t len, int times)
{
	static const char pattern[4096] = { [0 ... 4095] = 0x5a };

	while (times--)
		__relayx_write(chan, pattern, len);
}

static void relayx_write_padding(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, SB, NSB, NULL);
	struct relayx_buf *buf;
	u8 *page;

	buf = relayx_test_pin(chan);
	write_n(chan, 30, 3);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)90);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)0);
	write_n(chan, 30, 1);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)1);
	KUNIT_EXPECT_EQ(test, buf->padding[0], (u32)10);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)30);
	KUNIT_EXPECT_PTR_EQ(test, buf->data, relayx_subbuf_addr(buf, 1));
	KUNIT_EXPECT_EQ(test, buf_count(buf, msgs), 4ULL);
	KUNIT_EXPECT_EQ(test, buf_count(buf, bytes), 120ULL);
	migrate_enable();

	/*
	 * Sub-buffer k starts k * subbuf_size bytes into the page list: the
	 * fourth message is at byte 100, after 10 untouched padding bytes.
	 */
	page = kmap_local_page(buf->pages[0]);
	KUNIT_EXPECT_EQ(test, page[89], (u8)0x5a);
	KUNIT_EXPECT_EQ(test, page[90], (u8)0);
	KUNIT_EXPECT_EQ(test, page[99], (u8)0);
	KUNIT_EXPECT_EQ(test, page[100], (u8)0x5a);
	KUNIT_EXPECT_EQ(test, page[130], (u8)0);
	kunmap_local(page);
	relayx_close(chan);
}

static void relayx_write_exact_fill(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, SB, NSB, NULL);
	struct relayx_buf *buf;

	buf = relayx_test_pin(chan);
	write_n(chan, 60, 1);
	write_n(chan, 40, 1);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)SB);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)0);
	write_n(chan, 1, 1);
	KUNIT_EXPECT_EQ(test, buf->padding[0], (u32)0);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)1);
	migrate_enable();
	relayx_close(chan);
}

static void relayx_write_too_big(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, SB, NSB, NULL);
	struct relayx_buf *buf;

	buf = relayx_test_pin(chan);
	write_n(chan, SB + 1, 1);
	KUNIT_EXPECT_EQ(test, buf_count(buf, big), 1ULL);
	KUNIT_EXPECT_EQ(test, buf_count(buf, bytes_big), (u64)SB + 1);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)0);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)0);
	write_n(chan, SB, 1);
	KUNIT_EXPECT_EQ(test, buf_count(buf, msgs), 1ULL);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, relayx_stats(chan, RELAYX_STATS_WRT_BIG), (size_t)1);
	KUNIT_EXPECT_EQ(test, relayx_stats(chan, RELAYX_STATS_BUF_FULL), (size_t)0);
	relayx_close(chan);
}

/*
 * relayx_switch_subbuf() asked for a message longer than a sub-buffer:
 * counted as too big, no switch; then one that fits exactly.
 */
static void relayx_switch_too_big(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, SB, NSB, NULL);
	struct relayx_buf *buf;
	size_t got;

	buf = relayx_test_pin(chan);
	write_n(chan, 10, 1);
	preempt_disable();
	got = relayx_switch_subbuf(buf, SB + 1);
	preempt_enable();
	KUNIT_EXPECT_EQ(test, got, (size_t)0);
	KUNIT_EXPECT_EQ(test, buf_count(buf, big), 1ULL);
	KUNIT_EXPECT_EQ(test, buf_count(buf, bytes_big), (u64)SB + 1);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)0);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)10);

	preempt_disable();
	got = relayx_switch_subbuf(buf, SB);
	preempt_enable();
	KUNIT_EXPECT_EQ(test, got, (size_t)SB);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)1);
	KUNIT_EXPECT_EQ(test, buf->padding[0], (u32)SB - 10);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)0);
	migrate_enable();
	relayx_close(chan);
}

static void relayx_write_no_overwrite(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, SB, NSB, NULL);
	struct relayx_buf *buf;
	unsigned int cpu;

	buf = relayx_test_pin(chan);
	cpu = buf->cpu;
	write_n(chan, SB, NSB);
	KUNIT_EXPECT_EQ(test, buf_count(buf, msgs), (u64)NSB);
	write_n(chan, 10, 2);
	KUNIT_EXPECT_EQ(test, buf_count(buf, full), 2ULL);
	KUNIT_EXPECT_EQ(test, buf_count(buf, bytes_full), 20ULL);
	KUNIT_EXPECT_EQ(test, relayx_buf_full(buf), 1);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)NSB);

	/*
	 * The reader frees one sub-buffer: the writer resumes in it. The test
	 * stays pinned meanwhile (it used to unpin here and could find itself
	 * on another CPU's buffer after).
	 */
	relayx_subbufs_consumed(chan, cpu, 1);
	write_n(chan, 10, 1);
	KUNIT_EXPECT_EQ(test, buf_count(buf, msgs), (u64)NSB + 1);
	KUNIT_EXPECT_PTR_EQ(test, buf->data, relayx_subbuf_addr(buf, 0));
	KUNIT_EXPECT_EQ(test, buf_count(buf, overwritten), 0ULL);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, relayx_stats(chan, RELAYX_STATS_BUF_FULL), (size_t)2);
	relayx_close(chan);
}

static void relayx_write_overwrite(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, SB, NSB, &overwrite_cb);
	struct relayx_buf *buf;

	buf = relayx_test_pin(chan);
	write_n(chan, SB, NSB + 2);
	KUNIT_EXPECT_EQ(test, buf_count(buf, msgs), (u64)NSB + 2);
	KUNIT_EXPECT_EQ(test, buf_count(buf, full), 0ULL);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)NSB + 1);
	/* Entering sub-buffers #4 and #5 overwrote unread #0 and #1. */
	KUNIT_EXPECT_EQ(test, buf_count(buf, overwritten), 2ULL);
	KUNIT_EXPECT_PTR_EQ(test, buf->data, relayx_subbuf_addr(buf, 1));
	migrate_enable();
	relayx_close(chan);
}

static void relayx_write_header(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, SB, NSB, &header_cb);
	struct relayx_buf *buf;
	u8 *sub;

	buf = relayx_test_pin(chan);
	/* The first sub-buffer got its header at open. */
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)8);
	write_n(chan, 92, 2);
	KUNIT_EXPECT_EQ(test, buf->padding[0], (u32)0);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)SB);
	sub = relayx_subbuf_addr(buf, 1);
	KUNIT_EXPECT_EQ(test, sub[0], (u8)0xab);
	KUNIT_EXPECT_EQ(test, sub[8], (u8)0x5a);
	/* 93 bytes fit a sub-buffer but not beside the header. */
	write_n(chan, 93, 1);
	KUNIT_EXPECT_EQ(test, buf_count(buf, big), 1ULL);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)2);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)8);
	migrate_enable();
	relayx_close(chan);
}

/* A reservation is one contiguous range even across a page boundary. */
static void relayx_reserve_contiguous(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, 3000, 4, NULL);
	struct relayx_buf *buf;
	u8 *first, *slot, *page;

	preempt_disable();
	buf = *this_cpu_ptr(chan->buf);
	first = relayx_reserve(chan, 2900);
	slot = relayx_reserve(chan, 3000);
	if (slot) {
		memset(slot, 0x11, 3000);
		slot[4096 - 3000] = 0x22;
	}
	preempt_enable();

	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_ASSERT_NOT_NULL(test, slot);
	KUNIT_EXPECT_PTR_EQ(test, slot, (u8 *)relayx_subbuf_addr(buf, 1));
	KUNIT_EXPECT_EQ(test, buf->padding[0], (u32)100);

	/* Byte 4096 of the buffer is the first byte of its second page. */
	page = kmap_local_page(buf->pages[1]);
	KUNIT_EXPECT_EQ(test, page[0], (u8)0x22);
	KUNIT_EXPECT_EQ(test, page[1], (u8)0x11);
	kunmap_local(page);
	relayx_close(chan);
}

static void relayx_write_flush_reset(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, SB, NSB, NULL);
	struct relayx_buf *buf;
	unsigned int cpu;

	buf = relayx_test_pin(chan);
	cpu = buf->cpu;
	write_n(chan, 10, 1);
	migrate_enable();

	relayx_flush(chan);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)1);
	KUNIT_EXPECT_EQ(test, buf->padding[0], (u32)SB - 10);
	/* Every other online CPU's buffer was switched too, empty. */
	for_each_online_cpu(cpu) {
		struct relayx_buf *other = *per_cpu_ptr(chan->buf, cpu);

		KUNIT_EXPECT_EQ(test, other->subbufs_produced, (size_t)1);
	}

	relayx_reset(chan);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)0);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)0);
	KUNIT_EXPECT_EQ(test, buf_count(buf, msgs), 0ULL);
	KUNIT_EXPECT_PTR_EQ(test, buf->data, relayx_subbuf_addr(buf, 0));
	relayx_close(chan);
}

static void relayx_consumed_clamped(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, SB, NSB, NULL);
	struct relayx_buf *buf;
	unsigned int cpu;

	buf = relayx_test_pin(chan);
	cpu = buf->cpu;
	write_n(chan, SB, 3);
	migrate_enable();
	/* More than a buffer holds: ignored, as upstream. */
	relayx_subbufs_consumed(chan, cpu, 1000);
	KUNIT_EXPECT_EQ(test, buf->subbufs_consumed, (size_t)0);
	/* More than was produced: clamped. */
	relayx_subbufs_consumed(chan, cpu, NSB);
	KUNIT_EXPECT_GT(test, buf->subbufs_produced, (size_t)0);
	KUNIT_EXPECT_LT(test, buf->subbufs_produced, (size_t)NSB);
	KUNIT_EXPECT_EQ(test, buf->subbufs_consumed, buf->subbufs_produced);
	relayx_subbufs_consumed(chan, nr_cpu_ids, 1);
	relayx_subbufs_consumed(chan, UINT_MAX, 1);
	relayx_close(chan);
}

/* Every byte handed to a write is written or counted as dropped. */
static void relayx_write_accounting(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, SB, NSB, NULL);
	struct relayx_buf_counts st;
	u64 handed = 0;
	unsigned int cpu;
	int i;

	cpu = relayx_test_pin(chan)->cpu;
	for (i = 0; i < 200; i++) {
		size_t len = get_random_u32_below(SB + 20) + 1;

		write_n(chan, len, 1);
		handed += len;
	}
	migrate_enable();
	KUNIT_ASSERT_EQ(test, relayx_buf_stats(chan, cpu, &st), 0);
	KUNIT_EXPECT_EQ(test, st.bytes + st.bytes_full + st.bytes_big, handed);
	KUNIT_EXPECT_EQ(test, st.msgs + st.full + st.big, 200ULL);
	KUNIT_EXPECT_EQ(test, st.produced, (u64)NSB);
	KUNIT_EXPECT_EQ(test, st.consumed, 0ULL);
	KUNIT_EXPECT_GT(test, st.full, 0ULL);
	KUNIT_EXPECT_GT(test, st.big, 0ULL);
	relayx_close(chan);
}

/* relayx_printf(): the text and its NUL, formatted where they land. */
static void relayx_printf_in_place(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, SB, NSB, NULL);
	static const char want[] = "cpu 7 seq 42 ok";
	struct relayx_buf *buf;
	int ret;

	buf = relayx_test_pin(chan);
	write_n(chan, 10, 1);
	ret = relayx_printf(chan, "cpu %u seq %d %s", 7, 42, "ok");
	KUNIT_EXPECT_EQ(test, ret, (int)sizeof(want));
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), 10 + sizeof(want));
	KUNIT_EXPECT_EQ(test, memcmp(buf->data + 10, want, sizeof(want)), 0);
	KUNIT_EXPECT_EQ(test, relayx_buf_committed(buf), relayx_buf_offset(buf));
	KUNIT_EXPECT_EQ(test, buf_count(buf, msgs), 2ULL);
	KUNIT_EXPECT_EQ(test, buf_count(buf, bytes), (u64)(10 + sizeof(want)));
	migrate_enable();
	relayx_close(chan);
}

/*
 * A message longer than a sub-buffer is counted as too big and leaves no
 * byte behind (never truncated); one that fills a sub-buffer exactly,
 * NUL included, is written whole.
 */
static void relayx_printf_too_big(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, SB, NSB, NULL);
	struct relayx_buf *buf;
	char *text;
	int ret;

	buf = relayx_test_pin(chan);
	ret = relayx_printf(chan, "%0*d", SB, 0);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, buf_count(buf, big), 1ULL);
	KUNIT_EXPECT_EQ(test, buf_count(buf, bytes_big), (u64)SB + 1);
	KUNIT_EXPECT_EQ(test, buf_count(buf, msgs), 0ULL);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)0);
	ret = relayx_printf(chan, "%0*d", SB - 1, 0);
	KUNIT_EXPECT_EQ(test, ret, SB);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)SB);
	text = buf->data;
	KUNIT_EXPECT_EQ(test, text[SB - 2], '0');
	KUNIT_EXPECT_EQ(test, text[SB - 1], '\0');
	migrate_enable();
	relayx_close(chan);
}

/* One that does not fit the rest of a sub-buffer opens the next one. */
static void relayx_printf_switch(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, SB, NSB, NULL);
	struct relayx_buf *buf;
	int ret;

	buf = relayx_test_pin(chan);
	write_n(chan, 90, 1);
	ret = relayx_printf(chan, "%s-%x", "0123456789", 0xabc);
	KUNIT_EXPECT_EQ(test, ret, 15);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)1);
	KUNIT_EXPECT_EQ(test, buf->padding[0], (u32)10);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)15);
	KUNIT_EXPECT_EQ(test, memcmp(buf->data, "0123456789-abc", 15), 0);
	migrate_enable();
	relayx_close(chan);
}

/*
 * A message that fits neither the rest of the sub-buffer nor, the buffer
 * being full, the next one is dropped as full; the text its first
 * vsnprintf() left past the write position is never published.
 */
static void relayx_printf_full(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, SB, NSB, NULL);
	struct relayx_buf *buf;
	unsigned int cpu;
	int ret;

	buf = relayx_test_pin(chan);
	cpu = buf->cpu;
	write_n(chan, SB, NSB - 1);
	write_n(chan, 60, 1);
	ret = relayx_printf(chan, "%0*d", 49, 0);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, buf_count(buf, full), 1ULL);
	KUNIT_EXPECT_EQ(test, buf_count(buf, bytes_full), 50ULL);
	/* The refused switch handed over the last sub-buffer: 60 bytes. */
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)NSB);
	KUNIT_EXPECT_EQ(test, buf->padding[NSB - 1], (u32)40);
	relayx_subbufs_consumed(chan, cpu, 1);
	ret = relayx_printf(chan, "%s", "tail");
	KUNIT_EXPECT_EQ(test, ret, 5);
	KUNIT_EXPECT_EQ(test, buf->padding[NSB - 1], (u32)40);
	KUNIT_EXPECT_EQ(test, relayx_buf_committed(buf), (size_t)5);
	KUNIT_EXPECT_PTR_EQ(test, buf->data, relayx_subbuf_addr(buf, 0));
	KUNIT_EXPECT_EQ(test, memcmp(buf->data, "tail", 5), 0);
	KUNIT_EXPECT_EQ(test, buf_count(buf, msgs), (u64)NSB + 1);
	migrate_enable();
	relayx_close(chan);
}

/* A client's own printf-like function, as relayx_vprintf() is for. */
static __printf(2, 3) int vprintf_client(struct relayx_chan *chan,
					 const char *fmt, ...)
{
	va_list args;
	int ret;

	va_start(args, fmt);
	ret = relayx_vprintf(chan, fmt, args);
	va_end(args);
	return ret;
}

/*
 * relayx_vprintf(): a short text is formatted once; one longer than a
 * page is measured, then formatted into its slot, and each walk of the
 * caller's va_list must start at its first argument: a second walk of
 * a list the first one used up would format whatever follows it.
 */
#define VSB	8192
#define VLONG	((int)PAGE_SIZE + 100)
static void relayx_vprintf_walks(struct kunit *test)
{
	struct relayx_chan *chan = open_chan(test, VSB, 2, NULL);
	static const char want[] = "short 0007";
	struct relayx_buf *buf;
	char *text;
	int ret;

	buf = relayx_test_pin(chan);
	ret = vprintf_client(chan, "%s %0*d", "short", 4, 7);
	KUNIT_EXPECT_EQ(test, ret, (int)sizeof(want));
	KUNIT_EXPECT_EQ(test, memcmp(buf->data, want, sizeof(want)), 0);
	/* 'v', then VLONG - 1 digits (zeros, then a 3), then the NUL. */
	ret = vprintf_client(chan, "%c%0*d", 'v', VLONG - 1, 3);
	KUNIT_EXPECT_EQ(test, ret, VLONG + 1);
	text = (char *)buf->data + sizeof(want);
	KUNIT_EXPECT_EQ(test, text[0], 'v');
	KUNIT_EXPECT_EQ(test, text[1], '0');
	KUNIT_EXPECT_EQ(test, text[VLONG - 2], '0');
	KUNIT_EXPECT_EQ(test, text[VLONG - 1], '3');
	KUNIT_EXPECT_EQ(test, text[VLONG], '\0');
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), sizeof(want) + VLONG + 1);
	KUNIT_EXPECT_EQ(test, buf_count(buf, msgs), 2ULL);
	migrate_enable();
	relayx_close(chan);
}

static struct kunit_case relayx_write_cases[] = {
	KUNIT_CASE(relayx_write_padding),
	KUNIT_CASE(relayx_write_exact_fill),
	KUNIT_CASE(relayx_write_too_big),
	KUNIT_CASE(relayx_switch_too_big),
	KUNIT_CASE(relayx_write_no_overwrite),
	KUNIT_CASE(relayx_write_overwrite),
	KUNIT_CASE(relayx_write_header),
	KUNIT_CASE(relayx_reserve_contiguous),
	KUNIT_CASE(relayx_write_flush_reset),
	KUNIT_CASE(relayx_consumed_clamped),
	KUNIT_CASE(relayx_write_accounting),
	KUNIT_CASE(relayx_printf_in_place),
	KUNIT_CASE(relayx_printf_too_big),
	KUNIT_CASE(relayx_printf_switch),
	KUNIT_CASE(relayx_printf_full),
	KUNIT_CASE(relayx_vprintf_walks),
	{}
};

struct kunit_suite relayx_write_suite = {
	.name = "relayx_write",
	.test_cases = relayx_write_cases,
};
