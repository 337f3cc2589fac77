/* handlers.c - the product's job handlers (see jobs.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/assessment/report_card.h"
#include "api/files.h"
#include "blob/blob.h"
#include "core/arena.h"
#include "core/log.h"
#include "core/sbuf.h"
#include "imports/imports.h"
#include "jobs/jobs.h"
#include "oneroster/oneroster.h"
#include "reports/card.h"
#include "reports/register.h"

/* How a store failure ends an attempt: unreachable or a serialization conflict is worth another, the rest is not. */
static int db_outcome(job_ctx_t *ctx, const char *what, char *reason, size_t reasonlen)
{
    const db_error_t *e = db_error(job_db(ctx));
    snprintf(reason, reasonlen, "%s: the database failed (%s)", what, e->message);
    return e->status == DB_UNAVAILABLE || e->status == DB_RETRY ? JOB_RETRY : JOB_FATAL;
}

static int blob_outcome(const blob_err_t *e, const char *what, char *reason, size_t reasonlen)
{
    snprintf(reason, reasonlen, "%s: the file store failed (%s)", what, e->message);
    return e->code == BLOB_ENOTFOUND || e->code == BLOB_EINVAL ? JOB_FATAL : JOB_RETRY;
}

/*
 * Keeps a job's output: the bytes in the blob store, a `files` row owned by the
 * job's owner. *result is {fileId, filename, contentType, size} plus extra's
 * members (extra is stolen; may be NULL).
 */
static int keep_output(job_ctx_t *ctx, arena_t *a, const sbuf_t *bytes, const char *kind, const char *type,
                       const char *filename, json_t *extra, json_t **result, char *reason, size_t reasonlen)
{
    const job_t *job = job_current(ctx);
    char blob_id[BLOB_ID_MAX], file_id[40];
    blob_err_t be;
    if (blob_put(app.blob, bytes->p, bytes->len, type, blob_id, NULL, &be) != 0) {
        json_decref(extra);
        return blob_outcome(&be, "storing the output", reason, reasonlen);
    }
    file_row_t f = {.tenant_id = job->tenant_id, .blob_id = blob_id, .kind = kind, .content_type = type,
                    .size = bytes->len, .filename = filename, .owner_id = job->owner_id[0] ? job->owner_id : NULL};
    if (files_insert(job_db(ctx), a, &f, file_id) != 0) {
        json_decref(extra);
        return db_outcome(ctx, "recording the output", reason, reasonlen);
    }
    json_t *out = json_pack("{s:s,s:s,s:s,s:I}", "fileId", file_id, "filename", filename, "contentType", type, "size",
                            (json_int_t)bytes->len);
    if (out == NULL || (extra != NULL && json_object_update(out, extra) != 0)) {
        json_decref(out);
        json_decref(extra);
        snprintf(reason, reasonlen, "out of memory");
        return JOB_RETRY;
    }
    json_decref(extra);
    *result = out;
    return JOB_DONE;
}

/* ---- imports ---- */

static void import_progress(void *pctx, int percent)
{
    job_progress(pctx, percent);
}

int job_import(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen)
{
    const job_t *job = job_current(ctx);
    const char *kind = job->type + strlen("import.");
    const char *blob_id = json_string_value(json_object_get(payload, "blobId"));
    json_t *inline_csv = json_object_get(payload, "csv"); /* a file that is not kept (staff: passwords) */
    void *csv;
    size_t len;
    blob_err_t be;
    if (json_is_string(inline_csv)) {
        len = json_string_length(inline_csv);
        csv = xmalloc(len + 1);
        memcpy(csv, json_string_value(inline_csv), len + 1);
    } else if (blob_id == NULL) {
        snprintf(reason, reasonlen, "the job names no file");
        return JOB_FATAL;
    } else if (blob_get(app.blob, blob_id, &csv, &len, &be) != 0) {
        return blob_outcome(&be, "reading the uploaded file", reason, reasonlen);
    }
    arena_t a;
    arena_init(&a);
    json_t *report = NULL;
    const char *actor = job->owner_id[0] ? job->owner_id : NULL;
    int rc;
    if (strcmp(kind, "oneroster") == 0) {
        oneroster_input_t in = {.zip = csv, .zip_len = len};
        rc = oneroster_import(job_db(ctx), &a, job->tenant_id, actor, &in, &report);
    } else {
        rc = import_csv(job_db(ctx), &a, job->tenant_id, actor, kind, csv, len, import_progress, ctx, &report);
    }
    free(csv);
    arena_destroy(&a);
    if (report == NULL) {
        snprintf(reason, reasonlen, "out of memory");
        return JOB_RETRY;
    }
    if (rc < 0) {
        const char *why = json_string_value(json_object_get(report, "error"));
        snprintf(reason, reasonlen, "the import could not be written: %s", why != NULL ? why : "database failure");
        json_decref(report);
        return JOB_RETRY;
    }
    if (json_object_set_new(report, "imported", json_boolean(rc == 0)) != 0) {
        json_decref(report);
        snprintf(reason, reasonlen, "out of memory");
        return JOB_RETRY;
    }
    *result = report;
    return JOB_DONE;
}

/* ---- exports ---- */

int job_export(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen)
{
    const job_t *job = job_current(ctx);
    const char *kind = job->type + strlen("export.");
    arena_t a;
    arena_init(&a);
    sbuf_t out;
    sbuf_init(&out, &a, 64 * 1024);
    int zip = strcmp(kind, "oneroster") == 0;
    int rc = zip ? oneroster_export(job_db(ctx), &a, job->tenant_id, &out)
                 : export_csv(job_db(ctx), &a, job->tenant_id, kind, json_object_get(payload, "params"), &out);
    if (rc != 0) {
        if (rc > 0)
            snprintf(reason, reasonlen, "%.*s", (int)out.len, out.p);
        int outcome = rc > 0 ? JOB_FATAL : db_outcome(ctx, "exporting", reason, reasonlen);
        arena_destroy(&a);
        return outcome;
    }
    const char *filename = arena_printf(&a, zip ? "%s.zip" : "%s.csv", kind);
    int outcome = keep_output(ctx, &a, &out, "export", zip ? "application/zip" : "text/csv", filename, NULL, result,
                              reason, reasonlen);
    arena_destroy(&a);
    return outcome;
}

/* ---- the attendance register ---- */

int job_register(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen)
{
    const job_t *job = job_current(ctx);
    const char *class_id = json_string_value(json_object_get(payload, "classId"));
    json_t *grade = json_object_get(payload, "gradeLevel");
    const char *month = json_string_value(json_object_get(payload, "month"));
    int year, mon;
    if (month == NULL || register_parse_month(month, &year, &mon) != 0 || (class_id == NULL) == !json_is_integer(grade)) {
        snprintf(reason, reasonlen, "the job needs a month and either a class or a grade");
        return JOB_FATAL;
    }
    arena_t a;
    arena_init(&a);
    sbuf_t pdf;
    sbuf_init(&pdf, &a, 64 * 1024);
    char err[256] = "";
    int rc = class_id != NULL
                 ? register_pdf(job_db(ctx), &a, job->tenant_id, class_id, year, mon, &pdf, err, sizeof(err))
                 : register_pdf_grade(job_db(ctx), &a, job->tenant_id, (int)json_integer_value(grade), year, mon,
                                      &pdf, err, sizeof(err));
    if (rc != REGISTER_OK) {
        int outcome = rc == REGISTER_DB ? db_outcome(ctx, "the register", reason, reasonlen) : JOB_FATAL;
        if (rc != REGISTER_DB)
            snprintf(reason, reasonlen, "%s", err);
        arena_destroy(&a);
        return outcome;
    }
    const char *filename = class_id != NULL ? arena_printf(&a, "register-%s.pdf", month)
                                            : arena_printf(&a, "register-grade-%d-%s.pdf",
                                                           (int)json_integer_value(grade), month);
    int outcome = keep_output(ctx, &a, &pdf, "report", "application/pdf", filename, NULL, result, reason, reasonlen);
    arena_destroy(&a);
    return outcome;
}

/* ---- report cards ---- */

/* The cards of the roster's students into cards (new references): 0, or -1 after a database error. */
static int load_cards(req_t *r, db_t *db, const db_result_t *roster, const char *term_id, json_t **cards)
{
    for (int i = 0; i < roster->nrows; i++) {
        if (report_card_load(r, db, db_get(roster, i, 0), term_id, &cards[i]) != 0) {
            for (int k = 0; k < i; k++)
                json_decref(cards[k]);
            return -1;
        }
    }
    return 0;
}

/* The class's cards drawn onto pdf: a job outcome (JOB_DONE when drawn). */
static int draw_class(job_ctx_t *ctx, req_t *r, const char *class_id, const char *term_id, sbuf_t *pdf,
                      char *reason, size_t reasonlen)
{
    db_t *db = job_db(ctx);
    db_result_t roster;
    int letter, rc = report_card_roster(r, db, class_id, term_id, &roster);
    if (rc != 0 || report_card_paper(r, db, &letter) != 0) {
        if (rc <= 0)
            return db_outcome(ctx, "the report cards", reason, reasonlen);
        snprintf(reason, reasonlen, "no such term");
        return JOB_FATAL;
    }
    if (roster.nrows == 0) {
        snprintf(reason, reasonlen, "the class has no students in the term");
        return JOB_FATAL;
    }
    json_t **cards = arena_calloc(&r->arena, sizeof(*cards) * (size_t)roster.nrows);
    if (load_cards(r, db, &roster, term_id, cards) != 0)
        return db_outcome(ctx, "the report cards", reason, reasonlen);
    int draft = !json_is_true(json_object_get(cards[0], "published"));
    rc = card_pdf((const json_t *const *)cards, roster.nrows, letter, draft, pdf, reason, reasonlen);
    for (int i = 0; i < roster.nrows; i++)
        json_decref(cards[i]);
    return rc == 0 ? JOB_DONE : JOB_FATAL;
}

int job_report_cards(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen)
{
    const job_t *job = job_current(ctx);
    const char *class_id = json_string_value(json_object_get(payload, "classId"));
    const char *term_id = json_string_value(json_object_get(payload, "termId"));
    if (class_id == NULL || term_id == NULL) {
        snprintf(reason, reasonlen, "the job needs a class and a term");
        return JOB_FATAL;
    }
    req_t *r = calloc(1, sizeof(*r)); /* a request context of the school for the report card loader */
    if (r == NULL) {
        snprintf(reason, reasonlen, "out of memory");
        return JOB_RETRY;
    }
    arena_init(&r->arena);
    snprintf(r->auth.tenant_id, sizeof(r->auth.tenant_id), "%s", job->tenant_id);
    sbuf_t pdf;
    sbuf_init(&pdf, &r->arena, 64 * 1024);
    int outcome = draw_class(ctx, r, class_id, term_id, &pdf, reason, reasonlen);
    if (outcome == JOB_DONE)
        outcome = keep_output(ctx, &r->arena, &pdf, "report", "application/pdf", "report-cards.pdf",
                              json_pack("{s:s,s:s}", "classId", class_id, "termId", term_id), result, reason,
                              reasonlen);
    arena_destroy(&r->arena);
    free(r);
    return outcome;
}

void jobs_shutdown(void)
{
    register_shutdown();
}
