/*
 * slots.h - a parsed OneRoster filter (filter.h) as the bound parameters of
 * a static SQL statement, when it can be: a conjunction of at most
 * OR_SLOT_MAX predicates, each on a field the statement has as a plain
 * column (text, or dateLastModified as Unix ms). The statement tests each
 * slot as "field number F, operator OP, value V" (text columns compared
 * byte-wise, as strcmp does, '~' as an ASCII case-insensitive "contains")
 * or "the time is (not) in [LO, HI)" for dateLastModified.
 *
 * What it cannot express with the same result as or_filter_match() is
 * refused, and the caller evaluates the filter in memory: OR, a field with
 * no column (references, lists, metadata), a value that reads as a number
 * (the filter then compares numbers), '~' on dateLastModified.
 * Pure: no I/O.
 */
#ifndef ERP_ONEROSTER_REST_SLOTS_H
#define ERP_ONEROSTER_REST_SLOTS_H

#include <stdint.h>

#include "oneroster/rest/filter.h"

#define OR_SLOT_MAX 5

/* Slot operators: the filter's text operators keep their or_op_t value; times use these two. */
enum { OR_SLOT_IN_RANGE = 7, OR_SLOT_OUT_OF_RANGE = 8 };

typedef struct or_slot {
    int field;         /* 1 + the index in the column list; 0: the slot is unused */
    int op;            /* or_op_t, or OR_SLOT_IN_RANGE / OR_SLOT_OUT_OF_RANGE */
    const char *value; /* text operators */
    int64_t lo, hi;    /* time ranges: [lo, hi) in Unix ms */
} or_slot_t;

typedef struct or_slots {
    or_slot_t v[OR_SLOT_MAX];
    int n;
} or_slots_t;

/*
 * Appends field op value to s when columns (NULL-terminated; "dateLastModified" is the time column) has
 * the field. Returns 0, or -1 when the predicate cannot be a slot (or s is full).
 */
int or_slots_add(or_slots_t *s, const char *const *columns, const or_pred_t *p);

/* Appends every predicate of f. Returns 0, or -1 when f as a whole cannot be expressed as slots. */
int or_slots_from_filter(or_slots_t *s, const char *const *columns, const or_filter_t *f);

/* The field number of name in columns (1-based), or 0. */
int or_slot_field(const char *const *columns, const char *name);

/*
 * The first Unix ms time (from 0 to the end of year 9999) whose iso_time() text compares above value
 * (strictly when strict, else at or above it); one past the range when none does.
 */
int64_t or_time_threshold(const char *value, int strict);

#endif
