// SPDX-License-Identifier: GPL-2.0
/* The relayx KUnit module: every suite, run when the module loads. */
#include <linux/module.h>

#include "relayx_test.h"

/* The oracle suite compares with kernel/relay.c, when the kernel has it. */
#ifdef CONFIG_RELAY
kunit_test_suites(&relayx_open_suite, &relayx_storage_suite,
		  &relayx_write_suite, &relayx_global_suite,
		  &relayx_late_suite, &relayx_concurrent_suite,
		  &relayx_callbacks_suite, &relayx_compat_suite,
		  &relayx_consume_suite, &relayx_locks_suite,
		  &relayx_nmi_suite,
		  &relayx_oracle_suite, &relayx_lifecycle_suite,
		  &relayx_paths_suite);
#else
kunit_test_suites(&relayx_open_suite, &relayx_storage_suite,
		  &relayx_write_suite, &relayx_global_suite,
		  &relayx_late_suite, &relayx_concurrent_suite,
		  &relayx_callbacks_suite, &relayx_compat_suite,
		  &relayx_consume_suite, &relayx_locks_suite,
		  &relayx_nmi_suite, &relayx_lifecycle_suite,
		  &relayx_paths_suite);
#endif

MODULE_DESCRIPTION("KUnit tests for relayx");
MODULE_LICENSE("GPL");
