/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The connect() conformance matrix: the table-driven clause runner and the
 * clauses, included by conformance_test.c (AF_NEXUS, AF_UNIX, AF_INET TCP
 * and UDP, AF_VSOCK) and conformance_ipc_test.c (AF_TIPC, SCTP,
 * AF_QIPCRTR); see conformance_test.c for what a test prints and asserts.
 * A header so that the selftests build rebuilds both binaries when it
 * changes.
 */
#ifndef NEXUS_CONFORMANCE_RUN_H
#define NEXUS_CONFORMANCE_RUN_H

#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "conformance.h"

/* Columns that do not exist on these kernels, and socket()'s errno. */
static const char *const unavailable[NCOLS] = {
	/* 6.1: only the VMCI transport carries vsock datagrams. */
	[C_VSOCK_DGRAM] = "ENODEV",
};

/* Expected cells: the columns in @cols give @out. */
struct want {
	unsigned int cols;
	const char *out;
};

#define B(c) (1u << (c))
#define NX_CO (B(C_NX_STREAM) | B(C_NX_SEQPACKET))
#define NX_D B(C_NX_DGRAM)
#define NX (NX_CO | NX_D)
#define UX_CO (B(C_UNIX_STREAM) | B(C_UNIX_SEQPACKET))
#define UX_D B(C_UNIX_DGRAM)
#define UX (UX_CO | UX_D)
#define TCP B(C_TCP)
#define UDP B(C_UDP)
#define VS_CO (B(C_VSOCK_STREAM) | B(C_VSOCK_SEQPACKET))
#define TI_CO (B(C_TIPC_STREAM) | B(C_TIPC_SEQPACKET))
#define TI_D B(C_TIPC_DGRAM)
#define TI (TI_CO | TI_D)
#define SC_S B(C_SCTP_STREAM)
#define SC_Q B(C_SCTP_SEQPACKET)
#define SC (SC_S | SC_Q)
#define QR B(C_QRTR_DGRAM)
/* Every datagram column, every connection column, every column. */
#define DG (NX_D | UX_D | UDP | TI_D | QR)
#define CO (NX_CO | UX_CO | TCP | VS_CO | TI_CO | SC)
#define ALL (DG | CO)

typedef void (*clause_fn)(struct __test_metadata *_metadata, enum col c,
			  char *out);

static void conf_record(const char *id, enum col c, const char *out)
{
	printf("# @conf %s %s %s\n", id, cols[c].name, out);
	fflush(stdout);
}

static const char *want_of(const struct want *w, enum col c)
{
	for (; w->out; w++)
		if (w->cols & B(c))
			return w->out;
	return NULL;
}

/*
 * An outcome that is not the expected one: AF_NEXUS fails the test; for
 * the other families the difference is reported (and kept in the table).
 */
static void conf_compare(struct __test_metadata *_metadata, const char *id,
			 enum col c, const char *w, const char *out)
{
	if (!strcmp(w, out))
		return;
	printf("# @conf-mismatch %s %s %s\n", id, cols[c].name, w);
	fflush(stdout);
	if (cols[c].kind == K_NEXUS) {
		EXPECT_STREQ(w, out);
	} else {
		TH_LOG("%s %s changed: expected '%s', observed '%s' (run `make conformance`)",
		       id, cols[c].name, w, out);
	}
}

static void conf_run(struct __test_metadata *_metadata, enum col c,
		     const char *tname, const struct want *want,
		     clause_fn body)
{
	char id[64], out[OUTSZ] = "";
	const char *w = want_of(want, c);
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
		if (!unavailable[c] || strcmp(unavailable[c], en(e)))
			conf_compare(_metadata, id, c, w ? w : "?", out);
		SKIP(return, "%s", out);
	}
	close(fd);
	if (unavailable[c]) {
		char was[OUTSZ];

		/* Reported like a changed cell (it is not an AF_NEXUS column). */
		snprintf(was, sizeof(was),
			 "n/a: no transport for this type (socket() gives %s)",
			 unavailable[c]);
		snprintf(out, sizeof(out),
			 "n/a: socket() works now; no expectations are written");
		conf_record(id, c, out);
		conf_compare(_metadata, id, c, was, out);
		SKIP(return, "%s has become available: write its expectations",
		     cols[c].name);
	}
	ASSERT_NE(NULL, w) TH_LOG("no expected cell for %s", cols[c].name);
	if (!strncmp(w, "n/a", 3)) {
		conf_record(id, c, w);
		SKIP(return, "%s", w);
	}
	body(_metadata, c, out);
	conf_record(id, c, out);
	conf_compare(_metadata, id, c, w, out);
}

FIXTURE(conf) {
	int unused;
};

FIXTURE_VARIANT(conf) {
	enum col col;
};

/*
 * The columns of this binary: conformance_test runs the first five
 * families, conformance_ipc_test (CONF_IPC_FAMILIES) AF_TIPC, SCTP and
 * AF_QIPCRTR, so that each stays within the guest's time limit per test
 * binary on the debug kernel.
 */
#ifndef CONF_IPC_FAMILIES
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
#else
FIXTURE_VARIANT_ADD(conf, tipc_stream) { .col = C_TIPC_STREAM };
FIXTURE_VARIANT_ADD(conf, tipc_seqpacket) { .col = C_TIPC_SEQPACKET };
FIXTURE_VARIANT_ADD(conf, tipc_dgram) { .col = C_TIPC_DGRAM };
FIXTURE_VARIANT_ADD(conf, sctp_stream) { .col = C_SCTP_STREAM };
FIXTURE_VARIANT_ADD(conf, sctp_seqpacket) { .col = C_SCTP_SEQPACKET };
FIXTURE_VARIANT_ADD(conf, qrtr_dgram) { .col = C_QRTR_DGRAM };
#endif

FIXTURE_SETUP(conf)
{
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(conf)
{
}

/*
 * CLAUSE(name, { columns, "outcome" }, ...) { body }: the test of the
 * clause whose id is the name with '-' for '_', its expected cells (the
 * first entry naming a column wins; vsock-dgram is left out: see
 * unavailable[]), and the body, which writes the outcome into out.
 */
#define CLAUSE(name, ...)						\
	static const struct want want_##name[] = {			\
		__VA_ARGS__, { 0, NULL }				\
	};								\
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
#define NA_PATH_TIPC "n/a: addresses are numbers (service type and instance, or port identity), not path names"
#define NA_VSOCK_PENDING "n/a: the loopback transport refuses a full listener at once (ECONNRESET): no attempt stays pending"
#define NA_SCTP_PENDING "n/a: a full listener answers the INIT with an ABORT at once (ECONNREFUSED): no attempt stays pending"
#define NA_ONE_TO_MANY "n/a: one-to-many style: associations are never queued for accept() (EOPNOTSUPP), so no attempt waits for room"
/* The clauses about a pending attempt: n/a where none can be pending. */
#define NA_NOT_PENDING { SC_Q, NA_ONE_TO_MANY }, { DG, NA_DGRAM }
/* The path-name clauses: AF_UNIX only. */
#define NA_PATHS { NX | QR, NA_PATH_NX }, { TCP | UDP | SC, NA_PATH_INET }, \
	{ VS_CO, NA_PATH_VSOCK }, { TI, NA_PATH_TIPC }

static const char *peer_state(int fd, const struct addr *expect)
{
	struct addr p;
	int e = c_peer(fd, &p);

	if (e)
		return en(e);
	return c_same_addr(&p, expect) ? "peer kept" : "peer replaced";
}

/* ---- establishment ---- */

CLAUSE(connect_succeeds, { ALL, "0" })
{
	struct addr a;
	int s = c_server(c, 4, &a), fd = c_socket(c);

	ASSERT_LE(0, s);
	step(out, "%s", en(c_connect_to(c, fd, &a, s)));
}

CLAUSE(blocking_connect_waits,
       { NX_CO | UX_CO | TCP | TI_CO, "waits -> 0" },
       { VS_CO, "at once -> ECONNRESET" },
       { SC_S, "at once -> ECONNREFUSED" },
       NA_NOT_PENDING)
{
	struct addr a;
	struct timespec t0;
	int l = c_full_listener(c, &a), fd = c_socket(c), e;
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

CLAUSE(nonblocking_with_room,
       { NX | UX | UDP | TI_D | QR, "0" },
       { TCP | VS_CO | TI_CO | SC, "EINPROGRESS -> POLLOUT -> SO_ERROR=0" })
{
	struct acceptor ac;
	struct addr a;
	int s = c_server(c, 4, &a), fd = c_socket(c), e;

	ASSERT_LE(0, s);
	ASSERT_EQ(0, nx_set_nonblock(fd, 1));
	acc_start(c, &ac, s);
	e = xconn(fd, &a);
	step(out, "%s", en(e));
	if (e == EINPROGRESS) {
		step(out, "%s", evname(nx_poll(fd, POLLOUT, 3000)));
		step(out, "SO_ERROR=%s", en(nx_so_error(fd)));
	}
	acc_join(&ac);
}

/*
 * The attempt cannot complete at once (full accept queue). Then: what poll()
 * says within 300 ms; accept() makes room; poll() again; SO_ERROR; connect()
 * once more.
 */
CLAUSE(einprogress_nonblocking,
       { NX_CO | TI_CO, "EINPROGRESS -> nothing -> accept() -> POLLOUT -> SO_ERROR=0 -> connect EISCONN" },
       { UX_CO, "EAGAIN" },
       { TCP, "EINPROGRESS -> nothing -> accept() -> POLLOUT -> SO_ERROR=0 -> connect 0" },
       { VS_CO, "EINPROGRESS -> POLLOUT|POLLERR -> SO_ERROR=ECONNRESET -> connect EALREADY" },
       { SC_S, "EINPROGRESS -> POLLERR -> SO_ERROR=ECONNREFUSED -> connect EINPROGRESS" },
       NA_NOT_PENDING)
{
	struct addr a;
	int l = c_full_listener(c, &a), fd = c_socket(c), e;
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

CLAUSE(eagain_unix_nonblocking,
       { NX_CO | TCP | VS_CO | TI_CO | SC_S, "EINPROGRESS" },
       { UX_CO, "EAGAIN" },
       NA_NOT_PENDING)
{
	struct addr a;
	int l = c_full_listener(c, &a), fd = c_socket(c);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, nx_set_nonblock(fd, 1));
	step(out, "%s", en(xconn(fd, &a)));
}

CLAUSE(ealready,
       { NX_CO | TCP | TI_CO, "EINPROGRESS -> EALREADY" },
       { UX_CO, "EAGAIN -> EAGAIN" },
       { VS_CO, NA_VSOCK_PENDING },
       { SC_S, NA_SCTP_PENDING },
       NA_NOT_PENDING)
{
	struct addr a;
	int l = c_full_listener(c, &a), fd = c_socket(c);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, nx_set_nonblock(fd, 1));
	step(out, "%s", en(xconn(fd, &a)));
	step(out, "%s", en(xconn(fd, &a)));
}

CLAUSE(eisconn,
       { CO, "EISCONN" },
       { DG, "n/a: connecting again changes the peer (dgram-reconnect)" })
{
	struct addr a;
	int s = c_server(c, 4, &a), fd = c_socket(c);

	ASSERT_LE(0, s);
	ASSERT_EQ(0, c_connect_to(c, fd, &a, s));
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

CLAUSE(eintr_completes_in_background,
       { NX_CO | TI_CO, "EINTR -> EALREADY -> accept() -> POLLOUT -> SO_ERROR=0 -> connect EISCONN" },
       { UX_CO, "EINTR -> EAGAIN -> accept() -> POLLOUT|POLLHUP -> SO_ERROR=0 -> connect 0" },
       { TCP, "EINTR -> EALREADY -> accept() -> POLLOUT -> SO_ERROR=0 -> connect 0" },
       { VS_CO, NA_VSOCK_PENDING },
       { SC_S, NA_SCTP_PENDING },
       NA_NOT_PENDING)
{
	struct sigaction sa = { .sa_handler = nx_on_signal };
	struct nx_delayed d;
	pthread_t self = pthread_self();
	struct addr a;
	int l = c_full_listener(c, &a), fd = c_socket(c);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, nx_run_later(&d, 200, nx_kill_thread, &self));
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

CLAUSE(cancellation_point,
       { NX_CO | TI_CO, "cancelled -> EALREADY -> accept() -> POLLOUT -> SO_ERROR=0 -> connect EISCONN" },
       { UX_CO, "cancelled -> EAGAIN -> accept() -> POLLOUT|POLLHUP -> SO_ERROR=0 -> connect 0" },
       { TCP, "cancelled -> EALREADY -> accept() -> POLLOUT -> SO_ERROR=0 -> connect 0" },
       { VS_CO, NA_VSOCK_PENDING },
       { SC_S, NA_SCTP_PENDING },
       NA_NOT_PENDING)
{
	struct addr a;
	int l = c_full_listener(c, &a), fd = c_socket(c);
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

/*
 * Each family's shortest connect timeout (AF_NEXUS: NEXUS_CONNECT_TIMEOUT;
 * AF_UNIX: SO_SNDTIMEO; TCP: TCP_SYNCNT; AF_VSOCK:
 * SO_VM_SOCKETS_CONNECT_TIMEOUT; TIPC: TIPC_CONN_TIMEOUT; SCTP:
 * SCTP_INITMSG), then connect() to a full listener.
 */
CLAUSE(etimedout,
       { NX_CO | TCP | TI_CO, "ETIMEDOUT" },
       { UX_CO, "EAGAIN" },
       { VS_CO, "ECONNRESET" },
       { SC_S, "ECONNREFUSED" },
       NA_NOT_PENDING)
{
	struct addr a;
	int l = c_full_listener(c, &a), fd = c_socket(c);

	ASSERT_LE(0, l);
	ASSERT_EQ(0, fam(c)->short_timeout(fd));
	step(out, "%s", en(xconn(fd, &a)));
}

/*
 * An attempt that fails after connect() returned: the listener closes while
 * the attempt waits. poll() for writing; SO_ERROR twice (read-and-clear).
 */
CLAUSE(so_error_after_einprogress,
       { NX_CO | TCP, "EINPROGRESS -> close listener -> POLLOUT|POLLERR|POLLHUP -> SO_ERROR=ECONNREFUSED -> SO_ERROR=0" },
       { TI_CO, "EINPROGRESS -> close listener -> POLLHUP -> SO_ERROR=ECONNREFUSED -> SO_ERROR=0" },
       { UX_CO, "EAGAIN" },
       { VS_CO, "EINPROGRESS -> close listener -> POLLOUT|POLLERR -> SO_ERROR=ECONNRESET -> SO_ERROR=0" },
       { SC_S, "EINPROGRESS -> close listener -> POLLERR -> SO_ERROR=ECONNREFUSED -> SO_ERROR=0" },
       NA_NOT_PENDING)
{
	struct addr a;
	int l = c_full_listener(c, &a), fd = c_socket(c), e;

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
CLAUSE(state_after_failure,
       { NX_CO, "ECONNREFUSED -> getpeername ENOTCONN -> connect 0 -> background failure -> connect 0" },
       { TI_CO, "ECONNREFUSED -> getpeername ENOTCONN -> connect EINVAL -> background failure -> connect EINVAL" },
       { TI_D, "0 -> ENOTCONN" },
       { NX_D | UX_D, "ECONNREFUSED -> peer kept" },
       { UX_CO, "ECONNREFUSED -> getpeername ENOTCONN -> connect 0 -> no background attempt (EAGAIN)" },
       { TCP, "ECONNREFUSED -> getpeername ENOTCONN -> connect 0 -> background failure -> connect ECONNREFUSED" },
       { UDP | TI_D | QR, "0 -> peer replaced" },
       { VS_CO, "ECONNRESET -> getpeername ENOTCONN -> connect 0 -> background failure -> connect ECONNRESET" },
       { SC_S, "ECONNREFUSED -> getpeername ENOTCONN -> connect 0 -> background failure -> connect 0" },
       { SC_Q, "ECONNREFUSED -> getpeername ENOTCONN -> connect 0 -> no background attempt (no accept queue)" })
{
	struct addr a, f, p;
	int s = c_server(c, 4, &a), fd = c_socket(c), fd2, l, e;

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
	step(out, "connect %s", en(c_connect_to(c, fd, &a, s)));

	if (cols[c].one_to_many) {
		step(out, "no background attempt (no accept queue)");
		return;
	}
	l = c_full_listener(c, &f);
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
	step(out, "connect %s", en(c_connect_to(c, fd2, &a, s)));
}

/* ---- datagram association ---- */

CLAUSE(dgram_default_peer,
       { DG, "0 -> send 0 -> delivered from the sender" },
       { CO, NA_STREAM })
{
	struct addr r, an, from;
	int s = c_server(c, 0, &r), fd = c_socket(c);

	ASSERT_LE(0, s);
	ASSERT_EQ(0, c_bind_any(c, fd));
	ASSERT_EQ(0, c_name(fd, &an));
	step(out, "%s", en(xconn(fd, &r)));
	step(out, "send %s", en(c_send(c, fd, "x")));
	if (!recv_from(s, &from))
		step(out, "not delivered");
	else
		step(out, "delivered from %s",
		     c_same_addr(&from, &an) ? "the sender" : "another address");
}

/* C sends to A, which is connected to B. */
CLAUSE(dgram_only_from_peer,
       { NX_D, "connect 0 -> send EPERM -> not received" },
       { UX_D, "connect EPERM -> sendto EPERM -> not received" },
       { UDP, "connect 0 -> send 0 -> not received" },
       { TI_D | QR, "connect 0 -> send 0 -> received" },
       { CO, NA_STREAM })
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
		step(out, "send %s", en(c_send(c, x, "x")));
	} else {
		e = sendto(x, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&aa.ss,
			   aa.len) < 0 ? errno : 0;
		step(out, "sendto %s", en(e));
	}
	step(out, "%s", recv_from(a, &from) ? "received" : "not received");
}

CLAUSE(dgram_reconnect,
       { DG, "0 -> 0 -> send reaches the new peer" },
       { CO, "n/a: connected once; see eisconn" })
{
	struct addr ab, ac, from;
	int b = c_server(c, 0, &ab), x = c_server(c, 0, &ac), fd = c_socket(c);

	ASSERT_LE(0, b);
	ASSERT_LE(0, x);
	step(out, "%s", en(xconn(fd, &ab)));
	step(out, "%s", en(xconn(fd, &ac)));
	ASSERT_EQ(0, c_send(c, fd, "x"));
	if (recv_from(x, &from))
		step(out, "send reaches the new peer");
	else if (recv_from(b, &from))
		step(out, "send reaches the old peer");
	else
		step(out, "send reaches nobody");
}

CLAUSE(send_unconnected,
       { NX_CO | TCP | SC_S, "EPIPE" },
       { NX_D | UDP, "EDESTADDRREQ" },
       { UX | VS_CO | TI_CO | QR, "ENOTCONN" },
       { TI_D, "EDESTADDRREQ" },
       { SC_Q, "EPIPE" })
{
	int fd = c_socket(c);

	ASSERT_EQ(0, c_bind_any(c, fd));
	step(out, "%s", en(c_send(c, fd, "x")));
}

CLAUSE(dgram_peer_closed,
       { NX_D, "ECONNREFUSED -> ECONNREFUSED" },
       { UX_D, "ECONNREFUSED -> ENOTCONN" },
       { UDP, "0 -> ECONNREFUSED" },
       { TI_D, "0 -> 0" },
       { QR, "ENODEV -> ENODEV" },
       { CO, NA_STREAM })
{
	struct addr ab;
	int b = c_server(c, 0, &ab), fd = c_socket(c);

	ASSERT_LE(0, b);
	ASSERT_EQ(0, c_bind_any(c, fd));
	ASSERT_EQ(0, xconn(fd, &ab));
	close(b);
	step(out, "%s", en(c_send(c, fd, "x")));
	nx_msleep(20);
	step(out, "%s", en(c_send(c, fd, "x")));
}

/* ---- AF_UNSPEC ---- */

CLAUSE(afunspec_dissolve_dgram,
       { NX_D | UDP | TI_D, "0 -> send EDESTADDRREQ -> getpeername ENOTCONN -> reconnect 0" },
       { UX_D, "0 -> send ENOTCONN -> getpeername ENOTCONN -> reconnect 0" },
       { QR, "EINVAL -> send 0 -> getpeername 0 -> reconnect 0" },
       { CO, "n/a: see afunspec-dissolve-stream" })
{
	struct addr ab, p;
	int b = c_server(c, 0, &ab), fd = c_socket(c);

	ASSERT_LE(0, b);
	ASSERT_EQ(0, xconn(fd, &ab));
	step(out, "%s", en(xconn_unspec(fd)));
	step(out, "send %s", en(c_send(c, fd, "x")));
	step(out, "getpeername %s", en(c_peer(fd, &p)));
	step(out, "reconnect %s", en(xconn(fd, &ab)));
}

CLAUSE(afunspec_dissolve_stream,
       { NX_CO | TCP, "0 -> peer reads ECONNRESET -> reconnect 0" },
       { UX_CO, "EINVAL -> peer reads EAGAIN -> reconnect EISCONN" },
       { VS_CO, "EISCONN -> peer reads EAGAIN -> reconnect EISCONN" },
       { TI_CO, "EINVAL -> peer reads EAGAIN -> reconnect EISCONN" },
       { SC, "EOPNOTSUPP -> peer reads EAGAIN -> reconnect EISCONN" },
       { DG, "n/a: see afunspec-dissolve-dgram" })
{
	struct acceptor ac;
	struct addr a;
	int l = c_server(c, 4, &a), fd = c_socket(c), s;

	ASSERT_LE(0, l);
	acc_start(c, &ac, l);
	ASSERT_EQ(0, xconn(fd, &a));
	s = acc_join(&ac);
	if (s < 0)
		s = c_accept(c, l);
	ASSERT_LE(0, s);
	step(out, "%s", en(xconn_unspec(fd)));
	nx_poll(s, POLLIN, 500);
	step(out, "peer reads %s", recv_name(s));
	step(out, "reconnect %s", en(c_connect_to(c, fd, &a, l)));
}

CLAUSE(afunspec_unconnected,
       { NX | TCP | UDP | UX_D | TI_D, "0" },
       { UX_CO | VS_CO | TI_CO | QR, "EINVAL" },
       { SC, "EOPNOTSUPP" })
{
	int fd = c_socket(c);

	step(out, "%s", en(xconn_unspec(fd)));
}

/* ---- local address ---- */

CLAUSE(autobind_on_connect,
       { NX | TCP | UDP | VS_CO | TI | SC | QR, "0 -> bound" },
       { UX, "0 -> unbound" })
{
	struct addr a;
	int s = c_server(c, 4, &a), fd = c_socket(c);

	ASSERT_LE(0, s);
	step(out, "%s", en(c_connect_to(c, fd, &a, s)));
	step(out, "%s", c_is_bound(c, fd) ? "bound" : "unbound");
}

CLAUSE(connect_to_self,
       { NX_CO | UX_CO, "ECONNREFUSED" },
       { NX_D | UX_D | UDP | TI_D, "0 -> receives its own datagram" },
       { TCP | SC, "0" },
       { VS_CO, "EPROTO" },
       { TI_CO, "EOPNOTSUPP" },
       { QR, "0 -> send ENODEV -> receives nothing" })
{
	struct addr a, from;
	int fd = c_socket(c), e;

	ASSERT_EQ(0, c_bind_any(c, fd));
	ASSERT_EQ(0, c_name(fd, &a));
	e = xconn(fd, &a);
	step(out, "%s", en(e));
	if (e || !c_is_dgram(c))
		return;
	e = c_send(c, fd, "x");
	if (e)
		step(out, "send %s", en(e));
	step(out, "%s", recv_from(fd, &from) ? "receives its own datagram" :
					     "receives nothing");
}

/*
 * Two sockets share one local address (SO_REUSEADDR); the first connects,
 * then the second connects to the same destination.
 */
#define NA_ONE_OWNER "n/a: a name has one owner, so bind() reports EADDRINUSE and connect() never meets a used local name"
#define NA_TIPC_ONE_OWNER "n/a: a port identity belongs to one socket from socket() on; bind() publishes service names, which any number of sockets may share"
CLAUSE(eaddrinuse_local,
       { NX | UX | VS_CO | QR, NA_ONE_OWNER },
       { TCP, "0 -> EADDRNOTAVAIL" },
       { UDP, "0 -> 0" },
       { TI, NA_TIPC_ONE_OWNER },
       { SC, "0 -> EADDRNOTAVAIL" })
{
	struct addr a, la;
	int s = c_server(c, 4, &a), x = c_socket(c), y = c_socket(c), one = 1;

	ASSERT_LE(0, s);
	ASSERT_EQ(0, setsockopt(x, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, setsockopt(y, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, c_bind_any(c, x));
	ASSERT_EQ(0, c_name(x, &la));
	ASSERT_EQ(0, bind(y, (struct sockaddr *)&la.ss, la.len));
	step(out, "%s", en(c_connect_to(c, x, &a, s)));
	step(out, "%s", en(c_connect_to(c, y, &a, s)));
}

/*
 * In a private network namespace, the ephemeral range is one port and a
 * bound socket holds it; an unbound socket connects to a server on a
 * fixed port.
 */
#define NA_NO_RANGE_UNIX "n/a: autobind draws from 2^20 abstract names; no sysctl narrows it"
#define NA_NO_RANGE_VSOCK "n/a: no ephemeral-range sysctl; autobind draws from the whole 32-bit port space"
#define NA_NO_RANGE_QRTR "n/a: the ephemeral range (16384 ports, global, no sysctl) can only be filled whole, and releasing that many sockets takes an RCU grace period each, minutes in the guest (when a version of this test filled it, connect() said EADDRINUSE and left the socket unbound)"
#define NA_NO_RANGE_TIPC "n/a: port identities are drawn at socket() from a 32-bit space with no sysctl; connect() never needs one"
CLAUSE(eaddrnotavail_ephemeral_exhausted,
       { NX | TCP, "EADDRNOTAVAIL -> still unbound" },
       { UDP | SC, "EAGAIN -> still unbound" },
       { UX, NA_NO_RANGE_UNIX },
       { VS_CO, NA_NO_RANGE_VSOCK },
       { TI, NA_NO_RANGE_TIPC },
       { QR, NA_NO_RANGE_QRTR })
{
	const char *sysctl = fam(c)->port_range;
	struct addr a;
	int s, hold, fd, e;

	ASSERT_NE(NULL, sysctl);
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

CLAUSE(eaddrnotavail_port_zero,
       { NX | TCP | SC | TI_CO, "ECONNREFUSED" },
       { UDP | TI_D | QR, "0" },
       { UX, "n/a: no ports; the empty name is einval-short-addrlen" },
       { VS_CO, "ECONNRESET" })
{
	struct addr a;
	int fd = c_socket(c);

	c_host_addr(c, &a, 0);
	if (cols[c].kind == K_VSOCK)
		((struct sockaddr_vm *)&a.ss)->svm_port = 0;
	step(out, "%s", en(xconn(fd, &a)));
}

/* ---- the target ---- */

CLAUSE(econnrefused_no_listener,
       { NX | UX | TCP | SC | TI_CO, "ECONNREFUSED" },
       { UDP | TI_D | QR, "0" },
       { VS_CO, "ECONNRESET" })
{
	struct addr f;
	int fd = c_socket(c);

	ASSERT_EQ(0, c_free_addr(c, &f));
	step(out, "%s", en(xconn(fd, &f)));
}

#define NA_NO_LISTEN "n/a: datagram sockets do not listen"
CLAUSE(econnrefused_not_listening,
       { NX_CO | UX_CO | TCP | SC | TI_CO, "ECONNREFUSED" },
       { VS_CO, "ECONNRESET" },
       { DG, NA_NO_LISTEN })
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

CLAUSE(eprototype_type_mismatch,
       { NX, "EPROTOTYPE" },
       { UX, "abstract: ECONNREFUSED; path: EPROTOTYPE" },
       { TCP, "ECONNREFUSED" },
       { UDP | TI_D, "0" },
       { VS_CO, "ECONNRESET" },
       { TI_CO | SC, "0" },
       { QR, "n/a: one socket type: AF_QIPCRTR has only SOCK_DGRAM" })
{
	char dir[32];
	struct addr a;
	int s = c_server_type(c, cols[c].other_type, 4, &a), fd = c_socket(c);

	ASSERT_LE(0, s);
	if (cols[c].kind != K_UNIX) {
		step(out, "%s", en(c_connect_to(c, fd, &a, s)));
		return;
	}
	/* Abstract names are looked up by type; path names are not. */
	snprintf(out, OUTSZ, "abstract: %s; ", en(xconn(fd, &a)));
	s = unix_path_server(_metadata, c, cols[c].other_type, dir, "s", &a);
	snprintf(out + strlen(out), OUTSZ - strlen(out), "path: %s",
		 en(xconn(fd, &a)));
}

CLAUSE(eopnotsupp_listening,
       { NX_CO | UX_CO | VS_CO | TI_CO, "EINVAL" },
       { TCP | SC_S, "EISCONN" },
       { SC_Q, "0" },
       { DG, NA_NO_LISTEN })
{
	struct addr a, b;
	int l = c_server(c, 4, &a), m = c_server(c, 4, &b);

	ASSERT_LE(0, l);
	ASSERT_LE(0, m);
	step(out, "%s", en(xconn(l, &b)));
}

/* ---- the address argument ---- */

CLAUSE(eafnosupport_wrong_family,
       { NX | TCP | UDP, "EAFNOSUPPORT" },
       { UX | VS_CO | TI | SC | QR, "EINVAL" })
{
	struct addr a;
	int fd = c_socket(c);

	memset(&a, 0, sizeof(a));
	a.len = c_addrlen(c);
	/* Another real family: AF_INET, or AF_INET6 for AF_INET sockets. */
	a.ss.ss_family = fam(c)->wrong_af;
	step(out, "%s", en(xconn(fd, &a)));
}

CLAUSE(einval_short_addrlen,
       { NX | TCP | UDP | VS_CO | SC, "addrlen 1: EINVAL; addrlen 15: EINVAL" },
       { UX, "addrlen 1: EINVAL; addrlen 2: EINVAL" },
       { TI, "addrlen 1: EINVAL; addrlen 15: EINVAL" },
       { QR, "addrlen 1: EINVAL; addrlen 11: EINVAL" })
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

CLAUSE(efault_bad_pointer, { ALL, "EFAULT" })
{
	void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = c_socket(c);

	ASSERT_NE(MAP_FAILED, bad);
	step(out, "%s", en(connect(fd, bad, c_addrlen(c)) ? errno : 0));
}

CLAUSE(ebadf, { ALL, "EBADF" })
{
	struct addr a;
	int s = c_server(c, 4, &a), fd = c_socket(c);

	ASSERT_LE(0, s);
	close(fd);
	step(out, "%s", en(xconn(fd, &a)));
}

CLAUSE(enotsock, { ALL, "ENOTSOCK" })
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
#define NA_NO_BCAST_TIPC "n/a: no broadcast address or SO_BROADCAST: multicast goes to a service range"
CLAUSE(eacces_broadcast,
       { NX_CO | TCP, "ENETUNREACH -> SO_BROADCAST: ENETUNREACH" },
       { NX_D | UDP, "EACCES -> SO_BROADCAST: 0" },
       { UX, NA_NO_BCAST_UNIX },
       { VS_CO, NA_NO_BCAST_VSOCK },
       { TI, NA_NO_BCAST_TIPC },
       { SC, "ETIMEDOUT -> SO_BROADCAST: ETIMEDOUT" },
       { QR, "0 -> SO_BROADCAST: 0" })
{
	struct addr a;
	int fd = c_socket(c), one = 1;

	c_host_addr(c, &a, 5000);
	fam(c)->bcast(&a);
	/* SCTP sends its INIT to the broadcast address and waits for an answer. */
	if (cols[c].kind == K_SCTP)
		ASSERT_EQ(0, fam(c)->short_timeout(fd));
	step(out, "%s", en(xconn(fd, &a)));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)));
	step(out, "SO_BROADCAST: %s", en(xconn(fd, &a)));
}

/* A destination forbidden by a local rule: a "prohibit" route. */
#define NA_FW_NX "n/a: no netfilter or routing rules apply to AF_NEXUS"
#define NA_FW_UNIX "n/a: no netfilter or routing rules apply to AF_UNIX"
#define NA_FW_VSOCK "n/a: no netfilter or routing rules apply to AF_VSOCK"
#define NA_FW_TIPC "n/a: no netfilter or routing rules apply to node-local AF_TIPC (only to a UDP bearer's packets)"
#define NA_FW_QRTR "n/a: no netfilter or routing rules apply to AF_QIPCRTR"
CLAUSE(eperm_firewall,
       { NX, NA_FW_NX },
       { UX, NA_FW_UNIX },
       { TCP | UDP, "EACCES" },
       { VS_CO, NA_FW_VSOCK },
       { TI, NA_FW_TIPC },
       { SC, "ENETUNREACH" },
       { QR, NA_FW_QRTR })
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
CLAUSE(eacces_lsm, { ALL, NA_LSM })
{
	(void)c;
	step(out, "unreachable");
}

#define NA_NO_NET_UNIX "n/a: no networks: every name is on this host"
CLAUSE(enetunreach,
       { NX | TCP | UDP, "ENETUNREACH" },
       { UX, NA_NO_NET_UNIX },
       { VS_CO, "ENODEV" },
       { TI_CO, "EHOSTUNREACH" },
       { TI_D, "0" },
       { SC, "ENETUNREACH" },
       { QR, "0" })
{
	struct addr a;
	int fd = c_socket(c);

	c_host_addr(c, &a, 5000);
	fam(c)->foreign(&a);
	step(out, "%s", en(xconn(fd, &a)));
}

#define NA_NO_IF_NX "n/a: no interfaces: a node is a namespace"
#define NA_NO_IF_UNIX "n/a: no interfaces"
#define NA_NO_IF_VSOCK "n/a: no interfaces to take down (transports are modules)"
#define NA_NO_IF_TIPC "n/a: node-local sockets use no bearer, and the guest has none to take down"
#define NA_NO_IF_QRTR "n/a: the local node needs no interface or endpoint, and the guest has none to take down"
CLAUSE(enetdown,
       { NX, NA_NO_IF_NX },
       { UX, NA_NO_IF_UNIX },
       { TCP | UDP | SC, "ENETUNREACH" },
       { VS_CO, NA_NO_IF_VSOCK },
       { TI, NA_NO_IF_TIPC },
       { QR, NA_NO_IF_QRTR })
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
CLAUSE(ehostunreach,
       { NX, NA_NO_ROUTES_NX },
       { TI, "n/a: no routes; an unknown node is the enetunreach clause, where AF_TIPC answers EHOSTUNREACH" },
       { QR, "n/a: no routes; an unknown node is the enetunreach clause" },
       { UX, NA_NO_ROUTES_UNIX },
       { TCP | UDP, "EHOSTUNREACH" },
       { SC, "ENETUNREACH" },
       { VS_CO, NA_NO_ROUTES_VSOCK })
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

CLAUSE(eagain_routing_cache,
       { TCP | UDP | SC, "n/a: Linux has had no IPv4 routing cache since 3.6" },
       { ALL, "n/a: no routing" })
{
	(void)c;
	step(out, "unreachable");
}

CLAUSE(enobufs,
       { NX, "n/a: allocation failures are ENOMEM; the suite does not exhaust memory" },
       { ALL, "n/a: the suite does not exhaust kernel memory" })
{
	(void)c;
	step(out, "unreachable");
}

CLAUSE(enospc,
       { NX, "n/a: no fixed-size table: the port table chains, and the port range is exhaustion's limit (eaddrnotavail-ephemeral-exhausted)" },
       { ALL, "n/a: no fixed-size table to fill" })
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

CLAUSE(eacces_socket_file, { UX, "EACCES" }, NA_PATHS)
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

CLAUSE(eacces_path_search, { UX, "EACCES" }, NA_PATHS)
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

CLAUSE(enoent_path, { UX, "ENOENT" }, NA_PATHS)
{
	struct addr a;
	int fd = c_socket(c);

	unix_path(&a, "conf-no-such-socket");
	step(out, "%s", en(xconn(fd, &a)));
}

CLAUSE(enotdir_path, { UX, "ENOTDIR" }, NA_PATHS)
{
	struct addr a;
	int fd = c_socket(c), f = open("conf-file", O_CREAT | O_WRONLY, 0644);

	ASSERT_LE(0, f);
	unix_path(&a, "conf-file/s");
	step(out, "%s", en(xconn(fd, &a)));
}

CLAUSE(eloop_path, { UX, "ELOOP" }, NA_PATHS)
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
CLAUSE(enametoolong_path,
       { UX, "108-byte name: ENOENT; addrlen 111: EINVAL" }, NA_PATHS)
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

CLAUSE(einval_high_bit_path, { UX, "0" }, NA_PATHS)
{
	char dir[32];
	struct addr a;
	int s = unix_path_server(_metadata, c, cols[c].type, dir, "s\xc3\xa9\xff", &a);
	int fd = c_socket(c);

	ASSERT_LE(0, s);
	step(out, "%s", en(xconn(fd, &a)));
}

TEST_HARNESS_MAIN

#endif /* NEXUS_CONFORMANCE_RUN_H */
