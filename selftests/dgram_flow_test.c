// SPDX-License-Identifier: GPL-2.0
/*
 * SOCK_DGRAM flow control: the receive queue bound (dgram_qlen and
 * SO_RCVBUF), SO_SNDBUF on the sender, blocking and non-blocking senders,
 * SO_SNDTIMEO, signals, poll() on a connected sender, a peer closing under
 * sleeping senders, the receiver's SO_RCVBUF raised under sleeping senders
 * and poll()ers, and many concurrent senders to one slow receiver.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "nexus_util.h"
#include "waiter.h"

#define QLEN_SYSCTL	"/proc/sys/net/nexus/dgram_qlen"
#define DEFAULT_QLEN	512

static int dg_bound(void)
{
	int fd = nx_socket(SOCK_DGRAM);

	if (fd < 0 || nx_bind(fd, NEXUS_NODE_ANY, 0)) {
		perror("dg_bound");
		abort();
	}
	return fd;
}

static ssize_t dg_sendto(int fd, unsigned int port, const void *buf,
			 size_t len, int flags)
{
	struct sockaddr_nx sa = nx_addr(0, port);

	return sendto(fd, buf, len, flags, (struct sockaddr *)&sa, sizeof(sa));
}

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

static short poll_events(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, timeout_ms) < 0)
		return -1;
	return p.revents;
}

/* Send @len-byte datagrams without waiting until refused; the count. */
static int fill(int fd, unsigned int port, size_t len)
{
	static char buf[2048];
	int n = 0;

	while (dg_sendto(fd, port, buf, len, MSG_DONTWAIT) == (ssize_t)len)
		n++;
	return errno == EAGAIN ? n : -errno;
}

/* Receive without waiting until empty; the count. */
static int drain(int fd)
{
	char buf[2048];
	int n = 0;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		n++;
	return errno == EAGAIN ? n : -errno;
}

/* The namespace's dgram_qlen: the sysctl when there is one. */
static int qlen(void)
{
	char buf[32];

	if (nx_read_file(QLEN_SYSCTL, buf, sizeof(buf)) > 0)
		return atoi(buf);
	return DEFAULT_QLEN;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	       (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

FIXTURE(flow)
{
	int rcv;
	unsigned int port;
	int snd;		/* connected to rcv */
};

FIXTURE_SETUP(flow)
{
	self->rcv = dg_bound();
	self->port = nx_port(self->rcv);
	self->snd = nx_socket(SOCK_DGRAM);
	ASSERT_LE(0, self->snd);
	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
}

FIXTURE_TEARDOWN(flow)
{
	close(self->rcv);
	close(self->snd);
}

/* ---- the bound ---- */

TEST_F(flow, rcvbuf_bounds_receiver)
{
	int n, rcvbuf, again;

	ASSERT_EQ(0, set_int(self->rcv, SOL_SOCKET, SO_RCVBUF, 8192));
	rcvbuf = nx_get_int(self->rcv, SOL_SOCKET, SO_RCVBUF);
	n = fill(self->snd, self->port, 1000);
	ASSERT_LT(0, n);
	/* truesize > payload: fewer than rcvbuf / payload fit */
	EXPECT_GE(rcvbuf / 1000, n);
	EXPECT_EQ(-1, send(self->snd, "x", 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	/* Nothing was lost: exactly n are there. */
	EXPECT_EQ(n, drain(self->rcv));
	/* Room again. */
	again = fill(self->snd, self->port, 1000);
	EXPECT_EQ(n, again);
}

/* An empty queue takes even a datagram larger than its buffer. */
TEST_F(flow, empty_queue_takes_oversized)
{
	static char big[60000];

	ASSERT_EQ(0, set_int(self->rcv, SOL_SOCKET, SO_RCVBUF, 1024));
	EXPECT_EQ(sizeof(big), send(self->snd, big, sizeof(big), MSG_DONTWAIT));
	EXPECT_EQ(-1, send(self->snd, big, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(sizeof(big), recv(self->rcv, big, sizeof(big), 0));
}

/* The length bound: dgram_qlen datagrams, whatever the buffers. */
TEST_F(flow, qlen_bounds_receiver)
{
	int limit = qlen(), n;

	if (set_int(self->rcv, SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20) ||
	    set_int(self->snd, SOL_SOCKET, SO_SNDBUFFORCE, 64 << 20))
		SKIP(return, "SO_RCVBUFFORCE needs CAP_NET_ADMIN");
	n = fill(self->snd, self->port, 0);
	EXPECT_EQ(limit, n);
	EXPECT_EQ(limit, drain(self->rcv));
}

/* With the sysctl (added on another branch): a small dgram_qlen. */
TEST_F(flow, qlen_sysctl)
{
	char saved[32];
	int n;

	if (nx_read_file(QLEN_SYSCTL, saved, sizeof(saved)) <= 0)
		SKIP(return, "no net.nexus.dgram_qlen sysctl");
	ASSERT_EQ(0, nx_write_file(QLEN_SYSCTL, "5"));
	n = fill(self->snd, self->port, 1);
	nx_write_file(QLEN_SYSCTL, saved);
	EXPECT_EQ(5, n);
	EXPECT_EQ(5, drain(self->rcv));
}

/* SO_SNDBUF limits a sender before the receiver is full. */
TEST_F(flow, sndbuf_limits_sender)
{
	int n, outq = -1, sndbuf, other = nx_socket(SOCK_DGRAM);

	ASSERT_EQ(0, set_int(self->snd, SOL_SOCKET, SO_SNDBUF, 4096));
	sndbuf = nx_get_int(self->snd, SOL_SOCKET, SO_SNDBUF);
	n = fill(self->snd, self->port, 1000);
	ASSERT_LT(0, n);
	EXPECT_GE(sndbuf / 1000 + 1, n);
	ASSERT_EQ(0, ioctl(self->snd, SIOCOUTQ, &outq));
	EXPECT_LT(sndbuf / 2, outq);
	EXPECT_GE(2 * sndbuf, outq);
	/* The receiver still has room for others. */
	EXPECT_EQ(1000, dg_sendto(other, self->port, "", 1000, MSG_DONTWAIT));
	EXPECT_EQ(n + 1, drain(self->rcv));
	ASSERT_EQ(0, ioctl(self->snd, SIOCOUTQ, &outq));
	EXPECT_EQ(0, outq);
	close(other);
}

/* ---- blocking senders ---- */

/*
 * The receiver's buffer down to 4 KiB and filled by @fd (100-byte
 * datagrams to @port): 0, or the step that failed.
 */
static int fill_small(int rcv, int fd, unsigned int port)
{
	if (set_int(rcv, SOL_SOCKET, SO_RCVBUF, 4096))
		return 1;
	return fill(fd, port, 100) > 0 ? 0 : 2;
}

/* Start @fn(@arg); 200 ms later it must still sleep (@done unset). */
static int start_sleeper(pthread_t *th, void *(*fn)(void *), void *arg,
			 volatile int *done)
{
	if (pthread_create(th, NULL, fn, arg))
		return 1;
	usleep(200000);
	return *done ? 2 : 0;
}

struct sender {
	int fd;
	unsigned int port;	/* 0: send(), else sendto() */
	int flags;
	volatile int done;
	long ret;
};

static void *send_thread(void *arg)
{
	struct sender *s = arg;
	ssize_t r;

	if (s->port)
		r = dg_sendto(s->fd, s->port, "blocked", 7, s->flags);
	else
		r = send(s->fd, "blocked", 7, s->flags);
	s->ret = r < 0 ? -errno : r;
	s->done = 1;
	return NULL;
}

static int wait_done(struct sender *s, int ms)
{
	while (!s->done && ms-- > 0)
		usleep(1000);
	return s->done;
}

/* After wait_done(): join the sender thread; its send()'s result. */
static long sender_ret(pthread_t th, struct sender *s)
{
	pthread_join(th, NULL);
	return s->ret;
}

/* Close the receiver (waking its senders) and bind a fresh one. */
static void replace_receiver(FIXTURE_DATA(flow) *self)
{
	close(self->rcv);
	self->rcv = dg_bound();
}

TEST_F(flow, blocking_sender_woken_by_drain)
{
	struct sender s = { .fd = self->snd };
	char buf[16];
	pthread_t th;

	ASSERT_EQ(0, fill_small(self->rcv, self->snd, self->port));
	ASSERT_EQ(0, start_sleeper(&th, send_thread, &s, &s.done));
	ASSERT_EQ(100, recv(self->rcv, buf, sizeof(buf), MSG_TRUNC));
	EXPECT_TRUE(wait_done(&s, 5000));
	EXPECT_EQ(7, sender_ret(th, &s));
}

TEST_F(flow, peer_close_wakes_sleeping_sender)
{
	struct sender s = { .fd = self->snd };
	int outq = -1;
	pthread_t th;

	ASSERT_EQ(0, fill_small(self->rcv, self->snd, self->port));
	ASSERT_EQ(0, start_sleeper(&th, send_thread, &s, &s.done));
	replace_receiver(self);
	EXPECT_TRUE(wait_done(&s, 5000));
	EXPECT_EQ(-ECONNREFUSED, sender_ret(th, &s));
	/* The sender's memory came back with the receiver's queue. */
	ASSERT_EQ(0, ioctl(self->snd, SIOCOUTQ, &outq));
	EXPECT_EQ(0, outq);
}

/* An unconnected sender (sendto) sleeping on a receiver that closes. */
TEST_F(flow, receiver_close_wakes_sendto_sender)
{
	int other = nx_socket(SOCK_DGRAM);
	struct sender s = { .fd = other, .port = self->port };
	pthread_t th;

	ASSERT_EQ(0, fill_small(self->rcv, other, self->port));
	ASSERT_EQ(0, start_sleeper(&th, send_thread, &s, &s.done));
	replace_receiver(self);
	EXPECT_TRUE(wait_done(&s, 5000));
	EXPECT_EQ(-ECONNREFUSED, sender_ret(th, &s));
	close(other);
}

/* shutdown(SHUT_RD) of the receiver turns a sleeping send into EPIPE. */
TEST_F(flow, receiver_shutdown_wakes_sender)
{
	struct sender s = { .fd = self->snd };
	pthread_t th;

	ASSERT_EQ(0, fill_small(self->rcv, self->snd, self->port));
	ASSERT_EQ(0, start_sleeper(&th, send_thread, &s, &s.done));
	ASSERT_EQ(0, shutdown(self->rcv, SHUT_RD));
	EXPECT_TRUE(wait_done(&s, 5000));
	EXPECT_EQ(-EPIPE, sender_ret(th, &s));
}

TEST_F(flow, sndtimeo_eagain)
{
	struct timeval tv = { .tv_usec = 100000 };
	struct timespec t0;

	ASSERT_EQ(0, fill_small(self->rcv, self->snd, self->port));
	ASSERT_EQ(0, setsockopt(self->snd, SOL_SOCKET, SO_SNDTIMEO, &tv,
				sizeof(tv)));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(-1, send(self->snd, "x", 1, 0));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LE(TIMEO_100MS_MIN_MS, elapsed_ms(&t0));
}

static void on_usr1(int sig)
{
}

TEST_F(flow, signal_interrupts_sleeping_sender)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	struct sender s = { .fd = self->snd };
	pthread_t th;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, fill_small(self->rcv, self->snd, self->port));
	ASSERT_EQ(0, start_sleeper(&th, send_thread, &s, &s.done));
	pthread_kill(th, SIGUSR1);
	EXPECT_TRUE(wait_done(&s, 5000));
	EXPECT_EQ(-EINTR, sender_ret(th, &s));
}

/* ---- poll() on a connected sender ---- */

struct poller {
	int fd;
	volatile int done;
	short revents;
};

static void *poll_thread(void *arg)
{
	struct poller *p = arg;

	p->revents = poll_events(p->fd, POLLOUT, 10000);
	p->done = 1;
	return NULL;
}

TEST_F(flow, pollout_follows_peer_room)
{
	struct poller p = { .fd = self->snd };
	int other = nx_socket(SOCK_DGRAM);
	char buf[128];
	pthread_t th;

	EXPECT_EQ(POLLOUT, poll_events(self->snd, POLLOUT, 0));
	ASSERT_EQ(0, fill_small(self->rcv, self->snd, self->port));
	EXPECT_EQ(0, poll_events(self->snd, POLLOUT, 0));
	/* An unconnected socket cannot know its target: POLLOUT. */
	EXPECT_EQ(POLLOUT, poll_events(other, POLLOUT, 0));
	close(other);
	/* A poll()er sleeping for POLLOUT is woken by the drain. */
	ASSERT_EQ(0, start_sleeper(&th, poll_thread, &p, &p.done));
	ASSERT_EQ(100, recv(self->rcv, buf, sizeof(buf), 0));
	pthread_join(th, NULL);
	EXPECT_EQ(POLLOUT, p.revents);
	EXPECT_EQ(1, send(self->snd, "x", 1, MSG_DONTWAIT));
}

TEST_F(flow, pollout_when_peer_closes)
{
	struct poller p = { .fd = self->snd };
	pthread_t th;

	ASSERT_EQ(0, fill_small(self->rcv, self->snd, self->port));
	ASSERT_EQ(0, start_sleeper(&th, poll_thread, &p, &p.done));
	replace_receiver(self);
	pthread_join(th, NULL);
	EXPECT_TRUE(p.revents & POLLERR);
	/* A send would not block (it fails): writable. */
	EXPECT_TRUE(poll_events(self->snd, POLLOUT, 0) & POLLOUT);
}

TEST_F(flow, pollout_after_reconnect)
{
	struct poller p = { .fd = self->snd };
	int other = dg_bound();
	pthread_t th;

	ASSERT_EQ(0, fill_small(self->rcv, self->snd, self->port));
	ASSERT_EQ(0, start_sleeper(&th, poll_thread, &p, &p.done));
	ASSERT_EQ(0, nx_connect(self->snd, 0, nx_port(other)));
	pthread_join(th, NULL);
	EXPECT_EQ(POLLOUT, p.revents);
	close(other);
}

/* ---- many senders, one slow receiver ---- */

#define NTHREADS	8
#define PER_THREAD	1500

struct seq_msg {
	unsigned int id;
	unsigned int seq;
	char pad[200];
};

struct tsender {
	int fd;
	unsigned int port;
	unsigned int id;
	int failures;
};

static void *seq_thread(void *arg)
{
	struct tsender *t = arg;
	struct seq_msg m = { .id = t->id };

	for (m.seq = 0; m.seq < PER_THREAD; m.seq++)
		if (dg_sendto(t->fd, t->port, &m, sizeof(m), 0) != sizeof(m))
			t->failures++;
	return NULL;
}

/* Check order per sender and count; returns the datagrams received. */
static int receive_all(int fd, unsigned int *next, int nsenders, int total,
		       int *bad)
{
	struct seq_msg m;
	int got = 0;

	while (got < total) {
		ssize_t r = recv(fd, &m, sizeof(m), 0);

		if (r != sizeof(m) || m.id >= (unsigned int)nsenders ||
		    m.seq != next[m.id]) {
			(*bad)++;
			if (r < 0)
				break;
			continue;
		}
		next[m.id]++;
		got++;
		if (!(got % 64))
			usleep(500);	/* slow */
	}
	return got;
}

FIXTURE(many)
{
};

FIXTURE_SETUP(many)
{
}

FIXTURE_TEARDOWN(many)
{
}

TEST_F_TIMEOUT(many, threads_one_slow_receiver, 180)
{
	struct tsender t[NTHREADS];
	pthread_t th[NTHREADS];
	unsigned int next[NTHREADS] = {};
	struct timeval tv = { .tv_sec = 30 };
	int rcv = dg_bound(), bad = 0, i, got;

	ASSERT_EQ(0, set_int(rcv, SOL_SOCKET, SO_RCVBUF, 16384));
	ASSERT_EQ(0, setsockopt(rcv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	for (i = 0; i < NTHREADS; i++) {
		t[i].fd = nx_socket(SOCK_DGRAM);
		t[i].port = nx_port(rcv);
		t[i].id = i;
		t[i].failures = 0;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, seq_thread, &t[i]));
	}
	got = receive_all(rcv, next, NTHREADS, NTHREADS * PER_THREAD, &bad);
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, t[i].failures);
		EXPECT_EQ(PER_THREAD, next[i]);
		close(t[i].fd);
	}
	EXPECT_EQ(NTHREADS * PER_THREAD, got);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(-1, recv(rcv, &got, sizeof(got), MSG_DONTWAIT));
	close(rcv);
}

#define NPROCS		4
#define PER_PROC	500

/*
 * Processes this time, so that they can be stopped: every so often the
 * receiver stops all senders, drains what is queued without waiting and
 * checks that it never exceeded the bound (dgram_qlen datagrams and the
 * receive buffer), then lets them go on.
 */
TEST_F_TIMEOUT(many, processes_bounded_queue, 180)
{
	unsigned int next[NPROCS] = {};
	pid_t pids[NPROCS];
	int exited[NPROCS] = {}, estatus[NPROCS] = {};
	int rcv = dg_bound(), i, got = 0, bad = 0, rcvbuf, max_seen = 0;
	unsigned int port = nx_port(rcv);
	struct seq_msg m;

	ASSERT_EQ(0, set_int(rcv, SOL_SOCKET, SO_RCVBUF, 8192));
	rcvbuf = nx_get_int(rcv, SOL_SOCKET, SO_RCVBUF);
	for (i = 0; i < NPROCS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			int fd = nx_socket(SOCK_DGRAM);
			struct seq_msg sm = { .id = i };

			for (sm.seq = 0; sm.seq < PER_PROC; sm.seq++) {
				ssize_t r;

				do {
					r = dg_sendto(fd, port, &sm, sizeof(sm), 0);
				} while (r < 0 && errno == EINTR);
				if (r != sizeof(sm))
					_exit(1);
			}
			_exit(0);
		}
	}

	for (;;) {
		int burst = 0, running = 0;

		usleep(20000);		/* let the queue fill up */
		/* Stop every sender and make sure it has stopped. */
		for (i = 0; i < NPROCS; i++) {
			if (exited[i])
				continue;
			kill(pids[i], SIGSTOP);
			if (waitpid(pids[i], &estatus[i], WUNTRACED) != pids[i] ||
			    !WIFSTOPPED(estatus[i]))
				exited[i] = 1;
			else
				running++;
		}
		for (;;) {
			ssize_t r = recv(rcv, &m, sizeof(m), MSG_DONTWAIT);

			if (r < 0)
				break;
			if (r != sizeof(m) || m.id >= NPROCS ||
			    m.seq != next[m.id]) {
				bad++;
				break;
			}
			next[m.id]++;
			burst++;
		}
		got += burst;
		if (burst > max_seen)
			max_seen = burst;
		for (i = 0; i < NPROCS; i++)
			if (!exited[i])
				kill(pids[i], SIGCONT);
		if (bad || (!running && !burst))
			break;
	}
	for (i = 0; i < NPROCS; i++) {
		if (!exited[i]) {	/* gave up early: clean up */
			kill(pids[i], SIGKILL);
			waitpid(pids[i], &estatus[i], 0);
		}
		EXPECT_TRUE(WIFEXITED(estatus[i]));
		EXPECT_EQ(0, WEXITSTATUS(estatus[i]));
		EXPECT_EQ(PER_PROC, next[i]);
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(NPROCS * PER_PROC, got);
	/* Never more than the bound was queued. */
	EXPECT_LT(0, max_seen);
	EXPECT_GE(qlen(), max_seen);
	EXPECT_GE(rcvbuf, max_seen * (int)sizeof(m));
	close(rcv);
}

/* ---- SO_RCVBUF and dgram_qlen changed under sleeping senders ---- */

/*
 * Start @w, a waiter of @kind on the sender @fd, which must not be
 * writable: a blocking send(), poll(POLLOUT), or epoll EPOLLOUT|EPOLLET.
 * 200 ms later it must still sleep.
 */
static void sleep_waiter(struct __test_metadata *_metadata, struct waiter *w,
			 enum waiter_kind kind, int fd)
{
	struct epoll_event ev;

	ASSERT_EQ(0, poll_events(fd, POLLOUT, 0));
	ASSERT_EQ(0, waiter_prepare(w, kind, fd));
	/* not writable now: no event pending */
	if (w->epfd >= 0)
		ASSERT_EQ(0, epoll_wait(w->epfd, &ev, 1, 0));
	ASSERT_EQ(0, pthread_create(&w->thread, NULL, waiter_main, w));
	usleep(200000);		/* let it sleep */
	ASSERT_EQ(-1, waiter_wait(w, 0)) TH_LOG("did not sleep");
}

/* End @w: an empty queue on @rcv takes a datagram, so every waiter ends. */
static void end_waiter(struct waiter *w, int rcv)
{
	drain(rcv);
	if (waiter_wait(w, 5000) != -1)
		pthread_join(w->thread, NULL);
	if (w->epfd >= 0)
		close(w->epfd);
}

FIXTURE(rcvbuf_wake)
{
	int rcv, snd;		/* snd is connected to rcv */
	unsigned int port;
	struct waiter w;
};

WAITER_VARIANTS(rcvbuf_wake);

/*
 * The receiver's SO_RCVBUF small and its queue filled by the connected
 * sender until EAGAIN; then a waiter of the variant's kind sleeps on the
 * sender (a blocking send(), poll(POLLOUT), or epoll EPOLLOUT|EPOLLET).
 */
FIXTURE_SETUP(rcvbuf_wake)
{
	self->w.epfd = -1;
	self->rcv = dg_bound();
	self->port = nx_port(self->rcv);
	self->snd = nx_socket(SOCK_DGRAM);
	ASSERT_LE(0, self->snd);
	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	ASSERT_EQ(0, fill_small(self->rcv, self->snd, self->port));
	sleep_waiter(_metadata, &self->w, variant->kind, self->snd);
}

FIXTURE_TEARDOWN(rcvbuf_wake)
{
	end_waiter(&self->w, self->rcv);
	close(self->rcv);
	close(self->snd);
}

/* The waiter finished within WAKE_MS of @t0 and saw room. */
static void expect_woken(struct __test_metadata *_metadata,
			 struct waiter *w, long t0)
{
	long t = waiter_wait(w, 2000);

	ASSERT_NE(-1, t) TH_LOG("the sender was not woken");
	TH_LOG("woken after %ld ms", t - t0);
	EXPECT_GT(WAKE_MS, t - t0);
	switch (w->kind) {
	case W_SEND:
		EXPECT_EQ(1, w->result) TH_LOG("errno %d", w->err);
		break;
	case W_POLL:
		EXPECT_EQ(POLLOUT, w->result);
		break;
	case W_EPOLL_ET:
		EXPECT_TRUE(w->result & EPOLLOUT);
		break;
	}
}

/* A larger SO_RCVBUF on the receiver makes room without any read. */
TEST_F(rcvbuf_wake, raised)
{
	long t0 = now_ms();

	ASSERT_EQ(0, set_int(self->rcv, SOL_SOCKET, SO_RCVBUF, 1 << 20));
	expect_woken(_metadata, &self->w, t0);
	EXPECT_EQ(POLLOUT, poll_events(self->snd, POLLOUT, 0));
}

/* A smaller SO_RCVBUF makes no room: no wake-up, no POLLOUT. */
TEST_F(rcvbuf_wake, lowered_no_wake)
{
	ASSERT_EQ(0, set_int(self->rcv, SOL_SOCKET, SO_RCVBUF, 1));
	EXPECT_EQ(-1, waiter_wait(&self->w, 200)) TH_LOG("woken, no room");
	EXPECT_EQ(0, poll_events(self->snd, POLLOUT, 0));
	/* Set to the same size again: still nothing. */
	ASSERT_EQ(0, set_int(self->rcv, SOL_SOCKET, SO_RCVBUF, 1));
	EXPECT_EQ(-1, waiter_wait(&self->w, 200)) TH_LOG("woken, no room");
}

/*
 * net.nexus.dgram_qlen at 4 and the connected sender's receiver holding 4
 * datagrams (its buffer has room); a waiter of the variant's kind sleeps on
 * the sender. The old value is restored afterwards (which wakes it).
 */
FIXTURE(qlen_wake)
{
	int rcv, snd;		/* snd is connected to rcv */
	unsigned int port;
	struct waiter w;
	char saved[32];		/* dgram_qlen before the test */
};

WAITER_VARIANTS(qlen_wake);

FIXTURE_SETUP(qlen_wake)
{
	self->w.epfd = -1;
	self->saved[0] = 0;
	self->rcv = dg_bound();
	self->port = nx_port(self->rcv);
	self->snd = nx_socket(SOCK_DGRAM);
	ASSERT_LE(0, self->snd);
	ASSERT_EQ(0, nx_connect(self->snd, 0, self->port));
	if (nx_read_file(QLEN_SYSCTL, self->saved, sizeof(self->saved)) <= 0)
		SKIP(return, "no net.nexus.dgram_qlen sysctl");
	ASSERT_EQ(0, nx_write_file(QLEN_SYSCTL, "4"));
	ASSERT_EQ(4, fill(self->snd, self->port, 1));
	sleep_waiter(_metadata, &self->w, variant->kind, self->snd);
}

FIXTURE_TEARDOWN(qlen_wake)
{
	if (self->saved[0])
		nx_write_file(QLEN_SYSCTL, self->saved);
	end_waiter(&self->w, self->rcv);
	close(self->rcv);
	close(self->snd);
}

/* A larger dgram_qlen makes room in every full queue: the sender wakes. */
TEST_F(qlen_wake, raised)
{
	long t0 = now_ms();

	ASSERT_EQ(0, nx_write_file(QLEN_SYSCTL, "5"));
	expect_woken(_metadata, &self->w, t0);
	/* the woken send() took the new room; poll()ers found it free */
	if (variant->kind == W_SEND) {
		EXPECT_EQ(0, poll_events(self->snd, POLLOUT, 0));
		EXPECT_EQ(5, drain(self->rcv));
	} else {
		EXPECT_EQ(POLLOUT, poll_events(self->snd, POLLOUT, 0));
		EXPECT_EQ(4, drain(self->rcv));
	}
}

/* A smaller one, or the same again, makes no room: no wake-up, no POLLOUT. */
TEST_F(qlen_wake, lowered_no_wake)
{
	ASSERT_EQ(0, nx_write_file(QLEN_SYSCTL, "2"));
	EXPECT_EQ(-1, waiter_wait(&self->w, 200)) TH_LOG("woken, no room");
	EXPECT_EQ(0, poll_events(self->snd, POLLOUT, 0));
	ASSERT_EQ(0, nx_write_file(QLEN_SYSCTL, "4"));
	EXPECT_EQ(-1, waiter_wait(&self->w, 200)) TH_LOG("woken, no room");
	EXPECT_EQ(0, poll_events(self->snd, POLLOUT, 0));
}

TEST_HARNESS_MAIN
