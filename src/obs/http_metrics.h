/*
 * http_metrics.h - request metrics: http_request_duration_seconds by method,
 * route template and status code; request and response sizes by method and
 * route. One shard per event-loop thread, summed when rendered.
 */
#ifndef ERP_OBS_HTTP_METRICS_H
#define ERP_OBS_HTTP_METRICS_H

#include <stdint.h>

#include "http/router.h"

typedef struct http_metrics http_metrics_t;

/* Creates the store for the router's routes with nshards shards and registers its collector. */
http_metrics_t *http_metrics_create(const router_t *rt, int nshards);

/*
 * Records one request in shard (owned by the calling thread). route is NULL
 * when no route matched (route label "unmatched").
 */
void http_metrics_observe(http_metrics_t *m, int shard, const route_t *route, http_method_t method, int status,
                          uint64_t duration_ns, uint64_t request_bytes, uint64_t response_bytes);

#endif
