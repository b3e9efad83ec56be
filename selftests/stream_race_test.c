// SPDX-License-Identifier: GPL-2.0
/*
 * Races on stream and seqpacket sockets: many connecting threads against a
 * small backlog, connect against a closing listener, timeout expiry
 * against accept, a stale timeout against the next attempt, and a timed
 * stress of connect/accept/close/signals
 * (NEXUS_STRESS_SECS, default 60) for the sanitizers of the debug kernel
 * to watch. Correctness is asserted; speed never is.
 */
#include <stdatomic.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "stream_util.h"

FIXTURE(race)
{
	int dummy;
};

NX_CONN_TYPE_VARIANTS(race);

FIXTURE_SETUP(race)
{
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(race)
{
}

struct storm {
	int type;
	unsigned int port;
	int per_thread;
	atomic_int connected;
	atomic_int failed;
};

static void *storm_client(void *arg)
{
	struct storm *st = (struct storm *)arg;
	int i;

	for (i = 0; i < st->per_thread; i++) {
		int fd = nx_socket(st->type);
		char c = 'x';

		if (fd < 0 || nx_connect(fd, NEXUS_NODE_LOCAL, st->port) ||
		    send(fd, &c, 1, 0) != 1) {
			atomic_fetch_add(&st->failed, 1);
		} else {
			atomic_fetch_add(&st->connected, 1);
			/* wait for the server's close: EOF */
			recv(fd, &c, 1, 0);
		}
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

/* Many blocking connects against backlog 2; all complete, none is lost. */
TEST_F(race, many_threads_small_backlog)
{
	enum { THREADS = 16, EACH = 20 };
	struct storm st = { .type = variant->type, .per_thread = EACH };
	pthread_t t[THREADS];
	int l, i, accepted = 0;

	l = nx_listener(variant->type, 2, &st.port);
	ASSERT_LE(0, l);
	for (i = 0; i < THREADS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, storm_client, &st));
	while (accepted < THREADS * EACH) {
		int a = accept(l, NULL, NULL);
		char c;

		ASSERT_LE(0, a);
		ASSERT_EQ(1, recv(a, &c, 1, 0));
		close(a);
		accepted++;
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(THREADS * EACH, atomic_load(&st.connected));
	EXPECT_EQ(0, atomic_load(&st.failed));
	close(l);
}

static void close_listener(void *arg)
{
	close(*(int *)arg);
}

/*
 * Connects racing the listener's close (in another thread) end connected
 * then reset, refused while pending, or refused at once; never stuck.
 */
TEST_F(race, connect_vs_listener_close)
{
	enum { ROUNDS = 200, N = 4 };
	int r;

	for (r = 0; r < ROUNDS; r++) {
		unsigned int port = 0;
		int l = nx_listener(variant->type, 1, &port);
		int c[N], refused[N], i;
		struct nx_delayed d;

		ASSERT_LE(0, l);
		for (i = 0; i < N; i++) {
			c[i] = nx_socket(variant->type | SOCK_NONBLOCK);
			ASSERT_LE(0, c[i]);
		}
		ASSERT_EQ(0, nx_run_later(&d, r % 3, close_listener, &l));
		for (i = 0; i < N; i++) {
			int ret = nx_connect(c[i], NEXUS_NODE_LOCAL, port);

			refused[i] = ret && errno == ECONNREFUSED;
			ASSERT_TRUE(!ret || errno == EINPROGRESS || refused[i])
				TH_LOG("round %d: %s", r, strerror(errno));
		}
		nx_join(&d);
		for (i = 0; i < N; i++) {
			int err;

			if (!refused[i]) {
				ASSERT_TRUE(nx_poll(c[i], POLLOUT, 2000) & POLLOUT);
				err = nx_so_error(c[i]);
				ASSERT_TRUE(err == 0 || err == ECONNREFUSED ||
					    err == ECONNRESET) TH_LOG("err %d", err);
			}
			close(c[i]);
		}
	}
}

/* A connect timeout and accept() at the same moment: exactly one wins. */
TEST_F(race, timeout_vs_accept)
{
	enum { ROUNDS = 100 };
	int r, won = 0, timed_out = 0;

	for (r = 0; r < ROUNDS; r++) {
		unsigned int port = 0;
		int l = nx_listener(variant->type, 0, &port);
		int q = nx_socket(variant->type);
		int c = nx_socket(variant->type | SOCK_NONBLOCK);
		int a, err;

		ASSERT_EQ(0, nx_connect(q, NEXUS_NODE_LOCAL, port));
		ASSERT_EQ(0, nx_set_connect_timeout(c, 20));
		ASSERT_EQ(EINPROGRESS,
			  nx_connect_errno(c, NEXUS_NODE_LOCAL, port));
		nx_msleep(15 + r % 10);
		a = accept(l, NULL, NULL);	/* may promote c, or c timed out */
		ASSERT_LE(0, a);
		close(a);
		ASSERT_TRUE(nx_poll(c, POLLOUT, 2000) & POLLOUT);
		err = nx_so_error(c);
		if (err == 0) {
			/* It won: it must be in the accept queue now. */
			ASSERT_EQ(0, nx_set_nonblock(l, 1));
			a = accept(l, NULL, NULL);
			ASSERT_LE(0, a);
			EXPECT_EQ(nx_port(c), nx_peer_port(a));
			close(a);
			won++;
		} else {
			ASSERT_EQ(ETIMEDOUT, err);
			ASSERT_EQ(0, nx_set_nonblock(l, 1));
			EXPECT_EQ(-1, accept(l, NULL, NULL));
			EXPECT_EQ(EAGAIN, errno);
			timed_out++;
		}
		close(c);
		close(q);
		close(l);
	}
	TH_LOG("accept won %d, timeout won %d", won, timed_out);
}

/*
 * An observer for state_changes_seen_by_poll: polls the socket @fd names in
 * a loop, without waiting, and counts the masks the @phase of the round
 * does not allow (read after the poll: a phase only ever grows). @fd is -1
 * between rounds (the observer then acknowledges @gen in @idle_gen, so
 * that the round may close what it watched) and -2 to stop.
 */
enum { PH_PROMOTE = 1, PH_SHUT_WR, PH_CLOSE };

struct observer {
	atomic_int fd, phase;
	atomic_int gen, idle_gen;
	atomic_int bad;
	atomic_long polls;
};

static void *observer_main(void *arg)
{
	struct observer *o = arg;

	for (;;) {
		int g = atomic_load(&o->gen);
		struct pollfd p = {
			.fd = atomic_load(&o->fd), .events = POLLIN | POLLOUT,
		};
		short never = POLLNVAL;

		if (p.fd == -2)
			return NULL;
		if (p.fd < 0) {
			atomic_store(&o->idle_gen, g);
			sched_yield();
			continue;
		}
		if (poll(&p, 1, 0) < 0)
			p.revents = POLLNVAL;
		/* Before the peer's close: no error, no hang-up. */
		if (atomic_load(&o->phase) < PH_CLOSE)
			never |= POLLERR | POLLHUP;
		if (p.revents & never)
			atomic_fetch_add(&o->bad, 1);
		atomic_fetch_add(&o->polls, 1);
	}
}

/* Stop watching: when this returns, the observer no longer uses the fd. */
static void observer_idle(struct observer *o)
{
	int g = atomic_load(&o->gen) + 1;

	atomic_store(&o->fd, -1);
	atomic_store(&o->gen, g);
	while (atomic_load(&o->idle_gen) != g)
		sched_yield();
}

/*
 * A connecting socket goes through the states another thread's calls
 * give it while a thread of its own polls it: accept() promotes its
 * pending attempt (the accept queue of backlog 0 had no room), the server
 * end shuts down for writing, then closes. poll() never reports an error
 * or a hang-up before that close, the attempt is the next one accepted,
 * the shutdown reads as EOF and the close as POLLHUP. It is also what the
 * KCSAN kernel watches: each step writes the client's state, peer or
 * shutdown flags in the other thread while the observer reads them
 * without a lock. KCSAN samples (one access in kcsan.skip_watch is
 * watched, for microseconds), so under KCSAN the rounds go on for 60 s
 * rather than stopping at 2000.
 */
TEST_F_TIMEOUT(race, state_changes_seen_by_poll, 150)
{
	bool kcsan = !access("/sys/kernel/debug/kcsan", F_OK);
	time_t end = time(NULL) + (kcsan ? 60 : 30);
	struct observer o = { .fd = -1 };
	pthread_t th;
	int r;

	ASSERT_EQ(0, pthread_create(&th, NULL, observer_main, &o));
	for (r = 0; (kcsan || r < 2000) && time(NULL) < end; r++) {
		unsigned int port = 0;
		int l = nx_listener(variant->type, 0, &port);
		int q = nx_socket(variant->type);
		int c = nx_socket(variant->type | SOCK_NONBLOCK);
		int a, b;
		char x;

		ASSERT_LE(0, l);
		ASSERT_EQ(0, nx_connect(q, NEXUS_NODE_LOCAL, port));
		ASSERT_EQ(EINPROGRESS,
			  nx_connect_errno(c, NEXUS_NODE_LOCAL, port));
		atomic_store(&o.phase, PH_PROMOTE);
		atomic_store(&o.fd, c);
		a = accept(l, NULL, NULL);	/* q's; makes room: promotes c */
		ASSERT_LE(0, a);
		ASSERT_EQ(POLLOUT, nx_poll(c, POLLOUT, 2000) & POLLOUT);
		EXPECT_EQ(0, nx_so_error(c));
		b = accept(l, NULL, NULL);
		ASSERT_LE(0, b);
		EXPECT_EQ(nx_port(c), nx_peer_port(b));

		atomic_store(&o.phase, PH_SHUT_WR);
		ASSERT_EQ(0, shutdown(b, SHUT_WR));
		EXPECT_EQ(POLLIN, nx_poll(c, POLLIN, 2000) & POLLIN);
		EXPECT_EQ(0, recv(c, &x, 1, 0));

		atomic_store(&o.phase, PH_CLOSE);
		close(b);
		EXPECT_EQ(POLLHUP, nx_poll(c, POLLIN, 2000) & POLLHUP);
		observer_idle(&o);
		close(a);
		close(c);
		close(q);
		close(l);
	}
	atomic_store(&o.fd, -2);
	pthread_join(th, NULL);
	TH_LOG("%d rounds, %ld polls", r, atomic_load(&o.polls));
	EXPECT_EQ(0, atomic_load(&o.bad));
	EXPECT_LT(0, atomic_load(&o.polls));
}

static int unspec(int fd)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };

	return connect(fd, &sa, sizeof(sa));
}

/*
 * A timeout that fires just as its attempt is cancelled must not end the
 * socket's next attempt. Each round: an attempt with a 1 ms timeout,
 * cancelled at about the moment its timer fires (so the timeout work is
 * sometimes already running, beyond cancel_delayed_work()'s reach); then
 * at once an attempt without a timeout, which accept() establishes. That
 * one must succeed: never a stray ETIMEDOUT. The accept queue (backlog 0)
 * always holds one connection, so that every attempt has to wait: the
 * server end of the previous round's client, reset by its connect(AF_UNSPEC).
 */
TEST_F(race, stale_timeout_spares_next_attempt)
{
	enum { ROUNDS = 500 };
	struct timeval tv = { 2, 0 };
	int r, l, q, c, a, err, timer_won = 0;
	unsigned int port = 0;

	l = nx_listener(variant->type, 0, &port);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	q = nx_socket(variant->type);
	ASSERT_EQ(0, nx_connect(q, NEXUS_NODE_LOCAL, port));	/* queue full */
	c = nx_socket(variant->type | SOCK_NONBLOCK);
	ASSERT_LE(0, c);

	for (r = 0; r < ROUNDS; r++) {
		ASSERT_EQ(0, nx_set_connect_timeout(c, 1));
		ASSERT_EQ(EINPROGRESS,
			  nx_connect_errno(c, NEXUS_NODE_LOCAL, port))
			TH_LOG("round %d", r);
		usleep((r % 9) * 500);	/* about when the 1 ms timer fires */
		ASSERT_EQ(0, unspec(c));
		err = nx_so_error(c);
		ASSERT_TRUE(err == 0 || err == ETIMEDOUT) TH_LOG("err %d", err);
		timer_won += err == ETIMEDOUT;

		ASSERT_EQ(0, nx_set_connect_timeout(c, 0));
		ASSERT_EQ(EINPROGRESS,
			  nx_connect_errno(c, NEXUS_NODE_LOCAL, port))
			TH_LOG("round %d", r);
		usleep((r % 3) * 1000);
		a = accept(l, NULL, NULL);	/* establishes c */
		ASSERT_LE(0, a) TH_LOG("round %d: %s", r, strerror(errno));
		close(a);
		ASSERT_TRUE(nx_poll(c, POLLOUT, 2000) & POLLOUT);
		ASSERT_EQ(0, nx_so_error(c)) TH_LOG("round %d: a stray timeout", r);
		ASSERT_EQ(port, nx_peer_port(c));
		ASSERT_EQ(0, unspec(c));	/* its server end stays queued */
	}
	TH_LOG("%d rounds, the 1 ms timer won %d of the cancellations", ROUNDS,
	       timer_won);
	close(c);
	close(q);
	close(l);
}

/* ---- a send() waiting for a pending attempt, and its wakers ---- */

struct pend {
	int l;
	int a;		/* accept()'s result */
};

static void pend_accept(void *arg)
{
	struct pend *p = (struct pend *)arg;

	p->a = accept(p->l, NULL, NULL);
}

static void pend_close_listener(void *arg)
{
	struct pend *p = (struct pend *)arg;

	close(p->l);
}

/*
 * A blocking send() on a socket whose attempt is pending waits for it
 * (nexus_send_wait_connected()); accept() establishing the attempt wakes
 * it, and so does the listener's close refusing it. SO_SNDTIMEO of 10 s
 * turns a lost wake-up into EAGAIN instead of a hang.
 */
TEST_F(race, send_waits_for_pending_attempt)
{
	struct timeval tv = { 10, 0 };
	struct pend p = { .a = -1 };
	struct nx_delayed d;
	unsigned int port = 0;
	int q, c, round;
	char ch = 'x';

	for (round = 0; round < 2; round++) {
		p.l = nx_listener(variant->type, 0, &port);
		ASSERT_LE(0, p.l);
		q = nx_socket(variant->type);
		ASSERT_EQ(0, nx_connect(q, NEXUS_NODE_LOCAL, port)); /* full */
		c = nx_socket(variant->type | SOCK_NONBLOCK);
		ASSERT_LE(0, c);
		ASSERT_EQ(EINPROGRESS,
			  nx_connect_errno(c, NEXUS_NODE_LOCAL, port));
		ASSERT_EQ(0, nx_set_nonblock(c, 0));
		ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv,
					sizeof(tv)));
		if (round == 0) {
			/* Accepting q's server end promotes c. */
			ASSERT_EQ(0, nx_run_later(&d, 200, pend_accept, &p));
			EXPECT_EQ(1, send(c, &ch, 1, MSG_NOSIGNAL))
				TH_LOG("%s", strerror(errno));
			nx_join(&d);
			ASSERT_LE(0, p.a);
			close(p.a);
			close(p.l);
		} else {
			ASSERT_EQ(0, nx_run_later(&d, 200, pend_close_listener,
						  &p));
			EXPECT_EQ(-1, send(c, &ch, 1, MSG_NOSIGNAL));
			EXPECT_EQ(ECONNREFUSED, errno) TH_LOG("%s",
							    strerror(errno));
			nx_join(&d);
		}
		close(c);
		close(q);
	}
}

/* ---- a send() waiting for room while its own socket is dissolved ---- */

struct own {
	int fd;
	unsigned int port;	/* reconnect there when non-zero */
	int err;		/* of the dissolve and the reconnect */
};

static void own_dissolve(void *arg)
{
	struct own *o = (struct own *)arg;

	o->err = unspec(o->fd);
	if (!o->err && o->port)
		o->err = nx_connect(o->fd, NEXUS_NODE_LOCAL, o->port);
}

/*
 * A send() blocked for room in its peer's full queue while another thread
 * dissolves the socket (connect(AF_UNSPEC)), and in the second round at
 * once connects it elsewhere: the connection the send began on is over,
 * so it fails with EPIPE, woken by the dissolve, and sends nothing on the
 * new connection. (It used to spin in the kernel for as long as the old
 * peer stayed full: the dissolve clears sk_shutdown, and the wait for
 * room returned at once on seeing the peer change.)
 */
TEST_F(race, send_waiting_for_room_ends_on_own_dissolve)
{
	struct timeval tv = { 10, 0 };
	static char buf[65536];
	struct nx_delayed d;
	unsigned int port2 = 0;
	int a, b, l2, c2, round, n = 0;
	struct own o;

	l2 = nx_listener(variant->type, 4, &port2);
	ASSERT_LE(0, l2);
	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, nx_pair(variant->type, &a, &b));
		ASSERT_EQ(0, nx_set_nonblock(a, 1));
		while (send(a, buf, 4096, 0) > 0)
			;
		ASSERT_EQ(EAGAIN, errno);	/* b's queue is full */
		ASSERT_EQ(0, nx_set_nonblock(a, 0));
		ASSERT_EQ(0, setsockopt(a, SOL_SOCKET, SO_SNDTIMEO, &tv,
					sizeof(tv)));
		o.fd = a;
		o.port = round ? port2 : 0;
		o.err = -1;
		ASSERT_EQ(0, nx_run_later(&d, 200, own_dissolve, &o));
		EXPECT_EQ(-1, send(a, buf, 1, MSG_NOSIGNAL));
		EXPECT_EQ(EPIPE, errno) TH_LOG("round %d: %s", round,
					       strerror(errno));
		nx_join(&d);
		EXPECT_EQ(0, o.err);
		if (round) {
			/* Nothing of the failed send reached the new peer. */
			c2 = accept(l2, NULL, NULL);
			ASSERT_LE(0, c2);
			EXPECT_EQ(0, ioctl(c2, SIOCINQ, &n));
			EXPECT_EQ(0, n);
			close(c2);
		}
		close(a);
		close(b);
	}
	close(l2);
}

/* ---- SIOCINQ/SIOCOUTQ against dissolve, reconnect, senders and reads ---- */

struct inq {
	int type;
	int c;			/* the client: read, dissolved, reconnected */
	int s;			/* this round's server end: sends */
	int bound;		/* the most SIOCINQ may say */
	atomic_int stop;
	atomic_int bad;
	atomic_long checks;
	atomic_long sent;
};

static void inq_bad(struct inq *q, const char *what, long v, int err)
{
	if (atomic_fetch_add(&q->bad, 1) < 5)
		fprintf(stderr, "# %s: %ld (%s)\n", what, v, strerror(err));
}

static void *inq_sender(void *arg)
{
	struct inq *q = (struct inq *)arg;
	static char buf[128 * 1024];
	unsigned int seed = (unsigned int)(uintptr_t)&seed;
	ssize_t n;

	while (!atomic_load(&q->stop)) {
		size_t len = 1 + rand_r(&seed) % (q->type == SOCK_SEQPACKET ?
						  8192 : sizeof(buf));

		n = send(q->s, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			atomic_fetch_add(&q->sent, n);
		} else if (errno == EPIPE || errno == ECONNRESET) {
			nx_msleep(1);	/* dissolved: until the round ends */
		} else if (errno != EAGAIN) {
			inq_bad(q, "send", n, errno);
			break;
		}
	}
	return NULL;
}

/* Reads of every shape, sleeping in recv() across dissolve and reconnect. */
static void *inq_reader(void *arg)
{
	struct inq *q = (struct inq *)arg;
	static char buf[100000];
	unsigned int seed = (unsigned int)(uintptr_t)&seed;
	ssize_t n;

	while (!atomic_load(&q->stop)) {
		size_t len = 1 + rand_r(&seed) % sizeof(buf);
		int flags = rand_r(&seed) % 4 ? 0 : MSG_PEEK;

		if (rand_r(&seed) % 8 == 0)
			flags |= MSG_WAITALL;
		n = recv(q->c, buf, len, flags);
		if (n < 0 && errno == ENOTCONN)
			nx_msleep(1);
		else if (n < 0 && errno != EAGAIN)
			inq_bad(q, "recv", n, errno);
	}
	return NULL;
}

/* Neither count is ever negative, nor SIOCINQ above the receive buffer. */
static void *inq_checker(void *arg)
{
	struct inq *q = (struct inq *)arg;
	int v;

	while (!atomic_load(&q->stop)) {
		v = -1;
		if (ioctl(q->c, SIOCINQ, &v) || v < 0 || v > q->bound)
			inq_bad(q, "SIOCINQ of the client", v, errno);
		v = -1;
		if (ioctl(q->s, SIOCOUTQ, &v) || v < 0 || v > q->bound)
			inq_bad(q, "SIOCOUTQ of the server end", v, errno);
		v = -1;
		if (ioctl(q->c, SIOCOUTQ, &v) || v < 0)
			inq_bad(q, "SIOCOUTQ of the client", v, errno);
		atomic_fetch_add(&q->checks, 1);
	}
	return NULL;
}

static int inq_of(int fd, unsigned long cmd)
{
	int v = -1;

	return ioctl(fd, cmd, &v) ? -1000 : v;
}

/*
 * Each round, while two threads send on the server end, one reads the
 * client (blocking, sometimes peeking, with MSG_WAITALL) and one reads
 * SIOCINQ/SIOCOUTQ of both without pause, the client dissolves its
 * connection (connect(AF_UNSPEC)) and reconnects at once, and the new
 * server end sends a little. SIOCINQ and SIOCOUTQ are never negative nor
 * above what the receive buffer admits (SO_RCVBUF and one skb per sender
 * past it); right after the dissolve SIOCINQ is 0; once everyone stops,
 * SIOCINQ of the client and SIOCOUTQ of the new server end both equal the
 * bytes a draining read then returns, and 0 after.
 */
TEST_F_TIMEOUT(race, inq_outq_across_dissolve, 120)
{
	enum { ROUNDS = 40 };
	struct timeval tv = { 0, 20000 };
	struct inq q = { .type = variant->type };
	static char buf[1 << 20];
	unsigned int port = 0;
	pthread_t t[4];
	int r, i, l, s2, rcvbuf;
	socklen_t len = sizeof(rcvbuf);
	long drained, readable, outq;
	ssize_t n;

	l = nx_listener(variant->type, 1, &port);
	ASSERT_LE(0, l);
	q.c = nx_socket(variant->type);
	ASSERT_LE(0, q.c);
	ASSERT_EQ(0, setsockopt(q.c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, getsockopt(q.c, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len));
	q.bound = rcvbuf + 2 * (128 * 1024);

	for (r = 0; r < ROUNDS; r++) {
		ASSERT_EQ(0, nx_connect(q.c, NEXUS_NODE_LOCAL, port));
		q.s = accept(l, NULL, NULL);
		ASSERT_LE(0, q.s);
		ASSERT_EQ(0, setsockopt(q.s, SOL_SOCKET, SO_SNDTIMEO, &tv,
					sizeof(tv)));
		atomic_store(&q.stop, 0);
		ASSERT_EQ(0, pthread_create(&t[0], NULL, inq_sender, &q));
		ASSERT_EQ(0, pthread_create(&t[1], NULL, inq_sender, &q));
		ASSERT_EQ(0, pthread_create(&t[2], NULL, inq_reader, &q));
		ASSERT_EQ(0, pthread_create(&t[3], NULL, inq_checker, &q));
		nx_msleep(5 + r % 20);

		ASSERT_EQ(0, unspec(q.c));
		/* Dissolved: whatever was queued is gone, nothing more comes. */
		EXPECT_EQ(0, inq_of(q.c, SIOCINQ)) TH_LOG("round %d", r);
		ASSERT_EQ(0, nx_connect(q.c, NEXUS_NODE_LOCAL, port));
		s2 = accept(l, NULL, NULL);
		ASSERT_LE(0, s2);
		ASSERT_EQ(1000, send(s2, buf, 1000, 0));
		nx_msleep(r % 5);

		atomic_store(&q.stop, 1);
		for (i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		EXPECT_EQ(0, inq_of(q.s, SIOCOUTQ));	/* its peer is gone */
		close(q.s);

		/* Quiet now: the counts say exactly what a read returns. */
		readable = inq_of(q.c, SIOCINQ);
		outq = inq_of(s2, SIOCOUTQ);
		drained = 0;
		while ((n = recv(q.c, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			drained += n;
		EXPECT_EQ(drained, readable) TH_LOG("round %d", r);
		EXPECT_EQ(drained, outq) TH_LOG("round %d", r);
		/* The old connection's data went with it; the reader may
		 * have taken some of the new one's 1000 bytes.
		 */
		EXPECT_TRUE(drained >= 0 && drained <= 1000) TH_LOG("%ld", drained);
		EXPECT_EQ(0, inq_of(q.c, SIOCINQ));
		EXPECT_EQ(0, inq_of(s2, SIOCOUTQ));

		ASSERT_EQ(0, unspec(q.c));
		close(s2);
	}
	TH_LOG("%d rounds, %ld bytes sent, %ld count checks", ROUNDS,
	       atomic_load(&q.sent), atomic_load(&q.checks));
	EXPECT_EQ(0, atomic_load(&q.bad));
	EXPECT_LT(0, atomic_load(&q.checks));
	close(q.c);
	close(l);
}

/* ---- the timed stress ---- */

struct stress {
	int type;
	unsigned int port;
	int listener;
	atomic_int stop;
	atomic_long ops;
	pthread_t victims[6];	/* connectors and acceptors */
};

static void *stress_connector(void *arg)
{
	struct stress *s = (struct stress *)arg;
	unsigned int n = 0;

	while (!atomic_load(&s->stop)) {
		int fd = nx_socket(s->type | (n & 1 ? SOCK_NONBLOCK : 0));
		char buf[64];

		if (fd < 0)
			continue;
		nx_set_connect_timeout(fd, 1 + n % 50);
		if (!nx_connect(fd, NEXUS_NODE_LOCAL, s->port) ||
		    errno == EINPROGRESS) {
			send(fd, buf, 1 + n % 60, MSG_DONTWAIT);
			if (n % 3 == 0) {
				struct sockaddr sa = { .sa_family = AF_UNSPEC };

				connect(fd, &sa, sizeof(sa));
			}
		}
		close(fd);
		n++;
		atomic_fetch_add(&s->ops, 1);
	}
	return NULL;
}

static void *stress_acceptor(void *arg)
{
	struct stress *s = (struct stress *)arg;

	while (!atomic_load(&s->stop)) {
		int a = accept(s->listener, NULL, NULL);
		char buf[64];

		if (a < 0)
			continue;
		recv(a, buf, sizeof(buf), MSG_DONTWAIT);
		close(a);
		atomic_fetch_add(&s->ops, 1);
	}
	return NULL;
}

static void *stress_signaller(void *arg)
{
	struct stress *s = (struct stress *)arg;
	unsigned int i = 0;

	while (!atomic_load(&s->stop)) {
		pthread_kill(s->victims[i++ % 6], SIGUSR1);
		nx_msleep(1);
	}
	return NULL;
}

static void *stress_relistener(void *arg)
{
	struct stress *s = (struct stress *)arg;
	unsigned int i = 0;

	while (!atomic_load(&s->stop)) {
		nx_msleep(50);
		/* Shrink and grow the backlog, and stop/restart listening. */
		if (i % 4 == 3)
			shutdown(s->listener, SHUT_RD);
		listen(s->listener, i % 3);
		i++;
	}
	return NULL;
}

TEST_F_TIMEOUT(race, stress_connect_accept_close_signals, 300)
{
	struct sigaction sa = { .sa_handler = nx_on_signal };
	struct stress s = { .type = variant->type };
	const char *env = getenv("NEXUS_STRESS_SECS");
	int secs = env ? atoi(env) : 60, i;
	pthread_t t[8];
	struct timeval tv = { 0, 100000 };

	/* Half of the budget for each socket type. */
	secs = secs > 1 ? secs / 2 : 1;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	s.listener = nx_listener(variant->type, 1, &s.port);
	ASSERT_LE(0, s.listener);
	ASSERT_EQ(0, setsockopt(s.listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, stress_connector, &s));
	for (; i < 6; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, stress_acceptor, &s));
	memcpy(s.victims, t, sizeof(s.victims));
	ASSERT_EQ(0, pthread_create(&t[6], NULL, stress_relistener, &s));
	ASSERT_EQ(0, pthread_create(&t[7], NULL, stress_signaller, &s));
	nx_msleep(secs * 1000L);
	atomic_store(&s.stop, 1);
	for (i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	close(s.listener);
	TH_LOG("%ld operations in %d s", atomic_load(&s.ops), secs);
	EXPECT_LT(0, atomic_load(&s.ops));
}

TEST_HARNESS_MAIN
