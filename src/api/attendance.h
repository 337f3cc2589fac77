/* attendance.h - handlers of the attendance routes (rows in src/api/routes/attendance.inc). */
#ifndef ERP_API_ATTENDANCE_H
#define ERP_API_ATTENDANCE_H

#include "http/handler.h"

#endif
