// SPDX-License-Identifier: GPL-2.0
/*
 * A BPF tracer writing into a relayx channel: at every context switch
 * (tp_btf/sched_switch) one struct relayx_bpf_switch into the channel
 * published under the number in chan_id (samples/relayx_bpf_chan.ko
 * publishes its channel "a" under 1). relayx-collect collects the channel's files;
 * samples/relayx_bpf_sample.c loads this program and prints or checks
 * what was collected.
 *
 * The two fields of task_struct it reads are declared here with
 * preserve_access_index: libbpf finds them in the running kernel's BTF
 * at load, so no vmlinux.h is needed.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "relayx_bpf.h"
#include "relayx_bpf_sched.h"

char LICENSE[] SEC("license") = "GPL";

struct task_struct {
	int pid;
	char comm[16];
} __attribute__((preserve_access_index));

/*
 * The channel's number, which the loader writes before it attaches. A
 * map rather than a global variable: libbpf probes for global data with
 * a socket filter program, which a kernel without CONFIG_NET refuses.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} chan_id SEC(".maps");

/* Per CPU: [0] records written, [1] dropped by the channel, [2] refused. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	struct relayx_bpf_switch rec = {
		.magic = RELAYX_BPF_SCHED_MAGIC,
		.cpu = bpf_get_smp_processor_id(),
		.time_ns = bpf_ktime_get_ns(),
		.prev_pid = prev->pid,
		.next_pid = next->pid,
		.prev_state = prev_state,
	};
	__u32 k = 0, *id = bpf_map_lookup_elem(&chan_id, &k);
	__u64 *n;
	int ret;

	if (!id)
		return 0;

	bpf_probe_read_kernel_str(rec.prev_comm, sizeof(rec.prev_comm), prev->comm);
	bpf_probe_read_kernel_str(rec.next_comm, sizeof(rec.next_comm), next->comm);
	ret = relayx_bpf_output(*id, &rec, sizeof(rec), 0);
	/* -ENOSPC: the channel was full and counted the drop too. */
	k = ret == 0 ? 0 : ret == -28 ? 1 : 2;
	n = bpf_map_lookup_elem(&counts, &k);
	if (n)
		(*n)++;
	return 0;
}
