/* attendance.c - statuses, counts, rates and summaries of attendance (see attendance.h). */
#include "domain/attendance.h"

#include <string.h>

const char *const att_status_names[] = {"present", "absent", "late", "excused", NULL};

#define MS_PER_DAY 86400000LL

int att_status_parse(const char *s)
{
    if (s == NULL)
        return -1;
    for (int i = 0; i < ATT_NSTATUS; i++)
        if (strcmp(s, att_status_names[i]) == 0)
            return i;
    return -1;
}

int att_marked(const att_counts_t *c)
{
    int m = 0;
    for (int i = 0; i < ATT_NSTATUS; i++)
        m += c->n[i];
    return m;
}

int att_rate(const att_counts_t *c, double *rate)
{
    long long marked = att_marked(c);
    if (marked <= 0)
        return -1;
    long long attended = (long long)c->n[ATT_PRESENT] + c->n[ATT_LATE];
    /* basis points rounded half up in integers: no binary-fraction surprises at .5 */
    long long bp = (attended * 20000 + marked) / (2 * marked);
    *rate = (double)bp / 10000.0;
    return 0;
}

void att_counts_add(att_counts_t *a, const att_counts_t *b)
{
    a->expected += b->expected;
    for (int i = 0; i < ATT_NSTATUS; i++)
        a->n[i] += b->n[i];
    a->unmarked += b->unmarked;
}

void att_day_counts(int expected, const int n[ATT_NSTATUS], att_counts_t *out)
{
    memset(out, 0, sizeof(*out));
    out->expected = expected;
    if (n != NULL)
        memcpy(out->n, n, sizeof(out->n));
    int left = expected - att_marked(out);
    out->unmarked = left > 0 ? left : 0;
}

int att_enrolled(const att_span_t *spans, size_t n, cal_day_t d)
{
    int k = 0;
    for (size_t i = 0; i < n; i++)
        k += cal_in_range(d, spans[i].start, spans[i].end);
    return k;
}

void att_student_summary(const cal_day_t *school_days, size_t ndays, const att_span_t *spans, size_t nspans,
                         const att_mark_t *marks, size_t nmarks, att_counts_t *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < nmarks; i++)
        if (marks[i].status >= 0 && marks[i].status < ATT_NSTATUS)
            out->n[marks[i].status]++;
    size_t m = 0;
    for (size_t i = 0; i < ndays; i++) {
        cal_day_t d = school_days[i];
        if (att_enrolled(spans, nspans, d) == 0)
            continue;
        out->expected++;
        while (m < nmarks && marks[m].day < d)
            m++;
        if (m == nmarks || marks[m].day != d)
            out->unmarked++;
    }
}

const cal_term_t *att_current_term(const cal_calendar_t *c, cal_day_t today)
{
    const cal_term_t *holding = cal_term_of(c, today), *begun = NULL, *coming = NULL;
    if (holding != NULL)
        return holding;
    for (size_t i = 0; i < c->nterms; i++) {
        const cal_term_t *t = &c->terms[i];
        if (t->start <= today && (begun == NULL || t->start > begun->start))
            begun = t;
        if (t->start > today && (coming == NULL || t->start < coming->start))
            coming = t;
    }
    return begun != NULL ? begun : coming;
}

