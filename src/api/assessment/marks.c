/*
 * marks.c - an assessment's mark sheet: PUT the marks of some or all of its
 * class's students in one request, GET the sheet.
 *
 * Like attendance, a request is a few statements whatever the size of the
 * class: the roster is one join (students enrolled in the class on the
 * assessment's date, with their marks), the marks one upsert of a JSON array.
 * Concurrency: the last writer wins per student (a sheet is a set of
 * independent cells; two teachers saving different students both keep
 * theirs), and every change is audited with its old and new value, so nothing
 * is lost unseen. Sending the same sheet again changes nothing.
 */
#include "api/assessment/assessment.h"
#include "api/assessment/assessment_int.h"

#include <stdlib.h>
#include <string.h>

#include "api/common.h"
#include "api/validate.h"
#include "auth/roles.h"
#include "core/clock.h"
#include "core/sbuf.h"
#include "domain/grading.h"

#define MAX_MARKS 2000
#define COMMENT_MAX 1000
#define AUDIT_CHANGES 40 /* changes named in an audit event's detail (the count is always complete) */

#define JOIN_YEAR " JOIN academic_years y ON y.tenant_id = e.tenant_id AND y.id = e.academic_year_id"
enum { R_ID, R_ADMISSION, R_FIRST, R_LAST, R_STATUS, R_MARK, R_COMMENT, R_BY, R_AT };
/* the students enrolled in class $2 on $3 (the assessment's date) with their results of assessment $4 */
static stmt_t Q_ROSTER = STMT("marks.roster", STMT_READ,
                              "SELECT s.id, s.admission_no, s.first_name, s.last_name, m.status, m.mark, m.comment,"
                              " m.marked_by, m.marked_at FROM enrollments e"
                              " JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id" JOIN_YEAR
                              " LEFT JOIN assessment_marks m ON m.tenant_id = e.tenant_id AND m.assessment_id = $4"
                              " AND m.student_id = e.student_id"
                              " WHERE e.tenant_id = $1 AND e.class_id = $2 AND e.start_date <= $3"
                              " AND COALESCE(e.end_date, y.end_date) >= $3 AND s.deleted_at IS NULL"
                              " ORDER BY s.last_name, s.first_name, s.id");
#define UPSERT_SET                                                                                                     \
    " ON CONFLICT (tenant_id, assessment_id, student_id) DO UPDATE SET status = excluded.status,"                      \
    " mark = excluded.mark, comment = excluded.comment, marked_by = excluded.marked_by,"                             \
    " marked_at = excluded.marked_at"
static stmt_t Q_UPSERT =
    STMT2("marks.upsert", 0,
          "INSERT INTO assessment_marks (tenant_id, assessment_id, student_id, status, mark, comment, marked_by,"
          " marked_at) SELECT $1, $2, json_extract(m.value, '$.student_id'), json_extract(m.value, '$.status'),"
          " json_extract(m.value, '$.mark'), json_extract(m.value, '$.comment'), $3, $4 FROM json_each($5) AS m"
          " WHERE true" UPSERT_SET
          " WHERE assessment_marks.status IS NOT excluded.status OR assessment_marks.mark IS NOT excluded.mark"
          " OR assessment_marks.comment IS NOT excluded.comment",
          "INSERT INTO assessment_marks (tenant_id, assessment_id, student_id, status, mark, comment, marked_by,"
          " marked_at) SELECT $1::uuid, $2::uuid, m.student_id, m.status, m.mark, m.comment, $3::uuid, $4::bigint"
          " FROM json_to_recordset($5::json) AS m(student_id uuid, status text, mark integer, comment text)"
          UPSERT_SET
          " WHERE assessment_marks.status IS DISTINCT FROM excluded.status"
          " OR assessment_marks.mark IS DISTINCT FROM excluded.mark"
          " OR assessment_marks.comment IS DISTINCT FROM excluded.comment");

typedef struct mark_in {
    const char *student_id;
    int status;     /* GRADE_MARK, GRADE_ABSENT, … */
    int64_t mark;   /* hundredths with GRADE_MARK */
    const char *comment;
    int index;
} mark_in_t;

static int by_student(const void *a, const void *b)
{
    return strcmp(((const mark_in_t *)a)->student_id, ((const mark_in_t *)b)->student_id);
}

static const char *status_name(int status)
{
    return status == GRADE_MARK ? "mark" : grade_status_names[status - GRADE_ABSENT];
}

typedef struct marks_in {
    mark_in_t *m;
    int64_t max;
} marks_in_t;

/* Reads marks[i] (r->json) into its slot (errors on "mark", "status", …; body_array() prefixes them). */
static void read_mark(req_t *r, size_t i, void *ctx)
{
    static const char *const fields[] = {"studentId", "mark", "status", "comment", NULL};
    marks_in_t *in = ctx;
    mark_in_t *m = &in->m[i];
    body_only_fields(r, fields);
    m->student_id = body_id(r, "studentId", 1);
    json_t *mark = json_object_get(r->json, "mark");
    int st = -1, has_mark = mark != NULL && !json_is_null(mark);
    if (body_enum(r, "status", 0, grade_status_names, &st) == 1)
        m->status = GRADE_ABSENT + st;
    if (has_mark && m->status >= 0)
        res_field_error(r, "mark", "must be left out (or null) with status %s", grade_status_names[st]);
    else if (!has_mark && m->status < 0 && json_object_get(r->json, "status") == NULL)
        res_field_error(r, "mark", "is required (or a status: absent, excused, exempt)");
    else if (has_mark && asm_hundredths(r, "mark", mark, in->max, &m->mark) == 1)
        m->status = GRADE_MARK;
    if (body_string(r, "comment", 0, 0, COMMENT_MAX, &m->comment) == 1 && m->comment[0] == '\0')
        m->comment = NULL;
}

static int read_marks(req_t *r, int64_t max, mark_in_t **out, int *count)
{
    static const char *const fields[] = {"marks", NULL};
    body_only_fields(r, fields);
    json_t *arr = json_object_get(r->json, "marks");
    size_t cap = json_is_array(arr) ? json_array_size(arr) : 0;
    marks_in_t in = {arena_calloc(&r->arena, sizeof(mark_in_t) * (cap + 1)), max};
    for (size_t i = 0; i < cap; i++) {
        in.m[i].index = (int)i;
        in.m[i].status = -1;
    }
    int n = body_array(r, "marks", 1, MAX_MARKS, "{studentId, mark, status, comment}", read_mark, &in);
    if (n < 0 || r->err.nfields > 0)
        return -1;
    mark_in_t *m = in.m;
    qsort(m, (size_t)n, sizeof(*m), by_student);
    for (int i = 1; i < n; i++)
        if (strcmp(m[i].student_id, m[i - 1].student_id) == 0)
            res_field_error(r, arena_printf(&r->arena, "marks[%d].studentId", m[i].index),
                            "marks the same student as marks[%d]", m[i - 1].index);
    *out = m;
    *count = n;
    return r->err.nfields > 0 ? -1 : 0;
}

/* A result as the sheet shows it: {status, mark, comment, markedById, markedAt}, or null when unmarked. */
static json_t *result_json(req_t *r, const db_result_t *res, int row)
{
    if (db_is_null(res, row, R_STATUS))
        return json_null();
    const char *comment = db_get(res, row, R_COMMENT);
    return json_pack("{s:s,s:o,s:o,s:s,s:s}", "status", db_get(res, row, R_STATUS), "mark",
                     db_is_null(res, row, R_MARK) ? json_null() : asm_number(db_get_int(res, row, R_MARK)), "comment",
                     comment != NULL ? json_string(comment) : json_null(), "markedById", db_get(res, row, R_BY),
                     "markedAt", iso_time(&r->arena, db_get_int(res, row, R_AT)));
}

static json_t *sheet_json(req_t *r, const db_result_t *a, const db_result_t *roster, int published)
{
    json_t *items = json_array();
    for (int i = 0; i < roster->nrows; i++)
        items = json_push(items, json_pack("{s:s,s:s,s:s,s:s,s:o}", "studentId", db_get(roster, i, R_ID),
                                           "admissionNo", db_get(roster, i, R_ADMISSION), "firstName",
                                           db_get(roster, i, R_FIRST), "lastName", db_get(roster, i, R_LAST),
                                           "result", result_json(r, roster, i)));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:b,s:o}", "assessmentId", db_get(a, 0, ASM_ID), "classId",
                     db_get(a, 0, ASM_CLASS), "subjectId", db_get(a, 0, ASM_SUBJECT), "termId", db_get(a, 0, ASM_TERM),
                     "name", db_get(a, 0, ASM_NAME), "date", db_get(a, 0, ASM_DATE), "maxMarks",
                     asm_number(db_get_int(a, 0, ASM_MAX)), "state", db_get(a, 0, ASM_STATE), "published", published,
                     "items", items);
}

typedef struct marking {
    req_t *r;
    const db_result_t *a;
    mark_in_t *marks;
    int nmarks;
    int rejected; /* students not enrolled: 422 */
    json_t *sheet;
} marking_t;

/* The value of a row as the audit writes it: "17.5", "absent", "-" (none). */
static const char *cell_text(req_t *r, const char *status, const char *mark)
{
    if (status == NULL)
        return "-";
    if (strcmp(status, "mark") != 0)
        return status;
    long long h = atoll(mark);
    return arena_printf(&r->arena, "%lld.%02lld", h / 100, h % 100);
}

/* Checks every student against the roster; builds the audit detail of the changes into *detail. */
static void compare(marking_t *mk, const db_result_t *roster, sbuf_t *detail, int *changes)
{
    req_t *r = mk->r;
    int row = 0, named = 0;
    /* the roster is by name; look each student up (a class is small: at most a few hundred) */
    for (int i = 0; i < mk->nmarks; i++) {
        const mark_in_t *m = &mk->marks[i];
        for (row = 0; row < roster->nrows && strcmp(db_get(roster, row, R_ID), m->student_id) != 0; row++)
            ;
        if (row == roster->nrows) {
            res_field_error(r, arena_printf(&r->arena, "marks[%d].studentId", m->index),
                            "%s is not enrolled in this class on %s (the assessment's date)", m->student_id,
                            db_get(mk->a, 0, ASM_DATE));
            mk->rejected = 1;
            continue;
        }
        const char *old = cell_text(r, db_get(roster, row, R_STATUS), db_get(roster, row, R_MARK));
        const char *now = m->status == GRADE_MARK ? arena_printf(&r->arena, "%lld.%02lld", (long long)(m->mark / 100),
                                                                 (long long)(m->mark % 100))
                                                  : status_name(m->status);
        const char *old_comment = db_get(roster, row, R_COMMENT);
        int same_comment = (old_comment == NULL && m->comment == NULL) ||
                           (old_comment != NULL && m->comment != NULL && strcmp(old_comment, m->comment) == 0);
        if (strcmp(old, now) == 0 && same_comment)
            continue;
        (*changes)++;
        if (named++ < AUDIT_CHANGES)
            sbuf_printf(detail, "%s%s: %s -> %s%s", named > 1 ? "; " : "", m->student_id, old, now,
                        same_comment ? "" : " (comment)");
    }
    if (mk->rejected)
        r->err.detail = "Some students are not enrolled in the class on the assessment's date. Nothing was saved.";
}

static const char *marks_json(req_t *r, const mark_in_t *m, int n)
{
    sbuf_t b;
    sbuf_init(&b, &r->arena, (size_t)n * 100 + 2);
    sbuf_putc(&b, '[');
    for (int i = 0; i < n; i++) {
        sbuf_printf(&b, "%s{\"student_id\":\"%s\",\"status\":\"%s\",\"mark\":", i ? "," : "", m[i].student_id,
                    status_name(m[i].status));
        if (m[i].status == GRADE_MARK)
            sbuf_printf(&b, "%lld", (long long)m[i].mark);
        else
            sbuf_puts(&b, "null");
        sbuf_puts(&b, ",\"comment\":");
        if (m[i].comment != NULL)
            sbuf_json_str(&b, m[i].comment, strlen(m[i].comment));
        else
            sbuf_puts(&b, "null");
        sbuf_putc(&b, '}');
    }
    sbuf_putc(&b, ']');
    return b.p;
}

static int mark_in_tx(db_t *db, void *ctx)
{
    marking_t *mk = ctx;
    req_t *r = mk->r;
    const db_result_t *a = mk->a;
    if (mk->sheet != NULL) {
        json_decref(mk->sheet);
        mk->sheet = NULL;
    }
    int published = asm_published(r, db, db_get(a, 0, ASM_TERM));
    if (published < 0)
        return -1;
    if (published && !(r->auth.roles & ROLE_ADMIN)) {
        res_fail(r, ERR_CONFLICT, "The term's grades are published: only an admin may change marks now.");
        return 1;
    }
    db_result_t roster;
    db_arg_t key[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(db_get(a, 0, ASM_CLASS)), DB_TEXT(db_get(a, 0, ASM_DATE)),
                      DB_TEXT(db_get(a, 0, ASM_ID))};
    if (db_exec(db, &Q_ROSTER, key, 4, &r->arena, &roster) != 0)
        return -1;
    sbuf_t detail;
    sbuf_init(&detail, &r->arena, 256);
    int changes = 0;
    compare(mk, &roster, &detail, &changes);
    if (mk->rejected)
        return 1;
    if (db_exec(db, &Q_UPSERT,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(db_get(a, 0, ASM_ID)), DB_TEXT(r->auth.user_id),
                        DB_INT(clock_wall_ms()), DB_TEXT(marks_json(r, mk->marks, mk->nmarks))),
                &r->arena, NULL) != 0)
        return -1;
    if (changes > 0 &&
        asm_audit(r, db, published ? "assessment.marks.afterPublication" : "assessment.marks", "assessment",
                  db_get(a, 0, ASM_ID),
                  arena_printf(&r->arena, "%d change%s: %s%s", changes, changes == 1 ? "" : "s", detail.p,
                               changes > AUDIT_CHANGES ? "; …" : "")) != 0)
        return -1;
    if (db_exec(db, &Q_ROSTER, key, 4, &r->arena, &roster) != 0)
        return -1;
    mk->sheet = sheet_json(r, a, &roster, published);
    return 0;
}

int assessment_marks_put(req_t *r)
{
    const char *id = req_param(r, 0);
    db_result_t a;
    if (require_id(r, id) != 0 || asm_load(r, id, &a) != 0)
        return -1;
    int rc = asm_teaches_subject(r, db_get(&a, 0, ASM_CLASS), db_get(&a, 0, ASM_SUBJECT));
    if (rc <= 0)
        return rc < 0 ? -1 : res_fail(r, ERR_FORBIDDEN, "Only the subject's teachers in this class (and admins) may mark it.");
    mark_in_t *marks = NULL;
    int nmarks = 0;
    if (read_marks(r, db_get_int(&a, 0, ASM_MAX), &marks, &nmarks) != 0)
        return res_check_fields(r);
    if (strcmp(db_get(&a, 0, ASM_STATE), "closed") == 0 && !(r->auth.roles & ROLE_ADMIN))
        return res_fail(r, ERR_CONFLICT, "The assessment is closed: only an admin may change its marks.");
    marking_t mk = {r, &a, marks, nmarks, 0, NULL};
    db_t *db = req_db(r);
    if (db_transaction(db, mark_in_tx, &mk) != 0) {
        json_decref(mk.sheet);
        if (mk.rejected)
            return res_check_fields(r);
        return r->err.code != ERR_NONE ? -1 : db_fail(r, db);
    }
    return res_json(r, 200, mk.sheet);
}

int assessment_marks_get(req_t *r)
{
    const char *id = req_param(r, 0);
    db_result_t a, roster;
    if (require_id(r, id) != 0 || asm_load(r, id, &a) != 0)
        return -1;
    db_t *db = req_db(r);
    int published = asm_published(r, db, db_get(&a, 0, ASM_TERM));
    if (published < 0)
        return -1;
    if (db_exec(db, &Q_ROSTER,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(db_get(&a, 0, ASM_CLASS)), DB_TEXT(db_get(&a, 0, ASM_DATE)),
                        DB_TEXT(id)),
                &r->arena, &roster) != 0)
        return db_fail(r, db);
    return res_json(r, 200, sheet_json(r, &a, &roster, published));
}
