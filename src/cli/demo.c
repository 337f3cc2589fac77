/*
 * demo.c - `school-erp demo`: a realistic school to try the product with.
 *
 * One tenant "Demo School" (grades 1 to 12, so not a "high school"; more with --tenants) with an admin, and, per
 * 1,200 students (--students scales everything): 60 teachers with accounts,
 * 10 subjects, 40 classes across grades 1-12 with class teachers and teaching
 * assignments, 600 guardians with parent accounts linked to two students each,
 * student accounts from grade 7, the current academic year with three terms, a
 * clash-free weekly timetable, and attendance for every school day of the
 * current term up to today. Rows are written in one transaction per school
 * with prepared statements; the shared demo password is hashed once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/app.h"
#include "auth/crypto.h"
#include "auth/identity.h"
#include "auth/password.h"
#include "auth/roles.h"
#include "cli/cli.h"
#include "shard/shard.h"
#include "cli/demo_grades.h"
#include "core/clock.h"
#include "core/ids.h"

static const char *const first_names[] = {
    "Aisha", "Ben",    "Chloe", "Daniel", "Elena",  "Farid", "Grace",  "Hiro",   "Isla",  "Jonas",  "Keira", "Liam",
    "Maya",  "Noah",   "Olga",  "Pablo",  "Quinn",  "Rosa",  "Samir",  "Tara",   "Umar",  "Vera",   "Wei",   "Ximena",
    "Yusuf", "Zoe",    "Amara", "Bruno",  "Camila", "Dev",   "Emma",   "Felix",  "Gia",   "Hugo",   "Ines",  "Jack",
    "Kofi",  "Lena",   "Mateo", "Nadia",  "Omar",   "Priya", "Rafael", "Sofia",  "Tomas", "Uma",    "Victor", "Wanjiru",
    "Yara",  "Zain",   "Anika", "Boris",  "Clara",  "Diego", "Esme",   "Finn",   "Hana",  "Ivan",   "Julia", "Kai"};
static const char *const last_names[] = {
    "Adams",  "Bauer",   "Chen",    "Diaz",    "Eriksen", "Fischer", "Garcia",  "Haddad", "Ibrahim", "Jensen",
    "Kowalski", "Lopez", "Mensah",  "Nakamura", "Okafor", "Petrov",  "Quispe",  "Rossi",  "Sato",    "Tanaka",
    "Usman",  "Varga",   "Wagner",  "Xu",      "Yilmaz",  "Zhang",   "Almeida", "Becker", "Costa",   "Dubois",
    "Evans",  "Ferreira", "Gupta",  "Hughes",  "Ito",     "Jovanovic", "Kim",   "Larsen", "Moreau",  "Novak",
    "Olsen",  "Patel",   "Quinn",   "Reyes",   "Schmidt", "Torres",  "Ueda",    "Vasquez", "Weber",  "Young"};
static const char *const subjects[][2] = {
    {"MATH", "Mathematics"}, {"ENG", "English"},    {"SCI", "Science"},       {"HIST", "History"},
    {"GEO", "Geography"},    {"ART", "Art"},         {"MUS", "Music"},         {"PE", "Physical Education"},
    {"CS", "Computer Science"}, {"LANG", "Foreign Language"},
};
/* The sex a first name above is usually given to (f, m; n: either), so that a student's name fits their gender. */
static const char first_gender[] = "fmfmfmfmfmfmfmfmnfmfmfmfmffmfmfmfmfmmfmfmfmfmfmffmfmfmfmfmfn";
#define NSUBJECTS 10
#define NFIRST (sizeof(first_names) / sizeof(first_names[0]))
#define NLAST (sizeof(last_names) / sizeof(last_names[0]))
_Static_assert(sizeof(first_gender) - 1 == NFIRST, "one sex per first name");
#define PERIODS 6
#define DAYS 5

static stmt_t Q_MAX_USERS = STMT("demo.max_users", 0, "UPDATE tenants SET max_users = $2 WHERE id = $1");
static stmt_t Q_USER = STMT("demo.user", 0,
                            "INSERT INTO users (tenant_id, id, email, display_name, roles, password_hash,"
                            " password_changed_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7)");
static stmt_t Q_YEAR = STMT("demo.year", 0,
                            "INSERT INTO academic_years (tenant_id, id, name, start_date, end_date, is_current,"
                            " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)");
static stmt_t Q_TERM = STMT("demo.term", 0,
                            "INSERT INTO terms (tenant_id, id, academic_year_id, name, start_date, end_date, weekdays,"
                            " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 31, $7, $7)");
static stmt_t Q_HOLIDAY = STMT("demo.holiday", 0,
                               "INSERT INTO holidays (tenant_id, date, name, created_at) VALUES ($1, $2, $3, $4)");
static stmt_t Q_SUBJECT = STMT("demo.subject", 0,
                               "INSERT INTO subjects (tenant_id, id, code, name, created_at, updated_at)"
                               " VALUES ($1, $2, $3, $4, $5, $5)");
static stmt_t Q_TEACHER = STMT("demo.teacher", 0,
                               "INSERT INTO teachers (tenant_id, id, user_id, employee_no, first_name, last_name,"
                               " email, phone, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)");
static stmt_t Q_CLASS = STMT("demo.class", 0,
                             "INSERT INTO classes (tenant_id, id, academic_year_id, name, grade_level, section,"
                             " class_teacher_id, room, capacity, created_at, updated_at)"
                             " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)");
static stmt_t Q_CLASS_SUBJECT = STMT("demo.class_subject", 0,
                                     "INSERT INTO class_subjects (tenant_id, id, class_id, subject_id, teacher_id,"
                                     " periods_per_week, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)");
static stmt_t Q_STUDENT = STMT("demo.student", 0,
                               "INSERT INTO students (tenant_id, id, admission_no, first_name, last_name, date_of_birth,"
                               " gender, email, admitted_on, user_id, search_text, created_at, updated_at)"
                               " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)");
static stmt_t Q_GUARDIAN = STMT("demo.guardian", 0,
                                "INSERT INTO guardians (tenant_id, id, first_name, last_name, email, phone, user_id,"
                                " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)");
static stmt_t Q_LINK = STMT("demo.link", 0,
                            "INSERT INTO student_guardians (tenant_id, student_id, guardian_id, relationship,"
                            " is_primary, created_at) VALUES ($1, $2, $3, $4, $5, $6)");
static stmt_t Q_ENROLL = STMT("demo.enroll", 0,
                              "INSERT INTO enrollments (tenant_id, id, student_id, class_id, academic_year_id,"
                              " start_date, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)");
static stmt_t Q_SLOT = STMT("demo.slot", 0,
                            "INSERT INTO timetable_slots (tenant_id, id, academic_year_id, class_id, subject_id,"
                            " teacher_id, weekday, start_minute, end_minute, room, created_at, updated_at)"
                            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)");
static stmt_t Q_MARK = STMT("demo.attendance", 0,
                            "INSERT INTO attendance (tenant_id, student_id, date, class_id, status, note, marked_by,"
                            " marked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");

typedef struct demo {
    db_t *db;
    arena_t a;
    const char *tenant;
    const char *hash; /* the shared demo password's hash */
    int64_t now;
    int nstudents, nteachers, nclasses, nguardians;
    char year_id[40];
    char term_start[11], term_end[11], year_start[11];
    char term_id[40]; /* the current term */
    char subject_ids[NSUBJECTS][40];
    char (*teacher_ids)[40];
    char (*teacher_users)[40];
    char (*class_ids)[40];
    int *class_grade;
    int *class_teacher; /* index into teachers */
    int (*cs_teacher)[NSUBJECTS]; /* per class: teacher index for each subject taught, -1 when not taught */
    char (*student_ids)[40];
    int *student_class;
    char example_teacher[96], example_parent[96], example_student[96];
} demo_t;

static int exec(demo_t *d, stmt_t *st, const db_arg_t *args, int n)
{
    arena_reset(&d->a);
    if (db_exec(d->db, st, args, n, &d->a, NULL) != 0) {
        fprintf(stderr, "school-erp demo: %s: %s\n", st->name, db_error(d->db)->message);
        return -1;
    }
    return 0;
}
#define EXEC(d, st, ...) exec(d, st, DB_ARGS(__VA_ARGS__))

static int user(demo_t *d, char id[40], const char *email, const char *name, unsigned roles)
{
    ids_uuid7(id);
    return EXEC(d, &Q_USER, DB_TEXT(d->tenant), DB_TEXT(id), DB_TEXT(email), DB_TEXT(name), DB_INT(roles),
                DB_TEXT(d->hash), DB_INT(d->now));
}

static void date_str(time_t t, char out[11])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static time_t make_date(int y, int m, int day)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = day, .tm_hour = 12};
    return timegm(&tm);
}

/* The academic year holding today (August to June), its terms and a few holidays. */
static int structure(demo_t *d)
{
    time_t today = (time_t)(d->now / 1000);
    struct tm tm;
    gmtime_r(&today, &tm);
    int y = tm.tm_year + 1900 - (tm.tm_mon < 7 ? 1 : 0);
    char name[32], a[11], b[11], id[40];
    snprintf(name, sizeof(name), "%d-%d", y, y + 1);
    ids_uuid7(d->year_id);
    date_str(make_date(y, 8, 24), d->year_start);
    date_str(make_date(y + 1, 6, 26), b);
    if (EXEC(d, &Q_YEAR, DB_TEXT(d->tenant), DB_TEXT(d->year_id), DB_TEXT(name), DB_TEXT(d->year_start), DB_TEXT(b),
             DB_BOOL(1), DB_INT(d->now)) != 0)
        return -1;
    static const struct {
        const char *name;
        int m1, d1, y1, m2, d2, y2; /* year offsets */
    } terms[] = {{"Term 1", 8, 24, 0, 12, 18, 0}, {"Term 2", 1, 5, 1, 3, 27, 1}, {"Term 3", 4, 7, 1, 6, 26, 1}};
    for (int i = 0; i < 3; i++) {
        time_t s = make_date(y + terms[i].y1, terms[i].m1, terms[i].d1);
        time_t e = make_date(y + terms[i].y2, terms[i].m2, terms[i].d2);
        date_str(s, a);
        date_str(e, b);
        ids_uuid7(id);
        if (EXEC(d, &Q_TERM, DB_TEXT(d->tenant), DB_TEXT(id), DB_TEXT(d->year_id), DB_TEXT(terms[i].name), DB_TEXT(a),
                 DB_TEXT(b), DB_INT(d->now)) != 0)
            return -1;
        /* the current term: the one holding today, else the last one begun */
        if (s <= today || i == 0) {
            memcpy(d->term_id, id, sizeof(id));
            memcpy(d->term_start, a, 11);
            memcpy(d->term_end, b, 11);
        }
    }
    static const struct {
        int m, day, yoff;
        const char *name;
    } hol[] = {{10, 12, 0, "Founders' Day"}, {11, 26, 0, "Thanksgiving"}, {11, 27, 0, "Thanksgiving break"},
               {2, 16, 1, "Presidents' Day"}, {5, 25, 1, "Memorial Day"}};
    for (size_t i = 0; i < sizeof(hol) / sizeof(hol[0]); i++) {
        date_str(make_date(y + hol[i].yoff, hol[i].m, hol[i].day), a);
        if (EXEC(d, &Q_HOLIDAY, DB_TEXT(d->tenant), DB_TEXT(a), DB_TEXT(hol[i].name), DB_INT(d->now)) != 0)
            return -1;
    }
    for (int i = 0; i < NSUBJECTS; i++) {
        ids_uuid7(d->subject_ids[i]);
        if (EXEC(d, &Q_SUBJECT, DB_TEXT(d->tenant), DB_TEXT(d->subject_ids[i]), DB_TEXT(subjects[i][0]),
                 DB_TEXT(subjects[i][1]), DB_INT(d->now)) != 0)
            return -1;
    }
    return 0;
}

static int staff(demo_t *d, const char *domain)
{
    for (int i = 0; i < d->nteachers; i++) {
        const char *fn = first_names[(i * 7 + 3) % NFIRST], *ln = last_names[(i * 11 + 5) % NLAST];
        char email[96], name[96], emp[16], phone[24];
        snprintf(email, sizeof(email), "teacher%d@%s", i + 1, domain);
        snprintf(name, sizeof(name), "%s %s", fn, ln);
        snprintf(emp, sizeof(emp), "T%04d", i + 1);
        snprintf(phone, sizeof(phone), "+1-555-%04d", 1000 + i);
        if (user(d, d->teacher_users[i], email, name, ROLE_TEACHER) != 0)
            return -1;
        ids_uuid7(d->teacher_ids[i]);
        if (EXEC(d, &Q_TEACHER, DB_TEXT(d->tenant), DB_TEXT(d->teacher_ids[i]), DB_TEXT(d->teacher_users[i]),
                 DB_TEXT(emp), DB_TEXT(fn), DB_TEXT(ln), DB_TEXT(email), DB_TEXT(phone), DB_INT(d->now)) != 0)
            return -1;
        if (i == 0)
            snprintf(d->example_teacher, sizeof(d->example_teacher), "%s", email);
    }
    return 0;
}

/* Classes spread over grades 1-12 (sections A, B, …), each with a class teacher and 7 subjects. */
static int classes(demo_t *d)
{
    int per_grade[13] = {0};
    for (int c = 0; c < d->nclasses; c++)
        per_grade[1 + c % 12]++;
    int c = 0, next_teacher = 0;
    for (int g = 1; g <= 12; g++) {
        for (int s = 0; s < per_grade[g]; s++, c++) {
            char name[16], section[8], room[16];
            if (s < 26)
                snprintf(section, sizeof(section), "%c", 'A' + s);
            else
                snprintf(section, sizeof(section), "%c%d", 'A' + s % 26, s / 26);
            snprintf(name, sizeof(name), "%d-%s", g, section);
            snprintf(room, sizeof(room), "R%d%02d", g, s + 1);
            ids_uuid7(d->class_ids[c]);
            d->class_grade[c] = g;
            d->class_teacher[c] = c % d->nteachers;
            if (EXEC(d, &Q_CLASS, DB_TEXT(d->tenant), DB_TEXT(d->class_ids[c]), DB_TEXT(d->year_id), DB_TEXT(name),
                     DB_INT(g), DB_TEXT(section), DB_TEXT(d->teacher_ids[d->class_teacher[c]]), DB_TEXT(room),
                     DB_INT(35), DB_INT(d->now)) != 0)
                return -1;
            /* 7 of the 10 subjects, rotating which three are left out */
            for (int k = 0; k < NSUBJECTS; k++)
                d->cs_teacher[c][k] = -1;
            for (int k = 0; k < 7; k++) {
                int subj = (k + c) % NSUBJECTS;
                int t = next_teacher++ % d->nteachers;
                d->cs_teacher[c][subj] = t;
                char id[40];
                ids_uuid7(id);
                if (EXEC(d, &Q_CLASS_SUBJECT, DB_TEXT(d->tenant), DB_TEXT(id), DB_TEXT(d->class_ids[c]),
                         DB_TEXT(d->subject_ids[subj]), DB_TEXT(d->teacher_ids[t]), DB_INT(k < 2 ? 5 : 4),
                         DB_INT(d->now)) != 0)
                    return -1;
            }
        }
    }
    return 0;
}

/* The first name at index k, or the next one (round the list) given to the sex (f, m) or to either. */
static const char *first_name_for(size_t k, char sex)
{
    for (size_t n = 0; n < NFIRST; n++, k = (k + 1) % NFIRST)
        if (first_gender[k] == sex || first_gender[k] == 'n')
            return first_names[k];
    return first_names[k];
}

static int students(demo_t *d, const char *domain)
{
    int year = atoi(d->year_start);
    for (int i = 0; i < d->nstudents; i++) {
        int c = i % d->nclasses, g = d->class_grade[c];
        const char *fn = first_name_for((i * 13 + 1) % NFIRST, i % 2 ? 'm' : 'f'), *ln = last_names[(i / 2 * 17 + 3) % NLAST];
        char adm[24], dob[11], search[160], email[96], uid[40];
        snprintf(adm, sizeof(adm), "A%d-%05d", year, i + 1);
        date_str(make_date(year - 6 - g, 1 + i % 12, 1 + i % 28), dob);
        snprintf(search, sizeof(search), "%s %s %s", fn, ln, adm);
        for (char *p = search; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        int has_account = g >= 7;
        snprintf(email, sizeof(email), "student%d@%s", i + 1, domain);
        char name[96];
        snprintf(name, sizeof(name), "%s %s", fn, ln);
        if (has_account && user(d, uid, email, name, ROLE_STUDENT) != 0)
            return -1;
        ids_uuid7(d->student_ids[i]);
        d->student_class[i] = c;
        if (EXEC(d, &Q_STUDENT, DB_TEXT(d->tenant), DB_TEXT(d->student_ids[i]), DB_TEXT(adm), DB_TEXT(fn), DB_TEXT(ln),
                 DB_TEXT(dob), DB_TEXT(i % 2 ? "male" : "female"), DB_TEXT(has_account ? email : NULL),
                 DB_TEXT(d->year_start), DB_TEXT(has_account ? uid : NULL), DB_TEXT(search), DB_INT(d->now)) != 0)
            return -1;
        char id[40];
        ids_uuid7(id);
        if (EXEC(d, &Q_ENROLL, DB_TEXT(d->tenant), DB_TEXT(id), DB_TEXT(d->student_ids[i]), DB_TEXT(d->class_ids[c]),
                 DB_TEXT(d->year_id), DB_TEXT(d->year_start), DB_INT(d->now)) != 0)
            return -1;
        if (has_account && d->example_student[0] == '\0')
            snprintf(d->example_student, sizeof(d->example_student), "%s", email);
    }
    /* each guardian is the parent of two students */
    for (int i = 0; i < d->nguardians; i++) {
        int s1 = (2 * i) % d->nstudents, s2 = (2 * i + 1) % d->nstudents;
        const char *fn = first_name_for((i * 5 + 9) % NFIRST, i % 2 ? 'm' : 'f'), *ln = last_names[(i * 17 + 3) % NLAST];
        char email[96], phone[24], name[96], uid[40], id[40];
        snprintf(email, sizeof(email), "parent%d@%s", i + 1, domain);
        snprintf(phone, sizeof(phone), "+1-555-%04d", 5000 + i % 5000);
        snprintf(name, sizeof(name), "%s %s", fn, ln);
        if (user(d, uid, email, name, ROLE_PARENT) != 0)
            return -1;
        ids_uuid7(id);
        if (EXEC(d, &Q_GUARDIAN, DB_TEXT(d->tenant), DB_TEXT(id), DB_TEXT(fn), DB_TEXT(ln), DB_TEXT(email),
                 DB_TEXT(phone), DB_TEXT(uid), DB_INT(d->now)) != 0)
            return -1;
        for (int k = 0; k < 2; k++) {
            int s = k ? s2 : s1;
            if (k && s2 == s1)
                break;
            if (EXEC(d, &Q_LINK, DB_TEXT(d->tenant), DB_TEXT(d->student_ids[s]), DB_TEXT(id),
                     DB_TEXT(i % 2 ? "father" : "mother"), DB_BOOL(1), DB_INT(d->now)) != 0)
                return -1;
        }
        if (i == 0)
            snprintf(d->example_parent, sizeof(d->example_parent), "%s", email);
    }
    return 0;
}

/* A weekly timetable: 6 periods a day, Monday to Friday; a teacher is never in two rooms at once. */
static int timetable(demo_t *d)
{
    static const int starts[PERIODS] = {8 * 60, 8 * 60 + 50, 9 * 60 + 40, 10 * 60 + 45, 11 * 60 + 35, 13 * 60 + 15};
    unsigned char *busy = xcalloc((size_t)d->nteachers * DAYS * PERIODS, 1);
    int rc = 0;
    for (int day = 0; day < DAYS && rc == 0; day++) {
        for (int p = 0; p < PERIODS && rc == 0; p++) {
            for (int c = 0; c < d->nclasses && rc == 0; c++) {
                /* the first subject (rotating) whose teacher is free now */
                for (int k = 0; k < NSUBJECTS; k++) {
                    int subj = (k + c + day * PERIODS + p) % NSUBJECTS;
                    int t = d->cs_teacher[c][subj];
                    if (t < 0 || busy[(t * DAYS + day) * PERIODS + p])
                        continue;
                    busy[(t * DAYS + day) * PERIODS + p] = 1;
                    char id[40], room[16];
                    ids_uuid7(id);
                    snprintf(room, sizeof(room), "R%d%02d", d->class_grade[c], c / 12 + 1);
                    rc = EXEC(d, &Q_SLOT, DB_TEXT(d->tenant), DB_TEXT(id), DB_TEXT(d->year_id),
                              DB_TEXT(d->class_ids[c]), DB_TEXT(d->subject_ids[subj]), DB_TEXT(d->teacher_ids[t]),
                              DB_INT(day + 1), DB_INT(starts[p]), DB_INT(starts[p] + 45), DB_TEXT(room),
                              DB_INT(d->now));
                    break;
                }
            }
        }
    }
    free(busy);
    return rc;
}

/* Attendance for every school day of the current term up to today, marked by the class teacher. */
static int attendance(demo_t *d)
{
    time_t today = (time_t)(d->now / 1000);
    struct tm tm = {0};
    strptime(d->term_start, "%Y-%m-%d", &tm);
    tm.tm_hour = 12;
    time_t t = timegm(&tm);
    static const char *const holidays_md[] = {"10-12", "11-26", "11-27", "02-16", "05-25"};
    uint64_t seed = 12345;
    for (; t <= today; t += 86400) {
        char date[11];
        date_str(t, date);
        if (strcmp(date, d->term_end) > 0)
            break;
        struct tm day;
        gmtime_r(&t, &day);
        if (day.tm_wday == 0 || day.tm_wday == 6)
            continue;
        int holiday = 0;
        for (size_t h = 0; h < sizeof(holidays_md) / sizeof(holidays_md[0]); h++)
            holiday |= strcmp(date + 5, holidays_md[h]) == 0;
        if (holiday)
            continue;
        int64_t marked_at = (int64_t)t * 1000 - 3 * 3600 * 1000;
        for (int i = 0; i < d->nstudents; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            int roll = (int)((seed >> 33) % 100);
            const char *status = roll < 92 ? "present" : roll < 96 ? "absent" : roll < 99 ? "late" : "excused";
            const char *note = roll >= 99 ? "doctor's appointment" : NULL;
            int c = d->student_class[i];
            if (EXEC(d, &Q_MARK, DB_TEXT(d->tenant), DB_TEXT(d->student_ids[i]), DB_TEXT(date),
                     DB_TEXT(d->class_ids[c]), DB_TEXT(status), DB_TEXT(note),
                     DB_TEXT(d->teacher_users[d->class_teacher[c]]), DB_INT(marked_at)) != 0)
                return -1;
        }
    }
    return 0;
}

static int grades(demo_t *d)
{
    demo_grades_t g = {.db = d->db,
                       .tenant = d->tenant,
                       .now = d->now,
                       .term_id = d->term_id,
                       .term_start = d->term_start,
                       .term_end = d->term_end,
                       .nclasses = d->nclasses,
                       .nsubjects = NSUBJECTS,
                       .nstudents = d->nstudents,
                       .class_ids = (const char(*)[40])d->class_ids,
                       .subject_ids = (const char(*)[40])d->subject_ids,
                       .cs_teacher = &d->cs_teacher[0][0],
                       .teacher_users = (const char(*)[40])d->teacher_users,
                       .student_ids = (const char(*)[40])d->student_ids,
                       .student_class = d->student_class};
    return demo_grades(&g);
}

static int build_school(demo_t *d, const char *domain)
{
    if (db_begin(d->db) != 0) {
        fprintf(stderr, "school-erp demo: %s\n", db_error(d->db)->message);
        return -1;
    }
    long long users = 2LL * (d->nstudents + d->nguardians + d->nteachers) + 10;
    if (EXEC(d, &Q_MAX_USERS, DB_TEXT(d->tenant), DB_INT(users < 10000 ? 10000 : users)) != 0 || structure(d) != 0 ||
        staff(d, domain) != 0 || classes(d) != 0 || students(d, domain) != 0 || timetable(d) != 0 ||
        attendance(d) != 0 || grades(d) != 0 || db_commit(d->db) != 0) {
        db_rollback(d->db);
        return -1;
    }
    return 0;
}

int cli_demo(int argc, char **argv)
{
    const char *v;
    long tenants = 1, nstudents = 1200;
    if ((v = cli_opt(argc, argv, "--tenants")) != NULL && ((tenants = atol(v)) < 1 || tenants > 1000)) {
        fprintf(stderr, "school-erp demo: --tenants must be from 1 to 1000\n");
        return 2;
    }
    if ((v = cli_opt(argc, argv, "--students")) != NULL && ((nstudents = atol(v)) < 12 || nstudents > 100000)) {
        fprintf(stderr, "school-erp demo: --students must be from 12 to 100000\n");
        return 2;
    }
    config_t cfg;
    int rc = cli_open(&cfg);
    if (rc != 0)
        return rc;
    char password[32], hash[PASSWORD_HASH_MAX];
    crypto_random_b64(password, sizeof(password), 12);
    if (password_hash(password, hash) != 0) {
        fprintf(stderr, "school-erp demo: cannot hash the demo password\n");
        cli_close(&cfg);
        return 1;
    }
    demo_t d = {0};
    db_t *catalog = store_session(app.store);
    d.db = catalog;
    arena_init(&d.a);
    d.hash = hash;
    d.nstudents = (int)nstudents;
    d.nteachers = (int)(nstudents / 20 > 1 ? nstudents / 20 : 1);
    d.nclasses = (int)(nstudents / 30 > 12 ? nstudents / 30 : 12);
    d.nguardians = (int)(nstudents / 2);
    d.teacher_ids = xcalloc((size_t)d.nteachers, 40);
    d.teacher_users = xcalloc((size_t)d.nteachers, 40);
    d.class_ids = xcalloc((size_t)d.nclasses, 40);
    d.class_grade = xcalloc((size_t)d.nclasses, sizeof(int));
    d.class_teacher = xcalloc((size_t)d.nclasses, sizeof(int));
    d.cs_teacher = xcalloc((size_t)d.nclasses, sizeof(*d.cs_teacher));
    d.student_ids = xcalloc((size_t)d.nstudents, 40);
    d.student_class = xcalloc((size_t)d.nstudents, sizeof(int));
    req_t r = {0};
    arena_init(&r.arena);
    uint64_t t0 = clock_mono_ns();
    for (long i = 0; i < tenants && rc == 0; i++) {
        req_reset(&r);
        char name[64], slug[32], domain[48], email[80], tenant_id[40], admin_id[40];
        snprintf(name, sizeof(name), i == 0 ? "Demo School" : "Demo School %ld", i + 1);
        snprintf(slug, sizeof(slug), i == 0 ? "demo" : "demo-%ld", i + 1);
        snprintf(domain, sizeof(domain), i == 0 ? "demo.school" : "demo%ld.school", i + 1);
        snprintf(email, sizeof(email), "admin@%s", domain);
        tenant_in_t t = {name, slug, "America/New_York", "USD", 0};
        user_in_t admin = {email, "Demo Admin", password, ROLE_ADMIN};
        /* placed like any new school (src/shard/); built on its shard */
        shard_sessions_t *ss = shard_sessions_new(catalog);
        if (shard_create_tenant(&r, ss, catalog, &t, &admin, NULL, tenant_id, admin_id) != 0 ||
            (d.db = cli_school_db(catalog, tenant_id)) == NULL) {
            shard_sessions_free(ss);
            cli_print_error("cannot create the demo school", &r);
            rc = 1;
            break;
        }
        shard_sessions_free(ss);
        d.tenant = tenant_id;
        d.now = (int64_t)clock_wall_ms();
        d.example_teacher[0] = d.example_parent[0] = d.example_student[0] = '\0';
        if (build_school(&d, domain) != 0) {
            rc = 1;
            break;
        }
        printf("school: %s (tenant \"%s\", %d students, %d classes, %d teachers, %d guardians)\n", name, slug,
               d.nstudents, d.nclasses, d.nteachers, d.nguardians);
        printf("  admin login:   %s / %s\n", email, password);
        if (i == 0)
            printf("  also:          %s, %s, %s (same password)\n", d.example_teacher, d.example_parent,
                   d.example_student);
        req_release(&r);
    }
    if (rc == 0 && d.db != NULL && db_analyze(d.db) != 0)
        fprintf(stderr, "school-erp demo: ANALYZE failed: %s\n", db_error(d.db)->message);
    if (rc == 0)
        printf("built in %.1f s\n", (double)(clock_mono_ns() - t0) / 1e9);
    free(d.teacher_ids);
    free(d.teacher_users);
    free(d.class_ids);
    free(d.class_grade);
    free(d.class_teacher);
    free(d.cs_teacher);
    free(d.student_ids);
    free(d.student_class);
    arena_destroy(&d.a);
    db_close(catalog); /* (a shard's session closes with the command) */
    req_release(&r);
    arena_destroy(&r.arena);
    cli_close(&cfg);
    return rc;
}
