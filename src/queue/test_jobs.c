/* test_jobs.c - the test suite's job types (see test_jobs.h). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "queue/test_jobs.h"

/* Appends "WHAT ID PID MS" to payload.file, if any, in one write. */
static void note(job_ctx_t *ctx, json_t *payload, const char *what)
{
    const char *file = json_string_value(json_object_get(payload, "file"));
    if (file == NULL)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char line[200];
    int n = snprintf(line, sizeof(line), "%s %s %ld %lld\n", what, job_current(ctx)->id, (long)getpid(),
                     (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    if (write(fd, line, (size_t)n) != n)
        perror("test job note");
    close(fd);
}

static json_int_t ms_of(json_t *payload)
{
    json_int_t ms = json_integer_value(json_object_get(payload, "ms"));
    return ms < 0 ? 0 : ms > 600000 ? 600000 : ms;
}

int test_job_sleep(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen)
{
    note(ctx, payload, "start");
    uint64_t end = clock_mono_ns() + (uint64_t)ms_of(payload) * 1000000u;
    struct timespec step = {0, 10 * 1000000};
    while (clock_mono_ns() < end) {
        if (job_should_stop(ctx)) {
            snprintf(reason, reasonlen, "stopped");
            return JOB_RETRY;
        }
        nanosleep(&step, NULL);
    }
    note(ctx, payload, "done");
    *result = json_pack("{s:I}", "slept", ms_of(payload));
    return JOB_DONE;
}

int test_job_fail(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen)
{
    note(ctx, payload, "start");
    int made = job_current(ctx)->attempts_made;
    if (made < json_integer_value(json_object_get(payload, "times"))) {
        snprintf(reason, reasonlen, "planned failure %d", made + 1);
        return JOB_RETRY;
    }
    note(ctx, payload, "done");
    *result = json_pack("{s:i}", "attempt", made + 1);
    return JOB_DONE;
}

int test_job_spin(job_ctx_t *ctx, json_t *payload, json_t **result, char *reason, size_t reasonlen)
{
    (void)reason;
    (void)reasonlen;
    note(ctx, payload, "start");
    uint64_t end = clock_mono_ns() + (uint64_t)ms_of(payload) * 1000000u;
    volatile uint64_t x = 0;
    while (clock_mono_ns() < end)
        for (int i = 0; i < 10000; i++)
            x += (uint64_t)i;
    (void)x; /* read once more: the loop is the work, the sum is not */
    note(ctx, payload, "done");
    *result = json_pack("{s:I}", "spun", ms_of(payload));
    return JOB_DONE;
}
