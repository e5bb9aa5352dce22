// SPDX-License-Identifier: GPL-2.0
/*
 * Parking a thread at a relayx test hook (relayx_hooks.h): the first
 * thread that reaches the chosen point for the chosen buffer stops there
 * until the test releases it, so that the test can run the other side of
 * a race at exactly that moment. A parked thread that is never released
 * goes on after RELAYX_PARK_TIMEOUT, so that a broken test fails instead
 * of hanging the guest; the test can tell (relayx_park_release()).
 */
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>

#include "relayx_test.h"

#define RELAYX_PARK_TIMEOUT_MS	10000

static struct relayx_park *relayx_parked;

static void relayx_park_hook(struct relayx_buf *buf,
			     enum relayx_hook_point where)
{
	struct relayx_park *p = READ_ONCE(relayx_parked);
	unsigned int ms;

	if (p && where == READ_ONCE(p->watch) && where != p->where) {
		if (atomic_read(&p->parked) &&
		    atomic_inc_return(&p->watch_hits) == 1)
			complete(&p->watched);
		return;
	}
	if (!p || p->buf != buf || p->where != where ||
	    atomic_inc_return(&p->hits) != 1)
		return;
	atomic_set(&p->parked, 1);
	complete(&p->arrived);
	if (preemptible()) {
		unsigned long timeout = msecs_to_jiffies(RELAYX_PARK_TIMEOUT_MS);

		if (!wait_for_completion_timeout(&p->release, timeout))
			atomic_set(&p->timed_out, 1);
		return;
	}
	/* Atomic context: spin, as a writer held up by an interrupt would. */
	for (ms = 0; !completion_done(&p->release); ms++) {
		if (ms == RELAYX_PARK_TIMEOUT_MS) {
			atomic_set(&p->timed_out, 1);
			return;
		}
		mdelay(1);
	}
}

/**
 * relayx_park_arm - park the first thread that reaches @where for @buf
 * @p: the parking spot, set up here
 * @buf: the buffer
 * @where: the hook point
 */
void relayx_park_arm(struct relayx_park *p, struct relayx_buf *buf,
		     enum relayx_hook_point where)
{
	p->buf = buf;
	p->where = where;
	atomic_set(&p->hits, 0);
	atomic_set(&p->timed_out, 0);
	atomic_set(&p->parked, 0);
	atomic_set(&p->watch_hits, 0);
	p->watch = RELAYX_HOOK_NONE;
	init_completion(&p->arrived);
	init_completion(&p->release);
	init_completion(&p->watched);
	WRITE_ONCE(relayx_parked, p);
	WRITE_ONCE(relayx_test_hook, relayx_park_hook);
}

/**
 * relayx_park_wait - wait until a thread is parked
 * @p: the armed parking spot
 *
 * Return: true when one arrived within the timeout.
 */
bool relayx_park_wait(struct relayx_park *p)
{
	unsigned long timeout = msecs_to_jiffies(RELAYX_PARK_TIMEOUT_MS);

	return wait_for_completion_timeout(&p->arrived, timeout);
}

/**
 * relayx_park_watch - count the arrivals at @watch while a thread is parked
 * @p: the armed parking spot
 * @watch: another hook point, reached by the racing side
 *
 * The count (@p->watch_hits) proves that the racing side got there while
 * the parked thread was held at its point, not before or after.
 */
void relayx_park_watch(struct relayx_park *p, enum relayx_hook_point watch)
{
	WRITE_ONCE(p->watch, watch);
}

/**
 * relayx_park_watch_wait - wait until the racing side reached the watch point
 * @p: the armed parking spot, with a thread parked
 *
 * Return: true when it did within the timeout.
 */
bool relayx_park_watch_wait(struct relayx_park *p)
{
	unsigned long timeout = msecs_to_jiffies(RELAYX_PARK_TIMEOUT_MS);

	return wait_for_completion_timeout(&p->watched, timeout);
}

/**
 * relayx_park_release - let the parked thread go on, and disarm
 * @p: the parking spot
 *
 * Return: true when the parked thread was still waiting (it did not time
 * out), so that what the test did meanwhile really overlapped it.
 */
bool relayx_park_release(struct relayx_park *p)
{
	atomic_set(&p->parked, 0);
	WRITE_ONCE(relayx_test_hook, NULL);
	WRITE_ONCE(relayx_parked, NULL);
	complete_all(&p->release);
	/* A hook that read the old pointers has returned after this. */
	synchronize_rcu();
	return !atomic_read(&p->timed_out);
}

int relayx_cpu_up_thread(void *data)
{
	struct relayx_cpu_up *up = data;

	up->err = add_cpu(up->cpu);
	complete(&up->done);
	return 0;
}
