/*
 * cursor_fuzz.c - list paging: page_read() (?limit= and ?cursor= through
 * req_query()) and the round trip page_cursor() -> page_read() (src/api/common.c),
 * plus people_key_split() on the decoded key (src/domain/people.c).
 *
 * The first byte picks a mode:
 *   'q'  the rest is a raw query string ("limit=20&cursor=…")
 *   'j'  the rest is the JSON text inside a cursor: base64url-encoded here, then
 *        read back with page_read() (the server's decoder of its own cursors)
 *   'r'  the rest is "KEY\nID": page_cursor(KEY, ID) gives NULL exactly when
 *        KEY or ID is not UTF-8; for a KEY under 1024 bytes and a UUID ID
 *        whose cursor fits the reader's buffer, page_read() must give back
 *        exactly KEY and ID
 *   other bytes: as 'q' on the whole input.
 *
 * findings/cursor-invalid-utf8-key is the input that crashed page_cursor()
 * (strlen of json_dumps(NULL)) before it learned to refuse such keys.
 */
#include "fuzz.h"

#include "api/common.h"
#include "auth/crypto.h"
#include "core/ids.h"
#include "domain/people.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (crypto_setup() != 0)
        abort();
    return 0;
}

/* What every successful page_read() promises, and the keyset arguments built from it. */
static void check_page(req_t *r, const page_t *p)
{
    FUZZ_CHECK(p->limit >= 1 && p->limit <= 500);
    if (!p->has_cursor) {
        FUZZ_CHECK(page_key_arg(r, p, 0).type == page_key_arg(r, p, 1).type);
        return;
    }
    FUZZ_CHECK(memchr(p->key, '\0', sizeof(p->key)) != NULL);
    FUZZ_CHECK(strlen(p->id) == UUID_STR_LEN && ids_uuid_valid(p->id, UUID_STR_LEN));
    (void)page_key_arg(r, p, 0);
    (void)page_key_arg(r, p, 1);
    (void)page_id_arg(p);

    /* the people lists split their two-part keys; a key without separator is refused, never a crash */
    size_t n = strlen(p->key);
    char *key = fuzz_strndup((const uint8_t *)p->key, n);
    const char *a = NULL, *b = NULL;
    if (people_key_split(key, &a, &b) == 0) {
        FUZZ_CHECK(a != NULL && b != NULL);
        FUZZ_CHECK(a >= key && a <= key + n && b >= key && b <= key + n);
        FUZZ_CHECK(strlen(a) + 1 + strlen(b) == n);
    }
    free(key);
}

/* page_read() over a raw query string. */
static void read_query(const uint8_t *data, size_t size)
{
    req_t *r = fuzz_req_new();
    char *q = fuzz_memdup(data, size);
    r->query = q;
    r->query_len = size;
    page_t p;
    int rc = page_read(r, &p);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc == 0)
        check_page(r, &p);
    else
        FUZZ_CHECK(r->err.code == ERR_MALFORMED || r->err.code == ERR_VALIDATION);
    fuzz_req_free(r);
    free(q);
}

/* page_read() of "cursor=<base64url of text>". */
static void read_cursor_json(const uint8_t *data, size_t size)
{
    size_t outlen = size * 4 / 3 + 4;
    char *b64 = malloc(outlen);
    if (b64 == NULL)
        abort();
    crypto_b64_encode(data, size, b64, outlen);
    size_t qlen = strlen(b64) + sizeof("limit=7&cursor=");
    char *q = malloc(qlen);
    if (q == NULL)
        abort();
    snprintf(q, qlen, "limit=7&cursor=%s", b64);
    read_query((const uint8_t *)q, strlen(q));
    free(q);
    free(b64);
}

/* page_cursor(key, id) then page_read() of it. */
static void round_trip(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    size_t klen, ilen;
    char *key = fuzz_field(&in, '\n', &klen);
    char *id = fuzz_field(&in, '\n', &ilen);
    klen = strlen(key);
    ilen = strlen(id);
    int key_utf8 = fuzz_utf8_valid(key, klen), id_utf8 = fuzz_utf8_valid(id, ilen);

    req_t *r = fuzz_req_new();
    /* an empty key stands for a NULL cell (page_cursor() writes "" for it) */
    const char *cursor = page_cursor(&r->arena, klen > 0 ? key : NULL, id);
    FUZZ_CHECK((cursor == NULL) == (!key_utf8 || !id_utf8));
    if (cursor == NULL)
        goto out;
    size_t clen = strlen(cursor);
    char *q = arena_printf(&r->arena, "cursor=%s", cursor);
    r->query = q;
    r->query_len = strlen(q);
    page_t p;
    int rc = page_read(r, &p);
    int id_ok = ilen == UUID_STR_LEN && ids_uuid_valid(id, ilen);
    /* the reader decodes up to 1535 bytes of JSON; base64url carries 3 bytes in 4 characters */
    int fits = clen * 3 / 4 <= 1535;
    if (rc == 0) {
        check_page(r, &p);
        FUZZ_CHECK(p.has_cursor);
        FUZZ_CHECK(strcmp(p.key, key) == 0);
        FUZZ_CHECK(strcmp(p.id, id) == 0);
    } else {
        FUZZ_CHECK(!id_ok || klen >= sizeof(p.key) || !fits);
    }
out:
    fuzz_req_free(r);
    free(key);
    free(id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0]) {
    case 'q':
        read_query(data + 1, size - 1);
        break;
    case 'j':
        read_cursor_json(data + 1, size - 1);
        break;
    case 'r':
        round_trip(data + 1, size - 1);
        break;
    default:
        read_query(data, size);
        break;
    }
    return 0;
}
