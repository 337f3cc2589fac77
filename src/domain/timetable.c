/* timetable.c - clock times, overlap and clashes of timetable slots (see timetable.h). */
#include "domain/timetable.h"

#include <stdio.h>
#include <string.h>

static int digit(char c)
{
    return c >= '0' && c <= '9';
}

int tt_parse_time(const char *s, int end_of_day)
{
    if (s == NULL || strlen(s) != 5 || !digit(s[0]) || !digit(s[1]) || s[2] != ':' || !digit(s[3]) || !digit(s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59)
        return -1;
    if (h == 24 && m == 0 && end_of_day)
        return TT_MINUTES_PER_DAY;
    if (h > 23)
        return -1;
    return h * 60 + m;
}

void tt_format_time(int minutes, char out[6])
{
    if (minutes < 0 || minutes > TT_MINUTES_PER_DAY) {
        memcpy(out, "??:??", 6);
        return;
    }
    snprintf(out, 6, "%02d:%02d", minutes / 60, minutes % 60);
}

int tt_overlaps(int a_start, int a_end, int b_start, int b_end)
{
    return a_start < b_end && b_start < a_end;
}

static int same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

unsigned tt_clash(const tt_slot_t *a, const tt_slot_t *b)
{
    if (same(a->id, b->id) || a->weekday != b->weekday || !tt_overlaps(a->start, a->end, b->start, b->end))
        return 0;
    unsigned bits = 0;
    if (same(a->teacher_id, b->teacher_id))
        bits |= TT_CLASH_TEACHER;
    if (same(a->room, b->room))
        bits |= TT_CLASH_ROOM;
    if (same(a->class_id, b->class_id))
        bits |= TT_CLASH_CLASS;
    return bits;
}

const char *tt_clash_name(unsigned bit)
{
    switch (bit) {
    case TT_CLASH_TEACHER:
        return "teacher";
    case TT_CLASH_ROOM:
        return "room";
    case TT_CLASH_CLASS:
        return "class";
    default:
        return NULL;
    }
}
