/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Family-independent socket helpers for conformance_test.c: one "column" is
 * a (family, type) pair, and every helper takes the column, so that a clause
 * is written once and run against AF_NEXUS, AF_UNIX (abstract names),
 * AF_INET on loopback (TCP, UDP, SCTP), AF_VSOCK over the loopback
 * transport, AF_TIPC on this node and AF_QIPCRTR on the local node. What
 * differs between families is in one descriptor per family (families[]).
 */
#ifndef NEXUS_CONFORMANCE_H
#define NEXUS_CONFORMANCE_H

#include <arpa/inet.h>
#include <net/if.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/un.h>
#include <linux/qrtr.h>
#include <linux/sctp.h>
#include <linux/tipc.h>
#include <linux/vm_sockets.h>

#include "stream_util.h"

enum col {
	C_NX_STREAM,
	C_NX_SEQPACKET,
	C_NX_DGRAM,
	C_UNIX_STREAM,
	C_UNIX_SEQPACKET,
	C_UNIX_DGRAM,
	C_TCP,
	C_UDP,
	C_VSOCK_STREAM,
	C_VSOCK_SEQPACKET,
	C_VSOCK_DGRAM,
	C_TIPC_STREAM,
	C_TIPC_SEQPACKET,
	C_TIPC_DGRAM,
	C_SCTP_STREAM,
	C_SCTP_SEQPACKET,
	C_QRTR_DGRAM,
	NCOLS
};

enum kind { K_NEXUS, K_UNIX, K_INET, K_VSOCK, K_TIPC, K_SCTP, K_QRTR, NKINDS };

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/*
 * A family descriptor: everything a clause needs to know about a family's
 * addresses. A clause body uses only these (through the c_* helpers), so
 * that one body serves every column.
 */
struct family {
	int af;			/* 0: AF_NEXUS (nx_family(), a module parameter) */
	int protocol;		/* socket()'s third argument */
	socklen_t addrlen;	/* the size of the address structure */
	socklen_t minlen;	/* the shortest address the family parses */
	int wrong_af;		/* another real family, for eafnosupport */
	/* This host's address with @port (0: the family's "any port"). */
	void (*host)(struct addr *a, unsigned int port);
	/* What bind() takes for a fresh name (an ephemeral port, ...). */
	void (*fresh)(struct addr *a);
	/* Is @a (from getsockname()) a name of its own? */
	int (*named)(const struct addr *a);
	/* An address on another node or network nobody here can reach. */
	void (*foreign)(struct addr *a);
	/* The broadcast address for port 5000 (NULL: the family has none). */
	void (*bcast)(struct addr *a);
	/* Make a connect() give up after about 200 ms (or the family's least). */
	int (*short_timeout)(int fd);
	const char *port_range;	/* the ephemeral port range sysctl, or NULL */
	/*
	 * connect() of a connection type completes only when the listener
	 * accept()s (TIPC): listeners have no backlog, every attempt waits.
	 */
	int connect_waits_accept;
	/*
	 * The least listen() backlog that still listens (SCTP: 0 stops
	 * listening), and the flags send() takes (AF_QIPCRTR refuses
	 * MSG_NOSIGNAL with EINVAL; SIGPIPE is ignored anyway).
	 */
	int min_backlog;
	int send_flags;
};

struct colinfo {
	const char *name;	/* as in the records and the table */
	enum kind kind;
	int type;
	int other_type;		/* a type whose sockets this one must not reach */
	int one_to_many;	/* SCTP SOCK_SEQPACKET: no accept(), no queue */
};

static const struct colinfo cols[NCOLS] = {
	[C_NX_STREAM] = { "nexus-stream", K_NEXUS, SOCK_STREAM, SOCK_SEQPACKET },
	[C_NX_SEQPACKET] = { "nexus-seqpacket", K_NEXUS, SOCK_SEQPACKET, SOCK_STREAM },
	[C_NX_DGRAM] = { "nexus-dgram", K_NEXUS, SOCK_DGRAM, SOCK_STREAM },
	[C_UNIX_STREAM] = { "unix-stream", K_UNIX, SOCK_STREAM, SOCK_SEQPACKET },
	[C_UNIX_SEQPACKET] = { "unix-seqpacket", K_UNIX, SOCK_SEQPACKET, SOCK_STREAM },
	[C_UNIX_DGRAM] = { "unix-dgram", K_UNIX, SOCK_DGRAM, SOCK_STREAM },
	[C_TCP] = { "inet-tcp", K_INET, SOCK_STREAM, SOCK_DGRAM },
	[C_UDP] = { "inet-udp", K_INET, SOCK_DGRAM, SOCK_STREAM },
	[C_VSOCK_STREAM] = { "vsock-stream", K_VSOCK, SOCK_STREAM, SOCK_SEQPACKET },
	[C_VSOCK_SEQPACKET] = { "vsock-seqpacket", K_VSOCK, SOCK_SEQPACKET, SOCK_STREAM },
	[C_VSOCK_DGRAM] = { "vsock-dgram", K_VSOCK, SOCK_DGRAM, SOCK_STREAM },
	[C_TIPC_STREAM] = { "tipc-stream", K_TIPC, SOCK_STREAM, SOCK_SEQPACKET },
	[C_TIPC_SEQPACKET] = { "tipc-seqpacket", K_TIPC, SOCK_SEQPACKET, SOCK_STREAM },
	[C_TIPC_DGRAM] = { "tipc-dgram", K_TIPC, SOCK_DGRAM, SOCK_STREAM },
	[C_SCTP_STREAM] = { "sctp-stream", K_SCTP, SOCK_STREAM, SOCK_SEQPACKET },
	[C_SCTP_SEQPACKET] = { "sctp-seqpacket", K_SCTP, SOCK_SEQPACKET, SOCK_STREAM, 1 },
	[C_QRTR_DGRAM] = { "qrtr-dgram", K_QRTR, SOCK_DGRAM, SOCK_STREAM },
};

#define OUTSZ 512

/* ---- AF_NEXUS: (node, port); port 0 asks bind() for an ephemeral port ---- */

static inline struct sockaddr_nx *nx_sa(struct addr *a)
{
	return (struct sockaddr_nx *)&a->ss;
}

static void nexus_host(struct addr *a, unsigned int port)
{
	nx_sa(a)->snx_family = nx_family();
	nx_sa(a)->snx_node = NEXUS_NODE_LOCAL;
	nx_sa(a)->snx_port = port;
}

static void nexus_fresh(struct addr *a)
{
	nexus_host(a, 0);
	nx_sa(a)->snx_node = NEXUS_NODE_ANY;
}

static int nexus_named(const struct addr *a)
{
	return ((const struct sockaddr_nx *)&a->ss)->snx_port != 0;
}

static void nexus_foreign(struct addr *a)
{
	nx_sa(a)->snx_node = 7;
}

static void nexus_bcast(struct addr *a)
{
	nx_sa(a)->snx_node = NEXUS_NODE_BROADCAST;
}

static int nexus_short_timeout(int fd)
{
	unsigned long long ms = 200;

	return setsockopt(fd, SOL_NEXUS, NEXUS_CONNECT_TIMEOUT, &ms, sizeof(ms));
}

/* ---- AF_UNIX: abstract names; the empty name makes bind() autobind ---- */

static void unix_host(struct addr *a, unsigned int port)
{
	(void)port;
	a->ss.ss_family = AF_UNIX;
	a->len = sizeof(sa_family_t);
}

static void unix_host_any(struct addr *a)
{
	unix_host(a, 0);
}

static int unix_named(const struct addr *a)
{
	return a->len > sizeof(sa_family_t);
}

static int sndtimeo_short_timeout(int fd)
{
	struct timeval tv = { 0, 200000 };

	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* ---- AF_INET (TCP, UDP, SCTP): 127.0.0.1 ---- */

static inline struct sockaddr_in *in_sa(struct addr *a)
{
	return (struct sockaddr_in *)&a->ss;
}

static void inet_host(struct addr *a, unsigned int port)
{
	in_sa(a)->sin_family = AF_INET;
	in_sa(a)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	in_sa(a)->sin_port = htons(port);
}

static void inet_fresh(struct addr *a)
{
	inet_host(a, 0);
}

static int inet_named(const struct addr *a)
{
	return ((const struct sockaddr_in *)&a->ss)->sin_port != 0;
}

/* TEST-NET-1: no route in the guest. */
static void inet_foreign(struct addr *a)
{
	in_sa(a)->sin_addr.s_addr = inet_addr("192.0.2.1");
}

/* lo's directed broadcast: a broadcast route exists. */
static void inet_bcast(struct addr *a)
{
	in_sa(a)->sin_addr.s_addr = inet_addr("127.255.255.255");
}

/* One SYN retransmission: gives up after about 3 s. */
static int tcp_short_timeout(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &one, sizeof(one));
}

/* One INIT, retransmitted after at most 200 ms. */
static int sctp_short_timeout(int fd)
{
	struct sctp_initmsg im = { .sinit_max_attempts = 1,
				   .sinit_max_init_timeo = 200 };

	return setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im));
}

/* ---- AF_VSOCK: CID 1 (VMADDR_CID_LOCAL) over the loopback transport ---- */

static inline struct sockaddr_vm *vm_sa(struct addr *a)
{
	return (struct sockaddr_vm *)&a->ss;
}

static void vsock_host(struct addr *a, unsigned int port)
{
	vm_sa(a)->svm_family = AF_VSOCK;
	vm_sa(a)->svm_cid = VMADDR_CID_LOCAL;
	vm_sa(a)->svm_port = port ? port : VMADDR_PORT_ANY;
}

static void vsock_fresh(struct addr *a)
{
	vsock_host(a, 0);
}

static int vsock_named(const struct addr *a)
{
	return ((const struct sockaddr_vm *)&a->ss)->svm_port != VMADDR_PORT_ANY;
}

/* A CID no transport serves. */
static void vsock_foreign(struct addr *a)
{
	vm_sa(a)->svm_cid = 1234;
}

static int vsock_short_timeout(int fd)
{
	struct timeval tv = { 0, 200000 };

	return setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT,
			  &tv, sizeof(tv));
}

/*
 * ---- AF_TIPC: socket identities (port id, node) ----
 * Every TIPC socket has a port identity from socket() on, and connect()
 * takes it as getsockname() gives it (node 0: this node; the guest sets no
 * node identity and has no bearer). bind() publishes a service name
 * {CONF_TIPC_TYPE, instance} at node scope; a "port" is a port identity.
 */
#define CONF_TIPC_TYPE 18888

static inline struct sockaddr_tipc *ti_sa(struct addr *a)
{
	return (struct sockaddr_tipc *)&a->ss;
}

static void tipc_host(struct addr *a, unsigned int port)
{
	ti_sa(a)->family = AF_TIPC;
	ti_sa(a)->addrtype = TIPC_SOCKET_ADDR;
	ti_sa(a)->addr.id.ref = port;
	ti_sa(a)->addr.id.node = 0;
}

static void tipc_fresh(struct addr *a)
{
	static unsigned int next;

	ti_sa(a)->family = AF_TIPC;
	ti_sa(a)->addrtype = TIPC_SERVICE_ADDR;
	ti_sa(a)->scope = TIPC_NODE_SCOPE;
	ti_sa(a)->addr.name.name.type = CONF_TIPC_TYPE;
	ti_sa(a)->addr.name.name.instance = (getpid() << 8) + ++next;
}

static int tipc_named(const struct addr *a)
{
	return ((const struct sockaddr_tipc *)&a->ss)->addr.id.ref != 0;
}

/* A node identity (hash) no link reaches. */
static void tipc_foreign(struct addr *a)
{
	ti_sa(a)->addr.id.node = 0x1234567;
}

static int tipc_short_timeout(int fd)
{
	unsigned int ms = 200;

	return setsockopt(fd, SOL_TIPC, TIPC_CONN_TIMEOUT, &ms, sizeof(ms));
}

/* ---- AF_QIPCRTR: (node, port) on the local node (1), no hardware ---- */

static inline struct sockaddr_qrtr *qr_sa(struct addr *a)
{
	return (struct sockaddr_qrtr *)&a->ss;
}

static void qrtr_host(struct addr *a, unsigned int port)
{
	qr_sa(a)->sq_family = AF_QIPCRTR;
	qr_sa(a)->sq_node = 1;
	qr_sa(a)->sq_port = port;
}

static void qrtr_fresh(struct addr *a)
{
	qrtr_host(a, 0);
}

static int qrtr_named(const struct addr *a)
{
	return ((const struct sockaddr_qrtr *)&a->ss)->sq_port != 0;
}

static void qrtr_foreign(struct addr *a)
{
	qr_sa(a)->sq_node = 7;
}

static void qrtr_bcast(struct addr *a)
{
	qr_sa(a)->sq_node = QRTR_NODE_BCAST;
}

#define IPV4_RANGE "/proc/sys/net/ipv4/ip_local_port_range"

#define SEND_FLAGS (MSG_NOSIGNAL | MSG_DONTWAIT)

static const struct family families[NKINDS] = {
	[K_NEXUS] = {
		.addrlen = sizeof(struct sockaddr_nx),
		.minlen = sizeof(struct sockaddr_nx),
		.wrong_af = AF_INET,
		.host = nexus_host, .fresh = nexus_fresh, .named = nexus_named,
		.foreign = nexus_foreign, .bcast = nexus_bcast,
		.short_timeout = nexus_short_timeout,
		.port_range = "/proc/sys/net/nexus/ephemeral_ports",
		.send_flags = SEND_FLAGS,
	},
	[K_UNIX] = {
		.af = AF_UNIX,
		.addrlen = sizeof(struct sockaddr_un),
		.minlen = offsetof(struct sockaddr_un, sun_path) + 1,
		.wrong_af = AF_INET,
		.host = unix_host, .fresh = unix_host_any, .named = unix_named,
		.short_timeout = sndtimeo_short_timeout,
		.send_flags = SEND_FLAGS,
	},
	[K_INET] = {
		.af = AF_INET,
		.addrlen = sizeof(struct sockaddr_in),
		.minlen = sizeof(struct sockaddr_in),
		.wrong_af = AF_INET6,
		.host = inet_host, .fresh = inet_fresh, .named = inet_named,
		.foreign = inet_foreign, .bcast = inet_bcast,
		.short_timeout = tcp_short_timeout,
		.port_range = IPV4_RANGE,
		.send_flags = SEND_FLAGS,
	},
	[K_VSOCK] = {
		.af = AF_VSOCK,
		.addrlen = sizeof(struct sockaddr_vm),
		.minlen = sizeof(struct sockaddr_vm),
		.wrong_af = AF_INET,
		.host = vsock_host, .fresh = vsock_fresh, .named = vsock_named,
		.foreign = vsock_foreign,
		.short_timeout = vsock_short_timeout,
		.send_flags = SEND_FLAGS,
	},
	[K_TIPC] = {
		.af = AF_TIPC,
		.addrlen = sizeof(struct sockaddr_tipc),
		.minlen = sizeof(struct sockaddr_tipc),
		.wrong_af = AF_INET,
		.host = tipc_host, .fresh = tipc_fresh, .named = tipc_named,
		.foreign = tipc_foreign,
		.short_timeout = tipc_short_timeout,
		.connect_waits_accept = 1,
		.send_flags = SEND_FLAGS,
	},
	[K_SCTP] = {
		.af = AF_INET, .protocol = IPPROTO_SCTP,
		.addrlen = sizeof(struct sockaddr_in),
		.minlen = sizeof(struct sockaddr_in),
		.wrong_af = AF_INET6,
		.host = inet_host, .fresh = inet_fresh, .named = inet_named,
		.foreign = inet_foreign, .bcast = inet_bcast,
		.short_timeout = sctp_short_timeout,
		.port_range = IPV4_RANGE,
		.min_backlog = 1,
		.send_flags = SEND_FLAGS,
	},
	[K_QRTR] = {
		.af = AF_QIPCRTR,
		.addrlen = sizeof(struct sockaddr_qrtr),
		.minlen = sizeof(struct sockaddr_qrtr),
		.wrong_af = AF_INET,
		.host = qrtr_host, .fresh = qrtr_fresh, .named = qrtr_named,
		.foreign = qrtr_foreign, .bcast = qrtr_bcast,
		.send_flags = MSG_DONTWAIT,
	},
};

static inline const struct family *fam(enum col c)
{
	return &families[cols[c].kind];
}

static inline int c_is_dgram(enum col c)
{
	return cols[c].type == SOCK_DGRAM;
}

static inline int c_family(enum col c)
{
	return fam(c)->af ? fam(c)->af : nx_family();
}

/* The size of the column's address structure. */
static inline socklen_t c_addrlen(enum col c)
{
	return fam(c)->addrlen;
}

/* The shortest address the family can parse (unix: one name byte). */
static inline socklen_t c_minlen(enum col c)
{
	return fam(c)->minlen;
}

static inline int c_socket_type(enum col c, int type)
{
	return socket(c_family(c), type, fam(c)->protocol);
}

static inline int c_socket(enum col c)
{
	return c_socket_type(c, cols[c].type);
}

/* An address of this host (port/name left to the caller). */
static inline void c_host_addr(enum col c, struct addr *a, unsigned int port)
{
	memset(a, 0, sizeof(*a));
	a->len = c_addrlen(c);
	fam(c)->host(a, port);
}

/* Bind to a fresh name: an ephemeral port, or an abstract autobind name. */
static inline int c_bind_any(enum col c, int fd)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.len = c_addrlen(c);
	fam(c)->fresh(&a);
	return bind(fd, (struct sockaddr *)&a.ss, a.len);
}

static inline int c_bind_port(enum col c, int fd, unsigned int port)
{
	struct addr a;

	c_host_addr(c, &a, port);
	return bind(fd, (struct sockaddr *)&a.ss, a.len);
}

static inline int c_name(int fd, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	a->len = sizeof(a->ss);
	return getsockname(fd, (struct sockaddr *)&a->ss, &a->len);
}

static inline int c_peer(int fd, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	a->len = sizeof(a->ss);
	return getpeername(fd, (struct sockaddr *)&a->ss, &a->len) ? errno : 0;
}

static inline int c_same_addr(const struct addr *a, const struct addr *b)
{
	return a->len == b->len && !memcmp(&a->ss, &b->ss, a->len);
}

/* Has the socket a name of its own (after an explicit or automatic bind)? */
static inline int c_is_bound(enum col c, int fd)
{
	struct addr a;

	if (c_name(fd, &a))
		return -1;
	return fam(c)->named(&a);
}

/*
 * A server of @type: bound to a fresh name and, for connection types,
 * listening with @backlog. Its address in *a. Returns the fd or -1.
 */
static inline int c_server_type(enum col c, int type, int backlog, struct addr *a)
{
	int fd = c_socket_type(c, type);

	if (fd < 0)
		return -1;
	if (c_bind_any(c, fd) || c_name(fd, a) ||
	    (type != SOCK_DGRAM && listen(fd, backlog))) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline int c_server(enum col c, int backlog, struct addr *a)
{
	return c_server_type(c, cols[c].type, backlog, a);
}

/* An address nobody is bound to (a name that was bound and freed again). */
static inline int c_free_addr(enum col c, struct addr *a)
{
	int fd = c_socket(c);

	if (fd < 0)
		return -1;
	if (c_bind_any(c, fd) || c_name(fd, a)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* connect(): 0 or the errno. */
static inline int xconn(int fd, const struct addr *a)
{
	return connect(fd, (const struct sockaddr *)&a->ss, a->len) ? errno : 0;
}

static inline int xconn_unspec(int fd)
{
	struct sockaddr sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNSPEC;
	return connect(fd, &sa, sizeof(sa)) ? errno : 0;
}

/*
 * A listener whose accept queue is full: the least backlog (0 admits one
 * connection; SCTP's 1 admits two), filled with connections that are made
 * and not accepted; the next attempt cannot complete. Waits until the
 * queued connections are visible to accept(). TIPC listeners have no
 * backlog and every attempt waits for its own accept(): a listener nobody
 * accepts on is already "full".
 */
static inline int c_full_listener(enum col c, struct addr *a)
{
	int l = c_server(c, fam(c)->min_backlog, a), i, q;

	if (l < 0 || fam(c)->connect_waits_accept)
		return l;
	for (i = 0; i <= fam(c)->min_backlog; i++) {
		q = c_socket(c);
		if (q < 0 || xconn(q, a)) {
			close(l);
			return -1;
		}
	}
	if (!(nx_poll(l, POLLIN, 2000) & POLLIN)) {
		close(l);
		return -1;
	}
	return l;
}

/*
 * An accept() in a thread, for the families whose connect() completes only
 * when the listener accepts (TIPC): started before a connect() to listener
 * @l, it accepts one connection within 3 s. Other families complete the
 * connection in the kernel; for them no thread runs and ->fd stays -1.
 */
struct acceptor {
	pthread_t t;
	int l, fd, running;
};

static void *acceptor_main(void *p)
{
	struct acceptor *ac = p;

	if (nx_poll(ac->l, POLLIN, 3000) & POLLIN)
		ac->fd = accept(ac->l, NULL, NULL);
	return NULL;
}

static inline void acc_start(enum col c, struct acceptor *ac, int l)
{
	ac->l = l;
	ac->fd = -1;
	ac->running = fam(c)->connect_waits_accept && l >= 0 && !c_is_dgram(c) &&
		      !pthread_create(&ac->t, NULL, acceptor_main, ac);
}

static inline int acc_join(struct acceptor *ac)
{
	if (ac->running)
		pthread_join(ac->t, NULL);
	ac->running = 0;
	return ac->fd;
}

/* connect() to the server @l at @a (the server accepts where it must). */
static inline int c_connect_to(enum col c, int fd, const struct addr *a, int l)
{
	struct acceptor ac;
	int e;

	acc_start(c, &ac, l);
	e = xconn(fd, a);
	acc_join(&ac);
	return e;
}

/*
 * The server's end of a connection just made to listener @l: accept(),
 * or (SCTP one-to-many) the listening socket itself, which carries every
 * association.
 */
static inline int c_accept(enum col c, int l)
{
	if (cols[c].one_to_many)
		return l;
	return accept(l, NULL, NULL);
}

static inline const char *en(int err)
{
	static char buf[16];
	const char *s;

	if (!err)
		return "0";
	s = strerrorname_np(err);
	if (s)
		return s;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

/* Append one step of an outcome: "a -> b -> c". */
static inline void step(char *out, const char *fmt, ...)
{
	size_t n = strlen(out);
	va_list ap;

	if (n && n + 4 < OUTSZ) {
		strcpy(out + n, " -> ");
		n += 4;
	}
	va_start(ap, fmt);
	vsnprintf(out + n, OUTSZ - n, fmt, ap);
	va_end(ap);
}

static inline const char *evname(short ev)
{
	static char buf[64];

	if (ev < 0)
		return "poll failed";
	if (!ev)
		return "nothing";
	buf[0] = 0;
#define EVBIT(b) do {				\
		if (ev & (b)) {				\
			if (buf[0])			\
				strcat(buf, "|");	\
			strcat(buf, #b);		\
		}					\
	} while (0)
	EVBIT(POLLIN);
	EVBIT(POLLOUT);
	EVBIT(POLLERR);
	EVBIT(POLLHUP);
	EVBIT(POLLRDHUP);
#undef EVBIT
	return buf;
}

/* A non-blocking recv(): "data", "EOF" or the errno name. */
static inline const char *recv_name(int fd)
{
	char b[16];
	ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);

	if (n > 0)
		return "data";
	if (n == 0)
		return "EOF";
	return en(errno);
}

/* A non-blocking send(): 0 or the errno. */
static inline int c_send(enum col c, int fd, const char *s)
{
	return send(fd, s, strlen(s), fam(c)->send_flags) < 0 ? errno : 0;
}

/* Receive one datagram (non-blocking) and its sender: 1 received, 0 none. */
static inline int recv_from(int fd, struct addr *from)
{
	char b[64];

	memset(from, 0, sizeof(*from));
	from->len = sizeof(from->ss);
	return recvfrom(fd, b, sizeof(b), MSG_DONTWAIT,
			(struct sockaddr *)&from->ss, &from->len) >= 0;
}

static inline long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A private network namespace for this test process, loopback up or not. */
static inline int c_private_netns(int lo_up)
{
	struct ifreq ifr;
	int fd, err = 0;

	if (unshare(CLONE_NEWNET))
		return -1;
	if (!lo_up)
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		err = -1;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(fd, SIOCSIFFLAGS, &ifr))
		err = -1;
	close(fd);
	return err;
}

#endif /* NEXUS_CONFORMANCE_H */
