/*
 * transfer.c - `school-erp import KIND FILE --school SCHOOL` and
 * `school-erp export KIND --school SCHOOL [--from D --to D] [--class ID]`:
 * the CSV imports and exports (src/imports/) on ERP_DATABASE_URL without the
 * job queue. SCHOOL is the school's id or slug. An import prints its report
 * (JSON, with durationMs) on stdout and exits 0 when the file was imported,
 * 1 when it was refused or failed; an export writes the CSV on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "queue/queue.h"
#include "queue/setup.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "imports/imports.h"

#define MAX_FILE (256u << 20)

static stmt_t Q_SCHOOL = STMT2("cli.school", 0, "SELECT id FROM tenants WHERE id = $1 OR slug = $1",
                               "SELECT id FROM tenants WHERE id::text = $1 OR slug = $1");

/* Reads a whole file into *out (malloc'd); 0, or -1 after printing why. */
static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap && (cap *= 2) <= MAX_FILE)
            buf = xrealloc(buf, cap);
        if (cap > MAX_FILE) {
            fprintf(stderr, "school-erp import: %s is larger than %u MiB\n", path, MAX_FILE >> 20);
            free(buf);
            if (f != stdin)
                fclose(f);
            return -1;
        }
    }
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad) {
        fprintf(stderr, "school-erp import: %s could not be read\n", path);
        free(buf);
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* The id of the school named by --school (id or slug) into id; 0, or -1 after printing why. */
static int find_school(db_t *db, arena_t *a, const char *what, const char *school, const char **id)
{
    db_result_t res;
    if (school == NULL) {
        fprintf(stderr, "school-erp %s: --school SCHOOL (id or slug) is required\n", what);
        return -1;
    }
    if (db_exec(db, &Q_SCHOOL, DB_ARGS(DB_TEXT(school)), a, &res) != 0) {
        fprintf(stderr, "school-erp %s: database: %s\n", what, db_error(db)->message);
        return -1;
    }
    if (res.nrows != 1) {
        fprintf(stderr, "school-erp %s: no such school: %s\n", what, school);
        return -1;
    }
    *id = db_get(&res, 0, 0);
    return 0;
}

static int import_file(db_t *db, arena_t *a, int argc, char **argv)
{
    const char *tenant_id;
    char *csv;
    size_t len;
    if (find_school(db, a, "import", cli_opt(argc, argv, "--school"), &tenant_id) != 0 ||
        (db = cli_school_db(db, tenant_id)) == NULL || read_file(argv[2], &csv, &len) != 0)
        return 1;
    json_t *report = NULL;
    char err[512];
    app.queue = queue_setup(app.cfg, app.store, err, sizeof(err)); /* staff accounts without a password are invited */
    if (app.queue == NULL) {
        fprintf(stderr, "school-erp import: job queue: %s\n", err);
        free(csv);
        return 1;
    }
    uint64_t start = clock_mono_ns();
    int rc = import_csv(db, a, tenant_id, NULL, argv[1], csv, len, NULL, NULL, &report);
    free(csv);
    queue_close(app.queue);
    app.queue = NULL;
    if (json_object_set_new(report, "durationMs", json_integer((json_int_t)((clock_mono_ns() - start) / 1000000))) != 0 ||
        json_dumpf(report, stdout, JSON_INDENT(2)) != 0)
        rc = -1;
    putchar('\n');
    json_decref(report);
    return rc == 0 ? 0 : 1;
}

int cli_on_store(int (*fn)(db_t *db, arena_t *a, int argc, char **argv), int argc, char **argv)
{
    config_t cfg;
    int rc = cli_open(&cfg);
    if (rc != 0)
        return rc;
    arena_t a;
    arena_init(&a);
    db_t *db = store_session(app.store);
    rc = fn(db, &a, argc, argv);
    db_close(db);
    arena_destroy(&a);
    cli_close(&cfg);
    return rc;
}

int cli_import(int argc, char **argv)
{
    if (argc < 3 || argv[1][0] == '-' || (argv[2][0] == '-' && argv[2][1] != '\0' && strcmp(argv[2], "--template") != 0)) {
        fprintf(stderr, "usage: school-erp import KIND FILE --school SCHOOL | school-erp import KIND --template\n");
        return 2;
    }
    if (import_template(argv[1]) == NULL) {
        fprintf(stderr, "school-erp import: unknown kind '%s' (students, teachers, staff)\n", argv[1]);
        return 2;
    }
    if (strcmp(argv[2], "--template") == 0) {
        fputs(import_template(argv[1]), stdout);
        return 0;
    }
    return cli_on_store(import_file, argc, argv);
}

static int export_kind(db_t *db, arena_t *a, int argc, char **argv)
{
    const char *tenant_id;
    if (find_school(db, a, "export", cli_opt(argc, argv, "--school"), &tenant_id) != 0 ||
        (db = cli_school_db(db, tenant_id)) == NULL)
        return 1;
    json_t *params = json_pack("{s:s?,s:s?,s:s?}", "from", cli_opt(argc, argv, "--from"), "to",
                               cli_opt(argc, argv, "--to"), "classId", cli_opt(argc, argv, "--class"));
    if (params == NULL)
        erp_oom();
    sbuf_t out;
    sbuf_init(&out, a, 1 << 16);
    int rc = export_csv(db, a, tenant_id, argv[1], params, &out);
    json_decref(params);
    if (rc > 0)
        fprintf(stderr, "school-erp export: %s\n", out.p);
    else if (rc < 0)
        fprintf(stderr, "school-erp export: database: %s\n", db_error(db)->message);
    else if (fwrite(out.p, 1, out.len, stdout) != out.len || fflush(stdout) != 0)
        rc = -1;
    return rc == 0 ? 0 : 1;
}

int cli_export(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: school-erp export KIND --school SCHOOL [--from YYYY-MM-DD --to YYYY-MM-DD] [--class ID]\n");
        return 2;
    }
    return cli_on_store(export_kind, argc, argv);
}
