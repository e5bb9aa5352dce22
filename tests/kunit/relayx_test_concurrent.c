// SPDX-License-Identifier: GPL-2.0
/*
 * Writers on every CPU at once, from a pinned kthread and from a pinned
 * hard-irq hrtimer interleaving with it, while the test flushes the
 * channel from its own CPU. Every record carries its CPU,
 * its source and a sequence number; afterwards each buffer is walked
 * sub-buffer by sub-buffer and every record must be there, in order, or
 * be counted as dropped.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/slab.h>

#include "relayx_test.h"

#define THREAD_RECORDS	3000
#define IRQ_RECORDS	300
#define IRQ_PERIOD_NS	(50 * NSEC_PER_USEC)
#define FLUSHES		20

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
};

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
		write_record(w, SRC_THREAD, seq);
		if (!(seq % 64))
			cond_resched();
	}
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

static void run_writers(struct kunit *test, size_t subbuf_size, size_t n,
			bool expect_drops)
{
	struct relayx_chan *chan;
	struct cpu_writer *w;
	unsigned int cpu;
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
	for (i = 0; i < FLUSHES; i++) {
		relayx_flush(chan);
		usleep_range(500, 1000);
	}
	for_each_online_cpu(cpu)
		if (w[cpu].task)
			kthread_stop(w[cpu].task);
	relayx_flush(chan);
	for_each_online_cpu(cpu) {
		struct relayx_buf *buf = *per_cpu_ptr(chan->buf, cpu);

		KUNIT_EXPECT_FALSE(test, w[cpu].wrong_cpu);
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
