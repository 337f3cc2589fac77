/*
 * people_int.h - what the people handlers (teachers.c, students.c,
 * guardians.c) share; implemented in people.c.
 *
 * A person record (teacher, student, guardian) is described by a table of its
 * editable fields: JSON name, kind (which decides validation), whether it is
 * required on creation or may be cleared with null, its default. Every SQL
 * statement of a record type lists the columns in the same order:
 *
 *   SELECT id, <fields…>, version, created_at, updated_at [, extra columns]
 *   INSERT (tenant_id, id, <fields…>, created_at, updated_at [, extra]) VALUES ($1, $2, …, $now, $now [, $extra])
 *   UPDATE SET <fields…> = $4…, [extra,] version + 1, updated_at WHERE tenant_id = $1 AND id = $2 AND version = $3
 *
 * so reading a body, merging it over the stored row, binding and rendering
 * JSON are the same code for all three.
 */
#ifndef ERP_API_PEOPLE_INT_H
#define ERP_API_PEOPLE_INT_H

#include <jansson.h>

#include "api/common.h"
#include "http/handler.h"
#include "store/store.h"

#define PERSON_MAX_FIELDS 16

typedef enum {
    K_TEXT,  /* free text of 1..maxlen characters */
    K_NAME,  /* a person's name: 1..maxlen characters, no control characters */
    K_CODE,  /* a school-issued number (people_valid_code) */
    K_EMAIL, /* stored in lower case */
    K_PHONE,
    K_DATE,  /* YYYY-MM-DD */
    K_ENUM,  /* one of values */
    K_ID,    /* an id, stored in lower case */
} field_kind_t;

enum {
    F_REQUIRED = 1u << 0,  /* must be given on creation */
    F_CLEARABLE = 1u << 1, /* null stores NULL (otherwise null is refused) */
};

typedef struct field {
    const char *name; /* JSON name */
    field_kind_t kind;
    unsigned flags;
    size_t maxlen;             /* K_TEXT, K_NAME */
    const char *const *values; /* K_ENUM, NULL-terminated */
    const char *dflt;          /* value on creation when absent */
} field_t;

/* A unique constraint and the field a violation of it is reported on (409). */
typedef struct conflict {
    const char *needle; /* part of the constraint as both engines name it ("admission_no") */
    const char *field;
    const char *message; /* a format naming the value the body gave the field: "admission number %s is already used …" */
} conflict_t;

typedef struct person_type person_type_t;
struct person_type {
    const char *noun;     /* "teacher": messages ("No such teacher.") and audit actions (teacher.create) */
    const char *path;     /* "/api/v1/teachers", for Location */
    const field_t *fields;
    int nfields;
    int user_field;       /* index of userId */
    unsigned user_role;   /* the role an account linked by userId must have */
    const char *user_role_name;
    const conflict_t *conflicts; /* ends with a row whose needle is NULL */
    stmt_t *get;          /* $1 tenant, $2 id: the record as updates see it (students: not deleted) */
    stmt_t *insert;
    stmt_t *update;
    /* Optional: cross-field checks of the merged values (field errors). */
    void (*check)(req_t *r, const char **vals);
    /* Optional: one more value bound after the fields (students: the search text). */
    const char *(*extra)(req_t *r, const char **vals);
    /* Optional: the answer to a read, create or update (default: the record as `get` reads it). */
    int (*respond)(req_t *r, const char *id, int status);
};

/* The record types, for callers that write people without a request body of their own (src/imports/). */
extern const person_type_t *const people_student;
extern const person_type_t *const people_teacher;
extern const person_type_t *const people_guardian;
/* What a guardian is to a student (PUT /students/{id}/guardians/{guardianId}), NULL-terminated. */
extern const char *const people_relationships[];

/* JSON string of a cell, or null. */
json_t *json_cell(const char *cell);

/*
 * Reads the body's fields into vals (index as in t->fields). On creation
 * (create = 1) absent fields take their default and missing required ones are
 * errors; on update absent fields keep what vals holds. Unknown members are
 * errors. Returns the bit set of fields the body gave (null included); errors
 * are recorded for res_check_fields().
 */
unsigned person_read(req_t *r, const person_type_t *t, int create, const char **vals);
/* Copies a row's field columns (1..nfields) into vals. */
void person_row(const person_type_t *t, const db_result_t *res, int row, const char **vals);
/* The record of a row as JSON: id, the fields, version, createdAt, updatedAt. */
json_t *person_json(req_t *r, const person_type_t *t, const db_result_t *res, int row);
/*
 * The same members as person_json, written straight into b as an object left
 * open: the caller appends its own members and the closing brace (hot reads
 * build no document tree). Ill-formed UTF-8 is written as U+FFFD.
 */
void person_render_open(sbuf_t *b, req_t *r, const person_type_t *t, const db_result_t *res, int row);

/* Reads the record (t->get) into res; 0, or -1 with 404. */
int person_load(req_t *r, const person_type_t *t, const char *id, db_result_t *res);

/*
 * Checks an account to link (userId): it must be in the caller's school (else
 * 404 naming userId) and have t->user_role (else 422 naming userId). NULL is
 * fine. Returns 0 or -1.
 */
int person_check_account(req_t *r, const person_type_t *t, const char *user_id);

/*
 * Runs one write and its audit event (action "teacher.update": subject type
 * "teacher") in a transaction. Returns 0; 1 when the statement changed no row
 * (rolled back, no error set); -1 with the error set (409 naming the field for
 * a unique violation of t->conflicts, t may be NULL; else the database error).
 */
int person_write(req_t *r, const person_type_t *t, stmt_t *st, const db_arg_t *args, int nargs,
                 const char *action, const char *subject_id, const char *detail);

/*
 * Appends an audit event on its own (action "student.read": subject type
 * "student"; outcome NULL means ok; subject_id may be NULL). Returns 0, or -1
 * with the error set.
 */
int person_audit(req_t *r, const char *action, const char *outcome, const char *subject_id, const char *detail);

/*
 * Binds tenant (r->auth.tenant_id), id, [version,] the fields, now [, extra]
 * for t's insert (version < 0) or update into args (room for
 * PERSON_MAX_FIELDS + 6). Returns the number of arguments.
 */
int person_bind(req_t *r, const person_type_t *t, const char *id, long long version, const char **vals,
                db_arg_t *args);

/* "fields: a, b" of the fields whose value an update from before to after changes; NULL when none. */
const char *person_changes(req_t *r, const person_type_t *t, const char **before, const char **after);

/* POST: reads, checks, inserts, answers 201 with Location and ETag. */
int person_create(req_t *r, const person_type_t *t);
/* PATCH /{id} with If-Match: merges the body over the stored record, updates, answers 200. */
int person_update(req_t *r, const person_type_t *t);
/* The same for the record id (not a path parameter: a caller's own record). */
int person_update_id(req_t *r, const person_type_t *t, const char *id);
/* GET /{id} of a record every caller of the route may read. */
int person_get(req_t *r, const person_type_t *t);
int person_get_id(req_t *r, const person_type_t *t, const char *id);

/* An order of a list: one or two key columns (indexes of result columns), numeric or text. */
typedef struct list_order {
    int nkeys;
    int numeric;
    int col[2];
} list_order_t;

/*
 * Reads ?q= (1..100 characters) as a LIKE pattern in the arena (NULL when
 * absent; a field error when bad).
 */
const char *person_query_text(req_t *r);
/*
 * Keyset conditions and orders for list statements: one or two key columns
 * then the id of table alias A; K1, K2, ID, LIM are parameter references.
 * CMP is ">" with DIR "ASC", or "<" with "DESC". ORD is what the first key
 * orders by: the column itself, or an expression of it (col || '', col + 0)
 * that sorts the same but keeps SQLite from walking the column's index (see
 * students.c).
 */
#define PERSON_KEY1(a, col, ord, cmp, dir, k1, id, lim)                                                                \
    " AND ((" col ", " a ".id) " cmp " (" k1 ", " id ") OR " k1 " IS NULL) ORDER BY " ord " " dir ", " a ".id " dir    \
    " LIMIT " lim
#define PERSON_KEY2(a, c1, ord, c2, cmp, dir, k1, k2, id, lim)                                                         \
    " AND ((" c1 ", " c2 ", " a ".id) " cmp " (" k1 ", " k2 ", " id ") OR " k1 " IS NULL) ORDER BY " ord " " dir ", " \
    c2 " " dir ", " a ".id " dir " LIMIT " lim

/* A list: its ?sort= names, their orders (same index), and how a row renders. */
typedef struct person_list {
    const char *const *sorts;
    const list_order_t *orders;
    json_t *(*item)(req_t *r, const db_result_t *res, int row);
} person_list_t;

/*
 * Runs a page of a list: reads ?sort=, ?limit= and ?cursor=, appends the
 * keyset and the limit to the filters in args[0..n), then tail[0..ntail),
 * runs stmts[sort][desc] and renders {"items", "nextCursor"} into *doc (and
 * the number of items into *count). Returns 0, or -1 with the error set.
 */
int person_list(req_t *r, const person_list_t *l, stmt_t (*stmts)[2], db_arg_t *args, int n, const db_arg_t *tail,
                int ntail, json_t **doc, int *count);

#endif
