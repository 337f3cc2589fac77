/*
 * grading.h - the arithmetic of grades, without I/O: exact fractions, the
 * weighted percentage of a subject's term grade, grading-scale lookup and the
 * GPA. Nothing here uses floating point, so both database engines, every
 * compiler and every report give the same digits.
 *
 * Units
 *   mark        hundredths of a mark (17.5 marks = 1750), 0..max
 *   max         hundredths of a mark, > 0
 *   percentage  basis points: hundredths of a percent (87.25 % = 8725), 0..10000
 *   grade point hundredths (3.70 = 370)
 *   weight      a positive integer; category weights are whole percents adding up to 100
 *
 * The rounding rule (one rule, everywhere): every figure is computed as an
 * exact fraction and rounded once, at the last step, to the nearest unit of
 * its kind (basis point, hundredth of a grade point), a half rounding up
 * (87.125 % -> 87.13 %; all figures are non-negative, so "up" is "away from
 * zero"). Intermediate results are never rounded. A figure derived from
 * reported figures (the overall average from the subjects' percentages, the
 * GPA from their grade points) starts from the reported, rounded figures, so
 * a reader can redo it from the report card; it is again rounded once.
 *
 * The grade of a subject in a term
 *   An assessment's score is mark / max. Absent counts as a mark of 0;
 *   excused and exempt, and assessments without a mark yet, do not count.
 *   A category's score is the weighted mean of its counted assessments'
 *   scores (each assessment's weight within its category). The subject's
 *   percentage is the mean of its categories' scores weighted by the category
 *   weights, taken over the categories that have a counted assessment (the
 *   weights of the others are left out and the rest renormalised), so a grade
 *   "so far" exists mid-term. With no category weights at all every
 *   assessment is in one pool weighted by its own weight.
 *
 * Functions return 0, or -1 when there is nothing to compute (no counted
 * mark) or an exact intermediate would not fit in 128 bits (only many pairwise
 * coprime maxima get near it); outputs are then untouched.
 */
#ifndef ERP_DOMAIN_GRADING_H
#define ERP_DOMAIN_GRADING_H

#include <stddef.h>
#include <stdint.h>

/* At most this many categories per subject and term. */
#define GRADE_MAX_CATEGORIES 16

/* An exact non-negative fraction num / den (den > 0), kept in lowest terms. */
typedef struct grade_frac {
    unsigned __int128 num;
    unsigned __int128 den;
} grade_frac_t;

/* num / den in lowest terms into *out; -1 when den is 0. */
int grade_frac_make(uint64_t num, uint64_t den, grade_frac_t *out);
/* *acc += f * w (w >= 0); -1 on overflow (*acc then unspecified). */
int grade_frac_add_scaled(grade_frac_t *acc, const grade_frac_t *f, uint64_t w);
/* *f /= d (d > 0); -1 on overflow or d == 0. */
int grade_frac_div(grade_frac_t *f, uint64_t d);
/* f * unit rounded half up to an integer (unit 10000: basis points of a fraction 0..1); -1 on overflow. */
int grade_frac_round(const grade_frac_t *f, uint64_t unit, int64_t *out);
/* Whether a and b are the same number. */
int grade_frac_eq(const grade_frac_t *a, const grade_frac_t *b);

/* How a student did on one assessment. */
typedef enum {
    GRADE_UNMARKED, /* no mark yet: does not count */
    GRADE_MARK,     /* mark counts */
    GRADE_ABSENT,   /* counts as 0 */
    GRADE_EXCUSED,  /* does not count */
    GRADE_EXEMPT,   /* does not count */
} grade_status_t;

/* The statuses a mark sheet sends instead of a mark: "absent", "excused", "exempt", NULL (GRADE_ABSENT + index). */
extern const char *const grade_status_names[];
/* GRADE_ABSENT.. of one of those names, or -1 when unknown (NULL too). */
int grade_status_parse(const char *s);

/* One assessment of a subject with one student's result. */
typedef struct grade_item {
    int category;   /* index into the categories, 0 when there are none */
    uint64_t weight; /* within the category, > 0 */
    int64_t max;    /* hundredths of a mark, > 0 */
    int status;     /* grade_status_t */
    int64_t mark;   /* hundredths, with GRADE_MARK */
} grade_item_t;

/*
 * The exact score of each category (0..1) into cat[0..ncat), with counted[i]
 * set to whether category i has a counted assessment. Items whose category is
 * out of range are ignored. Returns 0, or -1 on overflow.
 */
int grade_category_scores(const grade_item_t *items, size_t n, size_t ncat, grade_frac_t *cat, int *counted);

/*
 * The subject's percentage in basis points, exact before the one rounding
 * (the rule above). weights[i] is category i's weight (whole percents; NULL
 * or ncat 0: one pool, every item in category 0). Returns 0, or -1 when no
 * assessment counts yet (no grade) or on overflow.
 */
int grade_percentage(const grade_item_t *items, size_t n, const uint32_t *weights, size_t ncat, int64_t *bp);

/*
 * Category weights: 0 when they add up to 100 and each is 1..100; else -1
 * with *sum set to their total (a 422 names it). n 0 is valid (no categories).
 */
int grade_weights_check(const uint32_t *weights, size_t n, uint64_t *sum);

/* A band of a grading scale: from min_bp (inclusive) up to the next band's min. */
typedef struct grade_band {
    int64_t min_bp;        /* 0..10000 */
    const char *label;     /* "A", "Exceeding" */
    const char *descriptor; /* may be NULL */
    int64_t points;        /* hundredths; -1 when the scale has no grade points */
} grade_band_t;

/*
 * Checks a scale's bands: at least one, mins within 0..10000, no two equal,
 * one starting at 0 (every percentage has a band). Returns 0, or the index
 * (+1) of the first offending band as a negative number (-1 - i); -1 - n when
 * no band starts at 0.
 */
int grade_scale_check(const grade_band_t *bands, size_t n);

/* The band of a percentage: the one with the greatest min_bp <= bp; NULL when none (an unchecked scale). */
const grade_band_t *grade_scale_lookup(const grade_band_t *bands, size_t n, int64_t bp);

/*
 * The mean of n integers (basis points, or grade points in hundredths),
 * rounded half up once; -1 when n is 0. Used for the overall average (of
 * the subjects' reported percentages) and the GPA (of their grade points).
 */
int grade_mean(const int64_t *v, size_t n, int64_t *out);

#endif
