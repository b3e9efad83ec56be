// SPDX-License-Identifier: GPL-2.0
/*
 * Network namespace teardown with live AF_NEXUS state (listeners with
 * queued and pending connections, queued datagrams, unread stream data,
 * callers blocked in accept/recv/connect), and insmod/rmmod in a loop while
 * other namespaces are being torn down.
 *
 * What must hold: every namespace goes away (no socket outlives it: the
 * module, which each socket pins, can be unloaded afterwards), nothing is
 * reported by the kernel (the harness fails the boot on any report and
 * runs kmemleak after the last suite), and a module load or unload racing
 * with the teardown either succeeds or is refused cleanly.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "nexus_ns.h"
#include "stream_util.h"

/* Unload within @ms: every socket (each pins the module) is gone by then. */
static int rmmod_within(int ms)
{
	int i;

	for (i = 0; i < ms / 10; i++) {
		if (!nx_rmmod())
			return 0;
		nx_msleep(10);
	}
	return nx_rmmod();
}

struct live {
	int l, q, p, bl, r, d, a, b, e;
	unsigned int port, dport;
	pthread_t t[3];
};

static void *blocked_accept(void *arg)
{
	struct live *s = arg;

	accept(s->e, NULL, NULL);
	return NULL;
}

static void *blocked_recv(void *arg)
{
	struct live *s = arg;
	char c[2000];

	while (recv(s->b, c, sizeof(c), 0) > 0)
		;
	return NULL;
}

static void *blocked_connect(void *arg)
{
	struct live *s = arg;

	nx_connect(s->bl, NEXUS_NODE_LOCAL, s->port);
	return NULL;
}

/*
 * In the caller's (new) namespace: a listener with one queued and one
 * pending connection, a datagram receiver with queued datagrams, a
 * connected stream pair with unread data both ways; with @blocked, threads
 * sleep in accept(), recv() and a blocking connect() queued as pending.
 * Returns 0 or the failed step's line.
 */
static int make_live(struct live *s, bool blocked)
{
	char buf[1000];
	int i;

	memset(buf, 'q', sizeof(buf));
	s->l = nx_listener(SOCK_STREAM, 0, &s->port);
	if (s->l < 0)
		return __LINE__;
	s->q = nx_socket(SOCK_STREAM);
	if (s->q < 0 || nx_connect(s->q, NEXUS_NODE_LOCAL, s->port))
		return __LINE__;					/* queued */
	s->p = nx_socket(SOCK_STREAM | SOCK_NONBLOCK);
	if (s->p < 0 || nx_connect(s->p, NEXUS_NODE_LOCAL, s->port) != -1 ||
	    errno != EINPROGRESS)
		return __LINE__;					/* pending */
	s->r = nx_socket(SOCK_DGRAM);
	s->d = nx_socket(SOCK_DGRAM);
	if (s->r < 0 || s->d < 0 || nx_bind(s->r, 0, 0))
		return __LINE__;
	s->dport = nx_port(s->r);
	if (nx_connect(s->d, NEXUS_NODE_LOCAL, s->dport))
		return __LINE__;
	for (i = 0; i < 8; i++)
		if (send(s->d, buf, sizeof(buf), MSG_DONTWAIT) != sizeof(buf))
			return __LINE__;				/* queued */
	if (nx_pair(SOCK_SEQPACKET, &s->a, &s->b) ||
	    send(s->a, buf, sizeof(buf), 0) != sizeof(buf) ||
	    send(s->b, buf, 10, 0) != 10)
		return __LINE__;					/* unread */
	if (!blocked)
		return 0;
	s->e = nx_socket(SOCK_STREAM);
	s->bl = nx_socket(SOCK_STREAM);
	if (s->e < 0 || s->bl < 0 || listen(s->e, 4))
		return __LINE__;
	if (pthread_create(&s->t[0], NULL, blocked_accept, s) ||
	    pthread_create(&s->t[1], NULL, blocked_recv, s) ||
	    pthread_create(&s->t[2], NULL, blocked_connect, s))
		return __LINE__;
	nx_msleep(20);		/* let them sleep */
	return 0;
}

/* Child: a new namespace full of live state, then exit (or be killed). */
static int live_ns_child(bool blocked, bool wait_kill)
{
	struct live s;
	int r;

	memset(&s, -1, sizeof(s));
	if (unshare(CLONE_NEWNET))
		return 1;
	r = make_live(&s, blocked);
	if (r)
		return r;
	if (wait_kill)
		pause();
	return 0;
}

static int ns_live_exit(void *arg)
{
	return live_ns_child(false, false);
}

static int ns_blocked_exit(void *arg)
{
	return live_ns_child(true, false);
}

/* Namespaces die with live listeners, pending and queued connections and datagrams. */
TEST(netns_teardown_with_live_sockets)
{
	int i;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, nx_run(ns_live_exit, NULL)) TH_LOG("round %d", i);
		ASSERT_EQ(0, nx_run(ns_blocked_exit, NULL)) TH_LOG("round %d", i);
	}
	/* Every socket of those namespaces is gone: the module unloads. */
	ASSERT_EQ(0, rmmod_within(10000));
	ASSERT_EQ(0, nx_insmod(NULL));
}

/* The process is killed while its threads sleep in the family's calls. */
TEST(netns_teardown_killed_with_blocked_callers)
{
	int i, status;
	pid_t pid;

	for (i = 0; i < 10; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			_exit(live_ns_child(true, true));
		nx_msleep(100 + 20 * i);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("round %d: status 0x%x", i, status);
	}
	ASSERT_EQ(0, rmmod_within(10000));
	ASSERT_EQ(0, nx_insmod(NULL));
}

/*
 * Background: namespaces created and torn down in a loop, each with live
 * sockets when the module is there; socket() may only succeed or say
 * EAFNOSUPPORT (the module is being unloaded). Exit status: 0, or the line.
 */
static int churn(volatile int *stop)
{
	struct live s;
	int r, n = 0;
	pid_t pid;

	while (!*stop) {
		pid = fork();
		if (pid < 0)
			return __LINE__;
		if (pid == 0) {
			memset(&s, -1, sizeof(s));
			if (unshare(CLONE_NEWNET))
				_exit(__LINE__);
			r = nx_socket(SOCK_DGRAM);
			if (r < 0)
				_exit(errno == EAFNOSUPPORT ? 0 : __LINE__);
			close(r);
			/* The module may go in between: only a socket() errno is checked. */
			make_live(&s, n % 2);
			_exit(0);
		}
		r = nx_wait(pid);
		if (r) {
			fprintf(stderr, "# churn child failed at line %d\n", r);
			return r;
		}
		n++;
	}
	fprintf(stderr, "# %d namespaces torn down meanwhile\n", n);
	return 0;
}

FIXTURE(module)
{
	volatile int *stop;
};

FIXTURE_SETUP(module)
{
	self->stop = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->stop);
	*self->stop = 0;
}

FIXTURE_TEARDOWN(module)
{
	if (!nx_module_loaded())	/* never leave the next suite without it */
		nx_insmod(NULL);
	munmap((void *)self->stop, sizeof(int));
}

/*
 * Unload and load in a loop while another process keeps creating and
 * tearing down namespaces with live sockets: an unload waits out (or is
 * refused by) the sockets, never races the namespace exit into a report.
 */
TEST_F_TIMEOUT(module, insmod_rmmod_during_netns_teardown, 280)
{
	int i, unloaded = 0, refused = 0, err;
	time_t end = time(NULL) + 60;	/* the debug kernel under TCG is slow */
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(churn(self->stop));
	for (i = 0; i < 60 && time(NULL) < end; i++) {
		err = nx_rmmod();
		if (err) {
			/* Sockets of a namespace alive: refused, still loaded. */
			EXPECT_TRUE(err == -EWOULDBLOCK || err == -EAGAIN || err == -EBUSY)
				TH_LOG("round %d: rmmod: %s", i, strerror(-err));
			EXPECT_TRUE(nx_module_loaded());
			refused++;
			nx_msleep(5);
			continue;
		}
		unloaded++;
		nx_msleep(i % 5);
		ASSERT_EQ(0, nx_insmod(NULL)) TH_LOG("round %d", i);
	}
	*self->stop = 1;
	ASSERT_EQ(0, nx_wait(pid));
	TH_LOG("%d unloads, %d refused while sockets were alive", unloaded, refused);
	EXPECT_LT(0, unloaded);
	/* Nothing left behind by the dead namespaces. */
	ASSERT_EQ(0, rmmod_within(10000));
	ASSERT_EQ(0, nx_insmod(NULL));
}

TEST_HARNESS_MAIN
