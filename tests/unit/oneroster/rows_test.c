/* Tests of src/oneroster/rows.c: dates, grades, lists, sections, the manifest and the tables' row errors. */
#include "../unit.h"

#include "oneroster/oneroster_int.h"

static or_file_t file(const char *name, const char *text)
{
    return (or_file_t){name, text, strlen(text)};
}

static void test_dates(void **state)
{
    (void)state;
    static const char *const good[] = {"2020-08-17", "2024-02-29", "2000-02-29", "1999-12-31", NULL};
    static const char *const bad[] = {"2023-02-29", "1900-02-29",           "2020-12-32", "2020-13-01", "2020-8-17",
                                      "20200817",   "2020-08-17T00:00:00Z", "",           "1899-12-31", "2020-00-10",
                                      NULL};
    for (int i = 0; good[i] != NULL; i++)
        if (!or_date_ok(good[i]))
            fail_msg("refused %s", good[i]);
    for (int i = 0; bad[i] != NULL; i++)
        if (or_date_ok(bad[i]))
            fail_msg("accepted %s", bad[i]);
    assert_false(or_date_ok(NULL));
}

static void test_grades(void **state)
{
    (void)state;
    assert_int_equal(or_grade_level("09"), 9);
    assert_int_equal(or_grade_level("09,10"), 9);
    assert_int_equal(or_grade_level("KG"), 0);
    assert_int_equal(or_grade_level("PK"), 0);
    assert_int_equal(or_grade_level("13"), 13);
    assert_int_equal(or_grade_level("7"), 7);
    assert_int_equal(or_grade_level("14"), -1);
    assert_int_equal(or_grade_level("UG"), -1);
    assert_int_equal(or_grade_level("Other"), -1);
    assert_int_equal(or_grade_level(""), -1);
    assert_int_equal(or_grade_level(NULL), -1);
    assert_string_equal(or_grade_code(0), "KG");
    assert_string_equal(or_grade_code(9), "09");
    assert_null(or_grade_code(14));
    for (int g = 0; g <= 13; g++)
        assert_int_equal(or_grade_level(or_grade_code(g)), g);
}

static void test_lists_and_sections(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    int n;
    const char **v = or_split(&a, " a, b ,,c ", &n);
    assert_int_equal(n, 3);
    assert_string_equal(v[0], "a");
    assert_string_equal(v[1], "b");
    assert_string_equal(v[2], "c");
    or_split(&a, NULL, &n);
    assert_int_equal(n, 0);
    assert_true(or_list_has(&a, "255901,255901001", "255901001"));
    assert_false(or_list_has(&a, "2559010011", "255901001"));
    assert_string_equal(or_section(&a, "English I", "ENG-1", "x"), "English I");
    assert_string_equal(or_section(&a, "A very long class code", "ENG-1", "x"), "ENG-1");
    assert_string_equal(or_section(&a, NULL, "A very long title", "25590100101Trad120ENG112011"), "0ENG112011");
    arena_destroy(&a);
}

static void test_manifest(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    or_errors_t e;
    or_errors_init(&e, &a);
    const char *modes[OR_NTABLES];
    const char **ignored;
    int n;
    or_file_t f = file("manifest.csv", "propertyName,value\r\nmanifest.version,1\r\noneroster.version,1.1\r\n"
                                       "file.users,bulk\r\nfile.enrollments,delta\r\nfile.orgs,absent\r\n"
                                       "file.lineItems,bulk\r\nfile.results,absent\r\n");
    assert_int_equal(or_manifest(&a, &f, modes, &ignored, &n, &e), 0);
    assert_string_equal(modes[OR_USERS], "bulk");
    assert_string_equal(modes[OR_ENROLLMENTS], "delta");
    assert_null(modes[OR_ORGS]);
    assert_null(modes[OR_CLASSES]);
    assert_int_equal(n, 1);
    assert_string_equal(ignored[0], "lineItems");

    f = file("manifest.csv", "propertyName,value\nfile.users,sometimes\noneroster.version,1.2\n");
    assert_int_equal(or_manifest(&a, &f, modes, &ignored, &n, &e), -1);
    assert_int_equal(e.total, 2);
    assert_int_equal(e.v[0].line, 2);
    assert_string_equal(e.v[0].column, "value");
    assert_int_equal(e.v[1].line, 3);

    or_errors_init(&e, &a);
    f = file("manifest.csv", "name,value\nfile.users,bulk\n");
    assert_int_equal(or_manifest(&a, &f, modes, &ignored, &n, &e), -1);
    assert_int_equal(e.v[0].line, 1);
    or_errors_init(&e, &a);
    f = file("manifest.csv", "propertyName,value\nfile.users,bulk\n");
    assert_int_equal(or_manifest(&a, &f, modes, &ignored, &n, &e), -1); /* no oneroster.version */
    arena_destroy(&a);
}

static void test_tables(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    or_errors_t e;
    or_errors_init(&e, &a);
    or_table_t t;
    /* extension columns and a trailing empty field are accepted; columns in any order */
    or_file_t f = file("orgs.csv", "\xef\xbb\xbftype,sourcedId,name,metadata.city\r\n"
                                   "school,S1,\"High, School\",Paris,\r\n"
                                   "district,D1,District,\r\n");
    assert_int_equal(or_table_parse(&a, &f, &or_specs[OR_ORGS], &t, &e), 0);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.rows[0].f[ORG_NAME], "High, School");
    assert_string_equal(t.rows[0].f[ORG_TYPE], "school");
    assert_null(t.rows[0].f[ORG_IDENTIFIER]);
    assert_int_equal(t.rows[1].line, 3);
    assert_ptr_equal(smap_get(&t.by_id, "D1"), &t.rows[1]);

    /* a missing required column */
    f = file("orgs.csv", "sourcedId,name\nS1,School\n");
    assert_int_equal(or_table_parse(&a, &f, &or_specs[OR_ORGS], &t, &e), -1);
    assert_int_equal(e.total, 1);
    assert_string_equal(e.v[0].file, "orgs.csv");
    assert_int_equal(e.v[0].line, 1);
    assert_string_equal(e.v[0].column, "type");

    /* row errors: a required value, a bad status, a short row, a repeated sourcedId; tobedeleted needs only the id */
    or_errors_init(&e, &a);
    f = file("orgs.csv", "sourcedId,status,name,type\nS1,,,school\nS2,gone,X,school\nS3,X\nS1,,Y,school\n"
                         "S4,tobedeleted,,\n");
    assert_int_equal(or_table_parse(&a, &f, &or_specs[OR_ORGS], &t, &e), -1);
    assert_int_equal(e.total, 4);
    int lines[] = {2, 3, 4, 5};
    const char *cols[] = {"name", "status", NULL, "sourcedId"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(e.v[i].line, lines[i]);
        if (cols[i] == NULL)
            assert_null(e.v[i].column);
        else
            assert_string_equal(e.v[i].column, cols[i]);
    }
    assert_true(t.rows[t.n - 1].deleted);
    arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),    cmocka_unit_test(test_grades), cmocka_unit_test(test_lists_and_sections),
        cmocka_unit_test(test_manifest), cmocka_unit_test(test_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
