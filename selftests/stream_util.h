/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for the SOCK_STREAM / SOCK_SEQPACKET selftests. */
#ifndef NEXUS_STREAM_UTIL_H
#define NEXUS_STREAM_UTIL_H

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "nexus_util.h"

/* A listening socket of @type on an ephemeral port; its port in *port. */
static inline int nx_listener(int type, int backlog, unsigned int *port)
{
	int fd = nx_socket(type);

	if (fd < 0)
		return -1;
	if (nx_bind(fd, NEXUS_NODE_ANY, NEXUS_PORT_ANY) || listen(fd, backlog)) {
		close(fd);
		return -1;
	}
	*port = nx_port(fd);
	return fd;
}

/* poll() one fd for @events; returns revents (0 on timeout). */
static inline short nx_poll(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, timeout_ms) < 0)
		return -1;
	return p.revents;
}

static inline int nx_so_error(int fd)
{
	int err = -1;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -1;
	return err;
}

static inline int nx_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

static inline int nx_set_connect_timeout(int fd, unsigned long long ms)
{
	return setsockopt(fd, SOL_NEXUS, NEXUS_CONNECT_TIMEOUT, &ms, sizeof(ms));
}

static inline unsigned int nx_peer_port(int fd)
{
	struct sockaddr_nx sa;
	socklen_t len = sizeof(sa);

	if (getpeername(fd, (struct sockaddr *)&sa, &len))
		return 0;
	return sa.snx_port;
}

static inline void nx_msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A connected pair through a fresh listener (closed again). */
static inline int nx_pair(int type, int *a, int *b)
{
	unsigned int port;
	int l = nx_listener(type, 4, &port);

	if (l < 0)
		return -1;
	*a = nx_socket(type);
	if (*a < 0 || nx_connect(*a, NEXUS_NODE_LOCAL, port)) {
		close(l);
		return -1;
	}
	*b = accept(l, NULL, NULL);
	close(l);
	return *b < 0 ? -1 : 0;
}

/* Run fn(arg) in a thread after @delay_ms. */
struct nx_delayed {
	pthread_t thread;
	long delay_ms;
	void (*fn)(void *arg);
	void *arg;
};

static inline void *nx_delayed_main(void *p)
{
	struct nx_delayed *d = (struct nx_delayed *)p;

	nx_msleep(d->delay_ms);
	d->fn(d->arg);
	return NULL;
}

static inline int nx_run_later(struct nx_delayed *d, long delay_ms,
			       void (*fn)(void *), void *arg)
{
	d->delay_ms = delay_ms;
	d->fn = fn;
	d->arg = arg;
	return pthread_create(&d->thread, NULL, nx_delayed_main, d);
}

static inline void nx_join(struct nx_delayed *d)
{
	pthread_join(d->thread, NULL);
}

/*
 * A signal handler that does nothing: installed for SIGUSR1 without
 * SA_RESTART, the signal ends the blocking call it interrupts with EINTR.
 */
static inline void nx_on_signal(int sig)
{
	(void)sig;
}

/* An nx_run_later() function: SIGUSR1 to the thread *@arg (a pthread_t). */
static inline void nx_kill_thread(void *arg)
{
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
}

#endif /* NEXUS_STREAM_UTIL_H */
