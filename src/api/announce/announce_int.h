/*
 * announce_int.h - what the communication area's files share: the audience
 * (parsed, stored, rendered, resolved in SQL) and the delivery of its mail.
 */
#ifndef ERP_API_ANNOUNCE_INT_H
#define ERP_API_ANNOUNCE_INT_H

#include <jansson.h>

#include "http/handler.h"
#include "store/store.h"

#define AUDIENCE_MAX 20

typedef enum { AUD_SCHOOL, AUD_GRADE, AUD_CLASS, AUD_ROLE, AUD_GUARDIANS } aud_kind_t;

typedef struct aud_part {
    aud_kind_t kind;
    long long grade_level; /* AUD_GRADE */
    const char *class_id;  /* AUD_CLASS, AUD_GUARDIANS */
    unsigned role_bit;     /* AUD_ROLE */
} aud_part_t;

/*
 * The accounts (u) a part (aa, a row of announcement_audiences) reaches on
 * day D (a parameter reference, "$3"): one condition, shared by the list of
 * what a caller sees and by the recipients of the mail.
 */
#define AUD_ENROLLED(D)                                                                                                \
    " JOIN enrollments e ON e.tenant_id = s.tenant_id AND e.student_id = s.id"                                        \
    " JOIN academic_years y ON y.tenant_id = e.tenant_id AND y.id = e.academic_year_id"                               \
    " JOIN classes c ON c.tenant_id = e.tenant_id AND c.id = e.class_id"                                              \
    " WHERE s.tenant_id = aa.tenant_id AND s.deleted_at IS NULL AND e.start_date <= " D                               \
    " AND COALESCE(e.end_date, y.end_date) >= " D
#define AUD_CLASS_OF(D)                                                                                                \
    "(c.id = aa.class_id OR (aa.kind = 'grade' AND c.grade_level = aa.grade_level AND y.start_date <= " D            \
    " AND y.end_date >= " D "))"
#define AUD_MATCH(D)                                                                                                   \
    "(aa.kind = 'school' OR (aa.kind = 'role' AND (u.roles & aa.role_bits) <> 0)"                                      \
    " OR (aa.kind IN ('class', 'grade') AND (EXISTS (SELECT 1 FROM students s" AUD_ENROLLED(D)                        \
    " AND s.user_id = u.id AND " AUD_CLASS_OF(D) ")"                                                                   \
    " OR EXISTS (SELECT 1 FROM teachers t JOIN classes c ON c.tenant_id = t.tenant_id"                                \
    " JOIN academic_years y ON y.tenant_id = c.tenant_id AND y.id = c.academic_year_id"                               \
    " WHERE t.tenant_id = aa.tenant_id AND t.user_id = u.id AND t.status = 'active' AND " AUD_CLASS_OF(D)            \
    " AND (c.class_teacher_id = t.id OR EXISTS (SELECT 1 FROM class_subjects cs WHERE cs.tenant_id = c.tenant_id"     \
    " AND cs.class_id = c.id AND cs.teacher_id = t.id)))))"                                                           \
    " OR (aa.kind = 'guardians' AND EXISTS (SELECT 1 FROM guardians g JOIN student_guardians sg"                       \
    " ON sg.tenant_id = g.tenant_id AND sg.guardian_id = g.id JOIN students s ON s.tenant_id = sg.tenant_id"          \
    " AND s.id = sg.student_id" AUD_ENROLLED(D) " AND g.tenant_id = aa.tenant_id AND g.user_id = u.id"                \
    " AND c.id = aa.class_id)))"

/*
 * Reads the body's "audience" (1..AUDIENCE_MAX parts) into parts; checks that
 * classes are the school's (404 otherwise) and that a teacher names only
 * classes they teach, as classes or their guardians (404 for others: they
 * cannot see them; 422 for other kinds). Returns the count, 0 when absent
 * and not required, or -1 (field errors recorded, or an error answered:
 * r->err.code tells).
 */
int aud_read(req_t *r, int required, aud_part_t *parts);
/* Replaces the announcement's stored audience with parts; 0 or -1 (db_error()). */
int aud_store(db_t *db, req_t *r, const char *ann_id, const aud_part_t *parts, int n);
/* The stored audience of an announcement as a JSON array; NULL on a database error (answered) or out of memory. */
json_t *aud_json(req_t *r, const char *ann_id);

/*
 * The addresses an announcement's audience reaches on day `today`: rows of
 * (email lower case, display name, account id or NULL), by address, each
 * address once. 0 or -1 (db_error()).
 */
int aud_recipients(db_t *db, arena_t *a, const char *tenant_id, const char *ann_id, const char *today,
                   db_result_t *out);

/*
 * Queues one message to each of the rows of rcpts (email, name, user id) of
 * school tenant_id, in the caller's transaction on db (mail_enqueue(), one
 * job per message). kind/ref_id name what it is about. 0 or -1.
 */
typedef struct notice {
    const char *kind;
    const char *ref_id;
    const char *subject;
    const char *text;
    const char *unsubscribe_url; /* one-click (List-Unsubscribe), or NULL */
} notice_t;
int notice_send(db_t *db, arena_t *a, const char *tenant_id, const notice_t *n, const db_result_t *rcpts);

/* Opts guardian_id of school tenant_id out of absence alerts (again: no change). 0 or -1 (db_error()). */
int alerts_opt_out(db_t *db, arena_t *a, const char *tenant_id, const char *guardian_id);

/* The school's calendar day now in its time zone ("YYYY-MM-DD", in a); NULL on a database error. */
const char *school_day_of(db_t *db, arena_t *a, const char *tenant_id);

#endif
