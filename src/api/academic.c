/*
 * academic.c - the school's years and terms: /academic-years (at most one
 * current) and /terms (inside their year, not overlapping); and the helpers
 * the academic area shares (academic_int.h).
 */
#include <stdlib.h>
#include <string.h>

#include "api/academic.h"
#include "api/academic_int.h"
#include "api/app.h"
#include "api/cached.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "auth/audit_queue.h"
#include "core/clock.h"
#include "core/ids.h"
#include "domain/calendar.h"

/* ------------------------------------------------------------------ shared helpers */

const char *acad_key2(arena_t *a, const char *first, const char *second)
{
    return arena_printf(a, "%zu:%s%s", strlen(first), first, second != NULL ? second : "");
}

int acad_key2_split(req_t *r, const char *key, const char **first, const char **second)
{
    char *end;
    unsigned long n = strtoul(key, &end, 10);
    if (end == key || *end != ':' || n > strlen(end + 1))
        return res_fail(r, ERR_MALFORMED, "The cursor is not one this server issued.");
    *first = arena_strndup(&r->arena, end + 1, n);
    *second = arena_strdup(&r->arena, end + 1 + n);
    return 0;
}

int acad_body_null(req_t *r, const char *field)
{
    json_t *v = r->json != NULL ? json_object_get(r->json, field) : NULL;
    return v != NULL && json_is_null(v);
}

void acad_created(req_t *r, long long version, const char *fmt, const char *id)
{
    res_header(r, "location", arena_printf(&r->arena, fmt, id));
    set_etag(r, version);
}

int acad_audit(req_t *r, const char *action, const char *subject_type, const char *subject_id, const char *detail)
{
    return audit_caller(req_db(r), r, action, subject_type != NULL ? subject_type : "student", subject_id, detail);
}

int acad_write_failed(req_t *r, db_t *db, const char *field, const char *message, const char *in_use)
{
    db_status_t st = db_error(db)->status;
    db_rollback(db);
    if (st == DB_UNIQUE && field != NULL)
        return duplicate(r, field, message);
    if (st == DB_UNIQUE)
        return res_fail(r, ERR_CONFLICT, "%s", message);
    if (st == DB_FOREIGN_KEY && in_use != NULL)
        return res_fail(r, ERR_CONFLICT, "%s", in_use);
    return db_fail(r, db);
}

static stmt_t Q_CALENDAR_EXCLUSIVE = STMT2("calendar.lock", 0, "SELECT 1 FROM tenants WHERE id = $1",
                                          "SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE");
static stmt_t Q_CALENDAR_SHARED = STMT2("calendar.lock_shared", 0, "SELECT 1 FROM tenants WHERE id = $1",
                                       "SELECT 1 FROM tenants WHERE id = $1 FOR SHARE");

int acad_lock_calendar(req_t *r, db_t *db, int exclusive)
{
    if (db_exec(db, exclusive ? &Q_CALENDAR_EXCLUSIVE : &Q_CALENDAR_SHARED, DB_ARGS(DB_TEXT(r->auth.tenant_id)),
                &r->arena, NULL) != 0)
        return db_fail(r, db);
    return 0;
}

/*
 * The busiest day of class $2 in [$3, $4] without enrollment $5: the count only rises on a day an
 * enrollment starts, so the candidates are $3 and the start days after it.
 */
#define PEAK_SQL(first_day)                                                                                            \
    "SELECT d.day, (SELECT count(*) FROM enrollments e"                                                              \
    " JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id" ACAD_JOIN_YEAR("e")                      \
    " WHERE e.tenant_id = $1 AND e.class_id = $2 AND (e.id <> $5 OR $5 IS NULL) AND s.deleted_at IS NULL"           \
    " AND " ACAD_COVERS("e", "y", "d.day") ") AS n"                                                                  \
    " FROM (SELECT " first_day " AS day UNION SELECT e.start_date FROM enrollments e WHERE e.tenant_id = $1"          \
    " AND e.class_id = $2 AND e.start_date > $3 AND e.start_date <= $4) d ORDER BY n DESC, d.day LIMIT 1"
static stmt_t Q_CLASS_PEAK = STMT2("classes.peak", 0, PEAK_SQL("$3"), PEAK_SQL("CAST($3 AS date)"));

int acad_class_peak(req_t *r, db_t *db, const char *class_id, const char *from, const char *to, const char *except,
                    const char **day, long long *peak)
{
    db_result_t res;
    if (db_exec(db, &Q_CLASS_PEAK,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(class_id), DB_TEXT(from), DB_TEXT(to), DB_TEXT(except)),
                &r->arena, &res) != 0)
        return -1;
    *day = res.nrows > 0 ? db_get(&res, 0, 0) : from;
    *peak = res.nrows > 0 ? db_get_int(&res, 0, 1) : 0;
    return 0;
}

json_t *acad_json_str(const char *cell)
{
    return cell != NULL ? json_string(cell) : json_null();
}

json_t *acad_json_int(const db_result_t *res, int row, int col)
{
    return db_is_null(res, row, col) ? json_null() : json_integer(db_get_int(res, row, col));
}

const char *acad_query_date(req_t *r, const char *name, int required)
{
    const char *v = req_query(r, name);
    if (v == NULL) {
        if (required)
            res_field_error(r, name, "is required");
        return NULL;
    }
    if (!valid_date(v)) {
        res_field_error(r, name, "must be a date YYYY-MM-DD");
        return NULL;
    }
    return v;
}

/* ------------------------------------------------------------------ academic years */

#define YEAR_COLS "y.id, y.name, y.start_date, y.end_date, y.is_current, y.version, y.created_at, y.updated_at"

static stmt_t Q_YEAR_GET =
    STMT("years.get", STMT_READ, "SELECT " YEAR_COLS " FROM academic_years y WHERE y.tenant_id = $1 AND y.id = $2");
static stmt_t Q_YEAR_CURRENT = STMT(
    "years.current", STMT_READ, "SELECT " YEAR_COLS " FROM academic_years y WHERE y.tenant_id = $1 AND y.is_current");
static stmt_t Q_YEAR_NAMED = STMT("years.named", 0, "SELECT id FROM academic_years WHERE tenant_id = $1 AND name = $2");
static stmt_t Q_YEAR_INSERT = STMT("years.insert", 0,
                                   "INSERT INTO academic_years (tenant_id, id, name, start_date, end_date, is_current,"
                                   " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)");
/* un-marks the current year (but $3) */
static stmt_t Q_YEAR_UNMARK =
    STMT("years.unmark", 0,
         "UPDATE academic_years SET is_current = FALSE, version = version + 1, updated_at = $2"
         " WHERE tenant_id = $1 AND is_current AND id <> $3");
static stmt_t Q_YEAR_UPDATE =
    STMT("years.update", 0,
         "UPDATE academic_years SET name = $4, start_date = $5, end_date = $6, is_current = $7,"
         " version = version + 1, updated_at = $8"
         " WHERE tenant_id = $1 AND id = $2 AND version = $3");
static stmt_t Q_YEAR_TERM_OUTSIDE = STMT("years.term_outside", 0,
                                         "SELECT name, start_date, end_date FROM terms WHERE tenant_id = $1"
                                         " AND academic_year_id = $2 AND (start_date < $3 OR end_date > $4)"
                                         " ORDER BY start_date LIMIT 1");
static stmt_t Q_YEAR_ENROLLMENT_OUTSIDE = STMT("years.enrollment_outside", 0,
                                               "SELECT id, start_date FROM enrollments WHERE tenant_id = $1"
                                               " AND academic_year_id = $2 AND (start_date < $3 OR start_date > $4"
                                               " OR end_date > $4) ORDER BY start_date LIMIT 1");
static stmt_t Q_YEAR_USES =
    STMT("years.uses", 0,
         "SELECT (SELECT count(*) FROM terms t WHERE t.tenant_id = $1 AND t.academic_year_id = $2),"
         " (SELECT count(*) FROM classes c WHERE c.tenant_id = $1 AND c.academic_year_id = $2)");
static stmt_t Q_YEAR_DELETE =
    STMT("years.delete", 0, "DELETE FROM academic_years WHERE tenant_id = $1 AND id = $2 AND version = $3");

#define YEAR_LIST_SQL(col, cmp, dir)                                                                                   \
    "SELECT " YEAR_COLS " FROM academic_years y WHERE y.tenant_id = $1"                                                \
    " AND ((" col ", y.id) " cmp " ($2, $3) OR $2 IS NULL) ORDER BY " col " " dir ", y.id " dir " LIMIT $4"
static const char *const year_sorts[] = {"startDate", "name", NULL};
static const int year_sort_col[] = {2, 1};
static stmt_t Q_YEAR_LIST[2][2] = {
    {STMT("years.list_start", STMT_READ, YEAR_LIST_SQL("y.start_date", ">", "ASC")),
     STMT("years.list_start_desc", STMT_READ, YEAR_LIST_SQL("y.start_date", "<", "DESC"))},
    {STMT("years.list_name", STMT_READ, YEAR_LIST_SQL("y.name", ">", "ASC")),
     STMT("years.list_name_desc", STMT_READ, YEAR_LIST_SQL("y.name", "<", "DESC"))},
};

static json_t *year_json(req_t *r, const db_result_t *res, int row)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:b,s:I,s:s,s:s}", "id", db_get(res, row, 0), "name", db_get(res, row, 1),
                     "startDate", db_get(res, row, 2), "endDate", db_get(res, row, 3), "isCurrent",
                     db_get_bool(res, row, 4), "version", (json_int_t)db_get_int(res, row, 5), "createdAt",
                     iso_time(&r->arena, db_get_int(res, row, 6)), "updatedAt",
                     iso_time(&r->arena, db_get_int(res, row, 7)));
}

/* Answers with one year, or the current one when id is NULL (and its ETag); 404 when there is none. */
static int respond_year(req_t *r, const char *id, int status)
{
    db_t *db = req_db(r);
    db_result_t res;
    int rc = id != NULL ? db_exec(db, &Q_YEAR_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res)
                        : db_exec(db, &Q_YEAR_CURRENT, DB_ARGS(DB_TEXT(r->auth.tenant_id)), &r->arena, &res);
    if (rc != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, id != NULL ? "No such academic year." : "No academic year is current.");
    set_etag(r, db_get_int(&res, 0, 5));
    return res_json(r, status, year_json(r, &res, 0));
}

/* After a unique violation on academic_years: the name, or a concurrent change of the current year. */
static int year_conflict(req_t *r, db_t *db, const char *name)
{
    db_rollback(db);
    db_result_t res;
    if (db_exec(db, &Q_YEAR_NAMED, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(name)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows > 0)
        return duplicate(r, "name", arena_printf(&r->arena, "academic year name %s is already used", name));
    return res_fail(r, ERR_CONFLICT, "Another academic year was made current at the same time; try again.");
}

int years_create(req_t *r)
{
    static const char *const fields[] = {"name", "startDate", "endDate", "isCurrent", NULL};
    const char *name = NULL, *start = NULL, *end = NULL;
    int current = 0;
    body_only_fields(r, fields);
    body_string(r, "name", 1, 1, 100, &name);
    body_date(r, "startDate", 1, &start);
    body_date(r, "endDate", 1, &end);
    body_bool(r, "isCurrent", 0, &current);
    if (start != NULL && end != NULL && strcmp(end, start) <= 0)
        res_field_error(r, "endDate", "must be after startDate");
    if (res_check_fields(r) != 0)
        return -1;
    char id[40];
    ids_uuid7(id);
    long long now = (long long)clock_wall_ms();
    db_t *db = req_db(r);
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (current && db_exec(db, &Q_YEAR_UNMARK, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_INT(now), DB_TEXT(id)), &r->arena,
                           NULL) != 0)
        return acad_write_failed(r, db, NULL, NULL, NULL);
    if (db_exec(db, &Q_YEAR_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(name), DB_TEXT(start), DB_TEXT(end),
                        DB_BOOL(current), DB_INT(now)),
                &r->arena, NULL) != 0) {
        if (db_error(db)->status == DB_UNIQUE)
            return year_conflict(r, db, name);
        return acad_write_failed(r, db, NULL, NULL, NULL);
    }
    if (db_commit(db) != 0) {
        if (db_error(db)->status == DB_UNIQUE)
            return year_conflict(r, db, name);
        return db_fail(r, db);
    }
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/academic-years/%s", id));
    return respond_year(r, id, 201);
}

int years_list(req_t *r)
{
    page_t page;
    int desc;
    int sort = sort_read(r, year_sorts, 1, &desc);
    if (sort < 0 || page_read(r, &page) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(
            db, &Q_YEAR_LIST[sort][desc],
            DB_ARGS(DB_TEXT(r->auth.tenant_id), page_key_arg(r, &page, 0), page_id_arg(&page), DB_INT(page.limit + 1)),
            &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, year_json, year_sort_col[sort], NULL));
}

int years_get(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    return respond_year(r, id, 200);
}

#define CALENDAR_TTL_MS 300000

/* The current year is the same document for the whole school: cached (CACHE_CALENDAR) with its version for the ETag. */
int years_current(req_t *r)
{
    cached_t c;
    uint64_t version = 0;
    if (cached_lookup(r, CACHE_CALENDAR, "current-year", &c, &version) > 0) {
        set_etag(r, (long long)version);
        return 0;
    }
    int rc = respond_year(r, NULL, 200);
    cached_store(r, &c, (uint64_t)r->res.etag, CALENDAR_TTL_MS);
    return rc;
}

int years_current_loop(req_t *r)
{
    cached_t c;
    uint64_t version = 0;
    if (cached_lookup(r, CACHE_CALENDAR, "current-year", &c, &version) <= 0)
        return -1;
    set_etag(r, (long long)version);
    return 0;
}

int years_update(req_t *r)
{
    static const char *const fields[] = {"name", "startDate", "endDate", "isCurrent", NULL};
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    const char *name = NULL, *start = NULL, *end = NULL;
    int current = -1;
    body_only_fields(r, fields);
    body_string(r, "name", 0, 1, 100, &name);
    body_date(r, "startDate", 0, &start);
    body_date(r, "endDate", 0, &end);
    body_bool(r, "isCurrent", 0, &current);
    if (res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t y, res;
    long long now = (long long)clock_wall_ms();
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (db_exec(db, &Q_YEAR_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &y) != 0)
        return acad_write_failed(r, db, NULL, NULL, NULL);
    if (y.nrows == 0) {
        db_rollback(db);
        return res_fail(r, ERR_NOT_FOUND, "No such academic year.");
    }
    long long version = db_get_int(&y, 0, 5);
    if (if_match(r, version, "academic year") != 0 || patch_is_empty(r)) {
        db_rollback(db);
        return r->err.code != ERR_NONE ? -1 : respond_year(r, id, 200);
    }
    name = name != NULL ? name : db_get(&y, 0, 1);
    start = start != NULL ? start : db_get(&y, 0, 2);
    end = end != NULL ? end : db_get(&y, 0, 3);
    current = current >= 0 ? current : db_get_bool(&y, 0, 4);
    if (strcmp(end, start) <= 0) {
        db_rollback(db);
        res_field_error(r, json_object_get(r->json, "endDate") != NULL ? "endDate" : "startDate",
                        "the end date must be after the start date");
        return res_check_fields(r);
    }
    /* the year's terms and enrollments must stay inside it */
    if (db_exec(db, &Q_YEAR_TERM_OUTSIDE,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(start), DB_TEXT(end)), &r->arena, &res) != 0)
        return acad_write_failed(r, db, NULL, NULL, NULL);
    if (res.nrows > 0) {
        db_rollback(db);
        return res_fail(r, ERR_CONFLICT, "Term \"%s\" (%s to %s) would lie outside the academic year.",
                        db_get(&res, 0, 0), db_get(&res, 0, 1), db_get(&res, 0, 2));
    }
    if (db_exec(db, &Q_YEAR_ENROLLMENT_OUTSIDE,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(start), DB_TEXT(end)), &r->arena, &res) != 0)
        return acad_write_failed(r, db, NULL, NULL, NULL);
    if (res.nrows > 0) {
        db_rollback(db);
        return res_fail(r, ERR_CONFLICT, "Enrollment %s (from %s) would lie outside the academic year.",
                        db_get(&res, 0, 0), db_get(&res, 0, 1));
    }
    if (current && db_exec(db, &Q_YEAR_UNMARK, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_INT(now), DB_TEXT(id)), &r->arena,
                           NULL) != 0)
        return acad_write_failed(r, db, NULL, NULL, NULL);
    if (db_exec(db, &Q_YEAR_UPDATE,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT(version), DB_TEXT(name), DB_TEXT(start),
                        DB_TEXT(end), DB_BOOL(current), DB_INT(now)),
                &r->arena, &res) != 0) {
        if (db_error(db)->status == DB_UNIQUE)
            return year_conflict(r, db, name);
        return acad_write_failed(r, db, NULL, NULL, NULL);
    }
    if (res.changes == 0) {
        db_rollback(db);
        return stale_write(r, "academic year");
    }
    if (db_commit(db) != 0) {
        if (db_error(db)->status == DB_UNIQUE)
            return year_conflict(r, db, name);
        return db_fail(r, db);
    }
    return respond_year(r, id, 200);
}

int years_delete(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t y, res;
    if (db_exec(db, &Q_YEAR_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &y) != 0)
        return db_fail(r, db);
    if (y.nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such academic year.");
    long long version = db_get_int(&y, 0, 5);
    if (if_match(r, version, "academic year") != 0)
        return -1;
    if (db_exec(db, &Q_YEAR_USES, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    long long terms = db_get_int(&res, 0, 0), classes = db_get_int(&res, 0, 1);
    if (terms > 0 || classes > 0)
        return res_fail(r, ERR_CONFLICT, "The academic year has %lld term(s) and %lld class(es); delete them first.",
                        terms, classes);
    if (db_exec(db, &Q_YEAR_DELETE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT(version)), &r->arena,
                &res) != 0)
        return acad_write_failed(r, db, NULL, NULL, "The academic year is still in use.");
    if (res.changes == 0)
        return stale_write(r, "academic year");
    return res_empty(r, 204);
}

/* ------------------------------------------------------------------ terms */

#define TERM_COLS                                                                                                      \
    "t.id, t.academic_year_id, t.name, t.start_date, t.end_date, t.weekdays, t.version, t.created_at, t.updated_at"

static stmt_t Q_TERM_GET =
    STMT("terms.get", STMT_READ, "SELECT " TERM_COLS " FROM terms t WHERE t.tenant_id = $1 AND t.id = $2");
/* the year of a term being written, locked on PostgreSQL so that two writes cannot both pass the overlap check */
static stmt_t Q_TERM_YEAR =
    STMT2("terms.lock_year", 0, "SELECT start_date, end_date FROM academic_years WHERE tenant_id = $1 AND id = $2",
          "SELECT start_date, end_date FROM academic_years WHERE tenant_id = $1 AND id = $2"
          " FOR NO KEY UPDATE");
static stmt_t Q_TERM_OVERLAP = STMT("terms.overlap", 0,
                                    "SELECT name, start_date, end_date FROM terms WHERE tenant_id = $1"
                                    " AND academic_year_id = $2 AND start_date <= $4 AND end_date >= $3"
                                    " AND id <> $5 ORDER BY start_date LIMIT 1");
static stmt_t Q_TERM_INSERT = STMT("terms.insert", 0,
                                   "INSERT INTO terms (tenant_id, id, academic_year_id, name, start_date, end_date,"
                                   " weekdays, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)");
static stmt_t Q_TERM_UPDATE = STMT("terms.update", 0,
                                   "UPDATE terms SET name = $4, start_date = $5, end_date = $6, weekdays = $7,"
                                   " version = version + 1, updated_at = $8"
                                   " WHERE tenant_id = $1 AND id = $2 AND version = $3");
/*
 * The first day marked in a class of year $2 between $3 and $4 (a term's days as they were) that would no
 * longer be a school day of the term: before $5, after $6, or on a weekday not in the bits $7 (ISO weekday
 * d is bit d - 1). $5 > $6 (a term deleted) makes every day count.
 */
#define TERM_MARKED_SQL(isodow)                                                                                        \
    "SELECT a.date FROM attendance a JOIN classes c ON c.tenant_id = a.tenant_id AND c.id = a.class_id"              \
    " WHERE a.tenant_id = $1 AND c.academic_year_id = $2 AND a.date >= $3 AND a.date <= $4"                         \
    " AND (a.date < $5 OR a.date > $6 OR ($7 & (1 << (" isodow " - 1))) = 0) ORDER BY a.date LIMIT 1"
static stmt_t Q_TERM_MARKED = STMT2("terms.marked_days", 0,
                                    TERM_MARKED_SQL("((CAST(strftime('%w', a.date) AS INTEGER) + 6) % 7 + 1)"),
                                    TERM_MARKED_SQL("CAST(extract(isodow FROM a.date) AS INTEGER)"));
/*
 * 409 when registers were marked on days of term t (a Q_TERM_GET row) that the term as changed (start..end,
 * weekdays; NULL start for a deletion) would no longer hold, naming the first of them. 0 when none, -1 after
 * an error (answered). Run under the calendar lock.
 */
static int check_marked_days(req_t *r, db_t *db, const db_result_t *t, const char *start, const char *end,
                             unsigned weekdays)
{
    db_result_t res;
    if (db_exec(db, &Q_TERM_MARKED,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(db_get(t, 0, 1)), DB_TEXT(db_get(t, 0, 3)),
                        DB_TEXT(db_get(t, 0, 4)), DB_TEXT(start != NULL ? start : "9999-12-31"),
                        DB_TEXT(start != NULL ? end : "0001-01-01"), DB_INT(weekdays)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return 0;
    if (start == NULL)
        return res_fail(r, ERR_CONFLICT, "Registers were marked during the term (on %s and maybe later); it cannot be "
                        "deleted.", db_get(&res, 0, 0));
    return res_fail(r, ERR_CONFLICT,
                    "Registers were marked on %s, which the term would no longer hold as a school day; keep that day "
                    "in the term, or correct those registers first.",
                    db_get(&res, 0, 0));
}

static stmt_t Q_TERM_DELETE =
    STMT("terms.delete", 0, "DELETE FROM terms WHERE tenant_id = $1 AND id = $2 AND version = $3");

#define TERM_LIST_SQL(col, cmp, dir)                                                                                   \
    "SELECT " TERM_COLS " FROM terms t WHERE t.tenant_id = $1 AND (t.academic_year_id = $2 OR $2 IS NULL)"             \
    " AND ((" col ", t.id) " cmp " ($3, $4) OR $3 IS NULL) ORDER BY " col " " dir ", t.id " dir " LIMIT $5"
static const char *const term_sorts[] = {"startDate", "name", NULL};
static const int term_sort_col[] = {3, 2};
static stmt_t Q_TERM_LIST[2][2] = {
    {STMT("terms.list_start", STMT_READ, TERM_LIST_SQL("t.start_date", ">", "ASC")),
     STMT("terms.list_start_desc", STMT_READ, TERM_LIST_SQL("t.start_date", "<", "DESC"))},
    {STMT("terms.list_name", STMT_READ, TERM_LIST_SQL("t.name", ">", "ASC")),
     STMT("terms.list_name_desc", STMT_READ, TERM_LIST_SQL("t.name", "<", "DESC"))},
};

static json_t *weekdays_json(unsigned bits)
{
    json_t *a = json_array();
    for (int d = 1; d <= 7; d++)
        if ((bits & cal_weekday_bit(d)) && json_array_append_new(a, json_string(cal_weekday_name(d))) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *term_json(req_t *r, const db_result_t *res, int row)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:I,s:s,s:s}", "id", db_get(res, row, 0), "academicYearId",
                     db_get(res, row, 1), "name", db_get(res, row, 2), "startDate", db_get(res, row, 3), "endDate",
                     db_get(res, row, 4), "weekdays", weekdays_json((unsigned)db_get_int(res, row, 5)), "version",
                     (json_int_t)db_get_int(res, row, 6), "createdAt", iso_time(&r->arena, db_get_int(res, row, 7)),
                     "updatedAt", iso_time(&r->arena, db_get_int(res, row, 8)));
}

/* Reads "weekdays": a non-empty array of distinct weekday names, as a bit set. Returns like body_*(). */
static int body_weekdays(req_t *r, const char *field, unsigned *out)
{
    json_t *v = json_object_get(r->json, field);
    if (v == NULL || json_is_null(v))
        return 0;
    unsigned bits = 0;
    size_t i;
    json_t *e;
    int ok = json_is_array(v) && json_array_size(v) > 0 && json_array_size(v) <= 7;
    json_array_foreach(v, i, e)
    {
        unsigned b = ok && json_is_string(e) ? cal_weekday_bit(cal_weekday_parse(json_string_value(e))) : 0;
        ok = ok && b != 0 && !(bits & b);
        bits |= b;
    }
    if (!ok) {
        res_field_error(r, field, "must be a non-empty array of distinct weekdays (\"monday\" … \"sunday\")");
        return -1;
    }
    *out = bits;
    return 1;
}

/* The dates of a term being written, checked against its year and the year's other terms (422/409). */
static int check_term(req_t *r, db_t *db, const char *year_id, const char *term_id, const char *start, const char *end)
{
    db_result_t res;
    if (db_exec(db, &Q_TERM_YEAR, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(year_id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such academic year (academicYearId).");
    const char *ys = db_get(&res, 0, 0), *ye = db_get(&res, 0, 1);
    if (strcmp(start, ys) < 0 || strcmp(start, ye) > 0)
        res_field_error(r, "startDate", "must be within the academic year (%s to %s)", ys, ye);
    if (strcmp(end, ys) < 0 || strcmp(end, ye) > 0)
        res_field_error(r, "endDate", "must be within the academic year (%s to %s)", ys, ye);
    if (strcmp(end, start) < 0)
        res_field_error(r, "endDate", "must not be before startDate");
    if (res_check_fields(r) != 0)
        return -1;
    if (db_exec(db, &Q_TERM_OVERLAP,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(year_id), DB_TEXT(start), DB_TEXT(end), DB_TEXT(term_id)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows > 0)
        return res_fail(r, ERR_CONFLICT, "The dates overlap term \"%s\" (%s to %s) of the same academic year.",
                        db_get(&res, 0, 0), db_get(&res, 0, 1), db_get(&res, 0, 2));
    return 0;
}

static int respond_term(req_t *r, const char *id, int status)
{
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_TERM_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such term.");
    set_etag(r, db_get_int(&res, 0, 6));
    return res_json(r, status, term_json(r, &res, 0));
}

int terms_create(req_t *r)
{
    static const char *const fields[] = {"academicYearId", "name", "startDate", "endDate", "weekdays", NULL};
    const char *name = NULL, *start = NULL, *end = NULL;
    unsigned weekdays = CAL_WEEKDAYS_DEFAULT;
    body_only_fields(r, fields);
    const char *year = body_id(r, "academicYearId", 1);
    body_string(r, "name", 1, 1, 100, &name);
    body_date(r, "startDate", 1, &start);
    body_date(r, "endDate", 1, &end);
    body_weekdays(r, "weekdays", &weekdays);
    if (start != NULL && end != NULL && strcmp(end, start) < 0)
        res_field_error(r, "endDate", "must not be before startDate");
    if (res_check_fields(r) != 0)
        return -1;
    char id[40];
    ids_uuid7(id);
    db_t *db = req_db(r);
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (check_term(r, db, year, id, start, end) != 0) {
        db_rollback(db);
        return -1;
    }
    if (db_exec(db, &Q_TERM_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_TEXT(year), DB_TEXT(name), DB_TEXT(start),
                        DB_TEXT(end), DB_INT(weekdays), DB_INT(clock_wall_ms())),
                &r->arena, NULL) != 0 ||
        db_commit(db) != 0)
        return acad_write_failed(r, db, "name",
                                 arena_printf(&r->arena, "term name %s is already used in this academic year", name),
                                 NULL);
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/terms/%s", id));
    return respond_term(r, id, 201);
}

int terms_list(req_t *r)
{
    page_t page;
    int desc;
    int sort = sort_read(r, term_sorts, 0, &desc);
    if (sort < 0 || page_read(r, &page) != 0)
        return -1;
    const char *year = query_id(r, "academicYearId", 0);
    if (res_check_fields(r) != 0)
        return -1;
    if (year != NULL && school_ref(r, &Q_YEAR_GET, year, "academic year", "academicYearId", NULL) != 1)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_TERM_LIST[sort][desc],
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(year), page_key_arg(r, &page, 0), page_id_arg(&page),
                        DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    return res_json(r, 200, page_json(r, &res, page.limit, term_json, term_sort_col[sort], NULL));
}

int terms_get(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    return respond_term(r, id, 200);
}

int terms_update(req_t *r)
{
    static const char *const fields[] = {"name", "startDate", "endDate", "weekdays", NULL};
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    const char *name = NULL, *start = NULL, *end = NULL;
    unsigned weekdays = 0;
    body_only_fields(r, fields);
    body_string(r, "name", 0, 1, 100, &name);
    body_date(r, "startDate", 0, &start);
    body_date(r, "endDate", 0, &end);
    body_weekdays(r, "weekdays", &weekdays);
    if (res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t t, res;
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (db_exec(db, &Q_TERM_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &t) != 0)
        return acad_write_failed(r, db, NULL, NULL, NULL);
    if (t.nrows == 0) {
        db_rollback(db);
        return res_fail(r, ERR_NOT_FOUND, "No such term.");
    }
    long long version = db_get_int(&t, 0, 6);
    if (if_match(r, version, "term") != 0 || patch_is_empty(r)) {
        db_rollback(db);
        return r->err.code != ERR_NONE ? -1 : respond_term(r, id, 200);
    }
    name = name != NULL ? name : db_get(&t, 0, 2);
    start = start != NULL ? start : db_get(&t, 0, 3);
    end = end != NULL ? end : db_get(&t, 0, 4);
    weekdays = weekdays != 0 ? weekdays : (unsigned)db_get_int(&t, 0, 5);
    if (check_term(r, db, db_get(&t, 0, 1), id, start, end) != 0 || acad_lock_calendar(r, db, 1) != 0 ||
        check_marked_days(r, db, &t, start, end, weekdays) != 0) {
        db_rollback(db);
        return -1;
    }
    if (db_exec(db, &Q_TERM_UPDATE,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT(version), DB_TEXT(name), DB_TEXT(start),
                        DB_TEXT(end), DB_INT(weekdays), DB_INT(clock_wall_ms())),
                &r->arena, &res) != 0)
        return acad_write_failed(r, db, "name",
                                 arena_printf(&r->arena, "term name %s is already used in this academic year", name),
                                 NULL);
    if (res.changes == 0) {
        db_rollback(db);
        return stale_write(r, "term");
    }
    if (db_commit(db) != 0)
        return acad_write_failed(r, db, "name",
                                 arena_printf(&r->arena, "term name %s is already used in this academic year", name),
                                 NULL);
    return respond_term(r, id, 200);
}

int terms_delete(req_t *r)
{
    const char *id = req_param(r, 0);
    if (require_id(r, id) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t t, res;
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (db_exec(db, &Q_TERM_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id)), &r->arena, &t) != 0)
        return acad_write_failed(r, db, NULL, NULL, NULL);
    long long version = t.nrows > 0 ? db_get_int(&t, 0, 6) : 0;
    if (t.nrows == 0 || if_match(r, version, "term") != 0 || acad_lock_calendar(r, db, 1) != 0 ||
        check_marked_days(r, db, &t, NULL, NULL, 0) != 0) {
        db_rollback(db);
        return t.nrows == 0 ? res_fail(r, ERR_NOT_FOUND, "No such term.") : -1;
    }
    if (db_exec(db, &Q_TERM_DELETE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(id), DB_INT(version)), &r->arena,
                &res) != 0)
        return acad_write_failed(r, db, NULL, NULL, NULL);
    if (res.changes == 0) {
        db_rollback(db);
        return stale_write(r, "term");
    }
    if (db_commit(db) != 0)
        return db_fail(r, db);
    return res_empty(r, 204);
}
