/*
 * query_fuzz.c - query strings: req_query() (src/http/handler.c) over a raw
 * query, query_int() and query_id() (src/api/validate.c), sort_read()
 * (src/api/common.c), url_decode() and url_hexval() (src/core/url.c) under
 * every flag combination, and the problem document the field errors render to.
 *
 * Input: the raw query string, without '?' (exactly the bytes, no terminator).
 *
 * Properties: decoding never grows the text; without '%' it only maps '+'
 * (under URL_PLUS_SPACE); URL_STRICT fails only on a '%' that is not a
 * non-zero escape; the first parameter is found by its own decoded name;
 * query_int() stays in its bounds; query_id() gives a lower-case UUID;
 * sort_read() gives an index of the list or an error; the problem document is
 * well-formed JSON.
 */
#include "fuzz.h"

#include <limits.h>

#include "api/common.h"
#include "api/validate.h"
#include "core/ids.h"
#include "core/url.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check_decode(arena_t *a, const char *s, size_t n)
{
    int has_pct = memchr(s, '%', n) != NULL;
    for (int flags = 0; flags <= (URL_PLUS_SPACE | URL_STRICT); flags++) {
        char *d = url_decode(a, s, n, flags);
        if (d == NULL) {
            FUZZ_CHECK((flags & URL_STRICT) && has_pct);
            continue;
        }
        size_t dlen = strlen(d);
        FUZZ_CHECK(dlen <= n);
        if (!has_pct && memchr(s, '\0', n) == NULL) {
            FUZZ_CHECK(dlen == n);
            for (size_t i = 0; i < n; i++)
                FUZZ_CHECK(d[i] == ((s[i] == '+' && (flags & URL_PLUS_SPACE)) ? ' ' : s[i]));
        }
        /* a strict decode that succeeds read every '%' as an escape of two hex digits, and none as %00 */
        if ((flags & URL_STRICT) && memchr(s, '\0', n) == NULL) {
            size_t pct = 0;
            for (size_t i = 0; i < n; i++)
                pct += s[i] == '%';
            FUZZ_CHECK(dlen == n - 2 * pct);
        }
    }
}

static const char *const sorts[] = {"name", "createdAt", "-x", "", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    req_t *r = fuzz_req_new();
    char *q = fuzz_memdup(data, size);
    r->query = q;
    r->query_len = size;

    for (size_t i = 0; i < size; i++) {
        int v = url_hexval(q[i]);
        FUZZ_CHECK(v >= -1 && v <= 15);
    }
    check_decode(&r->arena, q, size);

    /* the first parameter, found again by its decoded name */
    const char *amp = memchr(q, '&', size);
    size_t first = amp != NULL ? (size_t)(amp - q) : size;
    if (first > 0) {
        const char *eq = memchr(q, '=', first);
        size_t klen = eq != NULL ? (size_t)(eq - q) : first;
        const char *name = url_decode(&r->arena, q, klen, URL_PLUS_SPACE);
        FUZZ_CHECK(name != NULL && req_query(r, name) != NULL);
    }

    static const char *const names[] = {"limit", "cursor", "sort", "q", "date", "from", "to", "id", "classId", ""};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = req_query(r, names[i]);
        if (v == NULL)
            continue;
        static const long long bounds[][2] = {{1, 500}, {LLONG_MIN, LLONG_MAX}, {0, 0}, {-60000, 60000}};
        for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++) {
            long long out = 42;
            if (query_int(r, names[i], v, bounds[b][0], bounds[b][1], &out) == 0)
                FUZZ_CHECK(out >= bounds[b][0] && out <= bounds[b][1]);
            else
                FUZZ_CHECK(out == 42);
        }
    }
    for (int req = 0; req <= 1; req++) {
        const char *id = query_id(r, req ? "classId" : "id", req);
        if (id != NULL) {
            FUZZ_CHECK(ids_uuid_valid(id, strlen(id)));
            for (const char *p = id; *p != '\0'; p++)
                FUZZ_CHECK(!(*p >= 'A' && *p <= 'F'));
        }
    }
    for (int def = 0; def <= 1; def++) {
        int desc = -1;
        int i = sort_read(r, sorts, def, &desc);
        FUZZ_CHECK(i >= -1 && i < 4);
        if (i >= 0) {
            FUZZ_CHECK(desc == 0 || desc == 1);
            const char *v = req_query(r, "sort");
            if (v != NULL)
                FUZZ_CHECK(strcmp(v + desc, sorts[i]) == 0);
        }
    }

    if (res_check_fields(r) != 0 || r->err.code != ERR_NONE) {
        res_render_error(r);
        FUZZ_CHECK(r->res.status == 422 || r->res.status == 400);
        FUZZ_CHECK(fuzz_problem_ok(r));
    }
    fuzz_req_free(r);
    free(q);
    return 0;
}
