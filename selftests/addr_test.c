// SPDX-License-Identifier: GPL-2.0
/*
 * The address table under hostile use (scale_test.c has 100,000 sockets):
 * an unprivileged user binding up to its RLIMIT_NOFILE,
 * node reachability on connect, namespaces torn down under open sockets,
 * the module pinned by sockets of any namespace, concurrent binds.
 */
#include <pthread.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <time.h>

#include "kselftest_harness.h"
#include "nexus_ns.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * An unprivileged user opens and binds sockets until RLIMIT_NOFILE stops
 * it (EMFILE, nothing worse); meanwhile another user's binds still work.
 */
static int other_user_binds(void *arg)
{
	int a, b;

	if (nx_become(65533, 65533))
		return NX_FAIL(90);
	a = nx_socket(SOCK_STREAM);
	b = nx_socket(SOCK_DGRAM);
	if (a < 0 || b < 0)
		return NX_FAIL(1);
	if (nx_bind(a, 0, 9999) || nx_bind(b, 0, NEXUS_PORT_ANY))
		return NX_FAIL(2);
	return 0;
}

static int fill_rlimit(void *arg)
{
	struct rlimit rl = { 4096, 4096 };
	int *ready = arg, n = 0, fd;
	char c = 1;

	if (setrlimit(RLIMIT_NOFILE, &rl) || nx_become(65534, 65534))
		return NX_FAIL(90);
	for (;;) {
		fd = nx_socket(n % 3 ? SOCK_STREAM : SOCK_DGRAM);
		if (fd < 0)
			break;
		if (nx_bind(fd, 0, n & 1 ? NEXUS_PORT_ANY : 20000 + n))
			return NX_FAIL(1);
		n++;
	}
	if (errno != EMFILE)
		return NX_FAIL(2);
	if (n < 4000)
		return NX_FAIL(3);
	if (write(ready[1], &c, 1) != 1 || read(ready[0], &c, 1) != 1)
		return NX_FAIL(4);
	return 0;
}

TEST(unprivileged_user_bounded_by_rlimit)
{
	struct nx_peer hog;
	int fd;

	ASSERT_EQ(0, nx_peer_start(&hog, fill_rlimit));
	ASSERT_EQ(0, nx_peer_recv(&hog, NULL, 0));
	/* The hog holds ~4096 bound sockets; others are unaffected. */
	EXPECT_EQ(0, nx_run(other_user_binds, NULL));
	fd = nx_socket(SOCK_SEQPACKET);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, nx_bind(fd, 0, 80));
	EXPECT_EQ(-1, nx_bind(nx_socket(SOCK_DGRAM), 0, 20000));
	EXPECT_EQ(EADDRINUSE, errno);		/* the hog's */
	ASSERT_EQ(0, nx_peer_go(&hog));
	EXPECT_EQ(0, nx_peer_end(&hog));
	close(fd);
	/* Its ports were freed when it exited. */
	fd = nx_socket(SOCK_DGRAM);
	EXPECT_EQ(0, nx_bind(fd, 0, 20000));
	close(fd);
}

/* connect() to another node: ENETUNREACH, before any autobind. */
TEST(connect_foreign_node_enetunreach)
{
	const int types[] = { SOCK_STREAM, SOCK_SEQPACKET };
	const unsigned int nodes[] = { 2, 0xfffffffe, NEXUS_NODE_BROADCAST };
	unsigned int i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 3; j++) {
			int fd = nx_socket(types[i]);

			ASSERT_LE(0, fd);
			EXPECT_EQ(ENETUNREACH,
				  nx_connect_errno(fd, nodes[j], 5555))
				TH_LOG("type %d node %u", types[i], nodes[j]);
			EXPECT_EQ(0, nx_port(fd));	/* unchanged */
			/* local: looked up */
			EXPECT_EQ(ECONNREFUSED,
				  nx_connect_errno(fd, NEXUS_NODE_LOCAL, 5555));
			close(fd);
		}
}

/*
 * Sockets of a namespace whose last process is gone: they hold it, keep
 * working, stay invisible to other namespaces, pin the module; closing
 * them releases everything (kmemleak checks at the end of the run).
 */
static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c = 0;
	struct iovec iov = { &c, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { &c, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

static int make_and_send(void *arg)
{
	int sock = *(int *)arg, l, c;

	if (unshare(CLONE_NEWNET))
		return NX_FAIL(100);
	if (nx_sysctl_write("node", "44"))
		return NX_FAIL(1);
	l = nx_socket(SOCK_STREAM);
	c = nx_socket(SOCK_STREAM);
	if (l < 0 || c < 0 || nx_bind(l, 0, 6000) || listen(l, 4))
		return NX_FAIL(2);
	if (send_fd(sock, l) || send_fd(sock, c))
		return NX_FAIL(3);
	return 0;
}

TEST(namespace_outlived_by_its_sockets)
{
	int sv[2], l, c, a, other;
	struct sockaddr_nx sa;
	socklen_t len = sizeof(sa);

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	ASSERT_EQ(0, nx_run(make_and_send, &sv[1]));
	l = recv_fd(sv[0]);
	c = recv_fd(sv[0]);
	ASSERT_LE(0, l);
	ASSERT_LE(0, c);
	close(sv[0]);
	close(sv[1]);

	/* The namespace lives on in its sockets: its node id, its port. */
	ASSERT_EQ(0, getsockname(l, (struct sockaddr *)&sa, &len));
	EXPECT_EQ(44, sa.snx_node);
	EXPECT_EQ(6000, sa.snx_port);
	EXPECT_EQ(0, nx_connect(c, 44, 6000));
	a = accept(l, NULL, NULL);
	EXPECT_LE(0, a);

	/* This namespace cannot reach it. */
	other = nx_socket(SOCK_STREAM);
	ASSERT_LE(0, other);
	EXPECT_EQ(ECONNREFUSED, nx_connect_errno(other, 0, 6000));
	EXPECT_EQ(ENETUNREACH, nx_connect_errno(other, 44, 6000));
	close(other);

	/* Its sockets pin the module. */
	EXPECT_NE(0, nx_rmmod());
	EXPECT_TRUE(nx_module_loaded());
	close(a);
	close(c);
	EXPECT_NE(0, nx_rmmod());
	close(l);
	/* The namespace goes in a workqueue; rmmod then succeeds. */
	ASSERT_EQ(0, nx_rmmod());
	ASSERT_EQ(0, nx_insmod(NULL));
}

/* Binds, autobinds, lookups and closes from several threads at once. */
struct churn {
	unsigned int base;
	int err;
};

static void *churn_thread(void *arg)
{
	struct churn *ch = arg;
	double end = now_s() + 2;
	unsigned int i;

	for (i = 0; now_s() < end; i++) {
		int a = nx_socket(SOCK_STREAM), b = nx_socket(SOCK_DGRAM);
		int c = nx_socket(SOCK_STREAM);

		if (a < 0 || b < 0 || c < 0 ||
		    nx_bind(a, 0, ch->base + i % 500) ||
		    nx_bind(b, 0, NEXUS_PORT_ANY) || listen(a, 1) ||
		    nx_connect(c, 0, ch->base + i % 500)) {
			ch->err = errno ? errno : -1;
			return NULL;
		}
		close(c);
		close(a);
		close(b);
	}
	return NULL;
}

static int churn_run(void *arg)
{
	struct rlimit rl = { 200000, 200000 };
	struct churn ch[4];
	pthread_t t[4];
	int i;

	setrlimit(RLIMIT_NOFILE, &rl);
	if (unshare(CLONE_NEWNET))
		return NX_FAIL(100);
	for (i = 0; i < 4; i++) {
		ch[i].base = 10000 + 1000 * i;
		ch[i].err = 0;
		if (pthread_create(&t[i], NULL, churn_thread, &ch[i]))
			return NX_FAIL(1);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 4; i++)
		if (ch[i].err) {
			fprintf(stderr, "thread %d: %s\n", i, strerror(ch[i].err));
			return NX_FAIL(2 + i);
		}
	return 0;
}

TEST(concurrent_bind_lookup_close)
{
	EXPECT_EQ(0, nx_run(churn_run, NULL));
}

TEST_HARNESS_MAIN
