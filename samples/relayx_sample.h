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

/* The payload is a function of the sequence number, so readers see damage. */
static inline void relayx_sample_fill(struct relayx_sample_record *rec)
{
	unsigned int i;

	for (i = 0; i < sizeof(rec->payload); i++)
		rec->payload[i] = (char)(rec->seq + i);
}

#endif /* _RELAYX_SAMPLE_H */
