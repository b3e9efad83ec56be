// SPDX-License-Identifier: GPL-2.0
/*
 * bind() and getsockname(): every validation errno, the port space shared
 * by all socket types, ephemeral ports, privileged ports and namespaces.
 */
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "nexus_util.h"

FIXTURE(bind)
{
	int fd;
};

NX_TYPE_VARIANTS(bind);

FIXTURE_SETUP(bind)
{
	self->fd = nx_socket(variant->type);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(bind)
{
	close(self->fd);
}

static int bind_raw(int fd, const void *addr, socklen_t len)
{
	return bind(fd, (const struct sockaddr *)addr, len);
}

TEST_F(bind, explicit_port_and_getsockname)
{
	struct sockaddr_nx sa;
	socklen_t len = sizeof(sa);

	ASSERT_EQ(0, nx_bind(self->fd, NEXUS_NODE_ANY, 5000));
	memset(&sa, 0xaa, sizeof(sa));
	ASSERT_EQ(0, getsockname(self->fd, (struct sockaddr *)&sa, &len));
	EXPECT_EQ(sizeof(sa), len);
	EXPECT_EQ(nx_family(), sa.snx_family);
	EXPECT_EQ(0, sa.snx_reserved);
	EXPECT_EQ(5000, sa.snx_port);
	EXPECT_EQ(NEXUS_NODE_LOCAL, sa.snx_node);
	EXPECT_EQ(0, sa.snx_zero[0] | sa.snx_zero[1] | sa.snx_zero[2] |
		     sa.snx_zero[3]);
}

TEST_F(bind, local_node_explicit)
{
	EXPECT_EQ(0, nx_bind(self->fd, NEXUS_NODE_LOCAL, 5001));
	EXPECT_EQ(5001, nx_port(self->fd));
}

TEST_F(bind, unbound_getsockname_is_wildcard)
{
	struct sockaddr_nx sa;
	socklen_t len = sizeof(sa);

	memset(&sa, 0xaa, sizeof(sa));
	ASSERT_EQ(0, getsockname(self->fd, (struct sockaddr *)&sa, &len));
	EXPECT_EQ(sizeof(sa), len);
	EXPECT_EQ(nx_family(), sa.snx_family);
	EXPECT_EQ(NEXUS_PORT_ANY, sa.snx_port);
	EXPECT_EQ(NEXUS_NODE_ANY, sa.snx_node);
}

TEST_F(bind, getsockname_short_buffer_truncates)
{
	struct sockaddr_nx sa;
	socklen_t len = 4;

	ASSERT_EQ(0, nx_bind(self->fd, NEXUS_NODE_ANY, 5002));
	memset(&sa, 0, sizeof(sa));
	ASSERT_EQ(0, getsockname(self->fd, (struct sockaddr *)&sa, &len));
	EXPECT_EQ(sizeof(sa), len);	/* the real length */
	EXPECT_EQ(nx_family(), sa.snx_family);
	EXPECT_EQ(0, sa.snx_port);	/* not copied */
}

TEST_F(bind, getpeername_unconnected_enotconn)
{
	struct sockaddr_nx sa;
	socklen_t len = sizeof(sa);

	EXPECT_EQ(-1, getpeername(self->fd, (struct sockaddr *)&sa, &len));
	EXPECT_EQ(ENOTCONN, errno);
}

TEST_F(bind, ephemeral_port_in_default_range)
{
	unsigned int port;

	ASSERT_EQ(0, nx_bind(self->fd, NEXUS_NODE_ANY, NEXUS_PORT_ANY));
	port = nx_port(self->fd);
	EXPECT_LE(32768, port);
	EXPECT_GE(60999, port);
}

TEST_F(bind, addrlen_zero_einval)
{
	struct sockaddr_nx sa = nx_addr(0, 5003);

	EXPECT_EQ(-1, bind_raw(self->fd, &sa, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(bind, addrlen_short_einval)
{
	struct sockaddr_nx sa = nx_addr(0, 5003);
	socklen_t len;

	for (len = 1; len < sizeof(sa); len++) {
		errno = 0;
		EXPECT_EQ(-1, bind_raw(self->fd, &sa, len));
		EXPECT_EQ(EINVAL, errno) TH_LOG("addrlen %u", len);
	}
	EXPECT_EQ(0, nx_port(self->fd));
}

TEST_F(bind, addrlen_long_accepted)
{
	struct {
		struct sockaddr_nx sa;
		char extra[32];
	} big;

	memset(&big, 0, sizeof(big));
	big.sa = nx_addr(0, 5004);
	EXPECT_EQ(0, bind_raw(self->fd, &big, sizeof(big)));
	EXPECT_EQ(5004, nx_port(self->fd));
}

TEST_F(bind, addrlen_oversized_einval)
{
	char buf[256];

	memset(buf, 0, sizeof(buf));
	*(sa_family_t *)buf = nx_family();
	EXPECT_EQ(-1, bind_raw(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);	/* the socket layer: > sockaddr_storage */
}

TEST_F(bind, wrong_family_eafnosupport)
{
	const int families[] = { AF_UNIX, AF_INET, AF_UNSPEC, AF_VSOCK, 255 };
	unsigned int i;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		struct sockaddr_nx sa = nx_addr(0, 5005);

		sa.snx_family = families[i];
		errno = 0;
		EXPECT_EQ(-1, bind_raw(self->fd, &sa, sizeof(sa)));
		EXPECT_EQ(EAFNOSUPPORT, errno) TH_LOG("family %d", families[i]);
	}
}

TEST_F(bind, reserved_nonzero_einval)
{
	struct sockaddr_nx sa = nx_addr(0, 5006);

	sa.snx_reserved = 1;
	EXPECT_EQ(-1, bind_raw(self->fd, &sa, sizeof(sa)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(bind, padding_nonzero_einval)
{
	unsigned int i;

	for (i = 0; i < sizeof(((struct sockaddr_nx *)0)->snx_zero); i++) {
		struct sockaddr_nx sa = nx_addr(0, 5007);

		sa.snx_zero[i] = 0x80;
		errno = 0;
		EXPECT_EQ(-1, bind_raw(self->fd, &sa, sizeof(sa)));
		EXPECT_EQ(EINVAL, errno) TH_LOG("byte %u", i);
	}
	EXPECT_EQ(0, nx_bind(self->fd, 0, 5007));
}

TEST_F(bind, bad_pointer_efault)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, bind_raw(self->fd, p, sizeof(struct sockaddr_nx)));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, bind_raw(self->fd, (void *)8, sizeof(struct sockaddr_nx)));
	EXPECT_EQ(EFAULT, errno);
	munmap(p, 4096);
}

TEST_F(bind, getsockname_bad_pointer_efault)
{
	socklen_t len = sizeof(struct sockaddr_nx);

	EXPECT_EQ(-1, getsockname(self->fd, (struct sockaddr *)8, &len));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(bind, foreign_node_eaddrnotavail)
{
	EXPECT_EQ(-1, nx_bind(self->fd, 2, 5008));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	EXPECT_EQ(-1, nx_bind(self->fd, NEXUS_NODE_BROADCAST, 5008));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	EXPECT_EQ(0, nx_port(self->fd));
}

TEST_F(bind, twice_einval)
{
	ASSERT_EQ(0, nx_bind(self->fd, 0, 5009));
	EXPECT_EQ(-1, nx_bind(self->fd, 0, 5010));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, nx_bind(self->fd, 0, NEXUS_PORT_ANY));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(5009, nx_port(self->fd));
}

TEST_F(bind, port_in_use_across_types)
{
	const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
	unsigned int i;

	ASSERT_EQ(0, nx_bind(self->fd, 0, 5011));
	for (i = 0; i < 3; i++) {
		int fd = nx_socket(types[i]);

		ASSERT_LE(0, fd);
		errno = 0;
		EXPECT_EQ(-1, nx_bind(fd, NEXUS_NODE_LOCAL, 5011));
		EXPECT_EQ(EADDRINUSE, errno) TH_LOG("type %d", types[i]);
		EXPECT_EQ(0, nx_port(fd));	/* unchanged */
		close(fd);
	}
}

TEST_F(bind, port_free_after_close)
{
	int fd;

	ASSERT_EQ(0, nx_bind(self->fd, 0, 5012));
	close(self->fd);
	fd = nx_socket(variant->type);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, nx_bind(fd, 0, 5012));
	self->fd = fd;
}

TEST_F(bind, many_ephemeral_ports_distinct)
{
	enum { N = 200 };
	int fds[N], i, j;
	unsigned int ports[N];

	for (i = 0; i < N; i++) {
		fds[i] = nx_socket(variant->type);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, nx_bind(fds[i], 0, 0));
		ports[i] = nx_port(fds[i]);
	}
	for (i = 0; i < N; i++)
		for (j = i + 1; j < N; j++)
			ASSERT_NE(ports[i], ports[j]);
	for (i = 0; i < N; i++)
		close(fds[i]);
}

/* Ports below 1024 need CAP_NET_BIND_SERVICE. */
TEST_F(bind, privileged_port_eacces_unprivileged)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		fd = nx_socket(variant->type);
		if (fd < 0)
			_exit(11);
		if (nx_bind(fd, 0, 80) != -1 || errno != EACCES)
			_exit(12);
		if (nx_bind(fd, 0, 1024))	/* the first unprivileged port */
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, nx_bind(self->fd, 0, 80));	/* root may */
}

/* A namespace's ports are invisible to every other namespace. */
TEST_F(bind, namespace_isolation)
{
	pid_t pid;
	int status, fd;

	ASSERT_EQ(0, nx_bind(self->fd, 0, 5013));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd, fd2;

		if (unshare(CLONE_NEWNET))
			_exit(10);
		fd = nx_socket(variant->type);
		if (fd < 0)
			_exit(11);
		if (nx_bind(fd, 0, 5013))	/* free in the new namespace */
			_exit(12);
		fd2 = nx_socket(SOCK_DGRAM);
		if (nx_bind(fd2, 0, 5013) != -1 || errno != EADDRINUSE)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* ... and the child's binding never reached this namespace. */
	fd = nx_socket(SOCK_DGRAM);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, nx_bind(fd, 0, 5013));
	EXPECT_EQ(EADDRINUSE, errno);
	close(fd);
}

TEST_HARNESS_MAIN
