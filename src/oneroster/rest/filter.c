/* filter.c - the OneRoster 1.1 filter grammar (filter.h). */
#include "oneroster/rest/filter.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *text;
    or_op_t op;
} ops[] = {{"!=", OR_NE}, {">=", OR_GE}, {"<=", OR_LE}, {"=", OR_EQ}, {">", OR_GT}, {"<", OR_LT}, {"~", OR_CONTAINS}};

static const char *skip_spaces(const char *p)
{
    while (*p == ' ')
        p++;
    return p;
}

static int field_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_';
}

static int known_field(const char *field, const char *const *fields)
{
    size_t n = strcspn(field, ".");
    for (const char *const *f = fields; *f != NULL; f++)
        if (strlen(*f) == n && strncmp(*f, field, n) == 0)
            return 1;
    return 0;
}

/* Reads 'value' ('' for a quote) at *pp; the value in the arena, or NULL when malformed. */
static const char *read_value(arena_t *a, const char **pp)
{
    const char *p = *pp;
    if (*p != '\'')
        return NULL;
    p++;
    char *out = arena_alloc(a, strlen(p) + 1);
    size_t n = 0;
    for (;;) {
        if (*p == '\0')
            return NULL;
        if (*p == '\'') {
            if (p[1] != '\'')
                break;
            p++;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
    *pp = p + 1;
    return out;
}

/* Reads "field op 'value'" at *pp into pred; 0, -1 malformed, -2 unknown field. */
static int read_predicate(arena_t *a, const char **pp, const char *const *fields, or_pred_t *pred, const char **why)
{
    const char *p = skip_spaces(*pp), *start = p;
    while (field_char(*p))
        p++;
    if (p == start || *start == '.' || p[-1] == '.') {
        *why = arena_printf(a, "a field name is expected at \"%.40s\"", start);
        return -1;
    }
    pred->field = arena_printf(a, "%.*s", (int)(p - start), start);
    if (!known_field(pred->field, fields)) {
        *why = arena_printf(a, "%s is not a field of these records", pred->field);
        return -2;
    }
    p = skip_spaces(p);
    size_t i;
    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strncmp(p, ops[i].text, strlen(ops[i].text)) == 0)
            break;
    if (i == sizeof(ops) / sizeof(ops[0])) {
        *why = arena_printf(a, "an operator (=, !=, >, >=, <, <=, ~) is expected after %s", pred->field);
        return -1;
    }
    pred->op = ops[i].op;
    p = skip_spaces(p + strlen(ops[i].text));
    if ((pred->value = read_value(a, &p)) == NULL) {
        *why = arena_printf(a, "a value in single quotes is expected after %s%s", pred->field, ops[i].text);
        return -1;
    }
    *pp = p;
    return 0;
}

int or_filter_parse(arena_t *a, const char *text, const char *const *fields, or_filter_t *f, const char **why)
{
    f->n = 0;
    const char *p = text;
    int or_next = 0;
    for (;;) {
        if (f->n == OR_FILTER_MAX) {
            *why = arena_printf(a, "at most %d predicates", OR_FILTER_MAX);
            return -1;
        }
        or_pred_t *pred = &f->v[f->n];
        int rc = read_predicate(a, &p, fields, pred, why);
        if (rc != 0)
            return rc;
        pred->or_before = or_next;
        f->n++;
        const char *after = p;
        p = skip_spaces(p);
        if (*p == '\0')
            return 0;
        if (p == after) {
            *why = arena_printf(a, "a space is expected after the value at \"%.40s\"", p);
            return -1;
        }
        if (strncmp(p, "AND ", 4) == 0)
            or_next = 0;
        else if (strncmp(p, "OR ", 3) == 0)
            or_next = 1;
        else {
            *why = arena_printf(a, "AND or OR is expected at \"%.40s\"", p);
            return -1;
        }
        p += or_next ? 3 : 4;
    }
}

json_t *or_field_get(json_t *record, const char *path)
{
    json_t *v = record;
    while (v != NULL && *path != '\0') {
        size_t n = strcspn(path, ".");
        if (!json_is_object(v))
            return NULL;
        v = json_object_getn(v, path, n);
        path += n + (path[n] == '.');
    }
    return v;
}

static int is_number(const char *s, double *out)
{
    char *end;
    if (*s == '\0' || isspace((unsigned char)*s))
        return 0;
    *out = strtod(s, &end);
    return *end == '\0';
}

int or_value_is_number(const char *s)
{
    double x;
    return is_number(s, &x);
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay != '\0'; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    return n == 0;
}

/* Compares one scalar (string, number or boolean) with the predicate. */
static int scalar_match(json_t *v, const or_pred_t *p)
{
    char buf[64];
    const char *s;
    if (json_is_string(v))
        s = json_string_value(v);
    else if (json_is_integer(v))
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v)), s = buf;
    else if (json_is_real(v))
        snprintf(buf, sizeof(buf), "%.17g", json_real_value(v)), s = buf;
    else if (json_is_boolean(v))
        s = json_is_true(v) ? "true" : "false";
    else
        return 0;
    if (p->op == OR_CONTAINS)
        return contains_nocase(s, p->value);
    double x, y;
    int c;
    if (is_number(s, &x) && is_number(p->value, &y))
        c = x < y ? -1 : x > y;
    else
        c = strcmp(s, p->value);
    switch (p->op) {
    case OR_EQ: return c == 0;
    case OR_NE: return c != 0;
    case OR_GT: return c > 0;
    case OR_GE: return c >= 0;
    case OR_LT: return c < 0;
    case OR_LE: return c <= 0;
    default: return 0;
    }
}

/* An object (a GUIDRef) compares by its sourcedId. */
static int value_match(json_t *v, const or_pred_t *p)
{
    if (json_is_object(v))
        v = json_object_get(v, "sourcedId");
    return v != NULL && scalar_match(v, p);
}

static int array_path_get(json_t *record, const char *field, json_t **array, const char **member)
{
    size_t n = strcspn(field, ".");
    json_t *a = json_object_getn(record, field, n);
    if (!json_is_array(a))
        return 0;
    *array = a;
    *member = field[n] == '.' ? field + n + 1 : NULL;
    return 1;
}

static int pred_match(json_t *record, const or_pred_t *p)
{
    json_t *arr;
    const char *member;
    if (array_path_get(record, p->field, &arr, &member)) {
        or_pred_t q = *p;
        if (p->op == OR_NE)
            q.op = OR_EQ;
        size_t i;
        json_t *e;
        int any = 0;
        json_array_foreach(arr, i, e) any = any || value_match(member != NULL ? or_field_get(e, member) : e, &q);
        return p->op == OR_NE ? !any : any;
    }
    json_t *v = or_field_get(record, p->field);
    if (v == NULL || json_is_null(v))
        return p->op == OR_NE;
    return value_match(v, p);
}

int or_filter_match(const or_filter_t *f, json_t *record)
{
    if (f->n == 0)
        return 1;
    int any = 0, all = 1;
    for (int i = 0; i < f->n; i++) {
        if (f->v[i].or_before) {
            any = any || all;
            all = 1;
        }
        all = all && pred_match(record, &f->v[i]);
    }
    return any || all;
}
