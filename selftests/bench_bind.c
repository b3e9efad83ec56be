// SPDX-License-Identifier: GPL-2.0
/*
 * bench_bind: the cost of the port table with 0 and with N other sockets
 * bound in the namespace (default N = 100000). Not a test: it prints
 * figures. Run as root in the guest (it raises RLIMIT_NOFILE and works in
 * a fresh network namespace):
 *
 *   bench_bind [N] [iterations]
 *
 * Per operation, averaged over the iterations, best of 3 rounds:
 *   bind        bind() of an unbound socket to a free chosen port + unbind
 *               by close() (socket creation excluded)
 *   autobind    bind() to port 0 (ephemeral allocation) + close()
 *   inuse       bind() to a taken port: EADDRINUSE (a pure lookup hit)
 *   connect     connect() of a stream socket to a port nobody listens on:
 *               autobind + lookup miss, ECONNREFUSED
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "nexus_util.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int *pre_socks(int n, int type)
{
	int *fds = malloc(n * sizeof(*fds)), i;

	for (i = 0; fds && i < n; i++) {
		fds[i] = nx_socket(type);
		if (fds[i] < 0) {
			perror("socket");
			exit(1);
		}
	}
	return fds;
}

static void close_all(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
}

/* ns per operation of one kind, best of 3 rounds of @iters. */
static double measure(const char *what, int iters)
{
	double best = 1e18;
	int round, i;

	for (round = 0; round < 3; round++) {
		int *fds = pre_socks(iters, SOCK_STREAM);
		double t0, t;
		int taken = -1;

		if (!strcmp(what, "inuse")) {
			taken = nx_socket(SOCK_DGRAM);
			if (nx_bind(taken, 0, 3000000)) {
				perror("bind");
				exit(1);
			}
		}
		t0 = now_ns();
		for (i = 0; i < iters; i++) {
			int err = 0;

			if (!strcmp(what, "bind"))
				err = nx_bind(fds[i], 0, 2000000 + i);
			else if (!strcmp(what, "autobind"))
				err = nx_bind(fds[i], 0, NEXUS_PORT_ANY);
			else if (!strcmp(what, "inuse"))
				err = nx_bind(fds[i], 0, 3000000) == -1 &&
				      errno == EADDRINUSE ? 0 : -1;
			else
				err = nx_connect(fds[i], 0, 4000000) == -1 &&
				      errno == ECONNREFUSED ? 0 : -1;
			if (err) {
				fprintf(stderr, "%s #%d: %s\n", what, i,
					strerror(errno));
				exit(1);
			}
			if (strcmp(what, "inuse"))
				close(fds[i]);
		}
		t = (now_ns() - t0) / iters;
		if (!strcmp(what, "inuse"))
			close_all(fds, iters);
		else
			free(fds);
		if (taken >= 0)
			close(taken);
		if (t < best)
			best = t;
	}
	return best;
}

static void report(const char *label, int iters)
{
	static const char *const kinds[] = {
		"bind", "autobind", "inuse", "connect",
	};
	unsigned int k;

	printf("%-28s", label);
	for (k = 0; k < 4; k++)
		printf(" %9s %7.0f ns", kinds[k], measure(kinds[k], iters));
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100000;
	int iters = argc > 2 ? atoi(argv[2]) : 20000;
	struct rlimit rl = { n + iters + 64, n + iters + 64 };
	char label[64];
	int *others, i;

	if (setrlimit(RLIMIT_NOFILE, &rl) || unshare(CLONE_NEWNET)) {
		perror("setrlimit/unshare (run as root)");
		return 1;
	}
	if (nx_write_file("/proc/sys/net/nexus/ephemeral_ports",
			  "100000 999999")) {
		fprintf(stderr, "cannot set net.nexus.ephemeral_ports\n");
		return 1;
	}
	printf("bench_bind: %d iterations per figure, best of 3\n", iters);
	report("0 other bound sockets", iters);

	others = pre_socks(n, SOCK_DGRAM);
	for (i = 0; i < n; i++)
		if (nx_bind(others[i], 0, i & 1 ? NEXUS_PORT_ANY : 5000000 + i)) {
			perror("bind others");
			return 1;
		}
	snprintf(label, sizeof(label), "%d other bound sockets", n);
	report(label, iters);
	close_all(others, n);
	return 0;
}
