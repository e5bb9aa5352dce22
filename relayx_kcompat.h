/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels relayx builds on (6.1 to 6.12), and
 * nowhere else: the protocol and file code use these names only.
 */
#ifndef _RELAYX_KCOMPAT_H
#define _RELAYX_KCOMPAT_H

#include <linux/bpf.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/splice.h>
#include <linux/version.h>

/*
 * The largest order the page allocator hands out. MAX_ORDER was one past
 * it until 6.4, then became it, and was renamed MAX_PAGE_ORDER in 6.8.
 */
#if KERNEL_VERSION(6, 8, 0) <= LINUX_VERSION_CODE
#define RELAYX_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#elif KERNEL_VERSION(6, 4, 0) <= LINUX_VERSION_CODE
#define RELAYX_MAX_PAGE_ORDER	MAX_ORDER
#else
#define RELAYX_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

/*
 * Set and clear flags of a VMA being mapped. Since 6.3 vm_flags is
 * read-only outside the helpers, which also check the mmap lock.
 */
static inline void relayx_vm_flags_mod(struct vm_area_struct *vma,
				       vm_flags_t set, vm_flags_t clear)
{
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
	vm_flags_mod(vma, set, clear);
#else
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#endif
}

/*
 * splice_read for a file that has only read_iter: the data is copied into
 * pages the pipe owns. 6.5 replaced generic_file_splice_read(), which
 * read through a pipe iterator, with copy_splice_read().
 */
#if KERNEL_VERSION(6, 5, 0) <= LINUX_VERSION_CODE
#define relayx_splice_read_copy	copy_splice_read
#else
#define relayx_splice_read_copy	generic_file_splice_read
#endif

/*
 * May the caller open @filp's inode with @mask (MAY_READ...), seen
 * through the mount @filp was reached by? Since 6.3 the mount's ID
 * mapping is a struct mnt_idmap, before it was its user namespace.
 */
static inline int relayx_file_permission(struct file *filp, int mask)
{
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
	return inode_permission(file_mnt_idmap(filp), file_inode(filp), mask);
#else
	return inode_permission(file_mnt_user_ns(filp), file_inode(filp), mask);
#endif
}

/*
 * The kfunc ID set: since 6.9 it must be flagged as kfuncs
 * (BTF_KFUNCS_START), before there was only the plain 8-byte set.
 */
#ifdef BTF_KFUNCS_START
#define RELAYX_KFUNCS_START	BTF_KFUNCS_START
#define RELAYX_KFUNCS_END	BTF_KFUNCS_END
#else
#define RELAYX_KFUNCS_START	BTF_SET8_START
#define RELAYX_KFUNCS_END	BTF_SET8_END
#endif

/*
 * A kfunc must stay a real function with its BTF: 6.5 named that
 * __bpf_kfunc (noinline, and kept); relay_bpf.c adds noinline for 6.1.
 */
#ifndef __bpf_kfunc
#define __bpf_kfunc	__used
#endif

/*
 * The program types whose kfunc hooks take a module's kfuncs
 * (bpf_prog_type_to_kfunc_hook() of kernel/bpf/btf.c), BPF_PROG_TYPE_UNSPEC
 * past the last. 6.1 has XDP, TC, struct_ops, tracing (fentry, fexit,
 * tp_btf; LSM shares its hook) and syscall programs; 6.12 (checked there;
 * the hooks came in between) adds kprobes, and puts classic tracepoint
 * and perf_event programs under the tracing hook. One type per hook is
 * registered: a second type of the same hook would add the set twice.
 */
static inline enum bpf_prog_type relayx_bpf_prog_type(unsigned int i)
{
	static const enum bpf_prog_type types[] = {
		BPF_PROG_TYPE_TRACING, BPF_PROG_TYPE_SYSCALL,
		BPF_PROG_TYPE_XDP, BPF_PROG_TYPE_SCHED_CLS,
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
		BPF_PROG_TYPE_KPROBE,
#endif
	};

	return i < ARRAY_SIZE(types) ? types[i] : BPF_PROG_TYPE_UNSPEC;
}

/* Does @mod carry BTF (its .BTF section), which kfuncs need? */
static inline bool relayx_module_has_btf(const struct module *mod)
{
#ifdef CONFIG_DEBUG_INFO_BTF_MODULES
	return mod->btf_data_size;
#else
	return false;
#endif
}

#endif /* _RELAYX_KCOMPAT_H */
