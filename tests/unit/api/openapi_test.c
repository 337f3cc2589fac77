/* Tests of src/api/openapi.c: the document agrees with the route table and is self-consistent. */
#include "../unit.h"

#include <ctype.h>
#include <jansson.h>

#include "api/api.h"
#include "api/openapi.h"
#include "auth/roles.h"

static char err[512];

static const char *lower_method(http_method_t m, char buf[16])
{
    const char *name = http_method_name(m);
    size_t i = 0;
    for (; name[i] != '\0' && i < 15; i++)
        buf[i] = (char)tolower((unsigned char)name[i]);
    buf[i] = '\0';
    return buf;
}

static json_t *build(const route_t *routes, size_t n, int include_test)
{
    err[0] = '\0';
    return openapi_build(routes, n, include_test, err, sizeof(err));
}

static json_t *op_of(json_t *doc, const route_t *r)
{
    char m[16];
    return json_object_get(json_object_get(json_object_get(doc, "paths"), r->path), lower_method(r->method, m));
}

static int has_response(json_t *op, int status)
{
    char key[8];
    snprintf(key, sizeof(key), "%d", status);
    return json_object_get(json_object_get(op, "responses"), key) != NULL;
}

/* The parameter of op called name in location in, or NULL. */
static json_t *param(json_t *op, const char *in, const char *name)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(op, "parameters"), i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "in")), in) == 0 &&
            strcmp(json_string_value(json_object_get(p, "name")), name) == 0)
            return p;
    }
    return NULL;
}

/* Resolves a local JSON pointer ("#/a/b") in doc; NULL when it does not resolve. */
static json_t *resolve(json_t *doc, const char *ref)
{
    if (strncmp(ref, "#/", 2) != 0)
        return NULL;
    json_t *cur = doc;
    const char *p = ref + 2;
    while (cur != NULL && *p != '\0') {
        const char *slash = strchr(p, '/');
        size_t len = slash != NULL ? (size_t)(slash - p) : strlen(p);
        char key[256];
        size_t k = 0;
        for (size_t i = 0; i < len && k < sizeof(key) - 1; i++) { /* ~1 is '/', ~0 is '~' */
            if (p[i] == '~' && i + 1 < len && (p[i + 1] == '0' || p[i + 1] == '1')) {
                key[k++] = p[i + 1] == '0' ? '~' : '/';
                i++;
            } else {
                key[k++] = p[i];
            }
        }
        key[k] = '\0';
        cur = json_object_get(cur, key);
        p += len;
        if (*p == '/')
            p++;
    }
    return cur;
}

/* Checks every "$ref" under v resolves in doc, and points into components/schemas; returns how many. */
static int check_refs(json_t *doc, json_t *v)
{
    int n = 0;
    if (json_is_object(v)) {
        const char *key;
        json_t *child;
        json_object_foreach(v, key, child)
        {
            if (strcmp(key, "$ref") == 0) {
                assert_true(json_is_string(child));
                const char *ref = json_string_value(child);
                if (!starts_with(ref, "#/components/schemas/") || resolve(doc, ref) == NULL)
                    fail_msg("$ref %s does not resolve to a component schema", ref);
                n++;
            } else {
                n += check_refs(doc, child);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child)
        {
            n += check_refs(doc, child);
        }
    }
    return n;
}

/* Checks one operation against its route row. */
static void check_operation(json_t *doc, const route_t *r)
{
    json_t *op = op_of(doc, r);
    if (op == NULL)
        fail_msg("%s %s is missing from paths", http_method_name(r->method), r->path);
    assert_true(json_is_string(json_object_get(op, "operationId")));
    assert_true(json_is_string(json_object_get(op, "summary")));

    /* roles */
    json_t *roles = json_object_get(op, "x-roles");
    assert_true(json_is_array(roles));
    if (r->flags & ROUTE_PUBLIC) {
        assert_int_equal(json_array_size(roles), 1);
        assert_string_equal(json_string_value(json_array_get(roles, 0)), "public");
        /* the OneRoster binding's reads take an OAuth client's token (checked by their handlers), no account's */
        int client_token = strncmp(r->path, "/ims/oneroster/", 15) == 0 && r->method != HTTP_POST;
        assert_int_equal(json_array_size(json_object_get(op, "security")), client_token);
    } else {
        size_t want = 0;
        for (int i = 0; i < ROLE_COUNT; i++)
            if (r->roles & (1u << i)) {
                want++;
                int found = 0;
                size_t k;
                json_t *v;
                json_array_foreach(roles, k, v)
                {
                    found += strcmp(json_string_value(v), role_name(i)) == 0;
                }
                assert_int_equal(found, 1);
            }
        assert_int_equal(json_array_size(roles), want);
        assert_int_equal(json_array_size(json_object_get(op, "security")), 1);
        assert_true(has_response(op, 401));
        assert_true(has_response(op, 403));
    }

    /* responses: the success status, 500 and 503 always; each with a description */
    assert_true(has_response(op, r->status));
    assert_true(has_response(op, 500));
    assert_true(has_response(op, 503));
    const char *key;
    json_t *resp;
    json_object_foreach(json_object_get(op, "responses"), key, resp)
    {
        assert_int_equal(strlen(key), 3);
        assert_true(json_is_string(json_object_get(resp, "description")));
    }
    char skey[8];
    snprintf(skey, sizeof(skey), "%d", r->status);
    json_t *success = json_object_get(json_object_get(op, "responses"), skey);
    if (r->response_schema != NULL) {
        /* a comma-separated list of media types: each has the schema; the first is checked */
        char type[128];
        snprintf(type, sizeof(type), "%.*s", (int)strcspn(r->response_type != NULL ? r->response_type : "", ","),
                 r->response_type != NULL ? r->response_type : "");
        if (type[0] == '\0')
            snprintf(type, sizeof(type), "application/json");
        json_t *schema = json_object_get(json_object_get(json_object_get(success, "content"), type), "schema");
        assert_non_null(schema);
        char want[128];
        snprintf(want, sizeof(want), "#/components/schemas/%s", r->response_schema);
        assert_string_equal(json_string_value(json_object_get(schema, "$ref")), want);
    }
    for (const int *e = r->errors; e != NULL && *e != 0; e++)
        assert_true(has_response(op, *e));

    /* body */
    json_t *rb = json_object_get(op, "requestBody");
    if (r->flags & ROUTE_BODY) {
        assert_non_null(rb);
        assert_true(json_is_true(json_object_get(rb, "required")));
        assert_non_null(json_object_get(json_object_get(rb, "content"), "application/json"));
        assert_true(has_response(op, 400));
        assert_true(has_response(op, 413));
        assert_true(has_response(op, 415));
        assert_true(has_response(op, 422));
    } else if (r->flags & ROUTE_UPLOAD) {
        /* raw bytes of each media type it takes (the first checked), its own size limit */
        char type[128];
        snprintf(type, sizeof(type), "%.*s", (int)strcspn(r->upload_types, ","), r->upload_types);
        assert_non_null(rb);
        assert_true(json_is_true(json_object_get(rb, "required")));
        json_t *schema = json_object_get(json_object_get(json_object_get(rb, "content"), type), "schema");
        assert_string_equal(json_string_value(json_object_get(schema, "format")), "binary");
        assert_true(r->max_body > 0);
        assert_true(has_response(op, 413));
        assert_true(has_response(op, 415));
    } else {
        assert_null(rb);
    }

    /* path parameters: each {name} declared, required, and nothing else in: path */
    int npath = 0;
    for (const char *p = strchr(r->path, '{'); p != NULL; p = strchr(p + 1, '{')) {
        char name[64];
        size_t len = (size_t)(strchr(p, '}') - p - 1);
        snprintf(name, sizeof(name), "%.*s", (int)len, p + 1);
        json_t *pp = param(op, "path", name);
        if (pp == NULL)
            fail_msg("%s %s does not declare path parameter %s", http_method_name(r->method), r->path, name);
        assert_true(json_is_true(json_object_get(pp, "required")));
        assert_non_null(json_object_get(pp, "schema"));
        npath++;
    }
    size_t i;
    json_t *p;
    int declared = 0;
    json_array_foreach(json_object_get(op, "parameters"), i, p)
    {
        declared += strcmp(json_string_value(json_object_get(p, "in")), "path") == 0;
    }
    assert_int_equal(declared, npath);
    if (npath > 0)
        assert_true(has_response(op, 404));

    /* query parameters */
    for (const route_param_t *q = r->query; q != NULL && q->name != NULL; q++) {
        json_t *qp = param(op, "query", q->name);
        assert_non_null(qp);
        assert_int_equal(json_is_true(json_object_get(qp, "required")), q->required);
        json_t *want = json_loads(q->schema, 0, NULL);
        assert_non_null(want);
        assert_true(json_equal(json_object_get(qp, "schema"), want));
        json_decref(want);
    }
}

/* Checks the whole document for routes[0..n); returns the number of operations. */
static size_t check_document(json_t *doc, const route_t *routes, size_t n, int include_test)
{
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    assert_true(json_is_string(json_object_get(json_object_get(doc, "info"), "title")));
    assert_true(json_is_string(json_object_get(json_object_get(doc, "info"), "version")));
    json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    assert_true(json_is_object(schemas));
    assert_non_null(json_object_get(schemas, "Problem"));
    assert_non_null(
        json_object_get(json_object_get(json_object_get(doc, "components"), "securitySchemes"), "bearerAuth"));
    /* the test routes' schemas only with the test routes */
    const char *name;
    json_t *v;
    int test_schemas = 0;
    json_object_foreach(schemas, name, v) test_schemas += strncmp(name, "Test", 4) == 0;
    if (include_test)
        assert_true(test_schemas >= 3);
    else
        assert_int_equal(test_schemas, 0);

    size_t expected = 0;
    for (size_t i = 0; i < n; i++) {
        const route_t *r = &routes[i];
        if ((r->flags & ROUTE_TEST) && !include_test) {
            char m[16];
            json_t *item = json_object_get(json_object_get(doc, "paths"), r->path);
            assert_null(json_object_get(item, lower_method(r->method, m)));
            continue;
        }
        check_operation(doc, r);
        expected++;
    }

    /* no operation that is not in the table, and operationIds are unique */
    json_t *ids = json_object();
    size_t ops = 0;
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        const char *method;
        json_t *op;
        json_object_foreach(item, method, op)
        {
            const char *id = json_string_value(json_object_get(op, "operationId"));
            assert_non_null(id);
            if (json_object_get(ids, id) != NULL)
                fail_msg("operationId %s used twice (%s %s)", id, method, path);
            json_object_set_new(ids, id, json_true());
            int found = 0;
            for (size_t i = 0; i < n; i++) {
                char m[16];
                found += strcmp(routes[i].path, path) == 0 && strcmp(lower_method(routes[i].method, m), method) == 0;
            }
            if (found != 1)
                fail_msg("%s %s is in the document %d times in the table", method, path, found);
            ops++;
        }
    }
    json_decref(ids);
    assert_int_equal(ops, expected);

    /* every $ref resolves, and there are some */
    assert_true(check_refs(doc, doc) > 0);
    return ops;
}

static void product_document(void **state)
{
    (void)state;
    json_t *doc = build(api_routes, api_routes_count, 1);
    if (doc == NULL)
        fail_msg("openapi_build: %s", err);
    assert_int_equal(check_document(doc, api_routes, api_routes_count, 1), api_routes_count);
    json_decref(doc);
}

static void product_document_without_test_routes(void **state)
{
    (void)state;
    json_t *doc = build(api_routes, api_routes_count, 0);
    assert_non_null(doc);
    size_t ntest = 0;
    for (size_t i = 0; i < api_routes_count; i++)
        ntest += (api_routes[i].flags & ROUTE_TEST) != 0;
    assert_true(ntest > 0);
    assert_int_equal(check_document(doc, api_routes, api_routes_count, 0), api_routes_count - ntest);
    assert_null(json_object_get(json_object_get(doc, "paths"), "/api/v1/_test/echo"));
    json_decref(doc);
}

/* The table's documentation and behaviour agree: a body schema exactly where the router parses a body. */
static void product_table_is_consistent(void **state)
{
    (void)state;
    for (size_t i = 0; i < api_routes_count; i++) {
        const route_t *r = &api_routes[i];
        if (((r->flags & ROUTE_BODY) != 0) != (r->request_schema != NULL))
            fail_msg("%s %s: ROUTE_BODY and request_schema disagree", http_method_name(r->method), r->path);
        assert_true(r->status >= 200 && r->status <= 599);
        assert_non_null(r->summary);
        assert_non_null(r->handler);
        if (!(r->flags & ROUTE_PUBLIC))
            assert_true(r->roles != 0);
    }
}

static void building_is_deterministic(void **state)
{
    (void)state;
    json_t *a = build(api_routes, api_routes_count, 1);
    json_t *b = build(api_routes, api_routes_count, 1);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);

    /* openapi_init keeps the serialized document */
    assert_int_equal(openapi_init(api_routes, api_routes_count, 1), 0);
    size_t len = 0;
    const char *text = openapi_text(&len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    json_t *parsed = json_loadb(text, len, 0, NULL);
    json_t *built = build(api_routes, api_routes_count, 1);
    assert_true(json_equal(parsed, built));
    json_decref(parsed);
    json_decref(built);
    assert_int_equal(openapi_init(api_routes, api_routes_count, 0), 0); /* replaces the first one (ASan: no leak) */
}

static int h(req_t *r)
{
    (void)r;
    return 0;
}

static const route_param_t page_query[] = {
    {"limit", "{\"type\":\"integer\",\"minimum\":1,\"maximum\":100}", "Page size.", 0},
    {"q", "{\"type\":\"string\"}", NULL, 1},
    {NULL, NULL, NULL, 0},
};

static const route_t synthetic[] = {
    {HTTP_GET, "/api/v1/students", h, ROLE_ADMIN | ROLE_TEACHER, 0, "List students.", "students", NULL, "Health", NULL,
     200, page_query, (const int[]){429, 0}},
    {HTTP_POST, "/api/v1/students", h, ROLE_ADMIN, ROUTE_BODY, "Create a student.", "students", "Version", "Version",
     NULL, 201, NULL, (const int[]){409, 0}},
    {HTTP_GET, "/api/v1/students/{id}", h, ROLES_SCHOOL, 0, "A student.", "students", NULL, "Version", NULL, 200, NULL,
     NULL},
    {HTTP_PUT, "/api/v1/students/{id}", h, ROLE_ADMIN, ROUTE_BODY, "Replace a student.", "students", "Version", NULL,
     NULL, 204, NULL, (const int[]){409, 428, 0}},
    {HTTP_DELETE, "/api/v1/students/{studentId}/marks/{markId}", h, ROLE_TEACHER, 0, NULL, "students", NULL, NULL, NULL,
     204, NULL, NULL},
    {HTTP_GET, "/api/v1/platform/schools", h, ROLE_PLATFORM_ADMIN, ROUTE_NO_TENANT, "Schools.", "tenants", NULL, NULL,
     NULL, 200, NULL, NULL},
    {HTTP_GET, "/api/v1/_test/x", h, 0, ROUTE_PUBLIC | ROUTE_TEST, "Test only.", "testing", NULL, "MetricsText",
     "text/plain", 200, NULL, NULL},
};
#define NSYN (sizeof(synthetic) / sizeof(synthetic[0]))

static void synthetic_table(void **state)
{
    (void)state;
    for (int include_test = 0; include_test <= 1; include_test++) {
        json_t *doc = build(synthetic, NSYN, include_test);
        if (doc == NULL)
            fail_msg("openapi_build: %s", err);
        assert_int_equal(check_document(doc, synthetic, NSYN, include_test), NSYN - 1 + (size_t)include_test);
        json_t *del = op_of(doc, &synthetic[4]);
        assert_non_null(param(del, "path", "studentId"));
        assert_non_null(param(del, "path", "markId"));
        json_t *list = op_of(doc, &synthetic[0]);
        assert_string_equal(json_string_value(json_object_get(param(list, "query", "limit"), "description")),
                            "Page size.");
        assert_true(json_is_true(json_object_get(param(list, "query", "q"), "required")));
        assert_false(has_response(list, 404)); /* no path parameter, no 404 */
        assert_false(has_response(list, 415)); /* no body */
        json_t *roles = json_object_get(list, "x-roles");
        assert_string_equal(json_string_value(json_array_get(roles, 0)), "admin");
        assert_string_equal(json_string_value(json_array_get(roles, 1)), "teacher");
        assert_string_equal(json_string_value(json_object_get(op_of(doc, &synthetic[5]), "operationId")),
                            "getPlatformSchools");
        assert_string_equal(json_string_value(json_object_get(op_of(doc, &synthetic[2]), "operationId")),
                            "getStudentsById");
        json_decref(doc);
    }
}

static void unknown_schema_fails(void **state)
{
    (void)state;
    route_t bad_request[] = {
        synthetic[0],
        {HTTP_POST, "/api/v1/widgets", h, ROLE_ADMIN, ROUTE_BODY, "x", "students", "NoSuchSchema", NULL, NULL, 201, NULL,
         NULL},
    };
    assert_null(build(bad_request, 2, 1));
    assert_non_null(strstr(err, "POST /api/v1/widgets"));
    assert_non_null(strstr(err, "NoSuchSchema"));

    route_t bad_response[] = {
        {HTTP_GET, "/api/v1/widgets/{id}", h, ROLE_ADMIN, 0, "x", "students", NULL, "Widget", NULL, 200, NULL, NULL},
        synthetic[1],
    };
    assert_null(build(bad_response, 2, 1));
    assert_non_null(strstr(err, "GET /api/v1/widgets/{id}"));
    assert_non_null(strstr(err, "Widget"));

    /* a test route is not looked at when test routes are left out */
    route_t bad_test[] = {
        synthetic[0],
        {HTTP_GET, "/api/v1/_test/y", h, 0, ROUTE_PUBLIC | ROUTE_TEST, "x", "students", NULL, "Missing", NULL, 200, NULL,
         NULL},
    };
    json_t *doc = build(bad_test, 2, 0);
    assert_non_null(doc);
    json_decref(doc);
    assert_null(build(bad_test, 2, 1));
    assert_non_null(strstr(err, "/api/v1/_test/y"));
}

/* Every tag an operation names is declared, with a description, in the document's tags: an unknown one fails the build. */
static void tags_are_declared(void **state)
{
    (void)state;
    json_t *doc = build(synthetic, NSYN, 0);
    assert_non_null(doc);
    json_t *tags = json_object_get(doc, "tags");
    assert_true(json_array_size(tags) >= 10);
    size_t i;
    json_t *t;
    int students = 0, testing = 0;
    json_array_foreach(tags, i, t)
    {
        assert_true(json_string_length(json_object_get(t, "description")) > 0);
        students |= strcmp(json_string_value(json_object_get(t, "name")), "students") == 0;
        testing |= strcmp(json_string_value(json_object_get(t, "name")), "testing") == 0;
    }
    assert_true(students);
    assert_false(testing); /* the test routes' tag only with the test routes */
    assert_non_null(json_object_get(json_object_get(json_object_get(doc, "info"), "license"), "name"));
    json_decref(doc);
    route_t t2[] = {{HTTP_GET, "/api/v1/gadgets", h, ROLE_ADMIN, 0, "x", "gadgets", NULL, NULL, NULL, 200, NULL, NULL}};
    assert_null(build(t2, 1, 1));
    assert_non_null(strstr(err, "gadgets"));
}

/* A ROUTE_BODY row without request_schema would hide the body the server requires: the build refuses it. */
static void body_route_without_schema(void **state)
{
    (void)state;
    route_t t[] = {
        {HTTP_POST, "/api/v1/things", h, ROLE_ADMIN, ROUTE_BODY, "x", "students", NULL, NULL, NULL, 201, NULL, NULL}};
    assert_null(build(t, 1, 1));
    assert_non_null(strstr(err, "/api/v1/things"));
    assert_non_null(strstr(err, "request schema"));
}

/*
 * operationIds come from the path with non-alphanumerics dropped and "/api/v1" cut,
 * so different routes can get the same id, which OpenAPI forbids.
 */
static void operation_ids_cannot_collide(void **state)
{
    (void)state;
    route_t t[] = {
        {HTTP_GET, "/api/v1/a/{id}", h, ROLE_ADMIN, 0, "x", "students", NULL, NULL, NULL, 200, NULL, NULL},
        {HTTP_GET, "/api/v1/a/by-id", h, ROLE_ADMIN, 0, "x", "students", NULL, NULL, NULL, 200, NULL, NULL},
        {HTTP_GET, "/healthz", h, 0, ROUTE_PUBLIC, "x", "students", NULL, NULL, NULL, 200, NULL, NULL},
        {HTTP_GET, "/api/v1/healthz", h, 0, ROUTE_PUBLIC, "x", "students", NULL, NULL, NULL, 200, NULL, NULL},
    };
    json_t *doc = build(t, 4, 1);
    if (doc != NULL) { /* either the build refuses, or the ids differ */
        check_document(doc, t, 4, 1);
        json_decref(doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(product_document),
        cmocka_unit_test(product_document_without_test_routes),
        cmocka_unit_test(product_table_is_consistent),
        cmocka_unit_test(building_is_deterministic),
        cmocka_unit_test(synthetic_table),
        cmocka_unit_test(unknown_schema_fails),
        cmocka_unit_test(body_route_without_schema),
        cmocka_unit_test(tags_are_declared),
        cmocka_unit_test(operation_ids_cannot_collide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
