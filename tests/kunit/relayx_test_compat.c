// SPDX-License-Identifier: GPL-2.0
/*
 * The upstream names of relay_compat.h, each called from the least
 * restrictive context upstream's <linux/relay.h> accepts for it (see the
 * table in Documentation/api.rst): the same bytes, and no splat in the
 * guest log (lockdep, DEBUG_ATOMIC_SLEEP and DEBUG_PREEMPT are on).
 */
#include <linux/irq_work.h>
#include <linux/mutex.h>

#include <relayx/relay_compat.h>

#include "relayx_test.h"

/* Sum of every buffer's counters of @chan. */
static void compat_totals(struct rchan *chan, struct relayx_buf_counts *sum)
{
	struct relayx_buf_counts st;
	unsigned int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		if (relayx_buf_stats(chan, cpu, &st))
			continue;
		sum->msgs += st.msgs;
		sum->bytes += st.bytes;
		sum->full += st.full;
		sum->big += st.big;
	}
}

/* The one buffer @chan holds @len bytes in, starts with @want. */
static void expect_first_bytes(struct kunit *test, struct rchan *chan,
			       const char *want, size_t len)
{
	struct rchan_buf *buf;
	unsigned int cpu, found = 0;

	for_each_possible_cpu(cpu) {
		buf = *per_cpu_ptr(chan->buf, cpu);
		if (!buf || !buf_count(buf, msgs))
			continue;
		found++;
		KUNIT_EXPECT_EQ(test, memcmp(relayx_subbuf_addr(buf, 0), want,
					     len), 0);
	}
	KUNIT_EXPECT_EQ(test, found, 1U);
}

static DEFINE_MUTEX(client_lock);

/*
 * A driver's worker reserving under its own mutex, preemption enabled:
 * upstream's relay_reserve() pins the CPU itself for the reservation.
 */
static void relayx_compat_reserve_preemptible(struct kunit *test)
{
	struct relayx_buf_counts sum;
	struct rchan *chan;
	char *slot;

	chan = relay_open(NULL, NULL, 256, 4, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	mutex_lock(&client_lock);
	KUNIT_EXPECT_TRUE(test, preemptible());
	slot = relay_reserve(chan, 16);
	KUNIT_EXPECT_NOT_NULL(test, slot);
	if (slot)
		memcpy(slot, "reserve-in-task!", 16);
	mutex_unlock(&client_lock);
	compat_totals(chan, &sum);
	KUNIT_EXPECT_EQ(test, sum.msgs, 1ULL);
	KUNIT_EXPECT_EQ(test, sum.bytes, 16ULL);
	expect_first_bytes(test, chan, "reserve-in-task!", 16);
	relay_close(chan);
}

/* __relay_write() pins the CPU itself too. */
static void relayx_compat_write_preemptible(struct kunit *test)
{
	struct rchan *chan;

	chan = relay_open(NULL, NULL, 256, 4, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	KUNIT_EXPECT_TRUE(test, preemptible());
	__relay_write(chan, "__relay_write", 13);
	expect_first_bytes(test, chan, "__relay_write", 13);
	relay_close(chan);
}

/*
 * Nothing to count in an empty message: upstream keeps no count, relayx
 * counts messages, and a zero-length one is not a message.
 */
static void relayx_compat_zero_length(struct kunit *test)
{
	struct relayx_buf_counts sum;
	struct rchan *chan;

	chan = relay_open(NULL, NULL, 256, 4, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	KUNIT_EXPECT_NOT_NULL(test, relay_reserve(chan, 0));
	relay_write(chan, "", 0);
	preempt_disable();
	__relay_write(chan, "", 0);
	preempt_enable();
	compat_totals(chan, &sum);
	KUNIT_EXPECT_EQ(test, sum.msgs, 0ULL);
	KUNIT_EXPECT_EQ(test, sum.bytes, 0ULL);
	relay_close(chan);
}

struct compat_irq {
	struct irq_work work;
	struct rchan *chan;
	bool hardirq;
	int full;
	size_t dropped;
};

static void compat_irq_fn(struct irq_work *work)
{
	struct compat_irq *c = container_of(work, struct compat_irq, work);

	c->hardirq = in_hardirq();
	relay_write(c->chan, "relay_write/irq", 15);
	c->full = relay_buf_full(*this_cpu_ptr(c->chan->buf));
	c->dropped = relay_stats(c->chan, RELAY_STATS_BUF_FULL |
					  RELAY_STATS_WRT_BIG);
}

/* relay_write(), relay_buf_full() and relay_stats() in a hard interrupt. */
static void relayx_compat_hardirq(struct kunit *test)
{
	struct compat_irq c = {
		.work = IRQ_WORK_INIT_HARD(compat_irq_fn),
	};

	c.chan = relay_open(NULL, NULL, 256, 4, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c.chan);
	c.full = -1;
	KUNIT_ASSERT_TRUE(test, irq_work_queue(&c.work));
	irq_work_sync(&c.work);
	KUNIT_EXPECT_TRUE(test, c.hardirq);
	KUNIT_EXPECT_EQ(test, c.full, 0);
	KUNIT_EXPECT_EQ(test, c.dropped, (size_t)0);
	expect_first_bytes(test, c.chan, "relay_write/irq", 15);
	relay_close(c.chan);
}

static struct dentry compat_no_file;

static struct dentry *global_create_buf_file(const char *filename,
					     struct dentry *parent,
					     umode_t mode,
					     struct rchan_buf *buf,
					     int *is_global)
{
	*is_global = 1;
	return filename ? NULL : &compat_no_file;
}

static const struct rchan_callbacks global_cb = {
	.create_buf_file = global_create_buf_file,
};

static DEFINE_SPINLOCK(global_writers);

/*
 * A global channel's writers serialize on the client's spinlock; the
 * client flushes under it too, which upstream's relay_flush() allows (it
 * takes no lock in global mode).
 */
static void relayx_compat_global_flush_under_spinlock(struct kunit *test)
{
	struct rchan *chan;
	struct rchan_buf *buf;

	chan = relay_open(NULL, NULL, 256, 4, &global_cb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);
	KUNIT_ASSERT_TRUE(test, chan->is_global);
	spin_lock(&global_writers);
	__relay_write(chan, "global", 6);
	relay_flush(chan);
	spin_unlock(&global_writers);
	/* Global: every CPU's slot holds the same buffer. */
	buf = *per_cpu_ptr(chan->buf, raw_smp_processor_id());
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)1);
	KUNIT_EXPECT_EQ(test, buf->padding[0], (u32)(256 - 6));
	relay_close(chan);
}

static struct kunit_case relayx_compat_cases[] = {
	KUNIT_CASE(relayx_compat_reserve_preemptible),
	KUNIT_CASE(relayx_compat_write_preemptible),
	KUNIT_CASE(relayx_compat_zero_length),
	KUNIT_CASE(relayx_compat_hardirq),
	KUNIT_CASE(relayx_compat_global_flush_under_spinlock),
	{}
};

struct kunit_suite relayx_compat_suite = {
	.name = "relayx_compat",
	.test_cases = relayx_compat_cases,
};
