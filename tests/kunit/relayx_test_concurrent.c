// SPDX-License-Identifier: GPL-2.0
/*
 * Writers on every CPU at once, from a pinned kthread and from a pinned
 * hard-irq hrtimer interleaving with it, while the test flushes the
 * channel from its own CPU. Every record carries its CPU,
 * its source and a sequence number; afterwards each buffer is walked
 * sub-buffer by sub-buffer and every record must be there, in order, or
 * be counted as dropped.
 *
 * The flushes are spread over the writing, and proven to overlap it:
 * flush i starts once every thread writer has written its share i of
 * the records, and no writer goes past share i + 1 before flush i has
 * started; so each flush finds every writer with records in its current
 * sub-buffer and records still to write. Nothing sleeps for the overlap.
 */
#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "relayx_test.h"

#define THREAD_RECORDS	3000
#define IRQ_RECORDS	300
#define IRQ_PERIOD_NS	(50 * NSEC_PER_USEC)
#define FLUSHES		20
/* The records a thread writer writes between two flushes. */
#define SHARE		(THREAD_RECORDS / (FLUSHES + 1))
/* Under TCG on a loaded host a vCPU may stall for seconds. */
#define STEP_WAIT	(30 * HZ)

enum { SRC_THREAD, SRC_IRQ, NR_SRC };

struct test_record {
	u32 cpu;
	u32 src;
	u64 seq;
};

struct cpu_writer {
	struct relayx_chan *chan;
	unsigned int cpu;
	struct hrtimer timer;
	u64 irq_seq;
	bool wrong_cpu;
	struct completion irq_done;
	struct task_struct *task;
	u64 written;		/* thread records written so far */
	unsigned int *flushes;	/* flushes started, the writers' gate */
	bool gate_timed_out;
};

/* Writers wait here for a flush to start, the test for their progress. */
static DECLARE_WAIT_QUEUE_HEAD(flush_gate);
static DECLARE_WAIT_QUEUE_HEAD(writer_progress);

static void write_record(struct cpu_writer *w, u32 src, u64 seq)
{
	struct test_record rec = { .cpu = smp_processor_id(), .src = src,
				   .seq = seq };

	if (rec.cpu != w->cpu)
		w->wrong_cpu = true;
	relayx_write(w->chan, &rec, sizeof(rec));
}

static enum hrtimer_restart irq_writer(struct hrtimer *timer)
{
	struct cpu_writer *w = container_of(timer, struct cpu_writer, timer);

	write_record(w, SRC_IRQ, w->irq_seq++);
	if (w->irq_seq == IRQ_RECORDS) {
		complete(&w->irq_done);
		return HRTIMER_NORESTART;
	}
	hrtimer_forward_now(timer, ns_to_ktime(IRQ_PERIOD_NS));
	return HRTIMER_RESTART;
}

static int thread_writer(void *data)
{
	struct cpu_writer *w = data;
	u64 seq;

	hrtimer_start(&w->timer, ns_to_ktime(IRQ_PERIOD_NS),
		      HRTIMER_MODE_REL_PINNED_HARD);
	for (seq = 0; seq < THREAD_RECORDS; seq++) {
		/* Share k + 1 only once flush k has started. */
		if (seq && !(seq % SHARE) && seq / SHARE <= FLUSHES + 1) {
			unsigned int k = seq / SHARE;

			WRITE_ONCE(w->written, seq);
			wake_up(&writer_progress);
			if (!wait_event_timeout(flush_gate,
						READ_ONCE(*w->flushes) >= k,
						STEP_WAIT))
				w->gate_timed_out = true;
		}
		write_record(w, SRC_THREAD, seq);
		if (!(seq % 64))
			cond_resched();
	}
	WRITE_ONCE(w->written, seq);
	wake_up(&writer_progress);
	wait_for_completion(&w->irq_done);
	/* Exit only through kthread_stop(), so the test can wait for it. */
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

/* Walk @buf's finished sub-buffers and check every record in them. */
static void check_buffer(struct kunit *test, struct relayx_buf *buf,
			 unsigned int cpu)
{
	struct relayx_chan *chan = buf->chan;
	u64 next[NR_SRC] = { 0 }, found = 0;
	struct relayx_buf_counts st;
	size_t k, off, len;

	KUNIT_ASSERT_EQ(test, relayx_buf_stats(chan, cpu, &st), 0);
	KUNIT_EXPECT_LE(test, buf->subbufs_produced, chan->n_subbufs);
	for (k = 0; k < buf->subbufs_produced; k++) {
		len = chan->subbuf_size - buf->padding[k];
		KUNIT_EXPECT_EQ(test, len % sizeof(struct test_record), (size_t)0);
		for (off = 0; off + sizeof(struct test_record) <= len;
		     off += sizeof(struct test_record)) {
			struct test_record *r = relayx_subbuf_addr(buf, k) + off;

			KUNIT_ASSERT_EQ(test, r->cpu, cpu);
			KUNIT_ASSERT_LT(test, r->src, (u32)NR_SRC);
			/* Drops only ever leave gaps, never reorder. */
			KUNIT_ASSERT_GE(test, r->seq, next[r->src]);
			next[r->src] = r->seq + 1;
			found++;
		}
	}
	KUNIT_EXPECT_EQ(test, found, st.msgs);
	KUNIT_EXPECT_EQ(test, st.msgs + st.full, (u64)THREAD_RECORDS + IRQ_RECORDS);
	KUNIT_EXPECT_EQ(test, st.big, 0ULL);
	KUNIT_EXPECT_EQ(test, st.bytes, st.msgs * sizeof(struct test_record));
}

/* Every thread writer has written at least @records. */
static bool writers_reached(struct cpu_writer *w, u64 records)
{
	unsigned int cpu;

	for_each_online_cpu(cpu)
		if (w[cpu].task && READ_ONCE(w[cpu].written) < records)
			return false;
	return true;
}

/*
 * Flush @i while every writer is mid-stream: it has written its first
 * i + 1 shares (so the current sub-buffer holds records) and is held
 * before its last one until the flush has started. Return: whether the
 * flush overlapped every writer.
 */
static bool flush_overlapping(struct kunit *test, struct relayx_chan *chan,
			      struct cpu_writer *w, unsigned int *flushes,
			      unsigned int i)
{
	bool overlap;

	if (!wait_event_timeout(writer_progress,
				writers_reached(w, (u64)(i + 1) * SHARE),
				STEP_WAIT)) {
		KUNIT_FAIL(test, "flush %u: the writers did not reach record %u in %d s",
			   i, (i + 1) * SHARE, STEP_WAIT / HZ);
		return false;
	}
	WRITE_ONCE(*flushes, i + 1);
	wake_up_all(&flush_gate);
	relayx_flush(chan);
	/* None can have finished: each still had its last share to write. */
	overlap = !writers_reached(w, THREAD_RECORDS);
	return overlap;
}

static void run_writers(struct kunit *test, size_t subbuf_size, size_t n,
			bool expect_drops)
{
	struct relayx_chan *chan;
	struct cpu_writer *w;
	unsigned int cpu, flushes = 0, overlapped = 0;
	u64 dropped = 0;
	int i;

	chan = relayx_open(NULL, NULL, subbuf_size, n, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	w = kunit_kcalloc(test, nr_cpu_ids, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);

	/* Nothing in the test kernel takes CPUs down meanwhile. */
	for_each_online_cpu(cpu) {
		w[cpu].chan = chan;
		w[cpu].cpu = cpu;
		w[cpu].flushes = &flushes;
		init_completion(&w[cpu].irq_done);
		hrtimer_init(&w[cpu].timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED_HARD);
		w[cpu].timer.function = irq_writer;
		w[cpu].task = kthread_create(thread_writer, &w[cpu],
					     "relayx_w/%u", cpu);
		if (IS_ERR(w[cpu].task)) {
			KUNIT_FAIL(test, "no writer thread for CPU %u", cpu);
			w[cpu].task = NULL;
			continue;
		}
		kthread_bind(w[cpu].task, cpu);
		wake_up_process(w[cpu].task);
	}
	/* Flushing switches other CPUs' buffers under their writers. */
	for (i = 0; i < FLUSHES; i++)
		overlapped += flush_overlapping(test, chan, w, &flushes, i);
	/* Release the writers' last share, then wait for them. */
	WRITE_ONCE(flushes, FLUSHES + 1);
	wake_up_all(&flush_gate);
	kunit_info(test, "%u of %u flushes ran with every writer mid-stream",
		   overlapped, FLUSHES);
	KUNIT_EXPECT_EQ(test, overlapped, (unsigned int)FLUSHES);
	for_each_online_cpu(cpu)
		if (w[cpu].task)
			kthread_stop(w[cpu].task);
	relayx_flush(chan);
	for_each_online_cpu(cpu) {
		struct relayx_buf *buf = *per_cpu_ptr(chan->buf, cpu);

		KUNIT_EXPECT_FALSE(test, w[cpu].wrong_cpu);
		KUNIT_EXPECT_FALSE(test, w[cpu].gate_timed_out);
		check_buffer(test, buf, cpu);
		dropped += buf_count(buf, full);
	}

	if (expect_drops)
		KUNIT_EXPECT_GT(test, dropped, 0ULL);
	else
		KUNIT_EXPECT_EQ(test, dropped, 0ULL);
	relayx_close(chan);
}

static void relayx_concurrent_no_loss(struct kunit *test)
{
	/* 3300 records of 16 bytes need 13 pages; flushes may use 21 more. */
	run_writers(test, 4096, 40, false);
}

static void relayx_concurrent_drops_counted(struct kunit *test)
{
	/* A quarter of what is written fits; the rest must be counted. */
	run_writers(test, 1000, 13, true);
}

static struct kunit_case relayx_concurrent_cases[] = {
	KUNIT_CASE(relayx_concurrent_no_loss),
	KUNIT_CASE(relayx_concurrent_drops_counted),
	{}
};

struct kunit_suite relayx_concurrent_suite = {
	.name = "relayx_concurrent",
	.test_cases = relayx_concurrent_cases,
};
