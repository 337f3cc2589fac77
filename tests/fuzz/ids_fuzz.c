/*
 * ids_fuzz.c - ids: ids_uuid_valid() (src/core/ids.c) over any bytes and any
 * length, and require_id() (src/api/common.c), the check of every {id} path
 * parameter, which also lowers its case in place.
 *
 * Input: the candidate id, as bytes (no terminator for ids_uuid_valid(); a
 * NUL-terminated copy for require_id(), as path parameters are).
 *
 * Properties: ids_uuid_valid() accepts exactly 36 characters, 8-4-4-4-12 hex
 * digits of either case (checked against a direct reading of RFC 9562's
 * form); require_id() accepts exactly what ids_uuid_valid() does, lowers the
 * case and changes nothing else, and answers 404 otherwise; a UUIDv7 the
 * server makes is valid, lower case, version 7, variant 10.
 */
#include "fuzz.h"

#include <ctype.h>

#include "api/common.h"
#include "core/ids.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static int uuid_form(const char *s, size_t n)
{
    if (n != 36)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *exact = fuzz_memdup(data, size);
    int v = ids_uuid_valid(exact, size);
    FUZZ_CHECK(v == uuid_form(exact, size));
    free(exact);

    req_t *r = fuzz_req_new();
    char *id = fuzz_strndup(data, size);
    size_t n = strlen(id);
    char *orig = fuzz_strndup((const uint8_t *)id, n);
    int rc = require_id(r, id);
    if (uuid_form(orig, n)) {
        FUZZ_CHECK(rc == 0 && r->err.code == ERR_NONE && strlen(id) == n);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(id[i] == (char)tolower((unsigned char)orig[i]));
    } else {
        FUZZ_CHECK(rc == -1 && r->err.code == ERR_NOT_FOUND && strcmp(id, orig) == 0);
    }
    FUZZ_CHECK(require_id(r, NULL) == -1);
    fuzz_req_free(r);
    free(id);
    free(orig);

    char u[UUID_STR_LEN + 1];
    ids_uuid7(u);
    FUZZ_CHECK(ids_uuid_valid(u, strlen(u)) && u[14] == '7' && strchr("89ab", u[19]) != NULL);
    for (size_t i = 0; i < UUID_STR_LEN; i++)
        FUZZ_CHECK(!isupper((unsigned char)u[i]));
    return 0;
}
