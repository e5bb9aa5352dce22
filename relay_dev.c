// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/relayx: a way into a buffer that does not open its file. Under
 * kernel lockdown, debugfs refuses to open any file whose operations
 * have mmap or ioctl, which every buffer file has, even for read(). An
 * O_PATH descriptor of the file can still be had: an O_PATH open never
 * calls the file's ->open. RELAYX_OPEN_BUF turns one into an open file
 * of the buffer, with the buffer file's own operations on an anonymous
 * inode (relayx_buf_anon_file()).
 *
 * The descriptor only names the buffer. Its dentry is looked up among
 * the live buffers (relayx_buf_get_by_dentry()) rather than its inode
 * trusted to be relayx's, and the caller must be allowed to read the
 * file, as an open() would have checked. The device itself is root's.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include "relayx_internal.h"

/*
 * The size of the first version of struct relayx_open_buf. Later ones
 * only grow, so a caller's struct is at least this long; what the
 * kernel does not know must be zero (copy_struct_from_user()).
 */
#define RELAYX_OPEN_BUF_SIZE_VER0	offsetofend(struct relayx_open_buf, flags)

static int relayx_dev_open_buf(const void __user *uarg, size_t usize)
{
	struct relayx_open_buf arg;
	struct relayx_buf *buf;
	struct file *path, *filp;
	int err, fd;

	if (usize < RELAYX_OPEN_BUF_SIZE_VER0)
		return -EINVAL;
	err = copy_struct_from_user(&arg, sizeof(arg), uarg, usize);
	if (err)
		return err;
	if (arg.flags)
		return -EINVAL;
	/* fget() would refuse O_PATH descriptors, the point of all this. */
	path = fget_raw(arg.fd);
	if (!path)
		return -EBADF;
	buf = relayx_buf_get_by_dentry(path->f_path.dentry);
	if (!buf) {
		err = -EINVAL;
		goto out_path;
	}
	err = relayx_file_permission(path, MAY_READ);
	if (err)
		goto out_buf;
	fd = relayx_get_unused_fd(O_CLOEXEC);
	if (!relayx_alloc_seen(RELAYX_ALLOC_DEV_FD, fd >= 0)) {
		err = fd;
		goto out_buf;
	}
	filp = relayx_buf_anon_file(buf);
	if (IS_ERR(filp)) {
		put_unused_fd(fd);
		err = PTR_ERR(filp);
		goto out_buf;
	}
	fd_install(fd, filp);
	err = fd;
	/* The file has its own reference: this one was for the lookup. */
out_buf:
	relayx_buf_put(buf);
out_path:
	fput(path);
	return err;
}

static long relayx_dev_ioctl(struct file *filp, unsigned int cmd,
			     unsigned long arg)
{
	switch (RELAYX_IOC_SIZELESS(cmd)) {
	case RELAYX_IOC_SIZELESS(RELAYX_OPEN_BUF):
		return relayx_dev_open_buf((const void __user *)arg,
					   _IOC_SIZE(cmd));
	default:
		return -ENOTTY;
	}
}

/* .owner: an open /dev/relayx keeps relayx.ko, as buffer files do. */
static const struct file_operations relayx_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = relayx_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/*
 * Root only, as the buffer files are (0400): it gets past the check
 * debugfs makes under lockdown, a decision that stays root's.
 */
static struct miscdevice relayx_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = RELAYX_DEV_NAME,
	.fops = &relayx_dev_fops,
	.mode = 0600,
};

/**
 * relayx_dev_init - create /dev/relayx
 *
 * Return: 0, or misc_register()'s error.
 */
int relayx_dev_init(void)
{
	return misc_register(&relayx_dev);
}

/**
 * relayx_dev_exit - remove /dev/relayx
 *
 * Descriptors it returned need nothing: each holds relayx.ko, which
 * cannot be unloaded before they are closed.
 */
void relayx_dev_exit(void)
{
	misc_deregister(&relayx_dev);
}
