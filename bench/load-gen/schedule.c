/* schedule.c - see schedule.h. */
#include "schedule.h"

#include <math.h>

uint64_t schedule_at(uint64_t start_ns, double rate, uint64_t i)
{
    return start_ns + (uint64_t)((double)i * 1e9 / rate);
}

uint64_t schedule_due(uint64_t start_ns, double rate, uint64_t now_ns, uint64_t total)
{
    if (now_ns < start_ns)
        return 0;
    uint64_t n = (uint64_t)floor((double)(now_ns - start_ns) * rate / 1e9) + 1;
    /* floating point may put the boundary one off: settle it with schedule_at itself */
    while (n > 0 && schedule_at(start_ns, rate, n - 1) > now_ns)
        n--;
    while (schedule_at(start_ns, rate, n) <= now_ns && n < total)
        n++;
    return n < total ? n : total;
}

uint64_t schedule_total(double rate, double seconds)
{
    double n = floor(rate * seconds);
    return n < 1 ? 1 : (uint64_t)n;
}
