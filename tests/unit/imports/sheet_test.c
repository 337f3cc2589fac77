/* Tests of src/imports/sheet.c: CSV records with their physical lines, BOM, CRLF, quoting, UTF-8, RFC 4180 output. */
#include "../unit.h"

#include "imports/sheet.h"

static sheet_t parse_ok(arena_t *a, const char *text)
{
    sheet_t s;
    assert_int_equal(sheet_parse(a, text, strlen(text), &s), 0);
    return s;
}

static void test_records_remember_their_first_line(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    const char *text = "h1,h2\n"
                       "a,\"two\nlines, and a comma\"\n"
                       "\n"
                       "b,\"say \"\"hi\"\"\"\n"
                       "c,last";
    sheet_t s = parse_ok(&a, text);
    assert_int_equal(s.nrows, 4);
    assert_int_equal(s.rows[0].line, 1);
    assert_int_equal(s.rows[1].line, 2);
    assert_string_equal(s.rows[1].fields[1], "two\nlines, and a comma");
    assert_int_equal(s.rows[2].line, 5); /* after the quoted line break and a blank line */
    assert_string_equal(s.rows[2].fields[1], "say \"hi\"");
    assert_int_equal(s.rows[3].line, 6);
    assert_string_equal(s.rows[3].fields[1], "last"); /* no final line break */
    arena_destroy(&a);
}

static void test_bom_and_crlf(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    sheet_t s = parse_ok(&a, "\xEF\xBB\xBFname,x\r\nZo\xc3\xab,\"1\r\n2\"\r\n\r\nAl,3\r\n");
    assert_int_equal(s.nrows, 3);
    assert_string_equal(s.rows[0].fields[0], "name"); /* no BOM in the first column's name */
    assert_string_equal(s.rows[1].fields[0], "Zo\xc3\xab");
    assert_string_equal(s.rows[1].fields[1], "1\r\n2");
    assert_int_equal(s.rows[2].line, 5);
    assert_int_equal(s.rows[2].nfields, 2);
    assert_string_equal(s.rows[2].fields[1], "3");
    arena_destroy(&a);
}

static void test_invalid_utf8_marks_the_field(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    sheet_t s = parse_ok(&a, "a,b,c\nok,\xff\xfe,\xc3\n");
    assert_int_equal(s.rows[0].bad_utf8, -1);
    assert_int_equal(s.rows[1].bad_utf8, 1);
    assert_null(s.rows[1].fields[1]);
    assert_string_equal(s.rows[1].fields[0], "ok");
    arena_destroy(&a);
}

static void test_malformed_quoting_names_its_line(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    sheet_t s;
    const char *text = "a,b\nx,y\n\"open,never closed\nmore\n";
    assert_int_equal(sheet_parse(&a, text, strlen(text), &s), -1);
    assert_int_equal(s.error_line, 3);
    assert_non_null(s.error);
    text = "a,b\nx,ab\"c\"\n";
    assert_int_equal(sheet_parse(&a, text, strlen(text), &s), -1);
    assert_int_equal(s.error_line, 2);
    arena_destroy(&a);
}

static void test_fields_are_quoted_when_needed(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    sbuf_t b;
    sbuf_init(&b, &a, 16);
    const char *row[] = {"plain", "a,b", "say \"hi\"", "two\nlines", NULL, " padded", "", "\xc3\xa9t\xc3\xa9"};
    sheet_put_row(&b, row, 8);
    assert_string_equal(b.p, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\" padded\",,\xc3\xa9t\xc3\xa9\r\n");
    /* what is written parses back to the same fields */
    sheet_t s = parse_ok(&a, b.p);
    assert_int_equal(s.nrows, 1);
    assert_int_equal(s.rows[0].nfields, 8);
    for (int i = 0; i < 8; i++)
        assert_string_equal(s.rows[0].fields[i], row[i] != NULL ? row[i] : "");
    /* a field starting with a byte order mark is quoted: at the start of a file it would be taken for the file's */
    sbuf_clear(&b);
    const char *bom[] = {"\xEF\xBB\xBFx", "y"};
    sheet_put_row(&b, bom, 2);
    assert_string_equal(b.p, "\"\xEF\xBB\xBFx\",y\r\n");
    s = parse_ok(&a, b.p);
    assert_string_equal(s.rows[0].fields[0], "\xEF\xBB\xBFx");
    arena_destroy(&a);
}

/* Exports for people: what a spreadsheet would run as a formula is written as text, and imports back unchanged. */
static void test_formulas_are_written_as_text(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    static const struct {
        const char *value, *written;
    } cases[] = {
        {"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
        {"@SUM(A1)", "'@SUM(A1)"},
        {"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
        {"-2+3+cmd|x!A0", "'-2+3+cmd|x!A0"},
        {"\t=1", "'\t=1"},
        {"\r=1", "\"'\r=1\""},
        {"'=1", "''=1"},
        {"''+x", "'''+x"},
        {"+91 98765 43210", "+91 98765 43210"}, /* a phone number */
        {"+1 (555) 010-2030", "+1 (555) 010-2030"},
        {"-12.5", "-12.5"},
        {"O'Brien", "O'Brien"},
        {"'quoted'", "'quoted'"},
        {"a=b", "a=b"},
        {"", ""},
    };
    int n = (int)(sizeof(cases) / sizeof(cases[0]));
    sbuf_t b;
    sbuf_init(&b, &a, 256);
    for (int i = 0; i < n; i++) {
        b.len = 0;
        const char *row[] = {"x", cases[i].value};
        sheet_put_text_row(&b, row, 2);
        const char *want = arena_printf(&a, "x,%s\r\n", cases[i].written);
        if (b.len != strlen(want) || memcmp(b.p, want, b.len) != 0)
            fail_msg("%s written as %.*s", cases[i].value, (int)b.len, b.p);
        sheet_t s = parse_ok(&a, arena_strndup(&a, b.p, b.len));
        sheet_unmark_formulas(&s);
        assert_int_equal(s.nrows, 1);
        assert_string_equal(s.rows[0].fields[1], cases[i].value);
    }
    /* OneRoster and other files for machines keep every value as it is */
    b.len = 0;
    const char *row[] = {"=1", "+x"};
    sheet_put_row(&b, row, 2);
    assert_int_equal(b.len, 7);
    assert_memory_equal(b.p, "=1,+x\r\n", 7);
    arena_destroy(&a);
}

/* A document of many short records: its rows take a bounded multiple of its size (an upload cannot make it gigabytes). */
static void test_short_records_take_bounded_memory(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    size_t n = 1u << 20;
    char *text = arena_alloc(&a, n);
    for (size_t i = 0; i < n; i += 4)
        memcpy(text + i, i % 8 == 0 ? "a,\r\n" : ",b\r\n", 4);
    size_t before = a.allocated;
    sheet_t s;
    assert_int_equal(sheet_parse(&a, text, n, &s), 0);
    assert_int_equal(s.nrows, (int)(n / 4));
    assert_string_equal(s.rows[0].fields[0], "a");
    assert_string_equal(s.rows[0].fields[1], "");
    assert_string_equal(s.rows[1].fields[1], "b");
    size_t used = a.allocated - before;
    if (used > 32 * n)
        fail_msg("%zu bytes of records took %zu bytes (%.0fx)", n, used, (double)used / (double)n);
    arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_remember_their_first_line),
        cmocka_unit_test(test_bom_and_crlf),
        cmocka_unit_test(test_invalid_utf8_marks_the_field),
        cmocka_unit_test(test_malformed_quoting_names_its_line),
        cmocka_unit_test(test_fields_are_quoted_when_needed),
        cmocka_unit_test(test_formulas_are_written_as_text),
        cmocka_unit_test(test_short_records_take_bounded_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
