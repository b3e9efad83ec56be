/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A writer asleep in a thread of its own, for the tests that a waker wakes
 * it promptly (stream_limits_test, dgram_flow_test): a blocking send() of
 * one byte, poll(POLLOUT), or epoll_wait() on an EPOLLOUT|EPOLLET
 * registration the test made (@epfd).
 */
#ifndef NEXUS_WAITER_H
#define NEXUS_WAITER_H

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * A woken writer must run within this. Typically it runs within 1-8 ms;
 * with three TCG guests sharing two host cores one took 384 ms. A writer
 * that no waker wakes waits for the test's own bound (2 s) instead, so
 * 500 ms still tells a prompt waker from none.
 */
#define WAKE_MS		500

enum waiter_kind { W_SEND, W_POLL, W_EPOLL_ET };

/*
 * For kselftest_harness.h fixtures: every test of fixture @f runs once per
 * kind of waiter, which it reads as variant->kind.
 */
#define WAITER_VARIANTS(f)						\
	FIXTURE_VARIANT(f) { enum waiter_kind kind; };			\
	FIXTURE_VARIANT_ADD(f, send) { W_SEND };			\
	FIXTURE_VARIANT_ADD(f, poll) { W_POLL };			\
	FIXTURE_VARIANT_ADD(f, epoll_et) { W_EPOLL_ET }

struct waiter {
	pthread_t thread;
	enum waiter_kind kind;
	int fd, epfd;
	int result;		/* revents, send()'s return, or event mask */
	int err;		/* send()'s errno */
	long done_ms;		/* when the call returned (now_ms()) */
	int done;		/* set last, atomically */
};

static inline long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void *waiter_main(void *p)
{
	struct waiter *w = p;
	struct pollfd pfd = { .fd = w->fd, .events = POLLOUT };
	struct epoll_event ev;
	int n;

	switch (w->kind) {
	case W_SEND:
		w->result = send(w->fd, "w", 1, 0);
		w->err = w->result < 0 ? errno : 0;
		break;
	case W_POLL:
		n = poll(&pfd, 1, 5000);
		w->result = n < 0 ? -1 : pfd.revents;
		break;
	case W_EPOLL_ET:
		n = epoll_wait(w->epfd, &ev, 1, 5000);
		w->result = n == 1 ? (int)ev.events : 0;
		break;
	}
	w->done_ms = now_ms();
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * Make @w a waiter of @kind on @fd, not started yet (pthread_create() with
 * waiter_main starts it): for W_EPOLL_ET with an epoll instance that has
 * @fd registered for EPOLLOUT|EPOLLET, in w->epfd (-1 for the other kinds;
 * the caller closes it). Returns 0, or -1 with errno set.
 */
static inline int waiter_prepare(struct waiter *w, enum waiter_kind kind,
				 int fd)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLET, .data.fd = fd };

	w->kind = kind;
	w->fd = fd;
	w->epfd = -1;
	if (kind != W_EPOLL_ET)
		return 0;
	w->epfd = epoll_create1(0);
	if (w->epfd < 0)
		return -1;
	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Wait up to @ms for the waiter to finish; its finishing time or -1. */
static inline long waiter_wait(struct waiter *w, long ms)
{
	long end = now_ms() + ms;

	while (!__atomic_load_n(&w->done, __ATOMIC_SEQ_CST) && now_ms() < end)
		usleep(1000);
	return __atomic_load_n(&w->done, __ATOMIC_SEQ_CST) ? w->done_ms : -1;
}

#endif /* NEXUS_WAITER_H */
