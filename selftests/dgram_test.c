// SPDX-License-Identifier: GPL-2.0
/*
 * SOCK_DGRAM: connect() and the default peer, every errno of connect(),
 * send()/sendto()/recv(), record semantics, ioctls, shutdown() and
 * broadcast. Flow control and concurrency are in dgram_flow_test.c.
 */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "nexus_util.h"

#define DG_MAX		65536	/* NEXUS_DGRAM_MAX in kmod/nexus.h */
#define FOREIGN_NODE	77

static int dg_socket(void)
{
	return nx_socket(SOCK_DGRAM);
}

/* A datagram socket bound to an ephemeral port; aborts on failure. */
static int dg_bound(void)
{
	int fd = dg_socket();

	if (fd < 0 || nx_bind(fd, NEXUS_NODE_ANY, 0)) {
		perror("dg_bound");
		abort();
	}
	return fd;
}

static ssize_t dg_sendto(int fd, unsigned int node, unsigned int port,
			 const void *buf, size_t len, int flags)
{
	struct sockaddr_nx sa = nx_addr(node, port);

	return sendto(fd, buf, len, flags, (struct sockaddr *)&sa, sizeof(sa));
}

static ssize_t dg_recvfrom(int fd, void *buf, size_t len, int flags,
			   struct sockaddr_nx *from)
{
	socklen_t alen = sizeof(*from);

	return recvfrom(fd, buf, len, flags, (struct sockaddr *)from, &alen);
}

static int so_error(int fd)
{
	int err = -1;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -1;
	return err;
}

static short poll_events(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, timeout_ms) < 0)
		return -1;
	return p.revents;
}

static int peer_of(int fd, struct sockaddr_nx *sa)
{
	socklen_t len = sizeof(*sa);

	memset(sa, 0xaa, sizeof(*sa));
	return getpeername(fd, (struct sockaddr *)sa, &len);
}

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

/* No datagram waiting? */
static int queue_empty(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN;
}

FIXTURE(dg)
{
	int rcv;		/* bound receiver */
	unsigned int port;	/* its port */
	int snd;		/* unbound sender */
};

FIXTURE_SETUP(dg)
{
	self->rcv = dg_bound();
	self->port = nx_port(self->rcv);
	self->snd = dg_socket();
	ASSERT_LE(0, self->snd);
}

FIXTURE_TEARDOWN(dg)
{
	close(self->rcv);
	close(self->snd);
}

/* ---- connect(): the association ---- */

TEST_F(dg, connect_sets_peer_and_autobinds)
{
	struct sockaddr_nx sa;

	EXPECT_EQ(0, nx_port(self->snd));
	ASSERT_EQ(0, nx_connect(self->snd, NEXUS_NODE_LOCAL, self->port));
	EXPECT_NE(0, nx_port(self->snd));
	ASSERT_EQ(0, peer_of(self->snd, &sa));
	EXPECT_EQ(nx_family(), sa.snx_family);
	EXPECT_EQ(0, sa.snx_reserved);
	EXPECT_EQ(self->port, sa.snx_port);
	EXPECT_EQ(NEXUS_NODE_LOCAL, sa.snx_node);
	EXPECT_EQ(0, sa.snx_zero[0] | sa.snx_zero[1] | sa.snx_zero[2] |
		     sa.snx_zero[3]);
}

TEST_F(dg, connect_node_any_means_this_node)
{
	struct sockaddr_nx sa;

	ASSERT_EQ(0, nx_connect(self->snd, NEXUS_NODE_ANY, self->port));
	ASSERT_EQ(0, peer_of(self->snd, &sa));
	EXPECT_EQ(NEXUS_NODE_LOCAL, sa.snx_node);
	EXPECT_EQ(self->port, sa.snx_port);
}

TEST_F(dg, connect_keeps_explicit_binding)
{
	unsigned int port;

	ASSERT_EQ(0, nx_bind(self->snd, NEXUS_NODE_ANY, 0));
	port = nx_port(self->snd);
	ASSERT_EQ(0, nx_connect(self->snd, NEXUS_NODE_LOCAL, self->port));
	EXPECT_EQ(port, nx_port(self->snd));
}

TEST_F(dg, getpeername_unconnected_enotconn)
{
	struct sockaddr_nx sa;

	EXPECT_EQ(-1, peer_of(self->snd, &sa));
	EXPECT_EQ(ENOTCONN, errno);
}

TEST_F(dg, reconnect_second_peer_then_unspec)
{
	int other = dg_bound();
	unsigned int oport = nx_port(other);
	struct sockaddr_nx sa;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	char buf[8];

	ASSERT_EQ(0, nx_connect(self->snd, NEXUS_NODE_LOCAL, self->port));
	ASSERT_EQ(1, send(self->snd, "a", 1, 0));
	ASSERT_EQ(0, nx_connect(self->snd, NEXUS_NODE_LOCAL, oport));
	ASSERT_EQ(0, peer_of(self->snd, &sa));
	EXPECT_EQ(oport, sa.snx_port);
	ASSERT_EQ(1, send(self->snd, "b", 1, 0));

	EXPECT_EQ(1, recv(self->rcv, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ('a', buf[0]);
	EXPECT_TRUE(queue_empty(self->rcv));
	EXPECT_EQ(1, recv(other, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ('b', buf[0]);

	ASSERT_EQ(0, connect(self->snd, &unspec, sizeof(unspec)));
	EXPECT_EQ(-1, peer_of(self->snd, &sa));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, send(self->snd, "c", 1, 0));
	EXPECT_EQ(EDESTADDRREQ, errno);
	/* Dissolving keeps the local binding; sendto() still works. */
	EXPECT_NE(0, nx_port(self->snd));
	EXPECT_EQ(1, dg_sendto(self->snd, 0, oport, "d", 1, 0));
	EXPECT_EQ(1, recv(other, buf, sizeof(buf), MSG_DONTWAIT));
	/* ... and the socket may connect again. */
	ASSERT_EQ(0, nx_connect(self->snd, NEXUS_NODE_LOCAL, self->port));
	EXPECT_EQ(1, send(self->snd, "e", 1, 0));
	EXPECT_EQ(1, recv(self->rcv, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ('e', buf[0]);
	close(other);
}

TEST_F(dg, unspec_on_unconnected_is_noop)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };

	EXPECT_EQ(0, connect(self->snd, &unspec, sizeof(unspec)));
	/* Only the family needs to be there. */
	EXPECT_EQ(0, connect(self->snd, &unspec, sizeof(sa_family_t)));
	EXPECT_EQ(0, nx_port(self->snd));	/* no auto-bind */
	/* ... but the family itself must be. */
	EXPECT_EQ(-1, connect(self->snd, &unspec, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dg, connect_to_self)
{
	char buf[4];

	ASSERT_EQ(0, nx_connect(self->rcv, NEXUS_NODE_LOCAL, self->port));
	ASSERT_EQ(3, send(self->rcv, "abc", 3, 0));
	EXPECT_EQ(3, recv(self->rcv, buf, sizeof(buf), MSG_DONTWAIT));
}

TEST_F(dg, two_sockets_connected_to_each_other)
{
	char buf[4];

	ASSERT_EQ(0, nx_connect(self->snd, NEXUS_NODE_LOCAL, self->port));
	ASSERT_EQ(0, nx_connect(self->rcv, NEXUS_NODE_LOCAL,
				nx_port(self->snd)));
	EXPECT_EQ(1, write(self->snd, "x", 1));
	EXPECT_EQ(1, read(self->rcv, buf, sizeof(buf)));
	EXPECT_EQ(1, write(self->rcv, "y", 1));
	EXPECT_EQ(1, read(self->snd, buf, sizeof(buf)));
	EXPECT_EQ('y', buf[0]);
}

/* ---- connect(): every errno ---- */

TEST_F(dg, connect_addrlen_zero_einval)
{
	struct sockaddr_nx sa = nx_addr(0, self->port);

	EXPECT_EQ(-1, connect(self->snd, (struct sockaddr *)&sa, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dg, connect_addrlen_short_einval)
{
	struct sockaddr_nx sa = nx_addr(0, self->port);
	socklen_t len;

	for (len = 1; len < sizeof(sa); len++) {
		EXPECT_EQ(-1, connect(self->snd, (struct sockaddr *)&sa, len));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(-1, peer_of(self->snd, &sa));
}

TEST_F(dg, connect_len_checked_before_family)
{
	struct sockaddr_nx sa = nx_addr(0, self->port);

	sa.snx_family = AF_INET;
	EXPECT_EQ(-1, connect(self->snd, (struct sockaddr *)&sa, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dg, connect_addrlen_long_accepted)
{
	char buf[128] = {};
	struct sockaddr_nx sa = nx_addr(0, self->port);

	memcpy(buf, &sa, sizeof(sa));
	EXPECT_EQ(0, connect(self->snd, (struct sockaddr *)buf, sizeof(buf)));
}

TEST_F(dg, connect_wrong_family_eafnosupport)
{
	struct sockaddr_nx sa = nx_addr(0, self->port);

	sa.snx_family = AF_INET;
	EXPECT_EQ(-1, connect(self->snd, (struct sockaddr *)&sa, sizeof(sa)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
}

TEST_F(dg, connect_reserved_nonzero_einval)
{
	struct sockaddr_nx sa = nx_addr(0, self->port);
	int i;

	sa.snx_reserved = 1;
	EXPECT_EQ(-1, connect(self->snd, (struct sockaddr *)&sa, sizeof(sa)));
	EXPECT_EQ(EINVAL, errno);
	for (i = 0; i < 4; i++) {
		sa = nx_addr(0, self->port);
		sa.snx_zero[i] = 0x80;
		EXPECT_EQ(-1, connect(self->snd, (struct sockaddr *)&sa,
				      sizeof(sa)));
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_F(dg, connect_bad_pointer_efault)
{
	EXPECT_EQ(-1, connect(self->snd, (struct sockaddr *)8,
			      sizeof(struct sockaddr_nx)));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dg, connect_nothing_bound_econnrefused)
{
	int tmp = dg_bound();
	unsigned int free_port = nx_port(tmp);
	struct sockaddr_nx sa;

	close(tmp);
	EXPECT_EQ(ECONNREFUSED,
		  nx_connect_errno(self->snd, NEXUS_NODE_LOCAL, free_port));
	/* The failed connect changed nothing: still unbound, unconnected. */
	EXPECT_EQ(0, nx_port(self->snd));
	EXPECT_EQ(-1, peer_of(self->snd, &sa));
	/* A failed reconnect keeps the old association. */
	ASSERT_EQ(0, nx_connect(self->snd, NEXUS_NODE_LOCAL, self->port));
	EXPECT_EQ(ECONNREFUSED,
		  nx_connect_errno(self->snd, NEXUS_NODE_LOCAL, free_port));
	ASSERT_EQ(0, peer_of(self->snd, &sa));
	EXPECT_EQ(self->port, sa.snx_port);
}

TEST_F(dg, connect_port_zero_econnrefused)
{
	EXPECT_EQ(ECONNREFUSED,
		  nx_connect_errno(self->snd, NEXUS_NODE_LOCAL, NEXUS_PORT_ANY));
}

TEST_F(dg, connect_stream_or_seqpacket_eprototype)
{
	int types[] = { SOCK_STREAM, SOCK_SEQPACKET };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		int s = nx_socket(types[i]);

		ASSERT_LE(0, s);
		ASSERT_EQ(0, nx_bind(s, 0, 0));
		EXPECT_EQ(EPROTOTYPE,
			  nx_connect_errno(self->snd, 0, nx_port(s)));
		/* listening makes no difference */
		ASSERT_EQ(0, listen(s, 1));
		EXPECT_EQ(EPROTOTYPE,
			  nx_connect_errno(self->snd, 0, nx_port(s)));
		EXPECT_EQ(-1, dg_sendto(self->snd, 0, nx_port(s), "x", 1, 0));
		EXPECT_EQ(EPROTOTYPE, errno);
		close(s);
	}
}

TEST_F(dg, connect_foreign_node_enetunreach)
{
	EXPECT_EQ(ENETUNREACH,
		  nx_connect_errno(self->snd, FOREIGN_NODE, self->port));
	EXPECT_EQ(-1, dg_sendto(self->snd, FOREIGN_NODE, self->port, "x", 1, 0));
	EXPECT_EQ(ENETUNREACH, errno);
}

TEST_F(dg, connect_broadcast_needs_so_broadcast)
{
	struct sockaddr_nx sa;

	EXPECT_EQ(EACCES,
		  nx_connect_errno(self->snd, NEXUS_NODE_BROADCAST, self->port));
	EXPECT_EQ(-1, peer_of(self->snd, &sa));
	ASSERT_EQ(0, set_int(self->snd, SOL_SOCKET, SO_BROADCAST, 1));
	ASSERT_EQ(0, nx_connect(self->snd, NEXUS_NODE_BROADCAST, self->port));
	ASSERT_EQ(0, peer_of(self->snd, &sa));
	EXPECT_EQ(NEXUS_NODE_BROADCAST, sa.snx_node);
	EXPECT_EQ(self->port, sa.snx_port);
}

/* A one-port ephemeral range in a namespace of our own, then exhausted. */
TEST_F(dg, autobind_exhausted_eaddrnotavail)
{
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct sockaddr_nx sa;
		int a, b, r;

		if (unshare(CLONE_NEWNET))
			_exit(10);
		if (nx_write_file("/proc/sys/net/nexus/ephemeral_ports",
				  "40000 40000"))
			_exit(4);	/* no sysctl (yet): skip */
		r = dg_socket();
		if (nx_bind(r, 0, 5000))
			_exit(11);
		a = dg_bound();		/* takes the only ephemeral port */
		if (nx_port(a) != 40000)
			_exit(12);
		b = dg_socket();
		if (nx_connect(b, 0, 5000) != -1 || errno != EADDRNOTAVAIL)
			_exit(13);
		/* unchanged: unbound and unconnected */
		if (nx_port(b) != 0 || peer_of(b, &sa) != -1)
			_exit(14);
		if (dg_sendto(b, 0, 5000, "x", 1, 0) != -1 ||
		    errno != EADDRNOTAVAIL)
			_exit(15);
		close(a);
		if (nx_connect(b, 0, 5000) || nx_port(b) != 40000)
			_exit(16);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 4)
		SKIP(return, "no net.nexus.ephemeral_ports sysctl");
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* ---- who may send to a connected socket ---- */

TEST_F(dg, connected_receives_only_from_peer)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int third = dg_bound();
	struct sockaddr_nx from;
	char buf[4];

	ASSERT_EQ(0, nx_bind(self->snd, 0, 0));
	ASSERT_EQ(0, nx_connect(self->rcv, 0, nx_port(self->snd)));
	/* Refused for a stranger, as AF_UNIX does ... */
	EXPECT_EQ(-1, dg_sendto(third, 0, self->port, "x", 1, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, dg_sendto(third, 0, self->port, "x", 1, MSG_DONTWAIT));
	EXPECT_EQ(EPERM, errno);
	/* ... fine for the peer. */
	EXPECT_EQ(1, dg_sendto(self->snd, 0, self->port, "p", 1, 0));
	EXPECT_EQ(1, dg_recvfrom(self->rcv, buf, sizeof(buf), MSG_DONTWAIT,
				 &from));
	EXPECT_EQ(nx_port(self->snd), from.snx_port);
	EXPECT_TRUE(queue_empty(self->rcv));
	/* Connecting to a connected socket succeeds; sending does not. */
	EXPECT_EQ(0, nx_connect(third, 0, self->port));
	EXPECT_EQ(-1, send(third, "x", 1, 0));
	EXPECT_EQ(EPERM, errno);
	/* Once the receiver dissolves its association, anyone may send. */
	ASSERT_EQ(0, connect(self->rcv, &unspec, sizeof(unspec)));
	EXPECT_EQ(1, send(third, "y", 1, 0));
	close(third);
}

/* Datagrams from others queued before connect() stay (as Linux UDP). */
TEST_F(dg, queued_before_connect_are_kept)
{
	int third = dg_bound();
	struct sockaddr_nx from;
	char buf[4];

	ASSERT_EQ(1, dg_sendto(third, 0, self->port, "t", 1, 0));
	ASSERT_EQ(0, nx_bind(self->snd, 0, 0));
	ASSERT_EQ(0, nx_connect(self->rcv, 0, nx_port(self->snd)));
	ASSERT_EQ(1, dg_sendto(self->snd, 0, self->port, "s", 1, 0));
	EXPECT_EQ(1, dg_recvfrom(self->rcv, buf, sizeof(buf), MSG_DONTWAIT,
				 &from));
	EXPECT_EQ('t', buf[0]);
	EXPECT_EQ(nx_port(third), from.snx_port);
	EXPECT_EQ(1, dg_recvfrom(self->rcv, buf, sizeof(buf), MSG_DONTWAIT,
				 &from));
	EXPECT_EQ('s', buf[0]);
	EXPECT_EQ(-1, dg_sendto(third, 0, self->port, "t", 1, 0));
	EXPECT_EQ(EPERM, errno);
	close(third);
}

/* ---- send(), write(), sendto() ---- */

TEST_F(dg, send_unconnected_edestaddrreq)
{
	EXPECT_EQ(-1, send(self->snd, "x", 1, 0));
	EXPECT_EQ(EDESTADDRREQ, errno);
	EXPECT_EQ(-1, write(self->snd, "x", 1));
	EXPECT_EQ(EDESTADDRREQ, errno);
}

TEST_F(dg, send_and_write_go_to_peer)
{
	struct sockaddr_nx from;
	char buf[8];

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(4, send(self->snd, "send", 4, 0));
	ASSERT_EQ(5, write(self->snd, "write", 5));
	EXPECT_EQ(4, dg_recvfrom(self->rcv, buf, sizeof(buf), 0, &from));
	EXPECT_EQ(0, memcmp(buf, "send", 4));
	EXPECT_EQ(nx_port(self->snd), from.snx_port);
	EXPECT_EQ(5, read(self->rcv, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "write", 5));
}

TEST_F(dg, sendto_explicit_address_while_connected)
{
	int other = dg_bound();
	struct sockaddr_nx from;
	char buf[4];

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(1, dg_sendto(self->snd, 0, nx_port(other), "o", 1, 0));
	EXPECT_EQ(1, dg_recvfrom(other, buf, sizeof(buf), MSG_DONTWAIT, &from));
	EXPECT_EQ(nx_port(self->snd), from.snx_port);
	EXPECT_TRUE(queue_empty(self->rcv));
	close(other);
}

TEST_F(dg, sendto_autobinds)
{
	struct sockaddr_nx from;
	char buf[4];

	ASSERT_EQ(1, dg_sendto(self->snd, 0, self->port, "a", 1, 0));
	EXPECT_NE(0, nx_port(self->snd));
	ASSERT_EQ(1, dg_recvfrom(self->rcv, buf, sizeof(buf), 0, &from));
	EXPECT_EQ(nx_port(self->snd), from.snx_port);
	EXPECT_EQ(NEXUS_NODE_LOCAL, from.snx_node);
}

TEST_F(dg, sendto_errnos)
{
	struct sockaddr_nx sa = nx_addr(0, self->port);
	int tmp = dg_bound();
	unsigned int free_port = nx_port(tmp);

	close(tmp);
	EXPECT_EQ(-1, dg_sendto(self->snd, 0, free_port, "x", 1, 0));
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_EQ(-1, sendto(self->snd, "x", 1, 0, (struct sockaddr *)&sa, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sendto(self->snd, "x", 1, 0, (struct sockaddr *)&sa, 15));
	EXPECT_EQ(EINVAL, errno);
	sa.snx_zero[3] = 1;
	EXPECT_EQ(-1, sendto(self->snd, "x", 1, 0, (struct sockaddr *)&sa,
			     sizeof(sa)));
	EXPECT_EQ(EINVAL, errno);
	sa = nx_addr(0, self->port);
	sa.snx_family = AF_INET;
	EXPECT_EQ(-1, sendto(self->snd, "x", 1, 0, (struct sockaddr *)&sa,
			     sizeof(sa)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	/* AF_UNSPEC dissolves in connect(); it addresses nothing. */
	sa.snx_family = AF_UNSPEC;
	EXPECT_EQ(-1, sendto(self->snd, "x", 1, 0, (struct sockaddr *)&sa,
			     sizeof(sa)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	EXPECT_EQ(-1, sendto(self->snd, "x", 1, 0, (struct sockaddr *)8,
			     sizeof(sa)));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, dg_sendto(self->snd, 0, self->port, (void *)8, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, dg_sendto(self->snd, 0, self->port, "x", 1, MSG_OOB));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* None of these queued anything. */
	EXPECT_TRUE(queue_empty(self->rcv));
}

TEST_F(dg, max_datagram_size)
{
	char *buf = malloc(DG_MAX + 1);

	ASSERT_NE(NULL, buf);
	memset(buf, 0x5a, DG_MAX + 1);
	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	EXPECT_EQ(-1, send(self->snd, buf, DG_MAX + 1, 0));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(-1, send(self->snd, buf, 1 << 20, 0));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_TRUE(queue_empty(self->rcv));
	ASSERT_EQ(DG_MAX, send(self->snd, buf, DG_MAX, 0));
	memset(buf, 0, DG_MAX + 1);
	EXPECT_EQ(DG_MAX, recv(self->rcv, buf, DG_MAX + 1, 0));
	EXPECT_EQ(0x5a, buf[0]);
	EXPECT_EQ(0x5a, buf[DG_MAX - 1]);
	EXPECT_EQ(0, buf[DG_MAX]);
	free(buf);
}

/* ---- receiving ---- */

TEST_F(dg, record_boundaries)
{
	char buf[64];

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(3, send(self->snd, "one", 3, 0));
	ASSERT_EQ(5, send(self->snd, "three", 5, 0));
	ASSERT_EQ(2, send(self->snd, "tw", 2, 0));
	EXPECT_EQ(3, recv(self->rcv, buf, sizeof(buf), 0));
	EXPECT_EQ(5, recv(self->rcv, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "three", 5));
	EXPECT_EQ(2, recv(self->rcv, buf, sizeof(buf), 0));
}

TEST_F(dg, short_read_truncates)
{
	struct iovec iov;
	struct msghdr msg = {};
	char buf[16];

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(10, send(self->snd, "0123456789", 10, 0));
	ASSERT_EQ(2, send(self->snd, "ab", 2, 0));
	ASSERT_EQ(10, send(self->snd, "0123456789", 10, 0));

	iov.iov_base = buf;
	iov.iov_len = 4;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	EXPECT_EQ(4, recvmsg(self->rcv, &msg, 0));
	EXPECT_TRUE(msg.msg_flags & MSG_TRUNC);
	EXPECT_EQ(0, memcmp(buf, "0123", 4));
	/* The rest of a truncated datagram is gone. */
	msg.msg_flags = 0;
	iov.iov_len = sizeof(buf);
	EXPECT_EQ(2, recvmsg(self->rcv, &msg, 0));
	EXPECT_FALSE(msg.msg_flags & MSG_TRUNC);
	/* MSG_TRUNC in flags: the real length. */
	EXPECT_EQ(10, recv(self->rcv, buf, 3, MSG_TRUNC));
}

TEST_F(dg, peek)
{
	struct sockaddr_nx from;
	char buf[16];

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(5, send(self->snd, "hello", 5, 0));
	ASSERT_EQ(3, send(self->snd, "bye", 3, 0));
	EXPECT_EQ(5, dg_recvfrom(self->rcv, buf, sizeof(buf), MSG_PEEK, &from));
	EXPECT_EQ(nx_port(self->snd), from.snx_port);
	EXPECT_EQ(2, recv(self->rcv, buf, 2, MSG_PEEK));
	EXPECT_EQ(5, recv(self->rcv, buf, 2, MSG_PEEK | MSG_TRUNC));
	EXPECT_EQ(5, recv(self->rcv, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_EQ(3, recv(self->rcv, buf, sizeof(buf), 0));
}

/* A zero-length datagram stays the next one however often it is peeked. */
TEST_F(dg, peek_zero_length_twice)
{
	char buf[16];

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(0, send(self->snd, "", 0, 0));
	ASSERT_EQ(3, send(self->snd, "bye", 3, 0));
	EXPECT_EQ(0, recv(self->rcv, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT));
	EXPECT_EQ(0, recv(self->rcv, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT));
	EXPECT_EQ(0, recv(self->rcv, buf, sizeof(buf), MSG_PEEK | MSG_TRUNC));
	EXPECT_EQ(0, recv(self->rcv, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(3, recv(self->rcv, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT));
	EXPECT_EQ(3, recv(self->rcv, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT));
	EXPECT_EQ(3, recv(self->rcv, buf, sizeof(buf), MSG_DONTWAIT));
}

TEST_F(dg, recvfrom_address_and_short_addrlen)
{
	struct sockaddr_nx from;
	socklen_t alen;
	char buf[4];

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(1, send(self->snd, "a", 1, 0));
	ASSERT_EQ(1, send(self->snd, "b", 1, 0));
	memset(&from, 0xaa, sizeof(from));
	alen = sizeof(from);
	EXPECT_EQ(1, recvfrom(self->rcv, buf, sizeof(buf), 0,
			      (struct sockaddr *)&from, &alen));
	EXPECT_EQ(sizeof(from), alen);
	EXPECT_EQ(nx_family(), from.snx_family);
	EXPECT_EQ(0, from.snx_reserved);
	EXPECT_EQ(NEXUS_NODE_LOCAL, from.snx_node);
	EXPECT_EQ(nx_port(self->snd), from.snx_port);
	EXPECT_EQ(0, from.snx_zero[0] | from.snx_zero[1] | from.snx_zero[2] |
		     from.snx_zero[3]);
	/* A short buffer gets a prefix; the full length is reported. */
	memset(&from, 0xaa, sizeof(from));
	alen = 4;
	EXPECT_EQ(1, recvfrom(self->rcv, buf, sizeof(buf), 0,
			      (struct sockaddr *)&from, &alen));
	EXPECT_EQ(sizeof(from), alen);
	EXPECT_EQ(nx_family(), from.snx_family);
	EXPECT_EQ(0xaaaaaaaa, from.snx_port);
}

TEST_F(dg, recvfrom_bad_pointers_efault)
{
	socklen_t alen = sizeof(struct sockaddr_nx);
	char buf[4];

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(1, send(self->snd, "a", 1, 0));
	EXPECT_EQ(-1, recv(self->rcv, (void *)8, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(1, send(self->snd, "b", 1, 0));
	EXPECT_EQ(-1, recvfrom(self->rcv, buf, sizeof(buf), 0,
			       (struct sockaddr *)8, &alen));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dg, zero_length_datagrams)
{
	struct sockaddr_nx from;
	char buf[4];
	int n = -1;

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(0, send(self->snd, "", 0, 0));
	ASSERT_EQ(0, dg_sendto(self->snd, 0, self->port, NULL, 0, 0));
	EXPECT_EQ(POLLIN, poll_events(self->rcv, POLLIN, 0));
	ASSERT_EQ(0, ioctl(self->rcv, FIONREAD, &n));
	EXPECT_EQ(0, n);
	EXPECT_EQ(0, dg_recvfrom(self->rcv, buf, sizeof(buf), 0, &from));
	EXPECT_EQ(nx_port(self->snd), from.snx_port);
	EXPECT_EQ(0, recv(self->rcv, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_TRUE(queue_empty(self->rcv));
}

TEST_F(dg, dontwait_and_nonblocking_eagain)
{
	char buf[4];

	EXPECT_EQ(-1, recv(self->rcv, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, fcntl(self->rcv, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, recv(self->rcv, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	       (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

TEST_F(dg, so_rcvtimeo)
{
	struct timeval tv = { .tv_usec = 100000 };
	struct timespec t0;
	char buf[4];

	ASSERT_EQ(0, setsockopt(self->rcv, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(-1, recv(self->rcv, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LE(TIMEO_100MS_MIN_MS, elapsed_ms(&t0));
}

TEST_F(dg, recv_unsupported_flags_eopnotsupp)
{
	char buf[4];

	EXPECT_EQ(-1, recv(self->rcv, buf, sizeof(buf), MSG_OOB));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, recv(self->rcv, buf, sizeof(buf), MSG_ERRQUEUE));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

/* ---- ioctls ---- */

TEST_F(dg, fionread_is_next_datagram)
{
	int n = -1;

	ASSERT_EQ(0, ioctl(self->rcv, FIONREAD, &n));
	EXPECT_EQ(0, n);
	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(7, send(self->snd, "1234567", 7, 0));
	ASSERT_EQ(3, send(self->snd, "123", 3, 0));
	ASSERT_EQ(0, ioctl(self->rcv, SIOCINQ, &n));
	EXPECT_EQ(7, n);
	ASSERT_EQ(0, ioctl(self->rcv, FIONREAD, &n));
	EXPECT_EQ(7, n);
	ASSERT_EQ(7, recv(self->rcv, &n, 0, MSG_TRUNC));
	ASSERT_EQ(0, ioctl(self->rcv, FIONREAD, &n));
	EXPECT_EQ(3, n);
}

TEST_F(dg, siocoutq_counts_unreceived)
{
	int n = -1, m = -1;
	char buf[64];

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(0, ioctl(self->snd, SIOCOUTQ, &n));
	EXPECT_EQ(0, n);
	ASSERT_EQ(50, send(self->snd, buf, 50, 0));
	ASSERT_EQ(0, ioctl(self->snd, SIOCOUTQ, &n));
	EXPECT_LE(50, n);		/* memory, not payload */
	ASSERT_EQ(50, send(self->snd, buf, 50, 0));
	ASSERT_EQ(0, ioctl(self->snd, SIOCOUTQ, &m));
	EXPECT_EQ(2 * n, m);
	ASSERT_EQ(50, recv(self->rcv, buf, sizeof(buf), 0));
	ASSERT_EQ(0, ioctl(self->snd, SIOCOUTQ, &m));
	EXPECT_EQ(n, m);
	/* The receiver's close frees what it held. */
	close(self->rcv);
	self->rcv = dg_bound();
	ASSERT_EQ(0, ioctl(self->snd, SIOCOUTQ, &m));
	EXPECT_EQ(0, m);
}

TEST_F(dg, ioctl_errnos)
{
	struct termios t;

	EXPECT_EQ(-1, ioctl(self->rcv, FIONREAD, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->rcv, SIOCOUTQ, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->rcv, TCGETS, &t));
	EXPECT_EQ(ENOTTY, errno);
}

/* ---- the peer closes ---- */

TEST_F(dg, peer_close_so_error_poll_then_send)
{
	struct sockaddr_nx sa;
	int fresh;

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	EXPECT_EQ(0, so_error(self->snd));
	close(self->rcv);
	EXPECT_TRUE(poll_events(self->snd, POLLOUT, 0) & POLLERR);
	EXPECT_EQ(ECONNREFUSED, so_error(self->snd));
	EXPECT_EQ(0, so_error(self->snd));		/* once */
	EXPECT_FALSE(poll_events(self->snd, POLLIN, 0) & POLLERR);
	/* Every send to the dead peer fails, not only the first. */
	EXPECT_EQ(-1, send(self->snd, "x", 1, 0));
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_EQ(-1, send(self->snd, "x", 1, MSG_DONTWAIT));
	EXPECT_EQ(ECONNREFUSED, errno);
	/* The association stays until changed. */
	ASSERT_EQ(0, peer_of(self->snd, &sa));
	EXPECT_EQ(self->port, sa.snx_port);

	/* A new socket on the old port is not the peer ... */
	fresh = dg_socket();
	ASSERT_EQ(0, nx_bind(fresh, 0, self->port));
	EXPECT_EQ(-1, send(self->snd, "x", 1, 0));
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_TRUE(queue_empty(fresh));
	/* ... until connect() names it again. */
	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	EXPECT_EQ(0, so_error(self->snd));
	EXPECT_EQ(1, send(self->snd, "y", 1, 0));
	EXPECT_FALSE(queue_empty(fresh));
	self->rcv = fresh;
}

TEST_F(dg, peer_close_first_send_reports)
{
	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	close(self->rcv);
	self->rcv = dg_bound();
	EXPECT_EQ(-1, send(self->snd, "x", 1, 0));
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_EQ(0, so_error(self->snd));	/* reported by the send */
	EXPECT_EQ(-1, send(self->snd, "x", 1, 0));
	EXPECT_EQ(ECONNREFUSED, errno);
	/* Reconnecting to another peer clears it. */
	ASSERT_EQ(0, nx_connect(self->snd, 0, nx_port(self->rcv)));
	EXPECT_EQ(1, send(self->snd, "z", 1, 0));
	EXPECT_FALSE(poll_events(self->snd, POLLOUT, 0) & POLLERR);
}

/*
 * The error comes before datagrams still queued (as UDP: the socket layer
 * checks it first); they are received afterwards, nothing is lost.
 */
TEST_F(dg, peer_close_error_before_queued_datagrams)
{
	char c = 0;

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(0, nx_connect(self->rcv, 0, nx_port(self->snd)));
	ASSERT_EQ(1, send(self->rcv, "q", 1, 0));	/* queued at snd */
	close(self->rcv);
	self->rcv = dg_bound();
	EXPECT_EQ(-1, recv(self->snd, &c, 1, MSG_DONTWAIT));
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_EQ(1, recv(self->snd, &c, 1, MSG_DONTWAIT));
	EXPECT_EQ('q', c);
	EXPECT_TRUE(queue_empty(self->snd));
}

TEST_F(dg, peer_close_pending_error_cleared_by_reconnect)
{
	int other = dg_bound();

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	close(self->rcv);
	self->rcv = dg_bound();
	ASSERT_TRUE(poll_events(self->snd, POLLOUT, 0) & POLLERR);
	ASSERT_EQ(0, nx_connect(self->snd, 0, nx_port(other)));
	EXPECT_FALSE(poll_events(self->snd, POLLOUT, 0) & POLLERR);
	EXPECT_EQ(0, so_error(self->snd));
	close(other);
}

static void *recv_thread(void *arg)
{
	int fd = *(int *)arg;
	char buf[4];
	long r;

	r = recv(fd, buf, sizeof(buf), 0);
	return (void *)(r < 0 ? (long)-errno : r);
}

/* A receiver blocked on its connected socket learns of the peer's close. */
TEST_F(dg, peer_close_wakes_blocked_receiver)
{
	pthread_t th;
	void *ret;

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(0, pthread_create(&th, NULL, recv_thread, &self->snd));
	usleep(100000);
	close(self->rcv);
	self->rcv = dg_bound();
	ASSERT_EQ(0, pthread_join(th, &ret));
	EXPECT_EQ(-ECONNREFUSED, (long)ret);
}

/* The sender closing leaves its datagrams with the receiver. */
TEST_F(dg, sender_close_keeps_queued)
{
	unsigned int sport;
	struct sockaddr_nx from;
	char buf[4];

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	sport = nx_port(self->snd);
	ASSERT_EQ(2, send(self->snd, "q1", 2, 0));
	close(self->snd);
	self->snd = dg_socket();
	EXPECT_EQ(2, dg_recvfrom(self->rcv, buf, sizeof(buf), 0, &from));
	EXPECT_EQ(sport, from.snx_port);
}

/* ---- shutdown() ---- */

TEST_F(dg, shutdown_wr_epipe)
{
	char buf[4];

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(0, nx_connect(self->rcv, 0, nx_port(self->snd)));
	ASSERT_EQ(0, shutdown(self->snd, SHUT_WR));
	/* EPIPE and no SIGPIPE (datagram sockets), which would kill us. */
	EXPECT_EQ(-1, send(self->snd, "x", 1, 0));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(-1, dg_sendto(self->snd, 0, self->port, "x", 1, 0));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_TRUE(queue_empty(self->rcv));
	/* Receiving still works. */
	ASSERT_EQ(1, send(self->rcv, "r", 1, 0));
	EXPECT_EQ(1, recv(self->snd, buf, sizeof(buf), 0));
}

TEST_F(dg, shutdown_rd_eof_after_queue)
{
	char buf[4];

	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(1, send(self->snd, "a", 1, 0));
	ASSERT_EQ(0, shutdown(self->rcv, SHUT_RD));
	EXPECT_EQ(POLLIN | POLLRDHUP,
		  poll_events(self->rcv, POLLIN | POLLRDHUP, 0));
	/* What was queued is still delivered, then end of file. */
	EXPECT_EQ(1, recv(self->rcv, buf, sizeof(buf), 0));
	EXPECT_EQ(0, recv(self->rcv, buf, sizeof(buf), 0));
	EXPECT_EQ(0, recv(self->rcv, buf, sizeof(buf), MSG_DONTWAIT));
	/* Senders are refused. */
	EXPECT_EQ(-1, send(self->snd, "b", 1, 0));
	EXPECT_EQ(EPIPE, errno);
	/* The shut-down socket can still send. */
	EXPECT_EQ(1, dg_sendto(self->rcv, 0, nx_port(self->snd), "c", 1, 0));
}

TEST_F(dg, shutdown_rdwr_pollhup)
{
	ASSERT_EQ(0, shutdown(self->rcv, SHUT_RDWR));
	EXPECT_TRUE(poll_events(self->rcv, POLLIN, 0) & POLLHUP);
}

TEST_F(dg, shutdown_bad_how_einval)
{
	EXPECT_EQ(EINVAL, nx_shutdown_errno(self->rcv, 3));
	EXPECT_EQ(EINVAL, nx_shutdown_errno(self->rcv, -1));
	/* Unconnected is fine (as AF_UNIX). */
	EXPECT_EQ(0, shutdown(self->snd, SHUT_RDWR));
}

TEST_F(dg, shutdown_wakes_blocked_receiver)
{
	pthread_t th;
	void *ret;

	ASSERT_EQ(0, pthread_create(&th, NULL, recv_thread, &self->rcv));
	usleep(100000);
	ASSERT_EQ(0, shutdown(self->rcv, SHUT_RD));
	ASSERT_EQ(0, pthread_join(th, &ret));
	EXPECT_EQ(0, (long)ret);
}

/* ---- broadcast ---- */

TEST_F(dg, broadcast_sendto)
{
	struct sockaddr_nx from;
	char buf[8];

	EXPECT_EQ(-1, dg_sendto(self->snd, NEXUS_NODE_BROADCAST, self->port,
				"b", 1, 0));
	EXPECT_EQ(EACCES, errno);
	EXPECT_TRUE(queue_empty(self->rcv));
	ASSERT_EQ(0, set_int(self->snd, SOL_SOCKET, SO_BROADCAST, 1));
	ASSERT_EQ(5, dg_sendto(self->snd, NEXUS_NODE_BROADCAST, self->port,
			       "bcast", 5, 0));
	EXPECT_EQ(5, dg_recvfrom(self->rcv, buf, sizeof(buf), MSG_DONTWAIT,
				 &from));
	EXPECT_EQ(0, memcmp(buf, "bcast", 5));
	EXPECT_EQ(nx_port(self->snd), from.snx_port);
	EXPECT_EQ(NEXUS_NODE_LOCAL, from.snx_node);
}

TEST_F(dg, broadcast_connected)
{
	char buf[8];

	ASSERT_EQ(0, set_int(self->snd, SOL_SOCKET, SO_BROADCAST, 1));
	ASSERT_EQ(0, nx_connect(self->snd, NEXUS_NODE_BROADCAST, self->port));
	ASSERT_EQ(2, send(self->snd, "bc", 2, 0));
	EXPECT_EQ(2, recv(self->rcv, buf, sizeof(buf), MSG_DONTWAIT));
	/* Clearing SO_BROADCAST stops the sends. */
	ASSERT_EQ(0, set_int(self->snd, SOL_SOCKET, SO_BROADCAST, 0));
	EXPECT_EQ(-1, send(self->snd, "bc", 2, 0));
	EXPECT_EQ(EACCES, errno);
	EXPECT_TRUE(queue_empty(self->rcv));
}

/* Broadcast never fails for lack of receivers and never blocks. */
TEST_F(dg, broadcast_best_effort)
{
	int s = nx_socket(SOCK_STREAM), third = dg_bound();
	int tmp = dg_bound();
	unsigned int free_port = nx_port(tmp);
	char buf[4];

	close(tmp);
	ASSERT_EQ(0, set_int(self->snd, SOL_SOCKET, SO_BROADCAST, 1));
	EXPECT_EQ(1, dg_sendto(self->snd, NEXUS_NODE_BROADCAST, free_port,
			       "n", 1, 0));
	ASSERT_EQ(0, nx_bind(s, 0, 0));
	EXPECT_EQ(1, dg_sendto(self->snd, NEXUS_NODE_BROADCAST, nx_port(s),
			       "s", 1, 0));
	/* A receiver connected elsewhere gets nothing, and no EPERM. */
	ASSERT_EQ(0, nx_connect(self->rcv, 0, nx_port(third)));
	EXPECT_EQ(1, dg_sendto(self->snd, NEXUS_NODE_BROADCAST, self->port,
			       "c", 1, 0));
	EXPECT_TRUE(queue_empty(self->rcv));
	/* ... unless it is connected to the sender. */
	ASSERT_EQ(0, nx_connect(self->rcv, 0, nx_port(self->snd)));
	EXPECT_EQ(1, dg_sendto(self->snd, NEXUS_NODE_BROADCAST, self->port,
			       "d", 1, 0));
	EXPECT_EQ(1, recv(self->rcv, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ('d', buf[0]);
	close(s);
	close(third);
}

/* A full receiver drops a broadcast instead of blocking the sender. */
TEST_F(dg, broadcast_to_full_receiver_drops)
{
	int filler = dg_bound(), n = 0, m = 0;
	char buf[4];

	/* Datagrams of the same size as the broadcast one fill the queue. */
	ASSERT_EQ(0, set_int(self->rcv, SOL_SOCKET, SO_RCVBUF, 4096));
	while (dg_sendto(filler, 0, self->port, "f", 1, MSG_DONTWAIT) == 1)
		n++;
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, set_int(self->snd, SOL_SOCKET, SO_BROADCAST, 1));
	/* blocking send, yet it returns at once */
	EXPECT_EQ(1, dg_sendto(self->snd, NEXUS_NODE_BROADCAST, self->port,
			       "b", 1, 0));
	while (recv(self->rcv, buf, sizeof(buf), MSG_DONTWAIT) == 1) {
		EXPECT_EQ('f', buf[0]);
		m++;
	}
	EXPECT_EQ(n, m);
	close(filler);
}

/* Broadcast reaches sockets of the sender's namespace only. */
TEST_F(dg, broadcast_stays_in_namespace)
{
	int ready[2], done[2], status;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (unshare(CLONE_NEWNET))
			_exit(10);
		fd = dg_socket();
		if (nx_bind(fd, 0, 6123))
			_exit(11);
		if (write(ready[1], "r", 1) != 1 || read(done[0], &c, 1) != 1)
			_exit(12);
		_exit(queue_empty(fd) ? 0 : 13);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, set_int(self->snd, SOL_SOCKET, SO_BROADCAST, 1));
	EXPECT_EQ(1, dg_sendto(self->snd, NEXUS_NODE_BROADCAST, 6123, "x", 1,
			       0));
	ASSERT_EQ(1, write(done[1], "d", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
