// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/nexus: the header, one line per socket (bound or not, every
 * type, accepted ends too), the columns, the uid in the reader's user
 * namespace, %pK, per-namespace contents, long files read in small pieces,
 * and its removal with the module.
 */
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "nexus_ns.h"

#define PROC_NEXUS "/proc/net/nexus"
#define HEADER "Num              Type St LocalNode  LocalPort  PeerNode   PeerPort   RxQueue    TxQueue    Inode      Uid\n"

struct line {
	char num[40];
	unsigned int type, state, lnode, lport, pnode, pport;
	int rxq, txq;
	unsigned long inode;
	unsigned int uid;
};

/* Read the whole file with read()s of @chunk bytes; malloc'd, or NULL. */
static char *slurp(const char *path, size_t chunk, size_t *lenp)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap + 1);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		if (len + chunk > cap) {
			cap = 2 * (len + chunk);
			buf = realloc(buf, cap + 1);
			if (!buf)
				break;
		}
		n = read(fd, buf + len, chunk);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (buf)
		buf[len] = 0;
	if (lenp)
		*lenp = len;
	return buf;
}

static int parse_line(const char *s, struct line *l)
{
	return sscanf(s, "%39s %x %x %u %u %u %u %d %d %lu %u", l->num, &l->type,
		      &l->state, &l->lnode, &l->lport, &l->pnode, &l->pport,
		      &l->rxq, &l->txq, &l->inode, &l->uid) == 11;
}

/* Find the line of the socket with inode @ino in @text; 1 if found. */
static int find_inode(const char *text, unsigned long ino, struct line *out)
{
	const char *s = strchr(text, '\n');

	while (s && *++s) {
		struct line l;

		if (parse_line(s, &l) && l.inode == ino) {
			if (out)
				*out = l;
			return 1;
		}
		s = strchr(s, '\n');
	}
	return 0;
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

TEST(header_line)
{
	char *text = slurp(PROC_NEXUS, 4096, NULL);
	struct stat st;

	ASSERT_NE(NULL, text);
	EXPECT_EQ(0, strncmp(text, HEADER, strlen(HEADER)));
	EXPECT_EQ(0, stat(PROC_NEXUS, &st));
	EXPECT_EQ(0444, st.st_mode & 07777);
	free(text);
}

TEST(sockets_listed_with_columns)
{
	int st = nx_socket(SOCK_STREAM), dg = nx_socket(SOCK_DGRAM);
	int sp = nx_socket(SOCK_SEQPACKET);
	struct line l;
	char *text;

	ASSERT_LE(0, st);
	ASSERT_LE(0, dg);
	ASSERT_LE(0, sp);
	ASSERT_EQ(0, nx_bind(st, 0, 7000));
	ASSERT_EQ(0, nx_bind(sp, 0, 7001));
	text = slurp(PROC_NEXUS, 4096, NULL);
	ASSERT_NE(NULL, text);

	ASSERT_TRUE(find_inode(text, nx_inode(st), &l));
	EXPECT_EQ(SOCK_STREAM, l.type);
	EXPECT_EQ(7, l.state);			/* TCP_CLOSE */
	EXPECT_EQ(NEXUS_NODE_LOCAL, l.lnode);
	EXPECT_EQ(7000, l.lport);
	EXPECT_EQ(0, l.pnode);
	EXPECT_EQ(0, l.pport);
	EXPECT_EQ(0, l.rxq);
	EXPECT_EQ(0, l.txq);
	EXPECT_EQ(0, l.uid);
	EXPECT_EQ(':', l.num[strlen(l.num) - 1]);

	ASSERT_TRUE(find_inode(text, nx_inode(dg), &l));	/* unbound */
	EXPECT_EQ(SOCK_DGRAM, l.type);
	EXPECT_EQ(0, l.lnode);
	EXPECT_EQ(0, l.lport);

	ASSERT_TRUE(find_inode(text, nx_inode(sp), &l));
	EXPECT_EQ(SOCK_SEQPACKET, l.type);
	EXPECT_EQ(7001, l.lport);
	free(text);

	/* Closed: gone. */
	close(st);
	text = slurp(PROC_NEXUS, 4096, NULL);
	ASSERT_NE(NULL, text);
	EXPECT_TRUE(find_inode(text, nx_inode(dg), NULL));
	EXPECT_FALSE(strstr(text, " 7000 ") != NULL);
	free(text);
	close(dg);
	close(sp);
}

TEST(connected_pair_and_listener)
{
	int l = nx_socket(SOCK_STREAM), c = nx_socket(SOCK_STREAM), a;
	struct line ll, lc, la;
	unsigned int cport;
	char *text;

	ASSERT_EQ(0, nx_bind(l, 0, 7100));
	ASSERT_EQ(0, listen(l, 4));
	ASSERT_EQ(0, nx_connect(c, 0, 7100));
	cport = nx_port(c);
	text = slurp(PROC_NEXUS, 4096, NULL);
	ASSERT_NE(NULL, text);
	ASSERT_TRUE(find_inode(text, nx_inode(l), &ll));
	EXPECT_EQ(1, ll.rxq);			/* one to accept */
	free(text);
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(5, send(c, "hello", 5, 0));
	usleep(10000);
	text = slurp(PROC_NEXUS, 4096, NULL);
	ASSERT_NE(NULL, text);
	ASSERT_TRUE(find_inode(text, nx_inode(l), &ll));
	EXPECT_EQ(0x0a, ll.state);		/* TCP_LISTEN */
	ASSERT_TRUE(find_inode(text, nx_inode(c), &lc));
	EXPECT_EQ(1, lc.state);			/* TCP_ESTABLISHED */
	EXPECT_EQ(cport, lc.lport);
	EXPECT_EQ(NEXUS_NODE_LOCAL, lc.pnode);
	EXPECT_EQ(7100, lc.pport);
	ASSERT_TRUE(find_inode(text, nx_inode(a), &la));
	EXPECT_EQ(1, la.state);
	EXPECT_EQ(7100, la.lport);
	EXPECT_EQ(cport, la.pport);
	/* The accepted end has 5 unread bytes; the sender is charged. */
	EXPECT_EQ(5, la.rxq);
	EXPECT_LT(0, lc.txq);
	EXPECT_EQ(0, ll.rxq);			/* accept queue empty */
	free(text);
	close(a);
	close(c);
	close(l);
}

/*
 * A datagram receiver's RxQueue is the memory its queued datagrams hold
 * (docs/address-space.md), charged to their sender: with one sender it
 * equals the sender's TxQueue, grows with each datagram and is 0 again
 * once they are read.
 */
TEST(dgram_rxqueue_counts_queued_datagrams)
{
	int s = nx_socket(SOCK_DGRAM), r = nx_socket(SOCK_DGRAM), i;
	struct sockaddr_nx sa;
	struct line lr, ls;
	int prev = 0;
	char buf[3000] = { 0 };
	char *text;

	ASSERT_EQ(0, nx_bind(r, 0, 0));
	sa = nx_addr(0, nx_port(r));
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(1000 * i, sendto(s, buf, 1000 * i, 0,
					   (struct sockaddr *)&sa, sizeof(sa)));
		text = slurp(PROC_NEXUS, 4096, NULL);
		ASSERT_NE(NULL, text);
		ASSERT_TRUE(find_inode(text, nx_inode(r), &lr));
		ASSERT_TRUE(find_inode(text, nx_inode(s), &ls));
		free(text);
		EXPECT_LE(prev + 1000 * i, lr.rxq);
		EXPECT_EQ(ls.txq, lr.rxq);
		EXPECT_EQ(0, ls.rxq);
		prev = lr.rxq;
	}
	for (i = 1; i <= 3; i++)
		ASSERT_EQ(1000 * i, recv(r, buf, sizeof(buf), 0));
	text = slurp(PROC_NEXUS, 4096, NULL);
	ASSERT_NE(NULL, text);
	ASSERT_TRUE(find_inode(text, nx_inode(r), &lr));
	ASSERT_TRUE(find_inode(text, nx_inode(s), &ls));
	free(text);
	EXPECT_EQ(0, lr.rxq);
	EXPECT_EQ(0, ls.txq);
	close(s);
	close(r);
}

/* The uid column: the creator's, mapped into the reader's namespace. */
static int read_in_own_userns(void *arg)
{
	unsigned long *inos = arg;
	struct line l;
	char *text;

	if (nx_become(1234, 1234))
		return NX_FAIL(90);
	if (nx_unshare_userns_self(0))
		return NX_FAIL(91);
	text = slurp(PROC_NEXUS, 4096, NULL);
	if (!text)
		return NX_FAIL(1);
	if (!find_inode(text, inos[0], &l) || l.uid != 0)	/* 1234 -> 0 */
		return NX_FAIL(2);
	if (!find_inode(text, inos[1], &l) || l.uid != 65534)	/* unmapped */
		return NX_FAIL(3);
	return 0;
}

/* In a child: hold a socket bound as uid 1234, send its inode, wait. */
static int hold_as_user(void *arg)
{
	unsigned long ino;
	int *p = arg, fd;
	char c;

	if (nx_become(1234, 1234))
		return NX_FAIL(90);
	fd = nx_socket(SOCK_DGRAM);
	if (fd < 0 || nx_bind(fd, 0, 7200))
		return NX_FAIL(91);
	ino = nx_inode(fd);
	if (write(p[1], &ino, sizeof(ino)) != sizeof(ino))
		return NX_FAIL(92);
	if (read(p[0], &c, 1) != 1)
		return NX_FAIL(93);
	return 0;
}

TEST(uid_in_reader_user_namespace)
{
	struct nx_peer child;
	unsigned long inos[2];
	struct line l;
	char *text;
	int fd;

	ASSERT_EQ(0, nx_peer_start(&child, hold_as_user));
	ASSERT_EQ(0, nx_peer_recv(&child, &inos[0], sizeof(inos[0])));
	fd = nx_socket(SOCK_DGRAM);
	ASSERT_LE(0, fd);
	inos[1] = nx_inode(fd);

	text = slurp(PROC_NEXUS, 4096, NULL);
	ASSERT_NE(NULL, text);
	ASSERT_TRUE(find_inode(text, inos[0], &l));
	EXPECT_EQ(1234, l.uid);
	EXPECT_EQ(7200, l.lport);
	ASSERT_TRUE(find_inode(text, inos[1], &l));
	EXPECT_EQ(0, l.uid);
	free(text);
	EXPECT_EQ(0, nx_run(read_in_own_userns, inos));

	ASSERT_EQ(0, nx_peer_go(&child));
	EXPECT_EQ(0, nx_peer_end(&child));
	close(fd);
}

/* %pK: zeros for an unprivileged reader under kptr_restrict=1. */
static int all_num_zero(const char *text)
{
	const char *s = strchr(text, '\n');
	int lines = 0;

	while (s && *++s) {
		struct line l;

		if (!parse_line(s, &l))
			return -1;
		if (strspn(l.num, "0") != strlen(l.num) - 1)
			return 0;
		lines++;
		s = strchr(s, '\n');
	}
	return lines ? 1 : -1;
}

static int unprivileged_sees_zeros(void *arg)
{
	char *text;

	if (nx_become(65534, 65534))
		return NX_FAIL(90);
	text = slurp(PROC_NEXUS, 4096, NULL);
	if (!text)
		return NX_FAIL(1);
	return all_num_zero(text) == 1 ? 0 : 2;
}

TEST(kernel_address_hidden)
{
	char saved[16];
	char *text;
	int fd = nx_socket(SOCK_DGRAM);

	ASSERT_LE(0, fd);
	ASSERT_LT(0, nx_read_file("/proc/sys/kernel/kptr_restrict", saved,
				  sizeof(saved)));
	ASSERT_EQ(0, nx_write_file("/proc/sys/kernel/kptr_restrict", "1"));
	EXPECT_EQ(0, nx_run(unprivileged_sees_zeros, NULL));
	text = slurp(PROC_NEXUS, 4096, NULL);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(0, all_num_zero(text));	/* root: real addresses */
	free(text);
	ASSERT_EQ(0, nx_write_file("/proc/sys/kernel/kptr_restrict", "2"));
	text = slurp(PROC_NEXUS, 4096, NULL);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(1, all_num_zero(text));	/* 2: nobody */
	free(text);
	nx_write_file("/proc/sys/kernel/kptr_restrict", saved);
	close(fd);
}

/* Each namespace lists its own sockets only. */
static int own_sockets_only(void *arg)
{
	unsigned long *outer = arg;
	int fd, fd2;
	char *text;

	if (unshare(CLONE_NEWNET))
		return NX_FAIL(100);
	text = slurp(PROC_NEXUS, 4096, NULL);
	if (!text || count_lines(text) != 1)	/* the header alone */
		return NX_FAIL(1);
	free(text);
	fd = nx_socket(SOCK_STREAM);
	fd2 = nx_socket(SOCK_DGRAM);
	if (fd < 0 || fd2 < 0 || nx_bind(fd, 0, 7300))
		return NX_FAIL(2);
	text = slurp(PROC_NEXUS, 4096, NULL);
	if (!text || count_lines(text) != 3)
		return NX_FAIL(3);
	if (!find_inode(text, nx_inode(fd), NULL) ||
	    !find_inode(text, nx_inode(fd2), NULL))
		return NX_FAIL(4);
	if (find_inode(text, *outer, NULL))
		return NX_FAIL(5);
	/* Keep them open until the parent has looked. */
	outer[1] = nx_inode(fd);
	if (write((int)outer[2], &outer[1], sizeof(outer[1])) != sizeof(outer[1]))
		return NX_FAIL(6);
	if (read((int)outer[3], &fd2, 1) != 1)
		return NX_FAIL(7);
	return 0;
}

TEST(per_namespace)
{
	unsigned long arg[4], inner;
	int fd = nx_socket(SOCK_STREAM);
	struct nx_peer child;
	char *text;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, nx_bind(fd, 0, 7300));
	ASSERT_EQ(0, nx_peer_pipes(&child));
	arg[0] = nx_inode(fd);
	arg[2] = child.pipes[1];
	arg[3] = child.pipes[0];
	ASSERT_EQ(0, nx_peer_fork(&child, own_sockets_only, arg));
	ASSERT_EQ(0, nx_peer_recv(&child, &inner, sizeof(inner)));
	text = slurp(PROC_NEXUS, 4096, NULL);
	ASSERT_NE(NULL, text);
	EXPECT_TRUE(find_inode(text, arg[0], NULL));
	EXPECT_FALSE(find_inode(text, inner, NULL));
	free(text);
	ASSERT_EQ(0, nx_peer_go(&child));
	EXPECT_EQ(0, nx_peer_end(&child));
	close(fd);
}

/*
 * Thousands of sockets read in small pieces (the reader resumes after
 * every page): each exactly once, in creation order, also while sockets
 * are closed between two reads.
 */
static int many_sockets(void *arg)
{
	enum { N = 3000, BASE = 100000 };
	static int fds[N];
	static unsigned char seen[N];
	size_t chunks[] = { 4096, 100, 7 };
	unsigned int c, i;

	if (nx_nofile(N + 64) || unshare(CLONE_NEWNET))
		return NX_FAIL(100);
	for (i = 0; i < N; i++) {
		fds[i] = nx_socket(i % 3 == 0 ? SOCK_DGRAM : SOCK_STREAM);
		if (fds[i] < 0 || nx_bind(fds[i], 0, BASE + i))
			return NX_FAIL(1);
	}
	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		char *text = slurp(PROC_NEXUS, chunks[c], NULL), *s;
		unsigned int last = 0, n = 0;

		if (!text)
			return NX_FAIL(2);
		memset(seen, 0, sizeof(seen));
		for (s = strchr(text, '\n'); s && s[1]; s = strchr(s + 1, '\n')) {
			struct line l;

			if (!parse_line(s + 1, &l))
				return NX_FAIL(3);
			if (l.lport < BASE || l.lport >= BASE + N)
				return NX_FAIL(4);
			if (seen[l.lport - BASE]++)
				return NX_FAIL(5);		/* twice */
			if (l.lport <= last)
				return NX_FAIL(6);		/* out of order */
			last = l.lport;
			n++;
		}
		if (n != N)
			return NX_FAIL(7);
		free(text);
	}
	/* Close every other socket in the middle of a read. */
	{
		int fd = open(PROC_NEXUS, O_RDONLY);
		char buf[512];
		unsigned int n = 0, after = 0;
		ssize_t r;
		FILE *f;

		if (fd < 0)
			return NX_FAIL(8);
		r = read(fd, buf, sizeof(buf) - 1);	/* header, ~3 lines */
		if (r <= 0)
			return NX_FAIL(9);
		for (i = N / 2; i < N; i += 2)
			close(fds[i]);
		f = fdopen(fd, "r");
		if (!f)
			return NX_FAIL(10);
		while (fgets(buf, sizeof(buf), f)) {
			struct line l;

			n++;
			if (parse_line(buf, &l) && l.lport >= BASE + N / 2) {
				if ((l.lport - BASE) % 2)
					after++;
				else
					return NX_FAIL(11);	/* a closed one */
			}
		}
		fclose(f);
		if (after != N / 4 || !n)
			return NX_FAIL(12);
	}
	return 0;
}

TEST(many_sockets_read_in_pieces)
{
	EXPECT_EQ(0, nx_run(many_sockets, NULL));
}

/* rmmod takes /proc/net/nexus and net.nexus away in every namespace. */
static int wait_in_netns(void *arg)
{
	int *p = arg;
	char c, buf[16];

	if (unshare(CLONE_NEWNET))
		return NX_FAIL(100);
	if (access(PROC_NEXUS, R_OK) || access(NX_SYSCTL("node"), W_OK))
		return NX_FAIL(1);
	if (nx_sysctl_write("node", "33"))
		return NX_FAIL(2);
	if (write(p[1], "r", 1) != 1 || read(p[0], &c, 1) != 1)
		return NX_FAIL(3);
	/* The module was reloaded: fresh entries, fresh values. */
	if (access(PROC_NEXUS, R_OK))
		return NX_FAIL(4);
	if (nx_sysctl_read("node", buf, sizeof(buf)) || strcmp(buf, "1\n"))
		return NX_FAIL(5);
	if (write(p[1], "r", 1) != 1 || read(p[0], &c, 1) != 1)
		return NX_FAIL(7);
	return 0;
}

TEST(rmmod_removes_entries)
{
	struct nx_peer child;

	ASSERT_EQ(0, nx_peer_start(&child, wait_in_netns));
	ASSERT_EQ(0, nx_peer_recv(&child, NULL, 0));

	ASSERT_EQ(0, nx_rmmod());
	EXPECT_NE(0, access(PROC_NEXUS, F_OK));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_NE(0, access(NX_SYSCTL("node"), F_OK));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, nx_insmod(NULL));
	EXPECT_EQ(0, access(PROC_NEXUS, R_OK));

	ASSERT_EQ(0, nx_peer_go(&child));
	ASSERT_EQ(0, nx_peer_recv(&child, NULL, 0));
	/* While the child's namespace is alive, and after it is gone. */
	ASSERT_EQ(0, nx_rmmod());
	ASSERT_EQ(0, nx_insmod(NULL));
	ASSERT_EQ(0, nx_peer_go(&child));
	EXPECT_EQ(0, nx_peer_end(&child));
	ASSERT_EQ(0, nx_rmmod());
	ASSERT_EQ(0, nx_insmod(NULL));
}

TEST_HARNESS_MAIN
