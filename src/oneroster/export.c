/*
 * export.c - a school as OneRoster 1.1 CSV (see oneroster.h): one query per
 * file whose columns are the spec's, in order; sourcedIds from oneroster_ids
 * for imported records, our ids otherwise.
 */
#include <string.h>

#include "oneroster/oneroster_int.h"

#define ORG SID("tenant", "t.id")
#define SCHOOL " FROM tenants t WHERE t.id = $1"
#define E3 ", NULL, NULL"

static stmt_t Q_ORGS =
    STMT("oneroster.export_orgs", STMT_READ, "SELECT " ORG E3 ", t.name, 'school', t.slug, NULL" SCHOOL);
static stmt_t Q_SESSIONS =
    STMT("oneroster.export_sessions", STMT_READ,
         "SELECT " SID("year", "y.id") E3
         ", y.name, 'schoolYear', y.start_date, y.end_date, NULL,"
         " substr(CAST(y.end_date AS text), 1, 4) FROM academic_years y WHERE y.tenant_id = $1"
         " UNION ALL SELECT " SID("term", "s.id") E3 ", s.name, 'term', s.start_date, s.end_date, " SID(
             "year", "y.id") ","
                             " substr(CAST(y.end_date AS text), 1, 4) FROM terms s JOIN academic_years y ON "
                             "y.tenant_id = s.tenant_id"
                             " AND y.id = s.academic_year_id WHERE s.tenant_id = $1");
static stmt_t Q_COURSES =
    STMT("oneroster.export_courses", STMT_READ,
         "SELECT " SID("subject", "s.id") E3 ", NULL, s.name, s.code, NULL, (SELECT " ORG SCHOOL
                                             "), NULL, NULL FROM subjects s WHERE s.tenant_id = $1");
/*
 * Our classes are homerooms (their rosters and class teachers); each teaching assignment is a scheduled class
 * of its subject, a section taught to the class (metadata.erp.homeroomSourcedId), with its teacher and the
 * class's students, as a learning platform wants them.
 */
static stmt_t Q_CLASSES = STMT(
    "oneroster.export_classes", STMT_READ,
    "SELECT " SID("class", "c.id") E3
    ", c.name, c.grade_level, NULL, c.section, 'homeroom', c.room, (SELECT " ORG SCHOOL
    "), " SID("year", "c.academic_year_id") ", NULL, NULL, NULL, NULL FROM classes c WHERE c.tenant_id = $1"
                                            " UNION ALL SELECT " SID("section", "cs.id") E3
    ", c.name || ' ' || s.name, c.grade_level, " SID("subject",
                                                     "cs.subject_id") ", c.section, 'scheduled', c.room, (SELECT " ORG
        SCHOOL "), " SID("year", "c.academic_year_id") ", s.name, s.code, NULL, " SID(
            "class",
            "c.id") " FROM class_subjects cs"
                    " JOIN classes c ON c.tenant_id = cs.tenant_id AND c.id = cs.class_id"
                    " JOIN subjects s ON s.tenant_id = cs.tenant_id AND s.id = cs.subject_id WHERE cs.tenant_id = $1");
#define AGENTS                                                                                                         \
    "(SELECT group_concat(" SID("guardian",                                                                            \
                                "g.guardian_id") ", ',') FROM student_guardians g"                                     \
                                                 " WHERE g.tenant_id = s.tenant_id AND g.student_id = s.id)"
#define AGENTS_PG                                                                                                      \
    "(SELECT string_agg(" SID("guardian", "g.guardian_id") ", ',') FROM student_guardians g"                           \
                                                           " WHERE g.tenant_id = s.tenant_id AND g.student_id = s.id)"
#define USERS(AG)                                                                                                      \
    "SELECT " SID("student", "s.id") E3 ", 'true', (SELECT " ORG SCHOOL "), 'student', COALESCE(s.email,"              \
                                        " s.admission_no), NULL, s.first_name, s.last_name, s.middle_name, "           \
                                        "s.admission_no, s.email, NULL, s.phone, " AG                                  \
                                        ", NULL, NULL FROM students s WHERE s.tenant_id = $1 AND s.deleted_at IS NULL" \
                                        " UNION ALL SELECT " SID("teacher", "s.id") E3                                 \
        ", 'true', (SELECT " ORG SCHOOL "), 'teacher', COALESCE(s.email,"                                              \
        " s.employee_no), NULL, s.first_name, s.last_name, NULL, s.employee_no, s.email, NULL, s.phone, NULL, NULL, "  \
        "NULL"                                                                                                         \
        " FROM teachers s WHERE s.tenant_id = $1 AND s.status = 'active'"                                              \
        " UNION ALL SELECT " SID("guardian", "s.id") E3                                                                \
        ", 'true', (SELECT " ORG SCHOOL "), 'guardian', COALESCE(s.email,"                                             \
        " " SID("guardian",                                                                                            \
                "s.id") "), NULL, s.first_name, s.last_name, NULL, NULL, s.email, NULL, s.phone, NULL, NULL,"          \
                        " NULL FROM guardians s WHERE s.tenant_id = $1"
static stmt_t Q_USERS = STMT2("oneroster.export_users", STMT_READ, USERS(AGENTS), USERS(AGENTS_PG));
#define ENROLLED " JOIN students s ON s.tenant_id = e.tenant_id AND s.id = e.student_id AND s.deleted_at IS NULL"
static stmt_t Q_ENROLLMENTS =
    STMT("oneroster.export_enrollments", STMT_READ,
         "SELECT " SID("enrollment", "e.id") E3 ", " SID("class", "e.class_id") ", (SELECT " ORG SCHOOL "), " SID(
             "student",
             "e.student_id") ", 'student', NULL, e.start_date, e.end_date FROM enrollments e" ENROLLED
                             " WHERE e.tenant_id = $1"
                             " UNION ALL SELECT COALESCE((SELECT MIN(o.sourced_id) FROM oneroster_ids o WHERE "
                             "o.tenant_id = $1"
                             " AND o.local_kind = 'class_teacher' AND o.local_id = c.id), CAST(c.id AS text) || "
                             "'-teacher')" E3 ", " SID("class", "c.id") ", (SELECT " ORG SCHOOL "), " SID(
                                 "teacher", "c.class_teacher_id") ", 'teacher', 'true',"
                                                                  " NULL, NULL FROM classes c WHERE c.tenant_id = $1 "
                                                                  "AND c.class_teacher_id IS NOT NULL"
                                                                  " UNION ALL SELECT " SID("class_subject", "cs.id") E3
         ", " SID("section", "cs.id") ", (SELECT " ORG SCHOOL "), " SID(
             "teacher",
             "cs.teacher_id") ", 'teacher', 'true', NULL, NULL FROM class_subjects cs"
                              " WHERE cs.tenant_id = $1"
                              " UNION ALL SELECT CAST(e.id AS text) || '-' || CAST(cs.id AS text)" E3
                              ", " SID("section",
                                       "cs.id") ","
                                                " (SELECT " ORG SCHOOL
                                                "), " SID("student",
                                                          "e.student_id") ", 'student', NULL, e.start_date, e.end_date"
                                                                          " FROM enrollments e" ENROLLED
                                                                          " JOIN class_subjects cs ON cs.tenant_id = "
                                                                          "e.tenant_id AND cs.class_id = e.class_id"
                                                                          " WHERE e.tenant_id = $1");
static stmt_t Q_DEMOGRAPHICS =
    STMT("oneroster.export_demographics", STMT_READ,
         "SELECT " SID("student", "s.id") E3 ", s.date_of_birth, CASE WHEN s.gender IN ('male', 'female')"
                                             " THEN s.gender END FROM students s"
                                             " WHERE s.tenant_id = $1 AND s.deleted_at IS NULL");

static stmt_t *const queries[OR_NTABLES] = {&Q_ORGS,  &Q_SESSIONS,    &Q_COURSES,     &Q_CLASSES,
                                            &Q_USERS, &Q_ENROLLMENTS, &Q_DEMOGRAPHICS};

/* Writes one file of the spec; 0 or -1. */
static int export_table(db_t *db, arena_t *a, const char *tenant_id, int k, or_files_t *fs)
{
    const or_spec_t *spec = &or_specs[k];
    db_result_t res;
    if (db_exec(db, queries[k], DB_ARGS(DB_TEXT(tenant_id)), a, &res) != 0)
        return -1;
    sbuf_t b;
    sbuf_init(&b, a, 4096);
    sheet_put_row(&b, spec->cols, spec->ncols);
    const char **cells = arena_alloc(a, (size_t)spec->ncols * sizeof(*cells));
    for (int i = 0; i < res.nrows; i++) {
        for (int c = 0; c < spec->ncols; c++)
            cells[c] = db_get(&res, i, c);
        if (k == OR_CLASSES)
            cells[CLS_GRADES] = or_grade_code((int)db_get_int(&res, i, CLS_GRADES));
        sheet_put_row(&b, cells, spec->ncols);
    }
    or_files_add(fs, spec->file, b.p, b.len);
    return 0;
}

static int export_files(db_t *db, arena_t *a, const char *tenant_id, or_files_t *fs)
{
    memset(fs, 0, sizeof(*fs));
    sbuf_t b;
    sbuf_init(&b, a, 1024);
    sbuf_puts(&b, "propertyName,value\r\nmanifest.version,1.0\r\noneroster.version,1.1\r\n"
                  "source.systemName,school-erp\r\nsource.systemCode,school-erp\r\n");
    for (int k = 0; k < OR_NTABLES; k++)
        sbuf_printf(&b, "file.%s,bulk\r\n", or_specs[k].name);
    static const char *const absent[] = {"resources",  "classResources", "courseResources",
                                         "categories", "lineItems",      "results"};
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
        sbuf_printf(&b, "file.%s,absent\r\n", absent[i]);
    or_files_add(fs, "manifest.csv", b.p, b.len);
    for (int k = 0; k < OR_NTABLES; k++)
        if (export_table(db, a, tenant_id, k, fs) != 0)
            return -1;
    return 0;
}

int oneroster_export(db_t *db, arena_t *a, const char *tenant_id, sbuf_t *zip_out)
{
    or_files_t fs;
    const char *why;
    if (export_files(db, a, tenant_id, &fs) != 0)
        return -1;
    return or_files_to_zip(a, &fs, zip_out, &why);
}

int oneroster_export_dir(db_t *db, arena_t *a, const char *tenant_id, const char *dir, const char **why)
{
    or_files_t fs;
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    if (export_files(db, a, tenant_id, &fs) != 0) {
        *why = arena_printf(a, "database: %s", db_error(db)->message);
        return -1;
    }
    return or_files_to_dir(a, &fs, dir, why);
}
