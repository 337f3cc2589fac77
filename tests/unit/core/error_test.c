/* Tests of src/core/error.c: the code -> status/title/type map and the problem+json rendering. */
#include "../unit.h"

#include <jansson.h>

#include "core/error.h"

static const struct {
    err_code_t code;
    int status;
    const char *slug;
    const char *title;
} want[] = {
    {ERR_MALFORMED, 400, "malformed-request", "Malformed request"},
    {ERR_UNAUTHENTICATED, 401, "unauthenticated", "Authentication required"},
    {ERR_FORBIDDEN, 403, "forbidden", "Forbidden"},
    {ERR_NOT_FOUND, 404, "not-found", "Not found"},
    {ERR_METHOD, 405, "method-not-allowed", "Method not allowed"},
    {ERR_NOT_ACCEPTABLE, 406, "not-acceptable", "Not acceptable"},
    {ERR_CONFLICT, 409, "conflict", "Conflict"},
    {ERR_PRECONDITION_FAILED, 412, "precondition-failed", "Precondition failed"},
    {ERR_TOO_LARGE, 413, "payload-too-large", "Payload too large"},
    {ERR_MEDIA_TYPE, 415, "unsupported-media-type", "Unsupported media type"},
    {ERR_VALIDATION, 422, "validation", "Validation failed"},
    {ERR_PRECONDITION_REQUIRED, 428, "precondition-required", "Precondition required"},
    {ERR_RATE_LIMITED, 429, "rate-limited", "Too many requests"},
    {ERR_HEADERS_TOO_LARGE, 431, "headers-too-large", "Request header fields too large"},
    {ERR_INTERNAL, 500, "internal", "Internal server error"},
    {ERR_UNAVAILABLE, 503, "unavailable", "Service unavailable"},
    {ERR_GONE, 410, "gone", "Gone"},
};
#define NWANT (sizeof(want) / sizeof(want[0]))

static void every_code_maps(void **state)
{
    (void)state;
    assert_int_equal(NWANT, ERR__COUNT - 1); /* every code but ERR_NONE is listed above */
    for (size_t i = 0; i < NWANT; i++) {
        char type[128];
        snprintf(type, sizeof(type), "urn:school-erp:problem:%s", want[i].slug);
        assert_int_equal(error_status(want[i].code), want[i].status);
        assert_string_equal(error_title(want[i].code), want[i].title);
        assert_string_equal(error_type(want[i].code), type);
    }
}

static void statuses_are_distinct_and_invert(void **state)
{
    (void)state;
    for (size_t i = 0; i < NWANT; i++) {
        assert_int_equal(error_from_status(want[i].status), want[i].code);
        for (size_t k = i + 1; k < NWANT; k++)
            assert_int_not_equal(want[i].status, want[k].status);
    }
    for (int c = ERR_NONE + 1; c < ERR__COUNT; c++)
        assert_int_equal(error_from_status(error_status((err_code_t)c)), c);
    /* unknown statuses are internal errors */
    assert_int_equal(error_from_status(0), ERR_INTERNAL);
    assert_int_equal(error_from_status(200), ERR_INTERNAL);
    assert_int_equal(error_from_status(418), ERR_INTERNAL);
    assert_int_equal(error_from_status(502), ERR_INTERNAL);
    assert_int_equal(error_from_status(-1), ERR_INTERNAL);
}

static void out_of_range_codes_are_internal(void **state)
{
    (void)state;
    assert_int_equal(error_status(ERR_NONE), 500);
    assert_int_equal(error_status(ERR__COUNT), 500);
    assert_int_equal(error_status((err_code_t)-1), 500);
    assert_int_equal(error_status((err_code_t)1000), 500);
    assert_string_equal(error_title((err_code_t)1000), "Internal server error");
    assert_string_equal(error_type((err_code_t)-5), "urn:school-erp:problem:internal");
}

/* Renders e and parses the result; fails the test unless it is a JSON object. */
static json_t *render(const problem_t *e, const char *request_id)
{
    sbuf_t b;
    sbuf_init(&b, NULL, 0);
    error_render(e, request_id, &b);
    json_error_t jerr;
    json_t *doc = json_loads(b.p, 0, &jerr);
    if (doc == NULL)
        print_error("not JSON: %s (%s)\n", b.p, jerr.text);
    sbuf_free(&b);
    assert_non_null(doc);
    assert_true(json_is_object(doc));
    return doc;
}

static void render_minimal(void **state)
{
    (void)state;
    for (size_t i = 0; i < NWANT; i++) {
        problem_t e = {.code = want[i].code};
        json_t *doc = render(&e, NULL);
        assert_int_equal(json_object_size(doc), 3);
        assert_string_equal(json_string_value(json_object_get(doc, "type")), error_type(want[i].code));
        assert_string_equal(json_string_value(json_object_get(doc, "title")), want[i].title);
        assert_int_equal(json_integer_value(json_object_get(doc, "status")), want[i].status);
        assert_null(json_object_get(doc, "detail"));
        assert_null(json_object_get(doc, "requestId"));
        assert_null(json_object_get(doc, "errors"));
        json_decref(doc);
    }
    /* ERR_NONE and unknown codes render as internal errors */
    problem_t none = {.code = ERR_NONE};
    json_t *doc = render(&none, NULL);
    assert_int_equal(json_integer_value(json_object_get(doc, "status")), 500);
    json_decref(doc);
}

static void render_full(void **state)
{
    (void)state;
    problem_t e = {.code = ERR_VALIDATION, .detail = "Two \"fields\" are\ninvalid \\ caf\xc3\xa9"};
    error_add_field(&e, "name", "must not be empty");
    error_add_field(&e, "guardian.phone", "must be \"+\" and digits\x01");
    json_t *doc = render(&e, "req-123");
    assert_int_equal(json_integer_value(json_object_get(doc, "status")), 422);
    assert_string_equal(json_string_value(json_object_get(doc, "detail")), e.detail);
    assert_string_equal(json_string_value(json_object_get(doc, "requestId")), "req-123");
    json_t *errors = json_object_get(doc, "errors");
    assert_true(json_is_array(errors));
    assert_int_equal(json_array_size(errors), 2);
    json_t *e0 = json_array_get(errors, 0), *e1 = json_array_get(errors, 1);
    assert_int_equal(json_object_size(e0), 2);
    assert_string_equal(json_string_value(json_object_get(e0, "field")), "name");
    assert_string_equal(json_string_value(json_object_get(e0, "message")), "must not be empty");
    assert_string_equal(json_string_value(json_object_get(e1, "field")), "guardian.phone");
    assert_string_equal(json_string_value(json_object_get(e1, "message")), "must be \"+\" and digits\x01");
    json_decref(doc);

    /* detail without request id, and request id without detail */
    problem_t d = {.code = ERR_CONFLICT, .detail = "stale version"};
    doc = render(&d, NULL);
    assert_string_equal(json_string_value(json_object_get(doc, "detail")), "stale version");
    assert_null(json_object_get(doc, "requestId"));
    json_decref(doc);
    problem_t r = {.code = ERR_NOT_FOUND};
    doc = render(&r, "abc");
    assert_null(json_object_get(doc, "detail"));
    assert_string_equal(json_string_value(json_object_get(doc, "requestId")), "abc");
    json_decref(doc);
}

static void render_appends(void **state)
{
    (void)state;
    char stack[16];
    sbuf_t b;
    sbuf_init_fixed(&b, stack, sizeof(stack));
    sbuf_puts(&b, "[");
    problem_t e = {.code = ERR_FORBIDDEN};
    error_render(&e, NULL, &b);
    sbuf_puts(&b, ",");
    error_render(&e, "x", &b);
    sbuf_puts(&b, "]");
    json_t *doc = json_loads(b.p, 0, NULL);
    assert_non_null(doc);
    assert_int_equal(json_array_size(doc), 2);
    json_decref(doc);
    sbuf_free(&b);
}

static void field_overflow_drops_extras(void **state)
{
    (void)state;
    problem_t e = {.code = ERR_VALIDATION};
    char names[ERR_MAX_FIELDS + 10][16];
    for (int i = 0; i < ERR_MAX_FIELDS + 10; i++) {
        snprintf(names[i], sizeof(names[i]), "f%d", i);
        error_add_field(&e, names[i], "bad");
    }
    assert_int_equal(e.nfields, ERR_MAX_FIELDS);
    assert_string_equal(e.fields[ERR_MAX_FIELDS - 1].field, names[ERR_MAX_FIELDS - 1]);
    json_t *doc = render(&e, "id");
    json_t *errors = json_object_get(doc, "errors");
    assert_int_equal(json_array_size(errors), ERR_MAX_FIELDS);
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, 0), "field")), "f0");
    assert_string_equal(json_string_value(json_object_get(json_array_get(errors, ERR_MAX_FIELDS - 1), "field")),
                        names[ERR_MAX_FIELDS - 1]);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_code_maps),
        cmocka_unit_test(statuses_are_distinct_and_invert),
        cmocka_unit_test(out_of_range_codes_are_internal),
        cmocka_unit_test(render_minimal),
        cmocka_unit_test(render_full),
        cmocka_unit_test(render_appends),
        cmocka_unit_test(field_overflow_drops_extras),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
