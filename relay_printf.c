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
 *
 * A level can still call relayx_printf() again while its scratch area is
 * in use: the reservation may switch sub-buffers, and the client's
 * subbuf_start callback, which runs inside it at the same level, may
 * format a message into another channel. The area is marked busy for
 * the whole call, and such a nested call leaves it alone: it measures
 * its text without storing it and formats it into its slot. Only code of
 * the same level on the same CPU reads or writes the mark, so it needs no
 * atomic operation; an interrupt or NMI uses the area of its own level.
 */
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/kernel.h>

#include "relayx_internal.h"

#define RELAYX_PRINTF_LEVELS	4
#define RELAYX_PRINTF_SCRATCH	1024

struct relayx_printf_scratch {
	char text[RELAYX_PRINTF_LEVELS][RELAYX_PRINTF_SCRATCH];
	bool busy[RELAYX_PRINTF_LEVELS];
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

/*
 * Format into the @length bytes of @slot, measured before. An argument
 * that changed since may give a shorter text: the rest of the slot, which
 * is part of the message, is zeroed rather than left as it was; a longer
 * one is cut at the end of the slot, NUL included.
 */
static __printf(3, 0) void relayx_format_slot(char *slot, size_t length,
					       const char *fmt, va_list args)
{
	size_t n = vsnprintf(slot, length, fmt, args) + 1;

	if (n < length)
		memset(slot + n, 0, length - n);
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
 * level and copied; a text of more than RELAYX_PRINTF_SCRATCH bytes, or
 * one formatted while that area is in use (from a subbuf_start callback
 * of a relayx_printf() on the same CPU), is measured first and formatted
 * a second time, into its slot; if an argument changed in between, the
 * text is cut at the measured length or followed by NULs up to it. A
 * message that does not fit in a sub-buffer is dropped and counted as
 * too big, never truncated; one that finds the buffer full is counted as
 * dropped, as relayx_write() does. Safe in any context, NMI included.
 *
 * Return: the bytes written (the text and its NUL), or 0 when the
 * message was dropped.
 */
int relayx_vprintf(struct relayx_chan *chan, const char *fmt, va_list args)
{
	struct relayx_printf_scratch *scratch;
	size_t length, room = 0;
	unsigned int level;
	char *text = NULL, *slot;
	va_list first;

	preempt_disable();
	scratch = this_cpu_ptr(relayx_scratch);
	level = interrupt_context_level();
	/* Busy: this call comes from inside another one of this level. */
	if (!scratch->busy[level]) {
		scratch->busy[level] = true;
		/* Marked before the area is written. */
		barrier();
		text = scratch->text[level];
		room = RELAYX_PRINTF_SCRATCH;
	}
	va_copy(first, args);
	length = vsnprintf(text, room, fmt, first) + 1;
	va_end(first);
	slot = relayx_write_begin(chan, length);
	if (slot) {
		if (length <= room)
			memcpy(slot, text, length);
		else
			relayx_format_slot(slot, length, fmt, args);
		relayx_write_end(chan);
	}
	if (text) {
		/* The area is read before it is let go. */
		barrier();
		scratch->busy[level] = false;
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
