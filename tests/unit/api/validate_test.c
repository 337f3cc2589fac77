/* Tests of src/api/validate.c: every body_* reader, body_array, body_only/forbid_fields, query_int, valid_date. */
#include "../unit.h"

#include <jansson.h>
#include <limits.h>

#include "api/validate.h"

static int setup(void **state)
{
    req_t *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return -1;
    arena_init(&r->arena);
    req_reset(r);
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    req_t *r = *state;
    req_release(r);
    arena_destroy(&r->arena);
    free(r);
    return 0;
}

/* Starts a new request whose body is the JSON text (or no body for NULL). */
static void body(req_t *r, const char *text)
{
    req_release(r);
    req_reset(r);
    if (text != NULL) {
        json_error_t jerr;
        r->json = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
        if (r->json == NULL)
            fail_msg("bad test JSON %s: %s", text, jerr.text);
    }
}

/* Expects exactly one field error, on field, with message msg (NULL: any). */
static void expect_error(req_t *r, const char *field, const char *msg)
{
    if (r->err.nfields != 1)
        fail_msg("%d field errors, want 1 (on %s)", r->err.nfields, field);
    assert_string_equal(r->err.fields[0].field, field);
    if (msg != NULL)
        assert_string_equal(r->err.fields[0].message, msg);
    assert_int_equal(res_check_fields(r), -1);
    assert_int_equal(r->err.code, ERR_VALIDATION);
    assert_int_equal(error_status(r->err.code), 422);
}

static void expect_no_error(req_t *r)
{
    if (r->err.nfields != 0)
        fail_msg("unexpected field error on %s: %s", r->err.fields[0].field, r->err.fields[0].message);
    assert_int_equal(res_check_fields(r), 0);
}

static const char *const SENTINEL = "untouched";

/* ---- body_string ---- */

static void string_present_absent_null(void **state)
{
    req_t *r = *state;
    const char *out = SENTINEL;
    body(r, "{\"name\":\"Alice\",\"nil\":null}");
    assert_int_equal(body_string(r, "name", 1, 1, 100, &out), 1);
    assert_string_equal(out, "Alice");
    out = SENTINEL;
    assert_int_equal(body_string(r, "missing", 0, 1, 100, &out), 0);
    assert_ptr_equal(out, SENTINEL);
    assert_int_equal(body_string(r, "nil", 0, 1, 100, &out), 0);
    assert_ptr_equal(out, SENTINEL);
    expect_no_error(r);

    body(r, "{\"nil\":null}");
    assert_int_equal(body_string(r, "name", 1, 1, 100, &out), -1);
    expect_error(r, "name", "is required");
    body(r, "{\"nil\":null}");
    assert_int_equal(body_string(r, "nil", 1, 1, 100, &out), -1);
    expect_error(r, "nil", "is required");
    assert_ptr_equal(out, SENTINEL);

    /* no body at all */
    body(r, NULL);
    assert_int_equal(body_string(r, "name", 0, 1, 100, &out), 0);
    assert_int_equal(body_string(r, "name", 1, 1, 100, &out), -1);
    expect_error(r, "name", "is required");
}

static void string_wrong_types(void **state)
{
    req_t *r = *state;
    static const char *const docs[] = {
        "{\"s\":1}", "{\"s\":1.5}", "{\"s\":true}", "{\"s\":false}", "{\"s\":{}}", "{\"s\":[\"a\"]}",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        const char *out = SENTINEL;
        body(r, docs[i]);
        assert_int_equal(body_string(r, "s", 0, 0, 100, &out), -1);
        expect_error(r, "s", "must be a string");
        assert_ptr_equal(out, SENTINEL);
    }
}

static void string_length_in_code_points(void **state)
{
    req_t *r = *state;
    const char *out;
    /* "é" is two bytes and one character */
    body(r, "{\"s\":\"\xc3\xa9\"}");
    assert_int_equal(body_string(r, "s", 1, 1, 1, &out), 1);
    assert_string_equal(out, "\xc3\xa9");
    /* escaped in the JSON text, the same */
    body(r, "{\"s\":\"\\u00e9\"}");
    assert_int_equal(body_string(r, "s", 1, 1, 1, &out), 1);
    /* a 4-byte character (and a surrogate pair in the JSON text) is one character */
    body(r, "{\"s\":\"\\ud83d\\ude00\"}");
    assert_int_equal(body_string(r, "s", 1, 1, 1, &out), 1);
    /* five 2-byte characters fit a maximum of 5; six do not */
    body(r, "{\"s\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",\"t\":"
            "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}");
    assert_int_equal(body_string(r, "s", 1, 2, 5, &out), 1);
    expect_no_error(r);
    assert_int_equal(body_string(r, "t", 1, 2, 5, &out), -1);
    expect_error(r, "t", "must be 2 to 5 characters long");
    /* too short */
    body(r, "{\"s\":\"a\"}");
    assert_int_equal(body_string(r, "s", 1, 2, 5, &out), -1);
    expect_error(r, "s", "must be 2 to 5 characters long");
    /* bounds are inclusive */
    body(r, "{\"s\":\"ab\",\"t\":\"abcde\"}");
    assert_int_equal(body_string(r, "s", 1, 2, 5, &out), 1);
    assert_int_equal(body_string(r, "t", 1, 2, 5, &out), 1);
    expect_no_error(r);
}

static void string_empty(void **state)
{
    req_t *r = *state;
    const char *out = SENTINEL;
    body(r, "{\"s\":\"\"}");
    assert_int_equal(body_string(r, "s", 1, 1, 10, &out), -1);
    expect_error(r, "s", "must not be empty");
    /* an empty string is present, so "not required" does not make it acceptable */
    body(r, "{\"s\":\"\"}");
    assert_int_equal(body_string(r, "s", 0, 1, 10, &out), -1);
    expect_error(r, "s", "must not be empty");
    /* unless the minimum is 0 */
    body(r, "{\"s\":\"\"}");
    assert_int_equal(body_string(r, "s", 1, 0, 10, &out), 1);
    assert_string_equal(out, "");
}

static void string_surrounding_whitespace(void **state)
{
    req_t *r = *state;
    static const char *const bad[] = {
        " a", "a ", "\\ta", "a\\t", "  ", "\\na", "a\\n", "a\\r\\n", "\\ra",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char doc[64];
        snprintf(doc, sizeof(doc), "{\"s\":\"%s\"}", bad[i]);
        body(r, doc);
        const char *out = SENTINEL;
        if (body_string(r, "s", 1, 1, 10, &out) != -1)
            fail_msg("accepted %s", doc);
        expect_error(r, "s", "must not start or end with whitespace");
        assert_ptr_equal(out, SENTINEL);
    }
    /* control characters other than tab and line breaks: anywhere */
    static const char *const controls[] = {"\\u000ba", "a\\f", "a\\u0001b", "\\u007f", "a\\u001fb"};
    for (size_t i = 0; i < sizeof(controls) / sizeof(controls[0]); i++) {
        char doc[64];
        snprintf(doc, sizeof(doc), "{\"s\":\"%s\"}", controls[i]);
        body(r, doc);
        const char *out = SENTINEL;
        if (body_string(r, "s", 1, 1, 10, &out) != -1)
            fail_msg("accepted %s", doc);
        expect_error(r, "s", "must not contain control characters");
    }
    /* whitespace inside is fine */
    body(r, "{\"s\":\"Mary Ann\\tLee\"}");
    const char *out;
    assert_int_equal(body_string(r, "s", 1, 1, 20, &out), 1);
    expect_no_error(r);
}

/* ---- body_int ---- */

static void int_values(void **state)
{
    req_t *r = *state;
    long long out = -99;
    body(r, "{\"n\":5,\"lo\":1,\"hi\":10,\"neg\":-3,\"nil\":null}");
    assert_int_equal(body_int(r, "n", 1, 1, 10, &out), 1);
    assert_int_equal(out, 5);
    assert_int_equal(body_int(r, "lo", 1, 1, 10, &out), 1);
    assert_int_equal(out, 1);
    assert_int_equal(body_int(r, "hi", 1, 1, 10, &out), 1);
    assert_int_equal(out, 10);
    assert_int_equal(body_int(r, "neg", 1, -5, 0, &out), 1);
    assert_int_equal(out, -3);
    out = -99;
    assert_int_equal(body_int(r, "missing", 0, 1, 10, &out), 0);
    assert_int_equal(body_int(r, "nil", 0, 1, 10, &out), 0);
    assert_int_equal(out, -99);
    expect_no_error(r);

    assert_int_equal(body_int(r, "missing", 1, 1, 10, &out), -1);
    expect_error(r, "missing", "is required");

    body(r, "{\"n\":0}");
    assert_int_equal(body_int(r, "n", 1, 1, 10, &out), -1);
    expect_error(r, "n", "must be from 1 to 10");
    body(r, "{\"n\":11}");
    assert_int_equal(body_int(r, "n", 1, 1, 10, &out), -1);
    expect_error(r, "n", "must be from 1 to 10");
    assert_int_equal(out, -99);

    body(r, "{\"big\":9223372036854775807,\"small\":-9223372036854775808}");
    assert_int_equal(body_int(r, "big", 1, LLONG_MIN, LLONG_MAX, &out), 1);
    assert_true(out == LLONG_MAX);
    assert_int_equal(body_int(r, "small", 1, LLONG_MIN, LLONG_MAX, &out), 1);
    assert_true(out == LLONG_MIN);
}

static void int_wrong_types(void **state)
{
    req_t *r = *state;
    static const char *const docs[] = {
        "{\"n\":1.0}", "{\"n\":1.5}", "{\"n\":1e2}", "{\"n\":\"5\"}", "{\"n\":true}", "{\"n\":[1]}", "{\"n\":{}}",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        long long out = -99;
        body(r, docs[i]);
        assert_int_equal(body_int(r, "n", 1, 0, 100, &out), -1);
        expect_error(r, "n", "must be an integer");
        assert_int_equal(out, -99);
    }
}

/* ---- body_bool ---- */

static void bool_values(void **state)
{
    req_t *r = *state;
    int out = -1;
    body(r, "{\"t\":true,\"f\":false,\"nil\":null}");
    assert_int_equal(body_bool(r, "t", 1, &out), 1);
    assert_int_equal(out, 1);
    assert_int_equal(body_bool(r, "f", 1, &out), 1);
    assert_int_equal(out, 0);
    out = -1;
    assert_int_equal(body_bool(r, "nil", 0, &out), 0);
    assert_int_equal(body_bool(r, "missing", 0, &out), 0);
    assert_int_equal(out, -1);
    expect_no_error(r);
    assert_int_equal(body_bool(r, "nil", 1, &out), -1);
    expect_error(r, "nil", "is required");

    static const char *const bad[] = {"{\"b\":1}", "{\"b\":0}", "{\"b\":\"true\"}", "{\"b\":[]}"};
    for (size_t i = 0; i < 4; i++) {
        body(r, bad[i]);
        assert_int_equal(body_bool(r, "b", 0, &out), -1);
        expect_error(r, "b", "must be true or false");
        assert_int_equal(out, -1);
    }
}

/* ---- body_enum ---- */

static void enum_values(void **state)
{
    req_t *r = *state;
    static const char *const kinds[] = {"day", "boarding", "hostel", NULL};
    int out = -1;
    body(r, "{\"k\":\"boarding\",\"first\":\"day\",\"nil\":null}");
    assert_int_equal(body_enum(r, "k", 1, kinds, &out), 1);
    assert_int_equal(out, 1);
    assert_int_equal(body_enum(r, "first", 1, kinds, &out), 1);
    assert_int_equal(out, 0);
    out = -1;
    assert_int_equal(body_enum(r, "nil", 0, kinds, &out), 0);
    assert_int_equal(body_enum(r, "missing", 0, kinds, &out), 0);
    assert_int_equal(out, -1);
    expect_no_error(r);
    assert_int_equal(body_enum(r, "missing", 1, kinds, &out), -1);
    expect_error(r, "missing", "is required");

    static const char *const bad[] = {"{\"k\":\"Day\"}", "{\"k\":\"\"}",      "{\"k\":\"day \"}",
                                      "{\"k\":0}",       "{\"k\":[\"day\"]}", "{\"k\":true}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        body(r, bad[i]);
        assert_int_equal(body_enum(r, "k", 1, kinds, &out), -1);
        expect_error(r, "k", "must be one of: day, boarding, hostel");
        assert_int_equal(out, -1);
    }

    /* a long list makes a long message */
    static const char *const many[] = {"a0",
                                       "a1",
                                       "a2",
                                       "a3",
                                       "a4",
                                       "a5",
                                       "a6",
                                       "a7",
                                       "a8",
                                       "a9",
                                       "b0",
                                       "b1",
                                       "b2",
                                       "b3",
                                       "b4",
                                       "b5",
                                       "b6",
                                       "b7",
                                       "b8",
                                       "b9",
                                       "c0",
                                       "c1",
                                       "c2",
                                       "c3",
                                       "c4",
                                       "c5",
                                       "c6",
                                       "c7",
                                       "c8",
                                       "c9",
                                       "d0",
                                       "d1",
                                       "d2",
                                       "d3",
                                       "d4",
                                       "d5",
                                       "d6",
                                       "d7",
                                       "d8",
                                       "d9",
                                       "e0",
                                       "e1",
                                       "e2",
                                       "e3",
                                       "e4",
                                       "e5",
                                       "e6",
                                       "e7",
                                       "long-value-number-one",
                                       "long-value-number-two",
                                       NULL};
    body(r, "{\"k\":\"zz\"}");
    assert_int_equal(body_enum(r, "k", 1, many, &out), -1);
    assert_true(starts_with(r->err.fields[0].message, "must be one of: a0, a1, a2"));
    assert_non_null(strstr(r->err.fields[0].message, ", long-value-number-one, long-value-number-two"));
}

/* ---- body_date ---- */

static void dates(void **state)
{
    req_t *r = *state;
    static const char *const good[] = {
        "2024-02-29", "2000-02-29", "2023-02-28", "2024-01-31", "2024-04-30",
        "2024-12-31", "0001-01-01", "9999-12-31", "1900-02-28",
    };
    static const char *const bad[] = {
        "2023-02-29", "2100-02-29", "1900-02-29",           "2024-02-30",  "2024-04-31",  "2024-06-31",
        "2024-13-01", "2024-00-10", "2024-01-00",           "2024-01-32",  "0000-01-01",  "2024-1-01",
        "24-01-01",   "2024/01/01", "2024-01-01T00:00:00Z", " 2024-01-01", "2024-01-01 ", "2024-01-1a",
        "",           "20240101",   "2024-01--1",           "+024-01-01",  "2024-0a-01",  "2024-01-01\n",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!valid_date(good[i]))
            fail_msg("valid_date rejects %s", good[i]);
        char doc[64];
        snprintf(doc, sizeof(doc), "{\"d\":\"%s\"}", good[i]);
        body(r, doc);
        const char *out = NULL;
        assert_int_equal(body_date(r, "d", 1, &out), 1);
        assert_string_equal(out, good[i]);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (valid_date(bad[i]))
            fail_msg("valid_date accepts \"%s\"", bad[i]);
        json_t *doc = json_pack("{s:s}", "d", bad[i]);
        body(r, NULL);
        r->json = doc;
        const char *out = SENTINEL;
        assert_int_equal(body_date(r, "d", 1, &out), -1);
        expect_error(r, "d", "must be a date YYYY-MM-DD");
        assert_ptr_equal(out, SENTINEL);
    }
    body(r, "{\"d\":20240101,\"nil\":null}");
    const char *out = SENTINEL;
    assert_int_equal(body_date(r, "d", 1, &out), -1);
    expect_error(r, "d", "must be a date YYYY-MM-DD");
    body(r, "{\"nil\":null}");
    assert_int_equal(body_date(r, "nil", 0, &out), 0);
    assert_int_equal(body_date(r, "missing", 0, &out), 0);
    expect_no_error(r);
    assert_int_equal(body_date(r, "missing", 1, &out), -1);
    expect_error(r, "missing", "is required");
    assert_ptr_equal(out, SENTINEL);
}

/* ---- body_uuid ---- */

static void uuids(void **state)
{
    req_t *r = *state;
    const char *out = SENTINEL;
    body(r, "{\"id\":\"01890a5d-ac96-774b-bcce-b302099a8057\",\"nil\":null}");
    assert_int_equal(body_uuid(r, "id", 1, &out), 1);
    assert_string_equal(out, "01890a5d-ac96-774b-bcce-b302099a8057");
    out = SENTINEL;
    assert_int_equal(body_uuid(r, "nil", 0, &out), 0);
    assert_int_equal(body_uuid(r, "missing", 0, &out), 0);
    assert_ptr_equal(out, SENTINEL);
    expect_no_error(r);
    assert_int_equal(body_uuid(r, "missing", 1, &out), -1);
    expect_error(r, "missing", "is required");

    static const char *const bad[] = {
        "{\"id\":\"abc\"}",
        "{\"id\":\"{01890a5d-ac96-774b-bcce-b302099a8057}\"}",
        "{\"id\":\"01890a5dac96774bbcceb302099a8057\"}",
        "{\"id\":\"01890a5d-ac96-774b-bcce-b302099a805g\"}",
        "{\"id\":\"01890a5d-ac96-774b-bcce-b302099a8057\\u0000\"}",
        "{\"id\":12}",
        "{\"id\":true}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        req_release(r);
        req_reset(r);
        r->json = json_loads(bad[i], JSON_ALLOW_NUL, NULL);
        assert_non_null(r->json);
        out = SENTINEL;
        if (body_uuid(r, "id", 1, &out) != -1)
            fail_msg("accepted %s", bad[i]);
        expect_error(r, "id", "must be an id (UUID)");
        assert_ptr_equal(out, SENTINEL);
    }
}

/* ---- body_only_fields / body_forbid_fields ---- */

static void only_fields(void **state)
{
    req_t *r = *state;
    static const char *const allowed[] = {"name", "count", NULL};
    body(r, "{\"name\":\"a\",\"count\":1}");
    body_only_fields(r, allowed);
    expect_no_error(r);

    body(r, "{\"name\":\"a\",\"extra\":1,\"Name\":null}");
    body_only_fields(r, allowed);
    assert_int_equal(r->err.nfields, 2);
    int seen_extra = 0, seen_upper = 0;
    for (int i = 0; i < 2; i++) {
        seen_extra += strcmp(r->err.fields[i].field, "extra") == 0;
        seen_upper += strcmp(r->err.fields[i].field, "Name") == 0;
        assert_string_equal(r->err.fields[i].message, "is not a field of this resource, or may not be set");
    }
    assert_int_equal(seen_extra, 1);
    assert_int_equal(seen_upper, 1);
    assert_int_equal(res_check_fields(r), -1);
    assert_string_equal(r->err.detail, "Some fields are invalid.");

    body(r, "{}");
    body_only_fields(r, allowed);
    expect_no_error(r);
    static const char *const none[] = {NULL};
    body(r, "{\"a\":1}");
    body_only_fields(r, none);
    expect_error(r, "a", NULL);
    body(r, NULL);
    body_only_fields(r, allowed); /* no body: nothing to complain about */
    expect_no_error(r);
}

static void forbid_fields(void **state)
{
    req_t *r = *state;
    static const char *const forbidden[] = {"id", "tenantId", "createdAt", NULL};
    body(r, "{\"name\":\"a\"}");
    body_forbid_fields(r, forbidden);
    expect_no_error(r);

    body(r, "{\"id\":\"x\",\"name\":\"a\",\"createdAt\":null}");
    body_forbid_fields(r, forbidden);
    assert_int_equal(r->err.nfields, 2); /* present, even as null */
    assert_string_equal(r->err.fields[0].field, "id");
    assert_string_equal(r->err.fields[0].message, "may not be set");
    assert_string_equal(r->err.fields[1].field, "createdAt");
    assert_int_equal(res_check_fields(r), -1);

    body(r, NULL);
    body_forbid_fields(r, forbidden);
    expect_no_error(r);
}

/* Every reader reports its own field; a handler sees them all at once. */
static void errors_accumulate(void **state)
{
    req_t *r = *state;
    static const char *const kinds[] = {"x", "y", NULL};
    body(r, "{\"s\":1,\"n\":\"1\",\"b\":null,\"e\":\"z\",\"d\":\"2023-02-29\",\"u\":\"no\",\"ok\":\"fine\"}");
    const char *s;
    long long n;
    int b, e;
    assert_int_equal(body_string(r, "s", 1, 1, 5, &s), -1);
    assert_int_equal(body_int(r, "n", 1, 0, 5, &n), -1);
    assert_int_equal(body_bool(r, "b", 1, &b), -1);
    assert_int_equal(body_enum(r, "e", 1, kinds, &e), -1);
    assert_int_equal(body_date(r, "d", 1, &s), -1);
    assert_int_equal(body_uuid(r, "u", 1, &s), -1);
    assert_int_equal(body_string(r, "ok", 1, 1, 5, &s), 1);
    assert_int_equal(r->err.nfields, 6);
    static const char *const order[] = {"s", "n", "b", "e", "d", "u"};
    for (int i = 0; i < 6; i++)
        assert_string_equal(r->err.fields[i].field, order[i]);
    assert_int_equal(res_check_fields(r), -1);
    assert_int_equal(r->err.code, ERR_VALIDATION);
}

/* ---- query_int ---- */

static void query_ints(void **state)
{
    req_t *r = *state;
    long long out = -99;
    body(r, NULL);
    assert_int_equal(query_int(r, "limit", "10", 1, 100, &out), 0);
    assert_int_equal(out, 10);
    assert_int_equal(query_int(r, "limit", "1", 1, 100, &out), 0);
    assert_int_equal(query_int(r, "limit", "100", 1, 100, &out), 0);
    assert_int_equal(query_int(r, "offset", "-5", -10, 10, &out), 0);
    assert_int_equal(out, -5);
    expect_no_error(r);

    static const char *const bad[] = {
        "0", "101", "", "abc", "10x", "1.5", "1e3", "0x10", "99999999999999999999", "-99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        body(r, NULL);
        out = -99;
        if (query_int(r, "limit", bad[i], 1, 100, &out) != -1)
            fail_msg("query_int accepted \"%s\"", bad[i]);
        assert_int_equal(out, -99);
        assert_int_equal(r->err.code, ERR_VALIDATION);
        expect_error(r, "limit", "must be an integer from 1 to 100");
    }
}

/* ---- body_id, query_id ---- */

static void ids_in_lower_case(void **state)
{
    req_t *r = *state;
    body(r, "{\"a\": \"0190A0B2-1C3D-7E4F-8A9B-0C1D2E3F4A5B\", \"b\": \"nope\", \"n\": null}");
    assert_string_equal(body_id(r, "a", 1), "0190a0b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b");
    assert_null(body_id(r, "n", 0));
    assert_null(body_id(r, "missing", 0));
    expect_no_error(r);
    assert_null(body_id(r, "b", 0));
    expect_error(r, "b", "must be an id (UUID)");
    body(r, "{}");
    assert_null(body_id(r, "a", 1));
    expect_error(r, "a", "is required");

    body(r, NULL);
    r->query = "classId=0190A0B2-1C3D-7E4F-8A9B-0C1D2E3F4A5B&bad=x";
    r->query_len = strlen(r->query);
    assert_string_equal(query_id(r, "classId", 1), "0190a0b2-1c3d-7e4f-8a9b-0c1d2e3f4a5b");
    assert_null(query_id(r, "teacherId", 0));
    expect_no_error(r);
    assert_null(query_id(r, "teacherId", 1));
    expect_error(r, "teacherId", "is required");
    body(r, NULL);
    r->query = "bad=x";
    r->query_len = strlen(r->query);
    assert_null(query_id(r, "bad", 0));
    expect_error(r, "bad", "must be an id (UUID)");
}

/* ---- valid_instant ---- */

static void instants(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        long long ms;
    } good[] = {
        {"1970-01-01", 0},
        {"1970-01-01T00:00:00Z", 0},
        {"1970-01-01T00:00:00.001Z", 1},
        {"1969-12-31T23:59:59.999Z", -1},
        {"2026-11-27", 1795737600000LL},
        {"2026-11-27T19:30:05.250Z", 1795807805250LL},
        {"2024-02-29T12:00:00Z", 1709208000000LL},
        {"2000-03-01", 951868800000LL},
        {"0001-01-01", -62135596800000LL},
        {"9999-12-31T23:59:59.999Z", 253402300799999LL},
    };
    static const char *const bad[] = {
        "",   "2026-11-2",  "2026-11-27T", "2026-11-27Z", "2026-11-27T19:30:05", "2026-11-27T19:30Z",
        "2026-11-27T24:00:00Z", "2026-11-27T19:60:00Z", "2026-11-27T19:30:60Z", "2026-11-27T19:30:05.25Z",
        "2026-11-27T19:30:05.-99Z", "2026-11-27T19:30:05.2500Z", "2026-11-27T19:30:05+00:00",
        "2026-11-27 19:30:05Z", "2026-02-30T00:00:00Z", "2026-11-27t19:30:05z", " 2026-11-27",
        "2026-11-27T 9:30:05Z", "2026-11-27T+9:30:05Z", "2026-11-27T19:30:05.2 5Z", "2026-11-27T19:30:05Zx",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        long long ms = 42;
        if (!valid_instant(good[i].s, &ms))
            fail_msg("valid_instant rejects %s", good[i].s);
        if (ms != good[i].ms)
            fail_msg("valid_instant(%s) = %lld, not %lld", good[i].s, ms, good[i].ms);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long long ms = 42;
        if (valid_instant(bad[i], &ms))
            fail_msg("valid_instant accepts \"%s\"", bad[i]);
        assert_int_equal(ms, 42);
    }
}

/* body_array()'s reader: each item's "n" (an integer 1..9) into ctx[i]. */
static void read_item(req_t *r, size_t i, void *ctx)
{
    long long n = 0;
    body_int(r, "n", 1, 1, 9, &n);
    ((long long *)ctx)[i] = n;
}

static void arrays(void **state)
{
    req_t *r = *state;
    long long got[4] = {0};
    body(r, "{\"items\": [{\"n\": 1}, {\"n\": 2}]}");
    assert_int_equal(body_array(r, "items", 1, 3, "{n}", read_item, got), 2);
    expect_no_error(r);
    assert_true(got[0] == 1 && got[1] == 2);
    /* errors of an item are named by its index; an item that is not an object is one error */
    body(r, "{\"items\": [{\"n\": 1}, {\"n\": 10}, 5]}");
    assert_int_equal(body_array(r, "items", 1, 3, "{n}", read_item, got), 3);
    assert_int_equal(r->err.nfields, 2);
    assert_string_equal(r->err.fields[0].field, "items[1].n");
    assert_string_equal(r->err.fields[1].field, "items[2]");
    assert_string_equal(r->err.fields[1].message, "must be an object {n}");
    /* absent, not an array, too few, too many */
    body(r, "{}");
    assert_int_equal(body_array(r, "items", 1, 3, "{n}", read_item, got), -1);
    expect_error(r, "items", "is required");
    body(r, "{\"items\": {}}");
    assert_int_equal(body_array(r, "items", 1, 3, "{n}", read_item, got), -1);
    expect_error(r, "items", "must be an array of 1 to 3 items");
    body(r, "{\"items\": []}");
    assert_int_equal(body_array(r, "items", 1, 3, "{n}", read_item, got), -1);
    body(r, "{\"items\": []}");
    assert_int_equal(body_array(r, "items", 0, 3, "{n}", read_item, got), 0);
    expect_no_error(r);
    body(r, "{\"items\": [{}, {}, {}, {}]}");
    assert_int_equal(body_array(r, "items", 1, 3, "{n}", read_item, got), -1);
    expect_error(r, "items", NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(string_present_absent_null),
        T(string_wrong_types),
        T(string_length_in_code_points),
        T(string_empty),
        T(string_surrounding_whitespace),
        T(int_values),
        T(int_wrong_types),
        T(bool_values),
        T(enum_values),
        T(dates),
        T(instants),
        T(uuids),
        T(only_fields),
        T(forbid_fields),
        T(errors_accumulate),
        T(query_ints),
        T(ids_in_lower_case),
        T(arrays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
