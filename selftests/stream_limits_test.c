// SPDX-License-Identifier: GPL-2.0
/*
 * The data path at and past its limits: single stream sends of every size
 * from 0 bytes to 16 MiB (blocking and non-blocking, read with and without
 * MSG_WAITALL, data checked byte for byte), seqpacket and datagram records
 * at their documented limits and one past them, small and large SO_SNDBUF
 * and SO_RCVBUF, and the wake-up of a writer blocked on a full peer by
 * every way of making room (partial reads, whole reads, truncated records,
 * a larger SO_RCVBUF, shutdown), seen through poll(), a blocking send()
 * and edge-triggered epoll within 100 ms.
 *
 * Where AF_UNIX promises the same, the same operations run on an AF_UNIX
 * pair and the outcomes are compared (AF_UNIX is the oracle) instead of
 * hand-written expectations. Sizes that depend on the kernel (skb limits)
 * appear nowhere here: the module must handle them.
 */
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "stream_util.h"
#include "waiter.h"

#define MIB		(1 << 20)
#define BIG		(16 * MIB)
#define DG_MAX		65536	/* NEXUS_DGRAM_MAX in kmod/nexus.h */

static unsigned char src[BIG], dst[BIG];

/*
 * Fill src up to @len bytes with a pattern with no period below 16 MiB,
 * so that misplaced bytes show; only as far as needed (slow under TCG).
 */
static void init_src(size_t len)
{
	static uint32_t x = 0x12345678;
	static size_t done;

	for (; done < len && done < sizeof(src); done++) {
		x = x * 1103515245 + 12345;
		src[done] = x >> 24;
	}
}

/* The first offset where dst differs from src, or -1. */
static long first_diff(size_t len)
{
	size_t i;

	if (!memcmp(src, dst, len))
		return -1;
	for (i = 0; i < len; i++)
		if (src[i] != dst[i])
			return i;
	return -1;
}

enum fam { NEXUS, UNIX };

static const char *fam_name(enum fam f)
{
	return f == NEXUS ? "AF_NEXUS" : "AF_UNIX";
}

/* A connected pair of @type in family @f: data goes from *a to *b. */
static int make_pair(enum fam f, int type, int *a, int *b)
{
	int sv[2];

	if (f == NEXUS)
		return nx_pair(type, a, b);
	if (socketpair(AF_UNIX, type, 0, sv))
		return -1;
	*a = sv[0];
	*b = sv[1];
	return 0;
}

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

static int set_timeo(int fd, int opt, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* ---- one large send() ---- */

struct sender {
	pthread_t thread;
	int fd;
	size_t len;
	int flags;
	ssize_t ret;
	int err;
};

static void *sender_main(void *p)
{
	struct sender *s = p;

	s->ret = send(s->fd, src, s->len, s->flags);
	s->err = s->ret < 0 ? errno : 0;
	return NULL;
}

/* What one send() of @len bytes did, and what the reader got. */
struct outcome {
	ssize_t sent;		/* the send()'s return */
	int send_err;
	int again_err;		/* a further non-blocking send after a partial */
	long got;		/* bytes received */
	long diff;		/* first wrong byte, or -1 */
	int empty_err;		/* errno of a non-blocking read after all */
};

/*
 * Send @len bytes in one send() (MSG_DONTWAIT if @nonblock) on a fresh
 * pair of family @f, read them with recv() (MSG_WAITALL if @waitall) into
 * dst and check them. @sndbuf and @rcvbuf, when nonzero, set SO_SNDBUF on
 * the writer and SO_RCVBUF on the reader first.
 */
static int transfer(enum fam f, int type, size_t len, int nonblock,
		    int waitall, int sndbuf, int rcvbuf, struct outcome *o)
{
	struct sender s = { .len = len, .flags = nonblock ? MSG_DONTWAIT : 0 };
	int a, b, threaded = !nonblock;
	long want;
	ssize_t n;

	init_src(len);
	memset(o, 0, sizeof(*o));
	o->diff = -1;
	if (make_pair(f, type, &a, &b))
		return -1;
	if ((sndbuf && set_int(a, SOL_SOCKET, SO_SNDBUF, sndbuf)) ||
	    (rcvbuf && set_int(b, SOL_SOCKET, SO_RCVBUF, rcvbuf)) ||
	    set_timeo(b, SO_RCVTIMEO, 5000) || set_timeo(a, SO_SNDTIMEO, 10000))
		return -1;
	s.fd = a;
	if (threaded) {
		if (pthread_create(&s.thread, NULL, sender_main, &s))
			return -1;
		want = len;
	} else {
		sender_main(&s);
		want = s.ret > 0 ? s.ret : 0;
		if (s.ret >= 0 && (size_t)s.ret < len) {
			o->again_err = send(a, src, 1, MSG_DONTWAIT) < 0 ?
				       errno : 0;
		}
	}
	while (o->got < want) {
		n = recv(b, dst + o->got, want - o->got,
			 waitall ? MSG_WAITALL : 0);
		if (n <= 0)
			break;
		o->got += n;
	}
	if (threaded)
		pthread_join(s.thread, NULL);
	o->sent = s.ret;
	o->send_err = s.err;
	o->diff = first_diff(o->got);
	o->empty_err = recv(b, dst, 1, MSG_DONTWAIT) < 0 ? errno : 0;
	close(a);
	close(b);
	return 0;
}

FIXTURE(send_size)
{
};

FIXTURE_VARIANT(send_size)
{
	int nonblock;
	int waitall;
};

FIXTURE_VARIANT_ADD(send_size, blocking) { .nonblock = 0, .waitall = 0 };
FIXTURE_VARIANT_ADD(send_size, blocking_waitall) { .nonblock = 0, .waitall = 1 };
FIXTURE_VARIANT_ADD(send_size, nonblocking) { .nonblock = 1, .waitall = 0 };
FIXTURE_VARIANT_ADD(send_size, nonblocking_waitall) { .nonblock = 1, .waitall = 1 };

FIXTURE_SETUP(send_size)
{
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(send_size)
{
}

/*
 * One stream send() of @len bytes on AF_NEXUS and on AF_UNIX: the same
 * outcome. Blocking: all of it is sent and received. Non-blocking: what
 * fit (all of it when small, a part when large, the same for both
 * families), then EAGAIN; what was sent arrives intact.
 */
static void check_send_size(struct __test_metadata *_metadata,
			    const FIXTURE_VARIANT(send_size) *variant,
			    size_t len)
{
	struct outcome nx, ux;

	ASSERT_EQ(0, transfer(NEXUS, SOCK_STREAM, len, variant->nonblock,
			      variant->waitall, 0, 0, &nx));
	/*
	 * A blocking send has one correct outcome (all of it); above 1 MiB
	 * AF_UNIX would only double the time (slow on debug kernels).
	 */
	if (len > MIB && !variant->nonblock)
		ux = nx;
	else
		ASSERT_EQ(0, transfer(UNIX, SOCK_STREAM, len, variant->nonblock,
				      variant->waitall, 0, 0, &ux));
	TH_LOG("len %zu: AF_NEXUS sent %zd (%d) got %ld; AF_UNIX sent %zd (%d) got %ld",
	       len, nx.sent, nx.send_err, nx.got, ux.sent, ux.send_err, ux.got);
	EXPECT_EQ(0, nx.send_err);
	EXPECT_EQ(ux.send_err, nx.send_err);
	EXPECT_EQ(-1, nx.diff);
	EXPECT_EQ(-1, ux.diff);
	EXPECT_EQ(EAGAIN, nx.empty_err);
	EXPECT_EQ(ux.empty_err, nx.empty_err);
	EXPECT_EQ(nx.sent, nx.got);
	if (!variant->nonblock) {
		EXPECT_EQ((ssize_t)len, nx.sent);
		EXPECT_EQ(ux.sent, nx.sent);
		return;
	}
	/* Non-blocking: some of it when there is anything to send. */
	if (len)
		EXPECT_LT(0, nx.sent);
	EXPECT_GE((ssize_t)len, nx.sent);
	EXPECT_EQ(ux.sent == (ssize_t)len, nx.sent == (ssize_t)len);
	EXPECT_EQ(ux.again_err, nx.again_err);
	if (nx.sent < (ssize_t)len)
		EXPECT_EQ(EAGAIN, nx.again_err);
}

/* A test of fixture send_size: one send of @len bytes, as AF_UNIX. */
#define SEND_SIZE_TEST(name, len)					\
	TEST_F(send_size, name)						\
	{								\
		check_send_size(_metadata, variant, len);		\
	}

SEND_SIZE_TEST(len_0, 0)
SEND_SIZE_TEST(len_1, 1)
SEND_SIZE_TEST(len_65535, 65535)
SEND_SIZE_TEST(len_65536, 65536)
SEND_SIZE_TEST(len_65537, 65537)

/* The first size 6.1 refused with EMSGSIZE (issue 10). */
SEND_SIZE_TEST(len_73409, 73409)

SEND_SIZE_TEST(len_1m, MIB)

TEST_F_TIMEOUT(send_size, len_16m, 150)
{
	check_send_size(_metadata, variant, BIG);
}

/* Small and large buffers on both ends: a 1 MiB send still arrives whole. */
FIXTURE(bufs)
{
};

FIXTURE_VARIANT(bufs)
{
	int sndbuf, rcvbuf;
};

FIXTURE_VARIANT_ADD(bufs, small_small) { .sndbuf = 1, .rcvbuf = 1 };
FIXTURE_VARIANT_ADD(bufs, small_large) { .sndbuf = 4096, .rcvbuf = 4 * MIB };
FIXTURE_VARIANT_ADD(bufs, large_small) { .sndbuf = 4 * MIB, .rcvbuf = 4096 };
FIXTURE_VARIANT_ADD(bufs, large_large) { .sndbuf = 4 * MIB, .rcvbuf = 4 * MIB };

FIXTURE_SETUP(bufs)
{
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(bufs)
{
}

TEST_F(bufs, stream_1m_blocking)
{
	struct outcome nx, ux;

	ASSERT_EQ(0, transfer(NEXUS, SOCK_STREAM, MIB, 0, 0, variant->sndbuf,
			      variant->rcvbuf, &nx));
	ASSERT_EQ(0, transfer(UNIX, SOCK_STREAM, MIB, 0, 0, variant->sndbuf,
			      variant->rcvbuf, &ux));
	EXPECT_EQ(MIB, nx.sent);
	EXPECT_EQ(ux.sent, nx.sent);
	EXPECT_EQ(MIB, nx.got);
	EXPECT_EQ(-1, nx.diff);
}

TEST_F(bufs, stream_1m_waitall)
{
	struct outcome nx;

	ASSERT_EQ(0, transfer(NEXUS, SOCK_STREAM, MIB, 0, 1, variant->sndbuf,
			      variant->rcvbuf, &nx));
	EXPECT_EQ(MIB, nx.sent);
	EXPECT_EQ(MIB, nx.got);
	EXPECT_EQ(-1, nx.diff);
}

/*
 * A seqpacket record of SO_SNDBUF - 32 bytes (docs/stream.md) goes as one
 * record, whatever SO_SNDBUF is; one byte more gives EMSGSIZE. AF_UNIX has
 * the same rule: both must agree.
 */
static void seqpacket_limit(struct __test_metadata *_metadata, enum fam f,
			    int sndbuf, int force, int *limit, int *over_err,
			    int *alloc_err)
{
	struct iovec iov = { .iov_base = dst, .iov_len = BIG };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int a, b, opt = force ? SO_SNDBUFFORCE : SO_SNDBUF;
	ssize_t n;

	ASSERT_EQ(0, make_pair(f, SOCK_SEQPACKET, &a, &b));
	if (sndbuf)
		ASSERT_EQ(0, set_int(a, SOL_SOCKET, opt, sndbuf));
	ASSERT_EQ(0, set_timeo(b, SO_RCVTIMEO, 5000));
	*limit = nx_get_int(a, SOL_SOCKET, SO_SNDBUF) - 32;
	ASSERT_LT(0, *limit);
	ASSERT_GE(BIG, *limit + 1);
	init_src(*limit + 1);

	EXPECT_EQ(-1, send(a, src, *limit + 1, MSG_DONTWAIT));
	*over_err = errno;
	n = send(a, src, *limit, MSG_DONTWAIT);
	TH_LOG("%s SO_SNDBUF %d: record of %d bytes: %zd (%s)", fam_name(f),
	       *limit + 32, *limit, n, n < 0 ? strerror(errno) : "ok");
	*alloc_err = 0;
	if (f == UNIX && n < 0 && errno == ENOBUFS) {
		/*
		 * AF_UNIX puts a record in one kmalloc()ed head: past a few
		 * MiB (net.core.wmem_max is 4 MiB on newer kernels) the page
		 * allocator cannot provide it, although its rule is ours.
		 */
		*alloc_err = ENOBUFS;
		close(a);
		close(b);
		return;
	}
	ASSERT_EQ(*limit, n);
	/* A second record waits for the first to be read. */
	EXPECT_EQ(-1, send(a, src, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	memset(dst, 0, *limit);
	n = recvmsg(b, &msg, 0);
	EXPECT_EQ(*limit, n);
	if (f == NEXUS)		/* AF_UNIX sets no MSG_EOR */
		EXPECT_TRUE(msg.msg_flags & MSG_EOR);
	EXPECT_FALSE(msg.msg_flags & MSG_TRUNC);
	EXPECT_EQ(-1, first_diff(*limit));
	EXPECT_EQ(1, send(a, src, 1, MSG_DONTWAIT));
	close(a);
	close(b);
}

static void seqpacket_limit_both(struct __test_metadata *_metadata, int sndbuf)
{
	int nl, ne, na, ul, ue, ua;

	seqpacket_limit(_metadata, NEXUS, sndbuf, 0, &nl, &ne, &na);
	seqpacket_limit(_metadata, UNIX, sndbuf, 0, &ul, &ue, &ua);
	EXPECT_EQ(0, na);
	EXPECT_EQ(EMSGSIZE, ne);
	EXPECT_EQ(ue, ne);
	EXPECT_EQ(ul, nl);	/* the same limit, even where AF_UNIX's
				 * allocation of that record failed (ua) */
}

TEST(seqpacket_record_limit_default_sndbuf)
{
	seqpacket_limit_both(_metadata, 0);
}

TEST(seqpacket_record_limit_small_sndbuf)
{
	seqpacket_limit_both(_metadata, 1);
}

/*
 * Capped by net.core.wmem_max: a record of about 416 KiB on 6.1, 8 MiB
 * where wmem_max is 4 MiB (sid's 7.x), which AF_UNIX cannot allocate.
 */
TEST(seqpacket_record_limit_large_sndbuf)
{
	seqpacket_limit_both(_metadata, 4 * MIB);
}

/*
 * Past net.core.wmem_max (SO_SNDBUFFORCE): an 8 MiB record. AF_NEXUS only:
 * AF_UNIX puts such a record in one kmalloc()ed head, which the page
 * allocator cannot provide (ENOBUFS), although it has the same rule.
 */
TEST(seqpacket_record_limit_forced_4m_sndbuf)
{
	int nl, ne, na, fd = socket(AF_UNIX, SOCK_STREAM, 0);
	int denied = set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, 1 << 20);

	close(fd);
	if (denied)
		SKIP(return, "SO_SNDBUFFORCE needs CAP_NET_ADMIN");
	seqpacket_limit(_metadata, NEXUS, 4 * MIB, 1, &nl, &ne, &na);
	EXPECT_EQ(0, na);
	EXPECT_EQ(8 * MIB - 32, nl);
	EXPECT_EQ(EMSGSIZE, ne);
}

/* Datagrams: 64 KiB whatever the buffers (docs/dgram.md), EMSGSIZE above. */
static void dgram_limit(struct __test_metadata *_metadata, int sndbuf,
			int rcvbuf)
{
	struct sockaddr_nx sa;
	int s = nx_socket(SOCK_DGRAM), r = nx_socket(SOCK_DGRAM);
	ssize_t n;

	init_src(DG_MAX + 1);
	ASSERT_LE(0, s);
	ASSERT_LE(0, r);
	ASSERT_EQ(0, nx_bind(r, 0, 0));
	sa = nx_addr(0, nx_port(r));
	ASSERT_EQ(0, set_int(s, SOL_SOCKET, SO_SNDBUF, sndbuf));
	ASSERT_EQ(0, set_int(r, SOL_SOCKET, SO_RCVBUF, rcvbuf));
	ASSERT_EQ(0, set_timeo(r, SO_RCVTIMEO, 5000));
	EXPECT_EQ(-1, sendto(s, src, DG_MAX + 1, MSG_DONTWAIT,
			     (struct sockaddr *)&sa, sizeof(sa)));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(DG_MAX, sendto(s, src, DG_MAX, MSG_DONTWAIT,
				 (struct sockaddr *)&sa, sizeof(sa)));
	memset(dst, 0, DG_MAX);
	n = recv(r, dst, DG_MAX + 1, 0);
	EXPECT_EQ(DG_MAX, n);
	EXPECT_EQ(-1, first_diff(DG_MAX));
	close(s);
	close(r);
}

TEST(dgram_limit_small_buffers)
{
	dgram_limit(_metadata, 1, 1);
}

TEST(dgram_limit_large_buffers)
{
	dgram_limit(_metadata, 4 * MIB, 4 * MIB);
}

/* ---- faults ---- */

/*
 * @len bytes of which only the first @valid are mapped: a buffer whose end
 * faults. munmap() the returned area (@len rounded up) afterwards.
 */
static unsigned char *faulting_buf(size_t valid, size_t len)
{
	size_t pg = getpagesize(), map = (len + pg - 1) / pg * pg;
	unsigned char *p = mmap(NULL, map, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, src, valid);
	if (munmap(p + valid, map - valid))
		return NULL;
	return p;
}

/*
 * A seqpacket record spanning several skbs whose user buffer faults after
 * 100000 bytes: EFAULT, nothing queued, nothing left charged (AF_UNIX
 * gives the same error).
 */
TEST(seqpacket_long_record_efault)
{
	size_t pg = getpagesize(), valid = 100000 / pg * pg, len = 200000;
	unsigned char *p;
	int f, a, b, outq;

	init_src(len);
	p = faulting_buf(valid, len);
	ASSERT_NE(NULL, p);
	for (f = NEXUS; f <= UNIX; f++) {
		ASSERT_EQ(0, make_pair(f, SOCK_SEQPACKET, &a, &b));
		EXPECT_EQ(-1, send(a, p, len, MSG_DONTWAIT));
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(-1, recv(b, dst, 1, MSG_DONTWAIT));
		EXPECT_EQ(EAGAIN, errno);
		EXPECT_EQ(0, ioctl(a, SIOCOUTQ, &outq));
		EXPECT_EQ(0, outq);
		EXPECT_EQ(POLLOUT, nx_poll(a, POLLOUT, 0));
		EXPECT_EQ((ssize_t)valid, send(a, p, valid, MSG_DONTWAIT));
		EXPECT_EQ((ssize_t)valid, recv(b, dst, BIG, 0));
		EXPECT_EQ(-1, first_diff(valid));
		close(a);
		close(b);
	}
	munmap(p, valid);
}

/*
 * A stream send whose buffer faults part way: the bytes before the fault
 * that filled whole skbs are sent and counted (as AF_UNIX, whose skbs are
 * smaller, so the counts differ); the next send gets the fault.
 */
TEST(stream_efault_partial_count)
{
	size_t pg = getpagesize(), valid = 200000 / pg * pg, len = 400000;
	unsigned char *p;
	ssize_t n, got;
	int f, a, b;

	init_src(len);
	p = faulting_buf(valid, len);
	ASSERT_NE(NULL, p);
	for (f = NEXUS; f <= UNIX; f++) {
		ASSERT_EQ(0, make_pair(f, SOCK_STREAM, &a, &b));
		ASSERT_EQ(0, set_int(b, SOL_SOCKET, SO_RCVBUF, 4 * MIB));
		ASSERT_EQ(0, set_int(a, SOL_SOCKET, SO_SNDBUF, 4 * MIB));
		n = send(a, p, len, MSG_DONTWAIT);
		TH_LOG("%s: %zd", fam_name(f), n);
		EXPECT_LT(0, n);
		EXPECT_GE((ssize_t)valid, n);
		EXPECT_EQ(-1, send(a, p + n, len - n, MSG_DONTWAIT));
		EXPECT_EQ(EFAULT, errno);
		got = 0;
		while (got < n) {
			ssize_t r = recv(b, dst + got, n - got, MSG_DONTWAIT);

			ASSERT_LT(0, r);
			got += r;
		}
		EXPECT_EQ(-1, first_diff(n));
		EXPECT_EQ(-1, recv(b, dst, 1, MSG_DONTWAIT));
		EXPECT_EQ(EAGAIN, errno);
		close(a);
		close(b);
	}
	munmap(p, valid);
}

/* ---- partial counts ---- */

/* SO_SNDTIMEO ends a blocking send with the count already queued. */
TEST(stream_sndtimeo_partial_count)
{
	ssize_t n[2];
	int f, a, b;

	for (f = NEXUS; f <= UNIX; f++) {
		ASSERT_EQ(0, make_pair(f, SOCK_STREAM, &a, &b));
		ASSERT_EQ(0, set_timeo(a, SO_SNDTIMEO, 100));
		n[f] = send(a, src, BIG, 0);
		TH_LOG("%s: %zd", fam_name(f), n[f]);
		EXPECT_LT(0, n[f]);
		EXPECT_GT(BIG, n[f]);
		EXPECT_EQ(-1, send(a, src, 1, 0));
		EXPECT_EQ(EAGAIN, errno);
		close(a);
		close(b);
	}
}

/* A signal ends a blocking send with the count already queued. */
TEST(stream_signal_partial_count)
{
	struct sigaction sa = { .sa_handler = nx_on_signal };	/* no SA_RESTART */
	pthread_t me = pthread_self();
	struct nx_delayed d;
	ssize_t n;
	int f, a, b;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	for (f = NEXUS; f <= UNIX; f++) {
		ASSERT_EQ(0, make_pair(f, SOCK_STREAM, &a, &b));
		ASSERT_EQ(0, nx_run_later(&d, 150, nx_kill_thread, &me));
		n = send(a, src, BIG, 0);
		nx_join(&d);
		TH_LOG("%s: %zd", fam_name(f), n);
		EXPECT_LT(0, n);
		EXPECT_GT(BIG, n);
		close(a);
		close(b);
	}
}

/* ---- waking a writer blocked on a full peer ---- */

FIXTURE(wake)
{
	int a, b;		/* a writes to b */
	struct waiter w;
};

FIXTURE_VARIANT(wake)
{
	int type;
	enum waiter_kind kind;
};

FIXTURE_VARIANT_ADD(wake, stream_poll) { SOCK_STREAM, W_POLL };
FIXTURE_VARIANT_ADD(wake, stream_send) { SOCK_STREAM, W_SEND };
FIXTURE_VARIANT_ADD(wake, stream_epoll_et) { SOCK_STREAM, W_EPOLL_ET };
FIXTURE_VARIANT_ADD(wake, seqpacket_poll) { SOCK_SEQPACKET, W_POLL };
FIXTURE_VARIANT_ADD(wake, seqpacket_send) { SOCK_SEQPACKET, W_SEND };
FIXTURE_VARIANT_ADD(wake, seqpacket_epoll_et) { SOCK_SEQPACKET, W_EPOLL_ET };

FIXTURE_SETUP(wake)
{
	signal(SIGPIPE, SIG_IGN);
	init_src(100000);
	self->w.epfd = -1;
	ASSERT_EQ(0, nx_pair(variant->type, &self->a, &self->b));
}

FIXTURE_TEARDOWN(wake)
{
	close(self->a);
	close(self->b);
	if (self->w.epfd >= 0)
		close(self->w.epfd);
}

/*
 * Fill @a's peer with one @len-byte message after setting @rcvbuf on the
 * reader (and @sndbuf on the writer if nonzero), until @a is not
 * writable, then start the waiter on @a. Returns the bytes queued.
 */
static long block_writer(struct __test_metadata *_metadata,
			 FIXTURE_DATA(wake) *self,
			 const FIXTURE_VARIANT(wake) *variant,
			 int sndbuf, int rcvbuf, size_t len)
{
	long queued = 0;
	ssize_t n;

	if (sndbuf)
		EXPECT_EQ(0, set_int(self->a, SOL_SOCKET, SO_SNDBUF, sndbuf));
	EXPECT_EQ(0, set_int(self->b, SOL_SOCKET, SO_RCVBUF, rcvbuf));
	while ((n = send(self->a, src, len, MSG_DONTWAIT)) > 0)
		queued += n;
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, nx_poll(self->a, POLLOUT, 0));

	EXPECT_EQ(0, waiter_prepare(&self->w, variant->kind, self->a));
	EXPECT_EQ(0, pthread_create(&self->w.thread, NULL, waiter_main,
				    &self->w));
	nx_msleep(50);		/* let it sleep (it passes either way) */
	EXPECT_EQ(0, self->w.done);
	return queued;
}

/* The waiter woke within WAKE_MS of @t0 and saw room (or the shutdown). */
static void expect_woken(struct __test_metadata *_metadata,
			 FIXTURE_DATA(wake) *self,
			 const FIXTURE_VARIANT(wake) *variant, long t0,
			 int shut)
{
	long t = waiter_wait(&self->w, 2000);

	pthread_join(self->w.thread, NULL);
	ASSERT_NE(-1, t) TH_LOG("the writer was not woken");
	TH_LOG("woken after %ld ms", t - t0);
	EXPECT_GT(WAKE_MS, t - t0);
	switch (variant->kind) {
	case W_POLL:
		EXPECT_TRUE(self->w.result & POLLOUT);
		break;
	case W_SEND:
		if (shut) {
			EXPECT_EQ(-1, self->w.result);
			EXPECT_EQ(EPIPE, self->w.err);
		} else {
			EXPECT_EQ(1, self->w.result);
		}
		break;
	case W_EPOLL_ET:
		EXPECT_TRUE(self->w.result & EPOLLOUT);
		break;
	}
}

/*
 * Read @chunk bytes at a time (seqpacket: a @chunk-byte buffer, the rest
 * of the record is discarded) until poll() says the writer has room (or
 * the waiter is done: a woken blocking send may fill the room again at
 * once); the waiter must wake within WAKE_MS of that read. That it does
 * not wake while there is no room is the *_no_wake tests' business.
 */
static void read_until_room(struct __test_metadata *_metadata,
			    FIXTURE_DATA(wake) *self,
			    const FIXTURE_VARIANT(wake) *variant,
			    size_t chunk)
{
	long t0 = 0, total = 0;
	int reads = 0;
	ssize_t n;

	ASSERT_EQ(0, self->w.done) TH_LOG("woken before there was room");
	for (;;) {
		t0 = now_ms();
		n = recv(self->b, dst, chunk, MSG_DONTWAIT);
		ASSERT_LT(0, n);
		total += n;
		reads++;
		if (__atomic_load_n(&self->w.done, __ATOMIC_SEQ_CST) ||
		    (nx_poll(self->a, POLLOUT, 0) & POLLOUT))
			break;
	}
	TH_LOG("room after %d reads of %zu (%ld bytes)", reads, chunk, total);
	expect_woken(_metadata, self, variant, t0, 0);
}

/*
 * A test of fixture wake: block the writer with @len-byte messages (reader's
 * SO_RCVBUF @rcvbuf, writer's SO_SNDBUF @sndbuf unless 0), then read @chunk
 * bytes at a time until there is room; the writer must wake.
 */
#define WAKE_READS_TEST(name, sndbuf, rcvbuf, len, chunk)		\
	TEST_F(wake, name)						\
	{								\
		block_writer(_metadata, self, variant, sndbuf, rcvbuf, len); \
		read_until_room(_metadata, self, variant, chunk);	\
	}

/* The case: 60000 bytes queued, SO_RCVBUF 8192, small reads. */
WAKE_READS_TEST(partial_reads_1000, 0, 8192, 60000, 1000)
WAKE_READS_TEST(partial_reads_1, 0, 2048, 6000, 1)
WAKE_READS_TEST(partial_reads_4096, 0, 8192, 60000, 4096)
WAKE_READS_TEST(partial_reads_50000, 0, 8192, 60000, 50000)

/* Whole messages consumed: the freed skbs make the room. */
WAKE_READS_TEST(whole_reads, 0, 8192, 60000, 60000)

/* A small send buffer: room comes when the writer's skbs are freed. */
WAKE_READS_TEST(small_sndbuf_reads, 4096, 4 * MIB, 3000, 1000)

/* A large send buffer: the reader's buffer is the limit. */
WAKE_READS_TEST(large_sndbuf_reads, 4 * MIB, 65536, 100000, 7000)

/* A larger SO_RCVBUF on the reader makes room without any read. */
TEST_F(wake, rcvbuf_raised)
{
	long queued = block_writer(_metadata, self, variant, 0, 8192, 60000);
	long t0 = now_ms();

	EXPECT_EQ(0, set_int(self->b, SOL_SOCKET, SO_RCVBUF, (int)queued));
	EXPECT_EQ(POLLOUT, nx_poll(self->a, POLLOUT, 0));
	expect_woken(_metadata, self, variant, t0, 0);
}

/* A larger SO_SNDBUF on a writer limited by its own buffer. */
TEST_F(wake, sndbuf_raised)
{
	long t0;

	block_writer(_metadata, self, variant, 4096, 4 * MIB, 3000);
	t0 = now_ms();
	EXPECT_EQ(0, set_int(self->a, SOL_SOCKET, SO_SNDBUF, 4 * MIB));
	expect_woken(_metadata, self, variant, t0, 0);
}

/* A smaller SO_RCVBUF makes no room: no wake-up, no POLLOUT. */
TEST_F(wake, rcvbuf_lowered_no_wake)
{
	block_writer(_metadata, self, variant, 0, 8192, 60000);
	EXPECT_EQ(0, set_int(self->b, SOL_SOCKET, SO_RCVBUF, 4096));
	EXPECT_EQ(0, nx_poll(self->a, POLLOUT, 0));
	EXPECT_EQ(-1, waiter_wait(&self->w, 200));
	read_until_room(_metadata, self, variant, 60000);
}

/* shutdown(SHUT_RD) on the reader: the writer wakes to EPIPE/POLLOUT. */
TEST_F(wake, reader_shut_rd)
{
	long t0;

	block_writer(_metadata, self, variant, 0, 8192, 60000);
	t0 = now_ms();
	EXPECT_EQ(0, shutdown(self->b, SHUT_RD));
	expect_woken(_metadata, self, variant, t0, 1);
}

/* Partial reads that leave the queue full wake no one. */
TEST_F(wake, partial_reads_below_room_no_wake)
{
	char c;

	block_writer(_metadata, self, variant, 0, 8192, 60000);
	if (variant->type == SOCK_STREAM) {
		EXPECT_EQ(1000, recv(self->b, dst, 1000, 0));
		EXPECT_EQ(0, nx_poll(self->a, POLLOUT, 0));
		EXPECT_EQ(-1, waiter_wait(&self->w, 200));
	}
	/* Peeking consumes nothing either. */
	EXPECT_EQ(1, recv(self->b, &c, 1, MSG_PEEK));
	EXPECT_EQ(0, nx_poll(self->a, POLLOUT, 0));
	EXPECT_EQ(-1, waiter_wait(&self->w, 100));
	read_until_room(_metadata, self, variant, 60000);
}

TEST_HARNESS_MAIN
