/* Tests of src/http/handler.c: query parsing, error recording, responses, method names. */
#include "../unit.h"

#include <jansson.h>

#include "http/handler.h"

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

static void set_query(req_t *r, const char *q)
{
    r->query = q;
    r->query_len = strlen(q);
    r->q.n = -1;
}

static void reset_state(void **state)
{
    req_t *r = *state;
    assert_string_equal(r->query, "");
    assert_int_equal(r->query_len, 0);
    assert_int_equal(r->q.n, -1);
    assert_int_equal(r->nparams, 0);
    assert_null(r->json);
    assert_null(r->body);
    assert_int_equal(r->err.code, ERR_NONE);
    assert_int_equal(r->res.status, 0);
    assert_null(req_query(r, "a")); /* no query at all */
    assert_null(req_param(r, 0));
}

static void query_basic(void **state)
{
    req_t *r = *state;
    set_query(r, "a=1&b=two&c=");
    assert_string_equal(req_query(r, "a"), "1");
    assert_string_equal(req_query(r, "b"), "two");
    assert_string_equal(req_query(r, "c"), "");
    assert_null(req_query(r, "d"));
    assert_null(req_query(r, "A")); /* names are case-sensitive */
    assert_null(req_query(r, ""));
    assert_int_equal(r->q.n, 3); /* parsed once and kept */
}

static void query_decoding(void **state)
{
    req_t *r = *state;
    set_query(r, "name=John+Smith&q=%41%42c&k%20x=v&plus=%2B&amp=%26&eq=a=b&utf=caf%C3%A9&sp=a%20b+c");
    assert_string_equal(req_query(r, "name"), "John Smith");
    assert_string_equal(req_query(r, "q"), "ABc");
    assert_string_equal(req_query(r, "k x"), "v");
    assert_string_equal(req_query(r, "plus"), "+");
    assert_string_equal(req_query(r, "amp"), "&");
    assert_string_equal(req_query(r, "eq"), "a=b"); /* only the first '=' separates */
    assert_string_equal(req_query(r, "utf"), "caf\xc3\xa9");
    assert_string_equal(req_query(r, "sp"), "a b c");
}

static void query_malformed_escapes_kept(void **state)
{
    req_t *r = *state;
    set_query(r, "a=%zz&b=%&c=%4&d=100%&n=%00&e=x%2");
    assert_string_equal(req_query(r, "a"), "%zz");
    assert_string_equal(req_query(r, "b"), "%");
    assert_string_equal(req_query(r, "c"), "%4");
    assert_string_equal(req_query(r, "d"), "100%");
    assert_string_equal(req_query(r, "n"), "%00"); /* never a NUL inside a value */
    assert_string_equal(req_query(r, "e"), "x%2");
}

static void query_missing_values_and_repeats(void **state)
{
    req_t *r = *state;
    set_query(r, "flag&x=1&x=2&&=nokey&flag=later&");
    assert_string_equal(req_query(r, "flag"), ""); /* present without a value */
    assert_string_equal(req_query(r, "x"), "1");   /* the first of repeated keys */
    assert_string_equal(req_query(r, ""), "nokey");
    assert_null(req_query(r, "nokey"));
    assert_int_equal(r->q.n, 5);

    set_query(r, "&&&");
    assert_null(req_query(r, "a"));
    assert_int_equal(r->q.n, 0);

    set_query(r, "only");
    assert_string_equal(req_query(r, "only"), "");
}

static void query_respects_length(void **state)
{
    req_t *r = *state;
    r->query = "a=1&b=2&c=3";
    r->query_len = 5; /* "a=1&b" */
    r->q.n = -1;
    assert_string_equal(req_query(r, "a"), "1");
    assert_string_equal(req_query(r, "b"), "");
    assert_null(req_query(r, "c"));
}

static void fail_records_error(void **state)
{
    req_t *r = *state;
    assert_int_equal(res_fail(r, ERR_CONFLICT, "version %d is stale (%s)", 3, "etag"), -1);
    assert_int_equal(r->err.code, ERR_CONFLICT);
    assert_string_equal(r->err.detail, "version 3 is stale (etag)");

    assert_int_equal(res_fail(r, ERR_NOT_FOUND, NULL), -1);
    assert_int_equal(r->err.code, ERR_NOT_FOUND);
    assert_string_equal(r->err.detail, "version 3 is stale (etag)"); /* NULL fmt keeps the detail */

    char big[1000];
    memset(big, 'd', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    res_fail(r, ERR_MALFORMED, "%s", big);
    assert_string_equal(r->err.detail, big);
}

static void field_errors(void **state)
{
    req_t *r = *state;
    assert_int_equal(res_check_fields(r), 0);
    assert_int_equal(r->err.code, ERR_NONE);

    char field[16] = "name";
    res_field_error(r, field, "must be %d to %d characters long", 1, 100);
    snprintf(field, sizeof(field), "XXXX"); /* the field name was copied */
    assert_int_equal(r->err.nfields, 1);
    assert_string_equal(r->err.fields[0].field, "name");
    assert_string_equal(r->err.fields[0].message, "must be 1 to 100 characters long");
    assert_int_equal(r->err.code, ERR_NONE); /* only res_check_fields decides */

    assert_int_equal(res_check_fields(r), -1);
    assert_int_equal(r->err.code, ERR_VALIDATION);
    assert_string_equal(r->err.detail, "One field is invalid.");
}

static void field_errors_plural_and_kept_code(void **state)
{
    req_t *r = *state;
    res_field_error(r, "a", "bad");
    res_field_error(r, "b", "bad %s", "too");
    assert_int_equal(res_check_fields(r), -1);
    assert_string_equal(r->err.detail, "Some fields are invalid.");
    assert_int_equal(r->err.code, ERR_VALIDATION);

    /* a code or detail set before is kept */
    req_reset(r);
    res_fail(r, ERR_MALFORMED, "bad query");
    res_field_error(r, "limit", "must be a number");
    assert_int_equal(res_check_fields(r), -1);
    assert_int_equal(r->err.code, ERR_MALFORMED);
    assert_string_equal(r->err.detail, "bad query");

    /* more than ERR_MAX_FIELDS are dropped quietly */
    req_reset(r);
    for (int i = 0; i < ERR_MAX_FIELDS + 5; i++)
        res_field_error(r, "f", "m%d", i);
    assert_int_equal(r->err.nfields, ERR_MAX_FIELDS);
    assert_string_equal(r->err.fields[ERR_MAX_FIELDS - 1].message, "m31");
}

static void json_response(void **state)
{
    req_t *r = *state;
    json_t *body = json_pack("{s:s,s:i,s:[i,i]}", "name", "caf\xc3\xa9 \"x\"", "n", 7, "a", 1, 2);
    assert_int_equal(res_json(r, 201, body), 0); /* the reference is stolen: ASan checks it is released */
    assert_int_equal(r->res.status, 201);
    assert_string_equal(r->res.content_type, "application/json");
    assert_int_equal(r->res.body_len, strlen(r->res.body));
    json_t *back = json_loadb(r->res.body, r->res.body_len, 0, NULL);
    assert_non_null(back);
    assert_string_equal(json_string_value(json_object_get(back, "name")), "caf\xc3\xa9 \"x\"");
    assert_int_equal(json_integer_value(json_object_get(back, "n")), 7);
    json_decref(back);
    assert_null(strchr(r->res.body, '\n')); /* compact */

    json_t *arr = json_array();
    for (int i = 0; i < 5000; i++)
        json_array_append_new(arr, json_integer(i));
    res_json(r, 200, arr);
    assert_int_equal(r->res.status, 200);
    assert_true(r->res.body_len > 5000);
    assert_int_equal(r->res.body[r->res.body_len], '\0');
    assert_int_equal(r->res.body[r->res.body_len - 1], ']');
}

/* A scalar is a JSON text too (RFC 8259), but json_dumpb() without JSON_ENCODE_ANY writes nothing for it. */
static void json_response_scalar(void **state)
{
    req_t *r = *state;
    res_json(r, 200, json_string("ok"));
    assert_string_equal(r->res.body, "\"ok\"");
    res_json(r, 200, json_integer(5));
    assert_string_equal(r->res.body, "5");
}

/* One rendering pass into arena memory; appended after what a buffer holds; a value jansson refuses is NULL. */
static void json_render_once(void **state)
{
    req_t *r = *state;
    size_t len = 0;
    json_t *v = json_pack("{s:[i,i],s:s}", "a", 1, 2, "b", "x");
    char *text = json_render(&r->arena, v, JSON_COMPACT, &len);
    assert_string_equal(text, "{\"a\":[1,2],\"b\":\"x\"}");
    assert_int_equal(len, strlen(text));
    sbuf_t b;
    sbuf_init(&b, &r->arena, 4);
    sbuf_puts(&b, "pre:");
    assert_int_equal(json_render_to(&b, v, JSON_COMPACT), 0);
    assert_string_equal(b.p, "pre:{\"a\":[1,2],\"b\":\"x\"}");
    json_decref(v);
    json_t *scalar = json_integer(5); /* not a document without JSON_ENCODE_ANY */
    assert_null(json_render(&r->arena, scalar, JSON_COMPACT, &len));
    json_decref(scalar);
}

/* Reals print with 15 significant digits, so a value rounded to 4 decimals reads as such. */
static void json_response_reals_are_short(void **state)
{
    req_t *r = *state;
    res_json(r, 200, json_pack("[f,f,f]", 0.8333, 0.1, 1.0));
    assert_string_equal(r->res.body, "[0.8333,0.1,1.0]");
}

static void body_and_empty_responses(void **state)
{
    req_t *r = *state;
    assert_int_equal(res_body(r, 200, "text/plain", "hello", 5), 0);
    assert_int_equal(r->res.status, 200);
    assert_string_equal(r->res.content_type, "text/plain");
    assert_memory_equal(r->res.body, "hello", 5);
    assert_int_equal(r->res.body_len, 5);
    assert_int_equal(res_empty(r, 204), 0);
    assert_int_equal(r->res.status, 204);
    assert_null(r->res.content_type);
    assert_null(r->res.body);
    assert_int_equal(r->res.body_len, 0);
}

static void headers_are_bounded(void **state)
{
    req_t *r = *state;
    for (int i = 0; i < RES_MAX_HEADERS + 3; i++)
        res_header(r, "x-n", "v");
    assert_int_equal(r->res.nheaders, RES_MAX_HEADERS);
}

static json_t *parse_body(const req_t *r)
{
    json_t *doc = json_loadb(r->res.body, r->res.body_len, 0, NULL);
    assert_non_null(doc);
    return doc;
}

static void render_error(void **state)
{
    req_t *r = *state;
    snprintf(r->request_id, sizeof(r->request_id), "rid-1");
    res_field_error(r, "name", "is required");
    res_check_fields(r);
    res_render_error(r);
    assert_int_equal(r->res.status, 422);
    assert_string_equal(r->res.content_type, "application/problem+json");
    assert_int_equal(r->res.nheaders, 0); /* no Retry-After */
    json_t *doc = parse_body(r);
    assert_int_equal(json_integer_value(json_object_get(doc, "status")), 422);
    assert_string_equal(json_string_value(json_object_get(doc, "type")), "urn:school-erp:problem:validation");
    assert_string_equal(json_string_value(json_object_get(doc, "requestId")), "rid-1");
    assert_string_equal(json_string_value(json_object_get(doc, "detail")), "One field is invalid.");
    assert_int_equal(json_array_size(json_object_get(doc, "errors")), 1);
    json_decref(doc);
}

static void render_error_retry_after(void **state)
{
    req_t *r = *state;
    r->err.retry_after = 30;
    res_fail(r, ERR_UNAVAILABLE, "busy");
    res_render_error(r);
    assert_int_equal(r->res.status, 503);
    assert_int_equal(r->res.nheaders, 1);
    assert_string_equal(r->res.headers[0].name, "retry-after");
    assert_string_equal(r->res.headers[0].value, "30");
    json_t *doc = parse_body(r);
    assert_int_equal(json_integer_value(json_object_get(doc, "status")), 503);
    assert_string_equal(json_string_value(json_object_get(doc, "detail")), "busy");
    json_decref(doc);

    req_reset(r);
    r->err.retry_after = 1;
    res_fail(r, ERR_RATE_LIMITED, NULL);
    res_render_error(r);
    assert_int_equal(r->res.status, 429);
    assert_string_equal(r->res.headers[0].value, "1");
}

static void render_error_without_code_is_500(void **state)
{
    req_t *r = *state;
    res_render_error(r);
    assert_int_equal(r->res.status, 500);
    assert_int_equal(r->err.code, ERR_INTERNAL);
    json_t *doc = parse_body(r);
    assert_int_equal(json_integer_value(json_object_get(doc, "status")), 500);
    json_decref(doc);
}

static void release_frees_json_and_arena(void **state)
{
    req_t *r = *state;
    r->json = json_pack("{s:s}", "k", "v");
    arena_alloc(&r->arena, 5000);
    req_release(r); /* ASan: the JSON must be gone */
    assert_null(r->json);
    assert_int_equal(r->arena.allocated, 0);
    assert_null(r->arena.large);
    req_reset(r);
    set_query(r, "a=1");
    assert_string_equal(req_query(r, "a"), "1"); /* the arena works after release */
}

/* handler.h: req_reset zeroes the fields but keeps the arena as it is; req_release empties it. */
static void reset_keeps_arena(void **state)
{
    req_t *r = *state;
    arena_alloc(&r->arena, 100);
    r->res.status = 200;
    req_reset(r);
    assert_int_equal(r->arena.allocated, 100);
    assert_int_equal(r->res.status, 0);
    assert_null(r->route);
}

static void methods(void **state)
{
    (void)state;
    static const struct {
        http_method_t m;
        const char *name;
        int index;
    } all[] = {
        {HTTP_GET, "GET", 0},     {HTTP_HEAD, "HEAD", 1},     {HTTP_POST, "POST", 2},       {HTTP_PUT, "PUT", 3},
        {HTTP_PATCH, "PATCH", 4}, {HTTP_DELETE, "DELETE", 5}, {HTTP_OPTIONS, "OPTIONS", 6},
    };
    for (size_t i = 0; i < HTTP_METHOD_COUNT; i++) {
        assert_string_equal(http_method_name(all[i].m), all[i].name);
        assert_int_equal(http_method_index(all[i].m), all[i].index);
        assert_int_equal(http_method_parse(all[i].name, strlen(all[i].name)), all[i].m);
    }
    assert_string_equal(http_method_name((http_method_t)0), "");
    assert_string_equal(http_method_name(HTTP_GET | HTTP_POST), "");
    assert_int_equal(http_method_index((http_method_t)0), -1);
    assert_int_equal(http_method_parse("get", 3), 0);
    assert_int_equal(http_method_parse("GETX", 4), 0);
    assert_int_equal(http_method_parse("GETX", 3), HTTP_GET);
    assert_int_equal(http_method_parse("", 0), 0);
    assert_int_equal(http_method_parse("TRACE", 5), 0);

    assert_string_equal(http_reason(200), "OK");
    assert_string_equal(http_reason(404), "Not Found");
    assert_string_equal(http_reason(422), "Unprocessable Content");
    assert_string_equal(http_reason(503), "Service Unavailable");
    assert_string_equal(http_reason(599), "Unknown");
    /* every status the error map can produce has a reason phrase */
    for (int c = ERR_NONE + 1; c < ERR__COUNT; c++)
        assert_string_not_equal(http_reason(error_status((err_code_t)c)), "Unknown");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(reset_state),
        T(query_basic),
        T(query_decoding),
        T(query_malformed_escapes_kept),
        T(query_missing_values_and_repeats),
        T(query_respects_length),
        T(fail_records_error),
        T(field_errors),
        T(field_errors_plural_and_kept_code),
        T(json_response),
        T(json_response_scalar),
        T(json_render_once),
        T(json_response_reals_are_short),
        T(body_and_empty_responses),
        T(headers_are_bounded),
        T(render_error),
        T(render_error_retry_after),
        T(render_error_without_code_is_500),
        T(release_frees_json_and_arena),
        T(reset_keeps_arena),
        cmocka_unit_test(methods),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
