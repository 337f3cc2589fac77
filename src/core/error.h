/*
 * error.h - the one map from error kinds to HTTP problems (RFC 9457).
 *
 * Code everywhere reports failures as an err_code_t plus a detail and optional
 * field errors; error_render() turns that into application/problem+json. No
 * other place decides a status code for a failure.
 */
#ifndef ERP_CORE_ERROR_H
#define ERP_CORE_ERROR_H

#include <stddef.h>

#include "core/arena.h"
#include "core/sbuf.h"

typedef enum {
    ERR_NONE = 0,
    ERR_MALFORMED,        /* 400 body or parameter cannot be parsed */
    ERR_UNAUTHENTICATED,  /* 401 no or bad credentials */
    ERR_FORBIDDEN,        /* 403 role may not do this */
    ERR_NOT_FOUND,        /* 404 no such thing, or another tenant's */
    ERR_METHOD,           /* 405 path exists, method does not */
    ERR_NOT_ACCEPTABLE,   /* 406 */
    ERR_CONFLICT,         /* 409 state conflict: duplicate, clash, a business rule */
    ERR_PRECONDITION_FAILED, /* 412 If-Match names another version than the current one */
    ERR_TOO_LARGE,        /* 413 body over the limit */
    ERR_MEDIA_TYPE,       /* 415 content type not accepted */
    ERR_VALIDATION,       /* 422 well-formed but invalid */
    ERR_PRECONDITION_REQUIRED, /* 428 If-Match missing where required */
    ERR_RATE_LIMITED,     /* 429 */
    ERR_HEADERS_TOO_LARGE, /* 431 */
    ERR_INTERNAL,         /* 500 */
    ERR_UNAVAILABLE,      /* 503 overloaded, draining, dependency down */
    ERR_GONE,             /* 410 existed but is over for good (an expired link) */
    ERR__COUNT
} err_code_t;

typedef struct field_error {
    const char *field;   /* JSON field name or parameter name; dotted path for nested */
    const char *message; /* for people */
} field_error_t;

#define ERR_MAX_FIELDS 32

typedef struct problem {
    err_code_t code;
    const char *detail;  /* NULL: none */
    field_error_t fields[ERR_MAX_FIELDS];
    int nfields;
    int retry_after;     /* seconds; 0: no Retry-After header */
} problem_t;

/* HTTP status of an error kind. */
int error_status(err_code_t code);
/* Short title, for example "Validation failed". */
const char *error_title(err_code_t code);
/* Problem type URI, for example "urn:school-erp:problem:validation". */
const char *error_type(err_code_t code);
/* The kind of a status code (inverse of error_status); ERR_INTERNAL for unknown ones. */
err_code_t error_from_status(int status);

/* Adds a field error (strings must outlive the error, i.e. live in the request arena). Extra ones are dropped. */
void error_add_field(problem_t *e, const char *field, const char *message);

/* Appends the problem+json body of e to out; request_id may be NULL. */
void error_render(const problem_t *e, const char *request_id, sbuf_t *out);

#endif
