#include "obs/http_metrics.h"

#include <stdlib.h>
#include <string.h>

#include "obs/metrics.h"

/* Status codes the server produces; the 0 slot counts any other code, labelled "other". */
static const int codes[] = {200, 201, 202, 204, 304, 400, 401, 403, 404, 405, 406, 409,
                            412, 413, 415, 422, 428, 429, 431, 500, 502, 503, 504, 0};
#define NCODES (sizeof(codes) / sizeof(codes[0])) /* the last slot collects unlisted codes */

typedef struct route_cell {
    hist_t req_size, res_size;
    hist_t *duration[NCODES]; /* allocated on first use by the owning thread */
} route_cell_t;

typedef struct shard {
    route_cell_t **cells; /* per row, allocated on first use */
} shard_t;

/* Rows: the router's routes, then "unmatched" once per method and once for unknown methods. */
struct http_metrics {
    const router_t *rt;
    size_t nroutes;
    size_t nrows;
    int nshards;
    shard_t *shards;
};

static int code_slot(int status)
{
    for (size_t i = 0; i + 1 < NCODES; i++)
        if (codes[i] == status)
            return (int)i;
    return (int)NCODES - 1;
}

static void *publish_new(void **slot, size_t size)
{
    void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (p == NULL) {
        p = xcalloc(1, size);
        __atomic_store_n(slot, p, __ATOMIC_RELEASE);
    }
    return p;
}

void http_metrics_observe(http_metrics_t *m, int shard, const route_t *route, http_method_t method, int status,
                          uint64_t duration_ns, uint64_t request_bytes, uint64_t response_bytes)
{
    size_t row;
    if (route != NULL) {
        row = router_index(m->rt, route);
    } else {
        int mi = http_method_index(method);
        row = m->nroutes + (size_t)(mi < 0 ? HTTP_METHOD_COUNT : mi);
    }
    if (row >= m->nrows || shard < 0 || shard >= m->nshards)
        return;
    route_cell_t *cell = publish_new((void **)&m->shards[shard].cells[row], sizeof(route_cell_t));
    int slot = code_slot(status);
    hist_t *d = publish_new((void **)&cell->duration[slot], sizeof(hist_t));
    hist_observe(d, &HIST_SECONDS, duration_ns);
    hist_observe(&cell->req_size, &HIST_BYTES, request_bytes);
    hist_observe(&cell->res_size, &HIST_BYTES, response_bytes);
}

static void row_labels(const http_metrics_t *m, size_t row, sbuf_t *out)
{
    const char *method, *route;
    if (row < m->nroutes) {
        const route_t *r = router_route(m->rt, row);
        method = http_method_name(r->method);
        route = r->path;
    } else {
        size_t mi = row - m->nroutes;
        method = mi < HTTP_METHOD_COUNT ? http_method_name((http_method_t)(1u << mi)) : "OTHER";
        route = "unmatched";
    }
    sbuf_puts(out, "method=\"");
    metrics_label_value(out, method);
    sbuf_puts(out, "\",route=\"");
    metrics_label_value(out, route);
    sbuf_putc(out, '"');
}

/* Sum of a row over the shards; returns 0 when no shard has data for it. */
static int merged_cell(const http_metrics_t *m, size_t row, route_cell_t *sum, hist_t durations[NCODES], int *has)
{
    int any = 0;
    memset(sum, 0, sizeof(*sum));
    memset(durations, 0, sizeof(hist_t) * NCODES);
    memset(has, 0, sizeof(int) * NCODES);
    for (int s = 0; s < m->nshards; s++) {
        route_cell_t *c = __atomic_load_n(&m->shards[s].cells[row], __ATOMIC_ACQUIRE);
        if (c == NULL)
            continue;
        any = 1;
        hist_merge(&sum->req_size, &c->req_size);
        hist_merge(&sum->res_size, &c->res_size);
        for (size_t k = 0; k < NCODES; k++) {
            hist_t *d = __atomic_load_n(&c->duration[k], __ATOMIC_ACQUIRE);
            if (d != NULL) {
                hist_merge(&durations[k], d);
                has[k] = 1;
            }
        }
    }
    return any;
}

static void collect(sbuf_t *out, void *ud)
{
    http_metrics_t *m = ud;
    route_cell_t sum;
    hist_t durations[NCODES];
    int has[NCODES];
    sbuf_t labels;
    sbuf_init(&labels, NULL, 256);

    metrics_family(out, "http_request_duration_seconds", "histogram",
                   "Time from receiving a request to handing its response to the connection.");
    for (size_t row = 0; row < m->nrows; row++) {
        if (!merged_cell(m, row, &sum, durations, has))
            continue;
        for (size_t k = 0; k < NCODES; k++) {
            if (!has[k])
                continue;
            sbuf_clear(&labels);
            row_labels(m, row, &labels);
            if (codes[k] != 0)
                sbuf_printf(&labels, ",code=\"%d\"", codes[k]);
            else
                sbuf_puts(&labels, ",code=\"other\"");
            hist_render(out, "http_request_duration_seconds", labels.p, &durations[k], &HIST_SECONDS);
        }
    }
    static const struct {
        const char *name, *help;
        size_t offset;
    } sizes[] = {
        {"http_request_size_bytes", "Size of request bodies.", offsetof(route_cell_t, req_size)},
        {"http_response_size_bytes", "Size of response bodies.", offsetof(route_cell_t, res_size)},
    };
    for (size_t i = 0; i < 2; i++) {
        metrics_family(out, sizes[i].name, "histogram", sizes[i].help);
        for (size_t row = 0; row < m->nrows; row++) {
            if (!merged_cell(m, row, &sum, durations, has))
                continue;
            sbuf_clear(&labels);
            row_labels(m, row, &labels);
            hist_render(out, sizes[i].name, labels.p, (const hist_t *)((const char *)&sum + sizes[i].offset),
                        &HIST_BYTES);
        }
    }
    sbuf_free(&labels);
}

http_metrics_t *http_metrics_create(const router_t *rt, int nshards)
{
    http_metrics_t *m = xcalloc(1, sizeof(*m));
    m->rt = rt;
    m->nroutes = router_count(rt);
    m->nrows = m->nroutes + HTTP_METHOD_COUNT + 1;
    m->nshards = nshards;
    m->shards = xcalloc((size_t)nshards, sizeof(shard_t));
    for (int s = 0; s < nshards; s++)
        m->shards[s].cells = xcalloc(m->nrows, sizeof(route_cell_t *));
    metrics_register(collect, m);
    return m;
}
