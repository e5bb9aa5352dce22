// SPDX-License-Identifier: GPL-2.0
/*
 * relayx_printf(): a message formatted once, then written as
 * relayx_write_begin()/relayx_write_end() write it.
 *
 * The text cannot be formatted straight into the buffer before its
 * length is known and reserved: a writer of an interrupt or NMI on the
 * same CPU may claim that space meanwhile. So it is formatted into a
 * scratch area of the CPU first, one per context level that can
 * interrupt another (task, softirq, hard interrupt, NMI; a level never
 * interrupts itself), used with preemption disabled, then copied. A text
 * longer than the scratch area is measured there and formatted a second
 * time, straight into its slot.
 */
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/kernel.h>

#include "relayx_internal.h"

#define RELAYX_PRINTF_LEVELS	4
#define RELAYX_PRINTF_SCRATCH	1024

struct relayx_printf_scratch {
	char text[RELAYX_PRINTF_LEVELS][RELAYX_PRINTF_SCRATCH];
};

static struct relayx_printf_scratch __percpu *relayx_scratch;

int relayx_printf_init(void)
{
	relayx_scratch = alloc_percpu(struct relayx_printf_scratch);
	return relayx_scratch ? 0 : -ENOMEM;
}

void relayx_printf_exit(void)
{
	free_percpu(relayx_scratch);
}

/**
 * relayx_vprintf - format a message into the current CPU's buffer
 * @chan: the channel
 * @fmt: printf-style format
 * @args: its arguments
 *
 * The message is the formatted text and its terminating NUL, so that a
 * reader can split a stream of them; at most subbuf_size bytes with the
 * NUL. Formatted once into a per-cpu scratch area of the caller's context
 * level and copied; a text of more than RELAYX_PRINTF_SCRATCH bytes is
 * formatted a second time, into its slot. A message that does not fit in
 * a sub-buffer is dropped and counted as too big, never truncated; one
 * that finds the buffer full is counted as dropped, as relayx_write()
 * does. Safe in any context, NMI included.
 *
 * Return: the bytes written (the text and its NUL), or 0 when the
 * message was dropped.
 */
int relayx_vprintf(struct relayx_chan *chan, const char *fmt, va_list args)
{
	size_t length;
	va_list first;
	char *text, *slot;

	preempt_disable();
	text = this_cpu_ptr(relayx_scratch)->text[interrupt_context_level()];
	va_copy(first, args);
	length = vsnprintf(text, RELAYX_PRINTF_SCRATCH, fmt, first) + 1;
	va_end(first);
	slot = relayx_write_begin(chan, length);
	if (slot) {
		if (length <= RELAYX_PRINTF_SCRATCH)
			memcpy(slot, text, length);
		else
			vsnprintf(slot, length, fmt, args);
		relayx_write_end(chan);
	}
	preempt_enable();
	return slot ? length : 0;
}
EXPORT_SYMBOL_GPL(relayx_vprintf);

/**
 * relayx_printf - format a message into the current CPU's buffer
 * @chan: the channel
 * @fmt: printf-style format, then its arguments
 *
 * See relayx_vprintf().
 *
 * Return: the bytes written (the text and its NUL), or 0 when the
 * message was dropped.
 */
int relayx_printf(struct relayx_chan *chan, const char *fmt, ...)
{
	va_list args;
	int ret;

	va_start(args, fmt);
	ret = relayx_vprintf(chan, fmt, args);
	va_end(args);
	return ret;
}
EXPORT_SYMBOL_GPL(relayx_printf);
