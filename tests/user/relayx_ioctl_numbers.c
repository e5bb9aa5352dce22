// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl numbers of <linux/relayx.h>, checked on the build host: each
 * carries its direction and the size of its argument, and the type is
 * none that mainline's Documentation/userspace-api/ioctl/ioctl-number.rst
 * gives to someone else (those that were chosen once and then taken are
 * listed here). Prints each number; exits 1 when one is wrong.
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include <linux/relayx.h>

/*
 * One layout for 32- and 64-bit callers: the kernel's compat_ioctl passes
 * the argument on unchanged (compat_ptr_ioctl), so every field must be
 * at the offset x86_64 gives it also for i386, which aligns a __u64 on 4
 * bytes only. scripts/check builds this with -m32 too, where an offset
 * that moved stops the build.
 */
#define AT(type, field, off) \
	static_assert(offsetof(struct type, field) == (off), \
		      #type "." #field " is not at " #off)
AT(relayx_geometry, flags, 4);
AT(relayx_geometry, subbuf_size, 8);
AT(relayx_geometry, n_subbufs, 16);
AT(relayx_geometry, mmap_len, 24);
static_assert(sizeof(struct relayx_geometry) == RELAYX_GEOMETRY_SIZE_VER0,
	      "struct relayx_geometry");
AT(relayx_subbuf, flags, 4);
AT(relayx_subbuf, seq, 8);
AT(relayx_subbuf, offset, 16);
AT(relayx_subbuf, len, 24);
static_assert(sizeof(struct relayx_subbuf) == RELAYX_SUBBUF_SIZE_VER0,
	      "struct relayx_subbuf");
AT(relayx_buf_stats, flags, 4);
AT(relayx_buf_stats, msgs, 8);
AT(relayx_buf_stats, consumed, 72);
static_assert(sizeof(struct relayx_buf_stats) == RELAYX_BUF_STATS_SIZE_VER0,
	      "struct relayx_buf_stats");
AT(relayx_open_buf, flags, 4);
static_assert(sizeof(struct relayx_open_buf) == 8, "struct relayx_open_buf");

/* Types relayx must not use: taken upstream, with who took them. */
static const struct {
	unsigned int type;
	const char *owner;
} taken[] = {
	{ 0xBA, "the Live Update Orchestrator (uapi/linux/liveupdate.h, 00-0F)" },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int failures;

static void number(const char *name, unsigned long cmd, unsigned int dir,
		   unsigned int nr, unsigned long size)
{
	unsigned int i;
	int ok = _IOC_DIR(cmd) == dir && _IOC_NR(cmd) == nr &&
		 _IOC_SIZE(cmd) == size &&
		 _IOC_TYPE(cmd) == RELAYX_IOC_MAGIC;

	printf("%s: %s 0x%08lx: type 0x%02x nr 0x%02x dir %u size %u (want dir %u size %lu)\n",
	       ok ? "ok" : "FAILED", name, cmd, (unsigned int)_IOC_TYPE(cmd),
	       (unsigned int)_IOC_NR(cmd), (unsigned int)_IOC_DIR(cmd),
	       (unsigned int)_IOC_SIZE(cmd), dir, size);
	failures += !ok;
	for (i = 0; i < ARRAY_SIZE(taken); i++) {
		if ((unsigned int)_IOC_TYPE(cmd) == taken[i].type) {
			printf("FAILED: %s: type 0x%02x belongs to %s\n", name,
			       taken[i].type, taken[i].owner);
			failures++;
		}
	}
}

int main(void)
{
	number("RELAYX_GET_GEOMETRY", RELAYX_GET_GEOMETRY, _IOC_READ, 0x01,
	       sizeof(struct relayx_geometry));
	number("RELAYX_GET_SUBBUF", RELAYX_GET_SUBBUF, _IOC_READ, 0x02,
	       sizeof(struct relayx_subbuf));
	number("RELAYX_PUT_SUBBUF", RELAYX_PUT_SUBBUF, _IOC_WRITE, 0x03,
	       sizeof(__u64));
	number("RELAYX_GET_STATS", RELAYX_GET_STATS, _IOC_READ, 0x04,
	       sizeof(struct relayx_buf_stats));
	number("RELAYX_OPEN_BUF", RELAYX_OPEN_BUF, _IOC_WRITE, 0x10,
	       sizeof(struct relayx_open_buf));
	return !!failures;
}
