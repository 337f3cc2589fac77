/* fees_int.h - what the fees area's files share (not for other areas). */
#ifndef ERP_API_FEES_INT_H
#define ERP_API_FEES_INT_H

#include "http/handler.h"
#include "store/store.h"

/* Whether the caller may read a student's money: 1 yes, 0 after answering 404, -1 after an error answered. */
int fees_may_read_student(req_t *r, const char *student_id);

/*
 * The school's ISO currency code (arena memory) once student_id is a student of the school; NULL after answering
 * 404 "No such student (field)." (field may be NULL) or an error.
 */
const char *fees_student_currency(req_t *r, const char *student_id, const char *field);

#endif
