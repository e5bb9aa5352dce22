/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test hooks: named points in relayx's slow paths where a KUnit test can
 * park the thread that reaches them, so that a race the test needs
 * happens on every run instead of by luck (tests/kunit/relayx_test_park.c).
 *
 * Compiled in only when the test modules are built against a kernel with
 * KUnit (RELAYX_TEST_HOOKS, set in Kbuild); everywhere else a hook is an
 * empty inline function. A hook runs in whatever context its point is in.
 */
#ifndef _RELAYX_HOOKS_H
#define _RELAYX_HOOKS_H

#include <linux/compiler.h>
#include <linux/export.h>

struct relayx_buf;

enum relayx_hook_point {
	RELAYX_HOOK_NONE,
	/* relayx_get_subbuf() found nothing, before it decides why */
	RELAYX_HOOK_GET_SUBBUF_EMPTY,
	/* a reader read subbufs_consumed and is about to advance it */
	RELAYX_HOOK_CONSUME,
	/* read() is about to copy to user space */
	RELAYX_HOOK_READ_COPY,
	/* relayx_buf_update_size(): the file's dentry is read, not yet used */
	RELAYX_HOOK_UPDATE_SIZE,
	RELAYX_HOOK_NR
};

typedef void (*relayx_hook_fn)(struct relayx_buf *buf,
			       enum relayx_hook_point where);

#ifdef RELAYX_TEST_HOOKS
/* Internal functions the KUnit module calls directly. */
#define EXPORT_SYMBOL_IF_RELAYX_TESTS(sym) EXPORT_SYMBOL_GPL(sym)

extern relayx_hook_fn relayx_test_hook;

static inline void relayx_hook(struct relayx_buf *buf,
			       enum relayx_hook_point where)
{
	relayx_hook_fn fn = READ_ONCE(relayx_test_hook);

	if (fn)
		fn(buf, where);
}
#else
#define EXPORT_SYMBOL_IF_RELAYX_TESTS(sym)

static inline void relayx_hook(struct relayx_buf *buf,
			       enum relayx_hook_point where)
{
}
#endif

#endif /* _RELAYX_HOOKS_H */
