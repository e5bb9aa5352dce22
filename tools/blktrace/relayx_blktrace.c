// SPDX-License-Identifier: GPL-2.0
/*
 * relayx_blktrace: block I/O tracing on relayx, in blktrace's binary
 * format, so that blkparse and btt read what it collects.
 *
 * Load it with the disks to trace (devices=vda,vdb); it attaches to the
 * block layer's tracepoints and, for each disk, writes struct
 * blk_io_trace records into a relayx channel, relayx_blktrace/DISK/cpuN
 * in debugfs, until it is unloaded. "relayx-collect --blktrace" saves a
 * channel as DISK.blktrace.N, the files blkparse reads. Unlike the
 * kernel's own blktrace, the files are readable under kernel lockdown,
 * through /dev/relayx.
 *
 * The records follow <uapi/linux/blktrace_api.h>: the magic and version,
 * a sequence number per CPU and disk (blkparse reports gaps in it), the
 * time in nanoseconds of the monotonic clock, the CPU, the pid, the
 * action with its category bits, and notify records naming processes.
 * A record that does not fit is dropped and counted by relayx (the
 * channel's cpustats file; relayx-collect reports it); it still takes its
 * sequence number, so that blkparse shows the loss as a gap.
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/blktrace_api.h>
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>

#include <relayx/relayx.h>

#define RBT_MAX_DEVS 8

static char *devices;
module_param(devices, charp, 0444);
MODULE_PARM_DESC(devices, "disks to trace, comma-separated names in /dev (vda,sdb)");

static unsigned int subbuf_size = 256 * 1024;
module_param(subbuf_size, uint, 0444);
MODULE_PARM_DESC(subbuf_size, "bytes per sub-buffer (default 256 KiB)");

static unsigned int n_subbufs = 8;
module_param(n_subbufs, uint, 0444);
MODULE_PARM_DESC(n_subbufs, "sub-buffers per CPU (default 8)");

/*
 * Tasks a CPU remembers having named in a disk's trace. The kernel's
 * blktrace marks each task it named; a module cannot, so each CPU keeps
 * the last few it named. A disk's I/O on one CPU comes from few tasks:
 * the submitter, a kworker, the interrupt or softirq that completes it.
 */
#define RBT_NOTED 8

/* A task's name, compared as two words: every event compares it. */
union rbt_comm {
	char c[TASK_COMM_LEN];
	u64 w[TASK_COMM_LEN / sizeof(u64)];
};

struct rbt_noted {
	pid_t pid;			/* -1: a free slot */
	union rbt_comm comm;		/* the name it was given */
};

/* What one CPU keeps per traced disk. */
struct rbt_cpu {
	u32 sequence;		/* the last one given */
	unsigned int next;	/* the slot of noted[] the next task takes */
	struct rbt_noted noted[RBT_NOTED];
};

struct rbt_dev {
	dev_t dev;			/* the whole disk's number */
	char name[BLKTRACE_BDEV_SIZE];
	struct dentry *dir;
	struct relayx_chan *chan;
	struct rbt_cpu __percpu *cpu;
};

static struct rbt_dev rbt_devs[RBT_MAX_DEVS];
static int rbt_ndevs;
static struct dentry *rbt_root;

/* The tracer writes only while this is set (between init and exit). */
static bool rbt_running;

static struct rbt_dev *rbt_find(dev_t dev)
{
	int i;

	for (i = 0; i < rbt_ndevs; i++)
		if (rbt_devs[i].dev == dev)
			return &rbt_devs[i];
	return NULL;
}

static struct rbt_dev *rbt_find_disk(struct gendisk *disk)
{
	if (!disk || !READ_ONCE(rbt_running))
		return NULL;
	return rbt_find(disk_devt(disk));
}

/*
 * One record and its payload, from a context with interrupts off: the
 * sequence number and the slot are then taken in the same order on this
 * CPU, so that the file's order is the sequence's. Says whether the
 * record was written (relayx counted it as dropped if not).
 */
static bool rbt_emit(struct rbt_dev *d, u64 sector, u32 bytes, u32 action,
		     int error, bool counted, const void *pdu, u16 pdu_len)
{
	struct blk_io_trace *t;
	struct rbt_cpu *pc = this_cpu_ptr(d->cpu);
	u32 seq = counted ? ++pc->sequence : 0;

	t = relayx_write_begin(d->chan, sizeof(*t) + pdu_len);
	if (!t)
		return false;
	t->magic = BLK_IO_TRACE_MAGIC | BLK_IO_TRACE_VERSION;
	t->sequence = seq;
	t->time = ktime_get_ns();
	t->sector = sector;
	t->bytes = bytes;
	t->action = action;
	t->pid = current->pid;
	t->device = d->dev;
	t->cpu = raw_smp_processor_id();
	t->error = error;
	t->pdu_len = pdu_len;
	if (pdu_len)
		memcpy(t + 1, pdu, pdu_len);
	relayx_write_end(d->chan);
	return true;
}

/*
 * A notify record naming the current task, as blkparse maps pid to name,
 * unless this CPU already named it in this trace. The name is part of
 * what is remembered: a pid used again by another program, or a task
 * that renamed itself, is named again.
 */
static void rbt_note_task(struct rbt_dev *d)
{
	struct rbt_cpu *pc = this_cpu_ptr(d->cpu);
	pid_t pid = current->pid;
	struct rbt_noted *n;
	union rbt_comm comm;
	int i;

	BUILD_BUG_ON(sizeof(comm) != TASK_COMM_LEN);
	/*
	 * Not get_task_comm(): it takes the task lock, which a completion
	 * in a hard interrupt must not (lockdep says so). A name being
	 * changed meanwhile may come out mixed; it is only a label. The
	 * kernel pads names with NULs, so equal names are equal words.
	 */
	memcpy(comm.c, current->comm, sizeof(comm));
	comm.c[sizeof(comm) - 1] = '\0';
	for (i = 0; i < RBT_NOTED; i++) {
		n = &pc->noted[i];
		if (n->pid == pid && n->comm.w[0] == comm.w[0] &&
		    n->comm.w[1] == comm.w[1])
			return;
	}
	/* A dropped note is not remembered: the next event tries again. */
	if (!rbt_emit(d, 0, 0, BLK_TC_ACT(BLK_TC_NOTIFY) | __BLK_TN_PROCESS,
		      0, false, comm.c, sizeof(comm)))
		return;
	n = &pc->noted[pc->next];
	pc->next = (pc->next + 1) % RBT_NOTED;
	n->pid = pid;
	n->comm = comm;
}

/* The category bits blktrace gives an operation and its flags. */
static u32 rbt_categories(blk_opf_t opf)
{
	enum req_op op = opf & REQ_OP_MASK;
	u32 tc = op_is_write(op) ? BLK_TC_WRITE : BLK_TC_READ;

	if (opf & REQ_SYNC)
		tc |= BLK_TC_SYNC;
	if (opf & REQ_RAHEAD)
		tc |= BLK_TC_AHEAD;
	if (opf & REQ_META)
		tc |= BLK_TC_META;
	if (opf & REQ_PREFLUSH)
		tc |= BLK_TC_FLUSH;
	if (opf & REQ_FUA)
		tc |= BLK_TC_FUA;
	if (op == REQ_OP_DISCARD || op == REQ_OP_SECURE_ERASE)
		tc |= BLK_TC_DISCARD;
	if (op == REQ_OP_FLUSH)
		tc |= BLK_TC_FLUSH;
	return BLK_TC_ACT(tc);
}

static void rbt_event(struct rbt_dev *d, u64 sector, u32 bytes,
		      blk_opf_t opf, u32 what, int error,
		      const void *pdu, u16 pdu_len)
{
	unsigned long flags;

	local_irq_save(flags);
	rbt_note_task(d);
	rbt_emit(d, sector, bytes, what | rbt_categories(opf), error, true,
		 pdu, pdu_len);
	local_irq_restore(flags);
}

static void rbt_rq(struct request *rq, u32 what, unsigned int bytes,
		   int error)
{
	struct rbt_dev *d = rbt_find_disk(rq->q->disk);

	if (!d)
		return;
	what |= BLK_TC_ACT(blk_rq_is_passthrough(rq) ? BLK_TC_PC : BLK_TC_FS);
	rbt_event(d, blk_rq_trace_sector(rq), bytes, rq->cmd_flags, what,
		  error, NULL, 0);
}

static void rbt_bio(struct bio *bio, u32 what, int error)
{
	struct rbt_dev *d = rbt_find_disk(bio->bi_bdev->bd_disk);

	if (!d)
		return;
	rbt_event(d, bio->bi_iter.bi_sector, bio->bi_iter.bi_size,
		  bio->bi_opf, what, error, NULL, 0);
}

/* The probes: one per tracepoint, each the action blktrace gives it. */
static void rbt_rq_insert(void *data, struct request *rq)
{
	rbt_rq(rq, BLK_TA_INSERT, blk_rq_bytes(rq), 0);
}

static void rbt_rq_issue(void *data, struct request *rq)
{
	rbt_rq(rq, BLK_TA_ISSUE, blk_rq_bytes(rq), 0);
}

static void rbt_rq_merge(void *data, struct request *rq)
{
	rbt_rq(rq, BLK_TA_BACKMERGE, blk_rq_bytes(rq), 0);
}

static void rbt_rq_requeue(void *data, struct request *rq)
{
	rbt_rq(rq, BLK_TA_REQUEUE, blk_rq_bytes(rq), 0);
}

static void rbt_rq_complete(void *data, struct request *rq,
			    blk_status_t error, unsigned int nr_bytes)
{
	rbt_rq(rq, BLK_TA_COMPLETE, nr_bytes, blk_status_to_errno(error));
}

static void rbt_bio_complete(void *data, struct request_queue *q,
			     struct bio *bio)
{
	struct rbt_dev *d = rbt_find_disk(q->disk);

	if (!d)
		return;
	rbt_event(d, bio->bi_iter.bi_sector, bio->bi_iter.bi_size,
		  bio->bi_opf, BLK_TA_COMPLETE,
		  blk_status_to_errno(bio->bi_status), NULL, 0);
}

static void rbt_bio_bounce(void *data, struct bio *bio)
{
	rbt_bio(bio, BLK_TA_BOUNCE, 0);
}

static void rbt_bio_backmerge(void *data, struct bio *bio)
{
	rbt_bio(bio, BLK_TA_BACKMERGE, 0);
}

static void rbt_bio_frontmerge(void *data, struct bio *bio)
{
	rbt_bio(bio, BLK_TA_FRONTMERGE, 0);
}

static void rbt_bio_queue(void *data, struct bio *bio)
{
	rbt_bio(bio, BLK_TA_QUEUE, 0);
}

static void rbt_getrq(void *data, struct bio *bio)
{
	rbt_bio(bio, BLK_TA_GETRQ, 0);
}

static void rbt_plug(void *data, struct request_queue *q)
{
	struct rbt_dev *d = rbt_find_disk(q->disk);

	if (d)
		rbt_event(d, 0, 0, 0, BLK_TA_PLUG, 0, NULL, 0);
}

static void rbt_unplug(void *data, struct request_queue *q,
		       unsigned int depth, bool explicit)
{
	struct rbt_dev *d = rbt_find_disk(q->disk);
	__be64 pdu = cpu_to_be64(depth);

	if (d)
		rbt_event(d, 0, 0, 0,
			  explicit ? BLK_TA_UNPLUG_IO : BLK_TA_UNPLUG_TIMER,
			  0, &pdu, sizeof(pdu));
}

static void rbt_split(void *data, struct bio *bio, unsigned int new_sector)
{
	struct rbt_dev *d = rbt_find_disk(bio->bi_bdev->bd_disk);
	__be64 pdu = cpu_to_be64(new_sector);

	if (d)
		rbt_event(d, bio->bi_iter.bi_sector, bio->bi_iter.bi_size,
			  bio->bi_opf, BLK_TA_SPLIT,
			  blk_status_to_errno(bio->bi_status),
			  &pdu, sizeof(pdu));
}

/*
 * A remap onto a traced disk (a partition's I/O, a device mapper's):
 * the payload says where it came from, big-endian as blkparse reads it.
 */
static void rbt_bio_remap(void *data, struct bio *bio, dev_t from_dev,
			  sector_t from)
{
	struct rbt_dev *d = rbt_find_disk(bio->bi_bdev->bd_disk);
	struct blk_io_trace_remap r;

	if (!d)
		return;
	r.device_from = cpu_to_be32(from_dev);
	r.device_to = cpu_to_be32(bio_dev(bio));
	r.sector_from = cpu_to_be64(from);
	rbt_event(d, bio->bi_iter.bi_sector, bio->bi_iter.bi_size,
		  bio->bi_opf, BLK_TA_REMAP,
		  blk_status_to_errno(bio->bi_status), &r, sizeof(r));
}

struct rbt_probe {
	const char *name;
	void *probe;
	struct tracepoint *tp;
};

static struct rbt_probe rbt_probes[] = {
	{ "block_rq_insert", rbt_rq_insert },
	{ "block_rq_issue", rbt_rq_issue },
	{ "block_rq_merge", rbt_rq_merge },
	{ "block_rq_requeue", rbt_rq_requeue },
	{ "block_rq_complete", rbt_rq_complete },
	{ "block_bio_complete", rbt_bio_complete },
	{ "block_bio_bounce", rbt_bio_bounce },
	{ "block_bio_backmerge", rbt_bio_backmerge },
	{ "block_bio_frontmerge", rbt_bio_frontmerge },
	{ "block_bio_queue", rbt_bio_queue },
	{ "block_getrq", rbt_getrq },
	{ "block_plug", rbt_plug },
	{ "block_unplug", rbt_unplug },
	{ "block_split", rbt_split },
	{ "block_bio_remap", rbt_bio_remap },
};

/* The kernel's tracepoints are found by name: few are exported. */
static void rbt_match(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(rbt_probes); i++)
		if (!strcmp(tp->name, rbt_probes[i].name))
			rbt_probes[i].tp = tp;
}

static void rbt_unregister(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(rbt_probes); i++) {
		if (rbt_probes[i].tp)
			tracepoint_probe_unregister(rbt_probes[i].tp,
						    rbt_probes[i].probe, NULL);
	}
	/* No probe runs past this point: the channels can go. */
	tracepoint_synchronize_unregister();
}

static int rbt_register(void)
{
	int i, err;

	for_each_kernel_tracepoint(rbt_match, NULL);
	for (i = 0; i < ARRAY_SIZE(rbt_probes); i++) {
		/* The remap and bounce events are absent from some builds. */
		if (!rbt_probes[i].tp) {
			pr_info("relayx_blktrace: no tracepoint %s\n",
				rbt_probes[i].name);
			continue;
		}
		err = tracepoint_probe_register(rbt_probes[i].tp,
						rbt_probes[i].probe, NULL);
		if (err) {
			pr_err("relayx_blktrace: %s: cannot attach (%d)\n",
			       rbt_probes[i].name, err);
			/* rbt_unregister() detaches those before it. */
			for (; i < ARRAY_SIZE(rbt_probes); i++)
				rbt_probes[i].tp = NULL;
			return err;
		}
	}
	return 0;
}

/* The wall-clock time of the trace's start, once, as blktrace gives it. */
static void rbt_note_time(struct rbt_dev *d)
{
	struct timespec64 now;
	unsigned long flags;
	u32 words[2];

	ktime_get_real_ts64(&now);
	words[0] = (u32)now.tv_sec;
	words[1] = now.tv_nsec;
	local_irq_save(flags);
	rbt_emit(d, 0, 0, BLK_TC_ACT(BLK_TC_NOTIFY) | __BLK_TN_TIMESTAMP, 0,
		 false, words, sizeof(words));
	local_irq_restore(flags);
}

static int rbt_add_dev(const char *name)
{
	struct rbt_dev *d = &rbt_devs[rbt_ndevs];
	char path[BLKTRACE_BDEV_SIZE + 8];
	int err, cpu;

	if (rbt_ndevs == RBT_MAX_DEVS) {
		pr_err("relayx_blktrace: more than %d devices\n",
		       RBT_MAX_DEVS);
		return -E2BIG;
	}
	if (!*name || strchr(name, '/') || strlen(name) >= sizeof(d->name)) {
		pr_err("relayx_blktrace: '%s': give a disk's name in /dev\n",
		       name);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/dev/%s", name);
	err = lookup_bdev(path, &d->dev);
	if (err) {
		pr_err("relayx_blktrace: %s: no such block device (%d)\n",
		       path, err);
		return err;
	}
	if (rbt_find(d->dev)) {
		pr_err("relayx_blktrace: %s named twice\n", name);
		return -EINVAL;
	}
	strscpy(d->name, name, sizeof(d->name));
	d->cpu = alloc_percpu(struct rbt_cpu);
	if (!d->cpu)
		return -ENOMEM;
	/* A new trace: no CPU has named any task in it yet. */
	for_each_possible_cpu(cpu) {
		struct rbt_cpu *pc = per_cpu_ptr(d->cpu, cpu);
		int i;

		for (i = 0; i < RBT_NOTED; i++)
			pc->noted[i].pid = -1;
	}
	d->dir = debugfs_create_dir(name, rbt_root);
	d->chan = relayx_open_err("cpu", d->dir, subbuf_size, n_subbufs,
				  NULL, NULL);
	if (IS_ERR(d->chan)) {
		err = PTR_ERR(d->chan);
		pr_err("relayx_blktrace: %s: no channel (%d)\n", name, err);
		debugfs_remove(d->dir);
		free_percpu(d->cpu);
		return err;
	}
	rbt_ndevs++;
	return 0;
}

static void rbt_close_devs(void)
{
	while (rbt_ndevs > 0) {
		struct rbt_dev *d = &rbt_devs[--rbt_ndevs];

		relayx_close(d->chan);
		debugfs_remove(d->dir);
		free_percpu(d->cpu);
	}
}

static int __init rbt_init(void)
{
	char *list, *p, *name;
	int err = 0, i;

	if (!devices || !*devices) {
		pr_err("relayx_blktrace: name the disks to trace: devices=vda,...\n");
		return -EINVAL;
	}
	list = kstrdup(devices, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	rbt_root = debugfs_create_dir("relayx_blktrace", NULL);
	p = list;
	while (!err && (name = strsep(&p, ",")) != NULL)
		err = rbt_add_dev(name);
	kfree(list);
	if (err)
		goto fail;
	for (i = 0; i < rbt_ndevs; i++)
		rbt_note_time(&rbt_devs[i]);
	WRITE_ONCE(rbt_running, true);
	err = rbt_register();
	if (err)
		goto fail;
	return 0;
fail:
	WRITE_ONCE(rbt_running, false);
	rbt_unregister();
	rbt_close_devs();
	debugfs_remove(rbt_root);
	return err;
}

static void __exit rbt_exit(void)
{
	WRITE_ONCE(rbt_running, false);
	rbt_unregister();
	rbt_close_devs();
	debugfs_remove(rbt_root);
}

module_init(rbt_init);
module_exit(rbt_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Block I/O tracing on relayx, in blktrace's format");
