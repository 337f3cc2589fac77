#include "core/error.h"

#include <string.h>

static const struct {
    int status;
    const char *type;
    const char *title;
} kinds[ERR__COUNT] = {
#define TYPE(slug) "urn:school-erp:problem:" slug
    [ERR_NONE] = {200, TYPE("none"), "OK"},
    [ERR_MALFORMED] = {400, TYPE("malformed-request"), "Malformed request"},
    [ERR_UNAUTHENTICATED] = {401, TYPE("unauthenticated"), "Authentication required"},
    [ERR_FORBIDDEN] = {403, TYPE("forbidden"), "Forbidden"},
    [ERR_NOT_FOUND] = {404, TYPE("not-found"), "Not found"},
    [ERR_METHOD] = {405, TYPE("method-not-allowed"), "Method not allowed"},
    [ERR_NOT_ACCEPTABLE] = {406, TYPE("not-acceptable"), "Not acceptable"},
    [ERR_CONFLICT] = {409, TYPE("conflict"), "Conflict"},
    [ERR_PRECONDITION_FAILED] = {412, TYPE("precondition-failed"), "Precondition failed"},
    [ERR_TOO_LARGE] = {413, TYPE("payload-too-large"), "Payload too large"},
    [ERR_MEDIA_TYPE] = {415, TYPE("unsupported-media-type"), "Unsupported media type"},
    [ERR_VALIDATION] = {422, TYPE("validation"), "Validation failed"},
    [ERR_PRECONDITION_REQUIRED] = {428, TYPE("precondition-required"), "Precondition required"},
    [ERR_RATE_LIMITED] = {429, TYPE("rate-limited"), "Too many requests"},
    [ERR_HEADERS_TOO_LARGE] = {431, TYPE("headers-too-large"), "Request header fields too large"},
    [ERR_INTERNAL] = {500, TYPE("internal"), "Internal server error"},
    [ERR_UNAVAILABLE] = {503, TYPE("unavailable"), "Service unavailable"},
    [ERR_GONE] = {410, TYPE("gone"), "Gone"},
#undef TYPE
};

static err_code_t valid(err_code_t code)
{
    return code > ERR_NONE && code < ERR__COUNT ? code : ERR_INTERNAL;
}

int error_status(err_code_t code)
{
    return kinds[valid(code)].status;
}

const char *error_title(err_code_t code)
{
    return kinds[valid(code)].title;
}

const char *error_type(err_code_t code)
{
    return kinds[valid(code)].type;
}

err_code_t error_from_status(int status)
{
    for (int i = ERR_NONE + 1; i < ERR__COUNT; i++)
        if (kinds[i].status == status)
            return (err_code_t)i;
    return ERR_INTERNAL;
}

void error_add_field(problem_t *e, const char *field, const char *message)
{
    if (e->nfields < ERR_MAX_FIELDS) {
        e->fields[e->nfields].field = field;
        e->fields[e->nfields].message = message;
        e->nfields++;
    }
}

void error_render(const problem_t *e, const char *request_id, sbuf_t *out)
{
    err_code_t code = valid(e->code);
    sbuf_printf(out, "{\"type\":\"%s\",\"title\":", kinds[code].type);
    sbuf_json_str(out, kinds[code].title, strlen(kinds[code].title));
    sbuf_printf(out, ",\"status\":%d", kinds[code].status);
    if (e->detail != NULL) {
        sbuf_puts(out, ",\"detail\":");
        sbuf_json_str(out, e->detail, strlen(e->detail));
    }
    if (request_id != NULL) {
        sbuf_puts(out, ",\"requestId\":");
        sbuf_json_str(out, request_id, strlen(request_id));
    }
    if (e->nfields > 0) {
        sbuf_puts(out, ",\"errors\":[");
        for (int i = 0; i < e->nfields; i++) {
            sbuf_puts(out, i ? ",{\"field\":" : "{\"field\":");
            sbuf_json_str(out, e->fields[i].field, strlen(e->fields[i].field));
            sbuf_puts(out, ",\"message\":");
            sbuf_json_str(out, e->fields[i].message, strlen(e->fields[i].message));
            sbuf_putc(out, '}');
        }
        sbuf_putc(out, ']');
    }
    sbuf_putc(out, '}');
}
