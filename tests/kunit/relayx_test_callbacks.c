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
 * past its end (SIZE_MAX: past any end, wrapped): it is refused, and
 * messages go on from the start of the sub-buffer. No message was
 * dropped, so none is counted: the refusal is the client's error,
 * logged.
 */
static void relayx_cb_header_too_big(struct kunit *test)
{
	static const size_t sizes[] = { SB - 1, SB, SB + 64, SIZE_MAX - 1,
					SIZE_MAX };
	struct relayx_chan *chan;
	struct relayx_buf *buf;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(&seen, 0, sizeof(seen));
		seen.header = sizes[i];
		chan = relayx_open(NULL, NULL, SB, NSB, &watch_cb, NULL);
		KUNIT_ASSERT_NOT_NULL(test, chan);
		buf = relayx_test_pin(chan);
		KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)0);
		write_n(chan, 10, 1);
		KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)10);
		KUNIT_EXPECT_EQ(test, buf_count(buf, msgs), 1ULL);
		KUNIT_EXPECT_EQ(test, buf_count(buf, bytes), 10ULL);
		KUNIT_EXPECT_EQ(test, buf_count(buf, full), 0ULL);
		/* The refused header is no message that was dropped. */
		KUNIT_EXPECT_EQ(test, buf_count(buf, big), 0ULL);
		KUNIT_EXPECT_EQ(test, buf_count(buf, bytes_big), 0ULL);
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

/*
 * relayx_printf() formats a text longer than its scratch area twice: to
 * measure it, then into its slot. An argument that changes in between
 * (here the subbuf_start call of the switch its reservation makes
 * shortens it) gives a shorter text: the rest of the slot is NULs, never
 * what the sub-buffer held before. A text that fits in the area, a page
 * with its NUL, is formatted once, before the reservation: the change
 * comes too late to show.
 */
#define LONG_SB		8192
/* Longer than a scratch area (a page) with its NUL. */
#define LONG_TEXT	((int)PAGE_SIZE + 904)
#define LONG_OLD	(LONG_SB - 48)
#define SHORT_TEXT	10

static char long_arg[LONG_TEXT + 1];
static bool shorten_armed;

static int shorten_start(struct relayx_buf *buf, void *subbuf,
			 void *prev_subbuf, size_t prev_padding)
{
	if (READ_ONCE(shorten_armed))
		long_arg[SHORT_TEXT] = '\0';
	return 1;
}

static const struct relayx_callbacks shorten_cb = {
	.subbuf_start = shorten_start,
};

/*
 * relayx_printf() of @len 'x' into the start of a sub-buffer that held
 * old bytes, its switch shortening the argument to SHORT_TEXT; @text gets
 * a copy of the message's first @len + 1 bytes.
 */
static void printf_shortened(struct kunit *test, int len, char *text)
{
	struct relayx_chan *chan;
	struct relayx_buf *buf;
	char *old;
	int ret, i;

	old = kunit_kmalloc(test, LONG_SB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, old);
	memset(old, 'Z', LONG_SB);
	memset(long_arg, 'x', len);
	long_arg[len] = '\0';
	chan = relayx_open(NULL, NULL, LONG_SB, 2, &shorten_cb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = relayx_test_pin(chan);
	/* Sub-buffers 0, 1, then 0 again: 1 holds old bytes. */
	for (i = 0; i < 3; i++)
		relayx_write(chan, old, LONG_OLD);
	WRITE_ONCE(shorten_armed, true);
	ret = relayx_printf(chan, "%s", long_arg);
	WRITE_ONCE(shorten_armed, false);
	KUNIT_EXPECT_EQ(test, ret, len + 1);
	KUNIT_EXPECT_EQ(test, buf->entered, (size_t)3);
	memcpy(text, buf->data, len + 1);
	migrate_enable();
	relayx_close(chan);
}

static void relayx_cb_printf_arg_changed(struct kunit *test)
{
	char *text = kunit_kmalloc(test, LONG_TEXT + 1, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, text);
	printf_shortened(test, LONG_TEXT, text);
	KUNIT_EXPECT_PTR_EQ(test, memchr_inv(text, 'x', SHORT_TEXT), NULL);
	KUNIT_EXPECT_EQ(test, text[SHORT_TEXT], '\0');
	KUNIT_EXPECT_PTR_EQ_MSG(test, memchr_inv(text + SHORT_TEXT + 1, 0,
						 LONG_TEXT - SHORT_TEXT), NULL,
				"slot after the NUL: \"%*pE\"", 16,
				text + SHORT_TEXT + 1);
}

static void relayx_cb_printf_page_once(struct kunit *test)
{
	int len = PAGE_SIZE - 1;
	char *text = kunit_kmalloc(test, len + 1, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, text);
	printf_shortened(test, len, text);
	KUNIT_EXPECT_PTR_EQ_MSG(test, memchr_inv(text, 'x', len), NULL,
				"formatted again after the switch: \"%*pE\"",
				16, text + SHORT_TEXT);
	KUNIT_EXPECT_EQ(test, text[len], '\0');
}

static struct kunit_case relayx_callbacks_cases[] = {
	KUNIT_CASE(relayx_cb_prev_once_and_unpublished),
	KUNIT_CASE(relayx_cb_header_too_big),
	KUNIT_CASE(relayx_cb_printf_nested),
	KUNIT_CASE(relayx_cb_printf_arg_changed),
	KUNIT_CASE(relayx_cb_printf_page_once),
	{}
};

struct kunit_suite relayx_callbacks_suite = {
	.name = "relayx_callbacks",
	.test_cases = relayx_callbacks_cases,
};
