/* clock.h - time sources. */
#ifndef ERP_CORE_CLOCK_H
#define ERP_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic nanoseconds, for durations. */
static inline uint64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The test clock's shift: 0 in production. A test server started with
 * ERP_TEST_CLOCK (accepted only together with ERP_ENABLE_TEST_ROUTES=1) sets it
 * once at start-up, so its wall clock begins at that instant and runs on.
 */
extern int64_t clock_shift_ms;

/* Wall-clock milliseconds since the Unix epoch (shifted by the test clock, if any). */
static inline uint64_t clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)((int64_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u) + clock_shift_ms);
}

/* Makes the wall clock read at_ms now (and run on from there). Call before any thread starts. */
void clock_start_at(int64_t at_ms);

#endif
