/* columns.c - the import column sets and header mapping (see columns.h). */
#include "imports/columns.h"

#include <stdarg.h>
#include <string.h>


#define GUARDIAN_COLUMNS(n)                                                                                            \
    {"guardian" #n "FirstName", n, "firstName", 0}, {"guardian" #n "LastName", n, "lastName", 0},                      \
        {"guardian" #n "Email", n, "email", 0}, {"guardian" #n "Phone", n, "phone", 0},                                \
        {"guardian" #n "Relationship", n, "relationship", 0}

static const column_t student_columns[] = {
    {"admissionNo", 0, "admissionNo", COL_REQUIRED},
    {"firstName", 0, "firstName", COL_REQUIRED},
    {"middleName", 0, "middleName", 0},
    {"lastName", 0, "lastName", COL_REQUIRED},
    {"dateOfBirth", 0, "dateOfBirth", COL_REQUIRED},
    {"gender", 0, "gender", 0},
    {"email", 0, "email", 0},
    {"phone", 0, "phone", 0},
    {"address", 0, "address", 0},
    {"admittedOn", 0, "admittedOn", 0},
    {"status", 0, "status", 0},
    {"className", COL_PLACE, "className", 0},
    GUARDIAN_COLUMNS(1),
    GUARDIAN_COLUMNS(2),
};
static const column_t teacher_columns[] = {
    {"employeeNo", 0, "employeeNo", COL_REQUIRED},
    {"firstName", 0, "firstName", COL_REQUIRED},
    {"lastName", 0, "lastName", COL_REQUIRED},
    {"email", 0, "email", 0},
    {"phone", 0, "phone", 0},
    {"status", 0, "status", 0},
    {"hiredOn", 0, "hiredOn", 0},
};
static const column_t staff_columns[] = {
    {"email", 0, "email", COL_REQUIRED},
    {"displayName", 0, "displayName", COL_REQUIRED},
    {"roles", 0, "roles", 0},
    {"password", 0, "password", 0},
};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define G(n) ",guardian" #n "FirstName,guardian" #n "LastName,guardian" #n "Email,guardian" #n "Phone,guardian" #n "Relationship"
static const import_kind_t kinds[] = {
    {"students", student_columns, N(student_columns),
     "admissionNo,firstName,middleName,lastName,dateOfBirth,gender,email,phone,address,admittedOn,status,className"
     G(1) G(2) "\r\nS-1001,Ana,Maria,Lopez,2014-03-09,female,,,\"12 Main St, Springfield\",2020-09-01,active,5-A,"
     "Rosa,Lopez,rosa.lopez@example.org,+1 555 0100,mother,Luis,Lopez,,+1 555 0101,father\r\n"},
    {"teachers", teacher_columns, N(teacher_columns),
     "employeeNo,firstName,lastName,email,phone,status,hiredOn\r\n"
     "T-042,Samir,Haddad,samir.haddad@example.org,+1 555 0142,active,2019-08-15\r\n"},
    {"staff", staff_columns, N(staff_columns),
     "email,displayName,roles,password\r\noffice@example.org,Front Office,staff,\r\n"},
};

const import_kind_t *columns_kind(const char *name)
{
    for (int i = 0; i < N(kinds); i++)
        if (name != NULL && strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

void errlist_init(errlist_t *l, arena_t *a)
{
    memset(l, 0, sizeof(*l));
    l->a = a;
}

void errlist_add(errlist_t *l, int line, const char *column, const char *fmt, ...)
{
    l->total++;
    if (l->n >= IMPORT_MAX_ERRORS)
        return;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        row_error_t *v = arena_alloc(l->a, (size_t)cap * sizeof(*v));
        if (l->n > 0)
            memcpy(v, l->v, (size_t)l->n * sizeof(*v));
        l->v = v;
        l->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    l->v[l->n++] = (row_error_t){line, column, arena_vprintf(l->a, fmt, ap)};
    va_end(ap);
}

static int column_index(const import_kind_t *k, const char *name)
{
    for (int c = 0; c < k->ncolumns; c++)
        if (strcmp(k->columns[c].name, name) == 0)
            return c;
    return -1;
}

int columns_map(const import_kind_t *k, const sheet_row_t *header, int *at, errlist_t *errs)
{
    int before = errs->total;
    for (int c = 0; c < k->ncolumns; c++)
        at[c] = -1;
    if (header->bad_utf8 >= 0)
        errlist_add(errs, header->line, NULL, "column %d of the header is not UTF-8 text", header->bad_utf8 + 1);
    for (int i = 0; i < header->nfields; i++) {
        const char *name = header->fields[i];
        if (name == NULL)
            continue;
        int c = column_index(k, name);
        if (c < 0)
            errlist_add(errs, header->line, arena_strdup(errs->a, name), "is not a column of a %s import", k->name);
        else if (at[c] >= 0)
            errlist_add(errs, header->line, k->columns[c].name, "appears twice in the header");
        else
            at[c] = i;
    }
    for (int c = 0; c < k->ncolumns; c++)
        if ((k->columns[c].flags & COL_REQUIRED) && at[c] < 0)
            errlist_add(errs, header->line, k->columns[c].name, "is a required column; the header lacks it");
    return errs->total > before ? -1 : 0;
}
