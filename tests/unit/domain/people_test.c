/* Tests of src/domain/people.c: names, phones, school-issued numbers, dates, search text, LIKE patterns, sort keys. */
#include "../unit.h"

#include "domain/people.h"

static void test_names_refuse_control_characters(void **state)
{
    (void)state;
    assert_true(people_valid_name("Ana"));
    assert_true(people_valid_name("O'Brien-Smith Jr."));
    assert_true(people_valid_name("\xe7\x8e\x8b\xe5\xb0\x8f\xe6\x98\x8e")); /* 王小明 */
    assert_true(people_valid_name("Zo\xc3\xab"));
    assert_true(people_valid_name(""));
    assert_false(people_valid_name("Ana\x1f" "Lopez")); /* the sort key separator */
    assert_false(people_valid_name("Ana\nLopez"));
    assert_false(people_valid_name("Ana\tLopez"));
    assert_false(people_valid_name("Ana\x7f"));
}

static void test_phones(void **state)
{
    (void)state;
    static const char *const good[] = {"+1-555-0100", "(030) 123 456", "0044 20 7946 0958", "555.0100", "123",
                                       "+33 1 23 45 67 89", "555-0100 x12", "555-0100 ext 9", "555-0100 Ext. 123",
                                       "02/123-45", NULL};
    static const char *const bad[] = {"12", "ab-555", "555+0100", "++1555", "555-0100 x", "555-0100 x1234567",
                                      "555-0100 ext", "555-0100 y12", "+-()", "1 2", "555-0100 x12 x3", "",
                                      "12345678901234567890123456789012345678901", NULL};
    for (int i = 0; good[i] != NULL; i++)
        if (!people_valid_phone(good[i]))
            fail_msg("refused %s", good[i]);
    for (int i = 0; bad[i] != NULL; i++)
        if (people_valid_phone(bad[i]))
            fail_msg("accepted %s", bad[i]);
}

static void test_school_issued_numbers(void **state)
{
    (void)state;
    assert_true(people_valid_code("A2025-00001"));
    assert_true(people_valid_code("T0001"));
    assert_true(people_valid_code("2025/07.b_1"));
    assert_true(people_valid_code("x"));
    assert_true(people_valid_code("12345678901234567890123456789012"));
    assert_false(people_valid_code("123456789012345678901234567890123"));
    assert_false(people_valid_code(""));
    assert_false(people_valid_code("-A1"));
    assert_false(people_valid_code("A 1"));
    assert_false(people_valid_code("A%1"));
    assert_false(people_valid_code("\xc3\x85" "1"));
}

static void test_birth_and_admission_dates(void **state)
{
    (void)state;
    assert_int_equal(people_check_birth("2015-03-01", "2026-11-26"), PEOPLE_DATE_OK);
    assert_int_equal(people_check_birth("2026-11-25", "2026-11-26"), PEOPLE_DATE_OK);
    assert_int_equal(people_check_birth("2026-11-26", "2026-11-26"), PEOPLE_DATE_NOT_PAST);
    assert_int_equal(people_check_birth("2030-01-01", "2026-11-26"), PEOPLE_DATE_NOT_PAST);
    assert_int_equal(people_check_birth("1900-01-01", "2026-11-26"), PEOPLE_DATE_OK);
    assert_int_equal(people_check_birth("1899-12-31", "2026-11-26"), PEOPLE_DATE_TOO_EARLY);
    assert_int_equal(people_check_admission("2021-09-01", "2015-03-01"), PEOPLE_DATE_OK);
    assert_int_equal(people_check_admission("2015-03-01", "2015-03-01"), PEOPLE_DATE_OK);
    assert_int_equal(people_check_admission("2015-02-28", "2015-03-01"), PEOPLE_DATE_BEFORE_BIRTH);
    assert_int_equal(people_check_admission(NULL, "2015-03-01"), PEOPLE_DATE_OK);
    assert_int_equal(people_check_admission("2015-02-28", NULL), PEOPLE_DATE_OK);
}

static void test_search_text(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(people_search_text(buf, sizeof(buf), "Ana", "Maria", "Lopez", "A-1"), 0);
    assert_string_equal(buf, "Ana Maria Lopez A-1");
    assert_int_equal(people_search_text(buf, sizeof(buf), "Ana", NULL, "Lopez", "A-1"), 0);
    assert_string_equal(buf, "Ana Lopez A-1");
    char small[12];
    assert_int_equal(people_search_text(small, sizeof(small), "Ana", NULL, "Lopez", "A-1"), -1);
    assert_string_equal(small, "");
}

static void test_like_patterns_escape_wildcards(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(people_like_pattern(buf, sizeof(buf), "lop"), 0);
    assert_string_equal(buf, "%lop%");
    assert_int_equal(people_like_pattern(buf, sizeof(buf), "50%_a\\b"), 0);
    assert_string_equal(buf, "%50\\%\\_a\\\\b%");
    assert_int_equal(people_like_pattern(buf, sizeof(buf), ""), 0);
    assert_string_equal(buf, "%%");
    char tiny[6];
    assert_int_equal(people_like_pattern(tiny, sizeof(tiny), "abc"), 0); /* "%abc%" is 5 + NUL */
    assert_string_equal(tiny, "%abc%");
    assert_int_equal(people_like_pattern(tiny, sizeof(tiny), "abcd"), -1);
    assert_int_equal(people_like_pattern(tiny, sizeof(tiny), "a%c"), -1);
    assert_int_equal(people_like_pattern(tiny, 2, ""), -1);
}

static void test_sort_keys_round_trip(void **state)
{
    (void)state;
    char buf[32];
    const char *a, *b;
    assert_int_equal(people_key_join(buf, sizeof(buf), "Lopez", "Ana"), 0);
    assert_int_equal(people_key_split(buf, &a, &b), 0);
    assert_string_equal(a, "Lopez");
    assert_string_equal(b, "Ana");
    assert_int_equal(people_key_join(buf, sizeof(buf), "", ""), 0);
    assert_int_equal(people_key_split(buf, &a, &b), 0);
    assert_string_equal(a, "");
    assert_string_equal(b, "");
    char plain[] = "Lopez";
    assert_int_equal(people_key_split(plain, &a, &b), -1);
    assert_int_equal(people_key_join(buf, 8, "Lopez", "Ana"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_refuse_control_characters),
        cmocka_unit_test(test_phones),
        cmocka_unit_test(test_school_issued_numbers),
        cmocka_unit_test(test_birth_and_admission_dates),
        cmocka_unit_test(test_search_text),
        cmocka_unit_test(test_like_patterns_escape_wildcards),
        cmocka_unit_test(test_sort_keys_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
