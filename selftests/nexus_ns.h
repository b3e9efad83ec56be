/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Namespace and credential helpers for the address-space selftests
 * (addr_test, sysctl_test, proc_test). Each runs a function in a forked
 * child and returns its exit status: 0 for success, the number of the
 * failed step otherwise, so a failure says where it happened.
 */
#ifndef NEXUS_NS_H
#define NEXUS_NS_H

#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "nexus_util.h"

#define NX_SYSCTL(name)	"/proc/sys/net/nexus/" name

/* A failed step in a child: say where and with which errno; return @step. */
#define NX_FAIL(step) \
	({ int __e = errno; \
	   fprintf(stderr, "# %s:%d: step %d failed (errno %d, %s)\n", \
		   __func__, __LINE__, (step), __e, strerror(__e)); \
	   (step); })

/* Exit status of a child: its code, 200 + signal when killed, -1 on error. */
static inline int nx_wait(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 200 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Run fn(arg) in a child; its return value is the exit status. */
static inline int nx_run(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	return nx_wait(pid);
}

/*
 * A child in lockstep with the test, over two pipes: the child reads what
 * the test sends on pipes[0] and writes to the test on pipes[1] (a byte,
 * or a value, per step). The test waits for a step with nx_peer_recv(),
 * lets the child go on with nx_peer_go() and takes its exit status with
 * nx_peer_end().
 */
struct nx_peer {
	pid_t pid;
	int pipes[2];		/* the child's ends: read, write */
	int to_child, from_child;	/* the test's ends */
};

/* The pipes; 0 or -1. */
static inline int nx_peer_pipes(struct nx_peer *p)
{
	int down[2], up[2];

	p->pid = -1;
	if (pipe(down))
		return -1;
	if (pipe(up)) {
		close(down[0]);
		close(down[1]);
		return -1;
	}
	p->pipes[0] = down[0];
	p->to_child = down[1];
	p->pipes[1] = up[1];
	p->from_child = up[0];
	return 0;
}

/* After nx_peer_pipes(): fork a child that exits with fn(arg); 0 or -1. */
static inline int nx_peer_fork(struct nx_peer *p, int (*fn)(void *), void *arg)
{
	p->pid = fork();
	if (p->pid == 0)
		_exit(fn(arg));
	return p->pid < 0 ? -1 : 0;
}

/* Pipes and a child running fn(pipes); 0 or -1. */
static inline int nx_peer_start(struct nx_peer *p, int (*fn)(void *))
{
	if (nx_peer_pipes(p))
		return -1;
	return nx_peer_fork(p, fn, p->pipes);
}

/* Receive @len bytes from the child (one byte when @buf is NULL); 0 or -1. */
static inline int nx_peer_recv(struct nx_peer *p, void *buf, size_t len)
{
	char c;

	if (!buf) {
		buf = &c;
		len = 1;
	}
	return read(p->from_child, buf, len) == (ssize_t)len ? 0 : -1;
}

/* Let the child go on: one byte; 0 or -1. */
static inline int nx_peer_go(struct nx_peer *p)
{
	char c = 0;

	return write(p->to_child, &c, 1) == 1 ? 0 : -1;
}

/* The child's exit status (see nx_wait()); closes the pipes. */
static inline int nx_peer_end(struct nx_peer *p)
{
	int rc = nx_wait(p->pid);

	close(p->pipes[0]);
	close(p->pipes[1]);
	close(p->to_child);
	close(p->from_child);
	return rc;
}

/* In a child: become @uid/@gid of the current user namespace, no groups. */
static inline int nx_become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) && errno != EPERM)
		return -1;
	if (setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -1;
	/* Changing uid made us undumpable: /proc/self/ would be root's. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -1;
	return 0;
}

/* Raise RLIMIT_NOFILE (as root) to @n descriptors. */
static inline int nx_nofile(unsigned int n)
{
	struct rlimit rl = { n, n };

	return setrlimit(RLIMIT_NOFILE, &rl);
}

static inline int nx_write_str(const char *path, const char *s)
{
	return nx_write_file(path, s);
}

/*
 * In a child, as any user: unshare CLONE_NEWUSER | @flags and map uid and
 * gid 0 of the new user namespace to the caller's (the only mapping an
 * unprivileged user may write itself).
 */
static inline int nx_unshare_userns_self(int flags)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER | flags))
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (nx_write_str("/proc/self/uid_map", map))
		return -1;
	if (nx_write_str("/proc/self/setgroups", "deny"))
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", gid);
	if (nx_write_str("/proc/self/gid_map", map))
		return -1;
	return 0;
}

/*
 * Fork a child that unshares CLONE_NEWUSER | @flags; the parent (root)
 * maps ids 0..@count-1 of the new user namespace to @base.. outside; the
 * child becomes uid/gid 0 there (root of its namespace, nobody outside)
 * and returns fn(arg).
 */
static inline int nx_run_in_userns(int flags, unsigned int base,
				   unsigned int count, int (*fn)(void *),
				   void *arg)
{
	int ready[2], go[2];
	char c = 0, path[64], map[64];
	pid_t pid;
	int ok = 1;

	if (pipe(ready) || pipe(go))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		if (unshare(CLONE_NEWUSER | flags))
			_exit(101);
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1 || c)
			_exit(102);
		if (nx_become(0, 0))
			_exit(103);
		_exit(fn(arg));
	}
	close(ready[1]);
	close(go[0]);
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		ok = 0;
	snprintf(map, sizeof(map), "0 %u %u", base, count);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	if (ok && nx_write_str(path, map))
		ok = 0;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	if (ok && nx_write_str(path, map))
		ok = 0;
	c = ok ? 0 : 1;
	if (write(go[1], &c, 1) != 1)
		ok = 0;
	close(ready[0]);
	close(go[1]);
	return nx_wait(pid);
}

/* Read a sysctl of the caller's namespace into buf; 0 or -errno. */
static inline int nx_sysctl_read(const char *name, char *buf, size_t size)
{
	char path[128];
	int n;

	snprintf(path, sizeof(path), NX_SYSCTL("%s"), name);
	n = nx_read_file(path, buf, size);
	return n < 0 ? n : 0;
}

/* Write a sysctl of the caller's namespace; 0 or -errno. */
static inline int nx_sysctl_write(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), NX_SYSCTL("%s"), name);
	return nx_write_file(path, val);
}

/* The inode number of a socket, as /proc/net/nexus shows it. */
static inline unsigned long nx_inode(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return 0;
	return st.st_ino;
}

#endif /* NEXUS_NS_H */
