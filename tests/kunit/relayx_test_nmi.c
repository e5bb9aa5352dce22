// SPDX-License-Identifier: GPL-2.0
/*
 * The lockless writer with writers nested on one CPU.
 *
 * The first cases nest by hand, deterministically: a write made between
 * relayx_write_begin() and relayx_write_end() on the same CPU is what an
 * interrupt arriving there does. The last four run four writers on one
 * CPU at once: a kthread, a softirq hrtimer, a hard-irq hrtimer and an
 * NMI handler, with NMIs sent by IPI from another CPU; they write with
 * relayx_write(), except the hard irq (relayx_write_begin() and
 * relayx_write_end()) and the NMI (relayx_printf(), in text). Every record
 * carries its context and that context's attempt number; afterwards the
 * buffer is walked and each context's records must be in order, and all
 * attempts must be in the buffer or counted as dropped. Each context
 * counts how often it found a writer of the buffer inside its
 * reserve/commit (buf->nest): that proves the nesting happened. The
 * "room" cases stop writing before the buffer could fill: there, the
 * only message that may be dropped is an NMI's that interrupted a
 * sub-buffer switch, and every other one must be in the buffer.
 */
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#ifdef CONFIG_X86_LOCAL_APIC
#include <asm/apic.h>
#include <asm/nmi.h>
#endif

#include "relayx_test.h"

#define SB	64
#define NSB	4

/* Write @n messages of @len bytes, each byte its message number. */
static void fill(struct relayx_chan *chan, size_t len, int n)
{
	char msg[SB];
	int i;

	for (i = 0; i < n; i++) {
		memset(msg, 'a' + i, len);
		relayx_write(chan, msg, len);
	}
}

/* A nested write is published by the writer it interrupted, not before. */
static void relayx_nested_commit(struct kunit *test)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, SB, NSB, NULL, NULL);
	struct relayx_buf *buf;
	size_t off, committed;
	char *slot;

	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = relayx_test_pin(chan);
	fill(chan, 8, 1);
	KUNIT_EXPECT_EQ(test, relayx_buf_committed(buf), (size_t)8);
	slot = relayx_write_begin(chan, 16);
	KUNIT_ASSERT_NOT_NULL(test, slot);
	/* The "interrupt": its 8 bytes are complete, the slot before not. */
	fill(chan, 8, 1);
	off = relayx_buf_offset(buf);
	committed = relayx_buf_committed(buf);
	memset(slot, 'S', 16);
	/* Preemption is off until here: no failed expectation may sleep. */
	relayx_write_end(chan);
	KUNIT_EXPECT_EQ(test, off, (size_t)32);
	KUNIT_EXPECT_EQ(test, committed, (size_t)8);
	KUNIT_EXPECT_EQ(test, relayx_buf_committed(buf), (size_t)32);
	KUNIT_EXPECT_EQ(test, local_read(&buf->nest), 0L);
	KUNIT_EXPECT_EQ(test, buf_count(buf, msgs), 3ULL);
	migrate_enable();
	relayx_close(chan);
}

/*
 * Nested writers that finish the sub-buffer an interrupted writer is
 * still filling: it stays unpublished, with its padding exact, until that
 * writer commits.
 */
static void relayx_nested_switch(struct kunit *test)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, SB, NSB, NULL, NULL);
	size_t entered, handed, produced, committed;
	struct relayx_buf *buf;
	char *slot;

	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = relayx_test_pin(chan);
	slot = relayx_write_begin(chan, 40);
	KUNIT_ASSERT_NOT_NULL(test, slot);
	/* 40 + 16 fits, the next 16 does not: two switches nested. */
	fill(chan, 16, 1);
	fill(chan, 48, 2);
	entered = buf->entered;
	handed = buf->handed;
	produced = buf->subbufs_produced;
	committed = relayx_buf_committed(buf);
	memset(slot, 'S', 40);
	/* Preemption is off until here: no failed expectation may sleep. */
	relayx_write_end(chan);
	KUNIT_EXPECT_EQ(test, entered, (size_t)2);
	KUNIT_EXPECT_EQ(test, handed, (size_t)2);
	KUNIT_EXPECT_EQ(test, produced, (size_t)0);
	KUNIT_EXPECT_EQ(test, committed, (size_t)0);
	KUNIT_EXPECT_EQ(test, buf->padding[0], (u32)8);
	KUNIT_EXPECT_EQ(test, buf->padding[1], (u32)16);
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)2);
	KUNIT_EXPECT_EQ(test, relayx_buf_committed(buf), (size_t)48);
	KUNIT_EXPECT_EQ(test, memcmp(relayx_subbuf_addr(buf, 0), "SSSS", 4), 0);
	KUNIT_EXPECT_EQ(test, *(char *)(relayx_subbuf_addr(buf, 0) + 40), 'a');
	migrate_enable();
	relayx_close(chan);
}

static int overwrite_start(struct relayx_buf *buf, void *subbuf,
			   void *prev_subbuf, size_t prev_padding)
{
	return 1;
}

static const struct relayx_callbacks overwrite_cb = {
	.subbuf_start = overwrite_start,
};

/*
 * Overwrite mode: nested writers never lap the sub-buffer a writer they
 * interrupted is filling; they drop, counted, instead.
 */
static void relayx_nested_no_lap(struct kunit *test)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, SB, 2,
					       &overwrite_cb, NULL);
	struct relayx_buf *buf;
	size_t entered;
	u64 full, overwritten;
	char *slot;
	int intact;

	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = relayx_test_pin(chan);
	slot = relayx_write_begin(chan, 8);
	KUNIT_ASSERT_NOT_NULL(test, slot);
	memset(slot, 'S', 8);
	/* Sub-buffer 1 takes the first; 2 would be 0 again: refused twice. */
	fill(chan, 60, 3);
	entered = buf->entered;
	full = buf_count(buf, full);
	overwritten = buf_count(buf, overwritten);
	intact = memcmp(relayx_subbuf_addr(buf, 0), "SSSSSSSS", 8);
	/* Preemption is off until here: no failed expectation may sleep. */
	relayx_write_end(chan);
	KUNIT_EXPECT_EQ(test, entered, (size_t)1);
	KUNIT_EXPECT_EQ(test, full, 2ULL);
	KUNIT_EXPECT_EQ(test, buf_count(buf, bytes_full), 120ULL);
	KUNIT_EXPECT_EQ(test, overwritten, 0ULL);
	KUNIT_EXPECT_EQ(test, intact, 0);
	/* The refused sub-buffer 1 is published whole by the commit. */
	KUNIT_EXPECT_EQ(test, buf->subbufs_produced, (size_t)1);
	KUNIT_EXPECT_EQ(test, relayx_buf_committed(buf), (size_t)60);
	/* Unnested, the writer laps again. */
	fill(chan, 48, 2);
	KUNIT_EXPECT_EQ(test, buf->entered, (size_t)3);
	KUNIT_EXPECT_EQ(test, buf_count(buf, overwritten), 2ULL);
	KUNIT_EXPECT_EQ(test, buf_count(buf, full), 2ULL);
	migrate_enable();
	relayx_close(chan);
}

/*
 * A writer that interrupts the switch itself (only an NMI can: the switch
 * runs with interrupts off) drops its message, counted; a subbuf_start
 * callback that writes is in that place.
 */
static struct relayx_chan *writing_chan;

static int writing_start(struct relayx_buf *buf, void *subbuf,
			 void *prev_subbuf, size_t prev_padding)
{
	if (READ_ONCE(writing_chan))
		relayx_write(writing_chan, "nested!", 8);
	return 1;
}

static const struct relayx_callbacks writing_cb = {
	.subbuf_start = writing_start,
};

static void relayx_nested_in_switch(struct kunit *test)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, SB, NSB,
					       &writing_cb, NULL);
	struct relayx_buf *buf;

	KUNIT_ASSERT_NOT_NULL(test, chan);
	buf = relayx_test_pin(chan);
	WRITE_ONCE(writing_chan, chan);
	fill(chan, 48, 2);
	WRITE_ONCE(writing_chan, NULL);
	KUNIT_EXPECT_EQ(test, buf_count(buf, msgs), 2ULL);
	KUNIT_EXPECT_EQ(test, buf_count(buf, full), 1ULL);
	KUNIT_EXPECT_EQ(test, buf_count(buf, bytes_full), 8ULL);
	KUNIT_EXPECT_EQ(test, buf->entered, (size_t)1);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(buf), (size_t)48);
	KUNIT_EXPECT_FALSE(test, buf->switching);
	migrate_enable();
	relayx_close(chan);
}

/* --- four contexts on one CPU -------------------------------------------- */

enum { CTX_TASK, CTX_SOFTIRQ, CTX_HARDIRQ, CTX_NMI, NR_CTX };

static const char *const ctx_name[NR_CTX] = {
	"task", "softirq", "hard irq", "NMI",
};

struct ctx_record {
	u32 ctx;
	u32 cpu;
	u64 seq;
};

/* relayx_printf()'s records: 'P', the context, the sequence number, NUL. */
#define TEXT_FMT	"P%1u%013llu"
#define TEXT_MARK	'P'

#define SOFT_PERIOD_NS	(70 * NSEC_PER_USEC)
#define HARD_PERIOD_NS	(50 * NSEC_PER_USEC)
/*
 * A run lasts RUN_MS, and longer if the races it needs have not all
 * happened yet (a loaded host), up to RUN_MAX_MS; a room run ends when
 * the room is used up.
 */
#define RUN_MS		3000
#define RUN_MAX_MS	30000
/* What each context must have written, and found nested, at least. */
#define MIN_NMI		500
#define MIN_NESTED	20
/*
 * A room run's task writer stays within this many records per NMI until
 * the NMIs are MIN_NMI: a starved NMI sender (TCG on a loaded host) then
 * slows the task writer down instead of letting it use up the room.
 */
#define NMI_PACE	100

/* A record's size, and the records a sub-buffer of @size holds. */
#define REC_SIZE	sizeof(struct ctx_record)
#define RECS(size)	((size) / REC_SIZE)

struct nest_run {
	struct relayx_chan *chan;
	struct relayx_buf *buf;
	unsigned int cpu;
	bool stop;
	/* Attempts the buffer holds without a switch refused; 0: no limit. */
	u64 room;
	u64 attempts[NR_CTX];
	u64 nested[NR_CTX];
	u64 found[NR_CTX];
	/* NMIs' drops while a switch was under way on the CPU, and others. */
	u64 nmi_switch_drops, nmi_other_drops;
	u64 hard_drops;
	/* Times a room run's task writer waited for the NMIs to catch up. */
	u64 nmi_waits;
	bool wrong_cpu;
	atomic_t nmi_pending;
	struct hrtimer soft, hard;
	struct task_struct *writer, *sender;
};

static struct nest_run *nmi_run;

static u64 peek(const u64 *count)
{
	/* Counted on the run's CPU; a count seen late only waits longer. */
	return data_race(*count);
}

/* Did every race the run is for happen? Asked from another CPU. */
static bool raced_enough(struct nest_run *r)
{
	return peek(&r->attempts[CTX_NMI]) >= MIN_NMI &&
	       peek(&r->nested[CTX_NMI]) >= MIN_NESTED &&
	       peek(&r->nested[CTX_HARDIRQ]) >= MIN_NESTED &&
	       (IS_ENABLED(CONFIG_PREEMPT_RT) ||
		peek(&r->nested[CTX_SOFTIRQ]) >= MIN_NESTED);
}

/*
 * With a room limit, is there room for one more attempt? Up to NR_CTX
 * writers nested on the CPU may have passed this test before any of them
 * counted its attempt, hence the margin.
 */
static bool room_left(struct nest_run *r)
{
	u64 total = 0;
	int c;

	if (!r->room)
		return true;
	for (c = 0; c < NR_CTX; c++)
		total += READ_ONCE(r->attempts[c]);
	return total + NR_CTX < r->room;
}

static void ctx_write(struct nest_run *r, u32 ctx)
{
	struct ctx_record rec = { .ctx = ctx, .cpu = smp_processor_id() };
	struct ctx_record *slot;
	bool switching;

	if (!room_left(r))
		return;
	rec.seq = r->attempts[ctx];
	WRITE_ONCE(r->attempts[ctx], rec.seq + 1);
	if (rec.cpu != r->cpu)
		r->wrong_cpu = true;

	/* Another writer of the buffer is between its reserve and commit. */
	if (local_read(&r->buf->nest) & ~RELAYX_NEST_DIRTY)
		r->nested[ctx]++;
	switch (ctx) {
	case CTX_NMI:
		/* Nothing on this CPU runs until the NMI is over. */
		switching = READ_ONCE(r->buf->switching);
		if (relayx_printf(r->chan, TEXT_FMT, ctx, rec.seq))
			break;
		if (switching)
			r->nmi_switch_drops++;
		else
			r->nmi_other_drops++;
		break;
	case CTX_HARDIRQ:
		slot = relayx_write_begin(r->chan, sizeof(*slot));
		if (slot) {
			*slot = rec;
			relayx_write_end(r->chan);
		} else {
			r->hard_drops++;
		}
		break;
	default:
		relayx_write(r->chan, &rec, sizeof(rec));
	}
}

static enum hrtimer_restart soft_fire(struct hrtimer *t)
{
	struct nest_run *r = container_of(t, struct nest_run, soft);

	if (READ_ONCE(r->stop))
		return HRTIMER_NORESTART;
	ctx_write(r, CTX_SOFTIRQ);
	hrtimer_forward_now(t, ns_to_ktime(SOFT_PERIOD_NS));
	return HRTIMER_RESTART;
}

static enum hrtimer_restart hard_fire(struct hrtimer *t)
{
	struct nest_run *r = container_of(t, struct nest_run, hard);

	if (READ_ONCE(r->stop))
		return HRTIMER_NORESTART;
	ctx_write(r, CTX_HARDIRQ);
	hrtimer_forward_now(t, ns_to_ktime(HARD_PERIOD_NS));
	return HRTIMER_RESTART;
}

static int task_writer(void *data)
{
	struct nest_run *r = data;
	u64 n = 0;

	hrtimer_start(&r->soft, ns_to_ktime(SOFT_PERIOD_NS),
		      HRTIMER_MODE_REL_PINNED_SOFT);
	hrtimer_start(&r->hard, ns_to_ktime(HARD_PERIOD_NS),
		      HRTIMER_MODE_REL_PINNED_HARD);
	while (!READ_ONCE(r->stop)) {
		ctx_write(r, CTX_TASK);
		if (r->room) {
			/* Leave the interrupts time to fill part of the room. */
			udelay(5);
			while (peek(&r->attempts[CTX_NMI]) < MIN_NMI &&
			       r->attempts[CTX_TASK] >
			       NMI_PACE * (peek(&r->attempts[CTX_NMI]) + 1) &&
			       !READ_ONCE(r->stop)) {
				r->nmi_waits++;
				udelay(5);
				cond_resched();
			}
			if (!room_left(r))
				WRITE_ONCE(r->stop, true);
		}
		if (!(++n % 256))
			cond_resched();
	}
	hrtimer_cancel(&r->soft);
	hrtimer_cancel(&r->hard);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

#ifdef CONFIG_X86_LOCAL_APIC
static int relayx_test_nmi(unsigned int type, struct pt_regs *regs)
{
	struct nest_run *r = READ_ONCE(nmi_run);

	/* Only the NMIs the sender raised, one at a time. */
	if (!r || smp_processor_id() != r->cpu ||
	    !atomic_add_unless(&r->nmi_pending, -1, 0))
		return NMI_DONE;
	ctx_write(r, CTX_NMI);
	return NMI_HANDLED;
}

/* From another CPU: one NMI to r->cpu at a time, each once handled. */
static int nmi_sender(void *data)
{
	struct nest_run *r = data;
	unsigned long deadline;

	while (!READ_ONCE(r->stop)) {
		atomic_set(&r->nmi_pending, 1);
		apic->send_IPI_mask(cpumask_of(r->cpu), NMI_VECTOR);
		deadline = jiffies + HZ;
		while (atomic_read(&r->nmi_pending) &&
		       time_before(jiffies, deadline))
			cpu_relax();
		udelay(5 + get_random_u32() % 40);
		cond_resched();
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static int nmi_setup(struct nest_run *r)
{
	return register_nmi_handler(NMI_LOCAL, relayx_test_nmi, 0,
				    "relayx_test");
}

static void nmi_teardown(void)
{
	unregister_nmi_handler(NMI_LOCAL, "relayx_test");
}
#endif

/* Parse a relayx_printf() record into @rec; it ran on the test's CPU. */
static void text_record(struct kunit *test, const char *text,
			unsigned int cpu, struct ctx_record *rec)
{
	char digits[14];

	KUNIT_ASSERT_EQ(test, text[sizeof(*rec) - 1], '\0');
	KUNIT_ASSERT_EQ(test, strlen(text), sizeof(*rec) - 1);
	rec->ctx = text[1] - '0';
	rec->cpu = cpu;
	memcpy(digits, text + 2, 13);
	digits[13] = '\0';
	KUNIT_ASSERT_EQ(test, kstrtoull(digits, 10, &rec->seq), 0);
}

/* Walk the sub-buffers @first..@last - 1 and check every record in them. */
static void check_ctx_records(struct kunit *test, struct nest_run *r,
			      size_t first, size_t last)
{
	struct relayx_chan *chan = r->chan;
	struct relayx_buf *buf = r->buf;
	u64 next[NR_CTX] = { 0 }, found = 0;
	struct ctx_record *rec, copy;
	size_t seq, off, len;

	for (seq = first; seq < last; seq++) {
		len = chan->subbuf_size - buf->padding[seq % chan->n_subbufs];
		KUNIT_ASSERT_EQ(test, len % sizeof(*rec), (size_t)0);
		for (off = 0; off < len; off += sizeof(*rec)) {
			rec = relayx_subbuf_addr(buf, seq % chan->n_subbufs) +
			      off;
			if (*(char *)rec == TEXT_MARK)
				text_record(test, (char *)rec, r->cpu, &copy);
			else
				copy = *rec;
			rec = &copy;
			KUNIT_ASSERT_LT(test, rec->ctx, (u32)NR_CTX);
			KUNIT_ASSERT_EQ(test, rec->cpu, r->cpu);
			/* Drops and laps leave gaps, never disorder. */
			KUNIT_ASSERT_GE_MSG(test, rec->seq, next[rec->ctx],
					    "%s record out of order in sub-buffer %zu",
					    ctx_name[rec->ctx], seq);
			KUNIT_ASSERT_LT(test, rec->seq, r->attempts[rec->ctx]);
			next[rec->ctx] = rec->seq + 1;
			r->found[rec->ctx]++;
			found++;
		}
	}
	if (!first) {
		struct relayx_buf_counts st;

		KUNIT_ASSERT_EQ(test, relayx_buf_stats(chan, r->cpu, &st), 0);
		KUNIT_EXPECT_EQ(test, found, st.msgs);
	}
}

/*
 * @room: stop writing before the buffer could fill (it then holds every
 * record but those of NMIs that interrupted a switch), or go on until
 * the time is up.
 */
static void run_nested(struct kunit *test, size_t subbuf_size, size_t n,
		       const struct relayx_callbacks *cb, bool room)
{
	struct nest_run *r;
	struct relayx_buf_counts st;
	unsigned int other;
	u64 total = 0;
	int c, err, i;

	if (!IS_ENABLED(CONFIG_X86_LOCAL_APIC))
		kunit_skip(test, "no way to send an NMI on this architecture");
	if (num_online_cpus() < 2)
		kunit_skip(test, "the NMI sender needs a second CPU");
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->cpu = cpumask_first(cpu_online_mask);
	other = cpumask_next(r->cpu, cpu_online_mask);
	/* The last sub-buffer is left out: the final flush needs no room. */
	if (room)
		r->room = (n - 1) * RECS(subbuf_size);
	r->chan = relayx_open(NULL, NULL, subbuf_size, n, cb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, r->chan);
	r->buf = *per_cpu_ptr(r->chan->buf, r->cpu);
	hrtimer_init(&r->soft, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_SOFT);
	r->soft.function = soft_fire;
	hrtimer_init(&r->hard, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	r->hard.function = hard_fire;

#ifdef CONFIG_X86_LOCAL_APIC
	WRITE_ONCE(nmi_run, r);
	err = nmi_setup(r);
	KUNIT_ASSERT_EQ(test, err, 0);
	r->sender = kthread_create(nmi_sender, r, "relayx_nmi_tx");
#endif
	r->writer = kthread_create(task_writer, r, "relayx_nmi_w");
	if (IS_ERR_OR_NULL(r->writer) || IS_ERR_OR_NULL(r->sender)) {
		KUNIT_FAIL(test, "no writer or sender thread");
		goto out;
	}
	kthread_bind(r->writer, r->cpu);
	kthread_bind(r->sender, other);
	wake_up_process(r->writer);
	wake_up_process(r->sender);
	msleep(RUN_MS);
	for (i = RUN_MS; i < RUN_MAX_MS && !raced_enough(r) &&
	     !READ_ONCE(r->stop); i += 100)
		msleep(100);
	WRITE_ONCE(r->stop, true);
	kthread_stop(r->sender);
	kthread_stop(r->writer);
out:
#ifdef CONFIG_X86_LOCAL_APIC
	nmi_teardown();
	WRITE_ONCE(nmi_run, NULL);
#endif
	if (IS_ERR_OR_NULL(r->writer) || IS_ERR_OR_NULL(r->sender)) {
		relayx_close(r->chan);
		return;
	}
	relayx_flush(r->chan);

	KUNIT_EXPECT_FALSE(test, r->wrong_cpu);
	/* No writer left; DIRTY stays while a full buffer refuses. */
	KUNIT_EXPECT_EQ(test, local_read(&r->buf->nest) & ~RELAYX_NEST_DIRTY,
			0L);
	KUNIT_ASSERT_EQ(test, relayx_buf_stats(r->chan, r->cpu, &st), 0);
	for (c = 0; c < NR_CTX; c++) {
		kunit_info(test, "%s: %llu written, %llu found a writer inside",
			   ctx_name[c], r->attempts[c], r->nested[c]);
		total += r->attempts[c];
	}
	kunit_info(test, "%llu messages, %llu dropped, %llu overwritten, %zu sub-buffers",
		   st.msgs, st.full, st.overwritten, r->buf->subbufs_produced);
	/* Every attempt is in the buffer or counted as dropped. */
	KUNIT_EXPECT_EQ(test, st.msgs + st.full, total);
	KUNIT_EXPECT_EQ(test, st.big, 0ULL);
	KUNIT_EXPECT_EQ(test, st.bytes, st.msgs * sizeof(struct ctx_record));
	/* The race happened: each interrupting context nested, many times. */
	KUNIT_EXPECT_GE(test, r->attempts[CTX_NMI], (u64)MIN_NMI);
	KUNIT_EXPECT_GE(test, r->nested[CTX_NMI], (u64)MIN_NESTED);
	KUNIT_EXPECT_GE(test, r->nested[CTX_HARDIRQ], (u64)MIN_NESTED);
	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		KUNIT_EXPECT_GE(test, r->nested[CTX_SOFTIRQ], (u64)MIN_NESTED);
	if (r->buf->subbufs_produced <= n) {
		/* A full buffer refused the flush: the last one is pending. */
		check_ctx_records(test, r, 0, r->buf->subbufs_produced +
					      r->buf->prev_pending);
	} else {
		/*
		 * Overwrite mode: the oldest n - 1 finished sub-buffers are
		 * whole; the flush re-entered the one before them.
		 */
		KUNIT_EXPECT_GE(test, st.overwritten,
				(u64)(r->buf->subbufs_produced - n));
		check_ctx_records(test, r, r->buf->subbufs_produced - n + 1,
				  r->buf->subbufs_produced);
	}
	if (room) {
		kunit_info(test, "room for %llu, NMIs dropped in a switch: %llu, task writer waited for NMIs %llu times",
			   r->room, r->nmi_switch_drops, r->nmi_waits);
		/* Everything was published, nothing lapped or refused. */
		KUNIT_EXPECT_FALSE(test, r->buf->prev_pending);
		KUNIT_EXPECT_EQ(test, st.overwritten, 0ULL);
		for (c = 0; c < NR_CTX; c++)
			if (c != CTX_NMI)
				KUNIT_EXPECT_EQ_MSG(test, r->found[c],
						    r->attempts[c],
						    "%s records lost", ctx_name[c]);
		KUNIT_EXPECT_EQ(test, r->hard_drops, 0ULL);
		KUNIT_EXPECT_EQ(test, r->nmi_other_drops, 0ULL);
		KUNIT_EXPECT_EQ(test, r->found[CTX_NMI] + r->nmi_switch_drops,
				r->attempts[CTX_NMI]);
		/* The only drops counted are those NMIs'. */
		KUNIT_EXPECT_EQ(test, st.full, r->nmi_switch_drops);
	}
	relayx_close(r->chan);
}

/* No overwrite: a buffer that holds it all unless the task outruns it. */
static void relayx_nmi_no_overwrite(struct kunit *test)
{
	run_nested(test, 512, 2048, NULL, false);
}

static void relayx_nmi_overwrite(struct kunit *test)
{
	run_nested(test, 512, 8, &overwrite_cb, false);
}

/*
 * Both modes, with room for everything written: no drop but an NMI's
 * inside a switch. 8192 sub-buffers of 512 bytes: 4 MiB per CPU.
 */
static void relayx_nmi_no_overwrite_room(struct kunit *test)
{
	run_nested(test, 512, 8192, NULL, true);
}

static void relayx_nmi_overwrite_room(struct kunit *test)
{
	run_nested(test, 512, 8192, &overwrite_cb, true);
}

static struct kunit_case relayx_nmi_cases[] = {
	KUNIT_CASE(relayx_nested_commit),
	KUNIT_CASE(relayx_nested_switch),
	KUNIT_CASE(relayx_nested_no_lap),
	KUNIT_CASE(relayx_nested_in_switch),
	KUNIT_CASE(relayx_nmi_no_overwrite),
	KUNIT_CASE(relayx_nmi_overwrite),
	KUNIT_CASE(relayx_nmi_no_overwrite_room),
	KUNIT_CASE(relayx_nmi_overwrite_room),
	{}
};

struct kunit_suite relayx_nmi_suite = {
	.name = "relayx_nmi",
	.test_cases = relayx_nmi_cases,
};
