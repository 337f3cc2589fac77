/* academic.h - handlers of the academic routes (rows in src/api/routes/academic.inc). */
#ifndef ERP_API_ACADEMIC_H
#define ERP_API_ACADEMIC_H

#include "http/handler.h"

#endif
