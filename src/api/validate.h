/*
 * validate.h - reading request input with field-level errors.
 *
 * Each body_*() reads one member of the JSON body object (r->json). It returns
 * 1 when the member is present and valid (*out set), 0 when it is absent or
 * null and not required (*out untouched), and -1 after recording a field error
 * (422). Handlers read every field, then call res_check_fields() once, so a
 * client learns about all bad fields in one response.
 */
#ifndef ERP_API_VALIDATE_H
#define ERP_API_VALIDATE_H

#include <stddef.h>

#include "http/handler.h"

/*
 * A string of minlen..maxlen characters (Unicode code points), checked by
 * utf8_text_check() as the command line checks its texts: no control
 * characters but tab and line breaks, no whitespace at either end.
 */
int body_string(req_t *r, const char *field, int required, size_t minlen, size_t maxlen, const char **out);
/* An integer (JSON integer, not a real) in [min, max]. */
int body_int(req_t *r, const char *field, int required, long long min, long long max, long long *out);
/* true or false. */
int body_bool(req_t *r, const char *field, int required, int *out);
/* One of the NULL-terminated values; *out is its index. */
int body_enum(req_t *r, const char *field, int required, const char *const *values, int *out);
/* A calendar date "YYYY-MM-DD". */
int body_date(req_t *r, const char *field, int required, const char **out);
/* A UUID string. */
int body_uuid(req_t *r, const char *field, int required, const char **out);

/* Records an error for every member of the body not in the NULL-terminated list. */
void body_only_fields(req_t *r, const char *const *allowed);
/* Records an error for each member present from the NULL-terminated list (fields the caller may not set). */
void body_forbid_fields(req_t *r, const char *const *forbidden);

/*
 * Reads the array member field of min..max objects: read(r, i, ctx) runs for
 * each item with r->json set to it (the body_*() helpers read its members),
 * and the field errors it records are renamed "field[i].name" (an item that
 * is not an object is one error, "must be an object <shape>"). Returns the
 * number of items, or -1 after a field error (absent, not an array, too few
 * or too many); errors of items leave r->err.nfields > 0 (res_check_fields()).
 */
int body_array(req_t *r, const char *field, size_t min, size_t max, const char *shape,
               void (*read)(req_t *r, size_t i, void *ctx), void *ctx);

/*
 * An id (UUID) member, as a copy in lower case in the arena (ids compare as
 * stored); NULL when absent or null (a field error when required) or not a
 * UUID (a field error).
 */
const char *body_id(req_t *r, const char *field, int required);
/* The same for a query parameter: its decoded value in lower case, or NULL (with a field error when bad or missing but required). */
const char *query_id(req_t *r, const char *name, int required);

/* Parses a query parameter's value as an integer in [min, max]; returns 0, or -1 with a 422 naming it. */
int query_int(req_t *r, const char *name, const char *value, long long min, long long max, long long *out);

/* Whether s is a valid date YYYY-MM-DD (proleptic Gregorian). */
int valid_date(const char *s);

/*
 * Whether s is an instant as the API writes them: a date YYYY-MM-DD (its
 * midnight, UTC) or YYYY-MM-DDTHH:MM:SS[.mmm]Z (UTC, hours 00-23, seconds
 * 00-59, exactly three digits of milliseconds), nothing else. Sets *ms to the
 * milliseconds since 1970-01-01T00:00:00Z (negative before) when it is.
 */
int valid_instant(const char *s, long long *ms);

#endif
