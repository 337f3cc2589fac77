/*
 * shed.h - which queued requests to refuse: by how long they have waited,
 * not by how many are waiting.
 *
 * A request's sojourn is the time from its arrival to the moment a handler
 * thread takes it. A burst makes sojourns rise for as long as the server
 * needs to drain it; an overload makes them stay high. The rule (after
 * CoDel, the controlled-delay queue discipline):
 *
 *   - while sojourns stay below the target, nothing is refused;
 *   - when they have stayed at or above the target without a break for a
 *     whole interval, the queue is standing, not draining: from then on,
 *     every request whose sojourn is at or above the target is answered 503
 *     with Retry-After at once (it costs microseconds), which empties the
 *     queue of stale work so fresh requests are served without delay;
 *   - the shedding state ends after an interval without a refusal;
 *   - a request that waited longer than the ceiling is refused in any state.
 *
 * With the defaults (target 100 ms, interval 1 s, ceiling 5 s), a burst the
 * server drains within about 1.1 s is served whole, and a real overload is
 * shed within about a second. Thread-safe (relaxed atomics; a race may
 * refuse or admit one request either way).
 */
#ifndef ERP_HTTP_SHED_H
#define ERP_HTTP_SHED_H

#include <stdint.h>

typedef struct shed {
    uint64_t target_ns, interval_ns, ceiling_ns;
    uint64_t above_since; /* when sojourns went above the target without a break since; 0: below */
    uint64_t last_refusal;
    uint64_t refused;
} shed_t;

/* Sets the rule's parameters (milliseconds) and clears its state. */
void shed_init(shed_t *s, uint64_t target_ms, uint64_t interval_ms, uint64_t ceiling_ms);

/* Whether to refuse a request taken at now (monotonic ns) after waiting sojourn ns. */
int shed_refuse(shed_t *s, uint64_t now, uint64_t sojourn);

#endif
