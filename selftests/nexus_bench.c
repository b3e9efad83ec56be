// SPDX-License-Identifier: GPL-2.0
/*
 * nexus_bench: AF_NEXUS against AF_UNIX (abstract names), inet (TCP with
 * TCP_NODELAY, UDP for datagrams) on loopback and AF_VSOCK loopback
 * (VMADDR_CID_LOCAL), for every socket type each family has.
 *
 * This is a benchmark, not a test: it never fails on a slow result. It is
 * meant to run as root in the QEMU guest of qemu/bench.sh (`make bench`):
 * under `-icount shift=0,sleep=off` one nanosecond of guest clock is one
 * guest instruction, so the figures are instruction counts.
 *
 * Usage: nexus_bench [-r ROUNDS] [-s SCALE%] [-w WORKLOAD,...] [-F N]
 *                    [-f FAMILY,...] [-S MS] [-T FUNC,...]
 *   -r  rounds (default 10); the family order rotates every round
 *   -s  scale every iteration count by SCALE percent (default 100)
 *   -w  run only these workloads (names as printed; "big" selects
 *       bind_connect and mem; default all)
 *   -F  bound sockets for bind_connect at scale (default 100000)
 *   -f  only these families (nexus,unix,inet,vsock; default all)
 *   -S  pause after each sample, milliseconds (default 100), so that work
 *       a sample leaves behind is not charged to the next
 *   -T  diagnostics: function_graph trace of FUNC,... over three ping-pong
 *       round trips or connection cycles of each sample, printed as
 *       "@@ trace" lines
 *   -P  two CPUs: each sample runs on CPU 0 and its helper processes (the
 *       echoing or reading peer, the accepting server, the storm's
 *       clients) on CPU 1
 *   -N  namespaces for the namespace-scale workloads (default 1000):
 *       "netns" creates and destroys N namespaces with one bound socket
 *       each (or none, also with nexus.ko unloaded); "ns_listeners"
 *       measures connect+accept+close with 100 listeners in each of N
 *       namespaces. Both run after the rounds, as bind_connect does
 *
 * Output on stdout, one line per measurement:
 *   @@ bench sample {"w":..,"type":..,"fam":..,"round":N,"value":X,
 *                    "unit":..,"phases":{..},"extra":{..}}
 *   @@ bench na {"w":..,"type":..,"fam":..,"reason":".."}
 *   @@ bench info {...}
 * Progress goes to stderr. qemu/bench-report.py turns the samples into
 * medians, ratios and the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nexus_util.h"

#ifndef VMADDR_CID_LOCAL
#define VMADDR_CID_LOCAL 1
#endif

enum { F_NEXUS, F_UNIX, F_INET, F_VSOCK, NFAM };
static const char *const fam_name[NFAM] = { "nexus", "unix", "inet", "vsock" };

static int rounds = 10;
static int scale = 100;
static int fill_count = 100000;
static int settle_ms = 100;
static const char *only;
static unsigned int fam_mask = (1u << NFAM) - 1;
static const char *trace_funcs;	/* -T: function_graph of these */
static int pin_cpus;		/* -P: sample on CPU 0, helpers on CPU 1 */
static int netns_count = 1000;	/* -N */

/*
 * Diagnostics (-T FUNC,FUNC...): trace a few ping-pong round trips with
 * ftrace's function_graph tracer and print the trace ("@@ trace" lines).
 * Under icount the durations are instruction counts plus the tracer's own
 * cost; the call trees are what matter.
 */
#define TRACEFS "/sys/kernel/tracing/"

static void mount_tracefs(void)
{
	struct stat st;

	if (stat(TRACEFS "trace", &st))
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
}

static void trace_setup(void)
{
	char buf[512];
	const char *p;

	if (!trace_funcs)
		return;
	mkdir("/sys/kernel/tracing", 0755);
	mount_tracefs();
	nx_write_file(TRACEFS "tracing_on", "0");
	nx_write_file(TRACEFS "current_tracer", "nop");
	nx_write_file(TRACEFS "buffer_size_kb", "8192");
	nx_write_file(TRACEFS "set_graph_function", "");
	for (p = trace_funcs; *p;) {
		size_t n = strcspn(p, ",");
		int fd = open(TRACEFS "set_graph_function", O_WRONLY | O_APPEND);

		snprintf(buf, sizeof(buf), "%.*s", (int)n, p);
		if (fd >= 0) {
			if (write(fd, buf, strlen(buf)) < 0)
				fprintf(stderr, "set_graph_function %s: %s\n",
					buf, strerror(errno));
			close(fd);
		}
		p += n;
		if (*p)
			p++;
	}
	nx_write_file(TRACEFS "trace_options", "funcgraph-proc");
	nx_write_file(TRACEFS "current_tracer", "function_graph");
}

static void trace_on(int on)
{
	if (trace_funcs)
		nx_write_file(TRACEFS "tracing_on", on ? "1" : "0");
}

static void trace_dump(void)
{
	char line[512];
	FILE *fp;
	int fd;

	if (!trace_funcs)
		return;
	fp = fopen(TRACEFS "trace", "r");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp))
		printf("@@ trace %s", line);
	fclose(fp);
	/* Opening "trace" for writing with O_TRUNC clears the buffer. */
	fd = open(TRACEFS "trace", O_WRONLY | O_TRUNC);
	if (fd >= 0)
		close(fd);
}

/* ---- small helpers ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Cost of one now_ns() call, subtracted from timed phases. */
static double clock_ovh;

static void calibrate_clock(void)
{
	double best = 1e18;
	int r, i;

	for (r = 0; r < 5; r++) {
		uint64_t t0 = now_ns(), t1;

		for (i = 0; i < 1000; i++)
			t1 = now_ns();
		t1 = now_ns();
		if ((double)(t1 - t0) / 1001 < best)
			best = (double)(t1 - t0) / 1001;
	}
	clock_ovh = best;
}

static int scaled(int n)
{
	long v = (long)n * scale / 100;

	return v < 1 ? 1 : (int)v;
}

static const char *type_name(int type)
{
	return type == SOCK_STREAM ? "stream" :
	       type == SOCK_SEQPACKET ? "seqpacket" : "dgram";
}

static int selected(const char *w)
{
	const char *p = only;
	size_t n = strlen(w);

	if (!only)
		return 1;
	while (p && *p) {
		if (!strncmp(p, w, n) && (p[n] == ',' || !p[n]))
			return 1;
		if (!strncmp(p, "big", 3) && (p[3] == ',' || !p[3]) &&
		    (!strcmp(w, "bind_connect") || !strcmp(w, "mem")))
			return 1;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return 0;
}

/* With -P, run the calling process on @cpu only. */
static void pin_to(int cpu)
{
	cpu_set_t set;

	if (!pin_cpus)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("sched_setaffinity");
}

/*
 * A helper process dies with its parent (a sample that failed or hung).
 * With -P it runs on CPU 1, the sample on CPU 0.
 */
static pid_t fork_helper(void)
{
	pid_t pid = fork();

	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pin_to(1);
	}
	return pid;
}

/*
 * fork_helper() for a workload on the pair (@a, @b): the helper keeps @b
 * (it closes @a), the sample keeps @a (it closes @b).
 */
static pid_t fork_peer(int a, int b)
{
	pid_t pid = fork_helper();

	if (!pid)
		close(a);
	else if (pid > 0)
		close(b);
	return pid;
}

/*
 * The end of a helper that answered its last message: it must not close
 * its socket before the sample has read that answer (a datagram family may
 * report the peer's close before queued data), so it waits to be killed.
 */
static void __attribute__((noreturn)) helper_idle(void)
{
	for (;;)
		pause();
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* ---- addresses and sockets per family ---- */

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

static int fam_domain(int f)
{
	switch (f) {
	case F_NEXUS: return nx_family();
	case F_UNIX: return AF_UNIX;
	case F_INET: return AF_INET;
	default: return AF_VSOCK;
	}
}

static void set_nodelay(int f, int type, int fd)
{
	int one = 1;

	if (f == F_INET && type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int mk_socket(int f, int type)
{
	int fd = socket(fam_domain(f), type | SOCK_CLOEXEC, 0);

	if (fd >= 0)
		set_nodelay(f, type, fd);
	return fd;
}

/* An explicit address: family-specific "name number @n". */
static void addr_explicit(int f, unsigned int n, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	switch (f) {
	case F_NEXUS: {
		struct sockaddr_nx *sa = (void *)&a->ss;

		*sa = nx_addr(NEXUS_NODE_ANY, n);
		a->len = sizeof(*sa);
		break;
	}
	case F_UNIX: {
		/*
		 * Abstract names hash by a checksum of their bytes into 256
		 * buckets: names that differ only in decimal digits would
		 * crowd a few dozen of them. Eight binary bytes (n, and n
		 * mixed) spread evenly, as arbitrary names would.
		 */
		struct sockaddr_un *sa = (void *)&a->ss;
		uint32_t mix = n * 2654435761u;

		sa->sun_family = AF_UNIX;
		memcpy(sa->sun_path + 1, "nxb", 3);
		memcpy(sa->sun_path + 4, &mix, 4);
		memcpy(sa->sun_path + 8, &n, 4);
		a->len = offsetof(struct sockaddr_un, sun_path) + 12;
		break;
	}
	case F_INET: {
		/*
		 * n < 1<<16: 127.0.0.1:n. Larger: spread over 127.0.0.2+ on
		 * ports 1024..32767 (below the ephemeral range).
		 */
		struct sockaddr_in *sa = (void *)&a->ss;
		unsigned int ip = 1, port = n;

		if (n >= 65536) {
			n -= 65536;
			ip = 2 + n / 31744;
			port = 1024 + n % 31744;
		}
		sa->sin_family = AF_INET;
		sa->sin_addr.s_addr = htonl(0x7f000000 | ip);
		sa->sin_port = htons(port);
		a->len = sizeof(*sa);
		break;
	}
	default: {
		struct sockaddr_vm *sa = (void *)&a->ss;

		sa->svm_family = AF_VSOCK;
		sa->svm_cid = VMADDR_CID_ANY;
		sa->svm_port = n;
		a->len = sizeof(*sa);
		break;
	}
	}
}

/* Bind to a family-chosen free address (the family's autobind). */
static int bind_any(int f, int fd)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	switch (f) {
	case F_NEXUS:
		return nx_bind(fd, NEXUS_NODE_ANY, NEXUS_PORT_ANY);
	case F_UNIX:
		a.ss.ss_family = AF_UNIX;
		a.len = sizeof(sa_family_t);	/* autobind */
		break;
	case F_INET: {
		struct sockaddr_in *sa = (void *)&a.ss;

		sa->sin_family = AF_INET;
		sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.len = sizeof(*sa);
		break;
	}
	default: {
		struct sockaddr_vm *sa = (void *)&a.ss;

		sa->svm_family = AF_VSOCK;
		sa->svm_cid = VMADDR_CID_ANY;
		sa->svm_port = VMADDR_PORT_ANY;
		a.len = sizeof(*sa);
		break;
	}
	}
	return bind(fd, (struct sockaddr *)&a.ss, a.len);
}

/* The address a peer connects to in order to reach @fd. */
static int conn_addr(int f, int fd, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	a->len = sizeof(a->ss);
	if (getsockname(fd, (struct sockaddr *)&a->ss, &a->len))
		return -1;
	if (f == F_VSOCK)
		((struct sockaddr_vm *)&a->ss)->svm_cid = VMADDR_CID_LOCAL;
	if (f == F_NEXUS)
		((struct sockaddr_nx *)&a->ss)->snx_node = NEXUS_NODE_LOCAL;
	return 0;
}

static int do_connect(int fd, const struct addr *a)
{
	return connect(fd, (const struct sockaddr *)&a->ss, a->len);
}

static int mk_listener(int f, int type, int backlog, struct addr *a)
{
	int fd = mk_socket(f, type);

	if (fd < 0)
		return -1;
	if (bind_any(f, fd) || listen(fd, backlog) || conn_addr(f, fd, a)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int do_accept(int f, int type, int l)
{
	int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);

	if (fd >= 0)
		set_nodelay(f, type, fd);
	return fd;
}

/* A connected pair: @pa the client end, @pb the server end. */
static int mk_pair(int f, int type, int *pa, int *pb)
{
	struct addr aa, ab;
	int a = -1, b = -1, l;

	if (type == SOCK_DGRAM) {
		a = mk_socket(f, type);
		if (a < 0)
			goto fail;
		b = mk_socket(f, type);
		if (b < 0 || bind_any(f, a) || bind_any(f, b) ||
		    conn_addr(f, a, &aa) || conn_addr(f, b, &ab) ||
		    do_connect(a, &ab) || do_connect(b, &aa))
			goto fail;
	} else {
		l = mk_listener(f, type, 16, &ab);
		if (l < 0)
			goto fail;
		a = mk_socket(f, type);
		if (a < 0 || do_connect(a, &ab)) {
			int e = errno;

			close(l);
			errno = e;
			goto fail;
		}
		b = do_accept(f, type, l);
		close(l);
		if (b < 0)
			goto fail;
	}
	*pa = a;
	*pb = b;
	return 0;
fail: {
		int e = errno;

		if (a >= 0)
			close(a);
		if (b >= 0)
			close(b);
		errno = e;
		return -1;
	}
}

static int send_all(int fd, const char *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = send(fd, buf + done, n - done, MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += r;
	}
	return 0;
}

/* Receive one message (dgram, seqpacket) or exactly @n bytes (stream). */
static int recv_msg(int fd, int type, char *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = recv(fd, buf + done, n - done, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += r;
		if (type != SOCK_STREAM)
			break;
	}
	return 0;
}

/* ---- results ---- */

#define MAX_PHASES 6

struct result {
	int na;				/* errno when not applicable */
	char reason[96];
	double value;			/* per operation */
	char unit[16];
	int nphases;
	char phase[MAX_PHASES][16];
	double phase_val[MAX_PHASES];
	int nextra;
	char extra[4][16];
	double extra_val[4];
};

static void res_phase(struct result *r, const char *name, double v)
{
	snprintf(r->phase[r->nphases], sizeof(r->phase[0]), "%s", name);
	r->phase_val[r->nphases++] = v;
}

/* A cycle of five phases timed by t[0..5]: add each phase to @ph. */
static void add_phases(double ph[5], const uint64_t t[6])
{
	int i;

	for (i = 0; i < 5; i++)
		ph[i] += t[i + 1] - t[i];
}

/*
 * The mean of each phase over @n cycles less the clock's overhead, as the
 * phases @names of @r; r->value is their sum.
 */
static void set_phases(struct result *r, double ph[5], int n,
		       const char *const names[5])
{
	int i;

	r->value = 0;
	for (i = 0; i < 5; i++) {
		ph[i] = ph[i] / n - clock_ovh;
		r->value += ph[i];
	}
	for (i = 0; i < 5; i++)
		res_phase(r, names[i], ph[i]);
}

static void res_extra(struct result *r, const char *name, double v)
{
	snprintf(r->extra[r->nextra], sizeof(r->extra[0]), "%s", name);
	r->extra_val[r->nextra++] = v;
}

static int res_na(struct result *r, const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	r->na = e ? e : EINVAL;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	if (e) {
		size_t l = strlen(r->reason);

		snprintf(r->reason + l, sizeof(r->reason) - l, ": %s",
			 strerror(e));
	}
	return -1;
}

static void print_result(const char *w, int type, int f, int round,
			 const struct result *r)
{
	int i;

	if (r->na) {
		printf("@@ bench na {\"w\":\"%s\",\"type\":\"%s\",\"fam\":\"%s\",\"reason\":\"%s\"}\n",
		       w, type_name(type), fam_name[f], r->reason);
		return;
	}
	printf("@@ bench sample {\"w\":\"%s\",\"type\":\"%s\",\"fam\":\"%s\",\"round\":%d,\"value\":%.1f,\"unit\":\"%s\",\"phases\":{",
	       w, type_name(type), fam_name[f], round, r->value, r->unit);
	for (i = 0; i < r->nphases; i++)
		printf("%s\"%s\":%.1f", i ? "," : "", r->phase[i],
		       r->phase_val[i]);
	printf("},\"extra\":{");
	for (i = 0; i < r->nextra; i++)
		printf("%s\"%s\":%.1f", i ? "," : "", r->extra[i],
		       r->extra_val[i]);
	printf("}}\n");
}

/* ---- workloads: each runs in its own process (see run_sample) ---- */

/* connect + accept + close, one process, phases timed separately. */
static int wl_conn_cycle(int f, int type, struct result *r)
{
	int n = scaled(200), warm = 10, i, l;
	static const char *const names[5] = {
		"socket", "connect", "accept", "close_cli", "close_srv"
	};
	double ph[5] = { 0 };
	struct addr a;

	l = mk_listener(f, type, 128, &a);
	if (l < 0)
		return res_na(r, "listener");
	for (i = -warm; i < n; i++) {
		uint64_t t[6];
		int c, s;

		if (i == -3)
			trace_on(1);
		if (i == 0)
			trace_on(0);
		t[0] = now_ns();
		c = mk_socket(f, type);
		t[1] = now_ns();
		if (c < 0 || do_connect(c, &a))
			return res_na(r, "connect");
		t[2] = now_ns();
		s = do_accept(f, type, l);
		t[3] = now_ns();
		if (s < 0)
			return res_na(r, "accept");
		close(c);
		t[4] = now_ns();
		close(s);
		t[5] = now_ns();
		if (i < 0)
			continue;
		add_phases(ph, t);
	}
	set_phases(r, ph, n, names);
	strcpy(r->unit, "ns/cycle");
	close(l);
	return 0;
}

/*
 * connect + accept + close across two processes (with -P, two CPUs): the
 * client connects and waits for one byte that the server, a helper process
 * blocked in accept(), sends on the accepted socket before closing it.
 */
static int wl_conn_xcpu(int f, int type, struct result *r)
{
	int n = scaled(200), warm = 10, i, l;
	uint64_t t0 = 0;
	struct addr a;
	pid_t pid;
	char c;

	l = mk_listener(f, type, 128, &a);
	if (l < 0)
		return res_na(r, "listener");
	pid = fork_helper();
	if (pid < 0)
		return res_na(r, "fork");
	if (!pid) {
		for (i = 0; i < n + warm; i++) {
			int s = do_accept(f, type, l);

			if (s < 0 || send_all(s, "a", 1))
				_exit(1);
			close(s);
		}
		helper_idle();
	}
	close(l);
	for (i = -warm; i < n; i++) {
		int cfd;

		if (!i)
			t0 = now_ns();
		if (i == -3)
			trace_on(1);
		if (i == -1)
			trace_on(0);
		cfd = mk_socket(f, type);
		if (cfd < 0 || do_connect(cfd, &a))
			return res_na(r, "connect");
		if (recv_msg(cfd, type, &c, 1))
			return res_na(r, "server's byte");
		close(cfd);
	}
	r->value = (double)(now_ns() - t0) / n;
	strcpy(r->unit, "ns/cycle");
	reap(pid);
	return 0;
}

/* Request/response of @size bytes with an echoing child process. */
static int pingpong(int f, int type, size_t size, struct result *r)
{
	int n = scaled(size > 1 ? 200 : 300), warm = 20, i, a, b;
	char *buf = calloc(1, size);
	uint64_t t0 = 0;
	pid_t pid;

	if (mk_pair(f, type, &a, &b))
		return res_na(r, type == SOCK_DGRAM ? "connected datagram pair" :
			      "connected pair");
	/* A datagram family may connect but not send: find out first. */
	if (send_all(a, buf, size) || recv_msg(b, type, buf, size) ||
	    send_all(b, buf, size) || recv_msg(a, type, buf, size))
		return res_na(r, "send/recv");
	pid = fork_peer(a, b);
	if (pid < 0)
		return res_na(r, "fork");
	if (!pid) {
		for (i = 0; i < n + warm; i++)
			if (recv_msg(b, type, buf, size) ||
			    send_all(b, buf, size))
				_exit(1);
		helper_idle();
	}
	for (i = -warm; i < n; i++) {
		if (!i)
			t0 = now_ns();
		if (i == -3)
			trace_on(1);
		if (send_all(a, buf, size) || recv_msg(a, type, buf, size))
			return res_na(r, "ping-pong");
		if (i == -1)
			trace_on(0);
	}
	r->value = (double)(now_ns() - t0) / n;
	strcpy(r->unit, "ns/roundtrip");
	reap(pid);
	return 0;
}

static int wl_pingpong_1(int f, int type, struct result *r)
{
	return pingpong(f, type, 1, r);
}

static int wl_pingpong_4k(int f, int type, struct result *r)
{
	return pingpong(f, type, 4096, r);
}

/* Stream throughput: 64 KiB writes to a reading child. */
static int wl_stream_tput(int f, int type, struct result *r)
{
	const size_t chunk = 65536;
	int n = scaled(64), warm = 4, i, a, b;
	char *buf = calloc(1, chunk);
	uint64_t t0 = 0;
	pid_t pid;

	if (mk_pair(f, type, &a, &b))
		return res_na(r, "connected pair");
	pid = fork_peer(a, b);
	if (pid < 0)
		return res_na(r, "fork");
	if (!pid) {
		size_t want = chunk * (n + warm), got = 0;
		int acked = 0;

		while (got < want) {
			ssize_t k = recv(b, buf, chunk, 0);

			if (k <= 0)
				_exit(1);
			got += k;
			if (!acked && got >= chunk * warm) {
				if (send_all(b, "w", 1))
					_exit(1);
				acked = 1;
			}
		}
		if (send_all(b, "d", 1))
			_exit(1);
		helper_idle();
	}
	for (i = -warm; i < n; i++) {
		if (!i) {
			/* Wait until the warm-up bytes are consumed. */
			if (recv_msg(a, SOCK_STREAM, buf, 1))
				return res_na(r, "warm-up ack");
			t0 = now_ns();
		}
		if (send_all(a, buf, chunk))
			return res_na(r, "write");
	}
	if (recv_msg(a, SOCK_STREAM, buf, 1))
		return res_na(r, "final ack");
	r->value = (double)(now_ns() - t0) / n;
	strcpy(r->unit, "ns/64KiB");
	res_extra(r, "MBps", 65536.0 * 1000.0 / r->value);
	reap(pid);
	return 0;
}

/*
 * Message throughput: 64-byte messages in windows of 64, each window
 * acknowledged by the reader with one 1-byte message (UDP drops what does
 * not fit, so the sender must not run ahead without bound).
 */
static int wl_msg_tput(int f, int type, struct result *r)
{
	const int win = 64, size = 64;
	int nwin = scaled(32), warm = 2, i, j, a, b;
	char buf[64] = { 0 };
	uint64_t t0 = 0;
	pid_t pid;

	if (mk_pair(f, type, &a, &b))
		return res_na(r, type == SOCK_DGRAM ? "connected datagram pair" :
			      "connected pair");
	if (send_all(a, buf, size) || recv_msg(b, type, buf, size))
		return res_na(r, "send/recv");
	pid = fork_peer(a, b);
	if (pid < 0)
		return res_na(r, "fork");
	if (!pid) {
		for (i = 0; i < nwin + warm; i++) {
			for (j = 0; j < win; j++)
				if (recv(b, buf, sizeof(buf), 0) != size)
					_exit(1);
			if (send_all(b, buf, 1))
				_exit(1);
		}
		helper_idle();
	}
	for (i = -warm; i < nwin; i++) {
		if (!i)
			t0 = now_ns();
		for (j = 0; j < win; j++)
			if (send(a, buf, size, MSG_NOSIGNAL) != size)
				return res_na(r, "send");
		if (recv(a, buf, sizeof(buf), 0) != 1)
			return res_na(r, "ack");
	}
	r->value = (double)(now_ns() - t0) / ((double)nwin * win);
	strcpy(r->unit, "ns/msg");
	reap(pid);
	return 0;
}

/*
 * Connection storm: 1,000 clients (10 processes x 100 blocking connects,
 * retrying refused or reset attempts) against one listener with backlog
 * 128; time until every client is connected and the listener accepted all.
 */
static int wl_storm(int f, int type, struct result *r)
{
	const int procs = 10, per = 100, total = procs * per;
	int l, i, start[2], done[2], *acc;
	pid_t pids[10];
	double retries = 0;
	uint64_t t0, t1, t2;
	struct addr a;
	char c;

	l = mk_listener(f, type, 128, &a);
	if (l < 0)
		return res_na(r, "listener");
	if (pipe(start) || pipe(done))
		return res_na(r, "pipe");
	for (i = 0; i < procs; i++) {
		pids[i] = fork_helper();
		if (pids[i] < 0)
			return res_na(r, "fork");
		if (!pids[i]) {
			int fds[100], k, tries = 0;

			close(l);
			close(start[1]);
			close(done[0]);
			if (read(start[0], &c, 1) != 0)
				_exit(1);
			for (k = 0; k < per; k++) {
				for (;;) {
					fds[k] = mk_socket(f, type);
					if (fds[k] < 0)
						_exit(2);
					if (!do_connect(fds[k], &a))
						break;
					if (errno != ECONNREFUSED &&
					    errno != ECONNRESET &&
					    errno != EAGAIN &&
					    errno != ETIMEDOUT &&
					    errno != EINTR)
						_exit(3);
					close(fds[k]);
					tries++;
					sched_yield();
				}
			}
			/* Report retries, then hold the connections. */
			if (write(done[1], &tries, sizeof(tries)) !=
			    sizeof(tries))
				_exit(4);
			close(done[1]);
			pause();
			_exit(0);
		}
	}
	close(start[0]);
	close(done[1]);
	acc = calloc(total, sizeof(*acc));
	t0 = now_ns();
	close(start[1]);		/* go */
	for (i = 0; i < total; i++) {
		acc[i] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (acc[i] < 0)
			return res_na(r, "accept");
	}
	t1 = now_ns();
	for (i = 0; i < procs; i++) {
		int tries;

		if (read(done[0], &tries, sizeof(tries)) != sizeof(tries))
			return res_na(r, "a client failed");
		retries += tries;
	}
	t2 = now_ns();
	r->value = (double)(t2 - t0) / total;
	strcpy(r->unit, "ns/conn");
	res_extra(r, "accepted_ns", (double)(t1 - t0) / total);
	res_extra(r, "retries", retries);
	for (i = 0; i < procs; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	for (i = 0; i < total; i++)
		close(acc[i]);
	close(l);
	return 0;
}

/* ---- bind + connect with many other bound sockets ---- */

/*
 * One round of socket + bind(explicit address) + connect + accept + close,
 * @n times, client addresses numbered from *@next.
 */
static int bind_connect_round(int f, int type, int l, const struct addr *la,
			      int n, unsigned int *next, struct result *r)
{
	static const char *const names[5] = {
		"socket", "bind", "connect", "accept", "close"
	};
	double ph[5] = { 0 };
	int i;

	for (i = 0; i < n; i++) {
		uint64_t t[6];
		struct addr ca;
		int c, s;

		addr_explicit(f, (*next)++, &ca);
		t[0] = now_ns();
		c = mk_socket(f, type);
		if (c < 0)
			return res_na(r, "socket");
		t[1] = now_ns();
		if (bind(c, (struct sockaddr *)&ca.ss, ca.len))
			return res_na(r, "bind");
		t[2] = now_ns();
		if (do_connect(c, la))
			return res_na(r, "connect");
		t[3] = now_ns();
		s = do_accept(f, type, l);
		if (s < 0)
			return res_na(r, "accept");
		t[4] = now_ns();
		close(c);
		close(s);
		t[5] = now_ns();
		add_phases(ph, t);
	}
	r->nphases = 0;
	set_phases(r, ph, n, names);
	strcpy(r->unit, "ns/cycle");
	return 0;
}

/*
 * For one family: R rounds with nothing else bound, fill the namespace
 * with fill_count bound sockets (the time per socket+bind while filling is
 * reported too), R rounds again. Emits its own lines (two workloads).
 */
static void bench_bind_connect(int f)
{
	const int type = SOCK_STREAM;
	int n = scaled(100), l, i, *fill;
	/* Client addresses: inet ports above the ephemeral range. */
	unsigned int next = f == F_INET ? 61000 : 70000;
	struct result r;
	struct addr la;
	uint64_t t0;

	memset(&r, 0, sizeof(r));
	l = mk_listener(f, type, 128, &la);
	if (l < 0) {
		res_na(&r, "listener");
		print_result("bind_connect_0", type, f, 0, &r);
		print_result("bind_connect_full", type, f, 0, &r);
		return;
	}
	bind_connect_round(f, type, l, &la, 10, &next, &r);	/* warm-up */
	for (i = 0; i < rounds; i++) {
		memset(&r, 0, sizeof(r));
		bind_connect_round(f, type, l, &la, n, &next, &r);
		print_result("bind_connect_0", type, f, i, &r);
		if (r.na)
			break;
	}

	fill = calloc(fill_count, sizeof(*fill));
	t0 = now_ns();
	for (i = 0; i < fill_count; i++) {
		struct addr fa;

		addr_explicit(f, 65536 + 100000 + i, &fa);
		if (f == F_INET)
			addr_explicit(f, 65536 + i, &fa);
		fill[i] = mk_socket(f, type);
		if (fill[i] < 0 ||
		    bind(fill[i], (struct sockaddr *)&fa.ss, fa.len)) {
			memset(&r, 0, sizeof(r));
			res_na(&r, "filling socket %d", i);
			print_result("bind_connect_full", type, f, 0, &r);
			goto out;
		}
	}
	memset(&r, 0, sizeof(r));
	r.value = (double)(now_ns() - t0) / fill_count;
	strcpy(r.unit, "ns/bind");
	print_result("fill", type, f, 0, &r);
	bind_connect_round(f, type, l, &la, 10, &next, &r);	/* warm-up */
	for (i = 0; i < rounds; i++) {
		memset(&r, 0, sizeof(r));
		bind_connect_round(f, type, l, &la, n, &next, &r);
		res_extra(&r, "bound", fill_count);
		print_result("bind_connect_full", type, f, i, &r);
		if (r.na)
			break;
	}
out:
	fflush(stdout);
	/* Exit closes the rest quicker than 100k close() calls. */
}

/* ---- namespace scale ---- */

static long meminfo_kb(const char *key);

/* Active objects of slab cache @name (/proc/slabinfo), or -1. */
static long slab_active(const char *name)
{
	char line[512], n[64];
	unsigned long active;
	long v = -1;
	FILE *fp = fopen("/proc/slabinfo", "r");

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "%63s %lu", n, &active) == 2 &&
		    !strcmp(n, name))
			v = (long)active;
	fclose(fp);
	return v;
}

/* Network namespaces that existed before any workload ran. */
static long netns_base = -1;

/*
 * How far above the count of namespaces before the bench the
 * net_namespace slab count may stay once all are gone: SLUB's active
 * objects include the free objects of a CPU's slab and its partial slabs
 * (7 namespaces a slab); 21 was measured after every namespace of a batch
 * was freed.
 */
#define NETNS_SLACK 24

/*
 * Busy time of every CPU so far, in ns (instructions under icount): the
 * sum of /proc/schedstat's rq_cpu_time, the time tasks other than the idle
 * task ran (interrupts that arrive while a task runs included, those that
 * wake an idle CPU not). A task's current slice counts only once it is
 * switched out, so the caller sleeps first.
 */
static double busy_ns(void)
{
	unsigned long long v[9], sum = 0;
	char line[512];
	FILE *fp;

	usleep(1000);
	fp = fopen("/proc/schedstat", "r");
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, "cpu", 3) &&
		    sscanf(line, "%*s %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7], &v[8]) == 9)
			sum += v[6];
	fclose(fp);
	return (double)sum;
}

/*
 * Wait until the machine has been idle for 12 polls of 100 ms in a row
 * (less than 2% busy each), e.g. until the netns workqueue has destroyed
 * every namespace let go of: that work waits for RCU grace periods and
 * device references in between, idle gaps of tens of milliseconds. Idle
 * guest time is skipped at once in real time under icount (sleep=off).
 * Returns the busy time up to the first of those quiet polls.
 */
static double wait_quiet_at(uint64_t *at)
{
	double b = busy_ns(), quiet_from = b;
	uint64_t t = now_ns(), quiet_t = t;
	int quiet = 0, polls = 0;

	while (quiet < 12 && polls++ < 3000) {
		double nb;
		uint64_t nt;

		usleep(100000);
		nb = busy_ns();
		nt = now_ns();
		if (nb - b < 2000000) {
			if (!quiet) {
				quiet_from = b;
				quiet_t = t;
			}
			quiet++;
		} else {
			quiet = 0;
		}
		b = nb;
		t = nt;
	}
	if (at)
		*at = quiet_t;
	return quiet_from;
}

static double wait_quiet(void)
{
	return wait_quiet_at(NULL);
}

/*
 * Free the struct net of the namespaces destroyed last. On this kernel
 * (6.1.192) cleanup_net() frees a batch's struct net only in its next run
 * ("wait for an extra rcu_barrier() before final free"), so the
 * net_namespace slab count of a destroyed batch drops only when another
 * namespace is destroyed: a process of its own makes one and exits.
 */
static void netns_kick(void)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (!pid)
		_exit(unshare(CLONE_NEWNET) ? 1 : 0);
	if (pid > 0)
		waitpid(pid, &st, 0);
}

/*
 * Wait (up to 60 s of guest time) until no more than NETNS_SLACK network
 * namespaces above @count exist, polling every 250 ms and kicking
 * (netns_kick()) every second so that the last destroyed batch's struct
 * net is freed once its teardown is over (the netns workqueue is ordered:
 * a kick's cleanup runs after the teardown in progress). Returns how many
 * are left over @count, or -1; counts the polls and kicks.
 */
static long wait_netns_gone(long count, int *polls, int *kicks)
{
	long left = -1;
	int i;

	for (i = 0; i < 240; i++) {
		long now = slab_active("net_namespace");

		(*polls)++;
		if (now < 0 || count < 0)
			return -1;
		left = now - count;
		if (left <= NETNS_SLACK)
			return left;
		if (i % 4 == 3) {
			netns_kick();
			(*kicks)++;
		}
		usleep(250000);
	}
	return left;
}

/*
 * Create and destroy @n network namespaces holding one bound socket of
 * family @f each (@f < 0: no socket, the namespace held by an nsfs fd).
 * @fam names the column. Prints one "netns" sample: value = guest ns per
 * namespace created (unshare + socket + bind), phases create/destroy in
 * guest time and in busy time, extra kernel memory per namespace.
 */
static void netns_sample(int f, const char *fam, int round)
{
	int n = netns_count, i, self, *fds = calloc(n, sizeof(int));
	double b0, b1, b2, b3;
	long free0, free1, free2, slab0, slab1, pcpu0, pcpu1, left;
	uint64_t t0, t1, t2, t3;
	double poll_cost, kick;
	int polls = 0, before = 0, kicks = 0;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || !fds) {
		printf("@@ bench na {\"w\":\"netns\",\"type\":\"stream\",\"fam\":\"%s\",\"reason\":\"setup: %s\"}\n",
		       fam, strerror(errno));
		return;
	}
	/*
	 * Earlier samples' and phases' namespaces are gone (ns_listeners
	 * leaves 2,000 behind, with 100,000 sockets), the machine is quiet.
	 */
	wait_netns_gone(netns_base, &before, &kicks);
	kicks = 0;
	wait_quiet();
	/* What a kick costs (busy), subtracted from destroy_busy. */
	kick = busy_ns();
	netns_kick();
	kick = wait_quiet() - kick;
	/* What one poll of the count costs, subtracted from destroy_busy. */
	t0 = now_ns();
	for (i = 0; i < 5; i++)
		slab_active("net_namespace");
	poll_cost = (double)(now_ns() - t0) / 5;
	free0 = meminfo_kb("MemFree");
	slab0 = meminfo_kb("Slab");
	pcpu0 = meminfo_kb("Percpu");
	b0 = busy_ns();
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (unshare(CLONE_NEWNET))
			break;
		if (f < 0) {
			fds[i] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		} else {
			fds[i] = mk_socket(f, SOCK_STREAM);
			if (fds[i] >= 0 && bind_any(f, fds[i])) {
				close(fds[i]);
				fds[i] = -1;
			}
		}
		if (fds[i] < 0)
			break;
	}
	t1 = now_ns();
	b1 = busy_ns();
	if (i < n || setns(self, CLONE_NEWNET)) {
		printf("@@ bench na {\"w\":\"netns\",\"type\":\"stream\",\"fam\":\"%s\",\"reason\":\"namespace %d: %s\"}\n",
		       fam, i, strerror(errno));
		exit(1);	/* the sample's process: frees the rest */
	}
	wait_quiet();
	free1 = meminfo_kb("MemFree");
	slab1 = meminfo_kb("Slab");
	pcpu1 = meminfo_kb("Percpu");
	b2 = busy_ns();
	t2 = now_ns();
	for (i = 0; i < n; i++)
		close(fds[i]);
	/*
	 * Destroyed by the netns workqueue: busy time until the count is
	 * back, less the polls and the kicks that free the last batch.
	 */
	left = wait_netns_gone(netns_base, &polls, &kicks);
	t3 = now_ns();
	b3 = busy_ns() - polls * poll_cost - kicks * kick;
	wait_quiet();
	free2 = meminfo_kb("MemFree");
	printf("@@ bench sample {\"w\":\"netns\",\"type\":\"stream\",\"fam\":\"%s\",\"round\":%d,\"value\":%.1f,\"unit\":\"ns/netns\",\"phases\":{\"create\":%.1f,\"create_busy\":%.1f,\"destroy_busy\":%.1f},\"extra\":{\"destroy_wall\":%.1f,\"mem\":%.1f,\"slab\":%.1f,\"percpu\":%.1f,\"leak\":%.1f,\"left\":%ld,\"polls\":%d,\"poll_cost\":%.1f,\"n\":%d,\"kick\":%.1f,\"kicks\":%d}}\n",
	       fam, round, (double)(t1 - t0) / n, (double)(t1 - t0) / n,
	       (b1 - b0) / n, (b3 - b2) / n, (double)(t3 - t2) / n,
	       (free0 - free1) * 1024.0 / n, (slab1 - slab0) * 1024.0 / n,
	       (pcpu1 - pcpu0) * 1024.0 / n, (free0 - free2) * 1024.0 / n,
	       left, polls, poll_cost, n, kick, kicks);
	close(self);
	free(fds);
}

/*
 * The namespace-scale phase: per round, namespaces with a nexus socket,
 * an AF_UNIX socket and none; then, once, none with nexus.ko unloaded
 * (and loaded again). Each sample in a process of its own.
 */
static void bench_netns(void)
{
	static const struct { int f; const char *name; } cols[] = {
		{ F_NEXUS, "nexus" }, { F_UNIX, "unix" }, { -1, "none" },
	};
	int nr = 1;	/* 1,000 namespaces are slow; create repeats to 1% */
	int round, c, st, err;
	pid_t pid;

	for (round = 0; round < nr; round++) {
		for (c = 0; c < 3; c++) {
			int k = (c + round) % 3;

			if (cols[k].f >= 0 && !(fam_mask & (1u << cols[k].f)))
				continue;
			fflush(stdout);
			pid = fork();
			if (!pid) {
				alarm(1200);
				netns_sample(cols[k].f, cols[k].name, round);
				_exit(0);
			}
			waitpid(pid, &st, 0);
		}
	}
	fflush(stdout);
	err = nx_rmmod();
	if (err) {
		printf("@@ bench na {\"w\":\"netns\",\"type\":\"stream\",\"fam\":\"nomod\",\"reason\":\"rmmod nexus: %s\"}\n",
		       strerror(-err));
		return;
	}
	for (round = 0; round < nr; round++) {
		fflush(stdout);
		pid = fork();
		if (!pid) {
			alarm(1200);
			netns_sample(-1, "nomod", round);
			_exit(0);
		}
		waitpid(pid, &st, 0);
	}
	err = nx_insmod(NULL);
	if (err)
		printf("@@ note insmod nexus after netns: %s\n", strerror(-err));
}

/*
 * One ns_listeners round: connect+accept+close in a process of its own
 * (as run_sample() does for conn_cycle), in the caller's namespace.
 */
static void ns_conn_round(int f, const char *w, int round, double listeners)
{
	struct result r;
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (!pid) {
		memset(&r, 0, sizeof(r));
		alarm(120);
		wl_conn_cycle(f, SOCK_STREAM, &r);
		if (listeners)
			res_extra(&r, "listeners", listeners);
		print_result(w, SOCK_STREAM, f, round, &r);
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	trace_dump();
	usleep(settle_ms * 1000);
}

/*
 * connect+accept+close in a namespace of its own, first with nothing else
 * there, then after 100 listeners were bound in each of -N other
 * namespaces (AF_NEXUS's port table is one for all namespaces).
 */
static void bench_ns_listeners(int f)
{
	const int per = 100;
	int i, j, self, next = 70000;
	struct result r;

	memset(&r, 0, sizeof(r));
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0 || unshare(CLONE_NEWNET)) {
		res_na(&r, "unshare");
		print_result("ns_listeners_0", SOCK_STREAM, f, 0, &r);
		return;
	}
	wait_quiet();	/* what earlier phases left behind runs first */
	for (i = 0; i < rounds; i++)
		ns_conn_round(f, "ns_listeners_0", i, 0);
	for (i = 0; i < netns_count; i++) {
		if (unshare(CLONE_NEWNET))
			break;
		for (j = 0; j < per; j++) {
			struct addr a;
			int fd = mk_socket(f, SOCK_STREAM);

			addr_explicit(f, next++, &a);
			if (fd < 0 || bind(fd, (struct sockaddr *)&a.ss, a.len) ||
			    listen(fd, 16))
				break;
		}
		if (j < per)
			break;
	}
	if (i < netns_count || setns(self, CLONE_NEWNET)) {
		memset(&r, 0, sizeof(r));
		res_na(&r, "listener %d in namespace %d", j, i);
		print_result("ns_listeners_full", SOCK_STREAM, f, 0, &r);
		return;
	}
	/* Back in the first namespace: a fresh one of its own again. */
	if (unshare(CLONE_NEWNET))
		return;
	wait_quiet();
	for (i = 0; i < rounds; i++)
		ns_conn_round(f, "ns_listeners_full", i,
			      (double)netns_count * per);
	fflush(stdout);
}

/* ---- kernel memory per established connection ---- */

static long meminfo_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *fp = fopen("/proc/meminfo", "r");
	size_t n = strlen(key);

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = atol(line + n + 1);
			break;
		}
	fclose(fp);
	return v;
}

/* Sum of active_objs * objsize over /proc/slabinfo, in bytes. */
static double slabinfo_bytes(void)
{
	char line[512], name[64];
	unsigned long active, num, size;
	double sum = 0;
	FILE *fp = fopen("/proc/slabinfo", "r");

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "%63s %lu %lu %lu", name, &active, &num,
			   &size) == 4)
			sum += (double)active * size;
	fclose(fp);
	return sum;
}

/*
 * Object sizes of the socket caches, for the report. SLUB merges caches of
 * one size, so /proc/slabinfo may not list them; /sys/kernel/slab does.
 */
static void print_slab_sizes(void)
{
	static const char *const caches[] = {
		"NEXUS", "UNIX", "TCP", "AF_VSOCK", "sock_inode_cache",
		"filp", "dentry",
	};
	char path[128], buf[32];
	int first = 1;
	size_t i;

	printf("@@ bench slab {");
	for (i = 0; i < sizeof(caches) / sizeof(caches[0]); i++) {
		long obj, slab;

		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/object_size",
			 caches[i]);
		if (nx_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		obj = atol(buf);
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/slab_size",
			 caches[i]);
		slab = nx_read_file(path, buf, sizeof(buf)) > 0 ? atol(buf) : 0;
		printf("%s\"%s\":{\"objsize\":%ld,\"slabsize\":%ld}",
		       first ? "" : ",", caches[i], obj, slab);
		first = 0;
	}
	printf("}\n");
}

static void settle(void)
{
	/* Let RCU-deferred frees of earlier sockets finish. */
	usleep(300000);
}

static int wl_mem(int f, int type, struct result *r)
{
	const int n = 1000;
	int *c = calloc(n, sizeof(int)), *s = calloc(n, sizeof(int));
	long slab0, slab1, unrec0, unrec1;
	double obj0, obj1;
	struct addr a;
	int l, i;

	l = mk_listener(f, type, 1024, &a);
	if (l < 0)
		return res_na(r, "listener");
	/* Warm the caches with a few connections made and dropped. */
	for (i = 0; i < 16; i++) {
		c[i] = mk_socket(f, type);
		if (c[i] < 0 || do_connect(c[i], &a))
			return res_na(r, "connect");
		s[i] = do_accept(f, type, l);
	}
	for (i = 0; i < 16; i++) {
		close(c[i]);
		close(s[i]);
	}
	settle();
	slab0 = meminfo_kb("Slab");
	unrec0 = meminfo_kb("SUnreclaim");
	obj0 = slabinfo_bytes();
	for (i = 0; i < n; i++) {
		c[i] = mk_socket(f, type);
		if (c[i] < 0 || do_connect(c[i], &a))
			return res_na(r, "connect %d", i);
		s[i] = do_accept(f, type, l);
		if (s[i] < 0)
			return res_na(r, "accept %d", i);
	}
	settle();
	slab1 = meminfo_kb("Slab");
	unrec1 = meminfo_kb("SUnreclaim");
	obj1 = slabinfo_bytes();
	r->value = (slab1 - slab0) * 1024.0 / n;
	strcpy(r->unit, "B/conn");
	res_extra(r, "sunreclaim", (unrec1 - unrec0) * 1024.0 / n);
	res_extra(r, "slabobj", (obj1 - obj0) / n);
	return 0;
}

/* ---- driver ---- */

typedef int (*wl_fn)(int f, int type, struct result *r);

struct workload {
	const char *name;
	wl_fn fn;
	int types[3];
	int timeout;		/* seconds of guest time per sample */
};

static const struct workload workloads[] = {
	{ "conn_cycle", wl_conn_cycle, { SOCK_STREAM, SOCK_SEQPACKET }, 120 },
	{ "conn_xcpu", wl_conn_xcpu, { SOCK_STREAM, SOCK_SEQPACKET }, 120 },
	{ "pingpong_1", wl_pingpong_1,
	  { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM }, 120 },
	{ "pingpong_4k", wl_pingpong_4k,
	  { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM }, 120 },
	{ "stream_tput", wl_stream_tput, { SOCK_STREAM }, 120 },
	{ "msg_tput", wl_msg_tput, { SOCK_DGRAM, SOCK_SEQPACKET }, 120 },
	{ "storm", wl_storm, { SOCK_STREAM }, 300 },
	{ "mem", wl_mem, { SOCK_STREAM }, 300 },
};

/* Run one sample in a child process, so that a hang or a leak stays there. */
static void run_sample(const struct workload *w, int type, int f, int round)
{
	struct result r;
	int p[2], st;
	pid_t pid;

	memset(&r, 0, sizeof(r));
	fflush(stdout);
	if (pipe(p)) {
		perror("pipe");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (!pid) {
		close(p[0]);
		pin_to(0);
		alarm(w->timeout);
		w->fn(f, type, &r);
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &r, sizeof(r)) != sizeof(r)) {
		memset(&r, 0, sizeof(r));
		errno = 0;
		res_na(&r, "sample process died");
	}
	close(p[0]);
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st) && !r.na && !r.value) {
		errno = 0;
		res_na(&r, "killed by signal %d", WTERMSIG(st));
	}
	print_result(w->name, type, f, round, &r);
	trace_dump();
	/*
	 * Let the kernel finish what the sample left behind (vsock and TCP
	 * closing handshakes, RCU frees) before the next one is timed:
	 * otherwise it is charged to whichever family runs next.
	 */
	usleep(settle_ms * 1000);
}

/* Raise a sysctl to at least @min (never lowers it). */
static void sysctl_at_least(const char *path, long min)
{
	char buf[64];

	if (nx_read_file(path, buf, sizeof(buf)) > 0 && atol(buf) >= min)
		return;
	snprintf(buf, sizeof(buf), "%ld", min);
	nx_write_file(path, buf);
}

static void raise_limits(void)
{
	long want = (fill_count > netns_count * 100 ? fill_count :
		     netns_count * 100L) + 50000;
	struct rlimit rl = { .rlim_cur = want, .rlim_max = want };

	sysctl_at_least("/proc/sys/fs/nr_open", want);
	sysctl_at_least("/proc/sys/fs/file-max", 2 * want);
	if (setrlimit(RLIMIT_NOFILE, &rl))
		perror("setrlimit(RLIMIT_NOFILE)");
}

/*
 * A phase that runs after the rounds, once per selected family (@only_fams:
 * the families it supports, 0 for all): @fn(family) in a process
 * of its own, bounded by alarm(@secs), then settle().
 */
static void run_phase(const char *name, void (*fn)(int f), unsigned int secs,
		      unsigned int only_fams)
{
	pid_t pid;
	int k, st;

	for (k = 0; k < NFAM; k++) {
		if (!(fam_mask & (1u << k)) ||
		    (only_fams && !(only_fams & (1u << k))))
			continue;
		fprintf(stderr, "nexus_bench: %s %s\n", name, fam_name[k]);
		fflush(stdout);
		pid = fork();
		if (!pid) {
			alarm(secs);
			fn(k);
			_exit(0);
		}
		waitpid(pid, &st, 0);
		settle();
	}
}

int main(int argc, char **argv)
{
	struct utsname u;
	int opt, round, wi, k, t;

	while ((opt = getopt(argc, argv, "r:s:w:F:f:T:S:PN:")) != -1) {
		switch (opt) {
		case 'r': rounds = atoi(optarg); break;
		case 's': scale = atoi(optarg); break;
		case 'w': only = optarg; break;
		case 'T': trace_funcs = optarg; break;
		case 'F': fill_count = atoi(optarg); break;
		case 'S': settle_ms = atoi(optarg); break;
		case 'P': pin_cpus = 1; break;
		case 'N': netns_count = atoi(optarg); break;
		case 'f':
			fam_mask = 0;
			for (k = 0; k < NFAM; k++)
				if (strstr(optarg, fam_name[k]))
					fam_mask |= 1u << k;
			break;
		default:
			fprintf(stderr, "usage: %s [-r ROUNDS] [-s SCALE%%] [-w LIST] [-F N] [-f FAMILIES] [-S MS] [-T FUNCS] [-P] [-N NAMESPACES]\n",
				argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	raise_limits();
	netns_base = slab_active("net_namespace");
	trace_setup();
	calibrate_clock();
	uname(&u);
	printf("@@ bench info {\"kernel\":\"%s\",\"cpus\":%ld,\"rounds\":%d,\"scale\":%d,\"fill\":%d,\"clock_ovh_ns\":%.1f,\"nexus_family\":%d}\n",
	       u.release, sysconf(_SC_NPROCESSORS_ONLN), rounds, scale,
	       fill_count, clock_ovh, nx_family());

	for (round = 0; round < rounds; round++) {
		fprintf(stderr, "nexus_bench: round %d/%d\n", round + 1, rounds);
		for (wi = 0; wi < (int)(sizeof(workloads) / sizeof(workloads[0])); wi++) {
			const struct workload *w = &workloads[wi];

			if (!selected(w->name))
				continue;
			for (k = 0; k < NFAM; k++) {
				int f = (k + round) % NFAM;

				if (!(fam_mask & (1u << f)))
					continue;
				for (t = 0; t < 3 && w->types[t]; t++)
					run_sample(w, w->types[t], f, round);
			}
		}
	}

	if (selected("bind_connect"))
		run_phase("bind_connect", bench_bind_connect, 1200, 0);
	if (selected("ns_listeners"))
		run_phase("ns_listeners", bench_ns_listeners, 1800,
			  1u << F_NEXUS | 1u << F_UNIX);
	if (selected("netns")) {
		fprintf(stderr, "nexus_bench: netns\n");
		bench_netns();
	}
	print_slab_sizes();
	printf("@@ bench end\n");
	return 0;
}
