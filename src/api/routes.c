/*
 * routes.c - every endpoint of the product, in one table.
 *
 * A row names the method, the path template, the handler, the roles allowed
 * (or ROUTE_PUBLIC), flags, and the documentation the OpenAPI document is
 * generated from: summary, tag, request and response schemas (names in
 * schemas.json), success status, query parameters and the further error
 * statuses the handler can produce.
 */
#include "api/api.h"
#include "auth/roles.h"

static const route_param_t sleep_query[] = {
    {"ms", "{\"type\":\"integer\",\"minimum\":0,\"maximum\":60000}", "How long to sleep.", 0},
    {NULL, NULL, NULL, 0},
};

const route_t api_routes[] = {
    /* operations */
    {HTTP_GET, "/healthz", ops_healthz, 0, ROUTE_PUBLIC | ROUTE_INLINE, "The process is alive.", "operations", NULL,
     "Health", NULL, 200, NULL, NULL},
    {HTTP_GET, "/readyz", ops_readyz, 0, ROUTE_PUBLIC, "The server can take traffic (dependencies reachable, not draining).",
     "operations", NULL, "Readiness", NULL, 200, NULL, NULL},
    {HTTP_GET, "/metrics", ops_metrics, 0, ROUTE_PUBLIC | ROUTE_INLINE, "Prometheus metrics.", "operations", NULL,
     "MetricsText", "text/plain", 200, NULL, NULL},
    {HTTP_GET, "/api/v1/openapi.json", ops_openapi, 0, ROUTE_PUBLIC | ROUTE_INLINE, "This API as OpenAPI 3.1.",
     "operations", NULL, "OpenApiDocument", NULL, 200, NULL, NULL},
    {HTTP_GET, "/api/v1/version", ops_version, 0, ROUTE_PUBLIC, "Version of the server and the API.", "operations",
     NULL, "Version", NULL, 200, NULL, NULL},

    /* for the test suite only (ERP_ENABLE_TEST_ROUTES=1) */
    {HTTP_GET, "/api/v1/_test/sleep", testing_sleep, 0, ROUTE_PUBLIC | ROUTE_TEST, "Sleeps, then answers.", "testing",
     NULL, "TestSleep", NULL, 200, sleep_query, (const int[]){422, 0}},
    {HTTP_GET, "/api/v1/_test/fail", testing_fail, 0, ROUTE_PUBLIC | ROUTE_TEST, "Fails with an internal error.",
     "testing", NULL, "Problem", "application/problem+json", 500, NULL, NULL},
    {HTTP_POST, "/api/v1/_test/echo", testing_echo, 0, ROUTE_PUBLIC | ROUTE_TEST | ROUTE_BODY,
     "Validates and echoes a body.", "testing", "TestEcho", "TestEcho", NULL, 200, NULL, NULL},
};

const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);
