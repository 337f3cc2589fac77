/* demo_grades.c - the demo school's scale, weights, assessments and marks (demo_grades.h). */
#include "cli/demo_grades.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/ids.h"

static stmt_t Q_SCALE = STMT2("demo.scale", 0,
                              "INSERT INTO grading_scales (tenant_id, id, name, is_default, created_at, updated_at)"
                              " VALUES ($1, $2, 'Letter grades', 1, $3, $3)",
                              "INSERT INTO grading_scales (tenant_id, id, name, is_default, created_at, updated_at)"
                              " VALUES ($1, $2, 'Letter grades', true, $3, $3)");
static stmt_t Q_BAND = STMT("demo.band", 0,
                            "INSERT INTO grading_scale_bands (tenant_id, scale_id, min_bp, label, descriptor, points)"
                            " VALUES ($1, $2, $3, $4, $5, $6)");
static stmt_t Q_WEIGHT = STMT("demo.weight", 0,
                              "INSERT INTO grade_category_weights (tenant_id, subject_id, term_id, category, weight,"
                              " updated_at) VALUES ($1, $2, $3, $4, $5, $6)");
static stmt_t Q_ASSESSMENT = STMT("demo.assessment", 0,
                                  "INSERT INTO assessments (tenant_id, id, class_id, subject_id, term_id, name, category,"
                                  " date, max_marks, weight, state, created_by, created_at, updated_at) VALUES ($1, $2,"
                                  " $3, $4, $5, $6, $7, $8, $9, 1, 'open', $10, $11, $11)");
static stmt_t Q_MARK = STMT("demo.mark", 0,
                            "INSERT INTO assessment_marks (tenant_id, assessment_id, student_id, status, mark, comment,"
                            " marked_by, marked_at) VALUES ($1, $2, $3, $4, $5, NULL, $6, $7)");

static const struct {
    int min_bp;
    const char *label, *descriptor;
    int points;
} bands[] = {{9000, "A", "Excellent", 400}, {8000, "B", "Good", 300}, {7000, "C", "Satisfactory", 200},
             {6000, "D", "Needs improvement", 100}, {0, "F", "Failing", 0}};

static const struct {
    const char *name, *category;
    int max; /* hundredths */
    int at;  /* quarter of the term so far */
} plan[] = {{"Test 1", "test", 2000, 1}, {"Test 2", "test", 2500, 2}, {"Midterm exam", "exam", 10000, 3}};

static int exec(const demo_grades_t *g, stmt_t *st, const db_arg_t *args, int n)
{
    arena_t a;
    arena_init(&a);
    int rc = db_exec(g->db, st, args, n, &a, NULL);
    arena_destroy(&a);
    if (rc != 0)
        fprintf(stderr, "school-erp demo: %s: %s\n", st->name, db_error(g->db)->message);
    return rc;
}
#define EXEC(g, st, ...) exec(g, st, DB_ARGS(__VA_ARGS__))

static uint64_t next(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return *seed >> 33;
}

static time_t day_of(const char *date)
{
    struct tm tm = {0};
    strptime(date, "%Y-%m-%d", &tm);
    tm.tm_hour = 12;
    return timegm(&tm);
}

/* The date of an assessment at quarter `at` of the term up to today (or its end). */
static void date_at(const demo_grades_t *g, int at, char out[11])
{
    time_t s = day_of(g->term_start), e = day_of(g->term_end), today = (time_t)(g->now / 1000);
    time_t last = today < e ? today : e;
    time_t t = last > s ? s + (last - s) * at / 4 : s;
    struct tm tm;
    gmtime_r(&t, &tm);
    if (tm.tm_wday == 0 || tm.tm_wday == 6) /* to the Friday before */
        t -= (tm.tm_wday == 6 ? 1 : 2) * 86400;
    if (t < s)
        t = s;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static int scale_and_weights(const demo_grades_t *g)
{
    char id[40];
    ids_uuid7(id);
    if (EXEC(g, &Q_SCALE, DB_TEXT(g->tenant), DB_TEXT(id), DB_INT(g->now)) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(bands) / sizeof(bands[0]); i++)
        if (EXEC(g, &Q_BAND, DB_TEXT(g->tenant), DB_TEXT(id), DB_INT(bands[i].min_bp), DB_TEXT(bands[i].label),
                 DB_TEXT(bands[i].descriptor), DB_INT(bands[i].points)) != 0)
            return -1;
    for (int s = 0; s < g->nsubjects; s++)
        if (EXEC(g, &Q_WEIGHT, DB_TEXT(g->tenant), DB_TEXT(g->subject_ids[s]), DB_TEXT(g->term_id), DB_TEXT("exam"),
                 DB_INT(60), DB_INT(g->now)) != 0 ||
            EXEC(g, &Q_WEIGHT, DB_TEXT(g->tenant), DB_TEXT(g->subject_ids[s]), DB_TEXT(g->term_id), DB_TEXT("test"),
                 DB_INT(40), DB_INT(g->now)) != 0)
            return -1;
    return 0;
}

/* A student's result: ability 55-97 %, noise of ±10 points, in half marks; 2 % absent, 1 % excused. */
static int mark(const demo_grades_t *g, const char *aid, int student, int max, const char *by, uint64_t *seed)
{
    uint64_t s = 0x9e3779b97f4a7c15ULL ^ (uint64_t)student;
    int ability = 55 + (int)(next(&s) % 43);
    int roll = (int)(next(seed) % 100);
    if (roll >= 97)
        return EXEC(g, &Q_MARK, DB_TEXT(g->tenant), DB_TEXT(aid), DB_TEXT(g->student_ids[student]),
                    DB_TEXT(roll == 99 ? "excused" : "absent"), DB_NULL, DB_TEXT(by), DB_INT(g->now));
    int pct = ability - 10 + (int)(next(seed) % 21);
    pct = pct < 0 ? 0 : pct > 100 ? 100 : pct;
    int64_t halves = ((int64_t)max * pct / 100 + 25) / 50; /* to the nearest half mark */
    return EXEC(g, &Q_MARK, DB_TEXT(g->tenant), DB_TEXT(aid), DB_TEXT(g->student_ids[student]), DB_TEXT("mark"),
                DB_INT(halves * 50), DB_TEXT(by), DB_INT(g->now));
}

int demo_grades(const demo_grades_t *g)
{
    if (scale_and_weights(g) != 0)
        return -1;
    uint64_t seed = 424242;
    for (int c = 0; c < g->nclasses; c++)
        for (int s = 0; s < g->nsubjects; s++) {
            int t = g->cs_teacher[c * g->nsubjects + s];
            if (t < 0)
                continue;
            for (size_t k = 0; k < sizeof(plan) / sizeof(plan[0]); k++) {
                char id[40], date[11];
                ids_uuid7(id);
                date_at(g, plan[k].at, date);
                if (EXEC(g, &Q_ASSESSMENT, DB_TEXT(g->tenant), DB_TEXT(id), DB_TEXT(g->class_ids[c]),
                         DB_TEXT(g->subject_ids[s]), DB_TEXT(g->term_id), DB_TEXT(plan[k].name),
                         DB_TEXT(plan[k].category), DB_TEXT(date), DB_INT(plan[k].max), DB_TEXT(g->teacher_users[t]),
                         DB_INT(g->now)) != 0)
                    return -1;
                for (int i = 0; i < g->nstudents; i++)
                    if (g->student_class[i] == c && mark(g, id, i, plan[k].max, g->teacher_users[t], &seed) != 0)
                        return -1;
            }
        }
    return 0;
}
