/*
 * json_body_fuzz.c - JSON request bodies: the dispatcher's body path
 * (dispatch_run() of a public ROUTE_BODY route: Content-Type check,
 * json_loadb with duplicate keys rejected, object check; src/http/dispatch.c),
 * then, in the route's handler, every body_*() reader of src/api/validate.h
 * (string, int, bool, enum, date, uuid, id, only/forbid fields) and
 * body_roles() (src/api/common.c) on a few fixed names and on every member the
 * body has, with a few bounds each; each string member also goes through
 * valid_email(), valid_slug(), valid_currency(), valid_time_zone() (common.c)
 * and the people formats (src/domain/people.c). Finally the problem document
 * (src/core/error.c) must be well-formed JSON.
 *
 * Input: the body, as sent (bytes; not NUL-terminated).
 *
 * Properties: each reader returns -1, 0 or 1 and sets its output only with 1,
 * and what it accepts meets its contract (lengths in code points, bounds,
 * valid_date() and cal_parse() agree, lower-case ids, roles within allowed);
 * valid_email() writes the lower-case address and stays inside its buffer.
 */
#include "fuzz.h"

#include <ctype.h>
#include <limits.h>

#include "api/common.h"
#include "api/validate.h"
#include "auth/roles.h"
#include "core/ids.h"
#include "domain/attendance.h"
#include "domain/calendar.h"
#include "domain/people.h"
#include "http/dispatch.h"
#include "http/router.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static size_t code_points(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static const char *const SENT = "untouched";

static void read_string(req_t *r, const char *f, int required, size_t min, size_t max)
{
    const char *s = SENT;
    int rc = body_string(r, f, required, min, max, &s);
    FUZZ_CHECK(rc >= -1 && rc <= 1);
    if (rc != 1) {
        FUZZ_CHECK(s == SENT);
        return;
    }
    size_t n = code_points(s), bytes = strlen(s);
    FUZZ_CHECK(n >= min && n <= max);
    FUZZ_CHECK(bytes == 0 || (!isspace((unsigned char)s[0]) && !isspace((unsigned char)s[bytes - 1])));
}

/* The string formats a member may be checked against. */
static void formats(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1); /* exactly what valid_email() may use (it needs n < outlen) */
    if (out == NULL)
        abort();
    if (valid_email(s, out, n + 1)) {
        FUZZ_CHECK(strlen(out) == n && n >= 3 && n <= 254);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(out[i] == (char)tolower((unsigned char)s[i]));
    }
    FUZZ_CHECK(!valid_email(s, out, n)); /* too small a buffer is refused, not overrun */
    free(out);
    if (valid_slug(s))
        FUZZ_CHECK(n >= 3 && n <= 63);
    if (valid_currency(s))
        FUZZ_CHECK(n == 3);
    (void)valid_time_zone(s);
    if (people_valid_code(s))
        FUZZ_CHECK(n >= 1 && n <= 32);
    (void)people_valid_name(s);
    (void)people_valid_phone(s);
}

static void read_member(req_t *r, const char *f)
{
    read_string(r, f, 0, 0, SIZE_MAX);
    read_string(r, f, 1, 1, 100);
    read_string(r, f, 0, 3, 3);

    static const long long bounds[][2] = {{LLONG_MIN, LLONG_MAX}, {1, 500}, {0, 0}, {-5, INT_MAX}};
    for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++) {
        long long n = 42;
        int rc = body_int(r, f, (int)(b & 1), bounds[b][0], bounds[b][1], &n);
        FUZZ_CHECK(rc >= -1 && rc <= 1);
        if (rc == 1)
            FUZZ_CHECK(n >= bounds[b][0] && n <= bounds[b][1]);
        else
            FUZZ_CHECK(n == 42);
    }

    int flag = 7;
    int rc = body_bool(r, f, 0, &flag);
    FUZZ_CHECK(rc >= -1 && rc <= 1 && (rc == 1 ? (flag == 0 || flag == 1) : flag == 7));

    int idx = -7;
    rc = body_enum(r, f, 1, att_status_names, &idx);
    FUZZ_CHECK(rc >= -1 && rc <= 1 && (rc == 1 ? (idx >= 0 && idx < ATT_NSTATUS) : idx == -7));

    const char *s = SENT;
    rc = body_date(r, f, 0, &s);
    FUZZ_CHECK(rc >= -1 && rc <= 1);
    if (rc == 1) {
        cal_day_t d;
        FUZZ_CHECK(valid_date(s) && cal_parse(s, &d) == 0);
    } else {
        FUZZ_CHECK(s == SENT);
    }

    s = SENT;
    rc = body_uuid(r, f, 0, &s);
    FUZZ_CHECK(rc >= -1 && rc <= 1 && (rc == 1 ? ids_uuid_valid(s, strlen(s)) : s == SENT));
    const char *id = body_id(r, f, 1);
    if (id != NULL) {
        FUZZ_CHECK(ids_uuid_valid(id, strlen(id)));
        for (const char *p = id; *p != '\0'; p++)
            FUZZ_CHECK(!isupper((unsigned char)*p));
    }

    static const unsigned allowed[] = {ROLES_ANY, ROLES_SCHOOL, ROLE_TEACHER | ROLE_PARENT, 0};
    for (size_t a = 0; a < sizeof(allowed) / sizeof(allowed[0]); a++) {
        unsigned bits = 0xdead;
        rc = body_roles(r, f, (int)(a & 1), allowed[a], &bits);
        FUZZ_CHECK(rc >= -1 && rc <= 1);
        if (rc == 1)
            FUZZ_CHECK(bits != 0 && (bits & ~allowed[a]) == 0);
        else
            FUZZ_CHECK(bits == 0xdead);
    }

    json_t *v = json_object_get(r->json, f);
    if (json_is_string(v))
        formats(json_string_value(v));
}

static int handler(req_t *r)
{
    FUZZ_CHECK(json_is_object(r->json));
    static const char *const fixed[] = {"name", "email", "date", "id", "roles", "limit", "status", "slug", ""};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        read_member(r, fixed[i]);
    const char *key;
    json_t *v;
    int k = 0;
    json_object_foreach(r->json, key, v)
    {
        if (k++ == 16)
            break;
        read_member(r, key);
    }
    static const char *const only[] = {"name", "email", "date", NULL};
    static const char *const forbid[] = {"id", "version", "createdAt", NULL};
    body_only_fields(r, only);
    body_forbid_fields(r, forbid);
    FUZZ_CHECK(r->err.nfields >= 0 && r->err.nfields <= ERR_MAX_FIELDS);
    if (res_check_fields(r) != 0)
        return -1;
    return res_json(r, 200, json_object());
}

static const route_t route = {
    .method = HTTP_POST,
    .path = "/fuzz/body",
    .handler = handler,
    .roles = 0,
    .flags = ROUTE_PUBLIC | ROUTE_BODY,
    .status = 200,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    req_t *r = fuzz_req_new();
    char *body = fuzz_memdup(data, size);
    r->route = &route;
    r->method = HTTP_POST;
    r->path = "/fuzz/body";
    r->path_len = strlen(r->path);
    r->hdr.content_type = "application/json; charset=utf-8";
    r->body = body;
    r->body_len = size;
    dispatch_run(r);
    FUZZ_CHECK(r->res.status == 200 || r->res.status == 400 || r->res.status == 422);
    if (r->res.status != 200)
        FUZZ_CHECK(fuzz_problem_ok(r));
    fuzz_req_free(r);
    free(body);
    return 0;
}
