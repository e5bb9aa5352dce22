/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The <linux/relay.h> API on top of relayx.
 *
 * A client written for upstream relay builds against relayx by including
 * this file instead of <linux/relay.h>; nothing else in it changes. The
 * two must not be included in one file: the names below are upstream's.
 */
#ifndef _RELAYX_RELAY_COMPAT_H
#define _RELAYX_RELAY_COMPAT_H

#ifdef _LINUX_RELAY_H
#error "include either <linux/relay.h> or <relayx/relay_compat.h>, not both"
#endif
/* Keep a later #include <linux/relay.h> from redefining what follows. */
#define _LINUX_RELAY_H

#include <relayx/relayx.h>

#define rchan			relayx_chan
#define rchan_buf		relayx_buf
#define rchan_callbacks		relayx_callbacks

#define relay_open		relayx_open
#define relay_late_setup_files	relayx_late_setup_files
#define relay_close		relayx_close
#define relay_flush		relayx_flush
#define relay_reset		relayx_reset
#define relay_subbufs_consumed	relayx_subbufs_consumed
#define relay_buf_full		relayx_buf_full
#define relay_switch_subbuf	relayx_switch_subbuf
#define relay_write		relayx_write
#define __relay_write		__relayx_write
#define subbuf_start_reserve	relayx_subbuf_start_reserve
#define relay_file_operations	relayx_file_operations
#define relay_stats		relayx_stats

#define RELAY_STATS_BUF_FULL	RELAYX_STATS_BUF_FULL
#define RELAY_STATS_WRT_BIG	RELAYX_STATS_WRT_BIG

/**
 * relay_reserve - reserve a slot in the current CPU's buffer
 * @chan: the channel
 * @length: bytes to reserve
 *
 * Upstream's relay_reserve() pins the CPU for the reservation only, so
 * clients call it with preemption enabled (under a mutex of their own,
 * say); relayx_reserve() wants its caller to pin the CPU. As upstream,
 * filling the slot is the caller's business.
 *
 * Return: the slot, or NULL when the message was dropped (and counted).
 */
static inline void *relay_reserve(struct rchan *chan, size_t length)
{
	void *slot;

	preempt_disable();
	slot = relayx_reserve(chan, length);
	preempt_enable();
	return slot;
}

#endif /* _RELAYX_RELAY_COMPAT_H */
