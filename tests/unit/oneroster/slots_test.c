/* Tests of src/oneroster/rest/slots.c: which filters become bound slots of a statement, and the time bounds. */
#include "../unit.h"

#include <string.h>

#include "api/common.h"
#include "oneroster/rest/filter.h"
#include "oneroster/rest/slots.h"

static const char *const fields[] = {"sourcedId", "status", "dateLastModified", "email", "role", "orgs", NULL};
static const char *const columns[] = {"sourcedId", "status", "dateLastModified", "email", "role", NULL};

/* 0 with the slots of text in *s, or -1 when the filter stays in memory. */
static int slots_of(arena_t *a, const char *text, or_slots_t *s)
{
    or_filter_t f;
    const char *why;
    assert_int_equal(or_filter_parse(a, text, fields, &f, &why), 0);
    memset(s, 0, sizeof(*s));
    return or_slots_from_filter(s, columns, &f);
}

static void test_what_becomes_slots(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    or_slots_t s;
    assert_int_equal(slots_of(&a, "email='x@y.z' AND role!='guardian'", &s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.v[0].field, 4);
    assert_int_equal(s.v[0].op, OR_EQ);
    assert_string_equal(s.v[0].value, "x@y.z");
    assert_int_equal(s.v[1].field, 5);
    assert_int_equal(s.v[1].op, OR_NE);
    assert_int_equal(slots_of(&a, "email~'ABC'", &s), 0);
    assert_int_equal(s.v[0].op, OR_CONTAINS);
    assert_int_equal(slots_of(&a, "email~'12'", &s), 0); /* '~' never compares numbers */
    assert_int_equal(slots_of(&a, "role='a' OR role='b'", &s), -1);
    assert_int_equal(slots_of(&a, "orgs.sourcedId='o1'", &s), -1);   /* no column */
    assert_int_equal(slots_of(&a, "email='12'", &s), -1);            /* compared as numbers in memory */
    assert_int_equal(slots_of(&a, "dateLastModified~'2021'", &s), -1);
    assert_int_equal(slots_of(&a, "role='a' AND role='a' AND role='a' AND role='a' AND role='a'", &s), 0);
    assert_int_equal(slots_of(&a, "role='a' AND role='a' AND role='a' AND role='a' AND role='a' AND role='a'", &s),
                     -1); /* more than OR_SLOT_MAX */
    arena_destroy(&a);
}

static void test_time_bounds(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    const int64_t t = 1611100800123; /* 2021-01-20T00:00:00.123Z */
    assert_string_equal(iso_time(&a, t), "2021-01-20T00:00:00.123Z");
    assert_int_equal(or_time_threshold("2021-01-20T00:00:00.123Z", 0), t);
    assert_int_equal(or_time_threshold("2021-01-20T00:00:00.123Z", 1), t + 1);
    assert_int_equal(or_time_threshold("2021-01-20", 0), t - 123);      /* a prefix sorts before its times */
    assert_int_equal(or_time_threshold("2021-01-20", 1), t - 123);
    assert_int_equal(or_time_threshold("2021-01-20T", 0), t - 123);
    assert_int_equal(or_time_threshold("2021-01-21", 1), t - 123 + 86400000);
    assert_int_equal(or_time_threshold("", 0), 0);
    assert_int_equal(or_time_threshold("a", 0), 253402300800000LL); /* above every time */
    or_slots_t s;
    assert_int_equal(slots_of(&a, "dateLastModified='2021-01-20T00:00:00.123Z'", &s), 0);
    assert_int_equal(s.v[0].op, OR_SLOT_IN_RANGE);
    assert_int_equal(s.v[0].lo, t);
    assert_int_equal(s.v[0].hi, t + 1);
    assert_int_equal(slots_of(&a, "dateLastModified>'2021'", &s), 0); /* text, though it reads as a number */
    assert_int_equal(s.v[0].op, OR_SLOT_IN_RANGE);
    assert_int_equal(slots_of(&a, "dateLastModified!='2021-01-20'", &s), 0);
    assert_int_equal(s.v[0].op, OR_SLOT_OUT_OF_RANGE);
    assert_int_equal(s.v[0].lo, s.v[0].hi); /* no time's text is exactly a date */
    arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_what_becomes_slots),
        cmocka_unit_test(test_time_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
