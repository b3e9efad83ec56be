// SPDX-License-Identifier: GPL-2.0
/*
 * socket(): types, protocols and flags; the module's lifetime against its
 * sockets (rmmod refused while any exists); the family slot parameter.
 */
#include <fcntl.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "nexus_util.h"

TEST(supported_types)
{
	const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
	unsigned int i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int fd = socket(nx_family(), types[i], 0);
		int type;
		socklen_t len = sizeof(type);

		ASSERT_LE(0, fd) TH_LOG("type %d: %s", types[i], strerror(errno));
		ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len));
		EXPECT_EQ(types[i], type);
		ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &type, &len));
		EXPECT_EQ(nx_family(), type);
		ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &type, &len));
		EXPECT_EQ(0, type);
		close(fd);
	}
}

TEST(protocol_pf_nexus_accepted)
{
	int fd = socket(nx_family(), SOCK_STREAM, nx_family());

	ASSERT_LE(0, fd);
	close(fd);
}

TEST(unsupported_types)
{
	const int types[] = { SOCK_RAW, SOCK_RDM, SOCK_DCCP, 7, 8, 9, SOCK_PACKET };
	unsigned int i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, socket(nx_family(), types[i], 0));
		EXPECT_EQ(ESOCKTNOSUPPORT, errno) TH_LOG("type %d", types[i]);
	}
	/* Beyond SOCK_MAX the socket layer refuses before the family runs. */
	EXPECT_EQ(-1, socket(nx_family(), 1000, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST(unsupported_protocols)
{
	const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM, SOCK_RAW };
	const int protos[] = { 1, 6, 17, 255, -1 };
	unsigned int i, j;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		for (j = 0; j < sizeof(protos) / sizeof(protos[0]); j++) {
			errno = 0;
			EXPECT_EQ(-1, socket(nx_family(), types[i], protos[j]));
			EXPECT_EQ(EPROTONOSUPPORT, errno)
				TH_LOG("type %d proto %d", types[i], protos[j]);
		}
}

TEST(nonblock_and_cloexec_flags)
{
	int fd = socket(nx_family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ASSERT_LE(0, fd);
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	fd = socket(nx_family(), SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	EXPECT_FALSE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_FALSE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

TEST(socketpair_not_supported)
{
	int sv[2];

	EXPECT_EQ(-1, socketpair(nx_family(), SOCK_STREAM, 0, sv));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

TEST(family_parameter_in_sysfs)
{
	char buf[32];

	ASSERT_LT(0, nx_read_file("/sys/module/nexus/parameters/family",
				  buf, sizeof(buf)));
	EXPECT_EQ(AF_NEXUS, atoi(buf));
}

/*
 * rmmod is refused while a socket exists (the socket pins the module) and
 * succeeds once it is closed; then the module loads again.
 */
TEST(rmmod_refused_while_socket_open)
{
	int fd = nx_socket(SOCK_STREAM);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nx_bind(fd, NEXUS_NODE_ANY, NEXUS_PORT_ANY));
	EXPECT_NE(0, nx_rmmod());
	EXPECT_TRUE(nx_module_loaded());
	close(fd);

	ASSERT_EQ(0, nx_rmmod());
	EXPECT_FALSE(nx_module_loaded());
	errno = 0;
	EXPECT_EQ(-1, socket(AF_NEXUS, SOCK_STREAM, 0));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	ASSERT_EQ(0, nx_insmod(NULL));
	fd = nx_socket(SOCK_STREAM);
	ASSERT_LE(0, fd);
	close(fd);
}

FIXTURE(module)
{
	int unused;
};

FIXTURE_SETUP(module)
{
}

FIXTURE_TEARDOWN(module)
{
	if (!nx_module_loaded())	/* never leave the next test without it */
		nx_insmod(NULL);
}

/*
 * Load and unload repeatedly; the harness's kmemleak scan catches leaks.
 * About 0.3 s a round on the debug kernel under TCG: a longer timeout.
 */
TEST_F_TIMEOUT(module, insmod_rmmod_loop, 300)
{
	int i, fd;

	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, nx_rmmod()) TH_LOG("round %d", i);
		ASSERT_EQ(0, nx_insmod(NULL)) TH_LOG("round %d", i);
		fd = nx_socket(i % 2 ? SOCK_DGRAM : SOCK_STREAM);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, nx_bind(fd, NEXUS_NODE_ANY, NEXUS_PORT_ANY));
		close(fd);
	}
}

/*
 * The family slot moves with the module parameter; a slot owned by another
 * family makes insmod fail (EBUSY, on every kernel: newer kernels turn an
 * init's EEXIST into EBUSY, so the module returns EBUSY itself) and leaves
 * nothing behind.
 */
TEST(family_parameter_moves_slot)
{
	int fd;

	ASSERT_EQ(0, nx_rmmod());
	EXPECT_EQ(-EBUSY, nx_insmod("family=1"));	/* AF_UNIX */
	EXPECT_EQ(-EINVAL, nx_insmod("family=0"));
	EXPECT_EQ(-EINVAL, nx_insmod("family=4096"));
	ASSERT_EQ(0, nx_insmod("family=13"));
	fd = socket(13, SOCK_DGRAM, 0);
	EXPECT_LE(0, fd);
	if (fd >= 0) {
		struct sockaddr_nx sa = nx_addr(0, 0);
		socklen_t len = sizeof(sa);

		sa.snx_family = 13;
		EXPECT_EQ(0, bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
		EXPECT_EQ(0, getsockname(fd, (struct sockaddr *)&sa, &len));
		EXPECT_EQ(13, sa.snx_family);
		close(fd);
	}
	ASSERT_EQ(0, nx_rmmod());
	ASSERT_EQ(0, nx_insmod(NULL));
}

/*
 * What family=N changes, everywhere it shows (kmod/nexus.h, nexus_family):
 * the slot, SO_DOMAIN, the protocol number socket() accepts besides 0
 * (N: socket(N, type, N) works, socket(N, type, 22) is EPROTONOSUPPORT),
 * snx_family of the addresses bind() and connect() take (22 is then
 * another family: EAFNOSUPPORT) and of those getsockname(), getpeername(),
 * accept() and recvfrom() return, and the sysfs parameter. Slot 22 is free
 * meanwhile. (The module alias stays net-pf-22.)
 */
#define NX_MOVED	13

static struct sockaddr_nx moved_addr(int family, unsigned int port)
{
	struct sockaddr_nx sa;

	memset(&sa, 0, sizeof(sa));
	sa.snx_family = family;
	sa.snx_port = port;
	return sa;
}

static int moved_family(struct sockaddr_nx *sa, socklen_t len)
{
	return len == sizeof(*sa) ? sa->snx_family : -1;
}

/* bind() or connect() @fd to (family, port); the call's result. */
static int moved_call(int (*call)(int, const struct sockaddr *, socklen_t),
		      int fd, int family, unsigned int port)
{
	struct sockaddr_nx sa = moved_addr(family, port);

	return call(fd, (struct sockaddr *)&sa, sizeof(sa));
}

/* The family of getsockname()'s or getpeername()'s address, or -1. */
static int name_family(int fd, int (*get)(int, struct sockaddr *,
					  socklen_t *))
{
	struct sockaddr_nx sa;
	socklen_t len = sizeof(sa);

	if (get(fd, (struct sockaddr *)&sa, &len))
		return -1;
	return moved_family(&sa, len);
}

/* The sockets of the test, closed by the teardown whatever happened. */
FIXTURE(moved)
{
	int fd[5];
};

FIXTURE_SETUP(moved)
{
	memset(self->fd, -1, sizeof(self->fd));
}

/* Back to the default slot for the tests that follow. */
FIXTURE_TEARDOWN(moved)
{
	char buf[32] = "";
	unsigned int i;

	for (i = 0; i < sizeof(self->fd) / sizeof(self->fd[0]); i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
	if (nx_module_loaded() &&
	    nx_read_file("/sys/module/nexus/parameters/family", buf,
			 sizeof(buf)) > 0 && atoi(buf) != AF_NEXUS)
		nx_rmmod();
	if (!nx_module_loaded())
		nx_insmod(NULL);
}

TEST_F(moved, family_parameter_carried_everywhere)
{
	const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
	int *l = &self->fd[0], *c = &self->fd[1], *a = &self->fd[2];
	int *d = &self->fd[3], *s = &self->fd[4];
	struct sockaddr_nx sa, got;
	socklen_t len;
	char buf[32];
	unsigned int i;
	int v;

	ASSERT_EQ(0, nx_rmmod());
	ASSERT_EQ(0, nx_insmod("family=13"));
	ASSERT_LT(0, nx_read_file("/sys/module/nexus/parameters/family",
				  buf, sizeof(buf)));
	EXPECT_EQ(NX_MOVED, atoi(buf));
	errno = 0;
	EXPECT_EQ(-1, socket(AF_NEXUS, SOCK_STREAM, 0));
	EXPECT_EQ(EAFNOSUPPORT, errno);

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		*s = socket(NX_MOVED, types[i], NX_MOVED);
		ASSERT_LE(0, *s) TH_LOG("type %d: %s", types[i], strerror(errno));
		len = sizeof(v);
		ASSERT_EQ(0, getsockopt(*s, SOL_SOCKET, SO_DOMAIN, &v, &len));
		EXPECT_EQ(NX_MOVED, v);
		close(*s);
		*s = -1;
		errno = 0;
		EXPECT_EQ(-1, socket(NX_MOVED, types[i], AF_NEXUS));
		EXPECT_EQ(EPROTONOSUPPORT, errno) TH_LOG("type %d", types[i]);
	}

	/* A stream connection: every address says N; 22 is refused. */
	*l = socket(NX_MOVED, SOCK_STREAM, 0);
	*c = socket(NX_MOVED, SOCK_STREAM, 0);
	ASSERT_LE(0, *l);
	ASSERT_LE(0, *c);
	errno = 0;
	EXPECT_EQ(-1, moved_call(bind, *l, AF_NEXUS, 7100));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	ASSERT_EQ(0, moved_call(bind, *l, NX_MOVED, 7100));
	ASSERT_EQ(0, listen(*l, 1));
	errno = 0;
	EXPECT_EQ(-1, moved_call(connect, *c, AF_NEXUS, 7100));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	ASSERT_EQ(0, moved_call(connect, *c, NX_MOVED, 7100));
	len = sizeof(got);
	*a = accept(*l, (struct sockaddr *)&got, &len);
	ASSERT_LE(0, *a);
	EXPECT_EQ(NX_MOVED, moved_family(&got, len));
	EXPECT_EQ(NX_MOVED, name_family(*c, getsockname));
	EXPECT_EQ(NX_MOVED, name_family(*a, getpeername));
	len = sizeof(got);
	ASSERT_EQ(0, getpeername(*c, (struct sockaddr *)&got, &len));
	EXPECT_EQ(NX_MOVED, moved_family(&got, len));
	EXPECT_EQ(7100, got.snx_port);

	/* A datagram's source address says N too. */
	*d = socket(NX_MOVED, SOCK_DGRAM, 0);
	*s = socket(NX_MOVED, SOCK_DGRAM, 0);
	ASSERT_LE(0, *d);
	ASSERT_LE(0, *s);
	ASSERT_EQ(0, moved_call(bind, *d, NX_MOVED, 7101));
	sa = moved_addr(NX_MOVED, 7101);
	ASSERT_EQ(1, sendto(*s, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)));
	len = sizeof(got);
	memset(&got, 0, sizeof(got));
	ASSERT_EQ(1, recvfrom(*d, buf, sizeof(buf), 0,
			      (struct sockaddr *)&got, &len));
	EXPECT_EQ(NX_MOVED, moved_family(&got, len));
	EXPECT_NE(0, got.snx_port);
}

TEST_HARNESS_MAIN
