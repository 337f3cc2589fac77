/*
 * test_jobs.h - job types for the test suite, registered only when
 * ERP_ENABLE_TEST_ROUTES=1 (job_registry(true, …)). Each may name a file in
 * payload.file; it appends one line per event, "start ID PID MS" when it begins
 * and "done ID PID MS" when it ends well, so tests count starts and effects.
 *
 * test.sleep  {ms}: sleeps, checking job_should_stop() every 10 ms (stopped: retryable failure "stopped").
 * test.effect {ms, file}: like test.sleep, then the "done" line: the effect that must happen once.
 * test.fail   {times}: fails (retryable) while attempts_made < times, then completes.
 * test.spin   {ms}: a CPU-bound loop that never reports progress (the renew thread must keep its lock).
 */
#ifndef ERP_QUEUE_TEST_JOBS_H
#define ERP_QUEUE_TEST_JOBS_H
#include "queue/worker.h"

int test_job_sleep(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen);
int test_job_fail(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen);
int test_job_spin(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen);

#define TEST_JOB_HANDLERS                                                                                              \
    {"test.sleep", test_job_sleep}, {"test.effect", test_job_sleep}, {"test.fail", test_job_fail},                     \
        {"test.spin", test_job_spin}

#endif
