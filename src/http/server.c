/*
 * server.c - h2o event loops and the loop <-> pool bridge.
 *
 * Life of a request:
 *   1. on_req() runs on the loop thread that owns the connection. It takes a
 *      job (a req_t plus bookkeeping) from the loop's free list, copies what
 *      handlers may read out of h2o's request, applies the limits and matches
 *      the route.
 *   2. Routes marked ROUTE_INLINE run right there. Others are appended to the
 *      loop's batch; after every turn of the event loop the batch goes to the
 *      handler pool in one hand-over.
 *   3. A pool thread runs dispatch_run() and posts the job back to its loop
 *      through h2o's multithread queue; on the loop thread again, respond()
 *      hands the response to h2o.
 *
 * The lifetime trap: the client may go away while a job is in the pool, and
 * h2o then disposes the request. Each request's pool holds a small "link"
 * object whose dispose callback (loop thread) marks the job orphaned; the job's
 * result is then dropped when it comes back. Jobs never touch h2o_req_t off the
 * loop thread. A job's arena (holding the response body) lives until h2o
 * disposes the request, so bodies are sent without copying.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <h2o/multithread.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/netaddr.h"
#include "http/dispatch.h"
#include "http/pool.h"
#include "http/shed.h"
#include "obs/crash.h"
#include "obs/http_metrics.h"
#include "obs/metrics.h"
#include "web/assets.h"

enum { JOB_LOOP, JOB_POOL, JOB_DONE };

struct loop_ctx;

typedef struct job {
    pool_job_t pj; /* first: the pool sees jobs as pool_job_t */
    h2o_multithread_message_t msg;
    struct loop_ctx *lc;
    h2o_req_t *h2o; /* NULL once h2o disposed the request */
    int state;
    uint64_t t0;
    size_t bytes_in;
    struct job *next_free;
    req_t r;
} job_t;

typedef struct loop_ctx {
    int idx;
    pthread_t tid;
    h2o_evloop_t *loop;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    int listen_fd;
    h2o_accept_ctx_t metrics_accept_ctx; /* loop 0 only, with ERP_METRICS_LISTEN */
    h2o_socket_t *metrics_listener;
    h2o_multithread_receiver_t done_rx; /* jobs back from the pool */
    h2o_multithread_receiver_t ctl_rx;  /* drain request from the main thread */
    h2o_multithread_message_t ctl_msg;
    job_t *batch_first, *batch_last;
    int batch_n;
    job_t *free_jobs;
    int nfree;
    sbuf_t log;
    int in_flight; /* requests received and not yet disposed; read by the main thread */
    int draining;
} loop_ctx_t;

typedef struct server {
    const config_t *cfg;
    router_t *router;
    web_assets_t *web; /* the web app's files; NULL: not served */
    pool_t *pool;
    http_metrics_t *metrics;
    h2o_globalconf_t globalconf;
    h2o_hostconf_t *hostconf;
    h2o_hostconf_t *metrics_hostconf; /* the metrics listener's; NULL without ERP_METRICS_LISTEN */
    h2o_hostconf_t *main_hosts[2], *metrics_hosts[2];
    int metrics_fd;
    loop_ctx_t *loops;
    int nloops;
    h2o_barrier_t started;
    int listen_fd;
    int draining;
    uint64_t rejected; /* 503 because the pool queue was full */
    uint64_t loop_answered; /* answered from the cache on an event loop, without a handler thread */
    shed_t shed;            /* refusals by waiting time */
} server_t;

static server_t srv;

#define MAX_FREE_JOBS 512
#define ACCEPT_BATCH 16

int server_draining(void)
{
    return __atomic_load_n(&srv.draining, __ATOMIC_ACQUIRE);
}

int server_pool_waiting(void)
{
    return srv.pool != NULL ? pool_waiting(srv.pool) : 0;
}

static loop_ctx_t *loop_of(h2o_req_t *req)
{
    return H2O_STRUCT_FROM_MEMBER(loop_ctx_t, ctx, req->conn->ctx);
}

/* ---- jobs ---- */

static job_t *job_get(loop_ctx_t *lc)
{
    job_t *j = lc->free_jobs;
    if (j != NULL) {
        lc->free_jobs = j->next_free;
        lc->nfree--;
    } else {
        j = xcalloc(1, sizeof(*j));
        arena_init(&j->r.arena);
    }
    req_reset(&j->r);
    j->lc = lc;
    j->h2o = NULL;
    j->state = JOB_LOOP;
    j->next_free = NULL;
    j->pj.next = NULL;
    j->bytes_in = 0;
    return j;
}

static void job_put(job_t *j)
{
    loop_ctx_t *lc = j->lc;
    req_release(&j->r);
    if (lc->nfree >= MAX_FREE_JOBS) {
        arena_destroy(&j->r.arena);
        free(j);
        return;
    }
    j->next_free = lc->free_jobs;
    lc->free_jobs = j;
    lc->nfree++;
}

/*
 * h2o disposes the request (response written, or connection gone): loop thread.
 * A job still in the pool stays in flight until its handler returns: a drain
 * waits for it, since its handler may be in the middle of a write.
 */
static void on_link_dispose(void *p)
{
    job_t *j = *(job_t **)p;
    if (j->state == JOB_POOL) {
        j->h2o = NULL; /* orphaned: counted and freed when the pool hands it back */
        return;
    }
    __atomic_fetch_sub(&j->lc->in_flight, 1, __ATOMIC_RELAXED);
    job_put(j);
}

/* ---- responses ---- */

static void add_header(h2o_req_t *req, const char *name, const char *value)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 1, NULL, value, strlen(value));
}

static void access_log(loop_ctx_t *lc, h2o_req_t *req, req_t *r, int status, double ms, size_t bytes_out)
{
    if (!srv.cfg->access_log)
        return;
    sbuf_t *b = &lc->log;
    log_begin(b, status >= 500 ? LOG_ERROR : LOG_INFO, "request");
    log_str(b, "requestId", r->request_id);
    log_strn(b, "method", req->method.base, req->method.len < 16 ? req->method.len : 16);
    log_str(b, "route", r->route != NULL ? r->route->path : "unmatched");
    log_strn(b, "path", r->path != NULL ? r->path : "", r->path != NULL ? (r->path_len < 256 ? r->path_len : 256) : 0);
    log_int(b, "status", status);
    log_double(b, "durationMs", ms);
    log_int(b, "bytesIn", (int64_t)req->entity.len);
    log_int(b, "bytesOut", (int64_t)bytes_out);
    if (r->auth.tenant_id[0] != '\0')
        log_str(b, "tenant", r->auth.tenant_id);
    if (r->auth.user_id[0] != '\0')
        log_str(b, "user", r->auth.user_id);
    log_str(b, "remote", r->remote_addr);
    log_end(b);
}

/*
 * What every response carries for browsers and scanners: no content sniffing,
 * no caching of what a token gave access to (unless the handler said
 * otherwise), a policy that forbids a JSON document to load or frame anything,
 * and the CORS answer for an allowed origin.
 */
static void security_headers(h2o_req_t *req, const req_t *r, const char *content_type, int has_cache_control)
{
    add_header(req, "x-content-type-options", "nosniff");
    add_header(req, "referrer-policy", "no-referrer");
    if (srv.cfg->instance_name != NULL)
        add_header(req, "x-instance", srv.cfg->instance_name);
    if (!has_cache_control)
        add_header(req, "cache-control", "no-store");
    if (content_type != NULL && strstr(content_type, "json") != NULL)
        add_header(req, "content-security-policy", "default-src 'none'; frame-ancestors 'none'");
    if (srv.cfg->n_cors_origins > 0) {
        add_header(req, "vary", "Origin");
        if (r->cors_origin != NULL) {
            add_header(req, "access-control-allow-origin", r->cors_origin);
            add_header(req, "access-control-expose-headers", "ETag, Location, Retry-After, X-Request-Id, X-Instance");
        }
    }
}

/* The allowed origin the request names, or NULL (ERP_CORS_ORIGINS, exact match). */
static const char *cors_origin(const req_t *r)
{
    if (r->hdr.origin == NULL)
        return NULL;
    for (int i = 0; i < srv.cfg->n_cors_origins; i++)
        if (strcmp(r->hdr.origin, srv.cfg->cors_origins[i]) == 0)
            return srv.cfg->cors_origins[i];
    return NULL;
}

static void respond(job_t *j)
{
    h2o_req_t *req = j->h2o;
    req_t *r = &j->r;
    loop_ctx_t *lc = j->lc;
    response_t *res = &r->res;

    req->res.status = res->status;
    req->res.reason = http_reason(res->status);
    if (res->content_type != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, res->content_type,
                       strlen(res->content_type));
    add_header(req, "x-request-id", r->request_id);
    int has_cache_control = 0;
    for (int i = 0; i < res->nheaders; i++) {
        add_header(req, res->headers[i].name, res->headers[i].value);
        has_cache_control |= strcmp(res->headers[i].name, "cache-control") == 0;
    }
    security_headers(req, r, res->content_type, has_cache_control);
    if (lc->draining || server_draining())
        req->http1_is_persistent = 0;
    req->res.content_length = res->body_len;

    static h2o_generator_t generator = {NULL, NULL};
    h2o_start_response(req, &generator);
    if (r->method == HTTP_HEAD || res->body_len == 0) {
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
    } else {
        h2o_iovec_t body = h2o_iovec_init(res->body, res->body_len);
        h2o_send(req, &body, 1, H2O_SEND_STATE_FINAL);
    }

    uint64_t dur = clock_mono_ns() - j->t0;
    size_t sent = r->method == HTTP_HEAD ? 0 : res->body_len;
    http_metrics_observe(srv.metrics, lc->idx, r->route, r->method, res->status, dur, j->bytes_in, sent);
    access_log(lc, req, r, res->status, (double)dur / 1e6, sent);
}

/* Answers at once with an error (on the loop thread). */
static void respond_error(job_t *j, err_code_t code, const char *detail)
{
    j->r.err.code = code;
    j->r.err.detail = detail;
    res_render_error(&j->r);
    respond(j);
}

/* ---- the web app ---- */

/*
 * Sets the answer for a GET or HEAD of one of the web app's files (src/web/assets.h):
 * its bytes (the brotli twin for a client that takes br, else the gzip twin for one
 * that takes gzip), cache rule, media type and
 * policy; 304 for a matching If-None-Match. Returns -1 when the path is no file of the app.
 */
static int serve_web(job_t *j)
{
    req_t *r = &j->r;
    const web_asset_t *f = web_assets_find(srv.web, r->path, r->path_len);
    if (f == NULL || !(r->method & (HTTP_GET | HTTP_HEAD)))
        return -1;
    res_header(r, "cache-control", f->cache_control);
    res_header(r, "etag", f->etag);
    res_header(r, "vary", "Accept-Encoding");
    if (f->csp != NULL) {
        res_header(r, "content-security-policy", f->csp);
        res_header(r, "x-frame-options", "DENY");
    }
    if (r->hdr.if_none_match != NULL && strstr(r->hdr.if_none_match, f->etag) != NULL)
        return res_empty(r, 304);
    if (f->br != NULL && web_accepts_br(r->hdr.accept_encoding)) {
        res_header(r, "content-encoding", "br");
        return res_body(r, 200, f->content_type, f->br, f->br_len);
    }
    if (f->gz != NULL && web_accepts_gzip(r->hdr.accept_encoding)) {
        res_header(r, "content-encoding", "gzip");
        return res_body(r, 200, f->content_type, f->gz, f->gz_len);
    }
    return res_body(r, 200, f->content_type, f->body, f->len);
}

/* ---- the pool side ---- */

static void run_on_pool(pool_job_t *pj, void *thread_ctx)
{
    job_t *j = (job_t *)pj;
    j->r.thread = thread_ctx;
    uint64_t now = clock_mono_ns();
    if (shed_refuse(&srv.shed, now, now - j->t0)) {
        /* waited too long in a standing queue (http/shed.h): refused at once, so fresh requests are served */
        j->r.err.code = ERR_UNAVAILABLE;
        j->r.err.retry_after = 1;
        j->r.err.detail = "The server is overloaded; try again shortly.";
        res_render_error(&j->r);
        h2o_multithread_send_message(&j->lc->done_rx, &j->msg);
        return;
    }
    crash_set_context(j->r.request_id, j->r.route->path);
    dispatch_run(&j->r);
    crash_set_context(NULL, NULL);
    h2o_multithread_send_message(&j->lc->done_rx, &j->msg);
}

/* Jobs back from the pool: loop thread. */
static void on_done(h2o_multithread_receiver_t *rx, h2o_linklist_t *messages)
{
    (void)rx;
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
        job_t *j = H2O_STRUCT_FROM_MEMBER(job_t, msg, m);
        if (j->h2o == NULL) {
            __atomic_fetch_sub(&j->lc->in_flight, 1, __ATOMIC_RELAXED);
            job_put(j); /* the client went away meanwhile */
            continue;
        }
        j->state = JOB_DONE;
        respond(j);
    }
}

static void flush_batch(loop_ctx_t *lc)
{
    if (lc->batch_n == 0)
        return;
    pool_submit(srv.pool, &lc->batch_first->pj, &lc->batch_last->pj, lc->batch_n);
    lc->batch_first = lc->batch_last = NULL;
    lc->batch_n = 0;
}

/* ---- requests ---- */

static int valid_request_id(const char *s, size_t n)
{
    if (n == 0 || n > REQUEST_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == ':'))
            return 0;
    }
    return 1;
}

static void peer_address(h2o_req_t *req, char *out, size_t len);

static const char *header_copy(job_t *j, const h2o_header_t *h)
{
    return arena_strndup(&j->r.arena, h->value.base, h->value.len);
}

/* Appends a repeated header's value to the one kept so far (", " between): a list header may be split over lines. */
static const char *header_join(job_t *j, const char *prev, const h2o_header_t *h)
{
    if (prev == NULL)
        return header_copy(j, h);
    return arena_printf(&j->r.arena, "%s, %.*s", prev, (int)h->value.len, h->value.base);
}

/*
 * Copies headers handlers may read and sets the client's address (behind a
 * trusted proxy, from the forwarding headers); returns the total size of all
 * request headers.
 */
static size_t copy_headers(job_t *j, h2o_req_t *req)
{
    req_t *r = &j->r;
    size_t total = req->input.path.len + req->method.len;
    int have_id = 0;
    const char *forwarded = NULL, *xff = NULL;
    for (size_t i = 0; i != req->headers.size; i++) {
        const h2o_header_t *h = req->headers.entries + i;
        total += h->name->len + h->value.len + 4;
        if (h->name == &H2O_TOKEN_AUTHORIZATION->buf)
            r->hdr.authorization = header_copy(j, h);
        else if (h->name == &H2O_TOKEN_CONTENT_TYPE->buf)
            r->hdr.content_type = header_copy(j, h);
        else if (h->name == &H2O_TOKEN_IF_MATCH->buf)
            r->hdr.if_match = header_copy(j, h);
        else if (h->name == &H2O_TOKEN_IF_NONE_MATCH->buf)
            r->hdr.if_none_match = header_copy(j, h);
        else if (h->name == &H2O_TOKEN_USER_AGENT->buf)
            r->hdr.user_agent = header_copy(j, h);
        else if (h2o_lcstris(h->name->base, h->name->len, H2O_STRLIT("origin")))
            r->hdr.origin = header_copy(j, h);
        else if (h2o_lcstris(h->name->base, h->name->len, H2O_STRLIT("idempotency-key")))
            r->hdr.idempotency_key = header_copy(j, h);
        else if (h->name == &H2O_TOKEN_ACCEPT_ENCODING->buf)
            r->hdr.accept_encoding = header_copy(j, h);
        else if (h2o_lcstris(h->name->base, h->name->len, H2O_STRLIT("stripe-signature")))
            r->hdr.webhook_signature = header_copy(j, h);
        else if (srv.cfg->n_trusted_proxies > 0 && h->name == &H2O_TOKEN_X_FORWARDED_FOR->buf)
            xff = header_join(j, xff, h);
        else if (srv.cfg->n_trusted_proxies > 0 && h2o_lcstris(h->name->base, h->name->len, H2O_STRLIT("forwarded")))
            forwarded = header_join(j, forwarded, h);
        else if (!have_id && h2o_lcstris(h->name->base, h->name->len, H2O_STRLIT("x-request-id")) &&
                 valid_request_id(h->value.base, h->value.len)) {
            memcpy(r->request_id, h->value.base, h->value.len);
            r->request_id[h->value.len] = '\0';
            have_id = 1;
        }
    }
    if (!have_id)
        ids_random_hex(r->request_id, 16);
    char peer[sizeof(r->remote_addr)];
    peer_address(req, peer, sizeof(peer));
    client_addr(peer, forwarded, xff, srv.cfg->trusted_proxies, srv.cfg->n_trusted_proxies, r->remote_addr,
                sizeof(r->remote_addr));
    return total;
}

static void peer_address(h2o_req_t *req, char *out, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    out[0] = '\0';
    if (sl == 0)
        return;
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)len);
    else if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)len);
}

/*
 * A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method):
 * 204 with the methods of the path for an allowed origin, 403 for another
 * origin, 404 for a path that does not exist. Answered on the loop.
 */
static void preflight(job_t *j, h2o_req_t *req)
{
    req_t *r = &j->r;
    if (r->cors_origin == NULL) {
        respond_error(j, ERR_FORBIDDEN, "This origin may not call the API (ERP_CORS_ORIGINS).");
        return;
    }
    unsigned allow = 0;
    const route_t *route;
    err_code_t rc = router_match(srv.router, HTTP_OPTIONS, r->path, r->path_len, &r->arena, &route, r->params,
                                 &r->nparams, &allow);
    if (rc == ERR_NOT_FOUND) {
        respond_error(j, ERR_NOT_FOUND, "No such resource.");
        return;
    }
    (void)req;
    res_header(r, "access-control-allow-methods", router_allow_header(&r->arena, allow));
    res_header(r, "access-control-allow-headers",
               "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-Id");
    res_header(r, "access-control-max-age", "600");
    res_empty(r, 204);
    respond(j);
}

/* The body limit of a route: its own for uploads, else ERP_MAX_BODY_BYTES. */
static size_t route_body_limit(const route_t *route)
{
    return (route->flags & ROUTE_UPLOAD) && route->max_body > 0 ? route->max_body : srv.cfg->max_body_bytes;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    loop_ctx_t *lc = loop_of(req);
    job_t *j = job_get(lc);
    req_t *r = &j->r;
    j->t0 = clock_mono_ns();
    j->h2o = req;
    job_t **link = h2o_mem_alloc_shared(&req->pool, sizeof(*link), on_link_dispose);
    *link = j;
    __atomic_fetch_add(&lc->in_flight, 1, __ATOMIC_RELAXED);

    size_t header_bytes = copy_headers(j, req);
    r->method = http_method_parse(req->method.base, req->method.len);
    size_t plen = req->path_normalized.len;
    r->path = arena_strndup(&r->arena, req->path_normalized.base, plen);
    r->path_len = plen;
    if (req->query_at != SIZE_MAX) {
        r->query_len = req->path.len - req->query_at - 1;
        r->query = arena_strndup(&r->arena, req->path.base + req->query_at + 1, r->query_len);
    }
    j->bytes_in = req->entity.base != NULL ? req->entity.len : 0;

    if (header_bytes > srv.cfg->max_header_bytes) {
        respond_error(j, ERR_HEADERS_TOO_LARGE,
                      arena_printf(&r->arena, "Request headers may not exceed %zu bytes.", srv.cfg->max_header_bytes));
        return 0;
    }
    r->cors_origin = cors_origin(r);
    if (r->method == HTTP_OPTIONS && srv.cfg->n_cors_origins > 0 && r->hdr.origin != NULL &&
        h2o_find_header_by_str(&req->headers, H2O_STRLIT("access-control-request-method"), -1) >= 0) {
        preflight(j, req);
        return 0;
    }
    unsigned allow = 0;
    /* an unknown method is matched as OPTIONS, which no route has: 405 where the path exists */
    err_code_t rc = router_match(srv.router, r->method != 0 ? r->method : HTTP_OPTIONS, r->path, plen, &r->arena,
                                 &r->route, r->params, &r->nparams, &allow);
    if (rc != ERR_NONE) {
        if (rc == ERR_METHOD) {
            res_header(r, "allow", router_allow_header(&r->arena, allow));
            respond_error(j, ERR_METHOD, "This method is not allowed on this path.");
        } else if (req->hostconf != srv.metrics_hostconf && serve_web(j) == 0) {
            respond(j);
        } else {
            respond_error(j, ERR_NOT_FOUND, "No such resource.");
        }
        return 0;
    }
    /* /metrics lives on its own listener when there is one, and nothing else does */
    int metrics_listener = req->hostconf == srv.metrics_hostconf;
    int is_metrics = strcmp(r->route->path, "/metrics") == 0;
    if (srv.metrics_hostconf != NULL &&
        (metrics_listener ? !is_metrics && strcmp(r->route->path, "/healthz") != 0 : is_metrics)) {
        respond_error(j, ERR_NOT_FOUND, "No such resource.");
        return 0;
    }
    /* h2o's limit is the largest route's (server_run): every other route keeps ERP_MAX_BODY_BYTES */
    size_t limit = route_body_limit(r->route);
    if (j->bytes_in > limit) {
        req->http1_is_persistent = 0; /* as h2o's own 413: the connection ends */
        respond_error(j, ERR_TOO_LARGE, arena_printf(&r->arena, "The body may not exceed %zu bytes.", limit));
        return 0;
    }
    if (j->bytes_in > 0 && (r->route->flags & (ROUTE_BODY | ROUTE_UPLOAD))) {
        r->body = arena_memdup(&r->arena, req->entity.base, req->entity.len);
        r->body_len = req->entity.len;
    }

    if (r->route->flags & ROUTE_INLINE) {
        crash_set_context(r->request_id, r->route->path);
        dispatch_run(r);
        crash_set_context(NULL, NULL);
        respond(j);
        return 0;
    }
    if (r->route->loop != NULL) {
        crash_set_context(r->request_id, r->route->path);
        int answered = dispatch_try_loop(r);
        crash_set_context(NULL, NULL);
        if (answered) {
            __atomic_fetch_add(&srv.loop_answered, 1, __ATOMIC_RELAXED);
            respond(j);
            return 0;
        }
    }
    if (pool_reserve(srv.pool) != 0) {
        __atomic_fetch_add(&srv.rejected, 1, __ATOMIC_RELAXED);
        r->err.retry_after = 1;
        respond_error(j, ERR_UNAVAILABLE, "The server is busy; try again shortly.");
        return 0;
    }
    j->state = JOB_POOL;
    j->pj.run = run_on_pool;
    if (lc->batch_last != NULL)
        lc->batch_last->pj.next = &j->pj;
    else
        lc->batch_first = j;
    lc->batch_last = j;
    lc->batch_n++;
    return 0;
}

/* ---- errors h2o answers by itself (body too large, and the like) ---- */

typedef struct problem_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body;
    int sent;
} problem_ostream_t;

static void problem_do_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt,
                            h2o_send_state_t state)
{
    (void)bufs;
    (void)bufcnt;
    problem_ostream_t *po = (problem_ostream_t *)self;
    if (!po->sent && !h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD"))) {
        po->sent = 1;
        h2o_ostream_send_next(self, req, &po->body, 1, state);
    } else {
        po->sent = 1;
        h2o_ostream_send_next(self, req, NULL, 0, state);
    }
}

/*
 * h2o answers a few errors before any handler runs (413 for a body over the
 * limit, for one) with a text/plain body. This filter turns those into the
 * same problem+json documents our handlers produce, with a request id, and
 * records them in the access log and metrics.
 */
static void problem_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    (void)self;
    ssize_t ct = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    int plain = ct >= 0 && req->res.headers.entries[ct].value.len >= 10 &&
                memcmp(req->res.headers.entries[ct].value.base, "text/plain", 10) == 0;
    if (req->res.status < 400 || !plain) {
        h2o_setup_next_ostream(req, slot);
        return;
    }
    loop_ctx_t *lc = loop_of(req);
    job_t *j = job_get(lc);
    req_t *r = &j->r;
    j->t0 = clock_mono_ns();
    job_t **link = h2o_mem_alloc_shared(&req->pool, sizeof(*link), on_link_dispose);
    *link = j;
    __atomic_fetch_add(&lc->in_flight, 1, __ATOMIC_RELAXED);
    copy_headers(j, req);
    r->method = http_method_parse(req->input.method.base, req->input.method.len);
    r->path = arena_strndup(&r->arena, req->input.path.base, req->input.path.len);
    r->path_len = req->input.path.len;
    r->err.code = error_from_status(req->res.status);
    if (r->err.code == ERR_TOO_LARGE) {
        /* the limit of the route the request was for (h2o's own is the largest of them) */
        const route_t *route = NULL;
        const char *params[REQ_MAX_PARAMS];
        int nparams;
        unsigned allow;
        size_t limit = srv.cfg->max_body_bytes;
        size_t plen = strcspn(r->path, "?"); /* h2o's input path, query and all */
        if (router_match(srv.router, r->method, r->path, plen, &r->arena, &route, params, &nparams, &allow) == ERR_NONE)
            limit = route_body_limit(route);
        r->err.detail = arena_printf(&r->arena, "The body may not exceed %zu bytes.", limit);
    }
    res_render_error(r);

    memset(&req->res.headers, 0, sizeof(req->res.headers));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/problem+json"));
    add_header(req, "x-request-id", r->request_id);
    r->cors_origin = cors_origin(r);
    security_headers(req, r, "application/problem+json", 0);
    req->res.content_length = r->res.body_len;
    problem_ostream_t *po = (problem_ostream_t *)h2o_add_ostream(req, sizeof(*po), slot);
    po->super.do_send = problem_do_send;
    po->body = h2o_iovec_init(r->res.body, r->res.body_len);
    po->sent = 0;
    h2o_setup_next_ostream(req, &po->super.next);

    uint64_t dur = 0; /* the request never reached a handler; its timing is meaningless */
    http_metrics_observe(srv.metrics, lc->idx, NULL, r->method, req->res.status, dur, 0, r->res.body_len);
    access_log(lc, req, r, req->res.status, 0, r->res.body_len);
}

/* ---- loops ---- */

/* Accepts up to max pending connections of the listener (whose data is its accept context). */
static void accept_pending(h2o_socket_t *listener, int max)
{
    for (int i = 0; i < max; i++) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            break;
        h2o_accept(listener->data, sock);
    }
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err == NULL)
        accept_pending(listener, ACCEPT_BATCH);
}

/* Drain request from the main thread: stop accepting, let connections finish. */
static void on_ctl(h2o_multithread_receiver_t *rx, h2o_linklist_t *messages)
{
    loop_ctx_t *lc = H2O_STRUCT_FROM_MEMBER(loop_ctx_t, ctl_rx, rx);
    while (!h2o_linklist_is_empty(messages))
        h2o_linklist_unlink(messages->next);
    if (lc->draining)
        return;
    lc->draining = 1;
    if (lc->listener != NULL) {
        /* connections the kernel completed before the signal are served, not reset */
        accept_pending(lc->listener, 1 << 20);
        h2o_socket_read_stop(lc->listener);
        h2o_socket_close(lc->listener); /* closes this loop's descriptor of the listening socket */
        lc->listener = NULL;
    }
    if (lc->metrics_listener != NULL) {
        h2o_socket_read_stop(lc->metrics_listener);
        h2o_socket_close(lc->metrics_listener);
        lc->metrics_listener = NULL;
    }
    h2o_context_request_shutdown(&lc->ctx);
}

static void *loop_main(void *arg)
{
    loop_ctx_t *lc = arg;
    lc->loop = h2o_evloop_create();
    h2o_context_init(&lc->ctx, lc->loop, &srv.globalconf);
    lc->accept_ctx.ctx = &lc->ctx;
    lc->accept_ctx.hosts = srv.main_hosts; /* the metrics host is reachable through its own listener only */
    h2o_multithread_register_receiver(lc->ctx.queue, &lc->done_rx, on_done);
    h2o_multithread_register_receiver(lc->ctx.queue, &lc->ctl_rx, on_ctl);
    sbuf_init(&lc->log, NULL, 16384);
    lc->listener = h2o_evloop_socket_create(lc->loop, lc->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    lc->listener->data = &lc->accept_ctx;
    h2o_socket_read_start(lc->listener, on_accept);
    if (lc->idx == 0 && srv.metrics_fd >= 0) {
        lc->metrics_accept_ctx.ctx = &lc->ctx;
        lc->metrics_accept_ctx.hosts = srv.metrics_hosts;
        lc->metrics_listener = h2o_evloop_socket_create(lc->loop, srv.metrics_fd, H2O_SOCKET_FLAG_DONT_READ);
        lc->metrics_listener->data = &lc->metrics_accept_ctx;
        h2o_socket_read_start(lc->metrics_listener, on_accept);
    }
    h2o_barrier_wait(&srv.started);

    for (;;) {
        h2o_evloop_run(lc->loop, INT32_MAX);
        flush_batch(lc);
        if (lc->log.len > 0)
            log_write(&lc->log);
    }
    return NULL;
}

/* ---- listening ---- */

static int open_listener(const char *what, const char *listen_host, int listen_port, char *bound, size_t boundlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char port[16];
    snprintf(port, sizeof(port), "%d", listen_port);
    int gai = getaddrinfo(listen_host, port, &hints, &res);
    if (gai != 0) {
        log_error("cannot resolve listen address", "%s %s: %s", what, listen_host, gai_strerror(gai));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 4096) == 0)
            break;
        int e = errno;
        close(fd);
        fd = -1;
        errno = e;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        log_error("cannot listen", "%s %s:%d: %s", what, listen_host, listen_port, strerror(errno));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char host[64] = "?";
    int p = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
            p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
            snprintf(bound, boundlen, "%s:%d", host, p);
        } else {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
            p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
            snprintf(bound, boundlen, "[%s]:%d", host, p);
        }
    }
    return fd;
}

/* ---- metrics of the server itself ---- */

static void collect(sbuf_t *out, void *ud)
{
    (void)ud;
    int in_flight = 0;
    for (int i = 0; i < srv.nloops; i++)
        in_flight += __atomic_load_n(&srv.loops[i].in_flight, __ATOMIC_RELAXED);
    metrics_family(out, "http_requests_in_flight", "gauge",
                   "Requests received and not yet fully answered (or still running for a client that left).");
    sbuf_printf(out, "http_requests_in_flight %d\n", in_flight);
    metrics_family(out, "school_erp_handler_pool_threads", "gauge", "Handler threads.");
    sbuf_printf(out, "school_erp_handler_pool_threads %d\n", pool_threads(srv.pool));
    metrics_family(out, "school_erp_handler_pool_queue_depth", "gauge", "Requests waiting for a handler thread.");
    sbuf_printf(out, "school_erp_handler_pool_queue_depth %d\n", pool_waiting(srv.pool));
    metrics_family(out, "school_erp_handler_pool_busy", "gauge", "Handler threads running a request.");
    sbuf_printf(out, "school_erp_handler_pool_busy %d\n", pool_busy(srv.pool));
    metrics_family(out, "school_erp_handler_pool_rejected_total", "counter",
                   "Requests answered 503 because the handler queue was full.");
    sbuf_printf(out, "school_erp_handler_pool_rejected_total %llu\n",
                (unsigned long long)__atomic_load_n(&srv.rejected, __ATOMIC_RELAXED));
    metrics_family(out, "school_erp_loop_answered_total", "counter",
                   "Requests answered from the in-process cache on an event loop, without a handler thread.");
    sbuf_printf(out, "school_erp_loop_answered_total %llu\n",
                (unsigned long long)__atomic_load_n(&srv.loop_answered, __ATOMIC_RELAXED));
    metrics_family(out, "school_erp_handler_pool_shed_total", "counter",
                   "Requests answered 503 because they waited too long in a standing queue (ERP_QUEUE_TARGET_MS).");
    sbuf_printf(out, "school_erp_handler_pool_shed_total %llu\n",
                (unsigned long long)__atomic_load_n(&srv.shed.refused, __ATOMIC_RELAXED));
    metrics_family(out, "school_erp_draining", "gauge", "1 while the server drains before exiting.");
    sbuf_printf(out, "school_erp_draining %d\n", server_draining());
}

/* ---- run ---- */

/* The request handler and the problem filter on a host's paths. */
static void setup_host(h2o_hostconf_t *host)
{
    h2o_pathconf_t *pathconf = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(pathconf, sizeof(*handler));
    handler->on_req = on_req;
    h2o_filter_t *f = h2o_create_filter(pathconf, sizeof(*f));
    f->on_setup_ostream = problem_setup_ostream;
    f = h2o_create_filter(&host->fallback_path, sizeof(*f));
    f->on_setup_ostream = problem_setup_ostream;
}

/* Whether a listen host is a loopback address (or localhost): reachable from this machine only. */
static int loopback_host(const char *host)
{
    return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 || strcmp(host, "localhost") == 0;
}

static int total_in_flight(void)
{
    int n = 0;
    for (int i = 0; i < srv.nloops; i++)
        n += __atomic_load_n(&srv.loops[i].in_flight, __ATOMIC_RELAXED);
    return n;
}

static int drain(sigset_t *sigs)
{
    const config_t *cfg = srv.cfg;
    __atomic_store_n(&srv.draining, 1, __ATOMIC_RELEASE);
    log_info("draining", "up to %d s for %d requests in flight", cfg->drain_seconds, total_in_flight());
    for (int i = 0; i < srv.nloops; i++)
        h2o_multithread_send_message(&srv.loops[i].ctl_rx, &srv.loops[i].ctl_msg);
    uint64_t deadline = clock_mono_ns() + (uint64_t)cfg->drain_seconds * 1000000000u;
    struct timespec tick = {0, 20 * 1000000};
    while (total_in_flight() > 0 && clock_mono_ns() < deadline) {
        siginfo_t si;
        if (sigtimedwait(sigs, &si, &tick) > 0) {
            log_warn("second signal during drain: exiting now", "%d requests still in flight", total_in_flight());
            return 1;
        }
    }
    int left = total_in_flight();
    if (left > 0)
        log_warn("drain time over", "%d requests abandoned", left);
    /* let the loops write what they logged in their last turn */
    struct timespec settle = {0, 50 * 1000000};
    nanosleep(&settle, NULL);
    log_info("stopped", NULL);
    return 0;
}

/* Loads the web app's files (ERP_WEB_DIR, or "web" beside the executable); the API alone when there are none. */
static void load_web(const config_t *cfg)
{
    char *dir = web_assets_dir(cfg->web_dir);
    char err[512] = "";
    if (dir != NULL)
        srv.web = web_assets_load(dir, err, sizeof(err));
    if (srv.web == NULL && cfg->web_dir != NULL && *cfg->web_dir != '\0')
        log_warn("web app not served", "ERP_WEB_DIR: %s", err);
    free(dir);
}

int server_run(const server_opts_t *o)
{
    const config_t *cfg = o->cfg;
    memset(&srv, 0, sizeof(srv));
    srv.cfg = cfg;

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* threads inherit the mask; only sigwait sees these */
    signal(SIGPIPE, SIG_IGN);

    char bound[128] = "", metrics_bound[128] = "";
    srv.listen_fd = open_listener("ERP_LISTEN", cfg->listen_host, cfg->listen_port, bound, sizeof(bound));
    if (srv.listen_fd < 0)
        return 1;
    srv.metrics_fd = -1;
    if (cfg->metrics_listen) {
        srv.metrics_fd = open_listener("ERP_METRICS_LISTEN", cfg->metrics_host, cfg->metrics_port, metrics_bound,
                                       sizeof(metrics_bound));
        if (srv.metrics_fd < 0)
            return 1;
    } else if (!loopback_host(cfg->listen_host)) {
        log_warn("metrics on the public port", "ERP_LISTEN %s is not a loopback address and ERP_METRICS_LISTEN is not "
                 "set: /metrics is served to whoever reaches this port", cfg->listen_host);
    }

    srv.router = router_create(o->routes, o->nroutes, cfg->test_routes);
    load_web(cfg);
    srv.metrics = http_metrics_create(srv.router, cfg->threads);
    metrics_register(collect, NULL);
    shed_init(&srv.shed, (uint64_t)cfg->queue_target_ms, (uint64_t)cfg->queue_interval_ms,
              (uint64_t)cfg->queue_max_wait_ms);
    srv.pool = pool_create(cfg->pool_size, cfg->pool_queue, o->thread_init, o->thread_fini, o->ud);
    if (srv.pool == NULL) {
        log_error("cannot start handler threads", "ERP_POOL_SIZE=%d", cfg->pool_size);
        return 1;
    }

    h2o_config_init(&srv.globalconf);
    srv.globalconf.server_name = h2o_iovec_init(H2O_STRLIT("school-erp"));
    srv.globalconf.max_request_entity_size = cfg->max_body_bytes;
    for (size_t i = 0; i < o->nroutes; i++) /* uploads may be larger; on_req holds the other routes to the limit */
        if ((o->routes[i].flags & ROUTE_UPLOAD) && o->routes[i].max_body > srv.globalconf.max_request_entity_size)
            srv.globalconf.max_request_entity_size = o->routes[i].max_body;
    srv.globalconf.http1.req_timeout = (uint64_t)cfg->client_timeout_ms;
    srv.globalconf.http2.idle_timeout = (uint64_t)cfg->client_timeout_ms;
    srv.hostconf = h2o_config_register_host(&srv.globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    setup_host(srv.hostconf);
    srv.main_hosts[0] = srv.hostconf;
    if (srv.metrics_fd >= 0) {
        srv.metrics_hostconf =
            h2o_config_register_host(&srv.globalconf, h2o_iovec_init(H2O_STRLIT("metrics")), 65535);
        setup_host(srv.metrics_hostconf);
        srv.metrics_hosts[0] = srv.metrics_hostconf;
    }

    srv.nloops = cfg->threads;
    srv.loops = xcalloc((size_t)srv.nloops, sizeof(loop_ctx_t));
    h2o_barrier_init(&srv.started, (size_t)srv.nloops + 1);
    for (int i = 0; i < srv.nloops; i++) {
        loop_ctx_t *lc = &srv.loops[i];
        lc->idx = i;
        lc->listen_fd = i == 0 ? srv.listen_fd : fcntl(srv.listen_fd, F_DUPFD_CLOEXEC, 0);
        if (lc->listen_fd < 0 || pthread_create(&lc->tid, NULL, loop_main, lc) != 0) {
            log_error("cannot start event loop", "%s", strerror(errno));
            return 1;
        }
    }
    h2o_barrier_wait(&srv.started);
    char url[160];
    snprintf(url, sizeof(url), "http://%s", bound);
    sbuf_t line;
    sbuf_init(&line, NULL, 256);
    log_begin(&line, LOG_INFO, "listening");
    log_str(&line, "url", url);
    if (srv.metrics_fd >= 0) {
        snprintf(url, sizeof(url), "http://%s/metrics", metrics_bound);
        log_str(&line, "metricsUrl", url);
    }
    if (srv.web != NULL) {
        snprintf(url, sizeof(url), "http://%s/", bound);
        log_str(&line, "appUrl", url);
        log_int(&line, "appFiles", (int64_t)web_assets_count(srv.web));
    }
    log_int(&line, "threads", cfg->threads);
    log_int(&line, "poolSize", cfg->pool_size);
    log_int(&line, "pid", getpid());
    log_end(&line);
    log_write(&line);
    sbuf_free(&line);

    for (;;) {
        int sig = 0;
        if (sigwait(&sigs, &sig) == 0 && (sig == SIGTERM || sig == SIGINT))
            break;
    }
    return drain(&sigs);
}
