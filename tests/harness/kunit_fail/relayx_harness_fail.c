// SPDX-License-Identifier: GPL-2.0
/*
 * Not a relayx test: a suite with one case that must fail, used by
 * make check to prove that a failing KUnit case fails the run.
 */
#include <kunit/test.h>
#include <linux/module.h>

static void relayx_harness_passes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 1, 1);
}

static void relayx_harness_fails(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 1, 2);
}

static struct kunit_case relayx_harness_cases[] = {
	KUNIT_CASE(relayx_harness_passes),
	KUNIT_CASE(relayx_harness_fails),
	{}
};

static struct kunit_suite relayx_harness_suite = {
	.name = "relayx_harness_fail",
	.test_cases = relayx_harness_cases,
};

kunit_test_suite(relayx_harness_suite);

MODULE_DESCRIPTION("relayx harness self-test: a deliberately failing suite");
MODULE_LICENSE("GPL");
