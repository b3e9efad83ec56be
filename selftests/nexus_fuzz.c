// SPDX-License-Identifier: GPL-2.0
/*
 * nexus_fuzz: a seeded, randomized system call fuzzer for AF_NEXUS.
 *
 * Several processes, each with several threads, run random socket calls
 * with mostly valid arguments over a shared pool of AF_NEXUS sockets (the
 * pool is created before the processes fork, so they share its sockets;
 * each thread then replaces, closes and accepts into slots of its
 * process's copy). Every call of the family is made: socket (all three
 * types), bind, listen, connect (blocking, non-blocking, AF_UNSPEC,
 * broadcast), accept/accept4, send/sendto/sendmsg, recv/recvfrom/recvmsg
 * with random flags (MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, ...),
 * shutdown, close, get/setsockopt, getsockname, getpeername, poll, ioctl
 * SIOCINQ/SIOCOUTQ; blocking calls are interrupted by signals (a thread
 * sends SIGUSR1 to the workers, no SA_RESTART) and by close() from other
 * threads; processes fork() children that use the inherited sockets and
 * exit with them alive, some after unshare(CLONE_NEWNET) with sockets of
 * their own namespace; net.nexus.* sysctls are written (restored at the
 * end) and /proc/net/nexus is read.
 *
 * It checks what holds for any arguments (no impossible return value, no
 * EFAULT from valid buffers, getsockname()'s family) and exits non-zero on
 * a violation; a kernel report is the QEMU harness's to catch.
 *
 *   NEXUS_FUZZ_SECONDS  run time (default 10)
 *   NEXUS_FUZZ_SEED     seed (default: from the clock; printed)
 *   NEXUS_FUZZ_PROCS    processes (default 3)
 *   NEXUS_FUZZ_THREADS  threads per process (default 4)
 *
 * Last line: "nexus_fuzz: seed S: N operations in T s (P processes x T
 * threads, F forks, U netns), 0 violations".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/nexus.h>
#include <linux/sockios.h>

#define POOL		48
#define NPORTS		24
#define PORT_BASE	7100
#define MAX_THREADS	16
#define MAX_PROCS	16
#define BUF_SIZE	(200 * 1024)

/* Shared between all processes (MAP_SHARED). */
struct shared {
	atomic_ulong ops;
	atomic_ulong forks;
	atomic_ulong netns;
	atomic_ulong violations;
	atomic_int stop;
};

static struct shared *sh;
static int family = AF_NEXUS;
static atomic_int pool[POOL];
static pthread_t workers[MAX_THREADS];
static int nthreads;

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ULL;
}

static unsigned int rn(struct rng *r, unsigned int n)
{
	return n ? (unsigned int)(rnd(r) >> 33) % n : 0;
}

static bool one_in(struct rng *r, unsigned int n)
{
	return rn(r, n) == 0;
}

static void violation(const char *what, long ret, int err)
{
	atomic_fetch_add(&sh->violations, 1);
	fprintf(stderr, "nexus_fuzz: VIOLATION: %s returned %ld (errno %d, %s)\n",
		what, ret, err, strerror(err));
}

/* EFAULT with valid buffers, or a return beyond what was asked. */
static void check_ret(const char *what, long ret, long max)
{
	int err = errno;

	if (ret < 0 && err == EFAULT)
		violation(what, ret, err);
	else if (ret < -1 || (max >= 0 && ret > max))
		violation(what, ret, err);
	errno = err;
}

static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };

static struct sockaddr_nx rand_addr(struct rng *r)
{
	static const unsigned int nodes[] = {
		NEXUS_NODE_ANY, NEXUS_NODE_LOCAL, NEXUS_NODE_BROADCAST, 2, 5,
	};
	struct sockaddr_nx sa;

	memset(&sa, 0, sizeof(sa));
	sa.snx_family = family;
	sa.snx_node = one_in(r, 4) ? nodes[rn(r, 5)] : NEXUS_NODE_ANY;
	sa.snx_port = one_in(r, 8) ? 0 : PORT_BASE + rn(r, NPORTS);
	if (one_in(r, 64))
		sa.snx_port = (uint32_t)rnd(r);
	if (one_in(r, 64))
		sa.snx_reserved = 1;
	if (one_in(r, 64))
		sa.snx_family = AF_UNSPEC;
	return sa;
}

static socklen_t rand_alen(struct rng *r)
{
	if (one_in(r, 32))
		return rn(r, sizeof(struct sockaddr_nx) + 8);
	return sizeof(struct sockaddr_nx);
}

static size_t rand_size(struct rng *r)
{
	switch (rn(r, 8)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return 65536;
	case 3: return 65536 + rn(r, 3);
	case 4: return rn(r, BUF_SIZE);
	case 5: return rn(r, 4096);
	default: return rn(r, 256);
	}
}

static int rand_fd(struct rng *r)
{
	return atomic_load(&pool[rn(r, POOL)]);
}

/* Put @fd into a random slot, closing what was there. */
static void put_fd(struct rng *r, int fd)
{
	int old = atomic_exchange(&pool[rn(r, POOL)], fd);

	if (old >= 0)
		close(old);
}

static int new_socket(struct rng *r)
{
	int type = types[rn(r, 3)];
	struct timeval tv = { 0, 1000 * rn(r, 20) };
	int fd;

	if (one_in(r, 3))
		type |= SOCK_NONBLOCK;
	if (one_in(r, 2))
		type |= SOCK_CLOEXEC;
	fd = socket(family, type, 0);
	check_ret("socket", fd, -1);
	if (fd < 0)
		return -1;
	/* Most sockets bound their blocking; some rely on signals alone. */
	if (!one_in(r, 4)) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

static const char *const sysctl_names[] = {
	"connect_timeout_ms", "dgram_qlen", "ephemeral_ports",
	"unprivileged_port_start", "node",
};
#define NSYSCTL (sizeof(sysctl_names) / sizeof(sysctl_names[0]))
static char sysctl_orig[NSYSCTL][64];

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -1 : 0;
}

static void op_sysctl(struct rng *r)
{
	unsigned int i = rn(r, NSYSCTL), lo;
	char path[96], val[64];

	snprintf(path, sizeof(path), "/proc/sys/net/nexus/%s", sysctl_names[i]);
	switch (i) {
	case 0:
		snprintf(val, sizeof(val), "%u", one_in(r, 2) ? 0 : rn(r, 50));
		break;
	case 1:
		snprintf(val, sizeof(val), "%u", 1 + rn(r, 64));
		break;
	case 2:
		lo = 1024 + rn(r, 60000);
		snprintf(val, sizeof(val), "%u %u", lo, lo + rn(r, 4000));
		break;
	case 3:
		snprintf(val, sizeof(val), "%u", rn(r, 2048));
		break;
	default:
		/* The node: mostly 1, which the fuzzer's addresses use. */
		snprintf(val, sizeof(val), "%u", one_in(r, 4) ? 2 : 1);
		break;
	}
	if (one_in(r, 32))
		snprintf(val, sizeof(val), "%d", (int)rnd(r));
	write_file(path, val);
}

static void op_proc(void)
{
	char buf[4096];
	int fd = open("/proc/net/nexus", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	check_ret("read /proc/net/nexus", n, sizeof(buf));
	close(fd);
}

/*
 * SIOCINQ or SIOCOUTQ, on a duplicate of @fd so that the value checked is
 * the one of the file the check looks at. The slot's number may name
 * anything by now: another thread may have closed it and opened
 * /proc/net/nexus or a sysctl file, which took the same number. On such a
 * regular file SIOCINQ is FIONREAD, the file's size minus its offset:
 * negative once it has been read or written (-47776 after reading a
 * 47776-byte /proc/net/nexus). Only a negative count from one of our
 * sockets is a violation.
 */
static void op_inq(struct rng *r, int fd)
{
	unsigned long cmd = one_in(r, 2) ? SIOCINQ : SIOCOUTQ;
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 0), dom = 0, ret, v = -1;
	socklen_t len = sizeof(dom);

	if (d < 0) {
		ret = ioctl(fd, cmd, &v);	/* EBADF */
		check_ret("ioctl", ret, 0);
		return;
	}
	ret = ioctl(d, cmd, &v);
	check_ret("ioctl", ret, 0);
	if (ret == 0 && v < 0 &&
	    !getsockopt(d, SOL_SOCKET, SO_DOMAIN, &dom, &len) && dom == family)
		violation(cmd == SIOCINQ ? "SIOCINQ value" : "SIOCOUTQ value",
			  v, 0);
	close(d);
}

static void op_sockopt(struct rng *r, int fd)
{
	static const int sol[] = {
		SO_SNDBUF, SO_RCVBUF, SO_BROADCAST, SO_RCVTIMEO, SO_SNDTIMEO,
		SO_ERROR, SO_TYPE, SO_LINGER, SO_RCVLOWAT, SO_PEERCRED,
		SO_ACCEPTCONN, SO_PASSCRED, SO_KEEPALIVE, SO_PRIORITY,
	};
	unsigned char val[32];
	socklen_t len;
	int ret;

	memset(val, 0, sizeof(val));
	if (one_in(r, 2)) {
		uint64_t ms = one_in(r, 4) ? rnd(r) : rn(r, 100);

		len = one_in(r, 8) ? rn(r, 12) : sizeof(ms);
		if (one_in(r, 2)) {
			ret = setsockopt(fd, SOL_NEXUS, NEXUS_CONNECT_TIMEOUT, &ms, len);
			check_ret("setsockopt NEXUS_CONNECT_TIMEOUT", ret, 0);
		} else {
			len = sizeof(val);
			ret = getsockopt(fd, SOL_NEXUS, one_in(r, 8) ? 2 : NEXUS_CONNECT_TIMEOUT,
					 val, &len);
			check_ret("getsockopt NEXUS_CONNECT_TIMEOUT", ret, 0);
		}
		return;
	}
	len = sizeof(int);
	if (one_in(r, 2)) {
		int v = one_in(r, 2) ? (int)rn(r, 300000) : (int)rn(r, 2);
		int opt = sol[rn(r, 5)];

		if (opt == SO_RCVTIMEO || opt == SO_SNDTIMEO) {
			struct timeval tv = { 0, 1000 * rn(r, 20) };

			ret = setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
		} else {
			ret = setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
		}
		check_ret("setsockopt", ret, 0);
	} else {
		len = sizeof(val);
		ret = getsockopt(fd, SOL_SOCKET, sol[rn(r, 14)], val, &len);
		check_ret("getsockopt", ret, 0);
	}
}

static void op_names(struct rng *r, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = one_in(r, 16) ? rn(r, 16) : sizeof(ss);
	socklen_t asked = len;
	int ret;

	if (one_in(r, 2))
		ret = getsockname(fd, (struct sockaddr *)&ss, &len);
	else
		ret = getpeername(fd, (struct sockaddr *)&ss, &len);
	check_ret("getsockname/getpeername", ret, 0);
	if (ret == 0 && asked >= sizeof(struct sockaddr_nx) &&
	    (len != sizeof(struct sockaddr_nx) || ss.ss_family != family)) {
		/* The fd may have been reused by another kind of file: only sockets count. */
		int type;
		socklen_t tl = sizeof(type);
		int dom = -1;
		socklen_t dl = sizeof(dom);

		if (!getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) &&
		    !getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &dl) && dom == family)
			violation("getsockname length/family", len, 0);
	}
}

static void op_poll(struct rng *r)
{
	struct pollfd p[4];
	int i, n = 1 + rn(r, 4), ret;

	for (i = 0; i < n; i++) {
		p[i].fd = rand_fd(r);
		p[i].events = POLLIN | POLLOUT | POLLPRI | POLLRDHUP;
		p[i].revents = 0;
	}
	ret = poll(p, n, rn(r, 3) ? 0 : (int)rn(r, 5));
	check_ret("poll", ret, n);
}

static int send_flags(struct rng *r)
{
	int f = MSG_NOSIGNAL;

	if (one_in(r, 2))
		f |= MSG_DONTWAIT;
	if (one_in(r, 16))
		f |= MSG_EOR;
	if (one_in(r, 16))
		f |= MSG_MORE;
	if (one_in(r, 32))
		f |= MSG_OOB;
	if (one_in(r, 32))
		f &= ~MSG_NOSIGNAL;	/* SIGPIPE is ignored */
	return f;
}

static int recv_flags(struct rng *r)
{
	int f = 0;

	if (one_in(r, 2))
		f |= MSG_DONTWAIT;
	if (one_in(r, 4))
		f |= MSG_PEEK;
	if (one_in(r, 4))
		f |= MSG_TRUNC;
	if (one_in(r, 6))
		f |= MSG_WAITALL;
	if (one_in(r, 32))
		f |= MSG_OOB;
	if (one_in(r, 32))
		f |= MSG_ERRQUEUE;
	return f;
}

static void op_send(struct rng *r, int fd, char *buf)
{
	size_t len = rand_size(r);
	int flags = send_flags(r);
	struct sockaddr_nx sa = rand_addr(r);
	struct iovec iov[3];
	struct msghdr mh;
	ssize_t ret;

	switch (rn(r, 3)) {
	case 0:
		ret = send(fd, buf, len, flags);
		break;
	case 1:
		if (one_in(r, 2) && sa.snx_node == NEXUS_NODE_BROADCAST)
			sa.snx_port = PORT_BASE + rn(r, NPORTS);
		ret = sendto(fd, buf, len, flags, (struct sockaddr *)&sa, rand_alen(r));
		break;
	default:
		memset(&mh, 0, sizeof(mh));
		iov[0].iov_base = buf;
		iov[0].iov_len = len / 2;
		iov[1].iov_base = buf + len / 2;
		iov[1].iov_len = 0;
		iov[2].iov_base = buf + len / 2;
		iov[2].iov_len = len - len / 2;
		mh.msg_iov = iov;
		mh.msg_iovlen = 3;
		if (one_in(r, 2)) {
			mh.msg_name = &sa;
			mh.msg_namelen = rand_alen(r);
		}
		ret = sendmsg(fd, &mh, flags);
		break;
	}
	check_ret("send", ret, len);
}

static void op_recv(struct rng *r, int fd, char *buf)
{
	size_t len = rand_size(r);
	int flags = recv_flags(r);
	struct sockaddr_storage ss;
	socklen_t alen = sizeof(ss);
	struct iovec iov[2];
	struct msghdr mh;
	ssize_t ret;
	long max = (flags & MSG_TRUNC) ? -1 : (long)len;

	switch (rn(r, 3)) {
	case 0:
		ret = recv(fd, buf, len, flags);
		break;
	case 1:
		ret = recvfrom(fd, buf, len, flags, (struct sockaddr *)&ss, &alen);
		if (ret >= 0 && alen > sizeof(ss))
			violation("recvfrom address length", alen, 0);
		break;
	default:
		memset(&mh, 0, sizeof(mh));
		iov[0].iov_base = buf;
		iov[0].iov_len = len / 3;
		iov[1].iov_base = buf + len / 3;
		iov[1].iov_len = len - len / 3;
		mh.msg_iov = iov;
		mh.msg_iovlen = 2;
		mh.msg_name = &ss;
		mh.msg_namelen = sizeof(ss);
		ret = recvmsg(fd, &mh, flags);
		break;
	}
	check_ret("recv", ret, max);
}

static void op_connect(struct rng *r, int fd)
{
	struct sockaddr_nx sa = rand_addr(r);
	int ret;

	if (one_in(r, 8))
		sa.snx_family = AF_UNSPEC;
	if (one_in(r, 4)) {
		int fl = fcntl(fd, F_GETFL);

		if (fl >= 0)
			fcntl(fd, F_SETFL, fl ^ O_NONBLOCK);
	}
	ret = connect(fd, (struct sockaddr *)&sa, rand_alen(r));
	check_ret("connect", ret, 0);
}

static void op_accept(struct rng *r, int fd)
{
	struct sockaddr_storage ss;
	socklen_t alen = sizeof(ss);
	int a;
	bool addr = one_in(r, 2);

	/* An address without a length is EFAULT by design: both or neither. */
	if (one_in(r, 2))
		a = accept4(fd, addr ? (struct sockaddr *)&ss : NULL,
			    addr ? &alen : NULL,
			    rn(r, 2) * SOCK_NONBLOCK | rn(r, 2) * SOCK_CLOEXEC);
	else
		a = accept(fd, (struct sockaddr *)&ss, &alen);
	check_ret("accept", a, -1);
	if (a >= 0)
		put_fd(r, a);
}

/* One random operation on the pool. */
static void one_op(struct rng *r, char *buf)
{
	int fd = rand_fd(r), ret, v;
	struct sockaddr_nx sa;
	unsigned int op = rn(r, 100);

	if (op < 8) {
		fd = new_socket(r);
		if (fd >= 0)
			put_fd(r, fd);
	} else if (op < 12) {
		fd = atomic_exchange(&pool[rn(r, POOL)], -1);
		if (fd >= 0)
			close(fd);
	} else if (op < 20) {
		sa = rand_addr(r);
		if (!one_in(r, 8))
			sa.snx_family = family;
		ret = bind(fd, (struct sockaddr *)&sa, rand_alen(r));
		check_ret("bind", ret, 0);
	} else if (op < 25) {
		ret = listen(fd, (int)rn(r, 10) - 1);
		check_ret("listen", ret, 0);
	} else if (op < 35) {
		op_connect(r, fd);
	} else if (op < 42) {
		op_accept(r, fd);
	} else if (op < 58) {
		op_send(r, fd, buf);
	} else if (op < 72) {
		op_recv(r, fd, buf);
	} else if (op < 75) {
		ret = shutdown(fd, (int)rn(r, 4));
		check_ret("shutdown", ret, 0);
	} else if (op < 81) {
		op_sockopt(r, fd);
	} else if (op < 85) {
		op_names(r, fd);
	} else if (op < 89) {
		op_poll(r);
	} else if (op < 93) {
		op_inq(r, fd);
	} else if (op < 95) {
		op_sysctl(r);
	} else if (op < 97) {
		op_proc();
	} else {
		v = rn(r, 3);
		if (v == 0) {
			int fl = fcntl(fd, F_GETFL);

			if (fl >= 0)
				fcntl(fd, F_SETFL, fl ^ O_NONBLOCK);
		} else {
			sa = rand_addr(r);
			sa.snx_family = AF_UNSPEC;
			ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
			check_ret("connect AF_UNSPEC", ret, 0);
		}
	}
}

/*
 * A forked child: a few operations on the inherited sockets (and, after
 * unshare(CLONE_NEWNET), on sockets of a new namespace), then exit with
 * whatever is alive.
 */
static void child_main(struct rng *r, char *buf, bool newns)
{
	unsigned int i, n = 1 + rn(r, 60);

	/* Nobody interrupts a child's blocking calls: SIGALRM ends it. */
	signal(SIGALRM, SIG_DFL);
	alarm(5);
	if (newns) {
		if (unshare(CLONE_NEWNET) == 0) {
			atomic_fetch_add(&sh->netns, 1);
			/* Sockets of the new namespace into half the slots. */
			for (i = 0; i < POOL / 2; i++) {
				int fd = new_socket(r);

				if (fd >= 0)
					put_fd(r, fd);
			}
		} else if (errno != ENOMEM) {
			violation("unshare(CLONE_NEWNET)", -1, errno);
		}
	}
	for (i = 0; i < n && !atomic_load(&sh->stop); i++)
		one_op(r, buf);
	atomic_fetch_add(&sh->ops, n);
	_exit(0);
}

struct worker {
	struct rng rng;
	unsigned long ops;
	pid_t *children;
};

static void *worker_main(void *p)
{
	struct worker *w = p;
	char *buf = malloc(BUF_SIZE);
	pid_t pid;

	if (!buf)
		return NULL;
	memset(buf, 'f', BUF_SIZE);
	while (!atomic_load(&sh->stop)) {
		if (one_in(&w->rng, 400)) {
			bool ns = one_in(&w->rng, 4);
			struct rng cr = { rnd(&w->rng) | 1 };

			pid = fork();
			if (pid == 0)
				child_main(&cr, buf, ns);
			if (pid > 0) {
				atomic_fetch_add(&sh->forks, 1);
				/* Reaped at once, or left running to be reaped later. */
				if (one_in(&w->rng, 2))
					waitpid(pid, NULL, 0);
			}
			continue;
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		one_op(&w->rng, buf);
		w->ops++;
	}
	free(buf);
	return NULL;
}

static void on_signal(int sig)
{
}

/* One worker process: threads, and a signaller that interrupts them. */
static void process_main(uint64_t seed, int idx, long deadline_ms)
{
	struct worker w[MAX_THREADS];
	struct rng r = { seed ^ (0x9e3779b97f4a7c15ULL * (idx + 1)) };
	unsigned long ops = 0;
	struct timespec ts;
	int i;

	for (i = 0; i < nthreads; i++) {
		w[i].rng.s = rnd(&r) | 1;
		w[i].ops = 0;
		if (pthread_create(&workers[i], NULL, worker_main, &w[i]))
			_exit(2);
	}
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec * 1000L + ts.tv_nsec / 1000000 >= deadline_ms)
			break;
		usleep(2000 + rn(&r, 8000));
		pthread_kill(workers[rn(&r, nthreads)], SIGUSR1);
	}
	atomic_store(&sh->stop, 1);
	/* Blocked callers: interrupt until all have seen the stop. */
	for (i = 0; i < nthreads; i++) {
		struct timespec t;
		int k;

		for (k = 0; k < 20000; k++) {
			clock_gettime(CLOCK_REALTIME, &t);
			t.tv_nsec += 5000000;
			if (t.tv_nsec >= 1000000000) {
				t.tv_sec++;
				t.tv_nsec -= 1000000000;
			}
			if (pthread_timedjoin_np(workers[i], NULL, &t) == 0)
				break;
			pthread_kill(workers[i], SIGUSR1);
		}
		if (k == 20000) {
			fprintf(stderr, "nexus_fuzz: thread %d of process %d does not stop\n",
				i, idx);
			atomic_fetch_add(&sh->violations, 1);
			_exit(3);
		}
		ops += w[i].ops;
	}
	while (waitpid(-1, NULL, 0) > 0)
		;
	atomic_fetch_add(&sh->ops, ops);
	_exit(0);
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

#ifndef NEXUS_FUZZ_MAIN
#define NEXUS_FUZZ_MAIN main
#endif

int NEXUS_FUZZ_MAIN(void)
{
	long seconds = env_long("NEXUS_FUZZ_SECONDS", 10);
	int nprocs = env_long("NEXUS_FUZZ_PROCS", 3);
	struct timespec ts, t0;
	struct sigaction sa;
	struct rng r;
	uint64_t seed;
	long deadline_ms, ms;
	pid_t pids[MAX_PROCS];
	int i, status, bad = 0;
	FILE *f;
	char path[96];

	clock_gettime(CLOCK_REALTIME, &ts);
	seed = env_long("NEXUS_FUZZ_SEED", 0) ? (uint64_t)strtoull(getenv("NEXUS_FUZZ_SEED"), NULL, 0) :
		(uint64_t)ts.tv_sec * 1000003 + ts.tv_nsec;
	nthreads = env_long("NEXUS_FUZZ_THREADS", 4);
	if (nthreads < 1 || nthreads > MAX_THREADS || nprocs < 1 || nprocs > MAX_PROCS ||
	    seconds < 0) {
		fprintf(stderr, "nexus_fuzz: bad NEXUS_FUZZ_THREADS/PROCS/SECONDS\n");
		return 2;
	}
	r.s = seed | 1;
	printf("nexus_fuzz: seed %llu, %ld s, %d processes x %d threads\n",
	       (unsigned long long)seed, seconds, nprocs, nthreads);
	fflush(stdout);

	f = fopen("/sys/module/nexus/parameters/family", "r");
	if (f) {
		if (fscanf(f, "%d", &family) != 1)
			family = AF_NEXUS;
		fclose(f);
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	memset(sh, 0, sizeof(*sh));
	for (i = 0; i < (int)NSYSCTL; i++) {
		int fd, n;

		snprintf(path, sizeof(path), "/proc/sys/net/nexus/%s", sysctl_names[i]);
		fd = open(path, O_RDONLY);
		n = fd >= 0 ? read(fd, sysctl_orig[i], sizeof(sysctl_orig[i]) - 1) : -1;
		sysctl_orig[i][n > 0 ? n : 0] = 0;
		if (fd >= 0)
			close(fd);
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;		/* no SA_RESTART: EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The shared pool: inherited by every process. */
	for (i = 0; i < POOL; i++)
		atomic_store(&pool[i], -1);
	for (i = 0; i < POOL; i++) {
		int fd = new_socket(&r);

		if (fd >= 0)
			atomic_store(&pool[i], fd);
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	deadline_ms = t0.tv_sec * 1000L + t0.tv_nsec / 1000000 + seconds * 1000;
	for (i = 0; i < nprocs; i++) {
		uint64_t s = rnd(&r);

		pids[i] = fork();
		if (pids[i] == 0)
			process_main(s, i, deadline_ms);
		if (pids[i] < 0) {
			perror("fork");
			return 2;
		}
	}
	for (i = 0; i < nprocs; i++) {
		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			fprintf(stderr, "nexus_fuzz: process %d ended with status 0x%x\n",
				i, status);
			bad = 1;
		}
	}
	for (i = 0; i < POOL; i++)
		if (atomic_load(&pool[i]) >= 0)
			close(atomic_load(&pool[i]));
	for (i = 0; i < (int)NSYSCTL; i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/nexus/%s", sysctl_names[i]);
		if (sysctl_orig[i][0])
			write_file(path, sysctl_orig[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ms = (ts.tv_sec - t0.tv_sec) * 1000L + (ts.tv_nsec - t0.tv_nsec) / 1000000;
	printf("nexus_fuzz: seed %llu: %lu operations in %ld.%03ld s (%d processes x %d threads, %lu forks, %lu netns), %lu violations\n",
	       (unsigned long long)seed, atomic_load(&sh->ops), ms / 1000, ms % 1000,
	       nprocs, nthreads, atomic_load(&sh->forks), atomic_load(&sh->netns),
	       atomic_load(&sh->violations));
	fflush(stdout);
	return bad || atomic_load(&sh->violations) ? 1 : 0;
}
