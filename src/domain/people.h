/*
 * people.h - pure rules of the people records (teachers, students, guardians):
 * what a name, a phone number and a school-issued number may look like, the
 * dates of a student's life at school, the search text kept on students, and
 * the text forms the people lists use (LIKE patterns, two-part sort keys).
 * No I/O, no allocation: outputs go to caller buffers.
 */
#ifndef ERP_DOMAIN_PEOPLE_H
#define ERP_DOMAIN_PEOPLE_H

#include <stddef.h>

/* Separates the two parts of a sort key ("Lopez" PEOPLE_KEY_SEP "Ana"); names never contain it. */
#define PEOPLE_KEY_SEP '\x1f'

/* Whether s may be a person's name: no control characters (C0, DEL) anywhere. Length is checked elsewhere. */
int people_valid_name(const char *s);

/*
 * Whether s is a phone number as people write them: 3 to 40 characters of
 * digits, spaces and + - ( ) . / with at least 3 digits, '+' only first; an
 * extension may follow as " x123" or " ext 123".
 */
int people_valid_phone(const char *s);

/*
 * Whether s is a school-issued number (admission number, employee number):
 * 1 to 32 characters of A-Z a-z 0-9 and . _ / -, starting with a letter or a
 * digit.
 */
int people_valid_code(const char *s);

/* Why a date of a person's life at school is refused. */
typedef enum {
    PEOPLE_DATE_OK = 0,
    PEOPLE_DATE_NOT_PAST,      /* a birth date on or after today */
    PEOPLE_DATE_TOO_EARLY,     /* before 1900-01-01 */
    PEOPLE_DATE_BEFORE_BIRTH,  /* admitted before being born */
} people_date_t;

/*
 * Checks a date of birth against today (all "YYYY-MM-DD", already valid
 * dates): it must lie in [1900-01-01, today).
 */
people_date_t people_check_birth(const char *dob, const char *today);
/* Checks an admission date against the date of birth: not before it (either may be NULL: nothing to check). */
people_date_t people_check_admission(const char *admitted_on, const char *dob);

/*
 * Writes the search text of a student, "first middle last admissionNo" (no
 * middle part when middle is NULL), into out; the store lowers its case (the
 * same lower() as the query side, on either engine). Returns 0, or -1 when it
 * does not fit (out then holds "").
 */
int people_search_text(char *out, size_t outlen, const char *first, const char *middle, const char *last,
                       const char *admission_no);

/*
 * Writes a LIKE pattern matching q anywhere ("%q%"), with %, _ and \ escaped
 * by \ (use with ESCAPE '\'). Returns 0, or -1 when it does not fit.
 */
int people_like_pattern(char *out, size_t outlen, const char *q);

/* Writes the two-part sort key a PEOPLE_KEY_SEP b into out; 0, or -1 when it does not fit. */
int people_key_join(char *out, size_t outlen, const char *a, const char *b);
/*
 * Splits a two-part sort key in place: *a and *b point into key. Returns 0,
 * or -1 when key holds no separator (a cursor this server did not issue).
 */
int people_key_split(char *key, const char **a, const char **b);

#endif
