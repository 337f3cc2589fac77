#include "api/invalidate.h"

#include <stdio.h>
#include <string.h>

#include "auth/sessions.h"
#include "cache/cache.h"

#define F(x) (1u << (x))
#define PERSON F(CACHE_STUDENT) | F(CACHE_ROSTER) | F(CACHE_ATTENDANCE) | F(CACHE_GRADEBOOK)
#define SCHEDULE F(CACHE_TIMETABLE) | F(CACHE_ROSTER)
#define DAYS F(CACHE_CALENDAR) | F(CACHE_ATTENDANCE) /* which days are school days */

/*
 * By path template; a row covers every write method of its path. What shows
 * where: a student's profile shows the record, its current class (the class,
 * its enrollment, the year that bounds an open enrollment) and guardians; a
 * roster shows students, their enrollments and the class; a timetable shows
 * slots, subjects, classes and teachers; the calendar shows years, terms and
 * holidays; an attendance sheet shows a class's roster, its marks of the day and
 * whether the day is a school day; a gradebook shows the class's students and
 * enrollments of a term, the subject's assessments, their marks and weights and
 * the term's grading scale; sessions and the account document show accounts.
 */
static const struct {
    const char *path;
    unsigned families;
    unsigned parts; /* partitioned families of which only the part named by the path's parameters changes */
} rules[] = {
    {"/api/v1/auth/login", F(CACHE_ACCOUNT)}, /* the account's last login */
    {"/api/v1/auth/refresh", 0},              /* a reuse revokes in sessions.c */
    {"/api/v1/auth/logout", F(CACHE_SESSION)},
    {"/api/v1/auth/password", F(CACHE_SESSION)},
    {"/api/v1/tenants", 0},                   /* a new school has nothing cached */
    {"/api/v1/tenants/{id}", 0},              /* another school: tenants.c invalidates it whole */
    {"/api/v1/users", 0},                     /* a new account has nothing cached */
    {"/api/v1/users/{id}", F(CACHE_SESSION) | F(CACHE_ACCOUNT)},
    {"/api/v1/academic-years", DAYS | PERSON | SCHEDULE},
    {"/api/v1/academic-years/{id}", DAYS | PERSON | SCHEDULE},
    {"/api/v1/terms", DAYS},
    {"/api/v1/terms/{id}", DAYS | F(CACHE_GRADEBOOK)}, /* its dates bound a gradebook's roster */
    {"/api/v1/holidays", DAYS},
    {"/api/v1/holidays/{date}", DAYS},
    {"/api/v1/subjects", F(CACHE_TIMETABLE)},
    {"/api/v1/subjects/{id}", F(CACHE_TIMETABLE) | F(CACHE_GRADEBOOK)},
    {"/api/v1/classes", SCHEDULE},
    {"/api/v1/classes/{id}", PERSON | SCHEDULE},
    {"/api/v1/classes/{id}/subjects", SCHEDULE},
    {"/api/v1/classes/{id}/subjects/{assignmentId}", SCHEDULE},
    {"/api/v1/enrollments", PERSON},
    {"/api/v1/enrollments/{id}", PERSON},
    {"/api/v1/enrollments/{id}/transfer", PERSON},
    {"/api/v1/enrollments/{id}/end", PERSON},
    {"/api/v1/teachers", SCHEDULE},
    {"/api/v1/teachers/{id}", SCHEDULE},
    {"/api/v1/students", PERSON},
    {"/api/v1/students/{id}", PERSON},
    {"/api/v1/guardians", 0}, /* a new guardian is linked to no student yet */
    {"/api/v1/guardians/{id}", F(CACHE_STUDENT)},
    {"/api/v1/students/{id}/guardians/{guardianId}", F(CACHE_STUDENT)},
    {"/api/v1/classes/{id}/attendance/{date}", 0, F(CACHE_ATTENDANCE)}, /* that sheet's part: "id:date" */
    {"/api/v1/timetable-slots", F(CACHE_TIMETABLE)},
    {"/api/v1/timetable-slots/{id}", F(CACHE_TIMETABLE)},
    {"/api/v1/files", F(CACHE_STUDENT)}, /* a photo upload changes the student's version */
    {"/api/v1/students/{id}/photo", F(CACHE_STUDENT)},
    {"/api/v1/_test/transaction", 0},
    {"/api/v1/_test/echo", 0},
    {"/api/v1/jobs/{id}", 0},  /* jobs are not cached */
    {"/api/v1/_test/jobs", 0},
    {"/api/v1/imports/{kind}", 0},                    /* the import job invalidates what it changed when it runs */
    {"/api/v1/reports/attendance-register", 0},       /* starts a job that only reads */
    {"/api/v1/grading-scales", F(CACHE_GRADEBOOK)}, /* a new default scale grades the terms without one */
    {"/api/v1/grading-scales/{id}", F(CACHE_GRADEBOOK)},
    {"/api/v1/subjects/{id}/grade-weights", F(CACHE_GRADEBOOK)},
    {"/api/v1/assessments", F(CACHE_GRADEBOOK)},
    {"/api/v1/assessments/{id}", F(CACHE_GRADEBOOK)},
    {"/api/v1/assessments/{id}/marks", F(CACHE_GRADEBOOK)},
    {"/api/v1/terms/{id}/publish-grades", F(CACHE_GRADEBOOK)},
    {"/api/v1/students/{id}/remarks/{termId}", 0}, /* remarks show on report cards only */
    {"/api/v1/report-cards", 0}, /* starts a job that only reads */
    {"/api/v1/invoices", 0}, /* money is read from the database, never cached */
    {"/api/v1/payments", 0},
    {"/api/v1/refunds", 0},
    {"/api/v1/invoices/{id}/issue", 0},
    {"/api/v1/invoices/{id}/credit-notes", 0},
    {"/api/v1/invoices/{id}/void", 0},
    {"/api/v1/payments/webhooks/{provider}", 0},
    {"/api/v1/fee-items", 0}, /* fee setup: read from the database, never cached */
    {"/api/v1/fee-items/{id}", 0},
    {"/api/v1/fee-structures", 0},
    {"/api/v1/fee-structures/{id}", 0},
    {"/api/v1/fee-structures/{id}/invoice", 0}, /* a job writes invoices, never cached */
    {"/api/v1/students/{id}/fee-discounts", 0},
    {"/api/v1/fee-discounts/{id}/end", 0},
    {"/api/v1/auth/password-reset", 0},                /* a request changes nothing cached */
    {"/api/v1/auth/password-reset/confirm", 0},        /* public: accounts/reset.c invalidates the account's school */
    {"/api/v1/auth/invitations/accept", 0},            /* likewise */
    {"/api/v1/auth/email-change/confirm", 0},          /* likewise (accounts/profile.c) */
    {"/api/v1/users/{id}/password-reset", 0},          /* a link is mailed; the account is unchanged */
    {"/api/v1/me", F(CACHE_ACCOUNT)},                  /* the caller's /me document */
    {"/api/v1/me/guardian", F(CACHE_STUDENT)},         /* as /guardians/{id}: students' profiles show guardians */
    {"/api/v1/school/logo", 0},                        /* only messages show it, nothing cached */
    {"/api/v1/announcements", 0}, /* announcements and absence alerts are read from the database, never cached */
    {"/api/v1/announcements/{id}", 0},
    {"/api/v1/announcements/{id}/read", 0},
    {"/api/v1/absence-alerts/settings", 0},
    {"/api/v1/guardians/{id}/absence-alerts", 0},
    {"/api/v1/absence-alerts/unsubscribe", 0},
    {"/api/v1/absence-alerts/unsubscribe/confirm", 0},
    {"/api/v1/oauth-clients", 0},      /* OAuth clients and their tokens are read from the database, never cached */
    {"/api/v1/oauth-clients/{id}", 0},
    {"/ims/oneroster/v1p1/oauth/token", 0},
    {"/ims/oneroster/v1p1/lineItems/{id}", F(CACHE_GRADEBOOK)}, /* an assessment and its marks */
    {"/ims/oneroster/v1p1/results/{id}", F(CACHE_GRADEBOOK)},
};

/* The part a write's path names: its parameters joined with ':' ("<class id>:<day>"); -1 without parameters. */
static int part_of(const req_t *r)
{
    char name[256];
    size_t n = 0;
    for (int i = 0; i < r->nparams; i++) {
        int w = snprintf(name + n, sizeof(name) - n, "%s%s", i > 0 ? ":" : "", r->params[i]);
        if (w < 0 || (size_t)w >= sizeof(name) - n)
            return -1; /* too long to be a part's name: the whole family */
        n += (size_t)w;
    }
    return n > 0 ? cache_part(name) : -1;
}

static long rule_of(const route_t *route)
{
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        if (strcmp(rules[i].path, route->path) == 0)
            return (long)i;
    return -1;
}

long invalidate_families(const route_t *route)
{
    long i = rule_of(route);
    return i < 0 ? -1 : (long)(rules[i].families | rules[i].parts);
}

void invalidate_after(const req_t *r)
{
    if (r->route == NULL || (r->method & (HTTP_GET | HTTP_HEAD | HTTP_OPTIONS)) || r->res.status < 200 ||
        r->res.status >= 300 || r->err.code != ERR_NONE)
        return;
    if (!r->auth.authenticated)
        return; /* public routes: see the handlers */
    const char *tenant = sessions_tenant_of(r);
    long i = rule_of(r->route);
    for (int f = 0; i >= 0 && f < CACHE_FAMILIES; f++) {
        if (rules[i].families & (1u << f))
            cache_invalidate_family(tenant, (cache_family_t)f);
        else if (rules[i].parts & (1u << f))
            cache_invalidate_part(tenant, (cache_family_t)f, part_of(r));
    }
}
