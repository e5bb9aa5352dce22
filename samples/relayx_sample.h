/* SPDX-License-Identifier: GPL-2.0 */
/* Record format of samples/relayx_sample.c, shared with its reader. */
#ifndef _RELAYX_SAMPLE_H
#define _RELAYX_SAMPLE_H

#include <linux/types.h>

#define RELAYX_SAMPLE_MAGIC 0x52454c58	/* "RELX" */

struct relayx_sample_record {
	__u32 magic;
	__u32 cpu;
	__u64 seq;
	char payload[48];
};

#endif /* _RELAYX_SAMPLE_H */
