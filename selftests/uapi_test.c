// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi header: layout checks in C, and a round trip through code built
 * from C++ (uapi_cxx.cc) to prove the header works there too.
 */
#include <stddef.h>

#include "kselftest_harness.h"
#include "nexus_util.h"

long nx_cxx_bind_any(int family);

TEST(c_layout)
{
	EXPECT_EQ(16, sizeof(struct sockaddr_nx));
	EXPECT_EQ(4, offsetof(struct sockaddr_nx, snx_port));
	EXPECT_EQ(8, offsetof(struct sockaddr_nx, snx_node));
	EXPECT_EQ(12, offsetof(struct sockaddr_nx, snx_zero));
}

TEST(cxx_bind_roundtrip)
{
	long port = nx_cxx_bind_any(nx_family());

	EXPECT_LT(0, port);
}

TEST_HARNESS_MAIN
