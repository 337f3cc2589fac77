/*
 * webhook.c - POST /payments/webhooks/{provider}: a payment provider's event,
 * signed the way Stripe documents it. The Stripe-Signature header carries
 * t=<unix seconds> and one or more v1=<hex>; a v1 must equal
 * HMAC-SHA256(ERP_PAYMENT_WEBHOOK_SECRET, "<t>.<raw body>"), and t must be
 * within WEBHOOK_TOLERANCE_S of now (a replayed old delivery is refused).
 * Each event (provider, event id) is recorded once per school; a delivery of
 * an event recorded already answers 200 and changes nothing. An event of type
 * payment_intent.succeeded records a payment (method online) of the student
 * and school its metadata names, allocated as POST /payments allocates; the
 * provider's payment id is unique per school, so one payment is never counted
 * twice even under two event ids.
 *
 * The body: {"id", "type", "created", "data": {"object": {"id", "amount",
 * "currency", "metadata": {"school": <slug>, "studentId"}}}}.
 */
#include "api/fees/fees.h"
#include "api/fees/fees_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/common.h"
#include "auth/audit.h"
#include "auth/crypto.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/tz.h"
#include "domain/fees.h"

#define WEBHOOK_TOLERANCE_S 300

static stmt_t Q_SCHOOL = STMT("webhook.school", STMT_ACCESS,
                              "SELECT id, currency, time_zone FROM tenants WHERE slug = $1 AND status = 'active'");
static stmt_t Q_STUDENT = STMT("webhook.student", 0,
                               "SELECT id FROM students WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL");
static stmt_t Q_EVENT = STMT("webhook.event", 0,
                             "INSERT INTO payment_webhook_events (tenant_id, provider, event_id, type, payload,"
                             " payment_id, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                             " ON CONFLICT (tenant_id, provider, event_id) DO NOTHING RETURNING event_id");
static stmt_t Q_PAID = STMT("webhook.paid", 0,
                            "SELECT id FROM payments WHERE tenant_id = $1 AND provider = $2 AND provider_ref = $3");

static const char *const providers[] = {"stripe", NULL};

/* Whether header (t=..,v1=..,v1=..) signs body with secret within the tolerance of now_s; 0 yes, -1 no (*why says). */
static int signature_ok(const char *header, const char *body, size_t len, const char *secret, long long now_s,
                        const char **why)
{
    long long t = -1;
    const char *sigs[8];
    int nsig = 0;
    for (const char *p = header; p != NULL && *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n > 2 && strncmp(p, "t=", 2) == 0)
            t = strtoll(p + 2, NULL, 10);
        else if (n == 3 + 64 && strncmp(p, "v1=", 3) == 0 && nsig < 8)
            sigs[nsig++] = p + 3;
        p = end != NULL ? end + 1 : NULL;
    }
    *why = "Stripe-Signature needs t=<unix seconds> and v1=<hex HMAC-SHA256>.";
    if (t <= 0 || nsig == 0)
        return -1;
    *why = "The signature's timestamp is outside the tolerance (a stale or replayed delivery).";
    if (llabs(now_s - t) > WEBHOOK_TOLERANCE_S)
        return -1;
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char ts[32], hex[2 * crypto_auth_hmacsha256_BYTES + 1];
    int tn = snprintf(ts, sizeof ts, "%lld.", t);
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)tn);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    *why = "The signature does not match the body.";
    for (int i = 0; i < nsig; i++)
        if (crypto_equal(sigs[i], hex, 64))
            return 0;
    return -1;
}

typedef struct event {
    const char *id;
    const char *type;
    const char *school;
    paying_t pay;
    payment_in_t in;
    int duplicate;
    int applied; /* a payment was recorded */
} event_t;

static int record_in_tx(db_t *db, void *ctx)
{
    event_t *e = ctx;
    req_t *r = e->pay.r;
    db_result_t res;
    int applies = e->pay.in != NULL;
    e->duplicate = e->applied = 0;
    if (applies && db_exec(db, &Q_PAID, DB_ARGS(DB_TEXT(e->pay.tenant), DB_TEXT(e->in.provider),
                                                DB_TEXT(e->in.provider_ref)), &r->arena, &res) != 0)
        return -1;
    if (applies && res.nrows > 0)
        applies = 0; /* that payment came with another event already */
    if (db_exec(db, &Q_EVENT,
                DB_ARGS(DB_TEXT(e->pay.tenant), DB_TEXT(e->in.provider), DB_TEXT(e->id), DB_TEXT(e->type),
                        DB_TEXT(arena_strndup(&r->arena, r->body, r->body_len)),
                        applies ? DB_TEXT(e->pay.id) : DB_NULL, DB_INT((long long)clock_wall_ms())),
                &r->arena, &res) != 0)
        return -1;
    if (res.nrows == 0) {
        e->duplicate = 1;
        return 0;
    }
    e->applied = applies;
    return applies ? fees_pay_in_tx(db, &e->pay) : 0;
}

static const char *str_at(json_t *o, const char *path1, const char *path2)
{
    json_t *v = json_object_get(o, path1);
    if (path2 != NULL)
        v = json_object_get(v, path2);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Reads the event's payment into e (r->json); 0, or -1 after answering 404 or 422. */
static int read_payment(req_t *r, event_t *e, json_t *obj)
{
    json_t *meta = json_object_get(obj, "metadata");
    json_t *amount = json_object_get(obj, "amount");
    e->in.student_id = str_at(meta, "studentId", NULL);
    e->in.provider_ref = str_at(obj, "id", NULL);
    if (e->in.provider_ref == NULL)
        res_field_error(r, "data.object.id", "is required");
    if (!json_is_integer(amount) || !fees_amount_valid(json_integer_value(amount)) || json_integer_value(amount) < 1)
        res_field_error(r, "data.object.amount", "must be a positive integer of minor units");
    if (e->in.student_id == NULL || !ids_uuid_valid(e->in.student_id, strlen(e->in.student_id)))
        res_field_error(r, "data.object.metadata.studentId", "must be a student id");
    const char *cur = str_at(obj, "currency", NULL);
    if (cur == NULL || strcasecmp(cur, e->pay.currency) != 0)
        res_field_error(r, "data.object.currency", "must be the school's currency (%s)", e->pay.currency);
    if (res_check_fields(r) != 0)
        return -1;
    e->in.amount = json_integer_value(amount);
    e->in.method = 3; /* online */
    e->in.reference = e->in.provider_ref;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_STUDENT, DB_ARGS(DB_TEXT(e->pay.tenant), DB_TEXT(e->in.student_id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such student (data.object.metadata.studentId).");
    e->pay.in = &e->in;
    return 0;
}

/* Reads the event and its school into e; 0, or -1 after answering. */
static int read_event(req_t *r, event_t *e)
{
    json_t *obj = json_object_get(json_object_get(r->json, "data"), "object");
    e->id = str_at(r->json, "id", NULL);
    e->type = str_at(r->json, "type", NULL);
    e->school = str_at(obj, "metadata", "school");
    if (e->id == NULL || strlen(e->id) > 255)
        res_field_error(r, "id", "must be the provider's event id");
    if (e->type == NULL)
        res_field_error(r, "type", "is required");
    if (e->school == NULL)
        res_field_error(r, "data.object.metadata.school", "must name the school (its slug)");
    if (res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_SCHOOL, DB_ARGS(DB_TEXT(e->school)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such school (data.object.metadata.school).");
    e->pay.tenant = db_get(&res, 0, 0);
    e->pay.currency = db_get(&res, 0, 1);
    if (app_route_tenant(r, e->pay.tenant) != 0) /* the school's shard records the event */
        return -1;
    if (strcmp(e->type, "payment_intent.succeeded") != 0)
        return 0; /* recorded, nothing to apply */
    char *day = arena_alloc(&r->arena, TZ_DATE_LEN + 1);
    tz_local_date(db_get(&res, 0, 2), (int64_t)clock_wall_ms(), day);
    e->in.paid_on = day;
    return read_payment(r, e, obj);
}

int payment_webhook(req_t *r)
{
    const char *provider = req_param(r, 0);
    int known = 0;
    for (int i = 0; providers[i] != NULL; i++)
        known |= strcmp(provider, providers[i]) == 0;
    if (!known)
        return res_fail(r, ERR_NOT_FOUND, "No such payment provider.");
    const char *secret = app.cfg->payment_webhook_secret, *why = "Stripe-Signature is required.";
    if (secret == NULL)
        return res_fail(r, ERR_NOT_FOUND, "Payment webhooks are not configured (ERP_PAYMENT_WEBHOOK_SECRET).");
    if (r->hdr.webhook_signature == NULL ||
        signature_ok(r->hdr.webhook_signature, r->body != NULL ? r->body : "", r->body_len, secret,
                     (long long)(clock_wall_ms() / 1000), &why) != 0)
        return res_fail(r, ERR_MALFORMED, "%s", why);
    event_t e;
    memset(&e, 0, sizeof(e));
    char id[40];
    ids_uuid7(id);
    e.pay.r = r;
    e.pay.id = id;
    e.in.provider = provider;
    if (read_event(r, &e) != 0)
        return -1;
    db_t *db = req_db(r);
    if (db_transaction(db, record_in_tx, &e) != 0)
        return r->err.code != ERR_NONE ? -1 : db_fail(r, db);
    return res_json(r, 200, json_pack("{s:s,s:b,s:o}", "eventId", e.id, "duplicate", e.duplicate, "paymentId",
                                      e.applied ? json_string(id) : json_null()));
}
