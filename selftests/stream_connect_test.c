// SPDX-License-Identifier: GPL-2.0
/*
 * connect() on SOCK_STREAM and SOCK_SEQPACKET, clause by clause: address
 * validation, state checks, auto-bind, target errors, establishment,
 * full backlogs (EINPROGRESS, EALREADY, SO_ERROR, poll), timeouts,
 * signals, failures and AF_UNSPEC.
 */
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "stream_util.h"

FIXTURE(conn)
{
	int l;			/* listener, backlog 0: one queued connection */
	unsigned int port;
	int c;			/* a fresh client */
};

FIXTURE_VARIANT(conn)
{
	int type;
	int other_type;
};

FIXTURE_VARIANT_ADD(conn, stream) {
	.type = SOCK_STREAM, .other_type = SOCK_SEQPACKET,
};
FIXTURE_VARIANT_ADD(conn, seqpacket) {
	.type = SOCK_SEQPACKET, .other_type = SOCK_STREAM,
};

FIXTURE_SETUP(conn)
{
	self->l = nx_listener(variant->type, 0, &self->port);
	ASSERT_LE(0, self->l);
	self->c = nx_socket(variant->type);
	ASSERT_LE(0, self->c);
}

FIXTURE_TEARDOWN(conn)
{
	close(self->c);
	if (self->l >= 0)
		close(self->l);
}

/* The fresh client connects to the listener: connect()'s return. */
static int conn_c(FIXTURE_DATA(conn) *self)
{
	return nx_connect(self->c, NEXUS_NODE_LOCAL, self->port);
}

/* The same: what it failed with (errno), or 0 when it succeeded. */
static int conn_c_errno(FIXTURE_DATA(conn) *self)
{
	return nx_connect_errno(self->c, NEXUS_NODE_LOCAL, self->port);
}

/*
 * The fresh client's blocking connect() while another thread runs @fn(@arg)
 * after @ms: what connect() failed with (errno), or 0.
 */
static int conn_c_after(struct __test_metadata *_metadata,
			FIXTURE_DATA(conn) *self, long ms,
			void (*fn)(void *), void *arg)
{
	struct nx_delayed d;
	int err;

	ASSERT_EQ(0, nx_run_later(&d, ms, fn, arg));
	err = conn_c_errno(self);
	nx_join(&d);
	return err;
}

static int connect_raw(int fd, const void *addr, socklen_t len)
{
	return connect(fd, (const struct sockaddr *)addr, len);
}

/* Fill the listener's accept queue (backlog 0 holds one). */
static int fill_queue(struct __test_metadata *_metadata,
		      FIXTURE_DATA(conn) *self,
		      const FIXTURE_VARIANT(conn) *variant)
{
	int fd = nx_socket(variant->type);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nx_connect(fd, NEXUS_NODE_LOCAL, self->port));
	return fd;
}

/* ---- validation ---- */

TEST_F(conn, addrlen_zero_einval)
{
	struct sockaddr_nx sa = nx_addr(0, self->port);

	EXPECT_EQ(-1, connect_raw(self->c, &sa, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(conn, addrlen_short_einval)
{
	struct sockaddr_nx sa = nx_addr(0, self->port);
	socklen_t len;

	for (len = 1; len < sizeof(sa); len++) {
		errno = 0;
		EXPECT_EQ(-1, connect_raw(self->c, &sa, len));
		EXPECT_EQ(EINVAL, errno) TH_LOG("addrlen %u", len);
	}
	EXPECT_EQ(0, nx_port(self->c));		/* no auto-bind happened */
}

TEST_F(conn, wrong_family_eafnosupport)
{
	const int families[] = { AF_UNIX, AF_INET, AF_INET6, AF_VSOCK };
	unsigned int i;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		struct sockaddr_nx sa = nx_addr(0, self->port);

		sa.snx_family = families[i];
		errno = 0;
		EXPECT_EQ(-1, connect_raw(self->c, &sa, sizeof(sa)));
		EXPECT_EQ(EAFNOSUPPORT, errno) TH_LOG("family %d", families[i]);
	}
}

TEST_F(conn, reserved_or_padding_nonzero_einval)
{
	struct sockaddr_nx sa = nx_addr(0, self->port);

	sa.snx_reserved = 1;
	EXPECT_EQ(-1, connect_raw(self->c, &sa, sizeof(sa)));
	EXPECT_EQ(EINVAL, errno);
	sa = nx_addr(0, self->port);
	sa.snx_zero[3] = 1;
	EXPECT_EQ(-1, connect_raw(self->c, &sa, sizeof(sa)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(conn, bad_pointer_efault)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, connect_raw(self->c, p, sizeof(struct sockaddr_nx)));
	EXPECT_EQ(EFAULT, errno);
	munmap(p, 4096);
}

/* ---- state checks come before any lookup ---- */

TEST_F(conn, connected_eisconn)
{
	ASSERT_EQ(0, conn_c(self));
	EXPECT_EQ(EISCONN, conn_c_errno(self));
	/* Even to a bad target: the state is checked first. */
	EXPECT_EQ(EISCONN, nx_connect_errno(self->c, 77, 1));
}

TEST_F(conn, listening_einval)
{
	EXPECT_EQ(EINVAL,
		  nx_connect_errno(self->l, NEXUS_NODE_LOCAL, self->port));
	EXPECT_EQ(EINVAL, nx_connect_errno(self->l, NEXUS_NODE_LOCAL, 1));
}

TEST_F(conn, nonblocking_in_progress_ealready_then_eisconn)
{
	int q = fill_queue(_metadata, self, variant), a;

	ASSERT_EQ(0, nx_set_nonblock(self->c, 1));
	EXPECT_EQ(EINPROGRESS, conn_c_errno(self));
	EXPECT_EQ(EALREADY, conn_c_errno(self));
	/* EALREADY whatever the address: state before lookup. */
	EXPECT_EQ(EALREADY, nx_connect_errno(self->c, 99, 99));

	a = accept(self->l, NULL, NULL);	/* makes room: we complete */
	ASSERT_LE(0, a);
	EXPECT_EQ(POLLOUT, nx_poll(self->c, POLLOUT, 2000) & POLLOUT);
	EXPECT_EQ(0, nx_so_error(self->c));
	EXPECT_EQ(EISCONN, conn_c_errno(self));
	close(a);
	close(q);
}

static void accept_and_close(void *arg)
{
	int *fds = (int *)arg;	/* [0] listener, [1] accepted, out */

	fds[1] = accept(fds[0], NULL, NULL);
}

/* A blocking connect() on a socket whose attempt is pending waits for it. */
TEST_F(conn, blocking_connect_waits_for_pending_attempt)
{
	int q = fill_queue(_metadata, self, variant);
	int fds[2] = { self->l, -1 };

	ASSERT_EQ(0, nx_set_nonblock(self->c, 1));
	EXPECT_EQ(EINPROGRESS, conn_c_errno(self));
	ASSERT_EQ(0, nx_set_nonblock(self->c, 0));
	EXPECT_EQ(0, conn_c_after(_metadata, self, 200, accept_and_close, fds));
	EXPECT_LE(0, fds[1]);
	close(fds[1]);
	close(q);
}

/* ---- auto-bind ---- */

TEST_F(conn, autobind_on_connect)
{
	unsigned int port;

	EXPECT_EQ(0, nx_port(self->c));
	ASSERT_EQ(0, conn_c(self));
	port = nx_port(self->c);
	EXPECT_LE(32768, port);
	EXPECT_GE(60999, port);
}

TEST_F(conn, explicit_bind_kept_by_connect)
{
	ASSERT_EQ(0, nx_bind(self->c, NEXUS_NODE_ANY, 6100));
	ASSERT_EQ(0, conn_c(self));
	EXPECT_EQ(6100, nx_port(self->c));
}

/*
 * Exhausted ephemeral range: EADDRNOTAVAIL, the socket unchanged. In a
 * namespace of its own, so that the small range affects nobody else.
 */
TEST_F(conn, autobind_exhausted_eaddrnotavail)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned int port = 0;
		int a, b, c, l;

		if (unshare(CLONE_NEWNET))
			_exit(10);
		if (nx_write_file("/proc/sys/net/nexus/ephemeral_ports",
				  "40000 40001"))
			_exit(11);
		l = nx_socket(variant->type);
		if (nx_bind(l, 0, 5000) || listen(l, 8))
			_exit(12);
		a = nx_socket(variant->type);
		b = nx_socket(variant->type);
		c = nx_socket(variant->type);
		if (nx_bind(a, 0, 40000) || nx_bind(b, 0, 40001))
			_exit(13);
		if (nx_connect(c, NEXUS_NODE_LOCAL, 5000) != -1 ||
		    errno != EADDRNOTAVAIL)
			_exit(14);
		if (nx_port(c) != 0 || nx_peer_port(c) != 0)
			_exit(15);	/* unchanged: unbound, unconnected */
		close(b);		/* a port frees up: connect works */
		if (nx_connect(c, NEXUS_NODE_LOCAL, 5000))
			_exit(16);
		port = nx_port(c);
		_exit(port == 40001 ? 0 : 17);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* ---- the target ---- */

TEST_F(conn, foreign_node_enetunreach)
{
	EXPECT_EQ(ENETUNREACH, nx_connect_errno(self->c, 2, self->port));
	EXPECT_EQ(ENETUNREACH,
		  nx_connect_errno(self->c, 0x12345678, self->port));
	EXPECT_EQ(0, nx_port(self->c));		/* checked before auto-bind */
}

TEST_F(conn, broadcast_node_enetunreach)
{
	EXPECT_EQ(ENETUNREACH,
		  nx_connect_errno(self->c, NEXUS_NODE_BROADCAST, self->port));
}

TEST_F(conn, wildcard_node_means_this_node)
{
	EXPECT_EQ(0, nx_connect(self->c, NEXUS_NODE_ANY, self->port));
}

TEST_F(conn, nobody_bound_econnrefused)
{
	EXPECT_EQ(ECONNREFUSED,
		  nx_connect_errno(self->c, NEXUS_NODE_LOCAL, 6101));
	EXPECT_EQ(ECONNREFUSED,
		  nx_connect_errno(self->c, NEXUS_NODE_LOCAL, NEXUS_PORT_ANY));
}

TEST_F(conn, bound_not_listening_econnrefused)
{
	int s = nx_socket(variant->type);

	ASSERT_EQ(0, nx_bind(s, 0, 6102));
	EXPECT_EQ(ECONNREFUSED,
		  nx_connect_errno(self->c, NEXUS_NODE_LOCAL, 6102));
	close(s);
}

/* Connecting to oneself: the socket is not listening, so it is refused. */
TEST_F(conn, connect_to_self_econnrefused)
{
	ASSERT_EQ(0, nx_bind(self->c, 0, 6103));
	EXPECT_EQ(ECONNREFUSED,
		  nx_connect_errno(self->c, NEXUS_NODE_LOCAL, 6103));
	EXPECT_EQ(6103, nx_port(self->c));
}

TEST_F(conn, other_type_listener_eprototype)
{
	unsigned int port;
	int o = nx_listener(variant->other_type, 4, &port), d;

	ASSERT_LE(0, o);
	EXPECT_EQ(EPROTOTYPE,
		  nx_connect_errno(self->c, NEXUS_NODE_LOCAL, port));
	close(o);

	d = nx_socket(SOCK_DGRAM);
	ASSERT_EQ(0, nx_bind(d, 0, 6104));
	EXPECT_EQ(EPROTOTYPE,
		  nx_connect_errno(self->c, NEXUS_NODE_LOCAL, 6104));
	close(d);
}

/* ---- establishment ---- */

TEST_F(conn, established_at_once_names_and_poll)
{
	struct sockaddr_nx sa;
	socklen_t len = sizeof(sa);
	int a;

	EXPECT_EQ(0, nx_poll(self->l, POLLIN, 0));
	ASSERT_EQ(0, conn_c(self));
	EXPECT_EQ(POLLIN, nx_poll(self->l, POLLIN, 1000));
	EXPECT_EQ(POLLOUT, nx_poll(self->c, POLLOUT, 0));

	memset(&sa, 0xff, sizeof(sa));
	a = accept(self->l, (struct sockaddr *)&sa, &len);
	ASSERT_LE(0, a);
	EXPECT_EQ(sizeof(sa), len);
	EXPECT_EQ(nx_family(), sa.snx_family);
	EXPECT_EQ(nx_port(self->c), sa.snx_port);
	EXPECT_EQ(NEXUS_NODE_LOCAL, sa.snx_node);

	EXPECT_EQ(self->port, nx_port(a));		/* the listener's */
	EXPECT_EQ(nx_port(self->c), nx_peer_port(a));
	EXPECT_EQ(self->port, nx_peer_port(self->c));
	EXPECT_EQ(0, nx_poll(self->l, POLLIN, 0));
	close(a);
}

TEST_F(conn, peercred_both_ends)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	int a;

	ASSERT_EQ(0, conn_c(self));
	a = accept(self->l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, getsockopt(self->c, SOL_SOCKET, SO_PEERCRED, &cr, &len));
	EXPECT_EQ(getpid(), cr.pid);
	EXPECT_EQ(getuid(), cr.uid);
	EXPECT_EQ(getgid(), cr.gid);
	ASSERT_EQ(0, getsockopt(a, SOL_SOCKET, SO_PEERCRED, &cr, &len));
	EXPECT_EQ(getpid(), cr.pid);
	close(a);
}

/* The listener's credentials are those of the process that called listen(). */
TEST_F(conn, peercred_from_connecting_and_listening_process)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct timeval tv = { 5, 0 };
	pid_t child;
	int status, a;

	ASSERT_EQ(0, setsockopt(self->l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		int c = nx_socket(variant->type);

		if (setgid(1234) || setuid(4321))
			_exit(1);
		if (nx_connect(c, NEXUS_NODE_LOCAL, self->port))
			_exit(2);
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) ||
		    cr.pid != getppid() || cr.uid != 0)
			_exit(3);
		pause();
		_exit(0);
	}
	a = accept(self->l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, getsockopt(a, SOL_SOCKET, SO_PEERCRED, &cr, &len));
	EXPECT_EQ(child, cr.pid);
	EXPECT_EQ(4321, cr.uid);
	EXPECT_EQ(1234, cr.gid);
	kill(child, SIGKILL);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status)) TH_LOG("child exit %d", WEXITSTATUS(status));
	close(a);
}

/* ---- a full backlog ---- */

TEST_F(conn, backlog_full_einprogress_no_pollout_until_accept)
{
	int q = fill_queue(_metadata, self, variant), a;

	ASSERT_EQ(0, nx_set_nonblock(self->c, 1));
	EXPECT_EQ(EINPROGRESS, conn_c_errno(self));
	EXPECT_EQ(0, nx_poll(self->c, POLLOUT, 100));
	EXPECT_EQ(-1, nx_peer_port(self->c) ? 0 : -1);	/* ENOTCONN */

	a = accept(self->l, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(nx_port(q), nx_peer_port(a));		/* the queued one first */
	EXPECT_EQ(POLLOUT, nx_poll(self->c, POLLOUT, 2000));
	EXPECT_EQ(0, nx_so_error(self->c));
	close(a);
	a = accept(self->l, NULL, NULL);		/* then ours */
	ASSERT_LE(0, a);
	EXPECT_EQ(nx_port(self->c), nx_peer_port(a));
	close(a);
	close(q);
}

TEST_F(conn, pending_attempts_complete_in_arrival_order)
{
	enum { N = 5 };
	int c[N], i, a, q = fill_queue(_metadata, self, variant);

	for (i = 0; i < N; i++) {
		c[i] = nx_socket(variant->type | SOCK_NONBLOCK);
		ASSERT_EQ(EINPROGRESS,
			  nx_connect_errno(c[i], NEXUS_NODE_LOCAL, self->port));
	}
	a = accept(self->l, NULL, NULL);
	ASSERT_LE(0, a);
	close(a);
	for (i = 0; i < N; i++) {
		a = accept(self->l, NULL, NULL);
		ASSERT_LE(0, a);
		EXPECT_EQ(nx_port(c[i]), nx_peer_port(a)) TH_LOG("attempt %d", i);
		close(a);
		close(c[i]);
	}
	close(q);
}

TEST_F(conn, larger_backlog_completes_pending)
{
	int q = fill_queue(_metadata, self, variant);

	ASSERT_EQ(0, nx_set_nonblock(self->c, 1));
	EXPECT_EQ(EINPROGRESS, conn_c_errno(self));
	ASSERT_EQ(0, listen(self->l, 8));
	EXPECT_EQ(POLLOUT, nx_poll(self->c, POLLOUT, 2000));
	EXPECT_EQ(0, nx_so_error(self->c));
	close(q);
}

TEST_F(conn, blocking_connect_sleeps_until_accept)
{
	int q = fill_queue(_metadata, self, variant);
	int fds[2] = { self->l, -1 };

	EXPECT_EQ(0, conn_c_after(_metadata, self, 300, accept_and_close, fds));
	ASSERT_LE(0, fds[1]);
	EXPECT_EQ(nx_port(q), nx_peer_port(fds[1]));
	close(fds[1]);
	close(q);
}

/* ---- timeouts ---- */

TEST_F(conn, timeout_option_roundtrip_and_validation)
{
	unsigned long long ms = 0;
	socklen_t len = sizeof(ms);
	int small = 5;

	ASSERT_EQ(0, getsockopt(self->c, SOL_NEXUS, NEXUS_CONNECT_TIMEOUT, &ms, &len));
	EXPECT_EQ(30000, ms);			/* the namespace default */
	EXPECT_EQ(sizeof(ms), len);
	ASSERT_EQ(0, nx_set_connect_timeout(self->c, 1234));
	ASSERT_EQ(0, getsockopt(self->c, SOL_NEXUS, NEXUS_CONNECT_TIMEOUT, &ms, &len));
	EXPECT_EQ(1234, ms);

	EXPECT_EQ(-1, setsockopt(self->c, SOL_NEXUS, NEXUS_CONNECT_TIMEOUT, &small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);
	len = 4;
	EXPECT_EQ(-1, getsockopt(self->c, SOL_NEXUS, NEXUS_CONNECT_TIMEOUT, &ms, &len));
	EXPECT_EQ(EINVAL, errno);
	len = -1;
	EXPECT_EQ(-1, getsockopt(self->c, SOL_NEXUS, NEXUS_CONNECT_TIMEOUT, &ms, &len));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(self->c, SOL_NEXUS, 999, &ms, sizeof(ms)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	len = sizeof(ms);
	EXPECT_EQ(-1, getsockopt(self->c, SOL_NEXUS, 999, &ms, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, setsockopt(self->c, 6 /* SOL_TCP */, 1, &ms, sizeof(ms)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, setsockopt(self->c, SOL_NEXUS, NEXUS_CONNECT_TIMEOUT, (void *)8, sizeof(ms)));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(conn, timeout_nonblocking_reports_etimedout)
{
	int q = fill_queue(_metadata, self, variant);

	ASSERT_EQ(0, nx_set_connect_timeout(self->c, 200));
	ASSERT_EQ(0, nx_set_nonblock(self->c, 1));
	ASSERT_EQ(0, nx_bind(self->c, 0, 6110));
	EXPECT_EQ(EINPROGRESS, conn_c_errno(self));
	EXPECT_EQ(POLLOUT | POLLERR | POLLHUP,
		  nx_poll(self->c, POLLOUT, 5000) & (POLLOUT | POLLERR | POLLHUP));
	EXPECT_EQ(ETIMEDOUT, nx_so_error(self->c));
	EXPECT_EQ(0, nx_so_error(self->c));		/* read and clear */
	EXPECT_EQ(6110, nx_port(self->c));		/* keeps its address */
	/* ... and can connect again at once. */
	ASSERT_EQ(0, listen(self->l, 4));
	EXPECT_EQ(0, conn_c(self));
	close(q);
}

TEST_F(conn, timeout_blocking_returns_etimedout)
{
	int q = fill_queue(_metadata, self, variant);

	ASSERT_EQ(0, nx_set_connect_timeout(self->c, 200));
	EXPECT_EQ(ETIMEDOUT, conn_c_errno(self));
	EXPECT_EQ(0, nx_so_error(self->c));		/* returned, so cleared */
	close(q);
}

/* SO_SNDTIMEO bounds only the sleep: EINPROGRESS, and the attempt goes on. */
TEST_F(conn, sndtimeo_returns_einprogress_attempt_continues)
{
	struct timeval tv = { 0, 150000 };
	int q = fill_queue(_metadata, self, variant), a;

	ASSERT_EQ(0, setsockopt(self->c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	EXPECT_EQ(EINPROGRESS, conn_c_errno(self));
	EXPECT_EQ(0, nx_poll(self->c, POLLOUT, 0));
	a = accept(self->l, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(POLLOUT, nx_poll(self->c, POLLOUT, 2000));
	EXPECT_EQ(EISCONN, conn_c_errno(self));
	close(a);
	close(q);
}

TEST_F(conn, timeout_zero_means_no_limit)
{
	int q = fill_queue(_metadata, self, variant);

	ASSERT_EQ(0, nx_set_connect_timeout(self->c, 0));
	ASSERT_EQ(0, nx_set_nonblock(self->c, 1));
	EXPECT_EQ(EINPROGRESS, conn_c_errno(self));
	EXPECT_EQ(0, nx_poll(self->c, POLLOUT, 500));
	EXPECT_EQ(0, nx_so_error(self->c));
	close(q);
}

/* ---- signals ---- */

TEST_F(conn, eintr_then_completes_in_background)
{
	struct sigaction sa = { .sa_handler = nx_on_signal };	/* no SA_RESTART */
	pthread_t me = pthread_self();
	int q = fill_queue(_metadata, self, variant), a;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	EXPECT_EQ(EINTR, conn_c_after(_metadata, self, 200, nx_kill_thread, &me));

	/* The attempt goes on: EALREADY when non-blocking, no POLLOUT yet. */
	ASSERT_EQ(0, nx_set_nonblock(self->c, 1));
	EXPECT_EQ(EALREADY, conn_c_errno(self));
	EXPECT_EQ(0, nx_poll(self->c, POLLOUT, 0));

	a = accept(self->l, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(POLLOUT, nx_poll(self->c, POLLOUT, 2000));
	EXPECT_EQ(0, nx_so_error(self->c));
	EXPECT_EQ(EISCONN, conn_c_errno(self));
	close(a);
	close(q);
}

static void kill_then_accept(void *arg)
{
	void **p = (void **)arg;

	pthread_kill(*(pthread_t *)p[0], SIGUSR1);
	nx_msleep(200);
	*(int *)p[2] = accept(*(int *)p[1], NULL, NULL);
}

TEST_F(conn, sa_restart_restarts_and_finishes)
{
	struct sigaction sa = { .sa_handler = nx_on_signal, .sa_flags = SA_RESTART };
	pthread_t me = pthread_self();
	int q = fill_queue(_metadata, self, variant), a = -1;
	void *args[3] = { &me, &self->l, &a };

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	EXPECT_EQ(0, conn_c_after(_metadata, self, 200, kill_then_accept, args));
	ASSERT_LE(0, a);
	close(a);
	close(q);
}

/* A signal arriving after the connection is made does not undo it. */
TEST_F(conn, signal_after_connect_keeps_connection)
{
	struct sigaction sa = { .sa_handler = nx_on_signal };

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, conn_c(self));
	raise(SIGUSR1);
	EXPECT_EQ(EISCONN, conn_c_errno(self));
	EXPECT_EQ(self->port, nx_peer_port(self->c));
}

static void *cancellable_connect(void *arg)
{
	int *p = (int *)arg;

	nx_connect(p[0], NEXUS_NODE_LOCAL, p[1]);
	return NULL;
}

/* Cancelling a thread blocked in connect() leaves a usable socket. */
TEST_F(conn, pthread_cancel_leaves_no_half_state)
{
	int q = fill_queue(_metadata, self, variant), a;
	int args[2] = { self->c, (int)self->port };
	pthread_t t;
	void *ret;

	ASSERT_EQ(0, pthread_create(&t, NULL, cancellable_connect, args));
	nx_msleep(200);
	ASSERT_EQ(0, pthread_cancel(t));
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(PTHREAD_CANCELED, ret);
	/* The attempt is still pending; accept completes it. */
	a = accept(self->l, NULL, NULL);
	ASSERT_LE(0, a);
	close(a);
	EXPECT_EQ(POLLOUT, nx_poll(self->c, POLLOUT, 2000));
	EXPECT_EQ(0, nx_so_error(self->c));
	close(q);
}

/* ---- failure ---- */

TEST_F(conn, listener_close_refuses_pending_and_resets_queued)
{
	int q = fill_queue(_metadata, self, variant);
	char buf[4];

	ASSERT_EQ(0, nx_bind(self->c, 0, 6120));
	ASSERT_EQ(0, nx_set_nonblock(self->c, 1));
	EXPECT_EQ(EINPROGRESS, conn_c_errno(self));

	close(self->l);
	self->l = -1;
	EXPECT_EQ(POLLOUT | POLLERR | POLLHUP,
		  nx_poll(self->c, POLLOUT, 2000) & (POLLOUT | POLLERR | POLLHUP));
	EXPECT_EQ(ECONNREFUSED, nx_so_error(self->c));
	EXPECT_EQ(6120, nx_port(self->c));

	/* The queued, never accepted connection was reset. */
	EXPECT_EQ(-1, recv(q, buf, sizeof(buf), 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(0, recv(q, buf, sizeof(buf), 0));
	close(q);
}

static void close_fd(void *arg)
{
	close(*(int *)arg);
}

TEST_F(conn, listener_close_fails_blocking_connect)
{
	int q = fill_queue(_metadata, self, variant);

	EXPECT_EQ(ECONNREFUSED,
		  conn_c_after(_metadata, self, 200, close_fd, &self->l));
	self->l = -1;
	close(q);
}

TEST_F(conn, listener_shutdown_refuses_pending)
{
	int q = fill_queue(_metadata, self, variant);

	ASSERT_EQ(0, nx_set_nonblock(self->c, 1));
	EXPECT_EQ(EINPROGRESS, conn_c_errno(self));
	ASSERT_EQ(0, shutdown(self->l, SHUT_RDWR));
	EXPECT_EQ(POLLERR, nx_poll(self->c, POLLOUT, 2000) & POLLERR);
	EXPECT_EQ(ECONNREFUSED, nx_so_error(self->c));
	/* A stopped listener refuses, and can listen again. */
	EXPECT_EQ(ECONNREFUSED, conn_c_errno(self));
	ASSERT_EQ(0, listen(self->l, 2));
	EXPECT_EQ(0, conn_c(self));
	close(q);
}

/* After any failed connect the socket connects again at once. */
TEST_F(conn, reconnect_after_refused)
{
	ASSERT_EQ(0, nx_bind(self->c, 0, 6121));
	EXPECT_EQ(ECONNREFUSED,
		  nx_connect_errno(self->c, NEXUS_NODE_LOCAL, 6122));
	EXPECT_EQ(POLLOUT | POLLHUP, nx_poll(self->c, POLLOUT, 0));
	EXPECT_EQ(0, conn_c(self));
	EXPECT_EQ(6121, nx_port(self->c));
}

/* A stale error from a non-blocking attempt is cleared by the next one. */
TEST_F(conn, new_attempt_clears_stale_error)
{
	int q = fill_queue(_metadata, self, variant);

	ASSERT_EQ(0, nx_set_connect_timeout(self->c, 100));
	ASSERT_EQ(0, nx_set_nonblock(self->c, 1));
	EXPECT_EQ(EINPROGRESS, conn_c_errno(self));
	EXPECT_EQ(POLLERR, nx_poll(self->c, POLLOUT, 3000) & POLLERR);
	/* SO_ERROR never read: the next attempt starts clean. */
	ASSERT_EQ(0, listen(self->l, 8));
	EXPECT_EQ(0, conn_c(self));
	EXPECT_EQ(0, nx_so_error(self->c));
	close(q);
}

/* ---- AF_UNSPEC ---- */

TEST_F(conn, unspec_unconnected_noop)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	EXPECT_EQ(0, connect_raw(self->c, &sa, sizeof(sa)));
	EXPECT_EQ(0, connect_raw(self->c, &sa, sizeof(sa_family_t)));
	EXPECT_EQ(-1, connect_raw(self->c, &sa, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, conn_c(self));
}

TEST_F(conn, unspec_dissolves_connection_peer_sees_reset)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };
	unsigned int port;
	char buf[4];
	int a;

	ASSERT_EQ(0, conn_c(self));
	port = nx_port(self->c);
	a = accept(self->l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, connect_raw(self->c, &sa, sizeof(sa)));
	EXPECT_EQ(-1, nx_peer_port(self->c) ? 0 : -1);
	EXPECT_EQ(-1, recv(a, buf, sizeof(buf), 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(-1, send(self->c, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	/* ... and connects again, keeping its port. */
	EXPECT_EQ(0, conn_c(self));
	EXPECT_EQ(port, nx_port(self->c));
	close(a);
}

TEST_F(conn, unspec_cancels_pending_attempt)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };
	int q = fill_queue(_metadata, self, variant), a;

	ASSERT_EQ(0, nx_set_nonblock(self->c, 1));
	EXPECT_EQ(EINPROGRESS, conn_c_errno(self));
	ASSERT_EQ(0, connect_raw(self->c, &sa, sizeof(sa)));
	EXPECT_EQ(0, nx_so_error(self->c));
	/* Accepting now finds only the queued connection. */
	a = accept(self->l, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(nx_port(q), nx_peer_port(a));
	close(a);
	ASSERT_EQ(0, nx_set_nonblock(self->l, 1));
	EXPECT_EQ(-1, accept(self->l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	/* The cancelled socket connects again. */
	EXPECT_EQ(0, conn_c(self));
	close(q);
}

static void unspec_from_other_thread(void *arg)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	connect(*(int *)arg, &sa, sizeof(sa));
}

/* Another thread cancels the attempt a blocking connect() waits for. */
TEST_F(conn, unspec_from_other_thread_aborts_blocking_connect)
{
	int q = fill_queue(_metadata, self, variant);

	EXPECT_EQ(ECONNABORTED, conn_c_after(_metadata, self, 200,
					     unspec_from_other_thread, &self->c));
	EXPECT_EQ(0, nx_so_error(self->c));
	/* Unconnected again: it connects once there is room. */
	ASSERT_EQ(0, listen(self->l, 8));
	EXPECT_EQ(0, conn_c(self));
	close(q);
}

TEST_F(conn, unspec_stops_listener)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	ASSERT_EQ(0, connect_raw(self->l, &sa, sizeof(sa)));
	EXPECT_EQ(ECONNREFUSED, conn_c_errno(self));
}

TEST_HARNESS_MAIN
