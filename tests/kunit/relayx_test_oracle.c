// SPDX-License-Identifier: GPL-2.0
/*
 * kernel/relay.c as the oracle: the same writes into an upstream channel
 * and a relayx channel of the same geometry must leave the same
 * sub-buffers, padding and bytes behind.
 */
#include <linux/dcache.h>
#include <linux/debugfs.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/relay.h>

#include "relayx_test.h"
#include "../../relayx_internal.h"

#define GUC_SNAPSHOT guc_snapshot_upstream
#include "relayx_test_guc.h"

static struct dentry oracle_no_file;

static struct dentry *oracle_create_buf_file(const char *filename,
					     struct dentry *parent,
					     umode_t mode,
					     struct rchan_buf *buf,
					     int *is_global)
{
	/*
	 * Upstream asks a buffer-only channel's hook only for is_global,
	 * with a NULL name, and treats NULL as failure; the dentry it gets
	 * is never used.
	 */
	return filename ? NULL : &oracle_no_file;
}

static int oracle_remove_buf_file(struct dentry *dentry)
{
	return 0;
}

static const struct rchan_callbacks oracle_cb = {
	.create_buf_file = oracle_create_buf_file,
	.remove_buf_file = oracle_remove_buf_file,
};

/* One upstream channel and one relayx channel of the same geometry. */
struct oracle_pair {
	struct rchan *u;
	struct relayx_chan *x;
	size_t size, n;
	unsigned int cpu;
};

static void oracle_open(struct kunit *test, struct oracle_pair *p,
			size_t size, size_t n,
			const struct rchan_callbacks *ucb,
			const struct relayx_callbacks *xcb)
{
	p->size = size;
	p->n = n;
	p->u = relay_open(NULL, NULL, size, n, ucb, NULL);
	KUNIT_ASSERT_NOT_NULL(test, p->u);
	p->x = relayx_open(NULL, NULL, size, n, xcb, NULL);
	if (!p->x)
		relay_close(p->u);
	KUNIT_ASSERT_NOT_NULL(test, p->x);
	/* Every write lands in this CPU's buffers; undone by oracle_close(). */
	migrate_disable();
	p->cpu = raw_smp_processor_id();
}

static void oracle_write(struct oracle_pair *p, const void *msg, size_t len)
{
	relay_write(p->u, msg, len);
	relayx_write(p->x, msg, len);
}

/* Same sub-buffers produced, same write position, same bytes and padding. */
static void oracle_compare(struct kunit *test, struct oracle_pair *p)
{
	struct rchan_buf *ub = *per_cpu_ptr(p->u->buf, p->cpu);
	struct relayx_buf *xb = *per_cpu_ptr(p->x->buf, p->cpu);
	size_t k, len;

	KUNIT_EXPECT_EQ(test, xb->subbufs_produced, ub->subbufs_produced);
	KUNIT_EXPECT_EQ(test, relayx_buf_offset(xb), ub->offset);
	for (k = 0; k < p->n && k < xb->subbufs_produced; k++) {
		KUNIT_EXPECT_EQ_MSG(test, (size_t)xb->padding[k], ub->padding[k],
				    "sub-buffer %zu", k);
		len = p->size - ub->padding[k];
		KUNIT_EXPECT_EQ_MSG(test, memcmp(relayx_subbuf_addr(xb, k),
						 ub->start + k * p->size, len), 0,
				    "sub-buffer %zu", k);
	}
}

static void oracle_close(struct oracle_pair *p)
{
	migrate_enable();
	relay_close(p->u);
	relayx_close(p->x);
}

/*
 * @writes messages of random lengths in [1, @max_len], or all of length
 * @max_len when @fixed.
 */
static void compare_with_upstream(struct kunit *test, size_t size, size_t n,
				  u32 max_len, int writes, bool fixed)
{
	struct oracle_pair p;
	size_t len;
	u8 *msg;
	int i;

	msg = kunit_kmalloc(test, max_len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, msg);
	oracle_open(test, &p, size, n, &oracle_cb, NULL);
	for (i = 0; i < writes; i++) {
		len = fixed ? max_len : get_random_u32_below(max_len) + 1;
		memset(msg, i, len);
		oracle_write(&p, msg, len);
	}
	oracle_compare(test, &p);
	oracle_close(&p);
}

static void relayx_oracle_page_multiple(struct kunit *test)
{
	compare_with_upstream(test, 4096, 4, 700, 40, false);
}

static void relayx_oracle_odd_size(struct kunit *test)
{
	compare_with_upstream(test, 1000, 6, 300, 60, false);
}

/* Writes long after the buffer filled: both refuse the same way. */
static void relayx_oracle_full(struct kunit *test)
{
	compare_with_upstream(test, 512, 3, 200, 400, false);
}

/*
 * Every message length around the sub-buffer and page boundaries, for
 * sub-buffers smaller than, equal to, between and above page sizes.
 */
static void relayx_oracle_boundaries(struct kunit *test)
{
	static const size_t sizes[] = { 100, 3000, PAGE_SIZE, 5000,
					2 * PAGE_SIZE };
	size_t i, size;
	u32 len;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size = sizes[i];
		for (len = 1; len <= 3; len++)
			compare_with_upstream(test, size, 3, len, 50, true);
		for (len = size - 2; len <= size + 1; len++)
			compare_with_upstream(test, size, 3, len, 5, true);
		for (len = size / 2 - 1; len <= size / 2 + 1; len++)
			compare_with_upstream(test, size, 3, len, 8, true);
		if (size <= PAGE_SIZE)
			continue;
		for (len = PAGE_SIZE - 1; len <= PAGE_SIZE + 1; len++)
			compare_with_upstream(test, size, 3, len, 6, true);
	}
}

/*
 * A client that keeps a header in every sub-buffer, the way relay's
 * documentation teaches: when a sub-buffer starts, the padding of the
 * one before goes into that one's header. The knobs make it refuse.
 */
struct hdr_client {
	bool refuse_initial;	/* refuse the call at open (no prev_subbuf) */
	bool reserve_twice;	/* reserve the header in two calls */
};

static struct hdr_client hdr;

/* Both implementations' callbacks: accept? And how big is the header. */
static int hdr_start(void *subbuf, void *prev_subbuf, size_t prev_padding,
		     bool full)
{
	if (prev_subbuf)
		*(u32 *)prev_subbuf = prev_padding;
	if (!prev_subbuf && hdr.refuse_initial)
		return 0;
	if (full)
		return 0;
	*(u32 *)subbuf = 0;
	return 1;
}

static int hdr_start_upstream(struct rchan_buf *buf, void *subbuf,
			      void *prev_subbuf, size_t prev_padding)
{
	if (!hdr_start(subbuf, prev_subbuf, prev_padding, relay_buf_full(buf)))
		return 0;
	subbuf_start_reserve(buf, sizeof(u32));
	if (hdr.reserve_twice)
		subbuf_start_reserve(buf, sizeof(u32));
	return 1;
}

static int hdr_start_relayx(struct relayx_buf *buf, void *subbuf,
			    void *prev_subbuf, size_t prev_padding)
{
	if (!hdr_start(subbuf, prev_subbuf, prev_padding,
		       relayx_buf_full(buf)))
		return 0;
	relayx_subbuf_start_reserve(buf, sizeof(u32));
	if (hdr.reserve_twice)
		relayx_subbuf_start_reserve(buf, sizeof(u32));
	return 1;
}

static const struct rchan_callbacks hdr_cb_upstream = {
	.subbuf_start = hdr_start_upstream,
	.create_buf_file = oracle_create_buf_file,
	.remove_buf_file = oracle_remove_buf_file,
};

static const struct relayx_callbacks hdr_cb_relayx = {
	.subbuf_start = hdr_start_relayx,
};

/* Random writes of a header client, through full-buffer refusals. */
static void header_client_run(struct kunit *test, struct hdr_client knobs,
			      int writes)
{
	struct oracle_pair p;
	u8 msg[40];
	int i;

	hdr = knobs;
	oracle_open(test, &p, 256, 3, &hdr_cb_upstream, &hdr_cb_relayx);
	for (i = 0; i < writes; i++) {
		memset(msg, i, sizeof(msg));
		oracle_write(&p, msg, get_random_u32_below(sizeof(msg)) + 1);
	}
	oracle_compare(test, &p);
	oracle_close(&p);
}

static void relayx_oracle_header(struct kunit *test)
{
	header_client_run(test, (struct hdr_client){}, 60);
}

/* subbuf_start_reserve() sets the header length; it does not add. */
static void relayx_oracle_header_reserved_twice(struct kunit *test)
{
	header_client_run(test, (struct hdr_client){ .reserve_twice = true },
			  60);
}

/* Upstream ignores what the callback at open returns. */
static void relayx_oracle_initial_refusal(struct kunit *test)
{
	header_client_run(test, (struct hdr_client){ .refuse_initial = true },
			  60);
}

/*
 * A flush while the callback refuses (the buffer is full) tries the
 * switch again, as the next write would: once a sub-buffer was consumed,
 * the flush enters the next one.
 */
static void relayx_oracle_flush_refused(struct kunit *test)
{
	struct oracle_pair p;
	u8 msg[100] = {};
	int i;

	hdr = (struct hdr_client){};
	oracle_open(test, &p, 256, 3, &hdr_cb_upstream, &hdr_cb_relayx);
	for (i = 0; i < 10; i++)
		oracle_write(&p, msg, sizeof(msg));
	KUNIT_EXPECT_EQ(test, relayx_stats(p.x, RELAYX_STATS_BUF_FULL) > 0,
			true);
	relay_subbufs_consumed(p.u, p.cpu, 1);
	relayx_subbufs_consumed(p.x, p.cpu, 1);
	/* Flush sleeps; the buffers of p.cpu stay those compared. */
	relay_flush(p.u);
	relayx_flush(p.x);
	oracle_compare(test, &p);
	oracle_close(&p);
}

/*
 * The GPU firmware-log pattern (relayx_test_guc.h) on a global channel of
 * each: snapshots until the channel is full and refuses them, a reader
 * that reads everything, snapshots again. Each snapshot is marked 'A'
 * when taken, '-' when refused by a full channel, and, for upstream,
 * '0' when relay_reserve(chan, 0) returned NULL although its switch
 * entered a new sub-buffer (the write position is then at its start, not
 * past the end of the one before).
 */
#define GUC_SB		256
#define GUC_N		4
#define GUC_SNAPS	(2 * GUC_N)

static struct dentry *guc_create_upstream(const char *filename,
					  struct dentry *parent, umode_t mode,
					  struct rchan_buf *buf, int *is_global)
{
	*is_global = 1;
	return oracle_create_buf_file(filename, parent, mode, buf, is_global);
}

static struct dentry *guc_create_relayx(const char *filename,
					struct dentry *parent, umode_t mode,
					struct relayx_buf *buf, int *is_global)
{
	*is_global = 1;
	return NULL;
}

static const struct rchan_callbacks guc_cb_upstream = {
	.create_buf_file = guc_create_upstream,
	.remove_buf_file = oracle_remove_buf_file,
};

static const struct relayx_callbacks guc_cb_relayx = {
	.create_buf_file = guc_create_relayx,
};

static DEFINE_MUTEX(guc_lock);

static void guc_round(struct oracle_pair *p, u8 *snap, int *no,
		      char *up, char *x)
{
	struct rchan_buf *ub = *per_cpu_ptr(p->u->buf, p->cpu);
	int i;

	for (i = 0; i < GUC_SNAPS; i++, (*no)++) {
		memset(snap, *no, GUC_SB);
		if (guc_snapshot_upstream(p->u, &guc_lock, snap, GUC_SB))
			up[i] = 'A';
		else
			up[i] = ub->offset > GUC_SB ? '-' : '0';
		x[i] = relayx_test_guc_snapshot(p->x, &guc_lock, snap,
						GUC_SB) ? 'A' : '-';
	}
	up[i] = '\0';
	x[i] = '\0';
}

static void relayx_oracle_guc_log(struct kunit *test)
{
	char up[GUC_SNAPS + 1], x[GUC_SNAPS + 1];
	struct oracle_pair p;
	struct rchan_buf *ub;
	struct relayx_buf *xb;
	int no = 1;
	u8 *snap;

	snap = kunit_kmalloc(test, GUC_SB, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, snap);
	oracle_open(test, &p, GUC_SB, GUC_N, &guc_cb_upstream, &guc_cb_relayx);
	ub = *per_cpu_ptr(p.u->buf, p.cpu);
	xb = *per_cpu_ptr(p.x->buf, p.cpu);
	KUNIT_EXPECT_TRUE(test, p.u->is_global);
	KUNIT_EXPECT_TRUE(test, p.x->is_global);

	/* Until full: both take GUC_N snapshots, then refuse. */
	guc_round(&p, snap, &no, up, x);
	kunit_info(test, "filling:  upstream %s, relayx %s", up, x);
	KUNIT_EXPECT_STREQ(test, up, "AAAA----");
	KUNIT_EXPECT_STREQ(test, x, "AAAA----");
	oracle_compare(test, &p);

	/* A reader reads it all: every produced sub-buffer is consumed. */
	relay_subbufs_consumed(p.u, p.cpu,
			       ub->subbufs_produced - ub->subbufs_consumed);
	relayx_subbufs_consumed(p.x, p.cpu,
				xb->subbufs_produced - xb->subbufs_consumed);
	KUNIT_EXPECT_EQ(test, ub->subbufs_consumed, (size_t)GUC_N);
	KUNIT_EXPECT_EQ(test, xb->subbufs_consumed, (size_t)GUC_N);

	/*
	 * Upstream's first relay_reserve(chan, 0) enters a free sub-buffer
	 * but returns NULL: the switch returns the length asked for, 0,
	 * which relay_reserve() takes for a refusal. That snapshot is lost;
	 * relayx takes it. Each takes GUC_N in all before it is full again.
	 */
	guc_round(&p, snap, &no, up, x);
	kunit_info(test, "after the read: upstream %s, relayx %s", up, x);
	KUNIT_EXPECT_STREQ(test, up, "0AAAA---");
	KUNIT_EXPECT_STREQ(test, x, "AAAA----");
	KUNIT_EXPECT_EQ(test, ub->subbufs_produced, (size_t)(2 * GUC_N));
	KUNIT_EXPECT_EQ(test, xb->subbufs_produced, (size_t)(2 * GUC_N));
	/* The same snapshots but upstream's first are there, one later. */
	KUNIT_EXPECT_EQ(test, *(u8 *)(ub->start), (u8)(GUC_SNAPS + 2));
	KUNIT_EXPECT_EQ(test, *(u8 *)relayx_subbuf_addr(xb, 0),
			(u8)(GUC_SNAPS + 1));
	oracle_close(&p);
}

/*
 * The documented header pattern, then flush and close: the close must not
 * finish a sub-buffer that holds only the header subbuf_start reserved
 * (no data, and no subbuf_start(prev) to write its padding), on the
 * writing CPU or on any idle one. Upstream's close finishes nothing; the
 * buffers are compared after it, each kept by a reference (upstream's the
 * way an open file keeps it).
 */
static void relayx_oracle_header_flush_close(struct kunit *test)
{
	struct rchan_buf **ubs;
	struct relayx_buf **xbs;
	struct oracle_pair p;
	struct file ufile = {};
	unsigned int cpu;
	size_t k, n;
	u8 msg[10];

	ubs = kunit_kcalloc(test, nr_cpu_ids, sizeof(*ubs), GFP_KERNEL);
	xbs = kunit_kcalloc(test, nr_cpu_ids, sizeof(*xbs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ubs);
	KUNIT_ASSERT_NOT_NULL(test, xbs);
	hdr = (struct hdr_client){};
	oracle_open(test, &p, 256, 4, &hdr_cb_upstream, &hdr_cb_relayx);
	memset(msg, 0x3c, sizeof(msg));
	oracle_write(&p, msg, sizeof(msg));
	relay_flush(p.u);
	relayx_flush(p.x);
	for_each_possible_cpu(cpu) {
		ubs[cpu] = *per_cpu_ptr(p.u->buf, cpu);
		xbs[cpu] = *per_cpu_ptr(p.x->buf, cpu);
		if (ubs[cpu])
			kref_get(&ubs[cpu]->kref);
		if (xbs[cpu])
			relayx_buf_get(xbs[cpu]);
	}
	oracle_close(&p);

	for_each_possible_cpu(cpu) {
		KUNIT_EXPECT_EQ_MSG(test, !xbs[cpu], !ubs[cpu], "cpu %u", cpu);
		if (!xbs[cpu] || !ubs[cpu])
			continue;
		KUNIT_EXPECT_EQ_MSG(test, xbs[cpu]->subbufs_produced,
				    ubs[cpu]->subbufs_produced,
				    "sub-buffers produced, cpu %u (written: %u)",
				    cpu, p.cpu);
		n = min(xbs[cpu]->subbufs_produced, p.n);
		for (k = 0; k < n; k++) {
			/* What a consumer trusts: the header holds the padding. */
			KUNIT_EXPECT_EQ_MSG(test,
					    *(u32 *)relayx_subbuf_addr(xbs[cpu], k),
					    xbs[cpu]->padding[k],
					    "header of sub-buffer %zu, cpu %u",
					    k, cpu);
			KUNIT_EXPECT_EQ_MSG(test, (size_t)xbs[cpu]->padding[k],
					    ubs[cpu]->padding[k],
					    "padding of sub-buffer %zu, cpu %u",
					    k, cpu);
		}
	}
	for_each_possible_cpu(cpu) {
		if (ubs[cpu]) {
			/* Drops the reference as the release of a file does. */
			ufile.private_data = ubs[cpu];
			relay_file_operations.release(NULL, &ufile);
		}
		if (xbs[cpu])
			relayx_buf_put(xbs[cpu]);
	}
}

/*
 * relay_subbufs_consumed() with a count above n_subbufs: upstream ignores
 * the call; with n_subbufs or less, it takes it, clamped to what was
 * produced.
 */
static void relayx_oracle_consumed_too_many(struct kunit *test)
{
	struct oracle_pair p;
	struct rchan_buf *ub;
	struct relayx_buf *xb;
	u8 msg[200] = {};
	int i;

	oracle_open(test, &p, 256, 4, &oracle_cb, NULL);
	ub = *per_cpu_ptr(p.u->buf, p.cpu);
	xb = *per_cpu_ptr(p.x->buf, p.cpu);
	for (i = 0; i < 4; i++)
		oracle_write(&p, msg, sizeof(msg));
	KUNIT_EXPECT_EQ(test, ub->subbufs_produced, (size_t)3);
	relay_subbufs_consumed(p.u, p.cpu, p.n + 1);
	relayx_subbufs_consumed(p.x, p.cpu, p.n + 1);
	KUNIT_EXPECT_EQ_MSG(test, xb->subbufs_consumed, ub->subbufs_consumed,
			    "consumed after a count of n_subbufs + 1");
	relay_subbufs_consumed(p.u, p.cpu, p.n);
	relayx_subbufs_consumed(p.x, p.cpu, p.n);
	KUNIT_EXPECT_EQ_MSG(test, xb->subbufs_consumed, ub->subbufs_consumed,
			    "consumed after a count of n_subbufs");
	KUNIT_EXPECT_EQ(test, xb->subbufs_consumed, (size_t)3);
	oracle_compare(test, &p);
	oracle_close(&p);
}

static struct dentry *oracle_create_file(const char *filename,
					 struct dentry *parent, umode_t mode,
					 struct rchan_buf *buf, int *is_global)
{
	return debugfs_create_file(filename, mode, parent, buf,
				   &relay_file_operations);
}

static int oracle_remove_file(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct rchan_callbacks oracle_file_cb = {
	.create_buf_file = oracle_create_file,
	.remove_buf_file = oracle_remove_file,
};

/*
 * A documented difference: after a reset, a relayx file's size is what
 * its buffer produced since (0); upstream's keeps the size from before
 * the reset, bytes that read() no longer returns.
 */
static void relayx_oracle_reset_file_size(struct kunit *test)
{
	struct dentry *udir, *xdir;
	struct rchan_buf *ub;
	struct relayx_buf *xb;
	struct oracle_pair p;
	u8 msg[100] = {};
	int i;

	udir = debugfs_create_dir("relayx_oracle_reset_u", NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(udir));
	xdir = debugfs_create_dir("relayx_oracle_reset_x", NULL);
	if (IS_ERR_OR_NULL(xdir))
		debugfs_remove(udir);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(xdir));
	p.size = 256;
	p.n = 4;
	p.u = relay_open("cpu", udir, p.size, p.n, &oracle_file_cb, NULL);
	p.x = relayx_open("cpu", xdir, p.size, p.n, NULL, NULL);
	KUNIT_EXPECT_NOT_NULL(test, p.u);
	KUNIT_EXPECT_NOT_NULL(test, p.x);
	if (!p.u || !p.x)
		goto out;
	migrate_disable();
	p.cpu = raw_smp_processor_id();
	ub = *per_cpu_ptr(p.u->buf, p.cpu);
	xb = *per_cpu_ptr(p.x->buf, p.cpu);
	for (i = 0; i < 3; i++)
		oracle_write(&p, msg, sizeof(msg));
	KUNIT_EXPECT_EQ(test, i_size_read(d_inode(ub->dentry)), 200LL);
	KUNIT_EXPECT_EQ(test, i_size_read(d_inode(xb->dentry)), 200LL);
	relay_reset(p.u);
	relayx_reset(p.x);
	KUNIT_EXPECT_EQ_MSG(test, i_size_read(d_inode(ub->dentry)), 200LL,
			    "upstream's size after a reset");
	KUNIT_EXPECT_EQ_MSG(test, i_size_read(d_inode(xb->dentry)), 0LL,
			    "relayx's size after a reset");
	oracle_compare(test, &p);
	migrate_enable();
out:
	relay_close(p.u);
	relayx_close(p.x);
	debugfs_remove(udir);
	debugfs_remove(xdir);
}

static struct kunit_case relayx_oracle_cases[] = {
	KUNIT_CASE(relayx_oracle_page_multiple),
	KUNIT_CASE(relayx_oracle_odd_size),
	KUNIT_CASE(relayx_oracle_full),
	KUNIT_CASE(relayx_oracle_boundaries),
	KUNIT_CASE(relayx_oracle_header),
	KUNIT_CASE(relayx_oracle_header_reserved_twice),
	KUNIT_CASE(relayx_oracle_initial_refusal),
	KUNIT_CASE(relayx_oracle_flush_refused),
	KUNIT_CASE(relayx_oracle_guc_log),
	KUNIT_CASE(relayx_oracle_header_flush_close),
	KUNIT_CASE(relayx_oracle_consumed_too_many),
	KUNIT_CASE(relayx_oracle_reset_file_size),
	{}
};

struct kunit_suite relayx_oracle_suite = {
	.name = "relayx_oracle",
	.test_cases = relayx_oracle_cases,
};
