/*
 * openapi.h - the OpenAPI 3.1 document, generated from the route table and the
 * component schemas (schemas.json), so the published contract cannot drift from
 * the routes actually served.
 */
#ifndef ERP_API_OPENAPI_H
#define ERP_API_OPENAPI_H

#include <jansson.h>
#include <stddef.h>

#include "http/router.h"

/*
 * Builds the document for routes[0..n) (test routes only if include_test).
 * Returns a new reference, or NULL with a message in err when a route names a
 * schema that does not exist or the schemas do not parse.
 */
json_t *openapi_build(const route_t *routes, size_t n, int include_test, char *err, size_t errlen);

/* Builds the document once and keeps its serialized form; returns 0 or -1 (logged). */
int openapi_init(const route_t *routes, size_t n, int include_test);

/* The serialized document kept by openapi_init(). */
const char *openapi_text(size_t *len);

/* The embedded component schemas (schemas.json). */
extern const char api_schemas_json[];
/* The schemas of the test routes, merged in only when they are served. */
extern const char api_test_schemas_json[];

#endif
