/* attendance.c - handlers of the attendance routes. */
#include "api/attendance.h"
