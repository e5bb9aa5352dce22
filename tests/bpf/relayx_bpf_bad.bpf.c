// SPDX-License-Identifier: GPL-2.0
/*
 * Programs the verifier must refuse: each passes relayx_bpf_output() a
 * size its buffer does not have. The loader expects the refusal.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "relayx_bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* A 16-byte buffer handed over as 32 bytes: past the end of the stack slot. */
SEC("syscall")
int oob_stack(void *ctx)
{
	char buf[16];

	__builtin_memset(buf, 1, sizeof(buf));
	return relayx_bpf_output(1, buf, 32, 0);
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[2]);
} val SEC(".maps");

/* A size read from the map: unbounded, so not provably inside the value. */
SEC("syscall")
int oob_unbounded(void *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&val, &k);

	if (!v)
		return 0;
	return relayx_bpf_output(1, v, (__u32)v[0], 0);
}

/* A map value used after a NULL check was skipped. */
SEC("syscall")
int null_value(void *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&val, &k);

	return relayx_bpf_output(1, v, 16, 0);
}
