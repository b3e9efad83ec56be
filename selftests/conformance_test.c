// SPDX-License-Identifier: GPL-2.0
/*
 * The connect() conformance matrix: every clause of docs/clauses.tsv, run
 * against AF_NEXUS (stream, seqpacket, dgram), AF_UNIX with abstract names
 * (stream, seqpacket, dgram), AF_INET TCP and UDP on loopback and AF_VSOCK
 * over the loopback transport (stream, seqpacket, dgram).
 *
 * Each test is one clause in one column. It prints its observed outcome as
 *
 *   # @conf <clause-id> <column> <outcome>
 *
 * (qemu/conformance.py turns these lines into docs/conformance.md) and
 * compares it with the expectation written in the CLAUSE() below: for
 * AF_NEXUS the specified behaviour (docs/stream.md, docs/dgram.md), for the
 * other families what Linux does, so that a kernel that changes shows up.
 * A clause a family cannot express is "n/a: reason" and reported as a
 * skip, never as a pass. A column whose socket() fails (vsock datagrams
 * without a datagram transport) is n/a for every clause, and that failure
 * is itself asserted (unavailable[] below).
 *
 * Outcomes: "0", an errno name, or a sequence "A -> B -> C" of the steps
 * the clause takes (each test says which).
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "conformance.h"

/* Columns that do not exist on these kernels, and socket()'s errno. */
static const char *const unavailable[NCOLS] = {
	/* 6.1: only the VMCI transport carries vsock datagrams. */
	[C_VSOCK_DGRAM] = "ENODEV",
};

typedef void (*clause_fn)(struct __test_metadata *_metadata, enum col c,
			  char *out);

static void conf_record(const char *id, enum col c, const char *out)
{
	printf("# @conf %s %s %s\n", id, cols[c].name, out);
	fflush(stdout);
}

static void conf_run(struct __test_metadata *_metadata, enum col c,
		     const char *tname, const char *const want[NCOLS],
		     clause_fn body)
{
	char id[64], out[OUTSZ] = "";
	const char *w = want[c];
	int fd, i;

	for (i = 0; tname[i] && i < (int)sizeof(id) - 1; i++)
		id[i] = tname[i] == '_' ? '-' : tname[i];
	id[i] = 0;

	fd = c_socket(c);
	if (fd < 0) {
		int e = errno;

		snprintf(out, sizeof(out),
			 "n/a: no transport for this type (socket() gives %s)",
			 en(e));
		conf_record(id, c, out);
		ASSERT_NE(NULL, unavailable[c]) TH_LOG("socket(): %s", en(e));
		ASSERT_STREQ(unavailable[c], en(e));
		SKIP(return, "%s", out);
	}
	close(fd);
	ASSERT_EQ(NULL, unavailable[c])
		TH_LOG("%s has become available: write its expectations",
		       cols[c].name);
	ASSERT_NE(NULL, w);
	if (!strncmp(w, "n/a", 3)) {
		conf_record(id, c, w);
		SKIP(return, "%s", w);
	}
	body(_metadata, c, out);
	conf_record(id, c, out);
	if (strcmp(w, out)) {
		printf("# @conf-mismatch %s %s %s\n", id, cols[c].name, w);
		fflush(stdout);
	}
	EXPECT_STREQ(w, out);
}

FIXTURE(conf) {
	int unused;
};

FIXTURE_VARIANT(conf) {
	enum col col;
};

FIXTURE_VARIANT_ADD(conf, nexus_stream) { .col = C_NX_STREAM };
FIXTURE_VARIANT_ADD(conf, nexus_seqpacket) { .col = C_NX_SEQPACKET };
FIXTURE_VARIANT_ADD(conf, nexus_dgram) { .col = C_NX_DGRAM };
FIXTURE_VARIANT_ADD(conf, unix_stream) { .col = C_UNIX_STREAM };
FIXTURE_VARIANT_ADD(conf, unix_seqpacket) { .col = C_UNIX_SEQPACKET };
FIXTURE_VARIANT_ADD(conf, unix_dgram) { .col = C_UNIX_DGRAM };
FIXTURE_VARIANT_ADD(conf, inet_tcp) { .col = C_TCP };
FIXTURE_VARIANT_ADD(conf, inet_udp) { .col = C_UDP };
FIXTURE_VARIANT_ADD(conf, vsock_stream) { .col = C_VSOCK_STREAM };
FIXTURE_VARIANT_ADD(conf, vsock_seqpacket) { .col = C_VSOCK_SEQPACKET };
FIXTURE_VARIANT_ADD(conf, vsock_dgram) { .col = C_VSOCK_DGRAM };

FIXTURE_SETUP(conf)
{
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(conf)
{
}

/*
 * want_<name>[]: the expected outcome per column (vsock-dgram is left out:
 * see unavailable[]). CLAUSE(name) { body }: the test of the clause whose id
 * is the name with '-' for '_'; the body writes the outcome into out.
 */
#define CLAUSE(name)							\
	static void body_##name(struct __test_metadata *_metadata,	\
				enum col c, char *out);			\
	TEST_F(conf, name)						\
	{								\
		conf_run(_metadata, variant->col, #name, want_##name,	\
			 body_##name);					\
	}								\
	static void body_##name(struct __test_metadata *_metadata,	\
				enum col c, char *out)

/* Reasons shared by several clauses. */
#define NA_DGRAM "n/a: a datagram connect() completes at once; nothing is pending"
#define NA_STREAM "n/a: connection-oriented; see the datagram clauses"
#define NA_PATH_NX "n/a: addresses are numbers (node, port), not path names"
#define NA_PATH_INET "n/a: addresses are numbers, not path names"
#define NA_PATH_VSOCK "n/a: addresses are numbers (CID, port), not path names"
#define NA_VSOCK_PENDING "n/a: the loopback transport refuses a full listener at once (ECONNRESET): no attempt stays pending"

static const char *peer_state(int fd, const struct addr *expect)
{
	struct addr p;
	int e = c_peer(fd, &p);

	if (e)
		return en(e);
	return c_same_addr(&p, expect) ? "peer kept" : "peer replaced";
}

/* ---- establishment ---- */

static const char *const want_connect_succeeds[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"0",
	"0",
	"0",
	/* AF_UNIX stream, seqpacket, dgram */
	"0",
	"0",
	"0",
	/* AF_INET TCP, UDP */
	"0",
	"0",
	/* AF_VSOCK stream, seqpacket */
	"0",
	"0",
};

CLAUSE(connect_succeeds)
{
	struct addr a;
	int s = c_server(c, 4, &a), fd = c_socket(c);

	ASSERT_LE(0, s);
	step(out, "%s", en(xconn(fd, &a)));
}

static const char *const want_blocking_connect_waits[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"waits -> 0",
	"waits -> 0",
	NA_DGRAM,
	/* AF_UNIX stream, seqpacket, dgram */
	"waits -> 0",
	"waits -> 0",
	NA_DGRAM,
	/* AF_INET TCP, UDP */
	"waits -> 0",
	NA_DGRAM,
	/* AF_VSOCK stream, seqpacket */
	"at once -> ECONNRESET",
	"at once -> ECONNRESET",
};

CLAUSE(blocking_connect_waits)
{
	struct addr a;
	struct timespec t0;
	int q, l = c_full_listener(c, &a, &q), fd = c_socket(c), e;
	pid_t pid;

	ASSERT_LE(0, l);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		nx_msleep(300);
		_exit(accept(l, NULL, NULL) < 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	e = xconn(fd, &a);
	step(out, "%s", ms_since(&t0) >= 250 ? "waits" : "at once");
	step(out, "%s", en(e));
	waitpid(pid, NULL, 0);
}

static const char *const want_nonblocking_with_room[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"0",
	"0",
	"0",
	/* AF_UNIX stream, seqpacket, dgram */
	"0",
	"0",
	"0",
	/* AF_INET TCP, UDP */
	"EINPROGRESS -> POLLOUT -> SO_ERROR=0",
	"0",
	/* AF_VSOCK stream, seqpacket */
	"EINPROGRESS -> POLLOUT -> SO_ERROR=0",
	"EINPROGRESS -> POLLOUT -> SO_ERROR=0",
};

CLAUSE(nonblocking_with_room)
{
	struct addr a;
	int s = c_server(c, 4, &a), fd = c_socket(c), e;

	ASSERT_LE(0, s);
	ASSERT_EQ(0, nx_set_nonblock(fd, 1));
	e = xconn(fd, &a);
	step(out, "%s", en(e));
	if (e != EINPROGRESS)
		return;
	step(out, "%s", evname(nx_poll(fd, POLLOUT, 3000)));
	step(out, "SO_ERROR=%s", en(nx_so_error(fd)));
}

/*
 * The attempt cannot complete at once (full accept queue). Then: what poll()
 * says within 300 ms; accept() makes room; poll() again; SO_ERROR; connect()
 * once more.
 */
static const char *const want_einprogress_nonblocking[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"EINPROGRESS -> nothing -> accept() -> POLLOUT -> SO_ERROR=0 -> connect EISCONN",
	"EINPROGRESS -> nothing -> accept() -> POLLOUT -> SO_ERROR=0 -> connect EISCONN",
	NA_DGRAM,
	/* AF_UNIX stream, seqpacket, dgram */
	"EAGAIN",
	"EAGAIN",
	NA_DGRAM,
	/* AF_INET TCP, UDP */
	"EINPROGRESS -> nothing -> accept() -> POLLOUT -> SO_ERROR=0 -> connect 0",
	NA_DGRAM,
	/* AF_VSOCK stream, seqpacket */
	"EINPROGRESS -> POLLOUT|POLLERR -> SO_ERROR=ECONNRESET -> connect EALREADY",
	"EINPROGRESS -> POLLOUT|POLLERR -> SO_ERROR=ECONNRESET -> connect EALREADY",
};

CLAUSE(einprogress_nonblocking)
{
	struct addr a;
	int q, l = c_full_listener(c, &a, &q), fd = c_socket(c), e;
	short ev;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, nx_set_nonblock(fd, 1));
	e = xconn(fd, &a);
	step(out, "%s", en(e));
	if (e != EINPROGRESS)
		return;
	ev = nx_poll(fd, POLLOUT, 300);
	if (!ev) {
		step(out, "nothing");
		ASSERT_LE(0, accept(l, NULL, NULL));
		step(out, "accept()");
		ev = nx_poll(fd, POLLOUT, 3000);
	}
	step(out, "%s", evname(ev));
	step(out, "SO_ERROR=%s", en(nx_so_error(fd)));
	step(out, "connect %s", en(xconn(fd, &a)));
}

static const char *const want_eagain_unix_nonblocking[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"EINPROGRESS",
	"EINPROGRESS",
	NA_DGRAM,
	/* AF_UNIX stream, seqpacket, dgram */
	"EAGAIN",
	"EAGAIN",
	NA_DGRAM,
	/* AF_INET TCP, UDP */
	"EINPROGRESS",
	NA_DGRAM,
	/* AF_VSOCK stream, seqpacket */
	"EINPROGRESS",
	"EINPROGRESS",
};

CLAUSE(eagain_unix_nonblocking)
{
	struct addr a;
	int q, l = c_full_listener(c, &a, &q), fd = c_socket(c);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, nx_set_nonblock(fd, 1));
	step(out, "%s", en(xconn(fd, &a)));
}

static const char *const want_ealready[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"EINPROGRESS -> EALREADY",
	"EINPROGRESS -> EALREADY",
	NA_DGRAM,
	/* AF_UNIX stream, seqpacket, dgram */
	"EAGAIN -> EAGAIN",
	"EAGAIN -> EAGAIN",
	NA_DGRAM,
	/* AF_INET TCP, UDP */
	"EINPROGRESS -> EALREADY",
	NA_DGRAM,
	/* AF_VSOCK stream, seqpacket */
	NA_VSOCK_PENDING,
	NA_VSOCK_PENDING,
};

CLAUSE(ealready)
{
	struct addr a;
	int q, l = c_full_listener(c, &a, &q), fd = c_socket(c);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, nx_set_nonblock(fd, 1));
	step(out, "%s", en(xconn(fd, &a)));
	step(out, "%s", en(xconn(fd, &a)));
}

static const char *const want_eisconn[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"EISCONN",
	"EISCONN",
	"n/a: connecting again changes the peer (dgram-reconnect)",
	/* AF_UNIX stream, seqpacket, dgram */
	"EISCONN",
	"EISCONN",
	"n/a: connecting again changes the peer (dgram-reconnect)",
	/* AF_INET TCP, UDP */
	"EISCONN",
	"n/a: connecting again changes the peer (dgram-reconnect)",
	/* AF_VSOCK stream, seqpacket */
	"EISCONN",
	"EISCONN",
};

CLAUSE(eisconn)
{
	struct addr a;
	int s = c_server(c, 4, &a), fd = c_socket(c);

	ASSERT_LE(0, s);
	ASSERT_EQ(0, xconn(fd, &a));
	step(out, "%s", en(xconn(fd, &a)));
}

/* After an attempt was interrupted: connect() again, room, poll, SO_ERROR. */
static void after_interrupted(struct __test_metadata *_metadata, int l, int fd,
			      const struct addr *a, char *out)
{
	ASSERT_EQ(0, nx_set_nonblock(fd, 1));
	step(out, "%s", en(xconn(fd, a)));
	ASSERT_LE(0, accept(l, NULL, NULL));
	step(out, "accept()");
	step(out, "%s", evname(nx_poll(fd, POLLOUT, 3000)));
	step(out, "SO_ERROR=%s", en(nx_so_error(fd)));
	step(out, "connect %s", en(xconn(fd, a)));
}

static void signal_me(void *arg)
{
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
}

static const char *const want_eintr_completes_in_background[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"EINTR -> EALREADY -> accept() -> POLLOUT -> SO_ERROR=0 -> connect EISCONN",
	"EINTR -> EALREADY -> accept() -> POLLOUT -> SO_ERROR=0 -> connect EISCONN",
	NA_DGRAM,
	/* AF_UNIX stream, seqpacket, dgram */
	"EINTR -> EAGAIN -> accept() -> POLLOUT|POLLHUP -> SO_ERROR=0 -> connect 0",
	"EINTR -> EAGAIN -> accept() -> POLLOUT|POLLHUP -> SO_ERROR=0 -> connect 0",
	NA_DGRAM,
	/* AF_INET TCP, UDP */
	"EINTR -> EALREADY -> accept() -> POLLOUT -> SO_ERROR=0 -> connect 0",
	NA_DGRAM,
	/* AF_VSOCK stream, seqpacket */
	NA_VSOCK_PENDING,
	NA_VSOCK_PENDING,
};

CLAUSE(eintr_completes_in_background)
{
	struct sigaction sa = { .sa_handler = noop_handler };
	struct nx_delayed d;
	pthread_t self = pthread_self();
	struct addr a;
	int q, l = c_full_listener(c, &a, &q), fd = c_socket(c);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, nx_run_later(&d, 200, signal_me, &self));
	step(out, "%s", en(xconn(fd, &a)));
	nx_join(&d);
	after_interrupted(_metadata, l, fd, &a, out);
}

struct canc {
	int fd;
	const struct addr *a;
	int err;
};

static void *connect_thread(void *p)
{
	struct canc *k = p;

	k->err = xconn(k->fd, k->a);
	return NULL;
}

static const char *const want_cancellation_point[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"cancelled -> EALREADY -> accept() -> POLLOUT -> SO_ERROR=0 -> connect EISCONN",
	"cancelled -> EALREADY -> accept() -> POLLOUT -> SO_ERROR=0 -> connect EISCONN",
	NA_DGRAM,
	/* AF_UNIX stream, seqpacket, dgram */
	"cancelled -> EAGAIN -> accept() -> POLLOUT|POLLHUP -> SO_ERROR=0 -> connect 0",
	"cancelled -> EAGAIN -> accept() -> POLLOUT|POLLHUP -> SO_ERROR=0 -> connect 0",
	NA_DGRAM,
	/* AF_INET TCP, UDP */
	"cancelled -> EALREADY -> accept() -> POLLOUT -> SO_ERROR=0 -> connect 0",
	NA_DGRAM,
	/* AF_VSOCK stream, seqpacket */
	NA_VSOCK_PENDING,
	NA_VSOCK_PENDING,
};

CLAUSE(cancellation_point)
{
	struct addr a;
	int q, l = c_full_listener(c, &a, &q), fd = c_socket(c);
	struct canc k = { .fd = fd, .a = &a, .err = -1 };
	pthread_t t;
	void *ret;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, pthread_create(&t, NULL, connect_thread, &k));
	nx_msleep(200);
	pthread_cancel(t);
	ASSERT_EQ(0, pthread_join(t, &ret));
	if (ret == PTHREAD_CANCELED)
		step(out, "cancelled");
	else
		step(out, "returned %s", en(k.err));
	after_interrupted(_metadata, l, fd, &a, out);
}

static const char *const want_etimedout[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"ETIMEDOUT",
	"ETIMEDOUT",
	NA_DGRAM,
	/* AF_UNIX stream, seqpacket, dgram */
	"EAGAIN",
	"EAGAIN",
	NA_DGRAM,
	/* AF_INET TCP, UDP */
	"ETIMEDOUT",
	NA_DGRAM,
	/* AF_VSOCK stream, seqpacket */
	"ECONNRESET",
	"ECONNRESET",
};

CLAUSE(etimedout)
{
	struct timeval tv = { 0, 200000 };
	unsigned long long ms = 200;
	struct addr a;
	int q, l = c_full_listener(c, &a, &q), fd = c_socket(c), one = 1;

	ASSERT_LE(0, l);
	switch (cols[c].kind) {
	case K_NEXUS:
		ASSERT_EQ(0, setsockopt(fd, SOL_NEXUS, NEXUS_CONNECT_TIMEOUT,
					&ms, sizeof(ms)));
		break;
	case K_UNIX:
		ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
		break;
	case K_INET:
		/* One SYN retransmission: gives up after about 3 s. */
		ASSERT_EQ(0, setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &one, sizeof(one)));
		break;
	case K_VSOCK:
		ASSERT_EQ(0, setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT,
					&tv, sizeof(tv)));
		break;
	}
	step(out, "%s", en(xconn(fd, &a)));
}

/*
 * An attempt that fails after connect() returned: the listener closes while
 * the attempt waits. poll() for writing; SO_ERROR twice (read-and-clear).
 */
static const char *const want_so_error_after_einprogress[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"EINPROGRESS -> close listener -> POLLOUT|POLLERR|POLLHUP -> SO_ERROR=ECONNREFUSED -> SO_ERROR=0",
	"EINPROGRESS -> close listener -> POLLOUT|POLLERR|POLLHUP -> SO_ERROR=ECONNREFUSED -> SO_ERROR=0",
	NA_DGRAM,
	/* AF_UNIX stream, seqpacket, dgram */
	"EAGAIN",
	"EAGAIN",
	NA_DGRAM,
	/* AF_INET TCP, UDP */
	"EINPROGRESS -> close listener -> POLLOUT|POLLERR|POLLHUP -> SO_ERROR=ECONNREFUSED -> SO_ERROR=0",
	NA_DGRAM,
	/* AF_VSOCK stream, seqpacket */
	"EINPROGRESS -> close listener -> POLLOUT|POLLERR -> SO_ERROR=ECONNRESET -> SO_ERROR=0",
	"EINPROGRESS -> close listener -> POLLOUT|POLLERR -> SO_ERROR=ECONNRESET -> SO_ERROR=0",
};

CLAUSE(so_error_after_einprogress)
{
	struct addr a;
	int q, l = c_full_listener(c, &a, &q), fd = c_socket(c), e;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, nx_set_nonblock(fd, 1));
	e = xconn(fd, &a);
	step(out, "%s", en(e));
	if (e != EINPROGRESS)
		return;
	close(l);
	step(out, "close listener");
	step(out, "%s", evname(nx_poll(fd, POLLOUT, 3000)));
	step(out, "SO_ERROR=%s", en(nx_so_error(fd)));
	step(out, "SO_ERROR=%s", en(nx_so_error(fd)));
}

/*
 * After a failed connect(): stream: refused at once, getpeername(), connect
 * to a listener; then an attempt that fails in the background (listener
 * closed, SO_ERROR not read) and connect() to a listener again.
 * Datagram: connected to A, connect() to an address nobody has; the peer.
 */
static const char *const want_state_after_failure[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"ECONNREFUSED -> getpeername ENOTCONN -> connect 0 -> background failure -> connect 0",
	"ECONNREFUSED -> getpeername ENOTCONN -> connect 0 -> background failure -> connect 0",
	"ECONNREFUSED -> peer kept",
	/* AF_UNIX stream, seqpacket, dgram */
	"ECONNREFUSED -> getpeername ENOTCONN -> connect 0 -> no background attempt (EAGAIN)",
	"ECONNREFUSED -> getpeername ENOTCONN -> connect 0 -> no background attempt (EAGAIN)",
	"ECONNREFUSED -> peer kept",
	/* AF_INET TCP, UDP */
	"ECONNREFUSED -> getpeername ENOTCONN -> connect 0 -> background failure -> connect ECONNREFUSED",
	"0 -> peer replaced",
	/* AF_VSOCK stream, seqpacket */
	"ECONNRESET -> getpeername ENOTCONN -> connect 0 -> background failure -> connect ECONNRESET",
	"ECONNRESET -> getpeername ENOTCONN -> connect 0 -> background failure -> connect ECONNRESET",
};

CLAUSE(state_after_failure)
{
	struct addr a, f, p;
	int s = c_server(c, 4, &a), fd = c_socket(c), fd2, q, l, e;

	ASSERT_LE(0, s);
	ASSERT_EQ(0, c_free_addr(c, &f));
	if (c_is_dgram(c)) {
		ASSERT_EQ(0, xconn(fd, &a));
		step(out, "%s", en(xconn(fd, &f)));
		step(out, "%s", peer_state(fd, &a));
		return;
	}
	step(out, "%s", en(xconn(fd, &f)));
	step(out, "getpeername %s", en(c_peer(fd, &p)));
	step(out, "connect %s", en(xconn(fd, &a)));

	l = c_full_listener(c, &f, &q);
	ASSERT_LE(0, l);
	fd2 = c_socket(c);
	ASSERT_EQ(0, nx_set_nonblock(fd2, 1));
	e = xconn(fd2, &f);
	if (e != EINPROGRESS) {
		step(out, "no background attempt (%s)", en(e));
		return;
	}
	close(l);
	nx_poll(fd2, POLLOUT, 3000);
	step(out, "background failure");
	ASSERT_EQ(0, nx_set_nonblock(fd2, 0));
	step(out, "connect %s", en(xconn(fd2, &a)));
}

/* ---- datagram association ---- */

static const char *const want_dgram_default_peer[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_STREAM,
	NA_STREAM,
	"0 -> send 0 -> delivered from the sender",
	/* AF_UNIX stream, seqpacket, dgram */
	NA_STREAM,
	NA_STREAM,
	"0 -> send 0 -> delivered from the sender",
	/* AF_INET TCP, UDP */
	NA_STREAM,
	"0 -> send 0 -> delivered from the sender",
	/* AF_VSOCK stream, seqpacket */
	NA_STREAM,
	NA_STREAM,
};

CLAUSE(dgram_default_peer)
{
	struct addr r, an, from;
	int s = c_server(c, 0, &r), fd = c_socket(c);

	ASSERT_LE(0, s);
	ASSERT_EQ(0, c_bind_any(c, fd));
	ASSERT_EQ(0, c_name(fd, &an));
	step(out, "%s", en(xconn(fd, &r)));
	step(out, "send %s", en(xsend(fd, "x")));
	if (!recv_from(s, &from))
		step(out, "not delivered");
	else
		step(out, "delivered from %s",
		     c_same_addr(&from, &an) ? "the sender" : "another address");
}

/* C sends to A, which is connected to B. */
static const char *const want_dgram_only_from_peer[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_STREAM,
	NA_STREAM,
	"connect 0 -> send EPERM -> not received",
	/* AF_UNIX stream, seqpacket, dgram */
	NA_STREAM,
	NA_STREAM,
	"connect EPERM -> sendto EPERM -> not received",
	/* AF_INET TCP, UDP */
	NA_STREAM,
	"connect 0 -> send 0 -> not received",
	/* AF_VSOCK stream, seqpacket */
	NA_STREAM,
	NA_STREAM,
};

CLAUSE(dgram_only_from_peer)
{
	struct addr aa, ab, from;
	int a = c_server(c, 0, &aa), b = c_server(c, 0, &ab), x = c_socket(c), e;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, c_bind_any(c, x));
	ASSERT_EQ(0, xconn(a, &ab));
	e = xconn(x, &aa);
	step(out, "connect %s", en(e));
	if (!e) {
		step(out, "send %s", en(xsend(x, "x")));
	} else {
		e = sendto(x, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&aa.ss,
			   aa.len) < 0 ? errno : 0;
		step(out, "sendto %s", en(e));
	}
	step(out, "%s", recv_from(a, &from) ? "received" : "not received");
}

static const char *const want_dgram_reconnect[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"n/a: connected once; see eisconn",
	"n/a: connected once; see eisconn",
	"0 -> 0 -> send reaches the new peer",
	/* AF_UNIX stream, seqpacket, dgram */
	"n/a: connected once; see eisconn",
	"n/a: connected once; see eisconn",
	"0 -> 0 -> send reaches the new peer",
	/* AF_INET TCP, UDP */
	"n/a: connected once; see eisconn",
	"0 -> 0 -> send reaches the new peer",
	/* AF_VSOCK stream, seqpacket */
	"n/a: connected once; see eisconn",
	"n/a: connected once; see eisconn",
};

CLAUSE(dgram_reconnect)
{
	struct addr ab, ac, from;
	int b = c_server(c, 0, &ab), x = c_server(c, 0, &ac), fd = c_socket(c);

	ASSERT_LE(0, b);
	ASSERT_LE(0, x);
	step(out, "%s", en(xconn(fd, &ab)));
	step(out, "%s", en(xconn(fd, &ac)));
	ASSERT_EQ(0, xsend(fd, "x"));
	if (recv_from(x, &from))
		step(out, "send reaches the new peer");
	else if (recv_from(b, &from))
		step(out, "send reaches the old peer");
	else
		step(out, "send reaches nobody");
}

static const char *const want_send_unconnected[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"EPIPE",
	"EPIPE",
	"EDESTADDRREQ",
	/* AF_UNIX stream, seqpacket, dgram */
	"ENOTCONN",
	"ENOTCONN",
	"ENOTCONN",
	/* AF_INET TCP, UDP */
	"EPIPE",
	"EDESTADDRREQ",
	/* AF_VSOCK stream, seqpacket */
	"ENOTCONN",
	"ENOTCONN",
};

CLAUSE(send_unconnected)
{
	int fd = c_socket(c);

	ASSERT_EQ(0, c_bind_any(c, fd));
	step(out, "%s", en(xsend(fd, "x")));
}

static const char *const want_dgram_peer_closed[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_STREAM,
	NA_STREAM,
	"ECONNREFUSED -> ECONNREFUSED",
	/* AF_UNIX stream, seqpacket, dgram */
	NA_STREAM,
	NA_STREAM,
	"ECONNREFUSED -> ENOTCONN",
	/* AF_INET TCP, UDP */
	NA_STREAM,
	"0 -> ECONNREFUSED",
	/* AF_VSOCK stream, seqpacket */
	NA_STREAM,
	NA_STREAM,
};

CLAUSE(dgram_peer_closed)
{
	struct addr ab;
	int b = c_server(c, 0, &ab), fd = c_socket(c);

	ASSERT_LE(0, b);
	ASSERT_EQ(0, c_bind_any(c, fd));
	ASSERT_EQ(0, xconn(fd, &ab));
	close(b);
	step(out, "%s", en(xsend(fd, "x")));
	nx_msleep(20);
	step(out, "%s", en(xsend(fd, "x")));
}

/* ---- AF_UNSPEC ---- */

static const char *const want_afunspec_dissolve_dgram[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"n/a: see afunspec-dissolve-stream",
	"n/a: see afunspec-dissolve-stream",
	"0 -> send EDESTADDRREQ -> getpeername ENOTCONN -> reconnect 0",
	/* AF_UNIX stream, seqpacket, dgram */
	"n/a: see afunspec-dissolve-stream",
	"n/a: see afunspec-dissolve-stream",
	"0 -> send ENOTCONN -> getpeername ENOTCONN -> reconnect 0",
	/* AF_INET TCP, UDP */
	"n/a: see afunspec-dissolve-stream",
	"0 -> send EDESTADDRREQ -> getpeername ENOTCONN -> reconnect 0",
	/* AF_VSOCK stream, seqpacket */
	"n/a: see afunspec-dissolve-stream",
	"n/a: see afunspec-dissolve-stream",
};

CLAUSE(afunspec_dissolve_dgram)
{
	struct addr ab, p;
	int b = c_server(c, 0, &ab), fd = c_socket(c);

	ASSERT_LE(0, b);
	ASSERT_EQ(0, xconn(fd, &ab));
	step(out, "%s", en(xconn_unspec(fd)));
	step(out, "send %s", en(xsend(fd, "x")));
	step(out, "getpeername %s", en(c_peer(fd, &p)));
	step(out, "reconnect %s", en(xconn(fd, &ab)));
}

static const char *const want_afunspec_dissolve_stream[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"0 -> peer reads ECONNRESET -> reconnect 0",
	"0 -> peer reads ECONNRESET -> reconnect 0",
	"n/a: see afunspec-dissolve-dgram",
	/* AF_UNIX stream, seqpacket, dgram */
	"EINVAL -> peer reads EAGAIN -> reconnect EISCONN",
	"EINVAL -> peer reads EAGAIN -> reconnect EISCONN",
	"n/a: see afunspec-dissolve-dgram",
	/* AF_INET TCP, UDP */
	"0 -> peer reads ECONNRESET -> reconnect 0",
	"n/a: see afunspec-dissolve-dgram",
	/* AF_VSOCK stream, seqpacket */
	"EISCONN -> peer reads EAGAIN -> reconnect EISCONN",
	"EISCONN -> peer reads EAGAIN -> reconnect EISCONN",
};

CLAUSE(afunspec_dissolve_stream)
{
	struct addr a;
	int l = c_server(c, 4, &a), fd = c_socket(c), s;

	ASSERT_LE(0, l);
	ASSERT_EQ(0, xconn(fd, &a));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	step(out, "%s", en(xconn_unspec(fd)));
	nx_poll(s, POLLIN, 500);
	step(out, "peer reads %s", recv_name(s));
	step(out, "reconnect %s", en(xconn(fd, &a)));
}

static const char *const want_afunspec_unconnected[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"0",
	"0",
	"0",
	/* AF_UNIX stream, seqpacket, dgram */
	"EINVAL",
	"EINVAL",
	"0",
	/* AF_INET TCP, UDP */
	"0",
	"0",
	/* AF_VSOCK stream, seqpacket */
	"EINVAL",
	"EINVAL",
};

CLAUSE(afunspec_unconnected)
{
	int fd = c_socket(c);

	step(out, "%s", en(xconn_unspec(fd)));
}

/* ---- local address ---- */

static const char *const want_autobind_on_connect[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"0 -> bound",
	"0 -> bound",
	"0 -> bound",
	/* AF_UNIX stream, seqpacket, dgram */
	"0 -> unbound",
	"0 -> unbound",
	"0 -> unbound",
	/* AF_INET TCP, UDP */
	"0 -> bound",
	"0 -> bound",
	/* AF_VSOCK stream, seqpacket */
	"0 -> bound",
	"0 -> bound",
};

CLAUSE(autobind_on_connect)
{
	struct addr a;
	int s = c_server(c, 4, &a), fd = c_socket(c);

	ASSERT_LE(0, s);
	step(out, "%s", en(xconn(fd, &a)));
	step(out, "%s", c_is_bound(c, fd) ? "bound" : "unbound");
}

static const char *const want_connect_to_self[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"ECONNREFUSED",
	"ECONNREFUSED",
	"0 -> receives its own datagram",
	/* AF_UNIX stream, seqpacket, dgram */
	"ECONNREFUSED",
	"ECONNREFUSED",
	"0 -> receives its own datagram",
	/* AF_INET TCP, UDP */
	"0",
	"0 -> receives its own datagram",
	/* AF_VSOCK stream, seqpacket */
	"EPROTO",
	"EPROTO",
};

CLAUSE(connect_to_self)
{
	struct addr a, from;
	int fd = c_socket(c), e;

	ASSERT_EQ(0, c_bind_any(c, fd));
	ASSERT_EQ(0, c_name(fd, &a));
	e = xconn(fd, &a);
	step(out, "%s", en(e));
	if (e || !c_is_dgram(c))
		return;
	ASSERT_EQ(0, xsend(fd, "x"));
	step(out, "%s", recv_from(fd, &from) ? "receives its own datagram" :
					     "receives nothing");
}

/*
 * Two sockets share one local address (SO_REUSEADDR); the first connects,
 * then the second connects to the same destination.
 */
#define NA_ONE_OWNER "n/a: a name has one owner, so bind() reports EADDRINUSE and connect() never meets a used local name"
static const char *const want_eaddrinuse_local[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_ONE_OWNER,
	NA_ONE_OWNER,
	NA_ONE_OWNER,
	/* AF_UNIX stream, seqpacket, dgram */
	NA_ONE_OWNER,
	NA_ONE_OWNER,
	NA_ONE_OWNER,
	/* AF_INET TCP, UDP */
	"0 -> EADDRNOTAVAIL",
	"0 -> 0",
	/* AF_VSOCK stream, seqpacket */
	NA_ONE_OWNER,
	NA_ONE_OWNER,
};

CLAUSE(eaddrinuse_local)
{
	struct addr a, la;
	int s = c_server(c, 4, &a), x = c_socket(c), y = c_socket(c), one = 1;

	ASSERT_LE(0, s);
	ASSERT_EQ(0, setsockopt(x, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, setsockopt(y, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, c_bind_any(c, x));
	ASSERT_EQ(0, c_name(x, &la));
	ASSERT_EQ(0, bind(y, (struct sockaddr *)&la.ss, la.len));
	step(out, "%s", en(xconn(x, &a)));
	step(out, "%s", en(xconn(y, &a)));
}

/*
 * In a private network namespace, the ephemeral range is one port and a
 * bound socket holds it; an unbound socket connects to a server on a
 * fixed port.
 */
#define NA_NO_RANGE_UNIX "n/a: autobind draws from 2^20 abstract names; no sysctl narrows it"
#define NA_NO_RANGE_VSOCK "n/a: no ephemeral-range sysctl; autobind draws from the whole 32-bit port space"
static const char *const want_eaddrnotavail_ephemeral_exhausted[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"EADDRNOTAVAIL -> still unbound",
	"EADDRNOTAVAIL -> still unbound",
	"EADDRNOTAVAIL -> still unbound",
	/* AF_UNIX stream, seqpacket, dgram */
	NA_NO_RANGE_UNIX,
	NA_NO_RANGE_UNIX,
	NA_NO_RANGE_UNIX,
	/* AF_INET TCP, UDP */
	"EADDRNOTAVAIL -> still unbound",
	"EAGAIN -> still unbound",
	/* AF_VSOCK stream, seqpacket */
	NA_NO_RANGE_VSOCK,
	NA_NO_RANGE_VSOCK,
};

CLAUSE(eaddrnotavail_ephemeral_exhausted)
{
	const char *sysctl = cols[c].kind == K_NEXUS ?
		"/proc/sys/net/nexus/ephemeral_ports" :
		"/proc/sys/net/ipv4/ip_local_port_range";
	struct addr a;
	int s, hold, fd, e;

	ASSERT_EQ(0, c_private_netns(1));
	e = nx_write_file(sysctl, "40000 40000");
	if (e) {
		step(out, "no %s (%s)", sysctl, en(-e));
		return;
	}
	hold = c_socket(c);
	ASSERT_EQ(0, c_bind_port(c, hold, 40000));
	s = c_socket(c);
	ASSERT_EQ(0, c_bind_port(c, s, 5000));
	if (!c_is_dgram(c))
		ASSERT_EQ(0, listen(s, 4));
	ASSERT_EQ(0, c_name(s, &a));
	fd = c_socket(c);
	step(out, "%s", en(xconn(fd, &a)));
	step(out, "%s", c_is_bound(c, fd) ? "bound" : "still unbound");
}

static const char *const want_eaddrnotavail_port_zero[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"ECONNREFUSED",
	"ECONNREFUSED",
	"ECONNREFUSED",
	/* AF_UNIX stream, seqpacket, dgram */
	"n/a: no ports; the empty name is einval-short-addrlen",
	"n/a: no ports; the empty name is einval-short-addrlen",
	"n/a: no ports; the empty name is einval-short-addrlen",
	/* AF_INET TCP, UDP */
	"ECONNREFUSED",
	"0",
	/* AF_VSOCK stream, seqpacket */
	"ECONNRESET",
	"ECONNRESET",
};

CLAUSE(eaddrnotavail_port_zero)
{
	struct addr a;
	int fd = c_socket(c);

	c_host_addr(c, &a, 0);
	if (cols[c].kind == K_VSOCK)
		((struct sockaddr_vm *)&a.ss)->svm_port = 0;
	step(out, "%s", en(xconn(fd, &a)));
}

/* ---- the target ---- */

static const char *const want_econnrefused_no_listener[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"ECONNREFUSED",
	"ECONNREFUSED",
	"ECONNREFUSED",
	/* AF_UNIX stream, seqpacket, dgram */
	"ECONNREFUSED",
	"ECONNREFUSED",
	"ECONNREFUSED",
	/* AF_INET TCP, UDP */
	"ECONNREFUSED",
	"0",
	/* AF_VSOCK stream, seqpacket */
	"ECONNRESET",
	"ECONNRESET",
};

CLAUSE(econnrefused_no_listener)
{
	struct addr f;
	int fd = c_socket(c);

	ASSERT_EQ(0, c_free_addr(c, &f));
	step(out, "%s", en(xconn(fd, &f)));
}

#define NA_NO_LISTEN "n/a: datagram sockets do not listen"
static const char *const want_econnrefused_not_listening[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"ECONNREFUSED",
	"ECONNREFUSED",
	NA_NO_LISTEN,
	/* AF_UNIX stream, seqpacket, dgram */
	"ECONNREFUSED",
	"ECONNREFUSED",
	NA_NO_LISTEN,
	/* AF_INET TCP, UDP */
	"ECONNREFUSED",
	NA_NO_LISTEN,
	/* AF_VSOCK stream, seqpacket */
	"ECONNRESET",
	"ECONNRESET",
};

CLAUSE(econnrefused_not_listening)
{
	struct addr a;
	int s = c_socket(c), fd = c_socket(c);

	ASSERT_EQ(0, c_bind_any(c, s));
	ASSERT_EQ(0, c_name(s, &a));
	step(out, "%s", en(xconn(fd, &a)));
}

/*
 * The target is a socket of another type (stream <-> seqpacket; a stream
 * listener for datagram sockets; TCP <-> UDP on the same port).
 */
static int unix_path_server(struct __test_metadata *_metadata, enum col c,
			    int type, char *dir, const char *name, struct addr *a);

static const char *const want_eprototype_type_mismatch[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"EPROTOTYPE",
	"EPROTOTYPE",
	"EPROTOTYPE",
	/* AF_UNIX stream, seqpacket, dgram */
	"abstract: ECONNREFUSED; path: EPROTOTYPE",
	"abstract: ECONNREFUSED; path: EPROTOTYPE",
	"abstract: ECONNREFUSED; path: EPROTOTYPE",
	/* AF_INET TCP, UDP */
	"ECONNREFUSED",
	"0",
	/* AF_VSOCK stream, seqpacket */
	"ECONNRESET",
	"ECONNRESET",
};

CLAUSE(eprototype_type_mismatch)
{
	char dir[32];
	struct addr a;
	int s = c_server_type(c, cols[c].other_type, 4, &a), fd = c_socket(c);

	ASSERT_LE(0, s);
	if (cols[c].kind != K_UNIX) {
		step(out, "%s", en(xconn(fd, &a)));
		return;
	}
	/* Abstract names are looked up by type; path names are not. */
	snprintf(out, OUTSZ, "abstract: %s; ", en(xconn(fd, &a)));
	s = unix_path_server(_metadata, c, cols[c].other_type, dir, "s", &a);
	snprintf(out + strlen(out), OUTSZ - strlen(out), "path: %s",
		 en(xconn(fd, &a)));
}

static const char *const want_eopnotsupp_listening[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"EINVAL",
	"EINVAL",
	NA_NO_LISTEN,
	/* AF_UNIX stream, seqpacket, dgram */
	"EINVAL",
	"EINVAL",
	NA_NO_LISTEN,
	/* AF_INET TCP, UDP */
	"EISCONN",
	NA_NO_LISTEN,
	/* AF_VSOCK stream, seqpacket */
	"EINVAL",
	"EINVAL",
};

CLAUSE(eopnotsupp_listening)
{
	struct addr a, b;
	int l = c_server(c, 4, &a), m = c_server(c, 4, &b);

	ASSERT_LE(0, l);
	ASSERT_LE(0, m);
	step(out, "%s", en(xconn(l, &b)));
}

/* ---- the address argument ---- */

static const char *const want_eafnosupport_wrong_family[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"EAFNOSUPPORT",
	"EAFNOSUPPORT",
	"EAFNOSUPPORT",
	/* AF_UNIX stream, seqpacket, dgram */
	"EINVAL",
	"EINVAL",
	"EINVAL",
	/* AF_INET TCP, UDP */
	"EAFNOSUPPORT",
	"EAFNOSUPPORT",
	/* AF_VSOCK stream, seqpacket */
	"EINVAL",
	"EINVAL",
};

CLAUSE(eafnosupport_wrong_family)
{
	struct addr a;
	int fd = c_socket(c);

	memset(&a, 0, sizeof(a));
	a.len = c_addrlen(c);
	/* Another real family: AF_INET, or AF_INET6 for AF_INET sockets. */
	a.ss.ss_family = cols[c].kind == K_INET ? AF_INET6 : AF_INET;
	step(out, "%s", en(xconn(fd, &a)));
}

static const char *const want_einval_short_addrlen[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"addrlen 1: EINVAL; addrlen 15: EINVAL",
	"addrlen 1: EINVAL; addrlen 15: EINVAL",
	"addrlen 1: EINVAL; addrlen 15: EINVAL",
	/* AF_UNIX stream, seqpacket, dgram */
	"addrlen 1: EINVAL; addrlen 2: EINVAL",
	"addrlen 1: EINVAL; addrlen 2: EINVAL",
	"addrlen 1: EINVAL; addrlen 2: EINVAL",
	/* AF_INET TCP, UDP */
	"addrlen 1: EINVAL; addrlen 15: EINVAL",
	"addrlen 1: EINVAL; addrlen 15: EINVAL",
	/* AF_VSOCK stream, seqpacket */
	"addrlen 1: EINVAL; addrlen 15: EINVAL",
	"addrlen 1: EINVAL; addrlen 15: EINVAL",
};

CLAUSE(einval_short_addrlen)
{
	struct addr a;
	socklen_t shorter = c_minlen(c) - 1;
	int s = c_server(c, 4, &a), fd = c_socket(c);

	ASSERT_LE(0, s);
	a.len = 1;
	snprintf(out, OUTSZ, "addrlen 1: %s; ", en(xconn(fd, &a)));
	a.len = shorter;
	snprintf(out + strlen(out), OUTSZ - strlen(out), "addrlen %u: %s",
		 shorter, en(xconn(fd, &a)));
}

static const char *const want_efault_bad_pointer[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"EFAULT",
	"EFAULT",
	"EFAULT",
	/* AF_UNIX stream, seqpacket, dgram */
	"EFAULT",
	"EFAULT",
	"EFAULT",
	/* AF_INET TCP, UDP */
	"EFAULT",
	"EFAULT",
	/* AF_VSOCK stream, seqpacket */
	"EFAULT",
	"EFAULT",
};

CLAUSE(efault_bad_pointer)
{
	void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = c_socket(c);

	ASSERT_NE(MAP_FAILED, bad);
	step(out, "%s", en(connect(fd, bad, c_addrlen(c)) ? errno : 0));
}

static const char *const want_ebadf[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"EBADF",
	"EBADF",
	"EBADF",
	/* AF_UNIX stream, seqpacket, dgram */
	"EBADF",
	"EBADF",
	"EBADF",
	/* AF_INET TCP, UDP */
	"EBADF",
	"EBADF",
	/* AF_VSOCK stream, seqpacket */
	"EBADF",
	"EBADF",
};

CLAUSE(ebadf)
{
	struct addr a;
	int s = c_server(c, 4, &a), fd = c_socket(c);

	ASSERT_LE(0, s);
	close(fd);
	step(out, "%s", en(xconn(fd, &a)));
}

static const char *const want_enotsock[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"ENOTSOCK",
	"ENOTSOCK",
	"ENOTSOCK",
	/* AF_UNIX stream, seqpacket, dgram */
	"ENOTSOCK",
	"ENOTSOCK",
	"ENOTSOCK",
	/* AF_INET TCP, UDP */
	"ENOTSOCK",
	"ENOTSOCK",
	/* AF_VSOCK stream, seqpacket */
	"ENOTSOCK",
	"ENOTSOCK",
};

CLAUSE(enotsock)
{
	struct addr a;
	int s = c_server(c, 4, &a), p[2];

	ASSERT_LE(0, s);
	ASSERT_EQ(0, pipe(p));
	step(out, "%s", en(xconn(p[0], &a)));
}

/* ---- broadcast, routes, policy ---- */

#define NA_NO_BCAST_UNIX "n/a: no broadcast address"
#define NA_NO_BCAST_VSOCK "n/a: no broadcast CID"
static const char *const want_eacces_broadcast[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"ENETUNREACH -> SO_BROADCAST: ENETUNREACH",
	"ENETUNREACH -> SO_BROADCAST: ENETUNREACH",
	"EACCES -> SO_BROADCAST: 0",
	/* AF_UNIX stream, seqpacket, dgram */
	NA_NO_BCAST_UNIX,
	NA_NO_BCAST_UNIX,
	NA_NO_BCAST_UNIX,
	/* AF_INET TCP, UDP */
	"ENETUNREACH -> SO_BROADCAST: ENETUNREACH",
	"EACCES -> SO_BROADCAST: 0",
	/* AF_VSOCK stream, seqpacket */
	NA_NO_BCAST_VSOCK,
	NA_NO_BCAST_VSOCK,
};

CLAUSE(eacces_broadcast)
{
	struct addr a;
	int fd = c_socket(c), one = 1;

	c_host_addr(c, &a, 5000);
	if (cols[c].kind == K_NEXUS)
		((struct sockaddr_nx *)&a.ss)->snx_node = NEXUS_NODE_BROADCAST;
	else	/* lo's directed broadcast: a broadcast route exists */
		((struct sockaddr_in *)&a.ss)->sin_addr.s_addr =
			inet_addr("127.255.255.255");
	step(out, "%s", en(xconn(fd, &a)));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)));
	step(out, "SO_BROADCAST: %s", en(xconn(fd, &a)));
}

/* A destination forbidden by a local rule: a "prohibit" route. */
#define NA_FW_NX "n/a: no netfilter or routing rules apply to AF_NEXUS"
#define NA_FW_UNIX "n/a: no netfilter or routing rules apply to AF_UNIX"
#define NA_FW_VSOCK "n/a: no netfilter or routing rules apply to AF_VSOCK"
static const char *const want_eperm_firewall[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_FW_NX,
	NA_FW_NX,
	NA_FW_NX,
	/* AF_UNIX stream, seqpacket, dgram */
	NA_FW_UNIX,
	NA_FW_UNIX,
	NA_FW_UNIX,
	/* AF_INET TCP, UDP */
	"EACCES",
	"EACCES",
	/* AF_VSOCK stream, seqpacket */
	NA_FW_VSOCK,
	NA_FW_VSOCK,
};

CLAUSE(eperm_firewall)
{
	struct addr a;
	int fd;

	ASSERT_EQ(0, c_private_netns(1));
	ASSERT_EQ(0, system("ip route add prohibit 203.0.113.0/24"));
	fd = c_socket(c);
	c_host_addr(c, &a, 5000);
	((struct sockaddr_in *)&a.ss)->sin_addr.s_addr = inet_addr("203.0.113.1");
	step(out, "%s", en(xconn(fd, &a)));
}

#define NA_LSM "n/a: needs an LSM policy; the guest loads none (the socket layer's security_socket_connect() hook covers every family alike)"
static const char *const want_eacces_lsm[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_LSM,
	NA_LSM,
	NA_LSM,
	/* AF_UNIX stream, seqpacket, dgram */
	NA_LSM,
	NA_LSM,
	NA_LSM,
	/* AF_INET TCP, UDP */
	NA_LSM,
	NA_LSM,
	/* AF_VSOCK stream, seqpacket */
	NA_LSM,
	NA_LSM,
};

CLAUSE(eacces_lsm)
{
	(void)c;
	step(out, "unreachable");
}

#define NA_NO_NET_UNIX "n/a: no networks: every name is on this host"
static const char *const want_enetunreach[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	"ENETUNREACH",
	"ENETUNREACH",
	"ENETUNREACH",
	/* AF_UNIX stream, seqpacket, dgram */
	NA_NO_NET_UNIX,
	NA_NO_NET_UNIX,
	NA_NO_NET_UNIX,
	/* AF_INET TCP, UDP */
	"ENETUNREACH",
	"ENETUNREACH",
	/* AF_VSOCK stream, seqpacket */
	"ENODEV",
	"ENODEV",
};

CLAUSE(enetunreach)
{
	struct addr a;
	int fd = c_socket(c);

	c_host_addr(c, &a, 5000);
	switch (cols[c].kind) {
	case K_NEXUS:
		((struct sockaddr_nx *)&a.ss)->snx_node = 7;
		break;
	case K_INET:	/* TEST-NET-1: no route in the guest */
		((struct sockaddr_in *)&a.ss)->sin_addr.s_addr = inet_addr("192.0.2.1");
		break;
	default:	/* a CID no transport serves */
		((struct sockaddr_vm *)&a.ss)->svm_cid = 1234;
		break;
	}
	step(out, "%s", en(xconn(fd, &a)));
}

#define NA_NO_IF_NX "n/a: no interfaces: a node is a namespace"
#define NA_NO_IF_UNIX "n/a: no interfaces"
#define NA_NO_IF_VSOCK "n/a: no interfaces to take down (transports are modules)"
static const char *const want_enetdown[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_NO_IF_NX,
	NA_NO_IF_NX,
	NA_NO_IF_NX,
	/* AF_UNIX stream, seqpacket, dgram */
	NA_NO_IF_UNIX,
	NA_NO_IF_UNIX,
	NA_NO_IF_UNIX,
	/* AF_INET TCP, UDP */
	"ENETUNREACH",
	"ENETUNREACH",
	/* AF_VSOCK stream, seqpacket */
	NA_NO_IF_VSOCK,
	NA_NO_IF_VSOCK,
};

CLAUSE(enetdown)
{
	struct addr a;
	int fd;

	ASSERT_EQ(0, c_private_netns(0));	/* lo stays down */
	fd = c_socket(c);
	c_host_addr(c, &a, 5000);
	step(out, "%s", en(xconn(fd, &a)));
}

#define NA_NO_ROUTES_NX "n/a: nodes have no routes; a foreign node is enetunreach"
#define NA_NO_ROUTES_UNIX "n/a: no hosts or routes"
#define NA_NO_ROUTES_VSOCK "n/a: no routes; an unknown CID is enetunreach"
static const char *const want_ehostunreach[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_NO_ROUTES_NX,
	NA_NO_ROUTES_NX,
	NA_NO_ROUTES_NX,
	/* AF_UNIX stream, seqpacket, dgram */
	NA_NO_ROUTES_UNIX,
	NA_NO_ROUTES_UNIX,
	NA_NO_ROUTES_UNIX,
	/* AF_INET TCP, UDP */
	"EHOSTUNREACH",
	"EHOSTUNREACH",
	/* AF_VSOCK stream, seqpacket */
	NA_NO_ROUTES_VSOCK,
	NA_NO_ROUTES_VSOCK,
};

CLAUSE(ehostunreach)
{
	struct addr a;
	int fd;

	ASSERT_EQ(0, c_private_netns(1));
	ASSERT_EQ(0, system("ip route add unreachable 198.51.100.0/24"));
	fd = c_socket(c);
	c_host_addr(c, &a, 5000);
	((struct sockaddr_in *)&a.ss)->sin_addr.s_addr = inet_addr("198.51.100.1");
	step(out, "%s", en(xconn(fd, &a)));
}

#define NA_ROUTE_CACHE "n/a: Linux has had no IPv4 routing cache since 3.6"
#define NA_ROUTE_CACHE_OTHER "n/a: no routing"
static const char *const want_eagain_routing_cache[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_ROUTE_CACHE_OTHER,
	NA_ROUTE_CACHE_OTHER,
	NA_ROUTE_CACHE_OTHER,
	/* AF_UNIX stream, seqpacket, dgram */
	NA_ROUTE_CACHE_OTHER,
	NA_ROUTE_CACHE_OTHER,
	NA_ROUTE_CACHE_OTHER,
	/* AF_INET TCP, UDP */
	NA_ROUTE_CACHE,
	NA_ROUTE_CACHE,
	/* AF_VSOCK stream, seqpacket */
	NA_ROUTE_CACHE_OTHER,
	NA_ROUTE_CACHE_OTHER,
};

CLAUSE(eagain_routing_cache)
{
	(void)c;
	step(out, "unreachable");
}

#define NA_NOMEM_NX "n/a: allocation failures are ENOMEM; the suite does not exhaust memory"
#define NA_NOMEM "n/a: the suite does not exhaust kernel memory"
static const char *const want_enobufs[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_NOMEM_NX,
	NA_NOMEM_NX,
	NA_NOMEM_NX,
	/* AF_UNIX stream, seqpacket, dgram */
	NA_NOMEM,
	NA_NOMEM,
	NA_NOMEM,
	/* AF_INET TCP, UDP */
	NA_NOMEM,
	NA_NOMEM,
	/* AF_VSOCK stream, seqpacket */
	NA_NOMEM,
	NA_NOMEM,
};

CLAUSE(enobufs)
{
	(void)c;
	step(out, "unreachable");
}

#define NA_NOSPC_NX "n/a: no fixed-size table: the port table chains, and the port range is exhaustion's limit (eaddrnotavail-ephemeral-exhausted)"
#define NA_NOSPC "n/a: no fixed-size table to fill"
static const char *const want_enospc[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_NOSPC_NX,
	NA_NOSPC_NX,
	NA_NOSPC_NX,
	/* AF_UNIX stream, seqpacket, dgram */
	NA_NOSPC,
	NA_NOSPC,
	NA_NOSPC,
	/* AF_INET TCP, UDP */
	NA_NOSPC,
	NA_NOSPC,
	/* AF_VSOCK stream, seqpacket */
	NA_NOSPC,
	NA_NOSPC,
};

CLAUSE(enospc)
{
	(void)c;
	step(out, "unreachable");
}

/* ---- path names (AF_UNIX; the other families have none) ---- */

static void unix_path(struct addr *a, const char *path)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&a->ss;

	memset(a, 0, sizeof(*a));
	un->sun_family = AF_UNIX;
	strncpy(un->sun_path, path, sizeof(un->sun_path));
	a->len = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

/* A server bound to DIR/name; DIR is made in cwd with mode 0755. */
static int unix_path_server(struct __test_metadata *_metadata, enum col c,
			    int type, char *dir, const char *name, struct addr *a)
{
	char path[108];
	int s = c_socket_type(c, type);

	strcpy(dir, "conf.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, chmod(dir, 0755));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unix_path(a, path);
	ASSERT_EQ(0, bind(s, (struct sockaddr *)&a->ss, a->len));
	if (type != SOCK_DGRAM)
		ASSERT_EQ(0, listen(s, 4));
	return s;
}

static int connect_as_nobody(struct addr *a, enum col c)
{
	int fd;

	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return -1;
	fd = c_socket(c);
	return xconn(fd, a);
}

static const char *const want_eacces_socket_file[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_PATH_NX,
	NA_PATH_NX,
	NA_PATH_NX,
	/* AF_UNIX stream, seqpacket, dgram */
	"EACCES",
	"EACCES",
	"EACCES",
	/* AF_INET TCP, UDP */
	NA_PATH_INET,
	NA_PATH_INET,
	/* AF_VSOCK stream, seqpacket */
	NA_PATH_VSOCK,
	NA_PATH_VSOCK,
};

CLAUSE(eacces_socket_file)
{
	char dir[32];
	struct addr a;
	struct sockaddr_un *un = (struct sockaddr_un *)&a.ss;
	int s = unix_path_server(_metadata, c, cols[c].type, dir, "s", &a), e;

	ASSERT_LE(0, s);
	ASSERT_EQ(0, chmod(un->sun_path, 0555));
	e = connect_as_nobody(&a, c);
	ASSERT_LE(0, e);
	step(out, "%s", en(e));
}

static const char *const want_eacces_path_search[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_PATH_NX,
	NA_PATH_NX,
	NA_PATH_NX,
	/* AF_UNIX stream, seqpacket, dgram */
	"EACCES",
	"EACCES",
	"EACCES",
	/* AF_INET TCP, UDP */
	NA_PATH_INET,
	NA_PATH_INET,
	/* AF_VSOCK stream, seqpacket */
	NA_PATH_VSOCK,
	NA_PATH_VSOCK,
};

CLAUSE(eacces_path_search)
{
	char dir[32];
	struct addr a;
	int s = unix_path_server(_metadata, c, cols[c].type, dir, "s", &a), e;

	ASSERT_LE(0, s);
	ASSERT_EQ(0, chmod(dir, 0666));
	e = connect_as_nobody(&a, c);
	ASSERT_LE(0, e);
	step(out, "%s", en(e));
}

static const char *const want_enoent_path[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_PATH_NX,
	NA_PATH_NX,
	NA_PATH_NX,
	/* AF_UNIX stream, seqpacket, dgram */
	"ENOENT",
	"ENOENT",
	"ENOENT",
	/* AF_INET TCP, UDP */
	NA_PATH_INET,
	NA_PATH_INET,
	/* AF_VSOCK stream, seqpacket */
	NA_PATH_VSOCK,
	NA_PATH_VSOCK,
};

CLAUSE(enoent_path)
{
	struct addr a;
	int fd = c_socket(c);

	unix_path(&a, "conf-no-such-socket");
	step(out, "%s", en(xconn(fd, &a)));
}

static const char *const want_enotdir_path[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_PATH_NX,
	NA_PATH_NX,
	NA_PATH_NX,
	/* AF_UNIX stream, seqpacket, dgram */
	"ENOTDIR",
	"ENOTDIR",
	"ENOTDIR",
	/* AF_INET TCP, UDP */
	NA_PATH_INET,
	NA_PATH_INET,
	/* AF_VSOCK stream, seqpacket */
	NA_PATH_VSOCK,
	NA_PATH_VSOCK,
};

CLAUSE(enotdir_path)
{
	struct addr a;
	int fd = c_socket(c), f = open("conf-file", O_CREAT | O_WRONLY, 0644);

	ASSERT_LE(0, f);
	unix_path(&a, "conf-file/s");
	step(out, "%s", en(xconn(fd, &a)));
}

static const char *const want_eloop_path[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_PATH_NX,
	NA_PATH_NX,
	NA_PATH_NX,
	/* AF_UNIX stream, seqpacket, dgram */
	"ELOOP",
	"ELOOP",
	"ELOOP",
	/* AF_INET TCP, UDP */
	NA_PATH_INET,
	NA_PATH_INET,
	/* AF_VSOCK stream, seqpacket */
	NA_PATH_VSOCK,
	NA_PATH_VSOCK,
};

CLAUSE(eloop_path)
{
	struct addr a;
	int fd = c_socket(c);

	unlink("conf-loop1");
	unlink("conf-loop2");
	ASSERT_EQ(0, symlink("conf-loop2", "conf-loop1"));
	ASSERT_EQ(0, symlink("conf-loop1", "conf-loop2"));
	unix_path(&a, "conf-loop1");
	step(out, "%s", en(xconn(fd, &a)));
}

/* A name that fills sun_path (no NUL); then an addrlen past sockaddr_un. */
static const char *const want_enametoolong_path[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_PATH_NX,
	NA_PATH_NX,
	NA_PATH_NX,
	/* AF_UNIX stream, seqpacket, dgram */
	"108-byte name: ENOENT; addrlen 111: EINVAL",
	"108-byte name: ENOENT; addrlen 111: EINVAL",
	"108-byte name: ENOENT; addrlen 111: EINVAL",
	/* AF_INET TCP, UDP */
	NA_PATH_INET,
	NA_PATH_INET,
	/* AF_VSOCK stream, seqpacket */
	NA_PATH_VSOCK,
	NA_PATH_VSOCK,
};

CLAUSE(enametoolong_path)
{
	struct sockaddr_un *un;
	struct addr a;
	int fd = c_socket(c);

	memset(&a, 0, sizeof(a));
	un = (struct sockaddr_un *)&a.ss;
	un->sun_family = AF_UNIX;
	memset(un->sun_path, 'n', sizeof(un->sun_path));
	a.len = sizeof(*un);
	snprintf(out, OUTSZ, "108-byte name: %s; ", en(xconn(fd, &a)));
	a.len = sizeof(*un) + 1;
	snprintf(out + strlen(out), OUTSZ - strlen(out), "addrlen %zu: %s",
		 sizeof(*un) + 1, en(xconn(fd, &a)));
}

static const char *const want_einval_high_bit_path[NCOLS] = {
	/* AF_NEXUS stream, seqpacket, dgram */
	NA_PATH_NX,
	NA_PATH_NX,
	NA_PATH_NX,
	/* AF_UNIX stream, seqpacket, dgram */
	"0",
	"0",
	"0",
	/* AF_INET TCP, UDP */
	NA_PATH_INET,
	NA_PATH_INET,
	/* AF_VSOCK stream, seqpacket */
	NA_PATH_VSOCK,
	NA_PATH_VSOCK,
};

CLAUSE(einval_high_bit_path)
{
	char dir[32];
	struct addr a;
	int s = unix_path_server(_metadata, c, cols[c].type, dir, "s\xc3\xa9\xff", &a);
	int fd = c_socket(c);

	ASSERT_LE(0, s);
	step(out, "%s", en(xconn(fd, &a)));
}

TEST_HARNESS_MAIN
