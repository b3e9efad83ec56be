// SPDX-License-Identifier: GPL-2.0
/*
 * nexus_demo: a short tour of AF_NEXUS, printed as it goes. A stream and a
 * seqpacket connection with one message each way, then a datagram exchange.
 * Exits non-zero if any step fails.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nexus_util.h"

static int failed;

#define STEP(what, expr) do {						\
	long __r = (long)(expr);					\
	if (__r < 0) {							\
		printf("  %-44s FAILED: %s\n", what, strerror(errno));	\
		failed = 1;						\
		return -1;						\
	}								\
	printf("  %-44s ok\n", what);					\
} while (0)

static const char *type_name(int type)
{
	return type == SOCK_STREAM ? "SOCK_STREAM" :
	       type == SOCK_SEQPACKET ? "SOCK_SEQPACKET" : "SOCK_DGRAM";
}

static int connection(int type, unsigned int port)
{
	int srv, cli, acc;
	char buf[64];
	ssize_t n;

	printf("%s: server on (node %u, port %u)\n", type_name(type),
	       NEXUS_NODE_LOCAL, port);
	STEP("socket() x2", (srv = nx_socket(type)) | (cli = nx_socket(type)));
	STEP("server bind()", nx_bind(srv, NEXUS_NODE_ANY, port));
	STEP("server listen(backlog 4)", listen(srv, 4));
	STEP("client connect()", nx_connect(cli, NEXUS_NODE_LOCAL, port));
	printf("  client auto-bound to port %u\n", nx_port(cli));
	STEP("server accept()", acc = accept(srv, NULL, NULL));
	STEP("client send(\"hello\")", send(cli, "hello", 5, 0));
	STEP("server recv()", n = recv(acc, buf, sizeof(buf) - 1, 0));
	buf[n] = 0;
	printf("  server got \"%s\"\n", buf);
	STEP("server send(\"hi there\")", send(acc, "hi there", 8, 0));
	STEP("client recv()", n = recv(cli, buf, sizeof(buf) - 1, 0));
	buf[n] = 0;
	printf("  client got \"%s\"\n", buf);
	close(acc);
	close(cli);
	close(srv);
	return 0;
}

static int datagrams(unsigned int port)
{
	struct sockaddr_nx from;
	socklen_t len = sizeof(from);
	int a, b;
	char buf[64];
	ssize_t n;

	printf("SOCK_DGRAM: receiver on port %u\n", port);
	STEP("socket() x2", (a = nx_socket(SOCK_DGRAM)) | (b = nx_socket(SOCK_DGRAM)));
	STEP("receiver bind()", nx_bind(a, NEXUS_NODE_ANY, port));
	STEP("sender connect()", nx_connect(b, NEXUS_NODE_LOCAL, port));
	STEP("sender send(\"ping\")", send(b, "ping", 4, 0));
	STEP("receiver recvfrom()",
	     n = recvfrom(a, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &len));
	buf[n] = 0;
	printf("  receiver got \"%s\" from (node %u, port %u)\n", buf,
	       from.snx_node, from.snx_port);
	STEP("receiver sendto(sender, \"pong\")",
	     sendto(a, "pong", 4, 0, (struct sockaddr *)&from, len));
	STEP("sender recv()", n = recv(b, buf, sizeof(buf) - 1, 0));
	buf[n] = 0;
	printf("  sender got \"%s\"\n", buf);
	close(a);
	close(b);
	return 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("AF_NEXUS is address family %d\n", nx_family());
	connection(SOCK_STREAM, 7000);
	connection(SOCK_SEQPACKET, 7001);
	datagrams(7002);
	printf(failed ? "demo FAILED\n" : "demo finished: all steps ok\n");
	return failed;
}
