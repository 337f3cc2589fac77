/*
 * assessment.h - the assessment area's handlers: grading scales, category
 * weights, assessments, their mark sheets (bulk PUT, GET), a student's term
 * grades and the publication of a term's grades. Routes:
 * src/api/routes/assessment.inc; schemas: src/api/schemas/assessment.json;
 * the arithmetic: src/domain/grading.h.
 *
 * Who may do what (the policy's rules, src/auth/policy.h, in SQL):
 *   admin          everything of the school, marks of a published term too (audited)
 *   teacher        reads the assessments of the classes they teach; creates
 *                  assessments and writes marks only for a subject they teach
 *                  in that class (class_subjects), never after the term's
 *                  grades are published (409)
 *   staff          reads
 *   student/parent a student's grades of their own once the term is published
 * Each handler answers as handlers do (handler.h): 0 with a response, -1 with r->err.
 */
#ifndef ERP_API_ASSESSMENT_H
#define ERP_API_ASSESSMENT_H

#include "http/handler.h"

int grading_scales_create(req_t *r);
int grading_scales_list(req_t *r);
int grading_scales_get(req_t *r);
int grading_scales_update(req_t *r);
int grading_scales_delete(req_t *r);
int grade_weights_put(req_t *r);
int assessments_create(req_t *r);
int assessments_get(req_t *r);
int assessments_update(req_t *r);
int assessment_marks_put(req_t *r);
int assessment_marks_get(req_t *r);
int student_grades(req_t *r);
int class_gradebook(req_t *r);
int class_gradebook_loop(req_t *r);
int student_remarks_put(req_t *r);
int student_report_card(req_t *r);
int student_report_card_pdf(req_t *r); /* one page, application/pdf (reports/card.h) */
int terms_publish_grades(req_t *r);

#endif
