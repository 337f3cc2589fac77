/* Tests of src/reports/card_layout.c: page sizes, wrapping remarks into lines, subject rows that fit a page. */
#include "../unit.h"

#include <string.h>

#include "reports/card_layout.h"

/* Every byte that starts a character is 10 points wide (UTF-8 continuation bytes add nothing). */
static double ten_per_char(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    double w = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            w += 10;
    return w;
}

/* The lines of s wrapped to width into out ("|" between lines); the number of lines. */
static int wrap(const char *s, double width, int max, int *cut, char *out, size_t size)
{
    card_line_t lines[16];
    int n = card_wrap(s, width, ten_per_char, NULL, lines, max, cut);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%.*s", i ? "|" : "", (int)lines[i].len, s + lines[i].start);
    }
    return n;
}

static void test_page_sizes(void **state)
{
    (void)state;
    double w, h;
    card_page_size(0, &w, &h);
    assert_true(w == CARD_A4_W && h == CARD_A4_H && w < h);
    card_page_size(1, &w, &h);
    assert_true(w == 612 && h == 792);
}

static void test_wrapping_at_spaces(void **state)
{
    (void)state;
    char out[256];
    int cut;
    /* 10 characters a line */
    assert_int_equal(wrap("Good work in class this term", 100, 8, &cut, out, sizeof(out)), 3);
    assert_string_equal(out, "Good work|in class|this term");
    assert_int_equal(cut, 0);
    /* a word exactly as wide as the line fits; spaces are not kept at either end */
    assert_int_equal(wrap("   abcdefghij   klm  ", 100, 8, &cut, out, sizeof(out)), 2);
    assert_string_equal(out, "abcdefghij|klm");
    /* newlines break lines; blank lines are dropped */
    assert_int_equal(wrap("one\n\ntwo three", 100, 8, &cut, out, sizeof(out)), 2);
    assert_string_equal(out, "one|two three");
    /* nothing to show */
    assert_int_equal(wrap("", 100, 8, &cut, out, sizeof(out)), 0);
    assert_int_equal(wrap("  \n ", 100, 8, &cut, out, sizeof(out)), 0);
    card_line_t l[1];
    assert_int_equal(card_wrap(NULL, 100, ten_per_char, NULL, l, 1, &cut), 0);
    assert_int_equal(cut, 0);
}

static void test_long_words_and_too_many_lines(void **state)
{
    (void)state;
    char out[256];
    int cut;
    /* a word wider than a line is broken at a character boundary, never inside a UTF-8 sequence */
    assert_int_equal(wrap("Ééééééé o", 30, 8, &cut, out, sizeof(out)), 3);
    assert_string_equal(out, "Ééé|ééé|é o");
    /* more text than lines: the lines there are, and cut */
    assert_int_equal(wrap("aa bb cc dd ee", 20, 2, &cut, out, sizeof(out)), 2);
    assert_string_equal(out, "aa|bb");
    assert_int_equal(cut, 1);
    /* exactly enough lines: not cut */
    assert_int_equal(wrap("aa bb", 20, 2, &cut, out, sizeof(out)), 2);
    assert_int_equal(cut, 0);
    /* a line narrower than a character still takes one character a line */
    assert_int_equal(wrap("abc", 5, 8, &cut, out, sizeof(out)), 3);
    assert_string_equal(out, "a|b|c");
}

static void test_rows_fit_the_room(void **state)
{
    (void)state;
    double h = 0;
    /* room for 4 lines a row: never more than the maximum */
    assert_int_equal(card_rows(5, 500, 11, 6, 4, &h), 4);
    assert_true(h == 4 * 11 + 6);
    /* 20 subjects in 500 points: 25 a row, 1 line each */
    assert_int_equal(card_rows(20, 500, 11, 6, 4, &h), 1);
    assert_true(h == 17);
    /* 12 subjects: 41.6 a row, 3 lines */
    assert_int_equal(card_rows(12, 500, 11, 6, 4, &h), 3);
    assert_true(h == 39 && h * 12 <= 500);
    /* too many for one line each */
    h = -1;
    assert_int_equal(card_rows(40, 500, 11, 6, 4, &h), -1);
    assert_true(h == -1);
    /* no subjects: one row of the maximum */
    assert_int_equal(card_rows(0, 500, 11, 6, 4, &h), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_sizes),
        cmocka_unit_test(test_wrapping_at_spaces),
        cmocka_unit_test(test_long_words_and_too_many_lines),
        cmocka_unit_test(test_rows_fit_the_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
