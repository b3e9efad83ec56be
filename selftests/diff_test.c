// SPDX-License-Identifier: GPL-2.0
/*
 * Differential tester: random operation sequences on a connected AF_UNIX
 * pair and on a connected AF_NEXUS pair of the same type, run in lockstep,
 * every return value, errno, msg_flags, byte and poll mask compared.
 *
 * Environment (read once; `make check` runs the defaults, `make fuzz` sets
 * them):
 *   NEXUS_DIFF_SEED     base seed (decimal or 0x hex); default 0x6e657875,
 *                       fixed so that `make check` is reproducible. The
 *                       seed of every sequence is derived from it and the
 *                       sequence number and printed on a mismatch.
 *   NEXUS_DIFF_SEQS     sequences per socket type (default 400: about
 *                       15 s on the stock kernel and a minute on the
 *                       debug kernel under TCG).
 *   NEXUS_DIFF_SECONDS  run each type for this many seconds instead
 *                       (0, the default: use NEXUS_DIFF_SEQS).
 *   NEXUS_DIFF_MAXSEND  largest single send/recv in bytes (default and at
 *                       most 4 MiB). Sizes are skewed small: about one
 *                       operation in twenty is above 64 KiB.
 *   NEXUS_DIFF_OPS      largest number of operations per sequence
 *                       (default 40, at most MAX_OPS).
 *   NEXUS_DIFF_VERBOSE  1: print every sequence's operations and results.
 *   NEXUS_DIFF_SELFCHECK  set: compare AF_UNIX with itself (checks the
 *                       tester and its model; runs without nexus.ko).
 *
 * How a sequence runs: each operation is applied to the AF_UNIX pair, then
 * to the AF_NEXUS pair, always non-blocking (MSG_DONTWAIT, poll() with
 * timeout 0), so nothing can hang and both runs are deterministic. A model
 * of each family's queues (which bytes of which send are queued in which
 * direction) checks every received byte against what was sent. Results
 * that differ are allowed only by the table of documented differences
 * below (mirrored in docs/differences.md); anything else fails, after
 * which the shortest prefix of the sequence that still fails is searched
 * (re-running prefixes) and printed with both families' results.
 *
 * Where the two families' buffer accounting makes exact EAGAIN points and
 * partial-send counts differ, the comparable part is compared: such a send
 * is allowed to differ only when it is a flow-control outcome (EAGAIN or a
 * partial count) on a queue that is not empty or a send that is large
 * relative to the buffers; then both receivers are drained (bytes checked
 * against the model) so that the two runs are in the same state again, and
 * the totals must agree (every accepted byte received exactly once).
 */
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "stream_util.h"

#define MAX_OPS		64
#define QCAP		(4 * MAX_OPS)
#define MAX_SEND_CAP	(4u << 20)
#define MAX_IOV		4
/* One datagram's payload limit of AF_NEXUS (docs/dgram.md). */
#define NX_DGRAM_MAX	65536

/* ---- the table of documented differences (docs/differences.md) ---- */

enum diff_id {
	DIFF_FLOW,		/* buffer accounting: EAGAIN points, partial counts */
	DIFF_POLLOUT,		/* writability threshold with data queued */
	DIFF_OUTQ,		/* SIOCOUTQ: payload bytes vs AF_UNIX truesize */
	DIFF_SEQPACKET_EOR,	/* MSG_EOR on a complete seqpacket record */
	DIFF_DGRAM_MAX,		/* datagram size limit: 64 KiB vs SO_SNDBUF - 32 */
	DIFF_DGRAM_SHUTRD,	/* SHUT_RD datagram recv: 0 vs EAGAIN */
	DIFF_DGRAM_PEER_GONE,	/* datagram peer closed: ECONNREFUSED kept */
	DIFF_RESET_ON_SEND,	/* a pending ECONNRESET is reported by send() */
	DIFF_ZERO_RECV,		/* stream recv of 0 bytes returns 0 at once */
	DIFF_SEQPACKET_RESET_ORDER, /* seqpacket: queued records before the reset */
	DIFF_WAITALL_RESET,	/* AF_UNIX: a short MSG_WAITALL read eats a reset */
	DIFF_EMPTY_RECORD_RESET, /* seqpacket: a lone 0-byte record unread at close */
	DIFF_NR
};

static const struct {
	const char *name;
	const char *reason;
} diff_table[DIFF_NR] = {
	[DIFF_FLOW] = { "flow",
		"buffer accounting differs (AF_UNIX charges skb truesize to the sender only and limits datagram queues to net.unix.max_dgram_qlen; AF_NEXUS also bounds by the peer's SO_RCVBUF and dgram_qlen), so the exact EAGAIN point and partial send counts differ; byte streams and totals are compared instead" },
	[DIFF_POLLOUT] = { "pollout",
		"POLLOUT with data queued follows each family's own accounting; compared only while the sender's queue is empty" },
	[DIFF_OUTQ] = { "outq",
		"SIOCOUTQ is payload bytes (stream) or truesize (dgram) on AF_NEXUS and skb truesize on AF_UNIX; compared as zero/non-zero" },
	[DIFF_SEQPACKET_EOR] = { "seqpacket-eor",
		"AF_NEXUS sets MSG_EOR on a complete seqpacket record (docs/stream.md), AF_UNIX never does" },
	[DIFF_DGRAM_MAX] = { "dgram-max",
		"AF_NEXUS datagrams are limited to 64 KiB whatever SO_SNDBUF, AF_UNIX to SO_SNDBUF - 32 (docs/dgram.md)" },
	[DIFF_DGRAM_SHUTRD] = { "dgram-shutrd",
		"after SHUT_RD an empty AF_NEXUS datagram socket reads end of file (0), AF_UNIX gives EAGAIN to a non-blocking read (docs/dgram.md)" },
	[DIFF_DGRAM_PEER_GONE] = { "dgram-peer-gone",
		"after the datagram peer closed, AF_NEXUS keeps the association, reports ECONNREFUSED once as a pending error (SO_ERROR, recv, send, POLLERR) and on every send; AF_UNIX fails the first send with ECONNREFUSED, then ENOTCONN, and drops its own queue (docs/dgram.md)" },
	[DIFF_RESET_ON_SEND] = { "reset-on-send",
		"after the peer closed with unread data, AF_NEXUS reports the pending ECONNRESET to the next send() as well (as TCP) but checks a seqpacket record's size (EMSGSIZE) first; AF_UNIX stream reports it only to recv() and SO_ERROR (a short MSG_WAITALL read consumes it silently) and fails the send with EPIPE, AF_UNIX seqpacket reports it before EMSGSIZE; the pending reset is then dropped on both" },
	[DIFF_ZERO_RECV] = { "stream-zero-recv",
		"a stream recv() of 0 bytes returns 0 at once on AF_NEXUS (as TCP); AF_UNIX waits for data first (EAGAIN when non-blocking) and reports a pending error (which AF_NEXUS keeps for the next call; the tester then takes it with SO_ERROR)" },
	[DIFF_SEQPACKET_RESET_ORDER] = { "seqpacket-reset-order",
		"after a reset (the peer closed with unread data), an AF_NEXUS seqpacket socket delivers the records still queued and then ECONNRESET, as its stream sockets and TCP; AF_UNIX seqpacket reports ECONNRESET first (the datagram code checks the error before the queue)" },
	[DIFF_WAITALL_RESET] = { "waitall-reset",
		"a non-blocking stream MSG_WAITALL read that returns fewer bytes than asked consumes a pending ECONNRESET on AF_UNIX (the error is lost); AF_NEXUS keeps it for the next call (recv, SO_ERROR, POLLERR), as TCP" },
	[DIFF_EMPTY_RECORD_RESET] = { "seqpacket-empty-record-reset",
		"a seqpacket socket closed with one unread zero-length record and nothing else resets its peer on AF_NEXUS (unread data); AF_UNIX (CONFIG_AF_UNIX_OOB) skips a zero-length skb at the head of the queue, meant for consumed out-of-band bytes, and gives a plain end of file" },
};

/* ---- configuration ---- */

static unsigned long long cfg_seed = 0x6e657875;
static unsigned long cfg_seqs = 400;
static unsigned long cfg_seconds;
static size_t cfg_maxsend = MAX_SEND_CAP;
static int cfg_ops = 40;
static int cfg_verbose;
static unsigned long diff_hits[DIFF_NR];

static unsigned long long env_num(const char *name, unsigned long long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

static void read_config(void)
{
	cfg_seed = env_num("NEXUS_DIFF_SEED", cfg_seed);
	cfg_seqs = env_num("NEXUS_DIFF_SEQS", cfg_seqs);
	cfg_seconds = env_num("NEXUS_DIFF_SECONDS", 0);
	cfg_maxsend = env_num("NEXUS_DIFF_MAXSEND", cfg_maxsend);
	if (cfg_maxsend > MAX_SEND_CAP)
		cfg_maxsend = MAX_SEND_CAP;
	if (cfg_maxsend < 1)
		cfg_maxsend = 1;
	cfg_ops = env_num("NEXUS_DIFF_OPS", cfg_ops);
	if (cfg_ops < 1 || cfg_ops > MAX_OPS)
		cfg_ops = MAX_OPS;
	cfg_verbose = env_num("NEXUS_DIFF_VERBOSE", 0);
}

/* ---- random numbers (xorshift64*, seeded per sequence) ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static size_t rnd_below(size_t n)
{
	return n ? rnd() % n : 0;
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* ---- operations ---- */

enum op_kind {
	OP_SEND, OP_RECV, OP_POLL, OP_INQ, OP_OUTQ, OP_SETBUF, OP_GETERR,
	OP_SHUTDOWN, OP_CLOSE,
};

static const char *const op_names[] = {
	"send", "recv", "poll", "SIOCINQ", "SIOCOUTQ", "setbuf", "SO_ERROR",
	"shutdown", "close",
};

struct op {
	int kind;
	int end;		/* 0 or 1 */
	int flags;		/* recv flags (besides MSG_DONTWAIT) */
	int arg;		/* shutdown how, setbuf option */
	int niov;
	size_t size;		/* send/recv length, setbuf value */
	size_t cut[MAX_IOV];	/* iovec boundaries */
};

static const int buf_values[] = { 1, 2048, 4096, 8192, 65536, 262144, 1 << 20 };

static size_t rnd_size(void)
{
	static const size_t edges[] = {
		0, 1, 2, 31, 32, 33, 4095, 4096, 4097, 65503, 65504, 65505,
		65535, 65536, 65537, 73409, 212960, 212961, 1 << 20, 4 << 20,
	};
	size_t r = rnd_below(100), sz;

	if (r < 10)
		sz = edges[rnd_below(ARRAY_SIZE(edges))];
	else if (r < 45)
		sz = rnd_below(65);
	else if (r < 75)
		sz = rnd_below(4097);
	else if (r < 95)
		sz = rnd_below(65537);
	else if (r < 98)
		sz = rnd_below(262145);
	else
		sz = rnd_below(cfg_maxsend + 1);
	return sz > cfg_maxsend ? cfg_maxsend : sz;
}

static void gen_iov(struct op *op)
{
	int i, j;

	op->niov = 1 + rnd_below(MAX_IOV);
	for (i = 0; i < op->niov - 1; i++)
		op->cut[i] = rnd_below(op->size + 1);
	op->cut[op->niov - 1] = op->size;
	/* sort the boundaries */
	for (i = 1; i < op->niov; i++)
		for (j = i; j > 0 && op->cut[j - 1] > op->cut[j]; j--) {
			size_t t = op->cut[j];

			op->cut[j] = op->cut[j - 1];
			op->cut[j - 1] = t;
		}
}

static void gen_op(struct op *op)
{
	size_t r = rnd_below(100);

	memset(op, 0, sizeof(*op));
	op->end = rnd_below(2);
	if (r < 34) {
		op->kind = OP_SEND;
		op->size = rnd_size();
		gen_iov(op);
	} else if (r < 66) {
		op->kind = OP_RECV;
		op->size = rnd_size();
		if (rnd_below(5) == 0)
			op->flags |= MSG_PEEK;
		if (rnd_below(5) == 0)
			op->flags |= MSG_WAITALL;
		if (rnd_below(6) == 0)
			op->flags |= MSG_TRUNC;
		gen_iov(op);
	} else if (r < 74) {
		op->kind = OP_POLL;
	} else if (r < 79) {
		op->kind = OP_INQ;
	} else if (r < 83) {
		op->kind = OP_OUTQ;
	} else if (r < 89) {
		op->kind = OP_SETBUF;
		op->arg = rnd_below(2) ? SO_SNDBUF : SO_RCVBUF;
		op->size = buf_values[rnd_below(ARRAY_SIZE(buf_values))];
	} else if (r < 93) {
		op->kind = OP_GETERR;
	} else if (r < 98 || (r < 99 && rnd_below(2))) {
		op->kind = OP_SHUTDOWN;
		op->arg = rnd_below(10) == 0 ? 3 : (int)rnd_below(3);
	} else {
		op->kind = OP_CLOSE;
	}
}

static void format_op(const struct op *op, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s end=%d", op_names[op->kind], op->end);
	int i;

	switch (op->kind) {
	case OP_SEND:
	case OP_RECV:
		n += snprintf(buf + n, len - n, " size=%zu iov=[", op->size);
		for (i = 0; i < op->niov; i++)
			n += snprintf(buf + n, len - n, "%s%zu", i ? "," : "",
				      op->cut[i] - (i ? op->cut[i - 1] : 0));
		n += snprintf(buf + n, len - n, "]%s%s%s", op->flags & MSG_PEEK ? " PEEK" : "",
			      op->flags & MSG_WAITALL ? " WAITALL" : "",
			      op->flags & MSG_TRUNC ? " TRUNC" : "");
		break;
	case OP_SETBUF:
		snprintf(buf + n, len - n, " %s=%zu", op->arg == SO_SNDBUF ? "SO_SNDBUF" : "SO_RCVBUF",
			 op->size);
		break;
	case OP_SHUTDOWN:
		snprintf(buf + n, len - n, " how=%d", op->arg);
		break;
	}
}

/* ---- the data: send i of end e carries pattern bytes from a fixed offset ---- */

static uint8_t *pattern;	/* cfg_maxsend + PATTERN_SPREAD bytes */
#define PATTERN_SPREAD	4096

static const uint8_t *send_data(int idx, int end)
{
	return pattern + (mix((uint64_t)idx * 2 + end) % PATTERN_SPREAD);
}

/* ---- one family's pair and its model ---- */

struct seg {
	const uint8_t *p;
	size_t len, off;	/* off: consumed (stream only) */
};

/* The bytes queued from end e to end 1 - e. */
struct queue {
	struct seg s[QCAP];
	int head, tail;
	size_t bytes;
};

struct side {
	const char *name;
	int family;
	int fd[2];
	bool closed[2];
	bool lone_empty_close;	/* the last close left one 0-byte record */
	struct queue q[2];
	uint8_t *rbuf;
};

struct res {
	long rc;
	int err;
	int flags;
	long val;
};

static int sock_type;
static struct side sides[2];	/* 0: AF_UNIX, 1: AF_NEXUS */
static char failmsg[512];

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (failmsg[0])
		return;
	va_start(ap, fmt);
	vsnprintf(failmsg, sizeof(failmsg), fmt, ap);
	va_end(ap);
}

static bool records(void)
{
	return sock_type != SOCK_STREAM;
}

static void q_push(struct queue *q, const uint8_t *p, size_t len)
{
	if (q->tail - q->head >= QCAP) {
		fail("model queue overflow");
		return;
	}
	q->s[q->tail % QCAP] = (struct seg){ p, len, 0 };
	q->tail++;
	q->bytes += len;
}

static bool q_empty(const struct queue *q)
{
	return q->head == q->tail;
}

static void q_clear(struct queue *q)
{
	q->head = q->tail = 0;
	q->bytes = 0;
}

static bool q_equal(const struct queue *a, const struct queue *b)
{
	int i;

	if (a->tail - a->head != b->tail - b->head || a->bytes != b->bytes)
		return false;
	for (i = 0; i < a->tail - a->head; i++) {
		const struct seg *x = &a->s[(a->head + i) % QCAP];
		const struct seg *y = &b->s[(b->head + i) % QCAP];

		if (x->p != y->p || x->len != y->len || x->off != y->off)
			return false;
	}
	return true;
}

/* Check @n received bytes against the stream queue; consume them unless peeking. */
static bool q_stream_recv(struct queue *q, const uint8_t *buf, size_t n, bool peek)
{
	int i = q->head;
	size_t off, done = 0;

	if (n > q->bytes)
		return false;
	off = q->s[i % QCAP].off;
	while (done < n) {
		struct seg *s = &q->s[i % QCAP];
		size_t k = s->len - off;

		if (k > n - done)
			k = n - done;
		if (memcmp(buf + done, s->p + off, k))
			return false;
		done += k;
		off += k;
		if (off == s->len) {
			i++;
			off = i < q->tail ? q->s[i % QCAP].off : 0;
		}
	}
	if (!peek) {
		q->head = i;
		if (i < q->tail)
			q->s[i % QCAP].off = off;
		q->bytes -= n;
	}
	return true;
}

static int side_open(struct side *s, int family)
{
	int fd[2];

	memset(s->q, 0, sizeof(s->q));
	s->family = family;
	s->closed[0] = s->closed[1] = false;
	if (family == AF_UNIX) {
		s->name = "AF_UNIX";
		if (socketpair(AF_UNIX, sock_type, 0, fd))
			return -1;
	} else if (sock_type == SOCK_DGRAM) {
		s->name = "AF_NEXUS";
		fd[0] = nx_socket(SOCK_DGRAM);
		fd[1] = nx_socket(SOCK_DGRAM);
		if (fd[0] < 0 || fd[1] < 0 ||
		    nx_bind(fd[0], NEXUS_NODE_ANY, NEXUS_PORT_ANY) ||
		    nx_bind(fd[1], NEXUS_NODE_ANY, NEXUS_PORT_ANY) ||
		    nx_connect(fd[0], NEXUS_NODE_LOCAL, nx_port(fd[1])) ||
		    nx_connect(fd[1], NEXUS_NODE_LOCAL, nx_port(fd[0])))
			return -1;
	} else {
		s->name = "AF_NEXUS";
		if (nx_pair(sock_type, &fd[0], &fd[1]))
			return -1;
	}
	s->fd[0] = fd[0];
	s->fd[1] = fd[1];
	return 0;
}

static void side_close(struct side *s)
{
	int e;

	for (e = 0; e < 2; e++)
		if (!s->closed[e])
			close(s->fd[e]);
}

static void make_iov(const struct op *op, uint8_t *base, struct iovec *iov)
{
	int i;

	for (i = 0; i < op->niov; i++) {
		size_t from = i ? op->cut[i - 1] : 0;

		iov[i].iov_base = base + from;
		iov[i].iov_len = op->cut[i] - from;
	}
}

/* Check a received record or stream chunk against the model. */
static void model_recv(struct side *s, const struct op *op, const struct res *r)
{
	struct queue *q = &s->q[!op->end];
	bool peek = op->flags & MSG_PEEK;

	if (r->rc < 0)
		return;
	if (!records()) {
		if (!q_stream_recv(q, s->rbuf, r->rc, peek))
			fail("%s: received %ld bytes that are not the next queued bytes (%zu queued)",
			     s->name, r->rc, q->bytes);
		return;
	}
	if (q_empty(q)) {
		if (r->rc)
			fail("%s: received a %ld-byte record with none queued", s->name, r->rc);
		return;
	} else {
		struct seg *sg = &q->s[q->head % QCAP];
		size_t copied = op->size < sg->len ? op->size : sg->len;
		size_t want = op->flags & MSG_TRUNC ? sg->len : copied;

		if ((size_t)r->rc != want)
			fail("%s: recv returned %ld, the next record has %zu bytes",
			     s->name, r->rc, sg->len);
		else if (memcmp(s->rbuf, sg->p, copied))
			fail("%s: record bytes differ from the record sent", s->name);
		if (!peek) {
			q->head++;
			q->bytes -= sg->len;
		}
	}
}

static void exec_op(int si, const struct op *op, int idx, struct res *r)
{
	struct side *s = &sides[si];
	int fd = s->fd[op->end];
	struct iovec iov[MAX_IOV];
	struct msghdr msg = { .msg_iov = iov };
	socklen_t len = sizeof(int);
	int v;

	memset(r, 0, sizeof(*r));
	if (s->closed[op->end]) {
		r->rc = -2;
		return;
	}
	errno = 0;
	switch (op->kind) {
	case OP_SEND: {
		const uint8_t *p = send_data(idx, op->end);

		make_iov(op, (uint8_t *)p, iov);
		msg.msg_iovlen = op->niov;
		r->rc = sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r->rc > 0 || (r->rc == 0 && records()))
			q_push(&s->q[op->end], p, r->rc);
		break;
	}
	case OP_RECV:
		make_iov(op, s->rbuf, iov);
		msg.msg_iovlen = op->niov;
		r->rc = recvmsg(fd, &msg, op->flags | MSG_DONTWAIT);
		r->flags = r->rc >= 0 ? msg.msg_flags : 0;
		model_recv(s, op, r);
		break;
	case OP_POLL: {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP | POLLPRI };

		r->rc = poll(&p, 1, 0);
		r->val = p.revents;
		break;
	}
	case OP_INQ:
	case OP_OUTQ:
		v = -1;
		r->rc = ioctl(fd, op->kind == OP_INQ ? SIOCINQ : SIOCOUTQ, &v);
		r->val = v;
		break;
	case OP_SETBUF:
		v = op->size;
		r->rc = setsockopt(fd, SOL_SOCKET, op->arg, &v, sizeof(v));
		if (r->rc == 0 && getsockopt(fd, SOL_SOCKET, op->arg, &v, &len) == 0)
			r->val = v;
		break;
	case OP_GETERR:
		v = -1;
		r->rc = getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len);
		r->val = v;
		break;
	case OP_SHUTDOWN:
		r->rc = shutdown(fd, op->arg);
		break;
	case OP_CLOSE:
		r->rc = close(fd);
		s->closed[op->end] = true;
		s->lone_empty_close = records() &&
			s->q[!op->end].tail - s->q[!op->end].head == 1 &&
			s->q[!op->end].bytes == 0;
		q_clear(&s->q[!op->end]);	/* what it had not read is gone */
		break;
	}
	r->err = r->rc == -1 ? errno : 0;
}

/* Read everything end @end can read now, checking it; returns false on errors. */
static void drain(int si, int end)
{
	struct side *s = &sides[si];
	struct op op = { .kind = OP_RECV, .end = end, .niov = 1 };
	struct res r;
	int i, errs = 0;

	op.size = op.cut[0] = cfg_maxsend + PATTERN_SPREAD;
	for (i = 0; i < 4 * QCAP && !failmsg[0]; i++) {
		exec_op(si, &op, 0, &r);
		if (r.rc == -2 || (r.rc == -1 && r.err == EAGAIN))
			break;
		if (r.rc == -1 && ++errs > 3)
			break;
		if (r.rc == 0 && q_empty(&s->q[!end]))
			break;
	}
}

/* Bring both runs to the same state after an allowed divergence. */
static void resync(void)
{
	int si, e;

	for (si = 0; si < 2; si++)
		for (e = 0; e < 2; e++)
			drain(si, e);
	for (e = 0; e < 2 && !failmsg[0]; e++) {
		if (!q_equal(&sides[0].q[e], &sides[1].q[e]))
			fail("after draining, %zu bytes from end %d are still queued on AF_UNIX and %zu on AF_NEXUS",
			     sides[0].q[e].bytes, e, sides[1].q[e].bytes);
	}
}

/* ---- comparing one operation's results ---- */

struct seqstate {
	int sndbuf[2], rcvbuf[2];	/* effective values, AF_UNIX side */
	bool peer_closed[2];		/* the other end of end e is closed */
	bool shut_rd[2];
	bool waitall_short[2];		/* a short MSG_WAITALL stream read */
};

static int hit(int id)
{
	diff_hits[id]++;
	return id;
}

static bool res_eq(const struct res *a, const struct res *b)
{
	return a->rc == b->rc && a->err == b->err && a->flags == b->flags && a->val == b->val;
}

/* The errors a send to a reset peer may report (see DIFF_RESET_ON_SEND). */
static bool send_err_ok(int err)
{
	return err == EPIPE || err == ECONNRESET || err == EMSGSIZE;
}

static bool flow_result(const struct op *op, const struct res *r)
{
	if (r->rc == -1)
		return r->err == EAGAIN;
	return r->rc >= 0 && (size_t)r->rc <= op->size;
}

/*
 * Compare AF_UNIX's result @u and AF_NEXUS's @n of @op; returns false (and
 * sets failmsg) on an undocumented difference. May resync the two runs.
 */
static bool compare(struct seqstate *st, const struct op *op, int idx,
		    struct res *u, struct res *n, const struct queue *before)
{
	int e = op->end, peer = !e;
	int minbuf;

	if (op->kind == OP_RECV && sock_type == SOCK_SEQPACKET && (n->flags & MSG_EOR)) {
		hit(DIFF_SEQPACKET_EOR);
		n->flags &= ~MSG_EOR;
	}
	switch (op->kind) {
	case OP_SEND:
		/* An AF_UNIX datagram send to a dead peer purges its own queue. */
		if (sock_type == SOCK_DGRAM && u->rc == -1 && u->err == ECONNREFUSED)
			q_clear(&sides[0].q[peer]);
		if (sock_type == SOCK_DGRAM && n->rc == -1 && n->err == ECONNREFUSED &&
		    sides[1].family == AF_UNIX)
			q_clear(&sides[1].q[peer]);
		if (sock_type == SOCK_DGRAM && st->peer_closed[e] && u->rc == -1 &&
		    (u->err == ECONNREFUSED || u->err == ENOTCONN) && n->rc == -1 &&
		    (n->err == ECONNREFUSED || n->err == EPIPE || n->err == EMSGSIZE ||
		     n->err == u->err)) {
			if (!res_eq(u, n))
				hit(DIFF_DGRAM_PEER_GONE);
			resync();
			return true;
		}
		if (res_eq(u, n))
			return true;
		if (sock_type != SOCK_DGRAM && st->peer_closed[e] && u->rc == -1 &&
		    n->rc == -1 && send_err_ok(u->err) && send_err_ok(n->err) &&
		    (u->err == ECONNRESET || n->err == ECONNRESET)) {
			int si;

			hit(DIFF_RESET_ON_SEND);
			/* drop the reset wherever it is still pending */
			for (si = 0; si < 2; si++) {
				int err = -1;
				socklen_t len = sizeof(err);

				getsockopt(sides[si].fd[e], SOL_SOCKET, SO_ERROR, &err, &len);
				if (err && err != ECONNRESET) {
					fail("%s: pending error %d, not ECONNRESET",
					     sides[si].name, err);
					return false;
				}
			}
			return true;
		}
		if (sock_type == SOCK_DGRAM &&
		    ((u->rc == -1 && u->err == EMSGSIZE) || (n->rc == -1 && n->err == EMSGSIZE)) &&
		    (op->size > NX_DGRAM_MAX || op->size > (size_t)st->sndbuf[e] - 32)) {
			hit(DIFF_DGRAM_MAX);
			resync();
			return true;
		}
		minbuf = st->sndbuf[e] < st->rcvbuf[peer] ? st->sndbuf[e] : st->rcvbuf[peer];
		if (flow_result(op, u) && flow_result(op, n) &&
		    (!q_empty(before) || op->size >= (size_t)minbuf / 4 ||
		     (sock_type == SOCK_DGRAM && op->size > 4096))) {
			hit(DIFF_FLOW);
			resync();
			return true;
		}
		return false;
	case OP_RECV:
		if (res_eq(u, n)) {
			if (u->rc > 0 && memcmp(sides[0].rbuf, sides[1].rbuf,
						(size_t)u->rc < op->size ? (size_t)u->rc : op->size)) {
				fail("received bytes differ");
				return false;
			}
			return true;
		}
		if (sock_type == SOCK_STREAM && op->size == 0 && n->rc == 0 && u->rc == -1) {
			int err = 0;
			socklen_t len = sizeof(err);

			hit(DIFF_ZERO_RECV);
			if (u->err == EAGAIN)
				return true;
			/* AF_UNIX reported a pending error: AF_NEXUS must still have it */
			getsockopt(sides[1].fd[e], SOL_SOCKET, SO_ERROR, &err, &len);
			if (err != u->err) {
				fail("AF_NEXUS has pending error %d, AF_UNIX reported %d", err, u->err);
				return false;
			}
			return true;
		}
		if (sock_type == SOCK_STREAM && st->waitall_short[e] && u->rc == 0 &&
		    n->rc == -1 && n->err == ECONNRESET) {
			hit(DIFF_WAITALL_RESET);
			st->waitall_short[e] = false;
			return true;
		}
		if (sock_type == SOCK_SEQPACKET && st->peer_closed[e] && n->rc >= 0 &&
		    u->rc == -1 && u->err == ECONNRESET) {
			struct res u2;
			int err = -1;
			socklen_t len = sizeof(err);

			hit(DIFF_SEQPACKET_RESET_ORDER);
			/* AF_UNIX's next recv must be what AF_NEXUS returned */
			exec_op(0, op, idx, &u2);
			if (!res_eq(&u2, n) ||
			    (n->rc > 0 && memcmp(sides[0].rbuf, sides[1].rbuf,
						 (size_t)n->rc < op->size ? (size_t)n->rc : op->size))) {
				fail("after the reset, AF_UNIX's next recv gives %ld (errno %d)",
				     u2.rc, u2.err);
				return false;
			}
			/* ... and AF_NEXUS still has the reset to report: take it */
			getsockopt(sides[1].fd[e], SOL_SOCKET, SO_ERROR, &err, &len);
			if (err != ECONNRESET) {
				fail("AF_NEXUS had no pending ECONNRESET (SO_ERROR %d)", err);
				return false;
			}
			*u = u2;
			return true;
		}
		if (sock_type == SOCK_DGRAM && st->shut_rd[e] && n->rc == 0 &&
		    u->rc == -1 && u->err == EAGAIN && q_empty(&sides[1].q[peer])) {
			hit(DIFF_DGRAM_SHUTRD);
			return true;
		}
		if (sock_type == SOCK_DGRAM && st->peer_closed[e] &&
		    n->rc == -1 && n->err == ECONNREFUSED) {
			hit(DIFF_DGRAM_PEER_GONE);
			resync();
			return true;
		}
		return false;
	case OP_CLOSE:
		if (sock_type == SOCK_SEQPACKET && res_eq(u, n) && u->rc == 0 &&
		    sides[1].lone_empty_close && !sides[1].closed[peer]) {
			int err[2] = { -1, -1 }, si;
			socklen_t len = sizeof(int);

			/* take the reset wherever it is pending */
			for (si = 0; si < 2; si++)
				getsockopt(sides[si].fd[peer], SOL_SOCKET, SO_ERROR,
					   &err[si], &len);
			if ((err[0] && err[0] != ECONNRESET) ||
			    (err[1] && err[1] != ECONNRESET)) {
				fail("after the close, SO_ERROR %d on AF_UNIX, %d on AF_NEXUS",
				     err[0], err[1]);
				return false;
			}
			if (err[0] != err[1])
				hit(DIFF_EMPTY_RECORD_RESET);
			return true;
		}
		return res_eq(u, n);
	case OP_POLL:
		if (!q_empty(before) || st->peer_closed[e]) {
			if ((u->val ^ n->val) & (POLLOUT | POLLWRNORM | POLLWRBAND))
				hit(DIFF_POLLOUT);
			u->val &= ~(POLLOUT | POLLWRNORM | POLLWRBAND);
			n->val &= ~(POLLOUT | POLLWRNORM | POLLWRBAND);
			u->rc = u->rc >= 0 ? u->val != 0 : u->rc;
			n->rc = n->rc >= 0 ? n->val != 0 : n->rc;
		}
		if (sock_type == SOCK_DGRAM && st->peer_closed[e] && u->val != n->val &&
		    ((u->val ^ n->val) & ~POLLERR) == 0) {
			hit(DIFF_DGRAM_PEER_GONE);
			return true;
		}
		if (sock_type == SOCK_STREAM && st->waitall_short[e] && u->rc >= 0 &&
		    (u->val ^ n->val) == POLLERR && (n->val & POLLERR)) {
			int err = -1;
			socklen_t len = sizeof(err);

			/* AF_UNIX lost the reset: take AF_NEXUS's too */
			hit(DIFF_WAITALL_RESET);
			st->waitall_short[e] = false;
			getsockopt(sides[1].fd[e], SOL_SOCKET, SO_ERROR, &err, &len);
			if (err != ECONNRESET) {
				fail("AF_NEXUS POLLERR without ECONNRESET (SO_ERROR %d)", err);
				return false;
			}
			return true;
		}
		return res_eq(u, n);
	case OP_OUTQ:
		if (u->rc == 0 && n->rc == 0 && (u->val > 0) != (n->val > 0) &&
		    !q_empty(before) && before->bytes == 0)
			return hit(DIFF_OUTQ), true;
		if (u->rc == 0 && n->rc == 0 && u->val != n->val && (u->val > 0) == (n->val > 0))
			return hit(DIFF_OUTQ), true;
		return res_eq(u, n);
	case OP_GETERR:
		if (sock_type == SOCK_DGRAM && st->peer_closed[e] && u->rc == 0 &&
		    n->rc == 0 && u->val == 0 && n->val == ECONNREFUSED)
			return hit(DIFF_DGRAM_PEER_GONE), true;
		if (sock_type == SOCK_STREAM && st->waitall_short[e] && u->rc == 0 &&
		    n->rc == 0 && u->val == 0 && n->val == ECONNRESET) {
			st->waitall_short[e] = false;
			return hit(DIFF_WAITALL_RESET), true;
		}
		return res_eq(u, n);
	default:
		return res_eq(u, n);
	}
}

static void update_state(struct seqstate *st, const struct op *op, const struct res *u)
{
	if (u->rc == -2)
		return;
	if (op->kind == OP_SETBUF && u->rc == 0) {
		if (op->arg == SO_SNDBUF)
			st->sndbuf[op->end] = u->val;
		else
			st->rcvbuf[op->end] = u->val;
	} else if (op->kind == OP_RECV && sock_type == SOCK_STREAM &&
		   (op->flags & MSG_WAITALL) && u->rc > 0 && (size_t)u->rc < op->size) {
		st->waitall_short[op->end] = true;
	} else if (op->kind == OP_CLOSE) {
		st->peer_closed[!op->end] = true;
	} else if (op->kind == OP_SHUTDOWN && u->rc == 0 && op->arg != SHUT_WR) {
		st->shut_rd[op->end] = true;
	}
}

static void format_res(const struct res *r, char *buf, size_t len)
{
	if (r->rc == -2)
		snprintf(buf, len, "(end closed)");
	else if (r->rc == -1)
		snprintf(buf, len, "-1 %s", strerror(r->err));
	else
		snprintf(buf, len, "%ld flags=%#x val=%#lx", r->rc, r->flags, r->val);
}

/*
 * Run ops[0..n) on fresh pairs. Returns the index of the first operation
 * whose results differ in an undocumented way, n + 1 on a set-up or model
 * failure outside an operation, or -1 when all agree.
 */
static int run_seq(const struct op *ops, int n, bool verbose)
{
	struct seqstate st;
	int i, e, bad = -1;
	socklen_t len = sizeof(int);

	failmsg[0] = 0;
	if (side_open(&sides[0], AF_UNIX) ||
	    side_open(&sides[1], getenv("NEXUS_DIFF_SELFCHECK") ? AF_UNIX : nx_family())) {
		snprintf(failmsg, sizeof(failmsg), "cannot create the pairs: %s", strerror(errno));
		return n + 1;
	}
	memset(&st, 0, sizeof(st));
	for (e = 0; e < 2; e++) {
		getsockopt(sides[0].fd[e], SOL_SOCKET, SO_SNDBUF, &st.sndbuf[e], &len);
		getsockopt(sides[0].fd[e], SOL_SOCKET, SO_RCVBUF, &st.rcvbuf[e], &len);
	}
	for (i = 0; i < n && bad < 0; i++) {
		struct res u, x;
		struct queue before = sides[0].q[ops[i].end];
		char ob[160], ub[80], xb[80];

		exec_op(0, &ops[i], i, &u);
		exec_op(1, &ops[i], i, &x);
		if (failmsg[0] || !compare(&st, &ops[i], i, &u, &x, &before))
			bad = i;
		if (!failmsg[0] && bad >= 0)
			fail("results differ");
		update_state(&st, &ops[i], &u);
		if (verbose) {
			format_op(&ops[i], ob, sizeof(ob));
			format_res(&u, ub, sizeof(ub));
			format_res(&x, xb, sizeof(xb));
			printf("#   %2d: %-50s unix: %-30s nexus: %s%s\n", i, ob, ub, xb,
			       bad >= 0 ? "   <== " : "");
		}
	}
	/* Totals: everything still queued must be received exactly once. */
	if (bad < 0) {
		resync();
		if (failmsg[0])
			bad = n;
	}
	side_close(&sides[0]);
	side_close(&sides[1]);
	return bad;
}

static void gen_seq(uint64_t seed, struct op *ops, int *n)
{
	int i;

	rng_state = mix(seed) | 1;
	*n = 1 + rnd_below(cfg_ops);
	for (i = 0; i < *n; i++)
		gen_op(&ops[i]);
}

/* Print the shortest failing prefix of a failing sequence, with results. */
static void report(uint64_t seed, struct op *ops, int n, int bad)
{
	static struct op small[MAX_OPS], trial[MAX_OPS];
	int len, k = -1;
	bool at_end;

	printf("# MISMATCH (%s) seed %#llx: operation %d: %s\n",
	       sock_type == SOCK_STREAM ? "stream" :
	       sock_type == SOCK_SEQPACKET ? "seqpacket" : "dgram",
	       (unsigned long long)seed, bad, failmsg);
	for (len = 1; len <= n; len++) {
		k = run_seq(ops, len, false);
		if (k >= 0)
			break;
	}
	if (len > n) {
		printf("# not reproducible by re-running prefixes (timing?); the sequence:\n");
		run_seq(ops, n, true);
		return;
	}
	printf("# shortest failing prefix: %d operations (NEXUS_DIFF_SEED=%#llx, one sequence):\n",
	       len, (unsigned long long)seed);
	run_seq(ops, len, true);
	printf("# %s\n", failmsg);

	/* Then drop operations one at a time while the last one still fails. */
	at_end = k == len;	/* found by the final drain, not by the last operation */
	memcpy(small, ops, len * sizeof(*ops));
	for (k = len - 2; k >= 0 && len > 1; k--) {
		memcpy(trial, small, k * sizeof(*ops));
		memcpy(trial + k, small + k + 1, (len - k - 1) * sizeof(*ops));
		if (run_seq(trial, len - 1, false) == (at_end ? len - 1 : len - 2)) {
			memcpy(small, trial, (len - 1) * sizeof(*ops));
			len--;
		}
	}
	printf("# reduced to %d operations (not a prefix: replay the listing):\n", len);
	run_seq(small, len, true);
	printf("# %s\n", failmsg);
}

static int run_type(struct __test_metadata *_metadata, int type)
{
	static struct op ops[MAX_OPS];
	time_t deadline = cfg_seconds ? time(NULL) + cfg_seconds : 0;
	unsigned long seq, fails = 0;
	int i, n, bad;

	sock_type = type;
	memset(diff_hits, 0, sizeof(diff_hits));
	for (seq = 0; deadline ? time(NULL) < deadline : seq < cfg_seqs; seq++) {
		/* one sequence reproduces with NEXUS_DIFF_SEQS=1 and this seed */
		uint64_t seed = seq ? mix(cfg_seed ^ (seq * 0x100000001b3ULL) ^ type) : cfg_seed;

		gen_seq(seed, ops, &n);
		bad = run_seq(ops, n, cfg_verbose);
		if (bad >= 0) {
			report(seed, ops, n, bad);
			if (++fails >= 3)
				break;
		}
	}
	printf("# %lu sequences, %lu failed, base seed %#llx, max send %zu\n",
	       seq, fails, (unsigned long long)cfg_seed, cfg_maxsend);
	for (i = 0; i < DIFF_NR; i++)
		if (diff_hits[i])
			printf("#   documented difference %-18s %lu times\n",
			       diff_table[i].name, diff_hits[i]);
	return fails;
}

FIXTURE(diff)
{
	int unused;
};

NX_TYPE_VARIANTS(diff);

FIXTURE_SETUP(diff)
{
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	read_config();
	pattern = malloc(cfg_maxsend + PATTERN_SPREAD);
	sides[0].rbuf = malloc(cfg_maxsend + PATTERN_SPREAD);
	sides[1].rbuf = malloc(cfg_maxsend + PATTERN_SPREAD);
	ASSERT_NE(NULL, pattern);
	ASSERT_NE(NULL, sides[0].rbuf);
	ASSERT_NE(NULL, sides[1].rbuf);
	rng_state = 0x1234567;
	for (size_t i = 0; i < cfg_maxsend + PATTERN_SPREAD; i++)
		pattern[i] = rnd() >> 56;
}

FIXTURE_TEARDOWN(diff)
{
	free(pattern);
	free(sides[0].rbuf);
	free(sides[1].rbuf);
}

/* No hang guard needed per operation (all non-blocking); bound the whole run. */
TEST_F_TIMEOUT(diff, random_sequences, 24 * 3600)
{
	ASSERT_EQ(0, run_type(_metadata, variant->type));
}

TEST_HARNESS_MAIN
