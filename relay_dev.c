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
 * trusted to be relayx's, and only files relayx made itself are served.
 * The caller must pass every check an open() of the file makes: the
 * permission check, and the open hooks of the security modules and of
 * fsnotify, which the kernel runs itself by opening the file
 * (relayx_dev_may_open()). At lockdown=confidentiality nothing is given
 * out: the kernel refuses trace data to user space there (tracefs, perf,
 * kprobes), and a buffer holds the same kind of data. The device itself
 * is root's.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/security.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include "relayx_internal.h"

/*
 * The size of the first version of struct relayx_open_buf. Later ones
 * only grow, so a caller's struct is at least this long; what the
 * kernel does not know must be zero (copy_struct_from_user()).
 */
#define RELAYX_OPEN_BUF_SIZE_VER0	offsetofend(struct relayx_open_buf, flags)

/*
 * May the caller open @path, a buffer file of @buf, for reading? What an
 * open() checks, in the same order: the permission to open and read the
 * inode (modes, capabilities, ACLs and the inode hooks of the security
 * modules), then the file_open hook of the security modules (Landlock,
 * AppArmor, SELinux decide reads there) and fsnotify's open permission
 * event (fanotify). Those last run only inside the kernel's open path,
 * so the file is really opened (dentry_open()), read-only, and closed
 * again: the descriptor handed out is relayx_buf_anon_file()'s either way.
 *
 * Under lockdown, debugfs' own ->open refuses the file, with EPERM, and
 * it runs after every hook above: an EPERM then is taken for debugfs'
 * refusal, the one /dev/relayx exists to get past. A hook that refuses
 * with EPERM (fanotify) cannot be told apart from it there; the security
 * modules refuse with EACCES.
 */
static int relayx_dev_may_open(struct file *path, struct relayx_buf *buf)
{
	struct file *filp;
	bool same;
	int err;

	err = relayx_file_permission(path, MAY_OPEN | MAY_READ);
	if (err)
		return err;
	filp = dentry_open(&path->f_path, O_RDONLY, current_cred());
	if (IS_ERR(filp)) {
		err = PTR_ERR(filp);
		if (err == -EPERM && security_locked_down(LOCKDOWN_DEBUGFS))
			return 0;
		return err;
	}
	same = filp->f_op == &relayx_file_operations &&
	       filp->private_data == buf;
	fput(filp);
	return same ? 0 : -EINVAL;
}

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
	/* What tracefs checks: gone at confidentiality, kept at integrity. */
	err = security_locked_down(LOCKDOWN_TRACEFS);
	if (err)
		return err;
	/* fget() would refuse O_PATH descriptors, the point of all this. */
	path = fget_raw(arg.fd);
	if (!path)
		return -EBADF;
	buf = relayx_buf_get_by_dentry(path->f_path.dentry);
	if (!buf) {
		err = -EINVAL;
		goto out_path;
	}
	/*
	 * The name matched: the file must also be relayx's, with the
	 * buffer behind it, not one a client made with operations of its
	 * own, which relayx's must not replace.
	 */
	if (!relayx_buf_file_is_relayx(buf) ||
	    d_inode(path->f_path.dentry)->i_private != buf) {
		err = -EINVAL;
		goto out_buf;
	}
	err = relayx_dev_may_open(path, buf);
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
