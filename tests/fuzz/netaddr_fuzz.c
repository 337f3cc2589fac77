/*
 * netaddr_fuzz.c - addresses behind proxies (src/core/netaddr.c):
 * cidr_parse_list() (ERP_TRUSTED_PROXIES), cidr_contains(), and client_addr()
 * over the client-controlled Forwarded (RFC 7239) and X-Forwarded-For
 * headers.
 *
 * Input: "TRUSTED\nPEER\nFORWARDED\nXFF"; a header that is exactly "-", or
 * missing at the end of the input, is absent (NULL).
 *
 * Properties: a parsed list has 1..max networks (the output array is exactly
 * max long) with prefixes that fit the family; a bare address that parses is
 * contained in its own list; client_addr() writes a NUL-terminated string
 * inside its exact-size buffer; the headers are ignored unless the peer is
 * trusted; when they change the answer, the answer is an address.
 */
#include "fuzz.h"

#include "core/netaddr.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* A header field: NULL for "-" or past the end of the input. */
static char *header(fuzz_in_t *in)
{
    if (in->n == 0)
        return NULL;
    char *s = fuzz_field(in, '\n', NULL);
    if (strcmp(s, "-") == 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* Parses s into an array of exactly max entries; *n networks (0 on failure). */
static cidr_t *parse(const char *s, int max, int *n)
{
    cidr_t *nets = malloc(sizeof(cidr_t) * (size_t)max);
    if (nets == NULL)
        abort();
    int rc = cidr_parse_list(s, nets, max, n);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc == 0) {
        FUZZ_CHECK(*n >= 1 && *n <= max);
        for (int i = 0; i < *n; i++)
            FUZZ_CHECK((nets[i].v6 == 0 || nets[i].v6 == 1) && nets[i].bits >= 0 &&
                       nets[i].bits <= (nets[i].v6 ? 128 : 32));
    } else {
        *n = 0;
    }
    return nets;
}

/* Whether s is one address as text (the list parser would also trim blanks around it). */
static int is_address(const char *s)
{
    if (strpbrk(s, "/, \t") != NULL)
        return 0;
    int n;
    cidr_t *one = parse(s, 1, &n);
    free(one);
    return n == 1;
}

static char *addr(const char *peer, const char *fwd, const char *xff, const cidr_t *nets, int n, size_t outlen)
{
    char *out = malloc(outlen);
    if (out == NULL)
        abort();
    client_addr(peer, fwd, xff, nets, n, out, outlen);
    FUZZ_CHECK(memchr(out, '\0', outlen) != NULL);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    char *trusted = fuzz_field(&in, '\n', NULL);
    char *peer = header(&in);
    char *fwd = header(&in);
    char *xff = header(&in);

    int max = 1 + (int)(size % CIDR_MAX), n;
    cidr_t *nets = parse(trusted, max, &n);
    free(nets);
    nets = parse(trusted, CIDR_MAX, &n);

    if (peer != NULL) {
        int in_list = cidr_contains(nets, n, peer);
        FUZZ_CHECK(in_list == 0 || in_list == 1);
        if (is_address(peer)) {
            int one;
            cidr_t *self = parse(peer, 1, &one);
            FUZZ_CHECK(one == 1 && cidr_contains(self, one, peer));
            free(self);
        }
    }

    char *alone = addr(peer, NULL, NULL, nets, n, 64);
    char *full = addr(peer, fwd, xff, nets, n, 64);
    if (peer == NULL || !cidr_contains(nets, n, peer))
        FUZZ_CHECK(strcmp(alone, full) == 0);
    if (strcmp(alone, full) != 0)
        FUZZ_CHECK(is_address(full));
    for (size_t len = 1; len <= 8; len++) /* buffers too small for the answer: cut, never overrun */
        free(addr(peer, fwd, xff, nets, n, len * 6));

    free(alone);
    free(full);
    free(nets);
    free(trusted);
    free(peer);
    free(fwd);
    free(xff);
    return 0;
}
