/*
 * unsubscribe.c - the unsubscribe link of an absence alert's message
 * (announce.h): RFC 8058's one-click POST for mail clients, and for a person
 * who opens the link a server-rendered page that says what will stop, with a
 * form that POSTs to confirm, answered by a page that says it stopped. The
 * pages carry no script and no style: a policy of their own forbids both.
 */
#include <string.h>

#include "api/announce/announce.h"
#include "api/announce/announce_int.h"
#include "api/app.h"
#include "api/common.h"
#include "auth/crypto.h"
#include "core/arena.h"
#include "mail/mail.h"

#define PAGE_TYPE "text/html; charset=utf-8"
#define PAGE_CSP "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* school, guardian, address, and whether the guardian has opted out already, of a link's token */
static stmt_t Q_BY_TOKEN = STMT("alerts.by_token", STMT_ACCESS,
                                "SELECT r.tenant_id, r.guardian_id, t.name, r.email, EXISTS (SELECT 1 FROM"
                                " guardian_alert_optouts o WHERE o.tenant_id = r.tenant_id"
                                " AND o.guardian_id = r.guardian_id) FROM absence_alert_recipients r"
                                " JOIN tenants t ON t.id = r.tenant_id WHERE r.unsubscribe_hash = $1");

enum { LINK_FOUND = 0, LINK_MALFORMED = 1, LINK_UNKNOWN = 2 };

/* Finds the link of the request's token into *res, on whichever shard holds it (the request is routed there). LINK_*, or -1 with the request's error set. */
static int link_find(req_t *r, const char **token, db_result_t *res)
{
    const char *t = req_query(r, "token");
    size_t len = t != NULL ? strlen(t) : 0;
    *token = t;
    if (len < 20 || len > 100 || strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != len)
        return LINK_MALFORMED;
    char hash[65];
    crypto_sha256_hex(t, len, hash);
    if (app_find_on_shards(r, &Q_BY_TOKEN, DB_ARGS(DB_TEXT(hash)), res) != 0)
        return -1;
    return res->nrows == 0 ? LINK_UNKNOWN : LINK_FOUND;
}

static int link_opt_out(req_t *r, const db_result_t *res)
{
    return alerts_opt_out(req_db(r), &r->arena, db_get(res, 0, 0), db_get(res, 0, 1));
}

/* A page of a title and a body (an HTML fragment, escaped already). */
static int page(req_t *r, int status, const char *title, const char *body)
{
    const char *t = mail_html_escape(&r->arena, title);
    const char *html = arena_printf(&r->arena,
                                    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                                    "<meta name=\"robots\" content=\"noindex\"><title>%s</title></head>\n"
                                    "<body><main><h1>%s</h1>\n%s</main></body></html>\n",
                                    t, t, body);
    res_header(r, "content-security-policy", PAGE_CSP);
    return res_body(r, status, PAGE_TYPE, html, strlen(html));
}

static int page_of_bad_link(req_t *r, int why)
{
    if (why == LINK_MALFORMED)
        return page(r, 422, "This unsubscribe link is incomplete",
                    "<p>The link is damaged or cut short. Open it again from the message, or copy the whole"
                    " address into the browser.</p>\n");
    return page(r, 404, "This unsubscribe link is not valid",
                "<p>No message of the school carried this link. Nothing was changed. To stop absence alerts,"
                " use the link of a message you received, or ask the school.</p>\n");
}

/* For the pages: 1 with the link in *res; else the handler's answer (a page of a bad link, or a database failure). */
static int page_link(req_t *r, const char **token, db_result_t *res)
{
    int found = link_find(r, token, res);
    if (found < 0)
        return -1;
    return found == LINK_FOUND ? 1 : page_of_bad_link(r, found);
}

static const char *who(req_t *r, const db_result_t *res)
{
    return arena_printf(&r->arena, "<strong>%s</strong> to <strong>%s</strong>",
                        mail_html_escape(&r->arena, db_get(res, 0, 2)), mail_html_escape(&r->arena, db_get(res, 0, 3)));
}

/* POST /absence-alerts/unsubscribe?token=: RFC 8058's one-click unsubscribe of a mail client. */
int absence_alerts_unsubscribe(req_t *r)
{
    const char *token;
    db_result_t res;
    int found = link_find(r, &token, &res);
    if (found < 0)
        return -1;
    if (found == LINK_MALFORMED) {
        res_field_error(r, "token", "must be the token of an absence alert's unsubscribe link");
        return res_check_fields(r);
    }
    if (found == LINK_UNKNOWN)
        return res_fail(r, ERR_NOT_FOUND, "This unsubscribe link is not valid.");
    if (link_opt_out(r, &res) != 0)
        return db_fail(r, req_db(r));
    return res_empty(r, 204);
}

/* GET /absence-alerts/unsubscribe?token=: the link opened in a browser; changes nothing. */
int absence_alerts_unsubscribe_page(req_t *r)
{
    const char *token;
    db_result_t res;
    int rc = page_link(r, &token, &res);
    if (rc != 1)
        return rc;
    if (db_get_bool(&res, 0, 4))
        return page(r, 200, "Absence alerts are stopped",
                    arena_printf(&r->arena,
                                 "<p>Absence alerts from %s are stopped already. Nothing else to do. The school"
                                 " can turn them on again.</p>\n",
                                 who(r, &res)));
    const char *body = arena_printf(
        &r->arena,
        "<p>Absence alerts from %s: an e-mail each time a child of this guardian is marked absent (or late, if the"
        " school says so).</p>\n"
        "<p>Unsubscribing stops these absence alerts to this guardian. Announcements and other messages of the"
        " school do not change. The school can turn the alerts on again.</p>\n"
        "<form method=\"post\" action=\"/api/v1/absence-alerts/unsubscribe/confirm?token=%s\">"
        "<button type=\"submit\">Stop absence alerts</button></form>\n",
        who(r, &res), mail_html_escape(&r->arena, token));
    return page(r, 200, "Stop absence alerts?", body);
}

/* POST /absence-alerts/unsubscribe/confirm?token=: the page's button; answers a page. */
int absence_alerts_unsubscribe_confirm(req_t *r)
{
    const char *token;
    db_result_t res;
    int rc = page_link(r, &token, &res);
    if (rc != 1)
        return rc;
    if (link_opt_out(r, &res) != 0)
        return db_fail(r, req_db(r));
    return page(r, 200, "Absence alerts stopped",
                arena_printf(&r->arena,
                             "<p>Absence alerts from %s are stopped. You can close this page. The school can turn"
                             " them on again.</p>\n",
                             who(r, &res)));
}
