/*
 * imports_int.h - what the import files share (import.c drives; persons.c
 * plans students, teachers and their guardians; staff.c plans accounts).
 *
 * An import runs in two passes. Planning reads every record, validates it
 * with the API's rules on a stand-in request (r) and decides per record what
 * to write (an op per record and per guardian), collecting row errors. Only
 * when there are none does apply() run the plans in one transaction.
 */
#ifndef ERP_IMPORTS_IMPORTS_INT_H
#define ERP_IMPORTS_IMPORTS_INT_H

#include "api/people_int.h"
#include "auth/identity.h"
#include "imports/batch.h"
#include "imports/columns.h"
#include "imports/imports.h"

/* A string-keyed map in an arena (open addressing; keys are copied by the caller). */
typedef struct smap {
    arena_t *a;
    const char **keys;
    void **vals;
    size_t cap, n;
} smap_t;

void smap_init(smap_t *m, arena_t *a);
void *smap_get(const smap_t *m, const char *key);
void smap_put(smap_t *m, const char *key, void *val);

/* Sets up r, the stand-in request, for an import into tenant_id by actor_id
 * (NULL: the command line; the school's time zone included): 0, 1 (no such
 * school) or -1 (the database failed). */
int import_open_school(db_t *db, arena_t *a, req_t *r, const char *tenant_id, const char *actor_id);

/* A report that says why nothing was imported: {"error": why}. */
json_t *import_failure(const char *why);

typedef enum { OP_NONE, OP_CREATE, OP_UPDATE } op_t;

/* A record as stored or as it will be written. */
typedef struct rec {
    const char *id;
    long long version;
    const char **vals; /* the type's fields (person_type_t) */
    int deleted;
    int line;          /* the file's first record that names it; 0: none yet */
    op_t op;           /* what that record decided */
    const char **before;
} rec_t;

typedef struct link {
    const char *relationship;
    int primary, pickup;
} link_t;

/* What one record of the file writes. */
typedef struct plan {
    int line;
    rec_t *main;             /* the student or teacher */
    rec_t *guardian[2];      /* NULL when the record names none */
    link_t link[2];
    int link_op[2];          /* write the link */
    const char *class_id;    /* students: the class to enroll in (placement.c), NULL: none */
    const char *start;       /* its first day */
    user_in_t user;          /* staff: the account */
    const char *hash;        /* staff: the password's hash on creation */
} plan_t;

typedef struct imp {
    db_t *db;
    arena_t *a;
    req_t r; /* stand-in request: the school, the actor, the field errors of one record */
    const import_kind_t *k;
    const person_type_t *t; /* students, teachers; NULL for staff */
    sheet_t sheet;
    int at[IMPORT_MAX_COLUMNS];
    errlist_t errs;
    smap_t existing;    /* main records by lower-case code (or email) */
    smap_t by_email;    /* guardians */
    smap_t by_name;     /* guardians: "first\x1flast\x1fphone" in lower case */
    smap_t links;       /* "student\x1fguardian" → link_t */
    smap_t in_file;     /* codes seen in the file → line (as intptr_t) */
    plan_t *plans;
    int nplans;
    smap_t classes;     /* classes of the current year by lower-case name (placement.c) */
    smap_t placed;      /* students' open enrollments of the current year: student id → class name */
    const char *year, *year_start, *year_end; /* the current academic year; NULL: none */
    int refused;        /* apply() failed on a record the database refused (its error is in errs) */
    int created, updated, unchanged, enrolled;
    int g_created, g_updated, g_linked;
    batch_t b_main, b_guardian, b_link, b_audit; /* creations and audit events, written in batches */
    import_progress_fn progress;
    void *pctx;
    const char *fail;   /* why apply() failed other than a database error */
} imp_t;

/* Loads what the plans compare with (records, guardians, links): 0 or -1 (db). */
/* Sets up the batches of creations (m->t chosen). */
void persons_batches(imp_t *m);
int persons_load(imp_t *m);
/* Plans record i of the sheet (row errors into m->errs). */
void persons_plan(imp_t *m, const sheet_row_t *row, plan_t *p);
/* Writes a plan inside the open transaction; 0 or -1. */
int persons_apply(imp_t *m, const plan_t *p);

/* Class placement (the students' className column): loads the current year's classes and enrollments; 0 or -1. */
int placement_load(imp_t *m);
/* Decides record row's enrollment (p->main planned); errors into m->errs. Returns whether it enrolls. */
int placement_plan(imp_t *m, const sheet_row_t *row, plan_t *p);
/* Enrolls, once the students are written; 0, or -1 (m->refused with the error in errs, or a database error). */
int placement_apply(imp_t *m);

int staff_load(imp_t *m);
void staff_plan(imp_t *m, const sheet_row_t *row, plan_t *p);
/* Hashes the passwords of the accounts to create (once every record is known to be right); 0, or -1 (recorded). */
int staff_hash(imp_t *m);
int staff_apply(imp_t *m, const plan_t *p);

/*
 * Runs the fields of part (0: the record; 1, 2: a guardian) of a record
 * through the API's reading of a body: sets m->r.json to an object of the
 * non-empty cells (field name → text), calls read (which records field
 * errors on m->r), and moves those errors to m->errs under the column names.
 */
void imports_read_part(imp_t *m, const sheet_row_t *row, int part, void (*read)(imp_t *m, void *ctx), void *ctx);
/* Whether the header has a column for field of part. */
int imports_has_column(const imp_t *m, int part, const char *field);
/* Queues the audit event of an import's write (batched; written in the transaction); 0 or -1. */
int imports_audit(imp_t *m, const char *action, const char *subject_id, const char *detail);
/* An arena copy of s in lower case (ASCII). */
char *imports_lower(arena_t *a, const char *s);

#endif
