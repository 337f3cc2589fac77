/*
 * timetable.h - the rules of the weekly timetable, without I/O: clock times
 * ("HH:MM" <-> minutes after midnight), interval overlap, and which resources
 * two slots double-book. Weekdays are ISO numbers, 1 Monday … 7 Sunday (names:
 * cal_weekday_name()/cal_weekday_parse() in domain/calendar.h).
 *
 * A slot occupies the half-open interval [start, end): a lesson 08:00-08:45
 * and the next one 08:45-09:30 touch but do not clash.
 */
#ifndef ERP_DOMAIN_TIMETABLE_H
#define ERP_DOMAIN_TIMETABLE_H

#define TT_MINUTES_PER_DAY 1440

/*
 * Parses a clock time "HH:MM" (two digits each, 00:00 to 23:59) into minutes
 * after midnight. With end_of_day, "24:00" is also accepted (1440), for the end
 * of a slot. Returns the minutes, or -1 when s is anything else (NULL too).
 */
int tt_parse_time(const char *s, int end_of_day);

/* Writes minutes (0..1440) as "HH:MM" into out; out of range writes "??:??". */
void tt_format_time(int minutes, char out[6]);

/* Whether the half-open intervals [a_start, a_end) and [b_start, b_end) share a minute. */
int tt_overlaps(int a_start, int a_end, int b_start, int b_end);

/* A slot as the clash check sees it (strings are borrowed; room may be NULL). */
typedef struct tt_slot {
    const char *id; /* NULL for a slot not stored yet */
    const char *class_id;
    const char *teacher_id;
    const char *room;
    int weekday; /* 1..7 */
    int start;   /* minutes after midnight */
    int end;
} tt_slot_t;

/* Resources two slots can double-book (bits of tt_clash()'s result). */
enum {
    TT_CLASH_TEACHER = 1u << 0,
    TT_CLASH_ROOM = 1u << 1,
    TT_CLASH_CLASS = 1u << 2,
};

/*
 * Which resources a and b both use at an overlapping time on the same weekday:
 * the same teacher, the same room (rooms compare exactly; a slot without a
 * room books none), the same class. 0 when they do not clash, and for a slot
 * compared with itself (same non-NULL id), so a moved slot is not its own
 * clash.
 */
unsigned tt_clash(const tt_slot_t *a, const tt_slot_t *b);

/* "teacher", "room" or "class" for one TT_CLASH_* bit; NULL otherwise. */
const char *tt_clash_name(unsigned bit);

#endif
