// SPDX-License-Identifier: GPL-2.0
/*
 * User-space tests of the buffer files, against tests/module/relayx_testmod
 * loaded with its default geometry (8 sub-buffers of 4096 bytes, 64
 * records each). Runs pinned to CPU 0, so that "write N" on the control
 * file lands in file a0.
 *
 * usage: relayx_file_tests bad-calls|hold|poll|poll-race|lifetime|perm|lock-order|devnode
 *        relayx_file_tests offline-wakeup CPU
 *        relayx_file_tests irq-window CPU (tests/module/relayx_irqwin.ko)
 *        relayx_file_tests locked-down (samples/relayx_sample.ko, lockdown on)
 *        relayx_file_tests harness-failures N (N failed checks, no kernel
 *        needed: the harness self-test of the exit status)
 * hold wants the module loaded with overwrite=1 n_subbufs=4.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/relayx.h>

#include "relayx_check.h"
#include "relayx_sample.h"

#define DIR	"/sys/kernel/debug/relayx_test"
#define DEV	"/dev/" RELAYX_DEV_NAME
#define SAMPLE	"/sys/kernel/debug/relayx_sample"
#define REC	((long)sizeof(struct relayx_sample_record))
#define PER_SUB	(4096 / REC)

/*
 * Besides relayx_check.h's passed, failed and skipped: for irq-window
 * alone, the window was missed and the run may be tried again.
 */
#define TEST_MISSED	3

/* The call failed with exactly @err. */
static void expect_errno(long ret, int err, const char *what)
{
	int got = errno;

	check(ret == -1 && got == err, "%s: %s (got %ld, %s)", what,
	      strerror(err), ret, ret == -1 ? strerror(got) : "success");
}

static void send_cmd(const char *fmt, ...)
{
	char cmd[64];
	va_list ap;
	int fd;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fd = open(DIR "/ctl", O_WRONLY);
	if (fd < 0 || write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
		printf("FAILED: command '%s': %s\n", cmd, strerror(errno));
		exit(1);
	}
	close(fd);
}

static int open_buf(const char *name, int flags)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), DIR "/%s", name);
	fd = open(path, flags);
	if (fd < 0) {
		printf("FAILED: open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void mapped_counts(int *mapped, int *unmapped)
{
	FILE *f = fopen(DIR "/mapped", "r");

	if (!f || fscanf(f, "mapped %d unmapped %d", mapped, unmapped) != 2) {
		printf("FAILED: cannot read %s/mapped\n", DIR);
		exit(1);
	}
	fclose(f);
}

/* A process that stores into @addr dies of SIGSEGV. */
static void expect_store_faults(void *addr)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		/* addr escapes to the kernel: the store cannot be elided. */
		*(char *)addr = 1;
		_exit(0);
	}
	waitpid(pid, &status, 0);
	check(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	      "a store into the mapping gets SIGSEGV");
}

/* mmap() fails with @err; a mapping made anyway is not left behind. */
static void expect_mmap_fails(int fd, size_t len, int prot, int flags,
			      int err, const char *what)
{
	void *map = mmap(NULL, len, prot, flags, fd, 0);

	expect_errno(map == MAP_FAILED ? -1 : 0, err, what);
	if (map != MAP_FAILED)
		munmap(map, len);
}

static void bad_mmaps(int fd, size_t len)
{
	int rw = open_buf("a0", O_RDWR);
	char *map, *again;

	errno = 0;
	expect_errno((long)mmap(NULL, len - 4096, PROT_READ, MAP_SHARED, fd, 0),
		     EINVAL, "mmap shorter than the buffer");
	expect_errno((long)mmap(NULL, len + 4096, PROT_READ, MAP_SHARED, fd, 0),
		     EINVAL, "mmap longer than the buffer");
	expect_errno((long)mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 4096),
		     EINVAL, "mmap at an offset");
	expect_errno((long)mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
				fd, 0), EACCES, "writable shared mmap, O_RDONLY");
	expect_errno((long)mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
				rw, 0), EPERM, "writable shared mmap, O_RDWR");
	expect_errno((long)mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE,
				fd, 0), EPERM, "writable private mmap");
	expect_mmap_fails(fd, len, PROT_READ | PROT_EXEC, MAP_SHARED, EPERM,
			  "executable shared mmap");
	expect_mmap_fails(fd, len, PROT_READ | PROT_EXEC, MAP_PRIVATE, EPERM,
			  "executable private mmap");
	expect_errno(write(rw, "x", 1), EINVAL, "write() to a buffer file");
	close(rw);

	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	check(map != MAP_FAILED, "read-only private mmap");
	expect_errno(mprotect(map, len, PROT_READ | PROT_WRITE), EACCES,
		     "mprotect to writable");
	expect_errno(mprotect(map, len, PROT_READ | PROT_EXEC), EACCES,
		     "mprotect to executable");
	expect_store_faults(map);
	expect_errno((long)mremap(map, len, len + 4096, 0), EFAULT,
		     "mremap growing the mapping");
	expect_errno((long)mremap(map, len, len - 4096, 0), EINVAL,
		     "mremap shrinking the mapping");
	expect_errno(munmap(map + 4096, 4096), EINVAL,
		     "munmap of one page in the middle");
	/* Moving it whole is fine: over a placeholder of the same size. */
	again = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	again = mremap(map, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, again);
	check(again != MAP_FAILED, "mremap moving the whole mapping");
	munmap(again != MAP_FAILED ? again : map, len);
}

/* Nothing written yet: splice() and sendfile() as upstream's. */
static void bad_splices(int fd)
{
	int p[2], sink = memfd_create("sink", 0);
	loff_t off = 0;
	ssize_t ret;

	check(pipe(p) == 0 && sink >= 0, "a pipe and a memfd");
	expect_errno(splice(fd, NULL, p[1], NULL, 4096, SPLICE_F_NONBLOCK),
		     EAGAIN, "splice with nothing to read, SPLICE_F_NONBLOCK");
	check(splice(fd, NULL, p[1], NULL, 4096, 0) == 0,
	      "splice with nothing to read: 0");
	ret = sendfile(sink, fd, NULL, 4096);
	check(ret == 0, "sendfile with nothing to read: %zd (%s)", ret,
	      ret ? strerror(errno) : "");
	/* The VFS's errno for a file without pread. */
	expect_errno(splice(fd, &off, p[1], NULL, 4096, 0), EINVAL,
		     "splice at an offset");
	expect_errno(sendfile(sink, fd, &off, 4096), ESPIPE,
		     "sendfile at an offset");
	close(p[0]);
	close(p[1]);
	close(sink);
}

static int bad_calls(void)
{
	struct relayx_geometry geo;
	struct relayx_subbuf sb, sb2;
	int fd = open_buf("a0", O_RDONLY), mapped, unmapped, status;
	char *map, byte;
	__u64 bogus;
	pid_t pid;

	check(ioctl(fd, RELAYX_GET_GEOMETRY, &geo) == 0 &&
	      geo.subbuf_size == 4096 && geo.n_subbufs == 8 &&
	      geo.mmap_len == 8 * 4096, "geometry 8 x 4096");
	expect_errno(ioctl(fd, RELAYX_GET_GEOMETRY, (void *)8), EFAULT,
		     "geometry into a bad pointer");
	expect_errno(ioctl(fd, _IOR(RELAYX_IOC_MAGIC, 0x7f, int), &bogus),
		     ENOTTY, "unknown relayx ioctl");
	expect_errno(ioctl(fd, TCGETS, &bogus), ENOTTY,
		     "foreign ioctl");
	expect_errno(ioctl(fd, RELAYX_GET_SUBBUF, &sb), EAGAIN,
		     "nothing complete yet");
	bad_splices(fd);
	bad_mmaps(fd, geo.mmap_len);

	/* Two complete sub-buffers, and a few records in the third. */
	send_cmd("write %ld", 2 * PER_SUB + 3);
	expect_errno(ioctl(fd, RELAYX_GET_SUBBUF, (void *)8), EFAULT,
		     "sub-buffer into a bad pointer");
	check(ioctl(fd, RELAYX_GET_SUBBUF, &sb) == 0 && sb.seq == 0 &&
	      sb.offset == 0 && sb.len == 4096,
	      "the failed get consumed nothing: sub-buffer 0 again");
	expect_errno(ioctl(fd, RELAYX_GET_SUBBUF, &sb2), EBUSY,
		     "a second get while holding one");
	expect_errno(read(fd, &byte, 1), EBUSY, "read() while holding one");
	bogus = sb.seq + 1;
	expect_errno(ioctl(fd, RELAYX_PUT_SUBBUF, &bogus), EINVAL,
		     "put of a sub-buffer not held");
	expect_errno(ioctl(fd, RELAYX_PUT_SUBBUF, (void *)8), EFAULT,
		     "put from a bad pointer");
	check(ioctl(fd, RELAYX_PUT_SUBBUF, &sb.seq) == 0, "put");
	expect_errno(ioctl(fd, RELAYX_PUT_SUBBUF, &sb.seq), EINVAL,
		     "put twice");

	/* The mapping, in a child too: callbacks balance across fork. */
	map = mmap(NULL, geo.mmap_len, PROT_READ, MAP_SHARED, fd, 0);
	check(map != MAP_FAILED, "mmap of the whole buffer");
	pid = fork();
	if (pid == 0)
		_exit(((struct relayx_sample_record *)(map + 4096))->seq !=
		      (unsigned long long)PER_SUB);
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a forked child reads the mapping");
	munmap(map, geo.mmap_len);
	mapped_counts(&mapped, &unmapped);
	check(mapped > 0 && mapped == unmapped,
	      "buf_mapped and buf_unmapped balance (%d, %d)", mapped,
	      unmapped);
	close(fd);
	return verdict();
}

/* A struct as a program built with newer headers would have it. */
#define GROWN(name) struct { struct name known; __u64 later[3]; }

static int all_zero(const __u64 *v, int n)
{
	while (n--)
		if (v[n])
			return 0;
	return 1;
}

/*
 * The extension rule of <linux/relayx.h>: any size from the first
 * version's on is answered, the kernel says how much it filled and zeroes
 * the rest, a shorter struct is refused without consuming anything.
 */
static int abi(void)
{
	GROWN(relayx_geometry) geo;
	GROWN(relayx_subbuf) sb;
	GROWN(relayx_buf_stats) st;
	int fd = open_buf("a0", O_RDONLY);
	char shorter[24];
	__u32 seq32 = 0;
	int ret;

	memset(&geo, 0xa5, sizeof(geo));
	ret = ioctl(fd, RELAYX_GET_GEOMETRY, &geo.known);
	check(ret == 0 &&
	      geo.known.size == sizeof(geo.known) && geo.known.flags == 0 &&
	      geo.known.mmap_len == 8 * 4096,
	      "geometry: size %u of %zu filled, no flags", geo.known.size,
	      sizeof(geo.known));
	memset(&geo, 0xa5, sizeof(geo));
	check(ioctl(fd, _IOR(RELAYX_IOC_MAGIC, 0x01, geo), &geo) == 0 &&
	      geo.known.size == sizeof(geo.known) &&
	      all_zero(geo.later, 3) && geo.known.n_subbufs == 8,
	      "geometry into a longer struct: the tail zeroed");
	expect_errno(ioctl(fd, _IOR(RELAYX_IOC_MAGIC, 0x01, shorter), shorter),
		     EINVAL, "geometry into a shorter struct");
	expect_errno(ioctl(fd, _IOW(RELAYX_IOC_MAGIC, 0x01, geo.known),
			   &geo.known), ENOTTY, "geometry, written");

	send_cmd("write %ld", PER_SUB + 3);
	expect_errno(ioctl(fd, _IOR(RELAYX_IOC_MAGIC, 0x02, shorter), shorter),
		     EINVAL, "get into a shorter struct");
	memset(&sb, 0xa5, sizeof(sb));
	check(ioctl(fd, _IOR(RELAYX_IOC_MAGIC, 0x02, sb), &sb) == 0 &&
	      sb.known.size == sizeof(sb.known) && sb.known.flags == 0 &&
	      all_zero(sb.later, 3) && sb.known.seq == 0 &&
	      sb.known.len == 4096,
	      "get into a longer struct: sub-buffer 0, nothing lost before");
	expect_errno(ioctl(fd, _IOW(RELAYX_IOC_MAGIC, 0x03, __u32), &seq32),
		     EINVAL, "put with a 32-bit sequence number");
	check(ioctl(fd, RELAYX_PUT_SUBBUF, &sb.known.seq) == 0,
	      "the held sub-buffer still puts");

	memset(&st, 0xa5, sizeof(st));
	/* Called first: check()'s arguments are read in no set order. */
	ret = ioctl(fd, _IOR(RELAYX_IOC_MAGIC, 0x04, st), &st);
	check(ret == 0 && st.known.size == sizeof(st.known) && all_zero(st.later, 3) &&
	      st.known.msgs == PER_SUB + 3 && st.known.consumed == 1,
	      "stats into a longer struct: %llu messages, %llu consumed",
	      (unsigned long long)st.known.msgs,
	      (unsigned long long)st.known.consumed);
	expect_errno(ioctl(fd, _IOR(RELAYX_IOC_MAGIC, 0x04, shorter), shorter),
		     EINVAL, "stats into a shorter struct");
	close(fd);
	return verdict();
}

static int hold(void)
{
	struct relayx_buf_stats st;
	struct relayx_subbuf sb;
	int fd = open_buf("a0", O_RDONLY), ret;
	size_t len = 4 * 4096;
	char *map, copy[4096];

	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return 1;
	send_cmd("write %ld", 3 * PER_SUB + 1);
	check(ioctl(fd, RELAYX_GET_SUBBUF, &sb) == 0 && sb.seq == 0,
	      "get sub-buffer 0");
	memcpy(copy, map + sb.offset, sb.len);
	/* Ten laps' worth: the writer must go around the held one. */
	send_cmd("write %ld", 10 * 4 * PER_SUB);
	check(!memcmp(copy, map + sb.offset, sb.len),
	      "the held sub-buffer did not change");
	ret = ioctl(fd, RELAYX_GET_STATS, &st);
	check(ret == 0 && st.full > 0, "the writes it refused are counted (%llu)",
	      (unsigned long long)st.full);
	check(ioctl(fd, RELAYX_PUT_SUBBUF, &sb.seq) == 0, "put it back");
	/* Free again: the writer laps the unread ones and counts them. */
	send_cmd("write %ld", 2 * PER_SUB);
	ret = ioctl(fd, RELAYX_GET_STATS, &st);
	check(ret == 0 && st.overwritten > 0,
	      "overwrite resumes after the put (%llu overwritten)",
	      (unsigned long long)st.overwritten);
	check(st.msgs + st.full == 3 * PER_SUB + 1 + 42 * PER_SUB,
	      "every record written or counted (%llu + %llu)",
	      (unsigned long long)st.msgs, (unsigned long long)st.full);
	munmap(map, len);
	close(fd);
	return verdict();
}

/*
 * Is @pid asleep in poll()? Its state in /proc/PID/stat is S, and its
 * wchan, where it sleeps, is a poll function of the kernel.
 */
static int blocked_in_poll(pid_t pid)
{
	char path[64], line[512], *end;
	int asleep = 0, in_poll = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	/* "pid (comm) S ...": comm may hold anything, even ") ". */
	if (fgets(line, sizeof(line), f)) {
		end = strrchr(line, ')');
		asleep = end && end[1] == ' ' && end[2] == 'S';
	}
	fclose(f);
	if (!asleep)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f))
		in_poll = !!strstr(line, "poll");
	fclose(f);
	return in_poll;
}

/* Waits up to 60 s for @pid to block in poll(); whether it did. */
static int wait_blocked_in_poll(pid_t pid)
{
	int i;

	for (i = 0; i < 6000; i++) {
		if (blocked_in_poll(pid))
			return 1;
		usleep(10000);
	}
	return 0;
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		printf("FAILED: pin to CPU %d: %s\n", cpu, strerror(errno));
		exit(1);
	}
}

/*
 * Block in poll() on @fd while a child does @cmd, once it has seen this
 * process asleep in poll(): the wakeup is what ends the poll, never a
 * state found at entry. The child says whether it saw that.
 */
static void poll_wakes(int fd, const char *cmd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	pid_t pid = fork();
	int ret, status;

	if (pid == 0) {
		int blocked = wait_blocked_in_poll(getppid());

		send_cmd("%s", cmd);
		_exit(blocked ? 0 : 1);
	}
	/* Generous: a wakeup that never comes fails, a slow one does not. */
	ret = poll(&pfd, 1, 120000);
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the poller was asleep in poll() before %s", cmd);
	check(ret == 1, "poll wakes for %s (revents %#x)", cmd, pfd.revents);
}

static int poll_test(void)
{
	struct pollfd pfd;
	int ret;
	int fd = open_buf("a0", O_RDONLY);
	char buf[8192];

	pfd.fd = fd;
	pfd.events = POLLIN;
	check(poll(&pfd, 1, 0) == 0, "no POLLIN while nothing is complete");
	poll_wakes(fd, "write 65");
	check(poll(&pfd, 1, 0) == 1 &&
	      pfd.revents == POLLIN, "POLLIN for the complete sub-buffer");
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	/* The record left in the open sub-buffer is read too. */
	check(poll(&pfd, 1, 0) == 0, "no POLLIN once drained");
	poll_wakes(fd, "close");
	check(read(fd, buf, sizeof(buf)) == 0, "read() after close: end");
	ret = poll(&pfd, 1, 0);
	check(ret == 1 && (pfd.revents & POLLERR),
	      "POLLERR: closed and drained (revents %#x)", pfd.revents);
	close(fd);
	return verdict();
}

#define POLL_ROUNDS	3000

static void spin_us(long us)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while ((now.tv_sec - start.tv_sec) * 1000000 +
	       (now.tv_nsec - start.tv_nsec) / 1000 < us);
}

/* Drain a0 through the ioctls; how many sub-buffers it held. */
static int drain_subbufs(int fd)
{
	struct relayx_subbuf sb;
	int n = 0;

	while (ioctl(fd, RELAYX_GET_SUBBUF, &sb) == 0) {
		if (ioctl(fd, RELAYX_PUT_SUBBUF, &sb.seq))
			return -1;
		n++;
	}
	return errno == EAGAIN ? n : -1;
}

/*
 * A poller on CPU 1 blocks in poll(-1) on a0 while the writer, on CPU 0,
 * finishes exactly one sub-buffer, POLL_ROUNDS times. The writer starts
 * when the poller is about to call poll(), at a varying distance, so that
 * the poller's enqueue and the writer's wakeup check meet. A lost wakeup
 * leaves the poller asleep with a complete sub-buffer: SIGALRM fails it.
 * The poller counts its polls that slept and those that found the
 * sub-buffer at entry: both must happen, or the two never met.
 */
static int poll_race(void)
{
	int fd = open_buf("a0", O_RDONLY), go[2], status, round, got;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct rusage before, after;
	int slept = 0, ready = 0;
	cpu_set_t cpu1;
	char byte = 0;
	pid_t pid;

	/* The first record: every "write PER_SUB" then finishes one. */
	send_cmd("write 1");
	if (pipe(go))
		return 1;
	pid = fork();
	if (pid == 0) {
		CPU_ZERO(&cpu1);
		CPU_SET(1, &cpu1);
		if (sched_setaffinity(0, sizeof(cpu1), &cpu1))
			_exit(3);
		for (round = 0; round < POLL_ROUNDS; round++) {
			if (write(go[1], &byte, 1) != 1)
				_exit(3);
			alarm(30);
			getrusage(RUSAGE_SELF, &before);
			if (poll(&pfd, 1, -1) != 1)
				_exit(4);
			getrusage(RUSAGE_SELF, &after);
			alarm(0);
			/* A poll() that went to sleep switched voluntarily. */
			if (after.ru_nvcsw > before.ru_nvcsw)
				slept++;
			else
				ready++;
			got = drain_subbufs(fd);
			if (got != 1) {
				printf("round %d: %d sub-buffers\n", round, got);
				_exit(5);
			}
		}
		/*
		 * The writer's publication fell on both sides of the
		 * poller's check in some rounds: the two met.
		 */
		printf("%d polls slept until the wakeup, %d found the sub-buffer at once\n",
		       slept, ready);
		_exit(slept && ready ? 0 : 6);
	}
	for (round = 0; round < POLL_ROUNDS; round++) {
		if (read(go[0], &byte, 1) != 1)
			break;
		/* 0 to 19 us of spinning: the poller's enqueue is around there. */
		spin_us(round % 20);
		send_cmd("write %ld", PER_SUB);
	}
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "%d one-sub-buffer wakeups, none lost, the writer on both sides of the poller's check (%s %d)",
	      POLL_ROUNDS,
	      WIFSIGNALED(status) ? "signal" : "exit",
	      WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	close(fd);
	return verdict();
}

static int set_online(int cpu, int up)
{
	char path[64];
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return 0;
	ok = write(fd, up ? "1" : "0", 1) == 1;
	close(fd);
	return ok;
}

/* Waits up to @secs seconds for child @pid to end; whether it did. */
static int wait_exit(pid_t pid, int secs, int *status)
{
	int i;

	for (i = 0; i < secs * 100; i++) {
		pid_t got = waitpid(pid, status, WNOHANG);

		if (got == pid)
			return 1;
		if (got < 0)
			return 0;
		usleep(10000);
	}
	return 0;
}

/*
 * The byte counts the poller reports on @rfd, until one reaches @want or
 * none comes for 60 s. Whether @want was reached.
 */
static int wait_progress(int rfd, long *total, long want)
{
	struct pollfd pfd = { .fd = rfd, .events = POLLIN };
	long got;

	while (*total < want && poll(&pfd, 1, 60000) == 1) {
		if (read(rfd, &got, sizeof(got)) != sizeof(got))
			break;
		*total = got;
	}
	return *total >= want;
}

/* Tasks in D state, with their stacks, to the console log. */
static void dump_blocked_tasks(void)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "w", 1) != 1)
			printf("sysrq-w: %s\n", strerror(errno));
		close(fd);
	}
}

#define OFFLINE_RECS	(2 * PER_SUB + 5)

/*
 * A poller pinned to CPU @cpu waits in poll() on a<cpu>, and records
 * written on @cpu wake it: the wakeups are queued on @cpu. It takes
 * complete sub-buffers through the ioctls and blocks again, with five
 * records in the open sub-buffer; @cpu goes down while it waits. With
 * @cpu down, a flush from CPU 0 must wake it (a wakeup still pending
 * from @cpu would make that one fail to queue), and then the
 * client's close must return and end the poller's file; the poller gets
 * every record. Each step is bounded (60 s): a wakeup stuck on the dead
 * CPU fails the test, its stacks go to the console log, and only then is
 * @cpu brought back.
 */
/*
 * A child pinned to @cpu that sleeps in poll() on @fd and consumes every
 * complete sub-buffer (the open one waits) until the channel is closed
 * and drained: exit 0, or 3 to 5 for a failed call. After each round it
 * writes the bytes consumed so far to @progress, unless that is -1.
 */
static void poller_child(int fd, int cpu, int progress)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct relayx_subbuf sb;
	long total = 0;

	pin_to(cpu);
	for (;;) {
		if (poll(&pfd, 1, -1) != 1)
			_exit(3);
		while (ioctl(fd, RELAYX_GET_SUBBUF, &sb) == 0) {
			total += sb.len;
			if (ioctl(fd, RELAYX_PUT_SUBBUF, &sb.seq))
				_exit(4);
		}
		if (errno != EAGAIN && errno != ENODATA)
			_exit(4);
		if (progress >= 0 &&
		    write(progress, &total, sizeof(total)) != sizeof(total))
			_exit(5);
		if (pfd.revents & POLLERR)
			_exit(0);
	}
}

static int offline_wakeup(int cpu)
{
	long total = 0, sub = (long)PER_SUB * REC;
	int fd, progress[2], status, ok;
	pid_t poller, closer;
	char name[16];

	snprintf(name, sizeof(name), "a%d", cpu);
	fd = open_buf(name, O_RDONLY);
	if (cpu == 0 || pipe(progress))
		return 1;
	poller = fork();
	if (poller == 0)
		poller_child(fd, cpu, progress[1]);
	/* The buffer's last release happens in a bounded child, not here. */
	close(fd);
	close(progress[1]);
	check(wait_blocked_in_poll(poller), "the poller on CPU %d blocks in poll()",
	      cpu);
	pin_to(cpu);
	send_cmd("write %d", OFFLINE_RECS);
	pin_to(0);
	ok = wait_progress(progress[0], &total, 2 * sub);
	check(ok, "wakeups from CPU %d reach the poller (%ld bytes)", cpu,
	      total);
	check(wait_blocked_in_poll(poller), "the poller blocks in poll() again");
	check(set_online(cpu, 0), "CPU %d goes down", cpu);
	check(blocked_in_poll(poller),
	      "the poller waited in poll() while CPU %d went down", cpu);
	send_cmd("flush");
	ok = wait_progress(progress[0], &total, (long)OFFLINE_RECS * REC);
	check(ok, "a flush with CPU %d down wakes the poller (%ld of %ld bytes)",
	      cpu, total, (long)OFFLINE_RECS * REC);
	closer = fork();
	if (closer == 0) {
		send_cmd("close");
		_exit(0);
	}
	if (!wait_exit(closer, 60, &status)) {
		check(0, "close returns within 60 s with CPU %d down", cpu);
		dump_blocked_tasks();
		set_online(cpu, 1);
		check(wait_exit(closer, 60, &status),
		      "close returned once CPU %d came back", cpu);
	} else {
		check(WIFEXITED(status) && !WEXITSTATUS(status),
		      "close returns with CPU %d down", cpu);
	}
	if (!wait_exit(poller, 60, &status)) {
		check(0, "the poller ends within 60 s of the close");
		dump_blocked_tasks();
		kill(poller, SIGKILL);
		waitpid(poller, &status, 0);
	} else {
		check(WIFEXITED(status) && !WEXITSTATUS(status),
		      "the close wakes the poller and ends its file (status %#x)",
		      status);
	}
	while (wait_progress(progress[0], &total, total + 1))
		;
	check(total == (long)OFFLINE_RECS * REC, "the poller read every record (%ld bytes)",
	      total);
	close(progress[0]);
	return verdict();
}

#define IRQWIN	"/sys/kernel/debug/relayx_irqwin"

/* One "KEY N" line of relayx_irqwin's state file; -1 when absent. */
static int irqwin_state(const char *key)
{
	FILE *f = fopen(IRQWIN "/state", "r");
	char name[32];
	int val, found = -1;

	while (f && fscanf(f, "%31s %d", name, &val) == 2)
		if (!strcmp(name, key))
			found = val;
	if (f)
		fclose(f);
	return found;
}

/*
 * tests/module/relayx_irqwin.ko writes from a hard hrtimer on CPU @cpu
 * while @cpu goes down, and a poller waits on w<cpu>. On PREEMPT_RT that
 * is the window of issue 12: the reader wakeup queued after @cpu's
 * irq_work thread was parked. Proof that it happened: a record written
 * then, or a wakeup found pending. With @cpu down, no wakeup may stay
 * pending, and the client's close (rmmod, bounded) must return and end
 * the poller's file. Returns 3 when the window was missed (the caller
 * tries again), 77 without an irq_work thread (no PREEMPT_RT: wakeups
 * run from the interrupt itself and the window does not exist).
 */
static int irq_window(int cpu)
{
	int fd, status, writes, parked, pending;
	pid_t poller, unloader;
	char name[64];

	if (irqwin_state("thread") != 1) {
		printf("skipped: no irq_work/%d thread (not PREEMPT_RT): %s\n",
		       cpu, "reader wakeups run in the interrupt, no window");
		return TEST_SKIPPED;
	}
	snprintf(name, sizeof(name), IRQWIN "/w%d", cpu);
	fd = open(name, O_RDONLY);
	if (fd < 0) {
		printf("FAILED: open %s: %s\n", name, strerror(errno));
		return 1;
	}
	poller = fork();
	if (poller == 0)
		poller_child(fd, cpu, -1);
	/* The buffer's last release happens in a bounded child, not here. */
	close(fd);
	check(wait_blocked_in_poll(poller), "the poller on CPU %d blocks in poll()",
	      cpu);
	check(set_online(cpu, 0), "CPU %d goes down", cpu);
	writes = irqwin_state("writes");
	parked = irqwin_state("parked");
	pending = irqwin_state("pending");
	printf("CPU %d down: %d records written on it as it went down, ",
	       cpu, writes);
	printf("%d after irq_work/%d was parked; wakeup pending: %d\n",
	       parked, cpu, pending);
	if (parked <= 0 && pending != 1) {
		printf("the window was missed: no record after the park\n");
		kill(poller, SIGKILL);
		waitpid(poller, &status, 0);
		return failures ? TEST_FAILED : TEST_MISSED;
	}
	check(pending == 0, "no reader wakeup left pending on the dead CPU %d",
	      cpu);
	unloader = fork();
	if (unloader == 0)
		_exit(system("rmmod relayx_irqwin") ? 1 : 0);
	if (!wait_exit(unloader, 60, &status)) {
		check(0, "the client closes within 60 s with CPU %d down", cpu);
		dump_blocked_tasks();
	} else {
		check(WIFEXITED(status) && !WEXITSTATUS(status),
		      "the client closes with CPU %d down", cpu);
	}
	if (!wait_exit(poller, 60, &status)) {
		check(0, "the poller is woken and its file released within 60 s, CPU %d down",
		      cpu);
		dump_blocked_tasks();
		/* Evidence: does it end once the CPU is back? */
		set_online(cpu, 1);
		check(wait_exit(poller, 60, &status),
		      "the poller ended once CPU %d came back", cpu);
	} else {
		check(WIFEXITED(status) && !WEXITSTATUS(status),
		      "the close wakes the poller and ends its file, CPU %d down (status %#x)",
		      cpu, status);
	}
	return verdict();
}

static int lifetime(void)
{
	struct relayx_subbuf sb;
	int fa = open_buf("a0", O_RDONLY), fb = open_buf("b0", O_RDONLY);
	size_t len = 8 * 4096, got = 0;
	char *map = mmap(NULL, len, PROT_READ, MAP_SHARED, fa, 0);
	char buf[4096];
	ssize_t n;

	check(map != MAP_FAILED, "mmap a0");
	send_cmd("write %ld", PER_SUB + 5);
	send_cmd("close");
	check(system("rmmod relayx_testmod") == 0,
	      "the client unloads while a file is open and mapped");
	check(system("rmmod relayx 2>/dev/null") != 0,
	      "relayx itself stays while they are");
	while (ioctl(fa, RELAYX_GET_SUBBUF, &sb) == 0) {
		got += sb.len;
		check(ioctl(fa, RELAYX_PUT_SUBBUF, &sb.seq) == 0, "put");
	}
	check(errno == ENODATA, "closed and drained: ENODATA (%s)",
	      strerror(errno));
	check(got == (size_t)(PER_SUB + 5) * REC,
	      "mmap consumer got every byte after the unload (%zu)", got);
	got = 0;
	while ((n = read(fb, buf, sizeof(buf))) > 0)
		got += n;
	check(n == 0 && got == (size_t)(PER_SUB + 5) * REC,
	      "read() consumer got every byte after the unload (%zu)", got);
	munmap(map, len);
	close(fa);
	close(fb);
	return verdict();
}

static int perm(void)
{
	struct stat st = { 0 };
	int status, ret;
	pid_t pid;

	ret = stat(DIR "/a0", &st);
	check(ret == 0 && (st.st_mode & 07777) == 0400 && st.st_uid == 0,
	      "a0 is 0400 root (%o)", st.st_mode & 07777);
	ret = stat(DIR "/astats", &st);
	check(ret == 0 && (st.st_mode & 07777) == 0400, "astats is 0400 (%o)",
	      st.st_mode & 07777);
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(open(DIR "/a0", O_RDONLY) == -1 && errno == EACCES ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "an unprivileged user cannot open a0");
	return verdict();
}

/*
 * One class of /proc/lockdep: its name, and the names it has a direct
 * dependency on (" -> [key] name" lines). @edges gets the names of
 * those that contain @want, at most @max. Returns how many were found.
 */
static int lockdep_edges(const char *from, const char *want,
			 char edges[][96], int max)
{
	FILE *f = fopen("/proc/lockdep", "r");
	char line[256], name[160];
	int in = 0, n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, " -> [", 5)) {
			char *to = strchr(line, ']');

			if (in && to && strstr(to + 2, want) && n < max)
				snprintf(edges[n++], 96, "%s", to + 2);
			continue;
		}
		/* A class line: "key FD: .. BD: .. usage: name". */
		in = sscanf(line, "%*s FD: %*d BD: %*d %*s %159[^\n]",
			    name) == 1 && !strcmp(name, from);
	}
	fclose(f);
	return n;
}

/*
 * Has lockdep recorded that the directory lock relayx's chan->lock nests
 * (the one of the channel's debugfs directory) is held when mmap_lock is
 * taken? Returns 1 yes, 0 not yet, -1 when lockdep is off.
 */
static int dir_lock_then_mmap_lock(void)
{
	char dirs[8][96], to[1][96];
	char line[128];
	int i, n, off = 0;
	FILE *f = fopen("/proc/lockdep_stats", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "debug_locks:") && strstr(line, " 0"))
			off = 1;
	if (f)
		fclose(f);
	if (!f || off)
		return -1;
	n = lockdep_edges("&chan->lock", "i_mutex", dirs, 8);
	for (i = 0; i < n; i++)
		if (lockdep_edges(dirs[i], "&mm->mmap_lock", to, 1) == 1)
			return 1;
	return 0;
}

static atomic_int churning;

/* Maps and unmaps memory: holds mmap_lock for writing, again and again. */
static void *churn(void *unused)
{
	(void)unused;
	while (churning) {
		void *p = mmap(NULL, 4096, PROT_READ,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED)
			munmap(p, 4096);
	}
	return NULL;
}

/*
 * What a collector does: map a buffer file, list the channel's directory
 * while another thread maps memory, and the client closes its channels.
 * The listing copies into fresh pages, so it faults under the directory's
 * i_rwsem; with mmap_lock taken by the other thread, the fault waits for
 * it, and lockdep records "directory i_rwsem, then mmap_lock". Together
 * with the mmap (mmap_lock, then what relayx takes there) and the file
 * creation and removal (chan->lock, then the directory's i_rwsem), lockdep
 * sees every edge: the guest log must stay clean. The listing repeats
 * until /proc/lockdep shows the edge, so the test knows it happened.
 */
static int lock_order(void)
{
	int fd = open_buf("a0", O_RDONLY), dirfd, i, seen = 0;
	size_t len = 8 * 4096;
	char *map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	pthread_t thread;

	check(map != MAP_FAILED, "mmap a0");
	dirfd = open(DIR, O_RDONLY | O_DIRECTORY);
	check(dirfd >= 0, "open %s", DIR);
	churning = 1;
	if (pthread_create(&thread, NULL, churn, NULL)) {
		printf("FAILED: pthread_create\n");
		exit(1);
	}
	for (i = 1; i <= 20000 && !seen; i++) {
		char *dents = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		lseek(dirfd, 0, SEEK_SET);
		if (syscall(SYS_getdents64, dirfd, dents, 4096) <= 0) {
			printf("FAILED: getdents64: %s\n", strerror(errno));
			exit(1);
		}
		munmap(dents, 4096);
		if (!(i % 200))
			seen = dir_lock_then_mmap_lock();
	}
	churning = 0;
	pthread_join(thread, NULL);
	check(seen == 1, "lockdep saw a listing fault wait for mmap_lock (%s, %d listings)",
	      seen < 0 ? "lockdep is off: it reported something" :
	      seen ? "seen" : "never seen",
	      i - 1);
	close(dirfd);
	send_cmd("close");
	munmap(map, len);
	close(fd);
	return verdict();
}

/* RELAYX_OPEN_BUF of /dev/relayx (@dev) on @fd: a new descriptor, or -1. */
static int dev_open_buf(int dev, int fd)
{
	struct relayx_open_buf arg = { .fd = fd, .flags = 0 };

	return ioctl(dev, RELAYX_OPEN_BUF, &arg);
}

/* RELAYX_OPEN_BUF fails with @err; a descriptor made anyway is closed. */
static void expect_open_buf_fails(int dev, unsigned long cmd, void *arg,
				  int err, const char *what)
{
	int fd = ioctl(dev, cmd, arg);

	expect_errno(fd < 0 ? -1 : 0, err, what);
	if (fd >= 0)
		close(fd);
}

/* The record at @p is CPU 0's number @seq, intact. */
static int record_ok(const char *p, unsigned long long seq)
{
	struct relayx_sample_record rec, good = { .seq = seq };

	memcpy(&rec, p, sizeof(rec));
	relayx_sample_fill(&good);
	return rec.magic == RELAYX_SAMPLE_MAGIC && rec.cpu == 0 &&
	       rec.seq == seq &&
	       !memcmp(rec.payload, good.payload, sizeof(good.payload));
}

/*
 * Takes the sub-buffers of @fd through the mapping @map until GET fails:
 * each record must be the next one of CPU 0 from *@next on. Returns the
 * sub-buffers taken, or -1 for a bad record or a failed put; *@end is
 * the errno of the GET that stopped it.
 */
static int drain_records(int fd, const char *map, unsigned long long *next,
			 int *end)
{
	struct relayx_subbuf sb;
	__u64 off;
	int n = 0;

	while (ioctl(fd, RELAYX_GET_SUBBUF, &sb) == 0) {
		if (sb.len % REC) {
			printf("sub-buffer %llu: %llu bytes, not whole records\n",
			       (unsigned long long)sb.seq,
			       (unsigned long long)sb.len);
			return -1;
		}
		for (off = 0; off < sb.len; off += REC, (*next)++) {
			if (!record_ok(map + sb.offset + off, *next)) {
				printf("sub-buffer %llu: record %llu is not intact\n",
				       (unsigned long long)sb.seq, *next);
				return -1;
			}
		}
		if (ioctl(fd, RELAYX_PUT_SUBBUF, &sb.seq))
			return -1;
		n++;
	}
	*end = errno;
	return n;
}

/* /sys/module/relayx/refcnt: the references on relayx.ko. */
static long relayx_refcnt(void)
{
	FILE *f = fopen("/sys/module/relayx/refcnt", "r");
	long n = -1;

	if (!f || fscanf(f, "%ld", &n) != 1)
		n = -1;
	if (f)
		fclose(f);
	return n;
}

/* The geometry of @fd is the test client's: 8 x 4096. */
static void check_geometry(int fd, const char *what)
{
	struct relayx_geometry geo;

	check(ioctl(fd, RELAYX_GET_GEOMETRY, &geo) == 0 &&
	      geo.subbuf_size == 4096 && geo.n_subbufs == 8 &&
	      geo.mmap_len == 8 * 4096, "%s: geometry 8 x 4096", what);
}

/* Every way RELAYX_OPEN_BUF refuses, each with its errno. */
static void devnode_errors(int dev, int pa, int fd)
{
	struct {
		struct relayx_open_buf v0;
		__u64 more;
	} big = { .v0 = { .fd = pa } };
	struct relayx_open_buf arg = { .fd = -1, .flags = 0 };
	int other, status;
	pid_t pid;

	expect_open_buf_fails(dev, RELAYX_OPEN_BUF, &arg, EBADF,
			      "a negative descriptor");
	arg.fd = 1000;
	expect_open_buf_fails(dev, RELAYX_OPEN_BUF, &arg, EBADF,
			      "a descriptor that is not open");
	arg.fd = pa;
	arg.flags = 1;
	expect_open_buf_fails(dev, RELAYX_OPEN_BUF, &arg, EINVAL,
			      "an unknown flag");
	other = open_buf("astats", O_PATH);
	expect_errno(dev_open_buf(dev, other), EINVAL, "the stats file");
	close(other);
	other = open("/dev/null", O_RDONLY);
	expect_errno(dev_open_buf(dev, other), EINVAL, "/dev/null");
	close(other);
	other = open(DIR, O_PATH | O_DIRECTORY);
	expect_errno(dev_open_buf(dev, other), EINVAL, "the channel's directory");
	close(other);
	expect_errno(dev_open_buf(dev, dev), EINVAL, "/dev/relayx itself");
	expect_errno(dev_open_buf(dev, fd), EINVAL,
		     "a descriptor RELAYX_OPEN_BUF returned (no file of its own)");
	expect_open_buf_fails(dev, RELAYX_OPEN_BUF, (void *)8, EFAULT,
			      "the argument at a bad pointer");

	/* Sizes: the first version's and up, trailing bytes zero. */
	big.more = 1;
	expect_open_buf_fails(dev, _IOW(RELAYX_IOC_MAGIC, 0x10, big), &big,
			      E2BIG, "a bigger struct, nonzero beyond the known");
	big.more = 0;
	other = ioctl(dev, _IOW(RELAYX_IOC_MAGIC, 0x10, big), &big);
	check(other >= 0, "a bigger struct, zero beyond the known: accepted (%s)",
	      other < 0 ? strerror(errno) : "ok");
	if (other >= 0) {
		check_geometry(other, "through the bigger struct");
		close(other);
	}
	expect_open_buf_fails(dev, _IOW(RELAYX_IOC_MAGIC, 0x10, __u32), &arg,
			      EINVAL, "a struct smaller than the first version");

	expect_open_buf_fails(dev, _IOR(RELAYX_IOC_MAGIC, 0x10,
					struct relayx_open_buf), &arg, ENOTTY,
			      "RELAYX_OPEN_BUF's number, read direction");
	expect_open_buf_fails(dev, _IOW(RELAYX_IOC_MAGIC, 0x11,
					struct relayx_open_buf), &arg, ENOTTY,
			      "an unknown number");
	expect_open_buf_fails(dev, RELAYX_GET_GEOMETRY, &big, ENOTTY,
			      "a buffer file's ioctl on the device");
	expect_open_buf_fails(dev, TCGETS, &big, ENOTTY, "a foreign ioctl");

	/* Someone who may not read a0: its O_PATH and the device are open. */
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(dev_open_buf(dev, pa) == -1 && errno == EACCES ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a caller who may not read the file: EACCES (status %#x)",
	      status);
}

/*
 * /dev/relayx (relay_dev.c) on the test client's a0: the descriptor
 * RELAYX_OPEN_BUF gives for an O_PATH one does what an open() of a0
 * does (geometry, poll, the mmap drain, read(), sendfile(), stats, its
 * own hold), every error has its errno, and the descriptor keeps the
 * buffer after the client is unloaded, and relayx.ko until it is closed.
 * Unloads the client itself.
 */
static int devnode(void)
{
	struct pollfd pfd = { .events = POLLIN };
	unsigned long long next = 0;
	struct relayx_buf_stats st;
	struct relayx_subbuf sb;
	int dev, pa, fd, fd2, opened, end, n, ret, sink;
	size_t len = 8 * 4096;
	long before, after;
	struct stat dst;
	ssize_t sent;
	char buf[4096];
	__u64 seq;
	char *map;

	dev = open(DEV, O_RDONLY);
	if (dev < 0) {
		printf("FAILED: open %s: %s\n", DEV, strerror(errno));
		return 1;
	}
	/* Arguments are evaluated in no set order: the call comes first. */
	ret = fstat(dev, &dst);
	check(ret == 0 && S_ISCHR(dst.st_mode) &&
	      (dst.st_mode & 07777) == 0600 && dst.st_uid == 0,
	      "%s is a character device, 0600 root (%o)", DEV,
	      dst.st_mode & 07777);
	pa = open_buf("a0", O_PATH);
	fd = dev_open_buf(dev, pa);
	check(fd >= 0, "RELAYX_OPEN_BUF on an O_PATH descriptor of a0 (%s)",
	      fd < 0 ? strerror(errno) : "ok");
	if (fd < 0)
		return verdict();
	check(fcntl(fd, F_GETFD) == FD_CLOEXEC, "the descriptor is close-on-exec");
	check((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY,
	      "the descriptor is read-only");
	check_geometry(fd, "the descriptor");
	expect_errno(lseek(fd, 0, SEEK_SET), ESPIPE, "lseek() on it");
	expect_errno(write(fd, "x", 1), EBADF, "write() on it");
	opened = open_buf("a0", O_RDONLY);
	fd2 = dev_open_buf(dev, opened);
	check(fd2 >= 0, "RELAYX_OPEN_BUF on an open() descriptor of a0 too");
	close(opened);
	if (fd2 >= 0)
		close(fd2);
	devnode_errors(dev, pa, fd);

	/* poll(): asleep, then woken by the sub-buffer that completes. */
	pfd.fd = fd;
	check(poll(&pfd, 1, 0) == 0, "no POLLIN while nothing is complete");
	poll_wakes(fd, "write 65");
	check(poll(&pfd, 1, 0) == 1 && pfd.revents == POLLIN,
	      "POLLIN for the complete sub-buffer");

	/* Three complete sub-buffers (records 0-191), and one record. */
	send_cmd("write %ld", 2 * PER_SUB);
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	check(map != MAP_FAILED, "mmap of the whole buffer");
	if (map == MAP_FAILED)
		return verdict();
	/* A second descriptor is a reader of its own: its own hold. */
	fd2 = dev_open_buf(dev, pa);
	check(ioctl(fd, RELAYX_GET_SUBBUF, &sb) == 0 && sb.seq == 0 &&
	      sb.offset == 0 && sb.len == 4096, "get sub-buffer 0");
	for (n = 0; n < PER_SUB && record_ok(map + n * REC, next); n++)
		next++;
	check(next == PER_SUB, "records 0-%ld intact in the mapping (%llu)",
	      PER_SUB - 1, next);
	check(ioctl(fd2, RELAYX_GET_SUBBUF, &sb) == -1 && errno == EBUSY,
	      "a second descriptor's get while the first holds one: EBUSY");
	seq = 0;
	expect_errno(ioctl(fd2, RELAYX_PUT_SUBBUF, &seq), EINVAL,
		     "the second descriptor cannot put the first one's hold");
	expect_errno(read(fd2, buf, 1), EBUSY,
		     "read() on the second while the first holds one");
	check(ioctl(fd, RELAYX_PUT_SUBBUF, &seq) == 0, "the first puts it");
	n = drain_records(fd, map, &next, &end);
	check(n == 2 && end == EAGAIN && next == 3 * PER_SUB,
	      "mmap drain: 2 more sub-buffers, records up to %llu intact, then EAGAIN (%d, %s)",
	      next - 1, n, strerror(end));

	/* read(): the rest, from the sub-buffer being written. */
	send_cmd("write 5");
	n = read(fd2, buf, sizeof(buf));
	check(n == 6 * REC && record_ok(buf, next) &&
	      record_ok(buf + 5 * REC, next + 5),
	      "read() on the second descriptor: records %llu-%llu (%d bytes)",
	      next, next + 5, n);
	next += n > 0 ? n / REC : 0;
	/* sendfile(), as from an open()ed file: two more records. */
	send_cmd("write 2");
	sink = memfd_create("sink", 0);
	sent = sendfile(sink, fd2, NULL, sizeof(buf));
	check(sent == 2 * REC && pread(sink, buf, sizeof(buf), 0) == 2 * REC &&
	      record_ok(buf, next) && record_ok(buf + REC, next + 1),
	      "sendfile() from the second descriptor: records %llu-%llu (%zd bytes)",
	      next, next + 1, sent);
	close(sink);
	next += 2;
	ret = ioctl(fd, RELAYX_GET_STATS, &st);
	check(ret == 0 && st.msgs == next &&
	      st.full == 0 && st.produced == 3 && st.consumed == 3,
	      "stats: %llu messages, 3 sub-buffers produced and consumed (%llu, %llu, %llu)",
	      next, (unsigned long long)st.msgs,
	      (unsigned long long)st.produced,
	      (unsigned long long)st.consumed);
	close(fd2);

	/* The client goes; the descriptor stays, with the buffer. */
	send_cmd("write %ld", PER_SUB);
	check(system("rmmod relayx_testmod") == 0,
	      "the client unloads while the descriptor is open and mapped");
	expect_errno(dev_open_buf(dev, pa), EINVAL,
		     "a0's O_PATH descriptor once its channel is closed");
	close(pa);
	close(dev);
	before = relayx_refcnt();
	errno = 0;
	expect_errno(syscall(SYS_delete_module, "relayx", O_NONBLOCK),
		     EWOULDBLOCK, "rmmod relayx while the descriptor is open");
	n = drain_records(fd, map, &next, &end);
	check(n == 2 && end == ENODATA && next == 4 * PER_SUB + 8,
	      "after the unload, the mmap drain gets the rest: records up to %llu, then ENODATA (%d, %s)",
	      next - 1, n, strerror(end));
	ret = poll(&pfd, 1, 0);
	check(ret == 1 && (pfd.revents & POLLERR),
	      "POLLERR: closed and drained (revents %#x)", pfd.revents);
	ret = ioctl(fd, RELAYX_GET_STATS, &st);
	check(ret == 0 && st.msgs == next,
	      "stats after the unload: %llu messages (%llu)", next,
	      (unsigned long long)st.msgs);
	munmap(map, len);
	close(fd);
	after = relayx_refcnt();
	check(before > 0 && after == before - 1,
	      "closing it let go of relayx.ko (refcnt %ld, then %ld)", before,
	      after);
	return verdict();
}

/*
 * Under kernel lockdown (run-tests lockdown), with the sample loaded:
 * debugfs refuses to open its buffer files, even read-only, but gives
 * O_PATH descriptors of them, and still opens the stats file.
 */
static int locked_down(void)
{
	char path[128], text[8192];
	int cpu, fd, files = 0;
	ssize_t n;

	for (cpu = 0; cpu < 256; cpu++) {
		snprintf(path, sizeof(path), SAMPLE "/cpu%d", cpu);
		if (access(path, F_OK))
			continue;
		files++;
		fd = open(path, O_RDONLY);
		check(fd == -1 && errno == EPERM, "open(%s): EPERM (%s)", path,
		      fd == -1 ? strerror(errno) : "opened");
		if (fd >= 0)
			close(fd);
		fd = open(path, O_PATH);
		check(fd >= 0, "an O_PATH descriptor of %s", path);
		if (fd >= 0)
			close(fd);
	}
	check(files > 0, "%d buffer files", files);
	fd = open(SAMPLE "/cpustats", O_RDONLY);
	n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
	text[n > 0 ? n : 0] = 0;
	check(n > 0 && strstr(text, "total"), "the stats file reads (%s)",
	      n < 0 ? strerror(errno) : "ok");
	printf("%s", text);
	if (fd >= 0)
		close(fd);
	return verdict();
}

int main(int argc, char **argv)
{
	cpu_set_t cpu0;

	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(0, sizeof(cpu0), &cpu0)) {
		perror("sched_setaffinity");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "offline-wakeup"))
		return offline_wakeup(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "harness-failures"))
		return harness_failures(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "irq-window"))
		return irq_window(atoi(argv[2]));
	if (argc != 2)
		return 2;
	if (!strcmp(argv[1], "bad-calls"))
		return bad_calls();
	if (!strcmp(argv[1], "abi"))
		return abi();
	if (!strcmp(argv[1], "hold"))
		return hold();
	if (!strcmp(argv[1], "poll"))
		return poll_test();
	if (!strcmp(argv[1], "poll-race"))
		return poll_race();
	if (!strcmp(argv[1], "lifetime"))
		return lifetime();
	if (!strcmp(argv[1], "perm"))
		return perm();
	if (!strcmp(argv[1], "lock-order"))
		return lock_order();
	if (!strcmp(argv[1], "devnode"))
		return devnode();
	if (!strcmp(argv[1], "locked-down"))
		return locked_down();
	return 2;
}
