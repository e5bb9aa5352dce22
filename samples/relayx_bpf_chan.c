// SPDX-License-Identifier: GPL-2.0
/*
 * The client side of BPF writes: opens channels for BPF programs and
 * publishes them, nothing more. Channel "a" goes under id 1, "b" under
 * id 2 (parameters id_a, id_b), with files in
 * /sys/kernel/debug/relayx_bpf/{a,b}/cpuN; programs then call
 * relayx_bpf_output(1, ...). Unloading closes both channels, which
 * unpublishes them first: programs still attached get -ENOENT.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/module.h>

#include <relayx/relayx.h>

static unsigned int subbuf_size = 16384;
module_param(subbuf_size, uint, 0444);
MODULE_PARM_DESC(subbuf_size, "bytes per sub-buffer");

static unsigned int n_subbufs = 8;
module_param(n_subbufs, uint, 0444);
MODULE_PARM_DESC(n_subbufs, "sub-buffers per CPU");

static unsigned int id_a = 1;
module_param(id_a, uint, 0444);
MODULE_PARM_DESC(id_a, "the id BPF programs name channel \"a\" by");

static unsigned int id_b = 2;
module_param(id_b, uint, 0444);
MODULE_PARM_DESC(id_b, "the id BPF programs name channel \"b\" by");

static struct dentry *top;
static struct relayx_chan *chans[2];

static int bpf_chan_open(unsigned int i, const char *name, unsigned int id)
{
	struct dentry *dir = debugfs_create_dir(name, top);
	struct relayx_chan *chan;
	int err;

	chan = relayx_open_err("cpu", dir, subbuf_size, n_subbufs, NULL, NULL);
	if (IS_ERR(chan))
		return PTR_ERR(chan);
	chans[i] = chan;
	err = relayx_bpf_publish(chan, id);
	if (err)
		pr_warn("cannot publish channel %s under id %u: %d\n", name,
			id, err);
	return err;
}

static void bpf_chan_close_all(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(chans); i++) {
		relayx_close(chans[i]);
		chans[i] = NULL;
	}
	debugfs_remove(top);
}

static int __init bpf_chan_init(void)
{
	int err;

	top = debugfs_create_dir("relayx_bpf", NULL);
	err = bpf_chan_open(0, "a", id_a);
	if (!err)
		err = bpf_chan_open(1, "b", id_b);
	if (err)
		bpf_chan_close_all();
	return err;
}

static void __exit bpf_chan_exit(void)
{
	bpf_chan_close_all();
}

module_init(bpf_chan_init);
module_exit(bpf_chan_exit);
MODULE_DESCRIPTION("relayx channels published for BPF programs");
MODULE_LICENSE("GPL");
