/*
 * people.c - what the people handlers share (see people_int.h): reading,
 * merging, storing and rendering person records, linked accounts, audited
 * writes, and the paging of the people lists.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/app.h"
#include "api/people_int.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "auth/audit_queue.h"
#include "core/clock.h"
#include "core/ids.h"
#include "domain/people.h"

static stmt_t Q_ACCOUNT = STMT("people.account", STMT_READ, "SELECT roles FROM users WHERE tenant_id = $1 AND id = $2");

json_t *json_cell(const char *cell)
{
    return cell != NULL ? json_string(cell) : json_null();
}

static int field_index(const person_type_t *t, const char *name)
{
    for (int i = 0; i < t->nfields; i++)
        if (strcmp(t->fields[i].name, name) == 0)
            return i;
    return -1;
}

/* Reads one present, non-null member by its kind into *out. */
static void read_value(req_t *r, const field_t *f, const char **out)
{
    const char *s = NULL;
    int idx;
    char email[256];
    switch (f->kind) {
    case K_TEXT:
        if (body_string(r, f->name, 1, 1, f->maxlen, &s) == 1)
            *out = s;
        break;
    case K_NAME:
        if (body_string(r, f->name, 1, 1, f->maxlen, &s) == 1) {
            if (people_valid_name(s))
                *out = s;
            else
                res_field_error(r, f->name, "must not contain control characters");
        }
        break;
    case K_CODE:
        if (body_string(r, f->name, 1, 1, 32, &s) == 1) {
            if (people_valid_code(s))
                *out = s;
            else
                res_field_error(r, f->name,
                                "must be 1 to 32 letters, digits and . _ / -, starting with a letter or a digit");
        }
        break;
    case K_EMAIL:
        if (body_string(r, f->name, 1, 3, 254, &s) == 1) {
            if (valid_email(s, email, sizeof(email)))
                *out = arena_strdup(&r->arena, email);
            else
                res_field_error(r, f->name, "must be an email address");
        }
        break;
    case K_PHONE:
        if (body_string(r, f->name, 1, 3, 40, &s) == 1) {
            if (people_valid_phone(s))
                *out = s;
            else
                res_field_error(r, f->name,
                                "must be a phone number: digits, spaces and + - ( ) . /, at least 3 digits,"
                                " optionally an extension such as \" x12\"");
        }
        break;
    case K_DATE:
        if (body_date(r, f->name, 1, &s) == 1)
            *out = s;
        break;
    case K_ENUM:
        if (body_enum(r, f->name, 1, f->values, &idx) == 1)
            *out = f->values[idx];
        break;
    case K_ID:
        if ((s = body_id(r, f->name, 1)) != NULL)
            *out = s;
        break;
    }
}

unsigned person_read(req_t *r, const person_type_t *t, int create, const char **vals)
{
    const char *key;
    json_t *v;
    json_object_foreach(r->json, key, v)
    {
        if (field_index(t, key) < 0)
            res_field_error(r, key, "is not a field of this resource, or may not be set");
    }
    unsigned present = 0;
    for (int i = 0; i < t->nfields; i++) {
        const field_t *f = &t->fields[i];
        json_t *m = json_object_get(r->json, f->name);
        if (m == NULL) {
            if (create && (f->flags & F_REQUIRED))
                res_field_error(r, f->name, "is required");
            else if (create)
                vals[i] = f->dflt;
            continue;
        }
        present |= 1u << i;
        if (json_is_null(m)) {
            if (f->flags & F_CLEARABLE)
                vals[i] = NULL;
            else
                res_field_error(r, f->name, create && (f->flags & F_REQUIRED) ? "is required" : "may not be null");
            continue;
        }
        read_value(r, f, &vals[i]);
    }
    return present;
}

void person_row(const person_type_t *t, const db_result_t *res, int row, const char **vals)
{
    for (int i = 0; i < t->nfields; i++)
        vals[i] = db_get(res, row, 1 + i);
}

json_t *person_json(req_t *r, const person_type_t *t, const db_result_t *res, int row)
{
    json_t *o = json_object();
    int bad = json_object_set_new(o, "id", json_string(db_get(res, row, 0))) != 0;
    for (int i = 0; i < t->nfields; i++)
        bad |= json_object_set_new(o, t->fields[i].name, json_cell(db_get(res, row, 1 + i))) != 0;
    int c = 1 + t->nfields;
    bad |= json_object_set_new(o, "version", json_integer(db_get_int(res, row, c))) != 0;
    bad |= json_object_set_new(o, "createdAt", json_string(iso_time(&r->arena, db_get_int(res, row, c + 1)))) != 0;
    bad |= json_object_set_new(o, "updatedAt", json_string(iso_time(&r->arena, db_get_int(res, row, c + 2)))) != 0;
    if (bad) { /* a value that is not UTF-8: no document rather than one missing a field */
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ,"name":value (a JSON string, or null for NULL) */
static void render_cell(sbuf_t *b, const char *name, const char *cell)
{
    sbuf_putc(b, ',');
    sbuf_json_str(b, name, strlen(name));
    sbuf_putc(b, ':');
    if (cell == NULL)
        sbuf_puts(b, "null");
    else
        sbuf_json_str(b, cell, strlen(cell));
}

void person_render_open(sbuf_t *b, req_t *r, const person_type_t *t, const db_result_t *res, int row)
{
    const char *id = db_get(res, row, 0);
    sbuf_puts(b, "{\"id\":");
    sbuf_json_str(b, id, strlen(id));
    for (int i = 0; i < t->nfields; i++)
        render_cell(b, t->fields[i].name, db_get(res, row, 1 + i));
    int c = 1 + t->nfields;
    sbuf_printf(b, ",\"version\":%lld", db_get_int(res, row, c));
    render_cell(b, "createdAt", iso_time(&r->arena, db_get_int(res, row, c + 1)));
    render_cell(b, "updatedAt", iso_time(&r->arena, db_get_int(res, row, c + 2)));
}

int person_load(req_t *r, const person_type_t *t, const char *id, db_result_t *res)
{
    db_t *db = req_db(r);
    if (db_exec(db, t->get, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, res) != 0)
        return db_fail(r, db);
    if (res->nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such %s.", t->noun);
    return 0;
}

int person_check_account(req_t *r, const person_type_t *t, const char *user_id)
{
    if (user_id == NULL)
        return 0;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_ACCOUNT, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(user_id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such user (userId).");
    if (!((unsigned)db_get_int(&res, 0, 0) & t->user_role)) {
        res_field_error(r, "userId", "must be an account with the %s role", t->user_role_name);
        return res_check_fields(r);
    }
    return 0;
}

/* 409 naming the field of a violated unique constraint of t, or the database error. */
static int write_failed(req_t *r, const person_type_t *t, db_t *db)
{
    const db_error_t *e = db_error(db);
    if (e->status == DB_UNIQUE && t != NULL) {
        for (const conflict_t *c = t->conflicts; c->needle != NULL; c++) {
            if (strstr(e->constraint, c->needle) != NULL) {
                json_t *v = json_object_get(r->json, c->field);
                return duplicate(r, c->field,
                                 arena_printf(&r->arena, c->message, json_is_string(v) ? json_string_value(v) : "?"));
            }
        }
    }
    return db_fail(r, db);
}

static audit_event_t event(req_t *r, const char *action, const char *outcome, const char *subject_id,
                           const char *detail)
{
    const char *dot = strchr(action, '.');
    return (audit_event_t){.tenant_id = r->auth.tenant_id,
                           .actor_id = r->auth.user_id,
                           .actor_roles = r->auth.roles,
                           .action = action,
                           .outcome = outcome,
                           .subject_type = arena_strndup(&r->arena, action, (size_t)(dot - action)),
                           .subject_id = subject_id,
                           .detail = detail};
}

int person_write(req_t *r, const person_type_t *t, stmt_t *st, const db_arg_t *args, int nargs,
                 const char *action, const char *subject_id, const char *detail)
{
    db_t *db = req_db(r);
    db_result_t res;
    audit_event_t e = event(r, action, NULL, subject_id, detail);
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (db_exec(db, st, args, nargs, &r->arena, &res) != 0) {
        db_rollback(db);
        return write_failed(r, t, db);
    }
    if (res.changes == 0) {
        db_rollback(db);
        return 1;
    }
    if (audit_record(db, r, &e) != 0 || db_commit(db) != 0) {
        db_rollback(db);
        return write_failed(r, t, db);
    }
    return 0;
}

int person_audit(req_t *r, const char *action, const char *outcome, const char *subject_id, const char *detail)
{
    audit_event_t e = event(r, action, outcome, subject_id, detail);
    db_t *db = req_db(r);
    int rc = audit_action_is_read(action) ? audit_queue_read(db, r, &e) : audit_record(db, r, &e);
    if (rc != 0 && db == NULL) /* an event loop never waits for room in the audit buffer: the pool will */
        return res_fail(r, ERR_UNAVAILABLE, "the audit buffer is full");
    return rc != 0 ? db_fail(r, db) : 0;
}

int person_bind(req_t *r, const person_type_t *t, const char *id, long long version, const char **vals,
                db_arg_t *args)
{
    int n = 0;
    args[n++] = DB_TEXT(r->auth.tenant_id);
    args[n++] = DB_TEXT(id);
    if (version >= 0)
        args[n++] = DB_INT(version);
    for (int i = 0; i < t->nfields; i++)
        args[n++] = DB_TEXT(vals[i]);
    args[n++] = DB_INT((long long)clock_wall_ms());
    if (t->extra != NULL)
        args[n++] = DB_TEXT(t->extra(r, vals));
    return n;
}

static int respond(req_t *r, const person_type_t *t, const char *id, int status)
{
    if (t->respond != NULL)
        return t->respond(r, id, status);
    db_result_t res;
    if (person_load(r, t, id, &res) != 0)
        return -1;
    set_etag(r, db_get_int(&res, 0, 1 + t->nfields));
    return res_json(r, status, person_json(r, t, &res, 0));
}

int person_create(req_t *r, const person_type_t *t)
{
    const char *vals[PERSON_MAX_FIELDS] = {0};
    person_read(r, t, 1, vals);
    if (res_check_fields(r) == 0 && t->check != NULL)
        t->check(r, vals);
    if (res_check_fields(r) != 0 || person_check_account(r, t, vals[t->user_field]) != 0)
        return -1;
    char id[UUID_STR_LEN + 1];
    ids_uuid7(id);
    db_arg_t args[PERSON_MAX_FIELDS + 5];
    int n = person_bind(r, t, id, -1, vals, args);
    if (person_write(r, t, t->insert, args, n, arena_printf(&r->arena, "%s.create", t->noun), id, NULL) != 0)
        return -1;
    res_header(r, "location", arena_printf(&r->arena, "%s/%s", t->path, id));
    return respond(r, t, id, 201);
}

const char *person_changes(req_t *r, const person_type_t *t, const char **before, const char **after)
{
    sbuf_t b;
    sbuf_init(&b, &r->arena, 64);
    for (int i = 0; i < t->nfields; i++) {
        int same = before[i] == NULL || after[i] == NULL ? before[i] == after[i] : strcmp(before[i], after[i]) == 0;
        if (!same)
            sbuf_printf(&b, "%s%s", b.len ? ", " : "fields: ", t->fields[i].name);
    }
    return b.len ? b.p : NULL;
}

int person_update(req_t *r, const person_type_t *t)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    return person_update_id(r, t, id);
}

int person_update_id(req_t *r, const person_type_t *t, const char *id)
{
    const char *vals[PERSON_MAX_FIELDS] = {0}, *before[PERSON_MAX_FIELDS] = {0};
    unsigned present = person_read(r, t, 0, vals);
    if (res_check_fields(r) != 0)
        return -1;
    db_result_t cur;
    if (person_load(r, t, id, &cur) != 0)
        return -1;
    long long version = db_get_int(&cur, 0, 1 + t->nfields);
    if (if_match(r, version, t->noun) != 0)
        return -1;
    if (patch_is_empty(r))
        return respond(r, t, id, 200);
    person_row(t, &cur, 0, before);
    for (int i = 0; i < t->nfields; i++)
        if (!(present & (1u << i)))
            vals[i] = before[i];
    if (t->check != NULL)
        t->check(r, vals);
    if (res_check_fields(r) != 0)
        return -1;
    const char *uid = vals[t->user_field], *old_uid = before[t->user_field];
    if (uid != NULL && (old_uid == NULL || strcmp(uid, old_uid) != 0) && person_check_account(r, t, uid) != 0)
        return -1;
    db_arg_t args[PERSON_MAX_FIELDS + 6];
    int n = person_bind(r, t, id, version, vals, args);
    int rc = person_write(r, t, t->update, args, n, arena_printf(&r->arena, "%s.update", t->noun), id,
                          person_changes(r, t, before, vals));
    if (rc < 0)
        return -1;
    if (rc > 0)
        return stale_write(r, t->noun);
    return respond(r, t, id, 200);
}

int person_get(req_t *r, const person_type_t *t)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    return person_get_id(r, t, id);
}

int person_get_id(req_t *r, const person_type_t *t, const char *id)
{
    return respond(r, t, id, 200);
}

const char *person_query_text(req_t *r)
{
    const char *q = req_query(r, "q");
    if (q == NULL)
        return NULL;
    size_t n = 0;
    for (const char *p = q; *p != '\0'; p++)
        n += ((unsigned char)*p & 0xc0) != 0x80;
    char pattern[1024];
    if (n < 1 || n > 100 || people_like_pattern(pattern, sizeof(pattern), q) != 0) {
        res_field_error(r, "q", "must be 1 to 100 characters");
        return NULL;
    }
    return arena_strdup(&r->arena, pattern);
}

/* Appends the keys and the id of the page's last row (NULLs on the first page) to args; the new count, or -1 (400). */
static int keyset(req_t *r, const list_order_t *o, const page_t *p, db_arg_t *args, int n)
{
    if (!p->has_cursor) {
        for (int i = 0; i < o->nkeys; i++)
            args[n++] = DB_NULL;
        args[n++] = DB_NULL;
        return n;
    }
    char *key = arena_strdup(&r->arena, p->key);
    const char *k[2] = {key, NULL};
    char *end = NULL;
    long long num = o->numeric ? strtoll(key, &end, 10) : 0;
    if ((o->nkeys == 2 && people_key_split(key, &k[0], &k[1]) != 0) ||
        (o->nkeys == 1 && strchr(key, PEOPLE_KEY_SEP) != NULL) || (o->numeric && (end == key || *end != '\0')))
        return res_fail(r, ERR_MALFORMED, "The cursor is not one this server issued for this order.");
    for (int i = 0; i < o->nkeys; i++)
        args[n++] = o->numeric ? DB_INT(num) : DB_TEXT(k[i]);
    args[n++] = DB_TEXT(arena_strdup(&r->arena, p->id));
    return n;
}

int person_list(req_t *r, const person_list_t *l, stmt_t (*stmts)[2], db_arg_t *args, int n, const db_arg_t *tail,
                int ntail, json_t **doc, int *count)
{
    page_t page;
    int desc;
    int sort = sort_read(r, l->sorts, 0, &desc);
    if (sort < 0 || page_read(r, &page) != 0)
        return -1;
    const list_order_t *o = &l->orders[sort];
    if ((n = keyset(r, o, &page, args, n)) < 0)
        return -1;
    args[n++] = DB_INT(page.limit + 1);
    for (int i = 0; i < ntail; i++)
        args[n++] = tail[i];
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &stmts[sort][desc], args, n, &r->arena, &res) != 0)
        return db_fail(r, db);
    json_t *items = json_array();
    int rows = res.nrows > page.limit ? page.limit : res.nrows;
    for (int i = 0; i < rows; i++)
        if (json_array_append_new(items, l->item(r, &res, i)) != 0) {
            json_decref(items);
            return res_fail(r, ERR_INTERNAL, "a list item could not be rendered (text that is not UTF-8?)");
        }
    const char *next = NULL;
    if (res.nrows > page.limit) {
        const char *key = db_get(&res, rows - 1, o->col[0]);
        if (o->nkeys == 2) {
            const char *k2 = db_get(&res, rows - 1, o->col[1]);
            size_t len = strlen(key) + strlen(k2) + 2;
            char *joined = arena_alloc(&r->arena, len);
            people_key_join(joined, len, key, k2);
            key = joined;
        }
        if ((next = page_cursor(&r->arena, key, db_get(&res, rows - 1, 0))) == NULL) {
            json_decref(items);
            return res_fail(r, ERR_INTERNAL, "a cursor could not be made (text that is not UTF-8?)");
        }
    }
    *count = rows;
    *doc = page_result(items, next);
    return 0;
}
