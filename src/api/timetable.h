/* timetable.h - handlers of the timetable routes (rows in src/api/routes/timetable.inc). */
#ifndef ERP_API_TIMETABLE_H
#define ERP_API_TIMETABLE_H

#include "http/handler.h"

#endif
