#include "core/clock.h"

int64_t clock_shift_ms;

void clock_start_at(int64_t at_ms)
{
    clock_shift_ms = 0;
    clock_shift_ms = at_ms - (int64_t)clock_wall_ms();
}
