// SPDX-License-Identifier: GPL-2.0
/*
 * Buffer-only channels and relayx_late_setup_files(): every buffer gets its
 * file and keeps what was written before, including the buffer of a CPU
 * that went offline meanwhile.
 */
#include <linux/cpu.h>
#include <linux/workqueue.h>

#include "relayx_test.h"

#define LATE_NAME	"relayx_kunit_late"

static long write_cpu_number(void *chan)
{
	u32 cpu = smp_processor_id();

	relayx_write(chan, &cpu, sizeof(cpu));
	return 0;
}

/* @cpu has its file, and its buffer holds the one record it wrote. */
static void expect_file_and_record(struct kunit *test,
				   struct relayx_chan *chan, unsigned int cpu)
{
	struct relayx_buf *buf = *per_cpu_ptr(chan->buf, cpu);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_NOT_ERR_OR_NULL_MSG(test, buf->dentry, "cpu %u", cpu);
	KUNIT_EXPECT_EQ_MSG(test, buf->committed, sizeof(u32), "cpu %u", cpu);
	KUNIT_EXPECT_EQ_MSG(test, *(u32 *)relayx_subbuf_addr(buf, 0), (u32)cpu,
			    "cpu %u", cpu);
}

static void relayx_late_offline_cpu_keeps_data(struct kunit *test)
{
	struct relayx_chan *chan;
	unsigned int cpu, victim;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs to take one down");
	victim = cpumask_last(cpu_online_mask);
	chan = relayx_open(NULL, NULL, 256, 4, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, chan);

	cpus_read_lock();
	for_each_online_cpu(cpu)
		work_on_cpu(cpu, write_cpu_number, chan);
	cpus_read_unlock();

	KUNIT_ASSERT_EQ(test, remove_cpu(victim), 0);
	KUNIT_EXPECT_EQ(test, relayx_late_setup_files(chan, LATE_NAME, NULL), 0);
	/* The offline CPU has its file, with what it wrote. */
	expect_file_and_record(test, chan, victim);
	KUNIT_EXPECT_EQ(test, add_cpu(victim), 0);

	for_each_online_cpu(cpu)
		expect_file_and_record(test, chan, cpu);
	relayx_close(chan);
}

static void relayx_late_bad_calls(struct kunit *test)
{
	struct relayx_chan *chan = relayx_open(NULL, NULL, 256, 4, NULL, NULL);

	KUNIT_ASSERT_NOT_NULL(test, chan);
	KUNIT_EXPECT_EQ(test, relayx_late_setup_files(NULL, LATE_NAME, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, relayx_late_setup_files(chan, NULL, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, relayx_late_setup_files(chan, "a/b", NULL), -EINVAL);
	/* A failed call leaves the channel without files... */
	KUNIT_EXPECT_FALSE(test, chan->has_base_filename);
	KUNIT_EXPECT_EQ(test, relayx_late_setup_files(chan, LATE_NAME, NULL), 0);
	/* ...and a second setup is refused. */
	KUNIT_EXPECT_EQ(test, relayx_late_setup_files(chan, LATE_NAME, NULL),
			-EEXIST);
	relayx_close(chan);
}

static struct kunit_case relayx_late_cases[] = {
	KUNIT_CASE(relayx_late_bad_calls),
	KUNIT_CASE(relayx_late_offline_cpu_keeps_data),
	{}
};

struct kunit_suite relayx_late_suite = {
	.name = "relayx_late_setup",
	.test_cases = relayx_late_cases,
};
