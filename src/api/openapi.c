#include "api/openapi.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/common.h"
#include "auth/roles.h"
#include "core/log.h"

#define API_VERSION "1.0.0"

static char *doc_text;
static size_t doc_len;

static json_t *ref(const char *schema)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "#/components/schemas/%s", schema);
    return json_pack("{s:s}", "$ref", buf);
}

/* "getStudentsById" from GET /api/v1/students/{id} */
static char *operation_id(const route_t *r)
{
    char buf[256];
    size_t n = 0;
    const char *m = http_method_name(r->method);
    for (const char *p = m; *p != '\0' && n < sizeof(buf) - 1; p++)
        buf[n++] = (char)tolower((unsigned char)*p);
    const char *p = r->path;
    if (strncmp(p, "/api/v1", 7) == 0)
        p += 7;
    int upper = 1;
    for (; *p != '\0' && n < sizeof(buf) - 3; p++) {
        char c = *p;
        if (c == '{') {
            memcpy(buf + n, "By", 2);
            n += 2;
            upper = 1;
            continue;
        }
        if (c == '}')
            continue;
        if (c == '-' || c == '_' || c == '.') {
            buf[n++] = '_';
            upper = 0;
            continue;
        }
        if (!isalnum((unsigned char)c)) {
            upper = 1;
            continue;
        }
        buf[n++] = upper ? (char)toupper((unsigned char)c) : c;
        upper = 0;
    }
    buf[n] = '\0';
    return strdup(buf);
}

static json_t *problem_response(const char *description)
{
    return json_pack("{s:s,s:{s:{s:o}}}", "description", description, "content", "application/problem+json",
                     "schema", ref("Problem"));
}

static const char *error_description(int status)
{
    switch (status) {
    case 400: return "Malformed request: the body or a parameter cannot be parsed.";
    case 401: return "No access token, or one that is invalid, expired or revoked.";
    case 403: return "The caller's role may not do this.";
    case 404: return "No such resource in the caller's school.";
    case 304: return "Not modified: If-None-Match names the current version.";
    case 409: return "Conflicts with the current state or a rule (duplicate, clash); `detail` says which.";
    case 410: return "Existed but is over for good (an expired link); `detail` says which.";
    case 412: return "If-Match names another version than the current one: read the record again.";
    case 413: return "The body is larger than the limit.";
    case 415: return "The body is not of a media type this operation takes (application/json for JSON bodies).";
    case 422: return "Well-formed but invalid; `errors` names each field.";
    case 428: return "The request must carry If-Match.";
    case 429: return "Too many requests; see Retry-After.";
    case 431: return "The request headers are larger than the limit.";
    case 500: return "The server failed; the request id is logged.";
    case 503: return "Not ready, draining, or overloaded; see Retry-After.";
    default: return "Error.";
    }
}

static void add_error(json_t *responses, int status)
{
    char key[8];
    snprintf(key, sizeof(key), "%d", status);
    if (json_object_get(responses, key) == NULL)
        json_object_set_new(responses, key, problem_response(error_description(status)));
}

/* A page for browsers (text/html) may answer its errors as pages too: each error also documents text/html. */
static void html_errors(const route_t *r, json_t *responses)
{
    const char *key;
    json_t *resp;
    if (r->response_type == NULL || strcmp(r->response_type, "text/html") != 0)
        return;
    json_object_foreach(responses, key, resp) {
        json_t *content = json_object_get(resp, "content");
        if (key[0] >= '4' && content != NULL)
            json_object_set_new(content, "text/html", json_pack("{s:o}", "schema", ref("HtmlPage")));
    }
}

static json_t *roles_list(const route_t *r)
{
    json_t *a = json_array();
    if (r->flags & ROUTE_PUBLIC) {
        json_array_append_new(a, json_string("public"));
        return a;
    }
    for (int i = 0; i < ROLE_COUNT; i++)
        if (r->roles & (1u << i))
            json_array_append_new(a, json_string(role_name(i)));
    return a;
}

static int schema_exists(json_t *schemas, const char *name, char *err, size_t errlen, const route_t *r)
{
    if (name != NULL && json_object_get(schemas, name) == NULL) {
        snprintf(err, errlen, "route %s %s names schema %s, which schemas.json does not define",
                 http_method_name(r->method), r->path, name);
        return 0;
    }
    return 1;
}

/* A content map: each of the comma-separated media types with the schema (stolen). */
static json_t *media_types(const char *types, json_t *schema)
{
    json_t *content = json_object();
    for (const char *p = types; *p != '\0';) {
        size_t n = strcspn(p, ",");
        char type[128];
        snprintf(type, sizeof(type), "%.*s", (int)n, p);
        json_object_set_new(content, type, json_pack("{s:O}", "schema", schema));
        p += n + (p[n] == ',');
    }
    json_decref(schema);
    return content;
}

/* The requestBody of an upload: each media type it takes, as bytes, and its size limit. */
static json_t *upload_body(const route_t *r)
{
    json_t *content = media_types(r->upload_types != NULL ? r->upload_types : "application/octet-stream",
                                  json_pack("{s:s,s:s}", "type", "string", "format", "binary"));
    char desc[160];
    snprintf(desc, sizeof(desc), "The file's bytes, at most %zu (413 beyond); the media type as Content-Type (415).",
             r->max_body);
    return json_pack("{s:b,s:s,s:o}", "required", 1, "description", desc, "content", content);
}

/* The OneRoster binding (/ims/oneroster/...): its client token, not an account's (rest.h). */
static int is_oneroster(const route_t *r)
{
    return strncmp(r->path, "/ims/oneroster/", 15) == 0;
}

static void oneroster_security(const route_t *r, json_t *op)
{
    if (!is_oneroster(r) || r->method == HTTP_POST)
        return;
    json_object_set_new(op, "security", json_pack("[{s:[]}]", "oneRosterOAuth"));
    json_object_set_new(op, "description",
                        json_string("A bearer token of the school's OAuth client (POST /ims/oneroster/v1p1/oauth/token) "
                                    "with roster-core.readonly or roster.readonly (demographics: "
                                    "roster-demographics.readonly or roster.readonly; gradebook reads: "
                                    "gradebook.readonly or gradebook.createput; PUT: gradebook.createput; DELETE: "
                                    "gradebook.delete); no account's token."));
}

/* Its handlers answer errors as imsx_StatusInfo (the token endpoint as RFC 6749), the dispatcher as problems. */
static void oneroster_errors(const route_t *r, json_t *responses)
{
    if (!is_oneroster(r))
        return;
    const char *schema = r->method == HTTP_POST ? "OAuthError" : "ImsxStatusInfo";
    json_t *created = json_object_get(responses, "201");
    if (r->method == HTTP_PUT && created != NULL) /* a PUT by the client's sourcedId: 201 created, 200 replaced */
        json_object_set_new(responses, "200", json_deep_copy(created));
    static const char *const statuses[] = {"400", "401", "403", "404", "422"};
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        json_t *content = json_object_get(json_object_get(responses, statuses[i]), "content");
        if (content != NULL)
            json_object_set_new(content, "application/json", json_pack("{s:o}", "schema", ref(schema)));
    }
}

static json_t *operation(const route_t *r)
{
    json_t *op = json_object();
    char *id = operation_id(r);
    json_object_set_new(op, "operationId", json_string(id));
    free(id);
    json_object_set_new(op, "summary", json_string(r->summary != NULL ? r->summary : ""));
    json_object_set_new(op, "tags", json_pack("[s]", r->tag != NULL ? r->tag : "other"));
    json_t *roles = roles_list(r);
    json_object_set(op, "x-roles", roles);
    if (r->flags & ROUTE_PUBLIC) {
        json_object_set_new(op, "security", json_array());
        json_object_set_new(op, "description", json_string("Public: no access token needed."));
    } else {
        json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearerAuth"));
        sbuf_t d;
        sbuf_init(&d, NULL, 64);
        sbuf_puts(&d, "Roles allowed: ");
        for (size_t i = 0; i < json_array_size(roles); i++)
            sbuf_printf(&d, "%s%s", i ? ", " : "", json_string_value(json_array_get(roles, i)));
        sbuf_puts(&d, ".");
        json_object_set_new(op, "description", json_string(d.p));
        sbuf_free(&d);
    }
    json_decref(roles);
    oneroster_security(r, op);

    json_t *params = json_array();
    for (const char *p = strchr(r->path, '{'); p != NULL; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        json_array_append_new(params, json_pack("{s:s%,s:s,s:b,s:{s:s}}", "name", p + 1, (size_t)(end - p - 1), "in",
                                                "path", "required", 1, "schema", "type", "string"));
    }
    for (const route_param_t *q = r->query; q != NULL && q->name != NULL; q++) {
        json_t *schema = json_loads(q->schema, 0, NULL);
        json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", q->name, "in", "query", "required",
                                                q->required, "description", q->description ? q->description : "",
                                                "schema", schema != NULL ? schema : json_object()));
    }
    if (r->flags & ROUTE_IF_MATCH)
        json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:s,s:{s:s}}", "name", "If-Match", "in", "header",
                                                "required", 1, "description",
                                                "The ETag of the version the change is based on, or * for any.",
                                                "schema", "type", "string"));
    if (r->method == HTTP_POST && !(r->flags & ROUTE_PUBLIC))
        json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:s,s:{s:s,s:i,s:i,s:s}}", "name", "Idempotency-Key",
                                                "in", "header", "required", 0, "description",
                                                "A key the client made for this request (1-255 visible ASCII "
                                                "characters): a retry with the same key answers the first success "
                                                "again instead of running twice.",
                                                "schema", "type", "string", "minLength", 1, "maxLength", 255,
                                                "pattern", "^[!-~]+$"));
    if ((r->flags & ROUTE_ETAG) && r->method == HTTP_GET)
        json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:s,s:{s:s}}", "name", "If-None-Match", "in", "header",
                                                "required", 0, "description",
                                                "ETags the client holds: 304 when one names the current version.",
                                                "schema", "type", "string"));
    if (json_array_size(params) > 0)
        json_object_set(op, "parameters", params);
    json_decref(params);

    if (r->request_schema != NULL)
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b,s:{s:{s:o}}}", "required", 1, "content", "application/json", "schema",
                                      ref(r->request_schema)));

    if (r->flags & ROUTE_UPLOAD)
        json_object_set_new(op, "requestBody", upload_body(r));

    json_t *responses = json_object();
    char key[8];
    snprintf(key, sizeof(key), "%d", r->status);
    json_t *ok = json_pack("{s:s}", "description", r->summary != NULL ? r->summary : "Success");
    if (r->response_schema != NULL)
        json_object_set_new(ok, "content",
                            media_types(r->response_type != NULL ? r->response_type : "application/json",
                                        ref(r->response_schema)));
    if ((r->flags & (ROUTE_ETAG | ROUTE_IF_MATCH)) && r->status != 204)
        json_object_set_new(ok, "headers",
                            json_pack("{s:{s:s,s:{s:s}}}", "ETag", "description",
                                      "The record's version as a strong entity tag, for If-Match and If-None-Match.",
                                      "schema", "type", "string"));
    if (r->flags & ROUTE_HASH_ETAG)
        json_object_set_new(ok, "headers",
                            json_pack("{s:{s:s,s:{s:s}}}", "ETag", "description",
                                      "The content's hash as a strong entity tag: the same tag, the same bytes, for"
                                      " ever.",
                                      "schema", "type", "string"));
    json_object_set_new(responses, key, ok);
    if (r->flags & ROUTE_HASH_ETAG)
        json_object_set_new(responses, "304", json_pack("{s:s}", "description", error_description(304)));
    if ((r->flags & ROUTE_ETAG) && r->method == HTTP_GET) {
        json_object_set_new(responses, "304", json_pack("{s:s}", "description", error_description(304)));
        add_error(responses, 400);
    }
    if (r->flags & ROUTE_IF_MATCH) {
        add_error(responses, 400);
        add_error(responses, 412);
        add_error(responses, 428);
    }
    if (r->method == HTTP_POST && !(r->flags & ROUTE_PUBLIC)) {
        add_error(responses, 400); /* a malformed Idempotency-Key */
        add_error(responses, 409); /* its first request still running */
        add_error(responses, 422); /* the key used with another request */
    }
    if (r->flags & ROUTE_UPLOAD) {
        add_error(responses, 413);
        add_error(responses, 415);
        add_error(responses, 422);
    }
    if (r->flags & ROUTE_BODY) {
        add_error(responses, 400);
        add_error(responses, 413);
        add_error(responses, 415);
        add_error(responses, 422);
    }
    if (!(r->flags & ROUTE_PUBLIC)) {
        add_error(responses, 401);
        add_error(responses, 403);
    }
    if (strchr(r->path, '{') != NULL)
        add_error(responses, 404);
    for (const route_param_t *q = r->query; q != NULL && q->name != NULL; q++)
        if (strcmp(q->name, "cursor") == 0)
            add_error(responses, 400); /* a cursor this server did not issue */
    for (const int *e = r->errors; e != NULL && *e != 0; e++)
        add_error(responses, *e);
    add_error(responses, 422); /* a query parameter it does not declare, or one given twice */
    add_error(responses, 431); /* checked before routing: any operation can answer it */
    add_error(responses, 500);
    add_error(responses, 503);
    oneroster_errors(r, responses);
    html_errors(r, responses);
    json_object_set_new(op, "responses", responses);
    return op;
}

/* The tags operations are grouped by, each described (a tag a route names must be here). */
static const struct {
    const char *name, *description;
} tags[] = {
    {"operations", "Health, readiness, metrics and this document."},
    {"auth", "Logging in and out, refreshing tokens, changing passwords, the caller's account."},
    {"tenants", "Schools, for platform operators."},
    {"users", "A school's accounts and their roles."},
    {"audit", "Who read or changed what, when."},
    {"academic-years", "A school's academic years; one is current."},
    {"terms", "Terms of an academic year and their weekdays."},
    {"holidays", "Days without school."},
    {"calendar", "School days: inside a term, on its weekdays, not holidays."},
    {"subjects", "What is taught."},
    {"classes", "Homeroom classes, their teaching assignments and rosters."},
    {"enrollments", "Students in classes over time: enrolling, transfers, ends."},
    {"teachers", "Teachers of the school."},
    {"students", "Students: admission, records, search."},
    {"guardians", "Parents and guardians, linked to students."},
    {"attendance", "Registers: marking a class's day, a student's history, reports."},
    {"timetable", "Weekly lessons with clash detection; class and teacher weeks."},
    {"jobs", "Background jobs: state, progress, results; cancelling."},
    {"files", "Uploaded files (student photos, documents) and their signed download links."},
    {"imports", "Bulk imports and exports (CSV) and printed registers (PDF), run as jobs."},
    {"assessment", "Grading scales, category weights, assessments and their marks, term grades and their publication."},
    {"fees", "Invoices, payments (Idempotency-Key required), receipts and students' balances, in minor units."},
    {"fee-setup", "Fee items, fee structures and their bulk invoicing, students' discounts and scholarships."},
    {"mail", "The school's e-mail: what became of each message, per recipient."},
    {"announcements", "Announcements to an audience, read receipts, absence alerts to guardians."},
    {"oneroster", "The OneRoster 1.1 REST binding under /ims/oneroster/v1p1 (OAuth 2.0 client credentials; errors as "
                  "imsx_StatusInfo) and the OAuth clients a school registers for it."},
    {"testing", "Routes of the test suite only (ERP_ENABLE_TEST_ROUTES=1)."},
};

static int tag_known(const char *name)
{
    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
        if (strcmp(tags[i].name, name) == 0)
            return 1;
    return 0;
}

json_t *openapi_build(const route_t *routes, size_t n, int include_test, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *schemas = json_loads(api_schemas_json, JSON_REJECT_DUPLICATES, &jerr);
    if (schemas == NULL) {
        snprintf(err, errlen, "schemas.json line %d: %s", jerr.line, jerr.text);
        return NULL;
    }
    if (include_test) {
        json_t *test = json_loads(api_test_schemas_json, JSON_REJECT_DUPLICATES, &jerr);
        if (test == NULL || json_object_update_missing(schemas, test) != 0) {
            snprintf(err, errlen, "testing.json line %d: %s", jerr.line, jerr.text);
            json_decref(test);
            json_decref(schemas);
            return NULL;
        }
        json_decref(test);
    }
    json_t *paths = json_object();
    json_t *ids = json_object(); /* operationId -> "METHOD path", to refuse duplicates */
    for (size_t i = 0; i < n; i++) {
        const route_t *r = &routes[i];
        if ((r->flags & ROUTE_TEST) && !include_test)
            continue;
        if ((r->flags & ROUTE_BODY) && r->request_schema == NULL)
            snprintf(err, errlen, "route %s %s takes a body but names no request schema", http_method_name(r->method),
                     r->path);
        if (r->tag == NULL || !tag_known(r->tag))
            snprintf(err, errlen, "route %s %s has the tag %s, which openapi.c does not describe",
                     http_method_name(r->method), r->path, r->tag != NULL ? r->tag : "(none)");
        if (((r->flags & ROUTE_BODY) && r->request_schema == NULL) || r->tag == NULL || !tag_known(r->tag) ||
            !schema_exists(schemas, r->request_schema, err, errlen, r) ||
            !schema_exists(schemas, r->response_schema, err, errlen, r)) {
            json_decref(schemas);
            json_decref(paths);
            json_decref(ids);
            return NULL;
        }
        json_t *item = json_object_get(paths, r->path);
        if (item == NULL) {
            item = json_object();
            json_object_set_new(paths, r->path, item);
        }
        char method[16];
        const char *m = http_method_name(r->method);
        size_t k = 0;
        for (; m[k] != '\0' && k < sizeof(method) - 1; k++)
            method[k] = (char)tolower((unsigned char)m[k]);
        method[k] = '\0';
        json_t *op = operation(r);
        const char *id = json_string_value(json_object_get(op, "operationId"));
        if (json_object_get(ids, id) != NULL) {
            snprintf(err, errlen, "routes %s and %s %s have the same operationId %s",
                     json_string_value(json_object_get(ids, id)), http_method_name(r->method), r->path, id);
            json_decref(op);
            json_decref(schemas);
            json_decref(paths);
            json_decref(ids);
            return NULL;
        }
        json_object_set_new(ids, id, json_pack("s++", http_method_name(r->method), " ", r->path));
        json_object_set_new(item, method, op);
    }
    json_decref(ids);
    json_t *tag_list = json_array();
    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
        if (include_test || strcmp(tags[i].name, "testing") != 0)
            tag_list = json_push(tag_list, json_pack("{s:s,s:s}", "name", tags[i].name, "description",
                                                     tags[i].description));
    json_t *doc = json_pack(
        "{s:s,s:{s:s,s:s,s:s,s:{s:s,s:s}},s:[{s:s}],s:o,s:o,s:{s:o,s:{s:{s:s,s:s,s:s}}}}", "openapi", "3.1.0", "info",
        "title", "school-erp API", "version", API_VERSION, "description",
        "Multi-tenant school administration: schools and their accounts, academic years and terms, classes and "
        "enrollments, students, teachers and guardians, attendance registers and timetables. Every operation lists "
        "the roles allowed in `x-roles`; errors are RFC 9457 problem documents.",
        "license", "name", "Proprietary", "identifier", "LicenseRef-school-erp-proprietary", "servers", "url", "/", "tags", tag_list, "paths", paths, "components",
        "schemas", schemas, "securitySchemes", "bearerAuth", "type", "http", "scheme", "bearer", "bearerFormat", "JWT");
    json_t *schemes = json_object_get(json_object_get(doc, "components"), "securitySchemes");
    if (schemes != NULL)
        json_object_set_new(schemes, "oneRosterOAuth",
                            json_pack("{s:s,s:s,s:{s:{s:s,s:{}}}}", "type", "oauth2", "description",
                                      "OneRoster 1.1 clients: OAuth 2.0 client credentials of /api/v1/oauth-clients.",
                                      "flows", "clientCredentials", "tokenUrl", "/ims/oneroster/v1p1/oauth/token",
                                      "scopes"));
    if (doc == NULL)
        snprintf(err, errlen, "the document could not be assembled");
    return doc;
}

int openapi_init(const route_t *routes, size_t n, int include_test)
{
    char err[256];
    json_t *doc = openapi_build(routes, n, include_test, err, sizeof(err));
    if (doc == NULL) {
        log_error("cannot build the OpenAPI document", "%s", err);
        return -1;
    }
    free(doc_text);
    doc_text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (doc_text == NULL) {
        log_error("cannot build the OpenAPI document", "out of memory");
        return -1;
    }
    doc_len = strlen(doc_text);
    return 0;
}

const char *openapi_text(size_t *len)
{
    *len = doc_len;
    return doc_text;
}
