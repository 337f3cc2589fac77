/*
 * gradebook.c - GET /classes/{id}/gradebook?subjectId=&termId=: a class's
 * students × the subject's assessments of the term, with each student's
 * results, category percentages and current weighted percentage and grade
 * (domain/grading.h). Four statements whatever the size of the class: the
 * assessments, the category weights, the roster (students enrolled in the
 * class at some time in the term) and every mark of those assessments.
 *
 * The document is the same for everyone the policy admits, so it is cached
 * per class, subject and term (CACHE_GRADEBOOK): every write of what it shows
 * (assessments, marks, weights, scales, a publication, the roster's students
 * and enrollments, the class, subject and term themselves) invalidates it
 * (api/invalidate.c). A hit needs no statement for a caller who sees the
 * whole school and is answered on the event loop.
 */
#include "api/assessment/assessment.h"
#include "api/assessment/assessment_int.h"

#include <ctype.h>
#include <string.h>

#include "api/cached.h"
#include "api/common.h"
#include "api/validate.h"
#include "auth/policy.h"
#include "core/ids.h"
#include "core/strindex.h"

#define BOOK_TTL_MS 300000

static stmt_t Q_CLASS = STMT("gradebook.class", STMT_READ, "SELECT id FROM classes WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_SUBJECT = STMT("gradebook.subject", STMT_READ, "SELECT id FROM subjects WHERE tenant_id = $1 AND id = $2");
static stmt_t Q_TERM = STMT("gradebook.term", STMT_READ,
                            "SELECT id, start_date, end_date FROM terms WHERE tenant_id = $1 AND id = $2");
enum { A_ID, A_NAME, A_CATEGORY, A_DATE, A_MAX, A_WEIGHT, A_STATE };
static stmt_t Q_ASSESSMENTS = STMT("gradebook.assessments", STMT_READ,
                                   "SELECT id, name, category, date, max_marks, weight, state FROM assessments"
                                   " WHERE tenant_id = $1 AND class_id = $2 AND subject_id = $3 AND term_id = $4"
                                   " ORDER BY date, id");
static stmt_t Q_WEIGHTS = STMT("gradebook.weights", STMT_READ,
                               "SELECT subject_id, category, weight FROM grade_category_weights WHERE tenant_id = $1"
                               " AND subject_id = $2 AND term_id = $3 ORDER BY category");
/* the students enrolled in the class at some time in the term ($5..$6) */
static stmt_t Q_ROSTER = STMT("gradebook.roster", STMT_READ,
                              "SELECT DISTINCT s.id, s.admission_no, s.first_name, s.last_name FROM enrollments e"
                              " JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id"
                              " JOIN academic_years y ON y.tenant_id = e.tenant_id AND y.id = e.academic_year_id"
                              " WHERE e.tenant_id = $1 AND e.class_id = $2 AND e.start_date <= $4"
                              " AND COALESCE(e.end_date, y.end_date) >= $3 AND s.deleted_at IS NULL"
                              " ORDER BY s.last_name, s.first_name, s.id");
enum { M_ASSESSMENT, M_STUDENT, M_STATUS, M_MARK };
static stmt_t Q_MARKS = STMT("gradebook.marks", STMT_READ,
                             "SELECT m.assessment_id, m.student_id, m.status, m.mark FROM assessments a"
                             " JOIN assessment_marks m ON m.tenant_id = a.tenant_id AND m.assessment_id = a.id"
                             " WHERE a.tenant_id = $1 AND a.class_id = $2 AND a.subject_id = $3 AND a.term_id = $4");

typedef struct book {
    db_result_t as, w, roster, marks;
    const char *cats[GRADE_MAX_CATEGORIES];
    uint32_t weights[GRADE_MAX_CATEGORIES];
    size_t ncat;
    asm_scale_t scale;
} book_t;

/* The ids of a result column, for a strindex_t. */
static const char **column(req_t *r, const db_result_t *res, int col)
{
    const char **ids = arena_alloc(&r->arena, sizeof(*ids) * (size_t)(res->nrows + 1));
    for (int i = 0; i < res->nrows; i++)
        ids[i] = db_get(res, i, col);
    return ids;
}

/* Row of the marks of (assessment a, student s), or -1: each mark placed by its ids, looked up by hash. */
static int *index_marks(req_t *r, const book_t *b)
{
    int *cell = arena_alloc(&r->arena, sizeof(int) * (size_t)(b->roster.nrows * b->as.nrows + 1));
    for (int i = 0; i < b->roster.nrows * b->as.nrows; i++)
        cell[i] = -1;
    strindex_t students, assessments;
    strindex_init(&students, &r->arena, column(r, &b->roster, 0), b->roster.nrows);
    strindex_init(&assessments, &r->arena, column(r, &b->as, A_ID), b->as.nrows);
    for (int m = 0; m < b->marks.nrows; m++) {
        int s = strindex_find(&students, db_get(&b->marks, m, M_STUDENT));
        int a = strindex_find(&assessments, db_get(&b->marks, m, M_ASSESSMENT));
        if (s >= 0 && a >= 0)
            cell[s * b->as.nrows + a] = m;
    }
    return cell;
}

static json_t *pct_json(const grade_frac_t *f, int counted)
{
    int64_t bp;
    return counted && grade_frac_round(f, 10000, &bp) == 0 ? asm_number(bp) : json_null();
}

/* One student's row: results, category percentages, the weighted percentage and grade. */
static json_t *student_json(req_t *r, const book_t *b, int s, const int *cell)
{
    int na = b->as.nrows;
    grade_item_t *items = arena_calloc(&r->arena, sizeof(*items) * (size_t)(na + 1));
    json_t *results = json_array();
    for (int a = 0; a < na; a++) {
        int m = cell[s * na + a];
        items[a].category = strcmp(db_get(&b->as, a, A_STATE), "draft") == 0
                                ? -1
                                : asm_category(b->cats, b->ncat, db_get(&b->as, a, A_CATEGORY));
        items[a].weight = (uint64_t)db_get_int(&b->as, a, A_WEIGHT);
        items[a].max = db_get_int(&b->as, a, A_MAX);
        items[a].status = m < 0 ? GRADE_UNMARKED : asm_status(db_get(&b->marks, m, M_STATUS));
        items[a].mark = m < 0 || db_is_null(&b->marks, m, M_MARK) ? 0 : db_get_int(&b->marks, m, M_MARK);
        results = json_push(results, m < 0 ? json_null()
                                           : json_pack("{s:s,s:o}", "status", db_get(&b->marks, m, M_STATUS), "mark",
                                                       items[a].status == GRADE_MARK ? asm_number(items[a].mark)
                                                                                     : json_null()));
    }
    grade_frac_t cat[GRADE_MAX_CATEGORIES];
    int counted[GRADE_MAX_CATEGORIES];
    json_t *cats = json_array();
    if (b->ncat > 0 && grade_category_scores(items, (size_t)na, b->ncat, cat, counted) == 0)
        for (size_t c = 0; c < b->ncat; c++)
            cats = json_push(cats, json_pack("{s:s,s:o}", "category", b->cats[c], "percentage",
                                             pct_json(&cat[c], counted[c])));
    int64_t bp = 0;
    int has = grade_percentage(items, (size_t)na, b->ncat ? b->weights : NULL, b->ncat, &bp) == 0;
    const grade_band_t *band = has ? grade_scale_lookup(b->scale.bands, b->scale.n, bp) : NULL;
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "studentId", db_get(&b->roster, s, 0), "admissionNo",
                     db_get(&b->roster, s, 1), "firstName", db_get(&b->roster, s, 2), "lastName",
                     db_get(&b->roster, s, 3), "results", results, "categories", cats, "percentage",
                     has ? asm_number(bp) : json_null(), "grade", band != NULL ? json_string(band->label) : json_null());
}

static json_t *assessments_json(const book_t *b)
{
    json_t *list = json_array();
    for (int a = 0; a < b->as.nrows; a++)
        list = json_push(list, json_pack("{s:s,s:s,s:s,s:s,s:o,s:I,s:s}", "id", db_get(&b->as, a, A_ID), "name",
                                         db_get(&b->as, a, A_NAME), "category", db_get(&b->as, a, A_CATEGORY), "date",
                                         db_get(&b->as, a, A_DATE), "maxMarks", asm_number(db_get_int(&b->as, a, A_MAX)),
                                         "weight", (json_int_t)db_get_int(&b->as, a, A_WEIGHT), "state",
                                         db_get(&b->as, a, A_STATE)));
    return list;
}

static json_t *weights_json(const book_t *b)
{
    json_t *list = json_array();
    for (size_t c = 0; c < b->ncat; c++)
        list = json_push(list, json_pack("{s:s,s:i}", "category", b->cats[c], "weight", (int)b->weights[c]));
    return list;
}

/*
 * The class, subject and term of the request, checked (404 naming the
 * parameter, 422); the policy too unless the caller already passed it.
 */
static int read_args(req_t *r, int admitted, const char **cls, const char **subject, const char **term, db_result_t *t)
{
    *cls = req_param(r, 0);
    if (require_id(r, *cls) != 0 || school_ref(r, &Q_CLASS, *cls, "class", NULL, NULL) != 1)
        return -1;
    if (!admitted && !policy_sees_school(r)) {
        int rc = policy_teaches_class(r, *cls);
        if (rc <= 0)
            return rc < 0 ? -1 : policy_hidden(r, "class");
    }
    *subject = query_id(r, "subjectId", 1);
    *term = query_id(r, "termId", 1);
    if (res_check_fields(r) != 0)
        return -1;
    if (school_ref(r, &Q_SUBJECT, *subject, "subject", "subjectId", NULL) != 1 ||
        school_ref(r, &Q_TERM, *term, "term", "termId", t) != 1)
        return -1;
    return 0;
}

/* The gradebook from the database as r's response. */
static int load_book(req_t *r, int admitted)
{
    const char *cls = NULL, *subject = NULL, *term = NULL;
    db_result_t t;
    if (read_args(r, admitted, &cls, &subject, &term, &t) != 0)
        return -1;
    book_t *b = arena_calloc(&r->arena, sizeof(*b));
    db_t *db = req_db(r);
    db_arg_t key[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(cls), DB_TEXT(subject), DB_TEXT(term)};
    db_arg_t key3[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(subject), DB_TEXT(term)};
    db_arg_t span[] = {DB_TEXT(r->auth.tenant_id), DB_TEXT(cls), DB_TEXT(db_get(&t, 0, 1)), DB_TEXT(db_get(&t, 0, 2))};
    if (db_exec(db, &Q_ASSESSMENTS, key, 4, &r->arena, &b->as) != 0 || db_exec(db, &Q_WEIGHTS, key3, 3, &r->arena, &b->w) != 0 ||
        db_exec(db, &Q_ROSTER, span, 4, &r->arena, &b->roster) != 0 ||
        db_exec(db, &Q_MARKS, key, 4, &r->arena, &b->marks) != 0 || asm_scale(r, db, term, &b->scale) != 0)
        return db_fail(r, db);
    b->ncat = asm_weights_of(&b->w, subject, b->cats, b->weights);
    int *cell = index_marks(r, b);
    json_t *students = json_array();
    for (int s = 0; s < b->roster.nrows; s++)
        students = json_push(students, student_json(r, b, s, cell));
    return res_json(r, 200,
                    json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}", "classId", cls, "subjectId", subject, "termId", term,
                              "categories", weights_json(b), "assessments", assessments_json(b), "items", students));
}

/*
 * The cache key of a request whose class, subject and term are all well-formed
 * ids ("class:subject:term", lower case), or NULL: such a request is answered
 * from the database, which names what is wrong in the order it checks.
 */
static const char *book_key(req_t *r)
{
    const char *ids[3] = {req_param(r, 0), req_query(r, "subjectId"), req_query(r, "termId")};
    for (int i = 0; i < 3; i++)
        if (ids[i] == NULL || !ids_uuid_valid(ids[i], strlen(ids[i])))
            return NULL;
    char *key = arena_printf(&r->arena, "%s:%s:%s", ids[0], ids[1], ids[2]);
    for (char *p = key; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    return key;
}

int class_gradebook(req_t *r)
{
    const char *key = book_key(r);
    int admitted = 0;
    if (key != NULL) {
        admitted = policy_sees_school(r) ? 1 : policy_teaches_class(r, arena_strndup(&r->arena, key, 36));
        if (admitted < 0)
            return -1;
    }
    if (!admitted) /* not cached: a malformed id, or a class the caller may not see (or that does not exist) */
        return load_book(r, 0);
    cached_t c;
    int rc = cached_lookup(r, CACHE_GRADEBOOK, key, &c, NULL);
    if (rc != 0)
        return rc > 0 ? 0 : -1;
    rc = load_book(r, 1);
    cached_store(r, &c, 0, BOOK_TTL_MS);
    return rc;
}

/* The event loop's answer: a cached gradebook for a caller who sees the whole school. */
int class_gradebook_loop(req_t *r)
{
    const char *key = policy_sees_school(r) ? book_key(r) : NULL;
    cached_t c;
    return key != NULL && cached_lookup(r, CACHE_GRADEBOOK, key, &c, NULL) > 0 ? 0 : -1;
}
