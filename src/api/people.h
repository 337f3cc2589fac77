/* people.h - handlers of the people routes (rows in src/api/routes/people.inc). */
#ifndef ERP_API_PEOPLE_H
#define ERP_API_PEOPLE_H

#include "http/handler.h"

#endif
