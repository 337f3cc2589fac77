/* Tests of src/imports/columns.c: the column sets, their templates, and the mapping of a header row. */
#include "../unit.h"

#include "imports/columns.h"

static sheet_row_t header(const char **names, int n)
{
    return (sheet_row_t){.line = 1, .nfields = n, .fields = names, .bad_utf8 = -1};
}

static void test_templates_list_every_column_in_order(void **state)
{
    (void)state;
    static const char *const kinds[] = {"students", "teachers", "staff"};
    for (int i = 0; i < 3; i++) {
        const import_kind_t *k = columns_kind(kinds[i]);
        assert_non_null(k);
        arena_t a;
        arena_init(&a);
        sheet_t s;
        assert_int_equal(sheet_parse(&a, k->template_csv, strlen(k->template_csv), &s), 0);
        assert_int_equal(s.nrows, 2);
        assert_int_equal(s.rows[0].nfields, k->ncolumns);
        assert_int_equal(s.rows[1].nfields, k->ncolumns); /* the example fills every column */
        for (int c = 0; c < k->ncolumns; c++)
            assert_string_equal(s.rows[0].fields[c], k->columns[c].name);
        errlist_t errs;
        errlist_init(&errs, &a);
        int at[IMPORT_MAX_COLUMNS];
        assert_int_equal(columns_map(k, &s.rows[0], at, &errs), 0);
        arena_destroy(&a);
    }
    assert_null(columns_kind("parents"));
    assert_null(columns_kind(NULL));
}

static void test_header_in_any_order_with_optional_columns_left_out(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    errlist_t errs;
    errlist_init(&errs, &a);
    const import_kind_t *k = columns_kind("students");
    const char *names[] = {"lastName", "guardian2Email", "dateOfBirth", "admissionNo", "firstName"};
    sheet_row_t h = header(names, 5);
    int at[IMPORT_MAX_COLUMNS];
    assert_int_equal(columns_map(k, &h, at, &errs), 0);
    for (int c = 0; c < k->ncolumns; c++) {
        const char *n = k->columns[c].name;
        int want = strcmp(n, "lastName") == 0 ? 0 : strcmp(n, "guardian2Email") == 0 ? 1
                   : strcmp(n, "dateOfBirth") == 0 ? 2 : strcmp(n, "admissionNo") == 0 ? 3
                   : strcmp(n, "firstName") == 0 ? 4 : -1;
        assert_int_equal(at[c], want);
        if (strcmp(n, "guardian2Email") == 0) {
            assert_int_equal(k->columns[c].part, 2);
            assert_string_equal(k->columns[c].field, "email");
        }
    }
    arena_destroy(&a);
}

static void test_unknown_repeated_and_missing_columns(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    errlist_t errs;
    errlist_init(&errs, &a);
    const char *names[] = {"admissionNo", "firstName", "givenName", "firstName"};
    sheet_row_t h = header(names, 4);
    int at[IMPORT_MAX_COLUMNS];
    assert_int_equal(columns_map(columns_kind("students"), &h, at, &errs), -1);
    assert_int_equal(errs.total, 4); /* givenName unknown, firstName twice, lastName and dateOfBirth missing */
    assert_string_equal(errs.v[0].column, "givenName");
    assert_string_equal(errs.v[1].column, "firstName");
    assert_string_equal(errs.v[2].column, "lastName");
    assert_string_equal(errs.v[3].column, "dateOfBirth");
    for (int i = 0; i < errs.n; i++)
        assert_int_equal(errs.v[i].line, 1);
    arena_destroy(&a);
}

static void test_error_list_is_bounded_but_counts_all(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    errlist_t errs;
    errlist_init(&errs, &a);
    for (int i = 0; i < IMPORT_MAX_ERRORS + 5; i++)
        errlist_add(&errs, i + 2, "x", "bad %d", i);
    assert_int_equal(errs.n, IMPORT_MAX_ERRORS);
    assert_int_equal(errs.total, IMPORT_MAX_ERRORS + 5);
    assert_string_equal(errs.v[7].reason, "bad 7");
    assert_int_equal(errs.v[7].line, 9);
    arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_templates_list_every_column_in_order),
        cmocka_unit_test(test_header_in_any_order_with_optional_columns_left_out),
        cmocka_unit_test(test_unknown_repeated_and_missing_columns),
        cmocka_unit_test(test_error_list_is_bounded_but_counts_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
