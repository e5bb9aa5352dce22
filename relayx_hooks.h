/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test hooks: named points in relayx's slow paths where a KUnit test can
 * park the thread that reaches them, so that a race the test needs
 * happens on every run instead of by luck (tests/kunit/relayx_test_park.c);
 * and the allocation sites, each counting how often it was reached and
 * how often its allocation failed, so that the fault-injection sweep
 * (tests/user/run-tests, alloc_faults) can prove it failed every one.
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
	/* read() copied a page to user space, and has more to copy */
	RELAYX_HOOK_READ_PAGE,
	/* read() copied, and has not yet taken read_mutex to commit */
	RELAYX_HOOK_READ_COPIED,
	/* relayx_buf_update_size(): the file's dentry is read, not yet used */
	RELAYX_HOOK_UPDATE_SIZE,
	/* relayx_buf_create_file(): the buffer's file exists, may be opened */
	RELAYX_HOOK_FILE_VISIBLE,
	/*
	 * A CPU's prepare callback gave it its buffers, and it is not online
	 * yet (buf is NULL: the point is per CPU, not per buffer)
	 */
	RELAYX_HOOK_CPU_PREPARED,
	/* a CPU coming up is about to take a channel's lock (buf is NULL) */
	RELAYX_HOOK_CPU_PREPARE,
	RELAYX_HOOK_NR
};

/* Every allocation relayx makes itself, in the order open reaches them. */
enum relayx_alloc_site {
	RELAYX_ALLOC_CHAN,		/* struct relayx_chan, up_cpus */
	RELAYX_ALLOC_BUF_PTRS,		/* the per-cpu buffer pointers */
	RELAYX_ALLOC_BUF,		/* struct relayx_buf */
	RELAYX_ALLOC_PAGE_ARRAY,	/* buf->pages */
	RELAYX_ALLOC_PADDING,		/* buf->padding */
	RELAYX_ALLOC_PAGE_RUN,		/* a contiguous block for a sub-buffer */
	RELAYX_ALLOC_PAGE,		/* one data page */
	RELAYX_ALLOC_VMAP,		/* the buffer's vmap */
	RELAYX_ALLOC_FILE_NAME,		/* a buffer file's name */
	RELAYX_ALLOC_FILE,		/* a buffer file (create_buf_file) */
	RELAYX_ALLOC_STATS_NAME,	/* the stats file's name */
	RELAYX_ALLOC_STATS_FILE,	/* the stats file */
	RELAYX_ALLOC_DEV_FD,		/* RELAYX_OPEN_BUF's descriptor */
	RELAYX_ALLOC_DEV_FILE,		/* RELAYX_OPEN_BUF's file */
	RELAYX_ALLOC_NR
};

/*
 * Module init's steps, each marked when done (relayx_init_mark()): the
 * allocation-fault sweep of insmod (tests/user/run-tests, insmod_faults)
 * fails each fault point of one step at a time, the step's fail-nth
 * countdown set as the step begins (relay_testhooks.c, init_fail_step).
 */
enum relayx_init_step {
	RELAYX_INIT_START,		/* nothing done yet */
	RELAYX_INIT_HOOKS,		/* the allocation-sites file */
	RELAYX_INIT_PRINTF,		/* relayx_printf()'s scratch */
	RELAYX_INIT_HOTCPU,		/* the CPU hotplug state */
	RELAYX_INIT_BPF,		/* the kfuncs (a failure only warns) */
	RELAYX_INIT_DEV,		/* /dev/relayx */
	RELAYX_INIT_NR
};

typedef void (*relayx_hook_fn)(struct relayx_buf *buf,
			       enum relayx_hook_point where);

#ifdef RELAYX_TEST_HOOKS
/* Whether the hooks are compiled in: paths may then take smaller steps. */
#define RELAYX_HOOKS_BUILT	true

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

bool relayx_alloc_seen(enum relayx_alloc_site site, bool ok);
bool relayx_fault_point(void);
void relayx_init_mark(enum relayx_init_step step);
void relayx_init_disarm(void);
int relayx_testhooks_init(void);
void relayx_testhooks_exit(void);
#else
#define EXPORT_SYMBOL_IF_RELAYX_TESTS(sym)
#define RELAYX_HOOKS_BUILT	false

static inline void relayx_hook(struct relayx_buf *buf,
			       enum relayx_hook_point where)
{
}

/* Return: @ok, so that a site reads "if (!relayx_alloc_seen(SITE, p))". */
static inline bool relayx_alloc_seen(enum relayx_alloc_site site, bool ok)
{
	return ok;
}

static inline bool relayx_fault_point(void)
{
	return false;
}

static inline void relayx_init_mark(enum relayx_init_step step)
{
}

static inline void relayx_init_disarm(void)
{
}

static inline int relayx_testhooks_init(void)
{
	return 0;
}

static inline void relayx_testhooks_exit(void)
{
}
#endif

/*
 * alloc_percpu() takes from chunks populated beforehand, where no
 * fault-injection point is: test builds add one of their own.
 */
#define relayx_alloc_percpu(type) \
	(relayx_fault_point() ? NULL : alloc_percpu(type))

/*
 * Nor does get_unused_fd_flags() while the descriptor table has room:
 * the same, failing as a full table would.
 */
#define relayx_get_unused_fd(flags) \
	(relayx_fault_point() ? -EMFILE : get_unused_fd_flags(flags))

/*
 * Nor does cpuhp_setup_state() for a state whose callbacks allocate
 * nothing yet: the same, failing as when no dynamic state is left.
 */
#define relayx_cpuhp_setup_state(state, name, up, down) \
	(relayx_fault_point() ? -ENOSPC : \
	 cpuhp_setup_state(state, name, up, down))

#endif /* _RELAYX_HOOKS_H */
