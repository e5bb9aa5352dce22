// SPDX-License-Identifier: GPL-2.0
/*
 * relayx_printf(): a message formatted once, then written as
 * relayx_write_begin()/relayx_write_end() write it.
 *
 * The text cannot be formatted straight into the buffer before its
 * length is known and reserved: a writer of an interrupt or NMI on the
 * same CPU may claim that space meanwhile. So it is formatted into a
 * scratch area of the CPU first, used with preemption disabled, then
 * copied. A text longer than the scratch area is measured there and
 * formatted a second time, straight into its slot.
 *
 * The CPU's areas are a stack: a call takes the area at the depth of
 * the calls of this CPU in progress, and gives it back on return. Calls
 * nest only inside one another (an interrupt's or NMI's call returns
 * before the one it interrupted goes on; so does a call from the
 * subbuf_start callback of a switch that a reservation makes), so an
 * area is never used by two calls at once. The depth is a per-cpu
 * counter that every call moves up, then down: a call that interrupts
 * another leaves it as it found it, even in the middle of the other's
 * increment (on x86 a single instruction anyway), and until that
 * increment is done the interrupted call has not touched its area. A call
 * deeper than the areas formats its text twice, into its slot only.
 */
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/kernel.h>

#include "relayx_internal.h"

/*
 * Task, softirq, hard interrupt and NMI nest; a subbuf_start callback may
 * add a level. A page each: the messages of make bench, up to 4 KiB with
 * the NUL, are formatted once.
 */
#define RELAYX_PRINTF_LEVELS	4
#define RELAYX_PRINTF_SCRATCH	PAGE_SIZE

struct relayx_printf_scratch {
	char text[RELAYX_PRINTF_LEVELS][RELAYX_PRINTF_SCRATCH];
};

static struct relayx_printf_scratch __percpu *relayx_scratch;
/* The calls of relayx_printf() in progress on the CPU. */
static DEFINE_PER_CPU(unsigned int, relayx_printf_depth);

int relayx_printf_init(void)
{
	relayx_scratch = relayx_alloc_percpu(struct relayx_printf_scratch);
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

/* One call's state between relayx_printf_reserve() and _end(). */
struct relayx_printf_call {
	struct relayx_buf *buf;
	void *slot;
	size_t length;
};

/*
 * Take a scratch area, format @args into it, reserve the message's slot
 * and copy the text there. Returns true when the text did not fit in the
 * area (or there was none free): the caller formats it into c->slot.
 * The caller then calls relayx_printf_end(), whatever this returned.
 */
static __always_inline __printf(3, 0) bool
relayx_printf_reserve(struct relayx_chan *chan, struct relayx_printf_call *c,
		      const char *fmt, va_list args)
{
	unsigned int depth;
	size_t room = 0;
	char *text = NULL;

	preempt_disable();
	depth = this_cpu_inc_return(relayx_printf_depth) - 1;
	/* The area is taken before it is written. */
	barrier();
	if (likely(depth < RELAYX_PRINTF_LEVELS)) {
		text = this_cpu_ptr(relayx_scratch)->text[depth];
		room = RELAYX_PRINTF_SCRATCH;
	}
	c->length = vsnprintf(text, room, fmt, args) + 1;
	c->buf = this_cpu_read(*chan->buf);
	local_inc(&c->buf->nest);
	/* relayx_buf_reserve(), with no test of a slot the claim gave. */
	if (unlikely(!relayx_buf_claim(c->buf, c->length, &c->slot))) {
		c->slot = relayx_reserve_slow(c->buf, c->length);
		if (!c->slot) {
			/* Dropped and counted: the printf returns 0. */
			c->length = 0;
			return false;
		}
	}
	if (likely(c->length <= room)) {
		memcpy(c->slot, text, c->length);
		return false;
	}
	return true;
}

/* Publish the message, give the area back; the return of the printf. */
static __always_inline int relayx_printf_end(struct relayx_printf_call *c)
{
	relayx_buf_commit(c->buf);
	/* The area is read before it is given back. */
	barrier();
	this_cpu_dec(relayx_printf_depth);
	preempt_enable();
	return c->length;
}

/**
 * relayx_vprintf - format a message into the current CPU's buffer
 * @chan: the channel
 * @fmt: printf-style format
 * @args: its arguments
 *
 * The message is the formatted text and its terminating NUL, so that a
 * reader can split a stream of them; at most subbuf_size bytes with the
 * NUL. Formatted once into a per-cpu scratch area (one page for each
 * call in progress on the CPU, up to RELAYX_PRINTF_LEVELS deep) and
 * copied; a text of more than a page with its NUL, or one formatted
 * deeper than that, is measured first and formatted a second time, into
 * its slot; if an argument changed in between, the
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
	struct relayx_printf_call c;
	va_list first;
	bool again;

	va_copy(first, args);
	again = relayx_printf_reserve(chan, &c, fmt, first);
	va_end(first);
	if (unlikely(again))
		relayx_format_slot(c.slot, c.length, fmt, args);
	return relayx_printf_end(&c);
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
	struct relayx_printf_call c;
	va_list args;
	bool again;

	/* The arguments are walked again from the start, not copied. */
	va_start(args, fmt);
	again = relayx_printf_reserve(chan, &c, fmt, args);
	va_end(args);
	if (unlikely(again)) {
		va_start(args, fmt);
		relayx_format_slot(c.slot, c.length, fmt, args);
		va_end(args);
	}
	return relayx_printf_end(&c);
}
EXPORT_SYMBOL_GPL(relayx_printf);
