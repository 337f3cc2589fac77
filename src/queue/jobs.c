/* jobs.c - the job registry: the handler of every job type of this build (a table, like the route table). */
#include "queue/test_jobs.h"
#include "queue/worker.h"

/* The product's job types first, then the test suite's (only with the test routes). Add rows here. */
#define PRODUCT_JOBS 0
static const job_handler_t handlers[] = {
    TEST_JOB_HANDLERS,
};

const job_handler_t *job_registry(bool with_test, size_t *n)
{
    *n = with_test ? sizeof(handlers) / sizeof(handlers[0]) : PRODUCT_JOBS;
    return handlers;
}
