/*
 * files.c - /files: uploads kept in the blob store (see files.h).
 *
 * Every read and write is audited: file.create, and file.read for the
 * metadata, the bytes, a download link and a student's list.
 */
#include "api/files.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/announce/announce.h"
#include "api/app.h"
#include "api/common.h"
#include "auth/audit.h"
#include "auth/audit_queue.h"
#include "auth/policy.h"
#include "auth/roles.h"
#include "blob/blob.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/utf8.h"

#define FILE_COLS "id, blob_id, kind, content_type, size_bytes, filename, owner_id, student_id, created_at"
enum { C_ID, C_BLOB, C_KIND, C_TYPE, C_SIZE, C_NAME, C_OWNER, C_STUDENT, C_CREATED };

static stmt_t Q_STUDENT_LIVE = STMT("files.student_live", STMT_READ,
                                    "SELECT 1 FROM students WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL");
static stmt_t Q_INSERT = STMT("files.insert", 0,
                              "INSERT INTO files (tenant_id, id, blob_id, kind, content_type, size_bytes, filename,"
                              " owner_id, student_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
static stmt_t Q_SET_PHOTO = STMT("files.set_photo", 0,
                                 "UPDATE students SET photo_file_id = $3, version = version + 1, updated_at = $4"
                                 " WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL");
static stmt_t Q_GET = STMT("files.get", STMT_READ, "SELECT " FILE_COLS " FROM files WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_OF_STUDENT = STMT("files.of_student", STMT_READ,
                                  "SELECT " FILE_COLS " FROM files WHERE tenant_id = $1 AND student_id = $2"
                                  " ORDER BY created_at DESC, id DESC LIMIT 500");

/* ---- kinds of upload ---- */

typedef struct kind {
    const char *name;
    size_t max;                 /* bytes */
    int needs_student;          /* studentId required */
    const char *const *types;   /* media types taken */
} kind_t;

static const char *const photo_types[] = {"image/jpeg", "image/png", "image/webp", NULL};
static const char *const document_types[] = {"application/pdf", "image/jpeg", "image/png", "image/webp", "text/csv",
                                             NULL};
static const kind_t kinds[] = {
    {"studentPhoto", FILES_PHOTO_MAX, 1, photo_types},
    {"document", FILES_DOCUMENT_MAX, 0, document_types},
};

/* Whether the bytes look like the media type says (the signature of each binary format; CSV: UTF-8 text). */
int files_content_matches(const char *type, const unsigned char *p, size_t n)
{
    if (strcmp(type, "image/jpeg") == 0)
        return n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF;
    if (strcmp(type, "image/png") == 0)
        return n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0;
    if (strcmp(type, "image/webp") == 0)
        return n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0;
    if (strcmp(type, "application/pdf") == 0)
        return n >= 5 && memcmp(p, "%PDF-", 5) == 0;
    return memchr(p, '\0', n) == NULL && utf8_valid((const char *)p, n); /* text/csv */
}

/* The media type of Content-Type without parameters, lower case, if the kind takes it; else NULL. */
static const char *accepted_type(const kind_t *k, const char *content_type)
{
    if (content_type == NULL)
        return NULL;
    size_t n = strcspn(content_type, "; \t");
    for (const char *const *t = k->types; *t != NULL; t++)
        if (strlen(*t) == n && strncasecmp(*t, content_type, n) == 0)
            return *t;
    return NULL;
}

/* A file name as given (?filename=): 1..255 bytes of UTF-8, no path separators, no control characters. */
static int valid_filename(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255 || !utf8_valid(s, n))
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
            return 0;
    return 1;
}

/* ---- documents ---- */

static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static json_t *file_json(req_t *r, const db_result_t *res, int row)
{
    const char *id = db_get(res, row, C_ID);
    json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:s}", "id", id, "kind", db_get(res, row, C_KIND), "contentType",
                          db_get(res, row, C_TYPE), "size", (json_int_t)db_get_int(res, row, C_SIZE), "contentHash",
                          db_get(res, row, C_BLOB), "ownerId", db_get(res, row, C_OWNER), "createdAt",
                          iso_time(&r->arena, db_get_int(res, row, C_CREATED)));
    o = json_with(o, "filename", str_or_null(db_get(res, row, C_NAME)));
    o = json_with(o, "studentId", str_or_null(db_get(res, row, C_STUDENT)));
    return json_with(o, "contentUrl", json_string(arena_printf(&r->arena, "/api/v1/files/%s/content", id)));
}

/* The caller's audit event of action on file id. */
static audit_event_t file_event(const req_t *r, const char *action, const char *id, const char *detail)
{
    return audit_caller_event(r, action, "file", id, detail);
}

static int audit_read(req_t *r, const char *id, const char *detail)
{
    audit_event_t e = file_event(r, "file.read", id, detail);
    return audit_queue_record(req_db(r), r, &e) != 0 ? db_fail(r, req_db(r)) : 0;
}

/* Answers 503 for a blob store that failed (logged with its reason); returns -1. */
static int blob_unavailable(req_t *r, const char *what, const blob_err_t *e)
{
    log_error("file storage failed", "%s: %s", what, e->message);
    r->err.retry_after = 1;
    return res_fail(r, ERR_UNAVAILABLE, "File storage is unavailable; try again shortly.");
}

/* ---- upload ---- */

typedef struct upload {
    const kind_t *kind;
    const char *type;       /* accepted media type */
    const char *student_id; /* NULL: none */
    const char *filename;   /* NULL: none */
} upload_t;

static int check_body(req_t *r, upload_t *u);

/* Reads and checks the query and the body of an upload; 0, or -1 with the error answered. */
static int read_upload(req_t *r, upload_t *u)
{
    const char *kind = req_query(r, "kind");
    u->kind = NULL;
    for (size_t i = 0; kind != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].name, kind) == 0)
            u->kind = &kinds[i];
    if (u->kind == NULL)
        res_field_error(r, "kind", "must be studentPhoto or document");
    u->student_id = req_query(r, "studentId");
    if (u->student_id != NULL && !ids_uuid_valid(u->student_id, strlen(u->student_id)))
        res_field_error(r, "studentId", "must be a student's id");
    else if (u->student_id == NULL && u->kind != NULL && u->kind->needs_student)
        res_field_error(r, "studentId", "is required for a student photo");
    u->filename = req_query(r, "filename");
    if (u->filename != NULL && !valid_filename(u->filename))
        res_field_error(r, "filename", "must be 1 to 255 characters without '/', '\\' or control characters");
    if (res_check_fields(r) != 0)
        return -1;
    if (u->student_id != NULL) {
        char sid[UUID_STR_LEN + 1];
        snprintf(sid, sizeof(sid), "%s", u->student_id);
        for (char *p = sid; *p != '\0'; p++)
            *p = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
        u->student_id = arena_strdup(&r->arena, sid);
        if (school_ref(r, &Q_STUDENT_LIVE, u->student_id, "student", "studentId", NULL) != 1)
            return -1;
    }
    return check_body(r, u);
}

/* Checks the body against the upload's kind: media type (415), size (413), bytes (422). 0, or -1 answered. */
static int check_body(req_t *r, upload_t *u)
{
    u->type = accepted_type(u->kind, r->hdr.content_type);
    if (u->type == NULL) {
        char list[200] = "";
        for (const char *const *t = u->kind->types; *t != NULL; t++)
            snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", t == u->kind->types ? "" : ", ", *t);
        return res_fail(r, ERR_MEDIA_TYPE, "A %s must be one of: %s.", u->kind->name, list);
    }
    if (r->body_len > u->kind->max)
        return res_fail(r, ERR_TOO_LARGE, "A %s may not exceed %zu bytes.", u->kind->name, u->kind->max);
    if (r->body_len == 0)
        return res_fail(r, ERR_VALIDATION, "The file is empty.");
    if (!files_content_matches(u->type, (const unsigned char *)r->body, r->body_len))
        return res_fail(r, ERR_VALIDATION, "The bytes are not %s: the Content-Type must name what the file is.",
                        u->type);
    return 0;
}

static int insert_row(db_t *db, arena_t *a, const char *id, const char *blob_id, const char *kind, const char *type,
                      size_t size, const char *filename, const char *tenant, const char *owner, const char *student,
                      long long now)
{
    return db_exec(db, &Q_INSERT,
                   DB_ARGS(DB_TEXT(tenant), DB_TEXT(id), DB_TEXT(blob_id), DB_TEXT(kind), DB_TEXT(type),
                           DB_INT((long long)size), DB_TEXT(filename), DB_TEXT(owner), DB_TEXT(student), DB_INT(now)),
                   a, NULL);
}

int files_insert(db_t *db, arena_t *a, const file_row_t *f, char id[40])
{
    ids_uuid7(id);
    return insert_row(db, a, id, f->blob_id, f->kind, f->content_type, f->size, f->filename, f->tenant_id, f->owner_id,
                      f->student_id, (long long)clock_wall_ms());
}

/* Records the file (and the student's photo) in one transaction; 0, or -1 answered. */
static int record_upload(req_t *r, const upload_t *u, const char *id, const char *blob_id)
{
    db_t *db = req_db(r);
    long long now = (long long)clock_wall_ms();
    int photo = u->student_id != NULL && u->kind->needs_student;
    audit_event_t e = file_event(r, "file.create", id,
                                 arena_printf(&r->arena, "%s %s, %zu bytes%s%s", u->kind->name, u->type, r->body_len,
                                              u->student_id != NULL ? ", student " : "",
                                              u->student_id != NULL ? u->student_id : ""));
    if (db_begin(db) != 0)
        return db_fail(r, db);
    db_result_t res = {0};
    if (insert_row(db, &r->arena, id, blob_id, u->kind->name, u->type, r->body_len, u->filename, r->auth.tenant_id,
                   r->auth.user_id, u->student_id, now) != 0 ||
        (photo && db_exec(db, &Q_SET_PHOTO, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(u->student_id), DB_TEXT(id),
                                                    DB_INT(now)),
                          &r->arena, &res) != 0) ||
        audit_record(db, r, &e) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    if (photo && res.changes == 0) { /* deleted since it was looked up */
        db_rollback(db);
        return res_fail(r, ERR_NOT_FOUND, "No such student (studentId).");
    }
    return db_commit(db) != 0 ? (db_rollback(db), db_fail(r, db)) : 0;
}

/* Reads the file row (in the caller's school); 1 with *res, 0 after 404, -1 after an error. */
static int load_file(req_t *r, const char *id, db_result_t *res)
{
    if (db_exec(req_db(r), &Q_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, res) != 0)
        return db_fail(r, req_db(r));
    if (res->nrows == 0) {
        res_fail(r, ERR_NOT_FOUND, "No such file.");
        return 0;
    }
    return 1;
}

/* Stores a checked upload (bytes, then its row) and answers status with its record. */
static int store_upload(req_t *r, const upload_t *u, int status)
{
    char blob_id[BLOB_ID_MAX];
    blob_err_t be;
    if (blob_put(app.blob, r->body, r->body_len, u->type, blob_id, NULL, &be) != 0)
        return blob_unavailable(r, "put", &be);
    char id[UUID_STR_LEN + 1];
    ids_uuid7(id);
    if (record_upload(r, u, id, blob_id) != 0)
        return -1;
    db_result_t res;
    if (load_file(r, id, &res) != 1)
        return -1;
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/files/%s", id));
    return res_json(r, status, file_json(r, &res, 0));
}

int files_create(req_t *r)
{
    upload_t u;
    return read_upload(r, &u) != 0 ? -1 : store_upload(r, &u, 201);
}

int files_put_student_photo(req_t *r)
{
    upload_t u = {.kind = &kinds[0], .student_id = req_param(r, 0), .filename = req_query(r, "filename")};
    if (require_id(r, u.student_id) != 0)
        return -1;
    if (u.filename != NULL && !valid_filename(u.filename))
        res_field_error(r, "filename", "must be 1 to 255 characters without '/', '\\' or control characters");
    if (res_check_fields(r) != 0 || school_ref(r, &Q_STUDENT_LIVE, u.student_id, "student", NULL, NULL) != 1 ||
        check_body(r, &u) != 0)
        return -1;
    return store_upload(r, &u, 200);
}

/* ---- reads ---- */

/*
 * Loads the file of the path's id and applies the policy: 1 with *res when the
 * caller may read it, else -1 answered (404 for a file it may not see).
 */
static int readable_file(req_t *r, db_result_t *res)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    int rc = load_file(r, id, res);
    if (rc <= 0)
        return -1;
    const char *student = db_get(res, 0, C_STUDENT);
    const char *owner = db_get(res, 0, C_OWNER);
    if (owner != NULL && strcmp(owner, r->auth.user_id) == 0)
        return 1; /* whoever made the file (a job's output: an export, a register) */
    /* what admins imported (staff files hold passwords), and bulk exports (a school's people or its
     * money): their maker (above) and the admins only */
    const char *kind = db_get(res, 0, C_KIND);
    if (strcmp(kind, "import") == 0 || strcmp(kind, "export") == 0)
        return (r->auth.roles & ROLE_ADMIN) != 0 ? 1 : policy_hidden(r, "file");
    if (policy_sees_school(r))
        return 1; /* the office */
    rc = student != NULL ? policy_can_read_student(r, student) : 0;
    if (rc == 0) /* an attachment of an announcement the caller sees */
        rc = announce_file_visible(r, db_get(res, 0, C_ID));
    if (rc < 0)
        return -1;
    return rc == 1 ? 1 : policy_hidden(r, "file");
}

int files_get(req_t *r)
{
    db_result_t res;
    if (readable_file(r, &res) != 1 || audit_read(r, db_get(&res, 0, C_ID), "metadata") != 0)
        return -1;
    res_header(r, "cache-control", "private, no-cache");
    return res_json(r, 200, file_json(r, &res, 0));
}

/* Answers with the bytes of the file row (ETag: its content hash, which never changes meaning). */
static int send_content(req_t *r, const db_result_t *res, const char *cache_control)
{
    const char *blob_id = db_get(res, 0, C_BLOB);
    const char *etag = arena_printf(&r->arena, "\"%s\"", blob_id);
    res_header(r, "cache-control", cache_control);
    res_header(r, "etag", etag);
    /* a tag names one content for ever: any mention of it (weak or strong), or "*", is a match */
    const char *inm = r->hdr.if_none_match;
    if (inm != NULL && (strstr(inm, etag) != NULL || strcmp(inm, "*") == 0))
        return res_empty(r, 304);
    void *data;
    size_t len;
    blob_err_t be;
    if (blob_get(app.blob, blob_id, &data, &len, &be) != 0)
        return blob_unavailable(r, blob_id, &be);
    const char *body = arena_memdup(&r->arena, data, len);
    free(data);
    return res_body(r, 200, db_get(res, 0, C_TYPE), body, len);
}

int files_content(req_t *r)
{
    db_result_t res;
    if (readable_file(r, &res) != 1 || audit_read(r, db_get(&res, 0, C_ID), "content") != 0)
        return -1;
    return send_content(r, &res, "private, max-age=0");
}

/* ---- signed links ---- */

static unsigned char url_key[crypto_auth_hmacsha256_KEYBYTES];
static int url_ttl = 300;

int files_setup(const config_t *cfg)
{
    const char *secret = cfg->file_url_secret != NULL ? cfg->file_url_secret : cfg->jwt_secret;
    url_ttl = cfg->file_url_ttl > 0 ? cfg->file_url_ttl : 300;
    if (secret == NULL) { /* the embedded profile: one process, links die with it */
        randombytes_buf(url_key, sizeof(url_key));
        return 0;
    }
    static const char label[] = "school-erp file links";
    crypto_auth_hmacsha256_state st;
    if (crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret)) != 0 ||
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, sizeof(label) - 1) != 0 ||
        crypto_auth_hmacsha256_final(&st, url_key) != 0)
        return -1;
    return 0;
}

/* The signature of (school, file, expiry), base64url without padding, into out. */
static void link_signature(const char *tenant, const char *id, long long exp, char *out, size_t outlen)
{
    char msg[128];
    int n = snprintf(msg, sizeof(msg), "%s\n%s\n%lld", tenant, id, exp);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (unsigned long long)n, url_key);
    sodium_bin2base64(out, outlen, mac, sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int files_url(req_t *r)
{
    db_result_t res;
    if (readable_file(r, &res) != 1 || audit_read(r, db_get(&res, 0, C_ID), "download link") != 0)
        return -1;
    const char *id = db_get(&res, 0, C_ID);
    long long exp = (long long)(clock_wall_ms() / 1000) + url_ttl;
    char sig[64];
    link_signature(r->auth.tenant_id, id, exp, sig, sizeof(sig));
    const char *url = arena_printf(&r->arena, "/files/signed/%s?school=%s&exp=%lld&sig=%s", id, r->auth.tenant_id,
                                   exp, sig);
    res_header(r, "cache-control", "no-store");
    return res_json(r, 200, json_pack("{s:s,s:s}", "url", url, "expiresAt", iso_time(&r->arena, exp * 1000)));
}

/* Reads ?exp= as Unix seconds; -1 when malformed. */
static long long read_exp(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 12 || strspn(s, "0123456789") != strlen(s))
        return -1;
    return strtoll(s, NULL, 10);
}

int files_signed(req_t *r)
{
    const char *id = req_param(r, 0);
    const char *tenant = req_query(r, "school"), *sig = req_query(r, "sig");
    long long exp = read_exp(req_query(r, "exp"));
    if (exp < 0)
        res_field_error(r, "exp", "must be the link's expiry in Unix seconds");
    if (tenant == NULL || !ids_uuid_valid(tenant, strlen(tenant)))
        res_field_error(r, "school", "must be a school's id");
    if (sig == NULL || strlen(sig) != 43)
        res_field_error(r, "sig", "must be the link's signature");
    if (res_check_fields(r) != 0 || require_id(r, id) != 0)
        return -1;
    char want[64];
    link_signature(tenant, id, exp, want, sizeof(want));
    if (sodium_memcmp(want, sig, 43) != 0)
        return res_fail(r, ERR_FORBIDDEN, "This download link is not valid.");
    long long left = exp - (long long)(clock_wall_ms() / 1000);
    if (left <= 0)
        return res_fail(r, ERR_FORBIDDEN, "This download link has expired; ask for a new one.");
    db_result_t res;
    if (app_route_tenant(r, tenant) != 0) /* the signed school's shard */
        return -1;
    if (db_exec(req_db(r), &Q_GET, DB_ARGS(DB_TEXT(tenant), DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, req_db(r));
    if (res.nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such file.");
    return send_content(r, &res, arena_printf(&r->arena, "public, max-age=%lld", left));
}

/* ---- a student's files ---- */

int files_of_student(req_t *r)
{
    const char *sid = req_param(r, 0);
    if (require_id(r, sid) != 0)
        return -1;
    int rc = policy_can_read_student(r, sid);
    if (rc <= 0)
        return rc < 0 ? -1 : policy_hidden(r, "student");
    db_result_t res;
    if (school_ref(r, &Q_STUDENT_LIVE, sid, "student", NULL, NULL) != 1)
        return -1;
    if (db_exec(req_db(r), &Q_OF_STUDENT, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(sid)), &r->arena, &res) != 0)
        return db_fail(r, req_db(r));
    if (audit_read(r, sid, "a student's files") != 0)
        return -1;
    json_t *items = json_array();
    for (int i = 0; i < res.nrows; i++)
        items = json_push(items, file_json(r, &res, i));
    res_header(r, "cache-control", "private, no-cache");
    return res_json(r, 200, items != NULL ? page_result(items, NULL) : NULL);
}
