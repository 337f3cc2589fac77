#include "http/shed.h"

#define MS 1000000ull

void shed_init(shed_t *s, uint64_t target_ms, uint64_t interval_ms, uint64_t ceiling_ms)
{
    s->target_ns = target_ms * MS;
    s->interval_ns = interval_ms * MS;
    s->ceiling_ns = ceiling_ms * MS;
    s->above_since = 0;
    s->last_refusal = 0;
    s->refused = 0;
}

static int refuse(shed_t *s, uint64_t now)
{
    __atomic_store_n(&s->last_refusal, now, __ATOMIC_RELAXED);
    __atomic_fetch_add(&s->refused, 1, __ATOMIC_RELAXED);
    return 1;
}

int shed_refuse(shed_t *s, uint64_t now, uint64_t sojourn)
{
    if (sojourn < s->target_ns) {
        __atomic_store_n(&s->above_since, 0, __ATOMIC_RELAXED);
        return 0;
    }
    if (sojourn >= s->ceiling_ns)
        return refuse(s, now);
    uint64_t last = __atomic_load_n(&s->last_refusal, __ATOMIC_RELAXED);
    if (last != 0 && now - last < s->interval_ns)
        return refuse(s, now); /* shedding: the queue was found standing less than an interval ago */
    uint64_t since = __atomic_load_n(&s->above_since, __ATOMIC_RELAXED);
    if (since == 0) {
        /* the first sojourn above the target: the start of what may be a burst's drain */
        uint64_t zero = 0;
        __atomic_compare_exchange_n(&s->above_since, &zero, now, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
        return 0;
    }
    return now - since >= s->interval_ns ? refuse(s, now) : 0;
}
