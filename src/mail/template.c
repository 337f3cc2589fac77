/* template.c - the school's message template: plain text and HTML around a message's body (mail_int.h). */
#include <string.h>

#include "mail/mail_int.h"

const char *mail_html_escape(arena_t *a, const char *s)
{
    sbuf_t b;
    sbuf_init(&b, a, strlen(s) + 16);
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&': sbuf_puts(&b, "&amp;"); break;
        case '<': sbuf_puts(&b, "&lt;"); break;
        case '>': sbuf_puts(&b, "&gt;"); break;
        case '"': sbuf_puts(&b, "&quot;"); break;
        case '\'': sbuf_puts(&b, "&#39;"); break;
        default: sbuf_putc(&b, *s);
        }
    }
    return b.p != NULL ? b.p : "";
}

/* The text as HTML paragraphs: blank lines separate them, single line breaks become <br>. */
static void put_paragraphs(sbuf_t *b, arena_t *a, const char *text)
{
    const char *p = text;
    while (*p != '\0') {
        const char *end = strstr(p, "\n\n");
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        const char *para = mail_html_escape(a, arena_strndup(a, p, n));
        sbuf_puts(b, "<p style=\"margin:0 0 16px\">");
        for (const char *c = para; *c != '\0'; c++) {
            if (*c == '\n')
                sbuf_puts(b, "<br>");
            else
                sbuf_putc(b, *c);
        }
        sbuf_puts(b, "</p>\n");
        p += n;
        while (*p == '\n')
            p++;
    }
}

static void render_html(sbuf_t *b, arena_t *a, const char *school, const char *logo_cid, const mail_msg_t *msg)
{
    const char *name = mail_html_escape(a, school);
    sbuf_printf(b,
                "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n"
                "<body style=\"font-family:sans-serif;color:#222;background:#f4f4f4;margin:0;padding:24px\">\n"
                "<div style=\"max-width:600px;margin:auto;background:#fff;padding:24px\">\n",
                mail_html_escape(a, msg->subject));
    if (logo_cid != NULL)
        sbuf_printf(b, "<img src=\"cid:%s\" alt=\"%s\" style=\"display:block;max-height:64px;margin:0 0 12px\">\n",
                    mail_html_escape(a, logo_cid), name);
    sbuf_printf(b, "<h1 style=\"font-size:20px;margin:0 0 24px\">%s</h1>\n", name);
    if (msg->html != NULL)
        sbuf_puts(b, msg->html);
    else
        put_paragraphs(b, a, msg->text);
    if (msg->action_url != NULL)
        sbuf_printf(b,
                    "<p style=\"margin:24px 0\"><a href=\"%s\" style=\"background:#1a56db;color:#fff;"
                    "padding:10px 16px;text-decoration:none\">%s</a></p>\n"
                    "<p style=\"font-size:12px;color:#666\">%s</p>\n",
                    mail_html_escape(a, msg->action_url),
                    mail_html_escape(a, msg->action_label != NULL ? msg->action_label : "Open"),
                    mail_html_escape(a, msg->action_url));
    sbuf_printf(b, "<hr style=\"border:0;border-top:1px solid #ddd\">\n<p style=\"font-size:12px;color:#666\">%s",
                name);
    if (msg->unsubscribe_url != NULL)
        sbuf_printf(b, " · <a href=\"%s\">Unsubscribe</a>", mail_html_escape(a, msg->unsubscribe_url));
    sbuf_puts(b, "</p>\n</div>\n</body></html>\n");
}

static void render_text(sbuf_t *b, const char *school, const mail_msg_t *msg)
{
    sbuf_printf(b, "%s\n\n%s\n", school, msg->text);
    if (msg->action_url != NULL)
        sbuf_printf(b, "\n%s: %s\n", msg->action_label != NULL ? msg->action_label : "Open", msg->action_url);
    sbuf_printf(b, "\n-- \n%s\n", school);
    if (msg->unsubscribe_url != NULL)
        sbuf_printf(b, "Unsubscribe: %s\n", msg->unsubscribe_url);
}

void mail_render(arena_t *a, const char *school, const char *logo_cid, const mail_msg_t *msg, const char **text,
                 const char **html)
{
    sbuf_t t, h;
    sbuf_init(&t, a, 1024);
    sbuf_init(&h, a, 4096);
    render_text(&t, school, msg);
    render_html(&h, a, school, logo_cid, msg);
    *text = t.p;
    *html = h.p;
}
