/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the AF_NEXUS selftests. Header-only so that each test
 * stays a single static binary.
 */
#ifndef NEXUS_UTIL_H
#define NEXUS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/nexus.h>

/* The family number the loaded module registered (module parameter). */
static inline int nx_family(void)
{
	static int family;
	FILE *f;

	if (family)
		return family;
	family = AF_NEXUS;
	f = fopen("/sys/module/nexus/parameters/family", "r");
	if (f) {
		if (fscanf(f, "%d", &family) != 1)
			family = AF_NEXUS;
		fclose(f);
	}
	return family;
}

static inline struct sockaddr_nx nx_addr(unsigned int node, unsigned int port)
{
	struct sockaddr_nx sa;

	memset(&sa, 0, sizeof(sa));
	sa.snx_family = nx_family();
	sa.snx_node = node;
	sa.snx_port = port;
	return sa;
}

/* What shutdown(@fd, @how) failed with (errno), or 0 when it succeeded. */
static inline int nx_shutdown_errno(int fd, int how)
{
	return shutdown(fd, how) ? errno : 0;
}

static inline int nx_socket(int type)
{
	return socket(nx_family(), type, 0);
}

static inline int nx_bind(int fd, unsigned int node, unsigned int port)
{
	struct sockaddr_nx sa = nx_addr(node, port);

	return bind(fd, (struct sockaddr *)&sa, sizeof(sa));
}

static inline int nx_connect(int fd, unsigned int node, unsigned int port)
{
	struct sockaddr_nx sa = nx_addr(node, port);

	return connect(fd, (struct sockaddr *)&sa, sizeof(sa));
}

/* What nx_connect() failed with (errno), or 0 when it succeeded. */
static inline int nx_connect_errno(int fd, unsigned int node,
				   unsigned int port)
{
	return nx_connect(fd, node, port) ? errno : 0;
}

/* The port a socket is bound to, or 0 (getsockname() failures abort). */
static inline unsigned int nx_port(int fd)
{
	struct sockaddr_nx sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len)) {
		perror("getsockname");
		abort();
	}
	return sa.snx_port;
}

/* Write a string to a /proc/sys file; returns 0 or -errno. */
static inline int nx_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Read a small file into buf (NUL-terminated); returns length or -errno. */
static inline int nx_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return (int)n;
}

/* Unload the nexus module; returns 0 or -errno (never waits). */
static inline int nx_rmmod(void)
{
	if (syscall(__NR_delete_module, "nexus", O_NONBLOCK))
		return -errno;
	return 0;
}

/* Load nexus.ko from $NEXUS_KO with optional parameters; 0 or -errno. */
static inline int nx_insmod(const char *params)
{
	const char *path = getenv("NEXUS_KO");
	int fd, err = 0;

	if (!path)
		path = "/lib/modules/nexus.ko";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(__NR_finit_module, fd, params ? params : "", 0))
		err = -errno;
	close(fd);
	return err;
}

static inline int nx_module_loaded(void)
{
	struct stat st;

	return stat("/sys/module/nexus", &st) == 0;
}

/* An int socket option, or -1. */
static inline int nx_get_int(int fd, int level, int opt)
{
	int val = -1;
	socklen_t len = sizeof(val);

	if (getsockopt(fd, level, opt, &val, &len))
		return -1;
	return val;
}

/*
 * The earliest, by the guest's CLOCK_MONOTONIC, that a 100 ms SO_RCVTIMEO or
 * SO_SNDTIMEO wait may end. The wait is the kernel's own jiffies timer;
 * under QEMU TCG on a loaded host it was seen to end after 74-88 ms of
 * CLOCK_MONOTONIC (the tick and the clocksource drift apart under
 * emulation), so the bound is half the timeout rather than one tick. It
 * still tells an honoured timeout from an early EAGAIN.
 */
#define TIMEO_100MS_MIN_MS	50

/*
 * Fixture variants by socket type, for kselftest_harness.h fixtures:
 * NX_TYPE_VARIANTS(f) runs every test of fixture f once per type
 * (stream, seqpacket, dgram), NX_CONN_TYPE_VARIANTS(f) once per
 * connection-oriented type; the test reads the type as variant->type.
 */
#define NX_TYPE_VARIANT(f)	FIXTURE_VARIANT(f) { int type; }
#define NX_CONN_TYPE_VARIANTS(f)					\
	NX_TYPE_VARIANT(f);						\
	FIXTURE_VARIANT_ADD(f, stream) { .type = SOCK_STREAM };		\
	FIXTURE_VARIANT_ADD(f, seqpacket) { .type = SOCK_SEQPACKET }
#define NX_TYPE_VARIANTS(f)						\
	NX_CONN_TYPE_VARIANTS(f);					\
	FIXTURE_VARIANT_ADD(f, dgram) { .type = SOCK_DGRAM }

#endif /* NEXUS_UTIL_H */
