// SPDX-License-Identifier: GPL-2.0
/*
 * A client whose buffer files are its own: its create_buf_file makes
 * /sys/kernel/debug/relayx_foreign/fN with file operations of its own
 * (read() gives a fixed line, no mmap, no ioctl) and the buffer as
 * i_private. relayx must not serve such a file through /dev/relayx with
 * its own operations (tests/user/relayx_dev_tests.c, foreign).
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>

#include <relayx/relayx.h>

static const char foreign_line[] = "the client's own file\n";

static ssize_t foreign_read(struct file *filp, char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, count, ppos, foreign_line,
				       sizeof(foreign_line) - 1);
}

static const struct file_operations foreign_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = foreign_read,
	.llseek = default_llseek,
};

static struct dentry *foreign_create_buf_file(const char *filename,
					      struct dentry *parent,
					      umode_t mode,
					      struct relayx_buf *buf,
					      int *is_global)
{
	if (!filename)
		return NULL;
	return debugfs_create_file(filename, mode, parent, buf, &foreign_fops);
}

static int foreign_remove_buf_file(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct relayx_callbacks foreign_cb = {
	.create_buf_file = foreign_create_buf_file,
	.remove_buf_file = foreign_remove_buf_file,
};

static struct dentry *dir;
static struct relayx_chan *chan;

static int __init foreign_init(void)
{
	static const char rec[] = "a record\n";

	dir = debugfs_create_dir("relayx_foreign", NULL);
	chan = relayx_open("f", dir, 4096, 4, &foreign_cb, NULL);
	if (!chan) {
		debugfs_remove(dir);
		return -ENOMEM;
	}
	relayx_write(chan, rec, sizeof(rec) - 1);
	return 0;
}

static void __exit foreign_exit(void)
{
	relayx_close(chan);
	debugfs_remove(dir);
}

module_init(foreign_init);
module_exit(foreign_exit);
MODULE_DESCRIPTION("relayx test client with buffer files of its own");
MODULE_LICENSE("GPL");
