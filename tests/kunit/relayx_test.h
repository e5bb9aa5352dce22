/* SPDX-License-Identifier: GPL-2.0 */
/* Suites of the relayx KUnit module, and helpers they share. */
#ifndef _RELAYX_TEST_H
#define _RELAYX_TEST_H

#include <kunit/test.h>
#include <linux/completion.h>
#include <relayx/relayx.h>

#include "../../relayx_hooks.h"

extern struct kunit_suite relayx_open_suite;
extern struct kunit_suite relayx_storage_suite;
extern struct kunit_suite relayx_write_suite;
extern struct kunit_suite relayx_concurrent_suite;
extern struct kunit_suite relayx_oracle_suite;
extern struct kunit_suite relayx_global_suite;
extern struct kunit_suite relayx_late_suite;
extern struct kunit_suite relayx_callbacks_suite;
extern struct kunit_suite relayx_compat_suite;
extern struct kunit_suite relayx_consume_suite;
extern struct kunit_suite relayx_locks_suite;
extern struct kunit_suite relayx_nmi_suite;
extern struct kunit_suite relayx_lifecycle_suite;
extern struct kunit_suite relayx_paths_suite;

/*
 * A thread parked at a test hook (relayx_test_park.c): arm, start the
 * thread that will reach the point, wait, do the racing side, release.
 */
struct relayx_park {
	struct relayx_buf *buf;
	enum relayx_hook_point where;
	atomic_t hits;
	atomic_t timed_out;
	struct completion arrived;
	struct completion release;
	/*
	 * The overlap counter: how often another thread reached @watch
	 * (any buffer) while the parked one was held, the first of them
	 * completing @watched.
	 */
	enum relayx_hook_point watch;
	atomic_t parked;
	atomic_t watch_hits;
	struct completion watched;
};

void relayx_park_arm(struct relayx_park *p, struct relayx_buf *buf,
		     enum relayx_hook_point where);
bool relayx_park_wait(struct relayx_park *p);
void relayx_park_watch(struct relayx_park *p, enum relayx_hook_point watch);
bool relayx_park_watch_wait(struct relayx_park *p);
bool relayx_park_release(struct relayx_park *p);

/*
 * add_cpu() from a kthread of its own (relayx_cpu_up_thread), so that a
 * test can park the bring-up at a hook and act while it is held; @err is
 * add_cpu()'s result once @done completes.
 */
struct relayx_cpu_up {
	unsigned int cpu;
	int err;
	struct completion done;
};

int relayx_cpu_up_thread(void *data);

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

/* One snapshot of the GPU firmware-log client (relayx_test_guc.h). */
bool relayx_test_guc_snapshot(struct relayx_chan *chan, struct mutex *lock,
			      const void *snap, size_t size);

/* A counter of the writer's accounting (struct relayx_buf_tally). */
#define buf_count(buf, field)	((u64)local64_read(&(buf)->stats.field))

#endif /* _RELAYX_TEST_H */
