/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel as relayx's writer and reader protocol see it, in user space,
 * for the interleaving checker (tests/model/). relay_writer.c,
 * relay_consume.c and include/relayx/relayx.h are compiled unchanged
 * against these definitions, with -fsanitize=thread: the compiler puts a
 * call before every load and store, which model.c turns into a choice
 * point (an interrupt, or the other CPU, may run there). The read-modify-
 * write operations below are one choice point each, then run whole: an
 * interrupt cannot split them, as on the CPU. Memory is sequentially
 * consistent here; Documentation/design.rst argues the weak ordering.
 */
#ifndef _MODEL_SHIM_H
#define _MODEL_SHIM_H

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

/* The real header has the device-independent types relayx's uapi needs. */
#include_next <linux/types.h>

/* relayx_kcompat.h is about VFS and mm interfaces the protocol never uses. */
#define _RELAYX_KCOMPAT_H

#define KBUILD_MODNAME		"relayx"
#define BITS_PER_LONG		64
#define BIT(n)			(1UL << (n))
#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef unsigned short umode_t;

#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)
#undef __always_inline
#define __always_inline		inline __attribute__((__always_inline__))
#define __printf(a, b)		__attribute__((__format__(printf, a, b)))
#define __percpu
#define __init
#define __exit
#define ____cacheline_aligned	__attribute__((__aligned__(64)))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define min(a, b)		((a) < (b) ? (a) : (b))
#define min_t(t, a, b)		((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define EXPORT_SYMBOL_GPL(sym)	extern __typeof__(sym) sym

struct page;
struct file;
struct dentry;
struct list_head { struct list_head *next, *prev; };
struct mutex { int unused; };
struct kref { int refcount; };
struct irq_work { int unused; };
struct work_struct { int unused; };
typedef struct { int unused; } wait_queue_head_t;

#define page_address(page)	((void *)(page))
#define offset_in_page(off)	((unsigned long)(off) & (PAGE_SIZE - 1))

/* --- the scheduler's side (tests/model/model.c) --- */
/* A choice point: another writer, or the other CPU, may run here. */
void model_point(void);
/* Nonzero while a shim operation runs whole: no choice point inside. */
extern int model_quiet;
/* A compare and exchange on @p happened; @ok if it stored. */
void model_cmpxchg_seen(void *p, unsigned long old, unsigned long new, bool ok);
unsigned long model_irq_save(void);
void model_irq_restore(unsigned long flags);
/* The reader spins: only the other CPU can make progress. */
void model_spin(void);
void *model_memcpy(void *dst, const void *src, size_t len);
void model_warn(const char *msg);

#define memcpy(d, s, n)		model_memcpy((d), (s), (n))

/* Every access is instrumented: these only keep the compiler honest. */
#define barrier()		__asm__ __volatile__("" ::: "memory")
#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)	(*(volatile __typeof__(x) *)&(x) = (v))
#define data_race(expr)		(expr)
#define smp_mb()		barrier()
#define smp_rmb()		barrier()
#define smp_mb__before_atomic()	barrier()
#define smp_load_acquire(p)	READ_ONCE(*(p))
#define smp_store_release(p, v)	WRITE_ONCE(*(p), (v))
#define cpu_relax()		model_spin()

/*
 * One choice point, then @expr whole: the barriers keep its accesses
 * inside the quiet section, where the instrumentation is no choice point.
 */
#define MODEL_RMW(expr) ({					\
	__typeof__(expr) __model_r;				\
	model_point();						\
	model_quiet++;						\
	barrier();						\
	__model_r = (expr);					\
	barrier();						\
	model_quiet--;						\
	__model_r;						\
})

#define MODEL_CMPXCHG(p, o, n) ({				\
	__typeof__(*(p)) __o = (o), __n = (n), __c;		\
	model_point();						\
	model_quiet++;						\
	barrier();						\
	__c = *(p);						\
	if (__c == __o)						\
		*(p) = __n;					\
	barrier();						\
	model_quiet--;						\
	model_cmpxchg_seen((void *)(p), (unsigned long)__o,	\
			   (unsigned long)__n, __c == __o);	\
	__c;							\
})
#define cmpxchg_local(p, o, n)	MODEL_CMPXCHG(p, o, n)
#define cmpxchg(p, o, n)	MODEL_CMPXCHG(p, o, n)
#define try_cmpxchg(p, po, n) ({				\
	__typeof__(po) __po = (po);				\
	__typeof__(*(p)) __old = *__po;				\
	__typeof__(*(p)) __seen = MODEL_CMPXCHG(p, __old, n);	\
	if (__seen != __old)					\
		*__po = __seen;					\
	__seen == __old;					\
})

typedef struct { long a; } local_t;
typedef struct { s64 a; } local64_t;
typedef struct { long counter; } atomic_long_t;

#define local_read(l)		READ_ONCE((l)->a)
#define local_set(l, v)		WRITE_ONCE((l)->a, (v))
#define local_add(v, l)		((void)MODEL_RMW((l)->a += (v)))
#define local_sub(v, l)		((void)MODEL_RMW((l)->a -= (v)))
#define local_inc(l)		local_add(1, l)
#define local_dec(l)		local_sub(1, l)
#define local_cmpxchg(l, o, n)	MODEL_CMPXCHG(&(l)->a, o, n)
#define local64_read(l)		READ_ONCE((l)->a)
#define local64_set(l, v)	WRITE_ONCE((l)->a, (v))
#define local64_add(v, l)	((void)MODEL_RMW((l)->a += (v)))
#define local64_inc(l)		local64_add(1, l)

#define atomic_long_read(v)	READ_ONCE((v)->counter)
#define atomic_long_set(v, i)	WRITE_ONCE((v)->counter, (i))
#define atomic_long_fetch_or(i, v) MODEL_RMW(({			\
	long __f = (v)->counter; (v)->counter = __f | (i); __f; }))
#define atomic_long_fetch_andnot(i, v) MODEL_RMW(({		\
	long __f = (v)->counter; (v)->counter = __f & ~(i); __f; }))
#define atomic_long_andnot(i, v) ((void)atomic_long_fetch_andnot(i, v))
#define atomic_long_try_cmpxchg(v, po, n) try_cmpxchg(&(v)->counter, po, n)

/* Interrupt state is the model's: it decides what may nest. */
#define local_irq_save(flags)	((flags) = model_irq_save())
#define local_irq_restore(flags) model_irq_restore(flags)
#define preempt_disable()	barrier()
#define preempt_enable()	barrier()
#define this_cpu_read(x)	(x)
#define per_cpu_ptr(p, cpu)	(p)
#define nr_cpu_ids		1U

#define lockdep_assert_held(l)			do { } while (0)
#define lockdep_assert_preemption_disabled()	do { } while (0)
/* One reader actor at a time: the mutexes are never contended. */
#define mutex_lock(m)		do { } while (0)
#define mutex_unlock(m)		do { } while (0)

/* Nobody sleeps in poll in the model; the wakeup is not modelled. */
#define wq_has_sleeper(wq)	({ smp_mb(); false; })
#define irq_work_queue(w)	true

#define pr_warn_once(fmt, ...)	model_warn(fmt)

#endif /* _MODEL_SHIM_H */
