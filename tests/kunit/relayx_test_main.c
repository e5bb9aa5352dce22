// SPDX-License-Identifier: GPL-2.0
/* The relayx KUnit module: every suite, run when the module loads. */
#include <linux/module.h>

#include "relayx_test.h"

kunit_test_suites(&relayx_open_suite, &relayx_write_suite);

MODULE_DESCRIPTION("KUnit tests for relayx");
MODULE_LICENSE("GPL");
