/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Family-independent socket helpers for conformance_test.c: one "column" is
 * a (family, type) pair, and every helper takes the column, so that a clause
 * is written once and run against AF_NEXUS, AF_UNIX (abstract names),
 * AF_INET on loopback and AF_VSOCK over the loopback transport.
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
	NCOLS
};

enum kind { K_NEXUS, K_UNIX, K_INET, K_VSOCK };

struct colinfo {
	const char *name;	/* as in the records and the table */
	enum kind kind;
	int type;
	int other_type;		/* a type whose sockets this one must not reach */
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
};

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

#define OUTSZ 512

static inline int c_is_dgram(enum col c)
{
	return cols[c].type == SOCK_DGRAM;
}

static inline int c_family(enum col c)
{
	switch (cols[c].kind) {
	case K_NEXUS:
		return nx_family();
	case K_UNIX:
		return AF_UNIX;
	case K_INET:
		return AF_INET;
	default:
		return AF_VSOCK;
	}
}

/* The size of the column's address structure. */
static inline socklen_t c_addrlen(enum col c)
{
	switch (cols[c].kind) {
	case K_NEXUS:
		return sizeof(struct sockaddr_nx);
	case K_UNIX:
		return sizeof(struct sockaddr_un);
	case K_INET:
		return sizeof(struct sockaddr_in);
	default:
		return sizeof(struct sockaddr_vm);
	}
}

/* The shortest address the family can parse (unix: one name byte). */
static inline socklen_t c_minlen(enum col c)
{
	if (cols[c].kind == K_UNIX)
		return offsetof(struct sockaddr_un, sun_path) + 1;
	return c_addrlen(c);
}

static inline int c_socket_type(enum col c, int type)
{
	return socket(c_family(c), type, 0);
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
	switch (cols[c].kind) {
	case K_NEXUS: {
		struct sockaddr_nx *nx = (struct sockaddr_nx *)&a->ss;

		nx->snx_family = nx_family();
		nx->snx_node = NEXUS_NODE_LOCAL;
		nx->snx_port = port;
		break;
	}
	case K_UNIX:
		/* An empty name: bind() makes it an autobind. */
		a->ss.ss_family = AF_UNIX;
		a->len = sizeof(sa_family_t);
		break;
	case K_INET: {
		struct sockaddr_in *in = (struct sockaddr_in *)&a->ss;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = htons(port);
		break;
	}
	case K_VSOCK: {
		struct sockaddr_vm *vm = (struct sockaddr_vm *)&a->ss;

		vm->svm_family = AF_VSOCK;
		vm->svm_cid = VMADDR_CID_LOCAL;
		vm->svm_port = port ? port : VMADDR_PORT_ANY;
		break;
	}
	}
}

/* Bind to a fresh name: an ephemeral port, or an abstract autobind name. */
static inline int c_bind_any(enum col c, int fd)
{
	struct addr a;

	c_host_addr(c, &a, 0);
	if (cols[c].kind == K_NEXUS)
		((struct sockaddr_nx *)&a.ss)->snx_node = NEXUS_NODE_ANY;
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
	switch (cols[c].kind) {
	case K_NEXUS:
		return ((struct sockaddr_nx *)&a.ss)->snx_port != 0;
	case K_UNIX:
		return a.len > sizeof(sa_family_t);
	case K_INET:
		return ((struct sockaddr_in *)&a.ss)->sin_port != 0;
	default:
		return ((struct sockaddr_vm *)&a.ss)->svm_port != VMADDR_PORT_ANY;
	}
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
 * A listener whose accept queue is full: backlog 0 admits one connection,
 * which *queued holds (connected, not accepted); the next attempt cannot
 * complete. Waits until the queued connection is visible to accept().
 */
static inline int c_full_listener(enum col c, struct addr *a, int *queued)
{
	int l = c_server(c, 0, a);

	if (l < 0)
		return -1;
	*queued = c_socket(c);
	if (*queued < 0 || xconn(*queued, a) ||
	    !(nx_poll(l, POLLIN, 2000) & POLLIN)) {
		close(l);
		return -1;
	}
	return l;
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

static inline int xsend(int fd, const char *s)
{
	return send(fd, s, strlen(s), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ? errno : 0;
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

static inline void noop_handler(int sig)
{
	(void)sig;
}

#endif /* NEXUS_CONFORMANCE_H */
