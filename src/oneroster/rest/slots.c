/*
 * slots.c - a OneRoster filter as the parameters of a static statement
 * (slots.h). A time column is shown as iso_time() text, which grows with the
 * time, so "text > value" is "time >= the first time whose text is above
 * value": a binary search finds that bound.
 */
#include "oneroster/rest/slots.h"

#include <string.h>

#include "api/common.h"

#define TIME_FIELD "dateLastModified"
#define TIME_END 253402300800000LL /* 10000-01-01T00:00:00Z */

int or_slot_field(const char *const *columns, const char *name)
{
    for (int i = 0; columns[i] != NULL; i++)
        if (strcmp(columns[i], name) == 0)
            return i + 1;
    return 0;
}

int64_t or_time_threshold(const char *value, int strict)
{
    int64_t lo = 0, hi = TIME_END; /* the answer is in [lo, hi] */
    arena_t a;
    arena_init(&a);
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(iso_time(&a, mid), value);
        arena_reset(&a);
        if (strict ? c > 0 : c >= 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    arena_destroy(&a);
    return lo;
}

/* A time predicate as a range [lo, hi) the time is in (or out of). */
static void time_slot(or_slot_t *s, or_op_t op, const char *value)
{
    int64_t ge = or_time_threshold(value, 0), gt = or_time_threshold(value, 1);
    s->op = OR_SLOT_IN_RANGE;
    s->lo = 0;
    s->hi = TIME_END;
    switch (op) {
    case OR_EQ: s->lo = ge, s->hi = gt; break;
    case OR_NE: s->op = OR_SLOT_OUT_OF_RANGE, s->lo = ge, s->hi = gt; break;
    case OR_GT: s->lo = gt; break;
    case OR_GE: s->lo = ge; break;
    case OR_LT: s->hi = ge; break;
    case OR_LE: s->hi = gt; break;
    case OR_CONTAINS: break; /* refused by the caller */
    }
}

int or_slots_add(or_slots_t *s, const char *const *columns, const or_pred_t *p)
{
    int field = or_slot_field(columns, p->field);
    if (field == 0 || s->n == OR_SLOT_MAX)
        return -1;
    or_slot_t *slot = &s->v[s->n];
    *slot = (or_slot_t){.field = field, .op = (int)p->op, .value = p->value};
    if (strcmp(p->field, TIME_FIELD) == 0) {
        if (p->op == OR_CONTAINS)
            return -1;
        time_slot(slot, p->op, p->value);
    } else if (p->op != OR_CONTAINS && or_value_is_number(p->value)) {
        return -1;
    }
    s->n++;
    return 0;
}

int or_slots_from_filter(or_slots_t *s, const char *const *columns, const or_filter_t *f)
{
    for (int i = 0; i < f->n; i++)
        if (f->v[i].or_before || or_slots_add(s, columns, &f->v[i]) != 0)
            return -1;
    return 0;
}
