/* Tests of src/http/etag.c: If-Match (strong) and If-None-Match (weak) against a version. */
#include "../unit.h"

#include "http/etag.h"

static void if_match_matches_the_current_version(void **state)
{
    (void)state;
    assert_int_equal(etag_if_match("\"3\"", 3), ETAG_MATCH);
    assert_int_equal(etag_if_match("\"2\"", 3), ETAG_NO_MATCH);
    assert_int_equal(etag_if_match("\"1\", \"3\"", 3), ETAG_MATCH);
    assert_int_equal(etag_if_match("  \"3\"\t", 3), ETAG_MATCH);
    assert_int_equal(etag_if_match(",\"9\",,\t\"3\" ,", 3), ETAG_MATCH); /* empty list elements are allowed */
    assert_int_equal(etag_if_match("\"9223372036854775807\"", 9223372036854775807LL), ETAG_MATCH);
}

static void if_match_star(void **state)
{
    (void)state;
    assert_int_equal(etag_if_match("*", 1), ETAG_MATCH);
    assert_int_equal(etag_if_match(" * ", 7), ETAG_MATCH);
    assert_int_equal(etag_if_match("*", 0), ETAG_NO_MATCH); /* no current representation */
    assert_int_equal(etag_if_match("*, \"1\"", 1), ETAG_MALFORMED);
    assert_int_equal(etag_if_match("**", 1), ETAG_MALFORMED);
}

static void if_match_is_strong(void **state)
{
    (void)state;
    assert_int_equal(etag_if_match("W/\"3\"", 3), ETAG_NO_MATCH);
    assert_int_equal(etag_if_match("W/\"3\", \"3\"", 3), ETAG_MATCH);
}

static void tags_never_issued_match_nothing(void **state)
{
    (void)state;
    assert_int_equal(etag_if_match("\"+1\"", 1), ETAG_NO_MATCH);
    assert_int_equal(etag_if_match("\"01\"", 1), ETAG_NO_MATCH);
    assert_int_equal(etag_if_match("\"-1\"", -1), ETAG_NO_MATCH);
    assert_int_equal(etag_if_match("\"0\"", 0), ETAG_NO_MATCH);
    assert_int_equal(etag_if_match("\"abc\"", 1), ETAG_NO_MATCH);
    assert_int_equal(etag_if_match("\"\"", 1), ETAG_NO_MATCH);
    /* past the range of a version: no wrap-around, no clamping */
    assert_int_equal(etag_if_match("\"9223372036854775808\"", 9223372036854775807LL), ETAG_NO_MATCH);
    assert_int_equal(etag_if_match("\"18446744073709551617\"", 1), ETAG_NO_MATCH);
}

static void malformed_headers(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",          "   ",        ",",          "3",        "\"3",     "3\"",     "\" 1\"",  "\"1 \"",
        "\"1\" \"2\"", "\"1\";x",  "w/\"1\"",    "W/1",      "W/ \"1\"", "\"1\"x",  "\"a\"b\"", "'1'",
        "\"1\"\x7f",  "\"\x01\"",  "\"\t1\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (etag_if_match(bad[i], 1) != ETAG_MALFORMED)
            fail_msg("If-Match [%s] should be malformed", bad[i]);
        if (etag_if_none_match(bad[i], 1) != ETAG_MALFORMED)
            fail_msg("If-None-Match [%s] should be malformed", bad[i]);
    }
    assert_int_equal(etag_if_match(NULL, 1), ETAG_MALFORMED);
    /* opaque characters past 0x7f are allowed (obs-text) */
    assert_int_equal(etag_if_match("\"\xc3\xa9\"", 1), ETAG_NO_MATCH);
}

static void if_none_match_is_weak(void **state)
{
    (void)state;
    assert_int_equal(etag_if_none_match("\"3\"", 3), ETAG_MATCH);
    assert_int_equal(etag_if_none_match("W/\"3\"", 3), ETAG_MATCH);
    assert_int_equal(etag_if_none_match("\"2\", W/\"4\"", 3), ETAG_NO_MATCH);
    assert_int_equal(etag_if_none_match("*", 3), ETAG_MATCH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(if_match_matches_the_current_version),
        cmocka_unit_test(if_match_star),
        cmocka_unit_test(if_match_is_strong),
        cmocka_unit_test(tags_never_issued_match_nothing),
        cmocka_unit_test(malformed_headers),
        cmocka_unit_test(if_none_match_is_weak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
