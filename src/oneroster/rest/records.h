/*
 * records.h - a school's OneRoster 1.1 records as JSON, the shapes of the
 * REST binding: orgs, academicSessions, courses, classes, users,
 * enrollments, demographics. Mapping as the CSV export's (oneroster.h):
 * the school is the one org; years are schoolYear sessions and their terms
 * term sessions; subjects are courses; classes are homerooms and each
 * teaching assignment a scheduled class; users are students, teachers and
 * guardians; sourcedIds are the imported ones, else our ids.
 *
 * Delta syncs: a soft-deleted student, and their enrollments and
 * demographics, and an inactive teacher stay listed with status
 * "tobedeleted"; dateLastModified is the record's updated_at. Records we
 * delete outright (an enrollment deleted as a mistake, a teaching
 * assignment removed) are gone from the collections.
 *
 * Gradebook: categories are the category names of assessments and weights;
 * a lineItem is an assessment (its class: the scheduled class of its subject
 * in its class; gradingPeriod: its term; resultValueMin 0, resultValueMax its
 * maximum); a result is a mark (scoreStatus "fully graded" for a mark, "exempt",
 * else "not submitted" with score 0). Line items and results a client created
 * keep its sourcedIds (oneroster_ids, oneroster_results).
 */
#ifndef ERP_ONEROSTER_REST_RECORDS_H
#define ERP_ONEROSTER_REST_RECORDS_H

#include <jansson.h>

#include "http/handler.h"
#include "oneroster/rest/slots.h"

typedef enum {
    ORK_ORGS,
    ORK_SESSIONS,
    ORK_COURSES,
    ORK_CLASSES,
    ORK_USERS,
    ORK_ENROLLMENTS,
    ORK_DEMOGRAPHICS,
    ORK_CATEGORIES, /* the categories of the school's assessments and grade weights (sourcedId: the name) */
    ORK_LINEITEMS,  /* assessments of a subject taught to a class (a scheduled class) */
    ORK_RESULTS,    /* their marks */
    ORK_COUNT
} or_kind_t;

/* The fields of a kind's records (NULL-terminated), for filter, sort and fields checks. */
const char *const *or_kind_fields(or_kind_t k);

/* Every record of kind k of the caller's school (r->auth.tenant_id) into *out (a new array). 0, or -1 (database). */
int or_records_load(req_t *r, or_kind_t k, json_t **out);

/*
 * One page of kind k's records (those whose field `where` is `is`, when where is not NULL) in sourcedId
 * order (descending with desc), building only the page's records: *total the count, *page a new array.
 * What a request without a filter or another sort needs. 0, or -1.
 */
int or_records_page(req_t *r, or_kind_t k, const char *where, const char *is, long long offset, long long limit,
                    int desc, long long *total, json_t **page);

/*
 * The sourcedIds (keys of a new object *set) of the classes the enrollments of role ("student", "teacher")
 * link to the record of local kind parent ("teacher", "student": the same role) with sourcedId sid; empty when
 * sid is none of ours. 0, or -1.
 */
int or_links_load(req_t *r, const char *parent, const char *role, const char *sid, json_t **set);

/* The fields of users an or_users_page() filter or sort may name (slots.h), NULL-terminated. */
const char *const *or_user_columns(void);

/*
 * One page of the school's users that satisfy the slots (slots.h over or_user_columns()), cut in SQL in the
 * order of sort_field (a field number, 0: sourcedId alone; NULL first, ties by sourcedId; all reversed with
 * desc): *total the count of all that satisfy them, *page a new array of the page's records. 0, or -1.
 */
int or_users_page(req_t *r, const or_slots_t *s, int sort_field, int desc, long long offset, long long limit,
                  long long *total, json_t **page);

/*
 * The users (records, a new array *out, in no order) the enrollments of role ("student", "teacher") link to
 * the class (homeroom or scheduled) with sourcedId sid, reading only that class and those users; *out NULL
 * when the school has no such class. 0, or -1.
 */
int or_class_users(req_t *r, const char *role, const char *sid, json_t **out);

/* Answers {"<single>": record} of kind k with sourcedId id, with status; 404 as imsx_StatusInfo when none (rostering.c). */
int or_respond_record(req_t *r, or_kind_t k, const char *id, int status);

#endif
