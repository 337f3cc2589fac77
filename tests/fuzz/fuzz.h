/*
 * fuzz.h - what the libFuzzer harnesses of tests/fuzz share: the entry points'
 * prototypes, exact-size copies of the input (so ASan sees a read one byte past
 * it), splitting an input into fields, a request with its own arena, a strict
 * UTF-8 check, and FUZZ_CHECK for properties (a failed one aborts, which
 * libFuzzer reports as a crash with the input saved).
 *
 * Everything here is static: each harness is one translation unit.
 */
#ifndef ERP_TESTS_FUZZ_H
#define ERP_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/handler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts with the failed condition when a property does not hold. */
#define FUZZ_CHECK(cond)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);                                \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

/* A malloc'd NUL-terminated copy of n bytes (embedded NULs end the string early). Never NULL. */
static inline char *fuzz_strndup(const uint8_t *data, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        abort();
    if (n > 0)
        memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

/* A malloc'd copy of exactly n bytes, without a terminator. Never NULL. */
static inline char *fuzz_memdup(const uint8_t *data, size_t n)
{
    char *s = malloc(n > 0 ? n : 1);
    if (s == NULL)
        abort();
    if (n > 0)
        memcpy(s, data, n);
    return s;
}

/* An input being cut into fields. */
typedef struct fuzz_in {
    const uint8_t *p;
    size_t n;
} fuzz_in_t;

/*
 * The next field up to sep (or the rest of the input), as a malloc'd
 * NUL-terminated copy; *len (may be NULL) gets its length. Never NULL: an
 * exhausted input gives "".
 */
static inline char *fuzz_field(fuzz_in_t *in, uint8_t sep, size_t *len)
{
    const uint8_t *end = in->n > 0 ? memchr(in->p, sep, in->n) : NULL;
    size_t k = end != NULL ? (size_t)(end - in->p) : in->n;
    char *s = fuzz_strndup(in->p, k);
    if (len != NULL)
        *len = k;
    in->p += k;
    in->n -= k;
    if (end != NULL) {
        in->p++;
        in->n--;
    }
    return s;
}

/* One byte of the input (0 when exhausted). */
static inline uint8_t fuzz_byte(fuzz_in_t *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

/* A fresh request with its own arena, as the server prepares one. */
static inline req_t *fuzz_req_new(void)
{
    req_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        abort();
    arena_init(&r->arena);
    req_reset(r);
    snprintf(r->request_id, sizeof(r->request_id), "fuzz");
    return r;
}

/* Releases everything the request holds. */
static inline void fuzz_req_free(req_t *r)
{
    req_release(r);
    arena_destroy(&r->arena);
    free(r);
}

/* Whether n bytes are well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF). */
static inline int fuzz_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        size_t len;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((u[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (u[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

/* Whether a problem document rendered into r->res is well-formed JSON naming the response's status. */
static inline int fuzz_problem_ok(const req_t *r)
{
    json_t *j = json_loadb(r->res.body, r->res.body_len, 0, NULL);
    int ok = json_is_object(j) && json_integer_value(json_object_get(j, "status")) == r->res.status &&
             json_is_string(json_object_get(j, "type"));
    json_decref(j);
    return ok;
}

#endif
