/*
 * etag.h - conditional requests (RFC 9110 §13.1.1, §13.1.2) against a
 * resource whose entity tag is its version: ETag "<version>".
 *
 * Headers are parsed strictly by the RFC's grammar: "*" alone, or a
 * comma-separated list of entity-tags (`"opaque"` or `W/"opaque"`, opaque
 * characters 0x21, 0x23-0x7E, 0x80-0xFF), with optional spaces and tabs
 * around the commas and empty list elements allowed. Anything else is
 * malformed. A well-formed tag this server would never issue ("+1", "01",
 * a number past the range of versions) is no error: it simply matches no
 * version. Pure functions, no allocation.
 */
#ifndef ERP_HTTP_ETAG_H
#define ERP_HTTP_ETAG_H

enum {
    ETAG_MALFORMED = -1, /* the header breaks the grammar (400) */
    ETAG_NO_MATCH = 0,
    ETAG_MATCH = 1,
};

/*
 * If-Match: strong comparison, so a weak tag never matches. "*" matches any
 * current version (version > 0). Returns ETAG_MATCH, ETAG_NO_MATCH or
 * ETAG_MALFORMED.
 */
int etag_if_match(const char *header, long long version);

/*
 * If-None-Match: weak comparison (W/"3" matches version 3). "*" matches any
 * current version. Returns ETAG_MATCH (the client's copy is current: 304),
 * ETAG_NO_MATCH or ETAG_MALFORMED.
 */
int etag_if_none_match(const char *header, long long version);

#endif
