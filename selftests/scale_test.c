// SPDX-License-Identifier: GPL-2.0
/*
 * The port table at scale: 100,000 sockets bound in one namespace. A test
 * binary of its own, so that its minutes on the debug kernel under QEMU
 * without KVM do not eat into the other tests' time.
 */
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
 * 100,000 sockets bound in one fresh namespace, half to chosen ports and
 * half to ephemeral ones: every port distinct, every one found again
 * (EADDRINUSE), all released on close.
 */
enum { BIG = 100000, FIXED_BASE = 1000000, EPH_LO = 100000, EPH_HI = 299999 };

static int hundred_thousand(void *arg)
{
	struct rlimit rl = { BIG + 64, BIG + 64 };
	static unsigned char used[EPH_HI - EPH_LO + 1];
	static int fds[BIG];
	double t0, t1, t2;
	int i, probe;

	if (setrlimit(RLIMIT_NOFILE, &rl))
		return NX_FAIL(90);
	if (unshare(CLONE_NEWNET))
		return NX_FAIL(91);
	if (nx_sysctl_write("ephemeral_ports", "100000 299999"))
		return NX_FAIL(92);
	t0 = now_s();
	for (i = 0; i < BIG; i++) {
		fds[i] = nx_socket(i & 1 ? SOCK_DGRAM : SOCK_STREAM);
		if (fds[i] < 0) {
			fprintf(stderr, "socket %d: %s\n", i, strerror(errno));
			return NX_FAIL(1);
		}
		if (i < BIG / 2) {
			if (nx_bind(fds[i], 0, FIXED_BASE + i))
				return NX_FAIL(2);
		} else {
			unsigned int port;

			if (nx_bind(fds[i], 0, NEXUS_PORT_ANY)) {
				fprintf(stderr, "autobind %d: %s\n", i,
					strerror(errno));
				return NX_FAIL(3);
			}
			port = nx_port(fds[i]);
			if (port < EPH_LO || port > EPH_HI || used[port - EPH_LO]++)
				return NX_FAIL(4);
		}
	}
	t1 = now_s();
	/* Every port is found: binding it again fails. */
	probe = nx_socket(SOCK_SEQPACKET);
	if (probe < 0)
		return NX_FAIL(5);
	for (i = 0; i < BIG; i += 97) {
		unsigned int port = i < BIG / 2 ? FIXED_BASE + i : nx_port(fds[i]);

		if (nx_bind(probe, 0, port) != -1 || errno != EADDRINUSE)
			return NX_FAIL(6);
	}
	/* /proc/net/nexus lists them all. */
	{
		FILE *f = fopen("/proc/net/nexus", "r");
		char line[256];
		int n = 0;

		if (!f)
			return NX_FAIL(7);
		while (fgets(line, sizeof(line), f))
			n++;
		fclose(f);
		if (n != BIG + 2)	/* header, BIG, probe */
			return NX_FAIL(8);
	}
	for (i = 0; i < BIG; i++)
		close(fds[i]);
	t2 = now_s();
	if (nx_bind(probe, 0, FIXED_BASE) || nx_port(probe) != FIXED_BASE)
		return NX_FAIL(9);
	fprintf(stderr, "# %d sockets: create+bind %.1f s, check+close %.1f s\n",
		BIG, t1 - t0, t2 - t1);
	return 0;
}

FIXTURE(scale) {};
FIXTURE_SETUP(scale) {}
FIXTURE_TEARDOWN(scale) {}

/* Minutes under QEMU without KVM on the debug kernel. */
TEST_F_TIMEOUT(scale, hundred_thousand_bound_sockets, 280)
{
	EXPECT_EQ(0, nx_run(hundred_thousand, NULL));
}

TEST_HARNESS_MAIN
