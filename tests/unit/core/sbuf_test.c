/* Tests of src/core/sbuf.c: growth over the three kinds of memory, and JSON string escaping. */
#include "../unit.h"

#include <jansson.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/sbuf.h"

static void malloc_backed_growth(void **state)
{
    (void)state;
    sbuf_t b;
    sbuf_init(&b, NULL, 0);
    assert_int_equal(b.cap, 16); /* a minimum capacity */
    assert_true(b.on_heap);
    assert_string_equal(b.p, "");
    for (int i = 0; i < 5000; i++)
        sbuf_putc(&b, (char)('a' + i % 26));
    assert_int_equal(b.len, 5000);
    assert_int_equal(b.p[5000], '\0');
    assert_true(b.cap > b.len);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(b.p[i], 'a' + i % 26);
    sbuf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
}

static void append_puts_printf(void **state)
{
    (void)state;
    sbuf_t b;
    sbuf_init(&b, NULL, 16);
    sbuf_puts(&b, "abc");
    sbuf_append(&b, "defXXX", 3);
    sbuf_append(&b, "", 0);
    sbuf_printf(&b, "-%d-%s", 12, "x");
    assert_string_equal(b.p, "abcdef-12-x");
    assert_int_equal(b.len, 11);

    /* exactly filling the capacity (cap - len - 1 bytes) keeps the buffer; one more grows it */
    sbuf_t c;
    sbuf_init(&c, NULL, 16);
    char *first = c.p;
    sbuf_append(&c, "0123456789abcde", 15);
    assert_ptr_equal(c.p, first);
    assert_int_equal(c.cap, 16);
    sbuf_putc(&c, 'f');
    assert_true(c.cap > 16);
    assert_string_equal(c.p, "0123456789abcdef");
    sbuf_free(&c);

    /* a printf far over the capacity */
    char big[3000];
    memset(big, 'B', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    sbuf_printf(&b, "[%s]", big);
    assert_int_equal(b.len, 11 + 2 + 2999);
    assert_int_equal(b.p[11], '[');
    assert_int_equal(b.p[b.len - 1], ']');
    assert_int_equal(strlen(b.p), b.len);

    /* printf whose output exactly fills the free space, then by one more */
    sbuf_t d;
    sbuf_init(&d, NULL, 32);
    sbuf_printf(&d, "%s", "0123456789012345678901234567890"); /* 31 bytes */
    assert_int_equal(d.len, 31);
    assert_int_equal(d.cap, 32);
    sbuf_printf(&d, "%c", 'Z');
    assert_int_equal(d.len, 32);
    assert_string_equal(d.p, "0123456789012345678901234567890Z");
    sbuf_free(&d);

    sbuf_clear(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.p, "");
    size_t cap = b.cap;
    sbuf_puts(&b, "again");
    assert_int_equal(b.cap, cap);
    assert_string_equal(b.p, "again");
    sbuf_free(&b);
}

static void arena_backed(void **state)
{
    (void)state;
    arena_t a;
    arena_init(&a);
    sbuf_t b;
    sbuf_init(&b, &a, 8);
    assert_false(b.on_heap);
    assert_ptr_equal(b.arena, &a);
    for (int i = 0; i < 1000; i++)
        sbuf_printf(&b, "%04d,", i);
    assert_int_equal(b.len, 5000);
    assert_memory_equal(b.p, "0000,0001,", 10);
    assert_memory_equal(b.p + 4995, "0999,", 5);
    assert_false(b.on_heap); /* growth stays in the arena */
    char *p = b.p;
    sbuf_free(&b); /* a no-op for the arena's memory (ASan would report a bad free) */
    (void)p;
    arena_destroy(&a); /* everything goes with the arena; no leak */
}

static void fixed_memory_overflows_to_heap(void **state)
{
    (void)state;
    char stack[32];
    memset(stack, '#', sizeof(stack));
    sbuf_t b;
    sbuf_init_fixed(&b, stack, sizeof(stack));
    assert_ptr_equal(b.p, stack);
    assert_false(b.on_heap);
    assert_int_equal(stack[0], '\0');

    sbuf_puts(&b, "0123456789012345678901234567890"); /* 31 + NUL fits */
    assert_ptr_equal(b.p, stack);
    assert_false(b.on_heap);

    sbuf_puts(&b, "overflow");
    assert_ptr_not_equal(b.p, stack);
    assert_true(b.on_heap);
    assert_string_equal(b.p, "0123456789012345678901234567890overflow");
    /* the caller's memory is left as it was when the buffer moved */
    assert_memory_equal(stack, "0123456789012345678901234567890", 32);

    sbuf_puts(&b, " and more");
    assert_string_equal(b.p, "0123456789012345678901234567890overflow and more");
    sbuf_free(&b); /* frees the heap copy */
    assert_false(b.on_heap);

    /* a fixed buffer that is never outgrown needs no free, but sbuf_free is harmless */
    char small[64];
    sbuf_init_fixed(&b, small, sizeof(small));
    sbuf_printf(&b, "%s=%d", "k", 1);
    assert_string_equal(small, "k=1");
    sbuf_free(&b);
}

static void fixed_memory_printf_overflow(void **state)
{
    (void)state;
    char stack[16];
    sbuf_t b;
    sbuf_init_fixed(&b, stack, sizeof(stack));
    sbuf_puts(&b, "head:");
    sbuf_printf(&b, "%s|%d", "a long value that cannot fit", 99);
    assert_true(b.on_heap);
    assert_string_equal(b.p, "head:a long value that cannot fit|99");
    assert_int_equal(b.len, strlen(b.p));
    sbuf_free(&b);
}

/* Renders s[0..n) with sbuf_json_str and returns the malloc'd text. */
static char *json_str(const char *s, size_t n)
{
    sbuf_t b;
    sbuf_init(&b, NULL, 0);
    sbuf_json_str(&b, s, n);
    return b.p; /* malloc-backed: the caller frees */
}

static void assert_json_str(const char *in, size_t n, const char *want)
{
    char *got = json_str(in, n);
    if (strcmp(got, want) != 0)
        print_error("sbuf_json_str: got %s, want %s\n", got, want);
    assert_string_equal(got, want);
    /* whatever came in, what comes out is a JSON string jansson accepts */
    json_error_t jerr;
    json_t *v = json_loads(got, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (v == NULL)
        print_error("jansson rejects %s: %s\n", got, jerr.text);
    assert_non_null(v);
    assert_true(json_is_string(v));
    json_decref(v);
    free(got);
}

#define S(lit) lit, sizeof(lit) - 1

static void json_escapes_ascii(void **state)
{
    (void)state;
    assert_json_str(S(""), "\"\"");
    assert_json_str(S("plain text"), "\"plain text\"");
    assert_json_str(S("say \"hi\""), "\"say \\\"hi\\\"\"");
    assert_json_str(S("back\\slash"), "\"back\\\\slash\"");
    assert_json_str(S("a\nb\rc\td"), "\"a\\nb\\rc\\td\"");
    assert_json_str(S("\x01"), "\"\\u0001\"");
    assert_json_str(S("x\x1fy"), "\"x\\u001fy\"");
    assert_json_str(S("\b\f"), "\"\\u0008\\u000c\"");
    assert_json_str(S("nul\0in"), "\"nul\\u0000in\""); /* n counts, not NUL */
    assert_json_str(S("\x7f"), "\"\x7f\"");            /* DEL needs no escape in JSON */
    assert_json_str(S("/"), "\"/\"");
    assert_json_str("abcdef", 3, "\"abc\"");
}

static void json_keeps_valid_utf8(void **state)
{
    (void)state;
    assert_json_str(S("\xc3\xa9"), "\"\xc3\xa9\"");                 /* é, 2 bytes */
    assert_json_str(S("\xe2\x82\xac"), "\"\xe2\x82\xac\"");         /* €, 3 bytes */
    assert_json_str(S("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\""); /* U+1F600, 4 bytes */
    assert_json_str(S("\xc2\x80"), "\"\xc2\x80\"");                 /* U+0080, lowest 2-byte */
    assert_json_str(S("\xe0\xa0\x80"), "\"\xe0\xa0\x80\"");         /* U+0800, lowest 3-byte */
    assert_json_str(S("\xef\xbf\xbf"), "\"\xef\xbf\xbf\"");         /* U+FFFF */
    assert_json_str(S("\xed\x9f\xbf"), "\"\xed\x9f\xbf\"");         /* U+D7FF, just below surrogates */
    assert_json_str(S("\xee\x80\x80"), "\"\xee\x80\x80\"");         /* U+E000, just above */
    assert_json_str(S("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF, the last */
    assert_json_str(S("caf\xc3\xa9 \"\xe2\x82\xac\""), "\"caf\xc3\xa9 \\\"\xe2\x82\xac\\\"\"");
}

static void json_replaces_invalid_utf8(void **state)
{
    (void)state;
    assert_json_str(S("\x80"), "\"\\ufffd\""); /* lone continuation byte */
    assert_json_str(S("a\xff"
                      "b"),
                    "\"a\\ufffdb\""); /* never valid */
    assert_json_str(S("\xfe"), "\"\\ufffd\"");
    assert_json_str(S("\xc3"), "\"\\ufffd\""); /* truncated at the end */
    assert_json_str(S("\xc3"
                      "A"),
                    "\"\\ufffdA\"");                      /* lead byte without continuation */
    assert_json_str(S("\xe2\x82"), "\"\\ufffd\\ufffd\""); /* truncated 3-byte sequence */
    assert_json_str(S("\xf0\x9f\x98"), "\"\\ufffd\\ufffd\\ufffd\"");
    /* overlong encodings */
    assert_json_str(S("\xc0\xaf"), "\"\\ufffd\\ufffd\""); /* '/' in 2 bytes */
    assert_json_str(S("\xc1\xbf"), "\"\\ufffd\\ufffd\"");
    assert_json_str(S("\xe0\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\""); /* '/' in 3 bytes */
    assert_json_str(S("\xe0\x9f\xbf"), "\"\\ufffd\\ufffd\\ufffd\""); /* U+07FF in 3 bytes */
    assert_json_str(S("\xf0\x80\x80\xaf"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    assert_json_str(S("\xf0\x8f\xbf\xbf"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* U+FFFF in 4 bytes */
    /* UTF-16 surrogates encoded in UTF-8 (CESU) */
    assert_json_str(S("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\""); /* U+D800 */
    assert_json_str(S("\xed\xbf\xbf"), "\"\\ufffd\\ufffd\\ufffd\""); /* U+DFFF */
    /* beyond U+10FFFF */
    assert_json_str(S("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    assert_json_str(S("\xf5\x80\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    /* valid text around an invalid byte is kept */
    assert_json_str(S("\xc3\xa9\x80\xc3\xa9"), "\"\xc3\xa9\\ufffd\xc3\xa9\"");
}

static void json_str_appends_to_existing_content(void **state)
{
    (void)state;
    char stack[8];
    sbuf_t b;
    sbuf_init_fixed(&b, stack, sizeof(stack));
    sbuf_puts(&b, "{\"k\":");
    sbuf_json_str(&b, S("a value with \"quotes\" and \xc3\xa9"));
    sbuf_putc(&b, '}');
    assert_string_equal(b.p, "{\"k\":\"a value with \\\"quotes\\\" and \xc3\xa9\"}");
    json_t *v = json_loads(b.p, 0, NULL);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "k")), "a value with \"quotes\" and \xc3\xa9");
    json_decref(v);
    sbuf_free(&b);

    /* a long string full of escapes grows an arena-backed buffer */
    arena_t a;
    arena_init(&a);
    sbuf_init(&b, &a, 16);
    char in[2000];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (char)(i % 3 == 0 ? '"' : i % 3 == 1 ? '\x02' : 'x');
    sbuf_json_str(&b, in, sizeof(in));
    json_t *s = json_loads(b.p, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    assert_non_null(s);
    assert_int_equal(json_string_length(s), sizeof(in));
    assert_memory_equal(json_string_value(s), in, sizeof(in));
    json_decref(s);
    arena_destroy(&a);
}

/*
 * After sbuf_free() a buffer has cap 0 and p NULL (sbuf_clear() allows for that),
 * but the next append never returns: sbuf_reserve() doubles a capacity of 0.
 * Run in a child process with an alarm so the test fails instead of hanging.
 */
static void append_after_free(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(2);
        sbuf_t b;
        sbuf_init(&b, NULL, 0);
        sbuf_free(&b);
        sbuf_puts(&b, "x");
        int ok = b.p != NULL && strcmp(b.p, "x") == 0;
        sbuf_free(&b);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("the append did not return (signal %d)", WTERMSIG(status));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* sbuf_copy_text: COPY's escapes, UTF-8 kept, ill-formed bytes as U+FFFD, appended after what is there */
static void assert_copy_text(const char *in, size_t n, const char *want)
{
    sbuf_t b;
    sbuf_init(&b, NULL, 0);
    sbuf_puts(&b, ">");
    sbuf_copy_text(&b, in, n);
    if (strcmp(b.p + 1, want) != 0)
        print_error("sbuf_copy_text: got %s, want %s\n", b.p + 1, want);
    assert_string_equal(b.p + 1, want);
    assert_int_equal(b.len, 1 + strlen(want));
    sbuf_free(&b);
}

static void copy_text_escapes(void **state)
{
    (void)state;
    assert_copy_text(S(""), "");
    assert_copy_text(S("plain text, \"quoted\" / slash"), "plain text, \"quoted\" / slash");
    assert_copy_text(S("back\\slash"), "back\\\\slash");
    assert_copy_text(S("a\tb\nc\rd"), "a\\tb\\nc\\rd");
    assert_copy_text(S("\\N"), "\\\\N"); /* the text \N is not a null */
    assert_copy_text(S("\\."), "\\\\."); /* nor the end of the data */
    assert_copy_text(S("\x01\x7f"), "\x01\x7f");
    assert_copy_text(S("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    assert_copy_text(S("a\xff" "b"), "a\xef\xbf\xbd" "b");
    assert_copy_text(S("\xc3"), "\xef\xbf\xbd");              /* cut short */
    assert_copy_text(S("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* a surrogate */
    assert_copy_text("abcdef", 3, "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(malloc_backed_growth),
        cmocka_unit_test(append_puts_printf),
        cmocka_unit_test(arena_backed),
        cmocka_unit_test(fixed_memory_overflows_to_heap),
        cmocka_unit_test(fixed_memory_printf_overflow),
        cmocka_unit_test(json_escapes_ascii),
        cmocka_unit_test(json_keeps_valid_utf8),
        cmocka_unit_test(json_replaces_invalid_utf8),
        cmocka_unit_test(json_str_appends_to_existing_content),
        cmocka_unit_test(append_after_free),
        cmocka_unit_test(copy_text_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
