// SPDX-License-Identifier: GPL-2.0
/*
 * Around connect() on SOCK_STREAM and SOCK_SEQPACKET: listen(), accept(),
 * the data path and its limits, shutdown(), poll() in every state, ioctls.
 */
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "stream_util.h"

FIXTURE(data)
{
	int a, b;		/* a connected pair: a connected to b */
};

NX_CONN_TYPE_VARIANTS(data);

FIXTURE_SETUP(data)
{
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, nx_pair(variant->type, &self->a, &self->b));
}

FIXTURE_TEARDOWN(data)
{
	close(self->a);
	if (self->b >= 0)
		close(self->b);
}

/* ---- listen() and accept() ---- */

TEST_F(data, listen_autobinds)
{
	int s = nx_socket(variant->type);

	ASSERT_EQ(0, listen(s, 1));
	EXPECT_NE(0, nx_port(s));
	close(s);
}

TEST_F(data, listen_connected_einval)
{
	EXPECT_EQ(-1, listen(self->a, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, listen(self->b, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(data, listen_again_changes_backlog)
{
	unsigned int port;
	int l = nx_listener(variant->type, 0, &port), c1, c2;

	ASSERT_LE(0, l);
	c1 = nx_socket(variant->type);
	c2 = nx_socket(variant->type | SOCK_NONBLOCK);
	ASSERT_EQ(0, nx_connect(c1, 0, port));
	EXPECT_EQ(EINPROGRESS, nx_connect_errno(c2, 0, port));
	close(c2);
	ASSERT_EQ(0, listen(l, 5));
	c2 = nx_socket(variant->type | SOCK_NONBLOCK);
	EXPECT_EQ(0, nx_connect(c2, 0, port));
	close(c1);
	close(c2);
	close(l);
}

TEST_F(data, accept_nonblocking_empty_eagain)
{
	unsigned int port;
	int l = nx_listener(variant->type, 1, &port);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, nx_set_nonblock(l, 1));
	EXPECT_EQ(-1, accept(l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	close(l);
}

TEST_F(data, accept_rcvtimeo_eagain)
{
	struct timeval tv = { 0, 100000 };
	unsigned int port;
	int l = nx_listener(variant->type, 1, &port);

	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	EXPECT_EQ(-1, accept(l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	close(l);
}

TEST_F(data, accept_not_listening_einval)
{
	int s = nx_socket(variant->type);

	EXPECT_EQ(-1, accept(s, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, accept(self->a, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	close(s);
}

TEST_F(data, accept4_flags)
{
	unsigned int port;
	int l = nx_listener(variant->type, 1, &port);
	int c = nx_socket(variant->type), n;

	ASSERT_EQ(0, nx_connect(c, 0, port));
	n = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ASSERT_LE(0, n);
	EXPECT_TRUE(fcntl(n, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(n, F_GETFD) & FD_CLOEXEC);
	close(n);
	close(c);
	close(l);
}

TEST_F(data, accept_interrupted_eintr)
{
	struct sigaction sa = { .sa_handler = nx_on_signal };
	pthread_t me = pthread_self();
	unsigned int port;
	int l = nx_listener(variant->type, 1, &port);
	struct nx_delayed d;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, nx_run_later(&d, 150, nx_kill_thread, &me));
	EXPECT_EQ(-1, accept(l, NULL, NULL));
	EXPECT_EQ(EINTR, errno);
	nx_join(&d);
	close(l);
}

static void shut_listener(void *arg)
{
	shutdown(*(int *)arg, SHUT_RD);
}

TEST_F(data, accept_woken_by_listener_shutdown)
{
	unsigned int port;
	int l = nx_listener(variant->type, 1, &port);
	struct nx_delayed d;

	ASSERT_EQ(0, nx_run_later(&d, 150, shut_listener, &l));
	EXPECT_EQ(-1, accept(l, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	nx_join(&d);
	close(l);
}

/* ---- data ---- */

TEST_F(data, both_directions)
{
	char buf[16];

	ASSERT_EQ(5, send(self->a, "hello", 5, 0));
	ASSERT_EQ(5, recv(self->b, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	ASSERT_EQ(3, write(self->b, "abc", 3));
	ASSERT_EQ(3, read(self->a, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
}

TEST_F(data, recvfrom_reports_peer)
{
	struct sockaddr_nx sa;
	socklen_t len = sizeof(sa);
	char c;

	ASSERT_EQ(1, send(self->a, "x", 1, 0));
	ASSERT_EQ(1, recvfrom(self->b, &c, 1, 0, (struct sockaddr *)&sa, &len));
	EXPECT_EQ(sizeof(sa), len);
	EXPECT_EQ(nx_port(self->a), sa.snx_port);
}

TEST_F(data, sendto_with_address_eisconn_or_eopnotsupp)
{
	struct sockaddr_nx sa = nx_addr(0, 1);
	int s = nx_socket(variant->type);

	EXPECT_EQ(-1, sendto(self->a, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)));
	EXPECT_EQ(EISCONN, errno);
	/* Unconnected: an address never makes a connection. */
	EXPECT_EQ(-1, sendto(s, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa)));
	EXPECT_EQ(EOPNOTSUPP, errno);
	close(s);
}

TEST_F(data, msg_oob_eopnotsupp)
{
	char c;

	EXPECT_EQ(-1, send(self->a, "x", 1, MSG_OOB));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, recv(self->a, &c, 1, MSG_OOB));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

TEST_F(data, peek_then_read)
{
	char buf[16];

	ASSERT_EQ(4, send(self->a, "peek", 4, 0));
	ASSERT_EQ(4, recv(self->b, buf, sizeof(buf), MSG_PEEK));
	EXPECT_EQ(0, memcmp(buf, "peek", 4));
	ASSERT_EQ(4, recv(self->b, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "peek", 4));
	EXPECT_EQ(-1, recv(self->b, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(data, dontwait_and_rcvtimeo_eagain)
{
	struct timeval tv = { 0, 100000 };
	char c;

	EXPECT_EQ(-1, recv(self->b, &c, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, setsockopt(self->b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	EXPECT_EQ(-1, recv(self->b, &c, 1, 0));
	EXPECT_EQ(EAGAIN, errno);
}

static void send_later(void *arg)
{
	send(*(int *)arg, "late", 4, 0);
}

TEST_F(data, blocking_recv_woken_by_data)
{
	struct nx_delayed d;
	char buf[8];

	ASSERT_EQ(0, nx_run_later(&d, 150, send_later, &self->a));
	EXPECT_EQ(4, recv(self->b, buf, sizeof(buf), 0));
	nx_join(&d);
}

TEST_F(data, recv_interrupted_eintr)
{
	struct sigaction sa = { .sa_handler = nx_on_signal };
	pthread_t me = pthread_self();
	struct nx_delayed d;
	char c;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, nx_run_later(&d, 150, nx_kill_thread, &me));
	EXPECT_EQ(-1, recv(self->b, &c, 1, 0));
	EXPECT_EQ(EINTR, errno);
	nx_join(&d);
}

/* Fill until EAGAIN; returns bytes queued. */
static long fill(int fd, size_t chunk)
{
	static char buf[65536];
	long total = 0;
	ssize_t n;

	for (;;) {
		n = send(fd, buf, chunk, MSG_DONTWAIT);
		if (n < 0)
			break;
		total += n;
	}
	return errno == EAGAIN ? total : -errno;
}

TEST_F(data, buffers_bound_memory)
{
	int sndbuf = 16384, rcvbuf = 8192;
	long queued;
	int outq, inq;

	ASSERT_EQ(0, setsockopt(self->a, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
	ASSERT_EQ(0, setsockopt(self->b, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)));
	queued = fill(self->a, 1000);
	ASSERT_LT(0, queued);
	/* Bounded by the smaller of the (doubled) limits, plus one message. */
	EXPECT_GE(2 * rcvbuf + 1000, queued);
	EXPECT_EQ(0, nx_poll(self->a, POLLOUT, 0));
	ASSERT_EQ(0, ioctl(self->a, SIOCOUTQ, &outq));
	ASSERT_EQ(0, ioctl(self->b, SIOCINQ, &inq));
	EXPECT_EQ(queued, outq);
	EXPECT_EQ(queued, inq);
}

TEST_F(data, sndtimeo_eagain_when_full)
{
	struct timeval tv = { 0, 100000 };

	ASSERT_EQ(0, setsockopt(self->a, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	ASSERT_LT(0, fill(self->a, 4096));
	EXPECT_EQ(-1, send(self->a, "x", 1, 0));
	EXPECT_EQ(EAGAIN, errno);
}

static void drain(void *arg)
{
	char buf[65536];
	int fd = *(int *)arg;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

TEST_F(data, blocked_writer_woken_when_reader_drains)
{
	struct nx_delayed d;

	ASSERT_LT(0, fill(self->a, 4096));
	ASSERT_EQ(0, nx_run_later(&d, 200, drain, &self->b));
	EXPECT_EQ(100, send(self->a, (char [100]){0}, 100, 0));
	nx_join(&d);
	EXPECT_EQ(POLLOUT, nx_poll(self->a, POLLOUT, 0));
}

static void close_fd(void *arg)
{
	close(*(int *)arg);
}

TEST_F(data, blocked_writer_woken_by_peer_close)
{
	struct nx_delayed d;

	ASSERT_LT(0, fill(self->a, 4096));
	ASSERT_EQ(0, nx_run_later(&d, 200, close_fd, &self->b));
	/* Unread data was discarded: the sleeping writer sees a reset. */
	EXPECT_EQ(-1, send(self->a, "x", 1, 0));
	EXPECT_EQ(ECONNRESET, errno);
	nx_join(&d);
	self->b = -1;
	EXPECT_EQ(-1, send(self->a, "x", 1, 0));
	EXPECT_EQ(EPIPE, errno);
}

/* ---- shutdown and close ---- */

TEST_F(data, shut_wr_gives_eof_and_rdhup)
{
	char buf[8];

	ASSERT_EQ(2, send(self->a, "hi", 2, 0));
	ASSERT_EQ(0, shutdown(self->a, SHUT_WR));
	EXPECT_EQ(POLLIN | POLLRDHUP, nx_poll(self->b, POLLIN | POLLRDHUP, 0));
	EXPECT_EQ(2, recv(self->b, buf, sizeof(buf), 0));	/* data first */
	EXPECT_EQ(0, recv(self->b, buf, sizeof(buf), 0));	/* then EOF */
	EXPECT_EQ(-1, send(self->a, "x", 1, 0));
	EXPECT_EQ(EPIPE, errno);
	/* The other direction still works. */
	EXPECT_EQ(2, send(self->b, "ok", 2, 0));
	EXPECT_EQ(2, recv(self->a, buf, sizeof(buf), 0));
}

TEST_F(data, shut_rd_peer_writes_epipe)
{
	char c;

	ASSERT_EQ(0, shutdown(self->a, SHUT_RD));
	EXPECT_EQ(0, recv(self->a, &c, 1, 0));
	EXPECT_EQ(-1, send(self->b, "x", 1, 0));
	EXPECT_EQ(EPIPE, errno);
}

TEST_F(data, shut_rdwr_pollhup)
{
	ASSERT_EQ(0, shutdown(self->a, SHUT_RDWR));
	EXPECT_TRUE(nx_poll(self->a, POLLIN, 0) & POLLHUP);
	EXPECT_TRUE(nx_poll(self->b, POLLIN, 0) & POLLHUP);
}

TEST_F(data, shutdown_bad_how_einval)
{
	EXPECT_EQ(EINVAL, nx_shutdown_errno(self->a, 3));
	EXPECT_EQ(EINVAL, nx_shutdown_errno(self->a, -1));
}

TEST_F(data, shutdown_unconnected_enotconn)
{
	int s = nx_socket(variant->type);

	EXPECT_EQ(ENOTCONN, nx_shutdown_errno(s, SHUT_RDWR));
	close(s);
}

TEST_F(data, close_gives_eof_and_pollhup)
{
	char c;

	close(self->a);
	self->a = nx_socket(variant->type);
	EXPECT_TRUE(nx_poll(self->b, POLLIN, 1000) & POLLHUP);
	EXPECT_EQ(0, recv(self->b, &c, 1, 0));
	EXPECT_EQ(-1, send(self->b, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	/* Still reports its peer after the peer closed (as TCP). */
	EXPECT_NE(0, nx_peer_port(self->b));
}

TEST_F(data, close_with_unread_data_resets_peer)
{
	char c;

	ASSERT_EQ(1, send(self->a, "x", 1, 0));
	close(self->b);
	self->b = nx_socket(variant->type);
	EXPECT_TRUE(nx_poll(self->a, POLLIN, 1000) & POLLERR);
	EXPECT_EQ(-1, recv(self->a, &c, 1, 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(0, recv(self->a, &c, 1, 0));
}

static int sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

TEST_F(data, epipe_raises_sigpipe_unless_nosignal)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };

	ASSERT_EQ(0, sigaction(SIGPIPE, &sa, NULL));
	ASSERT_EQ(0, shutdown(self->a, SHUT_WR));
	sigpipes = 0;
	EXPECT_EQ(-1, send(self->a, "x", 1, 0));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(1, sigpipes);
	EXPECT_EQ(-1, send(self->a, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(1, sigpipes);
}

TEST_F(data, unconnected_send_epipe_recv_enotconn)
{
	int s = nx_socket(variant->type);
	char c;

	EXPECT_EQ(-1, send(s, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(-1, recv(s, &c, 1, 0));
	EXPECT_EQ(ENOTCONN, errno);
	ASSERT_EQ(0, listen(s, 1));
	EXPECT_EQ(-1, recv(s, &c, 1, 0));
	EXPECT_EQ(ENOTCONN, errno);
	close(s);
}

/* ---- poll() in every state ---- */

TEST_F(data, poll_states)
{
	unsigned int port;
	int s = nx_socket(variant->type);
	int l = nx_listener(variant->type, 0, &port);

	/* Unconnected: writable and hung up, as TCP. */
	EXPECT_EQ(POLLOUT | POLLHUP, nx_poll(s, POLLIN | POLLOUT, 0));
	/* Listening: nothing until a connection is queued. */
	EXPECT_EQ(0, nx_poll(l, POLLIN | POLLOUT, 0));
	ASSERT_EQ(0, nx_connect(s, 0, port));
	EXPECT_EQ(POLLIN, nx_poll(l, POLLIN | POLLOUT, 0));
	/* Connected and idle: writable only. */
	EXPECT_EQ(POLLOUT, nx_poll(self->a, POLLIN | POLLOUT, 0));
	ASSERT_EQ(1, send(self->b, "x", 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, nx_poll(self->a, POLLIN | POLLOUT, 0));
	close(s);
	close(l);
}

TEST_F(data, ioctl_inq_outq)
{
	int n;

	ASSERT_EQ(10, send(self->a, "0123456789", 10, 0));
	ASSERT_EQ(0, ioctl(self->b, SIOCINQ, &n));
	EXPECT_EQ(10, n);
	ASSERT_EQ(0, ioctl(self->b, FIONREAD, &n));
	EXPECT_EQ(10, n);
	ASSERT_EQ(0, ioctl(self->a, SIOCOUTQ, &n));
	EXPECT_EQ(10, n);
	EXPECT_EQ(-1, ioctl(self->a, SIOCGSTAMP, &n));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(data, ioctl_inq_on_listener_einval)
{
	unsigned int port;
	int l = nx_listener(variant->type, 1, &port), n;

	ASSERT_LE(0, l);
	EXPECT_EQ(-1, ioctl(l, SIOCINQ, &n));
	EXPECT_EQ(EINVAL, errno);
	close(l);
}

TEST_F(data, getpeername_both_ends)
{
	EXPECT_EQ(nx_port(self->b), nx_peer_port(self->a));
	EXPECT_EQ(nx_port(self->a), nx_peer_port(self->b));
}

/* ---- stream only ---- */

TEST_F(data, stream_waitall_and_rcvlowat)
{
	int lowat = 4;
	char buf[8];

	if (variant->type != SOCK_STREAM)
		SKIP(return, "byte-stream semantics");
	ASSERT_EQ(2, send(self->a, "ab", 2, 0));
	ASSERT_EQ(0, setsockopt(self->b, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)));
	EXPECT_EQ(0, nx_poll(self->b, POLLIN, 0));	/* below the low mark */
	ASSERT_EQ(2, send(self->a, "cd", 2, 0));
	EXPECT_EQ(POLLIN, nx_poll(self->b, POLLIN, 0));
	EXPECT_EQ(4, recv(self->b, buf, sizeof(buf), 0));
	lowat = 1;
	ASSERT_EQ(0, setsockopt(self->b, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)));

	ASSERT_EQ(3, send(self->a, "efg", 3, 0));
	ASSERT_EQ(3, send(self->a, "hij", 3, 0));
	/* Messages merge into one byte stream; WAITALL collects all six. */
	EXPECT_EQ(6, recv(self->b, buf, 6, MSG_WAITALL));
	EXPECT_EQ(0, memcmp(buf, "efghij", 6));
}

TEST_F(data, stream_partial_reads)
{
	char buf[4];

	if (variant->type != SOCK_STREAM)
		SKIP(return, "byte-stream semantics");
	ASSERT_EQ(6, send(self->a, "abcdef", 6, 0));
	EXPECT_EQ(4, recv(self->b, buf, 4, 0));
	EXPECT_EQ(0, memcmp(buf, "abcd", 4));
	EXPECT_EQ(2, recv(self->b, buf, 4, 0));
	EXPECT_EQ(0, memcmp(buf, "ef", 2));
}

TEST_F(data, stream_large_transfer)
{
	enum { TOTAL = 4 << 20 };
	static char out[65536], in[65536];
	long sent = 0, got = 0;
	pid_t pid;
	int i, status;

	if (variant->type != SOCK_STREAM)
		SKIP(return, "byte-stream semantics");
	for (i = 0; i < (int)sizeof(out); i++)
		out[i] = i * 7;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		while (sent < TOTAL) {
			ssize_t n = send(self->a, out, sizeof(out), 0);

			if (n <= 0)
				_exit(1);
			sent += n;
		}
		_exit(0);
	}
	while (got < TOTAL) {
		ssize_t n = recv(self->b, in, sizeof(in), 0);

		ASSERT_LT(0, n);
		for (i = 0; i < n; i++)
			ASSERT_EQ((char)((got + i) % sizeof(out) * 7), in[i]);
		got += n;
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
}

/* ---- seqpacket only ---- */

TEST_F(data, seqpacket_records_trunc_eor)
{
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	char buf[16];

	if (variant->type != SOCK_SEQPACKET)
		SKIP(return, "record semantics");
	ASSERT_EQ(3, send(self->a, "abc", 3, 0));
	ASSERT_EQ(5, send(self->a, "defgh", 5, 0));
	ASSERT_EQ(0, send(self->a, "", 0, 0));

	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	EXPECT_EQ(3, recvmsg(self->b, &msg, 0));	/* one record only */
	EXPECT_TRUE(msg.msg_flags & MSG_EOR);
	EXPECT_FALSE(msg.msg_flags & MSG_TRUNC);

	iov.iov_len = 2;
	msg.msg_flags = 0;
	EXPECT_EQ(5, recvmsg(self->b, &msg, MSG_PEEK | MSG_TRUNC));
	EXPECT_TRUE(msg.msg_flags & MSG_TRUNC);
	msg.msg_flags = 0;
	EXPECT_EQ(2, recvmsg(self->b, &msg, 0));	/* the rest is dropped */
	EXPECT_TRUE(msg.msg_flags & MSG_TRUNC);
	EXPECT_EQ(0, memcmp(buf, "de", 2));

	iov.iov_len = sizeof(buf);
	EXPECT_EQ(0, recvmsg(self->b, &msg, MSG_DONTWAIT));	/* empty record */
	EXPECT_EQ(-1, recv(self->b, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(data, seqpacket_emsgsize)
{
	int sndbuf = 4096, got;
	socklen_t len = sizeof(got);
	static char big[1 << 16];

	if (variant->type != SOCK_SEQPACKET)
		SKIP(return, "record semantics");
	ASSERT_EQ(0, setsockopt(self->a, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
	ASSERT_EQ(0, getsockopt(self->a, SOL_SOCKET, SO_SNDBUF, &got, &len));
	EXPECT_EQ(-1, send(self->a, big, got, 0));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(got - 32, send(self->a, big, got - 32, 0));
}

TEST_HARNESS_MAIN
