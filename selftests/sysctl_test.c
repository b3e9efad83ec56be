// SPDX-License-Identifier: GPL-2.0
/*
 * net.nexus.* sysctls: defaults, validation (EINVAL, old value kept), their
 * effect on bind/connect/getsockname, atomic updates of the ephemeral range,
 * permissions (root, unprivileged users, user namespaces) and isolation
 * between network namespaces.
 *
 * Tests that change a value do it in a fresh network namespace so that the
 * init namespace keeps its defaults.
 */
#include <pthread.h>
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "nexus_ns.h"

static const char *const sysctls[] = {
	"node", "ephemeral_ports", "unprivileged_port_start",
	"connect_timeout_ms", "dgram_qlen",
};
#define NSYSCTLS (sizeof(sysctls) / sizeof(sysctls[0]))

static int expect_value(const char *name, const char *want)
{
	char buf[64];

	if (nx_sysctl_read(name, buf, sizeof(buf)))
		return 0;
	return !strcmp(buf, want);
}

static int check_defaults(void *arg)
{
	if (!expect_value("node", "1\n"))
		return NX_FAIL(1);
	if (!expect_value("ephemeral_ports", "32768\t60999\n"))
		return NX_FAIL(2);
	if (!expect_value("unprivileged_port_start", "1024\n"))
		return NX_FAIL(3);
	if (!expect_value("connect_timeout_ms", "30000\n"))
		return NX_FAIL(4);
	if (!expect_value("dgram_qlen", "512\n"))
		return NX_FAIL(5);
	return 0;
}

static int in_new_netns(void *fn)
{
	if (unshare(CLONE_NEWNET))
		return NX_FAIL(100);
	return ((int (*)(void *))fn)(NULL);
}

/* Run fn in a child in a fresh network namespace (as root). */
static int run_netns(int (*fn)(void *))
{
	return nx_run(in_new_netns, (void *)fn);
}

/* A test that @fn, run in a fresh namespace, returns 0 (its rules hold). */
#define NETNS_TEST(name, fn)						\
	TEST(name)							\
	{								\
		EXPECT_EQ(0, run_netns(fn));				\
	}

TEST(defaults)
{
	EXPECT_EQ(0, check_defaults(NULL));
	EXPECT_EQ(0, run_netns(check_defaults));
}

TEST(files_mode_0644)
{
	unsigned int i;

	for (i = 0; i < NSYSCTLS; i++) {
		char path[128];
		struct stat st;

		snprintf(path, sizeof(path), NX_SYSCTL("%s"), sysctls[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		EXPECT_EQ(0644, st.st_mode & 07777) TH_LOG("%s", path);
		EXPECT_EQ(0, st.st_uid);
	}
}

/* Every invalid write: EINVAL, and the value stays. */
static int bad_writes(const char *name, const char *const *vals, int n)
{
	char before[64], after[64];
	int i;

	if (nx_sysctl_read(name, before, sizeof(before)))
		return NX_FAIL(50);
	for (i = 0; i < n; i++) {
		if (nx_sysctl_write(name, vals[i]) != -EINVAL) {
			fprintf(stderr, "%s <- '%s': not EINVAL\n", name, vals[i]);
			return NX_FAIL(51 + i);
		}
		if (nx_sysctl_read(name, after, sizeof(after)) ||
		    strcmp(before, after))
			return NX_FAIL(80 + i);
	}
	return 0;
}

static int node_rules(void *arg)
{
	static const char *const bad[] = {
		"0", "4294967295", "4294967296", "-1", "abc", "1x", " ",
	};
	struct sockaddr_nx sa;
	socklen_t len = sizeof(sa);
	int a, b, c, err;

	err = bad_writes("node", bad, sizeof(bad) / sizeof(bad[0]));
	if (err)
		return err;
	a = nx_socket(SOCK_DGRAM);
	if (a < 0 || nx_bind(a, NEXUS_NODE_ANY, 5000))
		return NX_FAIL(1);
	if (nx_sysctl_write("node", "5"))
		return NX_FAIL(2);
	if (!expect_value("node", "5\n"))
		return NX_FAIL(3);
	/* getsockname() shows the namespace's current node id. */
	if (getsockname(a, (struct sockaddr *)&sa, &len) || sa.snx_node != 5 ||
	    sa.snx_port != 5000)
		return NX_FAIL(4);
	b = nx_socket(SOCK_STREAM);
	if (b < 0 || nx_bind(b, 5, 5001))
		return NX_FAIL(5);
	c = nx_socket(SOCK_SEQPACKET);
	if (c < 0)
		return NX_FAIL(6);
	/* The old id is a foreign node now. */
	if (nx_bind(c, NEXUS_NODE_LOCAL, 5002) != -1 || errno != EADDRNOTAVAIL)
		return NX_FAIL(7);
	if (nx_connect(c, NEXUS_NODE_LOCAL, 5001) != -1 || errno != ENETUNREACH)
		return NX_FAIL(8);
	if (listen(b, 1))
		return NX_FAIL(9);
	close(c);
	c = nx_socket(SOCK_STREAM);
	if (c < 0 || nx_connect(c, 5, 5001))
		return NX_FAIL(10);
	len = sizeof(sa);
	if (getpeername(c, (struct sockaddr *)&sa, &len) || sa.snx_node != 5 ||
	    sa.snx_port != 5001)
		return NX_FAIL(11);
	if (nx_sysctl_write("node", "4294967294"))
		return NX_FAIL(12);
	return 0;
}

NETNS_TEST(node, node_rules)

static int ephemeral_rules(void *arg)
{
	static const char *const bad[] = {
		"5000 4999", "5000", "0 5000", "-1 5000", "5000 -1",
		"5000 4294967296", "abc", "1000 2000", "1 1",
	};
	const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
	int fds[3], fd, l, i, err;
	unsigned int seen = 0;

	err = bad_writes("ephemeral_ports", bad, sizeof(bad) / sizeof(bad[0]));
	if (err)
		return err;
	if (nx_sysctl_write("ephemeral_ports", "40000 40002"))
		return NX_FAIL(1);
	if (!expect_value("ephemeral_ports", "40000\t40002\n"))
		return NX_FAIL(2);
	for (i = 0; i < 3; i++) {
		unsigned int port;

		fds[i] = nx_socket(types[i]);
		if (fds[i] < 0 || nx_bind(fds[i], 0, NEXUS_PORT_ANY))
			return NX_FAIL(3);
		port = nx_port(fds[i]);
		if (port < 40000 || port > 40002)
			return NX_FAIL(4);
		seen |= 1U << (port - 40000);
	}
	if (seen != 7)
		return NX_FAIL(5);
	/* Exhausted: bind fails, and so does connect's autobind. */
	for (i = 0; i < 3; i++) {
		fd = nx_socket(types[i]);
		if (fd < 0)
			return NX_FAIL(6);
		if (nx_bind(fd, 0, NEXUS_PORT_ANY) != -1 || errno != EADDRNOTAVAIL)
			return NX_FAIL(7);
		if (nx_port(fd))
			return NX_FAIL(8);
		close(fd);
	}
	l = nx_socket(SOCK_STREAM);
	if (l < 0 || nx_bind(l, 0, 7000) || listen(l, 4))
		return NX_FAIL(9);
	fd = nx_socket(SOCK_STREAM);
	if (nx_connect(fd, 0, 7000) != -1 || errno != EADDRNOTAVAIL)
		return NX_FAIL(10);
	if (nx_port(fd))
		return NX_FAIL(11);
	/* The socket is unchanged: it still binds and connects. */
	if (nx_bind(fd, 0, 7001) || nx_connect(fd, 0, 7000))
		return NX_FAIL(12);
	close(fd);
	/* A one-port range, and the top of the port space. */
	if (nx_sysctl_write("ephemeral_ports", "4294967295 4294967295"))
		return NX_FAIL(13);
	fd = nx_socket(SOCK_DGRAM);
	if (nx_bind(fd, 0, 0) || nx_port(fd) != 4294967295U)
		return NX_FAIL(14);
	close(fd);
	if (nx_sysctl_write("ephemeral_ports", "1024 1024"))
		return NX_FAIL(15);
	return 0;
}

NETNS_TEST(ephemeral_ports, ephemeral_rules)

/*
 * A writer flips the range between "2000 2000" and "3000 3000": an
 * autobind must get 2000 or 3000, never a port in between (a low end of
 * one write with the high end of the other), and a reader of the file
 * never sees lo != hi.
 */
static volatile int flip_stop;

static void *flipper(void *arg)
{
	int i;

	for (i = 0; !flip_stop; i++)
		if (nx_sysctl_write("ephemeral_ports",
				    i & 1 ? "3000 3000" : "2000 2000"))
			return (void *)1;
	return NULL;
}

static void *file_reader(void *arg)
{
	char buf[64];
	unsigned int lo, hi;

	while (!flip_stop) {
		if (nx_sysctl_read("ephemeral_ports", buf, sizeof(buf)) ||
		    sscanf(buf, "%u %u", &lo, &hi) != 2 || lo != hi)
			return (void *)1;
	}
	return NULL;
}

static int ephemeral_atomic(void *arg)
{
	pthread_t w, r;
	void *wr = NULL, *rr = NULL;
	time_t end = time(NULL) + 3;
	int bad = 0, n = 0;

	flip_stop = 0;
	if (nx_sysctl_write("ephemeral_ports", "2000 2000"))
		return NX_FAIL(8);
	if (pthread_create(&w, NULL, flipper, NULL) ||
	    pthread_create(&r, NULL, file_reader, NULL))
		return NX_FAIL(1);
	while (time(NULL) < end && !bad) {
		int fd = nx_socket(SOCK_DGRAM);
		unsigned int port;

		if (fd < 0)
			return NX_FAIL(2);
		if (nx_bind(fd, 0, 0))
			bad = 3;
		port = nx_port(fd);
		if (port != 2000 && port != 3000) {
			fprintf(stderr, "autobind got port %u\n", port);
			bad = 4;
		}
		close(fd);
		n++;
	}
	flip_stop = 1;
	pthread_join(w, &wr);
	pthread_join(r, &rr);
	if (bad)
		return bad;
	if (wr)
		return NX_FAIL(5);
	if (rr)
		return NX_FAIL(6);
	return n > 10 ? 0 : 7;
}

NETNS_TEST(ephemeral_ports_atomic_update, ephemeral_atomic)

static int bind_as(uid_t uid, unsigned int port)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd;

		if (nx_become(uid, uid))
			_exit(NX_FAIL(90));
		fd = nx_socket(SOCK_STREAM);
		if (fd < 0)
			_exit(NX_FAIL(91));
		if (nx_bind(fd, 0, port))
			_exit(errno == EACCES ? 1 : 92);
		_exit(0);
	}
	return nx_wait(pid);
}

static int unpriv_rules(void *arg)
{
	static const char *const bad[] = {
		"-1", "abc", "4294967296", "32769", "40000",
	};
	int err;

	err = bad_writes("unprivileged_port_start", bad,
			 sizeof(bad) / sizeof(bad[0]));
	if (err)
		return err;
	if (bind_as(65534, 1023) != 1 || bind_as(65534, 1024) != 0)
		return NX_FAIL(1);
	if (nx_sysctl_write("unprivileged_port_start", "2000"))
		return NX_FAIL(2);
	if (bind_as(65534, 1500) != 1 || bind_as(65534, 1999) != 1)
		return NX_FAIL(3);
	if (bind_as(65534, 2000) != 0)
		return NX_FAIL(4);
	if (bind_as(0, 1500) != 0)	/* root has CAP_NET_BIND_SERVICE */
		return NX_FAIL(5);
	if (nx_sysctl_write("unprivileged_port_start", "0"))
		return NX_FAIL(6);
	if (bind_as(65534, 1) != 0)
		return NX_FAIL(7);
	/* The ephemeral range may not reach below it, nor it above. */
	if (nx_sysctl_write("unprivileged_port_start", "32768"))
		return NX_FAIL(8);
	if (nx_sysctl_write("ephemeral_ports", "32767 40000") != -EINVAL)
		return NX_FAIL(9);
	if (nx_sysctl_write("ephemeral_ports", "32768 40000"))
		return NX_FAIL(10);
	return 0;
}

NETNS_TEST(unprivileged_port_start, unpriv_rules)

static int timeout_rules(void *arg)
{
	static const char *const bad[] = { "-1", "x", "4294967296" };
	unsigned long long v;
	socklen_t len = sizeof(v);
	int old, fd, err;

	err = bad_writes("connect_timeout_ms", bad, 3);
	if (err)
		return err;
	old = nx_socket(SOCK_STREAM);
	if (nx_sysctl_write("connect_timeout_ms", "1234"))
		return NX_FAIL(1);
	fd = nx_socket(SOCK_STREAM);
	if (getsockopt(fd, SOL_NEXUS, NEXUS_CONNECT_TIMEOUT, &v, &len) ||
	    v != 1234)
		return NX_FAIL(2);
	len = sizeof(v);
	if (getsockopt(old, SOL_NEXUS, NEXUS_CONNECT_TIMEOUT, &v, &len) ||
	    v != 30000)
		return NX_FAIL(3);
	if (nx_sysctl_write("connect_timeout_ms", "0"))
		return NX_FAIL(4);
	if (nx_sysctl_write("connect_timeout_ms", "4294967295"))
		return NX_FAIL(5);
	return 0;
}

NETNS_TEST(connect_timeout_ms, timeout_rules)

static int qlen_rules(void *arg)
{
	static const char *const bad[] = {
		"0", "-1", "2147483648", "q",
	};
	int err = bad_writes("dgram_qlen", bad, 4);

	if (err)
		return err;
	if (nx_sysctl_write("dgram_qlen", "100") || !expect_value("dgram_qlen", "100\n"))
		return NX_FAIL(1);
	if (nx_sysctl_write("dgram_qlen", "2147483647"))
		return NX_FAIL(2);
	return 0;
}

NETNS_TEST(dgram_qlen, qlen_rules)

/* Readable by anyone; writable only with the namespace's privileges. */
static int unprivileged_cannot_write(void *arg)
{
	unsigned int i;
	char buf[64];

	if (nx_become(65534, 65534))
		return NX_FAIL(90);
	for (i = 0; i < NSYSCTLS; i++) {
		if (nx_sysctl_read(sysctls[i], buf, sizeof(buf)))
			return NX_FAIL(1 + i);
		if (nx_sysctl_write(sysctls[i], "7") != -EACCES)
			return NX_FAIL(10 + i);
	}
	return 0;
}

static int netns_then_unprivileged(void *arg)
{
	if (unshare(CLONE_NEWNET))
		return NX_FAIL(100);
	return unprivileged_cannot_write(NULL);
}

TEST(unprivileged_user_cannot_write)
{
	EXPECT_EQ(0, nx_run(unprivileged_cannot_write, NULL));
	EXPECT_EQ(0, nx_run(netns_then_unprivileged, NULL));
	EXPECT_EQ(0, check_defaults(NULL));
}

/*
 * Root of a user namespace owning the network namespace may write (and
 * bind privileged ports); another user of that namespace may not.
 */
static int userns_root_and_other(void *arg)
{
	int fd;

	if (nx_sysctl_write("node", "9") || !expect_value("node", "9\n"))
		return NX_FAIL(1);
	if (nx_sysctl_write("unprivileged_port_start", "100"))
		return NX_FAIL(2);
	fd = nx_socket(SOCK_DGRAM);
	if (fd < 0 || nx_bind(fd, 0, 80))	/* CAP_NET_BIND_SERVICE here */
		return NX_FAIL(3);
	close(fd);
	if (nx_become(1, 1))
		return NX_FAIL(4);
	if (nx_sysctl_write("node", "10") != -EACCES)
		return NX_FAIL(5);
	if (nx_sysctl_write("ephemeral_ports", "40000 40001") != -EACCES)
		return NX_FAIL(6);
	if (!expect_value("node", "9\n"))
		return NX_FAIL(7);
	fd = nx_socket(SOCK_DGRAM);
	if (nx_bind(fd, 0, 81) != -1 || errno != EACCES)
		return NX_FAIL(8);
	if (nx_bind(fd, 0, 100))
		return NX_FAIL(9);
	return 0;
}

TEST(userns_root_writes_own_netns)
{
	EXPECT_EQ(0, nx_run_in_userns(CLONE_NEWNET, 100000, 10,
				      userns_root_and_other, NULL));
	EXPECT_EQ(0, check_defaults(NULL));
}

/* An unprivileged user creating its own user and network namespaces. */
static int unprivileged_own_namespaces(void *arg)
{
	int fd;

	if (nx_become(65534, 65534))
		return NX_FAIL(90);
	if (nx_unshare_userns_self(CLONE_NEWNET))
		return NX_FAIL(91);
	if (nx_sysctl_write("node", "12") || !expect_value("node", "12\n"))
		return NX_FAIL(1);
	fd = nx_socket(SOCK_STREAM);
	if (fd < 0 || nx_bind(fd, 12, 80))
		return NX_FAIL(2);
	return 0;
}

/* ... and in a user namespace alone: the init netns is still not its. */
static int unprivileged_userns_only(void *arg)
{
	int fd;

	if (nx_become(65534, 65534))
		return NX_FAIL(90);
	if (nx_unshare_userns_self(0))
		return NX_FAIL(91);
	if (nx_sysctl_write("node", "12") != -EACCES)
		return NX_FAIL(1);
	fd = nx_socket(SOCK_STREAM);
	if (fd < 0)
		return NX_FAIL(2);
	if (nx_bind(fd, 0, 80) != -1 || errno != EACCES)
		return NX_FAIL(3);
	return 0;
}

TEST(unprivileged_user_namespaces)
{
	EXPECT_EQ(0, nx_run(unprivileged_own_namespaces, NULL));
	EXPECT_EQ(0, nx_run(unprivileged_userns_only, NULL));
	EXPECT_EQ(0, check_defaults(NULL));
}

/* A value written in one namespace is not seen in another. */
static int write_and_hold(void *arg)
{
	int *p = arg;
	char c = 0;

	if (unshare(CLONE_NEWNET))
		return NX_FAIL(100);
	if (nx_sysctl_write("node", "77") ||
	    nx_sysctl_write("ephemeral_ports", "50000 50010") ||
	    nx_sysctl_write("dgram_qlen", "3"))
		return NX_FAIL(1);
	if (write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1)
		return NX_FAIL(2);
	return expect_value("node", "77\n") ? 0 : 3;
}

TEST(sysctls_per_namespace)
{
	struct nx_peer writer;

	ASSERT_EQ(0, nx_peer_start(&writer, write_and_hold));
	ASSERT_EQ(0, nx_peer_recv(&writer, NULL, 0));
	/* The child's namespace has its values; this one and a new one not. */
	EXPECT_EQ(0, check_defaults(NULL));
	EXPECT_EQ(0, run_netns(check_defaults));
	ASSERT_EQ(0, nx_peer_go(&writer));
	EXPECT_EQ(0, nx_peer_end(&writer));
}

TEST_HARNESS_MAIN
