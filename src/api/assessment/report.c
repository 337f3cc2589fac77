/*
 * report.c - report-card remarks (PUT /students/{id}/remarks/{termId}) and a
 * student's report card of a term as JSON (GET
 * /students/{id}/report-cards/{termId}): the school, the student, their class
 * and class teacher, the term, the grades per subject with the subject
 * teacher's remark, the class teacher's remark, the overall average and GPA,
 * and the attendance of the term.
 *
 * Remarks: the class teacher's (subjectId absent) by a class teacher of a
 * class the student is enrolled in during the term, a subject's by a teacher
 * of that subject in such a class, or by admins; after publication admins
 * only (409). The last writer wins; every change is audited with the old and
 * new text. Students and parents see a report card once the term is published
 * (404 before: there is none yet). The same card as a PDF page (GET
 * /students/{id}/report-cards/{termId}/pdf) is drawn by reports/card.h, a
 * draft (term not published) with a "Draft" watermark; report_card.h shares
 * the loader with the class's job.
 */
#include "api/assessment/assessment.h"
#include "api/assessment/assessment_int.h"
#include "api/assessment/report_card.h"

#include <string.h>

#include "api/common.h"
#include "api/validate.h"
#include "auth/audit.h"
#include "auth/audit_queue.h"
#include "auth/policy.h"
#include "auth/roles.h"
#include "core/clock.h"
#include "domain/attendance.h"
#include "reports/card.h"

#define REMARK_MAX 2000
#define AUDIT_TEXT 120 /* characters of a remark in an audit event */

static stmt_t Q_STUDENT = STMT("report.student", STMT_READ,
                               "SELECT id, admission_no, first_name, last_name FROM students WHERE tenant_id = $1"
                               " AND id = $2 AND deleted_at IS NULL");
static stmt_t Q_TERM = STMT("report.term", STMT_READ,
                            "SELECT id, name, start_date, end_date FROM terms WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_SUBJECT = STMT("report.subject", STMT_READ, "SELECT id FROM subjects WHERE tenant_id = $1 AND id = $2");
#define OVERLAP                                                                                                        \
    " JOIN academic_years y ON y.tenant_id = e.tenant_id AND y.id = e.academic_year_id"                               \
    " WHERE e.tenant_id = $1 AND e.student_id = $2 AND e.start_date <= $4 AND COALESCE(e.end_date, y.end_date) >= $3"
/* the caller is the class teacher of a class the student is in during the term ($3..$4), user $5 */
static stmt_t Q_CLASS_TEACHER = STMT("report.class_teacher", STMT_ACCESS,
                                     "SELECT 1 FROM enrollments e"
                                     " JOIN classes c ON c.tenant_id = e.tenant_id AND c.id = e.class_id"
                                     " JOIN teachers t ON t.tenant_id = c.tenant_id AND t.id = c.class_teacher_id" OVERLAP
                                     " AND t.user_id = $5 AND t.status = 'active'");
/* … teaches subject $6 in such a class */
static stmt_t Q_SUBJECT_TEACHER = STMT("report.subject_teacher", STMT_ACCESS,
                                       "SELECT 1 FROM enrollments e"
                                       " JOIN class_subjects cs ON cs.tenant_id = e.tenant_id AND cs.class_id = e.class_id"
                                       " JOIN teachers t ON t.tenant_id = cs.tenant_id AND t.id = cs.teacher_id" OVERLAP
                                       " AND t.user_id = $5 AND t.status = 'active' AND cs.subject_id = $6");
static stmt_t Q_CLASS = STMT("report.class", STMT_READ,
                             "SELECT c.id, c.name, t.first_name, t.last_name FROM enrollments e"
                             " JOIN classes c ON c.tenant_id = e.tenant_id AND c.id = e.class_id"
                             " LEFT JOIN teachers t ON t.tenant_id = c.tenant_id AND t.id = c.class_teacher_id" OVERLAP
                             " ORDER BY e.start_date DESC, e.id LIMIT 1");
static stmt_t Q_SCHOOL = STMT("report.school", STMT_READ, "SELECT name FROM tenants WHERE id = $1");
static stmt_t Q_PAPER = STMT("report.paper", STMT_READ, "SELECT paper_size FROM tenants WHERE id = $1");
/* the students of class $2 enrolled on a day of the term ($3..$4), by name */
static stmt_t Q_ROSTER = STMT("report.roster", STMT_READ,
                              "SELECT DISTINCT s.id, s.last_name, s.first_name FROM enrollments e"
                              " JOIN academic_years y ON y.tenant_id = e.tenant_id AND y.id = e.academic_year_id"
                              " JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id"
                              " WHERE e.tenant_id = $1 AND e.class_id = $2 AND e.start_date <= $4"
                              " AND COALESCE(e.end_date, y.end_date) >= $3 AND s.deleted_at IS NULL"
                              " ORDER BY s.last_name, s.first_name, s.id");
static stmt_t Q_ATTENDANCE = STMT("report.attendance", STMT_READ,
                                  "SELECT status, COUNT(*) FROM attendance WHERE tenant_id = $1 AND student_id = $2"
                                  " AND date >= $3 AND date <= $4 GROUP BY status");
static stmt_t Q_CLASS_REMARK = STMT("report.class_remark", 0,
                                    "SELECT remark FROM class_remarks WHERE tenant_id = $1 AND term_id = $2"
                                    " AND student_id = $3");
static stmt_t Q_SUBJECT_REMARK = STMT("report.subject_remark", 0,
                                      "SELECT remark FROM subject_remarks WHERE tenant_id = $1 AND term_id = $2"
                                      " AND student_id = $3 AND subject_id = $4");
static stmt_t Q_SUBJECT_REMARKS = STMT("report.subject_remarks", STMT_READ,
                                       "SELECT subject_id, remark FROM subject_remarks WHERE tenant_id = $1"
                                       " AND term_id = $2 AND student_id = $3");
static stmt_t Q_PUT_CLASS_REMARK =
    STMT("report.put_class_remark", 0,
         "INSERT INTO class_remarks (tenant_id, term_id, student_id, remark, author_id, updated_at)"
         " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, term_id, student_id) DO UPDATE SET"
         " remark = excluded.remark, author_id = excluded.author_id, version = class_remarks.version + 1,"
         " updated_at = excluded.updated_at");
static stmt_t Q_PUT_SUBJECT_REMARK =
    STMT("report.put_subject_remark", 0,
         "INSERT INTO subject_remarks (tenant_id, term_id, student_id, subject_id, remark, author_id, updated_at)"
         " VALUES ($1, $2, $3, $7, $4, $5, $6) ON CONFLICT (tenant_id, term_id, student_id, subject_id) DO UPDATE"
         " SET remark = excluded.remark, author_id = excluded.author_id, version = subject_remarks.version + 1,"
         " updated_at = excluded.updated_at");

/* The student (readable by the caller) and term of the path into st and term: 0, or -1 answered (404). */
static int load_args(req_t *r, db_result_t *st, db_result_t *term)
{
    const char *sid = req_param(r, 0), *tid = req_param(r, 1);
    if (require_id(r, sid) != 0 || require_id(r, tid) != 0)
        return -1;
    db_t *db = req_db(r);
    if (db_exec(db, &Q_STUDENT, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(sid)), &r->arena, st) != 0)
        return db_fail(r, db);
    int may = st->nrows == 1 ? policy_can_read_student(r, sid) : 0;
    if (may <= 0)
        return may < 0 ? -1 : policy_hidden(r, "student");
    if (db_exec(db, &Q_TERM, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(tid)), &r->arena, term) != 0)
        return db_fail(r, db);
    return term->nrows == 1 ? 0 : res_fail(r, ERR_NOT_FOUND, "No such term.");
}

/* Whether the caller may write the remark (admin; the class teacher; a teacher of the subject): 1, 0, -1. */
static int may_remark(req_t *r, const char *sid, const db_result_t *term, const char *subject)
{
    if (r->auth.roles & ROLE_ADMIN)
        return 1;
    db_t *db = req_db(r);
    db_result_t res;
    db_arg_t args[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(sid), DB_TEXT(db_get(term, 0, 2)),
                       DB_TEXT(db_get(term, 0, 3)), DB_TEXT(r->auth.user_id), DB_TEXT(subject)};
    if (db_exec(db, subject != NULL ? &Q_SUBJECT_TEACHER : &Q_CLASS_TEACHER, args, subject != NULL ? 6 : 5, &r->arena,
                &res) != 0)
        return db_fail(r, db);
    return res.nrows > 0;
}

typedef struct remarking {
    req_t *r;
    const char *sid, *term, *subject, *remark;
    int locked;
} remarking_t;

static const char *clip(req_t *r, const char *s)
{
    if (s == NULL)
        return "-";
    return strlen(s) <= AUDIT_TEXT ? s : arena_printf(&r->arena, "%.*s…", AUDIT_TEXT, s);
}

static int remark_in_tx(db_t *db, void *ctx)
{
    remarking_t *rm = ctx;
    req_t *r = rm->r;
    int published = asm_published(r, db, rm->term);
    if (published < 0)
        return -1;
    if (published && !(r->auth.roles & ROLE_ADMIN)) {
        rm->locked = 1;
        res_fail(r, ERR_CONFLICT, "The term's grades are published: only an admin may change remarks now.");
        return 1;
    }
    db_result_t old;
    db_arg_t args[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(rm->term), DB_TEXT(rm->sid), DB_TEXT(rm->subject)};
    if (db_exec(db, rm->subject ? &Q_SUBJECT_REMARK : &Q_CLASS_REMARK, args, rm->subject ? 4 : 3, &r->arena, &old) != 0)
        return -1;
    db_arg_t put[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(rm->term),    DB_TEXT(rm->sid),        DB_TEXT(rm->remark),
                      DB_TEXT(r->auth.user_id),   DB_INT(clock_wall_ms()), DB_TEXT(rm->subject)};
    if (db_exec(db, rm->subject ? &Q_PUT_SUBJECT_REMARK : &Q_PUT_CLASS_REMARK, put, rm->subject ? 7 : 6, &r->arena,
                NULL) != 0)
        return -1;
    const char *before = old.nrows ? db_get(&old, 0, 0) : NULL;
    return asm_audit(r, db, "remark.update", "student", rm->sid,
                     arena_printf(&r->arena, "term %s%s%s: %s -> %s", rm->term, rm->subject ? ", subject " : "",
                                  rm->subject ? rm->subject : "", clip(r, before), clip(r, rm->remark)));
}

int student_remarks_put(req_t *r)
{
    static const char *const fields[] = {"subjectId", "remark", NULL};
    db_result_t st, term;
    if (load_args(r, &st, &term) != 0)
        return -1;
    remarking_t rm = {r, db_get(&st, 0, 0), db_get(&term, 0, 0), NULL, NULL, 0};
    body_only_fields(r, fields);
    rm.subject = body_id(r, "subjectId", 0);
    body_string(r, "remark", 1, 1, REMARK_MAX, &rm.remark);
    if (res_check_fields(r) != 0)
        return -1;
    if (rm.subject != NULL && school_ref(r, &Q_SUBJECT, rm.subject, "subject", "subjectId", NULL) != 1)
        return -1;
    int rc = may_remark(r, rm.sid, &term, rm.subject);
    if (rc <= 0)
        return rc < 0 ? -1
                      : res_fail(r, ERR_FORBIDDEN, rm.subject ? "Only the subject's teachers of the student (and admins) may."
                                                              : "Only the student's class teacher (and admins) may.");
    db_t *db = req_db(r);
    if (db_transaction(db, remark_in_tx, &rm) != 0)
        return rm.locked || r->err.code != ERR_NONE ? -1 : db_fail(r, db);
    return res_json(r, 200,
                    json_pack("{s:s,s:s,s:o,s:s,s:s}", "studentId", rm.sid, "termId", rm.term, "subjectId",
                              rm.subject ? json_string(rm.subject) : json_null(), "remark", rm.remark, "authorId",
                              r->auth.user_id));
}

/* ---------------------------------------------------------------- the report card */

static json_t *attendance_json(const db_result_t *res)
{
    int n[ATT_NSTATUS] = {0};
    for (int i = 0; i < res->nrows; i++) {
        int s = att_status_parse(db_get(res, i, 0));
        if (s >= 0)
            n[s] = (int)db_get_int(res, i, 1);
    }
    att_counts_t c;
    att_day_counts(0, n, &c);
    double rate;
    return json_pack("{s:i,s:i,s:i,s:i,s:i,s:o}", "present", n[ATT_PRESENT], "absent", n[ATT_ABSENT], "late",
                     n[ATT_LATE], "excused", n[ATT_EXCUSED], "marked", att_marked(&c), "rate",
                     att_rate(&c, &rate) == 0 ? json_real(rate) : json_null());
}

static json_t *class_json(const db_result_t *c)
{
    if (c->nrows == 0)
        return json_null();
    json_t *teacher = db_is_null(c, 0, 2) ? json_null()
                                          : json_sprintf("%s %s", db_get(c, 0, 2), db_get(c, 0, 3));
    return json_pack("{s:s,s:s,s:o}", "id", db_get(c, 0, 0), "name", db_get(c, 0, 1), "classTeacher", teacher);
}

/* Adds each subject's remark ("remark": text or null) to the grades' subjects. */
static void add_remarks(json_t *grades, const db_result_t *remarks)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(grades, "subjects"), i, s)
    {
        const char *id = json_string_value(json_object_get(s, "subjectId")), *text = NULL;
        for (int k = 0; k < remarks->nrows && text == NULL; k++)
            if (id != NULL && strcmp(db_get(remarks, k, 0), id) == 0)
                text = db_get(remarks, k, 1);
        json_object_set_new(s, "remark", text != NULL ? json_string(text) : json_null());
    }
}

/* The report card of student st (Q_STUDENT's row) for term (Q_TERM's) as JSON; NULL after a database error. */
static json_t *card_build(req_t *r, db_t *db, const db_result_t *st, const db_result_t *term, int published)
{
    db_result_t cls, school, att, remarks, class_remark;
    const char *sid = db_get(st, 0, 0), *tid = db_get(term, 0, 0);
    db_arg_t span[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(sid), DB_TEXT(db_get(term, 0, 2)),
                       DB_TEXT(db_get(term, 0, 3))};
    db_arg_t key[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(tid), DB_TEXT(sid)};
    if (db_exec(db, &Q_CLASS, span, 4, &r->arena, &cls) != 0 ||
        db_exec(db, &Q_SCHOOL, DB_ARGS(DB_TEXT(r->auth.tenant_id)), &r->arena, &school) != 0 ||
        db_exec(db, &Q_ATTENDANCE, span, 4, &r->arena, &att) != 0 ||
        db_exec(db, &Q_SUBJECT_REMARKS, key, 3, &r->arena, &remarks) != 0 ||
        db_exec(db, &Q_CLASS_REMARK, key, 3, &r->arena, &class_remark) != 0)
        return NULL;
    json_t *doc = asm_grades_json(r, db, sid, tid);
    if (doc == NULL)
        return NULL;
    add_remarks(doc, &remarks);
    doc = json_with(doc, "school", json_pack("{s:s}", "name", db_get(&school, 0, 0)));
    doc = json_with(doc, "student", json_pack("{s:s,s:s,s:s,s:s}", "id", sid, "admissionNo", db_get(st, 0, 1),
                                              "firstName", db_get(st, 0, 2), "lastName", db_get(st, 0, 3)));
    doc = json_with(doc, "class", class_json(&cls));
    doc = json_with(doc, "term", json_pack("{s:s,s:s,s:s,s:s}", "id", tid, "name", db_get(term, 0, 1), "startDate",
                                           db_get(term, 0, 2), "endDate", db_get(term, 0, 3)));
    doc = json_with(doc, "published", json_boolean(published));
    doc = json_with(doc, "classTeacherRemark",
                    class_remark.nrows ? json_string(db_get(&class_remark, 0, 0)) : json_null());
    return json_with(doc, "attendance", attendance_json(&att));
}

int report_card_load(req_t *r, db_t *db, const char *sid, const char *tid, json_t **out)
{
    db_result_t st, term;
    if (db_exec(db, &Q_STUDENT, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(sid)), &r->arena, &st) != 0 ||
        db_exec(db, &Q_TERM, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(tid)), &r->arena, &term) != 0)
        return -1;
    if (st.nrows != 1 || term.nrows != 1)
        return 1;
    int published = asm_published(r, db, tid);
    if (published < 0)
        return -1;
    *out = card_build(r, db, &st, &term, published);
    return *out != NULL ? 0 : -1;
}

int report_card_roster(req_t *r, db_t *db, const char *class_id, const char *tid, db_result_t *students)
{
    db_result_t term;
    if (db_exec(db, &Q_TERM, DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(tid)), &r->arena, &term) != 0)
        return -1;
    if (term.nrows != 1)
        return 1;
    db_arg_t args[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(class_id), DB_TEXT(db_get(&term, 0, 2)),
                       DB_TEXT(db_get(&term, 0, 3))};
    return db_exec(db, &Q_ROSTER, args, 4, &r->arena, students) != 0 ? -1 : 0;
}

int report_card_paper(req_t *r, db_t *db, int *letter)
{
    db_result_t res;
    if (db_exec(db, &Q_PAPER, DB_ARGS(DB_TEXT(r->auth.tenant_id)), &r->arena, &res) != 0)
        return -1;
    *letter = res.nrows == 1 && strcmp(db_get(&res, 0, 0), "Letter") == 0;
    return 0;
}

/* The student and term of the path, readable by the caller, with the term's publication: 0, or -1 answered. */
static int card_args(req_t *r, db_result_t *st, db_result_t *term, int *published)
{
    if (load_args(r, st, term) != 0)
        return -1;
    db_t *db = req_db(r);
    const char *sid = db_get(st, 0, 0), *tid = db_get(term, 0, 0);
    *published = asm_published(r, db, tid);
    if (*published < 0)
        return -1;
    if (!*published && !(r->auth.roles & (ROLE_ADMIN | ROLE_STAFF | ROLE_TEACHER)))
        return res_fail(r, ERR_NOT_FOUND, "No report card: the term's grades are not published yet.");
    return audit_caller(db, r, "reportCard.read", "student", sid, tid) != 0 ? db_fail(r, db) : 0;
}

int student_report_card(req_t *r)
{
    db_result_t st, term;
    int published;
    if (card_args(r, &st, &term, &published) != 0)
        return -1;
    db_t *db = req_db(r);
    json_t *doc = card_build(r, db, &st, &term, published);
    return doc != NULL ? res_json(r, 200, doc) : db_fail(r, db);
}

int student_report_card_pdf(req_t *r)
{
    db_result_t st, term;
    int published, letter;
    if (card_args(r, &st, &term, &published) != 0)
        return -1;
    db_t *db = req_db(r);
    json_t *doc = card_build(r, db, &st, &term, published);
    if (doc == NULL || report_card_paper(r, db, &letter) != 0) {
        json_decref(doc);
        return db_fail(r, db);
    }
    sbuf_t pdf;
    sbuf_init(&pdf, &r->arena, 32 * 1024);
    char err[160];
    int rc = card_pdf((const json_t *const *)&doc, 1, letter, !published, &pdf, err, sizeof(err));
    json_decref(doc);
    if (rc != 0)
        return res_fail(r, ERR_INTERNAL, "the report card could not be drawn: %s", err);
    res_header(r, "content-disposition",
               arena_printf(&r->arena, "inline; filename=\"report-card-%s.pdf\"", db_get(&st, 0, 1)));
    return res_body(r, 200, "application/pdf", pdf.p, pdf.len);
}
