/* message.c - composing RFC 5322 / MIME messages (mail_int.h). */
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/ids.h"
#include "mail/mail_int.h"

#define WORD_BYTES 45 /* raw bytes per encoded word: 60 base64 characters, 72 with its markers */

static int plain_ascii(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s >= 0x7f || (unsigned char)*s < 0x20)
            return 0;
    return 1;
}

/* Length of the longest prefix of s (at most max bytes) that ends on a UTF-8 character boundary. */
static size_t utf8_prefix(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return n > 0 ? n : max;
}

static void put_base64(sbuf_t *b, const void *p, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    sbuf_reserve(b, cap);
    sodium_bin2base64(b->p + b->len, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
    b->len += strlen(b->p + b->len);
}

/* RFC 2047 words of s, folded onto continuation lines. */
static void put_encoded_words(sbuf_t *b, const char *s)
{
    size_t len = strlen(s), off = 0;
    while (off < len) {
        size_t n = utf8_prefix(s + off, len - off, WORD_BYTES);
        if (off > 0)
            sbuf_puts(b, "\r\n ");
        sbuf_puts(b, "=?UTF-8?B?");
        put_base64(b, s + off, n);
        sbuf_puts(b, "?=");
        off += n;
    }
}

/* A header value without line breaks (they would start new headers). */
static const char *one_line(arena_t *a, const char *s)
{
    char *c = arena_strdup(a, s);
    for (char *p = c; *p != '\0'; p++)
        if (*p == '\r' || *p == '\n' || *p == '\t')
            *p = ' ';
    return c;
}

void mail_header_text(sbuf_t *b, const char *name, const char *value)
{
    sbuf_printf(b, "%s: ", name);
    if (plain_ascii(value) && strlen(value) < 900)
        sbuf_puts(b, value);
    else
        put_encoded_words(b, value);
    sbuf_puts(b, "\r\n");
}

/* "Name <addr>": the name quoted, or encoded when not ASCII. */
static void put_mailbox(sbuf_t *b, const char *name, const char *addr)
{
    if (name != NULL && name[0] != '\0') {
        if (plain_ascii(name)) {
            sbuf_putc(b, '"');
            for (const char *p = name; *p != '\0'; p++) {
                if (*p == '"' || *p == '\\')
                    sbuf_putc(b, '\\');
                sbuf_putc(b, *p);
            }
            sbuf_puts(b, "\" ");
        } else {
            put_encoded_words(b, name);
            sbuf_putc(b, ' ');
        }
    }
    sbuf_printf(b, "<%s>", addr);
}

static void put_date(sbuf_t *b, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char buf[64];
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    sbuf_printf(b, "Date: %s\r\n", buf);
}

/* Bytes in base64 lines of 76 characters. */
static void put_base64_lines(sbuf_t *b, const void *p, size_t len)
{
    for (size_t off = 0; off < len; off += 57) {
        put_base64(b, (const char *)p + off, len - off < 57 ? len - off : 57);
        sbuf_puts(b, "\r\n");
    }
}

/* A text part: its headers, then the text in base64. */
static void put_part(sbuf_t *b, const char *boundary, const char *type, const char *body)
{
    sbuf_printf(b, "--%s\r\nContent-Type: %s; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary,
                type);
    put_base64_lines(b, body, strlen(body));
}

/* The text and HTML alternatives. */
static void put_alternative(sbuf_t *b, const char *boundary, const mail_parts_t *p)
{
    sbuf_printf(b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary);
    put_part(b, boundary, "text/plain", p->text);
    put_part(b, boundary, "text/html", p->html);
    sbuf_printf(b, "--%s--\r\n", boundary);
}

/* The alternatives and the logo they show, as multipart/related (RFC 2387). */
static void put_related(sbuf_t *b, const char *boundary, const char *inner, const mail_parts_t *p)
{
    sbuf_printf(b, "Content-Type: multipart/related; type=\"multipart/alternative\"; boundary=\"%s\"\r\n\r\n",
                boundary);
    sbuf_printf(b, "--%s\r\n", boundary);
    put_alternative(b, inner, p);
    sbuf_printf(b, "--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <%s>\r\n"
                   "Content-Disposition: inline\r\n\r\n",
                boundary, p->logo_type, p->logo_cid);
    put_base64_lines(b, p->logo, p->logo_len);
    sbuf_printf(b, "--%s--\r\n", boundary);
}

const char *mail_compose(arena_t *a, const mail_parts_t *p)
{
    sbuf_t b;
    sbuf_init(&b, a, 4096);
    char boundary[40] = "=_alt_", outer[40] = "=_rel_"; /* "=_" never occurs in base64 lines */
    ids_random_hex(boundary + 6, 12);
    ids_random_hex(outer + 6, 12);
    sbuf_puts(&b, "From: ");
    sbuf_puts(&b, p->from);
    sbuf_puts(&b, "\r\nTo: ");
    put_mailbox(&b, p->to_name != NULL ? one_line(a, p->to_name) : NULL, p->to_email);
    sbuf_puts(&b, "\r\n");
    mail_header_text(&b, "Subject", one_line(a, p->subject));
    put_date(&b, p->date_ms);
    sbuf_printf(&b, "Message-ID: <%s>\r\n", p->message_id);
    sbuf_puts(&b, "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n");
    if (p->unsubscribe_url != NULL)
        sbuf_printf(&b, "List-Unsubscribe: <%s>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
                    one_line(a, p->unsubscribe_url));
    if (p->logo != NULL)
        put_related(&b, outer, boundary, p);
    else
        put_alternative(&b, boundary, p);
    return b.p;
}
