// SPDX-License-Identifier: GPL-2.0
/*
 * BPF programs of the tests: numbered records (samples/relayx_sample.h)
 * into the channels of samples/relayx_bpf_chan.ko through
 * relayx_bpf_output(). on_getppid, at the entry of getppid(), writes
 * into channel "a"; on_switch, at every sched_switch, into channel "b".
 * (Syscall programs need BPF_PROG_TEST_RUN, which 6.1 builds only with
 * CONFIG_NET; the debug kernel has none.) Each has its own per-CPU sequence, so
 * a CPU's records of one channel come from one context at a time and
 * arrive in order.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "relayx_sample.h"
#include "relayx_bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Outcomes per channel and CPU: [0] written, [1] -ENOENT, [2] -ENOSPC, [3] other. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Per-CPU sequence numbers handed out: [0] channel a, [1] channel b. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} seqs SEC(".maps");

static __always_inline void count(__u32 chan, int ret)
{
	__u32 k = chan * 4 + (ret == 0 ? 0 : ret == -2 ? 1 : ret == -28 ? 2 : 3);
	__u64 *v = bpf_map_lookup_elem(&stats, &k);

	if (v)
		(*v)++;
}

/* One record into the channel published under @id, numbered by seqs[@chan]. */
static __always_inline int write_one(__u32 chan, __u32 id)
{
	struct relayx_sample_record rec;
	__u64 *seq = bpf_map_lookup_elem(&seqs, &chan);
	int ret;

	if (!seq)
		return -1;
	rec.magic = RELAYX_SAMPLE_MAGIC;
	rec.cpu = bpf_get_smp_processor_id();
	rec.seq = *seq;
	relayx_sample_fill(&rec);
	ret = relayx_bpf_output(id, &rec, sizeof(rec), 0);
	/*
	 * A record the channel dropped counts as handed out: relayx counts
	 * it too. One refused before it reached a channel does not.
	 */
	if (ret == 0 || ret == -28)
		(*seq)++;
	count(chan, ret);
	return ret;
}

/* fentry: every getppid() the loader's pinned children make. */
SEC("fentry/__do_sys_getppid")
int BPF_PROG(on_getppid)
{
	write_one(0, 1);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch)
{
	write_one(1, 2);
	return 0;
}
