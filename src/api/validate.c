#include "api/validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/ids.h"
#include "core/utf8.h"
#include "domain/calendar.h"
#include "domain/timetable.h"

/* The member, or NULL when absent or null; records "is required" when required. */
static json_t *member(req_t *r, const char *field, int required)
{
    json_t *v = r->json != NULL ? json_object_get(r->json, field) : NULL;
    if (v == NULL || json_is_null(v)) {
        if (required)
            res_field_error(r, field, "is required");
        return NULL;
    }
    return v;
}

int body_string(req_t *r, const char *field, int required, size_t minlen, size_t maxlen, const char **out)
{
    json_t *v = member(r, field, required);
    if (v == NULL)
        return required ? -1 : 0;
    if (!json_is_string(v)) {
        res_field_error(r, field, "must be a string");
        return -1;
    }
    const char *s = json_string_value(v);
    char why[80];
    if (utf8_text_check(s, minlen, maxlen, why, sizeof(why)) != 0) {
        res_field_error(r, field, "%s", why);
        return -1;
    }
    *out = s;
    return 1;
}

int body_int(req_t *r, const char *field, int required, long long min, long long max, long long *out)
{
    json_t *v = member(r, field, required);
    if (v == NULL)
        return required ? -1 : 0;
    if (!json_is_integer(v)) {
        res_field_error(r, field, "must be an integer");
        return -1;
    }
    long long n = json_integer_value(v);
    if (n < min || n > max) {
        res_field_error(r, field, "must be from %lld to %lld", min, max);
        return -1;
    }
    *out = n;
    return 1;
}

int body_bool(req_t *r, const char *field, int required, int *out)
{
    json_t *v = member(r, field, required);
    if (v == NULL)
        return required ? -1 : 0;
    if (!json_is_boolean(v)) {
        res_field_error(r, field, "must be true or false");
        return -1;
    }
    *out = json_is_true(v);
    return 1;
}

int body_enum(req_t *r, const char *field, int required, const char *const *values, int *out)
{
    json_t *v = member(r, field, required);
    if (v == NULL)
        return required ? -1 : 0;
    if (json_is_string(v)) {
        for (int i = 0; values[i] != NULL; i++) {
            if (strcmp(values[i], json_string_value(v)) == 0) {
                *out = i;
                return 1;
            }
        }
    }
    sbuf_t b;
    sbuf_init(&b, &r->arena, 128);
    sbuf_puts(&b, "must be one of: ");
    for (int i = 0; values[i] != NULL; i++)
        sbuf_printf(&b, "%s%s", i ? ", " : "", values[i]);
    res_field_error(r, field, "%s", b.p);
    return -1;
}

int valid_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

/* the number of n decimal digits at s; -1 when one of them is not a digit */
static int number(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = isdigit((unsigned char)s[i]) && v >= 0 ? v * 10 + (s[i] - '0') : -1;
    return v;
}

int valid_instant(const char *s, long long *ms)
{
    size_t n = strnlen(s, 25);
    char part[11];
    cal_day_t day;
    if (n < 10)
        return 0;
    memcpy(part, s, 10);
    part[10] = '\0';
    if (cal_parse(part, &day) != 0)
        return 0;
    int minutes = 0, sec = 0, milli = 0;
    if (n > 10) {
        if ((n != 20 && n != 24) || s[10] != 'T' || s[16] != ':' || s[n - 1] != 'Z')
            return 0;
        memcpy(part, s + 11, 5);
        part[5] = '\0';
        if ((minutes = tt_parse_time(part, 0)) < 0 || (sec = number(s + 17, 2)) < 0 || sec > 59 ||
            (n == 24 && (s[19] != '.' || (milli = number(s + 20, 3)) < 0)))
            return 0;
    }
    *ms = ((long long)day * 1440 + minutes) * 60000LL + sec * 1000LL + milli;
    return 1;
}

int body_date(req_t *r, const char *field, int required, const char **out)
{
    json_t *v = member(r, field, required);
    if (v == NULL)
        return required ? -1 : 0;
    if (!json_is_string(v) || !valid_date(json_string_value(v))) {
        res_field_error(r, field, "must be a date YYYY-MM-DD");
        return -1;
    }
    *out = json_string_value(v);
    return 1;
}

int body_uuid(req_t *r, const char *field, int required, const char **out)
{
    json_t *v = member(r, field, required);
    if (v == NULL)
        return required ? -1 : 0;
    if (!json_is_string(v) || !ids_uuid_valid(json_string_value(v), json_string_length(v))) {
        res_field_error(r, field, "must be an id (UUID)");
        return -1;
    }
    *out = json_string_value(v);
    return 1;
}

static const char *lower_copy(req_t *r, const char *s)
{
    char *out = arena_strdup(&r->arena, s);
    for (char *p = out; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return out;
}

const char *body_id(req_t *r, const char *field, int required)
{
    const char *v = NULL;
    return body_uuid(r, field, required, &v) == 1 ? lower_copy(r, v) : NULL;
}

const char *query_id(req_t *r, const char *name, int required)
{
    const char *v = req_query(r, name);
    if (v == NULL) {
        if (required)
            res_field_error(r, name, "is required");
        return NULL;
    }
    if (!ids_uuid_valid(v, strlen(v))) {
        res_field_error(r, name, "must be an id (UUID)");
        return NULL;
    }
    return lower_copy(r, v);
}

void body_only_fields(req_t *r, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(r->json, key, v)
    {
        int ok = 0;
        for (int i = 0; allowed[i] != NULL && !ok; i++)
            ok = strcmp(allowed[i], key) == 0;
        if (!ok)
            res_field_error(r, key, "is not a field of this resource, or may not be set");
    }
}

int body_array(req_t *r, const char *field, size_t min, size_t max, const char *shape,
               void (*read)(req_t *r, size_t i, void *ctx), void *ctx)
{
    json_t *arr = json_object_get(r->json, field), *outer = r->json;
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    if (arr == NULL || json_is_null(arr)) {
        res_field_error(r, field, "is required");
        return -1;
    }
    if (!json_is_array(arr) || n < min || n > max) {
        res_field_error(r, field, "must be an array of %zu to %zu items", min, max);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(arr, i);
        int first = r->err.nfields;
        if (!json_is_object(item)) {
            res_field_error(r, arena_printf(&r->arena, "%s[%zu]", field, i), "must be an object %s", shape);
            continue;
        }
        r->json = item;
        read(r, i, ctx);
        r->json = outer;
        for (int k = first; k < r->err.nfields; k++)
            r->err.fields[k].field = arena_printf(&r->arena, "%s[%zu].%s", field, i, r->err.fields[k].field);
    }
    return (int)n;
}

void body_forbid_fields(req_t *r, const char *const *forbidden)
{
    for (int i = 0; forbidden[i] != NULL; i++)
        if (json_object_get(r->json, forbidden[i]) != NULL)
            res_field_error(r, forbidden[i], "may not be set");
}

int query_int(req_t *r, const char *name, const char *value, long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || n < min || n > max) {
        res_field_error(r, name, "must be an integer from %lld to %lld", min, max);
        return res_check_fields(r);
    }
    *out = n;
    return 0;
}
