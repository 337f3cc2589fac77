/*
 * timetable.c - weekly timetable slots (class, subject, teacher, weekday,
 * start and end, room) and the week of a class or a teacher.
 *
 * A slot belongs to its class's academic year. Creating or moving a slot may
 * not double-book its teacher, its room or its class at an overlapping time
 * of the same weekday of that year (409 naming the clash). The check and the
 * write are one transaction that first locks the academic year's row
 * (SELECT … FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already
 * serializes writers), so two clashing slots written at once cannot both
 * pass. Times and clashes are decided by domain/timetable.c.
 */
#include "api/timetable.h"

#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/cached.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/policy.h"
#include "core/clock.h"
#include "core/ids.h"
#include "domain/calendar.h"
#include "domain/timetable.h"

#define ROOM_MAX 50

#define SLOT_COLS                                                                                                      \
    "t.id, t.academic_year_id, t.class_id, c.name, t.subject_id, s.code, s.name, t.teacher_id, h.first_name,"          \
    " h.last_name, t.weekday, t.start_minute, t.end_minute, t.room, t.version, t.created_at, t.updated_at"
#define SLOT_FROM                                                                                                      \
    " FROM timetable_slots t JOIN classes c ON c.tenant_id = t.tenant_id AND c.id = t.class_id"                        \
    " JOIN subjects s ON s.tenant_id = t.tenant_id AND s.id = t.subject_id"                                            \
    " JOIN teachers h ON h.tenant_id = t.tenant_id AND h.id = t.teacher_id"
enum {
    S_ID,
    S_YEAR,
    S_CLASS,
    S_CLASS_NAME,
    S_SUBJECT,
    S_SUBJECT_CODE,
    S_SUBJECT_NAME,
    S_TEACHER,
    S_FIRST,
    S_LAST,
    S_WEEKDAY,
    S_START,
    S_END,
    S_ROOM,
    S_VERSION,
    S_CREATED,
    S_UPDATED,
};

static stmt_t Q_GET =
    STMT("timetable.get", STMT_READ, "SELECT " SLOT_COLS SLOT_FROM " WHERE t.tenant_id = $1 AND t.id = $2");
static stmt_t Q_CLASS = STMT("timetable.class", STMT_READ,
                             "SELECT id, name, academic_year_id FROM classes WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_SUBJECT =
    STMT("timetable.subject", STMT_READ, "SELECT id FROM subjects WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_TEACHER =
    STMT("timetable.teacher", STMT_READ,
         "SELECT id, first_name, last_name, status FROM teachers WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_YEAR =
    STMT("timetable.year", STMT_READ, "SELECT id FROM academic_years WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_CURRENT_YEAR =
    STMT("timetable.current_year", STMT_READ, "SELECT id FROM academic_years WHERE tenant_id = $1 AND is_current");
static stmt_t Q_LOCK_YEAR =
    STMT2("timetable.lock_year", 0, "SELECT id FROM academic_years WHERE tenant_id = $1 AND id = $2",
          "SELECT id FROM academic_years WHERE tenant_id = $1 AND id = $2 FOR UPDATE");
/* The slots of a weekday of a year that share the teacher, the class or the room; overlap is decided in C. */
static stmt_t Q_SAME_DAY = STMT("timetable.same_day", 0,
                                "SELECT " SLOT_COLS SLOT_FROM " WHERE t.tenant_id = $1 AND t.academic_year_id = $2"
                                " AND t.weekday = $3 AND (t.teacher_id = $4 OR t.class_id = $5 OR t.room = $6)"
                                " ORDER BY t.start_minute, t.id");
static stmt_t Q_INSERT = STMT("timetable.insert", 0,
                              "INSERT INTO timetable_slots (tenant_id, id, academic_year_id, class_id, subject_id,"
                              " teacher_id, weekday, start_minute, end_minute, room, created_at, updated_at)"
                              " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)");
static stmt_t Q_UPDATE = STMT("timetable.update", 0,
                              "UPDATE timetable_slots SET academic_year_id = $4, class_id = $5, subject_id = $6,"
                              " teacher_id = $7, weekday = $8, start_minute = $9, end_minute = $10, room = $11,"
                              " version = version + 1, updated_at = $12"
                              " WHERE tenant_id = $1 AND id = $2 AND version = $3");
static stmt_t Q_ASSIGNED = STMT("timetable.assigned", STMT_READ,
                                "SELECT 1 FROM class_subjects WHERE tenant_id = $1 AND class_id = $2 AND subject_id = $3"
                                " AND teacher_id = $4");
static stmt_t Q_TERM_WEEKDAYS = STMT("timetable.term_weekdays", STMT_READ,
                                     "SELECT weekdays FROM terms WHERE tenant_id = $1 AND academic_year_id = $2");
static stmt_t Q_DELETE =
    STMT("timetable.delete", 0, "DELETE FROM timetable_slots WHERE tenant_id = $1 AND id = $2 AND version = $3");
static stmt_t Q_OF_CLASS = STMT("timetable.of_class", STMT_READ,
                                "SELECT " SLOT_COLS SLOT_FROM " WHERE t.tenant_id = $1 AND t.class_id = $2"
                                " ORDER BY t.weekday, t.start_minute, t.id");
static stmt_t Q_OF_TEACHER = STMT("timetable.of_teacher", STMT_READ,
                                  "SELECT " SLOT_COLS SLOT_FROM " WHERE t.tenant_id = $1 AND t.teacher_id = $2"
                                  " AND t.academic_year_id = $3 ORDER BY t.weekday, t.start_minute, t.id");

/* Lists: class $2, teacher $3, weekday $4, room $5, year $6, keyset after ($7, $8), limit $9. */
#define KEY_TIME "(t.weekday * 1440 + t.start_minute)"
#define LIST_SQL(key, cmp, dir)                                                                                        \
    "SELECT " SLOT_COLS SLOT_FROM " WHERE t.tenant_id = $1 AND (t.class_id = $2 OR $2 IS NULL)"                        \
    " AND (t.teacher_id = $3 OR $3 IS NULL) AND (t.weekday = $4 OR $4 IS NULL) AND (t.room = $5 OR $5 IS NULL)"        \
    " AND (t.academic_year_id = $6 OR $6 IS NULL) AND ((" key ", t.id) " cmp " ($7, $8) OR $7 IS NULL)"                \
    " ORDER BY " key " " dir ", t.id " dir " LIMIT $9"
static const char *const sorts[] = {"time", "createdAt", NULL};
static stmt_t Q_LIST[2][2] = {
    {STMT("timetable.list_time", STMT_READ, LIST_SQL(KEY_TIME, ">", "ASC")),
     STMT("timetable.list_time_desc", STMT_READ, LIST_SQL(KEY_TIME, "<", "DESC"))},
    {STMT("timetable.list_created", STMT_READ, LIST_SQL("t.created_at", ">", "ASC")),
     STMT("timetable.list_created_desc", STMT_READ, LIST_SQL("t.created_at", "<", "DESC"))},
};

/* ---------------------------------------------------------------- rendering */

static const char *teacher_name(req_t *r, const db_result_t *res, int row, int first)
{
    return arena_printf(&r->arena, "%s %s", db_get(res, row, first), db_get(res, row, first + 1));
}

static const char *clock_str(req_t *r, long long minutes)
{
    char *s = arena_alloc(&r->arena, 6);
    tt_format_time((int)minutes, s);
    return s;
}

static json_t *slot_json(req_t *r, const db_result_t *res, int row)
{
    int wd = (int)db_get_int(res, row, S_WEEKDAY);
    const char *room = db_get(res, row, S_ROOM);
    return json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s},s:i,s:s,s:s,s:s,s:o,s:I,s:s,s:s}", "id", db_get(res, row, S_ID),
        "academicYearId", db_get(res, row, S_YEAR), "classId", db_get(res, row, S_CLASS), "className",
        db_get(res, row, S_CLASS_NAME), "subjectId", db_get(res, row, S_SUBJECT), "subjectCode",
        db_get(res, row, S_SUBJECT_CODE), "subjectName", db_get(res, row, S_SUBJECT_NAME), "teacherId",
        db_get(res, row, S_TEACHER), "teacher", "id", db_get(res, row, S_TEACHER), "firstName",
        db_get(res, row, S_FIRST), "lastName", db_get(res, row, S_LAST), "weekday", wd, "weekdayName",
        cal_weekday_name(wd), "startTime", clock_str(r, db_get_int(res, row, S_START)), "endTime",
        clock_str(r, db_get_int(res, row, S_END)), "room", room != NULL ? json_string(room) : json_null(), "version",
        (json_int_t)db_get_int(res, row, S_VERSION), "createdAt", iso_time(&r->arena, db_get_int(res, row, S_CREATED)),
        "updatedAt", iso_time(&r->arena, db_get_int(res, row, S_UPDATED)));
}

/* The cursor key of the time order: the minute of the week a slot starts. */
static const char *slot_time_key(req_t *r, const db_result_t *res, int row)
{
    return arena_printf(&r->arena, "%lld",
                        db_get_int(res, row, S_WEEKDAY) * TT_MINUTES_PER_DAY + db_get_int(res, row, S_START));
}

/* The seven days of a week, Monday first, each with its slots (rows sorted by weekday and start); NULL on failure. */
static json_t *week_json(req_t *r, const db_result_t *res)
{
    json_t *days = json_array();
    int row = 0;
    for (int wd = 1; wd <= 7; wd++) {
        json_t *slots = json_array();
        for (; row < res->nrows && db_get_int(res, row, S_WEEKDAY) == wd; row++)
            if (json_array_append_new(slots, slot_json(r, res, row)) != 0)
                goto fail;
        if (json_array_append_new(days, json_pack("{s:i,s:s,s:o}", "weekday", wd, "name", cal_weekday_name(wd),
                                                  "slots", slots)) != 0) {
            slots = NULL; /* json_pack took it */
            goto fail;
        }
        continue;
    fail:
        json_decref(slots);
        json_decref(days);
        return NULL;
    }
    return days;
}

/* school_ref() as 0 (found) or -1 (404 or a database error, answered). */
static int lookup(req_t *r, stmt_t *st, const char *id, const char *what, const char *field, db_result_t *res)
{
    return school_ref(r, st, id, what, field, res) == 1 ? 0 : -1;
}

static int load_slot(req_t *r, const char *id, db_result_t *res)
{
    return lookup(r, &Q_GET, id, "timetable slot", NULL, res);
}

static int respond_slot(req_t *r, const char *id, int status)
{
    db_result_t res;
    if (load_slot(r, id, &res) != 0)
        return -1;
    set_etag(r, db_get_int(&res, 0, S_VERSION));
    return res_json(r, status, slot_json(r, &res, 0));
}

/* ---------------------------------------------------------------- input */

typedef struct slot_in {
    const char *class_id, *subject_id, *teacher_id, *room;
    const char *year_id; /* the class's */
    int weekday, start, end;
} slot_in_t;

/* Reads weekday: 1-7 or "monday"…; returns 1 (set), 0 (absent), -1 (field error). */
static int read_weekday(req_t *r, int required, int *out)
{
    json_t *v = json_object_get(r->json, "weekday");
    if (v == NULL || json_is_null(v)) {
        if (required)
            res_field_error(r, "weekday", "is required");
        return required ? -1 : 0;
    }
    int wd = 0;
    if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 7)
        wd = (int)json_integer_value(v);
    else if (json_is_string(v))
        wd = cal_weekday_parse(json_string_value(v));
    if (wd == 0) {
        res_field_error(r, "weekday", "must be 1 (Monday) to 7 (Sunday), or monday … sunday");
        return -1;
    }
    *out = wd;
    return 1;
}

/* Reads a clock time field into *out (minutes); end allows "24:00". Returns 1, 0 (absent) or -1. */
static int read_time(req_t *r, const char *field, int required, int end, int *out)
{
    const char *s = NULL;
    int rc = body_string(r, field, required, 1, 5, &s);
    if (rc != 1)
        return rc;
    int m = tt_parse_time(s, end);
    if (m < 0) {
        res_field_error(r, field,
                        end ? "must be a time HH:MM from 00:01 to 24:00" : "must be a time HH:MM from 00:00 to 23:59");
        return -1;
    }
    *out = m;
    return 1;
}

/*
 * Reads the fields of a slot over *s (a create: all required; an update: the
 * present ones replace s's). room may be null (no room). Field errors only.
 */
static void read_slot(req_t *r, int create, slot_in_t *s)
{
    static const char *const fields[] = {"classId",   "subjectId", "teacherId", "weekday",
                                         "startTime", "endTime",   "room",      NULL};
    body_only_fields(r, fields);
    const char *v;
    if ((v = body_id(r, "classId", create)) != NULL)
        s->class_id = v;
    if ((v = body_id(r, "subjectId", create)) != NULL)
        s->subject_id = v;
    if ((v = body_id(r, "teacherId", create)) != NULL)
        s->teacher_id = v;
    read_weekday(r, create, &s->weekday);
    int start_ok = read_time(r, "startTime", create, 0, &s->start) >= 0;
    int end_ok = read_time(r, "endTime", create, 1, &s->end) >= 0;
    json_t *room = json_object_get(r->json, "room");
    if (room != NULL && json_is_null(room))
        s->room = NULL;
    else if (body_string(r, "room", 0, 1, ROOM_MAX, &v) == 1)
        s->room = v;
    if (start_ok && end_ok && s->end <= s->start)
        res_field_error(r, "endTime", "must be after startTime");
}

/*
 * Checks the records a slot names (404 naming the field) and sets its academic
 * year (the class's). A teacher given anew must be active (a slot kept with a
 * teacher who left can still be moved or deleted).
 */
static int check_references(req_t *r, slot_in_t *s, int new_teacher)
{
    db_result_t cls, subj, teacher, res;
    if (lookup(r, &Q_CLASS, s->class_id, "class", "classId", &cls) != 0 ||
        lookup(r, &Q_SUBJECT, s->subject_id, "subject", "subjectId", &subj) != 0 ||
        lookup(r, &Q_TEACHER, s->teacher_id, "teacher", "teacherId", &teacher) != 0)
        return -1;
    s->year_id = db_get(&cls, 0, 2);
    if (new_teacher && strcmp(db_get(&teacher, 0, 3), "active") != 0) {
        res_field_error(r, "teacherId", "is an inactive teacher");
        return res_check_fields(r);
    }
    /* a lesson is what a teaching assignment says: this teacher teaches this subject to this class */
    db_t *db = req_db(r);
    if (db_exec(db, &Q_ASSIGNED,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(s->class_id), DB_TEXT(s->subject_id), DB_TEXT(s->teacher_id)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0) {
        res_field_error(r, "teacherId",
                        "does not teach this subject in this class: assign them first (POST /classes/{id}/subjects)");
        return res_check_fields(r);
    }
    /* and falls on a weekday the year's terms have lessons on */
    if (db_exec(db, &Q_TERM_WEEKDAYS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(s->year_id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    unsigned weekdays = 0;
    for (int i = 0; i < res.nrows; i++)
        weekdays |= (unsigned)db_get_int(&res, i, 0);
    if (res.nrows == 0) {
        res_field_error(r, "classId", "is of an academic year without terms yet: add its terms first");
        return res_check_fields(r);
    }
    if (!(weekdays & cal_weekday_bit(s->weekday))) {
        res_field_error(r, "weekday", "is not a school day in the terms of the class's academic year (%s)",
                        cal_weekday_name(s->weekday));
        return res_check_fields(r);
    }
    return 0;
}

/* ---------------------------------------------------------------- the checked write */

typedef struct slot_write {
    req_t *r;
    const slot_in_t *s;
    char id[40];       /* the slot's id (made on create) */
    long long version; /* update: the version read and matched against If-Match; 0 on create */
    int clashes;       /* the write was refused: it clashes (r->err has the fields) */
    int stale;         /* update: the slot changed meanwhile */
} slot_write_t;

static const char *clash_field(unsigned bit)
{
    return bit == TT_CLASH_TEACHER ? "teacherId" : bit == TT_CLASH_ROOM ? "room" : "classId";
}

/* Records the 409 of a write that clashes with the slots of rows (whose bits say which resources). */
static void report_clashes(req_t *r, const db_result_t *rows, const unsigned *bits)
{
    sbuf_t detail;
    sbuf_init(&detail, &r->arena, 256);
    int n = 0;
    for (int i = 0; i < rows->nrows; i++) {
        if (bits[i] == 0)
            continue;
        const char *when =
            arena_printf(&r->arena, "%s %s-%s", cal_weekday_name((int)db_get_int(rows, i, S_WEEKDAY)),
                         clock_str(r, db_get_int(rows, i, S_START)), clock_str(r, db_get_int(rows, i, S_END)));
        const char *what = arena_printf(&r->arena, "%s %s with %s in %s", db_get(rows, i, S_CLASS_NAME),
                                        db_get(rows, i, S_SUBJECT_NAME), teacher_name(r, rows, i, S_FIRST),
                                        db_get(rows, i, S_ROOM) != NULL ? db_get(rows, i, S_ROOM) : "no room");
        sbuf_t which;
        sbuf_init(&which, &r->arena, 32);
        for (unsigned bit = TT_CLASH_TEACHER; bit <= TT_CLASH_CLASS; bit <<= 1) {
            if (!(bits[i] & bit))
                continue;
            sbuf_printf(&which, "%s%s", which.len ? ", " : "", tt_clash_name(bit));
            res_field_error(r, clash_field(bit), "the %s is already booked on %s by slot %s (%s)", tt_clash_name(bit),
                            when, db_get(rows, i, S_ID), what);
        }
        sbuf_printf(&detail, "%sslot %s (%s: %s, %s)", n ? "; " : "", db_get(rows, i, S_ID), which.p, what, when);
        n++;
    }
    r->err.code = ERR_CONFLICT;
    r->err.detail = arena_printf(&r->arena, "The slot would double-book %s: %s.",
                                 n == 1 ? "what another slot uses" : "what other slots use", detail.p);
}

static int write_in_tx(db_t *db, void *ctx)
{
    slot_write_t *w = ctx;
    req_t *r = w->r;
    const slot_in_t *s = w->s;
    const char *tenant = r->auth.tenant_id;
    db_result_t lock, rows;
    if (db_exec(db, &Q_LOCK_YEAR, DB_ARGS(DB_TEXT(tenant), DB_TEXT(s->year_id)), &r->arena, &lock) != 0 ||
        db_exec(db, &Q_SAME_DAY,
                DB_ARGS(DB_TEXT(tenant), DB_TEXT(s->year_id), DB_INT(s->weekday), DB_TEXT(s->teacher_id),
                        DB_TEXT(s->class_id), DB_TEXT(s->room)),
                &r->arena, &rows) != 0)
        return -1;
    tt_slot_t mine = {w->version ? w->id : NULL, s->class_id, s->teacher_id, s->room, s->weekday, s->start, s->end};
    unsigned *bits = arena_calloc(&r->arena, sizeof(unsigned) * (size_t)(rows.nrows + 1));
    int clash = 0;
    for (int i = 0; i < rows.nrows; i++) {
        tt_slot_t other = {db_get(&rows, i, S_ID),
                           db_get(&rows, i, S_CLASS),
                           db_get(&rows, i, S_TEACHER),
                           db_get(&rows, i, S_ROOM),
                           (int)db_get_int(&rows, i, S_WEEKDAY),
                           (int)db_get_int(&rows, i, S_START),
                           (int)db_get_int(&rows, i, S_END)};
        bits[i] = tt_clash(&mine, &other);
        clash |= bits[i] != 0;
    }
    if (clash) {
        report_clashes(r, &rows, bits);
        w->clashes = 1;
        return 1;
    }
    int64_t now = (int64_t)clock_wall_ms();
    if (w->version == 0)
        return db_exec(db, &Q_INSERT,
                       DB_ARGS(DB_TEXT(tenant), DB_TEXT(w->id), DB_TEXT(s->year_id), DB_TEXT(s->class_id),
                               DB_TEXT(s->subject_id), DB_TEXT(s->teacher_id), DB_INT(s->weekday), DB_INT(s->start),
                               DB_INT(s->end), DB_TEXT(s->room), DB_INT(now)),
                       &r->arena, NULL);
    db_result_t res;
    if (db_exec(db, &Q_UPDATE,
                DB_ARGS(DB_TEXT(tenant), DB_TEXT(w->id), DB_INT(w->version), DB_TEXT(s->year_id), DB_TEXT(s->class_id),
                        DB_TEXT(s->subject_id), DB_TEXT(s->teacher_id), DB_INT(s->weekday), DB_INT(s->start),
                        DB_INT(s->end), DB_TEXT(s->room), DB_INT(now)),
                &r->arena, &res) != 0)
        return -1;
    if (res.changes == 0) {
        w->stale = 1;
        return 1;
    }
    return 0;
}

/* Runs the checked write; on failure sets the answer (409 clash or stale, or the database's). */
static int checked_write(req_t *r, slot_write_t *w)
{
    db_t *db = req_db(r);
    if (db_transaction(db, write_in_tx, w) == 0)
        return 0;
    if (w->clashes)
        return -1;
    if (w->stale)
        return stale_write(r, "timetable slot");
    return db_fail(r, db);
}

/* ---------------------------------------------------------------- handlers */

int timetable_create(req_t *r)
{
    slot_in_t s = {0};
    read_slot(r, 1, &s);
    if (res_check_fields(r) != 0 || check_references(r, &s, 1) != 0)
        return -1;
    slot_write_t w = {.r = r, .s = &s};
    ids_uuid7(w.id);
    if (checked_write(r, &w) != 0)
        return -1;
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/timetable-slots/%s", w.id));
    return respond_slot(r, w.id, 201);
}

int timetable_update(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    db_result_t cur;
    if (load_slot(r, id, &cur) != 0)
        return -1;
    slot_in_t s = {.class_id = db_get(&cur, 0, S_CLASS),
                   .subject_id = db_get(&cur, 0, S_SUBJECT),
                   .teacher_id = db_get(&cur, 0, S_TEACHER),
                   .room = db_get(&cur, 0, S_ROOM),
                   .weekday = (int)db_get_int(&cur, 0, S_WEEKDAY),
                   .start = (int)db_get_int(&cur, 0, S_START),
                   .end = (int)db_get_int(&cur, 0, S_END)};
    long long version = db_get_int(&cur, 0, S_VERSION);
    read_slot(r, 0, &s);
    if (res_check_fields(r) != 0 || if_match(r, version, "timetable slot") != 0)
        return -1;
    if (patch_is_empty(r))
        return respond_slot(r, id, 200);
    if (check_references(r, &s, json_object_get(r->json, "teacherId") != NULL) != 0)
        return -1;
    slot_write_t w = {.r = r, .s = &s, .version = version};
    snprintf(w.id, sizeof(w.id), "%s", id);
    if (checked_write(r, &w) != 0)
        return -1;
    return respond_slot(r, id, 200);
}

int timetable_delete(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    db_result_t cur, res;
    if (load_slot(r, id, &cur) != 0)
        return -1;
    long long version = db_get_int(&cur, 0, S_VERSION);
    if (if_match(r, version, "timetable slot") != 0)
        return -1;
    db_t *db = req_db(r);
    if (db_exec(db, &Q_DELETE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT(version)), &r->arena, &res) !=
        0)
        return db_fail(r, db);
    if (res.changes == 0)
        return stale_write(r, "timetable slot");
    return res_empty(r, 204);
}

int timetable_get(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    return respond_slot(r, id, 200);
}

/* Reads ?weekday= (1-7 or a name) into *out; 0 when absent. */
static void query_weekday(req_t *r, int *out)
{
    const char *v = req_query(r, "weekday");
    *out = 0;
    if (v == NULL)
        return;
    if (strlen(v) == 1 && v[0] >= '1' && v[0] <= '7')
        *out = v[0] - '0';
    else
        *out = cal_weekday_parse(v);
    if (*out == 0)
        res_field_error(r, "weekday", "must be 1 (Monday) to 7 (Sunday), or monday … sunday");
}

int timetable_list(req_t *r)
{
    page_t page;
    int desc, weekday;
    int sort = sort_read(r, sorts, 0, &desc);
    if (sort < 0 || page_read(r, &page) != 0)
        return -1;
    const char *class_id = query_id(r, "classId", 0), *teacher_id = query_id(r, "teacherId", 0);
    const char *year_id = query_id(r, "academicYearId", 0), *room = req_query(r, "room");
    query_weekday(r, &weekday);
    if (room != NULL && (*room == '\0' || strlen(room) > ROOM_MAX))
        res_field_error(r, "room", "must be 1 to %d characters", ROOM_MAX);
    if (res_check_fields(r) != 0)
        return -1;
    db_result_t res;
    if ((class_id != NULL && lookup(r, &Q_CLASS, class_id, "class", "classId", &res) != 0) ||
        (teacher_id != NULL && lookup(r, &Q_TEACHER, teacher_id, "teacher", "teacherId", &res) != 0) ||
        (year_id != NULL && lookup(r, &Q_YEAR, year_id, "academic year", "academicYearId", &res) != 0))
        return -1;
    db_arg_t key = page.has_cursor ? DB_INT(strtoll(page.key, NULL, 10)) : DB_NULL;
    db_t *db = req_db(r);
    if (db_exec(db, &Q_LIST[sort][desc],
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(class_id), DB_TEXT(teacher_id),
                        weekday ? DB_INT(weekday) : DB_NULL, DB_TEXT(room), DB_TEXT(year_id), key,
                        DB_TEXT(page.has_cursor ? page.id : NULL), DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, slot_json, S_CREATED, sort == 0 ? slot_time_key : NULL));
}

#define WEEK_TTL_MS 300000

static int load_class_week(req_t *r, const char *id)
{
    db_t *db = req_db(r);
    db_result_t cls, res;
    if (lookup(r, &Q_CLASS, id, "class", NULL, &cls) != 0)
        return -1;
    if (db_exec(db, &Q_OF_CLASS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200,
                    json_pack("{s:s,s:s,s:s,s:o}", "classId", id, "className", db_get(&cls, 0, 1), "academicYearId",
                              db_get(&cls, 0, 2), "days", week_json(r, &res)));
}

/* A class's week is the same for everyone the policy admits: cached per class (CACHE_TIMETABLE). */
int timetable_of_class(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    int may = policy_can_read_class(r, id);
    if (may < 0)
        return -1;
    if (may == 0)
        return policy_hidden(r, "class");
    cached_t c;
    int rc = cached_lookup(r, CACHE_TIMETABLE, id, &c, NULL);
    if (rc > 0)
        return 0;
    rc = load_class_week(r, id);
    cached_store(r, &c, 0, WEEK_TTL_MS);
    return rc;
}

/* The event loop's answer: a cached week for a caller who sees the whole school. */
int timetable_of_class_loop(req_t *r)
{
    const char *id = req_param(r, 0);
    cached_t c;
    if (!policy_sees_school(r) || require_id(r, id) != 0)
        return -1;
    return cached_lookup(r, CACHE_TIMETABLE, id, &c, NULL) > 0 ? 0 : -1;
}

int timetable_of_teacher(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t teacher, year, res = {0};
    if (lookup(r, &Q_TEACHER, id, "teacher", NULL, &teacher) != 0)
        return -1;
    if (!policy_sees_school(r)) {
        const char *own;
        int rc = policy_teacher_id(r, &own);
        if (rc < 0)
            return -1;
        if (rc == 0 || strcmp(own, id) != 0)
            return policy_hidden(r, "teacher");
    }
    const char *year_id = query_id(r, "academicYearId", 0);
    if (res_check_fields(r) != 0)
        return -1;
    if (year_id != NULL) {
        if (lookup(r, &Q_YEAR, year_id, "academic year", "academicYearId", &year) != 0)
            return -1;
    } else {
        if (db_exec(db, &Q_CURRENT_YEAR, DB_ARGS(DB_TEXT(r->auth.tenant_id)), &r->arena, &year) != 0)
            return db_fail(r, db);
        year_id = year.nrows > 0 ? db_get(&year, 0, 0) : NULL;
    }
    if (year_id != NULL &&
        db_exec(db, &Q_OF_TEACHER, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(year_id)), &r->arena,
                &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200,
                    json_pack("{s:s,s:{s:s,s:s,s:s},s:o,s:o}", "teacherId", id, "teacher", "id", id, "firstName",
                              db_get(&teacher, 0, 1), "lastName", db_get(&teacher, 0, 2), "academicYearId",
                              year_id != NULL ? json_string(year_id) : json_null(), "days", week_json(r, &res)));
}
