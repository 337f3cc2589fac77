/*
 * filter.h - the OneRoster 1.1 filter grammar (?filter=), parsed into a
 * small expression and evaluated against the JSON records of a collection.
 *
 *   filter    := predicate (" AND " predicate | " OR " predicate)*
 *   predicate := field op '\'' value '\''      (a quote inside a value is doubled: '')
 *   op        := "=" | "!=" | ">" | ">=" | "<" | "<=" | "~"
 *   field     := a record's field, or field.member for a reference's
 *                (school.sourcedId) and for arrays of them
 * AND binds tighter than OR. Spaces around operators are allowed. '~' is
 * "contains", case-insensitively. Values compare as numbers when both sides
 * are numbers, else as text (ISO dates and times compare as text, so
 * dateLastModified>'2021-01-20' works). An array field matches when one of
 * its elements does ("=" and "~"), or when none does ("!="). A field a record
 * lacks (null, or not set) matches only "!=".
 * Pure: no I/O; values are never put into SQL.
 */
#ifndef ERP_ONEROSTER_REST_FILTER_H
#define ERP_ONEROSTER_REST_FILTER_H

#include <jansson.h>

#include "core/arena.h"

#define OR_FILTER_MAX 16 /* predicates in one filter */

typedef enum { OR_EQ, OR_NE, OR_GT, OR_GE, OR_LT, OR_LE, OR_CONTAINS } or_op_t;

typedef struct or_pred {
    const char *field;  /* "email", "school.sourcedId" */
    or_op_t op;
    const char *value;
    int or_before;      /* joined to the predicate before by OR (else AND) */
} or_pred_t;

typedef struct or_filter {
    or_pred_t v[OR_FILTER_MAX];
    int n;
} or_filter_t;

/*
 * Parses text into f. fields: the NULL-terminated names a field may start
 * with (its part before any '.'). Returns 0; -1 when malformed (*why says
 * where: "invalid data"), -2 for an unknown field (*why names it:
 * "invalid_filter_field"). *why is in the arena.
 */
int or_filter_parse(arena_t *a, const char *text, const char *const *fields, or_filter_t *f, const char **why);

/* Whether record (a JSON object) satisfies f (an empty filter: always). */
int or_filter_match(const or_filter_t *f, json_t *record);

/* Whether the filter compares s as a number (when the record's value is one too). */
int or_value_is_number(const char *s);

/* The value at a dotted path of record (borrowed), or NULL. */
json_t *or_field_get(json_t *record, const char *path);

#endif
