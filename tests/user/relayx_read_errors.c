// SPDX-License-Identifier: GPL-2.0
/*
 * Bad calls on a buffer file get the right errno and lose nothing:
 * a read into a bad pointer fails with EFAULT and consumes nothing, and
 * seeking is refused. Expects relayx_sample loaded with nr_records=10:
 * afterwards, records 0 to 9 of CPU 0 must come back intact, in order.
 *
 * usage: relayx_read_errors FILE EXPECTED_BYTES
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relayx_sample.h"

static int fail(const char *what)
{
	fprintf(stderr, "FAIL: %s (errno %d: %s)\n", what, errno, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	char buf[65536];
	ssize_t n, total = 0;
	long expected;
	void *bad;
	int fd;

	if (argc != 3)
		return 1;
	expected = strtol(argv[2], NULL, 0);
	/* A page nobody may write to: the kernel's copy must fault. */
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bad == MAP_FAILED)
		return fail("mmap");
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return fail("open");

	errno = 0;
	if (read(fd, bad, 64) != -1 || errno != EFAULT)
		return fail("read into a bad pointer must fail with EFAULT");
	errno = 0;
	if (lseek(fd, 0, SEEK_SET) != -1 || errno != ESPIPE)
		return fail("lseek must fail with ESPIPE");
	/* One byte at a time at first: partial reads keep the stream. */
	for (int i = 0; i < 3; i++) {
		n = read(fd, buf + total, 1);
		if (n != 1)
			return fail("one-byte read");
		total += n;
	}
	while ((n = read(fd, buf + total, sizeof(buf) - total)) > 0)
		total += n;
	if (n < 0)
		return fail("read");
	if (total != expected) {
		fprintf(stderr, "FAIL: read %zd bytes, expected %ld\n", total,
			expected);
		return 1;
	}
	for (ssize_t off = 0; off < total; off += sizeof(struct relayx_sample_record)) {
		struct relayx_sample_record want = {
			.magic = RELAYX_SAMPLE_MAGIC,
			.seq = off / sizeof(want),
		};

		relayx_sample_fill(&want);
		if (memcmp(buf + off, &want, sizeof(want))) {
			fprintf(stderr, "FAIL: record %llu damaged or out of order\n",
				(unsigned long long)want.seq);
			return 1;
		}
	}
	printf("EFAULT, ESPIPE and %zd bytes read back, every record intact: ok\n",
	       total);
	return 0;
}
