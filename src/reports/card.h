/*
 * card.h - report cards as PDF: one page per student, drawn from the JSON
 * document of GET /students/{id}/report-cards/{termId} (api/assessment/
 * report_card.h loads it): the school, the student (name, admission number),
 * the class and class teacher, the term; per subject the weighted percentage,
 * the scale's grade, the grade point and the subject teacher's remark; the
 * overall average and GPA; the term's attendance (days by status, the rate);
 * the class teacher's remark. Percentages and points print with two
 * decimals, "—" where there is none. A4 or US Letter portrait; text is real
 * text in DejaVu Sans, embedded. A draft (the term's grades not published)
 * carries a "Draft" watermark and a line at the foot saying so.
 *
 * The PDF is built in memory and appended to out; on failure out may hold a
 * part of it (callers discard it).
 */
#ifndef ERP_REPORTS_CARD_H
#define ERP_REPORTS_CARD_H

#include <jansson.h>
#include <stddef.h>

#include "core/sbuf.h"

/* Draws cards[0..n) (n >= 1), a page each, onto out. 0, or -1 with a one-line reason in err. */
int card_pdf(const json_t *const *cards, int n, int letter, int draft, sbuf_t *out, char *err, size_t errlen);

#endif
