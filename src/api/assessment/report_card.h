/*
 * report_card.h - the report card loader that the JSON route, the one-page
 * PDF route (report.c) and the class's report-card job (jobs/handlers.c)
 * share: the same document, from the same statements.
 *
 * r is the caller's request, or for a job a request context of the school:
 * only r->auth.tenant_id (the school) and r->arena (working memory) are used;
 * no access check is made here (the callers make theirs). On a database error
 * the functions return -1 with db_error(db) telling why; asm_published() may
 * also have recorded an error in r->err.
 */
#ifndef ERP_API_REPORT_CARD_H
#define ERP_API_REPORT_CARD_H

#include <jansson.h>

#include "http/handler.h"
#include "store/store.h"

/*
 * The report card of student sid for term tid as JSON (the document of GET
 * /students/{id}/report-cards/{termId}) into *out (a new reference): 0, 1
 * when the school has no such student or term, -1 after a database error.
 */
int report_card_load(req_t *r, db_t *db, const char *sid, const char *tid, json_t **out);

/*
 * The students (id, last_name, first_name) of class_id enrolled on any day of
 * term tid, by name, into *students: 0, 1 when there is no such term, -1.
 */
int report_card_roster(req_t *r, db_t *db, const char *class_id, const char *tid, db_result_t *students);

/* The school's paper: *letter 1 for US Letter, 0 for A4. 0, or -1. */
int report_card_paper(req_t *r, db_t *db, int *letter);

#endif
