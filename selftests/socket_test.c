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

TEST_HARNESS_MAIN
