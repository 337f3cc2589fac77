/*
 * oneroster.c - `school-erp oneroster import PATH --school SCHOOL [--org SOURCEDID]`
 * and `school-erp oneroster export --school SCHOOL -o PATH`: OneRoster 1.1 CSV
 * (src/oneroster/) on ERP_DATABASE_URL without the job queue. PATH is a folder
 * or a .zip. An import prints its report (JSON) and exits 0 when imported, 1
 * when refused or failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "cli/cli.h"
#include "oneroster/oneroster.h"

static stmt_t Q_SCHOOL = STMT2("cli.oneroster_school", 0, "SELECT id FROM tenants WHERE id = $1 OR slug = $1",
                               "SELECT id FROM tenants WHERE id::text = $1 OR slug = $1");

static int is_zip(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && strcmp(path + n - 4, ".zip") == 0;
}

static const char *school_id(db_t *db, arena_t *a, int argc, char **argv)
{
    const char *school = cli_opt(argc, argv, "--school");
    db_result_t res;
    if (school == NULL) {
        fprintf(stderr, "school-erp oneroster: --school SCHOOL (id or slug) is required\n");
        return NULL;
    }
    if (db_exec(db, &Q_SCHOOL, DB_ARGS(DB_TEXT(school)), a, &res) != 0 || res.nrows != 1) {
        fprintf(stderr, "school-erp oneroster: no such school: %s\n", school);
        return NULL;
    }
    return db_get(&res, 0, 0);
}

/* Reads a zip file into the arena; NULL after printing why. */
static char *read_zip(arena_t *a, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
        perror(path);
        if (f != NULL)
            fclose(f);
        return NULL;
    }
    long n = ftell(f);
    char *buf = n >= 0 ? arena_alloc(a, (size_t)n + 1) : NULL;
    rewind(f);
    *len = buf != NULL ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    if (buf == NULL || *len != (size_t)n) {
        fprintf(stderr, "school-erp oneroster: %s could not be read\n", path);
        return NULL;
    }
    return buf;
}

static int import_path(db_t *db, arena_t *a, int argc, char **argv)
{
    const char *tenant = school_id(db, a, argc, argv), *path = argv[2];
    oneroster_input_t in = {.org = cli_opt(argc, argv, "--org")};
    if (tenant == NULL || (db = cli_school_db(db, tenant)) == NULL)
        return 1;
    if (is_zip(path) && (in.zip = read_zip(a, path, &in.zip_len)) == NULL)
        return 1;
    if (!is_zip(path))
        in.dir = path;
    json_t *report = NULL;
    int rc = oneroster_import(db, a, tenant, NULL, &in, &report);
    if (json_dumpf(report, stdout, JSON_INDENT(2)) != 0)
        rc = -1;
    putchar('\n');
    json_decref(report);
    return rc == 0 ? 0 : 1;
}

static int export_path(db_t *db, arena_t *a, int argc, char **argv)
{
    const char *tenant = school_id(db, a, argc, argv), *path = cli_opt(argc, argv, "-o"), *why = NULL;
    if (tenant == NULL || (db = cli_school_db(db, tenant)) == NULL)
        return 1;
    if (path == NULL) {
        fprintf(stderr, "school-erp oneroster export: -o PATH (a folder or a .zip) is required\n");
        return 2;
    }
    if (!is_zip(path)) {
        if (oneroster_export_dir(db, a, tenant, path, &why) == 0)
            return 0;
        fprintf(stderr, "school-erp oneroster export: %s\n", why);
        return 1;
    }
    sbuf_t zip;
    sbuf_init(&zip, a, 1 << 16);
    FILE *f = NULL;
    int rc = oneroster_export(db, a, tenant, &zip) == 0 && (f = fopen(path, "wb")) != NULL &&
                     fwrite(zip.p, 1, zip.len, f) == zip.len
                 ? 0
                 : 1;
    if (f != NULL && fclose(f) != 0)
        rc = 1;
    if (rc != 0)
        fprintf(stderr, "school-erp oneroster export: %s could not be written\n", path);
    return rc;
}

int cli_oneroster(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "import") == 0 && argv[2][0] != '-')
        return cli_on_store(import_path, argc, argv);
    if (argc >= 2 && strcmp(argv[1], "export") == 0)
        return cli_on_store(export_path, argc, argv);
    fprintf(stderr, "usage: school-erp oneroster import PATH --school SCHOOL [--org SOURCEDID]\n"
                    "       school-erp oneroster export --school SCHOOL -o PATH\n");
    return 2;
}
