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

#include "kselftest_harness.h"
#include "stream_util.h"

FIXTURE(race)
{
	int dummy;
};

FIXTURE_VARIANT(race)
{
	int type;
};

FIXTURE_VARIANT_ADD(race, stream) { .type = SOCK_STREAM };
FIXTURE_VARIANT_ADD(race, seqpacket) { .type = SOCK_SEQPACKET };

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
		ASSERT_EQ(-1, nx_connect(c, NEXUS_NODE_LOCAL, port));
		ASSERT_EQ(EINPROGRESS, errno);
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
		ASSERT_EQ(-1, nx_connect(c, NEXUS_NODE_LOCAL, port));
		ASSERT_EQ(EINPROGRESS, errno) TH_LOG("round %d", r);
		usleep((r % 9) * 500);	/* about when the 1 ms timer fires */
		ASSERT_EQ(0, unspec(c));
		err = nx_so_error(c);
		ASSERT_TRUE(err == 0 || err == ETIMEDOUT) TH_LOG("err %d", err);
		timer_won += err == ETIMEDOUT;

		ASSERT_EQ(0, nx_set_connect_timeout(c, 0));
		ASSERT_EQ(-1, nx_connect(c, NEXUS_NODE_LOCAL, port));
		ASSERT_EQ(EINPROGRESS, errno) TH_LOG("round %d", r);
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

/* ---- the timed stress ---- */

struct stress {
	int type;
	unsigned int port;
	int listener;
	atomic_int stop;
	atomic_long ops;
	pthread_t victims[6];	/* connectors and acceptors */
};

static void on_signal(int sig)
{
	(void)sig;
}

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
	struct sigaction sa = { .sa_handler = on_signal };
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
