// SPDX-License-Identifier: GPL-2.0
/*
 * relayx-model: an exhaustive interleaving checker of relayx's writer and
 * reader protocol, run on the real code (model_code.c).
 *
 * Each scenario is a buffer, a task writer with a list of operations,
 * writers that interrupt it (softirq, hard interrupt, NMI, each with one
 * operation) and a reader on another CPU. Every access of the code to
 * the buffer's shared state is a choice point (model_shim.h). There the
 * checker may run a writer of a higher context to its end, inside the
 * current one, as an interrupt does (an NMI into anything but an NMI, a
 * hard or soft interrupt only where interrupts are on), or let the other
 * CPU run until one of its own choice points. A run is one path through
 * these choices; the checker enumerates every path depth first, each run
 * from scratch with the decisions of the last one as a prefix (a
 * stateless model checker). The reader CPU may be switched to at most
 * "budget" times where it is not forced to (a preemption bound); every
 * nesting of the interrupt writers is explored.
 *
 * After every choice point, at the end of every operation and at the end
 * of a run, it checks the invariants of Documentation/design.rst ("Write
 * path", "What the checker verifies") and stops a scenario at its first
 * violation, printing the decisions that led there.
 */
#define _GNU_SOURCE
#include <relayx/relayx.h>
#include "../../relayx_internal.h"
#undef memcpy

#include <stdlib.h>
#include <ucontext.h>

#include "model.h"

#define MAXDATA		1024
#define MAXMSG		256
#define MAXATT		24
#define MAXDEPTH	8192
#define MAXPOINTS	100000
#define MAXLOG		64
#define STACK		(256 * 1024)

enum level { TASK, SOFTIRQ, HARDIRQ, NMI };
static const char *const level_name[] = { "task", "softirq", "irq", "NMI" };

enum wkind { W_END, W_WRITE, W_BEGIN, W_RESERVE, W_FLUSH, W_CLOSE };
static const char *const wkind_name[] = {
	"", "write", "write_begin/end", "reserve", "flush", "close"
};

struct wop {
	enum wkind k;
	size_t len;
};

struct nested {
	enum level level;
	struct wop op;
};

enum rkind { R_END, R_READ, R_GET, R_POLL };

struct scenario {
	const char *name;
	size_t size, n;
	bool overwrite;
	size_t hdr;
	struct wop task[8];
	struct nested nested[4];
	enum rkind reader[4];
	int budget;	/* preemptions of one CPU by the other */
	int full_budget;	/* the same, for make model */
	bool full_only;		/* too long for make check */
};

/* --- state of one run ----------------------------------------------- */

enum { EMPTY, CLAIMED, FILLED };
struct shadow {
	short att;		/* the message, -1 none, -2 a header */
	unsigned short idx;	/* byte of it */
	int lap;		/* sub-buffer sequence number it was written in */
	unsigned char state;
};

struct att {
	const struct wop *op;
	enum level level;
	bool claimed, returned, filled, excused, hold_seen;
	void *slot;
	size_t lap, off;
	long order;
	size_t recv;
	unsigned char src[MAXMSG];
};

struct ctx {
	enum level level;
	bool irqs_off;	/* only an NMI may nest */
	bool no_nmi;	/* the client's relayx_reserve() window: nothing nests */
	bool in_op;	/* inside a writer operation on the buffer */
	bool excused;	/* an NMI that came into a switch */
	int att;
};

static const struct scenario *sc;
static bool full_bound;
int model_quiet;
static enum { IDLE, RUN, DRAIN } phase;

static struct relayx_chan *chan;
static struct relayx_buf *buf, *bufp;
static struct relayx_callbacks cbs;
static unsigned char *data;
static u32 *padding;
static struct shadow shadow[MAXDATA];

static struct att att[MAXATT];
static int natt;
static long claims;
static struct ctx ctxs[5];
static int cdepth;
static bool nested_started[4];
static bool closed;
static int closer = -1;	/* the writer context that closed tail last */

static int last_att = -1, last_idx;
static long mm_held = -1;
static struct shadow rsnap[MAXDATA];
static size_t rsnap_len;
/* The reader's last copy changed under it; a read() round is under way. */
static bool rtorn, reading;
static unsigned long last_produced, last_committed;

/* --- the decisions ---------------------------------------------------- */

struct dec {
	unsigned char pick, n;
};

static struct dec trail[MAXDEPTH];
static int depth, plen, points, preempts;
static char evlog[MAXLOG][160];
static int nlog;
static const char *cur_field = "";

static ucontext_t uc_main, uc_cpu[2];
static char *stacks[2];
static int cur_cpu;
static bool cpu_done[2], in_coroutine;

static char violation[512];
static const char *violation_kind;
static bool keep_going;

static void logev(const char *fmt, ...) __printf(1, 2);
static void logev(const char *fmt, ...)
{
	va_list ap;

	if (nlog >= MAXLOG)
		return;
	va_start(ap, fmt);
	vsnprintf(evlog[nlog++], sizeof(evlog[0]), fmt, ap);
	va_end(ap);
}

static void fail(const char *fmt, ...) __printf(1, 2);
static void fail(const char *fmt, ...)
{
	va_list ap;

	if (violation[0])
		return;
	violation_kind = fmt;
	va_start(ap, fmt);
	vsnprintf(violation, sizeof(violation), fmt, ap);
	va_end(ap);
	/* Abandon the run: its coroutines are made anew for the next. */
	if (in_coroutine && phase == RUN) {
		phase = IDLE;
		setcontext(&uc_main);
	}
}

static int choose(int n, const char *what)
{
	if (n == 1 || phase != RUN)
		return 0;
	if (depth >= MAXDEPTH) {
		fail("more than %d decisions in a run", MAXDEPTH);
		return 0;
	}
	if (depth < plen) {
		if (trail[depth].n != n)
			fail("replay diverged at decision %d", depth);
	} else {
		trail[depth].pick = 0;
		trail[depth].n = n;
	}
	return trail[depth++].pick;
}

/* --- the buffer's shared state: which accesses are choice points ------ */

static unsigned char shared_field[sizeof(struct relayx_buf)];
static const char *field_name[sizeof(struct relayx_buf)];

struct field {
	size_t off, size;
	const char *name;
};

#define FIELD(f, type)	{ __builtin_offsetof(struct relayx_buf, f), sizeof(type), #f }

static void fields_init(void)
{
	/*
	 * What the writers and the readers share. Fields set at open and
	 * never written again (chan, vaddr, padding, pages, cpu), and the
	 * readers' own (under read_mutex: bytes_consumed, bytes_seq,
	 * holder, resets), are no choice points: nobody else changes them.
	 */
	static const struct field shared[] = {
		FIELD(data, void *), FIELD(tail, unsigned long),
		FIELD(limit, unsigned long), FIELD(base, unsigned long),
		FIELD(nest, local_t), FIELD(committed, unsigned long),
		FIELD(subbufs_produced, size_t), FIELD(handed, size_t),
		FIELD(subbufs_consumed, size_t), FIELD(prev_padding, size_t),
		FIELD(prev_pending, bool), FIELD(switching, bool),
		FIELD(hdr, size_t), FIELD(bytes_produced, size_t),
		FIELD(stats, struct relayx_buf_tally), FIELD(entered, size_t),
		FIELD(held, size_t), FIELD(gate, atomic_long_t),
		FIELD(finalized, bool),
	};
	size_t i, e;

	for (i = 0; i < ARRAY_SIZE(shared); i++)
		for (e = shared[i].off; e < shared[i].off + shared[i].size; e++) {
			shared_field[e] = 1;
			field_name[e] = shared[i].name;
		}
}

static void access_point(const void *p)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)buf;
	uintptr_t pad = (uintptr_t)padding;

	if (model_quiet || phase != RUN)
		return;
	if (a >= b && a < b + sizeof(*buf)) {
		if (!shared_field[a - b])
			return;
		cur_field = field_name[a - b];
	} else if (a >= pad && a < pad + sc->n * sizeof(u32)) {
		cur_field = "padding[]";
	} else {
		return;
	}
	model_point();
}

/* The calls gcc's -fsanitize=thread puts before the accesses. */
#define TSAN_HOOKS(n)							\
void __tsan_read##n(void *p) { access_point(p); }			\
void __tsan_write##n(void *p) { access_point(p); }			\
void __tsan_unaligned_read##n(void *p) { access_point(p); }		\
void __tsan_unaligned_write##n(void *p) { access_point(p); }		\
void __tsan_volatile_read##n(void *p) { access_point(p); }		\
void __tsan_volatile_write##n(void *p) { access_point(p); }
TSAN_HOOKS(1)
TSAN_HOOKS(2)
TSAN_HOOKS(4)
TSAN_HOOKS(8)
TSAN_HOOKS(16)

void __tsan_read_range(void *p, long len) { access_point(p); }
void __tsan_write_range(void *p, long len) { access_point(p); }
void __tsan_func_entry(void *p) { }
void __tsan_func_exit(void *p) { }
void __tsan_init(void) { }

/* --- invariants checked at every choice point --------------------------- */

static size_t off_of(unsigned long pos)
{
	return pos & (BIT(mc_off_bits()) - 1);
}

static bool tail_closed(void)
{
	return off_of(buf->tail) > sc->size;
}

static bool any_outer_in_op(int d)
{
	int i;

	for (i = 0; i < d; i++)
		if (ctxs[i].in_op)
			return true;
	return false;
}

static void check_state(void)
{
	unsigned long produced = buf->subbufs_produced;
	size_t c = off_of(buf->committed);

	if (c > sc->size)
		fail("committed %zu is beyond the sub-buffer of %zu bytes (raw %#lx)",
		     c, sc->size, buf->committed);
	if (produced == last_produced && c && c < last_committed)
		fail("committed moved back from %lu to %zu within sub-buffer %lu",
		     last_committed, c, produced);
	last_produced = produced;
	last_committed = c;
	/*
	 * Readers may read sub-buffer produced up to committed: those
	 * bytes are complete, of that lap, unless the writer has lapped it
	 * (readers see that from entered, and skip it).
	 */
	if (buf->entered - produced < sc->n && c <= sc->size) {
		const struct shadow *sh = &shadow[produced % sc->n * sc->size];
		size_t i;

		for (i = 0; i < c; i++)
			if (sh[i].state != FILLED || sh[i].lap != (int)produced) {
				fail("committed %zu covers byte %zu of sub-buffer %lu, %s",
				     c, i, produced,
				     sh[i].state == CLAIMED ? "a slot still being filled" :
				     sh[i].state == FILLED ? "stale bytes of an earlier lap" :
				     "never written");
				break;
			}
	}
	if ((long)(produced - buf->subbufs_consumed) < 0)
		fail("subbufs_consumed %zu passed subbufs_produced %lu",
		     buf->subbufs_consumed, produced);
}

/*
 * Why a writer in the middle of an operation may have to drop its
 * message: the causes design.rst allows, each sampled while it lasts.
 */
static void sample_excuses(void)
{
	long entered = buf->entered, n = sc->n;
	bool held = atomic_long_read(&buf->gate) & RELAYX_GATE_HELD;
	int d;

	for (d = 0; d <= cdepth; d++) {
		struct att *a;

		if (ctxs[d].att < 0)
			continue;
		a = &att[ctxs[d].att];
		if (held) {
			a->excused = true;
			a->hold_seen = true;
		}
		/* No-overwrite: the next sub-buffer is unread. */
		if (!sc->overwrite &&
		    entered + 1 - (long)buf->subbufs_consumed >= n)
			a->excused = true;
		/*
		 * A nested writer does not enter a sub-buffer whose
		 * predecessor by n_subbufs is unpublished.
		 */
		if (any_outer_in_op(d) &&
		    entered + 1 - n - (long)buf->subbufs_produced >= 0)
			a->excused = true;
	}
}

static void run_nested(int w);

void model_point(void)
{
	bool switched = false;

	if (model_quiet || phase != RUN)
		return;
	if (++points > MAXPOINTS)
		fail("no progress after %d choice points", MAXPOINTS);
	check_state();
	if (cur_cpu == 0)
		sample_excuses();
	for (;;) {
		int opt[8], n = 0, k, w;

		opt[n++] = -1;
		if (cur_cpu == 0 && !closed) {
			struct ctx *c = &ctxs[cdepth];

			for (w = 0; w < 4 && sc->nested[w].op.k; w++) {
				enum level l = sc->nested[w].level;

				if (nested_started[w] || l <= c->level || c->no_nmi)
					continue;
				if (l != NMI && c->irqs_off)
					continue;
				opt[n++] = w;
			}
		}
		if (!switched && !cpu_done[1 - cur_cpu] &&
		    preempts < (full_bound ? sc->full_budget : sc->budget))
			opt[n++] = -2;
		k = choose(n, cur_field);
		if (opt[k] == -1)
			return;
		if (opt[k] == -2) {
			int from = cur_cpu;

			logev("decision %d: CPU %d preempted before an access to %s; CPU %d runs",
			      depth - 1, from, cur_field, 1 - from);
			preempts++;
			switched = true;
			cur_cpu = 1 - from;
			swapcontext(&uc_cpu[from], &uc_cpu[cur_cpu]);
			continue;
		}
		logev("decision %d: %s writer (%s %zu) interrupts the %s one at %s",
		      depth - 1, level_name[sc->nested[opt[k]].level],
		      wkind_name[sc->nested[opt[k]].op.k],
		      sc->nested[opt[k]].op.len, level_name[ctxs[cdepth].level],
		      cur_field);
		run_nested(opt[k]);
	}
}

unsigned long model_irq_save(void)
{
	struct ctx *c = &ctxs[cdepth];
	unsigned long was;

	if (phase != RUN || cur_cpu != 0)
		return 0;
	cur_field = "local_irq_save";
	model_point();
	was = c->irqs_off;
	c->irqs_off = true;
	return was;
}

void model_irq_restore(unsigned long flags)
{
	if (phase != RUN || cur_cpu != 0)
		return;
	ctxs[cdepth].irqs_off = flags;
}

void model_spin(void)
{
	if (phase != RUN) {
		fail("the reader spins with no writer to wait for");
		return;
	}
	if (cpu_done[1 - cur_cpu])
		fail("CPU %d spins on the gate forever", cur_cpu);
	/* Not a preemption: the spinning CPU cannot go on. */
	cur_cpu = 1 - cur_cpu;
	swapcontext(&uc_cpu[1 - cur_cpu], &uc_cpu[cur_cpu]);
}

void model_warn(const char *msg)
{
	logev("warning: %s", msg);
}

/* --- claims, copies, the stream --------------------------------------- */

static void claim(int ai, unsigned long pos)
{
	struct att *a = &att[ai];
	size_t off = off_of(pos), lap = buf->entered;
	size_t idx = lap % sc->n, i;
	unsigned char *slot = data + idx * sc->size + off;

	if (off + a->op->len > sc->size)
		fail("%zu bytes claimed at offset %zu pass the end of the sub-buffer",
		     a->op->len, off);
	if (mm_held >= 0 && (size_t)mm_held % sc->n == idx &&
	    (size_t)mm_held != lap)
		fail("sub-buffer %ld, held by a reader, was overwritten (lap %zu)",
		     mm_held, lap);
	for (i = 0; i < a->op->len; i++) {
		struct shadow *s = &shadow[slot - data + i];

		if (s->state == CLAIMED)
			fail(s->lap == (int)lap ?
			     "a byte was claimed in two slots (messages %d and %d)" :
			     "a sub-buffer was lapped while a writer filled it (messages %d and %d)",
			     s->att, ai);
		if (s->state == FILLED && s->lap >= (int)lap)
			fail("a byte was claimed in two slots (messages %d and %d)",
			     s->att, ai);
		s->att = ai;
		s->idx = i;
		s->lap = lap;
		s->state = CLAIMED;
	}
	a->claimed = true;
	a->slot = slot;
	a->lap = lap;
	a->off = off;
	a->order = ++claims;
}

void model_cmpxchg_seen(void *p, unsigned long old, unsigned long new, bool ok)
{
	int ai;
	unsigned long mask = BIT(mc_off_bits()) - 1;

	if (phase != RUN || cur_cpu != 0 || p != &buf->tail || !ok)
		return;
	ai = ctxs[cdepth].att;
	if ((new & mask) > sc->size)
		closer = cdepth;
	if (ai < 0 || att[ai].claimed || !att[ai].op->len)
		return;
	if ((old & ~mask) == (new & ~mask) && new - old == att[ai].op->len)
		claim(ai, old);
}

static bool in_data(const void *p)
{
	return (const unsigned char *)p >= data &&
	       (const unsigned char *)p < data + sc->n * sc->size;
}

static void fill(int ai, void *dst, size_t len)
{
	struct att *a = &att[ai];
	size_t i;

	if (!a->claimed || dst != a->slot || len != a->op->len)
		fail("message %d copied to %p, which is not the slot it claimed (%p)",
		     ai, dst, a->slot);
	for (i = 0; i < len; i++) {
		struct shadow *s = &shadow[(unsigned char *)dst - data + i];

		if (s->att != ai || s->state != CLAIMED)
			fail("message %d fills a byte that is no longer its own", ai);
		s->state = FILLED;
	}
	a->filled = true;
}

void *model_memcpy(void *dst, const void *src, size_t len)
{
	int ai;

	if (phase == IDLE)
		return memcpy(dst, src, len);
	if (in_data(dst)) {
		/* A writer's copy: src is one of the messages. */
		cur_field = "the slot (copy)";
		model_point();
		for (ai = 0; ai < natt; ai++)
			if (src == att[ai].src)
				break;
		if (ai == natt) {
			fail("a write into the buffer from outside the messages");
			return dst;
		}
		fill(ai, dst, len);
		return memcpy(dst, src, len);
	}
	if (in_data(src)) {
		size_t o = (const unsigned char *)src - data;

		if (len > MAXDATA || o + len > sc->n * sc->size) {
			fail("a reader copies %zu bytes from offset %zu, past the buffer's %zu",
			     len, o, sc->n * sc->size);
			return dst;
		}
		/*
		 * A reader's copy, which a writer may interleave with: read()
		 * holds nothing while it copies, and must then find out
		 * (relayx_read_intact()) and not return the copy; an mmap
		 * consumer holds the sub-buffer, which must not change.
		 */
		memcpy(rsnap, &shadow[o], len * sizeof(*rsnap));
		rsnap_len = len;
		memcpy(dst, src, len);
		cur_field = "the reader's copy";
		model_point();
		rtorn = memcmp(rsnap, &shadow[o], len * sizeof(*rsnap)) != 0;
		if (rtorn && mm_held < 0 && !reading)
			fail("the writer changed bytes the reader was copying (offset %zu)",
			     o);
		return dst;
	}
	return memcpy(dst, src, len);
}

/* What a reader got from sub-buffer @seq: whole bytes of that lap. */
static void check_got(size_t seq, bool consumed)
{
	size_t i;

	for (i = 0; i < rsnap_len; i++) {
		struct shadow *s = &rsnap[i];

		if (s->state == CLAIMED)
			fail("the reader got a byte of message %d, still being filled",
			     s->att);
		else if (s->state != FILLED)
			fail("the reader got a byte no writer wrote (sub-buffer %zu, byte %zu)",
			     seq, i);
		else if (s->lap != (int)seq)
			fail("the reader got a byte of sub-buffer %d as sub-buffer %zu's",
			     s->lap, seq);
		if (!consumed || s->att < 0)
			continue;
		if (!(last_att == s->att && s->idx == last_idx + 1) &&
		    !(s->idx == 0 && (last_att < 0 ||
				      att[s->att].order > att[last_att].order)))
			fail("the reader got byte %u of message %d after byte %d of message %d",
			     s->idx, s->att, last_idx, last_att);
		last_att = s->att;
		last_idx = s->idx;
		att[s->att].recv++;
	}
}

int model_subbuf_start(struct relayx_buf *b, void *subbuf, void *prev,
		       size_t prev_padding)
{
	size_t lap = phase == IDLE ? 0 : b->entered + 1, i;
	size_t o = (unsigned char *)subbuf - data;
	int accept;

	accept = sc->overwrite ? 1 : !mc_buf_full(b);
	if (!accept)
		return 0;
	if (phase != IDLE) {
		if (mm_held >= 0 && lap >= sc->n && (size_t)mm_held == lap - sc->n)
			fail("the writer entered sub-buffer %zu over %ld, which a reader holds",
			     lap, mm_held);
		for (i = 0; i < sc->size; i++)
			if (shadow[o + i].state == CLAIMED)
				fail("sub-buffer %zu entered while message %d is written in %d",
				     lap, shadow[o + i].att, shadow[o + i].lap);
	}
	if (sc->hdr) {
		mc_subbuf_start_reserve(b, sc->hdr);
		for (i = 0; i < sc->hdr; i++)
			shadow[o + i] = (struct shadow){ -2, i, lap, FILLED };
	}
	return 1;
}

/* --- the actors -------------------------------------------------------- */

static int new_att(const struct wop *op, enum level l)
{
	struct att *a = &att[natt];
	size_t i;

	memset(a, 0, sizeof(*a));
	a->op = op;
	a->level = l;
	for (i = 0; i < op->len && i < MAXMSG; i++)
		a->src[i] = natt * 16 + i;
	return natt++;
}

/* After an outermost operation: whatever it finished is published. */
static void check_published(int ai)
{
	struct att *a = &att[ai];
	long nest = local_read(&buf->nest) & ~RELAYX_NEST_DIRTY;
	size_t entered = buf->entered, produced = buf->subbufs_produced;

	if (nest)
		fail("nest is %ld with no writer inside", nest);
	if (a->op->k == W_RESERVE || a->op->k == W_CLOSE)
		return;
	if (tail_closed()) {
		/*
		 * A switch that was refused leaves the finished sub-buffer
		 * to the next one: readers get all of it through committed
		 * meanwhile. Refused in the outermost writer, it is handed
		 * over (subbuf_start saw it), unless a reader holds the
		 * sub-buffer the writer would enter.
		 */
		if (produced == entered &&
		    off_of(buf->committed) != sc->size - padding[entered % sc->n])
			fail("after a %s, committed %zu in finished sub-buffer %zu of %u",
			     wkind_name[a->op->k], off_of(buf->committed),
			     entered, (unsigned int)(sc->size - padding[entered % sc->n]));
		if (produced != entered + 1 && closer == cdepth && !a->hold_seen)
			fail("after a %s, finished sub-buffer %zu unpublished (produced %zu)",
			     wkind_name[a->op->k], entered, produced);
	} else if (produced != entered ||
		   off_of(buf->committed) != off_of(buf->tail)) {
		fail("after a %s, unpublished data: sub-buffer %zu of %zu, %zu of %zu",
		     wkind_name[a->op->k], produced, entered,
		     off_of(buf->committed), off_of(buf->tail));
	}
}

static void do_op(struct ctx *c, const struct wop *op)
{
	int ai = new_att(op, c->level);
	struct att *a = &att[ai];
	void *slot = NULL;

	c->att = ai;
	c->in_op = true;
	a->excused = c->excused;
	switch (op->k) {
	case W_WRITE:
		mc_write(chan, a->src, op->len);
		break;
	case W_BEGIN:
		slot = mc_write_begin(chan, op->len);
		if (slot) {
			model_memcpy(slot, a->src, op->len);
			mc_write_end(chan);
		}
		break;
	case W_RESERVE:
		slot = mc_reserve(chan, op->len);
		break;
	case W_FLUSH:
		mc_flush(buf);
		break;
	case W_CLOSE:
		closed = true;
		mc_close(buf);
		break;
	case W_END:
		break;
	}
	if ((op->k == W_BEGIN || op->k == W_RESERVE) &&
	    !!slot != a->claimed)
		fail("%s returned %p, but its claim %s", wkind_name[op->k],
		     slot, a->claimed ? "succeeded" : "failed");
	if (slot && slot != a->slot)
		fail("%s returned %p, not the slot it claimed (%p)",
		     wkind_name[op->k], slot, a->slot);
	if (op->len && !a->claimed && !a->excused && op->len + sc->hdr <= sc->size)
		fail("message %d (%s %zu, %s) was dropped with no cause",
		     ai, wkind_name[op->k], op->len, level_name[c->level]);
	if (a->claimed)
		logev("%s %s %zu: sub-buffer %zu, offset %zu", level_name[c->level],
		      wkind_name[op->k], op->len, a->lap, a->off);
	else
		logev("%s %s %zu: %s (tail %#lx, entered %zu, produced %zu)",
		      level_name[c->level], wkind_name[op->k], op->len,
		      op->len ? "dropped" : "done", buf->tail, buf->entered,
		      buf->subbufs_produced);
	a->returned = true;
	c->att = -1;
	c->in_op = false;
	if (!any_outer_in_op(cdepth))
		check_published(ai);
	if (slot && op->k == W_RESERVE) {
		/*
		 * The client fills the slot with interrupts off, as the API
		 * asks; nothing nests meanwhile, the other CPU may run.
		 */
		bool irqs = c->irqs_off;

		c->irqs_off = true;
		c->no_nmi = true;
		model_memcpy(slot, a->src, op->len);
		c->irqs_off = irqs;
		c->no_nmi = false;
	}
}

static void run_nested(int w)
{
	struct ctx *c;
	int d;

	nested_started[w] = true;
	c = &ctxs[++cdepth];
	c->level = sc->nested[w].level;
	c->irqs_off = c->level >= HARDIRQ;
	c->no_nmi = false;
	c->in_op = false;
	c->att = -1;
	c->excused = false;
	if (c->level == NMI) {
		/*
		 * An NMI in a switch (interrupts off) drops its message; the
		 * writer it interrupted may then find the new sub-buffer
		 * filled by it.
		 */
		for (d = 0; d < cdepth; d++)
			if (ctxs[d].irqs_off && ctxs[d].in_op) {
				c->excused = true;
				if (ctxs[d].att >= 0)
					att[ctxs[d].att].excused = true;
			}
	}
	do_op(c, &sc->nested[w].op);
	cdepth--;
}

static void cpu0(void)
{
	int i;

	ctxs[0] = (struct ctx){ .level = TASK, .att = -1 };
	for (i = 0; sc->task[i].k; i++) {
		if (i) {
			cur_field = "(between operations)";
			model_point();
		}
		do_op(&ctxs[0], &sc->task[i]);
	}
	cpu_done[0] = true;
	if (!cpu_done[1]) {
		cur_cpu = 1;
		swapcontext(&uc_cpu[0], &uc_cpu[1]);
	}
	setcontext(&uc_main);
}

static unsigned char rbuf[MAXDATA];

static void reader_op(enum rkind k)
{
	size_t seq = 0, off, len;
	bool taken;
	long got;

	switch (k) {
	case R_READ:
		rsnap_len = 0;
		rtorn = false;
		reading = true;
		got = mc_read(buf, rbuf, sizeof(rbuf), &taken, &seq);
		reading = false;
		if (got > 0) {
			if ((size_t)got != rsnap_len)
				fail("read() returned %ld bytes but copied %zu",
				     got, rsnap_len);
			/* A copy read() does not take goes nowhere. */
			if (taken && rtorn)
				fail("read() took a copy a writer changed (sub-buffer %zu)",
				     seq);
			if (taken)
				check_got(seq, true);
		}
		break;
	case R_GET:
		if (mc_get(buf, &seq, &off, &len))
			break;
		if (off + len > sc->n * sc->size || len > sc->size) {
			fail("GET_SUBBUF gave %zu bytes at %zu", len, off);
			break;
		}
		rsnap_len = 0;
		mm_held = seq;
		model_memcpy(rbuf, data + off, len);
		check_got(seq, false);
		cur_field = "(the consumer holds a sub-buffer)";
		model_point();
		if (memcmp(rsnap, &shadow[off], len * sizeof(*rsnap)))
			fail("sub-buffer %zu changed while a reader held it", seq);
		mm_held = -1;
		if (mc_put(buf, seq))
			fail("PUT_SUBBUF of the held sub-buffer %zu failed", seq);
		/* Consumed: now it is part of the stream. */
		check_got(seq, true);
		break;
	case R_POLL:
		/* relay_file.c's test: only its reads matter here. */
		mc_poll(buf);
		break;
	case R_END:
		break;
	}
}

static void cpu1(void)
{
	int i;

	for (i = 0; sc->reader[i]; i++)
		reader_op(sc->reader[i]);
	cpu_done[1] = true;
	if (!cpu_done[0]) {
		cur_cpu = 0;
		swapcontext(&uc_cpu[1], &uc_cpu[0]);
	}
	setcontext(&uc_main);
}

static void setup(void)
{
	size_t bytes = sc->n * sc->size;

	phase = IDLE;
	memset(chan, 0, sizeof(*chan));
	memset(buf, 0, sizeof(*buf));
	memset(data, 0, bytes);
	memset(padding, 0, sc->n * sizeof(*padding));
	memset(shadow, 0, sizeof(shadow));
	for (size_t i = 0; i < bytes; i++)
		shadow[i].att = -1;
	cbs.subbuf_start = model_subbuf_start;
	chan->subbuf_size = sc->size;
	chan->n_subbufs = sc->n;
	chan->alloc_size = bytes;
	chan->cb = &cbs;
	bufp = buf;
	chan->buf = (struct relayx_buf * __percpu *)&bufp;
	buf->chan = chan;
	buf->vaddr = data;
	buf->padding = padding;
	/* The state relay_chan.c's relayx_buf_reset() leaves. */
	buf->data = data;
	cbs.subbuf_start(buf, buf->data, NULL, 0);
	buf->base = (unsigned long)buf->data;
	buf->limit = sc->size;
	buf->tail = buf->hdr;
	buf->committed = buf->hdr;

	natt = 0;
	claims = 0;
	cdepth = 0;
	memset(nested_started, 0, sizeof(nested_started));
	closed = false;
	closer = -1;
	last_att = -1;
	last_idx = 0;
	mm_held = -1;
	last_produced = 0;
	last_committed = 0;
	depth = 0;
	points = 0;
	preempts = 0;
	nlog = 0;
	violation[0] = 0;
	cpu_done[0] = false;
	cpu_done[1] = false;
}

/* With no writer left: close, read everything, check the whole stream. */
static void final_checks(void)
{
	struct relayx_buf_tally *t = &buf->stats;
	long msgs = 0, bytes = 0, drops = 0, dbytes = 0;
	size_t entered, produced, s, n = sc->n;
	bool written;
	int i, rounds;

	phase = DRAIN;
	cur_cpu = 0;
	cdepth = 0;
	ctxs[0] = (struct ctx){ .level = TASK, .att = -1 };
	if (!closed) {
		static const struct wop close_op = { W_CLOSE, 0 };

		do_op(&ctxs[0], &close_op);
	}
	if (violation[0])
		return;
	entered = buf->entered;
	/*
	 * Close publishes every sub-buffer with data; the last one entered,
	 * if nothing was written in it, may stay out.
	 */
	for (i = 0; i < natt; i++)
		if (att[i].claimed && att[i].lap == entered)
			break;
	produced = buf->subbufs_produced;
	written = i < natt;
	if (produced != buf->handed || produced > entered + 1 ||
	    produced < entered + written)
		fail("after close, produced %zu and handed %zu; entered %zu",
		     produced, buf->handed, entered);
	/* Padding: what the last claim of each sub-buffer left. */
	for (s = entered + 1 > n ? entered + 1 - n : 0; s < produced; s++) {
		size_t end = sc->hdr;

		for (i = 0; i < natt; i++)
			if (att[i].claimed && att[i].lap == s &&
			    att[i].off + att[i].op->len > end)
				end = att[i].off + att[i].op->len;
		if (padding[s % n] != sc->size - end)
			fail("sub-buffer %zu ends at %zu, but its padding is %u",
			     s, end, padding[s % n]);
	}
	cur_cpu = 1;
	for (rounds = 0; rounds < 4 * (int)n + 4; rounds++)
		reader_op(R_READ);
	if (!mc_done(buf))
		fail("a closed buffer still has data after everything was read");
	if (mc_poll(buf))
		fail("poll() reports data after everything was read");
	for (i = 0; i < natt; i++) {
		struct att *a = &att[i];
		size_t len = a->op->len;

		if (!len)
			continue;
		if (!a->claimed) {
			drops++;
			dbytes += len;
			continue;
		}
		msgs++;
		bytes += len;
		if (!a->filled)
			fail("message %d was claimed but never filled", i);
		if (a->recv == len)
			continue;
		if (sc->overwrite && entered >= a->lap + n)
			continue;
		fail("message %d (%s %zu, sub-buffer %zu): %zu of %zu bytes read",
		     i, wkind_name[a->op->k], len, a->lap, a->recv, len);
	}
	if (local64_read(&t->msgs) != msgs || local64_read(&t->bytes) != bytes)
		fail("counted %lld messages of %lld bytes, %ld of %ld were written",
		     (long long)local64_read(&t->msgs),
		     (long long)local64_read(&t->bytes), msgs, bytes);
	if (local64_read(&t->full) + local64_read(&t->big) != drops ||
	    local64_read(&t->bytes_full) + local64_read(&t->bytes_big) != dbytes)
		fail("counted %lld + %lld drops, %ld messages were dropped",
		     (long long)local64_read(&t->full),
		     (long long)local64_read(&t->big), drops);
}

static void run_one(void)
{
	setup();
	getcontext(&uc_cpu[0]);
	uc_cpu[0].uc_stack.ss_sp = stacks[0];
	uc_cpu[0].uc_stack.ss_size = STACK;
	uc_cpu[0].uc_link = NULL;
	makecontext(&uc_cpu[0], cpu0, 0);
	getcontext(&uc_cpu[1]);
	uc_cpu[1].uc_stack.ss_sp = stacks[1];
	uc_cpu[1].uc_stack.ss_size = STACK;
	uc_cpu[1].uc_link = NULL;
	makecontext(&uc_cpu[1], cpu1, 0);
	if (!sc->reader[0])
		cpu_done[1] = true;
	cur_cpu = 0;
	phase = RUN;
	in_coroutine = true;
	swapcontext(&uc_main, &uc_cpu[0]);
	in_coroutine = false;
	if (violation[0])
		return;
	final_checks();
	phase = IDLE;
}

static void report(long runs)
{
	int i;

	printf("model: %s: VIOLATION in interleaving %ld: %s\n", sc->name, runs,
	       violation);
	printf("  decisions (choice point: option/options):");
	for (i = 0; i < depth; i++)
		if (trail[i].pick)
			printf(" %d:%d/%d", i, trail[i].pick, trail[i].n);
	printf("\n");
	for (i = 0; i < nlog; i++)
		printf("  %s\n", evlog[i]);
}

/*
 * Depth first over the decisions: returns the violations found. Stops at
 * the first, or with --all goes on and reports the first run of each
 * kind.
 */
static int explore(const struct scenario *s)
{
	const char *seen[16];
	long runs = 0;
	int i, nseen = 0, bad = 0;

	sc = s;
	plen = 0;
	for (;;) {
		run_one();
		runs++;
		if (violation[0]) {
			for (i = 0; i < nseen; i++)
				if (seen[i] == violation_kind)
					break;
			bad++;
			if (i == nseen) {
				report(runs);
				if (nseen < 16)
					seen[nseen++] = violation_kind;
			}
			if (!keep_going)
				break;
		}
		for (i = depth - 1; i >= 0; i--)
			if (trail[i].pick + 1 < trail[i].n)
				break;
		if (i < 0)
			break;
		trail[i].pick++;
		plen = i + 1;
	}
	printf("model: %s: %ld interleavings, %d violations\n", sc->name, runs,
	       bad);
	fflush(stdout);
	return bad;
}

#define W(l)		{ W_WRITE, l }
#define BEGIN(l)	{ W_BEGIN, l }
#define RESERVE(l)	{ W_RESERVE, l }
#define FLUSH		{ W_FLUSH, 0 }
#define CLOSE		{ W_CLOSE, 0 }
#define IRQ(op)		{ HARDIRQ, op }
#define SOFT(op)	{ SOFTIRQ, op }
#define NMI_(op)	{ NMI, op }

static const struct scenario scenarios[] = {
	{ "1 sub-buffer, overwrite, write; irq and NMI writes",
	  64, 1, true, 0, { W(40), W(40), W(20) },
	  { IRQ(W(40)), NMI_(W(20)) }, { 0 }, 0, 0, false },
	{ "1 sub-buffer, no-overwrite, write; reader read()",
	  64, 1, false, 0, { W(40), W(40), W(40) },
	  { { 0 } }, { R_READ, R_READ, R_READ }, 2, 3, false },
	{ "1 sub-buffer, overwrite, write_begin; reader GET/PUT",
	  64, 1, true, 0, { W(60), BEGIN(10) },
	  { { 0 } }, { R_GET, R_POLL, R_GET }, 2, 3, false },
	{ "2 sub-buffers, overwrite, write; irq and NMI writes",
	  64, 2, true, 0, { W(40), W(40) },
	  { IRQ(W(40)), NMI_(W(30)) }, { 0 }, 0, 0, false },
	{ "4 sub-buffers of 256, reserve and a later write; NMI write",
	  256, 4, true, 0, { W(100), RESERVE(100), W(10) },
	  { NMI_(W(80)) }, { 0 }, 0, 0, false },
	{ "4 sub-buffers of 256, reserve; NMI write; reader read()",
	  256, 4, true, 0, { W(100), RESERVE(100), W(10) },
	  { NMI_(W(80)) }, { R_READ, R_READ }, 1, 2, false },
	{ "4 sub-buffers of 256, reserve; NMI write after it; reader read()",
	  256, 4, true, 0, { W(100), RESERVE(100), W(10) },
	  { NMI_(W(40)) }, { R_READ, R_READ }, 1, 2, false },
	{ "1 sub-buffer, overwrite, reserve and a later write; NMI; reader read()",
	  64, 1, true, 0, { W(30), RESERVE(20), W(10) },
	  { NMI_(W(30)) }, { R_READ, R_READ }, 2, 3, false },
	{ "2 sub-buffers of 80, no-overwrite, reserves that switch; irq, NMI",
	  80, 2, false, 0, { W(50), RESERVE(30), RESERVE(20), W(10) },
	  { IRQ(W(20)), NMI_(RESERVE(20)) }, { 0 }, 0, 0, false },
	{ "2 sub-buffers, overwrite, write_begin/end; softirq, irq, NMI",
	  64, 2, true, 0, { BEGIN(40), W(30) },
	  { SOFT(W(30)), IRQ(BEGIN(20)), NMI_(W(20)) }, { 0 }, 0, 0, false },
	{ "2 sub-buffers, no-overwrite, write and flush; irq; reader GET/PUT",
	  100, 2, false, 0, { W(50), FLUSH, W(60) },
	  { IRQ(W(30)) }, { R_GET, R_GET }, 1, 2, false },
	{ "4 sub-buffers, overwrite, header of 8, write; NMI; reader read()",
	  64, 4, true, 8, { W(30), W(30), W(30) },
	  { NMI_(W(20)) }, { R_READ, R_READ }, 1, 2, false },
	{ "4 sub-buffers, overwrite, write; irq, NMI; reader GET/PUT",
	  64, 4, true, 0, { W(40), W(40) },
	  { IRQ(W(30)), NMI_(W(30)) }, { R_GET, R_GET }, 1, 1, true },
	{ "2 sub-buffers of 48, overwrite, write and flush; NMI; reader read()",
	  48, 2, true, 0, { W(20), FLUSH, W(30), FLUSH },
	  { NMI_(W(20)) }, { R_READ, R_POLL, R_READ }, 1, 2, false },
	{ "2 sub-buffers, overwrite, write; NMI; reader GET/PUT holds",
	  64, 2, true, 0, { W(40), W(40), W(40) },
	  { NMI_(W(30)) }, { R_GET, R_GET }, 1, 2, false },
	{ "2 sub-buffers, no-overwrite, write and close; irq; reader read()",
	  48, 2, false, 0, { W(20), W(20), CLOSE },
	  { IRQ(W(20)) }, { R_READ, R_GET }, 1, 2, false },
};

int main(int argc, char **argv)
{
	int i, bad = 0, plan = 0;
	const char *only = NULL;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--full"))
			full_bound = true;
		else if (!strcmp(argv[i], "--all"))
			keep_going = true;
		else
			only = argv[i];
	}
	fields_init();
	stacks[0] = malloc(STACK);
	stacks[1] = malloc(STACK);
	chan = calloc(1, sizeof(*chan) + sizeof(long));
	buf = aligned_alloc(64, (sizeof(*buf) + 63) & ~63UL);
	data = malloc(MAXDATA);
	padding = calloc(8, sizeof(*padding));
	for (i = 0; i < (int)ARRAY_SIZE(scenarios); i++)
		if ((!only || strstr(scenarios[i].name, only)) &&
		    (full_bound || !scenarios[i].full_only))
			plan++;
	printf("model: plan %d scenarios\n", plan);
	for (i = 0; i < (int)ARRAY_SIZE(scenarios); i++) {
		if ((only && !strstr(scenarios[i].name, only)) ||
		    (!full_bound && scenarios[i].full_only))
			continue;
		if (scenarios[i].n * scenarios[i].size > MAXDATA) {
			printf("model: %s: VIOLATION: buffer above the model's %d bytes\n",
			       scenarios[i].name, MAXDATA);
			bad++;
			continue;
		}
		bad += explore(&scenarios[i]);
	}
	return bad ? 1 : 0;
}
