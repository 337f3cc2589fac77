/*
 * announcements.c - /announcements and /me/announcements (announce.h): create,
 * list, read, change (If-Match), withdraw, mark read; the e-mail job's
 * enqueueing and the attachment check files.c asks for.
 */
#include <stdio.h>
#include <string.h>

#include "api/announce/announce.h"
#include "api/announce/announce_int.h"
#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "auth/roles.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "queue/queue.h"

#define FILES_MAX 10
#define TITLE_MAX 200
#define BODY_MAX 20000

#define ANN_COLS                                                                                                       \
    "a.id, a.author_id, u.display_name, a.title, a.body, a.publish_at, a.expires_at, a.email, a.mailed_at,"           \
    " a.mail_count, a.version, a.created_at, a.updated_at"
enum { C_ID, C_AUTHOR, C_AUTHOR_NAME, C_TITLE, C_BODY, C_PUBLISH, C_EXPIRES, C_EMAIL, C_MAILED, C_MAIL_COUNT,
       C_VERSION, C_CREATED, C_UPDATED, C_READ_AT };
#define ANN_FROM " FROM announcements a JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.author_id"

/* a (not withdrawn) is shown now ($now) to account $user on day $day */
#define SHOWN(user, now, day)                                                                                          \
    "a.status = 'active' AND a.publish_at <= " now " AND (a.expires_at IS NULL OR a.expires_at > " now ")"             \
    " AND EXISTS (SELECT 1 FROM announcement_audiences aa JOIN users u ON u.tenant_id = aa.tenant_id AND u.id = " user \
    " WHERE aa.tenant_id = a.tenant_id AND aa.announcement_id = a.id AND u.status = 'active' AND " AUD_MATCH(day) ")"

static stmt_t Q_GET = STMT("announce.get", STMT_READ,
                           "SELECT " ANN_COLS ANN_FROM " WHERE a.tenant_id = $1 AND a.id = $2 AND a.status = 'active'");
static stmt_t Q_SHOWN = STMT("announce.shown", STMT_READ,
                             "SELECT 1 FROM announcements a WHERE a.tenant_id = $1 AND a.id = $2 AND "
                             SHOWN("$3", "$4", "$5"));
static stmt_t Q_INSERT = STMT("announce.insert", 0,
                              "INSERT INTO announcements (tenant_id, id, author_id, title, body, publish_at, expires_at,"
                              " email, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)");
static stmt_t Q_UPDATE = STMT("announce.update", 0,
                              "UPDATE announcements SET title = $4, body = $5, publish_at = $6, expires_at = $7,"
                              " email = $8, version = version + 1, updated_at = $9"
                              " WHERE tenant_id = $1 AND id = $2 AND version = $3 AND status = 'active'");
static stmt_t Q_WITHDRAW = STMT("announce.withdraw", 0,
                                "UPDATE announcements SET status = 'withdrawn', version = version + 1, updated_at = $4"
                                " WHERE tenant_id = $1 AND id = $2 AND version = $3 AND status = 'active'");
static stmt_t Q_FILE_OK = STMT("announce.file", STMT_READ,
                               "SELECT 1 FROM files WHERE tenant_id = $1 AND id = $2 AND kind = 'document'"
                               " AND (owner_id = $3 OR $4 = 1)");
static stmt_t Q_FILES_CLEAR = STMT("announce.files_clear", 0,
                                   "DELETE FROM announcement_files WHERE tenant_id = $1 AND announcement_id = $2");
static stmt_t Q_FILE_ADD = STMT("announce.file_add", 0,
                                "INSERT INTO announcement_files (tenant_id, announcement_id, file_id, position)"
                                " VALUES ($1, $2, $3, $4)");
static stmt_t Q_FILES = STMT("announce.files", STMT_READ,
                             "SELECT f.id, f.filename, f.content_type, f.size_bytes FROM announcement_files af"
                             " JOIN files f ON f.tenant_id = af.tenant_id AND f.id = af.file_id"
                             " WHERE af.tenant_id = $1 AND af.announcement_id = $2 ORDER BY af.position");
static stmt_t Q_COUNTS = STMT("announce.counts", STMT_READ,
                              "SELECT (SELECT count(*) FROM announcement_reads rd WHERE rd.tenant_id = $1"
                              " AND rd.announcement_id = $2), (SELECT count(*) FROM users u WHERE u.tenant_id = $1"
                              " AND u.status = 'active' AND EXISTS (SELECT 1 FROM announcement_audiences aa"
                              " WHERE aa.tenant_id = u.tenant_id AND aa.announcement_id = $2 AND " AUD_MATCH("$3")
                              "))");
static stmt_t Q_MARK_READ = STMT("announce.mark_read", 0,
                                 "INSERT INTO announcement_reads (tenant_id, announcement_id, user_id, read_at)"
                                 " VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, announcement_id, user_id) DO NOTHING");
static stmt_t Q_FILE_SHOWN = STMT("announce.file_shown", STMT_READ,
                                  "SELECT 1 FROM announcement_files af JOIN announcements a ON a.tenant_id = af.tenant_id"
                                  " AND a.id = af.announcement_id WHERE af.tenant_id = $1 AND af.file_id = $2 AND"
                                  " ((a.status = 'active' AND a.author_id = $3) OR (" SHOWN("$3", "$4", "$5") "))"
                                  " LIMIT 1");
/* the school's (admins) or the author's (teachers), newest publishAt first */
static stmt_t Q_LIST = STMT("announce.list", STMT_READ,
                            "SELECT " ANN_COLS ANN_FROM " WHERE a.tenant_id = $1 AND a.status = 'active'"
                            " AND (a.author_id = $2 OR $3 = 1) AND ((a.publish_at, a.id) < ($4, $5) OR $4 IS NULL)"
                            " ORDER BY a.publish_at DESC, a.id DESC LIMIT $6");
static stmt_t Q_MINE = STMT("announce.mine", STMT_READ,
                            "SELECT " ANN_COLS ", rd.read_at" ANN_FROM
                            " LEFT JOIN announcement_reads rd ON rd.tenant_id = a.tenant_id"
                            " AND rd.announcement_id = a.id AND rd.user_id = $2"
                            " WHERE a.tenant_id = $1 AND " SHOWN("$2", "$3", "$4")
                            " AND ((a.publish_at, a.id) < ($5, $6) OR $5 IS NULL)"
                            " ORDER BY a.publish_at DESC, a.id DESC LIMIT $7");

/* ---------------------------------------------------------------- rendering */

static const char *state_of(const db_result_t *res, int row, long long now)
{
    if (db_get_int(res, row, C_PUBLISH) > now)
        return "scheduled";
    if (!db_is_null(res, row, C_EXPIRES) && db_get_int(res, row, C_EXPIRES) <= now)
        return "expired";
    return "published";
}

static json_t *time_or_null(req_t *r, const db_result_t *res, int row, int col)
{
    return db_is_null(res, row, col) ? json_null() : json_string(iso_time(&r->arena, db_get_int(res, row, col)));
}

static json_t *files_json(req_t *r, const char *id)
{
    db_result_t res;
    if (db_exec(req_db(r), &Q_FILES, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0) {
        db_fail(r, req_db(r));
        return NULL;
    }
    json_t *a = json_array();
    for (int i = 0; i < res.nrows; i++)
        a = json_push(a, json_pack("{s:s,s:o,s:s,s:I}", "id", db_get(&res, i, 0), "filename",
                                   db_is_null(&res, i, 1) ? json_null() : json_string(db_get(&res, i, 1)),
                                   "contentType", db_get(&res, i, 2), "size", (json_int_t)db_get_int(&res, i, 3)));
    return a;
}

/* An announcement of a result row, with its audience and attachments. */
static json_t *ann_json(req_t *r, const db_result_t *res, int row)
{
    long long now = (long long)clock_wall_ms();
    const char *id = db_get(res, row, C_ID);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:b,s:o,s:I,s:s,s:s}", "id", id, "authorId",
                          db_get(res, row, C_AUTHOR), "authorName", db_get(res, row, C_AUTHOR_NAME), "title",
                          db_get(res, row, C_TITLE), "body", db_get(res, row, C_BODY), "publishAt",
                          iso_time(&r->arena, db_get_int(res, row, C_PUBLISH)), "expiresAt",
                          time_or_null(r, res, row, C_EXPIRES), "state", state_of(res, row, now), "email",
                          db_get_bool(res, row, C_EMAIL), "mailedAt", time_or_null(r, res, row, C_MAILED), "version",
                          (json_int_t)db_get_int(res, row, C_VERSION), "createdAt",
                          iso_time(&r->arena, db_get_int(res, row, C_CREATED)), "updatedAt",
                          iso_time(&r->arena, db_get_int(res, row, C_UPDATED)));
    o = json_with(o, "audience", aud_json(r, id));
    return json_with(o, "attachments", files_json(r, id));
}

static json_t *mine_json(req_t *r, const db_result_t *res, int row)
{
    json_t *o = ann_json(r, res, row);
    o = json_with(o, "read", json_boolean(!db_is_null(res, row, C_READ_AT)));
    return json_with(o, "readAt", time_or_null(r, res, row, C_READ_AT));
}

static const char *publish_key(req_t *r, const db_result_t *res, int row)
{
    return arena_printf(&r->arena, "%lld", db_get_int(res, row, C_PUBLISH));
}

/* Whether the caller manages the announcement of the row: an admin, or its author. */
static int manages(const req_t *r, const db_result_t *res)
{
    return (r->auth.roles & ROLE_ADMIN) || strcmp(db_get(res, 0, C_AUTHOR), r->auth.user_id) == 0;
}

/* The announcement the path names, if the caller may read it: 1 with *res; else -1 answered (404). */
static int load(req_t *r, int to_manage, db_result_t *res)
{
    const char *id = req_param(r, 0);
    db_t *db = req_db(r);
    if (require_id(r, id) != 0)
        return -1;
    if (db_exec(db, &Q_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, res) != 0)
        return db_fail(r, db);
    if (res->nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such announcement.");
    if (manages(r, res))
        return 1;
    if (to_manage)
        return res_fail(r, ERR_NOT_FOUND, "No such announcement.");
    db_result_t shown;
    if (db_exec(db, &Q_SHOWN,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(r->auth.user_id),
                        DB_INT(clock_wall_ms()), DB_TEXT(school_today(r))),
                &r->arena, &shown) != 0)
        return db_fail(r, db);
    return shown.nrows == 1 ? 1 : res_fail(r, ERR_NOT_FOUND, "No such announcement.");
}

static int respond(req_t *r, const char *id, int status)
{
    db_t *db = req_db(r);
    db_result_t res, counts;
    if (db_exec(db, &Q_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such announcement.");
    json_t *o = ann_json(r, &res, 0);
    if (o != NULL && manages(r, &res)) {
        if (db_exec(db, &Q_COUNTS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(school_today(r))),
                    &r->arena, &counts) != 0) {
            json_decref(o);
            return db_fail(r, db);
        }
        o = json_with(o, "readCount", json_integer(db_get_int(&counts, 0, 0)));
        o = json_with(o, "audienceSize", json_integer(db_get_int(&counts, 0, 1)));
    }
    set_etag(r, db_get_int(&res, 0, C_VERSION));
    return res_json(r, status, o);
}

/* ---------------------------------------------------------------- input */

typedef struct ann_in {
    const char *title, *body;
    long long publish_at, expires_at; /* expires_at -1: none */
    int has_publish, has_expires, email;
    aud_part_t parts[AUDIENCE_MAX];
    int nparts; /* 0: not given */
    const char *files[FILES_MAX];
    int nfiles; /* -1: not given */
} ann_in_t;

/* An instant field; 1 when given (into *ms), 0 when absent, -1 after a field error. null clears when clearable. */
static int read_instant(req_t *r, const char *field, long long *ms, int clearable)
{
    json_t *v = json_object_get(r->json, field);
    if (v == NULL)
        return 0;
    if (json_is_null(v) && clearable) {
        *ms = -1;
        return 1;
    }
    if (!json_is_string(v) || !valid_instant(json_string_value(v), ms)) {
        res_field_error(r, field, "must be a date or a UTC time YYYY-MM-DDTHH:MM:SS.mmmZ");
        return -1;
    }
    return 1;
}

static void read_files(req_t *r, ann_in_t *in)
{
    json_t *a = json_object_get(r->json, "fileIds");
    in->nfiles = -1;
    if (a == NULL)
        return;
    if (!json_is_array(a) || json_array_size(a) > FILES_MAX) {
        res_field_error(r, "fileIds", "must be an array of at most %d file ids", FILES_MAX);
        return;
    }
    in->nfiles = (int)json_array_size(a);
    for (int i = 0; i < in->nfiles; i++) {
        const char *s = json_string_value(json_array_get(a, (size_t)i));
        if (s == NULL || !ids_uuid_valid(s, strlen(s))) {
            res_field_error(r, arena_printf(&r->arena, "fileIds[%d]", i), "must be a file id");
            continue;
        }
        char *low = arena_strdup(&r->arena, s);
        for (char *p = low; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        for (int k = 0; k < i; k++)
            if (in->files[k] != NULL && strcmp(in->files[k], low) == 0)
                res_field_error(r, arena_printf(&r->arena, "fileIds[%d]", i), "names a file twice");
        in->files[i] = low;
    }
}

/* Reads the body; create: the required fields. 0, or -1 (field errors or an answer). */
static int read_in(req_t *r, int create, ann_in_t *in)
{
    static const char *const fields[] = {"title", "body", "audience", "publishAt", "expiresAt", "email", "fileIds",
                                         NULL};
    body_only_fields(r, fields);
    body_string(r, "title", create, 1, TITLE_MAX, &in->title);
    body_string(r, "body", create, 1, BODY_MAX, &in->body);
    in->has_publish = read_instant(r, "publishAt", &in->publish_at, 0) == 1;
    in->has_expires = read_instant(r, "expiresAt", &in->expires_at, 1) == 1;
    body_bool(r, "email", 0, &in->email);
    read_files(r, in);
    if (res_check_fields(r) != 0)
        return -1;
    in->nparts = aud_read(r, create, in->parts);
    return in->nparts < 0 ? (r->err.code != ERR_NONE ? -1 : res_check_fields(r)) : 0;
}

/* Each attachment is a document of the school the caller may attach (theirs, or any for admins): 0 or -1 (404). */
static int check_files(req_t *r, const ann_in_t *in)
{
    for (int i = 0; i < in->nfiles; i++) {
        db_result_t res;
        if (db_exec(req_db(r), &Q_FILE_OK,
                    DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(in->files[i]), DB_TEXT(r->auth.user_id),
                            DB_INT((r->auth.roles & ROLE_ADMIN) != 0)),
                    &r->arena, &res) != 0)
            return db_fail(r, req_db(r));
        if (res.nrows == 0)
            return res_fail(r, ERR_NOT_FOUND, "No such document (fileIds[%d]).", i);
    }
    return 0;
}

/* ---------------------------------------------------------------- writes */

typedef struct writing {
    req_t *r;
    ann_in_t *in;
    const char *id;
    long long version;        /* update: the version read */
    long long old_publish;    /* update: publishAt before */
    int mailed;               /* update: mailed already */
    int stale;
} writing_t;

/*
 * Enqueues the e-mail job of the announcement for publishAt, delayed until
 * then, in the transaction (see announce.h). 0, or -1 answered (503).
 */
static int enqueue_mail(req_t *r, db_t *db, const char *id, long long publish_at)
{
    char job_id[QUEUE_ID_MAX], payload[160];
    int existed = 0;
    long long delay = publish_at - (long long)clock_wall_ms();
    snprintf(payload, sizeof(payload), "{\"announcementId\":\"%s\",\"publishAt\":%lld}", id, publish_at);
    job_spec_t spec = {.id = arena_printf(&r->arena, "ann-%s-%lld", id, publish_at),
                       .tenant_id = r->auth.tenant_id, .type = "announcement.mail", .payload = payload,
                       .delay_ms = delay > 0 ? delay : 0};
    if (queue_enqueue_in(app.queue, db, &spec, job_id, &existed) != 0) {
        log_error("cannot enqueue an announcement's mail", "%s", queue_error(app.queue));
        return res_fail(r, ERR_UNAVAILABLE, "The job queue cannot be reached; try again.");
    }
    return 0;
}

static int store_files(db_t *db, req_t *r, const char *id, const ann_in_t *in)
{
    if (in->nfiles < 0)
        return 0;
    if (db_exec(db, &Q_FILES_CLEAR, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, NULL) != 0)
        return -1;
    for (int i = 0; i < in->nfiles; i++)
        if (db_exec(db, &Q_FILE_ADD, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(in->files[i]), DB_INT(i)),
                    &r->arena, NULL) != 0)
            return -1;
    return 0;
}

static int create_in_tx(db_t *db, void *ctx)
{
    writing_t *w = ctx;
    req_t *r = w->r;
    ann_in_t *in = w->in;
    long long now = (long long)clock_wall_ms();
    if (db_exec(db, &Q_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(w->id), DB_TEXT(r->auth.user_id), DB_TEXT(in->title),
                        DB_TEXT(in->body), DB_INT(in->publish_at),
                        in->expires_at >= 0 ? DB_INT(in->expires_at) : DB_NULL, DB_BOOL(in->email), DB_INT(now)),
                &r->arena, NULL) != 0 ||
        aud_store(db, r, w->id, in->parts, in->nparts) != 0 || store_files(db, r, w->id, in) != 0 ||
        audit_caller(db, r, "announcement.create", "announcement", w->id, in->title) != 0)
        return -1;
    return in->email ? enqueue_mail(r, db, w->id, in->publish_at) : 0;
}

static int window_ok(req_t *r, const ann_in_t *in)
{
    if (in->expires_at >= 0 && in->expires_at <= in->publish_at)
        res_field_error(r, "expiresAt", "must be after publishAt");
    return res_check_fields(r);
}

int announcements_create(req_t *r)
{
    ann_in_t in = {.email = 1, .expires_at = -1};
    if (read_in(r, 1, &in) != 0 || check_files(r, &in) != 0)
        return -1;
    if (!in.has_publish)
        in.publish_at = (long long)clock_wall_ms();
    if (window_ok(r, &in) != 0)
        return -1;
    char id[40];
    ids_uuid7(id);
    writing_t w = {.r = r, .in = &in, .id = id};
    db_t *db = req_db(r);
    if (db_transaction(db, create_in_tx, &w) != 0)
        return r->err.code != ERR_NONE ? -1 : db_fail(r, db);
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/announcements/%s", id));
    return respond(r, id, 201);
}

static int update_in_tx(db_t *db, void *ctx)
{
    writing_t *w = ctx;
    req_t *r = w->r;
    ann_in_t *in = w->in;
    db_result_t res;
    if (db_exec(db, &Q_UPDATE,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(w->id), DB_INT(w->version), DB_TEXT(in->title),
                        DB_TEXT(in->body), DB_INT(in->publish_at),
                        in->expires_at >= 0 ? DB_INT(in->expires_at) : DB_NULL, DB_BOOL(in->email),
                        DB_INT(clock_wall_ms())),
                &r->arena, &res) != 0)
        return -1;
    if (res.changes == 0) {
        w->stale = 1;
        return 1;
    }
    if ((in->nparts > 0 && aud_store(db, r, w->id, in->parts, in->nparts) != 0) || store_files(db, r, w->id, in) != 0 ||
        audit_caller(db, r, "announcement.update", "announcement", w->id, in->title) != 0)
        return -1;
    /* not mailed yet: the job of the (new) publishAt; one of an old publishAt finds it moved and sends nothing */
    return in->email && !w->mailed ? enqueue_mail(r, db, w->id, in->publish_at) : 0;
}

/* Fills what the body leaves out from the stored row. */
static void merge(ann_in_t *in, const db_result_t *s)
{
    if (in->title == NULL)
        in->title = db_get(s, 0, C_TITLE);
    if (in->body == NULL)
        in->body = db_get(s, 0, C_BODY);
    if (!in->has_publish)
        in->publish_at = db_get_int(s, 0, C_PUBLISH);
    if (!in->has_expires)
        in->expires_at = db_is_null(s, 0, C_EXPIRES) ? -1 : db_get_int(s, 0, C_EXPIRES);
    if (in->email < 0)
        in->email = db_get_bool(s, 0, C_EMAIL);
}

int announcements_update(req_t *r)
{
    ann_in_t in = {.email = -1, .expires_at = -1};
    db_result_t s;
    if (load(r, 1, &s) != 1 || read_in(r, 0, &in) != 0 || check_files(r, &in) != 0)
        return -1;
    const char *id = db_get(&s, 0, C_ID);
    long long version = db_get_int(&s, 0, C_VERSION);
    if (if_match(r, version, "announcement") != 0)
        return -1;
    if (patch_is_empty(r))
        return respond(r, id, 200);
    merge(&in, &s);
    if (window_ok(r, &in) != 0)
        return -1;
    writing_t w = {.r = r, .in = &in, .id = id, .version = version, .mailed = !db_is_null(&s, 0, C_MAILED)};
    db_t *db = req_db(r);
    if (db_transaction(db, update_in_tx, &w) != 0)
        return r->err.code != ERR_NONE ? -1 : w.stale ? stale_write(r, "announcement") : db_fail(r, db);
    return respond(r, id, 200);
}

static int withdraw_in_tx(db_t *db, void *ctx)
{
    writing_t *w = ctx;
    req_t *r = w->r;
    db_result_t res;
    if (db_exec(db, &Q_WITHDRAW,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(w->id), DB_INT(w->version), DB_INT(clock_wall_ms())),
                &r->arena, &res) != 0)
        return -1;
    if (res.changes == 0) {
        w->stale = 1;
        return 1;
    }
    return audit_caller(db, r, "announcement.withdraw", "announcement", w->id, NULL);
}

int announcements_delete(req_t *r)
{
    db_result_t s;
    if (load(r, 1, &s) != 1)
        return -1;
    writing_t w = {.r = r, .id = db_get(&s, 0, C_ID), .version = db_get_int(&s, 0, C_VERSION)};
    if (if_match(r, w.version, "announcement") != 0)
        return -1;
    db_t *db = req_db(r);
    if (db_transaction(db, withdraw_in_tx, &w) != 0)
        return w.stale ? stale_write(r, "announcement") : db_fail(r, db);
    return res_empty(r, 204);
}

/* ---------------------------------------------------------------- reads */

int announcements_get(req_t *r)
{
    db_result_t s;
    if (load(r, 0, &s) != 1)
        return -1;
    return respond(r, db_get(&s, 0, C_ID), 200);
}

int announcements_list(req_t *r)
{
    page_t page;
    if (page_read(r, &page) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_LIST,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(r->auth.user_id),
                        DB_INT((r->auth.roles & ROLE_ADMIN) != 0), page_key_arg(r, &page, 1), page_id_arg(&page),
                        DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, ann_json, 0, publish_key));
}

int announcements_mine(req_t *r)
{
    page_t page;
    if (page_read(r, &page) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_MINE,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(r->auth.user_id), DB_INT(clock_wall_ms()),
                        DB_TEXT(school_today(r)), page_key_arg(r, &page, 1), page_id_arg(&page),
                        DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    res_header(r, "cache-control", "private, no-cache");
    return res_json(r, 200, page_json(r, &res, page.limit, mine_json, 0, publish_key));
}

int announcements_read(req_t *r)
{
    db_result_t s;
    if (load(r, 0, &s) != 1)
        return -1;
    db_t *db = req_db(r);
    if (db_exec(db, &Q_MARK_READ,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(db_get(&s, 0, C_ID)), DB_TEXT(r->auth.user_id),
                        DB_INT(clock_wall_ms())),
                &r->arena, NULL) != 0)
        return db_fail(r, db);
    return res_empty(r, 204);
}

int announce_file_visible(req_t *r, const char *file_id)
{
    db_result_t res;
    if (db_exec(req_db(r), &Q_FILE_SHOWN,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(file_id), DB_TEXT(r->auth.user_id),
                        DB_INT(clock_wall_ms()), DB_TEXT(school_today(r))),
                &r->arena, &res) != 0)
        return db_fail(r, req_db(r));
    return res.nrows > 0;
}
