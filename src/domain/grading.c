/*
 * grading.c - exact fractions on 128-bit integers, the weighted percentage,
 * scale lookup and means (the contract and the rounding rule: grading.h).
 */
#include "domain/grading.h"

#include <string.h>

typedef unsigned __int128 u128;

const char *const grade_status_names[] = {"absent", "excused", "exempt", NULL};

int grade_status_parse(const char *s)
{
    for (int i = 0; s != NULL && grade_status_names[i] != NULL; i++)
        if (strcmp(s, grade_status_names[i]) == 0)
            return GRADE_ABSENT + i;
    return -1;
}

static u128 gcd(u128 a, u128 b)
{
    while (b != 0) {
        u128 t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static void reduce(grade_frac_t *f)
{
    u128 g = gcd(f->num, f->den);
    if (g > 1) {
        f->num /= g;
        f->den /= g;
    }
}

int grade_frac_make(uint64_t num, uint64_t den, grade_frac_t *out)
{
    if (den == 0)
        return -1;
    out->num = num;
    out->den = den;
    reduce(out);
    return 0;
}

/* a * b into *out; -1 on overflow. */
static int mul(u128 a, u128 b, u128 *out)
{
    return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

int grade_frac_add_scaled(grade_frac_t *acc, const grade_frac_t *f, uint64_t w)
{
    if (w == 0 || f->num == 0)
        return 0;
    /* acc + f*w = (acc.num * (f.den/g) + f.num*w * (acc.den/g)) / (acc.den/g * f.den), g = gcd(dens) */
    u128 g = gcd(acc->den, f->den);
    u128 left, right, fw, den;
    if (mul(acc->num, f->den / g, &left) != 0 || mul(f->num, w, &fw) != 0 || mul(fw, acc->den / g, &right) != 0 ||
        mul(acc->den / g, f->den, &den) != 0 || __builtin_add_overflow(left, right, &left))
        return -1;
    acc->num = left;
    acc->den = den;
    reduce(acc);
    return 0;
}

int grade_frac_div(grade_frac_t *f, uint64_t d)
{
    if (d == 0)
        return -1;
    u128 g = gcd(f->num, d);
    if (g == 0)
        g = 1;
    f->num /= g;
    return mul(f->den, d / g, &f->den);
}

int grade_frac_round(const grade_frac_t *f, uint64_t unit, int64_t *out)
{
    u128 scaled;
    if (mul(f->num, unit, &scaled) != 0)
        return -1;
    u128 q = scaled / f->den, rem = scaled % f->den;
    if (rem >= f->den - rem) /* rem / den >= 1/2: a half rounds up */
        q++;
    if (q > (u128)INT64_MAX)
        return -1;
    *out = (int64_t)q;
    return 0;
}

int grade_frac_eq(const grade_frac_t *a, const grade_frac_t *b)
{
    return a->num == b->num && a->den == b->den; /* both in lowest terms */
}

static int counts(const grade_item_t *it)
{
    return it->status == GRADE_MARK || it->status == GRADE_ABSENT;
}

int grade_category_scores(const grade_item_t *items, size_t n, size_t ncat, grade_frac_t *cat, int *counted)
{
    uint64_t *wsum = NULL;
    uint64_t small[GRADE_MAX_CATEGORIES] = {0};
    if (ncat > GRADE_MAX_CATEGORIES)
        return -1;
    wsum = small;
    for (size_t c = 0; c < ncat; c++) {
        cat[c].num = 0;
        cat[c].den = 1;
        counted[c] = 0;
    }
    for (size_t i = 0; i < n; i++) {
        const grade_item_t *it = &items[i];
        if (!counts(it) || it->category < 0 || (size_t)it->category >= ncat || it->max <= 0 || it->weight == 0)
            continue;
        int64_t mark = it->status == GRADE_ABSENT ? 0 : it->mark;
        grade_frac_t score;
        if (mark < 0 || grade_frac_make((uint64_t)mark, (uint64_t)it->max, &score) != 0 ||
            grade_frac_add_scaled(&cat[it->category], &score, it->weight) != 0 ||
            __builtin_add_overflow(wsum[it->category], it->weight, &wsum[it->category]))
            return -1;
        counted[it->category] = 1;
    }
    for (size_t c = 0; c < ncat; c++)
        if (counted[c] && grade_frac_div(&cat[c], wsum[c]) != 0)
            return -1;
    return 0;
}

int grade_percentage(const grade_item_t *items, size_t n, const uint32_t *weights, size_t ncat, int64_t *bp)
{
    static const uint32_t one = 1;
    grade_frac_t cat[GRADE_MAX_CATEGORIES], total = {0, 1};
    int counted[GRADE_MAX_CATEGORIES];
    if (weights == NULL || ncat == 0) {
        weights = &one;
        ncat = 1;
    }
    if (grade_category_scores(items, n, ncat, cat, counted) != 0)
        return -1;
    uint64_t wsum = 0;
    for (size_t c = 0; c < ncat; c++) {
        if (!counted[c] || weights[c] == 0)
            continue;
        if (grade_frac_add_scaled(&total, &cat[c], weights[c]) != 0)
            return -1;
        wsum += weights[c];
    }
    if (wsum == 0 || grade_frac_div(&total, wsum) != 0)
        return -1;
    return grade_frac_round(&total, 10000, bp);
}

int grade_weights_check(const uint32_t *weights, size_t n, uint64_t *sum)
{
    uint64_t s = 0;
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        if (weights[i] < 1 || weights[i] > 100)
            ok = 0;
        s += weights[i];
    }
    *sum = s;
    return (n == 0 || (ok && s == 100)) ? 0 : -1;
}

int grade_scale_check(const grade_band_t *bands, size_t n)
{
    int zero = 0;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (bands[i].min_bp < 0 || bands[i].min_bp > 10000 || bands[i].label == NULL || bands[i].label[0] == '\0')
            return -1 - (int)i;
        for (size_t k = 0; k < i; k++)
            if (bands[k].min_bp == bands[i].min_bp)
                return -1 - (int)i;
        zero |= bands[i].min_bp == 0;
    }
    return zero ? 0 : -1 - (int)n;
}

const grade_band_t *grade_scale_lookup(const grade_band_t *bands, size_t n, int64_t bp)
{
    const grade_band_t *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (bands[i].min_bp <= bp && (best == NULL || bands[i].min_bp > best->min_bp))
            best = &bands[i];
    return best;
}

int grade_mean(const int64_t *v, size_t n, int64_t *out)
{
    grade_frac_t sum = {0, 1}, one;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < 0 || grade_frac_make((uint64_t)v[i], 1, &one) != 0 || grade_frac_add_scaled(&sum, &one, 1) != 0)
            return -1;
    }
    if (grade_frac_div(&sum, n) != 0)
        return -1;
    return grade_frac_round(&sum, 1, out);
}
