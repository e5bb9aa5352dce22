/* SPDX-License-Identifier: GPL-2.0 */
/* Suites of the relayx KUnit module, and helpers they share. */
#ifndef _RELAYX_TEST_H
#define _RELAYX_TEST_H

#include <kunit/test.h>
#include <relayx/relayx.h>

extern struct kunit_suite relayx_open_suite;
extern struct kunit_suite relayx_write_suite;
extern struct kunit_suite relayx_concurrent_suite;
extern struct kunit_suite relayx_oracle_suite;
extern struct kunit_suite relayx_global_suite;

/* The buffer of the CPU the test runs on; call with migration off. */
static inline struct relayx_buf *relayx_test_this_buf(struct relayx_chan *chan)
{
	return *per_cpu_ptr(chan->buf, raw_smp_processor_id());
}

#endif /* _RELAYX_TEST_H */
