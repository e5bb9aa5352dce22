/* SPDX-License-Identifier: GPL-2.0 */
/* The kfunc relayx.ko gives BPF programs (Documentation/api.rst, "BPF"). */
#ifndef _RELAYX_BPF_H
#define _RELAYX_BPF_H

/*
 * Copy @data__sz bytes at @data into the current CPU's buffer of the
 * channel published under @id. Returns 0, -ENOENT (nothing published
 * under @id), -EINVAL (@flags is not 0) or -ENOSPC (the channel dropped
 * the record and counted it).
 */
int relayx_bpf_output(__u32 id, void *data, __u32 data__sz,
		      __u64 flags) __ksym;

#endif /* _RELAYX_BPF_H */
