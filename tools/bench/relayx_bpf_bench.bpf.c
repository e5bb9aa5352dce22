// SPDX-License-Identifier: GPL-2.0
/*
 * Programs of the BPF benchmark (tools/bench/relayx_bpf_bench.c): each
 * runs at the entry of getppid() of one process and writes one record of
 * a fixed size through one output path: relayx_bpf_output() into a relayx
 * channel, bpf_ringbuf_output(), bpf_ringbuf_reserve() + a copy +
 * bpf_ringbuf_submit(), or bpf_perf_event_output(). "base" does the same
 * filtering and source lookup and writes nothing: its cost is subtracted
 * from the others', so that what remains is the output path alone.
 *
 * The sizes are compile-time constants (one program per path and size),
 * as a tracer's record types are, so that the reserve path can copy with
 * inline stores the way such a program fills its slot.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "relayx_bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define BENCH_MAX 4096

/* The process whose getppid() calls are measured; set before loading. */
__u32 bench_pid;

/* The source bytes: a map value, since the stack has only 512 bytes. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[BENCH_MAX]);
} src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pb SEC(".maps");

/* Failed outputs per path: [0] relayx, [1] ringbuf output, [2] reserve, [3] perf. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} fails SEC(".maps");

/* The part every program shares: the pid filter and the source lookup. */
static __always_inline char *source(void)
{
	__u32 k = 0;

	if ((bpf_get_current_pid_tgid() >> 32) != bench_pid)
		return NULL;
	return bpf_map_lookup_elem(&src, &k);
}

static __always_inline void failed(__u32 path)
{
	__u64 *v = bpf_map_lookup_elem(&fails, &path);

	if (v)
		(*v)++;
}

SEC("fentry/__do_sys_getppid")
int BPF_PROG(base)
{
	char *d = source();

	if (d)
		asm volatile("" : : "r"(d) : "memory");
	return 0;
}

/*
 * Inline 8-byte loads and stores in 128-byte steps (clang expands a
 * memcpy that size). The pointers are typed __u64 so that clang knows
 * both ends are 8-byte aligned (map values and ring buffer records are):
 * through char pointers it copies byte by byte. Inlined with a constant
 * @sz, the loop unrolls and every memcpy has a constant size.
 */
static __always_inline void copy(__u64 *to, const __u64 *from, const int sz)
{
	int i;

#pragma clang loop unroll(full)
	for (i = 0; i < sz / 128; i++)
		__builtin_memcpy(to + i * 16, from + i * 16, 128);
	if (sz % 128)
		__builtin_memcpy(to + sz / 128 * 16, from + sz / 128 * 16, sz % 128);
}

static __always_inline void out_relayx(const int sz)
{
	char *d = source();

	if (d && relayx_bpf_output(1, d, sz, 0))
		failed(0);
}

static __always_inline void out_rb_output(const int sz)
{
	char *d = source();

	if (d && bpf_ringbuf_output(&rb, d, sz, 0))
		failed(1);
}

static __always_inline void out_rb_reserve(const int sz)
{
	char *d = source();
	char *r;

	if (!d)
		return;
	r = bpf_ringbuf_reserve(&rb, sz, 0);
	if (!r) {
		failed(2);
		return;
	}
	copy((__u64 *)r, (const __u64 *)d, sz);
	bpf_ringbuf_submit(r, 0);
}

static __always_inline void out_perf(void *ctx, const int sz)
{
	char *d = source();

	if (d && bpf_perf_event_output(ctx, &pb, BPF_F_CURRENT_CPU, d, sz))
		failed(3);
}

/* The size is named once: each program takes it from the enum. */
#define BENCH(sz)							\
enum { bench_size_##sz = sz };						\
SEC("fentry/__do_sys_getppid")						\
int BPF_PROG(relayx_##sz)						\
{									\
	out_relayx(bench_size_##sz);					\
	return 0;							\
}									\
SEC("fentry/__do_sys_getppid")						\
int BPF_PROG(rb_output_##sz)						\
{									\
	out_rb_output(bench_size_##sz);					\
	return 0;							\
}									\
SEC("fentry/__do_sys_getppid")						\
int BPF_PROG(rb_reserve_##sz)						\
{									\
	out_rb_reserve(bench_size_##sz);				\
	return 0;							\
}									\
SEC("fentry/__do_sys_getppid")						\
int BPF_PROG(perf_##sz)							\
{									\
	out_perf(ctx, bench_size_##sz);					\
	return 0;							\
}

BENCH(16)
BENCH(64)
BENCH(256)
BENCH(1024)
BENCH(4096)
