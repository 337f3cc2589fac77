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

/* Wall-clock milliseconds since the Unix epoch. */
static inline uint64_t clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
