/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The checks of the user test programs (relayx_file_tests.c,
 * relayx_dev_tests.c): one "ok:" or "FAILED:" line per check, and an
 * exit status that says passed or failed, never how many failed. An exit
 * status is 8 bits and run-tests gives some values a meaning: a count of
 * 256 failed checks would read as a pass, 77 as a skip, 3 as irq-window's
 * "missed the window, try again". tests/harness/selftest runs each
 * program with N planted failures (harness-failures N) to hold to that.
 */
#ifndef RELAYX_CHECK_H
#define RELAYX_CHECK_H

#include <stdarg.h>
#include <stdio.h>

#define TEST_PASSED	0
#define TEST_FAILED	1
#define TEST_SKIPPED	77	/* after saying why */

static int failures;

static inline void check(int ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%s: ", ok ? "ok" : "FAILED");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	failures += !ok;
}

/* The exit status of a program whose checks have run. */
static inline int verdict(void)
{
	return failures ? TEST_FAILED : TEST_PASSED;
}

/* N failed checks: what run-tests must report as a failure. */
static inline int harness_failures(int n)
{
	int i;

	for (i = 0; i < n; i++)
		check(0, "planted failure %d of %d", i + 1, n);
	return verdict();
}

#endif /* RELAYX_CHECK_H */
