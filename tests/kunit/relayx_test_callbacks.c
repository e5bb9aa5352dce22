// SPDX-License-Identifier: GPL-2.0
/*
 * What a subbuf_start callback may rely on: the sub-buffer it finishes
 * (prev_subbuf) is not yet visible to readers while it runs, and is
 * handed to it exactly once, even when it refuses and the switch is
 * retried; a header it reserves stays inside the sub-buffer.
 */
#include "relayx_test.h"

#define SB	100
#define NSB	4
#define SEQS	64

/* What the callback saw. */
static struct {
	unsigned int shown[SEQS];	/* prev_subbuf calls per sequence */
	unsigned int visible;		/* prev already readable meanwhile */
	unsigned int calls;
	size_t header;			/* header to reserve, if any */
} seen;

static int watch_start(struct relayx_buf *buf, void *subbuf,
		       void *prev_subbuf, size_t prev_padding)
{
	size_t seq = READ_ONCE(buf->entered);

	seen.calls++;
	if (prev_subbuf) {
		if (seq < SEQS)
			seen.shown[seq]++;
		/* Pairs with the release that publishes a sub-buffer. */
		if (smp_load_acquire(&buf->subbufs_produced) > seq)
			seen.visible++;
		*(u32 *)prev_subbuf = prev_padding;
	}
	if (relayx_buf_full(buf))
		return 0;
	if (seen.header)
		relayx_subbuf_start_reserve(buf, seen.header);
	return 1;
}

static const struct relayx_callbacks watch_cb = {
	.subbuf_start = watch_start,
};

static void write_n(struct relayx_chan *chan, size_t len, int times)
{
	static const u8 msg[SB] = { [0 ... SB - 1] = 0x5a };

	while (times--)
		__relayx_write(chan, msg, len);
}

/*
 * Sub-buffers fill up, the callback refuses many times, then a reader
 * frees two and writing goes on: every finished sub-buffer was shown
 * to the callback exactly once, and never while readers could see it.
 */
static void relayx_cb_prev_once_and_unpublished(struct kunit *test)
{
	struct relayx_chan *chan;
	struct relayx_buf *buf;
	size_t seq;

	memset(&seen, 0, sizeof(seen));
	seen.header = sizeof(u32);
	chan = relayx_open(NULL, NULL, SB, NSB, &watch_cb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = relayx_test_pin(chan);
	write_n(chan, 30, 40);
	KUNIT_EXPECT_GT(test, buf_count(buf, full), 0ULL);
	/* May sleep; the test stays on buf's CPU (migration is off). */
	relayx_subbufs_consumed(chan, buf->cpu, 2);
	write_n(chan, 30, 12);
	KUNIT_EXPECT_GT(test, buf->subbufs_produced, (size_t)NSB);
	migrate_enable();

	KUNIT_EXPECT_EQ(test, seen.visible, 0U);
	for (seq = 0; seq < buf->subbufs_produced && seq < SEQS; seq++)
		KUNIT_EXPECT_EQ_MSG(test, seen.shown[seq], 1U,
				    "sub-buffer %zu shown %u times", seq,
				    seen.shown[seq]);
	/* The header of each finished sub-buffer holds its padding. */
	for (seq = 0; seq < NSB; seq++)
		KUNIT_EXPECT_EQ(test, *(u32 *)relayx_subbuf_addr(buf, seq),
				buf->padding[seq]);
	relayx_close(chan);
}

/*
 * A header as large as the sub-buffer would leave the write position
 * past its end: it is refused, counted as too big, and messages go on
 * from the start of the sub-buffer.
 */
static void relayx_cb_header_too_big(struct kunit *test)
{
	static const size_t sizes[] = { SB - 1, SB, SB + 64 };
	struct relayx_chan *chan;
	struct relayx_buf *buf;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(&seen, 0, sizeof(seen));
		seen.header = sizes[i];
		chan = relayx_open(NULL, NULL, SB, NSB, &watch_cb, NULL);
		KUNIT_ASSERT_NOT_NULL(test, chan);
		buf = relayx_test_pin(chan);
		KUNIT_EXPECT_LE(test, relayx_buf_offset(buf), (size_t)SB);
		write_n(chan, 10, 1);
		KUNIT_EXPECT_LE(test, relayx_buf_offset(buf), (size_t)SB);
		KUNIT_EXPECT_EQ(test, buf_count(buf, msgs), 1ULL);
		/* One refused header per sub-buffer entered (here: one). */
		KUNIT_EXPECT_EQ(test, buf_count(buf, big), 1ULL);
		KUNIT_EXPECT_EQ(test, buf_count(buf, bytes_big), (u64)sizes[i]);
		/* What readers are told is complete stays inside too. */
		KUNIT_EXPECT_LE(test, relayx_buf_committed(buf),
				(size_t)SB);
		migrate_enable();
		relayx_close(chan);
	}
}

/*
 * A subbuf_start callback that formats a message of its own into another
 * channel runs at the context level of the relayx_printf() whose switch
 * called it: each of the two messages keeps its own text.
 */
static struct relayx_chan *printf_side;

static int printf_start(struct relayx_buf *buf, void *subbuf,
			void *prev_subbuf, size_t prev_padding)
{
	struct relayx_chan *side = READ_ONCE(printf_side);

	if (side)
		relayx_printf(side, "cb");
	return 1;
}

static const struct relayx_callbacks printf_cb = {
	.subbuf_start = printf_start,
};

static void relayx_cb_printf_nested(struct kunit *test)
{
	static const char want[] = "HELLO-WORLD";
	struct relayx_chan *chan, *side;
	struct relayx_buf *buf, *side_buf;
	int ret;

	chan = relayx_open(NULL, NULL, 32, NSB, &printf_cb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	side = relayx_open(NULL, NULL, 32, NSB, NULL, NULL);
	if (!side)
		relayx_close(chan);
	KUNIT_ASSERT_NOT_NULL(test, side);
	buf = relayx_test_pin(chan);
	side_buf = *per_cpu_ptr(side->buf, buf->cpu);
	write_n(chan, 30, 1);
	WRITE_ONCE(printf_side, side);
	/* 12 bytes do not fit in the 2 left: the switch calls printf_start. */
	ret = relayx_printf(chan, "%s-%s", "HELLO", "WORLD");
	WRITE_ONCE(printf_side, NULL);
	KUNIT_EXPECT_EQ(test, ret, (int)sizeof(want));
	KUNIT_EXPECT_EQ(test, buf->entered, (size_t)1);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), sizeof(want));
	KUNIT_EXPECT_EQ_MSG(test, memcmp(buf->data, want, sizeof(want)), 0,
			    "the outer message reads \"%*pE\"",
			    (int)sizeof(want), buf->data);
	KUNIT_EXPECT_EQ(test, buf_count(side_buf, msgs), 1ULL);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(side_buf), (size_t)3);
	KUNIT_EXPECT_EQ(test, memcmp(side_buf->data, "cb", 3), 0);
	migrate_enable();
	relayx_close(side);
	relayx_close(chan);
}

static struct kunit_case relayx_callbacks_cases[] = {
	KUNIT_CASE(relayx_cb_prev_once_and_unpublished),
	KUNIT_CASE(relayx_cb_header_too_big),
	KUNIT_CASE(relayx_cb_printf_nested),
	{}
};

struct kunit_suite relayx_callbacks_suite = {
	.name = "relayx_callbacks",
	.test_cases = relayx_callbacks_cases,
};
