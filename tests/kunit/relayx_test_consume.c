// SPDX-License-Identifier: GPL-2.0
/*
 * The consumer side against the things that run beside it: the channel's
 * close, relayx_reset(), relayx_subbufs_consumed() from the writer's
 * context, and the writer in overwrite mode while read() copies. Each
 * race is made to happen by parking the reader at a test hook
 * (relayx_test_park.c) and running the other side meanwhile.
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "relayx_test.h"
#include "../../relayx_internal.h"

#define SB	256
#define NSB	4
/* How long a side that must not block gets before it counts as blocked. */
#define NOT_BLOCKED_MS	2000
/* Longer than a park may last: a thread that never ends is a failure. */
#define THREAD_END_MS	20000

/* One consumer call, made from its own thread so that the test can park it. */
struct consume_call {
	struct relayx_buf *buf;
	struct relayx_chan *chan;
	struct file *filp;
	struct file *file;
	int (*fn)(struct consume_call *c);
	struct relayx_subbuf sb;
	u64 seq;
	__poll_t mask;
	int ret;
	struct completion done;
};

static int consume_thread(void *data)
{
	struct consume_call *c = data;

	c->ret = c->fn(c);
	/* For good: returns_soon() and end_call() may both wait. */
	complete_all(&c->done);
	return 0;
}

/* A call of @fn on @buf from its own thread, not started yet. */
static struct consume_call *new_call(struct kunit *test,
				     struct relayx_buf *buf,
				     int (*fn)(struct consume_call *c))
{
	struct consume_call *c = kzalloc(sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->buf = buf;
	c->chan = buf->chan;
	c->fn = fn;
	c->filp = (struct file *)c;	/* only compared, never used */
	init_completion(&c->done);
	return c;
}

static void start_call(struct kunit *test, struct consume_call *c)
{
	struct task_struct *t = kthread_run(consume_thread, c, "relayx_consume");

	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
}

/* The same, bound to @cpu: a writer for that CPU's buffer. */
static void start_call_on(struct kunit *test, struct consume_call *c,
			  unsigned int cpu)
{
	struct task_struct *t = kthread_create(consume_thread, c,
					       "relayx_writer");

	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	kthread_bind(t, cpu);
	wake_up_process(t);
}

/*
 * Wait for @c to return; its result, or -ETIME (then @c is leaked). A
 * sub-buffer it got is copied to @sb, if given.
 */
static int end_call_sb(struct kunit *test, struct consume_call *c,
		       struct relayx_subbuf *sb)
{
	int ret;

	if (!wait_for_completion_timeout(&c->done,
					 msecs_to_jiffies(THREAD_END_MS))) {
		KUNIT_FAIL(test, "consumer thread never returned");
		return -ETIME;
	}
	ret = c->ret;
	if (sb)
		*sb = c->sb;
	kfree(c);
	return ret;
}

static int end_call(struct kunit *test, struct consume_call *c)
{
	return end_call_sb(test, c, NULL);
}

static bool returns_soon(struct consume_call *c)
{
	return wait_for_completion_timeout(&c->done,
					   msecs_to_jiffies(NOT_BLOCKED_MS));
}

static int call_get_subbuf(struct consume_call *c)
{
	return relayx_get_subbuf(c->buf, c->filp, &c->sb);
}

static int call_put_subbuf(struct consume_call *c)
{
	return relayx_put_subbuf(c->buf, c->filp, c->seq, true);
}

/* Into a user address: the thread has no mm, so the copy faults. */
static int call_read(struct consume_call *c)
{
	loff_t pos = 0;

	return relayx_file_operations.read(c->file, (char __user *)0x10000,
					   100, &pos);
}

static int call_poll(struct consume_call *c)
{
	c->mask = relayx_file_operations.poll(c->file, NULL);
	return 0;
}

static int call_reset(struct consume_call *c)
{
	relayx_reset(c->chan);
	return 0;
}

static int overwrite_start(struct relayx_buf *buf, void *subbuf,
			   void *prev_subbuf, size_t prev_padding)
{
	return 1;
}

static const struct relayx_callbacks overwrite_cb = {
	.subbuf_start = overwrite_start,
};

/* @times messages of @len bytes of @byte into the current CPU's buffer. */
static void write_fill(struct relayx_chan *chan, size_t len, int times,
		       u8 byte)
{
	u8 pattern[SB];

	memset(pattern, byte, sizeof(pattern));
	while (times--)
		relayx_write(chan, pattern, len);
}

static void write_n(struct relayx_chan *chan, size_t len, int times)
{
	write_fill(chan, len, times, 0x5a);
}

static int call_write(struct consume_call *c)
{
	write_n(c->chan, 100, 5);
	return 0;
}

static bool all_bytes(const u8 *p, size_t len, u8 byte)
{
	while (len--)
		if (*p++ != byte)
			return false;
	return true;
}

/*
 * relayx_close() finishes the last sub-buffer while RELAYX_GET_SUBBUF is
 * between finding nothing and deciding between "not yet" and "end of
 * stream". The caller must get "not yet": the sub-buffer close finished
 * is unconsumed; the next call returns it, and only then comes the end.
 */
static void relayx_consume_end_of_stream(struct kunit *test)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, SB, NSB, NULL, NULL);
	struct consume_call *c;
	struct relayx_subbuf sb;
	struct relayx_park park;
	struct relayx_buf *buf;
	struct file *filp;
	bool overlapped;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = relayx_test_pin(chan);
	write_n(chan, 10, 1);
	migrate_enable();
	/* Close drops the channel's reference; this keeps the buffer. */
	relayx_buf_get(buf);

	relayx_park_arm(&park, buf, RELAYX_HOOK_GET_SUBBUF_EMPTY);
	c = new_call(test, buf, call_get_subbuf);
	filp = c->filp;
	start_call(test, c);
	KUNIT_EXPECT_TRUE(test, relayx_park_wait(&park));
	relayx_close(chan);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)1);
	overlapped = relayx_park_release(&park);
	KUNIT_EXPECT_TRUE_MSG(test, overlapped, "the close did not overlap");
	ret = end_call(test, c);
	KUNIT_EXPECT_EQ_MSG(test, ret, -EAGAIN,
			    "end of stream with a finished sub-buffer unread");

	KUNIT_EXPECT_EQ(test, relayx_get_subbuf(buf, filp, &sb), 0);
	KUNIT_EXPECT_EQ(test, sb.len, 10ULL);
	KUNIT_EXPECT_EQ(test, relayx_put_subbuf(buf, filp, sb.seq, true), 0);
	KUNIT_EXPECT_EQ(test, relayx_get_subbuf(buf, filp, &sb), -ENODATA);
	relayx_buf_put(buf);
}

/*
 * relayx_reset() while RELAYX_PUT_SUBBUF has read subbufs_consumed and is
 * about to store the next value: the reset must wait for the reader, or
 * the reader stores a count from before the reset (consumed > produced).
 */
static void relayx_consume_reset_excludes_reader(struct kunit *test)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, SB, NSB, NULL, NULL);
	struct consume_call *put, *reset;
	struct relayx_subbuf sb;
	struct relayx_park park;
	struct file *filp;
	struct relayx_buf *buf;
	bool reset_waited, overlapped;

	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = relayx_test_pin(chan);
	write_n(chan, 10, 1);
	migrate_enable();
	relayx_flush(chan);

	put = new_call(test, buf, call_put_subbuf);
	filp = put->filp;
	KUNIT_ASSERT_EQ(test, relayx_get_subbuf(buf, filp, &sb), 0);
	put->seq = sb.seq;
	relayx_park_arm(&park, buf, RELAYX_HOOK_CONSUME);
	start_call(test, put);
	KUNIT_EXPECT_TRUE(test, relayx_park_wait(&park));
	reset = new_call(test, buf, call_reset);
	start_call(test, reset);
	/* The reader is parked: a reset that excludes it cannot end. */
	reset_waited = !returns_soon(reset);
	overlapped = relayx_park_release(&park);
	KUNIT_EXPECT_TRUE_MSG(test, overlapped, "the reset did not overlap");
	KUNIT_EXPECT_EQ(test, end_call(test, put), 0);
	KUNIT_EXPECT_EQ(test, end_call(test, reset), 0);
	KUNIT_EXPECT_TRUE_MSG(test, reset_waited,
			      "the reset ran while a reader was consuming");
	KUNIT_EXPECT_EQ_MSG(test, buf->subbufs_consumed, buf->subbufs_produced,
			    "consumed and produced after the reset");
	KUNIT_EXPECT_EQ_MSG(test, relayx_get_subbuf(buf, filp, &sb), -EAGAIN,
			    "a phantom sub-buffer after the reset");
	relayx_close(chan);
}

static atomic_t consumed_calls, consumed_irqs_on, consumed_wanted;

/*
 * A client that releases a sub-buffer from its subbuf_start callback,
 * when one is unread; the count says how many releases should have been
 * taken (the clamp to what is published decides, not this test).
 */
static int consuming_start(struct relayx_buf *buf, void *subbuf,
			   void *prev_subbuf, size_t prev_padding)
{
	if (!prev_subbuf)
		return 1;
	if (!irqs_disabled())
		atomic_inc(&consumed_irqs_on);
	if (READ_ONCE(buf->subbufs_produced) != READ_ONCE(buf->subbufs_consumed))
		atomic_inc(&consumed_wanted);
	relayx_subbufs_consumed(buf->chan, buf->cpu, 1);
	atomic_inc(&consumed_calls);
	return 1;
}

static const struct relayx_callbacks consuming_cb = {
	.subbuf_start = consuming_start,
};

/*
 * relayx_subbufs_consumed() from subbuf_start, with the writer's
 * interrupts off, while a reader holds read_mutex (parked in
 * RELAYX_GET_SUBBUF): it must neither sleep nor wait for the reader.
 */
static void relayx_consume_subbufs_consumed_in_writer(struct kunit *test)
{
	struct relayx_chan *chan;
	struct consume_call *get, *writer;
	struct relayx_park park;
	struct relayx_buf *buf;
	bool writer_free;

	atomic_set(&consumed_calls, 0);
	atomic_set(&consumed_irqs_on, 0);
	atomic_set(&consumed_wanted, 0);
	chan = relayx_open(NULL, NULL, SB, NSB, &consuming_cb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = relayx_test_pin(chan);
	migrate_enable();

	relayx_park_arm(&park, buf, RELAYX_HOOK_GET_SUBBUF_EMPTY);
	get = new_call(test, buf, call_get_subbuf);
	start_call(test, get);
	KUNIT_EXPECT_TRUE(test, relayx_park_wait(&park));
	/* Five messages of 100 bytes: two switches, two callbacks. */
	writer = new_call(test, buf, call_write);
	start_call_on(test, writer, buf->cpu);
	writer_free = returns_soon(writer);
	KUNIT_EXPECT_TRUE_MSG(test, relayx_park_release(&park),
			      "the writer did not overlap the reader");
	KUNIT_EXPECT_EQ(test, end_call(test, get), -EAGAIN);
	KUNIT_EXPECT_EQ(test, end_call(test, writer), 0);
	KUNIT_EXPECT_TRUE_MSG(test, writer_free,
			      "the writer waited for read_mutex");
	KUNIT_EXPECT_EQ(test, atomic_read(&consumed_calls), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&consumed_irqs_on), 0);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)2);
	KUNIT_EXPECT_GT(test, atomic_read(&consumed_wanted), 0);
	KUNIT_EXPECT_EQ(test, buf->subbufs_consumed,
			(size_t)atomic_read(&consumed_wanted));
	relayx_close(chan);
}

/*
 * relayx_subbufs_consumed() moves past a sub-buffer an mmap consumer
 * holds: the writer still never enters it, and the put still works,
 * without moving the count again.
 */
static void relayx_consume_held_outlives_subbufs_consumed(struct kunit *test)
{
	struct relayx_chan *chan;
	struct file *filp = (struct file *)test;
	struct relayx_buf_counts st;
	struct relayx_subbuf sb;
	struct relayx_buf *buf;
	size_t consumed;

	chan = relayx_open(NULL, NULL, SB, NSB, &overwrite_cb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = relayx_test_pin(chan);
	write_n(chan, 200, 3);
	KUNIT_EXPECT_EQ(test, relayx_get_subbuf(buf, filp, &sb), 0);
	KUNIT_EXPECT_EQ(test, sb.seq, 0ULL);
	KUNIT_EXPECT_EQ(test, sb.len, 200ULL);
	relayx_subbufs_consumed(chan, buf->cpu, 2);
	KUNIT_EXPECT_EQ(test, buf->subbufs_consumed, (size_t)2);
	/* Two laps' worth: every entry into sub-buffer 0 is refused. */
	write_fill(chan, 200, 2 * NSB, 0xa5);
	KUNIT_EXPECT_TRUE_MSG(test, all_bytes(relayx_subbuf_addr(buf, 0), 200,
					      0x5a),
			      "the held sub-buffer was overwritten");
	KUNIT_EXPECT_EQ(test, relayx_buf_stats(chan, buf->cpu, &st), 0);
	KUNIT_EXPECT_GT(test, st.full, 0ULL);
	consumed = buf->subbufs_consumed;
	KUNIT_EXPECT_EQ(test, relayx_put_subbuf(buf, filp, sb.seq, true), 0);
	KUNIT_EXPECT_EQ(test, buf->subbufs_consumed, consumed);
	/* Free again: the writer goes on. */
	write_fill(chan, 200, 2, 0xa5);
	KUNIT_EXPECT_EQ(test, relayx_buf_stats(chan, buf->cpu, &st), 0);
	KUNIT_EXPECT_EQ(test, st.msgs + st.full, 3ULL + 2 * NSB + 2);
	KUNIT_EXPECT_GT(test, st.msgs, 4ULL);
	migrate_enable();
	relayx_close(chan);
}

/*
 * read() is stopped in its copy to user space (a slow page fault): the
 * ioctls and poll() must not wait for it, and in overwrite mode the
 * writer must go on, through the sub-buffer read() is copying from.
 */
static void relayx_consume_read_copy_holds_nothing(struct kunit *test)
{
	struct file *filp = (struct file *)test;
	struct consume_call *reader, *get, *poll;
	struct relayx_buf_counts st;
	struct relayx_subbuf sb;
	struct relayx_park park;
	struct relayx_chan *chan;
	struct relayx_buf *buf;
	bool get_free, poll_free;

	chan = relayx_open(NULL, NULL, SB, NSB, &overwrite_cb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = relayx_test_pin(chan);
	write_n(chan, 200, 2);

	reader = new_call(test, buf, call_read);
	reader->file = kunit_kzalloc(test, sizeof(*reader->file), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, reader->file);
	reader->file->private_data = buf;
	relayx_park_arm(&park, buf, RELAYX_HOOK_READ_COPY);
	start_call(test, reader);
	KUNIT_EXPECT_TRUE(test, relayx_park_wait(&park));

	get = new_call(test, buf, call_get_subbuf);
	get->filp = filp;
	start_call(test, get);
	get_free = returns_soon(get);
	if (get_free) {
		KUNIT_EXPECT_EQ(test, end_call_sb(test, get, &sb), 0);
		KUNIT_EXPECT_EQ(test, relayx_put_subbuf(buf, filp, sb.seq,
							false), 0);
	}
	/* Two laps: sub-buffer 0, the one read() copies, is overwritten. */
	write_fill(chan, 200, 2 * NSB, 0xa5);
	KUNIT_EXPECT_EQ(test, relayx_buf_stats(chan, buf->cpu, &st), 0);
	migrate_enable();
	/* Closed, poll() looks for the end of the stream, under read_mutex. */
	relayx_buf_get(buf);
	relayx_close(chan);
	poll = new_call(test, buf, call_poll);
	poll->file = reader->file;
	start_call(test, poll);
	poll_free = returns_soon(poll);
	/* Sub-buffers are left: not the end of the stream yet. */
	if (poll_free)
		KUNIT_EXPECT_FALSE(test, poll->mask & EPOLLERR);

	KUNIT_EXPECT_TRUE_MSG(test, relayx_park_release(&park),
			      "the ioctl, the writer and poll did not overlap read()");
	KUNIT_EXPECT_EQ(test, end_call(test, reader), -EFAULT);
	if (!get_free && end_call_sb(test, get, &sb) == 0)
		relayx_put_subbuf(buf, filp, sb.seq, false);
	KUNIT_EXPECT_TRUE_MSG(test, get_free,
			      "RELAYX_GET_SUBBUF waited for read()'s copy");
	KUNIT_EXPECT_EQ_MSG(test, st.full, 0ULL,
			    "the writer was held off by read()'s copy");
	KUNIT_EXPECT_GT(test, st.overwritten, 0ULL);
	KUNIT_EXPECT_EQ(test, end_call(test, poll), 0);
	KUNIT_EXPECT_TRUE_MSG(test, poll_free, "poll() waited for read()'s copy");
	relayx_buf_put(buf);
}

/*
 * read() into a kernel buffer (a kvec), rd_data, so that the test sees
 * the bytes: at most one sub-buffer of RD_SB bytes, two pages.
 */
#define RD_SB	(2 * PAGE_SIZE)
#define RD_MSG	256
static u8 rd_data[RD_SB];

static int call_read_kvec(struct consume_call *c)
{
	struct kvec kv = { .iov_base = rd_data, .iov_len = sizeof(rd_data) };
	struct kiocb kiocb;
	struct iov_iter to;

	memset(rd_data, 0, sizeof(rd_data));
	init_sync_kiocb(&kiocb, c->file);
	iov_iter_kvec(&to, READ, &kv, 1, sizeof(rd_data));
	return relayx_file_operations.read_iter(&kiocb, &to);
}

/* @times messages of RD_MSG bytes of @byte, on the current CPU. */
static void write_msgs(struct relayx_chan *chan, int times, u8 byte)
{
	u8 pattern[RD_MSG];

	memset(pattern, byte, sizeof(pattern));
	while (times--)
		relayx_write(chan, pattern, sizeof(pattern));
}

/*
 * A reader parked halfway through its copy to user space, between the
 * two pages of a sub-buffer, while @meanwhile runs. Sub-buffer 0 holds
 * 0x11 bytes, and is complete when the reader starts. Returns what
 * read() returned; its bytes are in rd_data.
 */
static int read_parked(struct kunit *test, struct relayx_chan *chan,
		       void (*meanwhile)(struct kunit *test,
					 struct relayx_chan *chan))
{
	struct consume_call *reader;
	struct relayx_park park;
	struct relayx_buf *buf;
	struct file *file;
	int ret;

	/* The test's CPU: its writes go to the buffer read() reads. */
	buf = relayx_test_pin(chan);
	/* What the reader's open file would hold, beyond a close. */
	relayx_buf_get(buf);
	/* Sub-buffer 0, whole, and the first message of sub-buffer 1. */
	write_msgs(chan, RD_SB / RD_MSG + 1, 0x11);
	file = kunit_kzalloc(test, sizeof(*file), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, file);
	file->private_data = buf;
	reader = new_call(test, buf, call_read_kvec);
	reader->file = file;
	relayx_park_arm(&park, buf, RELAYX_HOOK_READ_PAGE);
	start_call(test, reader);
	KUNIT_EXPECT_TRUE(test, relayx_park_wait(&park));
	meanwhile(test, chan);
	KUNIT_EXPECT_TRUE_MSG(test, relayx_park_release(&park),
			      "nothing ran while read() copied");
	ret = end_call(test, reader);
	relayx_buf_put(buf);
	migrate_enable();
	return ret;
}

/* Two laps of 0xa5 messages over every sub-buffer. */
static void lap_twice(struct kunit *test, struct relayx_chan *chan)
{
	write_msgs(chan, 2 * NSB * RD_SB / RD_MSG, 0xa5);
}

/*
 * The writer laps the sub-buffer read() is copying from: the first page
 * went to user space before, the second after. read() must not return
 * that torn copy: it copies the next unread bytes instead, which are
 * all the writer's second lap.
 */
static void relayx_consume_read_lapped_mid_copy(struct kunit *test)
{
	struct relayx_chan *chan;
	int ret;

	chan = relayx_open(NULL, NULL, RD_SB, NSB, &overwrite_cb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	ret = read_parked(test, chan, lap_twice);
	KUNIT_EXPECT_GT(test, ret, 0);
	if (ret > 0)
		KUNIT_EXPECT_TRUE_MSG(test, all_bytes(rd_data, ret, 0xa5),
				      "read() returned a copy the writer lapped: %*ph...",
				      16, rd_data);
	relayx_close(chan);
}

/* relayx_reset(), then new 0xa5 messages. */
static void reset_refill(struct kunit *test, struct relayx_chan *chan)
{
	relayx_reset(chan);
	write_msgs(chan, 3, 0xa5);
}

/*
 * A reset under read()'s copy: the bytes copied before it are not
 * returned as the stream's, and nothing of the old stream is consumed
 * from the new one: read() returns the three new messages.
 */
static void relayx_consume_read_reset_mid_copy(struct kunit *test)
{
	struct relayx_chan *chan;
	int ret;

	chan = relayx_open(NULL, NULL, RD_SB, NSB, &overwrite_cb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	ret = read_parked(test, chan, reset_refill);
	KUNIT_EXPECT_EQ(test, ret, 3 * RD_MSG);
	KUNIT_EXPECT_TRUE(test, all_bytes(rd_data, 3 * RD_MSG, 0xa5));
	relayx_close(chan);
}

/* A flush, then the channel's close: neither changes a written byte. */
static void flush_close(struct kunit *test, struct relayx_chan *chan)
{
	relayx_flush(chan);
	relayx_close(chan);
}

/*
 * Flush and close under read()'s copy (no-overwrite mode): the copy is
 * whole and counts; the buffer outlives the close through the reference
 * read_parked() holds for the reader's file.
 */
static void relayx_consume_read_flush_close_mid_copy(struct kunit *test)
{
	struct relayx_chan *chan;
	int ret;

	chan = relayx_open(NULL, NULL, RD_SB, NSB, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	ret = read_parked(test, chan, flush_close);
	KUNIT_EXPECT_EQ(test, ret, (int)RD_SB);
	KUNIT_EXPECT_TRUE(test, all_bytes(rd_data, RD_SB, 0x11));
}

/* read() into a kernel buffer, as a reader's read(2) would. */
static ssize_t read_kernel(struct file *file, void *dst, size_t len)
{
	struct kvec kv = { .iov_base = dst, .iov_len = len };
	struct kiocb kiocb = { .ki_filp = file };
	struct iov_iter to;

	iov_iter_kvec(&to, READ, &kv, 1, len);
	return relayx_file_operations.read_iter(&kiocb, &to);
}

/*
 * A read() that ends exactly at the end of a finished sub-buffer without
 * padding: what it read is consumed, so poll() must not report data that
 * read() then does not return (a 0 that consumers take as end of file).
 */
static void relayx_consume_read_to_subbuf_end(struct kunit *test)
{
	struct relayx_chan *chan;
	struct relayx_buf *buf;
	struct file *file;
	__poll_t mask;
	ssize_t ret;
	u8 *dst;

	chan = relayx_open(NULL, NULL, SB, NSB, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	file = kunit_kzalloc(test, sizeof(*file), GFP_KERNEL);
	dst = kunit_kmalloc(test, SB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, file);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	buf = relayx_test_pin(chan);
	file->private_data = buf;
	/* Two halves: one full sub-buffer, no padding. */
	write_n(chan, SB / 2, 2);
	migrate_enable();
	relayx_flush(chan);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)1);
	KUNIT_EXPECT_EQ(test, buf->padding[0], 0U);

	ret = read_kernel(file, dst, SB);
	KUNIT_EXPECT_EQ(test, ret, (ssize_t)SB);
	KUNIT_EXPECT_TRUE(test, all_bytes(dst, SB, 0x5a));
	KUNIT_EXPECT_EQ_MSG(test, buf->subbufs_consumed, (size_t)1,
			    "the sub-buffer read to its end is not consumed");
	mask = relayx_file_operations.poll(file, NULL);
	ret = read_kernel(file, dst, SB);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_FALSE_MSG(test, mask & EPOLLIN,
			       "poll() said readable, then read() returned %zd",
			       ret);
	relayx_close(chan);
}

/*
 * A flush the gate refuses because an mmap consumer holds the sub-buffer
 * the switch would overwrite leaves the sub-buffer it finished pending.
 * The put that lets go must have the switch made again: the next get
 * returns that sub-buffer, poll() says so, the file size counts it.
 */
static void relayx_consume_put_retries_deferred_flush(struct kunit *test)
{
	struct file *filp = (struct file *)test;
	struct relayx_chan *chan;
	struct relayx_subbuf sb;
	struct relayx_buf *buf;
	struct file *file;
	__poll_t mask;
	int ret;

	file = kunit_kzalloc(test, sizeof(*file), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, file);
	chan = relayx_open(NULL, NULL, SB, 2, &overwrite_cb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	/* Pinned throughout: every write goes to this buffer. */
	buf = relayx_test_pin(chan);
	file->private_data = buf;
	write_fill(chan, 100, 1, 0x11);
	relayx_flush(chan);
	KUNIT_EXPECT_EQ(test, relayx_get_subbuf(buf, filp, &sb), 0);
	KUNIT_EXPECT_EQ(test, sb.seq, 0ULL);
	write_fill(chan, 100, 1, 0x22);
	/* Sub-buffer 2 would overwrite the held 0: refused, 1 pending. */
	relayx_flush(chan);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)1);
	KUNIT_EXPECT_EQ(test, relayx_put_subbuf(buf, filp, sb.seq, true), 0);

	mask = relayx_file_operations.poll(file, NULL);
	ret = relayx_get_subbuf(buf, filp, &sb);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0,
			    "the sub-buffer the refused flush finished stays pending");
	if (!ret) {
		KUNIT_EXPECT_EQ(test, sb.seq, 1ULL);
		KUNIT_EXPECT_EQ(test, sb.len, 100ULL);
		KUNIT_EXPECT_TRUE(test, all_bytes(relayx_subbuf_addr(buf, 1),
						  100, 0x22));
		KUNIT_EXPECT_EQ(test, relayx_put_subbuf(buf, filp, sb.seq,
							true), 0);
	}
	KUNIT_EXPECT_TRUE_MSG(test, mask & EPOLLIN,
			      "poll() quiet after the put (produced %zu, consumed %zu)",
			      buf->subbufs_produced, buf->subbufs_consumed);
	KUNIT_EXPECT_EQ(test, buf->bytes_produced, (size_t)200);
	migrate_enable();
	relayx_close(chan);
}

static struct kunit_case relayx_consume_cases[] = {
	KUNIT_CASE(relayx_consume_end_of_stream),
	KUNIT_CASE(relayx_consume_reset_excludes_reader),
	KUNIT_CASE(relayx_consume_subbufs_consumed_in_writer),
	KUNIT_CASE(relayx_consume_held_outlives_subbufs_consumed),
	KUNIT_CASE(relayx_consume_read_copy_holds_nothing),
	KUNIT_CASE(relayx_consume_read_lapped_mid_copy),
	KUNIT_CASE(relayx_consume_read_reset_mid_copy),
	KUNIT_CASE(relayx_consume_read_flush_close_mid_copy),
	KUNIT_CASE(relayx_consume_read_to_subbuf_end),
	KUNIT_CASE(relayx_consume_put_retries_deferred_flush),
	{}
};

struct kunit_suite relayx_consume_suite = {
	.name = "relayx_consume",
	.test_cases = relayx_consume_cases,
};
