/*
 * holidays.c - /holidays (days without school, one per date) and
 * /calendar/school-days (the days inside a term, on one of its weekdays, not
 * holidays; computed by domain/calendar).
 */
#include <string.h>

#include "api/academic.h"
#include "api/academic_int.h"
#include "api/app.h"
#include "api/common.h"
#include "api/validate.h"
#include "core/clock.h"
#include "domain/calendar.h"

/* ------------------------------------------------------------------ holidays */

static stmt_t Q_HOL_GET =
    STMT("holidays.get", STMT_READ, "SELECT date, name, created_at FROM holidays WHERE tenant_id = $1 AND date = $2");
static stmt_t Q_HOL_INSERT =
    STMT("holidays.insert", 0, "INSERT INTO holidays (tenant_id, date, name, created_at) VALUES ($1, $2, $3, $4)");
/* the first class whose register was marked on $2 (its students are not on holiday that day) */
static stmt_t Q_HOL_MARKED = STMT("holidays.marked", 0,
                                  "SELECT c.name FROM attendance a JOIN classes c ON c.tenant_id = a.tenant_id"
                                  " AND c.id = a.class_id WHERE a.tenant_id = $1 AND a.date = $2 LIMIT 1");
static stmt_t Q_HOL_DELETE = STMT("holidays.delete", 0, "DELETE FROM holidays WHERE tenant_id = $1 AND date = $2");
/* from $2, to $3, after $4 (the cursor), limit $5 */
static stmt_t Q_HOL_LIST = STMT("holidays.list", STMT_READ,
                                "SELECT date, name, created_at FROM holidays WHERE tenant_id = $1"
                                " AND (date >= $2 OR $2 IS NULL) AND (date <= $3 OR $3 IS NULL)"
                                " AND (date > $4 OR $4 IS NULL) ORDER BY date LIMIT $5");
/* holidays have no id: their cursors carry the date as key and this as id */
static const char NO_ID[] = "00000000-0000-0000-0000-000000000000";

static json_t *holiday_json(req_t *r, const db_result_t *res, int row)
{
    return json_pack("{s:s,s:s,s:s}", "date", db_get(res, row, 0), "name", db_get(res, row, 1), "createdAt",
                     iso_time(&r->arena, db_get_int(res, row, 2)));
}

int holidays_create(req_t *r)
{
    static const char *const fields[] = {"date", "name", NULL};
    const char *date = NULL, *name = NULL;
    body_only_fields(r, fields);
    body_date(r, "date", 1, &date);
    body_string(r, "name", 1, 1, 100, &name);
    if (res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (acad_lock_calendar(r, db, 1) != 0) {
        db_rollback(db);
        return -1;
    }
    if (db_exec(db, &Q_HOL_MARKED, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(date)), &r->arena, &res) != 0)
        return acad_write_failed(r, db, NULL, NULL, NULL);
    if (res.nrows > 0) {
        db_rollback(db);
        return res_fail(r, ERR_CONFLICT,
                        "Registers were marked on %s (class %s, and maybe others); it cannot become a holiday.", date,
                        db_get(&res, 0, 0));
    }
    if (db_exec(db, &Q_HOL_INSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(date), DB_TEXT(name), DB_INT(clock_wall_ms())), &r->arena,
                NULL) != 0 ||
        db_commit(db) != 0)
        return acad_write_failed(r, db, "date", arena_printf(&r->arena, "%s is already a holiday", date), NULL);
    if (db_exec(db, &Q_HOL_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(date)), &r->arena, &res) != 0)
        return db_fail(r, db);
    res_header(r, "location", arena_printf(&r->arena, "/api/v1/holidays/%s", date));
    return res_json(r, 201, holiday_json(r, &res, 0));
}

int holidays_list(req_t *r)
{
    page_t page;
    if (page_read(r, &page) != 0)
        return -1;
    const char *from = acad_query_date(r, "from", 0), *to = acad_query_date(r, "to", 0);
    if (from != NULL && to != NULL && strcmp(to, from) < 0)
        res_field_error(r, "to", "must not be before from");
    if (page.has_cursor && !valid_date(page.key))
        return res_fail(r, ERR_MALFORMED, "The cursor is not one this server issued.");
    if (res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_HOL_LIST,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(from), DB_TEXT(to), page_key_arg(r, &page, 0),
                        DB_INT(page.limit + 1)),
                &r->arena, &res) != 0)
        return db_fail(r, db);
    json_t *items = json_array();
    int n = res.nrows > page.limit ? page.limit : res.nrows;
    for (int i = 0; i < n; i++)
        if (json_array_append_new(items, holiday_json(r, &res, i)) != 0) {
            json_decref(items);
            return res_fail(r, ERR_INTERNAL, "a holiday could not be rendered (a name that is not UTF-8?)");
        }
    /* holidays are keyed by date alone: the cursor's id part is a fixed placeholder */
    const char *next = res.nrows > page.limit ? page_cursor(&r->arena, db_get(&res, n - 1, 0), NO_ID) : NULL;
    if (res.nrows > page.limit && next == NULL) {
        json_decref(items);
        return res_fail(r, ERR_INTERNAL, "a holiday cursor could not be made");
    }
    return res_json(r, 200, page_result(items, next));
}

/* The date of /holidays/{date}; 404 when it is not a date. */
static const char *holiday_param(req_t *r)
{
    const char *date = req_param(r, 0);
    if (date == NULL || !valid_date(date)) {
        res_fail(r, ERR_NOT_FOUND, "No such holiday.");
        return NULL;
    }
    return date;
}

int holidays_get(req_t *r)
{
    const char *date = holiday_param(r);
    if (date == NULL)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_HOL_GET, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(date)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.nrows == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such holiday.");
    return res_json(r, 200, holiday_json(r, &res, 0));
}

int holidays_delete(req_t *r)
{
    const char *date = holiday_param(r);
    if (date == NULL)
        return -1;
    db_t *db = req_db(r);
    db_result_t res;
    if (db_exec(db, &Q_HOL_DELETE, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(date)), &r->arena, &res) != 0)
        return db_fail(r, db);
    if (res.changes == 0)
        return res_fail(r, ERR_NOT_FOUND, "No such holiday.");
    return res_empty(r, 204);
}

/* ------------------------------------------------------------------ school days */

#define SCHOOL_DAYS_MAX 400

static stmt_t Q_CAL_TERMS = STMT("calendar.terms", STMT_READ,
                                 "SELECT start_date, end_date, weekdays FROM terms WHERE tenant_id = $1"
                                 " AND start_date <= $3 AND end_date >= $2");
static stmt_t Q_CAL_HOLIDAYS = STMT("calendar.holidays", STMT_READ,
                                    "SELECT date FROM holidays WHERE tenant_id = $1 AND date >= $2 AND date <= $3"
                                    " ORDER BY date");

int calendar_school_days(req_t *r)
{
    const char *from = acad_query_date(r, "from", 1), *to = acad_query_date(r, "to", 1);
    cal_day_t a = 0, b = 0;
    if (from != NULL && to != NULL) {
        cal_parse(from, &a);
        cal_parse(to, &b);
        if (b < a)
            res_field_error(r, "to", "must not be before from");
        else if (cal_range_days(a, b) > SCHOOL_DAYS_MAX)
            res_field_error(r, "to", "the range may span at most %d days", SCHOOL_DAYS_MAX);
    }
    if (res_check_fields(r) != 0)
        return -1;
    db_t *db = req_db(r);
    db_result_t terms, hols;
    if (db_exec(db, &Q_CAL_TERMS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(from), DB_TEXT(to)), &r->arena, &terms) !=
            0 ||
        db_exec(db, &Q_CAL_HOLIDAYS, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(from), DB_TEXT(to)), &r->arena,
                &hols) != 0)
        return db_fail(r, db);
    cal_term_t *t = arena_calloc(&r->arena, sizeof(*t) * (size_t)(terms.nrows + 1));
    cal_day_t *h = arena_calloc(&r->arena, sizeof(*h) * (size_t)(hols.nrows + 1));
    for (int i = 0; i < terms.nrows; i++) {
        if (cal_parse(db_get(&terms, i, 0), &t[i].start) != 0 || cal_parse(db_get(&terms, i, 1), &t[i].end) != 0)
            return res_fail(r, ERR_INTERNAL, NULL);
        t[i].weekdays = (unsigned)db_get_int(&terms, i, 2);
    }
    for (int i = 0; i < hols.nrows; i++)
        if (cal_parse(db_get(&hols, i, 0), &h[i]) != 0)
            return res_fail(r, ERR_INTERNAL, NULL);
    cal_calendar_t c = {t, (size_t)terms.nrows, h, (size_t)hols.nrows};
    cal_day_t days[SCHOOL_DAYS_MAX];
    size_t n = cal_school_days(&c, a, b, days, SCHOOL_DAYS_MAX);
    json_t *list = json_array();
    char s[CAL_DATE_LEN + 1];
    for (size_t i = 0; i < n && i < SCHOOL_DAYS_MAX; i++) {
        cal_format(days[i], s);
        if (json_array_append_new(list, json_string(s)) != 0) {
            json_decref(list);
            return res_fail(r, ERR_INTERNAL, NULL);
        }
    }
    return res_json(r, 200,
                    json_pack("{s:s,s:s,s:I,s:o}", "from", from, "to", to, "count", (json_int_t)n, "days", list));
}
