#include "core/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A parsed address: 4 bytes (IPv4, also for IPv4-mapped IPv6) or 16. */
typedef struct ip {
    int v6;
    unsigned char b[16];
} ip_t;

static int ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses exactly n bytes of s as an IPv4 or IPv6 address (no port, no brackets). */
static int ip_parse(const char *s, size_t n, ip_t *out)
{
    char buf[64];
    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (strchr(buf, ':') == NULL) {
        out->v6 = 0;
        return inet_pton(AF_INET, buf, out->b) == 1 ? 0 : -1;
    }
    unsigned char b[16];
    if (inet_pton(AF_INET6, buf, b) != 1)
        return -1;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(b, mapped, 12) == 0) {
        out->v6 = 0;
        memcpy(out->b, b + 12, 4);
    } else {
        out->v6 = 1;
        memcpy(out->b, b, 16);
    }
    return 0;
}

/* Whether s[0..n) is a port number, 0-65535. */
static int port_ok(const char *s, size_t n)
{
    if (n == 0 || n > 5)
        return 0;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v <= 65535;
}

/*
 * Parses a node of a forwarding header: "a.b.c.d", "a.b.c.d:port", "v6",
 * "[v6]", "[v6]:port", optionally in double quotes. -1 for anything else.
 */
static int node_parse(const char *s, size_t n, ip_t *out)
{
    while (n > 0 && ows(*s))
        s++, n--;
    while (n > 0 && ows(s[n - 1]))
        n--;
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
        s++, n -= 2;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close == NULL)
            return -1;
        size_t rest = n - (size_t)(close + 1 - s);
        if (rest > 0 && (close[1] != ':' || !port_ok(close + 2, rest - 1)))
            return -1;
        return ip_parse(s + 1, (size_t)(close - s - 1), out) == 0 && out->v6 ? 0 : -1;
    }
    const char *colon = memchr(s, ':', n);
    if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)) == NULL) {
        /* one colon: IPv4 with a port */
        if (!port_ok(colon + 1, n - (size_t)(colon + 1 - s)))
            return -1;
        return ip_parse(s, (size_t)(colon - s), out) == 0 && !out->v6 ? 0 : -1;
    }
    return ip_parse(s, n, out);
}

static int in_net(const cidr_t *c, const ip_t *a)
{
    if (c->v6 != a->v6)
        return 0;
    int full = c->bits / 8, rem = c->bits % 8;
    if (memcmp(c->addr, a->b, (size_t)full) != 0)
        return 0;
    if (rem == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rem));
    return (c->addr[full] & mask) == (a->b[full] & mask);
}

static int trusted_ip(const cidr_t *nets, int n, const ip_t *a)
{
    for (int i = 0; i < n; i++)
        if (in_net(&nets[i], a))
            return 1;
    return 0;
}

int cidr_contains(const cidr_t *nets, int n, const char *addr)
{
    ip_t a;
    return addr != NULL && ip_parse(addr, strlen(addr), &a) == 0 && trusted_ip(nets, n, &a);
}

int cidr_parse_list(const char *s, cidr_t *out, int max, int *n)
{
    *n = 0;
    const char *p = s;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        while (len > 0 && ows(*p))
            p++, len--;
        while (len > 0 && ows(p[len - 1]))
            len--;
        if (len == 0 || *n >= max)
            return -1;
        const char *slash = memchr(p, '/', len);
        ip_t a;
        if (ip_parse(p, slash != NULL ? (size_t)(slash - p) : len, &a) != 0)
            return -1;
        int limit = a.v6 ? 128 : 32, bits = limit;
        if (slash != NULL) {
            size_t blen = len - (size_t)(slash + 1 - p);
            if (blen == 0 || blen > 3)
                return -1;
            bits = 0;
            for (size_t i = 0; i < blen; i++) {
                char c = slash[1 + i];
                if (c < '0' || c > '9')
                    return -1;
                bits = bits * 10 + (c - '0');
            }
            if (bits > limit)
                return -1;
        }
        cidr_t *c = &out[(*n)++];
        memset(c, 0, sizeof(*c));
        c->v6 = a.v6;
        c->bits = bits;
        memcpy(c->addr, a.b, a.v6 ? 16 : 4);
        if (end == NULL)
            return 0;
        p = end + 1;
    }
}

/* The `for=` node of one element of a Forwarded header (pairs separated by ';'); NULL when it has none. */
static const char *forwarded_for(const char *s, size_t n, size_t *len)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        int quoted = 0;
        while (j < n && (quoted || s[j] != ';')) {
            if (s[j] == '"')
                quoted = !quoted;
            j++;
        }
        size_t k = i;
        while (k < j && ows(s[k]))
            k++;
        if (j - k > 4 && strncasecmp(s + k, "for=", 4) == 0) {
            *len = j - k - 4;
            return s + k + 4;
        }
        i = j + 1;
    }
    return NULL;
}

/* Splits a header into its hops (the for= nodes of Forwarded, or the elements of X-Forwarded-For), rightmost kept. */
static int hops(const char *h, int forwarded, const char **start, size_t *len)
{
    int n = 0;
    const char *p = h;
    for (;;) {
        /* commas inside a quoted string do not separate elements */
        const char *q = p;
        int quoted = 0;
        while (*q != '\0' && (quoted || *q != ',')) {
            if (*q == '"')
                quoted = !quoted;
            q++;
        }
        size_t elen = (size_t)(q - p);
        const char *node = p;
        size_t nlen = elen;
        if (forwarded) {
            node = forwarded_for(p, elen, &nlen);
            if (node == NULL) { /* an element without for=: the hop is unknown */
                node = p;
                nlen = 0;
            }
        }
        if (n == CLIENT_ADDR_MAX_HOPS) { /* keep the rightmost hops: drop the oldest */
            memmove(start, start + 1, sizeof(*start) * (CLIENT_ADDR_MAX_HOPS - 1));
            memmove(len, len + 1, sizeof(*len) * (CLIENT_ADDR_MAX_HOPS - 1));
            n--;
        }
        start[n] = node;
        len[n] = nlen;
        n++;
        if (*q == '\0')
            return n;
        p = q + 1;
    }
}

static void format(const ip_t *a, char *out, size_t outlen)
{
    if (inet_ntop(a->v6 ? AF_INET6 : AF_INET, a->b, out, (socklen_t)outlen) == NULL && outlen > 0)
        out[0] = '\0';
}

void client_addr(const char *peer, const char *forwarded, const char *xff, const cidr_t *trusted, int ntrusted,
                 char *out, size_t outlen)
{
    ip_t cur;
    if (peer == NULL || ip_parse(peer, strlen(peer), &cur) != 0) {
        snprintf(out, outlen, "%s", peer != NULL ? peer : "");
        return;
    }
    const char *h = forwarded != NULL ? forwarded : xff;
    if (h != NULL && ntrusted > 0 && trusted_ip(trusted, ntrusted, &cur)) {
        const char *start[CLIENT_ADDR_MAX_HOPS];
        size_t len[CLIENT_ADDR_MAX_HOPS];
        int n = hops(h, forwarded != NULL, start, len);
        for (int i = n - 1; i >= 0; i--) {
            ip_t hop;
            if (node_parse(start[i], len[i], &hop) != 0)
                break; /* not an address: the last hop known is as far as we can see */
            cur = hop;
            if (!trusted_ip(trusted, ntrusted, &cur))
                break;
        }
    }
    format(&cur, out, outlen);
}
