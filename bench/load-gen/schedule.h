/*
 * schedule.h - the fixed timeline of an open-loop run: request i is due at start + i / rate,
 * whatever happened to the requests before it. Latency is measured from that intended time,
 * so a stalled server is charged for every request it kept waiting (no coordinated omission).
 * Pure arithmetic on nanoseconds; no state.
 */
#ifndef SCHEDULE_H
#define SCHEDULE_H

#include <stdint.h>

/* The intended send time (ns, same clock as start_ns) of request i at rate requests/s (> 0). */
uint64_t schedule_at(uint64_t start_ns, double rate, uint64_t i);

/* How many requests are due by now_ns (those with schedule_at(...) <= now_ns), capped at total;
 * 0 before start_ns. */
uint64_t schedule_due(uint64_t start_ns, double rate, uint64_t now_ns, uint64_t total);

/* The number of requests of a run of seconds at rate (rounded down, at least 1). */
uint64_t schedule_total(double rate, double seconds);

#endif
