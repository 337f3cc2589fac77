/*
 * tz.h - time zones (IANA names, through ICU): which names exist, and the
 * calendar date of an instant in a zone. A school's "today" is its own date,
 * not UTC's: attendance for today, rosters as of today, ages.
 */
#ifndef ERP_CORE_TZ_H
#define ERP_CORE_TZ_H

#include <stdint.h>

#define TZ_DATE_LEN 10 /* "YYYY-MM-DD" */

/* Whether name is a known IANA time zone ("Europe/Paris", "UTC"). Thread-safe. */
int tz_valid(const char *name);

/*
 * The date in zone at Unix milliseconds ms, as "YYYY-MM-DD" into out. An
 * unknown zone is treated as UTC. Thread-safe (one calendar per thread and zone, cached).
 */
void tz_local_date(const char *zone, int64_t ms, char out[TZ_DATE_LEN + 1]);

#endif
