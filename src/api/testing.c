/*
 * testing.c - routes that exist only when ERP_ENABLE_TEST_ROUTES=1, for the
 * black-box suite: a slow request (drain tests), a failing handler (the 500
 * path), a typed echo (body checks) and a handler that may leave its
 * transaction open (the request end's clean-up). Never enabled in production.
 */
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/audit.h"

int testing_sleep(req_t *r)
{
    long long ms = 0;
    const char *v = req_query(r, "ms");
    if (v != NULL && (query_int(r, "ms", v, 0, 60000, &ms) != 0))
        return -1;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    return res_json(r, 200, json_pack("{s:I}", "sleptMs", (json_int_t)ms));
}

int testing_fail(req_t *r)
{
    return res_fail(r, ERR_INTERNAL, "deliberate failure for the test suite");
}

int testing_transaction(req_t *r)
{
    const char *tag = req_query(r, "tag"), *commit = req_query(r, "commit");
    if (tag == NULL || strlen(tag) > 64)
        return res_fail(r, ERR_VALIDATION, "tag: 1 to 64 characters");
    db_t *db = req_db(r);
    audit_event_t e = {.tenant_id = PLATFORM_TENANT_ID, .action = "test.transaction", .detail = tag};
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (audit_record(db, r, &e) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    if (commit != NULL && strcmp(commit, "1") == 0 && db_commit(db) != 0)
        return db_fail(r, db);
    return res_json(r, 200, json_pack("{s:s}", "tag", tag)); /* without commit=1 the transaction stays open */
}

int testing_echo(req_t *r)
{
    static const char *const fields[] = {"name", "count", NULL};
    const char *name = NULL;
    long long count = 0;
    int has_count = 0;
    body_only_fields(r, fields);
    body_string(r, "name", 1, 1, 100, &name);
    if (json_object_get(r->json, "count") != NULL)
        has_count = body_int(r, "count", 0, 0, 1000, &count) == 1;
    if (res_check_fields(r) != 0)
        return -1;
    json_t *out = json_pack("{s:s}", "name", name);
    if (has_count)
        out = json_with(out, "count", json_integer(count));
    return res_json(r, 200, out);
}
