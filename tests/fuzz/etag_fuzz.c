/*
 * etag_fuzz.c - header values: If-Match / If-None-Match against a version
 * (etag_if_match(), etag_if_none_match(), src/http/etag.c), and the other
 * parsers of single header values the server owns: dispatch_is_json_type()
 * (Content-Type, src/http/dispatch.c), http_method_parse()
 * (src/http/handler.c) and idempotency_key_valid() (Idempotency-Key,
 * src/api/idempotency.c).
 *
 * Input: "VERSION\nHEADER" (VERSION read with strtoll; without a newline the
 * whole input is the header and the version 3).
 *
 * Properties: every result is -1, 0 or 1; both functions agree on what is
 * malformed; a strong match implies a weak one; no version <= 0 ever matches;
 * the tag "<n>" built from the version matches both, W/"<n>" only
 * If-None-Match; appending that tag to any well-formed list (not "*") makes
 * it match; a key is accepted exactly when it is 1 to 255 bytes of 0x21-0x7e.
 */
#include "fuzz.h"

#include "api/idempotency.h"
#include "http/dispatch.h"
#include "http/etag.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static int is_star(const char *h)
{
    while (*h == ' ' || *h == '\t')
        h++;
    if (*h++ != '*')
        return 0;
    while (*h == ' ' || *h == '\t')
        h++;
    return *h == '\0';
}

static void check_pair(const char *h, long long version, int *im, int *inm)
{
    *im = etag_if_match(h, version);
    *inm = etag_if_none_match(h, version);
    FUZZ_CHECK(*im >= -1 && *im <= 1);
    FUZZ_CHECK(*inm >= -1 && *inm <= 1);
    FUZZ_CHECK((*im == ETAG_MALFORMED) == (*inm == ETAG_MALFORMED));
    FUZZ_CHECK(*im != ETAG_MATCH || *inm == ETAG_MATCH);
    if (version <= 0)
        FUZZ_CHECK(*im != ETAG_MATCH && *inm != ETAG_MATCH);
}

/* The same header value through the other single-value parsers. */
static void other_parsers(const char *h, size_t len)
{
    int j = dispatch_is_json_type(h);
    FUZZ_CHECK(j == 0 || j == 1);
    http_method_t m = http_method_parse(h, len);
    FUZZ_CHECK(m == 0 || strcmp(http_method_name(m), h) == 0);
    int visible = len >= 1 && len <= IDEMPOTENCY_KEY_MAX;
    for (size_t i = 0; i < len && visible; i++)
        visible = h[i] >= 0x21 && h[i] <= 0x7e;
    FUZZ_CHECK(idempotency_key_valid(h) == visible);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    long long version = 3;
    char *header;
    size_t hlen;
    if (memchr(data, '\n', size) != NULL) {
        char *v = fuzz_field(&in, '\n', NULL);
        version = strtoll(v, NULL, 10);
        free(v);
    }
    header = fuzz_field(&in, 0, &hlen); /* the rest, to the first NUL */
    hlen = strlen(header);

    int im, inm;
    check_pair(header, version, &im, &inm);

    char tag[32], weak[34];
    snprintf(tag, sizeof(tag), "\"%lld\"", version);
    snprintf(weak, sizeof(weak), "W/\"%lld\"", version);
    if (version > 0) {
        FUZZ_CHECK(etag_if_match(tag, version) == ETAG_MATCH);
        FUZZ_CHECK(etag_if_none_match(tag, version) == ETAG_MATCH);
        FUZZ_CHECK(etag_if_match(weak, version) == ETAG_NO_MATCH);
        FUZZ_CHECK(etag_if_none_match(weak, version) == ETAG_MATCH);
    }
    if (im != ETAG_MALFORMED && !is_star(header)) {
        size_t n = hlen + sizeof(tag) + 4;
        char *joined = malloc(n);
        if (joined == NULL)
            abort();
        snprintf(joined, n, "%s, %s", header, tag);
        int jim, jinm;
        check_pair(joined, version, &jim, &jinm);
        FUZZ_CHECK(jim != ETAG_MALFORMED);
        if (version > 0)
            FUZZ_CHECK(jim == ETAG_MATCH && jinm == ETAG_MATCH);
        free(joined);
    }
    other_parsers(header, hlen);
    free(header);
    return 0;
}
