/* ops.c - operations endpoints: health, readiness, metrics, the API document, version. */
#include <string.h>

#include "api/api.h"
#include "api/app.h"
#include "api/openapi.h"
#include "core/sbuf.h"
#include "http/server.h"
#include "obs/metrics.h"
#include "obs/process.h"

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
        r->err.retry_after = 5;
        return res_fail(r, ERR_UNAVAILABLE, "The server is shutting down.");
    }
    if (db_ping(req_db(r)) != 0) {
        r->err.retry_after = 2;
        return res_fail(r, ERR_UNAVAILABLE, "The database is not reachable.");
    }
    json_t *checks = json_pack("{s:s,s:s}", "server", "ok", "database", "ok");
    return res_json(r, 200, json_pack("{s:s,s:o}", "status", "ready", "checks", checks));
}

int ops_metrics(req_t *r)
{
    sbuf_t b;
    sbuf_init(&b, &r->arena, 16384);
    metrics_render(&b);
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
