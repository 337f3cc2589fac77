/*
 * oneroster_int.h - what the OneRoster files share: file sets (files.c: a
 * folder or a zip in memory, read and written with libzip), the CSV tables
 * with their columns and the row-level error list, the manifest and the pure
 * checks (rows.c), and the import's state (import.c drives; people.c writes
 * users and enrollments).
 */
#ifndef ERP_ONEROSTER_ONEROSTER_INT_H
#define ERP_ONEROSTER_ONEROSTER_INT_H

#include "http/handler.h"
#include "imports/imports_int.h"
#include "oneroster/oneroster.h"

/* The sourcedId of local record ID (an SQL expression) of kind K: the imported one, else our id ($1: the school). */
#define SID(K, ID)                                                                                                     \
    "COALESCE((SELECT MIN(o.sourced_id) FROM oneroster_ids o WHERE o.tenant_id = $1 AND o.local_kind = '" K "'"        \
    " AND o.local_id = " ID "), CAST(" ID " AS text))"

/* ---- file sets */

#define OR_MAX_FILES 32

typedef struct or_file {
    const char *name; /* base name ("users.csv") */
    const char *data;
    size_t len;
} or_file_t;

typedef struct or_files {
    or_file_t v[OR_MAX_FILES];
    int n;
} or_files_t;

/* Reads manifest.csv and the files of or_specs from a folder or a zip (by base name). 0, or -1 with *why. */
int or_files_from_dir(arena_t *a, const char *dir, or_files_t *out, const char **why);
int or_files_from_zip(arena_t *a, const void *bytes, size_t len, or_files_t *out, const char **why);
const or_file_t *or_files_get(const or_files_t *fs, const char *name);
void or_files_add(or_files_t *fs, const char *name, const char *data, size_t len);
/* Writes the files into a folder (made when missing) or a zip in memory. 0, or -1 with *why. */
int or_files_to_dir(arena_t *a, const or_files_t *fs, const char *dir, const char **why);
int or_files_to_zip(arena_t *a, const or_files_t *fs, sbuf_t *out, const char **why);

/* ---- errors */

typedef struct or_error {
    const char *file;
    int line;
    const char *column; /* NULL: the whole row */
    const char *reason;
} or_error_t;

typedef struct or_errors {
    arena_t *a;
    or_error_t *v;
    int n, total, cap;
} or_errors_t;

void or_errors_init(or_errors_t *e, arena_t *a);
void or_err(or_errors_t *e, const char *file, int line, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- tables */

enum { OR_ORGS, OR_SESSIONS, OR_COURSES, OR_CLASSES, OR_USERS, OR_ENROLLMENTS, OR_DEMOGRAPHICS, OR_NTABLES };

enum { C_SOURCED_ID, C_STATUS, C_DATE_LAST_MODIFIED }; /* every file's first three columns */
enum { ORG_NAME = 3, ORG_TYPE, ORG_IDENTIFIER, ORG_PARENT };
enum { SES_TITLE = 3, SES_TYPE, SES_START, SES_END, SES_PARENT, SES_SCHOOL_YEAR };
enum { CRS_YEAR = 3, CRS_TITLE, CRS_CODE, CRS_GRADES, CRS_ORG, CRS_SUBJECTS, CRS_SUBJECT_CODES };
enum {
    CLS_TITLE = 3,
    CLS_GRADES,
    CLS_COURSE,
    CLS_CODE,
    CLS_TYPE,
    CLS_LOCATION,
    CLS_SCHOOL,
    CLS_TERMS,
    CLS_SUBJECTS,
    CLS_SUBJECT_CODES,
    CLS_PERIODS,
    CLS_HOMEROOM /* our extension: a section of a course taught to that class (a teaching assignment) */
};
enum {
    USR_ENABLED = 3,
    USR_ORGS,
    USR_ROLE,
    USR_USERNAME,
    USR_USER_IDS,
    USR_GIVEN,
    USR_FAMILY,
    USR_MIDDLE,
    USR_IDENTIFIER,
    USR_EMAIL,
    USR_SMS,
    USR_PHONE,
    USR_AGENTS,
    USR_GRADES,
    USR_PASSWORD
};
enum { ENR_CLASS = 3, ENR_SCHOOL, ENR_USER, ENR_ROLE, ENR_PRIMARY, ENR_BEGIN, ENR_END };
enum { DEM_BIRTH = 3, DEM_SEX };

typedef struct or_spec {
    const char *file;        /* "users.csv" */
    const char *name;        /* the manifest's name: "users" */
    const char *const *cols; /* the spec's columns, in order */
    int ncols;
    unsigned long required; /* bit c: column c must be in the header and filled on an active row */
} or_spec_t;

extern const or_spec_t or_specs[OR_NTABLES];

typedef struct or_row {
    int line;
    const char **f; /* f[c]: the cell of spec column c, NULL when empty or not in the header */
    int deleted;    /* status tobedeleted */
} or_row_t;

typedef struct or_table {
    const or_spec_t *spec;
    const char *mode; /* "bulk", "delta" or NULL (absent) */
    or_row_t *rows;
    int n;
    smap_t by_id; /* sourcedId → or_row_t* (the first) */
} or_table_t;

/*
 * Reads manifest.csv: the mode of each table (NULL for absent or not listed)
 * and the other files it marks present (*ignored, n_ignored). Errors name
 * manifest.csv. Returns 0, or -1 when any was recorded.
 */
int or_manifest(arena_t *a, const or_file_t *f, const char *modes[OR_NTABLES], const char ***ignored, int *n_ignored,
                or_errors_t *e);

/* Parses a file into t (header mapped, required values checked, ids indexed). Returns 0, or -1 after errors. */
int or_table_parse(arena_t *a, const or_file_t *f, const or_spec_t *spec, or_table_t *t, or_errors_t *e);

/* ---- pure checks */

/* Whether s is a calendar date YYYY-MM-DD. */
int or_date_ok(const char *s);
/* The grade level (0..13) of the first CEDS grade of a list ("09", "KG", "PK"), or -1. */
int or_grade_level(const char *grades);
/* A grade level as a CEDS code ("KG", "01" … "13"). */
const char *or_grade_code(int level);
/* The items of a comma-separated list (trimmed, empty items left out); *n their number. */
const char **or_split(arena_t *a, const char *list, int *n);
/* Whether a list holds item. */
int or_list_has(arena_t *a, const char *list, const char *item);
/* A class's section: classCode when 1..10 characters, else title when it fits, else the sourcedId's last 10. */
const char *or_section(arena_t *a, const char *class_code, const char *title, const char *sourced_id);
/* Whether an enum cell is one of the values (NULL-terminated). */
int or_one_of(const char *s, const char *const *values);

/* ---- the import's state */

enum {
    K_YEARS,
    K_TERMS,
    K_SUBJECTS,
    K_CLASSES,
    K_ASSIGNMENTS,
    K_STUDENTS,
    K_TEACHERS,
    K_GUARDIANS,
    K_ACCOUNTS,
    K_ENROLLMENTS,
    K_N
};

typedef struct or_count {
    int created, updated, unchanged, deleted;
} or_count_t;

/* A record a sourcedId names. */
typedef struct or_id {
    const char *local_kind;
    const char *local_id;
} or_id_t;

/* What validation found out about a row, for the writes. */
typedef struct or_aux {
    int skip;            /* another school's, or a role not imported */
    const char *year;    /* sessions, classes: the sourcedId of the school year */
    const char *year_id; /* classes: the year's id when known before (a class of a term imported before) */
    int grade;           /* classes */
    const char *section; /* classes */
    int taught;          /* classes: a section taught to the class CLS_HOMEROOM names, not a class of its own */
} or_aux_t;

typedef struct or_imp {
    db_t *db;
    arena_t *a;
    req_t r; /* stand-in request for the account writes */
    const char *tenant;
    long long now;
    or_errors_t errs;
    or_table_t t[OR_NTABLES];
    or_aux_t *aux[OR_NTABLES];
    const char *org; /* the school's sourcedId, or NULL */
    smap_t ids;      /* "kind\x1fsourcedId" → or_id_t* */
    smap_t claimed;  /* "local_kind\x1flocal_id" → the sourcedId that names it */
    or_count_t count[K_N];
    int skipped;
    const char **ignored;
    int n_ignored;
    int refused;      /* a write found a row error */
    const char *hash; /* the new accounts' password hash (of a random password), made on first use */
} or_imp_t;

or_id_t *or_id_get(const or_imp_t *m, const char *kind, const char *sourced_id);
/* Records that sourced_id of kind names local_id (in the table and in m->ids); 0 or -1. */
int or_id_put(or_imp_t *m, const char *kind, const char *sourced_id, const char *local_kind, const char *local_id);
int or_id_drop(or_imp_t *m, const char *kind, const char *sourced_id);
/* Whether a sourcedId names an active row of table or a record imported before (as local_kind, or any when NULL). */
int or_known(const or_imp_t *m, int table, const char *kind, const char *sourced_id, const char *local_kind);
/* After a failed write for row: a conflict with stored data becomes a row error (m->refused). Returns -1. */
int or_write_failed(or_imp_t *m, int table, const or_row_t *row, const char *column);

/*
 * An upsert of one record: e's statements take $1 the school, $2 the id, $3 now, $4… the values (get: $1, $2;
 * find: $1 and the values named by keys). Sets *id. Counts into m->count[e->count].
 */
typedef struct or_ent {
    const char *kind, *local_kind;
    stmt_t *get, *find, *insert, *update;
    int nvals;
    int keys[3], nkeys;
    int count;
    int shared;       /* several sourcedIds may name one record (a teacher's enrollments of each term) */
    const char *noun; /* audited as NOUN.create / NOUN.update (NULL: not audited here) */
} or_ent_t;

int or_put(or_imp_t *m, const or_ent_t *e, int table, const or_row_t *row, const char **vals, const char **id);
/* Records an audit event of the import (the actor, "oneroster import" in the detail); 0 or -1. */
int or_audit(or_imp_t *m, const char *action, const char *subject_id, const char *detail);

/* people.c: checks of users, demographics and enrollments; their writes. */
void or_check_users(or_imp_t *m);
void or_check_enrollments(or_imp_t *m);
int or_apply_users(or_imp_t *m);
int or_apply_enrollments(or_imp_t *m);

#endif
