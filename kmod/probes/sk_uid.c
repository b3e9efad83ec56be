// SPDX-License-Identifier: GPL-2.0
/* Probe: the sk_uid() accessor replaces sock_i_uid() (6.16+). */
#include <net/sock.h>

kuid_t probe_uid(const struct sock *sk);

kuid_t probe_uid(const struct sock *sk)
{
	return sk_uid(sk);
}
