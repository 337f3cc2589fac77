/*
 * register.c - `school-erp register`: writes a class's (or a grade's)
 * monthly attendance register as a PDF file, straight from the database
 * (reports/register.h), without the job queue.
 *
 * Exit status: 0 written; 2 a bad or missing option (ids, month); 4 no such
 * school, class or grade; 1 anything else (database, drawing, writing the
 * file). On failure no output file is left behind.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/app.h"
#include "reports/register.h"

#define USAGE "usage: school-erp register --school SCHOOL_ID (--class CLASS_ID | --grade N) --month YYYY-MM -o FILE|-\n"

/* A grade 0-13 from its text; -1 when it is not one. */
static int parse_grade(const char *s)
{
    char *end;
    long g = s != NULL && *s != '\0' ? strtol(s, &end, 10) : -1;
    return g >= 0 && g <= 13 && *end == '\0' ? (int)g : -1;
}

/* Writes buf to path ("-": standard output) through a temporary file renamed into place; 0, or -1 after printing why. */
static int write_file(const char *path, const sbuf_t *buf)
{
    if (strcmp(path, "-") == 0) {
        if (fwrite(buf->p, 1, buf->len, stdout) == buf->len && fflush(stdout) == 0)
            return 0;
        perror("school-erp register: writing to standard output");
        return -1;
    }
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int ok = f != NULL && fwrite(buf->p, 1, buf->len, f) == buf->len;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    if (ok && rename(tmp, path) == 0)
        return 0;
    perror("school-erp register: writing the file");
    unlink(tmp);
    return -1;
}

static int check_args(const char *school, const char *cls, const char *grade, const char *month, const char *out)
{
    int year, mon;
    if (school == NULL || month == NULL || out == NULL || (cls == NULL) == (grade == NULL)) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (register_parse_month(month, &year, &mon) != 0) {
        fprintf(stderr, "school-erp register: --month must be YYYY-MM (got '%s')\n", month);
        return 2;
    }
    if (grade != NULL && parse_grade(grade) < 0) {
        fprintf(stderr, "school-erp register: --grade must be 0-13 (got '%s')\n", grade);
        return 2;
    }
    return 0;
}

static int exit_status(int rc)
{
    return rc == REGISTER_OK ? 0 : rc == REGISTER_INVALID ? 2 : rc == REGISTER_NOT_FOUND ? 4 : 1;
}

int cli_register(int argc, char **argv)
{
    const char *school = cli_opt(argc, argv, "--school"), *cls = cli_opt(argc, argv, "--class");
    const char *grade = cli_opt(argc, argv, "--grade"), *month = cli_opt(argc, argv, "--month");
    const char *out = cli_opt(argc, argv, "-o");
    int rc = check_args(school, cls, grade, month, out), year = 0, mon = 0;
    if (rc != 0)
        return rc;
    register_parse_month(month, &year, &mon);
    config_t cfg;
    if ((rc = cli_open(&cfg)) != 0)
        return rc;
    db_t *catalog = store_session(app.store), *db = cli_school_db(catalog, school);
    if (db == NULL) {
        db_close(catalog);
        cli_close(&cfg);
        return 1;
    }
    arena_t a;
    arena_init(&a);
    sbuf_t pdf;
    sbuf_init(&pdf, NULL, 64 * 1024);
    char err[512] = "";
    rc = cls != NULL ? register_pdf(db, &a, school, cls, year, mon, &pdf, err, sizeof(err))
                     : register_pdf_grade(db, &a, school, parse_grade(grade), year, mon, &pdf, err, sizeof(err));
    if (rc != REGISTER_OK)
        fprintf(stderr, "school-erp register: %s\n", err);
    else if (write_file(out, &pdf) != 0)
        rc = REGISTER_RENDER;
    sbuf_free(&pdf);
    arena_destroy(&a);
    register_shutdown();
    db_close(catalog); /* (the shards' sessions close with the command) */
    cli_close(&cfg);
    return exit_status(rc);
}
