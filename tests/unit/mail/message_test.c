/* Tests of src/mail/message.c and template.c: headers, encoded words, MIME parts, HTML escaping. */
#include "../unit.h"

#include <sodium.h>

#include "mail/mail_int.h"

static int setup(void **state)
{
    arena_t *a = malloc(sizeof(*a));
    arena_init(a);
    *state = a;
    return sodium_init() < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    arena_destroy(*state);
    free(*state);
    return 0;
}

static const char *header_of(arena_t *a, const char *msg, const char *name)
{
    const char *end = strstr(msg, "\r\n\r\n");
    char *head = arena_strndup(a, msg, (size_t)(end - msg));
    char *p = strstr(head, arena_printf(a, "\r\n%s: ", name));
    if (p != NULL)
        p += 4 + strlen(name);
    else if (strncmp(head, name, strlen(name)) == 0 && head[strlen(name)] == ':')
        p = head + strlen(name) + 2;
    else
        return NULL;
    char *e = p;
    while ((e = strstr(e, "\r\n")) != NULL && e[2] == ' ') /* a folded header goes on */
        e += 2;
    return e != NULL ? arena_strndup(a, p, (size_t)(e - p)) : p;
}

static mail_parts_t parts(void)
{
    return (mail_parts_t){.from = "School <no-reply@school.example>", .to_email = "p@x.example", .to_name = "Pat",
                          .subject = "Hello", .message_id = "id-1@school.example", .date_ms = 1700000000000LL,
                          .text = "plain\r\n", .html = "<p>html</p>\r\n"};
}

static void plain_headers(void **state)
{
    arena_t *a = *state;
    mail_parts_t p = parts();
    const char *m = mail_compose(a, &p);
    assert_string_equal(header_of(a, m, "From"), "School <no-reply@school.example>");
    assert_string_equal(header_of(a, m, "To"), "\"Pat\" <p@x.example>");
    assert_string_equal(header_of(a, m, "Subject"), "Hello");
    assert_string_equal(header_of(a, m, "Date"), "Tue, 14 Nov 2023 22:13:20 +0000");
    assert_string_equal(header_of(a, m, "Message-ID"), "<id-1@school.example>");
    assert_null(header_of(a, m, "List-Unsubscribe"));
    assert_non_null(strstr(header_of(a, m, "Content-Type"), "multipart/alternative; boundary=\"=_alt_"));
    /* every line ends with CRLF and none is longer than 998 characters */
    for (const char *l = m; *l != '\0';) {
        const char *e = strstr(l, "\r\n");
        assert_non_null(e);
        assert_true(e - l <= 998);
        assert_null(memchr(l, '\n', (size_t)(e - l)));
        l = e + 2;
    }
}

static void non_ascii_is_encoded_on_character_boundaries(void **state)
{
    arena_t *a = *state;
    mail_parts_t p = parts();
    /* 40 two-byte characters: 80 bytes, more than one encoded word holds */
    sbuf_t s;
    sbuf_init(&s, a, 128);
    for (int i = 0; i < 40; i++)
        sbuf_puts(&s, "é");
    p.subject = s.p;
    p.to_name = "Zoë \"Q\"";
    const char *m = mail_compose(a, &p);
    const char *subj = header_of(a, m, "Subject");
    assert_non_null(strstr(subj, "=?UTF-8?B?"));
    assert_non_null(strstr(subj, "?=\r\n =?UTF-8?B?")); /* folded onto a second word */
    /* each word decodes to whole characters: 45 bytes would cut one in two, so the first word holds 44 */
    const char *w = subj + strlen("=?UTF-8?B?");
    unsigned char raw[64];
    size_t n;
    assert_int_equal(sodium_base642bin(raw, sizeof(raw), w, (size_t)(strstr(w, "?=") - w), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(n, 44);
    assert_non_null(strstr(header_of(a, m, "To"), "=?UTF-8?B?"));
}

static void header_injection_is_flattened(void **state)
{
    arena_t *a = *state;
    mail_parts_t p = parts();
    p.subject = "Hi\r\nBcc: victim@x.example";
    p.unsubscribe_url = "https://x.example/u?t=1";
    const char *m = mail_compose(a, &p);
    assert_null(header_of(a, m, "Bcc"));
    assert_string_equal(header_of(a, m, "Subject"), "Hi  Bcc: victim@x.example");
    assert_string_equal(header_of(a, m, "List-Unsubscribe"), "<https://x.example/u?t=1>");
    assert_string_equal(header_of(a, m, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
}

static void html_escape_and_template(void **state)
{
    arena_t *a = *state;
    assert_string_equal(mail_html_escape(a, "<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    mail_msg_t msg = {.subject = "S <1>", .text = "One & two\nline\n\nSecond", .action_url = "https://e.example/?a=1&b=2",
                      .action_label = "Go"};
    const char *text, *html;
    mail_render(a, "Lycée <Test>", NULL, &msg, &text, &html);
    assert_non_null(strstr(text, "Lycée <Test>"));
    assert_non_null(strstr(text, "Go: https://e.example/?a=1&b=2"));
    assert_non_null(strstr(html, "<h1 style=\"font-size:20px;margin:0 0 24px\">Lycée &lt;Test&gt;</h1>"));
    assert_non_null(strstr(html, "<p style=\"margin:0 0 16px\">One &amp; two<br>line</p>"));
    assert_non_null(strstr(html, "<p style=\"margin:0 0 16px\">Second</p>"));
    assert_non_null(strstr(html, "href=\"https://e.example/?a=1&amp;b=2\""));
    assert_null(strstr(html, "Unsubscribe"));
}

static void a_logo_makes_the_message_related(void **state)
{
    arena_t *a = *state;
    mail_parts_t p = parts();
    p.logo = "\x89PNG\r\n\x1a\n";
    p.logo_len = 8;
    p.logo_type = "image/png";
    p.logo_cid = "logo@school.example";
    const char *m = mail_compose(a, &p);
    assert_non_null(strstr(header_of(a, m, "Content-Type"), "multipart/related; type=\"multipart/alternative\""));
    const char *alt = strstr(m, "Content-Type: multipart/alternative; boundary=");
    const char *img = strstr(m, "Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
                                "Content-ID: <logo@school.example>\r\nContent-Disposition: inline\r\n\r\n"
                                "iVBORw0KGgo=\r\n");
    assert_non_null(alt);
    assert_non_null(img);
    assert_true(alt < img); /* the alternatives first, then the image they show */
    const char *text, *html;
    mail_msg_t msg = {.subject = "S", .text = "T"};
    mail_render(a, "School", p.logo_cid, &msg, &text, &html);
    assert_non_null(strstr(html, "<img src=\"cid:logo@school.example\" alt=\"School\""));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(plain_headers),
        T(non_ascii_is_encoded_on_character_boundaries),
        T(header_injection_is_flattened),
        T(html_escape_and_template),
        T(a_logo_makes_the_message_related),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
