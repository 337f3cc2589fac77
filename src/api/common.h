/*
 * common.h - what resource handlers share: timestamps, ETags and If-Match,
 * list paging (limit and opaque cursors), role lists, and input formats.
 */
#ifndef ERP_API_COMMON_H
#define ERP_API_COMMON_H

#include <jansson.h>
#include <stdint.h>

#include "http/handler.h"
#include "store/store.h"

/* ISO 8601 UTC with milliseconds ("2026-11-26T03:22:19.123Z") of Unix milliseconds, in the arena. */
const char *iso_time(arena_t *a, int64_t ms);
/* JSON string of iso_time(), or JSON null when the cell is NULL. */
json_t *json_time_or_null(arena_t *a, const char *cell);

/* The calendar date now in the caller's school (its time zone), "YYYY-MM-DD" in the arena. */
const char *school_today(req_t *r);

/* Sets ETag: "<version>" (res_etag()). */
void set_etag(req_t *r, long long version);

/*
 * Optimistic concurrency: one pattern for every write of a versioned record.
 *  1. The route carries ROUTE_IF_MATCH: the dispatcher answers 428 without
 *     If-Match and 400 for a malformed one, before the handler runs.
 *  2. The handler reads the record (inside its transaction when it has one)
 *     and calls if_match() with the version it read: 412 unless If-Match
 *     names that version or is "*".
 *  3. The write names the version that was read (`… AND version = $n`), never
 *     the client's; when it changes no row, a concurrent write got there first
 *     and stale_write() answers 412.
 * An empty PATCH ({}) writes nothing: the handler answers with the record as
 * it is after step 2 (patch_is_empty()).
 */
/* Returns 0 when If-Match matches the current version, or -1 after answering 412 ("the <what> was changed"). */
int if_match(req_t *r, long long current, const char *what);
/* Answers 412 for a write that matched no row at the version read; returns -1. */
int stale_write(req_t *r, const char *what);
/* Whether a PATCH body has no members at all. */
int patch_is_empty(const req_t *r);

/* Paging parameters: limit (1..500, default 50) and the decoded cursor. */
typedef struct page {
    int limit;
    int has_cursor;
    char key[1024]; /* sort key of the last row of the previous page (up to 1023 bytes: two 100-character names in any script) */
    char id[40];   /* id of that row */
} page_t;

/* Reads ?limit= and ?cursor=; returns 0, or -1 with a 422/400 error. */
int page_read(req_t *r, page_t *p);
/* An opaque cursor for a row (sort key and id), in the arena; NULL when the key is not UTF-8 (or out of memory). */
const char *page_cursor(arena_t *a, const char *key, const char *id);
/* Decodes a page_cursor() into key and id (each NUL-terminated within its length); -1 when it is not one. */
int page_cursor_decode(const char *cursor, char *key, size_t keylen, char *id, size_t idlen);
/*
 * Looks up a record an id in the body or query refers to, with st taking
 * (tenant, id). Returns 1 with *res filled when it is in the caller's school;
 * 0 after answering 404 "No such <what> (<field>)." (field may be NULL); -1 after a database error.
 * res may be NULL when only existence matters.
 */
int school_ref(req_t *r, stmt_t *st, const char *id, const char *what, const char *field, db_result_t *res);

/* Makes one JSON item of a result row. */
typedef json_t *(*page_item_fn)(req_t *r, const db_result_t *res, int row);
/* Makes the cursor key of a result row (arena memory). */
typedef const char *(*page_key_fn)(req_t *r, const db_result_t *res, int row);

/*
 * The page document {"items", "nextCursor"} of a result fetched with
 * LIMIT limit + 1: the first limit rows as items, and a cursor from the last of
 * them (its sort key from key_col, its id from column 0) when there are more.
 * With key non-NULL, the cursor key comes from key() instead of key_col.
 * NULL when an item or the cursor cannot be built (text from the database
 * that is not UTF-8): res_json() then answers 500, never a page missing rows.
 */
json_t *page_json(req_t *r, const db_result_t *res, int limit, page_item_fn item, int key_col, page_key_fn key);

/* The keyset argument for a page's sort key: NULL without cursor, an integer when numeric, else text. */
db_arg_t page_key_arg(req_t *r, const page_t *p, int numeric);
/* The keyset id argument of a page: NULL without cursor. */
db_arg_t page_id_arg(const page_t *p);

/* {"items": items, "nextCursor": cursor or null}; steals items. */
json_t *page_result(json_t *items, const char *next_cursor);

/*
 * For a list a teacher sees through their classes only: *own is the caller's
 * teacher record, or NULL when the caller sees the whole school. Returns 1 to
 * go on, 0 when the caller sees nothing of it (an empty page answered), -1
 * after an error (answered).
 */
int list_teacher_scope(req_t *r, const char **own);

/*
 * Reads ?sort= against allowed names ("name", "createdAt", …): returns the
 * index into names and sets *desc for a leading '-'; the default (index 0,
 * ascending unless default_desc) when absent; -1 with a 422 when unknown.
 */
int sort_read(req_t *r, const char *const *names, int default_desc, int *desc);

/*
 * Building documents, checked. jansson answers NULL for a string that is not
 * UTF-8 (text a database may hold from elsewhere) and on out of memory; these
 * pass that NULL on instead of dropping a key or an item, so the request ends
 * in res_json(NULL), a 500, never in a document missing data or a crash.
 */
/* Sets o[key] = v (stolen) and returns o; when o or v is NULL, or the set fails, releases both and returns NULL. */
json_t *json_with(json_t *o, const char *key, json_t *v);
/* Appends v (stolen) to a and returns a; NULL likewise. */
json_t *json_push(json_t *a, json_t *v);

/*
 * Answers 409 for a value another record already holds: a field error on
 * field with the message, which names the value ("subject code MATH is
 * already used"), and the same message as the problem's detail. Returns -1.
 */
int duplicate(req_t *r, const char *field, const char *message);

/* JSON array of the role names in a role bit set. */
json_t *roles_json(unsigned roles);
/*
 * Reads a "roles" array from the body into bits (only roles in allowed).
 * Returns 1 when present and valid, 0 when absent, -1 after a field error.
 */
int body_roles(req_t *r, const char *field, int required, unsigned allowed, unsigned *out);

/* Formats: email (normalized to lower case into out), slug, IANA time zone name, ISO 4217 currency. */
int valid_email(const char *s, char *out, size_t outlen);
int valid_slug(const char *s);
int valid_time_zone(const char *s);
int valid_currency(const char *s);

/*
 * Checks that a path parameter (arena memory) is a well-formed id and lowers its
 * case; returns 0, or -1 with 404 (nothing can have a malformed id).
 */
int require_id(req_t *r, const char *id);

#endif
