/* SPDX-License-Identifier: GPL-2.0 */
/* Suites of the relayx KUnit module, and helpers they share. */
#ifndef _RELAYX_TEST_H
#define _RELAYX_TEST_H

#include <kunit/test.h>
#include <relayx/relayx.h>

extern struct kunit_suite relayx_open_suite;
extern struct kunit_suite relayx_storage_suite;
extern struct kunit_suite relayx_write_suite;
extern struct kunit_suite relayx_concurrent_suite;
extern struct kunit_suite relayx_oracle_suite;
extern struct kunit_suite relayx_global_suite;
extern struct kunit_suite relayx_late_suite;

/*
 * Keep the test on its current CPU and return that CPU's buffer. Only
 * migration is disabled, so that a failed expectation may still sleep;
 * undo with migrate_enable().
 */
static inline struct relayx_buf *relayx_test_pin(struct relayx_chan *chan)
{
	migrate_disable();
	return *per_cpu_ptr(chan->buf, raw_smp_processor_id());
}

#endif /* _RELAYX_TEST_H */
