/* Tests of src/reports/layout.c: columns, rows per page, pages and which students go on each. */
#include "../unit.h"

#include "reports/layout.h"

/* A page with round numbers: 600 points of columns after a 100-point name column, 46 rows a page. */
static reg_layout_in_t simple(int ndays, int nstudents)
{
    return (reg_layout_in_t){.page_w = 800, .page_h = 600, .margin = 0, .header_h = 100, .head_h = 20,
                             .footer_h = 20, .row_h = 10, .name_w = 100, .total_w = 20, .ntotals = 5,
                             .ndays = ndays, .nsummary = 4, .nstudents = nstudents};
}

static void test_columns(void **state)
{
    (void)state;
    reg_layout_in_t in = simple(30, 10);
    reg_layout_t l;
    assert_int_equal(reg_layout(&in, &l), 0);
    assert_true(l.name_x == 0 && l.day_x == 100 && l.day_w == 20 && l.total_x == 700);
    assert_true(reg_day_x(&l, 0) == 100 && reg_day_x(&l, 29) == 680 && reg_day_x(&l, 30) == l.total_x);
    assert_true(reg_total_x(&in, &l, 0) == 700 && reg_total_x(&in, &l, 5) == 800);
    assert_true(l.table_y == 100 && l.rows_y == 120 && reg_row_y(&l, 3) == 150);
    assert_int_equal(l.rows_per_page, 46);
    in.ndays = 31; /* the columns narrow to fit the longest month */
    assert_int_equal(reg_layout(&in, &l), 0);
    assert_true(reg_day_x(&l, 31) > 699.99 && reg_day_x(&l, 31) < 700.01);
}

static void test_what_does_not_fit_is_refused(void **state)
{
    (void)state;
    reg_layout_t l = {.npages = 77};
    reg_layout_in_t in = simple(31, 10);
    in.name_w = 600; /* day columns under 8 points */
    assert_int_equal(reg_layout(&in, &l), -1);
    in = simple(31, 10);
    in.row_h = 100; /* 4 rows: one student and the 4 totals rows do not fit */
    assert_int_equal(reg_layout(&in, &l), -1);
    in = simple(0, 10);
    assert_int_equal(reg_layout(&in, &l), -1);
    assert_int_equal(l.npages, 77); /* untouched */
}

static void expect_pages(int nstudents, int npages, const int *counts)
{
    reg_layout_in_t in = simple(31, nstudents);
    reg_layout_t l;
    assert_int_equal(reg_layout(&in, &l), 0);
    assert_int_equal(l.npages, npages);
    for (int p = 0, next = 0; p < npages; p++) {
        int first, count;
        reg_page_rows(&l, nstudents, p, &first, &count);
        assert_int_equal(first, next);
        assert_int_equal(count, counts[p]);
        next += count;
    }
}

static void test_pages_of_some_classes(void **state)
{
    (void)state;
    expect_pages(0, 1, (int[]){0});       /* an empty class: one page with the totals */
    expect_pages(42, 1, (int[]){42});     /* 42 students and 4 totals rows fill the page */
    expect_pages(43, 2, (int[]){22, 21}); /* one more: spread over two pages */
    expect_pages(60, 2, (int[]){30, 30});
    expect_pages(88, 2, (int[]){46, 42}); /* spread evenly (44 + 44) the totals would not fit */
    expect_pages(89, 3, (int[]){30, 30, 29});
}

/* For every class size: each student once, in order; pages within capacity; the totals fit; fewest pages. */
static void test_every_class_size(void **state)
{
    (void)state;
    for (int n = 0; n <= 1000; n++) {
        reg_layout_in_t in = simple(28 + n % 4, n);
        reg_layout_t l;
        assert_int_equal(reg_layout(&in, &l), 0);
        assert_int_equal(l.npages, (n + 4 + 45) / 46 > 0 ? (n + 4 + 45) / 46 : 1);
        int next = 0;
        for (int p = 0; p < l.npages; p++) {
            int first, count;
            reg_page_rows(&l, n, p, &first, &count);
            assert_int_equal(first, next);
            assert_true(count <= l.rows_per_page);
            if (p == l.npages - 1)
                assert_true(count + in.nsummary <= l.rows_per_page);
            else
                assert_true(count > 0);
            next += count;
        }
        assert_int_equal(next, n);
        int first, count;
        reg_page_rows(&l, n, l.npages, &first, &count);
        assert_int_equal(count, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_what_does_not_fit_is_refused),
        cmocka_unit_test(test_pages_of_some_classes),
        cmocka_unit_test(test_every_class_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
