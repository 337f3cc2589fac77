/* transfers.c - imports, exports and printed registers as jobs (see transfers.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/app.h"
#include "api/common.h"
#include "api/files.h"
#include "api/transfers.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "auth/policy.h"
#include "auth/roles.h"
#include "blob/blob.h"
#include "core/clock.h"
#include "core/log.h"
#include "imports/imports.h"
#include "queue/queue.h"
#include "reports/register.h"

#define EXPORT_SAME_JOB_MS 10000 /* the same export asked for again within this is the same job */

static const char *const import_kinds[] = {"students", "teachers", "staff", "oneroster", NULL};
static const char *const export_kinds[] = {"students", "guardians", "enrollments", "attendance", "oneroster",
                                           "invoices", "payments", NULL};

static stmt_t Q_CLASS = STMT("transfers.class", STMT_READ, "SELECT 1 FROM classes WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_TERM = STMT("transfers.term", STMT_READ, "SELECT 1 FROM terms WHERE tenant_id = $1 AND id = $2");
/* the caller ($3) is the class teacher of class $2 */
static stmt_t Q_CLASS_TEACHER = STMT("transfers.class_teacher", STMT_ACCESS,
                                     "SELECT 1 FROM classes c JOIN teachers t ON t.tenant_id = c.tenant_id"
                                     " AND t.id = c.class_teacher_id WHERE c.tenant_id = $1 AND c.id = $2"
                                     " AND t.user_id = $3 AND t.status = 'active'");

/* The {kind} of the path if it is one of kinds, else NULL after a 404. */
static const char *path_kind(req_t *r, const char *const *kinds, const char *what)
{
    const char *kind = req_param(r, 0);
    for (const char *const *k = kinds; *k != NULL; k++)
        if (strcmp(*k, kind) == 0)
            return *k;
    res_fail(r, ERR_NOT_FOUND, "No such %s kind: %s.", what, kind);
    return NULL;
}

/*
 * Answers 202 with the job's id and where to follow it; its state is "waiting"
 * for a new job, and the job's own for one that existed (the same export asked
 * for again, perhaps finished already).
 */
static int accepted(req_t *r, const char *job_id, const char *file_id, int existed)
{
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/jobs/%s", job_id));
    json_t *job = NULL;
    const char *state = NULL;
    if (existed && queue_get(app.queue, r->auth.tenant_id, job_id, &job) == 0)
        state = json_string_value(json_object_get(job, "state"));
    json_t *body = json_pack("{s:s,s:s}", "jobId", job_id, "state", state != NULL ? state : "waiting");
    json_decref(job);
    if (body != NULL && file_id != NULL && json_object_set_new(body, "fileId", json_string(file_id)) != 0) {
        json_decref(body);
        body = NULL;
    }
    return res_json(r, 202, body);
}

static int queue_down(req_t *r)
{
    log_error("cannot enqueue a job", "%s", queue_error(app.queue));
    return res_fail(r, ERR_UNAVAILABLE, "The job queue cannot be reached; try again.");
}

/*
 * Enqueues spec for the request. On the SQL queue inside the transaction the
 * caller opened (the job exists exactly when what it records commits), which
 * this commits; on Redis after the commit, so a failed write starts no job.
 * 0, or -1 answered.
 */
static int enqueue_with_commit(req_t *r, const job_spec_t *spec, char job_id[QUEUE_ID_MAX])
{
    db_t *db = req_db(r);
    int existed = 0, in_tx = strcmp(queue_adapter(app.queue), "sql") == 0;
    if (in_tx && queue_enqueue_in(app.queue, db, spec, job_id, &existed) != 0) {
        db_rollback(db);
        return queue_down(r);
    }
    if (db_commit(db) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    if (!in_tx && queue_enqueue(app.queue, spec, job_id, &existed) != 0)
        return queue_down(r);
    return 0;
}

/* ---- imports ---- */

/* Whether a Content-Type names the media type want, with parameters or not. */
static int is_type(const char *type, const char *want)
{
    size_t n = strlen(want);
    if (type == NULL || strncasecmp(type, want, n) != 0)
        return 0;
    return type[n] == '\0' || type[n] == ';' || type[n] == ' ';
}

/*
 * Keeps an upload: its bytes in the blob store, a file row of kind import (in
 * a transaction this opens and the caller commits). 0, or -1 answered.
 */
static int keep_upload(req_t *r, const char *type, const char *name_fmt, const char *kind, char blob_id[BLOB_ID_MAX],
                       char file_id[40])
{
    blob_err_t be;
    if (blob_put(app.blob, r->body, r->body_len, type, blob_id, NULL, &be) != 0) {
        log_error("cannot store an import", "%s", be.message);
        return res_fail(r, ERR_UNAVAILABLE, "The file store cannot be reached; try again.");
    }
    db_t *db = req_db(r);
    file_row_t f = {.tenant_id = r->auth.tenant_id, .blob_id = blob_id, .kind = "import", .content_type = type,
                    .size = r->body_len, .filename = arena_printf(&r->arena, name_fmt, kind),
                    .owner_id = r->auth.user_id};
    if (db_begin(db) != 0 || files_insert(db, &r->arena, &f, file_id) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    return 0;
}

int imports_create(req_t *r)
{
    const char *kind = path_kind(r, import_kinds, "import");
    if (kind == NULL)
        return -1;
    int zip = strcmp(kind, "oneroster") == 0;
    const char *type = zip ? "application/zip" : "text/csv";
    if (!is_type(r->hdr.content_type, type))
        return res_fail(r, ERR_MEDIA_TYPE, zip ? "A OneRoster import is a zip file: Content-Type: application/zip."
                                               : "An import is a CSV file: Content-Type: text/csv.");
    if (r->body_len == 0)
        return res_fail(r, ERR_VALIDATION, "The file is empty.");
    if (zip && (r->body_len < 4 || memcmp(r->body, "PK\x03\x04", 4) != 0))
        return res_fail(r, ERR_VALIDATION, "The body is not a zip file.");
    if (r->body_len > IMPORT_MAX_BYTES)
        return res_fail(r, ERR_TOO_LARGE, "An import may not exceed %u bytes.", IMPORT_MAX_BYTES);
    /* A staff file may hold the new accounts' passwords: it is not kept, it travels in the job (removed with it) */
    int keep = strcmp(kind, "staff") != 0;
    char blob_id[BLOB_ID_MAX], file_id[40] = "", job_id[QUEUE_ID_MAX];
    json_t *p = keep ? NULL : json_pack("{s:s%}", "csv", r->body, r->body_len);
    if (!keep && p == NULL)
        return res_fail(r, ERR_VALIDATION, "The file is not UTF-8 text.");
    if (keep && keep_upload(r, type, zip ? "import-%s.zip" : "import-%s.csv", kind, blob_id, file_id) != 0)
        return -1;
    db_t *db = req_db(r);
    if (!keep && db_begin(db) != 0) {
        json_decref(p);
        return db_fail(r, db);
    }
    if (audit_caller(db, r, "import.upload", keep ? "file" : NULL, keep ? file_id : NULL,
                     arena_printf(&r->arena, "%s, %zu bytes", kind, r->body_len)) != 0) {
        json_decref(p);
        db_rollback(db);
        return db_fail(r, db);
    }
    if (keep)
        p = json_pack("{s:s,s:s}", "fileId", file_id, "blobId", blob_id);
    char *payload = p != NULL ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    if (payload == NULL) {
        db_rollback(db);
        return res_fail(r, ERR_INTERNAL, "the job could not be written");
    }
    job_spec_t spec = {.tenant_id = r->auth.tenant_id, .owner_id = r->auth.user_id,
                       .type = arena_printf(&r->arena, "import.%s", kind), .payload = payload};
    int rc = enqueue_with_commit(r, &spec, job_id);
    free(payload);
    return rc != 0 ? -1 : accepted(r, job_id, keep ? file_id : NULL, 0);
}

int imports_template(req_t *r)
{
    const char *kind = path_kind(r, import_kinds, "import");
    if (kind == NULL)
        return -1;
    const char *csv = import_template(kind);
    if (csv == NULL)
        return res_fail(r, ERR_NOT_FOUND, "A OneRoster import has the specification's files: no template.");
    res_header(r, "content-disposition", arena_printf(&r->arena, "attachment; filename=\"%s-template.csv\"", kind));
    res_header(r, "cache-control", "public, max-age=3600");
    return res_body(r, 200, "text/csv; charset=utf-8", csv, strlen(csv));
}

/* ---- exports ---- */

/* The export's parameters from the query ({} for kinds without any); NULL after a 422/404. */
static json_t *export_params(req_t *r, const char *kind)
{
    const char *from = req_query(r, "from"), *to = req_query(r, "to"), *class_id = NULL;
    int attendance = strcmp(kind, "attendance") == 0;
    if (attendance) {
        if (from == NULL || !valid_date(from))
            res_field_error(r, "from", "a date YYYY-MM-DD is required");
        if (to == NULL || !valid_date(to))
            res_field_error(r, "to", "a date YYYY-MM-DD is required");
        else if (from != NULL && valid_date(from) && strcmp(from, to) > 0)
            res_field_error(r, "to", "must not be before from");
        class_id = query_id(r, "classId", 0);
    } else if (from != NULL || to != NULL || req_query(r, "classId") != NULL) {
        res_field_error(r, from != NULL ? "from" : to != NULL ? "to" : "classId",
                        "only the attendance export takes a date range or a class");
    }
    if (res_check_fields(r) != 0)
        return NULL;
    if (class_id != NULL && school_ref(r, &Q_CLASS, class_id, "class", "classId", NULL) != 1)
        return NULL;
    json_t *p = attendance ? json_pack("{s:s,s:s}", "from", from, "to", to) : json_object();
    if (p != NULL && class_id != NULL && json_object_set_new(p, "classId", json_string(class_id)) != 0) {
        json_decref(p);
        p = NULL;
    }
    if (p == NULL)
        res_fail(r, ERR_INTERNAL, "the job could not be written");
    return p;
}

/* The de-duplication id of an export: the same account, kind and parameters within one window. */
static void export_job_id(req_t *r, const char *kind, const char *params, char id[QUEUE_ID_MAX])
{
    unsigned char h[16];
    crypto_generichash_state st;
    long long window = (long long)(clock_wall_ms() / EXPORT_SAME_JOB_MS);
    char w[24];
    snprintf(w, sizeof(w), "%lld", window);
    crypto_generichash_init(&st, NULL, 0, sizeof(h));
    const char *parts[] = {r->auth.user_id, kind, params, w};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        crypto_generichash_update(&st, (const unsigned char *)parts[i], strlen(parts[i]) + 1);
    crypto_generichash_final(&st, h, sizeof(h));
    char hex[sizeof(h) * 2 + 1];
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    snprintf(id, QUEUE_ID_MAX, "export-%s", hex);
}

int exports_create(req_t *r)
{
    const char *kind = path_kind(r, export_kinds, "export");
    if (kind == NULL)
        return -1;
    int money = strcmp(kind, "invoices") == 0 || strcmp(kind, "payments") == 0;
    if (money && (r->auth.roles & (ROLE_ADMIN | ROLE_BURSAR)) == 0)
        return res_fail(r, ERR_FORBIDDEN, "The school's money is exported by the bursar and admins.");
    json_t *params = export_params(r, kind);
    if (params == NULL)
        return -1;
    char *ptext = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
    json_t *p = json_pack("{s:o}", "params", params); /* takes params */
    char *payload = p != NULL ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    if (ptext == NULL || payload == NULL) {
        free(ptext);
        free(payload);
        return res_fail(r, ERR_INTERNAL, "the job could not be written");
    }
    char dedup[QUEUE_ID_MAX], job_id[QUEUE_ID_MAX];
    export_job_id(r, kind, ptext, dedup);
    job_spec_t spec = {.id = dedup, .tenant_id = r->auth.tenant_id, .owner_id = r->auth.user_id,
                       .type = arena_printf(&r->arena, "export.%s", kind), .payload = payload};
    int existed = 0, rc = queue_enqueue(app.queue, &spec, job_id, &existed);
    free(ptext);
    free(payload);
    return rc != 0 ? queue_down(r) : accepted(r, job_id, NULL, existed);
}

/* ---- printed reports ---- */

/* Enqueues a report job of type with payload p (taken; NULL: out of memory) and answers 202, or fails. */
static int start_report(req_t *r, const char *type, json_t *p)
{
    char *payload = p != NULL ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    if (payload == NULL)
        return res_fail(r, ERR_INTERNAL, "the job could not be written");
    char job_id[QUEUE_ID_MAX];
    job_spec_t spec = {.tenant_id = r->auth.tenant_id, .owner_id = r->auth.user_id, .type = type, .payload = payload};
    int existed = 0, rc = queue_enqueue(app.queue, &spec, job_id, &existed);
    free(payload);
    return rc != 0 ? queue_down(r) : accepted(r, job_id, NULL, 0);
}

int transfers_start_job(req_t *r, const char *type, json_t *payload)
{
    return start_report(r, type, payload);
}

/* ---- the attendance register ---- */

int reports_register(req_t *r)
{
    static const char *const fields[] = {"classId", "gradeLevel", "month", NULL};
    const char *class_id = NULL, *month = NULL;
    long long grade = -1;
    int year, mon;
    body_only_fields(r, fields);
    class_id = body_id(r, "classId", 0);
    body_int(r, "gradeLevel", 0, 0, 13, &grade);
    if (body_string(r, "month", 1, 7, 7, &month) == 1 && register_parse_month(month, &year, &mon) != 0)
        res_field_error(r, "month", "must be a month YYYY-MM");
    int has_grade = json_object_get(r->json, "gradeLevel") != NULL;
    if (json_object_get(r->json, "classId") != NULL && has_grade)
        res_field_error(r, "gradeLevel", "give a class or a grade, not both");
    else if (json_object_get(r->json, "classId") == NULL && !has_grade)
        res_field_error(r, "classId", "a class (or a gradeLevel) is required");
    if (res_check_fields(r) != 0)
        return -1;
    if (class_id != NULL) {
        if (school_ref(r, &Q_CLASS, class_id, "class", "classId", NULL) != 1)
            return -1;
        if (!policy_sees_school(r)) {
            int rc = policy_teaches_class(r, class_id);
            if (rc != 1)
                return rc < 0 ? -1 : policy_hidden(r, "class");
        }
    } else if (!policy_sees_school(r)) {
        return res_fail(r, ERR_FORBIDDEN, "The register of a whole grade is for the school's office.");
    }
    json_t *p = class_id != NULL ? json_pack("{s:s,s:s}", "classId", class_id, "month", month)
                                 : json_pack("{s:I,s:s}", "gradeLevel", (json_int_t)grade, "month", month);
    return start_report(r, "register.pdf", p);
}

/* ---- report cards ---- */

/* Whether the caller may print the class's report cards (the office; its class teacher): 1, 0 (404 answered), -1. */
static int may_print_cards(req_t *r, const char *class_id)
{
    if (policy_sees_school(r))
        return 1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_CLASS_TEACHER, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(class_id), DB_TEXT(r->auth.user_id)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res.nrows > 0 ? 1 : policy_hidden(r, "class");
}

int reports_report_cards(req_t *r)
{
    static const char *const fields[] = {"termId", "classId", NULL};
    body_only_fields(r, fields);
    const char *term_id = body_id(r, "termId", 1), *class_id = body_id(r, "classId", 1);
    if (res_check_fields(r) != 0)
        return -1;
    if (school_ref(r, &Q_CLASS, class_id, "class", "classId", NULL) != 1 ||
        school_ref(r, &Q_TERM, term_id, "term", "termId", NULL) != 1)
        return -1;
    int may = may_print_cards(r, class_id);
    if (may != 1)
        return -1;
    return start_report(r, "report-cards.pdf", json_pack("{s:s,s:s}", "classId", class_id, "termId", term_id));
}
