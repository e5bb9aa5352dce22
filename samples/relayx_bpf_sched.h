/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Record of samples/relayx_bpf_sched.bpf.c, one per context switch,
 * shared with its loader, which also prints and checks them.
 */
#ifndef _RELAYX_BPF_SCHED_H
#define _RELAYX_BPF_SCHED_H

#define RELAYX_BPF_SCHED_MAGIC 0x52585357	/* "RXSW" */

struct relayx_bpf_switch {
	__u32 magic;
	__u32 cpu;
	__u64 time_ns;		/* bpf_ktime_get_ns() */
	__u32 prev_pid;
	__u32 next_pid;
	__u32 prev_state;	/* the state prev leaves in, 0: runnable */
	__u32 pad;
	char prev_comm[16];
	char next_comm[16];
};

#endif /* _RELAYX_BPF_SCHED_H */
