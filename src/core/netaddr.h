/*
 * netaddr.h - addresses and networks: CIDR lists, and who the client is behind
 * trusted proxies.
 *
 * The socket peer is the client unless it is one of the proxies the operator
 * trusts (ERP_TRUSTED_PROXIES, a list of CIDRs). Then the client is taken from
 * the forwarding headers the proxies append to: `Forwarded` (RFC 7239) when
 * present, else `X-Forwarded-For`. The list is read from the right (the hop
 * nearest to us) and trusted hops are skipped: the first untrusted address is
 * the client, since everything to its left was written by the client itself
 * and proves nothing. An element that is not an address (a typo, "unknown", an
 * obfuscated identifier) ends the walk at the last hop known; so does a
 * header of more than CLIENT_ADDR_MAX_HOPS hops.
 *
 * Pure functions over text, no allocation.
 */
#ifndef ERP_CORE_NETADDR_H
#define ERP_CORE_NETADDR_H

#include <stddef.h>

#define CLIENT_ADDR_MAX_HOPS 32
#define CIDR_MAX 32 /* networks in ERP_TRUSTED_PROXIES */

typedef struct cidr {
    int v6;                  /* 0: IPv4, 1: IPv6 */
    unsigned char addr[16];  /* network address (4 or 16 bytes used) */
    int bits;                /* prefix length */
} cidr_t;

/*
 * Parses "10.0.0.0/8, 127.0.0.1, ::1/128" (a bare address is a host route)
 * into out[0..*n). Returns 0, or -1 when an element is malformed or there are
 * more than max of them.
 */
int cidr_parse_list(const char *s, cidr_t *out, int max, int *n);

/* Whether the textual address addr (IPv4 or IPv6, an IPv4-mapped IPv6 counts as IPv4) is in one of the networks. */
int cidr_contains(const cidr_t *nets, int n, const char *addr);

/*
 * The client's address for a request whose socket peer is peer (text), with
 * the Forwarded and X-Forwarded-For headers (NULL when absent), into out
 * (normalized text: no port, no brackets). The headers are looked at only when
 * peer is in the trusted networks.
 */
void client_addr(const char *peer, const char *forwarded, const char *xff, const cidr_t *trusted, int ntrusted,
                 char *out, size_t outlen);

#endif
