/*
 * demo_grades.h - the demo school's assessments: a default letter scale, the
 * current term's category weights (exams 60 %, tests 40 %) for every subject,
 * three assessments per class and subject (two tests, an exam) dated in the
 * term up to today, and plausible marks for every student (an ability per
 * student, some noise, a few absent or excused). Runs inside the demo's
 * transaction; deterministic (a fixed seed).
 */
#ifndef ERP_CLI_DEMO_GRADES_H
#define ERP_CLI_DEMO_GRADES_H

#include <stdint.h>

#include "store/store.h"

typedef struct demo_grades {
    db_t *db;
    const char *tenant;
    int64_t now;
    const char *term_id, *term_start, *term_end; /* the current term */
    int nclasses, nsubjects, nstudents;
    const char (*class_ids)[40];
    const char (*subject_ids)[40];
    const int *cs_teacher;         /* nclasses × nsubjects: teacher index of a subject taught in a class, or -1 */
    const char (*teacher_users)[40];
    const char (*student_ids)[40];
    const int *student_class;
} demo_grades_t;

/* Writes them; 0, or -1 after printing the failed statement's error to stderr (the caller rolls back). */
int demo_grades(const demo_grades_t *g);

#endif
