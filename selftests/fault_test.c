// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures, injected with the kernel's failslab (the debug
 * kernel has CONFIG_FAILSLAB; elsewhere these tests skip): the errno each
 * path returns, and that the socket is left as it was. The harness's
 * kmemleak scan after the run checks that no failure path leaks.
 */
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "stream_util.h"

#define FAILSLAB "/sys/kernel/debug/failslab/"

/* Fail the next slab allocation of this task (once). */
static int fail_next_alloc(void)
{
	if (nx_write_file(FAILSLAB "task-filter", "Y") ||
	    nx_write_file(FAILSLAB "ignore-gfp-wait", "N") ||
	    nx_write_file(FAILSLAB "verbose", "0") ||
	    nx_write_file(FAILSLAB "interval", "1") ||
	    nx_write_file(FAILSLAB "space", "0") ||
	    nx_write_file(FAILSLAB "times", "1") ||
	    nx_write_file(FAILSLAB "probability", "100"))
		return -1;
	return nx_write_file("/proc/thread-self/make-it-fail", "1");
}

static void stop_failing(void)
{
	nx_write_file("/proc/thread-self/make-it-fail", "0");
	nx_write_file(FAILSLAB "probability", "0");
}

FIXTURE(fault)
{
	int l, c;
	unsigned int port;
	bool no_failslab;	/* the 6.1 harness runs a test after a SKIP in setup */
};

NX_TYPE_VARIANTS(fault);

FIXTURE_SETUP(fault)
{
	struct stat st;

	self->no_failslab = stat(FAILSLAB "probability", &st) != 0;
	self->l = nx_socket(variant->type);
	self->c = nx_socket(variant->type);
	ASSERT_LE(0, self->l);
	ASSERT_LE(0, self->c);
	ASSERT_EQ(0, nx_bind(self->l, 0, 0));
	self->port = nx_port(self->l);
	if (variant->type != SOCK_DGRAM)
		ASSERT_EQ(0, listen(self->l, 4));
	/* Bound now, so that connect() allocates nothing before the server end. */
	ASSERT_EQ(0, nx_bind(self->c, 0, 0));
}

FIXTURE_TEARDOWN(fault)
{
	if (!self->no_failslab)
		stop_failing();
	close(self->c);
	close(self->l);
}

/* Stream: creating the server end fails; the client is unchanged. */
TEST_F(fault, connect_enomem_socket_unchanged)
{
	int a;

	if (self->no_failslab)
		SKIP(return, "no failslab (CONFIG_FAILSLAB, debugfs)");
	if (variant->type == SOCK_DGRAM)
		SKIP(return, "datagram connect allocates nothing");
	ASSERT_EQ(0, fail_next_alloc());
	EXPECT_EQ(ENOMEM,
		  nx_connect_errno(self->c, NEXUS_NODE_LOCAL, self->port));
	stop_failing();
	EXPECT_EQ(0, nx_peer_port(self->c));		/* still unconnected */
	EXPECT_EQ(POLLOUT | POLLHUP, nx_poll(self->c, POLLOUT, 0));
	EXPECT_EQ(0, nx_poll(self->l, POLLIN, 0));	/* nothing queued */
	EXPECT_EQ(0, nx_so_error(self->c));
	/* ... and connects at once afterwards. */
	EXPECT_EQ(0, nx_connect(self->c, NEXUS_NODE_LOCAL, self->port));
	a = accept(self->l, NULL, NULL);
	ASSERT_LE(0, a);
	close(a);
}

/* Sending: the skb cannot be allocated; nothing is queued. */
TEST_F(fault, send_enobufs_nothing_queued)
{
	int a = -1, n;
	char c;

	if (self->no_failslab)
		SKIP(return, "no failslab (CONFIG_FAILSLAB, debugfs)");
	ASSERT_EQ(0, nx_connect(self->c, NEXUS_NODE_LOCAL, self->port));
	if (variant->type != SOCK_DGRAM) {
		a = accept(self->l, NULL, NULL);
		ASSERT_LE(0, a);
	}
	ASSERT_EQ(0, fail_next_alloc());
	EXPECT_EQ(-1, send(self->c, "x", 1, MSG_NOSIGNAL));
	EXPECT_TRUE(errno == ENOBUFS || errno == ENOMEM) TH_LOG("%s", strerror(errno));
	stop_failing();
	n = -1;
	ASSERT_EQ(0, ioctl(variant->type == SOCK_DGRAM ? self->l : a, FIONREAD, &n));
	EXPECT_EQ(0, n);
	/* The connection (or association) is intact. */
	EXPECT_EQ(1, send(self->c, "y", 1, 0));
	EXPECT_EQ(1, recv(variant->type == SOCK_DGRAM ? self->l : a, &c, 1, 0));
	EXPECT_EQ('y', c);
	if (a >= 0)
		close(a);
}

TEST_HARNESS_MAIN
