/* Tests of src/reports/register.c without a database: the month argument. */
#include "../unit.h"

#include "reports/register.h"

static void test_parse_month(void **state)
{
    (void)state;
    int y = 0, m = 0;
    assert_int_equal(register_parse_month("2026-10", &y, &m), 0);
    assert_int_equal(y, 2026);
    assert_int_equal(m, 10);
    assert_int_equal(register_parse_month("0999-01", &y, &m), 0);
    assert_int_equal(y, 999);
    assert_int_equal(m, 1);
    static const char *const bad[] = {"",        "2026-1",   "2026-13", "2026-00", "2026/10", "2026-1a",
                                      "26-10-1", "2026-100", "+026-10", " 2026-1", "2026-10 ", NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        y = m = 77;
        if (register_parse_month(bad[i], &y, &m) != -1)
            fail_msg("accepted '%s'", bad[i]);
        assert_true(y == 77 && m == 77);
    }
    assert_int_equal(register_parse_month(NULL, &y, &m), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_month),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
