/* Tests of src/core/utf8.c: well-formed UTF-8, and the text check the API and the command line share. */
#include "../unit.h"

#include "core/utf8.h"

static void well_formed(void **state)
{
    (void)state;
    static const char *const ok[] = {"", "abc", "\xc3\xa9t\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                     "\xed\x9f\xbf", "\xee\x80\x80", "\xf4\x8f\xbf\xbf", "\xc2\x80", "\xe0\xa0\x80",
                                     "\xf0\x90\x80\x80"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (!utf8_valid(ok[i], strlen(ok[i])))
            fail_msg("refused #%zu", i);
    static const char *const bad[] = {
        "\xff",         "\001\377AAA", "\x80",         "\xc3",          "\xc3(",         "\xc0\xaf",
        "\xc1\xbf",     "\xe0\x80\xaf",   "\xe0\x9f\xbf", "\xed\xa0\x80",  "\xed\xbf\xbf",  "\xf0\x80\x80\xaf",
        "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xe2\x82",
        "a\xe2\x82"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (utf8_valid(bad[i], strlen(bad[i])))
            fail_msg("accepted #%zu", i);
    assert_false(utf8_valid("a\0b", 3)); /* NUL inside */
    assert_int_equal(utf8_chars("\xc3\xa9t\xc3\xa9"), 3);
    assert_int_equal(utf8_chars("\xf0\x9f\x98\x80x"), 2);
}

static void text_check(void **state)
{
    (void)state;
    char why[80];
    assert_int_equal(utf8_text_check("Riverside High", 1, 200, why, sizeof(why)), 0);
    assert_int_equal(utf8_text_check("line one\nline two\ttab", 1, 200, why, sizeof(why)), 0);
    assert_int_equal(utf8_text_check("\xc3\xa9\xc3\xa9\xc3\xa9", 3, 3, why, sizeof(why)), 0);
    assert_int_equal(utf8_text_check("\001\377AAA", 1, 200, why, sizeof(why)), -1);
    assert_string_equal(why, "must be UTF-8 text");
    assert_int_equal(utf8_text_check("a\x01z", 1, 200, why, sizeof(why)), -1);
    assert_string_equal(why, "must not contain control characters");
    assert_int_equal(utf8_text_check("a\x7fz", 1, 200, why, sizeof(why)), -1);
    assert_int_equal(utf8_text_check("", 1, 200, why, sizeof(why)), -1);
    assert_string_equal(why, "must not be empty");
    assert_int_equal(utf8_text_check("abcd", 1, 3, why, sizeof(why)), -1);
    assert_string_equal(why, "must be 1 to 3 characters long");
    assert_int_equal(utf8_text_check("ab", 3, 3, why, sizeof(why)), -1);
    assert_string_equal(why, "must be exactly 3 characters long");
    assert_int_equal(utf8_text_check(" padded", 1, 200, why, sizeof(why)), -1);
    assert_string_equal(why, "must not start or end with whitespace");
    assert_int_equal(utf8_text_check("padded\n", 1, 200, why, sizeof(why)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(well_formed),
        cmocka_unit_test(text_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
