/* timetable.c - handlers of the timetable routes. */
#include "api/timetable.h"
