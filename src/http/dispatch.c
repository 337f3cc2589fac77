#include "http/dispatch.h"

#include <string.h>
#include <strings.h>

#include "auth/roles.h"
#include "core/log.h"
#include "core/utf8.h"
#include "http/etag.h"
#include "http/router.h"

static authenticate_fn authenticator;
static void (*begin_hook)(req_t *r);
static int (*end_hook)(req_t *r);
static int (*before_hook)(req_t *r);
static int loop_answers = 1;

void dispatch_set_loop_answers(int on)
{
    loop_answers = on;
}

void dispatch_set_authenticator(authenticate_fn fn)
{
    authenticator = fn;
}

void dispatch_set_begin(void (*fn)(req_t *r))
{
    begin_hook = fn;
}

void dispatch_set_end(int (*fn)(req_t *r))
{
    end_hook = fn;
}

void dispatch_set_before(int (*fn)(req_t *r))
{
    before_hook = fn;
}

int dispatch_is_json_type(const char *ct)
{
    if (ct == NULL)
        return 0;
    while (*ct == ' ')
        ct++;
    static const char json[] = "application/json";
    if (strncasecmp(ct, json, sizeof(json) - 1) != 0)
        return 0;
    ct += sizeof(json) - 1;
    while (*ct == ' ')
        ct++;
    return *ct == '\0' || *ct == ';';
}

static int check_access(req_t *r)
{
    const route_t *route = r->route;
    if (route->flags & ROUTE_PUBLIC)
        return 0;
    if (authenticator == NULL)
        return res_fail(r, ERR_UNAUTHENTICATED, "This route needs an access token.");
    if (authenticator(r) != 0)
        return -1;
    if ((r->auth.roles & route->roles) == 0)
        return res_fail(r, ERR_FORBIDDEN, "Your role may not %s %s.", http_method_name(route->method), route->path);
    if (r->auth.tenant_id[0] == '\0' && !(route->flags & ROUTE_NO_TENANT))
        return res_fail(r, ERR_FORBIDDEN, "This route is for users of a school.");
    return 0;
}

/*
 * Every query parameter is one the route declares, given once: a misspelt or
 * renamed filter is an error, never a list quietly unfiltered (422 naming it).
 */
static int check_query(req_t *r)
{
    if (r->query_len == 0)
        return 0;
    (void)req_query(r, ""); /* parses the query */
    for (int i = 0; i < r->q.n; i++) {
        const char *name = r->q.keys[i];
        int known = 0;
        for (const route_param_t *p = r->route->query; p != NULL && p->name != NULL && !known; p++)
            known = strcmp(p->name, name) == 0;
        size_t n = strlen(name);
        const char *field = n > 0 && n <= 64 && utf8_valid(name, n) ? name : "query";
        if (!known) {
            res_field_error(r, field, "is not a parameter of %s %s", http_method_name(r->route->method),
                            r->route->path);
            continue;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(r->q.keys[j], name) == 0) {
                res_field_error(r, field, "must be given once");
                break;
            }
    }
    return res_check_fields(r);
}

static int parse_body(req_t *r)
{
    if (!dispatch_is_json_type(r->hdr.content_type))
        return res_fail(r, ERR_MEDIA_TYPE, "Send the body as application/json.");
    if (r->body == NULL || r->body_len == 0)
        return res_fail(r, ERR_MALFORMED, "A JSON body is required.");
    json_error_t jerr;
    r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (r->json == NULL)
        return res_fail(r, ERR_MALFORMED, "Malformed JSON at line %d, column %d: %s", jerr.line, jerr.column,
                        jerr.text);
    if (!json_is_object(r->json))
        return res_fail(r, ERR_MALFORMED, "The body must be a JSON object.");
    return 0;
}

/* A write of a versioned record needs a well-formed If-Match before the handler runs. */
static int check_if_match(req_t *r)
{
    if (r->hdr.if_match == NULL)
        return res_fail(r, ERR_PRECONDITION_REQUIRED,
                        "Send If-Match with the ETag of the version you read (or *), so concurrent edits are not lost.");
    if (etag_if_match(r->hdr.if_match, 0) == ETAG_MALFORMED)
        return res_fail(r, ERR_MALFORMED, "If-Match must be * or a list of ETags such as \"3\".");
    return 0;
}

/* A GET of a versioned record whose ETag the client has: 304 without a body. */
static int conditional_get(req_t *r)
{
    if (r->res.status != 200 || r->res.etag <= 0 || r->hdr.if_none_match == NULL)
        return 0;
    int m = etag_if_none_match(r->hdr.if_none_match, r->res.etag);
    if (m == ETAG_MALFORMED)
        return res_fail(r, ERR_MALFORMED, "If-None-Match must be * or a list of ETags such as \"3\".");
    if (m == ETAG_MATCH) {
        r->res.status = 304;
        r->res.content_type = NULL;
        r->res.body = NULL;
        r->res.body_len = 0;
    }
    return 0;
}

int dispatch_try_loop(req_t *r)
{
    const route_t *route = r->route;
    if (!loop_answers || route->loop == NULL || !(r->method & (HTTP_GET | HTTP_HEAD)) || r->thread != NULL)
        return 0;
    /* a malformed If-None-Match is the handler's 400: never a loop answer begun (and audited) then dropped */
    if (r->hdr.if_none_match != NULL && etag_if_none_match(r->hdr.if_none_match, 0) == ETAG_MALFORMED)
        return 0;
    if (check_access(r) == 0 && check_query(r) == 0 && route->loop(r) == 0 && r->res.status == 200 &&
        conditional_get(r) == 0)
        return 1;
    /* anything but a cached success (a miss, an error to explain) is the handler's to answer */
    memset(&r->auth, 0, sizeof(r->auth));
    memset(&r->err, 0, sizeof(r->err));
    memset(&r->res, 0, sizeof(r->res));
    return 0;
}

void dispatch_run(req_t *r)
{
    if (begin_hook != NULL && r->thread != NULL)
        begin_hook(r);
    int rc = check_access(r);
    int handled = 0;
    if (rc == 0)
        rc = check_query(r);
    if (rc == 0 && (r->route->flags & ROUTE_BODY))
        rc = parse_body(r);
    if (rc == 0 && (r->route->flags & ROUTE_IF_MATCH))
        rc = check_if_match(r);
    int answered = 0;
    if (rc == 0 && before_hook != NULL && r->thread != NULL) {
        int b = before_hook(r);
        rc = b < 0 ? -1 : 0;
        answered = b == 1;
    }
    if (rc == 0 && !answered) {
        handled = 1;
        rc = r->route->handler(r);
        if (rc == 0 && r->res.status == 0) {
            rc = res_fail(r, ERR_INTERNAL, NULL);
            log_error("handler set no response", "route %s request %s", r->route->path, r->request_id);
        }
        if (rc == 0 && (r->method & (HTTP_GET | HTTP_HEAD)))
            rc = conditional_get(r);
    }
    if (end_hook != NULL && r->thread != NULL && end_hook(r) != 0 && rc == 0)
        rc = -1;
    if (rc != 0) {
        if (r->err.code == ERR_NONE || r->err.code == ERR_INTERNAL) {
            r->err.code = ERR_INTERNAL;
            /* The detail of an internal error is for the log, never for the client. */
            sbuf_t b;
            char stack[1024];
            sbuf_init_fixed(&b, stack, sizeof(stack));
            log_begin(&b, LOG_ERROR, "request failed");
            log_str(&b, "requestId", r->request_id);
            log_str(&b, "method", http_method_name(r->method));
            log_str(&b, "route", r->route->path);
            if (r->err.detail != NULL)
                log_strn(&b, "detail", r->err.detail, strnlen(r->err.detail, 600));
            log_end(&b);
            log_write(&b);
            sbuf_free(&b);
            r->err.detail = "The server failed to handle this request; it has been logged.";
            r->err.nfields = 0;
        }
        if (handled)
            r->res.nheaders = 0; /* headers of a success the handler did not finish (ETag, Location) */
        res_render_error(r);
    }
}
