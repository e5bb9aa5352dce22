/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * relayx: the user-space interface of a buffer file.
 *
 * A buffer file can be read() as a byte stream, or mmap()ed whole
 * (offset 0, length mmap_len, read-only) and drained with the ioctls
 * below, without copying:
 *
 *	RELAYX_GET_GEOMETRY  once, to size the mapping;
 *	RELAYX_GET_SUBBUF    the oldest complete sub-buffer not yet consumed:
 *	                     its data is at [offset, offset + len) of the
 *	                     mapping, and stays unchanged until
 *	RELAYX_PUT_SUBBUF    with its seq, which consumes it.
 *
 * RELAYX_GET_SUBBUF fails with EAGAIN when nothing is complete yet (poll()
 * for POLLIN), and with ENODATA once the channel is closed and everything
 * was consumed. See Documentation/userspace.rst.
 */
#ifndef _UAPI_LINUX_RELAYX_H
#define _UAPI_LINUX_RELAYX_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * The structs grow at their end, never in the middle, and no command gets
 * a new number for that. The size a program was built with travels in the
 * ioctl number (_IOC_SIZE): the kernel answers commands of any size from
 * the first version's (RELAYX_*_SIZE_VER0) on. It fills what both know,
 * zeroes the rest of a larger struct, and says in @size how many bytes it
 * filled, so that a program built with newer headers can tell a field the
 * kernel does not have from a field that is zero. @flags bits not defined
 * here are zero.
 */

/**
 * struct relayx_geometry - the shape of a buffer
 * @size: out: bytes of this struct the kernel filled
 * @flags: out: none defined yet
 * @subbuf_size: bytes per sub-buffer
 * @n_subbufs: sub-buffers in the buffer
 * @mmap_len: the only length mmap() accepts
 */
struct relayx_geometry {
	__u32 size;
	__u32 flags;
	__u64 subbuf_size;
	__u64 n_subbufs;
	__u64 mmap_len;
};

#define RELAYX_GEOMETRY_SIZE_VER0	32

/**
 * struct relayx_subbuf - a sub-buffer handed to the consumer
 * @size: out: bytes of this struct the kernel filled
 * @flags: out: none defined yet
 * @seq: its sequence number, for RELAYX_PUT_SUBBUF; sub-buffer
 *	seq % n_subbufs of the mapping
 * @offset: where its unconsumed data starts in the mapping
 * @len: bytes of data from @offset; the padding is left out
 */
struct relayx_subbuf {
	__u32 size;
	__u32 flags;
	__u64 seq;
	__u64 offset;
	__u64 len;
};

#define RELAYX_SUBBUF_SIZE_VER0		32

/**
 * struct relayx_buf_stats - the accounting of one buffer
 * @size: out: bytes of this struct the kernel filled
 * @flags: out: none defined yet
 * @msgs: messages written
 * @bytes: bytes written
 * @full: messages dropped because no sub-buffer was free
 * @bytes_full: bytes of those
 * @big: messages dropped because they were longer than a sub-buffer
 * @bytes_big: bytes of those
 * @overwritten: sub-buffers overwritten before being consumed
 * @produced: sub-buffers finished by the writer
 * @consumed: sub-buffers released by readers
 *
 * Every byte handed to a write is in @bytes, @bytes_full or @bytes_big;
 * what is in @bytes is then consumed, still unread, or in an overwritten
 * sub-buffer.
 */
struct relayx_buf_stats {
	__u32 size;
	__u32 flags;
	__u64 msgs;
	__u64 bytes;
	__u64 full;
	__u64 bytes_full;
	__u64 big;
	__u64 bytes_big;
	__u64 overwritten;
	__u64 produced;
	__u64 consumed;
};

#define RELAYX_BUF_STATS_SIZE_VER0	80

/*
 * 0xD3, numbers 0x00-0x1F: a type that no entry of mainline's
 * Documentation/userspace-api/ioctl/ioctl-number.rst and no uapi header
 * of Linux 6.12 uses (Documentation/userspace.rst, "The ioctl ABI").
 */
#define RELAYX_IOC_MAGIC	0xD3

#define RELAYX_GET_GEOMETRY	_IOR(RELAYX_IOC_MAGIC, 0x01, struct relayx_geometry)
#define RELAYX_GET_SUBBUF	_IOR(RELAYX_IOC_MAGIC, 0x02, struct relayx_subbuf)
#define RELAYX_PUT_SUBBUF	_IOW(RELAYX_IOC_MAGIC, 0x03, __u64)
#define RELAYX_GET_STATS	_IOR(RELAYX_IOC_MAGIC, 0x04, struct relayx_buf_stats)

/**
 * struct relayx_open_buf - RELAYX_OPEN_BUF's argument
 * @fd: a descriptor of a buffer file; O_PATH is enough (it does not open the file)
 * @flags: 0 (no flag is defined yet)
 */
struct relayx_open_buf {
	__s32 fd;
	__u32 flags;
};

#define RELAYX_DEV_NAME  "relayx"   /* /dev/relayx */
#define RELAYX_OPEN_BUF  _IOW(RELAYX_IOC_MAGIC, 0x10, struct relayx_open_buf)

#endif /* _UAPI_LINUX_RELAYX_H */
