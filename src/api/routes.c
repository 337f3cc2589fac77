/*
 * routes.c - every endpoint of the product, in one table.
 *
 * A row names the method, the path template, the handler, the roles allowed
 * (or ROUTE_PUBLIC), flags, and the documentation the OpenAPI document is
 * generated from: summary, tag, request and response schemas (names in
 * src/api/schemas/), success status, query parameters and the further
 * error statuses the handler can produce.
 *
 * The rows of the school's daily work are kept in src/api/routes/, one
 * file per area, included into this same table.
 */
#include "api/academic.h"
#include "api/accounts/accounts.h"
#include "api/api.h"
#include "api/assessment/assessment.h"
#include "api/fees/fees.h"
#include "api/announce/announce.h"
#include "api/attendance.h"
#include "api/jobs.h"
#include "api/logo.h"
#include "api/files.h"
#include "api/transfers.h"
#include "api/people.h"
#include "api/timetable.h"
#include "auth/roles.h"
#include "oneroster/rest/rest.h"

#define Q_PAGE                                                                                                         \
    {"limit", "{\"type\":\"integer\",\"minimum\":1,\"maximum\":500,\"default\":50}", "Items per page.", 0},            \
        {"cursor", "{\"type\":\"string\"}", "nextCursor of the previous page.", 0}

static const route_param_t tenant_query[] = {
    Q_PAGE,
    {"sort", "{\"enum\":[\"name\",\"-name\",\"slug\",\"-slug\",\"createdAt\",\"-createdAt\"]}", "Order.", 0},
    {"status", "{\"enum\":[\"active\",\"suspended\"]}", "Only schools in this state.", 0},
    {"q", "{\"type\":\"string\",\"minLength\":1,\"maxLength\":100}", "Text in the name or slug.", 0},
    {NULL, NULL, NULL, 0},
};

static const route_param_t user_query[] = {
    Q_PAGE,
    {"sort",
     "{\"enum\":[\"createdAt\",\"-createdAt\",\"email\",\"-email\",\"displayName\",\"-displayName\"]}", "Order.",
     0},
    {"roles", "{\"enum\":[\"admin\",\"teacher\",\"staff\",\"student\",\"parent\"]}",
     "Only accounts whose roles include this one.", 0},
    {"status", "{\"enum\":[\"active\",\"disabled\"]}", "Only accounts in this state.", 0},
    {"q", "{\"type\":\"string\",\"minLength\":1,\"maxLength\":100}", "Text in the email or name.", 0},
    {NULL, NULL, NULL, 0},
};

static const route_param_t audit_query[] = {
    Q_PAGE,
    {"actorId", "{\"type\":\"string\",\"format\":\"uuid\"}", "Events by this account (the actorId of the events).", 0},
    {"subjectType", "{\"type\":\"string\"}", "Events about this kind of record (user, student, …).", 0},
    {"subjectId", "{\"type\":\"string\"}", "Events about this record.", 0},
    {"action", "{\"type\":\"string\"}", "Events of this action (auth.login, …).", 0},
    {"from", "{\"type\":\"string\"}", "From this date or UTC time (inclusive).", 0},
    {"to", "{\"type\":\"string\"}", "Up to this date or UTC time (exclusive).", 0},
    {NULL, NULL, NULL, 0},
};

static const int e409[] = {409, 0};
static const int e409_428[] = {409, 428, 0};
static const int e422[] = {422, 0};

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
    {HTTP_GET, "/metrics", ops_metrics, 0, ROUTE_PUBLIC | ROUTE_INLINE,
     "Prometheus metrics (404 here when ERP_METRICS_LISTEN gives them a listener of their own).", "operations", NULL,
     "MetricsText", "text/plain", 200, NULL, (const int[]){404, 0}},
    {HTTP_GET, "/api/v1/openapi.json", ops_openapi, 0, ROUTE_PUBLIC | ROUTE_INLINE, "This API as OpenAPI 3.1.",
     "operations", NULL, "OpenApiDocument", NULL, 200, NULL, NULL},
    {HTTP_GET, "/api/v1/version", ops_version, 0, ROUTE_PUBLIC, "Version of the server and the API.", "operations",
     NULL, "Version", NULL, 200, NULL, NULL},

    /* authentication */
    {HTTP_POST, "/api/v1/auth/login", auth_login, 0, ROUTE_PUBLIC | ROUTE_BODY,
     "Logs in with school, email and password; returns an access and a refresh token.", "auth", "LoginRequest",
     "TokenPair", NULL, 200, NULL, (const int[]){401, 429, 0}},
    {HTTP_POST, "/api/v1/auth/refresh", auth_refresh, 0, ROUTE_PUBLIC | ROUTE_BODY,
     "Exchanges a refresh token (single use) for a new token pair.", "auth", "RefreshRequest", "TokenPair", NULL, 200,
     NULL, (const int[]){401, 0}},
    {HTTP_POST, "/api/v1/auth/logout", auth_logout, ROLES_ANY, ROUTE_NO_TENANT, "Ends the session of this token at once.",
     "auth", NULL, NULL, NULL, 204, NULL, NULL},
    {HTTP_POST, "/api/v1/auth/password", auth_password, ROLES_ANY, ROUTE_NO_TENANT | ROUTE_BODY,
     "Changes the caller's password and ends their other sessions; guesses of the current password are limited as "
     "logins are (429).",
     "auth", "PasswordChange", NULL, NULL, 204, NULL, (const int[]){429, 0}},
    {HTTP_GET, "/api/v1/me", auth_me, ROLES_ANY, ROUTE_NO_TENANT, "The caller's account, school and session.", "auth",
     NULL, "Me", NULL, 200, NULL, NULL, auth_me_loop},

    /* schools (platform operators) */
    {HTTP_POST, "/api/v1/tenants", tenants_create, ROLE_PLATFORM_ADMIN, ROUTE_NO_TENANT | ROUTE_BODY | ROUTE_ETAG,
     "Creates a school with its first admin.", "tenants", "TenantCreate", "Tenant", NULL, 201, NULL, e409},
    {HTTP_GET, "/api/v1/tenants", tenants_list, ROLE_PLATFORM_ADMIN, ROUTE_NO_TENANT, "Lists schools.", "tenants", NULL,
     "TenantList", NULL, 200, tenant_query, e422},
    {HTTP_GET, "/api/v1/tenants/{id}", tenants_get, ROLE_PLATFORM_ADMIN, ROUTE_NO_TENANT | ROUTE_ETAG, "Reads a school.", "tenants",
     NULL, "Tenant", NULL, 200, NULL, NULL},
    {HTTP_PATCH, "/api/v1/tenants/{id}", tenants_update, ROLE_PLATFORM_ADMIN, ROUTE_NO_TENANT | ROUTE_BODY | ROUTE_IF_MATCH,
     "Updates a school: name, time zone, currency, plan limit, or suspends/reactivates it (If-Match).", "tenants",
     "TenantUpdate", "Tenant", NULL, 200, NULL, NULL},

    /* accounts */
    {HTTP_POST, "/api/v1/users", users_create, ROLE_ADMIN, ROUTE_BODY | ROUTE_ETAG, "Creates an account in the caller's school.",
     "users", "UserCreate", "User", NULL, 201, NULL, e409},
    {HTTP_GET, "/api/v1/users", users_list, ROLE_ADMIN, 0, "Lists the school's accounts.", "users", NULL, "UserList",
     NULL, 200, user_query, e422},
    {HTTP_GET, "/api/v1/users/{id}", users_get, ROLE_ADMIN, ROUTE_ETAG, "Reads an account.", "users", NULL, "User", NULL, 200,
     NULL, NULL},
    {HTTP_PATCH, "/api/v1/users/{id}", users_update, ROLE_ADMIN, ROUTE_BODY | ROUTE_IF_MATCH,
     "Updates an account: email, name, roles, disable/enable, unlock (If-Match).", "users", "UserUpdate", "User", NULL,
     200, NULL, e409_428},

    /* audit trail */
    {HTTP_GET, "/api/v1/audit-events", audit_list, ROLE_ADMIN | ROLE_PLATFORM_ADMIN, ROUTE_NO_TENANT,
     "Lists audit events of the caller's school (platform events for platform admins), newest first.", "audit", NULL,
     "AuditEventList", NULL, 200, audit_query, (const int[]){404, 422, 0}},

    /* the school's daily work */
#include "api/routes/academic.inc"
#include "api/routes/people.inc"
#include "api/routes/attendance.inc"
#include "api/routes/timetable.inc"
#include "api/routes/jobs.inc"
#include "api/routes/files.inc"
#include "api/routes/transfers.inc"
#include "api/routes/assessment.inc"
#include "api/routes/fees.inc"
#include "api/routes/fee_setup.inc"
#include "api/routes/accounts.inc"
#include "api/routes/announce.inc"
#include "api/routes/oneroster.inc"

    /* for the test suite only (ERP_ENABLE_TEST_ROUTES=1) */
    {HTTP_GET, "/api/v1/_test/sleep", testing_sleep, 0, ROUTE_PUBLIC | ROUTE_TEST, "Sleeps, then answers.", "testing",
     NULL, "TestSleep", NULL, 200, sleep_query, (const int[]){422, 0}},
    {HTTP_GET, "/api/v1/_test/fail", testing_fail, 0, ROUTE_PUBLIC | ROUTE_TEST, "Fails with an internal error.",
     "testing", NULL, "Problem", "application/problem+json", 500, NULL, NULL},
    {HTTP_POST, "/api/v1/_test/transaction", testing_transaction, 0, ROUTE_PUBLIC | ROUTE_TEST,
     "Writes in a transaction and commits it only with commit=1.", "testing", NULL, "TestTransaction", NULL, 200,
     (const route_param_t[]){{"tag", "{\"type\":\"string\",\"minLength\":1,\"maxLength\":64}", "A marker.", 1},
                             {"commit", "{\"enum\":[\"0\",\"1\"]}", "1 commits.", 0},
                             {NULL, NULL, NULL, 0}},
     (const int[]){422, 0}},
    {HTTP_POST, "/api/v1/_test/jobs", testing_jobs_create, ROLES_SCHOOL, ROUTE_TEST | ROUTE_BODY,
     "Enqueues a job of any type for the caller (test job types: test.sleep, test.effect, test.fail, test.spin).",
     "testing", "TestJobCreate", "TestJobAccepted", NULL, 202, NULL, NULL},
    {HTTP_POST, "/api/v1/_test/echo", testing_echo, 0, ROUTE_PUBLIC | ROUTE_TEST | ROUTE_BODY,
     "Validates and echoes a body.", "testing", "TestEcho", "TestEcho", NULL, 200, NULL, NULL},
};

const size_t api_routes_count = sizeof(api_routes) / sizeof(api_routes[0]);
