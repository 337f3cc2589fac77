/*
 * jobs.h - /jobs: a school's background jobs (src/queue/), read and cancelled
 * by the account that asked for them, and by the school's admins; another
 * school's job, or another account's for a non-admin, is 404. The test suite's
 * POST /_test/jobs enqueues any job type (ERP_ENABLE_TEST_ROUTES=1 only).
 */
#ifndef ERP_API_JOBS_H
#define ERP_API_JOBS_H
#include "http/handler.h"

int jobs_get(req_t *r);
int jobs_list(req_t *r);
int jobs_cancel(req_t *r);
int testing_jobs_create(req_t *r);

#endif
