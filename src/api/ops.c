/* ops.c - operations endpoints: health, readiness, metrics, the API document, version. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "api/api.h"
#include "api/app.h"
#include "api/openapi.h"
#include "core/sbuf.h"
#include "http/server.h"
#include "obs/metrics.h"
#include "obs/process.h"

/* The last answer of /readyz (1: 200, 0: 503), -1 before the first probe. */
static int last_ready = -1;

int ops_healthz(req_t *r)
{
    static const char body[] = "{\"status\":\"ok\"}";
    res_header(r, "cache-control", "no-store");
    return res_body(r, 200, "application/json", body, sizeof(body) - 1);
}

int ops_readyz(req_t *r)
{
    res_header(r, "cache-control", "no-store");
    if (server_draining()) {
        __atomic_store_n(&last_ready, 0, __ATOMIC_RELAXED);
        r->err.retry_after = 5;
        return res_fail(r, ERR_UNAVAILABLE, "The server is shutting down.");
    }
    if (db_ping(req_db(r)) != 0) {
        __atomic_store_n(&last_ready, 0, __ATOMIC_RELAXED);
        r->err.retry_after = 2;
        return res_fail(r, ERR_UNAVAILABLE, "The database is not reachable.");
    }
    __atomic_store_n(&last_ready, 1, __ATOMIC_RELAXED);
    json_t *checks = json_pack("{s:s,s:s}", "server", "ok", "database", "ok");
    return res_json(r, 200, json_pack("{s:s,s:o}", "status", "ready", "checks", checks));
}

/* school_erp_ready: what the last readiness probe (Kubernetes, a load balancer) was told. */
static void render_ready(sbuf_t *b)
{
    int ready = __atomic_load_n(&last_ready, __ATOMIC_RELAXED);
    if (ready < 0)
        return;
    metrics_family(b, "school_erp_ready", "gauge", "1 when the last /readyz answered 200, 0 when 503.");
    sbuf_printf(b, "school_erp_ready %d\n", ready);
}

/* The SQLite profile's disk: the database file (with its WAL) and the free space of its directory. */
static void render_sqlite_disk(sbuf_t *b)
{
    if (app.cfg == NULL || !config_is_sqlite(app.cfg))
        return;
    const char *path = app.cfg->database_url + 7;
    char dir[1024];
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash == path ? 1 : slash - path), path);
    struct statvfs vfs;
    if (statvfs(dir, &vfs) == 0) {
        metrics_family(b, "school_erp_sqlite_disk_free_bytes", "gauge",
                       "Space left to the server on the SQLite database's file system.");
        sbuf_printf(b, "school_erp_sqlite_disk_free_bytes %.0f\n", (double)vfs.f_bavail * (double)vfs.f_frsize);
        metrics_family(b, "school_erp_sqlite_disk_size_bytes", "gauge", "Size of that file system.");
        sbuf_printf(b, "school_erp_sqlite_disk_size_bytes %.0f\n", (double)vfs.f_blocks * (double)vfs.f_frsize);
    }
    double bytes = 0;
    struct stat st;
    char wal[1100];
    if (stat(path, &st) == 0)
        bytes += (double)st.st_size;
    snprintf(wal, sizeof(wal), "%s-wal", path);
    if (stat(wal, &st) == 0)
        bytes += (double)st.st_size;
    metrics_family(b, "school_erp_sqlite_database_bytes", "gauge", "Size of the SQLite database and its WAL.");
    sbuf_printf(b, "school_erp_sqlite_database_bytes %.0f\n", bytes);
}

int ops_metrics(req_t *r)
{
    sbuf_t b;
    sbuf_init(&b, &r->arena, 16384);
    metrics_render(&b);
    render_ready(&b);
    render_sqlite_disk(&b);
    res_header(r, "cache-control", "no-store");
    return res_body(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
}

int ops_openapi(req_t *r)
{
    size_t len;
    const char *text = openapi_text(&len);
    return res_body(r, 200, "application/json", text, len);
}

int ops_version(req_t *r)
{
    return res_json(r, 200,
                    json_pack("{s:s,s:s,s:s,s:s}", "name", "school-erp", "version", build_version(), "commit",
                              build_commit(), "apiVersion", "v1"));
}
